/* check: batched degree, bit, sum and small-range checks of client inputs, with
 * bisection to find the inconsistent inputs and PRSS-randomised per-entry
 * openings. */
#include "protocols/check.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/mpc_impl.h"
#include "protocols/mul.h"
#include "protocols/verify.h"

#define CHECK_DOMAIN_DEG  0x43440000u   /* "CD" | level */
#define CHECK_DOMAIN_BITS 0x43420000u   /* "CB" */
#define CHECK_DOMAIN_SUM  0x43530000u   /* "CS" */

/* Public coefficients of a random linear combination, streamed from the coin
 * (never a whole array: 10^6 ballots would need tens of MB just for them).
 * They are 64-bit: a non-zero combination vanishes with probability at most
 * 2^-64 (Schwartz-Zippel), and a 64-bit factor costs half a field product. */
typedef struct coefs {
    prg g;
    uint64_t buf[512];
    size_t pos;
    fe p;
} coefs;

static void s_coefs_init(coefs *c, const field *F, const uint8_t seed[32], uint32_t domain,
                         uint64_t level)
{
    prg_init(&c->g, seed, domain, level);
    c->pos = sizeof c->buf / sizeof c->buf[0];
    c->p = F->p;
}

static inline fe s_coef(coefs *c)
{
    if (c->pos == sizeof c->buf / sizeof c->buf[0]) {
        prg_bytes(&c->g, (uint8_t *)c->buf, sizeof c->buf);
        c->pos = 0;
    }
    fe v = c->buf[c->pos++];
    return v < c->p ? v : v % c->p;   /* only for primes below 2^64 */
}

static void s_coefs_wipe(coefs *c)
{
    prg_wipe(&c->g);
}

typedef struct seg {
    size_t lo, hi;    /* range [lo, hi) of positions in the active list */
} seg;

int check_degree(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad)
{
    const field *F = mpc_field(M);
    size_t na = 0;
    for (size_t i = 0; i < ninputs; i++) na += !bad[i];
    if (na == 0) return 0;
    /* the active inputs' indices: only built when some are flagged (no
     * pass over a million-entry list in the common case) */
    size_t *act = NULL;
    if (na < ninputs) {
        act = xmalloc(na * sizeof *act);
        for (size_t i = 0, k = 0; i < ninputs; i++)
            if (!bad[i]) act[k++] = i;
    }
    /* segments, masks and verdicts: at most na each, but only as many as the
     * level has are touched (and wiped): one while every input is consistent */
    seg *cur = xmalloc(na * sizeof *cur), *nxt = xmalloc(na * sizeof *nxt);
    fe *y = xmalloc(na * sizeof(fe)), *val = xmalloc(na * sizeof(fe));
    uint8_t *fail = xmalloc(na);
    uint8_t seed[32];
    size_t ncur = 1, most = 1;
    coefs cf;
    int rc = mpc_coin(M, seed);
    if (rc) goto out;
    cur[0] = (seg){ 0, na };
    for (uint64_t level = 0; ncur > 0; level++) {
        s_coefs_init(&cf, F, seed, CHECK_DOMAIN_DEG, level);
        mpc_rand(M, y, ncur);      /* fresh mask per segment */
        for (size_t q = 0; q < ncur; q++) {
            fe acc = y[q];
            for (size_t a = cur[q].lo; a < cur[q].hi; a++) {
                const fe *xi = x + (act ? act[a] : a) * m;
                for (size_t e = 0; e < m; e++) acc = mpc_fadd(F, acc, fe_mul(F, s_coef(&cf), xi[e]));
            }
            y[q] = acc;
        }
        s_coefs_wipe(&cf);
        rc = mpc_open_check(M, val, fail, y, ncur);
        if (rc) goto out;
        size_t nn = 0;
        for (size_t q = 0; q < ncur; q++) {
            if (!fail[q]) continue;
            if (cur[q].hi - cur[q].lo == 1) {
                bad[act ? act[cur[q].lo] : cur[q].lo] = 1;
                continue;
            }
            size_t mid = cur[q].lo + (cur[q].hi - cur[q].lo) / 2;
            nxt[nn++] = (seg){ cur[q].lo, mid };
            nxt[nn++] = (seg){ mid, cur[q].hi };
        }
        seg *tmp = cur;
        cur = nxt;
        nxt = tmp;
        ncur = nn;
        if (nn > most) most = nn;
    }
out:
    free(act);
    free(cur);
    free(nxt);
    secmem_free(y, most * sizeof(fe));
    free(val);
    free(fail);
    return rc;
}

