/* shamir: Shamir sharing at points 1..n with precomputed Lagrange tables, the
 * all-shares consistency check, and additive n-of-n sharing. */
#include "protocols/shamir.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define S_NSETS (1u << MPC_MAX_SERVERS)
/* Highest degree shamir_share accepts: a product of two degree-(n-1) sharings. */
#define S_MAX_DEG (2 * (MPC_MAX_SERVERS - 1))
/* Random coefficients drawn per batch in shamir_share (16 KiB of stack). */
#define S_COEF_BUF 1024

struct shamir {
    const field *F;
    int n, t;
    fe lag[S_NSETS][MPC_MAX_SERVERS];        /* Lagrange coefficients at 0 per set */
    /* chk[d][k][i]: weight of the share of party i+1 (i <= d) in the value of the
     * degree-d polynomial through parties 1..d+1 at the point k+1 (k > d) */
    fe chk[MPC_MAX_SERVERS][MPC_MAX_SERVERS][MPC_MAX_SERVERS];
};

/* Every difference of two points lies in [-(n-1), n-1], so a table of the
 * inverses of 1..n-1 replaces the field inversions in the Lagrange tables. */
typedef struct {
    fe inv[MPC_MAX_SERVERS];   /* inv[k] = 1/k for 1 <= k < n */
} s_small;

static fe s_int(const field *F, int x)
{
    return fe_from_i64(F, x);
}

/* 1 / x for a non-zero |x| < n. */
static fe s_inv(const field *F, const s_small *T, int x)
{
    return x > 0 ? T->inv[x] : fe_neg(F, T->inv[-x]);
}

/* Lagrange basis polynomial of point xi over the points 1..d+1, evaluated at x
 * (all public): prod_{j != xi} (x - j) / (xi - j). */
static fe s_basis(const field *F, const s_small *T, int d, int xi, int x)
{
    fe r = 1;
    for (int j = 1; j <= d + 1; j++) {
        if (j == xi) continue;
        r = fe_mul(F, r, fe_mul(F, s_int(F, x - j), s_inv(F, T, xi - j)));
    }
    return r;
}

shamir *shamir_new(const field *F, int n, int t)
{
    if (!F || n < 1 || n > MPC_MAX_SERVERS || t < 0 || t >= n) return NULL;
    if (F->p <= (fe)n) return NULL;   /* points 1..n must be distinct and non-zero */
    shamir *S = calloc(1, sizeof *S);
    if (!S) return NULL;
    S->F = F;
    S->n = n;
    S->t = t;
    s_small T = { { 0 } };
    for (int k = 1; k < n; k++) T.inv[k] = fe_inv(F, s_int(F, k));
    for (int d = 0; d < n; d++)
        for (int k = d + 1; k < n; k++)
            for (int i = 0; i <= d; i++) S->chk[d][k][i] = s_basis(F, &T, d, i + 1, k + 1);
    /* lag[set][i-1] = prod_{j in set, j != i} j / (j - i) */
    for (unsigned set = 1; set < (1u << n); set++) {
        for (int i = 1; i <= n; i++) {
            if (!(set & (1u << (i - 1)))) continue;
            fe r = 1;
            for (int j = 1; j <= n; j++) {
                if (j == i || !(set & (1u << (j - 1)))) continue;
                r = fe_mul(F, r, fe_mul(F, s_int(F, j), s_inv(F, &T, j - i)));
            }
            S->lag[set][i - 1] = r;
        }
    }
    return S;
}

void shamir_free(shamir **pp)
{
    if (!pp || !*pp) return;
    free(*pp);   /* public tables only */
    *pp = NULL;
}

int shamir_n(const shamir *S)
{
    return S->n;
}

int shamir_t(const shamir *S)
{
    return S->t;
}

void shamir_share(const shamir *S, fe *shares, const fe *secrets, size_t m, int d)
{
    assert(d >= 0 && d <= S_MAX_DEG);
    const field *F = S->F;
    const size_t n = (size_t)S->n;
    if (d == 0) {
        for (size_t i = 0; i < n; i++) memmove(shares + i * m, secrets, m * sizeof *secrets);
        return;
    }
    fe coef[S_COEF_BUF];   /* secret: the random coefficients a_1..a_d per element */
    fe xs[MPC_MAX_SERVERS];
    for (size_t i = 0; i < n; i++) xs[i] = s_int(F, (int)i + 1);
    const size_t ud = (size_t)d, chunk = S_COEF_BUF / ud;
    for (size_t base = 0; base < m; base += chunk) {
        size_t c = m - base < chunk ? m - base : chunk;
        field_rand(F, coef, c * ud);
        for (size_t j = 0; j < c; j++) {
            const fe *a = coef + j * ud;   /* a[l] is the coefficient of x^(l+1) */
            fe s = secrets[base + j];
            for (size_t i = 0; i < n; i++) {
                fe x = xs[i], acc = a[ud - 1];
                for (size_t l = ud - 1; l-- > 0;) acc = fe_add(F, fe_mul(F, acc, x), a[l]);
                shares[i * m + base + j] = fe_add(F, fe_mul(F, acc, x), s);
            }
        }
    }
    sodium_memzero(coef, sizeof coef);
}

