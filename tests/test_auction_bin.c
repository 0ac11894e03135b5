/* test_auction_bin: the binary-domain auction (auction_bin.h) against the
 * clear rules over real parties: first and second price, reserve below, at
 * and above the best bid, ties, zero and maximal bids, one bidder, bidders
 * with a non-bit or inconsistent shares (excluded, nothing lost), n = 3 and
 * n = 5, both security modes, the hub and CurveZMQ. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/auction_bin.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "tests/harness.h"

static void s_init(void)
{
    cr_assert_eq(secmem_init(), 0);
}

static void s_fini(void)
{
    harness_security = -1;
    harness_live = 0;
}

TestSuite(auction_bin, .init = s_init, .fini = s_fini, .timeout = 120);

typedef struct ajob {
    const uint64_t *bids;
    const auction_spec *s;
    size_t count;
    uint8_t *excl;
    auction_outcome o;
} ajob;

static int s_body(mpc *M, void *arg)
{
    ajob *J = arg;
    return auction_bin_run(M, J->s, J->bids, J->count, J->excl, &J->o);
}

enum { BAD_NONE = 0, BAD_NONBIT = 1, BAD_DEGREE = 2, BAD_PRESET = 3 };

/* Run an auction on v (count bids); kind[i] marks a bidder that cheats. */
static void s_run(int n, int t, int transport, const auction_spec *s, const uint64_t *v,
                  const int *kind, size_t count)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    int k = s->k;
    size_t nw = gf2_words(count);
    uint64_t *sh[9];
    harness_share_bits(sh, v, count, k, n, t);
    uint8_t *excl[9];
    for (int i = 0; i < n; i++) excl[i] = calloc(count, 1);
    for (size_t b = 0; b < count; b++) {
        int row = (int)(b % (size_t)k);
        uint64_t bit = (uint64_t)1 << (b % 64);
        if (kind[b] == BAD_NONBIT)   /* + the constant x (plane 1) on every share: a 2 or 3 */
            for (int i = 0; i < n; i++) bin_plane(sh[i], k, row, 1, nw)[b / 64] ^= bit;
        if (kind[b] == BAD_DEGREE)   /* one server's share of one bit moved */
            bin_plane(sh[n - 1], k, row, 2, nw)[b / 64] ^= bit;
        if (kind[b] == BAD_PRESET)
            for (int i = 0; i < n; i++) excl[i][b] = 1;
    }
    ajob jobs[9];
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (ajob){ .bids = sh[i], .s = s, .count = count, .excl = excl[i] };
        args[i] = &jobs[i];
    }
    cr_assert_eq(harness_run(&F, n, t, transport, s_body, args, NULL), 0);
    /* the clear rules over the valid bids */
    size_t best = SIZE_MAX, second = SIZE_MAX;
    for (size_t b = 0; b < count; b++) {
        if (kind[b]) continue;
        if (best == SIZE_MAX || v[b] > v[best]) second = best, best = b;
        else if (second == SIZE_MAX || v[b] > v[second]) second = b;
    }
    int sold = best != SIZE_MAX && v[best] >= s->reserve;
    uint64_t price = 0;
    if (sold) price = s->second ? (second != SIZE_MAX && v[second] > s->reserve ? v[second] : s->reserve) : v[best];
    for (int i = 0; i < n; i++) {
        if (harness_live && !(harness_live >> i & 1u)) continue;
        for (size_t b = 0; b < count; b++)
            cr_assert_eq(excl[i][b], kind[b] == BAD_DEGREE ? AUCTION_BIN_INCONSISTENT : kind[b] != BAD_NONE,
                         "S%d bidder %zu (kind %d)", i + 1, b, kind[b]);
        cr_assert_eq(jobs[i].o.sold, sold, "S%d sold", i + 1);
        if (!sold) continue;
        cr_assert_eq(jobs[i].o.price, price, "S%d price %llu, expected %llu", i + 1,
                     (unsigned long long)jobs[i].o.price, (unsigned long long)price);
        if (s->second || s->reveal_winner) cr_assert_eq(jobs[i].o.winner, best, "S%d winner", i + 1);
    }
    for (int i = 0; i < n; i++) {
        free(sh[i]);
        free(excl[i]);
    }
}

/* cheats: 1 every kind of bad bidder, 2 all but inconsistent shares (which
 * abort under malicious servers) */
static void s_random(int n, int t, int transport, int k, size_t count, int second, uint64_t reserve,
                     int cheats, int ties)
{
    uint64_t *v = malloc(count * 8), top = k == 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
    int *kind = calloc(count, sizeof(int));
    for (size_t b = 0; b < count; b++) {
        v[b] = ties ? harness_rand_bits(2) * (top / 3) : (harness_rand_bits(32) << 32 | harness_rand_bits(32)) & top;
        if (cheats && b % 7 == 3) kind[b] = 1 + (int)(b / 7 % 3);
        if (cheats == 2 && kind[b] == BAD_DEGREE) kind[b] = BAD_NONBIT;
    }
    if (count > 5) v[count - 1] = top;   /* the maximal bid, last */
    auction_spec s = { .k = k, .second = second, .reveal_winner = 1, .reserve = reserve };
    s_run(n, t, transport, &s, v, kind, count);
    free(v);
    free(kind);
}

