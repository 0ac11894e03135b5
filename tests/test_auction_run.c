/* test_auction_run: auction_run on the in-process hub (n = 3 and n = 5) against
 * the clear auction: first and second price, the revealed winner, ties to the
 * earliest row, the reserve at the highest bid -1 / = / +1, one bid, no bid,
 * zero-valued bids, hostile out-of-range bids excluded, the largest k-bit bid. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/auction_mpc.h"
#include "protocols/range.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(auction_run, .init = s_setup, .timeout = 60);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 } };

/* One bid: a well-formed range encoding of v, or (raw) a hostile client's
 * encoding of any integer. */
typedef struct bid {
    int64_t v;
    int raw;
} bid;

typedef struct job {
    const auction_spec *s;
    const fe *rows;
    size_t count;
    uint32_t m;
    uint8_t *excluded;
    auction_outcome out;
} job;

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    return auction_run(M, J->s, J->rows, J->count, J->m, J->excluded, &J->out);
}

/* The clear auction: excluded[i] for an out-of-range (or pre-excluded) bid, and
 * the outcome auction_run must open. */
static void s_clear(const auction_spec *s, const bid *b, size_t count, const uint8_t *pre,
                    uint8_t *excluded, auction_outcome *o)
{
    uint64_t lim = s->k >= 64 ? UINT64_MAX : (UINT64_C(1) << s->k) - 1;
    size_t N = 0, win = 0;
    uint64_t first = 0, second = 0;
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < count; i++) {
        excluded[i] = (pre && pre[i]) || b[i].v < 0 || (uint64_t)b[i].v > lim;
        if (excluded[i]) continue;
        uint64_t v = (uint64_t)b[i].v;
        if (N == 0 || v > first) {
            second = N ? first : 0;
            first = v;
            win = i;
        } else if (v > second) {
            second = v;
        }
        N++;
    }
    if (N == 0 || first < s->reserve) return;
    o->sold = 1;
    o->price = s->second ? (second > s->reserve ? second : s->reserve) : first;
    if (s->second || s->reveal_winner) o->winner = win;
}

/* Share the bids among n servers, run the auction and check every server
 * reports the same verdicts and outcome; returns them. pre may be NULL. */
static void s_run(const field *F, int n, int t, const auction_spec *s, const bid *b, size_t count,
                  const uint8_t *pre, uint8_t *excluded, auction_outcome *o)
{
    uint32_t m = range_input_len(s->k);
    size_t len = count * m;
    fe *plain = calloc(len + 1, sizeof(fe)), *sh[9];
    for (size_t i = 0; i < count; i++) {
        if (b[i].raw) range_encode_raw(F, plain + i * m, b[i].v, s->k);
        else range_encode(F, plain + i * m, (uint64_t)b[i].v, s->k);
    }
    harness_share(F, n, t, t, plain, len, sh);
    job jobs[9];
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (job){ .s = s, .rows = sh[i], .count = count, .m = m,
                         .excluded = calloc(count + 1, 1) };
        if (pre) memcpy(jobs[i].excluded, pre, count);
        args[i] = &jobs[i];
    }
    cr_assert_eq(harness_run(F, n, t, HARNESS_HUB, s_body, args, NULL), 0);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(memcmp(jobs[i].excluded, jobs[0].excluded, count), 0, "servers disagree");
        cr_assert_eq(memcmp(&jobs[i].out, &jobs[0].out, sizeof jobs[0].out), 0,
                     "servers disagree on the outcome");
    }
    memcpy(excluded, jobs[0].excluded, count);
    *o = jobs[0].out;
    for (int i = 0; i < n; i++) {
        free(sh[i]);
        free(jobs[i].excluded);
    }
    free(plain);
}

/* s_run, then compare with the clear auction. */
static void s_check(int n, int t, const auction_spec *s, const bid *b, size_t count,
                    const uint8_t *pre, const char *what)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint8_t *got = calloc(count + 1, 1), *want = calloc(count + 1, 1);
    auction_outcome o, w;
    s_run(&F, n, t, s, b, count, pre, got, &o);
    s_clear(s, b, count, pre, want, &w);
    for (size_t i = 0; i < count; i++)
        cr_assert_eq(got[i], want[i], "%s: bid %zu (%lld) excluded %d", what, i,
                     (long long)b[i].v, got[i]);
    cr_assert_eq(o.sold, w.sold, "%s: sold %d, expected %d", what, o.sold, w.sold);
    cr_assert_eq(o.price, w.price, "%s: price %llu, expected %llu", what,
                 (unsigned long long)o.price, (unsigned long long)w.price);
    cr_assert_eq(o.winner, w.winner, "%s: winner %zu, expected %zu", what, o.winner, w.winner);
    free(got);
    free(want);
}

