/* test_verify: verified multiplication. Honest runs match the clear computation
 * in both security modes (n = 3 and n = 5) and pass the check; a server that
 * adds an error to a resharing or rushes a degree-2t share makes every honest
 * server abort with ERR_CHEAT before the next opening of a value, for mul,
 * random bits + comparison, the bit check and the tournament. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/bits.h"
#include "protocols/check.h"
#include "protocols/compare.h"
#include "protocols/dp.h"
#include "protocols/max.h"
#include "protocols/mpc_impl.h"
#include "protocols/mul.h"
#include "protocols/verify.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(verify, .init = s_setup, .timeout = 60);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 } };

enum { OP_MUL, OP_CMP_BITS, OP_BITDEC, OP_LTZ, OP_CHECK_BITS, OP_MAX, OP_TOP2, OP_DP };

#define VK 8      /* bit length of the test values */
#define VN 12     /* values */

/* One party's job: its shares of the inputs, its outputs, and (adversary) the
 * deviation it makes. */
typedef struct job {
    int op;
    const fe *a, *b;      /* VN values, or VN * VK bits */
    fe out[VN * VK];
    uint8_t bad[VN];
    int adv;              /* 1: this party deviates as A says */
    mpc_adv A;
    int rc;               /* result of the first failing call */
    uint64_t opened0, opened1;   /* openings before and after the final one */
    char err[256];
} job;

/* The protocol under test; returns 0 or the error. The outputs stay shared. */
static int s_protocol(mpc *M, job *J)
{
    switch (J->op) {
    case OP_MUL: return mpc_mul(M, J->out, J->a, J->b, VN);
    case OP_CMP_BITS: return cmp_gt_bits(M, J->out, J->a, J->b, VN, VK);
    case OP_BITDEC: return bits_dec(M, J->out, NULL, J->a, VN, VK);
    case OP_LTZ: {
        fe d[VN];
        field_vec_sub(mpc_field(M), d, J->a, J->b, VN);
        return cmp_ltz(M, J->out, d, VN, VK);
    }
    case OP_CHECK_BITS:
        memset(J->bad, 0, VN);
        return check_bits(M, J->a, VN, VK, J->bad);
    case OP_MAX: return max_argmax(M, &J->out[0], &J->out[1], NULL, J->a, VN, VK);
    case OP_TOP2: return max_top2(M, &J->out[0], &J->out[1], &J->out[2], J->a, VN, VK);
    case OP_DP: {
        dp_plan P;
        int rc = dp_plan_laplace(&P, 1.0, 1, DP_BINARY);
        return rc ? rc : dp_laplace(M, J->out, 4, &P, NULL);
    }
    }
    return ERR_ARG;
}

/* Run the protocol, then open one output (the next opening of a value). */
static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->adv) mpc_adv_engine_set(M, &J->A);
    int rc = s_protocol(M, J);
    if (rc == 0) {
        fe v = 7, keep = J->out[0];
        J->opened0 = mpc_opened(M);
        rc = mpc_open(M, &v, &J->out[0], 1);
        J->opened1 = mpc_opened(M);
        if (rc) cr_assert(v == 7, "nothing may be written after a failed check");
        J->out[0] = keep;
    }
    J->rc = rc;
    snprintf(J->err, sizeof J->err, "%s", mpc_errmsg(M));
    return rc;
}

typedef struct run {
    int n, t, op;
    fe *as[9], *bs[9];
    job jobs[9];
    int rcs[9];
} run;

