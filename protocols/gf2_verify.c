/* gf2_verify: the binary domain's relation log and its compressed check over
 * GF(2^64) (see gf2_verify.h).
 *
 * Claim. The log holds N relations x_l * y_l = z_l over GF(2^4), cut into
 * S_SL = 8 slices of B blocks (64 lanes each, zero padded): relation (c, l) is
 * lane l of slice c. f_l, g_l are the polynomials of degree 7 with
 * f_l(c) = x_(c,l), g_l(c) = y_(c,l) at the points 1..8 of GF(2^4).
 *
 * First level (as verify_fold.c over F_p). A coin gives coefficients
 * a_l = r_w s_k for lane l = (block w, bit k): 64 + B elements of GF(2^64)
 * instead of N/8. The servers hold H(c) = sum_l a_l z_(c,l) for c = 1..8
 * (degree t, local) and compute H(c) = sum_l a_l f_l(c) g_l(c) for c = 9..15
 * (the other non-zero elements of GF(2^4): 8 slices is the most it allows),
 * where f_l(c), g_l(c) are GF(2^4) combinations of the slices and the products
 * are bit-sliced GF(2^4) products (degree 2t, one reduction round for the
 * seven). If some relation is false, sum_l a_l (x y - z)_(c,l) != 0 for some
 * c but with probability <= 2/2^64 (a non-zero polynomial of degree 2 in r, s:
 * Schwartz-Zippel), and then H and sum_l a_l f_l g_l are distinct polynomials
 * of degree <= 14, equal at the coin beta with probability <= 14/(2^64-15).
 * The sums over lanes use the bit-slicing: sum_k s_k emb(v_k) for a word of
 * lanes is a GF(2)-linear function of the four plane words, read from byte
 * tables (8 lookups per plane word), then one product by r_w per word.
 *
 * Fold: u_l = s_k f_l(beta), v_l = r_w g_l(beta) (so <u, v> = sum_l a_l
 * f_l g_l (beta) = H(beta) if the claim was true), f_l(beta) read from four
 * byte tables over the 32 bits of x_(1..8,l) (8x8 bit transposes gather
 * them): N/8 coordinates of GF(2^64), two products each.
 *
 * Levels and last level, final round: as verify.c, over GF(2^64) with the
 * points 1..2k-1 as field elements, fan-in 4 then 16 until at most 127
 * coordinates remain; above S_HALVE coordinates a level has fan-in 2 over
 * the points 0, 1 and infinity (f(x) = u0 + x (u0 + u1): h(0) and the leading
 * coefficient h(inf) cost one product per pair each, the fold one per pair and
 * vector; sound except with probability 2/2^64); the masks rho_a, rho_b
 * (PRSS, degree t) join the last level, their product reduced in the first level's round. Each level is
 * sound except with probability (2k-2)/(2^64-2k+1). Final: open u', v', Z'
 * (degree t checked with every live share; u', v' one round before Z' when
 * more than t+2 servers take part), test Z' = u' v'. */
#include "protocols/gf2_verify.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/xalloc.h"
#include "protocols/gf2.h"
#include "protocols/gf64.h"
#include "protocols/gf64share.h"
#include "protocols/mpc_impl.h"

#define S_DOMAIN 0x42565230u   /* "BVR0": the check's coefficient streams */
/* The first level: S_SL slices of blocks, polynomials of degree S_SL - 1
 * through them at the points 1..S_SL of GF(2^4), h at 1..S_NP (all 15
 * non-zero elements: 8 slices is the most GF(2^4) allows). */
#define S_SL 8
#define S_NE (S_SL - 1)
#define S_NP (2 * S_SL - 1)
#define S_KLAST 128            /* the last level takes at most 127 coordinates + the mask */
/* Above this many coordinates a level halves (fan-in 2, two products per
 * pair, 2 rounds) rather than quarters (fan-in 4, about 31 products per four):
 * at about 2 ns per product and 0.15 ms per round, halving twice pays from
 * about 25,000 coordinates. */
#define S_HALVE ((size_t)1 << 15)

typedef struct bstate {
    uint64_t *log;             /* GF2V_CAP blocks of GF2V_BLOCK words, mapped once */
    uint64_t *u, *v;           /* the fold's vectors: 16 per block, mapped once */
    size_t n, hw, uhw;         /* blocks logged, high-water marks */
    uint64_t flushes, rounds;
} bstate;