static void s_random_bids(bid *b, size_t count, int k)
{
    for (size_t i = 0; i < count; i++) b[i] = (bid){ (int64_t)harness_rand_bits(k), 0 };
}

#define NT_PARAMS(name)                                                                  \
    ParameterizedTestParameters(auction_run, name)                                       \
    {                                                                                    \
        return cr_make_param_array(struct nt, s_params, sizeof s_params / sizeof s_params[0]); \
    }

NT_PARAMS(first_price_opens_only_the_highest_bid)
ParameterizedTest(struct nt *P, auction_run, first_price_opens_only_the_highest_bid)
{
    enum { N = 13 };
    auction_spec s = { .k = 10 };
    bid b[N];
    for (int rep = 0; rep < 3; rep++) {
        s_random_bids(b, N, s.k);
        s_check(P->n, P->t, &s, b, N, NULL, "first price");
    }
}

NT_PARAMS(first_price_reveals_the_winner_on_request)
ParameterizedTest(struct nt *P, auction_run, first_price_reveals_the_winner_on_request)
{
    enum { N = 9 };
    auction_spec s = { .k = 10, .reveal_winner = 1 };
    bid b[N];
    s_random_bids(b, N, s.k);
    b[6].v = 1023;    /* a known winner besides the random cases */
    s_check(P->n, P->t, &s, b, N, NULL, "reveal winner");
    s_random_bids(b, N, s.k);
    s_check(P->n, P->t, &s, b, N, NULL, "reveal winner, random");
}

NT_PARAMS(second_price_opens_the_second_bid_and_the_winner)
ParameterizedTest(struct nt *P, auction_run, second_price_opens_the_second_bid_and_the_winner)
{
    enum { N = 11 };
    auction_spec s = { .k = 10, .second = 1 };
    bid b[N];
    for (int rep = 0; rep < 3; rep++) {
        s_random_bids(b, N, s.k);
        s_check(P->n, P->t, &s, b, N, NULL, "second price");
    }
}

NT_PARAMS(ties_go_to_the_earliest_row)
ParameterizedTest(struct nt *P, auction_run, ties_go_to_the_earliest_row)
{
    const bid b[] = { { 5, 0 }, { 9, 0 }, { 3, 0 }, { 9, 0 }, { 9, 0 }, { 1, 0 } };
    size_t N = sizeof b / sizeof b[0];
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint8_t ex[6];
    auction_outcome o;
    auction_spec first = { .k = 8, .reveal_winner = 1 }, second = { .k = 8, .second = 1 };
    s_run(&F, P->n, P->t, &first, b, N, NULL, ex, &o);
    cr_assert(o.sold && o.winner == 1 && o.price == 9, "first price: row %zu at %llu", o.winner,
              (unsigned long long)o.price);
    s_run(&F, P->n, P->t, &second, b, N, NULL, ex, &o);
    cr_assert(o.sold && o.winner == 1 && o.price == 9, "second price: row %zu at %llu", o.winner,
              (unsigned long long)o.price);
    /* with the earliest top row excluded beforehand, the next top row wins */
    uint8_t pre[6] = { 0, 1, 0, 0, 0, 0 };
    s_check(P->n, P->t, &second, b, N, pre, "pre-excluded earliest tie");
    s_run(&F, P->n, P->t, &second, b, N, pre, ex, &o);
    cr_assert_eq(o.winner, 3);
}

NT_PARAMS(reserve_at_the_highest_bid_minus_one_equal_and_plus_one)
ParameterizedTest(struct nt *P, auction_run, reserve_at_the_highest_bid_minus_one_equal_and_plus_one)
{
    const bid b[] = { { 40, 0 }, { 77, 0 }, { 12, 0 }, { 60, 0 } };
    for (int rule = 0; rule < 2; rule++)
        for (uint64_t r = 76; r <= 78; r++) {
            auction_spec s = { .k = 8, .second = rule, .reveal_winner = 1, .reserve = r };
            char what[64];
            snprintf(what, sizeof what, "%s price, reserve %llu", rule ? "second" : "first",
                     (unsigned long long)r);
            s_check(P->n, P->t, &s, b, 4, NULL, what);
        }
    /* second price raised to a reserve between the top two */
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    auction_spec s = { .k = 8, .second = 1, .reserve = 70 };
    uint8_t ex[4];
    auction_outcome o;
    s_run(&F, P->n, P->t, &s, b, 4, NULL, ex, &o);
    cr_assert(o.sold && o.price == 70 && o.winner == 1);
    s.reserve = 78;
    s_run(&F, P->n, P->t, &s, b, 4, NULL, ex, &o);
    cr_assert(!o.sold && o.price == 0 && o.winner == 0, "below the reserve nothing is opened");
}

