/* rr_poll: the seed's randomized-response poll ("Computing on private data",
 * differential privacy). n respondents each hold a prediction x_i in {0, 1}.
 * Each flips a fair coin: tails, it answers x_i; heads, it flips a second coin
 * and answers that. Why epsilon = ln 3: an answer is 1 with probability
 * 1/2 + 1/4 = 3/4 when x_i = 1 and 1/4 when x_i = 0 (and 0 with 1/4 and 3/4), so
 * for either answer the two likelihoods differ by a factor of at most 3: every
 * answer is ln 3-differentially private on its own, before anyone counts.
 *
 * The pollster learns only N, the number of 1 answers: each respondent
 * Shamir-shares its answer among three servers (threads over the in-process
 * transport, t = 1), the servers check that every sharing is consistent and a
 * bit (an invalid one is excluded without revealing the others), add their
 * shares and open the sum alone. Since E[N/n] = p/2 + 1/4, the estimate
 * p_hat = 2N/n - 1/2 is unbiased, with Var(N/n) = (p/2 + 1/4)(3/4 - p/2) / n and
 * so stderr(p_hat) = 2 sqrt((p/2 + 1/4)(3/4 - p/2) / n), estimated with N/n in
 * place of p/2 + 1/4.
 *
 *   rr_poll [--n 10000] [--p 0.3]
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/net.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/check.h"
#include "protocols/dp.h"
#include "protocols/mpc.h"
#include "protocols/shamir.h"

enum { S_N = 3, S_T = 1 };

typedef struct server {
    const field *F;
    net_hub *hub;
    const uint8_t *sid;
    int me;
    const fe *shares;      /* one share per respondent (secret) */
    size_t count;
    uint64_t ones, excluded;
    int rc;
    char err[256];
} server;

/* One server: check the sharings, add the valid ones, open the sum only. */
static void *s_server(void *arg)
{
    server *S = arg;
    net *nw = net_mem_new(S->hub, S->me, S->sid, 10000);
    mpc *M = NULL;
    uint8_t *bad = xcalloc(S->count ? S->count : 1, 1);
    S->rc = ERR_ARG;
    if (!nw) goto out;
    if (!(M = mpc_create(S->F, S_N, S_T, 0, nw, S->err, sizeof S->err))) {
        S->rc = ERR_PROTO;
        goto out;
    }
    S->rc = check_degree(M, S->shares, S->count, 1, bad);
    if (!S->rc) S->rc = check_bits(M, S->shares, S->count, 1, bad);
    if (!S->rc) {
        fe sum = 0;
        uint64_t excl = 0;
        for (size_t i = 0; i < S->count; i++) {
            if (bad[i]) excl++;
            else sum = fe_add(S->F, sum, S->shares[i]);
        }
        S->rc = mpc_open(M, &sum, &sum, 1);
        if (!S->rc) {
            S->ones = (uint64_t)sum;
            S->excluded = excl;
        }
    }
    if (S->rc) snprintf(S->err, sizeof S->err, "%s", mpc_errmsg(M));
out:
    mpc_destroy(&M);
    net_free(&nw);
    free(bad);
    return NULL;
}

static int s_usage(const char *prog)
{
    fprintf(stderr, "usage: %s [--n respondents (1..10000000, default 10000)] "
                    "[--p true fraction (0..1, default 0.3)]\n", prog);
    return 2;
}

/* --n and --p; 0, or the usage exit code. */
static int s_args(int argc, char **argv, long *n, double *p)
{
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--n") && i + 1 < argc) {
            errno = 0;
            *n = strtol(argv[++i], &end, 10);
            if (errno || *end || *n < 1 || *n > 10000000) return s_usage(argv[0]);
        } else if (!strcmp(argv[i], "--p") && i + 1 < argc) {
            errno = 0;
            *p = strtod(argv[++i], &end);
            if (errno || *end || !(*p >= 0.0 && *p <= 1.0)) return s_usage(argv[0]);
        } else {
            return s_usage(argv[0]);
        }
    }
    return 0;
}

