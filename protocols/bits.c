/* bits: pooled shared random bits (PRSS XORs, or DFKNT06 square roots) and
 * bit decomposition (masked opening + Sklansky prefix borrow circuit). */
#include "protocols/bits.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/mpc_impl.h"
#include "protocols/mul.h"
#include "protocols/prss.h"

static void s_pool_reserve(mpc *M, size_t cap)
{
    if (cap <= M->bitpool_cap) return;
    size_t nc = M->bitpool_cap ? M->bitpool_cap : 1024;
    while (nc < cap) nc *= 2;
    fe *np = xmalloc(nc * sizeof(fe));
    if (M->bitpool_len) memcpy(np, M->bitpool, M->bitpool_len * sizeof(fe));
    secmem_free(M->bitpool, M->bitpool_cap * sizeof(fe));
    M->bitpool = np;
    M->bitpool_cap = nc;
}

/* a^2 mod 2^m - 1 for m <= 120, lazily reduced: the result is congruent and
 * below 2^m + 8, a bound that the next squaring keeps (m <= 120; one
 * 64x64 product less than fe_mul and no compare). */
static inline fe s_sqr_lazy(fe a, int m, fe mask)
{
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
    fe p00 = (fe)a0 * a0, p01 = (fe)a0 * a1;
    fe p11 = (fe)a1 * a1;
    fe mid = (p00 >> 64) + ((fe)(uint64_t)p01 << 1);
    fe lo = (uint64_t)p00 | (mid << 64);
    fe hi = (fe)p11 + ((p01 >> 64) << 1) + (mid >> 64);
    fe r = (lo & mask) + ((hi << (128 - m)) | (lo >> m));
    return (r & mask) + (r >> m);
}

#define S_LANES 4   /* independent squaring chains in flight (latency-bound) */

/* mers-2 lazy squarings of a[0..m), S_LANES chains at a time; inlined with a
 * constant mers for the default field so every shift is by a constant. */
static inline void s_sqrt_lazy(fe *q, const fe *a, size_t m, int mers)
{
    const fe p = ((fe)1 << mers) - 1, mask = p;   /* below p + 8: one subtraction */
    size_t i = 0;
    for (; i + S_LANES <= m; i += S_LANES) {
        fe v[S_LANES];
        for (int k = 0; k < S_LANES; k++) v[k] = a[i + (size_t)k];
        for (int s = 0; s < mers - 2; s++)
            for (int k = 0; k < S_LANES; k++) v[k] = s_sqr_lazy(v[k], mers, mask);
        for (int k = 0; k < S_LANES; k++) q[i + (size_t)k] = v[k] >= p ? v[k] - p : v[k];
    }
    for (; i < m; i++) {
        fe v = a[i];
        for (int s = 0; s < mers - 2; s++) v = s_sqr_lazy(v, mers, mask);
        q[i] = v >= p ? v - p : v;
    }
}

/* q[i] = a[i]^((p+1)/4), the square root of a quadratic residue (p = 3 mod 4). */
static void s_sqrt_exp(const field *F, fe *q, const fe *a, size_t m)
{
    if (F->mers == 89) {
        s_sqrt_lazy(q, a, m, 89);   /* (p+1)/4 = 2^(mers-2) */
    } else if (F->mers && F->mers <= 120) {
        s_sqrt_lazy(q, a, m, F->mers);
    } else if (F->mers) {
        for (size_t i = 0; i < m; i++) {
            fe v = a[i];
            for (int s = 0; s < F->mers - 2; s++) v = fe_mul(F, v, v);
            q[i] = v;
        }
    } else {
        fe e = (F->p + 1) / 4;
        for (size_t i = 0; i < m; i++) q[i] = fe_pow(F, a[i], e);
    }
}

/* m bits into dst: every PRSS group T expands k_T into one bit u_T per value,
 * which its holders share locally as u_T f_T(me) (prss.h); the bit is the XOR
 * of the groups' (mpc_xor_bits). The group of the cheaters has only honest
 * holders, so the XOR is uniform and unknown to them; the products are logged
 * in malicious mode like any multiplication. */
