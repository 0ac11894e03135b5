/* verify: the log of multiplication relations and the batched compressed check.
 *
 * Claim. The log holds relations x_i y_i = z_i (z shared, or public: a public value is its
 * own degree-0 sharing) and inner products <a_j, b_j> = z_j. A coin opened after they are all
 * fixed gives 64-bit coefficients theta; with u = theta x (per relation; one theta per inner
 * product) and v = y the single claim is <u, v> = Z, Z = sum theta z, a degree-t sharing every
 * server holds a share of. A false relation survives the combination with prob. <= 2^-64.
 * (A log that is one run of elementwise relations skips this step: its first level combines
 * groups of four relations with one coefficient each, verify_fold.c, with the same bound.)
 *
 * One level (fan-in k; BBCGI19 section 4.2, GSZ20, BGIN19). Cut u and v into k
 * slices of L = ceil(N/k) coordinates (zero padded): f_l and g_l are the
 * polynomials of degree k-1 with f_l(c) = u[(c-1)L + l], g_l(c) likewise, and
 * h = sum_l f_l g_l has degree 2k-2 with sum_{c=1..k} h(c) = Z if the claim is
 * true. The servers compute shares of h(c) for c in {1..k-1, k+1..2k-1} (local
 * products, one degree reduction for all 2k-2 of them), set
 * h(k) = Z - sum_{c<k} h(c), draw a coin beta outside {1..2k-1} and continue
 * with u' = f(beta), v' = g(beta), Z' = h(beta): L coordinates. If the claim
 * was false, the h the servers hold differs from f g somewhere in 1..k, so the
 * new claim is true with probability <= (2k-2)/(p-2k+1). A server's errors in
 * the reduction are fixed before beta, so they are covered by the same bound.
 *
 * Last level. When few coordinates remain (s_is_last) the masks (rho_a, rho_b) are
 * appended as one more coordinate, their product (reduced in the first level's
 * round) added to Z, and the level runs with L = 1. Its output u', v' carry
 * rho_a, rho_b with the non-zero Lagrange weight of point k at beta, so they
 * are uniform, and Z' = u' v' is then determined: the opened values reveal
 * nothing. No h value is ever opened.
 *
 * Final round. Open u', v', Z' with all n shares checked against degree t,
 * test Z' = u' v', and compare every server's hash of the public values opened
 * so far. For n > t+2 u' and v' are opened one round before Z': with more than
 * t+1 honest servers an inconsistent (off-degree) sharing can enter the log,
 * and its product with an honest share inside h would otherwise show in the
 * value of Z'; the degree check of u', v' catches that before Z' is opened.
 *
 * Points and polynomials: slices are the points 1..k; the servers keep the backward
 * differences of f_l at k in place of the slices (Newton's backward form), so the extension
 * to k+1..2k-1 is additions only and the fold at beta is k-1 products per coordinate. */
#include "protocols/verify.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/mpc_impl.h"
#include "protocols/shamir.h"
#include "protocols/verify_impl.h"

#define VERIFY_PAD 8192            /* room past the relations: padding, the mask */
#define VERIFY_KLAST 512           /* largest fan-in of the last level: O(k^2) work */

typedef struct vseg {
    size_t start, len;
    int dot;                       /* one inner product, else elementwise */
} vseg;

typedef struct vstate {
    fe *X, *Y, *Z;                 /* relation log (secret), mapped once */
    size_t n, hw, bytes;           /* relations, high-water mark, mapping size */
    vseg *seg;
    size_t nseg, segcap;
    crypto_generichash_state pub;  /* every public value opened so far */
    uint64_t flushes, rounds, elems;
} vstate;

static fe *s_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) abort();
    (void)madvise(p, bytes, MADV_HUGEPAGE);   /* few faults on first touch */
    return p;
}