int shamir_lagrange(const shamir *S, unsigned set, const fe **coef)
{
    if (set == 0 || set >= (1u << S->n)) return ERR_ARG;
    *coef = S->lag[set];
    return 0;
}

int shamir_reconstruct(const shamir *S, fe *secrets, const fe *const *shares, unsigned set,
                       int d, size_t m)
{
    if (d < 0 || d >= S->n || __builtin_popcount(set) != d + 1) return ERR_ARG;
    const fe *lag;
    int rc = shamir_lagrange(S, set, &lag);
    if (rc) return rc;
    const field *F = S->F;
    const fe *sh[MPC_MAX_SERVERS];
    fe c[MPC_MAX_SERVERS];
    size_t k = 0;
    for (int i = 0; i < S->n; i++) {
        if (!(set & (1u << i))) continue;
        sh[k] = shares[i];
        c[k++] = lag[i];
    }
    if (k == 2) {   /* n = 3, t = 1: the common case */
        for (size_t j = 0; j < m; j++)
            secrets[j] = fe_add(F, fe_mul(F, c[0], sh[0][j]), fe_mul(F, c[1], sh[1][j]));
        return 0;
    }
    for (size_t j = 0; j < m; j++) {
        fe acc = 0;
        for (size_t i = 0; i < k; i++) acc = fe_add(F, acc, fe_mul(F, c[i], sh[i][j]));
        secrets[j] = acc;
    }
    return 0;
}

int shamir_check(const shamir *S, const fe *const *shares, int d, size_t m, uint8_t *bad)
{
    if (d < 0 || d >= S->n) return ERR_ARG;
    const field *F = S->F;
    const int n = S->n;
    int cheat = 0;
    for (size_t j = 0; j < m; j++) {
        int bj = 0;
        for (int k = d + 1; k < n; k++) {
            fe pred = 0;
            for (int i = 0; i <= d; i++)
                pred = fe_add(F, pred, fe_mul(F, S->chk[d][k][i], shares[i][j]));
            bj |= pred != shares[k][j];
        }
        if (bad) bad[j] = (uint8_t)bj;
        cheat |= bj;
    }
    return cheat ? ERR_CHEAT : 0;
}

int shamir_check_set(const shamir *S, const fe *const *shares, unsigned set, int d, size_t m,
                     uint8_t *bad)
{
    const int n = S->n;
    if (set == (1u << n) - 1) return shamir_check(S, shares, d, m, bad);
    int pts[MPC_MAX_SERVERS], np = 0;
    for (int i = 1; i <= n; i++)
        if (set >> (i - 1) & 1u) pts[np++] = i;
    if (d < 0 || d >= np || (set >> n) != 0) return ERR_ARG;
    const field *F = S->F;
    /* w[k][i]: weight of base point pts[i] (i <= d) in the value at pts[k] (k > d) */
    fe w[MPC_MAX_SERVERS][MPC_MAX_SERVERS];
    for (int k = d + 1; k < np; k++)
        for (int i = 0; i <= d; i++) {
            fe num = 1, den = 1;
            for (int j = 0; j <= d; j++) {
                if (j == i) continue;
                num = fe_mul(F, num, s_int(F, pts[k] - pts[j]));
                den = fe_mul(F, den, s_int(F, pts[i] - pts[j]));
            }
            w[k][i] = fe_mul(F, num, fe_inv(F, den));
        }
    int cheat = 0;
    for (size_t j = 0; j < m; j++) {
        int bj = 0;
        for (int k = d + 1; k < np; k++) {
            fe pred = 0;
            for (int i = 0; i <= d; i++)
                pred = fe_add(F, pred, fe_mul(F, w[k][i], shares[pts[i] - 1][j]));
            bj |= pred != shares[pts[k] - 1][j];
        }
        if (bad) bad[j] = (uint8_t)bj;
        cheat |= bj;
    }
    return cheat ? ERR_CHEAT : 0;
}

void additive_split(const field *F, fe *shares, const fe *secrets, size_t m, int n)
{
    assert(n >= 1);
    const size_t un = (size_t)n;
    field_rand(F, shares, (un - 1) * m);
    fe *last = shares + (un - 1) * m;
    for (size_t j = 0; j < m; j++) {
        fe acc = secrets[j];
        for (size_t i = 0; i + 1 < un; i++) acc = fe_sub(F, acc, shares[i * m + j]);
        last[j] = acc;
    }
}

void additive_join(const field *F, fe *secrets, const fe *const *shares, size_t m, int n)
{
    assert(n >= 1);
    for (size_t j = 0; j < m; j++) {
        fe acc = 0;
        for (int i = 0; i < n; i++) acc = fe_add(F, acc, shares[i][j]);
        secrets[j] = acc;
    }
}
