/* binltz: x < 0 for shared F_p values through the binary domain (binltz.h).
 *
 * y = x + 2^K lies in [0, 2^(K+1)); the dealers' masks sum to v = S + 2^(K+1) H
 * with S = (sum of their r_d) mod 2^(K+1), whose bits the binary domain holds.
 * c = y + v is opened; then y = (c - S) mod 2^(K+1), so bit K of y (x >= 0) is
 * c_K ^ S_K ^ [c mod 2^K < S mod 2^K], the last a comparison with a public
 * operand. One honest dealer's r_d (uniform mod 2^(K+1)) and R_d (kappa bits)
 * hide y: c mod 2^(K+1) is uniform, the rest statistically close (2^-kappa). */
#include "protocols/binltz.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/xalloc.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "protocols/mpc_impl.h"
#include "protocols/mul.h"
#include "protocols/shamir.h"

typedef struct s_dealt {
    int nd;           /* dealers: the first t+1 live servers */
    int pts[MPC_MAX_SERVERS];
    fe *v, *u;        /* nd * m: own F_p shares of each dealer's mask and bit */
    uint64_t *rb;     /* nd matrices of K+1 rows: bits of each dealer's r_d */
    uint64_t *ub;     /* nd rows: each dealer's bit u_d */
} s_dealt;

#define S_DEAL_DOMAIN 0x44454100u   /* "DEA\0" | dealer: the derived shares */

/* Party j's whole part from dealer i (2m elements, then the binary words) as
 * the pairwise stream gives it: the same on both sides. */
static void s_derived(mpc *M, uint64_t *part, int i, int j, uint64_t step, size_t m, size_t BW)
{
    prg g;
    int other = i == M->me ? j : i;
    prg_init(&g, M->pairkey + (size_t)(other - 1) * 32, S_DEAL_DOMAIN | (uint32_t)i, step);
    mpc_prg_fe(M->F, &g, (fe *)part, 2 * m);
    prg_bytes(&g, (uint8_t *)(part + 4 * m), BW * 8);
    prg_wipe(&g);
}

/* The dealer's secret part: its mask and bit as F_p values, its r's bits and
 * its bit as constant binary sharings (plane 0). */
static void s_secret(mpc *M, uint64_t *P0, size_t m, int K, size_t BW)
{
    int k = K + 1;
    size_t nw = gf2_words(m);
    uint64_t *r = xmalloc(m * 8), *R = xmalloc(m * 8), *u = xmalloc(nw * 8);
    fe *sec = (fe *)P0;
    uint64_t *bin = P0 + 4 * m;
    randombytes_buf(r, m * 8);
    randombytes_buf(R, m * 8);
    randombytes_buf(u, nw * 8);
    uint64_t rmask = ((uint64_t)1 << k) - 1, Rmask = ((uint64_t)1 << M->kappa) - 1;
    memset(bin, 0, BW * 8);
    for (size_t i = 0; i < m; i++) {
        r[i] &= rmask;
        sec[i] = (fe)r[i] + ((fe)(R[i] & Rmask) << k);
        sec[m + i] = u[i / 64] >> (i % 64) & 1u;
        for (int b = 0; b < k; b++)
            bin_plane(bin, k, b, 0, nw)[i / 64] |= (r[i] >> b & 1u) << (i % 64);
    }
    memcpy(bin + bin_matrix_words(k, nw), u, nw * 8);
    sodium_memzero(r, m * 8);
    sodium_memzero(R, m * 8);
    sodium_memzero(u, nw * 8);
    free(r), free(R), free(u);
}

/* As the AND gate (gf2.c) and mul.c: the t live servers after the dealer
 * take their shares from the pairwise streams, which fixes the degree-t
 * polynomials with the secret at 0; every other live server's share is their
 * interpolation, sent. parts[j-1] gets server j's part (own one included). */
