/* test_mpc: context set-up (key dealing), openings with cheating detection, the
 * masked degree-2t opening, the joint coin, malformed and silent peers. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/secmem.h"
#include "protocols/mpc.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(mpc, .init = s_setup, .timeout = 30);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 }, { 4, 1 }, { 7, 3 }, { 1, 0 } };

typedef struct job {
    int me;
    size_t m;
    fe *x, *y, *out;
    uint8_t *bad;
    int tamper;             /* party that perturbs its share (0: none) */
    size_t tamper_at;
    uint8_t seed[2][32];
    uint64_t rounds, elems;
} job;

static void s_jobs(job *jobs, void **args, int n, size_t m)
{
    for (int i = 0; i < n; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].me = i + 1;
        jobs[i].m = m;
        jobs[i].out = calloc(m + 1, sizeof(fe));
        jobs[i].bad = calloc(m + 1, 1);
        args[i] = &jobs[i];
    }
}

static void s_free_jobs(job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        free(jobs[i].out);
        free(jobs[i].bad);
        free(jobs[i].x);
        free(jobs[i].y);
    }
}

static int s_rand_body(mpc *M, void *arg)
{
    job *J = arg;
    mpc_rand(M, J->out, J->m);
    return 0;
}

ParameterizedTestParameters(mpc, init_deals_prss_keys_giving_degree_t_randoms)
{
    return cr_make_param_array(struct nt, s_params, sizeof s_params / sizeof s_params[0]);
}

ParameterizedTest(struct nt *P, mpc, init_deals_prss_keys_giving_degree_t_randoms)
{
    enum { M = 200 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    job jobs[9];
    void *args[9];
    s_jobs(jobs, args, P->n, M);
    cr_assert_eq(harness_run(&F, P->n, P->t, HARNESS_HUB, s_rand_body, args, NULL), 0);
    fe *outs[9], v[M];
    for (int i = 0; i < P->n; i++) outs[i] = jobs[i].out;
    cr_assert_eq(harness_open(&F, P->n, P->t, v, outs, M), 0);
    int distinct = 0;
    for (int i = 1; i < M; i++) distinct += v[i] != v[0];
    cr_assert_gt(distinct, M - 3, "PRSS values must look uniform");
    s_free_jobs(jobs, P->n);
}

static int s_open_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->tamper == J->me) J->x[J->tamper_at] = fe_add(mpc_field(M), J->x[J->tamper_at], 1);
    uint64_t r0 = harness_rounds(M), e0 = harness_elems(M);
    int rc = mpc_open(M, J->out, J->x, J->m);
    J->rounds = harness_rounds(M) - r0;
    J->elems = harness_elems(M) - e0;
    return rc;
}

static int s_open_check_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->tamper == J->me) J->x[J->tamper_at] = fe_add(mpc_field(M), J->x[J->tamper_at], 1);
    return mpc_open_check(M, J->out, J->bad, J->x, J->m);
}

static void s_share_into(const field *F, job *jobs, int n, int t, const fe *v, size_t m, int y)
{
    fe *sh[9];
    harness_share(F, n, t, t, v, m, sh);
    for (int i = 0; i < n; i++) {
        if (y) jobs[i].y = sh[i];
        else jobs[i].x = sh[i];
    }
}

ParameterizedTestParameters(mpc, open_reveals_values_in_one_round)
{
    return cr_make_param_array(struct nt, s_params, sizeof s_params / sizeof s_params[0]);
}