static vstate *s_state(mpc *M)
{
    if (M->vstate) return M->vstate;
    vstate *V = xcalloc(1, sizeof *V);
    V->bytes = (VERIFY_CAP + VERIFY_PAD) * sizeof(fe);
    V->X = s_map(V->bytes);
    V->Y = s_map(V->bytes);
    V->Z = s_map(V->bytes);
    crypto_generichash_init(&V->pub, (const uint8_t *)"mpc-public", 10, 32);
    M->vstate = V;
    return V;
}

/* Wipe the pages of [p, p + bytes) that were ever touched: untouched ones (most of Z when the
 * log held long inner products) hold nothing and are not faulted in just to be zeroed. */
static void s_wipe(fe *p, size_t bytes)
{
    size_t pg = 4096, np = (bytes + pg - 1) / pg;
    unsigned char *in = malloc(np);
    if (!in || mincore(p, bytes, in) != 0) {
        sodium_memzero(p, bytes);
        free(in);
        return;
    }
    for (size_t a = 0; a < np;) {
        if (!(in[a] & 1)) {
            a++;
            continue;
        }
        size_t b = a;
        while (b < np && (in[b] & 1)) b++;
        size_t end = b * pg < bytes ? b * pg : bytes;
        sodium_memzero((uint8_t *)p + a * pg, end - a * pg);
        a = b;
    }
    free(in);
}

void verify_free(mpc *M)
{
    vstate *V = M->vstate;
    if (!V) return;
    size_t used = (V->hw + VERIFY_PAD) * sizeof(fe);
    if (used > V->bytes) used = V->bytes;
    s_wipe(V->X, used);
    s_wipe(V->Y, used);
    s_wipe(V->Z, used);
    munmap(V->X, V->bytes);
    munmap(V->Y, V->bytes);
    munmap(V->Z, V->bytes);
    free(V->seg);
    sodium_memzero(V, sizeof *V);
    free(V);
    M->vstate = NULL;
}

size_t mpc_pending(const mpc *M)
{
    const vstate *V = M->vstate;
    return V && M->security == MPC_MALICIOUS ? V->n : 0;
}

void mpc_verify_stats(const mpc *M, uint64_t *flushes, uint64_t *rounds, uint64_t *elems)
{
    const vstate *V = M->vstate;
    if (flushes) *flushes = V ? V->flushes : 0;
    if (rounds) *rounds = V ? V->rounds : 0;
    if (elems) *elems = V ? V->elems : 0;
}

void verify_hash_public(mpc *M, const fe *v, size_t m)
{
    crypto_generichash_update(&s_state(M)->pub, (const uint8_t *)v, m * sizeof(fe));
}

static int s_small(mpc *M)
{
    return mpc_fail(M, ERR_RANGE, "malicious mode needs a prime of at least %d bits (this "
                    "one has %d): choose a larger prime or security semi-honest",
                    VERIFY_MIN_BITS, M->F->bits);
}

/* Room for m log entries in a segment of kind dot (a new one for every inner product; elementwise
 * relations extend the last elementwise segment). */
static int s_reserve(mpc *M, size_t m, int dot, size_t *pos)
{
    if (M->F->bits < VERIFY_MIN_BITS) return s_small(M);
    assert(m <= VERIFY_CAP);
    vstate *V = s_state(M);
    if (V->n + m > VERIFY_CAP) {
        int rc = mpc_verify(M);
        if (rc) return rc;
    }
    if (dot || V->nseg == 0 || V->seg[V->nseg - 1].dot) {
        if (V->nseg == V->segcap) {
            V->segcap = V->segcap ? 2 * V->segcap : 64;
            V->seg = xrealloc(V->seg, V->segcap * sizeof *V->seg);
        }
        V->seg[V->nseg++] = (vseg){ .start = V->n, .len = 0, .dot = dot };
    }
    V->seg[V->nseg - 1].len += m;
    *pos = V->n;
    V->n += m;
    if (V->n > V->hw) V->hw = V->n;
    return 0;
}

