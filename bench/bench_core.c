/* bench_core: throughput of the protocol core (field, Shamir, PRSS, encoding);
 * one JSON object per line on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/field.h"
#include "common/secmem.h"
#include "protocols/prss.h"
#include "protocols/shamir.h"

#define S_N 1000000

static volatile fe s_sink;   /* keeps results alive past the optimiser */

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Allocates and touches n bytes, so page faults stay out of the timings. */
static void *s_alloc(size_t n)
{
    void *p = malloc(n);
    if (p) memset(p, 0x5a, n);   /* non-zero: malloc + memset 0 would become calloc */
    return p;
}

static void s_emit(const char *name, double value, const char *unit, const char *ctx)
{
    printf("{\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"%s%s}\n", name, value, unit,
           ctx[0] ? "," : "", ctx);
}

static int s_shamir(const field *F, const char *pname)
{
    const int n = 3, t = 1;
    shamir *S = shamir_new(F, n, t);
    fe *sec = s_alloc(S_N * sizeof *sec), *sh = s_alloc((size_t)n * S_N * sizeof *sh);
    fe *out = s_alloc(S_N * sizeof *out);
    int rc = -1;
    if (!S || !sec || !sh || !out) goto out;
    field_rand(F, sec, S_N);
    const fe *ptr[3] = { sh, sh + S_N, sh + 2 * S_N };
    double t0 = s_now();
    shamir_share(S, sh, sec, S_N, t);
    double t1 = s_now();
    if (shamir_reconstruct(S, out, ptr, 0x3, t, S_N) != 0) goto out;
    double t2 = s_now();
    if (shamir_check(S, ptr, t, S_N, NULL) != 0) goto out;
    double t3 = s_now();
    if (memcmp(out, sec, S_N * sizeof *sec) != 0) {
        fprintf(stderr, "bench_core: reconstruction mismatch\n");
        goto out;
    }
    /* the same on fresh, untouched buffers: includes the page faults a real run pays */
    fe *sh2 = malloc((size_t)n * S_N * sizeof *sh2), *out2 = malloc(S_N * sizeof *out2);
    if (!sh2 || !out2) {
        free(sh2);
        free(out2);
        goto out;
    }
    const fe *ptr2[3] = { sh2, sh2 + S_N, sh2 + 2 * S_N };
    double c0 = s_now();
    shamir_share(S, sh2, sec, S_N, t);
    int rc2 = shamir_reconstruct(S, out2, ptr2, 0x6, t, S_N);
    double c1 = s_now();
    int same = rc2 == 0 && memcmp(out2, sec, S_N * sizeof *sec) == 0;
    free(sh2);
    free(out2);
    if (!same) goto out;
    char ctx[128];
    snprintf(ctx, sizeof ctx, "\"n\":%d,\"t\":%d,\"N\":%d,\"p\":\"%s\"", n, t, S_N, pname);
    s_emit("shamir_share_reconstruct", t2 - t0, "s", ctx);
    s_emit("shamir_share_reconstruct_cold", c1 - c0, "s", ctx);
    s_emit("shamir_share_reconstruct_rate", S_N / (t2 - t0), "values/s", ctx);
    s_emit("shamir_share_rate", S_N / (t1 - t0), "values/s", ctx);
    s_emit("shamir_reconstruct_rate", S_N / (t2 - t1), "values/s", ctx);
    s_emit("shamir_check_rate", S_N / (t3 - t2), "values/s", ctx);
    rc = 0;
out:
    shamir_free(&S);
    free(sec);
    free(sh);
    free(out);
    return rc;
}

static int s_prss(const field *F, const char *pname)
{
    const int n = 3, t = 1;
    prss *ps[3] = { NULL, NULL, NULL };
    fe *out = s_alloc(S_N * sizeof *out);
    int rc = -1;
    for (int i = 0; i < n; i++) ps[i] = prss_new(F, n, t, i + 1);
    if (!out || !ps[0] || !ps[1] || !ps[2] || prss_deal_local(ps, n) != 0) goto out;
    char ctx[128];
    snprintf(ctx, sizeof ctx, "\"n\":%d,\"t\":%d,\"N\":%d,\"p\":\"%s\"", n, t, S_N, pname);
    double t0 = s_now();
    prss_rand(ps[0], out, S_N);   /* one party's work */
    double t1 = s_now();
    s_sink = out[S_N - 1];
    prss_zero(ps[0], out, S_N);
    double t2 = s_now();
    s_sink = out[S_N - 1];
    s_emit("prss_rand_rate", S_N / (t1 - t0), "elements/s", ctx);
    s_emit("przs_rate", S_N / (t2 - t1), "elements/s", ctx);
    rc = 0;
out:
    for (int i = 0; i < n; i++) prss_free(&ps[i]);
    free(out);
    return rc;
}

static int s_codec(const field *F, const char *pname)
{
    fe *v = s_alloc(S_N * sizeof *v), *back = s_alloc(S_N * sizeof *back);
    uint8_t *buf = s_alloc(S_N * F->bytes);
    int rc = -1;
    if (!v || !back || !buf) goto out;
    field_rand(F, v, S_N);
    double t0 = s_now();
    field_encode(F, buf, v, S_N);
    double t1 = s_now();
    if (field_decode(F, back, S_N, buf, S_N * F->bytes) != 0) goto out;
    double t2 = s_now();
    if (memcmp(v, back, S_N * sizeof *v) != 0) goto out;
    char ctx[128];
    snprintf(ctx, sizeof ctx, "\"N\":%d,\"bytes\":%zu,\"p\":\"%s\"", S_N, F->bytes, pname);
    s_emit("field_encode_rate", S_N / (t1 - t0), "elements/s", ctx);
    s_emit("field_decode_rate", S_N / (t2 - t1), "elements/s", ctx);
    rc = 0;
out:
    free(v);
    free(back);
    free(buf);
    return rc;
}

/* Dependent chain of multiplications: latency-bound, the honest per-mul cost. */
static void s_mul(const field *F, const char *pname, size_t iters)
{
    fe x, y;
    field_rand(F, &x, 1);
    field_rand(F, &y, 1);
    double t0 = s_now();
    for (size_t i = 0; i < iters; i++) x = fe_mul(F, x, y);
    double t1 = s_now();
    s_sink = x;
    char ctx[128];
    snprintf(ctx, sizeof ctx, "\"N\":%zu,\"p\":\"%s\"", iters, pname);
    s_emit("field_mul_rate", (double)iters / (t1 - t0), "mul/s", ctx);
}

int main(void)
{
    if (secmem_init() != 0) {
        fprintf(stderr, "bench_core: secmem_init failed\n");
        return 1;
    }
    field F, G;
    if (field_init_default(&F, 32, 40) != 0 ||
        field_init_str(&G, "85070591730234615865843651857942052727") != 0) {
        fprintf(stderr, "bench_core: field init failed\n");
        return 1;
    }
    const char *pf = "2^89-1", *pg = "2^126-137";
    s_mul(&F, pf, 20 * (size_t)S_N);
    s_mul(&G, pg, 5 * (size_t)S_N);
    if (s_codec(&F, pf) != 0 || s_shamir(&F, pf) != 0 || s_prss(&F, pf) != 0) {
        fprintf(stderr, "bench_core: a benchmark failed\n");
        return 1;
    }
    return 0;
}