ParameterizedTest(struct nt *P, mpc, open_reveals_values_in_one_round)
{
    enum { M = 300 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe v[M];
    field_rand(&F, v, M);
    v[0] = 0;
    v[1] = F.p - 1;
    job jobs[9];
    void *args[9];
    s_jobs(jobs, args, P->n, M);
    s_share_into(&F, jobs, P->n, P->t, v, M, 0);
    cr_assert_eq(harness_run(&F, P->n, P->t, HARNESS_HUB, s_open_body, args, NULL), 0);
    for (int i = 0; i < P->n; i++) {
        cr_assert_eq(memcmp(jobs[i].out, v, sizeof v), 0, "party %d", i + 1);
        cr_assert_eq(jobs[i].rounds, 1);
        cr_assert_eq(jobs[i].elems, (uint64_t)(P->n - 1) * M);
    }
    s_free_jobs(jobs, P->n);
}

ParameterizedTestParameters(mpc, open_aborts_on_inconsistent_share)
{
    return cr_make_param_array(struct nt, s_params, 3);
}

ParameterizedTest(struct nt *P, mpc, open_aborts_on_inconsistent_share)
{
    enum { M = 40 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe v[M];
    field_rand(&F, v, M);
    job jobs[9];
    void *args[9];
    s_jobs(jobs, args, P->n, M);
    s_share_into(&F, jobs, P->n, P->t, v, M, 0);
    for (int i = 0; i < P->n; i++) { jobs[i].tamper = 2; jobs[i].tamper_at = 17; }
    int rcs[9];
    cr_assert_neq(harness_run(&F, P->n, P->t, HARNESS_HUB, s_open_body, args, rcs), 0);
    for (int i = 0; i < P->n; i++) {
        cr_assert_eq(rcs[i], ERR_CHEAT, "party %d: %d", i + 1, rcs[i]);
        /* nothing released */
        for (int j = 0; j < M; j++) cr_assert(jobs[i].out[j] == 0);
    }
    s_free_jobs(jobs, P->n);
}

Test(mpc, open_check_flags_exactly_the_inconsistent_elements)
{
    enum { M = 64 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe v[M];
    field_rand(&F, v, M);
    job jobs[5];
    void *args[5];
    s_jobs(jobs, args, 5, M);
    s_share_into(&F, jobs, 5, 2, v, M, 0);
    for (int i = 0; i < 5; i++) { jobs[i].tamper = 4; jobs[i].tamper_at = 33; }
    cr_assert_eq(harness_run(&F, 5, 2, HARNESS_HUB, s_open_check_body, args, NULL), 0);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < M; j++) {
            cr_assert_eq(jobs[i].bad[j], j == 33, "party %d element %d", i + 1, j);
            if (j != 33) cr_assert(jobs[i].out[j] == v[j]);
        }
    s_free_jobs(jobs, 5);
}

static int s_prod_body(mpc *M, void *arg)
{
    job *J = arg;
    uint64_t r0 = harness_rounds(M);
    int rc = mpc_open_prod(M, J->out, J->x, J->y, J->m);
    J->rounds = harness_rounds(M) - r0;
    return rc;
}

ParameterizedTestParameters(mpc, open_prod_reveals_product_in_one_round)
{
    return cr_make_param_array(struct nt, s_params, 4);
}

ParameterizedTest(struct nt *P, mpc, open_prod_reveals_product_in_one_round)
{
    enum { M = 100 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe x[M], y[M];
    field_rand(&F, x, M);
    field_rand(&F, y, M);
    x[0] = F.p - 1; y[0] = F.p - 1;
    x[1] = 0;
    job jobs[9];
    void *args[9];
    s_jobs(jobs, args, P->n, M);
    s_share_into(&F, jobs, P->n, P->t, x, M, 0);
    s_share_into(&F, jobs, P->n, P->t, y, M, 1);
    cr_assert_eq(harness_run(&F, P->n, P->t, HARNESS_HUB, s_prod_body, args, NULL), 0);
    for (int i = 0; i < P->n; i++) {
        cr_assert_eq(jobs[i].rounds, 1);
        for (int j = 0; j < M; j++) cr_assert(jobs[i].out[j] == fe_mul(&F, x[j], y[j]));
    }
    s_free_jobs(jobs, P->n);
}

static int s_coin_body(mpc *M, void *arg)
{
    job *J = arg;
    int rc = mpc_coin(M, J->seed[0]);
    return rc ? rc : mpc_coin(M, J->seed[1]);
}

Test(mpc, coin_is_common_and_fresh)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    job jobs[3];
    void *args[3];
    s_jobs(jobs, args, 3, 1);
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_coin_body, args, NULL), 0);
    for (int i = 1; i < 3; i++) cr_assert_eq(memcmp(jobs[i].seed, jobs[0].seed, 64), 0);
    cr_assert_neq(memcmp(jobs[0].seed[0], jobs[0].seed[1], 32), 0);
    s_free_jobs(jobs, 3);
}

