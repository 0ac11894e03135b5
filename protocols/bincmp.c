/* bincmp: bit-sliced comparison tree and tournament maximum (see bincmp.h). */
#include "protocols/bincmp.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/xalloc.h"

uint64_t *bin_plane(uint64_t *X, int k, int j, int p, size_t nw)
{
    return X + ((size_t)p * (size_t)k + (size_t)j) * nw;
}
#define s_at bin_plane

void bin_row_get(uint64_t *v, const uint64_t *X, int k, int j, size_t nw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(v + (size_t)p * nw, s_at((uint64_t *)X, k, j, p, nw), nw * sizeof *v);
}

void bin_row_set(uint64_t *X, const uint64_t *v, int k, int j, size_t nw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(s_at(X, k, j, p, nw), v + (size_t)p * nw, nw * sizeof *v);
}

void bin_row_copy(uint64_t *B, int kb, int i, const uint64_t *A, int ka, int j, size_t nw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(s_at(B, kb, i, p, nw), s_at((uint64_t *)A, ka, j, p, nw), nw * sizeof *B);
}

/* Fold the k rows of (G, E) (LSB first) into gt: pairs (lo = 2i, hi = 2i+1)
 * give g = g_hi ^ (e_hi & g_lo), e = e_hi & e_lo (g_hi and e_hi exclude each
 * other, so OR is XOR); one round per level, e skipped in the last. G and E
 * are overwritten. */
static int s_fold(mpc *M, uint64_t *gt, uint64_t *G, uint64_t *E, int k, size_t nw)
{
    size_t W = bin_matrix_words(k, nw);
    uint64_t *X = xmalloc(2 * W * 8), *Y = xmalloc(2 * W * 8), *T = xmalloc(2 * W * 8);
    int r = k, rc = 0;
    while (rc == 0 && r > 1) {
        int pairs = r / 2, last = pairs == 1 && r == 2, m = last ? 1 : 2 * pairs;
        for (int i = 0; i < pairs; i++) {
            bin_row_copy(X, m, i, E, r, 2 * i + 1, nw);
            bin_row_copy(Y, m, i, G, r, 2 * i, nw);
            if (!last) {
                bin_row_copy(X, m, pairs + i, E, r, 2 * i + 1, nw);
                bin_row_copy(Y, m, pairs + i, E, r, 2 * i, nw);
            }
        }
        uint64_t *keep = T + W;   /* past the AND's output: the odd top row of E */
        if (r & 1) bin_row_get(keep, E, r, r - 1, nw);
        rc = gf2_and(M, T, X, Y, (size_t)m * nw);
        int nr = pairs + (r & 1);
        uint64_t *v = X;   /* scratch row, X is free now */
        for (int i = 0; i < pairs && rc == 0; i++) {
            bin_row_get(v, T, m, i, nw);
            bin_row_get(v + GF2_PLANES * nw, G, r, 2 * i + 1, nw);
            gf2_xor(v, v, v + GF2_PLANES * nw, nw);
            bin_row_set(Y, v, nr, i, nw);   /* new G in Y */
            if (!last) bin_row_copy(E, nr, i, T, m, pairs + i, nw);
        }
        if (r & 1) {
            bin_row_copy(Y, nr, pairs, G, r, r - 1, nw);
            bin_row_set(E, keep, nr, pairs, nw);
        }
        memcpy(G, Y, bin_matrix_words(nr, nw) * 8);
        r = nr;
    }
    if (rc == 0) memcpy(gt, G, (size_t)GF2_PLANES * nw * 8);
    sodium_memzero(X, 2 * W * 8);
    sodium_memzero(Y, 2 * W * 8);
    sodium_memzero(T, 2 * W * 8);
    free(X);
    free(Y);
    free(T);
    return rc;
}

static int s_gt_done(mpc *M, uint64_t *gt, uint64_t *G, uint64_t *E, int k, size_t nw, int rc)
{
    size_t W = bin_matrix_words(k, nw);
    if (rc == 0) rc = s_fold(M, gt, G, E, k, nw);
    sodium_memzero(G, W * 8);
    sodium_memzero(E, W * 8);
    free(G);
    free(E);
    return rc;
}

int bin_gt(mpc *M, uint64_t *gt, const uint64_t *a, const uint64_t *b, int k, size_t nw)
{
    if (k < 1 || k > 64) return mpc_fail(M, ERR_ARG, "bin_gt: width %d outside 1..64", k);
    size_t W = bin_matrix_words(k, nw);
    uint64_t *G = xmalloc(W * 8), *E = xmalloc(W * 8);
    /* leaves: g_j = a_j AND NOT b_j, e_j = NOT (a_j XOR b_j) */
    gf2_not(E, b, (size_t)k * nw);
    int rc = gf2_and(M, G, a, E, (size_t)k * nw);
    gf2_xor(E, a, b, (size_t)k * nw);
    gf2_not(E, E, (size_t)k * nw);
    return s_gt_done(M, gt, G, E, k, nw, rc);
}