/* The entries of the bit check in order from any position. Row i of an input not flagged (m
 * entries x_e, with_sum its sum S) contributes sum_e s_e x_e (x_e - 1) + s_S S (S - 1), written
 * as the inner product of a_e = x_e with b_e = s_e (x_e - 1) + s_S (S - 1) (S (S - 1) = sum_e
 * x_e (S - 1)): m entries per row, the same degree-2 value on the shares. Coefficients come 512
 * at a time, block j from the coin's stream with counter j (s_e by entry, s_S by row in a
 * second stream), so any position is reached without the stream before it (the four slices of
 * verify_stream). */
#define BITS_BLOCK 512

typedef struct bcur {
    prg g;
    uint64_t buf[BITS_BLOCK], rbuf[BITS_BLOCK];
    size_t blk, rblk;  /* blocks in buf and rbuf, SIZE_MAX for none */
    size_t k, i, e;    /* entry index, input, entry in its row */
    fe sm1;            /* s_S (S - 1) of the current row */
} bcur;

typedef struct bstream {
    const field *F;
    const fe *x;
    const uint8_t *bad, *seed;
    size_t ninputs, m, n, nbad;
    int with_sum;
    bcur cur[4];
} bstream;

static size_t s_next_active(const bstream *B, size_t i)
{
    while (i < B->ninputs && B->bad[i]) i++;
    return i;
}

static fe s_bcoef(bcur *C, const bstream *B, uint64_t *buf, size_t *have, uint32_t dom, size_t idx)
{
    size_t blk = idx / BITS_BLOCK;
    if (blk != *have) {
        prg_init(&C->g, B->seed, dom, blk);
        prg_bytes(&C->g, (uint8_t *)buf, BITS_BLOCK * sizeof *buf);
        *have = blk;
    }
    fe v = buf[idx % BITS_BLOCK];
    return v < B->F->p ? v : v % B->F->p;   /* only for primes below 2^64 */
}

/* s x for a coefficient s < 2^64: two partial products instead of four (Mersenne p; x s <
 * 2^191, two folds leave less than 2p). */
static inline fe s_mul_coef(const field *F, fe s, fe x)
{
    if (!F->mers) return fe_mul(F, s, x);
    fe p0 = (fe)(uint64_t)x * (uint64_t)s, p1 = (fe)(uint64_t)(x >> 64) * (uint64_t)s;
    fe lo = p0 + (p1 << 64), hi = (p1 >> 64) + (lo < p0);
    int m = F->mers;
    fe r = (lo & F->mask) + ((hi << (128 - m)) | (lo >> m));
    r = (r & F->mask) + (r >> m);
    return r >= F->p ? r - F->p : r;
}

/* Row state of the input under C (row q of the active ones). */
static void s_brow(bstream *B, bcur *C)
{
    const field *F = B->F;
    C->sm1 = 0;
    if (!B->with_sum || C->i >= B->ninputs) return;
    fe S = 0;
    for (size_t e = 0; e < B->m; e++) S = mpc_fadd(F, S, B->x[C->i * B->m + e]);
    fe sS = s_bcoef(C, B, C->rbuf, &C->rblk, CHECK_DOMAIN_BITS | 0x100u, C->k / B->m);
    C->sm1 = s_mul_coef(F, sS, mpc_fsub(F, S, 1));
}

