/* prss: CDI05 pseudo-random secret sharing and zero sharing (PRSS / PRZS) from
 * ChaCha20 keyed per group of t parties. */
#include "protocols/prss.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/prg.h"
#include "protocols/shamir.h"

/* Nonce domains: "PRSR" for random sharings, "PRSZ" for zero sharings. */
#define PRSS_DOMAIN_RAND 0x50525352u
#define PRSS_DOMAIN_ZERO 0x5052535au
#define PRSS_DOMAIN_RAW 0x50525357u   /* "PRSW" */
/* PRF outputs buffered per batch (8 KiB of stack). */
#define PRSS_BUF 512

struct prss {
    const field *F;
    int n, t, me;
    int ngroups;
    unsigned masks[PRSS_MAX_GROUPS];          /* the groups T, increasing bitmask */
    uint8_t haskey[PRSS_MAX_GROUPS];
    fe f_me[PRSS_MAX_GROUPS];                 /* f_T(me); 0 when me is in T */
    fe z_me[PRSS_MAX_GROUPS][MPC_MAX_SERVERS];   /* me^l * f_T(me), l = 1..t at [l-1] */
    uint8_t *keys;                            /* ngroups * 32, sodium_malloc, secret */
    uint64_t counter;
};

/* f_T(x) = prod_{j in T} (j - x) / j: degree |T|, f_T(0) = 1, f_T(j) = 0 on T. */
static fe s_f(const field *F, unsigned T, int n, int x)
{
    fe num = 1, den = 1;
    for (int j = 1; j <= n; j++) {
        if (!(T & (1u << (j - 1)))) continue;
        num = fe_mul(F, num, fe_from_i64(F, j - x));
        den = fe_mul(F, den, fe_from_i64(F, j));
    }
    return fe_mul(F, num, fe_inv(F, den));
}

static int s_index(const prss *P, unsigned T)
{
    for (int g = 0; g < P->ngroups; g++)
        if (P->masks[g] == T) return g;
    return -1;
}

prss *prss_new(const field *F, int n, int t, int me)
{
    if (!F || n < 1 || n > MPC_MAX_SERVERS || t < 0 || t >= n || me < 1 || me > n)
        return NULL;
    if (F->p <= (fe)n) return NULL;   /* points 1..n must be distinct and non-zero */
    prss *P = calloc(1, sizeof *P);
    if (!P) return NULL;
    P->F = F;
    P->n = n;
    P->t = t;
    P->me = me;
    for (unsigned T = 0; T < (1u << n); T++) {
        if (__builtin_popcount(T) != t) continue;
        assert(P->ngroups < PRSS_MAX_GROUPS);
        int g = P->ngroups++;
        P->masks[g] = T;
        if (T & (1u << (me - 1))) continue;
        P->f_me[g] = s_f(F, T, n, me);
        fe x = fe_from_i64(F, me), xl = x;
        for (int l = 1; l <= t; l++) {
            P->z_me[g][l - 1] = fe_mul(F, xl, P->f_me[g]);
            xl = fe_mul(F, xl, x);
        }
    }
    P->keys = sodium_malloc((size_t)P->ngroups * PRG_KEYBYTES);
    if (!P->keys) {
        free(P);
        return NULL;
    }
    sodium_memzero(P->keys, (size_t)P->ngroups * PRG_KEYBYTES);
    return P;
}

void prss_free(prss **pp)
{
    if (!pp || !*pp) return;
    prss *P = *pp;
    sodium_free(P->keys);   /* wipes before unmapping */
    sodium_memzero(P, sizeof *P);
    free(P);
    *pp = NULL;
}

void prss_params(const prss *P, int *n, int *t, int *me)
{
    if (n) *n = P->n;
    if (t) *t = P->t;
    if (me) *me = P->me;
}

int prss_groups(const prss *P, unsigned *masks)
{
    if (masks) memcpy(masks, P->masks, (size_t)P->ngroups * sizeof *masks);
    return P->ngroups;
}

fe prss_weight(const prss *P, int g)
{
    assert(g >= 0 && g < P->ngroups);
    return P->f_me[g];
}

