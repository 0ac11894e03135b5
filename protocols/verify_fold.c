/* verify_fold: the first level of the check when the log is one run of elementwise relations
 * (mul, comparison, tournament), with the random combination done per group of four relations.
 *
 * Cut x, y, z into 4 slices of L coordinates (zero padded); f_l, g_l are the cubics with
 * f_l(c) = x[(c-1)L + l], g_l(c) likewise. The relations say f_l(c) g_l(c) = z[(c-1)L + l] for
 * c = 1..4. One 64-bit coefficient a_l per group (from a coin drawn after the log is fixed) gives
 * the degree-6 polynomial T = sum_l a_l f_l g_l; the servers hold H with H(c) = sum_l a_l z_(c,l)
 * for c = 1..4 (local, degree t: no multiplication) and H(5..7) = shares of sum_l a_l f_l g_l
 * at 5..7 (local products, one degree reduction with the mask product). A coin beta outside
 * 1..7 gives the inner-product claim <u, v> = H(beta) with u_l = a_l f_l(beta), v_l = g_l(beta),
 * L coordinates, checked by the levels that follow (verify.c).
 *
 * Soundness: if some relation (c, l) is false, T(c) - H(c) = sum_l a_l e_(c,l) with e_(c,.) a
 * non-zero vector fixed before the coin, so it is 0 with probability <= 2^-64; otherwise T and H
 * are distinct polynomials of degree <= 6 (a server's errors in H(5..7) are fixed before beta)
 * and agree at beta with probability <= 6/(p-7): the same bound as the theta combination plus
 * a fan-in 4 level. Against the combination per relation, a group shares its coefficient: a
 * quarter of the coefficients, 3 products instead of 6 per group, x, y and z only read. */
#include <string.h>
#include <sodium.h>
#include "common/prg.h"
#include "protocols/mpc.h"
#include "protocols/mpc_impl.h"
#include "protocols/verify.h"
#include "protocols/verify_impl.h"

#define ELEM_BLOCK 512   /* coefficients per refill: 4 * 512 products per accumulator at most */

static void s_stream(prg *g, const uint8_t seed[32])
{
    prg_init(g, seed, VERIFY_DOMAIN | 3, 0);
}

static inline __attribute__((always_inline)) void s_elem4_run(const field *F, const fe *x,
                                                              const fe *y, const fe *z, size_t L,
                                                              prg *g, fe Hz[4], fe H2[3], int lazy)
{
    fe hz[4] = { 0 }, h[3] = { 0 }, p64 = F->p << 6;   /* 64 p > every negative part, inputs < p */
    const fe *x1 = x, *x2 = x + L, *x3 = x + 2 * L, *x4 = x + 3 * L;
    const fe *y1 = y, *y2 = y + L, *y3 = y + 2 * L, *y4 = y + 3 * L;
    const fe *z1 = z, *z2 = z + L, *z3 = z + 2 * L, *z4 = z + 3 * L;
    uint64_t th[ELEM_BLOCK];
    for (size_t base = 0; base < L; base += ELEM_BLOCK) {
        size_t cnt = L - base < ELEM_BLOCK ? L - base : ELEM_BLOCK;
        prg_bytes(g, (uint8_t *)th, sizeof th);   /* whole blocks: the fold reads them alike */
        u256 A[3] = { { 0, 0 } }, AZ[4] = { { 0, 0 } };
        for (size_t j = 0; j < cnt; j++) {
            size_t l = base + j;
            uint64_t t = th[j];
            fe a1 = x1[l], a2 = x2[l], a3 = x3[l], a4 = x4[l];
            fe b1 = y1[l], b2 = y2[l], b3 = y3[l], b4 = y4[l];
            s_mac64(&AZ[0], z1[l], t);
            s_mac64(&AZ[1], z2[l], t);
            s_mac64(&AZ[2], z3[l], t);
            s_mac64(&AZ[3], z4[l], t);
            fe a5 = (a4 << 2) + (a2 << 2) + p64 - ((a3 << 2) + (a3 << 1) + a1);
            fe a6 = 10 * a4 + 15 * a2 + p64 - (20 * a3 + (a1 << 2));
            fe a7 = 20 * a4 + 36 * a2 + p64 - (45 * a3 + 10 * a1);
            fe b5 = (b4 << 2) + (b2 << 2) + p64 - ((b3 << 2) + (b3 << 1) + b1);
            fe b6 = 10 * b4 + 15 * b2 + p64 - (20 * b3 + (b1 << 2));
            fe b7 = 20 * b4 + 36 * b2 + p64 - (45 * b3 + 10 * b1);
            if (!lazy) {   /* constant per instantiation */
                a5 = s_red(F, a5), a6 = s_red(F, a6), a7 = s_red(F, a7);
                b5 = s_red(F, b5), b6 = s_red(F, b6), b7 = s_red(F, b7);
            }
            /* lazy: a < 2^96, a t partly reduced below 2^91 */
            s_mac(&A[0], s_mul64p(F, a5, t, lazy), b5);
            s_mac(&A[1], s_mul64p(F, a6, t, lazy), b6);
            s_mac(&A[2], s_mul64p(F, a7, t, lazy), b7);
        }
        for (int c = 0; c < 3; c++) h[c] = mpc_fadd(F, h[c], s_fold256(F, A[c]));
        for (int c = 0; c < 4; c++) hz[c] = mpc_fadd(F, hz[c], s_fold256(F, AZ[c]));
    }
    memcpy(Hz, hz, sizeof hz);
    memcpy(H2, h, sizeof h);
}