/* The S_N servers as threads over the in-process hub, on shares[j * count..]
 * for server j+1; 0 when all agree on the count (srv[0] then holds it). */
static int s_servers(const field *F, const fe *shares, size_t count, server *srv)
{
    uint8_t sid[MPC_SID_LEN];
    randombytes_buf(sid, sizeof sid);
    net_hub *hub = net_hub_new(S_N);
    pthread_t th[S_N];
    if (!hub) return 1;
    for (int j = 0; j < S_N; j++) {
        srv[j] = (server){ .F = F, .hub = hub, .sid = sid, .me = j + 1,
                           .shares = shares + (size_t)j * count, .count = count };
        if (pthread_create(&th[j], NULL, s_server, &srv[j]) != 0) abort();
    }
    int rc = 0;
    for (int j = 0; j < S_N; j++) {
        pthread_join(th[j], NULL);
        if (srv[j].rc) {
            fprintf(stderr, "rr_poll: server %d: %s (%s)\n", j + 1, err_str(srv[j].rc), srv[j].err);
            rc = 1;
        }
    }
    net_hub_free(&hub);
    for (int j = 1; rc == 0 && j < S_N; j++)
        if (srv[j].ones != srv[0].ones) {
            fprintf(stderr, "rr_poll: servers disagree on the count\n");
            rc = 1;
        }
    return rc;
}

int main(int argc, char **argv)
{
    long n = 10000;
    double p = 0.3;
    int rc = s_args(argc, argv, &n, &p);
    if (rc) return rc;
    if (secmem_init() != 0) {
        fprintf(stderr, "rr_poll: libsodium initialisation failed\n");
        return 1;
    }
    field F;
    if (field_init_default(&F, 32, 40) != 0) return 1;
    size_t count = (size_t)n, ones_true = (size_t)llround(p * (double)n);

    /* respondents (client side): randomize, then share the answer, never the truth */
    shamir *sh = shamir_new(&F, S_N, S_T);
    if (!sh) return 1;
    fe *answers = xmalloc(count * sizeof(fe)), *shares = xmalloc(S_N * count * sizeof(fe));
    for (size_t i = 0; i < count; i++) answers[i] = (fe)dp_rr_respond(i < ones_true);
    shamir_share(sh, shares, answers, count, S_T);   /* each answer has its own polynomial */
    secmem_free(answers, count * sizeof(fe));
    shamir_free(&sh);

    server srv[S_N];
    rc = s_servers(&F, shares, count, srv);
    secmem_free(shares, S_N * count * sizeof(fe));
    if (rc) return 1;

    /* pollster */
    uint64_t N = srv[0].ones, valid = count - srv[0].excluded;
    double ph, se;
    if (dp_rr_estimate(N, valid, &ph, &se) != 0) {
        fprintf(stderr, "rr_poll: no valid answers\n");
        return 1;
    }
    printf("randomized-response poll: %zu respondents, true fraction p = %.4f (%zu predict 1)\n",
           count, (double)ones_true / (double)count, ones_true);
    printf("each answers the truth on tails, a second coin on heads: "
           "P[1 | x=1] = 3/4, P[1 | x=0] = 1/4\n");
    printf("servers (n = %d, t = %d) opened only N = %llu answers \"1\" (%llu excluded)\n", S_N,
           S_T, (unsigned long long)N, (unsigned long long)srv[0].excluded);
    printf("estimate p_hat = 2N/n - 1/2 = %.4f, 95%% CI [%.4f, %.4f] (stderr %.4f)\n", ph,
           ph - 1.96 * se, ph + 1.96 * se, se);
    printf("epsilon = ln 3 = %.4f per respondent (each answer is private on its own)\n",
           DP_RR_EPS);
    return 0;
}