int verify_log_mul(mpc *M, size_t m, fe **x, fe **y, fe **z)
{
    size_t pos;
    int rc = s_reserve(M, m, 0, &pos);
    if (rc) return rc;
    vstate *V = M->vstate;
    *x = V->X + pos;
    *y = V->Y + pos;
    *z = V->Z + pos;
    return 0;
}

int verify_log_dot(mpc *M, size_t len, fe **a, fe **b, fe **z)
{
    size_t pos, l = len ? len : 1;   /* an empty sum is the entry 0 * 0 */
    int rc = s_reserve(M, l, 1, &pos);
    if (rc) return rc;
    vstate *V = M->vstate;
    V->X[pos] = V->Y[pos] = 0;
    *a = V->X + pos;
    *b = V->Y + pos;
    *z = V->Z + pos;
    return 0;
}

static inline uint64_t s_coef(coefs *c)
{
    if (c->pos == 512) {
        prg_bytes(&c->g, (uint8_t *)c->buf, sizeof c->buf);
        c->pos = 0;
    }
    return c->buf[c->pos++];
}

/* Elementwise relations [i0, n) of one segment, fast fields: x *= theta in place, returns sum
 * theta z. The coefficients are taken a buffer at a time (the stream is consumed exactly as by
 * s_coef): no branch per relation. */
static inline __attribute__((always_inline)) fe s_combine_run(const field *F, fe *x, const fe *z,
                                                              size_t i0, size_t n, coefs *cf)
{
    fe Z = 0;
    for (size_t i = i0; i < n;) {
        if (cf->pos == 512) {
            prg_bytes(&cf->g, (uint8_t *)cf->buf, sizeof cf->buf);
            cf->pos = 0;
        }
        size_t cnt = 512 - cf->pos;   /* <= S_BATCH products per accumulator */
        if (cnt > n - i) cnt = n - i;
        const uint64_t *th = cf->buf + cf->pos;
        fe *xi = x + i;
        const fe *zi = z + i;
        u256 A = { 0, 0 };
        for (size_t j = 0; j < cnt; j++) {
            xi[j] = s_mul64(F, xi[j], th[j]);
            s_mac64(&A, zi[j], th[j]);
        }
        Z = mpc_fadd(F, Z, s_fold256(F, A));
        cf->pos += cnt;
        i += cnt;
    }
    return Z;
}

static fe s_combine_fast(const field *F0, fe *x, const fe *z, size_t i0, size_t n, coefs *cf)
{
    field Fl = *F0;   /* a local copy: the stores into the log cannot alias it */
    if (Fl.mers == 89) {
        Fl.mers = 89;
        Fl.p = Fl.mask = ((fe)1 << 89) - 1;
        return s_combine_run(&Fl, x, z, i0, n, cf);
    }
    return s_combine_run(&Fl, x, z, i0, n, cf);
}

/* u = theta x in place (X), returns the local share of Z = sum theta z. The first relation's
 * coefficient is 1 (scaling all of them by one non-zero factor changes nothing), which spares the
 * products of a leading long inner product (the batched validity check of a vote). Coefficients
 * are 64-bit: a false relation survives with probability <= 2^-64 (p > 2^64). */
static fe s_combine(const field *F, vstate *V, const uint8_t seed[32])
{
    coefs cf;
    prg_init(&cf.g, seed, VERIFY_DOMAIN, 0);
    cf.pos = 512;
    fe Z = 0;
    int fast = s_fast4(F);
    for (size_t s = 0; s < V->nseg; s++) {
        const vseg *S = &V->seg[s];
        fe *x = V->X + S->start, *z = V->Z + S->start;
        size_t i0 = 0;
        if (S->dot || s == 0) {   /* one coefficient for the segment, or for x[0] */
            uint64_t th = s == 0 ? 1 : s_coef(&cf);
            size_t n = S->dot ? S->len : 1;
            if (th != 1)
                for (size_t i = 0; i < n; i++) x[i] = fe_mul(F, x[i], th);
            Z = mpc_fadd(F, Z, fe_mul(F, z[0], th));
            if (S->dot) continue;
            i0 = 1;
        }
        if (fast) {
            Z = mpc_fadd(F, Z, s_combine_fast(F, x, z, i0, S->len, &cf));
            continue;
        }
        for (size_t i = i0; i < S->len; i++) {
            uint64_t th = s_coef(&cf);
            x[i] = fe_mul(F, x[i], th);
            Z = mpc_fadd(F, Z, fe_mul(F, z[i], th));
        }
    }
    prg_wipe(&cf.g);
    sodium_memzero(cf.buf, sizeof cf.buf);
    return Z;
}