void verify_elem4(const field *F0, const fe *x, const fe *y, const fe *z, size_t L,
                  const uint8_t seed[32], fe Hz[4], fe H2[3])
{
    /* a local copy of the field: its constants stay in registers */
    field Fl = *F0;
    prg g;
    s_stream(&g, seed);
    if (Fl.mers == 89) {   /* the default prime for k = 32: shifts by constants */
        Fl.mers = 89;
        Fl.p = Fl.mask = ((fe)1 << 89) - 1;
        s_elem4_run(&Fl, x, y, z, L, &g, Hz, H2, 1);
    } else if (s_lazy(&Fl)) {
        s_elem4_run(&Fl, x, y, z, L, &g, Hz, H2, 1);
    } else {
        s_elem4_run(&Fl, x, y, z, L, &g, Hz, H2, 0);
    }
    prg_wipe(&g);
}

/* f(beta) from f(1..4) < p: lazy fields by Newton's forward form at 1 (w = binomials of
 * beta - 1, the differences offset by multiples of p), else by the Lagrange weights w of 1..4. */
static inline __attribute__((always_inline)) fe s_at(const field *F, const fe *w, fe a1, fe a2,
                                                     fe a3, fe a4, int lazy)
{
    if (lazy) {
        fe p1 = F->p << 1, p2 = F->p << 2, p4 = F->p << 3;
        fe d1 = a2 + p1 - a1, d2 = a3 + a1 + p2 - (a2 << 1), d3 = a4 + 3 * a2 + p4 - (3 * a3 + a1);
        u256 A = { a1, 0 };
        s_mac(&A, w[1], d1);
        s_mac(&A, w[2], d2);
        s_mac(&A, w[3], d3);
        return s_fold256(F, A);
    }
    u256 A = { 0, 0 };
    s_mac(&A, w[0], a1);
    s_mac(&A, w[1], a2);
    s_mac(&A, w[2], a3);
    s_mac(&A, w[3], a4);
    return s_fold256(F, A);
}

static inline __attribute__((always_inline)) void s_fold_run(const field *F, fe *x, fe *y, size_t L,
                                                             const fe *w, prg *g, int lazy)
{
    const fe *x2 = x + L, *x3 = x + 2 * L, *x4 = x + 3 * L;
    const fe *y2 = y + L, *y3 = y + 2 * L, *y4 = y + 3 * L;
    uint64_t th[ELEM_BLOCK];
    for (size_t base = 0; base < L; base += ELEM_BLOCK) {
        size_t cnt = L - base < ELEM_BLOCK ? L - base : ELEM_BLOCK;
        prg_bytes(g, (uint8_t *)th, sizeof th);
        for (size_t j = 0; j < cnt; j++) {
            size_t l = base + j;
            fe fu = s_at(F, w, x[l], x2[l], x3[l], x4[l], lazy);
            fe fv = s_at(F, w, y[l], y2[l], y3[l], y4[l], lazy);
            x[l] = s_mul64(F, fu, th[j]);
            y[l] = fv;
        }
    }
}

