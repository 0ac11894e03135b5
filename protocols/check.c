/* check: batched degree, bit and sum checks of client inputs, with bisection to
 * find the inconsistent inputs and PRSS-randomised per-entry openings. */
#include "protocols/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/prg.h"
#include "common/secmem.h"
#include "protocols/mul.h"

#define CHECK_DOMAIN_DEG  0x43440000u   /* "CD" | level */
#define CHECK_DOMAIN_BITS 0x43420000u   /* "CB" */

static void *s_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* Public coefficients for the ninputs*m entries from the coin, per level. */
static void s_coefs(const field *F, fe *s, const uint8_t seed[32], uint32_t domain,
                    uint64_t level, size_t len)
{
    prg g;
    prg_init(&g, seed, domain, level);
    mpc_prg_fe(F, &g, s, len);
    prg_wipe(&g);
}

typedef struct seg {
    size_t lo, hi;    /* range [lo, hi) of positions in the active list */
} seg;

int check_degree(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad)
{
    const field *F = M->F;
    size_t na = 0;
    for (size_t i = 0; i < ninputs; i++) na += !bad[i];
    if (na == 0) return 0;
    size_t *act = s_xmalloc(na * sizeof *act);
    for (size_t i = 0, k = 0; i < ninputs; i++)
        if (!bad[i]) act[k++] = i;
    size_t len = ninputs * m;
    fe *s = s_xmalloc(len * sizeof(fe));
    seg *cur = s_xmalloc(na * sizeof *cur), *nxt = s_xmalloc(na * sizeof *nxt);
    fe *y = s_xmalloc(na * sizeof(fe)), *val = s_xmalloc(na * sizeof(fe));
    uint8_t *fail = s_xmalloc(na);
    uint8_t seed[32];
    size_t ncur = 1;
    int rc = mpc_coin(M, seed);
    if (rc) goto out;
    cur[0] = (seg){ 0, na };
    for (uint64_t level = 0; ncur > 0; level++) {
        s_coefs(F, s, seed, CHECK_DOMAIN_DEG, level, len);
        mpc_rand(M, y, ncur);      /* fresh mask per segment */
        for (size_t q = 0; q < ncur; q++) {
            fe acc = y[q];
            for (size_t a = cur[q].lo; a < cur[q].hi; a++) {
                const fe *xi = x + act[a] * m, *si = s + act[a] * m;
                for (size_t e = 0; e < m; e++) acc = mpc_fadd(F, acc, fe_mul(F, si[e], xi[e]));
            }
            y[q] = acc;
        }
        rc = mpc_open_check(M, val, fail, y, ncur);
        if (rc) goto out;
        size_t nn = 0;
        for (size_t q = 0; q < ncur; q++) {
            if (!fail[q]) continue;
            if (cur[q].hi - cur[q].lo == 1) {
                bad[act[cur[q].lo]] = 1;
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
    }
out:
    free(act);
    free(s);
    free(cur);
    free(nxt);
    secmem_free(y, na * sizeof(fe));
    free(val);
    free(fail);
    return rc;
}

int check_bits(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad)
{
    const field *F = M->F;
    size_t na = 0;
    for (size_t i = 0; i < ninputs; i++) na += !bad[i];
    if (na == 0 || m == 0) return 0;
    size_t len = ninputs * m, nl = na * m;
    fe *s = s_xmalloc(len * sizeof(fe));
    fe *w = s_xmalloc(nl * sizeof(fe)), *xm1 = s_xmalloc(nl * sizeof(fe));
    fe *rho = s_xmalloc(nl * sizeof(fe)), *xs = s_xmalloc(nl * sizeof(fe));
    uint8_t seed[32];
    int rc = mpc_coin(M, seed);
    if (rc) goto out;
    s_coefs(F, s, seed, CHECK_DOMAIN_BITS, 0, len);
    fe z = 0;
    size_t k = 0;
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        for (size_t e = 0; e < m; e++, k++) {
            fe xv = x[i * m + e];
            xs[k] = xv;
            xm1[k] = mpc_fsub(F, xv, 1);
            z = mpc_fadd(F, z, fe_mul(F, s[i * m + e], fe_mul(F, xv, xm1[k])));
        }
    }
    rc = mpc_open_2t(M, &z, &z, 1);    /* sum s_e x_e (x_e - 1), PRZS-masked */
    if (rc || z == 0) goto out;
    /* some entry is not a bit: find which, revealing nothing about valid ones */
    rc = mpc_mul(M, w, xs, xm1, nl);
    if (rc) goto out;
    mpc_rand(M, rho, nl);
    rc = mpc_open_prod(M, w, rho, w, nl);
    if (rc) goto out;
    k = 0;
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        uint8_t b = 0;
        for (size_t e = 0; e < m; e++, k++) b |= w[k] != 0;
        bad[i] = b;
    }
out:
    free(s);
    secmem_free(w, nl * sizeof(fe));
    secmem_free(xm1, nl * sizeof(fe));
    secmem_free(rho, nl * sizeof(fe));
    secmem_free(xs, nl * sizeof(fe));
    return rc;
}

int check_sum(mpc *M, const fe *x, size_t ninputs, size_t m, fe c, uint8_t *bad)
{
    const field *F = M->F;
    size_t na = 0;
    for (size_t i = 0; i < ninputs; i++) na += !bad[i];
    if (na == 0) return 0;
    if (c >= F->p) return ERR_RANGE;
    fe *d = s_xmalloc(na * sizeof(fe)), *rho = s_xmalloc(na * sizeof(fe));
    size_t k = 0;
    for (size_t i = 0; i < ninputs; i++) {
        if (bad[i]) continue;
        fe acc = fe_neg(F, c);
        for (size_t e = 0; e < m; e++) acc = mpc_fadd(F, acc, x[i * m + e]);
        d[k++] = acc;
    }
    mpc_rand(M, rho, na);
    int rc = mpc_open_prod(M, d, rho, d, na);
    if (rc == 0) {
        k = 0;
        for (size_t i = 0; i < ninputs; i++)
            if (!bad[i]) bad[i] = d[k++] != 0;
    }
    secmem_free(d, na * sizeof(fe));
    secmem_free(rho, na * sizeof(fe));
    return rc;
}
