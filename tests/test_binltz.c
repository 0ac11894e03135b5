/* test_binltz: comparison of shared F_p values through the binary domain
 * (binltz.h) against the clear computation over real parties: n = 3, 5 and
 * 4 with a server down, the hub and CurveZMQ, both security modes, K = 1 to
 * 62 with edge values and ties; what it opens is independent of the secret
 * (chi-square); and one cheating server, swept over every message of a
 * malicious run, never changes a result. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/adv.h"
#include "common/secmem.h"
#include "protocols/binltz.h"
#include "protocols/gf2.h"
#include "protocols/mpc_impl.h"
#include "protocols/mul.h"
#include "tests/flip.h"
#include "tests/harness.h"
#include "tests/stats.h"

static void s_init(void)
{
    cr_assert_eq(secmem_init(), 0);
    harness_security = MPC_SEMI_HONEST;
}

static void s_fini(void)
{
    harness_reset();
}

TestSuite(binltz, .init = s_init, .fini = s_fini, .timeout = 240);

#define MAXM 4200

typedef struct ljob {
    const fe *a, *b;
    size_t m;
    int K;
    fe out[MAXM];
    uint64_t rounds;
} ljob;

static int s_lt_body(mpc *M, void *arg)
{
    ljob *J = arg;
    fe *c = malloc(J->m * sizeof(fe));
    uint64_t r0 = harness_rounds(M);
    int rc = bin_lt(M, c, J->a, J->b, J->m, J->K);
    J->rounds = harness_rounds(M) - r0;
    if (rc == 0) rc = mpc_open(M, J->out, c, J->m);
    free(c);
    return rc;
}

/* Random a, b below 2^K (a quarter of them ties) and the edges 0 / 2^K - 1. */
static void s_values(fe *a, fe *b, size_t m, int K)
{
    for (size_t i = 0; i < m; i++) {
        a[i] = harness_rand_bits(K);
        b[i] = i % 4 == 0 ? a[i] : harness_rand_bits(K);
    }
    fe top = ((fe)1 << K) - 1;
    a[1] = 0, b[1] = top;
    a[2] = top, b[2] = 0;
    a[3] = 0, b[3] = 0;
    a[4] = top, b[4] = top;
}

static int s_lt(int n, int t, unsigned live, int K, size_t m, int security, int transport,
                ljob *jobs)
{
    static field F;
    static fe a[MAXM], b[MAXM];
    cr_assert_eq(field_init_default(&F, K, 40), 0);
    cr_assert_leq(m, MAXM);
    s_values(a, b, m, K);
    fe *as[9], *bs[9];
    harness_share(&F, n, t, t, a, m, as);
    harness_share(&F, n, t, t, b, m, bs);
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (ljob){ .a = as[i], .b = bs[i], .m = m, .K = K };
        args[i] = &jobs[i];
    }
    harness_live = live;
    harness_security = security;
    int rc = harness_run(&F, n, t, transport, s_lt_body, args, NULL);
    harness_live = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        if (live && !(live >> i & 1u)) continue;
        for (size_t e = 0; e < m; e++)
            cr_assert_eq(jobs[i].out[e], (fe)(a[e] < b[e]), "n=%d K=%d S%d lane %zu: %llu < %llu",
                         n, K, i + 1, e, (unsigned long long)a[e], (unsigned long long)b[e]);
    }
    for (int i = 0; i < n; i++) {
        free(as[i]);
        free(bs[i]);
    }
    return rc;
}