static void s_bseek(void *ctx, int c, size_t pos)
{
    bstream *B = ctx;
    bcur *C = &B->cur[c];
    size_t q = pos / B->m, i = q;
    if (B->nbad)
        for (i = s_next_active(B, 0); q > 0 && i < B->ninputs; q--) i = s_next_active(B, i + 1);
    C->k = pos;
    C->i = i;
    C->e = pos % B->m;
    if (pos < B->n) s_brow(B, C);
}

static void s_bgen(void *ctx, int c, fe *a, fe *b, size_t cnt)
{
    bstream *B = ctx;
    const field *F = B->F;
    bcur *C = &B->cur[c];
    for (size_t j = 0; j < cnt; j++, C->k++) {
        if (C->k >= B->n) {
            a[j] = b[j] = 0;
            continue;
        }
        fe s = s_bcoef(C, B, C->buf, &C->blk, CHECK_DOMAIN_BITS, C->k);
        fe xv = B->x[C->i * B->m + C->e];
        a[j] = xv;
        b[j] = mpc_fadd(F, s_mul_coef(F, s, mpc_fsub(F, xv, 1)), C->sm1);
        if (++C->e == B->m) {
            C->e = 0;
            C->i = B->nbad ? s_next_active(B, C->i + 1) : C->i + 1;
            if (C->k + 1 < B->n) {
                C->k++;   /* the row's coefficient is indexed by the next entry */
                s_brow(B, C);
                C->k--;
            }
        }
    }
}

/* z = sum s_e x_e (x_e - 1) over the entries (and, with_sum, each row's sum)
 * of the inputs not flagged, opened. Semi-honest: the local degree-2t value
 * through the PRZS-masked opening. Malicious: the same opening, of the inner
 * product <s o x, x - 1>, logged as one relation with the public z, so a
 * rushed share forcing z (an invalid ballot accepted, a valid one rejected)
 * fails the verification that comes before any opening depending on it. Long
 * batches take the stream level (verify_open_dot_stream): only a quarter-length
 * fold of the entries is logged. x are client inputs: nothing pending needs
 * verifying before this opening. */
static int s_bits_z(mpc *M, fe *z, const fe *x, size_t ninputs, size_t m, int with_sum,
                    const uint8_t *bad, size_t na, const uint8_t seed[32])
{
    const field *F = mpc_field(M);
    int mal = mpc_security(M) == MPC_MALICIOUS, rc;
    bstream B = { .F = F, .x = x, .bad = bad, .seed = seed, .ninputs = ninputs, .m = m,
                  .with_sum = with_sum, .nbad = ninputs - na };
    B.n = na * m;
    for (int c = 0; c < 4; c++) B.cur[c].blk = B.cur[c].rblk = SIZE_MAX;
    if (mal && verify_stream_ok(F) && B.n >= 4 * BITS_BLOCK) {
        verify_stream S = { .n = B.n, .align = BITS_BLOCK, .seek = s_bseek, .gen = s_bgen, .ctx = &B };
        rc = verify_open_dot_stream(M, z, &S);
    } else {
        fe *a = NULL, *b = NULL, *lz = NULL, acc = 0, ta[64], tb[64];
        if (mal && (rc = verify_log_dot(M, B.n, &a, &b, &lz)) != 0) return rc;
        s_bseek(&B, 0, 0);
        for (size_t k = 0; k < B.n; k += 64) {
            size_t c = B.n - k < 64 ? B.n - k : 64;
            fe *pa = mal ? a + k : ta, *pb = mal ? b + k : tb;
            s_bgen(&B, 0, pa, pb, c);
            for (size_t j = 0; j < c; j++) acc = mpc_fadd(F, acc, fe_mul(F, pa[j], pb[j]));
        }
        /* sum s_e x_e (x_e - 1), PRZS-masked */
        rc = mal ? verify_open_2t(M, z, &acc, 1, lz) : mpc_open_2t(M, z, &acc, 1);
        sodium_memzero(ta, sizeof ta);
        sodium_memzero(tb, sizeof tb);
    }
    for (int c = 0; c < 4; c++) {
        prg_wipe(&B.cur[c].g);
        sodium_memzero(B.cur[c].buf, sizeof B.cur[c].buf);
        sodium_memzero(B.cur[c].rbuf, sizeof B.cur[c].rbuf);
        sodium_memzero(&B.cur[c].sm1, sizeof B.cur[c].sm1);
    }
    return rc;
}

