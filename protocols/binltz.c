/* binltz: x < 0 for shared F_p values through the binary domain (binltz.h).
 *
 * y = x + 2^K lies in [0, 2^k), k = K + 1. Every PRSS group T (prss.h: the
 * n - t holders of k_T) derives per value r_T < 2^k, R_T < 2^kappa and a bit
 * u_T, and each holder shares them at once, without a message: (r_T + 2^k
 * R_T) f_T(me) and u_T f_T(me) over F_p, r_T's bits and u_T times the GF(16)
 * f_T(me) in the binary domain. The honest holders' shares are those of one
 * value, so the two domains agree whatever the cheaters do (no dealer to
 * trust, nothing to check across domains). With S = sum r_T and c = y +
 * sum (r_T + 2^k R_T) opened, y = (c - S) mod 2^k = (c + G + sum ~r_T) mod
 * 2^k: carry-save levels reduce the shared operands to two, the public one
 * folds in, and bit K of y (x >= 0) is the top bits' XOR with the carry
 * into bit K, one comparison (s_ltz). The way back to F_p opens
 * e = [x < 0] ^ u with u = XOR of the u_T, whose F_p sharing is a product
 * tree. The group no cheater holds (T = the cheaters) hides y: c mod 2^k is
 * uniform, the rest statistically close (2^-kappa), and e is uniform. */
#include "protocols/binltz.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/xalloc.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "protocols/mpc_impl.h"
#include "protocols/mul.h"
#include "protocols/prss.h"
#include "protocols/verify.h"

#define S_CHUNK 2048   /* values derived per PRSS call */

/* Own shares of every group's edaBit and daBit. */
typedef struct s_eda {
    int G;            /* groups, C(n, t) */
    fe *v;            /* m: F_p shares of sum_T (r_T + 2^k R_T) */
    fe *u;            /* G * m: F_p shares of each u_T */
    uint64_t *rb;     /* G matrices of k rows: binary shares of r_T */
    uint64_t *ub;     /* 4 * nw words: binary shares of XOR_T u_T */
} s_eda;

/* One group's chunk [off, off+c): its F_p and binary shares from the raw
 * PRSS bytes (16 per value: r_T, then R_T with u_T in the top bit). */
static void s_group(mpc *M, s_eda *E, int g, const uint8_t *raw, size_t off, size_t c, size_t m,
                    int k, uint64_t *bits, uint64_t *ubits)
{
    const field *F = M->F;
    fe fw = prss_weight(M->ps, g);
    size_t nw = gf2_words(m);
    uint64_t rmask = ((uint64_t)1 << k) - 1, Rmask = ((uint64_t)1 << M->kappa) - 1;
    uint64_t w[2] = { 0, 0 }, r = 0;   /* secret: wiped once, after the loop */
    fe v = 0;
    for (size_t i = 0; i < c; i++) {
        gf2_get_words(w, raw + i * 16, 2);
        size_t e = off + i;
        r = w[0] & rmask;
        v = (fe)r + ((fe)(w[1] & Rmask) << k);
        E->v[e] = fe_add(F, E->v[e], fe_mul(F, v, fw));
        E->u[(size_t)g * m + e] = fe_mul(F, (fe)(w[1] >> 63), fw);
        for (int b = 0; b < k; b++) bits[(size_t)b * nw + e / 64] |= (r >> b & 1u) << (e % 64);
        ubits[e / 64] |= (w[1] >> 63) << (e % 64);
    }
    sodium_memzero(w, sizeof w);
    sodium_memzero(&r, sizeof r);
    sodium_memzero(&v, sizeof v);
}

/* Fill E for m values (no communication). */
static void s_derive(mpc *M, s_eda *E, size_t m, int k)
{
    unsigned masks[PRSS_MAX_GROUPS];
    int G = prss_groups(M->ps, masks);
    size_t nw = gf2_words(m), MW = bin_matrix_words(k, nw), L = GF2_PLANES * nw;
    uint8_t *raw = xmalloc((size_t)G * S_CHUNK * 16);
    uint64_t *ubits = xcalloc((size_t)G * L, 8);
    memset(E->v, 0, m * sizeof(fe));
    memset(E->u, 0, (size_t)G * m * sizeof(fe));
    memset(E->rb, 0, (size_t)G * MW * 8);
    memset(E->ub, 0, L * 8);
    for (size_t off = 0; off < m; off += S_CHUNK) {   /* plane 0 first: the plain bits */
        size_t c = m - off < S_CHUNK ? m - off : S_CHUNK;
        prss_raw(M->ps, raw, c * 16);
        for (int g = 0; g < G; g++)
            if (!(masks[g] >> (M->me - 1) & 1u))
                s_group(M, E, g, raw + (size_t)g * c * 16, off, c, m, k, E->rb + (size_t)g * MW,
                        ubits + (size_t)g * L);
    }
    for (int g = 0; g < G; g++) {
        uint8_t w = gf2_prss_weight(masks[g], M->n, M->me);
        gf2_scale(E->rb + (size_t)g * MW, w, E->rb + (size_t)g * MW, (size_t)k * nw);
        gf2_scale(ubits + (size_t)g * L, w, ubits + (size_t)g * L, nw);
        gf2_xor(E->ub, E->ub, ubits + (size_t)g * L, nw);
    }
    sodium_memzero(raw, (size_t)G * S_CHUNK * 16);
    sodium_memzero(ubits, (size_t)G * L * 8);
    free(raw);
    free(ubits);
}