Test(binltz, matches_clear_semi_honest)
{
    static ljob jobs[9];
    cr_assert_eq(s_lt(3, 1, 0, 32, 300, MPC_SEMI_HONEST, HARNESS_HUB, jobs), 0);
    cr_assert_eq(jobs[0].rounds, 12, "XOR 2, carry-save 1, AND 1, open, carry 1+5, back: %llu",
                 (unsigned long long)jobs[0].rounds);
    cr_assert_eq(s_lt(3, 1, 0, 1, 70, MPC_SEMI_HONEST, HARNESS_HUB, jobs), 0);
    cr_assert_eq(s_lt(3, 1, 0, 62, 65, MPC_SEMI_HONEST, HARNESS_HUB, jobs), 0);
    cr_assert_eq(s_lt(5, 2, 0, 20, 130, MPC_SEMI_HONEST, HARNESS_HUB, jobs), 0);   /* ten groups */
    cr_assert_eq(s_lt(4, 1, 0xb, 16, 64, MPC_SEMI_HONEST, HARNESS_HUB, jobs), 0);  /* S3 down */
    cr_assert_eq(s_lt(3, 1, 0, 24, 5, MPC_SEMI_HONEST, HARNESS_ZMQ, jobs), 0);
    cr_assert_eq(s_lt(7, 3, 0, 16, 70, MPC_SEMI_HONEST, HARNESS_HUB, jobs), 0);   /* 35 groups */
    cr_assert_eq(s_lt(2, 0, 0, 16, 70, MPC_SEMI_HONEST, HARNESS_HUB, jobs), 0);   /* t = 0: one */
}

Test(binltz, matches_clear_malicious)
{
    static ljob jobs[9];
    cr_assert_eq(s_lt(3, 1, 0, 32, 300, MPC_MALICIOUS, HARNESS_HUB, jobs), 0);
    cr_assert_eq(s_lt(3, 1, 0, 1, 70, MPC_MALICIOUS, HARNESS_HUB, jobs), 0);
    cr_assert_eq(s_lt(3, 1, 0, 62, 65, MPC_MALICIOUS, HARNESS_HUB, jobs), 0);
    cr_assert_eq(s_lt(5, 2, 0, 20, 130, MPC_MALICIOUS, HARNESS_HUB, jobs), 0);
    cr_assert_eq(s_lt(4, 1, 0xb, 12, 64, MPC_MALICIOUS, HARNESS_HUB, jobs), 0);   /* S3 down */
    cr_assert_eq(s_lt(3, 1, 0, 24, 5, MPC_MALICIOUS, HARNESS_ZMQ, jobs), 0);
    cr_assert_eq(s_lt(3, 1, 0, 32, 4100, MPC_MALICIOUS, HARNESS_HUB, jobs), 0);  /* 3 PRSS chunks */
    cr_assert_eq(s_lt(7, 3, 0, 16, 70, MPC_MALICIOUS, HARNESS_HUB, jobs), 0);
}

/* Privacy: what bin_ltz opens (c = x + 2^K + mask, and the result XOR a
 * uniform bit) has the same distribution for x = -100 and x = +100. */

typedef struct pjob {
    const fe *x;
    fe out[2000], c[2000];
    uint64_t e[32];
} pjob;

static int s_priv_body(mpc *M, void *arg)
{
    pjob *J = arg;
    return bin_ltz_ex(M, J->out, J->c, J->e, J->x, 2000, 8);
}

static void s_priv_run(fe x, pjob *jobs)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe xs[2000];
    for (int i = 0; i < 2000; i++) xs[i] = x;
    fe *sh[3];
    harness_share(&F, 3, 1, 1, xs, 2000, sh);
    void *args[3];
    for (int i = 0; i < 3; i++) {
        jobs[i].x = sh[i];
        args[i] = &jobs[i];
    }
    int rc = harness_run(&F, 3, 1, HARNESS_HUB, s_priv_body, args, NULL);
    cr_assert_eq(rc, 0);
    for (int i = 0; i < 3; i++) free(sh[i]);
}