void verify_elem4_fold(const field *F0, fe *x, fe *y, size_t L, fe beta, const uint8_t seed[32])
{
    field Fl = *F0;
    const field *F = &Fl;
    fe w[4];
    int lazy = s_lazy(F);
    if (lazy) {
        fe s = fe_sub(F, beta, 1), inv2 = fe_inv(F, 2), inv3 = fe_inv(F, 3);
        w[0] = 1;
        w[1] = s;
        w[2] = fe_mul(F, fe_mul(F, w[1], fe_sub(F, s, 1)), inv2);
        w[3] = fe_mul(F, fe_mul(F, w[2], fe_sub(F, s, 2)), inv3);
    } else {
        for (int c = 1; c <= 4; c++) {
            fe num = 1, den = 1;
            for (int m = 1; m <= 4; m++) {
                if (m == c) continue;
                num = fe_mul(F, num, fe_sub(F, beta, (fe)m));
                den = fe_mul(F, den, fe_from_i64(F, c - m));
            }
            w[c - 1] = fe_mul(F, num, fe_inv(F, den));
        }
    }
    prg g;
    s_stream(&g, seed);
    if (Fl.mers == 89) {
        Fl.mers = 89;
        Fl.p = Fl.mask = ((fe)1 << 89) - 1;
        s_fold_run(&Fl, x, y, L, w, &g, 1);
    } else if (lazy) {
        s_fold_run(&Fl, x, y, L, w, &g, 1);
    } else {
        s_fold_run(&Fl, x, y, L, w, &g, 0);
    }
    prg_wipe(&g);
}

/* ---- one long inner product, produced on demand (the batched bit check of a vote) ----------
 *
 * The claim <a, b> = z (z opened at degree 2t, public) goes through one fan-in 4 level at once:
 * h = sum_l f_l g_l over the four slices, h(1..3) and h(5..7) reduced in one round, h(4) = z -
 * h(1) - h(2) - h(3), a coin beta outside 1..7, and the log receives the inner product of the
 * folds f(beta), g(beta) (L entries) with the shared value h(beta): exactly the first level the
 * check would run on the full vectors (same soundness bound, 6/(p-7), no h value opened), but
 * the entries are produced twice instead of being written to the log, so a batch of n entries
 * costs the log n/4 of them. */

#define DOT_BLOCK 256

int verify_stream_ok(const field *F)
{
    return s_fast4(F);
}

static inline __attribute__((always_inline)) void s_dot_pass(const field *F, const verify_stream *S,
                                                             size_t L, fe h[7])
{
    fe a[4][DOT_BLOCK], b[4][DOT_BLOCK];
    for (int c = 0; c < 4; c++) S->seek(S->ctx, c, (size_t)c * L);
    for (int c = 0; c < 7; c++) h[c] = 0;
    for (size_t base = 0; base < L; base += DOT_BLOCK) {
        size_t cnt = L - base < DOT_BLOCK ? L - base : DOT_BLOCK;
        for (int c = 0; c < 4; c++) S->gen(S->ctx, c, a[c], b[c], cnt);
        u256 A[7] = { { 0, 0 } };
        for (size_t j = 0; j < cnt; j++) {
            fe a5, a6, a7, b5, b6, b7;
            s_ext4(F, a[0][j], a[1][j], a[2][j], a[3][j], &a5, &a6, &a7);
            s_ext4(F, b[0][j], b[1][j], b[2][j], b[3][j], &b5, &b6, &b7);
            for (int c = 0; c < 4; c++) s_mac(&A[c], a[c][j], b[c][j]);
            s_mac(&A[4], a5, b5);
            s_mac(&A[5], a6, b6);
            s_mac(&A[6], a7, b7);
        }
        for (int c = 0; c < 7; c++) h[c] = mpc_fadd(F, h[c], s_fold256(F, A[c]));
    }
    sodium_memzero(a, sizeof a);
    sodium_memzero(b, sizeof b);
}