/* Share VN random values (k = VK bits) as values (a, b) or as bits. */
static void s_setup_run(run *R, const field *F, int n, int t, int op, uint64_t *va, uint64_t *vb)
{
    memset(R, 0, sizeof *R);
    R->n = n;
    R->t = t;
    R->op = op;
    int bitwise = op == OP_CMP_BITS || op == OP_CHECK_BITS || op == OP_MAX || op == OP_TOP2;
    size_t len = bitwise ? VN * VK : VN;
    fe *A = calloc(len, sizeof(fe)), *B = calloc(len, sizeof(fe));
    for (int i = 0; i < VN; i++) {
        va[i] = harness_rand_bits(VK);
        vb[i] = harness_rand_bits(VK);
        if (op == OP_MUL) {
            field_rand(F, &A[i], 1);
            field_rand(F, &B[i], 1);
        } else if (bitwise) {
            for (int j = 0; j < VK; j++) {
                A[i * VK + j] = (va[i] >> j) & 1;
                B[i * VK + j] = (vb[i] >> j) & 1;
            }
        } else {
            A[i] = va[i];
            B[i] = vb[i];
        }
    }
    if (op == OP_MUL)
        for (int i = 0; i < VN; i++) {
            va[i] = (uint64_t)A[i];   /* low words only: the test uses A, B */
            vb[i] = (uint64_t)B[i];
        }
    harness_share(F, n, t, t, A, len, R->as);
    harness_share(F, n, t, t, B, len, R->bs);
    for (int i = 0; i < n; i++) {
        R->jobs[i].op = op;
        R->jobs[i].a = R->as[i];
        R->jobs[i].b = R->bs[i];
    }
    if (op == OP_MUL) {
        /* keep the clear inputs for the check */
        memcpy(R->jobs[0].out + VN, A, VN * sizeof(fe));
        memcpy(R->jobs[1].out + VN, B, VN * sizeof(fe));
    }
    free(A);
    free(B);
}

static void s_exec(run *R, const field *F)
{
    void *args[9];
    for (int i = 0; i < R->n; i++) args[i] = &R->jobs[i];
    (void)harness_run(F, R->n, R->t, HARNESS_HUB, s_body, args, R->rcs);
}

static void s_free_run(run *R)
{
    for (int i = 0; i < R->n; i++) {
        free(R->as[i]);
        free(R->bs[i]);
    }
}

/* Outputs of an honest run against the clear computation. */
static void s_check_clear(run *R, const field *F, const uint64_t *va, const uint64_t *vb)
{
    for (int i = 0; i < R->n; i++) cr_assert_eq(R->rcs[i], 0, "S%d: %s", i + 1, R->jobs[i].err);
    fe *outs[9], res[VN * VK];
    size_t m = R->op == OP_BITDEC ? VN * VK : R->op == OP_DP ? 4 : VN;
    fe A[VN], B[VN];
    if (R->op == OP_MUL) {
        memcpy(A, R->jobs[0].out + VN, sizeof A);
        memcpy(B, R->jobs[1].out + VN, sizeof B);
    }
    for (int i = 0; i < R->n; i++) outs[i] = R->jobs[i].out;
    if (R->op == OP_CHECK_BITS) {
        for (int i = 0; i < R->n; i++)
            for (int e = 0; e < VN; e++) cr_assert_eq(R->jobs[i].bad[e], 0);
        return;
    }
    cr_assert_eq(harness_open(F, R->n, R->t, res, outs, m), 0);
    size_t w = 0;
    for (int i = 1; i < VN; i++)
        if (va[i] > va[w]) w = i;
    switch (R->op) {
    case OP_MUL:
        for (int i = 0; i < VN; i++) cr_assert(res[i] == fe_mul(F, A[i], B[i]));
        break;
    case OP_CMP_BITS:
        for (int i = 0; i < VN; i++) cr_assert(res[i] == (va[i] > vb[i]));
        break;
    case OP_BITDEC:
        for (int i = 0; i < VN; i++)
            for (int j = 0; j < VK; j++) cr_assert(res[i * VK + j] == ((va[i] >> j) & 1));
        break;
    case OP_LTZ:
        for (int i = 0; i < VN; i++) cr_assert(res[i] == (va[i] < vb[i]));
        break;
    case OP_MAX:
    case OP_TOP2:
        cr_assert(res[0] == va[w] && res[1] == w, "max %llu at %zu",
                  (unsigned long long)va[w], w);
        if (R->op == OP_TOP2) {
            uint64_t second = 0;
            for (int i = 0; i < VN; i++)
                if (i != (int)w && va[i] > second) second = va[i];
            cr_assert(res[2] == second);
        }
        break;
    case OP_DP:
        for (int i = 0; i < 4; i++) {
            int64_t z;
            cr_assert_eq(fe_to_i64(F, res[i], &z), 0);
            cr_assert(z > -(1 << 20) && z < (1 << 20), "noise %lld", (long long)z);
        }
        break;
    }
}