static void s_modes(void (*fn)(void))
{
    harness_security = MPC_SEMI_HONEST;
    fn();
    harness_security = MPC_MALICIOUS;
    fn();
}

static void s_first(void)
{
    s_random(3, 1, HARNESS_HUB, 32, 200, 0, 0, 0, 0);
    s_random(3, 1, HARNESS_HUB, 32, 130, 0, 0, 0, 1);   /* ties at the top */
    s_random(3, 1, HARNESS_HUB, 8, 1, 0, 0, 0, 0);      /* one bidder */
    s_random(3, 1, HARNESS_HUB, 1, 70, 0, 0, 0, 0);     /* one-bit bids */
    s_random(3, 1, HARNESS_HUB, 63, 65, 0, 0, 0, 0);    /* the widest bids */
    s_random(5, 2, HARNESS_HUB, 16, 100, 0, 0, 0, 1);
}

Test(auction_bin, first_price_matches_clear) { s_modes(s_first); }

static void s_second(void)
{
    s_random(3, 1, HARNESS_HUB, 32, 200, 1, 0, 0, 0);
    s_random(3, 1, HARNESS_HUB, 16, 100, 1, 0, 0, 1);   /* the second equals the first */
    s_random(3, 1, HARNESS_HUB, 8, 1, 1, 0, 0, 0);      /* one bidder: the reserve (0) */
    s_random(5, 2, HARNESS_HUB, 20, 64, 1, 1000, 0, 0);
}

Test(auction_bin, second_price_matches_clear) { s_modes(s_second); }

static int s_cheat_kinds = 1;

static void s_cheats(void)
{
    s_random(3, 1, HARNESS_HUB, 16, 150, 0, 0, s_cheat_kinds, 0);
    s_random(3, 1, HARNESS_HUB, 16, 150, 1, 0, s_cheat_kinds, 1);
    s_random(5, 2, HARNESS_HUB, 12, 64, 0, 0, s_cheat_kinds, 0);
}

Test(auction_bin, invalid_bidders_are_excluded_and_nothing_else_lost)
{
    harness_security = MPC_SEMI_HONEST;
    s_cheats();
    harness_security = MPC_MALICIOUS;
    s_cheat_kinds = 2;
    s_cheats();
}

/* Malicious servers: inconsistent shares abort with nothing opened. */
Test(auction_bin, inconsistent_shares_abort_under_malicious_servers)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    harness_security = MPC_MALICIOUS;
    uint64_t v[4] = { 5, 9, 2, 7 }, *sh[3];
    harness_share_bits(sh, v, 4, 8, 3, 1);
    bin_plane(sh[2], 8, 3, 0, 1)[0] ^= 2;   /* bidder 1's bit 3 at S3 */
    uint8_t ex[3][4] = { { 0 } };
    ajob jobs[3];
    void *args[3];
    int rcs[3];
    auction_spec s = { .k = 8, .reveal_winner = 1 };
    for (int i = 0; i < 3; i++) {
        jobs[i] = (ajob){ .bids = sh[i], .s = &s, .count = 4, .excl = ex[i] };
        args[i] = &jobs[i];
    }
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_body, args, rcs), ERR_CHEAT);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(rcs[i], ERR_CHEAT, "S%d", i + 1);
        cr_assert_eq(jobs[i].o.sold, 0);
        free(sh[i]);
    }
}

Test(auction_bin, reserve_below_at_and_above)
{
    uint64_t v[6] = { 10, 500, 77, 500, 0, 499 };
    int kind[6] = { 0 };
    uint64_t reserves[] = { 0, 1, 499, 500, 501, 65535, 65536, 1u << 20 };
    harness_security = MPC_MALICIOUS;
    for (int r = 0; r < 8; r++)
        for (int second = 0; second < 2; second++) {
            auction_spec s = { .k = 16, .second = second, .reveal_winner = 1, .reserve = reserves[r] };
            s_run(3, 1, HARNESS_HUB, &s, v, kind, 6);
        }
    /* every bid invalid or zero */
    harness_security = MPC_SEMI_HONEST;
    int all_bad[6] = { 1, 2, 3, 1, 2, 3 };
    auction_spec s = { .k = 16 };
    s_run(3, 1, HARNESS_HUB, &s, v, all_bad, 6);
    uint64_t zeros[3] = { 0, 0, 0 };
    s_run(3, 1, HARNESS_HUB, &s, zeros, kind, 3);
}

Test(auction_bin, over_curvezmq_and_with_a_server_down)
{
    harness_security = MPC_MALICIOUS;
    s_random(3, 1, HARNESS_ZMQ, 32, 100, 0, 0, 2, 0);
    harness_live = 0xb;   /* n = 4, server 3 down */
    uint64_t v[5] = { 3, 9, 9, 1, 4 };
    int kind[5] = { 0, 0, 0, 1, 0 };
    auction_spec s = { .k = 8, .reveal_winner = 1 };
    s_run(4, 1, HARNESS_HUB, &s, v, kind, 5);
}