/* Row i of D (kd rows) = row ja of A XOR row jb of B (ka and kb rows). */
static void s_row_xor(uint64_t *D, int kd, int i, const uint64_t *A, int ka, int ja,
                      const uint64_t *B, int kb, int jb, size_t nw)
{
    for (int p = 0; p < GF2_PLANES; p++) {
        uint64_t *d = bin_plane(D, kd, i, p, nw);
        const uint64_t *a = bin_plane((uint64_t *)A, ka, ja, p, nw),
                       *b = bin_plane((uint64_t *)B, kb, jb, p, nw);
        for (size_t w = 0; w < nw; w++) d[w] = a[w] ^ b[w];
    }
}

/* Reduce the cnt k-row matrices in ops (overwritten) to at most two with the
 * same sum mod 2^k: a carry-save level turns every three operands a, b, c
 * into a ^ b ^ c and the carries maj(a, b, c) = a ^ ((a ^ b) & (a ^ c))
 * shifted up one row, one round for all triples. *pcnt: the count, in and
 * out. Errors as gf2_and. */
static int s_csa(mpc *M, uint64_t *ops, int *pcnt, int k, size_t nw)
{
    size_t MW = bin_matrix_words(k, nw);
    int rc = 0, cnt = *pcnt;
    uint64_t *nx = xmalloc((size_t)cnt * MW * 8);
    while (cnt > 2 && rc == 0) {
        int tri = cnt / 3, rows = tri * (k - 1), out = 0;
        size_t RW = bin_matrix_words(rows, nw);
        uint64_t *X = xmalloc(RW * 8), *Y = xmalloc(RW * 8), *T = xmalloc(RW * 8);
        for (int q = 0; q < tri; q++) {
            const uint64_t *a = ops + (size_t)(3 * q) * MW;
            for (int j = 0; j + 1 < k; j++) {
                s_row_xor(X, rows, q * (k - 1) + j, a, k, j, a + MW, k, j, nw);
                s_row_xor(Y, rows, q * (k - 1) + j, a, k, j, a + 2 * MW, k, j, nw);
            }
        }
        rc = gf2_and(M, T, X, Y, (size_t)rows * nw);
        for (int q = 0; q < tri && rc == 0; q++) {
            const uint64_t *a = ops + (size_t)(3 * q) * MW;
            uint64_t *sum = nx + (size_t)out++ * MW, *car = nx + (size_t)out++ * MW;
            gf2_xor(sum, a, a + MW, (size_t)k * nw);
            gf2_xor(sum, sum, a + 2 * MW, (size_t)k * nw);
            memset(car, 0, MW * 8);
            for (int j = 0; j + 1 < k; j++) s_row_xor(car, k, j + 1, a, k, j, T, rows, q * (k - 1) + j, nw);
        }
        memcpy(nx + (size_t)out * MW, ops + (size_t)(3 * tri) * MW, (size_t)(cnt - 3 * tri) * MW * 8);
        cnt = out + cnt - 3 * tri;
        memcpy(ops, nx, (size_t)cnt * MW * 8);
        sodium_memzero(X, RW * 8), sodium_memzero(Y, RW * 8), sodium_memzero(T, RW * 8);
        free(X), free(Y), free(T);
    }
    sodium_memzero(nx, (size_t)*pcnt * MW * 8);
    free(nx);
    *pcnt = cnt;
    return rc;
}

/* A and B (k rows) with A + B = ops[0] + ops[1] + d mod 2^k for the public
 * d (k rows of plane-0 bits): the carry-save step with a public operand,
 * whose carries maj(s, c, d) = (s & c) ^ (d & (s ^ c)) need only w = s & c,
 * computed before d is known. One operand (G = 1): A = ops[0], B = d. */
