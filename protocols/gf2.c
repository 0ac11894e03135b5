/* gf2: bit-sliced Shamir sharing over GF(2^4) and its gates (see gf2.h). */
#include "protocols/gf2.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/xalloc.h"
#include "protocols/gf2_verify.h"
#include "protocols/mpc_impl.h"

#define S_DOMAIN 0x42494e00u   /* "BIN\0": the resharing coefficients' stream */

uint8_t gf16_mul(uint8_t a, uint8_t b)
{
    unsigned r = 0;
    for (int i = 0; i < 4; i++)
        if (b >> i & 1u) r ^= (unsigned)a << i;
    for (int i = 6; i >= 4; i--)   /* x^4 = x + 1 */
        if (r >> i & 1u) r ^= 0x13u << (i - 4);
    return (uint8_t)(r & 15u);
}

uint8_t gf16_inv(uint8_t a)
{
    for (uint8_t b = 1; b < 16; b++)
        if (gf16_mul(a, b) == 1) return b;
    return 0;
}

void gf2_scale(uint64_t *out, uint8_t c, const uint64_t *x, size_t nw)
{
    uint64_t col[4][4];   /* col[l][k]: all-ones when bit k of c * x^l is set */
    for (int l = 0; l < 4; l++) {
        uint8_t v = gf16_mul(c, (uint8_t)(1u << l));
        for (int k = 0; k < 4; k++) col[l][k] = (uint64_t)0 - (uint64_t)(v >> k & 1u);
    }
    for (size_t w = 0; w < nw; w++) {
        uint64_t a[4] = { x[w], x[nw + w], x[2 * nw + w], x[3 * nw + w] };
        for (int k = 0; k < 4; k++)
            out[(size_t)k * nw + w] = (a[0] & col[0][k]) ^ (a[1] & col[1][k]) ^
                                      (a[2] & col[2][k]) ^ (a[3] & col[3][k]);
    }
}

/* z = x * y elementwise (bit-sliced schoolbook product, then x^4 = x + 1). */
static void s_mul(uint64_t *z, const uint64_t *x, const uint64_t *y, size_t nw)
{
    for (size_t w = 0; w < nw; w++) {
        uint64_t a0 = x[w], a1 = x[nw + w], a2 = x[2 * nw + w], a3 = x[3 * nw + w];
        uint64_t b0 = y[w], b1 = y[nw + w], b2 = y[2 * nw + w], b3 = y[3 * nw + w];
        uint64_t d4 = (a1 & b3) ^ (a2 & b2) ^ (a3 & b1), d5 = (a2 & b3) ^ (a3 & b2), d6 = a3 & b3;
        z[w] = (a0 & b0) ^ d4;
        z[nw + w] = (a0 & b1) ^ (a1 & b0) ^ d4 ^ d5;
        z[2 * nw + w] = (a0 & b2) ^ (a1 & b1) ^ (a2 & b0) ^ d5 ^ d6;
        z[3 * nw + w] = (a0 & b3) ^ (a1 & b2) ^ (a2 & b1) ^ (a3 & b0) ^ d6;
    }
}

void gf2_xor(uint64_t *z, const uint64_t *x, const uint64_t *y, size_t nw)
{
    for (size_t w = 0; w < GF2_PLANES * nw; w++) z[w] = x[w] ^ y[w];
}

void gf2_not(uint64_t *z, const uint64_t *x, size_t nw)
{
    if (z != x) memmove(z, x, GF2_PLANES * nw * sizeof *z);
    for (size_t w = 0; w < nw; w++) z[w] = ~z[w];
}

/* Lagrange weights at the point `at` over the points pts[0..np): out[a] =
 * prod_{b != a} (at - pts[b]) / (pts[a] - pts[b]); minus is XOR here. */
void gf2_lagrange(uint8_t *out, const int *pts, int np, int at)
{
    for (int a = 0; a < np; a++) {
        uint8_t num = 1, den = 1;
        for (int b = 0; b < np; b++) {
            if (b == a) continue;
            num = gf16_mul(num, (uint8_t)(at ^ pts[b]));
            den = gf16_mul(den, (uint8_t)(pts[a] ^ pts[b]));
        }
        out[a] = gf16_mul(num, gf16_inv(den));
    }
}