static void *s_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) abort();
    return p;
}

#define S_LOG_BYTES ((GF2V_CAP + S_SL) * GF2V_BLOCK * 8)
#define S_VEC_BYTES ((GF2V_CAP / 4 + 2) * 64 * 8 + 8 * S_KLAST)

static bstate *s_state(mpc *M)
{
    if (M->bstate) return M->bstate;
    bstate *V = xcalloc(1, sizeof *V);
    V->log = s_map(S_LOG_BYTES);
    V->u = s_map(S_VEC_BYTES);
    V->v = s_map(S_VEC_BYTES);
    M->bstate = V;
    return V;
}

void gf2v_free(mpc *M)
{
    bstate *V = M->bstate;
    if (!V) return;
    sodium_memzero(V->log, (V->hw + S_SL < GF2V_CAP + S_SL ? V->hw + S_SL : GF2V_CAP + S_SL) * GF2V_BLOCK * 8);
    sodium_memzero(V->u, V->uhw * 8);
    sodium_memzero(V->v, V->uhw * 8);
    munmap(V->log, S_LOG_BYTES);
    munmap(V->u, S_VEC_BYTES);
    munmap(V->v, S_VEC_BYTES);
    free(V);
    M->bstate = NULL;
}

size_t gf2v_pending(const mpc *M)
{
    const bstate *V = M->bstate;
    return V && M->security == MPC_MALICIOUS ? V->n : 0;
}

void gf2v_stats(const mpc *M, uint64_t *flushes, uint64_t *rounds)
{
    const bstate *V = M->bstate;
    if (flushes) *flushes = V ? V->flushes : 0;
    if (rounds) *rounds = V ? V->rounds : 0;
}

int gf2v_reserve(mpc *M, size_t nw, uint64_t **blocks)
{
    bstate *V = s_state(M);
    if (nw > GF2V_CAP) return mpc_fail(M, ERR_ARG, "binary domain: %zu blocks in one gate", nw);
    if (V->n + nw > GF2V_CAP) {
        int rc = gf2_verify(M);
        if (rc) return rc;
    }
    *blocks = V->log + V->n * GF2V_BLOCK;
    V->n += nw;
    if (V->n > V->hw) V->hw = V->n;
    return 0;
}

int gf2_log_bits(mpc *M, const uint64_t *x, size_t nw)
{
    if (M->security != MPC_MALICIOUS || nw == 0) return 0;
    uint64_t *b;
    int rc = gf2v_reserve(M, nw, &b);
    for (size_t w = 0; rc == 0 && w < nw; w++, b += GF2V_BLOCK)
        for (int p = 0; p < GF2_PLANES; p++) b[p] = b[4 + p] = b[8 + p] = x[(size_t)p * nw + w];
    return rc;
}

/* ---- GF(2^64) over the live servers (gf64share.h) ------------------------------- */

/* GRR degree reduction of m <= 2*S_KLAST degree-2t values over GF(2^64): the
 * first 2t+1 live servers reshare lambda_i d_i at degree t (fresh randomness);
 * one round. Errors in it are covered by the check (a wrong value fails it). */
static int s_reduce(mpc *M, uint64_t *out, const uint64_t *d, size_t m)
{
    int t = M->t, pts[GF2_MAX_PARTIES], np = gf64s_live(M, pts), nr = 2 * t + 1, mine = -1, rc = 0;
    uint64_t lam[GF2_MAX_PARTIES], e[2 * S_KLAST], q[2 * S_KLAST], in[2 * S_KLAST];
    uint64_t coef[GF2_MAX_PARTIES][2 * S_KLAST], step = mpc_step(M);
    for (int a = 0; a < np; a++)
        if (pts[a] == M->me) mine = a;
    gf64s_lagrange(lam, pts, nr, 0);
    uint64_t acc[2 * S_KLAST] = { 0 };
    if (mine < nr) {
        for (size_t i = 0; i < m; i++) e[i] = gf64_mul(lam[mine], d[i]);
        randombytes_buf(coef, (size_t)t * sizeof coef[0]);
        uint8_t *wire = mpc_wire(M, m * 8);
        for (int b = 0; b < np && rc == 0; b++) {
            uint64_t x = gf64_embed((uint8_t)pts[b]);
            for (size_t i = 0; i < m; i++) {   /* Horner: e + sum_k coef_k x^(k+1) */
                uint64_t y = 0;
                for (int k = t - 1; k >= 0; k--) y = gf64_mul(y ^ coef[k][i], x);
                q[i] = y ^ e[i];
            }
            if (pts[b] == M->me) {
                for (size_t i = 0; i < m; i++) acc[i] ^= q[i];
                continue;
            }
            gf2_put_words(wire, q, m);
            rc = mpc_send_raw(M, pts[b], MPC_MSG_BINV, step, wire, m * 8, m);
        }
        sodium_memzero(wire, m * 8);
    }
    for (int a = 0; a < nr && rc == 0; a++) {
        if (pts[a] == M->me) continue;
        if ((rc = gf64s_recv(M, pts[a], step, in, m)) == 0)
            for (size_t i = 0; i < m; i++) acc[i] ^= in[i];
    }
    memcpy(out, acc, m * 8);
    sodium_memzero(coef, sizeof coef);
    sodium_memzero(e, sizeof e);
    sodium_memzero(q, sizeof q);
    sodium_memzero(acc, sizeof acc);
    return rc;
}