NT_PARAMS(one_bid_no_bid_and_zero_bids)
ParameterizedTest(struct nt *P, auction_run, one_bid_no_bid_and_zero_bids)
{
    const bid one[] = { { 42, 0 } }, zeros[] = { { 0, 0 }, { 0, 0 }, { 0, 0 } };
    for (int rule = 0; rule < 2; rule++) {
        auction_spec s = { .k = 8, .second = rule, .reveal_winner = 1 };
        s_check(P->n, P->t, &s, one, 1, NULL, "one bid");
        s_check(P->n, P->t, &s, zeros, 3, NULL, "zero bids");   /* 0 is a valid bid */
        s_check(P->n, P->t, &s, one, 0, NULL, "no bid");
        s.reserve = 10;
        s_check(P->n, P->t, &s, one, 1, NULL, "one bid, reserve");
        s_check(P->n, P->t, &s, zeros, 3, NULL, "zero bids, reserve");
    }
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    auction_spec s = { .k = 8, .second = 1 };
    uint8_t ex[1];
    auction_outcome o;
    s_run(&F, P->n, P->t, &s, one, 1, NULL, ex, &o);
    cr_assert(o.sold && o.price == 0 && o.winner == 0, "a lone second-price bid pays 0");
    s_run(&F, P->n, P->t, &s, one, 0, NULL, ex, &o);
    cr_assert(!o.sold);
}

NT_PARAMS(out_of_range_raw_bids_are_excluded)
ParameterizedTest(struct nt *P, auction_run, out_of_range_raw_bids_are_excluded)
{
    /* hostile encodings far above every valid bid must not win */
    const bid b[] = { { 100, 0 }, { -1, 1 }, { 256, 1 }, { 200, 1 }, { 1000000, 1 },
                      { INT64_MIN / 2, 1 }, { 150, 0 }, { 255, 1 }, { 300, 1 } };
    size_t N = sizeof b / sizeof b[0];
    for (int rule = 0; rule < 2; rule++) {
        auction_spec s = { .k = 8, .second = rule, .reveal_winner = 1 };
        s_check(P->n, P->t, &s, b, N, NULL, rule ? "hostile, second" : "hostile, first");
    }
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    auction_spec s = { .k = 8, .reveal_winner = 1 };
    uint8_t ex[9];
    auction_outcome o;
    s_run(&F, P->n, P->t, &s, b, N, NULL, ex, &o);
    static const uint8_t want[9] = { 0, 1, 1, 0, 1, 1, 0, 0, 1 };   /* raw 200, 255 are in range */
    cr_assert_eq(memcmp(ex, want, N), 0);
    cr_assert(o.sold && o.winner == 7 && o.price == 255);
}

NT_PARAMS(all_bids_excluded_is_no_sale)
ParameterizedTest(struct nt *P, auction_run, all_bids_excluded_is_no_sale)
{
    const bid b[] = { { -5, 1 }, { 1 << 12, 1 }, { -1, 1 } };
    for (int rule = 0; rule < 2; rule++) {
        auction_spec s = { .k = 12, .second = rule };
        s_check(P->n, P->t, &s, b, 3, NULL, "all excluded");
    }
    uint8_t pre[2] = { 1, 1 };
    const bid ok[] = { { 5, 0 }, { 6, 0 } };
    auction_spec s = { .k = 12 };
    s_check(P->n, P->t, &s, ok, 2, pre, "all pre-excluded");
}

NT_PARAMS(the_largest_k_bit_bid_wins)
ParameterizedTest(struct nt *P, auction_run, the_largest_k_bit_bid_wins)
{
    const int64_t top = (INT64_C(1) << 32) - 1;
    const bid b[] = { { top - 1, 0 }, { top, 0 }, { 0, 0 }, { top, 1 }, { top + 1, 1 } };
    for (int rule = 0; rule < 2; rule++) {
        auction_spec s = { .k = 32, .second = rule, .reveal_winner = 1 };
        s_check(P->n, P->t, &s, b, 5, NULL, "2^k - 1");
        s.reserve = (uint64_t)top;
        s_check(P->n, P->t, &s, b, 5, NULL, "2^k - 1 at the reserve");
    }
}

static int s_bad_m_body(mpc *M, void *arg)
{
    (void)arg;
    auction_spec s = { .k = 8 };
    fe rows[9] = { 0 };
    uint8_t ex[1] = { 0 };
    auction_outcome o;
    if (auction_run(M, &s, rows, 1, 8, ex, &o) != ERR_ARG) return ERR_PROTO;
    s.k = 65;
    if (auction_run(M, &s, rows, 0, range_input_len(65), ex, &o) != ERR_ARG) return ERR_PROTO;
    return strstr(mpc_errmsg(M), "auction_run") ? 0 : ERR_PROTO;
}

Test(auction_run, rejects_a_wrong_row_length)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_HUB, s_bad_m_body, NULL, NULL), 0);
}