Test(auction_bin, bad_arguments_are_refused)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint64_t *sh[3], v[1] = { 1 };
    harness_share_bits(sh, v, 1, 8, 3, 1);
    uint8_t ex[3][1] = { { 0 } };
    ajob jobs[3];
    void *args[3];
    auction_spec s = { .k = 64 };
    for (int i = 0; i < 3; i++) {
        jobs[i] = (ajob){ .bids = sh[i], .s = &s, .count = 1, .excl = ex[i] };
        args[i] = &jobs[i];
    }
    int rcs[3];
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_body, args, rcs), ERR_ARG);
    for (int i = 0; i < 3; i++) free(sh[i]);
}

/* ---- privacy: what a server sees of the checks ------------------------------ */

#include <pthread.h>
#include "common/adv.h"
#include "protocols/gf64.h"
#include "protocols/gf64share.h"
#include "tests/stats.h"

#define PN 2000
#define PMAX 8

typedef struct seen {
    pthread_mutex_t mu;
    uint64_t *frames[2][PMAX];   /* the long binary-domain frames S1 and S2 send S3 */
    size_t len[PMAX];
    int nframes[2];
} seen;

static void s_watch(void *arg, int from, int to, uint8_t type, uint64_t step, uint8_t *p, size_t len)
{
    (void)step;
    seen *S = arg;
    if (from > 2 || to != 3 || type != MPC_MSG_BINV || len < 8 * 500) return;
    pthread_mutex_lock(&S->mu);
    int *nf = &S->nframes[from - 1];
    if (*nf < PMAX) {
        S->frames[from - 1][*nf] = malloc(len);
        memcpy(S->frames[from - 1][*nf], p, len);
        S->len[(*nf)++] = len / 8;
    }
    pthread_mutex_unlock(&S->mu);
}

static void s_watch_run(uint64_t bid, seen *S)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint64_t *v = malloc(PN * 8), *sh[3];
    for (size_t i = 0; i < PN; i++) v[i] = bid;
    harness_share_bits(sh, v, PN, 16, 3, 1);
    auction_spec s = { .k = 16, .reveal_winner = 1 };
    ajob jobs[3];
    void *args[3];
    uint8_t *ex[3];
    for (int i = 0; i < 3; i++) {
        ex[i] = calloc(PN, 1);
        jobs[i] = (ajob){ .bids = sh[i], .s = &s, .count = PN, .excl = ex[i] };
        args[i] = &jobs[i];
    }
    memset(S, 0, sizeof *S);
    pthread_mutex_init(&S->mu, NULL);
    mpc_adv_set(s_watch, S);
    int rc = harness_run(&F, 3, 1, HARNESS_HUB, s_body, args, NULL);
    mpc_adv_set(NULL, NULL);
    cr_assert_eq(rc, 0);
    for (int i = 0; i < 3; i++) free(sh[i]), free(ex[i]);
    free(v);
}

/* What S3 reconstructs from S1's and S2's shares of opening f. */
static fe *s_opened(const seen *S, int f)
{
    int pts[2] = { 1, 2 };
    uint64_t lam[2];
    gf64s_lagrange(lam, pts, 2, 0);
    size_t m = S->len[f];
    fe *v = malloc(m * sizeof(fe));
    for (size_t i = 0; i < m; i++) {
        uint64_t s1, s2;
        memcpy(&s1, (const uint8_t *)S->frames[0][f] + 8 * i, 8);
        memcpy(&s2, (const uint8_t *)S->frames[1][f] + 8 * i, 8);
        v[i] = gf64_mul(lam[0], s1) ^ gf64_mul(lam[1], s2);
    }
    return v;
}

/* The degree check's opening (one GF(2^64) value per bidder, as a cheating
 * S3 reconstructs it) has the same distribution whether every bid is 0 or
 * every bid is 2^16 - 1, at every bit position tested; the bit check opens 0
 * for every valid bidder. */
Test(auction_bin, the_input_checks_open_nothing_about_the_bids)
{
    harness_security = MPC_MALICIOUS;
    gf64_init();
    seen a, b;
    s_watch_run(0, &a);
    s_watch_run(0xffff, &b);
    cr_assert_eq(a.nframes[0], 2, "the degree and bit checks' openings");
    cr_assert_eq(b.nframes[0], 2);
    cr_assert_eq(a.nframes[1], 2);
    fe *ya = s_opened(&a, 0), *yb = s_opened(&b, 0), *wa = s_opened(&a, 1), *wb = s_opened(&b, 1);
    for (int K = 2; K <= 62; K += 12) {
        double stat;
        cr_assert_eq(stats_leaks(ya, yb, PN, K, &stat), 0, "bits %d..%d: chi2 = %f", K - 2, K + 1, stat);
    }
    for (size_t i = 0; i < PN; i++) cr_assert(wa[i] == 0 && wb[i] == 0, "bidder %zu", i);
    free(ya), free(yb), free(wa), free(wb);
    for (int f = 0; f < 2; f++)
        for (int q = 0; q < 2; q++) free(a.frames[q][f]), free(b.frames[q][f]);
}
