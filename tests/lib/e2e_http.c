/* e2e_http: the tests' minimal HTTP/1.1 client (see tests/e2e_http.h). */
#include "tests/e2e_http.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

void e2e_http_free(e2e_http_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* A TCP connection to 127.0.0.1:port from source address src (NULL: any);
 * -1 if refused. */
int e2e_http_connect(int port, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    if (src) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        inet_pton(AF_INET, src, &sa.sin_addr);
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0, "bind %s", src);
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

void e2e_http_send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t k = send(fd, p, len, MSG_NOSIGNAL);
        if (k <= 0) return;   /* the server may answer early and close */
        p += k;
        len -= (size_t)k;
    }
}

/* Read until the server closes (within 10 s) and split the response. */
void e2e_http_read(int fd, e2e_http_resp *r)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        if (poll(&pf, 1, 10000) <= 0) break;
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
        ssize_t k = recv(fd, buf + n, cap - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
    }
    buf[n] = 0;
    memset(r, 0, sizeof *r);
    char *end = strstr(buf, "\r\n\r\n");
    cr_assert_not_null(end, "no complete response: %s", buf);
    r->head = strndup(buf, (size_t)(end - buf) + 2);
    r->len = n - (size_t)(end + 4 - buf);
    r->body = malloc(r->len + 1);
    memcpy(r->body, end + 4, r->len);
    r->body[r->len] = 0;
    cr_assert_eq(sscanf(buf, "HTTP/1.%*d %d", &r->code), 1, "%s", buf);
    free(buf);
}

/* One request: head is everything before the blank line (method, path,
 * extra header lines); Host, Connection and Content-Length are added. */
void e2e_http_request(e2e_http_resp *r, int port, const char *src, const char *head, const void *body,
                      size_t len)
{
    int fd = e2e_http_connect(port, src);
    cr_assert_geq(fd, 0, "connect to port %d", port);
    char full[4096];
    int k = snprintf(full, sizeof full, "%s\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", head,
                     port);
    if (body) k += snprintf(full + k, sizeof full - (size_t)k, "Content-Length: %zu\r\n", len);
    k += snprintf(full + k, sizeof full - (size_t)k, "\r\n");
    e2e_http_send_all(fd, full, (size_t)k);
    if (body) e2e_http_send_all(fd, body, len);
    e2e_http_read(fd, r);
    close(fd);
}

void e2e_http_get(e2e_http_resp *r, int port, const char *path, const char *origin)
{
    char head[1024];
    snprintf(head, sizeof head, "GET %s HTTP/1.1%s%s", path, origin ? "\r\nOrigin: " : "",
             origin ? origin : "");
    e2e_http_request(r, port, NULL, head, NULL, 0);
}

void e2e_http_post(e2e_http_resp *r, int port, const char *src, const uint8_t *env, size_t len,
                   const char *type)
{
    char head[512];
    snprintf(head, sizeof head, "POST /api/envelope HTTP/1.1\r\nContent-Type: %s", type);
    e2e_http_request(r, port, src, head, env, len);
}

/* The value of header name (case-insensitive) in r, or NULL (buffer). */
const char *e2e_http_header(const e2e_http_resp *r, const char *name)
{
    static char val[1024];
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) != 0 || p[2 + nl] != ':') continue;
        const char *v = p + 3 + nl, *e = strstr(v, "\r\n");
        while (*v == ' ') v++;
        snprintf(val, sizeof val, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
        return val;
    }
    return NULL;
}