static void s_fold(uint64_t *A, uint64_t *B, const uint64_t *ops, int cnt, const uint64_t *w,
                   const uint64_t *d, int k, size_t nw)
{
    size_t MW = bin_matrix_words(k, nw);
    memset(B, 0, MW * 8);
    if (cnt == 1) {
        memcpy(A, ops, MW * 8);
        memcpy(B, d, (size_t)k * nw * 8);
        return;
    }
    gf2_xor(A, ops, ops + MW, (size_t)k * nw);   /* s ^ c */
    for (int j = 0; j + 1 < k; j++)
        for (int p = 0; p < GF2_PLANES; p++) {
            const uint64_t *sc = bin_plane(A, k, j, p, nw), *wj = bin_plane((uint64_t *)w, k - 1, j, p, nw);
            uint64_t *bj = bin_plane(B, k, j + 1, p, nw);
            for (size_t x = 0; x < nw; x++) bj[x] = wj[x] ^ (d[(size_t)j * nw + x] & sc[x]);
        }
    for (size_t x = 0; x < (size_t)k * nw; x++) A[x] ^= d[x];   /* plane 0: + the public bits */
}

/* The comparison once the edaBits are derived (see the file comment):
 * y = (c - S) mod 2^k = (c + G + sum_T ~r_T) mod 2^k, as -r = ~r + 1. The
 * shared operands are reduced to two and their AND taken before c is opened;
 * then y = A + B mod 2^k and y_K = A_K ^ B_K ^ [A mod 2^K > ~B mod 2^K], the
 * carry into bit K. */
static int s_ltz(mpc *M, fe *out, fe *oc, uint64_t *oe, const fe *x, size_t m, int K, s_eda *E)
{
    const field *F = M->F;
    int k = K + 1, G = E->G;
    size_t nw = gf2_words(m), MW = bin_matrix_words(k, nw), L = GF2_PLANES * nw,
           KW = bin_matrix_words(K, nw);
    fe *uF = xmalloc(m * sizeof(fe)), *c = xmalloc(m * sizeof(fe));
    uint64_t *A = xmalloc(MW * 8), *B = xmalloc(MW * 8), *w = xmalloc(KW * 8), *d = xcalloc((size_t)k * nw, 8),
             *lo = xmalloc(KW * 8), *hi = xmalloc(KW * 8), *b = xmalloc(2 * L * 8), *e = xmalloc(nw * 8);
    /* c = x + mask only hides x if x is what the relations say: an error a
     * cheater put into an earlier product could be large enough to show
     * through the mask, so those products are verified before c is opened */
    int rc = M->security == MPC_MALICIOUS && mpc_pending(M) ? mpc_verify(M) : 0;
    if (rc == 0) rc = mpc_xor_bits(M, uF, E->u, G, m);
    for (int g = 0; g < G; g++) gf2_not(E->rb + (size_t)g * MW, E->rb + (size_t)g * MW, (size_t)k * nw);
    int cnt = G;
    if (rc == 0) rc = s_csa(M, E->rb, &cnt, k, nw);
    if (rc == 0 && cnt == 2) {   /* w = s & c on rows 0..K-1 */
        for (int j = 0; j < K; j++) {
            bin_row_copy(lo, K, j, E->rb, k, j, nw);
            bin_row_copy(hi, K, j, E->rb + MW, k, j, nw);
        }
        rc = gf2_and(M, w, lo, hi, (size_t)K * nw);
    }
    for (size_t i = 0; i < m; i++) c[i] = fe_add(F, x[i], fe_add(F, (fe)1 << K, E->v[i]));
    /* x's products are verified (above) and the XOR tree's cannot change c:
     * no verification here, only the degree check of the shares */
    if (rc == 0) rc = mpc_open_ex(M, c, c, m, MPC_OPEN_NV);
    for (size_t i = 0; i < m && rc == 0; i++) {
        uint64_t di = (uint64_t)(c[i] + (fe)G);   /* mod 2^k below */
        for (int j = 0; j < k; j++) d[(size_t)j * nw + i / 64] |= (di >> j & 1u) << (i % 64);
    }
    if (rc == 0) {
        s_fold(A, B, E->rb, cnt, w, d, k, nw);
        for (int j = 0; j < K; j++) {
            bin_row_copy(lo, K, j, A, k, j, nw);
            bin_row_copy(hi, K, j, B, k, j, nw);
        }
        gf2_not(hi, hi, (size_t)K * nw);
        rc = bin_gt(M, b, lo, hi, K, nw);   /* the carry into bit K */
    }
    if (rc == 0) {
        bin_row_get(b + L, A, k, K, nw);
        gf2_xor(b, b, b + L, nw);
        bin_row_get(b + L, B, k, K, nw);
        gf2_xor(b, b, b + L, nw);            /* y_K */
        gf2_not(b, b, nw);                   /* x < 0 */
        gf2_xor(b, b, E->ub, nw);
        rc = gf2_open(M, e, b, nw);          /* [x < 0] ^ u, u uniform */
    }
    for (size_t i = 0; i < m && rc == 0; i++)
        out[i] = (e[i / 64] >> (i % 64) & 1u) ? fe_sub(F, 1, uF[i]) : uF[i];
    if (rc == 0 && oc) memcpy(oc, c, m * sizeof(fe));
    if (rc == 0 && oe) memcpy(oe, e, nw * 8);
    sodium_memzero(uF, m * sizeof(fe));
    sodium_memzero(c, m * sizeof(fe));   /* own shares of x + mask if not opened */
    uint64_t *sec[] = { A, B, w, lo, hi };
    size_t sz[] = { MW, MW, KW, KW, KW };
    for (int i = 0; i < 5; i++) {
        sodium_memzero(sec[i], sz[i] * 8);
        free(sec[i]);
    }
    sodium_memzero(b, 2 * L * 8);
    free(uF), free(c), free(d), free(b), free(e);
    return rc;
}