static int s_fill_prss(mpc *M, fe *dst, size_t m, int G)
{
    size_t chunk = (size_t)1 << 20;   /* bounds the tree's memory for large fills */
    int rc = 0;
    for (size_t off = 0; off < m && rc == 0; off += chunk) {
        size_t c = m - off < chunk ? m - off : chunk, mark = mpc_mark(M), nb = (c + 7) / 8;
        fe *u = mpc_alloc(M, (size_t)G * c);
        uint8_t *raw = xmalloc((size_t)G * nb);
        prss_raw(M->ps, raw, nb);
        for (int g = 0; g < G; g++) {
            fe w = prss_weight(M->ps, g);
            const uint8_t *r = raw + (size_t)g * nb;
            for (size_t i = 0; i < c; i++)   /* w or 0 without a branch on the secret bit */
                u[(size_t)g * c + i] = w & -(fe)(r[i / 8] >> (i % 8) & 1u);
        }
        rc = mpc_xor_bits(M, dst + off, u, G, c);
        sodium_memzero(raw, (size_t)G * nb);
        free(raw);
        sodium_memzero(u, (size_t)G * c * sizeof(fe));
        mpc_release(M, mark);
    }
    return rc;
}

int bits_fill(mpc *M, size_t m)
{
    const field *F = M->F;
    int G = M->ps ? prss_groups(M->ps, NULL) : 0;
    if (m == 0) return 0;
    if (G >= 1 && G <= BITS_PRSS_GROUPS) {
        s_pool_reserve(M, M->bitpool_len + m);
        int rc = s_fill_prss(M, M->bitpool + M->bitpool_len, m, G);
        if (rc == 0) M->bitpool_len += m;
        return rc;
    }
    if ((F->p & 3) != 3) return mpc_fail(M, ERR_ARG, "random bits: p is not 3 mod 4");
    s_pool_reserve(M, M->bitpool_len + m);
    size_t mark = mpc_mark(M);
    fe *r = mpc_alloc(M, m), *s = mpc_alloc(M, m), *tmp = mpc_alloc(M, m);
    fe inv2 = (F->p + 1) / 2;
    int rc = 0;
    size_t need = m;
    while (need > 0) {
        mpc_rand(M, r, need);
        /* reveals r^2 only; in malicious mode the relation r * r = s is logged,
         * so a rigged square (bits that are not bits) fails the verification
         * that precedes any opening the bits take part in. r is fresh PRSS,
         * so nothing needs verifying first. */
        rc = mpc_open_prod_ex(M, s, r, r, need, MPC_OPEN_NV);
        if (rc) break;
        size_t k = 0;
        for (size_t i = 0; i < need; i++) {
            if (s[i] == 0) continue;   /* r = 0: no sign to take, retry */
            r[k] = r[i];
            s[k] = s[i];
            k++;
        }
        if (k && (rc = field_vec_inv(F, s, tmp, k)) != 0) break;
        s_sqrt_exp(F, tmp, s, k);      /* tmp = 1 / sqrt(r^2) = +-1/r */
        fe *dst = M->bitpool + M->bitpool_len;
        for (size_t i = 0; i < k; i++)
            dst[i] = fe_mul(F, mpc_fadd(F, fe_mul(F, r[i], tmp[i]), 1), inv2);
        M->bitpool_len += k;
        need -= k;
    }
    mpc_release(M, mark);
    return rc;
}

int bits_fill_rounds(int n, int t)
{
    long G = 1;
    for (int i = 0; i < t; i++) G = G * (n - i) / (i + 1);   /* C(n, t) */
    if (G > BITS_PRSS_GROUPS) return 1;
    int r = 0;
    while ((1L << r) < G) r++;
    return r;
}

int bits_rand(mpc *M, fe *out, size_t m)
{
    if (M->bitpool_len < m) {
        int rc = bits_fill(M, m - M->bitpool_len);
        if (rc) return rc;
    }
    fe *src = M->bitpool + (M->bitpool_len - m);
    memcpy(out, src, m * sizeof(fe));
    sodium_memzero(src, m * sizeof(fe));
    M->bitpool_len -= m;
    return 0;
}

size_t bits_pooled(const mpc *M)
{
    return M->bitpool_len;
}

void bits_compose(const field *F, fe *out, const fe *bits, size_t m, int k)
{
    for (size_t i = 0; i < m; i++) {
        fe acc = 0;
        for (int j = k; j-- > 0;) acc = mpc_fadd(F, mpc_fadd(F, acc, acc), bits[i * (size_t)k + (size_t)j]);
        out[i] = acc;
    }
}

void bits_of_public(fe *out, fe c, int k)
{
    for (int j = 0; j < k; j++) out[j] = (j < 128) ? (fe)((c >> j) & 1) : 0;
}

/* Sklansky parallel prefix of the borrow operator (G, P) o (G', P') =
 * (G + P*G', P*P') over L positions of m values (layout i*L + j): afterwards
 * G[i*L + j] is the borrow out of positions j..0. One round per level. */