ParameterizedTestParameters(verify, every_protocol_matches_clear_in_both_modes)
{
    return cr_make_param_array(struct nt, s_params, sizeof s_params / sizeof s_params[0]);
}

ParameterizedTest(struct nt *P, verify, every_protocol_matches_clear_in_both_modes)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    for (int mode = MPC_SEMI_HONEST; mode <= MPC_MALICIOUS; mode++) {
        harness_security = mode;
        for (int op = OP_MUL; op <= OP_DP; op++) {
            run R;
            uint64_t va[VN], vb[VN];
            s_setup_run(&R, &F, P->n, P->t, op, va, vb);
            s_exec(&R, &F);
            s_check_clear(&R, &F, va, vb);
            s_free_run(&R);
        }
    }
}

/* The adversary deviates; every honest party must end with ERR_CHEAT from the
 * check, and the final opening must not have sent anything. */
static void s_expect_abort(run *R, int bad_party)
{
    cr_assert(R->jobs[bad_party - 1].A.cls != MPC_ADV_NONE);
    for (int i = 0; i < R->n; i++) {
        if (i + 1 == bad_party) continue;
        job *J = &R->jobs[i];
        cr_assert_eq(J->rc, ERR_CHEAT, "S%d: rc %d (%s)", i + 1, J->rc, J->err);
        cr_assert(strstr(J->err, "multiplication check failed") != NULL, "S%d: %s", i + 1, J->err);
        cr_assert_eq(J->opened1, J->opened0, "S%d opened a value after the deviation", i + 1);
    }
}

static void s_attack(const field *F, int n, int t, int op, int bad, mpc_adv A)
{
    run R;
    uint64_t va[VN], vb[VN];
    s_setup_run(&R, F, n, t, op, va, vb);
    R.jobs[bad - 1].adv = 1;
    R.jobs[bad - 1].A = A;
    s_exec(&R, F);
    s_expect_abort(&R, bad);
    s_free_run(&R);
}

Test(verify, additive_error_in_mul_aborts_before_opening)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    mpc_adv A = { .cls = MPC_ADV_MUL_ADD, .site = 0, .elem = 5, .delta = 1 };
    for (int bad = 1; bad <= 3; bad++) s_attack(&F, 3, 1, OP_MUL, bad, A);
    A.delta = F.p - 12345;
    A.elem = SIZE_MAX;   /* every element */
    s_attack(&F, 3, 1, OP_MUL, 2, A);
    A.elem = 0;
    for (int bad = 1; bad <= 5; bad++) s_attack(&F, 5, 2, OP_MUL, bad, A);
}

Test(verify, additive_error_in_a_comparison_aborts)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    /* every multiplication round of cmp_gt_bits (1 + log2 8 = 4), first element */
    for (uint64_t site = 0; site < 4; site++) {
        mpc_adv A = { .cls = MPC_ADV_MUL_ADD, .site = site, .elem = 0, .delta = 1 };
        s_attack(&F, 3, 1, OP_CMP_BITS, 1 + (int)(site % 3), A);
    }
}

/* A rigged pool refill (bits that are not bits) never reaches the masked
 * opening of c = x + r in bits_dec or cmp_ltz: at n = 3 an additive error in
 * the XOR tree of the PRSS bits (both of its rounds), at n = 5 (square roots)
 * a shifted r^2 opening. */
