/* bench_apps: the auction and the vote as applications would run them after
 * intake closes, 3 servers as processes on loopback over CurveZMQ: degree check,
 * in-MPC validity checks, the computation, the declared opening and the signed
 * statement. Inputs are shared by the bench itself (as clients would) before the
 * servers start. One JSON line per figure (auction_seconds, vote_tally_seconds)
 * with "domain": "field" (F_p) or "binary" (the auction on bits shared in
 * GF(2^4), auction_bin.h), and security mode ("security": "semi-honest" then "malicious", on the same
 * inputs; "verify_rounds": the rounds of the multiplication checks).
 * Usage: bench_apps [--quick] [--mode semi-honest|malicious]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "bench/lib/procs.h"
#include "common/secmem.h"
#include "protocols/auction_bin.h"
#include "protocols/auction_mpc.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "protocols/gf2_verify.h"
#include "protocols/check.h"
#include "protocols/range.h"
#include "protocols/result.h"
#include "protocols/shamir.h"
#include "protocols/verify.h"
#include "protocols/vote_mpc.h"

#define B_N 3
#define B_T 1

typedef struct job {
    int kind;             /* 1 auction, 2 vote, 3 auction in the binary domain */
    size_t count;
    uint32_t m;
    fe *shares[B_N];      /* per server: count * m shares */
    uint64_t *bits[B_N];  /* kind 3, per server: the bid bits' matrix (bincmp.h) */
    uint64_t expect;      /* clear result: max bid, or YES (1) / NO (0) */
    int k;
    int security;         /* MPC_SEMI_HONEST or MPC_MALICIOUS */
} job;

static int s_modes[2] = { MPC_SEMI_HONEST, MPC_MALICIOUS }, s_nmodes = 2;

static void *s_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

/* Share count plaintext rows for every server, as the clients would. */
static void s_share(const field *F, job *J, const fe *plain)
{
    shamir *sh = shamir_new(F, B_N, B_T);
    size_t chunk = 4096, m = J->m;
    fe *tmp = s_xmalloc(sizeof(fe) * B_N * chunk * m);
    for (int i = 0; i < B_N; i++) J->shares[i] = s_xmalloc(sizeof(fe) * J->count * m);
    for (size_t off = 0; off < J->count; off += chunk) {
        size_t c = J->count - off < chunk ? J->count - off : chunk;
        shamir_share(sh, tmp, plain + off * m, c * m, B_T);
        for (int i = 0; i < B_N; i++)
            memcpy(J->shares[i] + off * m, tmp + (size_t)i * c * m, sizeof(fe) * c * m);
    }
    free(tmp);
    shamir_free(&sh);
}

static int s_server(mpc *M, void *arg)
{
    job *J = arg;
    const fe *rows = J->shares[mpc_me(M) - 1];
    uint8_t *bad = calloc(J->count, 1), sk[64], pk[32], ih[32] = { 0 };
    crypto_sign_keypair(pk, sk);
    mpc_set_security(M, J->security);
    procs_meter mt;
    int rc = procs_start(M, &mt);
    if (!rc && J->kind != 3) rc = check_degree(M, rows, J->count, J->m, bad);
    char out[256], extra[192];
    uint64_t got = 0;
    if (!rc && J->kind == 1) {
        auction_spec s = { .k = J->k, .reveal_winner = 1 };
        auction_outcome o;
        rc = auction_run(M, &s, rows, J->count, J->m, bad, &o);
        got = o.price;
        snprintf(out, sizeof out, "{\"sold\":true,\"winning_bid\":%llu}", (unsigned long long)got);
    } else if (!rc && J->kind == 3) {
        auction_spec s = { .k = J->k, .reveal_winner = 1 };
        auction_outcome o;
        rc = auction_bin_run(M, &s, J->bits[mpc_me(M) - 1], J->count, bad, &o);
        got = o.price;
        snprintf(out, sizeof out, "{\"sold\":true,\"winning_bid\":%llu}", (unsigned long long)got);
    } else if (!rc) {
        vote_spec s = { .type = VOTE_THRESHOLD, .options = 2, .abstain = 1, .num = 1, .den = 2,
                        .base = VOTE_BASE_YES_NO, .roll = J->count };
        vote_outcome o;
        rc = vote_run(M, &s, rows, J->count, bad, &o);
        got = (uint64_t)o.yes;
        snprintf(out, sizeof out, "{\"outcome\":\"%s\"}", o.yes ? "YES" : "NO");
    }
    if (!rc) {
        result_stmt *st = result_stmt_new(mpc_me(M), (const uint8_t *)"0123456789abcdef0123456789abcdef",
                                          (const uint8_t *)out, strlen(out), J->count, 0, ih);
        result_stmt_sign(st, sk);
        rc = result_stmt_verify(st, pk);
        result_stmt_free(&st);
    }
    double dt = procs_elapsed(&mt);
    if (!rc && got != J->expect) {
        fprintf(stderr, "bench: wrong result %llu, expected %llu\n", (unsigned long long)got,
                (unsigned long long)J->expect);
        rc = ERR_CHEAT;
    }
    if (!rc) {
        uint64_t vr, br;
        mpc_verify_stats(M, NULL, &vr, NULL);
        gf2v_stats(M, NULL, &br);
        snprintf(extra, sizeof extra,
                 ",\"k\":%d,\"N\":%zu,\"security\":\"%s\",\"verify_rounds\":%llu,\"domain\":\"%s\"",
                 J->k, J->count, J->security == MPC_MALICIOUS ? "malicious" : "semi-honest",
                 (unsigned long long)(vr + br), J->kind == 3 ? "binary" : "field");
        procs_report(M, &mt, J->kind == 2 ? "vote_tally_seconds" : "auction_seconds", dt, "s",
                     extra);
    }
    sodium_memzero(sk, sizeof sk);
    free(bad);
    return rc;
}

