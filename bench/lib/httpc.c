/* httpc: keep-alive HTTP/1.1 envelope submission for the bench (see httpc.h). */
#include "bench/lib/httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "app/client.h"
#include "protocols/intake.h"
#include "protocols/result.h"

#define C_DEPTH_MAX 16
#define C_IN (1u << 16)

typedef struct c_conn {
    int fd, server;
    size_t q[C_DEPTH_MAX];     /* envelopes in flight, oldest first */
    int nq;
    char in[C_IN];
    size_t in_len;
    uint8_t *out;              /* requests not yet written */
    size_t out_len, out_off, out_cap;
} c_conn;

static double c_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int c_connect(int port, int k)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in src = { .sin_family = AF_INET };
    src.sin_addr.s_addr = htonl(k % 2 ? 0x7f000002 : 0x7f000001);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void c_queue(c_conn *c, size_t j, const uint8_t *env, size_t len)
{
    char head[160];
    int k = snprintf(head, sizeof head, "POST /api/envelope HTTP/1.1\r\nHost: bench\r\n"
                     "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n\r\n", len);
    if (c->out_len + (size_t)k + len > c->out_cap) {
        c->out_cap = 2 * (c->out_len + (size_t)k + len);
        c->out = realloc(c->out, c->out_cap);
        if (!c->out) abort();
    }
    memcpy(c->out + c->out_len, head, (size_t)k);
    memcpy(c->out + c->out_len + k, env, len);
    c->out_len += (size_t)k + len;
    c->q[c->nq++] = j;
}

/* One complete response at the start of c->in: its length, else 0. */
static size_t c_response(const c_conn *c, int *code, const char **body, size_t *blen)
{
    const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t hl = (size_t)(end - c->in) + 4, cl = 0;
    const char *p = memmem(c->in, hl, "Content-Length:", 15);
    if (!p) p = memmem(c->in, hl, "content-length:", 15);
    if (p) cl = strtoul(p + 15, NULL, 10);
    if (c->in_len < hl + cl) return 0;
    *code = (int)strtol(c->in + 9, NULL, 10);
    *body = c->in + hl;
    *blen = cl;
    return hl + cl;
}

/* The receipt of an accepted answer, checked as the CurveZMQ path checks it. */
static int c_check(const defn *d, int server, const char *body, size_t blen, const uint8_t *env,
                   size_t elen, app_receipt_cache *cache, FILE *report)
{
    const char *h = memmem(body, blen, "\"receipt\":\"", 11);
    if (!h) return -1;
    h += 11;
    const char *e = memchr(h, '"', blen - (size_t)(h - body));
    uint8_t frame[INTAKE_HDR + RESULT_RECEIPT_MAX];
    size_t bl = 0;
    if (!e || sodium_hex2bin(frame + INTAKE_HDR, RESULT_RECEIPT_MAX, h, (size_t)(e - h), NULL,
                             &bl, NULL) != 0 ||
        intake_resp_encode(frame, 0, 0, frame + INTAKE_HDR, bl) != 0)
        return -1;
    return app_client_check_receipt(d, server, frame, INTAKE_HDR + bl, env, elen, cache, report);
}

static int c_read(const defn *d, c_conn *c, uint8_t *const *envs, const size_t *lens,
                  unsigned *receipts, app_receipt_cache *cache, FILE *report)
{
    ssize_t k = recv(c->fd, c->in + c->in_len, C_IN - c->in_len, 0);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) return -1;
    if (k > 0) c->in_len += (size_t)k;
    int code, got = 0;
    const char *body;
    size_t blen, used;
    while (c->nq && (used = c_response(c, &code, &body, &blen)) > 0) {
        size_t j = c->q[0];
        if (code == 200 &&
            c_check(d, c->server, body, blen, envs[j], lens[j], cache, report) == 0)
            receipts[j] |= 1u << (c->server - 1);
        else
            fprintf(report, "server %d: HTTP %d %.*s\n", c->server, code, (int)blen, body);
        memmove(c->q, c->q + 1, sizeof c->q[0] * (size_t)--c->nq);
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        got++;
    }
    return got;
}

size_t httpc_submit(const defn *d, const int *ports, uint8_t *const *envs, const size_t *lens,
                    size_t count, int conns, int depth, unsigned *receipts, int timeout_ms,
                    FILE *report)
{
    int n = defn_n(d), nc = n * conns;
    if (depth > C_DEPTH_MAX) depth = C_DEPTH_MAX;
    c_conn *C = calloc((size_t)nc, sizeof *C);
    struct pollfd *pf = calloc((size_t)nc, sizeof *pf);
    size_t next[MPC_MAX_SERVERS] = { 0 };
    app_receipt_cache cache[MPC_MAX_SERVERS];
    memset(cache, 0, sizeof cache);
    for (int i = 0; i < nc; i++) {
        C[i].server = i / conns + 1;
        C[i].fd = c_connect(ports[i / conns], i % conns);
        if (C[i].fd < 0) fprintf(report, "server %d: cannot connect\n", C[i].server);
    }
    double last = c_now();
    int live = 1;
    while (live && c_now() - last < timeout_ms / 1000.0) {
        live = 0;
        for (int i = 0; i < nc; i++) {
            c_conn *c = &C[i];
            int s = c->server - 1;
            while (c->fd >= 0 && c->nq < depth && next[s] < count) {
                size_t j = next[s]++;
                c_queue(c, j, envs[j], lens[j]);
            }
            if (c->fd >= 0 && c->out_off < c->out_len) {
                ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
                if (k > 0) c->out_off += (size_t)k;
                if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
            }
            pf[i] = (struct pollfd){ .fd = c->nq ? c->fd : -1,
                                     .events = (short)(POLLIN | (c->out_len ? POLLOUT : 0)) };
            live |= c->fd >= 0 && (c->nq > 0 || next[s] < count);
        }
        if (!live || poll(pf, (nfds_t)nc, 100) <= 0) continue;
        for (int i = 0; i < nc; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            int got = c_read(d, &C[i], envs, lens, receipts, &cache[C[i].server - 1], report);
            if (got < 0) {
                fprintf(report, "server %d: connection closed\n", C[i].server);
                close(C[i].fd);
                C[i].fd = -1;
            } else if (got) {
                last = c_now();
            }
        }
    }
    size_t all = 0;
    for (size_t j = 0; j < count; j++) all += receipts[j] == (1u << n) - 1;
    for (int i = 0; i < nc; i++) {
        if (C[i].fd >= 0) close(C[i].fd);
        free(C[i].out);
    }
    free(C);
    free(pf);
    return all;
}