int bin_gt_pub(mpc *M, uint64_t *gt, const uint64_t *a, const uint64_t *c, int k, size_t nw)
{
    if (k < 1 || k > 64) return mpc_fail(M, ERR_ARG, "bin_gt: width %d outside 1..64", k);
    size_t W = bin_matrix_words(k, nw);
    uint64_t *G = xmalloc(W * 8), *E = xmalloc(W * 8);
    /* with c public the leaves are local: g_j = a_j & ~c_j (a sharing times a
     * public 0/1 per lane), e_j = a_j ^ ~c_j (a public constant added) */
    for (int j = 0; j < k; j++) {
        const uint64_t *cj = c + (size_t)j * nw;
        for (int p = 0; p < GF2_PLANES; p++) {
            const uint64_t *aj = s_at((uint64_t *)a, k, j, p, nw);
            uint64_t *gj = s_at(G, k, j, p, nw), *ej = s_at(E, k, j, p, nw);
            for (size_t w = 0; w < nw; w++) {
                gj[w] = aj[w] & ~cj[w];
                ej[w] = p == 0 ? aj[w] ^ ~cj[w] : aj[w];
            }
        }
    }
    return s_gt_done(M, gt, G, E, k, nw, 0);
}

int bin_index_bits(size_t N)
{
    int L = 0;
    while (((size_t)1 << L) < N) L++;
    return L ? L : 1;
}

static size_t s_bitrev(size_t v, int L)
{
    size_t r = 0;
    for (int i = 0; i < L; i++) r |= (v >> i & 1u) << (L - 1 - i);
    return r;
}

/* Lane i of the gf2 vectors: get and set one bit of each plane row. */
static int s_bit(const uint64_t *row, size_t lane)
{
    return (int)(row[lane / 64] >> (lane % 64) & 1u);
}

/* Lanes [off, off+P) of every row-plane of X (R rows, nw words) into D (R
 * rows, gf2_words(P) words); P is a power of two and off a multiple of P. */
static void s_lanes(uint64_t *D, const uint64_t *X, int R, size_t nw, size_t off, size_t P)
{
    size_t dw = gf2_words(P);
    for (int p = 0; p < GF2_PLANES; p++)
        for (int j = 0; j < R; j++) {
            const uint64_t *s = s_at((uint64_t *)X, R, j, p, nw);
            uint64_t *d = s_at(D, R, j, p, dw);
            if (P >= 64) memcpy(d, s + off / 64, dw * 8);
            else d[0] = (s[off / 64] >> (off % 64)) & (((uint64_t)1 << P) - 1);   /* one word: P | off */
        }
}

/* The tournament's lanes: value bitrev(l) in lane l, so that pairing lane l
 * with l + P at every level pairs adjacent blocks, the lower block first:
 * keeping the first on ties keeps the lowest index. Padding: 0 with an index
 * above every real one. Index rows are public constants (plane 0 only). */
static void s_layout(uint64_t *Wm, const uint64_t *vals, size_t N, int k, int L, int ib)
{
    size_t Np = (size_t)1 << L, nw = gf2_words(Np), vw = gf2_words(N);
    int R = k + ib;
    memset(Wm, 0, bin_matrix_words(R, nw) * 8);
    for (size_t l = 0; l < Np; l++) {
        size_t v = s_bitrev(l, L);
        uint64_t bit = (uint64_t)1 << (l % 64);
        for (int j = 0; v < N && j < k; j++)
            for (int p = 0; p < GF2_PLANES; p++)
                if (s_bit(s_at((uint64_t *)vals, k, j, p, vw), v)) s_at(Wm, R, j, p, nw)[l / 64] |= bit;
        for (int j = 0; j < ib; j++)
            if (v >> j & 1u) s_at(Wm, R, k + j, 0, nw)[l / 64] |= bit;
    }
}

/* Segment seg (qw words of every plane) of row j of a k-row matrix of nwb
 * words per row <- row jj of matrix X (R rows, qw words). */
static void s_seg(uint64_t *Big, int k, int j, size_t nwb, int seg, const uint64_t *X, int R,
                  int jj, size_t qw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(bin_plane(Big, k, j, p, nwb) + (size_t)seg * qw, bin_plane((uint64_t *)X, R, jj, p, qw),
               qw * 8);
}