static int s_auction(const field *F, size_t N, int k)
{
    job J = { .kind = 1, .count = N, .m = range_input_len(k), .k = k };
    fe *plain = s_xmalloc(sizeof(fe) * N * J.m);
    for (size_t i = 0; i < N; i++) {
        uint64_t v = ((uint64_t)randombytes_random() << 32 | randombytes_random()) &
                     ((UINT64_C(1) << k) - 1);
        if (v > J.expect) J.expect = v;
        range_encode(F, plain + i * J.m, v, k);
    }
    s_share(F, &J, plain);
    sodium_memzero(plain, sizeof(fe) * N * J.m);
    free(plain);
    int rc = 0;
    for (int i = 0; i < s_nmodes && rc == 0; i++) {
        J.security = s_modes[i];
        rc = procs_run(F, B_N, B_T, s_server, &J);
    }
    for (int i = 0; i < B_N; i++) free(J.shares[i]);
    return rc;
}

/* The same auction with the bids' bits shared in GF(2^4) by the clients
 * (auction_bin.h): the range is the bits' check. */
static int s_auction_bin(const field *F, size_t N, int k)
{
    job J = { .kind = 3, .count = N, .k = k };
    size_t nw = gf2_words(N);
    uint64_t *v = s_xmalloc(N * 8), *row = s_xmalloc(nw * 8), *sh[B_N];
    for (size_t i = 0; i < N; i++) {
        v[i] = ((uint64_t)randombytes_random() << 32 | randombytes_random()) & ((UINT64_C(1) << k) - 1);
        if (v[i] > J.expect) J.expect = v[i];
    }
    for (int i = 0; i < B_N; i++) {
        J.bits[i] = calloc(bin_matrix_words(k, nw), 8);
        sh[i] = s_xmalloc(4 * nw * 8);
    }
    for (int j = 0; j < k; j++) {
        memset(row, 0, nw * 8);
        for (size_t e = 0; e < N; e++) row[e / 64] |= (v[e] >> j & 1u) << (e % 64);
        gf2_share(sh, row, nw, B_N, B_T);
        for (int i = 0; i < B_N; i++) bin_row_set(J.bits[i], sh[i], k, j, nw);
    }
    sodium_memzero(v, N * 8);
    free(v), free(row);
    int rc = 0;
    for (int i = 0; i < s_nmodes && rc == 0; i++) {
        J.security = s_modes[i];
        rc = procs_run(F, B_N, B_T, s_server, &J);
    }
    for (int i = 0; i < B_N; i++) free(J.bits[i]), free(sh[i]);
    return rc;
}

static int s_vote(const field *F, size_t N)
{
    job J = { .kind = 2, .count = N, .m = 2, .k = 0 };
    fe *plain = s_xmalloc(sizeof(fe) * N * 2);
    uint64_t yes = 0, no = 0;
    for (size_t i = 0; i < N; i++) {
        uint32_t r = randombytes_uniform(3);
        vote_encode_threshold(plain + 2 * i, r == 2 ? -1 : (int)r);
        yes += r == 1;
        no += r == 0;
    }
    J.expect = yes > 0 && 2 * yes >= yes + no;
    s_share(F, &J, plain);
    sodium_memzero(plain, sizeof(fe) * N * 2);
    free(plain);
    int rc = 0;
    for (int i = 0; i < s_nmodes && rc == 0; i++) {
        J.security = s_modes[i];
        rc = procs_run(F, B_N, B_T, s_server, &J);
    }
    for (int i = 0; i < B_N; i++) free(J.shares[i]);
    return rc;
}

int main(int argc, char **argv)
{
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            s_nmodes = 1;
            s_modes[0] = strcmp(argv[++i], "malicious") == 0 ? MPC_MALICIOUS : MPC_SEMI_HONEST;
        } else {
            fprintf(stderr, "usage: bench_apps [--quick] [--mode semi-honest|malicious]\n");
            return 2;
        }
    }
    procs_tune(argv);
    if (secmem_init() != 0) return 1;
    field F;
    if (field_init_default(&F, 32, 40) != 0) return 1;
    size_t an[] = { 1000, 10000 }, vn[] = { 10000, 100000, 1000000 };
    for (size_t i = 0; i < (quick ? 1u : 2u); i++)
        if (s_auction(&F, an[i], 32) != 0 || s_auction_bin(&F, an[i], 32) != 0) return 1;
    for (size_t i = 0; i < (quick ? 2u : 3u); i++)
        if (s_vote(&F, vn[i]) != 0) return 1;
    return 0;
}