static void s_make(mpc *M, const int *lp, int np, int pa, size_t m, int K, uint64_t step,
                   uint64_t **parts)
{
    const field *F = M->F;
    int t = M->t, k = K + 1, ip[MPC_MAX_SERVERS + 1] = { 0 }, nd = 0;
    size_t nw = gf2_words(m), MW = bin_matrix_words(k, nw), BW = MW + GF2_PLANES * nw;
    size_t words = 4 * m + BW;
    uint64_t *P0 = xmalloc(words * 8), *tmp = xmalloc(BW * 8);
    const uint64_t *src[MPC_MAX_SERVERS + 1];
    s_secret(M, P0, m, K, BW);
    src[0] = P0;
    for (int d = 1; d <= t; d++) {
        int j = lp[(pa + d) % np];
        ip[1 + nd] = j;
        s_derived(M, parts[j - 1], M->me, j, step, m, BW);
        src[1 + nd++] = parts[j - 1];
    }
    fe w[MPC_MAX_SERVERS + 1];
    uint8_t wb[MPC_MAX_SERVERS + 1];
    for (int q = 0; q < np; q++) {
        int d = ((q - pa) % np + np) % np, j = lp[q];
        if (d >= 1 && d <= t) continue;   /* derived above */
        mul_lagrange_at(F, w, ip, nd + 1, j);
        gf2_lagrange(wb, ip, nd + 1, j);
        fe *out = (fe *)parts[j - 1];
        for (size_t e = 0; e < 2 * m; e++) {
            fe acc = 0;
            for (int b = 0; b <= nd; b++) acc = fe_add(F, acc, fe_mul(F, w[b], ((const fe *)src[b])[e]));
            out[e] = acc;
        }
        uint64_t *bo = parts[j - 1] + 4 * m;
        memset(bo, 0, BW * 8);
        for (int b = 0; b <= nd; b++) {   /* the r rows as one matrix, then u's row */
            gf2_scale(tmp, wb[b], src[b] + 4 * m, (size_t)k * nw);
            gf2_scale(tmp + MW, wb[b], src[b] + 4 * m + MW, nw);
            for (size_t x = 0; x < BW; x++) bo[x] ^= tmp[x];
        }
    }
    sodium_memzero(P0, words * 8);
    sodium_memzero(tmp, BW * 8);
    free(P0);
    free(tmp);
}

/* Own part of dealer slot a into D. */
static void s_keep(s_dealt *D, int a, const uint64_t *part, size_t m, int K)
{
    size_t nw = gf2_words(m), MW = bin_matrix_words(K + 1, nw);
    memcpy(D->v + (size_t)a * m, part, m * sizeof(fe));
    memcpy(D->u + (size_t)a * m, (const fe *)part + m, m * sizeof(fe));
    memcpy(D->rb + (size_t)a * MW, part + 4 * m, MW * 8);
    memcpy(D->ub + (size_t)a * GF2_PLANES * nw, part + 4 * m + MW, GF2_PLANES * nw * 8);
}

/* One round: each dealer sends the live servers not after it their parts. */
static int s_deal(mpc *M, s_dealt *D, size_t m, int K)
{
    const field *F = M->F;
    int n = M->n, t = M->t, k = K + 1, lp[MPC_MAX_SERVERS], np = 0, mepos = -1;
    size_t nw = gf2_words(m), BW = bin_matrix_words(k, nw) + GF2_PLANES * nw;
    size_t words = 4 * m + BW, len = 2 * m * F->bytes + BW * 8;
    for (int j = 1; j <= n; j++)
        if (M->live >> (j - 1) & 1u) {
            if (j == M->me) mepos = np;
            lp[np++] = j;
        }
    D->nd = t + 1;
    for (int a = 0; a < D->nd; a++) D->pts[a] = lp[a];
    uint64_t step = mpc_step(M);
    uint64_t *part = xmalloc(words * 8);
    int rc = 0;
    if (mepos < D->nd) {
        uint64_t *parts[MPC_MAX_SERVERS] = { 0 };
        for (int q = 0; q < np; q++) parts[lp[q] - 1] = xmalloc(words * 8);
        s_make(M, lp, np, mepos, m, K, step, parts);
        uint8_t *wire = mpc_wire(M, len);
        for (int q = 0; q < np && rc == 0; q++) {
            int d = ((q - mepos) % np + np) % np, j = lp[q];
            if (j == M->me || (d >= 1 && d <= t)) continue;   /* own, or derived there */
            mpc_encode(F, wire, (const fe *)parts[j - 1], 2 * m);
            gf2_put_words(wire + 2 * m * F->bytes, parts[j - 1] + 4 * m, BW);
            rc = mpc_send_raw(M, j, MPC_MSG_BIN, step, wire, len, 2 * m);
        }
        s_keep(D, mepos, parts[M->me - 1], m, K);
        sodium_memzero(wire, len);
        for (int q = 0; q < np; q++) {
            sodium_memzero(parts[lp[q] - 1], words * 8);
            free(parts[lp[q] - 1]);
        }
    }
    for (int a = 0; a < D->nd && rc == 0; a++) {
        if (a == mepos) continue;
        int d = ((mepos - a) % np + np) % np;
        if (d >= 1 && d <= t) {   /* the stream shared with dealer a */
            s_derived(M, part, lp[a], M->me, step, m, BW);
            s_keep(D, a, part, m, K);
            continue;
        }
        uint8_t *pl = NULL;
        size_t got = 0;
        rc = mpc_recv_raw(M, lp[a], MPC_MSG_BIN, step, &pl, &got);
        if (rc == 0 && got != len)
            rc = mpc_fail(M, ERR_PROTO, "binary masks: S%d sent %zu bytes, %zu expected",
                          lp[a], got, len);
        if (rc == 0) rc = mpc_decode(F, (fe *)part, 2 * m, pl, 2 * m * F->bytes);
        if (rc == 0) {
            gf2_get_words(part + 4 * m, pl + 2 * m * F->bytes, BW);
            s_keep(D, a, part, m, K);
        }
        if (pl) sodium_memzero(pl, got);
        free(pl);
    }
    sodium_memzero(part, words * 8);
    free(part);
    return rc;
}