uint8_t gf2_prss_weight(unsigned T, int n, int me)
{
    if (T >> (me - 1) & 1u) return 0;
    uint8_t num = 1, den = 1;
    for (int j = 1; j <= n; j++)
        if (T >> (j - 1) & 1u) {
            num = gf16_mul(num, (uint8_t)(j ^ me));
            den = gf16_mul(den, (uint8_t)j);
        }
    return gf16_mul(num, gf16_inv(den));
}

/* acc ^= c * x (4*nw words), tmp of 4*nw words. */
static void s_axpy(uint64_t *acc, uint8_t c, const uint64_t *x, uint64_t *tmp, size_t nw)
{
    gf2_scale(tmp, c, x, nw);
    gf2_xor(acc, acc, tmp, nw);
}

/* The polynomial e + sum_k coef[k] X^(k+1) at point xp (Horner): out. */
static void s_eval(uint64_t *out, const uint64_t *e, const uint64_t *coef, int t, int xp,
                   uint64_t *tmp, size_t nw)
{
    size_t L = GF2_PLANES * nw;
    if (t == 0) {
        memcpy(out, e, L * sizeof *out);
        return;
    }
    memcpy(out, coef + (size_t)(t - 1) * L, L * sizeof *out);
    for (int k = t - 2; k >= 0; k--) {
        gf2_scale(out, (uint8_t)xp, out, nw);
        gf2_xor(out, out, coef + (size_t)k * L, nw);
    }
    gf2_scale(out, (uint8_t)xp, out, nw);
    gf2_xor(out, out, e, nw);
    (void)tmp;
}

void gf2_share(uint64_t *const *shares, const uint64_t *bits, size_t nw, int n, int t)
{
    size_t L = GF2_PLANES * nw;
    uint64_t *e = xcalloc(L ? L : 1, sizeof *e), *coef = xmalloc((size_t)(t ? t : 1) * L * 8 + 8);
    memcpy(e, bits, nw * sizeof *e);
    randombytes_buf(coef, (size_t)t * L * sizeof *coef);
    for (int i = 0; i < n; i++) s_eval(shares[i], e, coef, t, i + 1, NULL, nw);
    sodium_memzero(coef, (size_t)t * L * sizeof *coef);
    sodium_memzero(e, L * sizeof *e);
    free(coef);
    free(e);
}

void gf2_share_values(uint8_t *shares, const uint8_t *vals, size_t m, int n, int t)
{
    uint8_t coef[GF2_MAX_PARTIES];
    for (size_t j = 0; j < m; j++) {
        randombytes_buf(coef, (size_t)t);
        for (int i = 0; i < n; i++) {   /* Horner at the point i + 1 */
            uint8_t y = 0;
            for (int k = t - 1; k >= 0; k--) y = gf16_mul((uint8_t)(y ^ (coef[k] & 15u)), (uint8_t)(i + 1));
            shares[(size_t)i * m + j] = (uint8_t)(y ^ (vals[j] & 15u));
        }
    }
    sodium_memzero(coef, sizeof coef);
}

/* Reconstruct from the first t+1 of pts and check the others and bitness. */
static int s_reconstruct(uint64_t *bits, const uint64_t *const *rows, const int *pts, int np,
                         int t, size_t nw)
{
    size_t L = GF2_PLANES * nw;
    uint64_t *acc = xcalloc(L ? L : 1, sizeof *acc), *tmp = xmalloc(L * 8 + 8);
    uint8_t lam[GF2_MAX_PARTIES];
    int rc = 0;
    for (int k = t + 1; k < np && rc == 0; k++) {   /* every other share on the polynomial */
        gf2_lagrange(lam, pts, t + 1, pts[k]);
        memset(acc, 0, L * sizeof *acc);
        for (int a = 0; a <= t; a++) s_axpy(acc, lam[a], rows[a], tmp, nw);
        if (memcmp(acc, rows[k], L * sizeof *acc) != 0) rc = ERR_CHEAT;
    }
    memset(acc, 0, L * sizeof *acc);
    gf2_lagrange(lam, pts, t + 1, 0);
    for (int a = 0; a <= t && rc == 0; a++) s_axpy(acc, lam[a], rows[a], tmp, nw);
    for (size_t w = nw; w < L && rc == 0; w++)   /* planes 1..3 of a bit are 0 */
        if (acc[w]) rc = ERR_CHEAT;
    if (rc == 0) memcpy(bits, acc, nw * sizeof *bits);
    free(acc);
    free(tmp);
    return rc;
}