Test(binltz, openings_are_independent_of_the_secret)
{
    static pjob a[3], b[3];
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    s_priv_run(fe_from_i64(&F, -100), a);
    s_priv_run(100, b);
    /* the shares of the result are 1 resp. 0; the opened e differ only by it */
    double stat;
    cr_assert_eq(stats_leaks(a[0].c, b[0].c, 2000, 8, &stat), 0, "c leaks: chi2 = %f", stat);
    fe ea[500], eb[500];   /* 4 lanes of e per sample: 16 buckets */
    for (int i = 0; i < 500; i++) {
        ea[i] = a[0].e[i / 16] >> (4 * (i % 16)) & 15u;
        eb[i] = b[0].e[i / 16] >> (4 * (i % 16)) & 15u;
    }
    cr_assert_eq(stats_leaks(ea, eb, 500, 2, &stat), 0, "e leaks: chi2 = %f", stat);
    /* the same test sees an unmasked c */
    fe ua[2000], ub[2000];
    for (int i = 0; i < 2000; i++) {
        ua[i] = fe_add(&F, fe_from_i64(&F, -100), 256);
        ub[i] = 356;
    }
    cr_assert_eq(stats_leaks(ua, ub, 2000, 8, &stat), 1, "an unmasked opening is detected");
}

/* ---- one cheating server, every message of a malicious run ---------------- */

#define CHEATER 3
#define NV 40
#define KS 16

typedef struct sjob {
    const fe *a, *b;
    fe out[NV];
    int opened;
} sjob;

static int s_sweep_body(mpc *M, void *arg)
{
    sjob *J = arg;
    fe c[NV];
    int rc = bin_lt(M, c, J->a, J->b, NV, KS);
    if (rc == 0) rc = mpc_open(M, J->out, c, NV);
    if (rc == 0) J->opened = 1;
    return rc;
}

/* What the runs of the sweep share. */
typedef struct sweep {
    const field *F;
    fe *as[3], *bs[3];
    const fe *want;
} sweep;

static void s_sweep_run(flip *C, void *arg, flip_tally *ty)
{
    sweep *W = arg;
    sjob jobs[3];
    void *args[3];
    int rcs[3];
    (void)C;
    for (int i = 0; i < 3; i++) {
        jobs[i] = (sjob){ .a = W->as[i], .b = W->bs[i] };
        args[i] = &jobs[i];
    }
    (void)harness_run(W->F, 3, 1, HARNESS_HUB, s_sweep_body, args, rcs);
    int all = 1;
    for (int i = 0; i < 3; i++) {
        if (i + 1 == CHEATER) continue;
        if (rcs[i]) {
            all = 0;
            if (jobs[i].opened) ty->late++;   /* an output, then an abort */
        } else if (memcmp(jobs[i].out, W->want, sizeof jobs[i].out))
            ty->wrong++;
    }
    if (all) ty->correct++;
    else ty->aborted++;
}

/* Every message server 3 sends (the F_p XOR tree, the carry-save level and
 * the AND, the opening of x + r, the carry, both verifications, the opening
 * of the result XOR u, the final opening), flipped in one bit for every
 * recipient or for one only, at two positions: each honest server outputs
 * the clear result or aborts holding nothing. */
Test(binltz, a_cheating_server_cannot_change_a_comparison)
{
    static field F;
    static flip C;
    static const size_t two_bits[2][2] = { { 0, 0 }, { 69, 8 } };
    cr_assert_eq(field_init_default(&F, KS, 40), 0);
    flip_init(&C, CHEATER);
    fe a[NV], b[NV], want[NV];
    s_values(a, b, NV, KS);
    for (int e = 0; e < NV; e++) want[e] = a[e] < b[e];
    sweep W = { .F = &F, .want = want };
    harness_share(&F, 3, 1, 1, a, NV, W.as);
    harness_share(&F, 3, 1, 1, b, NV, W.bs);
    harness_security = MPC_MALICIOUS;
    flip_tally ty[2] = { { 0 } };
    int nsites = flip_sweep(&C, s_sweep_run, &W, two_bits, 2, 150, ty);
    cr_assert_gt(nsites, 20, "%d sites (-1: the honest run failed)", nsites);
    flip_print("binltz sweep", nsites, ty);
    for (int all = 0; all < 2; all++) {
        cr_assert_eq(ty[all].wrong, 0, "an honest server output a wrong result");
        cr_assert_eq(ty[all].late, 0, "an honest server output, then aborted");
        cr_assert_eq(ty[all].fired, ty[all].runs);
    }
    for (int i = 0; i < 3; i++) {
        free(W.as[i]);
        free(W.bs[i]);
    }
}