static int s_prefix(mpc *M, fe *G, fe *P, size_t m, int L)
{
    const field *F = M->F;
    int rc = 0;
    size_t cap = m * (size_t)L * 2 + 1, mark = mpc_mark(M);
    fe *X = mpc_alloc(M, cap), *Y = mpc_alloc(M, cap);
    for (int s = 1; s < L; s <<= 1) {
        size_t q = 0;
        for (size_t v = 0; v < m; v++) {
            fe *g = G + v * (size_t)L, *p = P + v * (size_t)L;
            for (int i = 0; i < L; i++) {
                if (!(i & s)) continue;
                int b = i & ~(2 * s - 1), j = b + s - 1;
                X[q] = p[i]; Y[q++] = g[j];
                if (b) { X[q] = p[i]; Y[q++] = p[j]; }
            }
        }
        rc = mpc_mul(M, X, X, Y, q);
        if (rc) break;
        q = 0;
        for (size_t v = 0; v < m; v++) {
            fe *g = G + v * (size_t)L, *p = P + v * (size_t)L;
            for (int i = 0; i < L; i++) {
                if (!(i & s)) continue;
                int b = i & ~(2 * s - 1);
                g[i] = mpc_fadd(F, g[i], X[q++]);
                if (b) p[i] = X[q++];
            }
        }
    }
    mpc_release(M, mark);
    return rc;
}

int bits_dec(mpc *M, fe *out, fe *opened, const fe *x, size_t m, int K)
{
    const field *F = M->F;
    if (K < 1 || K > 64 || M->kappa < 0) return ERR_ARG;
    if (F->bits < K + M->kappa + 2)
        return mpc_fail(M, ERR_RANGE, "bits_dec: p too small for K=%d, kappa=%d", K, M->kappa);
    if (m == 0) return 0;
    int nb = K + M->kappa, L = K - 1, rc;
    size_t nrb = m * (size_t)nb, nl = m * (size_t)(L > 0 ? L : 1), mark = mpc_mark(M);
    fe *rb = mpc_alloc(M, nrb), *c = mpc_alloc(M, m);
    fe *G = mpc_alloc(M, nl), *P = mpc_alloc(M, nl), *U = mpc_alloc(M, nl), *B = mpc_alloc(M, nl);

    rc = bits_rand(M, rb, nrb);
    if (rc) goto out;
    bits_compose(F, c, rb, m, nb);          /* r = sum 2^j r_j: K low bits, kappa high */
    field_vec_add(F, c, c, x, m);
    rc = mpc_open(M, c, c, m);              /* c = x + r, statistically hiding x */
    if (rc) goto out;
    if (opened) memcpy(opened, c, m * sizeof(fe));

    for (size_t v = 0; v < m; v++) {
        const fe *r = rb + v * (size_t)nb;
        fe cv = c[v];
        for (int j = 0; j < L; j++) {
            int cj = (int)((cv >> j) & 1);
            G[v * (size_t)L + (size_t)j] = cj ? 0 : r[j];                       /* !c & r */
            P[v * (size_t)L + (size_t)j] = cj ? r[j] : mpc_fsub(F, 1, r[j]);      /* c == r */
        }
    }
    if (L > 1 && (rc = s_prefix(M, G, P, m, L)) != 0) goto out;
    /* x_j = u_j xor beta_j with u_j = c_j xor r_j and beta_j = G[j-1] */
    for (size_t v = 0; v < m; v++) {
        const fe *r = rb + v * (size_t)nb;
        fe cv = c[v];
        for (int j = 1; j < K; j++) {
            int cj = (int)((cv >> j) & 1);
            U[v * (size_t)L + (size_t)(j - 1)] = cj ? mpc_fsub(F, 1, r[j]) : r[j];
            B[v * (size_t)L + (size_t)(j - 1)] = G[v * (size_t)L + (size_t)(j - 1)];
        }
    }
    if (L > 0) {
        rc = mpc_mul(M, P, U, B, m * (size_t)L);   /* P reused for u*beta */
        if (rc) goto out;
    }
    for (size_t v = 0; v < m; v++) {
        const fe *r = rb + v * (size_t)nb;
        fe *o = out + v * (size_t)K;
        o[0] = (c[v] & 1) ? mpc_fsub(F, 1, r[0]) : r[0];
        for (int j = 1; j < K; j++) {
            size_t e = v * (size_t)L + (size_t)(j - 1);
            fe uv = mpc_fadd(F, U[e], B[e]);
            o[j] = mpc_fsub(F, uv, mpc_fadd(F, P[e], P[e]));
        }
    }
out:
    mpc_release(M, mark);
    return rc;
}