/* Local degree-2t shares of h at 1..k-1 (H2[0..k-2]) and k+1..2k-1 (H2[k-1..2k-3]); u and v are
 * replaced by the backward differences of their slice polynomials at k: position c*L + l holds
 * nabla^(k-1-c) f_l(k). tmp: 4k elements. */
static void s_level(const field *F, fe *u, fe *v, size_t k, size_t L, fe *H2, fe *tmp)
{
    fe *f = tmp, *g = tmp + k, *e = tmp + 2 * k, *h = tmp + 3 * k;
    memset(H2, 0, (2 * k - 2) * sizeof(fe));
    for (size_t l = 0; l < L; l++) {
        for (size_t c = 0; c < k; c++) {
            f[c] = u[c * L + l];
            g[c] = v[c * L + l];
        }
        for (size_t c = 0; c + 1 < k; c++) H2[c] = mpc_fadd(F, H2[c], fe_mul(F, f[c], g[c]));
        for (size_t j = 1; j < k; j++)
            for (size_t i = 0; i + j < k; i++) {
                f[i] = mpc_fsub(F, f[i + 1], f[i]);
                g[i] = mpc_fsub(F, g[i + 1], g[i]);
            }
        for (size_t c = 0; c < k; c++) {
            u[c * L + l] = e[c] = f[c];
            v[c * L + l] = h[c] = g[c];
        }
        for (size_t s = 1; s < k; s++) {   /* one step right: f(k+s) in e[k-1] */
            for (size_t i = 1; i < k; i++) {
                e[i] = mpc_fadd(F, e[i], e[i - 1]);
                h[i] = mpc_fadd(F, h[i], h[i - 1]);
            }
            H2[k - 2 + s] = mpc_fadd(F, H2[k - 2 + s], fe_mul(F, e[k - 1], h[k - 1]));
        }
    }
}


static inline __attribute__((always_inline)) void s_level4_run(const field *F, const fe *u,
                                                               const fe *v, size_t L, fe *H2)
{
    fe h[6] = { 0 };
    const fe *u1 = u, *u2 = u + L, *u3 = u + 2 * L, *u4 = u + 3 * L;
    const fe *v1 = v, *v2 = v + L, *v3 = v + 2 * L, *v4 = v + 3 * L;
    for (size_t base = 0; base < L; base += S_BATCH) {
        size_t end = L - base < S_BATCH ? L : base + S_BATCH;
        u256 A[6] = { { 0, 0 } };
        for (size_t l = base; l < end; l++) {
            fe a5, a6, a7, b5, b6, b7;
            s_ext4(F, u1[l], u2[l], u3[l], u4[l], &a5, &a6, &a7);
            s_ext4(F, v1[l], v2[l], v3[l], v4[l], &b5, &b6, &b7);
            s_mac(&A[0], u1[l], v1[l]);
            s_mac(&A[1], u2[l], v2[l]);
            s_mac(&A[2], u3[l], v3[l]);
            s_mac(&A[3], a5, b5);
            s_mac(&A[4], a6, b6);
            s_mac(&A[5], a7, b7);
        }
        for (int c = 0; c < 6; c++) h[c] = mpc_fadd(F, h[c], s_fold256(F, A[c]));
    }
    memcpy(H2, h, sizeof h);
}