/* A public point of GF(2^64) outside pts[0..np) from a fresh coin. */
static int s_beta(mpc *M, const uint64_t *pts, int np, uint64_t *beta)
{
    uint8_t seed[32];
    int rc = mpc_coin(M, seed);
    if (rc) return rc;
    prg g;
    prg_init(&g, seed, S_DOMAIN | 1, 0);
    for (int again = 1; again;) {
        uint8_t b[8];
        prg_bytes(&g, b, 8);
        gf2_get_words(beta, b, 1);
        again = 0;
        for (int i = 0; i < np; i++) again |= *beta == pts[i];
    }
    prg_wipe(&g);
    return 0;
}

/* Inverses of the Lagrange denominators prod_{b != a} (pts[a] - pts[b]). */
static void s_dinv(uint64_t *dinv, const uint64_t *pts, int np)
{
    for (int a = 0; a < np; a++) {
        uint64_t den = 1;
        for (int b = 0; b < np; b++)
            if (b != a) den = gf64_mul(den, pts[a] ^ pts[b]);
        dinv[a] = gf64_inv(den);
    }
}

/* Lagrange weights at x over the points pts[0..np) of GF(2^64), the
 * numerators by prefix and suffix products. */
static void s_weights_d(uint64_t *out, const uint64_t *pts, const uint64_t *dinv, int np,
                        uint64_t x)
{
    uint64_t pre = 1, suf = 1;
    for (int a = 0; a < np; a++) {
        out[a] = pre;
        pre = gf64_mul(pre, x ^ pts[a]);
    }
    for (int a = np - 1; a >= 0; a--) {
        out[a] = gf64_mul(gf64_mul(out[a], suf), dinv[a]);
        suf = gf64_mul(suf, x ^ pts[a]);
    }
}

static void s_weights(uint64_t *out, const uint64_t *pts, int np, uint64_t x)
{
    uint64_t dinv[2 * S_KLAST];
    s_dinv(dinv, pts, np);
    s_weights_d(out, pts, dinv, np, x);
}

/* ---- the first level, on the bit-sliced log -------------------------------------- */

/* Byte tables of a linear map of 64-bit plane words: tab[j][b] = sum over
 * the set bits i of b of col[8j + i]. */
static void s_tables(uint64_t (*tab)[256], const uint64_t *col)
{
    for (int j = 0; j < 8; j++) {
        tab[j][0] = 0;
        for (int b = 1; b < 256; b++) {
            int i = __builtin_ctz((unsigned)b);
            tab[j][b] = tab[j][b & (b - 1)] ^ col[8 * j + i];
        }
    }
}

static inline uint64_t s_apply(uint64_t (*tab)[256], uint64_t w)
{
    return tab[0][w & 255] ^ tab[1][w >> 8 & 255] ^ tab[2][w >> 16 & 255] ^
           tab[3][w >> 24 & 255] ^ tab[4][w >> 32 & 255] ^ tab[5][w >> 40 & 255] ^
           tab[6][w >> 48 & 255] ^ tab[7][w >> 56];
}

/* 8x8 bit transpose: bit b of byte i -> bit i of byte b (Hacker's Delight 7-3). */
static inline uint64_t s_transpose8(uint64_t x)
{
    uint64_t t;
    t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
    x = x ^ t ^ (t << 7);
    t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
    x = x ^ t ^ (t << 14);
    t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
    return x ^ t ^ (t << 28);
}

