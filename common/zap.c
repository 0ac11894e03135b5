/* zap: RFC 27 handler thread with fixed per-domain key tables, and CURVE socket
 * setup. The handler owns a REP socket on inproc://zeromq.zap.01 and a PAIR
 * control pipe; zap_free signals the pipe and joins the thread. */
#include "common/zap.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zmq.h>
#include "common/log.h"
#include "common/xalloc.h"

#define ZAP_MAX_PARTS 16   /* a request has 7 for CURVE; more is malformed */

typedef struct zap_entry {
    char domain[ZAP_DOMAIN_MAX + 1];
    char user_id[ZAP_USER_ID_MAX + 1];
    uint8_t pk[32];
} zap_entry;

struct zap {
    zap_entry *tab;
    size_t count, cap;
    void *rep;            /* ZAP socket, owned by the thread once started */
    void *ctl_in;         /* control pipe, thread end */
    void *ctl_out;        /* control pipe, caller end */
    pthread_t thread;
    int started;
    _Atomic uint64_t allowed, refused;
};

zap *zap_new(void)
{
    zap *z = xcalloc(1, sizeof *z);
    atomic_init(&z->allowed, 0);
    atomic_init(&z->refused, 0);
    return z;
}

static int s_name_ok(const char *s, size_t max)
{
    if (!s) return 0;
    size_t n = strlen(s);
    return n >= 1 && n <= max;
}

int zap_add(zap *z, const char *domain, const uint8_t pk[32], const char *user_id)
{
    if (!z || !pk || !s_name_ok(domain, ZAP_DOMAIN_MAX) || !s_name_ok(user_id, ZAP_USER_ID_MAX))
        return ERR_ARG;
    if (z->started) return ERR_STATE;
    for (size_t i = 0; i < z->count; i++)
        if (strcmp(z->tab[i].domain, domain) == 0 && sodium_memcmp(z->tab[i].pk, pk, 32) == 0)
            return ERR_ARG;
    if (z->count == z->cap) {
        size_t cap = z->cap ? 2 * z->cap : 16;
        z->tab = xrealloc(z->tab, cap * sizeof *z->tab);
        z->cap = cap;
    }
    zap_entry *e = &z->tab[z->count++];
    memset(e, 0, sizeof *e);
    memcpy(e->domain, domain, strlen(domain));
    memcpy(e->user_id, user_id, strlen(user_id));
    memcpy(e->pk, pk, 32);
    return 0;
}

/* Is part p (a zmq_msg_t) exactly the string s? */
static int s_part_is(zmq_msg_t *p, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(p) == n && memcmp(zmq_msg_data(p), s, n) == 0;
}

/* Entries sorted by (domain, key) at start: a roll of 10^5 voters is looked up
 * in 17 comparisons. Public keys are public, so memcmp's early exit is fine. */
static int s_entry_cmp(const void *a, const void *b)
{
    const zap_entry *x = a, *y = b;
    int c = strcmp(x->domain, y->domain);
    return c ? c : memcmp(x->pk, y->pk, 32);
}

static const zap_entry *s_lookup(const zap *z, zmq_msg_t *domain, zmq_msg_t *key)
{
    if (zmq_msg_size(key) != 32 || zmq_msg_size(domain) > ZAP_DOMAIN_MAX) return NULL;
    zap_entry probe;
    memset(&probe, 0, sizeof probe);
    memcpy(probe.domain, zmq_msg_data(domain), zmq_msg_size(domain));
    if (strlen(probe.domain) != zmq_msg_size(domain)) return NULL;   /* embedded NUL */
    memcpy(probe.pk, zmq_msg_data(key), 32);
    return bsearch(&probe, z->tab, z->count, sizeof *z->tab, s_entry_cmp);
}

/* Answer one request on the REP socket (RFC 27 section "Request/Reply"). */
static void s_handle(zap *z)
{
    zmq_msg_t parts[ZAP_MAX_PARTS];
    int nparts = 0, more = 1, overflow = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->rep, 0) < 0) {
            zmq_msg_close(&m);
            for (int i = 0; i < nparts; i++) zmq_msg_close(&parts[i]);
            return;   /* ETERM or a broken request: REP drops it */
        }
        more = zmq_msg_more(&m);
        if (nparts < ZAP_MAX_PARTS) parts[nparts++] = m;
        else {
            overflow = 1;
            zmq_msg_close(&m);
        }
    }

    const char *status = "500", *text = "malformed ZAP request";
    const char *user_id = "";
    int ok = 0;
    /* version, request id, domain, address, routing id, mechanism, credentials */
    if (!overflow && nparts >= 6 && s_part_is(&parts[0], "1.0")) {
        status = "400";
        text = "unknown key";
        if (!s_part_is(&parts[5], "CURVE") || nparts != 7) {
            text = "only CURVE is accepted";
        } else {
            const zap_entry *e = s_lookup(z, &parts[2], &parts[6]);
            if (e) {
                status = "200";
                text = "OK";
                user_id = e->user_id;
                ok = 1;
            }
        }
    }
    if (ok) {
        atomic_fetch_add(&z->allowed, 1);
    } else {
        atomic_fetch_add(&z->refused, 1);
        char key[17] = "-";
        if (nparts >= 7 && zmq_msg_size(&parts[6]) == 32)
            sodium_bin2hex(key, sizeof key, zmq_msg_data(&parts[6]), 8);
        int dl = nparts >= 3 ? (int)zmq_msg_size(&parts[2]) : 0;
        int al = nparts >= 4 ? (int)zmq_msg_size(&parts[3]) : 0;
        log_msg(LOG_WARN, "zap: %s %s: key %s... domain '%.*s' from %.*s", status, text,
                key, dl > ZAP_DOMAIN_MAX ? ZAP_DOMAIN_MAX : dl,
                dl ? (const char *)zmq_msg_data(&parts[2]) : "",
                al > 64 ? 64 : al, al ? (const char *)zmq_msg_data(&parts[3]) : "");
    }

    /* Reply: version, request id, status code, status text, user id, metadata. */
    const void *rid = nparts >= 2 ? zmq_msg_data(&parts[1]) : "";
    size_t rid_len = nparts >= 2 ? zmq_msg_size(&parts[1]) : 0;
    if (zmq_send(z->rep, "1.0", 3, ZMQ_SNDMORE) >= 0
        && zmq_send(z->rep, rid, rid_len, ZMQ_SNDMORE) >= 0
        && zmq_send(z->rep, status, 3, ZMQ_SNDMORE) >= 0
        && zmq_send(z->rep, text, strlen(text), ZMQ_SNDMORE) >= 0
        && zmq_send(z->rep, user_id, strlen(user_id), ZMQ_SNDMORE) >= 0)
        (void)zmq_send(z->rep, "", 0, 0);
    for (int i = 0; i < nparts; i++) zmq_msg_close(&parts[i]);
}