static void s_level4(const field *F0, const fe *u, const fe *v, size_t L, fe *H2)
{
    field Fl = *F0;
    if (Fl.mers == 89) {
        Fl.mers = 89;
        Fl.p = Fl.mask = ((fe)1 << 89) - 1;
        s_level4_run(&Fl, u, v, L, H2);
    } else {
        s_level4_run(&Fl, u, v, L, H2);
    }
}

/* One vector of the lazy fold (s_fold4): x[l] = f_l(beta) in Newton's forward form at 1. */
static inline __attribute__((always_inline)) void s_fold4_lazy(const field *F, fe *x, size_t L,
                                                               const fe *w)
{
    /* offsets for inputs below 2p (partly reduced values) */
    fe p1 = F->p << 1, p2 = F->p << 2, p4 = F->p << 3, w1 = w[1], w2 = w[2], w3 = w[3];
    const fe *x2 = x + L, *x3 = x + 2 * L, *x4 = x + 3 * L;
    for (size_t l = 0; l < L; l++) {
        fe a1 = x[l], a2 = x2[l], a3 = x3[l], a4 = x4[l];
        fe d1 = a2 + p1 - a1, d2 = a3 + a1 + p2 - (a2 << 1);
        fe d3 = a4 + 3 * a2 + p4 - (3 * a3 + a1);
        u256 A = { a1, 0 };
        s_mac(&A, w1, d1);
        s_mac(&A, w2, d2);
        s_mac(&A, w3, d3);
        x[l] = s_fold256(F, A);
    }
}

/* Fold of the fan-in 4 level. Lazy fields: Newton's forward form at 1, f(beta) = f1 + C(s,1) D1 +
 * C(s,2) D2 + C(s,3) D3 with s = beta - 1 and the differences D offset by multiples of p (which
 * vanish mod p): three products per coordinate instead of four. Otherwise the Lagrange weights of
 * 1..4. */