/* ext[c][q]: which of the 4 S_SL words (slice d, plane p at bit 4d + p) make
 * plane q of f(S_SL + 1 + c) (GF(2^4) Lagrange over 1..S_SL). */
static void s_ext_masks(uint32_t ext[S_NE][4])
{
    int pts[S_SL];
    for (int d = 0; d < S_SL; d++) pts[d] = d + 1;
    memset(ext, 0, S_NE * 4 * sizeof ext[0][0]);
    for (int c = 0; c < S_NE; c++) {
        uint8_t lam[S_SL];
        gf2_lagrange(lam, pts, S_SL, S_SL + 1 + c);
        for (int d = 0; d < S_SL; d++)
            for (int p = 0; p < 4; p++) {
                uint8_t v = gf16_mul(lam[d], (uint8_t)(1u << p));
                for (int q = 0; q < 4; q++)
                    if (v >> q & 1u) ext[c][q] |= (uint32_t)1 << (4 * d + p);
            }
    }
}

static inline void s_gfmul1(uint64_t z[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t d4 = (a[1] & b[3]) ^ (a[2] & b[2]) ^ (a[3] & b[1]);
    uint64_t d5 = (a[2] & b[3]) ^ (a[3] & b[2]), d6 = a[3] & b[3];
    z[0] = (a[0] & b[0]) ^ d4;
    z[1] = (a[0] & b[1]) ^ (a[1] & b[0]) ^ d4 ^ d5;
    z[2] = (a[0] & b[2]) ^ (a[1] & b[1]) ^ (a[2] & b[0]) ^ d5 ^ d6;
    z[3] = (a[0] & b[3]) ^ (a[1] & b[2]) ^ (a[2] & b[1]) ^ (a[3] & b[0]) ^ d6;
}

static inline void s_extend(uint64_t out[4], const uint64_t in[4 * S_SL], const uint32_t m[4])
{
    for (int q = 0; q < 4; q++) {
        uint64_t acc = 0;
        for (int i = 0; i < 4 * S_SL; i++) acc ^= in[i] & ((uint64_t)0 - (uint64_t)(m[q] >> i & 1u));
        out[q] = acc;
    }
}

/* The slices' words of block w: in[4d + p] = plane p of slice d (x or y:
 * off 0 or 4), z the same for z (off 8). */
static void s_gather(uint64_t in[4 * S_SL], const uint64_t *log, size_t B, size_t w, int off)
{
    for (int d = 0; d < S_SL; d++)
        for (int p = 0; p < 4; p++) in[4 * d + p] = log[((size_t)d * B + w) * GF2V_BLOCK + (size_t)off + (size_t)p];
}

typedef struct coefs {
    uint64_t s[64];
    uint64_t *r;               /* B */
} coefs;

/* The hot loops, once per product (gf2_verify_loops.h): portable, and with
 * the carry-less multiply inlined where the CPU has it. */
#define GF2V_FN(name) name##_sw
#define GF2V_CLMUL gf64_clmul_soft
#define GF2V_TARGET
#include "protocols/gf2_verify_loops.h"
#undef GF2V_FN
#undef GF2V_CLMUL
#undef GF2V_TARGET
#ifdef GF64_HAVE_CLMUL
#define GF2V_FN(name) name##_hw
#define GF2V_CLMUL gf64_clmul_hw
#define GF2V_TARGET GF64_TARGET_CLMUL
#include "protocols/gf2_verify_loops.h"
#undef GF2V_FN
#undef GF2V_CLMUL
#undef GF2V_TARGET
#endif

typedef struct loops {
    void (*first)(const uint64_t *, size_t, const coefs *, uint64_t *);
    void (*first_fold)(const uint64_t *, size_t, const coefs *, uint64_t, uint64_t *, uint64_t *);
    void (*level_h)(const uint64_t *, const uint64_t *, size_t, size_t, uint64_t *, uint64_t *);
    void (*level_fold)(uint64_t *, uint64_t *, size_t, size_t, uint64_t);
    void (*level2_h)(const uint64_t *, const uint64_t *, size_t, uint64_t *);
    void (*level2_fold)(uint64_t *, uint64_t *, size_t, uint64_t);
} loops;

static const loops *s_loops(void)
{
    static const loops sw = { s_first_sw, s_first_fold_sw, s_level_h_sw, s_level_fold_sw,
                              s_level2_h_sw, s_level2_fold_sw };
#ifdef GF64_HAVE_CLMUL
    static const loops hw = { s_first_hw, s_first_fold_hw, s_level_h_hw, s_level_fold_hw,
                              s_level2_h_hw, s_level2_fold_hw };
    if (gf64_hw()) return &hw;
#endif
    return &sw;
}

/* ---- generic levels over GF(2^64) ------------------------------------------------ */

/* sum_c W_c(beta) H[c] over the points P[0..np). */
static uint64_t s_eval(const uint64_t *H, const uint64_t *P, int np, uint64_t beta)
{
    uint64_t w[2 * S_KLAST];
    s_weights(w, P, np, beta);
    gf64_wide acc = { 0, 0 };
    for (int c = 0; c < np; c++) gf64_mac(&acc, w[c], H[c]);
    return gf64_reduce(acc);
}

/* Levels on u, v (len coordinates, claim Z) down to one coordinate each. */
static int s_levels(mpc *M, uint64_t *u, uint64_t *v, size_t len, uint64_t *Z,
                    const uint64_t rho[2], uint64_t maskprod)
{
    uint64_t H[2 * S_KLAST], pts[2 * S_KLAST], beta;
    uint64_t *lam = xmalloc(S_KLAST * S_KLAST * 8);   /* public weights */
    int rc = 0;
    for (int done = 0; !done && rc == 0;) {
        size_t k, L;
        if (len > S_HALVE) {   /* long vectors: halve at two products per pair */
            L = (len + 1) / 2;
            u[2 * L - 1] = len & 1 ? 0 : u[2 * L - 1];
            v[2 * L - 1] = len & 1 ? 0 : v[2 * L - 1];
            uint64_t D[2];
            s_loops()->level2_h(u, v, L, D);
            if ((rc = s_reduce(M, D, D, 2)) != 0) break;
            if ((rc = s_beta(M, NULL, 0, &beta)) != 0) break;
            s_loops()->level2_fold(u, v, L, beta);
            /* h(beta) = h(0) + beta (h(0) + h(1) + h(inf)) + beta^2 h(inf), h(0) + h(1) = Z */
            *Z = D[0] ^ gf64_mul(beta, *Z ^ D[1]) ^ gf64_mul(gf64_mul(beta, beta), D[1]);
            len = L;
            sodium_memzero(D, sizeof D);
            continue;
        }
        if (len + 1 <= S_KLAST) {
            u[len] = rho[0];
            v[len] = rho[1];
            k = len + 1;
            L = 1;
            *Z ^= maskprod;
            done = 1;
        } else {
            k = len > ((size_t)1 << 14) ? 4 : 16;
            L = (len + k - 1) / k;
            for (size_t i = len; i < k * L; i++) u[i] = v[i] = 0;
        }
        uint64_t D[2 * S_KLAST];
        s_loops()->level_h(u, v, k, L, D, lam);
        /* reduce all but h(k) (which is Z - sum_{c<k} h(c)) */
        memmove(D + k - 1, D + k, (k - 1) * 8);
        if ((rc = s_reduce(M, D, D, 2 * k - 2)) != 0) break;
        uint64_t hk = *Z;
        for (size_t c = 0; c + 1 < k; c++) hk ^= D[c];
        memcpy(H, D, (k - 1) * 8);
        H[k - 1] = hk;
        memcpy(H + k, D + k - 1, (k - 1) * 8);
        for (size_t c = 0; c < 2 * k - 1; c++) pts[c] = c + 1;
        if ((rc = s_beta(M, pts, (int)(2 * k - 1), &beta)) != 0) break;
        s_loops()->level_fold(u, v, k, L, beta);
        *Z = s_eval(H, pts, (int)(2 * k - 1), beta);
        len = L;
        sodium_memzero(D, sizeof D);
    }
    sodium_memzero(H, sizeof H);
    free(lam);
    return rc;
}

/* Open u, v, Z (degree t checked with every live share) and test Z = u v. */
static int s_final(mpc *M, uint64_t u, uint64_t v, uint64_t Z)
{
    int pts[GF2_MAX_PARTIES], np = gf64s_live(M, pts), t = M->t, two = np > t + 2, rc = 0;
    uint64_t mine[3] = { u, v, Z }, all[GF2_MAX_PARTIES][3], val[3];
    for (int r = 0; r < 1 + two && rc == 0; r++) {
        size_t off = two && r ? 2 : 0, cnt = two ? (r ? 1 : 2) : 3;
        uint64_t step = mpc_step(M);
        uint8_t *wire = mpc_wire(M, cnt * 8);
        gf2_put_words(wire, mine + off, cnt);
        for (int a = 0; a < np && rc == 0; a++)
            if (pts[a] != M->me) rc = mpc_send_raw(M, pts[a], MPC_MSG_BINV, step, wire, cnt * 8, cnt);
        for (int a = 0; a < np && rc == 0; a++) {
            if (pts[a] == M->me) memcpy(all[a] + off, mine + off, cnt * 8);
            else rc = gf64s_recv(M, pts[a], step, all[a] + off, cnt);
        }
        uint64_t lam[GF2_MAX_PARTIES];
        for (int k = t + 1; k <= np && rc == 0; k++) {   /* k == np: the secret */
            gf64s_lagrange(lam, pts, t + 1, k < np ? pts[k] : 0);
            for (size_t i = off; i < off + cnt; i++) {
                gf64_wide acc = { 0, 0 };
                for (int a = 0; a <= t; a++) gf64_mac(&acc, lam[a], all[a][i]);
                uint64_t x = gf64_reduce(acc);
                if (k == np) val[i] = x;
                else if (x != all[k][i]) rc = ERR_CHEAT;
            }
        }
    }
    if (rc == 0 && val[2] != gf64_mul(val[0], val[1])) rc = ERR_CHEAT;
    sodium_memzero(mine, sizeof mine);
    return rc;
}

static int s_check(mpc *M, bstate *V)
{
    size_t B = (V->n + S_SL - 1) / S_SL;
    uint64_t *log = V->log, rho[2], H[S_NP], R[S_NE + 1], P[S_NP], Z = 0, beta;
    memset(log + V->n * GF2V_BLOCK, 0, (S_SL * B - V->n) * GF2V_BLOCK * 8);
    coefs C;
    C.r = xmalloc(B * 8);
    uint8_t seed[32];
    int rc = mpc_coin(M, seed);
    if (rc == 0) rc = gf64s_masks(M, rho, 2);
    if (rc == 0) {
        prg g;
        prg_init(&g, seed, S_DOMAIN, 0);
        prg_bytes(&g, (uint8_t *)C.s, sizeof C.s);
        prg_bytes(&g, (uint8_t *)C.r, B * 8);
        prg_wipe(&g);
        s_loops()->first(log, B, &C, H);
        memcpy(R, H + S_SL, S_NE * 8);
        R[S_NE] = gf64_mul(rho[0], rho[1]);
        rc = s_reduce(M, R, R, S_NE + 1);
    }
    for (int c = 0; c < S_NP; c++) P[c] = gf64_embed((uint8_t)(c + 1));
    if (rc == 0) {
        memcpy(H + S_SL, R, S_NE * 8);
        rc = s_beta(M, P, S_NP, &beta);
    }
    if (rc == 0) {
        size_t len = 64 * B;
        if (len > V->uhw) V->uhw = len + S_KLAST;
        s_loops()->first_fold(log, B, &C, beta, V->u, V->v);
        Z = s_eval(H, P, S_NP, beta);
        rc = s_levels(M, V->u, V->v, len, &Z, rho, R[S_NE]);
    }
    if (rc == 0) rc = s_final(M, V->u[0], V->v[0], Z);
    sodium_memzero(rho, sizeof rho);
    sodium_memzero(R, sizeof R);
    sodium_memzero(H, sizeof H);
    free(C.r);
    return rc;
}

int gf2_verify(mpc *M)
{
    if (M->security != MPC_MALICIOUS) return 0;
    if (M->dead) return mpc_fail(M, ERR_CHEAT, "binary check failed: a server deviated");
    bstate *V = M->bstate;
    if (!V || V->n == 0) return 0;
    uint64_t r0, r1;
    mpc_stats(M, &r0, NULL, NULL);
    int rc = s_check(M, V);
    mpc_stats(M, &r1, NULL, NULL);
    V->flushes++;
    V->rounds += r1 - r0;
    V->n = 0;
    if (rc == 0) return 0;
    M->dead = 1;   /* whatever failed, nothing is opened any more */
    if (rc == ERR_CHEAT) return mpc_fail(M, ERR_CHEAT, "binary check failed: a server deviated");
    return mpc_fail(M, rc, "binary check: %s", mpc_errmsg(M));
}