Test(mpc, open_over_curve_mesh)
{
    enum { M = 50 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe v[M];
    field_rand(&F, v, M);
    job jobs[3];
    void *args[3];
    s_jobs(jobs, args, 3, M);
    s_share_into(&F, jobs, 3, 1, v, M, 0);
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_ZMQ, s_open_body, args, NULL), 0);
    for (int i = 0; i < 3; i++) cr_assert_eq(memcmp(jobs[i].out, v, sizeof v), 0);
    s_free_jobs(jobs, 3);
}

/* Party 2 sends a malformed payload (wrong length, or a value >= p) at the
 * opening's step instead of its shares. */
static int s_malformed_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->me == 2) {
        uint8_t junk[16];
        memset(junk, 0xff, sizeof junk);      /* 2^96 - 1 > p in 12 bytes */
        size_t len = J->tamper ? mpc_field(M)->bytes : 5;
        uint64_t step = mpc_step(M);
        for (int j = 1; j <= mpc_n(M); j++)
            if (j != 2 && mpc_send_raw(M, j, MPC_MSG_OPEN, step, junk, len, 0)) return ERR_IO;
        return 0;
    }
    return mpc_open(M, J->out, J->x, J->m);
}

Test(mpc, open_rejects_malformed_and_out_of_range_payloads)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe v = 7;
    for (int kind = 0; kind < 2; kind++) {
        job jobs[3];
        void *args[3];
        s_jobs(jobs, args, 3, 1);
        s_share_into(&F, jobs, 3, 1, &v, 1, 0);
        for (int i = 0; i < 3; i++) jobs[i].tamper = kind;
        int rcs[3];
        cr_assert_neq(harness_run(&F, 3, 1, HARNESS_HUB, s_malformed_body, args, rcs), 0);
        cr_assert_eq(rcs[1], 0);
        cr_assert_eq(rcs[0], kind ? ERR_RANGE : ERR_PARSE);
        cr_assert_eq(rcs[2], kind ? ERR_RANGE : ERR_PARSE);
        s_free_jobs(jobs, 3);
    }
}

static int s_silent_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->me == 3) return 0;
    int rc = mpc_open(M, J->out, J->x, J->m);
    if (rc == ERR_TIMEOUT && !strstr(mpc_errmsg(M), "S3")) return ERR_ARG;   /* must name S3 */
    return rc;
}

Test(mpc, open_times_out_naming_the_silent_server)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe v = 7;
    job jobs[3];
    void *args[3];
    s_jobs(jobs, args, 3, 1);
    s_share_into(&F, jobs, 3, 1, &v, 1, 0);
    harness_timeout_ms = 200;
    int rcs[3];
    cr_assert_neq(harness_run(&F, 3, 1, HARNESS_HUB, s_silent_body, args, rcs), 0);
    cr_assert_eq(rcs[0], ERR_TIMEOUT);
    cr_assert_eq(rcs[1], ERR_TIMEOUT);
    s_free_jobs(jobs, 3);
}

Test(mpc, create_rejects_bad_threshold_size_and_kappa)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint8_t sid[MPC_SID_LEN] = { 0 };
    net_hub *hub = net_hub_new(3);
    net *nw = net_mem_new(hub, 1, sid, 100);
    cr_assert_not_null(nw);
    char err[256];
    cr_assert_null(mpc_create(&F, 3, 2, 0, nw, err, sizeof err));     /* 2t >= n */
    cr_assert_not_null(strstr(err, "bad arguments"), "%s", err);
    cr_assert_null(mpc_create(&F, 4, 1, 0, nw, err, sizeof err));     /* n != net_n */
    cr_assert_null(mpc_create(&F, 3, -1, 0, nw, err, sizeof err));
    cr_assert_null(mpc_create(NULL, 3, 1, 0, nw, err, sizeof err));
    cr_assert_null(mpc_create(&F, 3, 1, MPC_KAPPA_MAX + 1, nw, err, sizeof err));
    cr_assert_not_null(strstr(err, "kappa"), "%s", err);
    cr_assert_null(mpc_create(&F, 3, 2, 0, nw, NULL, 0));             /* err is optional */
    /* alone on the hub: the key exchange times out, naming the silent peer */
    cr_assert_null(mpc_create(&F, 3, 1, 0, nw, err, sizeof err));
    cr_assert_not_null(strstr(err, "S2"), "%s", err);
    mpc *M = NULL;
    mpc_destroy(&M);                                                  /* NULL is fine */
    mpc_destroy(NULL);
    net_free(&nw);
    net_hub_free(&hub);
}