static inline __attribute__((always_inline)) void s_fold4_run(const field *F, fe *u, fe *v,
                                                              size_t L, fe beta)
{
    fe w[4];
    if (s_lazy(F)) {
        fe s = fe_sub(F, beta, 1), inv2 = fe_inv(F, 2), inv3 = fe_inv(F, 3);
        w[1] = s;
        w[2] = fe_mul(F, fe_mul(F, w[1], fe_sub(F, s, 1)), inv2);
        w[3] = fe_mul(F, fe_mul(F, w[2], fe_sub(F, s, 2)), inv3);
        s_fold4_lazy(F, u, L, w);
        s_fold4_lazy(F, v, L, w);
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
    for (size_t l = 0; l < L; l++) {
        u256 a = { 0, 0 }, b = { 0, 0 };
        for (int c = 0; c < 4; c++) {
            s_mac(&a, w[c], u[(size_t)c * L + l]);
            s_mac(&b, w[c], v[(size_t)c * L + l]);
        }
        u[l] = s_fold256(F, a);
        v[l] = s_fold256(F, b);
    }
}

static void s_fold4(const field *F0, fe *u, fe *v, size_t L, fe beta)
{
    field Fl = *F0;   /* a local copy: the stores cannot alias it */
    if (Fl.mers == 89) {
        Fl.mers = 89;
        Fl.p = Fl.mask = ((fe)1 << 89) - 1;
        s_fold4_run(&Fl, u, v, L, beta);
    } else {
        s_fold4_run(&Fl, u, v, L, beta);
    }
}

/* u[l] = f_l(beta), v[l] = g_l(beta) from the backward differences left by s_level: f(k + s) =
 * sum_j binom(s + j - 1, j) nabla^j f(k), s = beta - k. tmp: 2k elements. */
static int s_fold(const field *F, fe *u, fe *v, size_t k, size_t L, fe beta, fe *tmp)
{
    fe *b = tmp, *inv = tmp + k;
    fe s = fe_sub(F, beta, (fe)k);
    for (size_t j = 1; j < k; j++) b[j] = (fe)j;
    if (k > 1 && field_vec_inv(F, b + 1, inv, k - 1) != 0) return ERR_STATE;
    for (size_t j = 1; j < k; j++) inv[j] = b[j];
    b[0] = 1;
    for (size_t j = 1; j < k; j++)
        b[j] = fe_mul(F, fe_mul(F, b[j - 1], fe_add(F, s, (fe)(j - 1))), inv[j]);
    for (size_t l = 0; l < L; l++) {
        fe au = u[(k - 1) * L + l], av = v[(k - 1) * L + l];
        for (size_t j = 1; j < k; j++) {
            au = mpc_fadd(F, au, fe_mul(F, b[j], u[(k - 1 - j) * L + l]));
            av = mpc_fadd(F, av, fe_mul(F, b[j], v[(k - 1 - j) * L + l]));
        }
        u[l] = au;
        v[l] = av;
    }
    return 0;
}

/* Z' = h(beta) from h at the points 1..P (P = 2k-1), by the Lagrange basis. tmp: 2P elements. */
int verify_eval(const field *F, fe *out, const fe *h, size_t P, fe beta, fe *tmp)
{
    fe *d = tmp, *w = tmp + P, all = 1, fact = 1;
    for (size_t c = 1; c <= P; c++) {
        d[c - 1] = fe_sub(F, beta, (fe)c);   /* beta is outside 1..P: non-zero */
        all = fe_mul(F, all, d[c - 1]);
    }
    /* w_c = prod_{m != c} (c - m) = (c-1)! (-1)^(P-c) (P-c)! */
    fe *fa = w;   /* factorials 0..P-1 in w first */
    fa[0] = 1;
    for (size_t c = 1; c < P; c++) fa[c] = fact = fe_mul(F, fact, (fe)c);
    fe *den = xmalloc(P * sizeof(fe));
    for (size_t c = 1; c <= P; c++) {
        den[c - 1] = fe_mul(F, fe_mul(F, fa[c - 1], fa[P - c]), d[c - 1]);
        if ((P - c) & 1) den[c - 1] = fe_neg(F, den[c - 1]);
    }
    int rc = field_vec_inv(F, den, w, P);
    fe acc = 0;
    for (size_t c = 0; rc == 0 && c < P; c++)
        acc = mpc_fadd(F, acc, fe_mul(F, fe_mul(F, all, den[c]), h[c]));
    free(den);
    *out = acc;
    return rc ? ERR_STATE : 0;
}

/* A public point outside 1..P from a fresh coin. */
int verify_beta(mpc *M, size_t P, fe *beta)
{
    uint8_t seed[32];
    int rc = mpc_coin(M, seed);
    if (rc) return rc;
    prg g;
    prg_init(&g, seed, VERIFY_DOMAIN | 1, 0);
    do mpc_prg_fe(M->F, &g, beta, 1);
    while (*beta >= 1 && *beta <= (fe)P);
    prg_wipe(&g);
    return 0;
}

/* Fan-in per level: 4 for the first two (the bulk of the work, additions-only extension), then 16
 * and 64, so that at most 5 levels remain up to VERIFY_CAP relations (s_is_last). */
static size_t s_fanin(int level)
{
    static const size_t k[] = { 4, 4, 16 };
    return level < 3 ? k[level] : 64;
}

/* The last level takes all len coordinates plus the mask: O((len+1)^2) local work, so only when
 * that is small or small against the n relations. */
static int s_is_last(size_t len, size_t n)
{
    size_t k = len + 1;
    return k <= VERIFY_KLAST || (k <= 4 * VERIFY_KLAST && 6 * k * k <= n);
}

/* The first level of one elementwise run (verify_fold.c): H(1..4) from z, H(5..7) and the mask
 * product reduced in one round, beta, the fold, Z = H(beta). */
static int s_level_elem(mpc *M, vstate *V, size_t L, const uint8_t *seed, const fe rho[2],
                        fe *maskprod, fe *Z, fe *tmp)
{
    const field *F = M->F;
    fe H[7], beta;
    verify_elem4(F, V->X, V->Y, V->Z, L, seed, H, H + 4);
    fe R[4] = { H[4], H[5], H[6], fe_mul(F, rho[0], rho[1]) };
    int rc = mul_reduce_unlogged(M, R, R, 4);
    if (rc == 0) {
        memcpy(H + 4, R, 3 * sizeof(fe));
        *maskprod = R[3];
        rc = verify_beta(M, 7, &beta);
    }
    if (rc == 0) {
        verify_elem4_fold(F, V->X, V->Y, L, beta, seed);
        rc = verify_eval(F, Z, H, 7, beta, tmp);
    }
    sodium_memzero(R, sizeof R);
    sodium_memzero(H, sizeof H);
    return rc;
}

/* The levels: on return u[0], v[0], *Z hold the final claim's shares. With seed (one elementwise
 * run), the first level combines groups of four relations itself (verify_fold.c). */
static int s_levels(mpc *M, vstate *V, fe *Z, const uint8_t *seed)
{
    const field *F = M->F;
    fe *u = V->X, *v = V->Y, rho[2], maskprod = 0;
    size_t len = V->n, mark = mpc_mark(M);
    fe *tmp = mpc_alloc(M, 16 * (VERIFY_KLAST + 1)), *H = mpc_alloc(M, 16 * VERIFY_KLAST + 2);
    int rc = 0;
    mpc_rand(M, rho, 2);
    for (int lvl = 0; rc == 0; lvl++) {
        int last = s_is_last(len, V->n);
        size_t k, L;
        if (last) {
            u[len] = rho[0];
            v[len] = rho[1];
            k = ++len;
            L = 1;
        } else {
            k = s_fanin(lvl);
            L = (len + k - 1) / k;
            for (size_t i = len; i < k * L; i++) u[i] = v[i] = V->Z[i] = 0;
        }
        size_t nh = 2 * k - 2 + (lvl == 0);
        int f4 = k == 4 && !last && s_fast4(F);
        if (f4 && lvl == 0 && seed) {   /* one elementwise run (verify_fold.c) */
            if ((rc = s_level_elem(M, V, L, seed, rho, &maskprod, Z, tmp)) != 0) break;
            len = L;
            continue;
        }
        if (f4) s_level4(F, u, v, L, H);
        else s_level(F, u, v, k, L, H, tmp);
        if (lvl == 0) H[2 * k - 2] = fe_mul(F, rho[0], rho[1]);
        if ((rc = mul_reduce_unlogged(M, H, H, nh)) != 0) break;
        if (lvl == 0) maskprod = H[2 * k - 2];
        if (last) *Z = mpc_fadd(F, *Z, maskprod);
        /* h at 1..2k-1: insert h(k) = Z - sum_{c<k} h(c) */
        fe hk = *Z;
        for (size_t c = 0; c + 1 < k; c++) hk = mpc_fsub(F, hk, H[c]);
        memmove(H + k, H + k - 1, (k - 1) * sizeof(fe));
        H[k - 1] = hk;
        fe beta;
        if ((rc = verify_beta(M, 2 * k - 1, &beta)) != 0) break;
        if (f4) s_fold4(F, u, v, L, beta);
        else if ((rc = s_fold(F, u, v, k, L, beta, tmp)) != 0) break;
        if ((rc = verify_eval(F, Z, H, 2 * k - 1, beta, tmp)) != 0) break;
        len = L;
        if (last) break;
    }
    sodium_memzero(rho, sizeof rho);
    mpc_release(M, mark);
    return rc;
}

/* Open the final claim (degree t checked) and compare the public-value hashes. */
static int s_final(mpc *M, vstate *V, fe u, fe v, fe Z)
{
    const field *F = M->F;
    int n = M->n, t = M->t, rc = 0, two = M->nlive > t + 2;
    uint8_t h[32];
    crypto_generichash_state st = V->pub;
    crypto_generichash_final(&st, h, sizeof h);
    fe mine[7] = { u, v, Z }, all[MPC_MAX_SERVERS][7], val[3];
    for (int w = 0; w < 4; w++) {
        uint64_t x;
        memcpy(&x, h + 8 * w, 8);
        mine[3 + w] = x;   /* < 2^64 < p */
    }
    const fe *send[MPC_MAX_SERVERS], *rows[MPC_MAX_SERVERS];
    fe *recv[MPC_MAX_SERVERS];
    size_t len[MPC_MAX_SERVERS];
    /* one round [u v Z hash], or [u v] then [Z hash] */
    for (int r = 0; r < 1 + two && rc == 0; r++) {
        size_t off = two && r ? 2 : 0, cnt = two ? (r ? 5 : 2) : 7;
        for (int j = 1; j <= n; j++) {
            send[j - 1] = mine + off;
            recv[j - 1] = all[j - 1] + off;
            len[j - 1] = cnt;
            rows[j - 1] = j == M->me ? mine + off : all[j - 1] + off;
        }
        rc = mpc_round(M, MPC_MSG_VERIFY, send, len, recv, len);
        size_t nv = two ? 2 - r : 3;   /* shared values in this round */
        if (rc == 0 && M->nlive > t + 1 && shamir_check_set(M->sh, rows, M->live, t, nv, NULL) != 0)
            rc = ERR_CHEAT;
        if (rc == 0)
            rc = shamir_reconstruct(M->sh, val + off, rows, mpc_first_live(M, t + 1), t, nv);
    }
    if (rc == 0 && val[2] != fe_mul(F, val[0], val[1])) rc = ERR_CHEAT;
    for (int j = 1; rc == 0 && j <= n; j++)
        if (mpc_peer(M, j) && sodium_memcmp(all[j - 1] + 3, mine + 3, 4 * sizeof(fe)) != 0)
            rc = ERR_CHEAT;
    sodium_memzero(mine, sizeof mine);
    return rc;
}

int mpc_verify(mpc *M)
{
    if (M->security != MPC_MALICIOUS) return 0;
    if (M->dead) return mpc_fail(M, ERR_CHEAT, "multiplication check failed: a server deviated");
    vstate *V = M->vstate;
    if (!V || V->n == 0) return 0;
    if (M->F->bits < VERIFY_MIN_BITS) return s_small(M);
    uint64_t r0, e0, r1, e1;
    mpc_stats(M, &r0, &e0, NULL);
    uint8_t seed[32];
    fe Z = 0;
    int rc = mpc_coin(M, seed);
    if (rc == 0) {
        /* one elementwise run long enough for a first fan-in-4 level: verify_fold.c */
        int fused = s_fast4(M->F) && V->nseg == 1 && !V->seg[0].dot && !s_is_last(V->n, V->n);
        if (!fused) Z = s_combine(M->F, V, seed);
        rc = s_levels(M, V, &Z, fused ? seed : NULL);
    }
    if (rc == 0) rc = s_final(M, V, V->X[0], V->Y[0], Z);
    mpc_stats(M, &r1, &e1, NULL);
    V->flushes++;
    V->rounds += r1 - r0;
    V->elems += e1 - e0;
    V->n = 0;
    V->nseg = 0;
    if (rc == 0) return 0;
    M->dead = 1;   /* whatever failed, nothing is opened any more */
    if (rc == ERR_CHEAT)
        return mpc_fail(M, ERR_CHEAT, "multiplication check failed: a server deviated");
    return mpc_fail(M, rc, "multiplication check: %s", mpc_errmsg(M));
}
