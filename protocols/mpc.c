/* mpc: context set-up (Shamir tables, key setup), the round primitive, the
 * degree-t and masked degree-2t openings, and the joint coin. */
#include "protocols/mpc_impl.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/keysetup.h"
#include "protocols/mul.h"
#include "protocols/verify.h"
#include "protocols/gf2_verify.h"

static void s_verr(mpc *M, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Formats through a copy, so the arguments may include M->err itself. */
static void s_verr(mpc *M, const char *fmt, va_list ap)
{
    char msg[sizeof M->err];
    vsnprintf(msg, sizeof msg, fmt, ap);
    memcpy(M->err, msg, sizeof msg);
}

static void s_err(mpc *M, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void s_err(mpc *M, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verr(M, fmt, ap);
    va_end(ap);
}

int mpc_fail(mpc *M, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_verr(M, fmt, ap);
    va_end(ap);
    return rc;
}

int mpc_init(mpc *M, const field *F, int n, int t, net *nw)
{
    int rc = 0;

    memset(M, 0, sizeof *M);
    if (!F || !nw || n < 1 || n > MPC_MAX_SERVERS || n > MPC_MAX_SERVERS || t < 0 ||
        2 * t >= n || net_n(nw) != n || net_me(nw) < 1 || net_me(nw) > n) {
        s_err(M, "mpc_init: bad arguments");
        return ERR_ARG;
    }
    if (__builtin_popcount(net_live(nw)) < 2 * t + 1) {
        s_err(M, "mpc_init: %d of %d servers take part; %d are needed", __builtin_popcount(net_live(nw)),
              n, 2 * t + 1);
        return ERR_ARG;
    }
    M->live = net_live(nw);
    M->nlive = __builtin_popcount(M->live);
    M->F = F;
    M->n = n;
    M->t = t;
    M->me = net_me(nw);
    M->nw = nw;
    M->kappa = MPC_KAPPA;
    M->security = MPC_MALICIOUS;
    M->sh = shamir_new(F, n, t);
    M->ps = prss_new(F, n, t, M->me);
    M->pairkey = sodium_malloc((size_t)n * 32);
    if (!M->sh || !M->ps || !M->pairkey) {
        s_err(M, "mpc_init: out of memory");
        rc = ERR_NOMEM;
        goto out;
    }
    sodium_memzero(M->pairkey, (size_t)n * 32);

    /* The PRSS and pairwise keys, each derived from all its holders'
     * contributions and confirmed (keysetup.h, 3 rounds). No session id here:
     * the transport binds every message to it. */
    rc = keysetup_run(nw, M->ps, M->pairkey, NULL, &M->step, &M->rounds, M->err, sizeof M->err);
    if (rc) s_err(M, "mpc_init: %s", M->err);
out:
    if (rc) {
        char keep[sizeof M->err];
        memcpy(keep, M->err, sizeof keep);
        mpc_clear(M);
        memcpy(M->err, keep, sizeof keep);
    }
    return rc;
}

void mpc_clear(mpc *M)
{
    if (!M) return;
    verify_free(M);
    gf2v_free(M);
    mul_tables_free(M);
    shamir_free(&M->sh);
    prss_free(&M->ps);
    if (M->pairkey) sodium_free(M->pairkey);
    secmem_free(M->bitpool, M->bitpool_cap * sizeof(fe));
    secmem_free(M->wbuf, M->wbuf_cap);
    for (int i = 0; i < M->nchunks; i++)
        secmem_free(M->chunks[i].mem, M->chunks[i].cap * sizeof(fe));
    free(M->chunks);
    memset(M, 0, sizeof *M);
}

mpc *mpc_create(const field *F, int n, int t, int kappa, net *nw, char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    if (kappa > MPC_KAPPA_MAX) {
        if (err && errlen) snprintf(err, errlen, "mpc_create: kappa %d above %d", kappa, MPC_KAPPA_MAX);
        return NULL;
    }
    mpc *M = xcalloc(1, sizeof *M);
    if (mpc_init(M, F, n, t, nw) != 0) {
        if (err && errlen) snprintf(err, errlen, "%s", M->err);
        free(M);   /* mpc_init cleared it */
        return NULL;
    }
    if (kappa > 0) M->kappa = kappa;
    return M;
}

void mpc_destroy(mpc **M)
{
    if (!M || !*M) return;
    mpc_clear(*M);
    free(*M);
    *M = NULL;
}

const char *mpc_errmsg(const mpc *M)
{
    return M->err[0] ? M->err : "no error";
}

unsigned mpc_live(const mpc *M)
{
    return M->live;
}

unsigned mpc_first_live(const mpc *M, int k)
{
    unsigned set = 0;
    for (int j = 1; j <= M->n && k > 0; j++)
        if (M->live >> (j - 1) & 1u) {
            set |= 1u << (j - 1);
            k--;
        }
    return set;
}

int mpc_n(const mpc *M)
{
    return M->n;
}

int mpc_t(const mpc *M)
{
    return M->t;
}

int mpc_me(const mpc *M)
{
    return M->me;
}

const field *mpc_field(const mpc *M)
{
    return M->F;
}

int mpc_kappa(const mpc *M)
{
    return M->kappa;
}

void mpc_set_security(mpc *M, int mode)
{
    assert(mode == MPC_SEMI_HONEST || mode == MPC_MALICIOUS);
    M->security = mode;
}

int mpc_security(const mpc *M)
{
    return M->security;
}

uint64_t mpc_opened(const mpc *M)
{
    return M->opened;
}

#ifdef MPC_TEST_ADVERSARY
void mpc_adv_engine_set(mpc *M, const mpc_adv *a)
{
    M->adv = *a;
    M->adv.seen = 0;
    M->adv.fired = 0;
}
#endif

void mpc_stats(const mpc *M, uint64_t *rounds, uint64_t *elems, uint64_t *bytes)
{
    if (rounds) *rounds = M->rounds;
    if (elems) *elems = M->elems_sent;
    if (bytes) {
        uint64_t msgs = 0, b = 0;
        if (M->nw) net_stats(M->nw, &msgs, &b);
        *bytes = b;
    }
}

/* ---- scratch arena -------------------------------------------------------- */

#define MPC_CHUNK_MIN ((size_t)1 << 20)   /* elements (16 MiB) */
#define MPC_MARK_SHIFT 48
#define MPC_HUGE ((size_t)2 << 20)         /* transparent huge page size */

/* A chunk of cap elements, 2 MiB aligned and marked for transparent huge pages:
 * first touch then costs one fault per 2 MiB instead of one per 4 KiB (faults
 * dominated the first run of every large operation in measurements). */
static fe *s_chunk_new(size_t *cap)
{
    size_t bytes = (*cap * sizeof(fe) + MPC_HUGE - 1) / MPC_HUGE * MPC_HUGE;
    void *p = aligned_alloc(MPC_HUGE, bytes);
    if (!p) abort();
    (void)madvise(p, bytes, MADV_HUGEPAGE);
    *cap = bytes / sizeof(fe);
    return p;
}

size_t mpc_mark(const mpc *M)
{
    if (M->nchunks == 0) return 0;
    return ((size_t)M->cur << MPC_MARK_SHIFT) | M->chunks[M->cur].used;
}

void mpc_release(mpc *M, size_t mark)
{
    if (M->nchunks == 0) return;
    int idx = (int)(mark >> MPC_MARK_SHIFT);
    for (int i = idx + 1; i < M->nchunks; i++) M->chunks[i].used = 0;
    M->chunks[idx].used = mark & (((size_t)1 << MPC_MARK_SHIFT) - 1);
    M->cur = idx;
}

fe *mpc_alloc(mpc *M, size_t n)
{
    if (n == 0) n = 1;
    if (M->nchunks > 0) {
        mpc_chunk *c = &M->chunks[M->cur];
        if (c->cap - c->used >= n) {
            fe *p = c->mem + c->used;
            c->used += n;
            return p;
        }
        /* chunks after cur are empty: take the first one large enough */
        for (int j = M->cur + 1; j < M->nchunks; j++) {
            if (M->chunks[j].cap >= n) {
                M->cur = j;
                M->chunks[j].used = n;
                return M->chunks[j].mem;
            }
        }
    }
    mpc_chunk *nc = xrealloc(M->chunks, (size_t)(M->nchunks + 1) * sizeof *nc);
    M->chunks = nc;
    size_t cap = n > MPC_CHUNK_MIN ? n : MPC_CHUNK_MIN;
    fe *mem = s_chunk_new(&cap);
    nc[M->nchunks] = (mpc_chunk){ .mem = mem, .cap = cap, .used = n };
    /* keep the stack order: the new chunk goes last, empty chunks before it
     * that were too small stay unused until released */
    for (int j = M->cur + 1; j < M->nchunks; j++) M->chunks[j].used = 0;
    M->cur = M->nchunks++;
    return nc[M->cur].mem;
}

/* ---- wire format ---------------------------------------------------------- */

void mpc_encode(const field *F, uint8_t *out, const fe *v, size_t m)
{
    size_t w = F->bytes;
    for (size_t i = 0; i < m; i++) mpc_put(F, out + i * w, v[i]);
}

int mpc_decode(const field *F, fe *out, size_t m, const uint8_t *in, size_t len)
{
    size_t w = F->bytes;
    if (m != 0 && len / m != w) return ERR_PARSE;
    if (len != m * w) return ERR_PARSE;
    for (size_t i = 0; i < m; i++)
        if (mpc_get(F, in + i * w, &out[i])) return ERR_RANGE;
    return 0;
}

void mpc_prg_fe(const field *F, prg *g, fe *out, size_t m)
{
    uint8_t buf[2048];
    size_t w = F->bytes, per = sizeof buf / w, i = 0;
    fe mask = F->bits >= 128 ? ~(fe)0 : (((fe)1) << F->bits) - 1;
    while (i < m) {
        size_t want = m - i < per ? m - i : per;
        prg_bytes(g, buf, want * w);
        for (size_t j = 0; j < want; j++) {
            fe v = 0;
            memcpy(&v, buf + j * w, w);   /* little-endian host: low bytes first */
            v &= mask;
            if (v < F->p) out[i++] = v;   /* rejection keeps it exactly uniform */
        }
    }
    sodium_memzero(buf, sizeof buf);
}

/* ---- rounds --------------------------------------------------------------- */

static uint8_t *s_wbuf(mpc *M, size_t len)
{
    if (len > M->wbuf_cap) {
        secmem_free(M->wbuf, M->wbuf_cap);
        size_t cap = (len + sizeof(fe) - 1) / sizeof(fe);
        M->wbuf = (uint8_t *)s_chunk_new(&cap);   /* huge pages, as the arena */
        M->wbuf_cap = cap * sizeof(fe);
    }
    return M->wbuf;
}

uint64_t mpc_step(mpc *M)
{
    M->rounds++;
    return M->step++;
}

uint8_t *mpc_wire(mpc *M, size_t len)
{
    return s_wbuf(M, len);
}

int mpc_send_raw(mpc *M, int peer, uint8_t type, uint64_t step, const uint8_t *buf,
                 size_t len, size_t nelem)
{
    int rc = net_send(M->nw, peer, type, step, len ? buf : NULL, len);
    if (rc) {
        s_err(M, "round %llu: send to S%d: %s", (unsigned long long)step, peer,
              net_errmsg(M->nw));
        return rc;
    }
    M->elems_sent += nelem;
    return 0;
}

int mpc_recv_raw(mpc *M, int peer, uint8_t type, uint64_t step, uint8_t **payload, size_t *len)
{
    int rc = net_recv(M->nw, peer, type, step, payload, len);
    if (rc) {
        *payload = NULL;
        s_err(M, "round %llu: receive from S%d: %s", (unsigned long long)step, peer,
              net_errmsg(M->nw));
    }
    return rc;
}

int mpc_round_send(mpc *M, uint8_t type, uint64_t *step, const fe *const *send,
                   const size_t *slen)
{
    const field *F = M->F;
    *step = mpc_step(M);
    for (int j = 1; j <= M->n; j++) {
        if (!mpc_peer(M, j) || !send[j - 1]) continue;
        size_t len = slen[j - 1] * F->bytes;
        uint8_t *b = s_wbuf(M, len);
        mpc_encode(F, b, send[j - 1], slen[j - 1]);
        int rc = mpc_send_raw(M, j, type, *step, b, len, slen[j - 1]);
        sodium_memzero(b, len);
        if (rc) return rc;
    }
    return 0;
}

int mpc_round_recv(mpc *M, uint8_t type, uint64_t step, fe *const *recv,
                   const size_t *rlen)
{
    for (int j = 1; j <= M->n; j++) {
        if (!mpc_peer(M, j) || !recv[j - 1]) continue;
        uint8_t *pl = NULL;
        size_t len = 0;
        int rc = mpc_recv_raw(M, j, type, step, &pl, &len);
        if (rc) return rc;
        rc = mpc_decode(M->F, recv[j - 1], rlen[j - 1], pl, len);
        if (pl) sodium_memzero(pl, len);
        free(pl);
        if (rc) {
            s_err(M, "round %llu: malformed payload from S%d (%zu bytes, %zu elements expected)",
                  (unsigned long long)step, j, len, rlen[j - 1]);
            return rc;
        }
    }
    return 0;
}

int mpc_round(mpc *M, uint8_t type, const fe *const *send, const size_t *slen,
              fe *const *recv, const size_t *rlen)
{
    uint64_t step;
    int rc = mpc_round_send(M, type, &step, send, slen);
    return rc ? rc : mpc_round_recv(M, type, step, recv, rlen);
}

/* ---- openings ------------------------------------------------------------- */

/* Exchange x with every peer: rows[i-1] = party i's m shares (rows[me-1] = x;
 * NULL for a party not taking part). */
static int s_exchange_all(mpc *M, uint8_t type, fe *all, const fe **rows, const fe *x, size_t m)
{
    const fe *send[MPC_MAX_SERVERS];
    size_t len[MPC_MAX_SERVERS];
    fe *recv[MPC_MAX_SERVERS];
    for (int j = 1; j <= M->n; j++) {
        send[j - 1] = x;
        len[j - 1] = m;
        recv[j - 1] = all + (size_t)(j - 1) * m;
        rows[j - 1] = j == M->me ? x : mpc_peer(M, j) ? recv[j - 1] : NULL;
    }
    return mpc_round(M, type, send, len, recv, len);
}

#ifdef MPC_TEST_ADVERSARY
/* Test-only deviation hit for class cls at this call: 1 when it fires now. */
static int s_adv_hit(mpc *M, int cls)
{
    if (M->adv.cls != cls || M->adv.fired) return 0;
    if (M->adv.seen++ != M->adv.site) return 0;
    M->adv.fired = 1;
    return 1;
}
#define S_ADV_HIT(M, c_) ((M)->adv.cls == (c_) && s_adv_hit((M), (c_)))
#endif

/* The refusal after a failed verification: nothing is opened any more. */
static int s_dead(mpc *M)
{
    return mpc_fail(M, ERR_CHEAT, "multiplication check failed: a server deviated "
                                  "(opening refused)");
}

static int s_open(mpc *M, fe *out, uint8_t *bad, const fe *x, size_t m, int flags)
{
    int n = M->n, t = M->t, rc;
    if (M->dead) return s_dead(M);
    if (M->security == MPC_MALICIOUS && !(flags & MPC_OPEN_NV) && mpc_pending(M) &&
        (rc = mpc_verify(M)) != 0)
        return rc;
    size_t mark = mpc_mark(M);
    fe *all = mpc_alloc(M, (size_t)n * m);
    const fe *rows[MPC_MAX_SERVERS];
    if (!(flags & MPC_OPEN_NV)) M->opened++;   /* a value, not a coin or input check */
#ifdef MPC_TEST_ADVERSARY
    if (S_ADV_HIT(M, MPC_ADV_OPEN_SHARE)) {
        fe *mine = mpc_alloc(M, m);   /* test-only: a wrong share to everyone */
        memcpy(mine, x, m * sizeof(fe));
        for (size_t e = 0; e < m; e++)
            if (M->adv.elem == SIZE_MAX || M->adv.elem == e)
                mine[e] = fe_add(M->F, mine[e], M->adv.delta);
        x = mine;
    }
#endif
    rc = s_exchange_all(M, MPC_MSG_OPEN, all, rows, x, m);
    if (rc) goto out;
    if (M->nlive > t + 1) {
        int crc = shamir_check_set(M->sh, rows, M->live, t, m, bad);
        if (crc && !bad) {
            s_err(M, "open: shares of %zu values do not fit degree %d", m, t);
            rc = ERR_CHEAT;
            goto out;
        }
    } else if (bad) {
        memset(bad, 0, m);
    }
    rc = shamir_reconstruct(M->sh, out, rows, mpc_first_live(M, t + 1), t, m);
    if (rc) s_err(M, "open: reconstruction failed");
    else if (M->security == MPC_MALICIOUS) verify_hash_public(M, out, m);
out:
    mpc_release(M, mark);
    return rc;
}

int mpc_open(mpc *M, fe *out, const fe *x, size_t m)
{
    return s_open(M, out, NULL, x, m, 0);
}

int mpc_open_ex(mpc *M, fe *out, const fe *x, size_t m, int flags)
{
    return s_open(M, out, NULL, x, m, flags);
}

int mpc_open_check(mpc *M, fe *out, uint8_t *bad, const fe *x, size_t m)
{
    return s_open(M, out, bad, x, m, MPC_OPEN_NV);
}

#ifdef MPC_TEST_ADVERSARY
/* Test-only rushing server: wait for everyone's shares of the masked degree-2t
 * values, then send the share that moves the reconstruction where the test
 * wants it (element adv.elem, or all). Honest servers send before receiving,
 * so this cannot deadlock. */
static int s_exchange_rush(mpc *M, fe *all, const fe **rows, fe *mine, size_t m)
{
    const field *F = M->F;
    int n = M->n, t = M->t, me = M->me, rc;
    uint64_t step = mpc_step(M);
    fe *recv[MPC_MAX_SERVERS];
    size_t len[MPC_MAX_SERVERS];
    unsigned first = mpc_first_live(M, 2 * t + 1);
    for (int j = 1; j <= n; j++) {
        recv[j - 1] = mpc_peer(M, j) ? all + (size_t)(j - 1) * m : NULL;
        len[j - 1] = m;
        rows[j - 1] = j == me ? mine : recv[j - 1];
    }
    if ((rc = mpc_round_recv(M, MPC_MSG_OPEN2T, step, recv, len)) != 0) return rc;
    fe *honest = mpc_alloc(M, m);
    memcpy(honest, mine, m * sizeof(fe));
    if (first >> (me - 1) & 1u) {
        fe lam = 1, *s = all + (size_t)(me - 1) * m;   /* my row is free: scratch */
        for (int j = 1; j <= n; j++)
            if (j != me && (first >> (j - 1) & 1u))
                lam = fe_mul(F, lam, fe_mul(F, (fe)j, fe_inv(F, fe_from_i64(F, j - me))));
        if ((rc = shamir_reconstruct(M->sh, s, rows, first, 2 * t, m)) != 0)
            return rc;
        fe il = fe_inv(F, lam);
        for (size_t e = 0; e < m; e++) {
            if (M->adv.elem != SIZE_MAX && M->adv.elem != e) continue;
            fe want = M->adv.force ? M->adv.delta : fe_add(F, s[e], M->adv.delta);
            mine[e] = fe_add(F, mine[e], fe_mul(F, fe_sub(F, want, s[e]), il));
        }
    }
    uint8_t *b = mpc_wire(M, 2 * m * F->bytes), *h = b + m * F->bytes;
    mpc_encode(F, b, mine, m);
    mpc_encode(F, h, honest, m);
    for (int j = 1; j <= n && rc == 0; j++) {
        if (!mpc_peer(M, j)) continue;
        /* equivocation: the honest share to everyone but adv.peer */
        const uint8_t *out = M->adv.peer && j != M->adv.peer ? h : b;
        rc = mpc_send_raw(M, j, MPC_MSG_OPEN2T, step, out, m * F->bytes, m);
    }
    return rc;
}
#endif

/* The masked degree-2t opening (checked only when n > 2t+1). */
static int s_open_2t(mpc *M, fe *out, const fe *z, size_t m)
{
    int n = M->n, t = M->t, rc;
    const field *F = M->F;
    if (M->dead) return s_dead(M);
    size_t mark = mpc_mark(M);
    fe *mine = mpc_alloc(M, m), *all = mpc_alloc(M, (size_t)n * m);
    const fe *rows[MPC_MAX_SERVERS];
    prss_zero(M->ps, mine, m);
    field_vec_add(F, mine, mine, z, m);
    M->opened++;
#ifdef MPC_TEST_ADVERSARY
    if (S_ADV_HIT(M, MPC_ADV_OPEN2T_RUSH))
        rc = s_exchange_rush(M, all, rows, mine, m);
    else
#endif
        rc = s_exchange_all(M, MPC_MSG_OPEN2T, all, rows, mine, m);
    if (rc) goto out;
    if (M->nlive > 2 * t + 1 && shamir_check_set(M->sh, rows, M->live, 2 * t, m, NULL)) {
        s_err(M, "open_2t: shares of %zu values do not fit degree %d", m, 2 * t);
        rc = ERR_CHEAT;
        goto out;
    }
    rc = shamir_reconstruct(M->sh, out, rows, mpc_first_live(M, 2 * t + 1), 2 * t, m);
    if (rc) s_err(M, "open_2t: reconstruction failed");
    else if (M->security == MPC_MALICIOUS) verify_hash_public(M, out, m);
out:
    mpc_release(M, mark);
    return rc;
}

int verify_open_2t(mpc *M, fe *out, const fe *z, size_t m, fe *lz)
{
    int rc = s_open_2t(M, out, z, m);
    if (rc == 0 && lz) memcpy(lz, out, m * sizeof(fe));
    return rc;
}

int mpc_open_2t(mpc *M, fe *out, const fe *z, size_t m)
{
    if (M->security == MPC_MALICIOUS)
        return mpc_fail(M, ERR_STATE, "open_2t: an unlogged degree-2t opening is refused "
                                      "in malicious mode");
    return s_open_2t(M, out, z, m);
}

/* Before opening a product of x and y in malicious mode: x and y must be
 * verified values (an unverified one could carry an inconsistency whose
 * product with an honest share the opening would reveal). */
static int s_prod_ready(mpc *M, int flags)
{
    if (M->security != MPC_MALICIOUS || (flags & MPC_OPEN_NV) || !mpc_pending(M)) return 0;
    return mpc_verify(M);
}

int mpc_open_prod_ex(mpc *M, fe *out, const fe *x, const fe *y, size_t m, int flags)
{
    int rc = s_prod_ready(M, flags);
    if (rc) return rc;
    size_t mark = mpc_mark(M);
    fe *z = mpc_alloc(M, m), *lx = NULL, *ly = NULL, *lz = NULL;
    if (M->security == MPC_MALICIOUS) {
        /* x and y copied before the opening: out may alias them */
        if ((rc = verify_log_mul(M, m, &lx, &ly, &lz)) != 0) goto out;
        memcpy(lx, x, m * sizeof(fe));
        memcpy(ly, y, m * sizeof(fe));
    }
    field_vec_mul(M->F, z, x, y, m);
    rc = s_open_2t(M, out, z, m);
    if (rc == 0 && lz) memcpy(lz, out, m * sizeof(fe));   /* the public value */
out:
    mpc_release(M, mark);
    return rc;
}

int mpc_open_prod(mpc *M, fe *out, const fe *x, const fe *y, size_t m)
{
    return mpc_open_prod_ex(M, out, x, y, m, 0);
}

int mpc_open_dot(mpc *M, fe *out, const fe *a, const fe *b, size_t len, int flags)
{
    const field *F = M->F;
    int rc = s_prod_ready(M, flags);
    if (rc) return rc;
    fe *la = NULL, *lb = NULL, *lz = NULL, z = 0;
    if (M->security == MPC_MALICIOUS) {
        if ((rc = verify_log_dot(M, len, &la, &lb, &lz)) != 0) return rc;
        memcpy(la, a, len * sizeof(fe));
        memcpy(lb, b, len * sizeof(fe));
    }
    for (size_t i = 0; i < len; i++) z = mpc_fadd(F, z, fe_mul(F, a[i], b[i]));
    rc = s_open_2t(M, &z, &z, 1);
    if (rc == 0) {
        *out = z;
        if (lz) *lz = z;
    }
    return rc;
}

void mpc_rand(mpc *M, fe *out, size_t m)
{
    prss_rand(M->ps, out, m);
}

int mpc_coin(mpc *M, uint8_t seed[32])
{
    fe r, v;
    uint8_t enc[16];
    mpc_rand(M, &r, 1);
    int rc = s_open(M, &v, NULL, &r, 1, MPC_OPEN_NV);
    if (rc) return rc;
    mpc_encode(M->F, enc, &v, 1);
    crypto_generichash(seed, 32, enc, M->F->bytes, (const uint8_t *)"mpc-coin", 8);
    return 0;
}
