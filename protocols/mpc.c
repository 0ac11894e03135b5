/* mpc: context set-up (PRSS and pairwise key dealing), the round primitive, the
 * degree-t and masked degree-2t openings, and the joint coin. */
#include "protocols/mpc_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/mul.h"

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

/* Lowest-indexed party outside group T (the dealer of k_T). */
static int s_dealer(unsigned T)
{
    return __builtin_ctz(~T) + 1;
}

/* Bytes of the key message from party `from` to party `to`. */
static size_t s_key_msg_len(const unsigned *groups, int ng, int from, int to)
{
    size_t len = from < to ? 32 : 0;   /* the pairwise key is drawn by the lower index */
    for (int g = 0; g < ng; g++) {
        unsigned T = groups[g];
        if (s_dealer(T) == from && !(T & (1u << (to - 1)))) len += 32;
    }
    return len;
}

/* The key exchange round of mpc_init. dealt[g*32] holds k_T for the groups I
 * deal. */
static int s_deal(mpc *M, const unsigned *groups, int ng, const uint8_t *dealt)
{
    int rc = 0, n = M->n, me = M->me;
    size_t cap = (size_t)(ng + 1) * 32;
    uint8_t *buf = sodium_malloc(cap);
    if (!buf) { s_err(M, "mpc_init: out of memory"); return ERR_NOMEM; }
    uint64_t step = M->step++;
    M->rounds++;
    for (int j = 1; j <= n && rc == 0; j++) {
        if (j == me) continue;
        size_t off = 0;
        if (me < j) { memcpy(buf, M->pairkey + (size_t)(j - 1) * 32, 32); off = 32; }
        for (int g = 0; g < ng; g++) {
            unsigned T = groups[g];
            if (s_dealer(T) != me || (T & (1u << (j - 1)))) continue;
            memcpy(buf + off, dealt + (size_t)g * 32, 32);
            off += 32;
        }
        rc = net_send(M->nw, j, MPC_MSG_KEYS, step, off ? buf : NULL, off);
        if (rc) s_err(M, "mpc_init: sending keys to S%d: %s", j, net_errmsg(M->nw));
    }
    for (int j = 1; j <= n && rc == 0; j++) {
        if (j == me) continue;
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = net_recv(M->nw, j, MPC_MSG_KEYS, step, &pl, &len);
        if (rc) {
            s_err(M, "mpc_init: keys from S%d: %s", j, net_errmsg(M->nw));
            break;
        }
        if (len != s_key_msg_len(groups, ng, j, me)) {
            s_err(M, "mpc_init: key message from S%d has %zu bytes", j, len);
            rc = ERR_PROTO;
        } else {
            size_t off = 0;
            if (j < me) { memcpy(M->pairkey + (size_t)(j - 1) * 32, pl, 32); off = 32; }
            for (int g = 0; g < ng && rc == 0; g++) {
                unsigned T = groups[g];
                if (s_dealer(T) != j || (T & (1u << (me - 1)))) continue;
                rc = prss_set_key(M->ps, T, pl + off);
                off += 32;
                if (rc) s_err(M, "mpc_init: key from S%d rejected", j);
            }
        }
        if (pl) sodium_memzero(pl, len);
        free(pl);
    }
    sodium_free(buf);
    return rc;
}