static inline __attribute__((always_inline)) void s_dot_fold(const field *F, const verify_stream *S,
                                                             size_t L, const fe *w, fe *la,
                                                             fe *lb, int lazy)
{
    fe a[4][DOT_BLOCK], b[4][DOT_BLOCK];
    for (int c = 0; c < 4; c++) S->seek(S->ctx, c, (size_t)c * L);
    for (size_t base = 0; base < L; base += DOT_BLOCK) {
        size_t cnt = L - base < DOT_BLOCK ? L - base : DOT_BLOCK;
        for (int c = 0; c < 4; c++) S->gen(S->ctx, c, a[c], b[c], cnt);
        for (size_t j = 0; j < cnt; j++) {
            la[base + j] = s_at(F, w, a[0][j], a[1][j], a[2][j], a[3][j], lazy);
            lb[base + j] = s_at(F, w, b[0][j], b[1][j], b[2][j], b[3][j], lazy);
        }
    }
    sodium_memzero(a, sizeof a);
    sodium_memzero(b, sizeof b);
}

/* The weights of s_at for beta. */
static void s_weights(const field *F, fe beta, fe w[4])
{
    if (s_lazy(F)) {
        fe s = fe_sub(F, beta, 1), inv2 = fe_inv(F, 2), inv3 = fe_inv(F, 3);
        w[0] = 1;
        w[1] = s;
        w[2] = fe_mul(F, fe_mul(F, w[1], fe_sub(F, s, 1)), inv2);
        w[3] = fe_mul(F, fe_mul(F, w[2], fe_sub(F, s, 2)), inv3);
        return;
    }
    for (int c = 1; c <= 4; c++) {
        fe num = 1, den = 1;
        for (int m = 1; m <= 4; m++) {
            if (m == c) continue;
            num = fe_mul(F, num, fe_sub(F, beta, (fe)m));
            den = fe_mul(F, den, fe_from_i64(F, c - m));
        }
        w[c - 1] = fe_mul(F, num, fe_inv(F, den));
    }
}

int verify_open_dot_stream(mpc *M, fe *out, const verify_stream *S)
{
    const field Fl = *M->F, *F = &Fl;
    size_t al = S->align ? S->align : 1, L = (S->n + 3) / 4;
    L = (L + al - 1) / al * al;
    if (L == 0) L = al;
    fe h[7], H[7], R[6], beta, w[4], tmp[14], acc = 0, *la, *lb, *lz;
    s_dot_pass(F, S, L, h);
    for (int c = 0; c < 4; c++) acc = mpc_fadd(F, acc, h[c]);
    int rc = verify_open_2t(M, out, &acc, 1, NULL);
    R[0] = h[0], R[1] = h[1], R[2] = h[2], R[3] = h[4], R[4] = h[5], R[5] = h[6];
    if (rc == 0) rc = mul_reduce_unlogged(M, R, R, 6);
    if (rc == 0) {
        H[0] = R[0], H[1] = R[1], H[2] = R[2];
        H[3] = mpc_fsub(F, mpc_fsub(F, mpc_fsub(F, *out, R[0]), R[1]), R[2]);
        H[4] = R[3], H[5] = R[4], H[6] = R[5];
        rc = verify_beta(M, 7, &beta);
    }
    if (rc == 0) rc = verify_log_dot(M, L, &la, &lb, &lz);
    if (rc == 0) {
        s_weights(F, beta, w);
        if (s_lazy(F)) s_dot_fold(F, S, L, w, la, lb, 1);
        else s_dot_fold(F, S, L, w, la, lb, 0);
        rc = verify_eval(F, lz, H, 7, beta, tmp);
    }
    sodium_memzero(h, sizeof h);
    sodium_memzero(H, sizeof H);
    sodium_memzero(R, sizeof R);
    sodium_memzero(&acc, sizeof acc);
    return rc;
}