int prss_set_key(prss *P, unsigned T, const uint8_t key[32])
{
    int g = s_index(P, T);
    if (g < 0 || (T & (1u << (P->me - 1)))) return ERR_ARG;
    memcpy(P->keys + (size_t)g * PRG_KEYBYTES, key, PRG_KEYBYTES);
    P->haskey[g] = 1;
    return 0;
}

int prss_ready(const prss *P)
{
    for (int g = 0; g < P->ngroups; g++)
        if (!(P->masks[g] & (1u << (P->me - 1))) && !P->haskey[g]) return 0;
    return 1;
}

void prss_raw(prss *P, uint8_t *out, size_t len)
{
    assert(prss_ready(P));
    uint64_t c = P->counter++;
    prg g;
    for (int k = 0; k < P->ngroups; k++) {
        uint8_t *o = out + (size_t)k * len;
        if (P->masks[k] & (1u << (P->me - 1))) {
            memset(o, 0, len);
            continue;
        }
        prg_init(&g, P->keys + (size_t)k * PRG_KEYBYTES, PRSS_DOMAIN_RAW, c);
        prg_bytes(&g, o, len);
    }
    prg_wipe(&g);
}

uint64_t prss_counter(const prss *P)
{
    return P->counter;
}

void prss_rand(prss *P, fe *out, size_t m)
{
    assert(prss_ready(P));
    const field *F = P->F;
    uint64_t c = P->counter++;
    fe r[PRSS_BUF];   /* secret PRF outputs */
    prg g;
    memset(out, 0, m * sizeof *out);
    for (int k = 0; k < P->ngroups; k++) {
        if (P->masks[k] & (1u << (P->me - 1))) continue;
        prg_init(&g, P->keys + (size_t)k * PRG_KEYBYTES, PRSS_DOMAIN_RAND, c);
        fe f = P->f_me[k];
        for (size_t base = 0; base < m; base += PRSS_BUF) {
            size_t len = m - base < PRSS_BUF ? m - base : PRSS_BUF;
            field_rand_prg(F, &g, r, len);
            for (size_t j = 0; j < len; j++) out[base + j] = fe_add(F, out[base + j], fe_mul(F, r[j], f));
        }
    }
    prg_wipe(&g);
    sodium_memzero(r, sizeof r);
}

void prss_zero(prss *P, fe *out, size_t m)
{
    assert(prss_ready(P));
    const field *F = P->F;
    const size_t t = (size_t)P->t;
    uint64_t c = P->counter++;
    fe r[PRSS_BUF];   /* secret PRF outputs: t per element, consecutive */
    prg g;
    memset(out, 0, m * sizeof *out);
    if (t == 0) return;   /* degree 0 sharing of zero: all shares are 0 */
    const size_t per = PRSS_BUF / t;
    for (int k = 0; k < P->ngroups; k++) {
        if (P->masks[k] & (1u << (P->me - 1))) continue;
        prg_init(&g, P->keys + (size_t)k * PRG_KEYBYTES, PRSS_DOMAIN_ZERO, c);
        const fe *z = P->z_me[k];
        for (size_t base = 0; base < m; base += per) {
            size_t len = m - base < per ? m - base : per;
            field_rand_prg(F, &g, r, len * t);
            for (size_t j = 0; j < len; j++) {
                fe acc = out[base + j];
                for (size_t l = 0; l < t; l++) acc = fe_add(F, acc, fe_mul(F, r[j * t + l], z[l]));
                out[base + j] = acc;
            }
        }
    }
    prg_wipe(&g);
    sodium_memzero(r, sizeof r);
}

int prss_deal_local(prss **parties, int n)
{
    if (!parties || n < 1 || n > MPC_MAX_SERVERS) return ERR_ARG;
    for (int i = 0; i < n; i++) {
        const prss *P = parties[i];
        if (!P || P->n != n || P->me != i + 1 || P->t != parties[0]->t ||
            P->F->p != parties[0]->F->p)
            return ERR_ARG;
    }
    uint8_t key[PRG_KEYBYTES];
    for (int k = 0; k < parties[0]->ngroups; k++) {
        unsigned T = parties[0]->masks[k];
        randombytes_buf(key, sizeof key);
        for (int i = 0; i < n; i++) {
            if (T & (1u << i)) continue;
            int rc = prss_set_key(parties[i], T, key);
            assert(rc == 0);
            (void)rc;
        }
    }
    sodium_memzero(key, sizeof key);
    return 0;
}
