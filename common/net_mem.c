/* net_mem: the in-process hub transport of net (unit tests, run-local engines in
 * one process): one FIFO per (sender, receiver) under the receiver's mutex and
 * condition variable. Validation and buffering are net.c's, as on the mesh. */
#include "common/net.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "common/adv.h"
#include "common/net_impl.h"
#include "common/xalloc.h"

typedef struct mem_frame {
    struct mem_frame *next;
    uint8_t *buf;
    size_t len;
} mem_frame;

/* Inbox of one receiver: a FIFO per sender under one mutex + condvar. */
typedef struct mem_box {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mem_frame *head[MPC_MAX_SERVERS + 1], *tail[MPC_MAX_SERVERS + 1];
    int rr;          /* sender to look at first, for fairness */
    int attached;
} mem_box;

struct net_hub {
    int n;
    mem_box box[MPC_MAX_SERVERS + 1];
};

net_hub *net_hub_new(int n)
{
    if (n < 1 || n > MPC_MAX_SERVERS) return NULL;
    net_hub *hub = xcalloc(1, sizeof *hub);
    hub->n = n;
    for (int i = 1; i <= n; i++) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_mutex_init(&hub->box[i].mu, NULL);
        pthread_cond_init(&hub->box[i].cv, &ca);
        pthread_condattr_destroy(&ca);
        hub->box[i].rr = 1;
    }
    return hub;
}

void net_hub_free(net_hub **pp)
{
    if (!pp || !*pp) return;
    net_hub *hub = *pp;
    for (int i = 1; i <= hub->n; i++) {
        mem_box *b = &hub->box[i];
        for (int j = 1; j <= hub->n; j++) {
            mem_frame *f = b->head[j];
            while (f) {
                mem_frame *nx = f->next;
                net_frame_free(f->buf, f->len);
                free(f);
                f = nx;
            }
        }
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
    }
    free(hub);
    *pp = NULL;
}

static net_hub *s_hub(const net *nw)
{
    return nw->tp;
}

static int s_mem_send(net *nw, int peer, uint8_t *frame, size_t len)
{
#ifdef MPC_TEST_ADVERSARY
    mpc_adv_frame(nw->me, peer, frame, len);
#endif
    mem_frame *f = xmalloc(sizeof *f);
    f->next = NULL;
    f->buf = frame;
    f->len = len;
    mem_box *b = &s_hub(nw)->box[peer];
    pthread_mutex_lock(&b->mu);
    if (b->tail[nw->me]) b->tail[nw->me]->next = f;
    else b->head[nw->me] = f;
    b->tail[nw->me] = f;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

static int s_mem_recv(net *nw, int timeout_ms, int *from, net_frame *out)
{
    mem_box *b = &s_hub(nw)->box[nw->me];
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    out->data = NULL;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        for (int k = 0; k < nw->n; k++) {
            int j = (b->rr - 1 + k) % nw->n + 1;
            mem_frame *f = b->head[j];
            if (!f) continue;
            b->head[j] = f->next;
            if (!b->head[j]) b->tail[j] = NULL;
            b->rr = j % nw->n + 1;
            pthread_mutex_unlock(&b->mu);
            *from = j;
            *out = (net_frame){ .data = f->buf, .len = f->len, .owner = NULL };
            free(f);
            return 0;
        }
        if (pthread_cond_timedwait(&b->cv, &b->mu, &dl) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&b->mu);
    return 0;
}

static void s_mem_describe(const net *nw, int peer, char *buf, size_t len)
{
    (void)nw;
    (void)peer;
    if (len) buf[0] = '\0';
}

static void s_mem_close(net *nw)
{
    mem_box *b = &s_hub(nw)->box[nw->me];
    pthread_mutex_lock(&b->mu);
    b->attached = 0;
    pthread_mutex_unlock(&b->mu);
}

/* No release: hub frames are plain malloc'd blocks (owner NULL). */
static const net_ops s_mem_ops = { s_mem_send, s_mem_recv, s_mem_describe, NULL, s_mem_close };

net *net_mem_new(net_hub *hub, int me, const uint8_t sid[MPC_SID_LEN], int timeout_ms)
{
    if (!hub || !sid || me < 1 || me > hub->n || timeout_ms <= 0) return NULL;
    mem_box *b = &hub->box[me];
    pthread_mutex_lock(&b->mu);
    int busy = b->attached;
    b->attached = 1;
    pthread_mutex_unlock(&b->mu);
    if (busy) return NULL;
    return net_core_new(&s_mem_ops, hub, hub->n, me, sid, timeout_ms);
}