int mpc_init(mpc *M, const field *F, int n, int t, net *nw)
{
    int rc = 0;
    unsigned *groups = NULL;
    uint8_t *dealt = NULL;

    memset(M, 0, sizeof *M);
    if (!F || !nw || n < 1 || n > NET_MAX_PARTIES || n > SHAMIR_MAX_N || t < 0 ||
        2 * t >= n || net_n(nw) != n || net_me(nw) < 1 || net_me(nw) > n) {
        s_err(M, "mpc_init: bad arguments");
        return ERR_ARG;
    }
    M->F = F;
    M->n = n;
    M->t = t;
    M->me = net_me(nw);
    M->nw = nw;
    M->kappa = MPC_KAPPA;
    M->sh = shamir_new(F, n, t);
    M->ps = prss_new(F, n, t, M->me);
    M->pairkey = sodium_malloc((size_t)n * 32);
    if (!M->sh || !M->ps || !M->pairkey) {
        s_err(M, "mpc_init: out of memory");
        rc = ERR_NOMEM;
        goto out;
    }
    sodium_memzero(M->pairkey, (size_t)n * 32);

    int ng = prss_groups(M->ps, NULL);
    groups = xmalloc((size_t)ng * sizeof *groups);
    (void)prss_groups(M->ps, groups);
    dealt = sodium_malloc((size_t)ng * 32);
    if (!dealt) { s_err(M, "mpc_init: out of memory"); rc = ERR_NOMEM; goto out; }

    for (int g = 0; g < ng; g++) {
        if (s_dealer(groups[g]) != M->me) continue;
        randombytes_buf(dealt + (size_t)g * 32, 32);
        rc = prss_set_key(M->ps, groups[g], dealt + (size_t)g * 32);
        if (rc) { s_err(M, "mpc_init: prss_set_key failed"); goto out; }
    }
    for (int j = M->me + 1; j <= n; j++) randombytes_buf(M->pairkey + (size_t)(j - 1) * 32, 32);

    rc = s_deal(M, groups, ng, dealt);
    if (rc) goto out;
    if (!prss_ready(M->ps)) {
        s_err(M, "mpc_init: PRSS keys incomplete");
        rc = ERR_PROTO;
    }
out:
    if (dealt) sodium_free(dealt);
    free(groups);
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
        if (j == M->me || !send[j - 1]) continue;
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
        if (j == M->me || !recv[j - 1]) continue;
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

/* Exchange x with every peer: rows[i-1] = party i's m shares (rows[me-1] = x). */
static int s_exchange_all(mpc *M, uint8_t type, fe *all, const fe **rows, const fe *x, size_t m)
{
    const fe *send[NET_MAX_PARTIES];
    size_t len[NET_MAX_PARTIES];
    fe *recv[NET_MAX_PARTIES];
    for (int j = 1; j <= M->n; j++) {
        send[j - 1] = x;
        len[j - 1] = m;
        recv[j - 1] = all + (size_t)(j - 1) * m;
        rows[j - 1] = j == M->me ? x : recv[j - 1];
    }
    return mpc_round(M, type, send, len, recv, len);
}

static int s_open(mpc *M, fe *out, uint8_t *bad, const fe *x, size_t m)
{
    int n = M->n, t = M->t, rc;
    size_t mark = mpc_mark(M);
    fe *all = mpc_alloc(M, (size_t)n * m);
    const fe *rows[NET_MAX_PARTIES];
    rc = s_exchange_all(M, MPC_MSG_OPEN, all, rows, x, m);
    if (rc) goto out;
    if (n > t + 1) {
        int crc = shamir_check(M->sh, rows, t, m, bad);
        if (crc && !bad) {
            s_err(M, "open: shares of %zu values do not fit degree %d", m, t);
            rc = ERR_CHEAT;
            goto out;
        }
    } else if (bad) {
        memset(bad, 0, m);
    }
    rc = shamir_reconstruct(M->sh, out, rows, (1u << (t + 1)) - 1, t, m);
    if (rc) s_err(M, "open: reconstruction failed");
out:
    mpc_release(M, mark);
    return rc;
}

int mpc_open(mpc *M, fe *out, const fe *x, size_t m)
{
    return s_open(M, out, NULL, x, m);
}

int mpc_open_check(mpc *M, fe *out, uint8_t *bad, const fe *x, size_t m)
{
    return s_open(M, out, bad, x, m);
}

int mpc_open_2t(mpc *M, fe *out, const fe *z, size_t m)
{
    int n = M->n, t = M->t, rc;
    const field *F = M->F;
    size_t mark = mpc_mark(M);
    fe *mine = mpc_alloc(M, m), *all = mpc_alloc(M, (size_t)n * m);
    const fe *rows[NET_MAX_PARTIES];
    prss_zero(M->ps, mine, m);
    field_vec_add(F, mine, mine, z, m);
    rc = s_exchange_all(M, MPC_MSG_OPEN2T, all, rows, mine, m);
    if (rc) goto out;
    if (n > 2 * t + 1 && shamir_check(M->sh, rows, 2 * t, m, NULL)) {
        s_err(M, "open_2t: shares of %zu values do not fit degree %d", m, 2 * t);
        rc = ERR_CHEAT;
        goto out;
    }
    rc = shamir_reconstruct(M->sh, out, rows, (1u << (2 * t + 1)) - 1, 2 * t, m);
    if (rc) s_err(M, "open_2t: reconstruction failed");
out:
    mpc_release(M, mark);
    return rc;
}

int mpc_open_prod(mpc *M, fe *out, const fe *x, const fe *y, size_t m)
{
    size_t mark = mpc_mark(M);
    fe *z = mpc_alloc(M, m);
    field_vec_mul(M->F, z, x, y, m);
    int rc = mpc_open_2t(M, out, z, m);
    mpc_release(M, mark);
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
    int rc = mpc_open(M, &v, &r, 1);
    if (rc) return rc;
    mpc_encode(M->F, enc, &v, 1);
    crypto_generichash(seed, 32, enc, M->F->bytes, (const uint8_t *)"mpc-coin", 8);
    return 0;
}
