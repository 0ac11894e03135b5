/* test_mul: GRR multiplication, degree reduction and select against the clear
 * computation, over the hub (n=3,t=1 and n=5,t=2) and the CurveZMQ mesh. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/mul.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(mul, .init = s_setup, .timeout = 30);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 }, { 4, 1 }, { 1, 0 } };

enum { OP_MUL, OP_REDUCE, OP_SELECT, OP_SELECT_VEC, OP_BCAST, OP_DOT };

typedef struct job {
    int op, k;
    size_t m;
    fe *x, *y, *c, *out;       /* this party's shares */
    uint64_t rounds, elems;
} job;

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    uint64_t r0 = harness_rounds(M), e0 = harness_elems(M);
    int rc = 0;
    switch (J->op) {
    case OP_MUL: rc = mpc_mul(M, J->out, J->x, J->y, J->m); break;
    case OP_REDUCE: {
        fe *d = malloc(J->m * sizeof(fe) + 1);
        field_vec_mul(mpc_field(M), d, J->x, J->y, J->m);
        rc = mpc_reduce(M, J->out, d, J->m);
        free(d);
        break;
    }
    case OP_SELECT: rc = mpc_select(M, J->out, J->c, J->x, J->y, J->m); break;
    case OP_SELECT_VEC: rc = mpc_select_vec(M, J->out, J->c, J->x, J->y, J->m, J->k); break;
    case OP_BCAST: rc = mpc_mul_bcast(M, J->out, J->c, J->x, J->m, J->k); break;
    case OP_DOT: rc = mpc_dot(M, J->out, J->x, J->y, (size_t)J->k, J->m); break;
    }
    J->rounds = harness_rounds(M) - r0;
    J->elems = harness_elems(M) - e0;
    return rc;
}

/* Run op on shared x, y (and c) for n parties; returns the opened outputs. */
static void s_run(const field *F, int n, int t, int transport, int op, const fe *x,
                  const fe *y, const fe *c, size_t m, int k, fe *res, job *jobs)
{
    size_t len = op == OP_SELECT_VEC || op == OP_BCAST || op == OP_DOT ? m * (size_t)k : m;
    fe *xs[9], *ys[9], *cs[9], *outs[9];
    void *args[9];
    harness_share(F, n, t, t, x, len, xs);
    harness_share(F, n, t, t, y, len, ys);
    if (c) harness_share(F, n, t, t, c, m, cs);
    for (int i = 0; i < n; i++) {
        outs[i] = malloc(len * sizeof(fe) + 1);
        jobs[i] = (job){ .op = op, .k = k, .m = m, .x = xs[i], .y = ys[i],
                         .c = c ? cs[i] : NULL, .out = outs[i] };
        args[i] = &jobs[i];
    }
    int rcs[9];
    cr_assert_eq(harness_run(F, n, t, transport, s_body, args, rcs), 0);
    size_t olen = op == OP_DOT ? m : len;
    cr_assert_eq(harness_open(F, n, t, res, outs, olen), 0, "outputs must be degree-t sharings");
    for (int i = 0; i < n; i++) {
        free(xs[i]);
        free(ys[i]);
        if (c) free(cs[i]);
        free(outs[i]);
    }
}

ParameterizedTestParameters(mul, mul_matches_clear_product)
{
    return cr_make_param_array(struct nt, s_params, sizeof s_params / sizeof s_params[0]);
}