static void *s_thread(void *arg)
{
    zap *z = arg;
    for (;;) {
        zmq_pollitem_t it[2] = {
            { z->rep, 0, ZMQ_POLLIN, 0 },
            { z->ctl_in, 0, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll(it, 2, -1) < 0) {
            if (zmq_errno() == EINTR) continue;
            break;   /* ETERM: the context is going away */
        }
        if (it[1].revents & ZMQ_POLLIN) break;
        if (it[0].revents & ZMQ_POLLIN) s_handle(z);
    }
    zmq_close(z->rep);
    zmq_close(z->ctl_in);
    z->rep = z->ctl_in = NULL;
    return NULL;
}

static void *s_socket(void *zctx, int type)
{
    void *s = zmq_socket(zctx, type);
    if (!s) return NULL;
    int linger = 0;
    (void)zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    return s;
}

int zap_start(zap *z, void *zctx)
{
    if (!z || !zctx) return ERR_ARG;
    if (z->started) return ERR_STATE;
    if (z->count) qsort(z->tab, z->count, sizeof *z->tab, s_entry_cmp);
    char ctl[64];
    snprintf(ctl, sizeof ctl, "inproc://mpc-zap-ctl-%p", (void *)z);
    int rc = ERR_IO;
    z->rep = s_socket(zctx, ZMQ_REP);
    z->ctl_in = s_socket(zctx, ZMQ_PAIR);
    z->ctl_out = s_socket(zctx, ZMQ_PAIR);
    if (!z->rep || !z->ctl_in || !z->ctl_out) goto out;
    if (zmq_bind(z->rep, ZAP_ENDPOINT) != 0) {
        rc = zmq_errno() == EADDRINUSE ? ERR_STATE : ERR_IO;
        goto out;
    }
    if (zmq_bind(z->ctl_in, ctl) != 0 || zmq_connect(z->ctl_out, ctl) != 0) goto out;
    if (pthread_create(&z->thread, NULL, s_thread, z) != 0) goto out;
    z->started = 1;
    return 0;
out:
    if (z->rep) zmq_close(z->rep);
    if (z->ctl_in) zmq_close(z->ctl_in);
    if (z->ctl_out) zmq_close(z->ctl_out);
    z->rep = z->ctl_in = z->ctl_out = NULL;
    return rc;
}

void zap_free(zap **pp)
{
    if (!pp || !*pp) return;
    zap *z = *pp;
    if (z->started) {
        /* If the context is already terminating, the thread exits on ETERM. */
        (void)zmq_send(z->ctl_out, "", 0, ZMQ_DONTWAIT);
        pthread_join(z->thread, NULL);
        zmq_close(z->ctl_out);
    }
    free(z->tab);
    free(z);
    *pp = NULL;
}

void zap_stats(const zap *z, uint64_t *allowed, uint64_t *refused)
{
    zap *m = (zap *)z;   /* atomic_load wants a non-const object in C11 */
    if (allowed) *allowed = atomic_load(&m->allowed);
    if (refused) *refused = atomic_load(&m->refused);
}

static int s_curve_ok(void *sock, int64_t maxmsgsize)
{
    if (!zmq_has("curve")) return ERR_CRYPTO;
    if (!sock || maxmsgsize <= 0) return ERR_ARG;
    return 0;
}

int zap_curve_server(void *sock, const uint8_t sk[32], const char *domain, int64_t maxmsgsize)
{
    int rc = s_curve_ok(sock, maxmsgsize);
    if (rc != 0) return rc;
    if (!sk || (domain && !s_name_ok(domain, ZAP_DOMAIN_MAX))) return ERR_ARG;
    int one = 1;
    if (domain && (zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0 ||
                   zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0))
        return ERR_IO;
    if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsgsize, sizeof maxmsgsize) != 0
        || zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0
        || zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sk, 32) != 0)
        return ERR_IO;
    return 0;
}

int zap_curve_client(void *sock, const uint8_t server_pk[32], const uint8_t sk[32],
                     int64_t maxmsgsize)
{
    int rc = s_curve_ok(sock, maxmsgsize);
    if (rc != 0) return rc;
    if (!server_pk || !sk) return ERR_ARG;
    uint8_t pk[32];
    if (crypto_scalarmult_base(pk, sk) != 0) return ERR_ARG;
    if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsgsize, sizeof maxmsgsize) != 0
        || zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pk, 32) != 0
        || zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pk, 32) != 0
        || zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sk, 32) != 0)
        return ERR_IO;
    return 0;
}