Test(verify, rigged_random_bits_abort_before_the_masked_opening)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    mpc_adv X = { .cls = MPC_ADV_MUL_ADD, .site = 0, .elem = 3, .delta = 1 };
    s_attack(&F, 3, 1, OP_BITDEC, 3, X);
    X.site = 1;
    s_attack(&F, 3, 1, OP_LTZ, 2, X);
    X.elem = SIZE_MAX;   /* every bit */
    X.delta = F.p - 1;
    s_attack(&F, 3, 1, OP_LTZ, 1, X);
    mpc_adv A = { .cls = MPC_ADV_OPEN2T_RUSH, .site = 0, .elem = 3, .delta = 1 };
    s_attack(&F, 5, 2, OP_BITDEC, 4, A);
    A.elem = SIZE_MAX;   /* every square: the pool-scaling attack */
    A.delta = 4;
    s_attack(&F, 5, 2, OP_LTZ, 1, A);
    /* equivocation: only one server gets the shifted share, so the honest
     * servers hold different public squares (caught by the check and the
     * public-value hash) */
    A.peer = 2;
    A.elem = 7;
    A.delta = 1;
    s_attack(&F, 5, 2, OP_LTZ, 5, A);
    A.peer = 1;
    s_attack(&F, 5, 2, OP_BITDEC, 3, A);
}

/* A ballot check with the validity opening forced: z' = 0 accepts an invalid
 * input, z' != 0 runs the per-entry fallback on valid ones. */
typedef struct ballot_job {
    const fe *x;
    uint8_t bad[4];
    int adv;
    mpc_adv A;
    int rc;
    uint64_t opened0, opened1;
    char err[256];
} ballot_job;

static int s_ballot_body(mpc *M, void *arg)
{
    ballot_job *J = arg;
    if (J->adv) mpc_adv_engine_set(M, &J->A);
    memset(J->bad, 0, sizeof J->bad);
    J->opened0 = mpc_opened(M);
    int rc = check_bits(M, J->x, 4, 3, J->bad);
    if (rc == 0) {
        fe sum = 0;   /* the tally of the accepted entries: a value to open */
        for (int i = 0; i < 4; i++)
            if (!J->bad[i])
                for (int e = 0; e < 3; e++) sum = fe_add(mpc_field(M), sum, J->x[i * 3 + e]);
        J->opened0 = mpc_opened(M);
        rc = mpc_open(M, &sum, &sum, 1);
    }
    J->opened1 = mpc_opened(M);
    J->rc = rc;
    snprintf(J->err, sizeof J->err, "%s", mpc_errmsg(M));
    return rc;
}

/* allow: openings of values that may happen after the deviation (the
 * validity opening itself, when the deviation is in it and the check fails) */
static void s_ballot_attack(const field *F, const fe *clear, mpc_adv A, int bad, uint64_t allow)
{
    fe *xs[3];
    harness_share(F, 3, 1, 1, clear, 12, xs);
    ballot_job J[3];
    void *args[3];
    memset(J, 0, sizeof J);
    for (int i = 0; i < 3; i++) {
        J[i].x = xs[i];
        args[i] = &J[i];
    }
    J[bad - 1].adv = 1;
    J[bad - 1].A = A;
    (void)harness_run(F, 3, 1, HARNESS_HUB, s_ballot_body, args, NULL);
    for (int i = 0; i < 3; i++) {
        if (i + 1 == bad) continue;
        cr_assert_eq(J[i].rc, ERR_CHEAT, "S%d: %s", i + 1, J[i].err);
        cr_assert(strstr(J[i].err, "multiplication check failed") != NULL, "%s", J[i].err);
        cr_assert_eq(J[i].opened1 - J[i].opened0, allow, "S%d opened a value", i + 1);
    }
    for (int i = 0; i < 3; i++) free(xs[i]);
}

Test(verify, forced_validity_opening_aborts)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe stuffed[12] = { 1, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 1 };   /* ballot 1: 10 votes */
    mpc_adv A = { .cls = MPC_ADV_OPEN2T_RUSH, .site = 0, .elem = 0, .delta = 0, .force = 1 };
    s_ballot_attack(&F, stuffed, A, 2, 0);   /* z' = 0: the stuffed ballot accepted */
    fe valid[12] = { 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1 };
    A.delta = 1;                          /* z' = 1: valid ballots sent to the fallback */
    s_ballot_attack(&F, valid, A, 3, 1);
}

/* A long batch of one-hot ballots (check_choice over 2 x 1,500 entries: the stream level of
 * verify_open_dot_stream, quarter-length fold logged): exact flags with inputs flagged before
 * and invalid ones anywhere, and the forced validity opening caught before the next opening. */
enum { LB_N = 1500 };