int gf2_reconstruct(uint64_t *bits, const uint64_t *const *shares, size_t nw, int n, int t)
{
    int pts[GF2_MAX_PARTIES];
    if (n < 1 || n > GF2_MAX_PARTIES || t < 0 || t >= n) return ERR_ARG;
    for (int i = 0; i < n; i++) pts[i] = i + 1;
    return s_reconstruct(bits, shares, pts, n, t, nw);
}

/* ---- the gates that talk ----------------------------------------------------- */

void gf2_put_words(uint8_t *b, const uint64_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) b[8 * i + (size_t)k] = (uint8_t)(w[i] >> (8 * k));
}

void gf2_get_words(uint64_t *w, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) v |= (uint64_t)b[8 * i + (size_t)k] << (8 * k);
        w[i] = v;
    }
}

int gf2_recv_words(mpc *M, int j, uint8_t type, uint64_t step, uint64_t *w, size_t L, int acc,
                   uint64_t *tmp)
{
    uint8_t *pl = NULL;
    size_t len = 0;
    int rc = mpc_recv_raw(M, j, type, step, &pl, &len);
    if (rc == 0 && len != L * 8)
        rc = mpc_fail(M, ERR_PROTO, "binary step %llu: S%d sent %zu bytes, %zu expected",
                      (unsigned long long)step, j, len, L * 8);
    if (rc == 0) {
        gf2_get_words(tmp, pl, L);
        for (size_t i = 0; i < L; i++) w[i] = acc ? w[i] ^ tmp[i] : tmp[i];
    }
    if (pl) sodium_memzero(pl, len);
    free(pl);
    return rc;
}

/* The live servers in order; *nr of them reshare (the first 2t+1). */
static int s_live(const mpc *M, int *pts)
{
    int k = 0;
    for (int j = 1; j <= M->n; j++)
        if (M->live >> (j - 1) & 1u) pts[k++] = j;
    return k;
}

/* The stream of resharer i's values for peer j at this step (pairwise key). */
static void s_stream(mpc *M, uint64_t *out, size_t L, int i, int j, uint64_t step)
{
    prg g;
    int other = i == M->me ? j : i;
    prg_init(&g, M->pairkey + (size_t)(other - 1) * 32, S_DOMAIN | (uint32_t)i, step);
    prg_bytes(&g, (uint8_t *)out, L * 8);
    prg_wipe(&g);
}

/* D_i: the t live servers after position a (cyclically among the np live). */
static int s_in_D(int a, int b, int np, int t)
{
    int d = ((b - a) % np + np) % np;
    return d >= 1 && d <= t;
}

/* As mul.c over F_p: resharer i's degree-t polynomial q_i (q_i(0) =
 * lambda_i x_i y_i) takes at the t servers D_i values from the pairwise
 * streams, so those need no message; i sends q_i(s) only to the others. */
static int s_check_n(mpc *M)
{
    return M->n > GF2_MAX_PARTIES ? mpc_fail(M, ERR_ARG, "binary domain: n > 15") : 0;
}

/* In malicious mode the gate's relation goes to the log (x, y now: z may
 * alias them; z at the end). */
static int s_log_xy(mpc *M, uint64_t **blk, const uint64_t *x, const uint64_t *y, size_t nw)
{
    *blk = NULL;
    if (M->security != MPC_MALICIOUS) return 0;
    int rc = gf2v_reserve(M, nw, blk);
    for (size_t w = 0; rc == 0 && w < nw; w++)
        for (int p = 0; p < GF2_PLANES; p++) {
            (*blk)[w * GF2V_BLOCK + (size_t)p] = x[(size_t)p * nw + w];
            (*blk)[w * GF2V_BLOCK + 4 + (size_t)p] = y[(size_t)p * nw + w];
        }
    return rc;
}