/* S = (A + B) mod 2^k on k-row matrices (S may alias A): generate g = a & b,
 * propagate p = a ^ b, Sklansky prefix of the carries (one round per level,
 * k/2 pairs each), s_i = p_i ^ carry into i. */
static int s_add(mpc *M, uint64_t *S, const uint64_t *A, const uint64_t *B, int k, size_t nw)
{
    size_t W = bin_matrix_words(k, nw);
    uint64_t *G = xmalloc(W * 8), *P = xmalloc(W * 8), *P0 = xmalloc(W * 8),
             *X = xmalloc(2 * W * 8), *Y = xmalloc(2 * W * 8), *T = xmalloc(2 * W * 8),
             *v = xmalloc(2 * GF2_PLANES * nw * 8);
    int rc = gf2_and(M, G, A, B, (size_t)k * nw);
    gf2_xor(P, A, B, (size_t)k * nw);
    memcpy(P0, P, W * 8);
    int top = k - 1;   /* carries out of positions 0..k-2 are needed */
    for (int l = 0; rc == 0 && (1 << l) < top; l++) {
        int cnt = 0, idx[64];
        for (int i = 0; i < top; i++)
            if (i >> l & 1) idx[cnt++] = i;
        int lastlvl = (2 << l) >= top, rows = lastlvl ? cnt : 2 * cnt;
        for (int q = 0; q < cnt; q++) {
            int i = idx[q], j = ((i >> l) << l) - 1;
            bin_row_copy(X, rows, q, P, k, i, nw);
            bin_row_copy(Y, rows, q, G, k, j, nw);
            if (!lastlvl) {
                bin_row_copy(X, rows, cnt + q, P, k, i, nw);
                bin_row_copy(Y, rows, cnt + q, P, k, j, nw);
            }
        }
        rc = gf2_and(M, T, X, Y, (size_t)rows * nw);
        for (int q = 0; q < cnt && rc == 0; q++) {
            int i = idx[q];
            bin_row_get(v, T, rows, q, nw);
            bin_row_get(v + GF2_PLANES * nw, G, k, i, nw);
            gf2_xor(v, v, v + GF2_PLANES * nw, nw);
            bin_row_set(G, v, k, i, nw);
            if (!lastlvl) bin_row_copy(P, k, i, T, rows, cnt + q, nw);
        }
    }
    for (int i = k - 1; i >= 0 && rc == 0; i--) {   /* s_i = p_i ^ G_{i-1} */
        bin_row_get(v, P0, k, i, nw);
        if (i > 0) {
            bin_row_get(v + GF2_PLANES * nw, G, k, i - 1, nw);
            gf2_xor(v, v, v + GF2_PLANES * nw, nw);
        }
        bin_row_set(S, v, k, i, nw);
    }
    uint64_t *bufs[] = { G, P, P0, X, Y, T };
    size_t sz[] = { W, W, W, 2 * W, 2 * W, 2 * W };
    for (int i = 0; i < 6; i++) {
        sodium_memzero(bufs[i], sz[i] * 8);
        free(bufs[i]);
    }
    sodium_memzero(v, 2 * GF2_PLANES * nw * 8);
    free(v);
    return rc;
}