typedef struct long_job {
    const fe *x;
    uint8_t bad[LB_N];
    int adv;
    mpc_adv A;
    int rc;
    fe sum;
    char err[256];
} long_job;

static const size_t s_lb_pre[] = { 3, 5, 1000 };   /* flagged before the check */

static int s_long_body(mpc *M, void *arg)
{
    long_job *J = arg;
    if (J->adv) mpc_adv_engine_set(M, &J->A);
    memset(J->bad, 0, sizeof J->bad);
    for (size_t i = 0; i < sizeof s_lb_pre / sizeof *s_lb_pre; i++) J->bad[s_lb_pre[i]] = 1;
    int rc = check_choice(M, J->x, LB_N, 2, J->bad);
    fe sum = 0;
    for (size_t i = 0; rc == 0 && i < LB_N; i++)
        if (!J->bad[i]) sum = fe_add(mpc_field(M), sum, fe_add(mpc_field(M), J->x[2 * i], J->x[2 * i + 1]));
    if (rc == 0) rc = mpc_open(M, &J->sum, &sum, 1);
    J->rc = rc;
    snprintf(J->err, sizeof J->err, "%s", mpc_errmsg(M));
    return rc;
}

static void s_long_run(const field *F, const fe *clear, long_job *J, int bad, mpc_adv A)
{
    fe *xs[3];
    harness_share(F, 3, 1, 1, clear, 2 * LB_N, xs);
    void *args[3];
    memset(J, 0, 3 * sizeof *J);
    for (int i = 0; i < 3; i++) {
        J[i].x = xs[i];
        args[i] = &J[i];
    }
    if (bad) {
        J[bad - 1].adv = 1;
        J[bad - 1].A = A;
    }
    (void)harness_run(F, 3, 1, HARNESS_HUB, s_long_body, args, NULL);
    for (int i = 0; i < 3; i++) free(xs[i]);
}

Test(verify, long_ballot_batch_is_exact_and_a_forced_validity_opening_aborts)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe *clear = calloc(2 * LB_N, sizeof(fe));
    uint8_t want[LB_N] = { 0 };
    fe total = 0;
    for (size_t i = 0; i < LB_N; i++) {
        uint64_t r = harness_rand_bits(8) % 3;   /* blank, first, second */
        if (r) clear[2 * i + r - 1] = 1;
    }
    static const size_t invalid[] = { 0, 5, 7, 800, 1499 };
    clear[0] = clear[1] = 1;                        /* two choices */
    clear[10] = clear[11] = 1;                      /* ballot 5: two choices, flagged before */
    clear[14] = 2, clear[15] = 0;                   /* not a bit */
    clear[1600] = 0, clear[1601] = F.p - 1;         /* -1 */
    clear[2998] = 1, clear[2999] = 1;
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) want[invalid[i]] = 1;
    for (size_t i = 0; i < sizeof s_lb_pre / sizeof *s_lb_pre; i++) want[s_lb_pre[i]] = 1;
    for (size_t i = 0; i < LB_N; i++)
        if (!want[i]) total = fe_add(&F, total, fe_add(&F, clear[2 * i], clear[2 * i + 1]));
    long_job J[3];
    mpc_adv none = { 0 };
    s_long_run(&F, clear, J, 0, none);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(J[i].rc, 0, "S%d: %s", i + 1, J[i].err);
        cr_assert(memcmp(J[i].bad, want, LB_N) == 0, "S%d: wrong flags", i + 1);
        cr_assert(J[i].sum == total, "S%d: wrong tally", i + 1);
    }
    /* z' = 0: the invalid ballots accepted; z' = 1 on valid ones: the fallback */
    mpc_adv A = { .cls = MPC_ADV_OPEN2T_RUSH, .site = 0, .elem = 0, .delta = 0, .force = 1 };
    for (int bad = 1; bad <= 3; bad++) {
        A.delta = bad == 2;
        s_long_run(&F, clear, J, bad, A);
        for (int i = 0; i < 3; i++) {
            if (i + 1 == bad) continue;
            cr_assert_eq(J[i].rc, ERR_CHEAT, "S%d: %s", i + 1, J[i].err);
            cr_assert(strstr(J[i].err, "multiplication check failed") != NULL, "%s", J[i].err);
        }
    }
    free(clear);
}