int bin_ltz(mpc *M, fe *out, const fe *x, size_t m, int K)
{
    return bin_ltz_ex(M, out, NULL, NULL, x, m, K);
}

/* One batch: derive, compare, wipe. */
static int s_batch(mpc *M, fe *out, fe *oc, uint64_t *oe, const fe *x, size_t m, int K, int G)
{
    size_t nw = gf2_words(m), rw = bin_matrix_words(K + 1, nw), L = GF2_PLANES * nw;
    s_eda E = { .G = G, .v = xmalloc(m * sizeof(fe)), .u = xmalloc((size_t)G * m * sizeof(fe)),
                .rb = xmalloc((size_t)G * rw * 8), .ub = xmalloc(L * 8) };
    s_derive(M, &E, m, K + 1);
    int rc = s_ltz(M, out, oc, oe, x, m, K, &E);
    sodium_memzero(E.v, m * sizeof(fe));
    sodium_memzero(E.u, (size_t)G * m * sizeof(fe));
    sodium_memzero(E.rb, (size_t)G * rw * 8);
    sodium_memzero(E.ub, L * 8);
    free(E.v), free(E.u), free(E.rb), free(E.ub);
    return rc;
}

int bin_ltz_ex(mpc *M, fe *out, fe *opened_c, uint64_t *opened_e, const fe *x, size_t m, int K)
{
    const field *F = M->F;
    if (K < 1 || K > 62) return mpc_fail(M, ERR_ARG, "bin_ltz: K = %d outside 1..62", K);
    if (M->kappa < 1 || M->kappa > 62)
        return mpc_fail(M, ERR_ARG, "bin_ltz: kappa = %d outside 1..62", M->kappa);
    if (!M->ps || !prss_ready(M->ps)) return mpc_fail(M, ERR_STATE, "bin_ltz: no PRSS keys");
    int G = prss_groups(M->ps, NULL), lg = 0;
    while ((1 << lg) < G) lg++;
    /* c < 2^(K+1) + G 2^(K+1+kappa) < 2^(K+kappa+lg+2) <= 2^(bits-1) < p */
    if (F->bits < K + M->kappa + 3 + lg)
        return mpc_fail(M, ERR_RANGE, "bin_ltz: p too small for K=%d, kappa=%d", K, M->kappa);
    /* per value about G (K + 17) + 100 bytes: batches of at most 2^22 / G
     * values (a multiple of 64, so the opened bits stay word-aligned) keep
     * that below about 1 GB at n = 9 (G = 126); one batch at n = 3 up to
     * 1.4 million */
    size_t batch = ((size_t)1 << 22) / (size_t)G / 64 * 64;
    int rc = 0;
    for (size_t off = 0; off < m && rc == 0; off += batch) {
        size_t c = m - off < batch ? m - off : batch;
        rc = s_batch(M, out + off, opened_c ? opened_c + off : NULL,
                     opened_e ? opened_e + off / 64 : NULL, x + off, c, K, G);
    }
    return rc;
}

int bin_lt(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int K)
{
    size_t mark = mpc_mark(M);
    fe *d = mpc_alloc(M, m ? m : 1);
    for (size_t i = 0; i < m; i++) d[i] = fe_sub(M->F, a[i], b[i]);
    int rc = bin_ltz(M, out, d, m, K);
    mpc_release(M, mark);
    return rc;
}