/* ---- an error in a product before the comparison --------------------------- */

/* The hub hook counts the openings of NV values the honest servers send: the
 * openings of x + mask (a coin or a check's opening is shorter). */
typedef struct opens {
    pthread_mutex_t mu;
    size_t len;
    unsigned honest;
} opens;

static void s_count(void *arg, int from, int to, uint8_t type, uint64_t step, uint8_t *p, size_t len)
{
    opens *O = arg;
    (void)to, (void)step, (void)p;
    pthread_mutex_lock(&O->mu);
    if (from != CHEATER && type == MPC_MSG_OPEN && len == O->len) O->honest++;
    pthread_mutex_unlock(&O->mu);
}

typedef struct xjob {
    const fe *s;       /* secret bits */
    int cheat, chain;
    mpc_adv A;
    fe out[NV];
} xjob;

/* chain 0: x = (1 * 1) * s - s, the first product rigged by D, so x = D s
 * would show s through the mask; chain 1: a first comparison whose F_p XOR
 * tree is rigged, its result compared again. */
static int s_rigged_body(mpc *M, void *arg)
{
    xjob *J = arg;
    fe one[NV], q[NV], x[NV];
    if (J->cheat) mpc_adv_engine_set(M, &J->A);
    for (int e = 0; e < NV; e++) one[e] = 1;
    int rc = 0;
    if (!J->chain) {
        rc = mpc_mul(M, q, one, one, NV);
        if (rc == 0) rc = mpc_mul(M, x, q, J->s, NV);
        for (int e = 0; e < NV && rc == 0; e++) x[e] = fe_sub(mpc_field(M), x[e], J->s[e]);
    } else {
        for (int e = 0; e < NV; e++) x[e] = fe_sub(mpc_field(M), J->s[e], 1);   /* -1 or 0 */
        rc = bin_ltz(M, x, x, NV, KS);
    }
    if (rc == 0) rc = bin_ltz(M, J->out, x, NV, KS);
    if (rc == 0) rc = mpc_open(M, J->out, J->out, NV);
    return rc;
}

/* Both must abort before the honest servers send their shares of the rigged
 * comparison's x + mask (the review's two attacks, which recovered every bit
 * when that opening came first). */
Test(binltz, a_rigged_product_is_verified_before_x_plus_mask_is_opened)
{
    static field F;
    static opens O;
    cr_assert_eq(field_init_default(&F, KS, 40), 0);
    pthread_mutex_init(&O.mu, NULL);
    O.len = NV * F.bytes;
    fe s[NV], *sh[3];
    for (int e = 0; e < NV; e++) s[e] = harness_rand_bits(1);
    harness_share(&F, 3, 1, 1, s, NV, sh);
    harness_security = MPC_MALICIOUS;
    for (int chain = 0; chain < 2; chain++) {
        xjob jobs[3];
        void *args[3];
        int rcs[3];
        for (int i = 0; i < 3; i++) {
            jobs[i] = (xjob){ .s = sh[i], .chain = chain, .cheat = i + 1 == CHEATER };
            jobs[i].A = (mpc_adv){ .cls = MPC_ADV_MUL_ADD, .site = 0, .elem = SIZE_MAX,
                                   .delta = (fe)1 << 80 };
            args[i] = &jobs[i];
        }
        O.honest = 0;
        mpc_adv_set(s_count, &O);
        (void)harness_run(&F, 3, 1, HARNESS_HUB, s_rigged_body, args, rcs);
        mpc_adv_set(NULL, NULL);
        for (int i = 0; i < 2; i++) cr_assert_neq(rcs[i], 0, "chain %d: S%d did not abort", chain, i + 1);
        /* chain 1: the first comparison's opening (2 honest servers x 2 peers) only */
        cr_assert_eq(O.honest, chain ? 4u : 0u, "chain %d: %u openings of x + mask sent", chain,
                     O.honest);
    }
    for (int i = 0; i < 3; i++) free(sh[i]);
}