/* The comparison once the masks are dealt (see the file comment). */
static int s_ltz(mpc *M, fe *out, fe *oc, uint64_t *oe, const fe *x, size_t m, int K,
                 s_dealt *D)
{
    const field *F = M->F;
    int k = K + 1, rc = 0;
    size_t nw = gf2_words(m), rw = bin_matrix_words(k, nw), L = GF2_PLANES * nw;
    fe *uF = xmalloc(m * sizeof(fe)), *c = xmalloc(m * sizeof(fe)), *tm = xmalloc(m * sizeof(fe));
    uint64_t *S = xmalloc(rw * 8), *cw = xcalloc((size_t)k * nw, 8), *low = xmalloc(rw * 8),
             *b = xmalloc(2 * L * 8), *ub = xmalloc(L * 8), *e = xmalloc(nw * 8);
    memcpy(uF, D->u, m * sizeof(fe));
    memcpy(S, D->rb, rw * 8);
    memcpy(ub, D->ub, L * 8);
    for (size_t i = 0; i < m; i++) c[i] = fe_add(F, x[i], fe_add(F, (fe)1 << K, D->v[i]));
    for (int a = 1; a < D->nd && rc == 0; a++) {
        const fe *ua = D->u + (size_t)a * m;
        for (size_t i = 0; i < m; i++) c[i] = fe_add(F, c[i], D->v[(size_t)a * m + i]);
        rc = mpc_mul(M, tm, uF, ua, m);   /* u ^ u_a = u + u_a - 2 u u_a */
        for (size_t i = 0; i < m && rc == 0; i++)
            uF[i] = fe_sub(F, fe_add(F, uF[i], ua[i]), fe_add(F, tm[i], tm[i]));
        if (rc == 0) rc = s_add(M, S, S, D->rb + (size_t)a * rw, k, nw);
        gf2_xor(ub, ub, D->ub + (size_t)a * L, nw);
    }
    if (rc == 0) rc = mpc_open(M, c, c, m);
    for (size_t i = 0; i < m && rc == 0; i++)
        for (int j = 0; j < k; j++) cw[(size_t)j * nw + i / 64] |= (uint64_t)(c[i] >> j & 1u) << (i % 64);
    for (int j = 0; j < K; j++) bin_row_copy(low, K, j, S, k, j, nw);
    if (rc == 0) rc = bin_gt_pub(M, b, low, cw, K, nw);   /* borrow: c mod 2^K < S mod 2^K */
    if (rc == 0) {
        bin_row_get(b + L, S, k, K, nw);
        gf2_xor(b, b, b + L, nw);                          /* S_K ^ borrow */
        for (size_t w = 0; w < nw; w++) b[w] ^= ~cw[(size_t)K * nw + w];   /* ^ c_K, NOT: x < 0 */
        gf2_xor(b, b, ub, nw);
        rc = gf2_open(M, e, b, nw);                         /* [x < 0] ^ u, u uniform */
    }
    for (size_t i = 0; i < m && rc == 0; i++)
        out[i] = (e[i / 64] >> (i % 64) & 1u) ? fe_sub(F, 1, uF[i]) : uF[i];
    if (rc == 0 && oc) memcpy(oc, c, m * sizeof(fe));
    if (rc == 0 && oe) memcpy(oe, e, nw * 8);
    sodium_memzero(uF, m * sizeof(fe));
    sodium_memzero(tm, m * sizeof(fe));
    sodium_memzero(S, rw * 8);
    sodium_memzero(low, rw * 8);
    sodium_memzero(b, 2 * L * 8);
    sodium_memzero(ub, L * 8);
    free(uF), free(c), free(tm), free(S), free(cw), free(low), free(b), free(ub), free(e);
    return rc;
}

int bin_ltz(mpc *M, fe *out, const fe *x, size_t m, int K)
{
    return bin_ltz_ex(M, out, NULL, NULL, x, m, K);
}

int bin_ltz_ex(mpc *M, fe *out, fe *opened_c, uint64_t *opened_e, const fe *x, size_t m, int K)
{
    const field *F = M->F;
    if (M->security == MPC_MALICIOUS)
        return mpc_fail(M, ERR_STATE, "bin_ltz: the dealt masks are not checked across domains: semi-honest only");
    if (K < 1 || K > 62 || M->kappa > 62) return mpc_fail(M, ERR_ARG, "bin_ltz: K %d", K);
    int lg = 0;
    while ((1 << lg) < M->t + 1) lg++;
    if (F->bits < K + M->kappa + 4 + lg)
        return mpc_fail(M, ERR_RANGE, "bin_ltz: p too small for K=%d, kappa=%d", K, M->kappa);
    if (m == 0) return 0;
    int nd = M->t + 1;
    size_t nw = gf2_words(m), rw = bin_matrix_words(K + 1, nw);
    s_dealt D = { .v = xmalloc((size_t)nd * m * sizeof(fe)), .u = xmalloc((size_t)nd * m * sizeof(fe)),
                  .rb = xmalloc((size_t)nd * rw * 8),
                  .ub = xmalloc((size_t)nd * GF2_PLANES * nw * 8) };
    int rc = s_deal(M, &D, m, K);
    if (rc == 0) rc = s_ltz(M, out, opened_c, opened_e, x, m, K, &D);
    sodium_memzero(D.v, (size_t)nd * m * sizeof(fe));
    sodium_memzero(D.u, (size_t)nd * m * sizeof(fe));
    sodium_memzero(D.rb, (size_t)nd * rw * 8);
    sodium_memzero(D.ub, (size_t)nd * GF2_PLANES * nw * 8);
    free(D.v), free(D.u), free(D.rb), free(D.ub);
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