Test(verify, additive_error_in_the_tournament_aborts)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    /* sites spread over the layers of the tournament of 12 values (4 layers of
     * 4 comparison rounds and one select round each) */
    uint64_t sites[] = { 0, 4, 9, 14, 19 };
    for (size_t s = 0; s < sizeof sites / sizeof sites[0]; s++) {
        mpc_adv A = { .cls = MPC_ADV_MUL_ADD, .site = sites[s], .elem = 0, .delta = 3 };
        s_attack(&F, 3, 1, s % 2 ? OP_TOP2 : OP_MAX, 1 + (int)(s % 3), A);
    }
    mpc_adv A = { .cls = MPC_ADV_MUL_ADD, .site = 5, .elem = 2, .delta = 1 };
    s_attack(&F, 5, 2, OP_MAX, 5, A);
}

Test(verify, additive_error_in_dp_noise_aborts)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    mpc_adv A = { .cls = MPC_ADV_MUL_ADD, .site = 1, .elem = 0, .delta = 1 };
    s_attack(&F, 3, 1, OP_DP, 2, A);
}

/* After a failed check nothing is opened any more, and the check keeps failing. */
static int s_dead_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->adv) mpc_adv_engine_set(M, &J->A);
    fe x[2] = { 1, 2 }, z[2];
    int rc = mpc_mul(M, z, x, x, 2);
    if (rc) return rc;
    rc = mpc_verify(M);
    fe v = 9;
    int rc2 = mpc_open(M, &v, x, 1), rc3 = mpc_open_prod(M, &v, x, x, 1);
    int rc4 = mpc_verify(M);
    J->rc = rc == ERR_CHEAT && rc2 == ERR_CHEAT && rc3 == ERR_CHEAT && rc4 == ERR_CHEAT &&
            v == 9 ? 0 : ERR_STATE;
    return J->rc;
}

Test(verify, nothing_is_opened_after_a_failed_check)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    job J[3];
    void *args[3];
    memset(J, 0, sizeof J);
    for (int i = 0; i < 3; i++) args[i] = &J[i];
    J[0].adv = 1;
    J[0].A = (mpc_adv){ .cls = MPC_ADV_MUL_ADD, .site = 0, .elem = 1, .delta = 1 };
    int rcs[3];
    harness_security = MPC_MALICIOUS;
    (void)harness_run(&F, 3, 1, HARNESS_HUB, s_dead_body, args, rcs);
    cr_assert_eq(J[1].rc, 0);
    cr_assert_eq(J[2].rc, 0);
}

/* An honest flush: its rounds are a constant per flush, its bytes a few
 * elements, whatever the number of multiplications. */
typedef struct cost_job {
    size_t m;
    uint64_t rounds, elems;
} cost_job;

static int s_cost_body(mpc *M, void *arg)
{
    cost_job *J = arg;
    fe *x = calloc(J->m, sizeof(fe)), *z = calloc(J->m, sizeof(fe));
    mpc_rand(M, x, J->m);
    int rc = mpc_mul(M, z, x, x, J->m);
    uint64_t r0, e0, r1, e1;
    mpc_stats(M, &r0, &e0, NULL);
    if (rc == 0) rc = mpc_verify(M);
    mpc_stats(M, &r1, &e1, NULL);
    J->rounds = r1 - r0;
    J->elems = e1 - e0;
    if (rc == 0 && (mpc_pending(M) != 0 || mpc_verify(M) != 0)) rc = ERR_STATE;
    free(x);
    free(z);
    return rc;
}

Test(verify, flush_costs_are_constant_rounds_and_few_elements)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    size_t ms[] = { 1, 2000, 300000 };
    uint64_t rounds[3];
    for (int i = 0; i < 3; i++) {
        cost_job J[3] = { { .m = ms[i] }, { .m = ms[i] }, { .m = ms[i] } };
        void *args[3] = { &J[0], &J[1], &J[2] };
        cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_cost_body, args, NULL), 0);
        rounds[i] = J[0].rounds;
        cr_assert_leq(J[0].rounds, 12);
        cr_assert_leq(J[0].elems, 1200, "%zu relations: %llu elements", ms[i],
                      (unsigned long long)J[0].elems);
    }
    cr_assert_eq(rounds[0], 4, "coin, one level (reduce + coin), final round");
    cr_assert_leq(rounds[2], 12);
}