/* Segment seg of a one-row vector of nwb words into v (qw words). */
static void s_seg_get(uint64_t *v, const uint64_t *row, size_t nwb, int seg, size_t qw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(v + (size_t)p * qw, row + (size_t)p * nwb + (size_t)seg * qw, qw * 8);
}

/* Segment seg of a one-row vector of nwb words <- v (qw words per plane). */
static void s_seg_put(uint64_t *row, size_t nwb, int seg, const uint64_t *v, size_t qw)
{
    for (int p = 0; p < GF2_PLANES; p++)
        memcpy(row + (size_t)p * nwb + (size_t)seg * qw, v + (size_t)p * qw, qw * 8);
}

/* A binary level: lanes l and l+P, keep the first unless the second is larger. */
static int s_level2(mpc *M, uint64_t *Wm, int R, int k, size_t P, uint64_t *buf[6])
{
    size_t pw = gf2_words(P), cw = gf2_words(2 * P);
    uint64_t *X = buf[0], *Y = buf[1], *D = buf[2], *C = buf[3], *xv = buf[4], *yv = buf[5];
    s_lanes(X, Wm, R, cw, 0, P);
    s_lanes(Y, Wm, R, cw, P, P);
    for (int j = 0; j < k; j++) {   /* the value rows alone, for the comparison */
        bin_row_copy(xv, k, j, X, R, j, pw);
        bin_row_copy(yv, k, j, Y, R, j, pw);
    }
    uint64_t *c = C + bin_matrix_words(R, pw);
    int rc = bin_gt(M, c, yv, xv, k, pw);
    gf2_xor(D, X, Y, (size_t)R * pw);
    for (int j = 0; j < R && rc == 0; j++) bin_row_set(C, c, R, j, pw);
    if (rc == 0) rc = gf2_and(M, D, C, D, (size_t)R * pw);
    gf2_xor(Wm, X, D, (size_t)R * pw);
    return rc;
}

/* A 4-ary level: lanes l + sQ (s = 0..3) hold, by the bit-reversed layout,
 * the blocks of index order s = 0, 2, 1, 3. The six comparisons run in one
 * batch, the winner's one-hot indicator (lowest index on ties) takes two AND
 * rounds, the selection one: 9 rounds at k = 32 against 14 for two binary
 * levels. */
static int s_level4(mpc *M, uint64_t *Wm, int R, int k, size_t Q, uint64_t *buf[6])
{
    static const int ord[4] = { 0, 2, 1, 3 };   /* candidate a, b, c, d: lane block */
    static const int pr[6][2] = { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 2, 1 }, { 3, 1 }, { 3, 2 } };
    size_t qw = gf2_words(Q), cw = gf2_words(4 * Q), L = GF2_PLANES * qw;
    uint64_t *X = buf[0], *A = buf[1], *B = buf[2], *G = buf[3], *T = buf[4], *U = buf[5];
    for (int s4 = 0; s4 < 4; s4++)   /* X: the 4 candidates in index order, R rows each */
        s_lanes(X + (size_t)s4 * bin_matrix_words(R, qw), Wm, R, cw, (size_t)ord[s4] * Q, Q);
    const size_t XW = bin_matrix_words(R, qw);
    for (int q = 0; q < 6; q++)   /* A, B: gt(A, B) = [later > earlier], segment q */
        for (int j = 0; j < k; j++) {
            s_seg(A, k, j, 6 * qw, q, X + (size_t)pr[q][0] * XW, R, j, qw);
            s_seg(B, k, j, 6 * qw, q, X + (size_t)pr[q][1] * XW, R, j, qw);
        }
    int rc = bin_gt(M, G, A, B, k, 6 * qw);
    /* g[q]: segment q of G; w_a = !g_ba !g_ca !g_da, w_b = g_ba !g_cb !g_db,
     * w_c = g_ca g_cb !g_dc, w_d = g_da g_db g_dc */
    uint64_t *g[6];
    for (int q = 0; q < 6; q++) {
        g[q] = U + (size_t)q * L;
        s_seg_get(g[q], G, 6 * qw, q, qw);
    }
    static const int f1[4][2] = { { 0, 1 }, { 0, 3 }, { 1, 3 }, { 2, 4 } };   /* round 1 */
    static const int n1[4][2] = { { 1, 1 }, { 0, 1 }, { 0, 0 }, { 0, 0 } };   /* negated? */
    static const int f2[4] = { 2, 4, 5, 5 }, n2[4] = { 1, 1, 1, 0 };          /* round 2 */
    /* A, B, T: one-row vectors of 4qw words per plane, segment i = candidate i */
    uint64_t *tmp = U + 6 * L;
    for (int i = 0; i < 4 && rc == 0; i++)
        for (int h = 0; h < 2; h++) {
            memcpy(tmp, g[f1[i][h]], L * 8);
            if (n1[i][h]) gf2_not(tmp, tmp, qw);
            s_seg_put(h ? B : A, 4 * qw, i, tmp, qw);
        }
    if (rc == 0) rc = gf2_and(M, T, A, B, 4 * qw);
    for (int i = 0; i < 4 && rc == 0; i++) {
        memcpy(tmp, g[f2[i]], L * 8);
        if (n2[i]) gf2_not(tmp, tmp, qw);
        s_seg_put(B, 4 * qw, i, tmp, qw);
    }
    if (rc == 0) rc = gf2_and(M, A, T, B, 4 * qw);
    /* selection: sum over candidates of w_i AND their rows, one batch */
    uint64_t *C = G, *V = T;   /* 4R rows of qw words each */
    for (int i = 0; i < 4 && rc == 0; i++) {
        uint64_t *wi = U;   /* the g segments are no longer needed */
        s_seg_get(wi, A, 4 * qw, i, qw);
        for (int j = 0; j < R; j++) {
            bin_row_set(C, wi, 4 * R, i * R + j, qw);
            bin_row_copy(V, 4 * R, i * R + j, X + (size_t)i * XW, R, j, qw);
        }
    }
    if (rc == 0) rc = gf2_and(M, V, C, V, (size_t)4 * R * qw);
    for (int j = 0; j < R && rc == 0; j++) {
        uint64_t *acc = U, *nx = U + L;
        bin_row_get(acc, V, 4 * R, j, qw);
        for (int i = 1; i < 4; i++) {
            bin_row_get(nx, V, 4 * R, i * R + j, qw);
            gf2_xor(acc, acc, nx, qw);
        }
        bin_row_set(Wm, acc, R, j, qw);
    }
    return rc;
}