ParameterizedTest(struct nt *P, mul, mul_matches_clear_product)
{
    enum { M = 1000 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe x[M], y[M], z[M];
    field_rand(&F, x, M);
    field_rand(&F, y, M);
    /* edge values: 0, 1, p-1 */
    x[0] = 0; y[0] = F.p - 1;
    x[1] = F.p - 1; y[1] = F.p - 1;
    x[2] = 1; y[2] = F.p - 1;
    x[3] = 0; y[3] = 0;
    job jobs[9];
    /* both modes: the same round and the same elements (the check runs after) */
    for (int mode = MPC_SEMI_HONEST; mode <= MPC_MALICIOUS; mode++) {
        harness_security = mode;
        s_run(&F, P->n, P->t, HARNESS_HUB, OP_MUL, x, y, NULL, M, 0, z, jobs);
        for (int i = 0; i < M; i++) cr_assert(z[i] == fe_mul(&F, x[i], y[i]), "element %d", i);
        for (int i = 0; i < P->n; i++) {
            cr_assert_eq(jobs[i].rounds, 1u);
            uint64_t want = i + 1 <= 2 * P->t + 1 ? (uint64_t)(P->n - 1 - P->t) * M : 0;
            cr_assert_eq(jobs[i].elems, want, "party %d sent %llu", i + 1,
                         (unsigned long long)jobs[i].elems);
        }
    }
}

Test(mul, mul_over_curve_mesh_matches_clear_product)
{
    enum { M = 200 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe x[M], y[M], z[M];
    field_rand(&F, x, M);
    field_rand(&F, y, M);
    job jobs[3];
    s_run(&F, 3, 1, HARNESS_ZMQ, OP_MUL, x, y, NULL, M, 0, z, jobs);
    for (int i = 0; i < M; i++) cr_assert(z[i] == fe_mul(&F, x[i], y[i]));
}

Test(mul, mul_in_p127_field)
{
    enum { M = 300 };
    field F;
    cr_assert_eq(field_init_default(&F, 64, 60), 0);
    cr_assert_eq(F.mers, 127);
    fe x[M], y[M], z[M];
    field_rand(&F, x, M);
    field_rand(&F, y, M);
    x[0] = F.p - 1; y[0] = F.p - 1;
    job jobs[5];
    s_run(&F, 5, 2, HARNESS_HUB, OP_MUL, x, y, NULL, M, 0, z, jobs);
    for (int i = 0; i < M; i++) cr_assert(z[i] == fe_mul(&F, x[i], y[i]));
}

Test(mul, mul_in_non_mersenne_field)
{
    enum { M = 100 };
    field F;
    cr_assert_eq(field_init_str(&F, "1267650600228229401496703205223"), 0);   /* 2^100 - 153 */
    cr_assert_eq(F.mers, 0);
    fe x[M], y[M], z[M];
    field_rand(&F, x, M);
    field_rand(&F, y, M);
    x[0] = F.p - 1; y[0] = F.p - 1;
    job jobs[3];
    s_run(&F, 3, 1, HARNESS_HUB, OP_MUL, x, y, NULL, M, 0, z, jobs);
    for (int i = 0; i < M; i++) cr_assert(z[i] == fe_mul(&F, x[i], y[i]));
}

Test(mul, reduce_of_local_inner_product)
{
    enum { M = 64 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe x[M], y[M], z[M];
    field_rand(&F, x, M);
    field_rand(&F, y, M);
    job jobs[3];
    harness_security = MPC_SEMI_HONEST;   /* raw degree-2t data: semi-honest only */
    s_run(&F, 3, 1, HARNESS_HUB, OP_REDUCE, x, y, NULL, M, 0, z, jobs);
    for (int i = 0; i < M; i++) cr_assert(z[i] == fe_mul(&F, x[i], y[i]));
    cr_assert_eq(jobs[0].rounds, 1);
}

static int s_reduce_body(mpc *M, void *arg)
{
    (void)arg;
    fe d[4] = { 1, 2, 3, 4 };
    int rc = mpc_reduce(M, d, d, 4);
    return rc == ERR_STATE && mpc_reduce(M, d, d, 0) == ERR_STATE ? 0 : ERR_STATE;
}

Test(mul, reduce_is_refused_in_malicious_mode)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_reduce_body, NULL, NULL), 0);
}

Test(mul, bcast_and_dot_match_clear_in_both_modes)
{
    enum { M = 40, K = 7 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe a[M * K], b[M * K], c[M], z[M * K];
    field_rand(&F, a, M * K);
    field_rand(&F, b, M * K);
    field_rand(&F, c, M);
    job jobs[5];
    for (int mode = MPC_SEMI_HONEST; mode <= MPC_MALICIOUS; mode++) {
        harness_security = mode;
        s_run(&F, 5, 2, HARNESS_HUB, OP_BCAST, a, b, c, M, K, z, jobs);
        for (int i = 0; i < M * K; i++) cr_assert(z[i] == fe_mul(&F, c[i / K], a[i]));
        cr_assert_eq(jobs[0].rounds, 1);
        s_run(&F, 3, 1, HARNESS_HUB, OP_DOT, a, b, NULL, M, K, z, jobs);
        for (int j = 0; j < M; j++) {
            fe acc = 0;
            for (int i = 0; i < K; i++) acc = fe_add(&F, acc, fe_mul(&F, a[j * K + i], b[j * K + i]));
            cr_assert(z[j] == acc, "inner product %d", j);
        }
        cr_assert_eq(jobs[0].rounds, 1);
    }
}

ParameterizedTestParameters(mul, select_picks_by_bit)
{
    return cr_make_param_array(struct nt, s_params, 2);
}

ParameterizedTest(struct nt *P, mul, select_picks_by_bit)
{
    enum { M = 50, K = 5 };
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    fe a[M * K], b[M * K], c[M], z[M * K];
    field_rand(&F, a, M * K);
    field_rand(&F, b, M * K);
    for (int i = 0; i < M; i++) c[i] = (fe)(harness_rand_bits(1));
    c[0] = 0; c[1] = 1;
    job jobs[9];
    for (int mode = MPC_SEMI_HONEST; mode <= MPC_MALICIOUS; mode++) {
        harness_security = mode;
        s_run(&F, P->n, P->t, HARNESS_HUB, OP_SELECT, a, b, c, M, 0, z, jobs);
        for (int i = 0; i < M; i++) cr_assert(z[i] == (c[i] ? a[i] : b[i]));
        s_run(&F, P->n, P->t, HARNESS_HUB, OP_SELECT_VEC, a, b, c, M, K, z, jobs);
        for (int i = 0; i < M * K; i++) cr_assert(z[i] == (c[i / K] ? a[i] : b[i]));
        cr_assert_eq(jobs[0].rounds, 1);
    }
}