static int s_small_body(mpc *M, void *arg)
{
    (void)arg;
    fe x[2] = { 1, 2 }, z[2];
    int rc = mpc_mul(M, z, x, x, 2);
    if (mpc_security(M) == MPC_MALICIOUS)
        return rc == ERR_RANGE && strstr(mpc_errmsg(M), "semi-honest") ? 0 : ERR_STATE;
    return rc;
}

Test(verify, small_prime_is_refused_in_malicious_mode_only)
{
    field F;
    cr_assert_eq(field_init_str(&F, "2^61-1"), 0);
    harness_security = MPC_MALICIOUS;
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_small_body, NULL, NULL), 0);
    harness_security = MPC_SEMI_HONEST;
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_small_body, NULL, NULL), 0);
}

static int s_mode_body(mpc *M, void *arg)
{
    (void)arg;
    if (mpc_security(M) != MPC_MALICIOUS) return ERR_STATE;   /* mpc_create's default */
    fe z = 0;
    mpc_set_security(M, MPC_SEMI_HONEST);
    int rc = mpc_open_2t(M, &z, &z, 1);   /* allowed in semi-honest mode only */
    if (rc) return rc;
    mpc_set_security(M, MPC_MALICIOUS);
    return mpc_open_2t(M, &z, &z, 1) == ERR_STATE ? 0 : ERR_STATE;
}

Test(verify, default_is_malicious_and_raw_2t_openings_are_refused)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    harness_security = -1;
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_mode_body, NULL, NULL), 0);
}

/* Every field kind (Mersenne below 2^120 with the fast level, 2^127-1 and a
 * non-Mersenne prime with the generic one), 10,000 relations (the elementwise first level,
 * then several more): honest runs pass, one wrong product anywhere fails. */
typedef struct field_job {
    int adv;
    mpc_adv A;
    int rc;
} field_job;

static int s_field_body(mpc *M, void *arg)
{
    field_job *J = arg;
    if (J->adv) mpc_adv_engine_set(M, &J->A);
    enum { FM = 5000 };
    fe *x = calloc(FM, sizeof(fe)), *z = calloc(FM, sizeof(fe));
    mpc_rand(M, x, FM);
    int rc = mpc_mul(M, z, x, x, FM);
    if (rc == 0) rc = mpc_mul(M, z, z, x, FM);
    if (rc == 0) rc = mpc_verify(M);
    free(x);
    free(z);
    J->rc = rc;
    return rc;
}

Test(verify, check_is_sound_and_complete_in_every_field)
{
    const char *primes[] = { "2^89-1", "2^107-1", "2^127-1", "1267650600228229401496703205223" };
    harness_security = MPC_MALICIOUS;
    for (int f = 0; f < 4; f++) {
        field F;
        cr_assert_eq(field_init_str(&F, primes[f]), 0);
        field_job J[3];
        void *args[3] = { &J[0], &J[1], &J[2] };
        memset(J, 0, sizeof J);
        cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_field_body, args, NULL), 0, "%s",
                     primes[f]);
        /* the first relation, one inside the third slice of the first level, the last one */
        static const struct { uint64_t site; size_t elem; } at[] = { { 0, 0 }, { 1, 4321 }, { 1, 4999 } };
        for (int a = 0; a < 3; a++) {
            memset(J, 0, sizeof J);
            J[1].adv = 1;
            J[1].A = (mpc_adv){ .cls = MPC_ADV_MUL_ADD, .site = at[a].site, .elem = at[a].elem,
                                .delta = 1 };
            (void)harness_run(&F, 3, 1, HARNESS_HUB, s_field_body, args, NULL);
            cr_assert_eq(J[0].rc, ERR_CHEAT, "%s, relation %d", primes[f], a);
            cr_assert_eq(J[2].rc, ERR_CHEAT, "%s, relation %d", primes[f], a);
        }
    }
}