typedef struct acc {
    int n, t, me, kappa;
    const field *F;
    char before[64], after[300];
    int rc;
} acc;

static int s_accessors_body(mpc *M, void *arg)
{
    acc *A = arg;
    A->n = mpc_n(M);
    A->t = mpc_t(M);
    A->me = mpc_me(M);
    A->kappa = mpc_kappa(M);
    A->F = mpc_field(M);
    snprintf(A->before, sizeof A->before, "%s", mpc_errmsg(M));
    A->rc = mpc_fail(M, ERR_CHEAT, "tally %d of S%d", 7, mpc_me(M));
    /* the message may quote the last one; long ones are cut, never overflow */
    char big[400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    (void)mpc_fail(M, 0, "ctx: %s; %s", mpc_errmsg(M), big);
    snprintf(A->after, sizeof A->after, "%s", mpc_errmsg(M));
    return 0;
}

Test(mpc, accessors_and_fail_report_the_context)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    acc A[5];
    void *args[5];
    for (int i = 0; i < 5; i++) args[i] = &A[i];
    cr_assert_eq(harness_run(&F, 5, 2, HARNESS_HUB, s_accessors_body, args, NULL), 0);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(A[i].n, 5);
        cr_assert_eq(A[i].t, 2);
        cr_assert_eq(A[i].me, i + 1);
        cr_assert_eq(A[i].kappa, MPC_KAPPA);
        cr_assert_eq(A[i].F, &F);
        cr_assert_str_eq(A[i].before, "no error");
        cr_assert_eq(A[i].rc, ERR_CHEAT);
        char want[64];
        snprintf(want, sizeof want, "ctx: tally 7 of S%d; xxx", i + 1);
        cr_assert_eq(strncmp(A[i].after, want, strlen(want)), 0, "%s", A[i].after);
        cr_assert_eq(strlen(A[i].after), 255);
    }
}

Test(mpc, create_takes_kappa)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint8_t sid[MPC_SID_LEN];
    randombytes_buf(sid, sizeof sid);
    net_hub *hub = net_hub_new(1);
    net *nw = net_mem_new(hub, 1, sid, 100);
    char err[256];
    mpc *M = mpc_create(&F, 1, 0, 48, nw, err, sizeof err);
    cr_assert_not_null(M, "%s", err);
    cr_assert_eq(mpc_kappa(M), 48);
    mpc_destroy(&M);
    cr_assert_null(M);
    M = mpc_create(&F, 1, 0, -5, nw, err, sizeof err);
    cr_assert_not_null(M, "%s", err);
    cr_assert_eq(mpc_kappa(M), MPC_KAPPA);
    mpc_destroy(&M);
    net_free(&nw);
    net_hub_free(&hub);
}

Test(mpc, wire_format_is_fixed_width_big_endian_and_range_checked)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(F.bytes, 12);
    fe v[4] = { 0, 1, F.p - 1, ((fe)0x0102030405060708ULL << 32) | 0x090a0b0c };
    uint8_t a[48], b[48];
    mpc_encode(&F, a, v, 4);
    field_encode(&F, b, v, 4);
    cr_assert_eq(memcmp(a, b, sizeof a), 0);
    fe w[4];
    cr_assert_eq(mpc_decode(&F, w, 4, a, sizeof a), 0);
    cr_assert_eq(memcmp(v, w, sizeof v), 0);
    cr_assert_eq(mpc_decode(&F, w, 4, a, sizeof a - 1), ERR_PARSE);
    cr_assert_eq(mpc_decode(&F, w, 3, a, sizeof a), ERR_PARSE);
    memset(a + 12, 0xff, 12);
    cr_assert_eq(mpc_decode(&F, w, 4, a, sizeof a), ERR_RANGE);
}