#define BIN_MAX_4ARY_LANES 256   /* bench_engine bin_max_seconds, n = 3: 10,000 in 78 rounds
                                  * (0.044 s median of 5) against 98 binary (0.047 s)
                                  * and 73 at 2048 (more bytes, 0.047 s) */

int bin_max(mpc *M, uint64_t *max, uint64_t *idx, const uint64_t *vals, size_t N, int k)
{
    if (N < 1 || k < 1 || k > 64) return mpc_fail(M, ERR_ARG, "bin_max: N or width out of range");
    int ib = bin_index_bits(N), L = ib, R = k + ib;
    if (N == 1) L = 0;
    size_t Np = (size_t)1 << L, nw = gf2_words(Np), MW = bin_matrix_words(R, nw);
    /* scratch: a binary level uses at most R + 1 rows of half the lanes
     * (within MW + 4 nw words), a 4-ary level (at most 256 lanes, so one word
     * per row) at most 6k or 4R rows of 4 planes: 24 R words. Sized to that,
     * not to the worst of both, as the buffers are wiped whole at the end
     * (6 MW each was 14 MB touched for 10,000 values) */
    size_t BW = MW + GF2_PLANES * nw, B4 = (size_t)24 * (size_t)R + 64;
    BW = (BW > B4 ? BW : B4) + 8 * GF2_PLANES;
    uint64_t *Wm = xmalloc(MW * 8), *buf[6];
    for (int i = 0; i < 6; i++) buf[i] = xcalloc(BW, 8);
    s_layout(Wm, vals, N, k, L, ib);
    int rc = 0;
    /* Many lanes: binary levels (bytes bound: a 4-ary level compares twice as
     * many pairs); few: 4-ary ones (rounds bound: 9 rounds instead of 14).
     * The layout keeps index order either way (see s_level4). */
    for (size_t P = Np; P > 1 && rc == 0;) {
        if (P > BIN_MAX_4ARY_LANES || P == 2) {
            rc = s_level2(M, Wm, R, k, P / 2, buf);
            P /= 2;
        } else {
            rc = s_level4(M, Wm, R, k, P / 4, buf);
            P /= 4;
        }
    }
    if (rc == 0) {
        for (int j = 0; j < k; j++) bin_row_copy(max, k, j, Wm, R, j, 1);
        for (int j = 0; j < ib; j++) bin_row_copy(idx, ib, j, Wm, R, k + j, 1);
    }
    sodium_memzero(Wm, MW * 8);
    free(Wm);
    for (int i = 0; i < 6; i++) {
        sodium_memzero(buf[i], BW * 8);
        free(buf[i]);
    }
    return rc;
}