int gf2_and(mpc *M, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t nw)
{
    uint64_t *blk;
    int rc0 = s_check_n(M);
    if (rc0 == 0) rc0 = s_log_xy(M, &blk, x, y, nw);
    if (rc0) return rc0;
    size_t L = GF2_PLANES * nw;
    int t = M->t, pts[GF2_MAX_PARTIES], np = s_live(M, pts), nr = 2 * t + 1, mine = -1;
    for (int a = 0; a < np; a++)
        if (pts[a] == M->me) mine = a;
    uint64_t *buf = xmalloc((size_t)(t + 4) * L * 8 + 8);
    uint64_t *e = buf, *r = e + L, *q = r + (size_t)t * L, *tmp = q + L, *own = tmp + L;
    uint64_t step = mpc_step(M);
    int rc = 0;
    if (mine < nr) {
        uint8_t lam[GF2_MAX_PARTIES], w[GF2_MAX_PARTIES + 1];
        int ip[GF2_MAX_PARTIES + 1] = { 0 }, nd = 0;   /* interpolation points {0} u D */
        gf2_lagrange(lam, pts, nr, 0);
        s_mul(e, x, y, nw);
        gf2_scale(e, lam[mine], e, nw);
        for (int b = 0; b < np; b++)
            if (s_in_D(mine, b, np, t)) {
                ip[1 + nd] = pts[b];
                s_stream(M, r + (size_t)nd * L, L, M->me, pts[b], step);
                nd++;
            }
        uint8_t *wire = mpc_wire(M, L * 8);
        for (int b = 0; b < np && rc == 0; b++) {
            if (s_in_D(mine, b, np, t)) continue;
            gf2_lagrange(w, ip, nd + 1, pts[b]);
            gf2_scale(q, w[0], e, nw);
            for (int k = 0; k < nd; k++) s_axpy(q, w[k + 1], r + (size_t)k * L, tmp, nw);
            if (pts[b] == M->me) {
                memcpy(own, q, L * 8);   /* z may alias x or y: written after */
                continue;
            }
            gf2_put_words(wire, q, L);
            rc = mpc_send_raw(M, pts[b], MPC_MSG_BIN, step, wire, L * 8, 0);
        }
        memcpy(z, own, L * 8);
        sodium_memzero(wire, L * 8);
    } else {
        memset(z, 0, L * sizeof *z);
    }
    for (int a = 0; a < nr && rc == 0; a++) {
        if (pts[a] == M->me) continue;
        if (s_in_D(a, mine, np, t)) {   /* derived, no message */
            s_stream(M, q, L, pts[a], M->me, step);
            gf2_xor(z, z, q, nw);
        } else {
            rc = gf2_recv_words(M, pts[a], MPC_MSG_BIN, step, z, L, 1, tmp);
        }
    }
    sodium_memzero(buf, (size_t)(t + 4) * L * 8);
    free(buf);
    for (size_t w = 0; blk && rc == 0 && w < nw; w++)
        for (int p = 0; p < GF2_PLANES; p++) blk[w * GF2V_BLOCK + 8 + (size_t)p] = z[(size_t)p * nw + w];
    return rc;
}

int gf2_open(mpc *M, uint64_t *bits, const uint64_t *x, size_t nw)
{
    int rc0 = s_check_n(M);
    if (rc0 == 0 && M->dead) rc0 = mpc_fail(M, ERR_CHEAT, "a check failed: nothing is opened");
    if (rc0 == 0) rc0 = gf2_verify(M);
    if (rc0) return rc0;
    size_t L = GF2_PLANES * nw;
    int pts[GF2_MAX_PARTIES], np = s_live(M, pts), rc = 0;
    uint64_t *all = xmalloc((size_t)(np + 1) * L * 8 + 8), *tmp = all + (size_t)np * L;
    const uint64_t *rows[GF2_MAX_PARTIES];
    uint64_t step = mpc_step(M);
    uint8_t *wire = mpc_wire(M, L * 8);
    gf2_put_words(wire, x, L);
    for (int a = 0; a < np && rc == 0; a++)
        if (pts[a] != M->me) rc = mpc_send_raw(M, pts[a], MPC_MSG_BIN, step, wire, L * 8, 0);
    for (int a = 0; a < np && rc == 0; a++) {
        rows[a] = pts[a] == M->me ? x : all + (size_t)a * L;
        if (pts[a] != M->me) rc = gf2_recv_words(M, pts[a], MPC_MSG_BIN, step, all + (size_t)a * L, L, 0, tmp);
    }
    if (rc == 0 && (rc = s_reconstruct(bits, rows, pts, np, M->t, nw)) != 0)
        mpc_fail(M, rc, "binary open: shares of %zu bits do not fit degree %d or are not bits",
                 64 * nw, M->t);
    M->opened++;
    free(all);
    return rc;
}
