/* bulk: pipelined envelope submission (see bulk.h). */
#include "app/bulk.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/client.h"
#include "common/rpc.h"
#include "common/xalloc.h"
#include "protocols/intake.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct s_bulk {
    const defn *d;
    const _Atomic unsigned char *ready;
    uint8_t *const *envs;
    const size_t *lens;
    size_t count;
    unsigned *receipts;
    size_t next[MPC_MAX_SERVERS];     /* next envelope to send to server i */
    size_t inflight[MPC_MAX_SERVERS];
    double last[MPC_MAX_SERVERS];     /* last reply (or start) */
    int dead[MPC_MAX_SERVERS];
    app_receipt_cache cache[MPC_MAX_SERVERS];
    uint8_t *frame;
    size_t frame_cap;
    FILE *report;
} s_bulk;

static void s_fill(s_bulk *B, rpc_conn *c, int i, size_t window)
{
    while (!B->dead[i] && B->inflight[i] < window && B->next[i] < B->count) {
        size_t j = B->next[i];
        if (B->ready && !atomic_load_explicit(&B->ready[j], memory_order_acquire)) return;
        if (!B->envs[j]) {   /* could not be sealed: nothing to send */
            B->next[i]++;
            continue;
        }
        if (INTAKE_HDR + B->lens[j] > B->frame_cap) {   /* grows to the largest, once */
            B->frame_cap = INTAKE_HDR + B->lens[j];
            B->frame = xrealloc(B->frame, B->frame_cap);
        }
        if (intake_req_encode(B->frame, INTAKE_SUBMIT, j, B->envs[j], B->lens[j]) != 0 ||
            rpc_conn_send(c, i, B->frame, INTAKE_HDR + B->lens[j], 0) != 0)
            return;   /* queue full: the replies will make room */
        if (!B->inflight[i]) B->last[i] = s_now();   /* the silence clock starts now */
        B->next[i]++;
        B->inflight[i]++;
    }
}

static void s_take(s_bulk *B, int i, const uint8_t *buf, size_t len)
{
    intake_msg m;
    if (intake_resp_decode(&m, buf, len) != 0 || m.tag >= B->count) {
        fprintf(B->report, "error: server %d sent a malformed response\n", i + 1);
        return;
    }
    B->inflight[i]--;
    B->last[i] = s_now();
    size_t j = (size_t)m.tag;
    if (app_client_check_receipt(B->d, i + 1, buf, len, B->envs[j], B->lens[j], &B->cache[i],
                                 B->report) == 0)
        B->receipts[j] |= 1u << i;
}

size_t app_bulk_submit(const defn *d, uint8_t *const *envs, const size_t *lens, size_t count,
                       const _Atomic unsigned char *ready, unsigned *receipts, int window,
                       int timeout_ms, FILE *report)
{
    int n = defn_n(d);
    rpc_peer peers[MPC_MAX_SERVERS];
    for (int i = 0; i < n; i++) {
        const defn_server *sv = defn_server_at(d, i + 1);
        peers[i] = (rpc_peer){ .endpoint = sv->client, .curve_pk = sv->curve_pk };
    }
    s_bulk B = { .d = d, .ready = ready, .envs = envs, .lens = lens, .count = count,
                 .receipts = receipts, .report = report };
    for (size_t j = 0; j < count; j++) receipts[j] = 0;

    rpc_conn *c = NULL;
    if (rpc_conn_open(&c, n, peers) != 0) {
        fprintf(report, "error: cannot set up connections to the servers\n");
        rpc_conn_free(&c);
        free(B.frame);
        return 0;
    }
    for (int i = 0; i < n; i++) B.last[i] = s_now();
    for (;;) {
        int busy = 0;
        for (int i = 0; i < n; i++) {
            s_fill(&B, c, i, (size_t)window);
            if (!B.dead[i] && (B.inflight[i] || B.next[i] < count)) busy = 1;
        }
        if (!busy) break;
        int srv;
        const uint8_t *buf;
        size_t len;
        int waiting = 0;   /* on a sealer, not on a server: poll briefly */
        for (int i = 0; i < n; i++)
            waiting |= !B.dead[i] && B.next[i] < count && B.inflight[i] < (size_t)window;
        if (rpc_conn_recv(c, waiting ? 1 : 50, &srv, &buf, &len)) {
            s_take(&B, srv, buf, len);
            while (rpc_conn_recv(c, 0, &srv, &buf, &len)) s_take(&B, srv, buf, len);
        }
        for (int i = 0; i < n; i++)
            if (!B.dead[i] && B.inflight[i] && s_now() - B.last[i] > timeout_ms / 1000.0) {
                fprintf(report, "error: server %d (%s) did not answer within %d ms; %zu "
                                "envelope(s) not receipted by it\n",
                        i + 1, peers[i].endpoint, timeout_ms, count - B.next[i] + B.inflight[i]);
                B.dead[i] = 1;
            }
    }
    rpc_conn_free(&c);
    free(B.frame);
    size_t all = 0;
    for (size_t j = 0; j < count; j++) all += receipts[j] == (1u << n) - 1;
    return all;
}