/* Entries, plus (with_sum) each row's sum as one more entry, must be bits. */
static int s_bits(mpc *M, const fe *x, size_t ninputs, size_t m, int with_sum, uint8_t *bad)
{
    size_t na = 0;
    for (size_t i = 0; i < ninputs; i++) na += !bad[i];
    if (na == 0 || m == 0) return 0;
    uint8_t seed[32];
    int rc = mpc_coin(M, seed);
    if (rc) return rc;
    fe z;
    rc = s_bits_z(M, &z, x, ninputs, m, with_sum, bad, na, seed);
    if (rc || z == 0) return rc;
    const field *F = mpc_field(M);
    /* some entry is not a bit: find which, revealing nothing about valid ones */
    size_t w_ = m + (with_sum ? 1 : 0), nl = na * w_;
    fe *w = xmalloc(nl * sizeof(fe)), *xm1 = xmalloc(nl * sizeof(fe));
    fe *rho = xmalloc(nl * sizeof(fe)), *xs = xmalloc(nl * sizeof(fe));
    size_t k = 0;
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        fe sum = 0;
        for (size_t e = 0; e < w_; e++, k++) {
            xs[k] = e < m ? x[i * m + e] : sum;
            if (e < m) sum = mpc_fadd(F, sum, xs[k]);
            xm1[k] = mpc_fsub(F, xs[k], 1);
        }
    }
    rc = mpc_mul(M, w, xs, xm1, nl);
    if (rc) goto out;
    mpc_rand(M, rho, nl);
    /* w is a product: in malicious mode it is verified before it is opened */
    rc = mpc_open_prod(M, w, rho, w, nl);
    if (rc) goto out;
    k = 0;
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        uint8_t b = 0;
        for (size_t e = 0; e < w_; e++, k++) b |= w[k] != 0;
        bad[i] = b;
    }
out:
    secmem_free(w, nl * sizeof(fe));
    secmem_free(xm1, nl * sizeof(fe));
    secmem_free(rho, nl * sizeof(fe));
    secmem_free(xs, nl * sizeof(fe));
    return rc;
}

int check_bits(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad)
{
    return s_bits(M, x, ninputs, m, 0, bad);
}

int check_choice(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad)
{
    return s_bits(M, x, ninputs, m, 1, bad);
}

/* check_sum with the openings' flags: MPC_OPEN_NV when x is linear in client
 * inputs (check_sum's contract), 0 when x holds products (check_at_most), which
 * are then verified before anything depending on them is opened. */
static int s_sum(mpc *M, const fe *x, size_t ninputs, size_t m, fe c, uint8_t *bad, int flags)
{
    const field *F = mpc_field(M);
    size_t na = 0;
    for (size_t i = 0; i < ninputs; i++) na += !bad[i];
    if (na == 0) return 0;
    if (c >= F->p) return ERR_RANGE;
    /* fast path: one opening of sum_i s_i (sum_e x_ie - c) */
    uint8_t seed[32];
    int rc = mpc_coin(M, seed);
    if (rc) return rc;
    coefs cf;
    s_coefs_init(&cf, F, seed, CHECK_DOMAIN_SUM, 0);
    fe z = 0, negc = fe_neg(F, c);
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        fe acc = negc;
        for (size_t e = 0; e < m; e++) acc = mpc_fadd(F, acc, x[i * m + e]);
        z = mpc_fadd(F, z, fe_mul(F, s_coef(&cf), acc));
    }
    s_coefs_wipe(&cf);
    /* semi-honest: a degree-t value opened through the degree-2t path gets the
     * PRZS mask. Malicious: the checked degree-t opening (robust against a
     * rushed share; its shares reveal only the value too) */
    if (mpc_security(M) == MPC_MALICIOUS) rc = mpc_open_ex(M, &z, &z, 1, flags);
    else rc = mpc_open_2t(M, &z, &z, 1);
    if (rc || z == 0) return rc;
    fe *d = xmalloc(na * sizeof(fe)), *rho = xmalloc(na * sizeof(fe));
    size_t k = 0;
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        fe acc = negc;
        for (size_t e = 0; e < m; e++) acc = mpc_fadd(F, acc, x[i * m + e]);
        d[k++] = acc;
    }
    mpc_rand(M, rho, na);
    rc = mpc_open_prod_ex(M, d, rho, d, na, flags);
    if (rc == 0) {
        k = 0;
        for (size_t i = 0; i < ninputs; i++)
            if (!bad[i]) bad[i] = d[k++] != 0;
    }
    secmem_free(d, na * sizeof(fe));
    secmem_free(rho, na * sizeof(fe));
    return rc;
}

int check_sum(mpc *M, const fe *x, size_t ninputs, size_t m, fe c, uint8_t *bad)
{
    return s_sum(M, x, ninputs, m, c, bad, MPC_OPEN_NV);
}

/* f holds rows of w entries (f[r*w + j]); afterwards f[r] is the product of row
 * r's entries. Neighbours are multiplied pairwise, level by level, all rows in
 * one batch: ceil(log2 w) multiplication rounds. */
static int s_row_products(mpc *M, fe *f, size_t rows, size_t w)
{
    size_t cap = rows * (w / 2 ? w / 2 : 1);
    fe *a = xmalloc(cap * sizeof(fe)), *b = xmalloc(cap * sizeof(fe));
    int rc = 0;
    while (w > 1 && rc == 0) {
        size_t half = w / 2, nw = w - half;
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < half; j++) {
                a[r * half + j] = f[r * w + 2 * j];
                b[r * half + j] = f[r * w + 2 * j + 1];
            }
        rc = mpc_mul(M, a, a, b, rows * half);
        /* row r moves to f + r*nw: never past its own unread odd entry */
        for (size_t r = 0; rc == 0 && r < rows; r++) {
            fe odd = (w & 1) ? f[r * w + w - 1] : 0;
            memcpy(f + r * nw, a + r * half, half * sizeof(fe));
            if (w & 1) f[r * nw + half] = odd;
        }
        w = nw;
    }
    secmem_free(a, cap * sizeof(fe));
    secmem_free(b, cap * sizeof(fe));
    return rc;
}

int check_at_most(mpc *M, const fe *x, size_t ninputs, size_t m, int k, uint8_t *bad)
{
    const field *F = mpc_field(M);
    if (k < 0 || k > CHECK_MAX_K || (fe)k >= F->p) return ERR_ARG;
    size_t na = 0;
    for (size_t i = 0; i < ninputs; i++) na += !bad[i];
    if (na == 0 || m == 0) return 0;
    /* per entry x: the k+1 factors x - j, j = 0..k, of prod (x - j), which is 0
     * iff x is one of 0..k */
    size_t rows = na * m, w = (size_t)k + 1, r = 0;
    fe *f = xmalloc(rows * w * sizeof(fe));
    uint8_t *ebad = xcalloc(rows, 1);
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        for (size_t e = 0; e < m; e++, r++)
            for (size_t j = 0; j < w; j++) f[r * w + j] = mpc_fsub(F, x[i * m + e], (fe)j);
    }
    int rc = s_row_products(M, f, rows, w);
    /* every product must be 0: one-entry rows summing to c = 0 */
    if (rc == 0) rc = s_sum(M, f, rows, 1, 0, ebad, 0);
    r = 0;
    for (size_t i = 0; rc == 0 && i < ninputs; i++) {
        if (bad[i]) continue;
        for (size_t e = 0; e < m; e++, r++) bad[i] |= ebad[r];
    }
    secmem_free(f, rows * w * sizeof(fe));
    free(ebad);
    return rc;
}
