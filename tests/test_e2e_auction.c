/* test_e2e_auction: the auction binary end to end (run-local, and the real path
 * of keygen, a hand-written definition, background servers, bid and result),
 * against the clear computation of max, earliest winner and second price. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tests/e2e.h"

TestSuite(e2e_auction, .init = e2e_setup, .fini = e2e_cleanup, .timeout = 120);

#define S_MAX_BIDS 16

/* The clear auction on the valid bids: max with the earliest index, the second
 * value of the multiset (0 with one bid), sold iff max >= reserve, and the
 * price of the rule. */
typedef struct clear {
    int sold;
    size_t winner;
    uint64_t max, second, price;
    size_t accepted, excluded;
} clear;

static clear s_clear(const uint64_t *v, const int *valid, size_t n, int second_rule,
                     uint64_t reserve)
{
    clear c = { 0 };
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!valid[i]) {
            c.excluded++;
            continue;
        }
        c.accepted++;
        if (!any || v[i] > c.max) {
            if (any) c.second = c.max;
            c.max = v[i];
            c.winner = i;
        } else if (v[i] > c.second) {
            c.second = v[i];
        }
        any = 1;
    }
    c.sold = any && c.max >= reserve;
    c.price = second_rule ? (c.second > reserve ? c.second : reserve) : c.max;
    return c;
}

/* The result JSON says exactly what the rule reveals, equal to the clear one. */
static void s_check(const json_t *j, const clear *c, int second_rule, int reveal,
                    const char *const *names)
{
    cr_assert_eq(e2e_jint(j, "accepted"), (int64_t)c->accepted);
    cr_assert_eq(e2e_jint(j, "excluded"), (int64_t)c->excluded);
    cr_assert_eq(e2e_jbool(j, "sold"), c->sold, "sold: expected %d", c->sold);
    if (!c->sold) {
        cr_assert(!e2e_jhas(j, "winning_bid") && !e2e_jhas(j, "winner") && !e2e_jhas(j, "price"),
                  "no sale reveals nothing else");
        return;
    }
    if (second_rule) {
        cr_assert_eq(e2e_jint(j, "price"), (int64_t)c->price, "price: expected %" PRIu64, c->price);
        cr_assert_str_eq(e2e_jstr(j, "winner"), names[c->winner]);
        cr_assert(!e2e_jhas(j, "winning_bid"), "second price does not reveal the top bid");
    } else {
        cr_assert_eq(e2e_jint(j, "winning_bid"), (int64_t)c->max, "winning_bid: expected %" PRIu64,
                     c->max);
        cr_assert(!e2e_jhas(j, "price"));
        if (reveal) cr_assert_str_eq(e2e_jstr(j, "winner"), names[c->winner]);
        else cr_assert(!e2e_jhas(j, "winner"), "the winner is not revealed by default");
    }
}

/* run-local that must succeed: the parsed JSON (caller frees). */
#define S_RUN(r, text, ...) s_ok(&(r), e2e_run_local(&(r), "auction", (text), __VA_ARGS__))

static json_t *s_ok(e2e_out *r, json_t *j)
{
    cr_assert_not_null(j, "run-local failed (status %d%s):\nstdout: %s\nstderr: %s", r->status,
                       r->timed_out ? ", timed out" : "", r->out, r->err);
    return j;
}

/* ---------- random bid sets ---------- */

enum { RES_NONE, RES_BELOW_SECOND, RES_BETWEEN, RES_ABOVE_MAX };

typedef struct rparam {
    uint64_t seed;
    int bits, nbid, servers, reserve_mode;
} rparam;

ParameterizedTestParameters(e2e_auction, random_sets_match_clear_max_and_second_price)
{
    static rparam p[] = {
        { 1, 32, 6, 3, RES_NONE },          /* wide bids */
        { 2, 3, 7, 3, RES_BETWEEN },        /* 3-bit bids: ties, earliest wins */
        { 3, 16, 5, 5, RES_BELOW_SECOND },  /* five servers, t = 2 */
        { 4, 8, 4, 3, RES_ABOVE_MAX },      /* reserve not met: no sale */
    };
    return cr_make_param_array(rparam, p, sizeof p / sizeof p[0]);
}

ParameterizedTest(rparam *P, e2e_auction, random_sets_match_clear_max_and_second_price)
{
    uint64_t st = P->seed, v[S_MAX_BIDS];
    int valid[S_MAX_BIDS];
    char names[S_MAX_BIDS][16], text[1024] = "";
    const char *np[S_MAX_BIDS];
    uint64_t top = P->bits == 64 ? UINT64_MAX : (1ull << P->bits) - 1;
    for (int i = 0; i < P->nbid; i++) {
        v[i] = P->bits == 64 ? e2e_rand(&st) : e2e_rand_below(&st, top + 1);
        if (P->reserve_mode == RES_ABOVE_MAX && v[i] == top) v[i]--;
        valid[i] = 1;
        snprintf(names[i], sizeof names[i], "b%d", i);
        np[i] = names[i];
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "%s %" PRIu64 "\n", names[i], v[i]);
    }
    clear c0 = s_clear(v, valid, (size_t)P->nbid, 1, 0);
    uint64_t reserve = 0;
    if (P->reserve_mode == RES_BELOW_SECOND) reserve = c0.second / 2;
    else if (P->reserve_mode == RES_BETWEEN)
        reserve = c0.max > c0.second ? c0.second + 1 + e2e_rand_below(&st, c0.max - c0.second)
                                     : c0.max;
    else if (P->reserve_mode == RES_ABOVE_MAX) reserve = c0.max + 1;
    if (P->reserve_mode == RES_BETWEEN) cr_assert_gt(reserve, 0);
    char bits[8], servers[8], res[24];
    snprintf(bits, sizeof bits, "%d", P->bits);
    snprintf(servers, sizeof servers, "%d", P->servers);
    snprintf(res, sizeof res, "%" PRIu64, reserve);

    e2e_out r;
    clear c = s_clear(v, valid, (size_t)P->nbid, 0, reserve);
    json_t *j = S_RUN(r, text, NULL, "--reveal-winner", "--bits", bits, "--servers", servers,
                      "--reserve", res, NULL);
    s_check(j, &c, 0, 1, np);
    json_decref(j);
    e2e_out_free(&r);

    c = s_clear(v, valid, (size_t)P->nbid, 1, reserve);
    j = S_RUN(r, text, NULL, "--rule", "second", "--bits", bits, "--servers", servers,
              "--reserve", res, NULL);
    s_check(j, &c, 1, 1, np);
    json_decref(j);
    e2e_out_free(&r);
}

/* ---------- edge sets ---------- */

Test(e2e_auction, one_bidder_wins_first_price_and_pays_the_reserve_in_second)
{
    static const char *const names[] = { "solo" };
    uint64_t v[] = { 17 };
    int valid[] = { 1 };
    e2e_out r;
    json_t *j = S_RUN(r, "solo 17\n", NULL, "--reveal-winner", NULL);
    clear c = s_clear(v, valid, 1, 0, 0);
    s_check(j, &c, 0, 1, names);
    json_decref(j);
    e2e_out_free(&r);
    j = S_RUN(r, "solo 17\n", NULL, "--rule", "second", "--reserve", "5", NULL);
    c = s_clear(v, valid, 1, 1, 5);
    cr_assert_eq(c.price, 5);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_auction, equal_top_bids_go_to_the_earliest_roll_index)
{
    static const char *const names[] = { "a", "b", "c", "d" };
    uint64_t v[] = { 5, 9, 9, 3 };
    int valid[] = { 1, 1, 1, 1 };
    const char *text = "a 5\nb 9\nc 9\nd 3\n";
    e2e_out r;
    json_t *j = S_RUN(r, text, NULL, "--reveal-winner", NULL);
    clear c = s_clear(v, valid, 4, 0, 0);
    cr_assert_eq(c.winner, 1);
    s_check(j, &c, 0, 1, names);
    json_decref(j);
    e2e_out_free(&r);
    j = S_RUN(r, text, NULL, "--rule", "second", NULL);
    c = s_clear(v, valid, 4, 1, 0);
    cr_assert_eq(c.price, 9);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_auction, all_equal_bids_the_first_wins_at_that_price)
{
    static const char *const names[] = { "x", "y", "z" };
    uint64_t v[] = { 7, 7, 7 };
    int valid[] = { 1, 1, 1 };
    e2e_out r;
    json_t *j = S_RUN(r, "x 7\ny 7\nz 7\n", NULL, "--rule", "second", NULL);
    clear c = s_clear(v, valid, 3, 1, 0);
    cr_assert_eq(c.winner, 0);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_auction, zero_bids_sell_at_zero)
{
    static const char *const names[] = { "p", "q" };
    uint64_t v[] = { 0, 0 };
    int valid[] = { 1, 1 };
    e2e_out r;
    json_t *j = S_RUN(r, "p 0\nq 0\n", NULL, "--reveal-winner", NULL);
    clear c = s_clear(v, valid, 2, 0, 0);
    s_check(j, &c, 0, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_auction, largest_8_bit_bid_wins_and_out_of_range_raw_bids_are_excluded)
{
    static const char *const names[] = { "a", "b", "c", "d", "e" };
    /* raw:256 and raw:-1 are hostile, unchecked encodings; raw:254 is a valid one */
    uint64_t v[] = { 255, 256, 0, 254, 254 };
    int valid[] = { 1, 0, 0, 1, 1 };
    e2e_out r;
    json_t *j = S_RUN(r, "a 255\nb raw:256\nc raw:-1\nd 254\ne raw:254\n", NULL, "--bits", "8",
                      "--rule", "second", NULL);
    clear c = s_clear(v, valid, 5, 1, 0);
    cr_assert_eq(c.excluded, 2);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_auction, largest_32_bit_bid_wins_by_default)
{
    static const char *const names[] = { "lo", "hi", "over" };
    uint64_t v[] = { 4294967294u, 4294967295u, 4294967296u };
    int valid[] = { 1, 1, 0 };
    e2e_out r;
    json_t *j = S_RUN(r, "lo 4294967294\nhi 4294967295\nover raw:4294967296\n", NULL, "--rule",
                      "second", NULL);
    clear c = s_clear(v, valid, 3, 1, 0);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_auction, only_invalid_bids_is_no_sale)
{
    static const char *const names[] = { "m", "n" };
    uint64_t v[] = { 0, 0 };
    int valid[] = { 0, 0 };
    e2e_out r;
    json_t *j = S_RUN(r, "m raw:-1\nn raw:300\n", NULL, "--bits", "8", "--reveal-winner", NULL);
    clear c = s_clear(v, valid, 2, 0, 0);
    s_check(j, &c, 0, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

/* ---------- reserve ---------- */

Test(e2e_auction, reserve_not_met_is_no_sale_and_reveals_nothing_else)
{
    static const char *const names[] = { "a", "b" };
    uint64_t v[] = { 10, 20 };
    int valid[] = { 1, 1 };
    e2e_out r;
    json_t *j = S_RUN(r, "a 10\nb 20\n", NULL, "--reserve", "21", "--reveal-winner", NULL);
    clear c = s_clear(v, valid, 2, 0, 21);
    cr_assert_eq(c.sold, 0);
    s_check(j, &c, 0, 1, names);
    json_decref(j);
    e2e_out_free(&r);
    j = S_RUN(r, "a 10\nb 20\n", NULL, "--reserve", "21", "--rule", "second", NULL);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_auction, reserve_met_sets_the_second_price_floor)
{
    static const char *const names[] = { "a", "b", "c" };
    uint64_t v[] = { 10, 20, 15 };
    int valid[] = { 1, 1, 1 };
    const char *text = "a 10\nb 20\nc 15\n";
    e2e_out r;
    /* reserve equal to the top bid: sold, at the reserve */
    json_t *j = S_RUN(r, text, NULL, "--reserve", "20", "--rule", "second", NULL);
    clear c = s_clear(v, valid, 3, 1, 20);
    cr_assert_eq(c.price, 20);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
    /* reserve below the second bid: the second bid is the price */
    j = S_RUN(r, text, NULL, "--reserve", "12", "--rule", "second", NULL);
    c = s_clear(v, valid, 3, 1, 12);
    cr_assert_eq(c.price, 15);
    s_check(j, &c, 1, 1, names);
    json_decref(j);
    e2e_out_free(&r);
    /* first price at the reserve */
    j = S_RUN(r, text, NULL, "--reserve", "20", NULL);
    c = s_clear(v, valid, 3, 0, 20);
    s_check(j, &c, 0, 0, names);
    json_decref(j);
    e2e_out_free(&r);
}

/* ---------- malformed input ---------- */

typedef struct bad_case {
    const char *text;
    const char *flag, *value;   /* one extra run-local option, or NULL */
    const char *says;           /* expected in stderr */
    int status;                 /* expected exit status */
} bad_case;

/* Refused with a clear error before any server is started. */
static void s_refused_before_start(const bad_case *b)
{
    char dir[E2E_PATH];
    e2e_tmpdir(dir, sizeof dir, "bad");
    e2e_out r;
    json_t *j = b->flag ? e2e_run_local(&r, "auction", b->text, dir, b->flag, b->value, NULL)
                        : e2e_run_local(&r, "auction", b->text, dir, NULL);
    e2e_expect_refused(&r, j, dir, b->text, b->status, b->says);
    e2e_out_free(&r);
}

Test(e2e_auction, malformed_input_is_refused_before_anything_starts)
{
    static const bad_case cases[] = {
        { "alice 5\nbob 12x\n", NULL, NULL, "inputs.txt:2", 1 },
        { "alice 5\nbob -5\n", NULL, NULL, "inputs.txt:2", 1 },
        { "alice 5\nbob +5\n", NULL, NULL, "inputs.txt:2", 1 },
        { "alice 0x10\n", NULL, NULL, "inputs.txt:1", 1 },
        { "alice 5\na b c\n", NULL, NULL, "inputs.txt:2", 1 },
        { "bad/name 5\n", NULL, NULL, "inputs.txt:1", 1 },
        { "alice 4294967296\n", NULL, NULL, "inputs.txt:1", 1 },
        { "alice 256\n", "--bits", "8", "inputs.txt:1", 1 },
        { "# only a comment\n\n", NULL, NULL, "no input", 1 },
        { "alice 5\n", "--rule", "third", "--rule", 2 },
        { "alice 5\n", "--reserve", "-1", "--reserve", 2 },
        { "alice 5\n", "--servers", "0", "--servers", 2 },
        { "alice 5\n", "--bits", "65", "--bits", 2 },
        { "alice 5\n", "--colour", "red", "--colour", 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) s_refused_before_start(&cases[i]);
}

/* A raw line is unchecked by design, but one that cannot even be encoded is
 * malformed: it must be refused up front like any other line, not leave the
 * servers waiting for a roll member who never submits. */
Test(e2e_auction, malformed_raw_line_is_refused_before_anything_starts)
{
    e2e_timeout_ms = 5000;
    static const bad_case b = { "alice 5\nbob raw:abc\n", NULL, NULL, "inputs.txt:2", 1 };
    s_refused_before_start(&b);
}

/* ---------- privacy: nothing a server writes holds a losing bid ---------- */

/* None of the forms of v (decimal, hex, 12-byte big-endian field element,
 * 8-byte little-endian word) is in any file under dir or in the run's output. */
static void s_absent(const char *dir, const e2e_out *r, uint64_t v)
{
    char dec[24], hex[24], where[E2E_PATH + 64];
    uint8_t be[12], le[8];
    snprintf(dec, sizeof dec, "%" PRIu64, v);
    snprintf(hex, sizeof hex, "%" PRIx64, v);
    e2e_be(be, sizeof be, v);
    e2e_le(le, sizeof le, v);
    const struct { const void *p; size_t len; const char *what; } forms[] = {
        { dec, strlen(dec), "decimal" }, { hex, strlen(hex), "hex" },
        { be, sizeof be, "field element" }, { le, sizeof le, "64-bit word" },
    };
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        cr_assert_eq(e2e_tree_find(dir, forms[f].p, forms[f].len, where, sizeof where), 0,
                     "losing bid %s (%s) found in %s", dec, forms[f].what, where);
        if (r) {
            cr_assert(!e2e_mem_has(r->out, r->out_len, forms[f].p, forms[f].len),
                      "losing bid %s (%s) printed", dec, forms[f].what);
            cr_assert(!e2e_mem_has(r->err, r->err_len, forms[f].p, forms[f].len),
                      "losing bid %s (%s) in stderr", dec, forms[f].what);
        }
    }
}

Test(e2e_auction, no_losing_bid_in_any_server_file_or_log)
{
    char dir[E2E_PATH], where[E2E_PATH + 64];
    const char *text = "alice 987654321\nbob 1234567890\ncarol 876543219\ndave 765432198\n";
    e2e_out r;
    /* first price: only the top bid is opened */
    e2e_tmpdir(dir, sizeof dir, "keep1");
    json_t *j = S_RUN(r, text, dir, NULL);
    cr_assert_eq(e2e_jint(j, "winning_bid"), 1234567890);
    json_decref(j);
    /* the search does see what was revealed (the signed statements hold it) */
    cr_assert_eq(e2e_tree_find(dir, "1234567890", 10, where, sizeof where), 1);
    s_absent(dir, &r, 987654321u);
    s_absent(dir, &r, 876543219u);
    s_absent(dir, &r, 765432198u);
    e2e_out_free(&r);
    /* second price: the second bid is the price; the others stay secret */
    e2e_tmpdir(dir, sizeof dir, "keep2");
    j = S_RUN(r, text, dir, "--rule", "second", NULL);
    cr_assert_eq(e2e_jint(j, "price"), 987654321);
    cr_assert_str_eq(e2e_jstr(j, "winner"), "bob");
    json_decref(j);
    s_absent(dir, &r, 876543219u);
    s_absent(dir, &r, 765432198u);
    s_absent(dir, &r, 1234567890u);   /* the winner's own bid is not revealed either */
    e2e_out_free(&r);
}

/* ---------- the real path ---------- */

static json_t *s_result(e2e_out *r, const e2e_session *s, const char *a1, const char *a2,
                        const char *a3, const char *a4)
{
    e2e_app(r, "auction", "result", "--defn", s->defn, "--json", a1, a2, a3, a4, NULL);
    return r->status == 0 ? e2e_json(r->out) : NULL;
}

Test(e2e_auction, real_path_second_bid_replaces_first_and_off_roll_key_is_refused)
{
    static const char *const roll[] = { "alice", "bob", "carol", NULL };
    static const char *const others[] = { "mallory", NULL };
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, roll, others,
                      "{\"price\":\"first\",\"reveal_winner\":true}", 60);
    e2e_out r;
    e2e_session_submit(&s, &r, "mallory", "4000000000");
    cr_assert_neq(r.status, 0, "an off-roll key's bid was accepted: %s", r.out);
    cr_assert_not_null(strstr(r.err, "roll"), "refusal does not mention the roll: %s", r.err);
    e2e_out_free(&r);
    /* alice's second bid, before the last roll member bids, replaces her first */
    const char *bids[][2] = { { "alice", "765432198" }, { "alice", "3000000001" },
                              { "bob", "987654321" }, { "carol", "876543219" } };
    for (size_t i = 0; i < 4; i++) {
        e2e_session_submit(&s, &r, bids[i][0], bids[i][1]);
        cr_assert_eq(r.status, 0, "%s bid %s: %s", bids[i][0], bids[i][1], r.err);
        cr_assert_not_null(strstr(r.out, "submitted"));
        e2e_out_free(&r);
    }
    e2e_session_wait_results(&s, 30000);

    char st[3][E2E_PATH + 32];
    for (int i = 0; i < 3; i++) snprintf(st[i], sizeof st[i], "%s/d%d/result.stmt", s.dir, i + 1);
    json_t *j = s_result(&r, &s, st[0], st[1], st[2], NULL);
    cr_assert_not_null(j, "result from statements: %s", r.err);
    cr_assert_eq(e2e_jbool(j, "sold"), 1);
    cr_assert_eq(e2e_jint(j, "winning_bid"), 3000000001);
    cr_assert_str_eq(e2e_jstr(j, "winner"), "alice");
    cr_assert_eq(e2e_jint(j, "accepted"), 3);
    cr_assert_eq(e2e_jint(j, "excluded"), 0);
    char *from_files = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    e2e_out_free(&r);

    /* fetched over the network while the servers serve, with a roll member's key */
    char key[E2E_PATH + 32];
    snprintf(key, sizeof key, "%s/bob.key", s.dir);
    e2e_app(&r, "auction", "result", "--defn", s.defn, "--keys", key, "--json", NULL);
    cr_assert_eq(r.status, 0, "network result: %s", r.err);
    j = e2e_json(r.out);
    cr_assert_not_null(j);
    char *fetched = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert_str_eq(fetched, from_files);
    json_decref(j);
    free(fetched);
    free(from_files);
    e2e_out_free(&r);
    /* a published result is public: anyone may fetch it, with no key at all */
    e2e_app(&r, "auction", "result", "--defn", s.defn, "--json", NULL);
    cr_assert_eq(r.status, 0, "public result: %s", r.err);
    j = e2e_json(r.out);
    cr_assert_eq(e2e_jint(j, "winning_bid"), 3000000001);
    json_decref(j);
    e2e_out_free(&r);

    int status[3];
    e2e_session_stop(&s, status);
    for (int i = 0; i < 3; i++) cr_assert_eq(status[i], 0, "server %d exited %d", i + 1, status[i]);
    /* nothing a server wrote or printed holds a losing or replaced bid */
    s_absent(s.dir, NULL, 765432198u);
    s_absent(s.dir, NULL, 987654321u);
    s_absent(s.dir, NULL, 876543219u);
}

/* Copy of statement src with the first byte of pattern in it changed to to. */
static void s_tamper(const char *src, const char *dst, const char *pattern, size_t at, char to)
{
    size_t len;
    char *b = e2e_read(src, &len);
    cr_assert_not_null(b);
    char *p = memmem(b, len, pattern, strlen(pattern));
    cr_assert_not_null(p, "%s not in %s", pattern, src);
    p[at] = to;
    FILE *f = fopen(dst, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, len, f), len);
    fclose(f);
    free(b);
}

static void s_flip_last(const char *src, const char *dst)
{
    size_t len;
    char *b = e2e_read(src, &len);
    cr_assert(b && len > 0);
    b[len - 1] ^= 1;
    FILE *f = fopen(dst, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, len, f), len);
    fclose(f);
    free(b);
}

Test(e2e_auction, tampered_statements_count_for_nothing_t_plus_1_valid_still_verify)
{
    static const char *const roll[] = { "alice", "bob", NULL };
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, roll, NULL, "{\"price\":\"first\"}", 0);
    e2e_out r;
    e2e_session_submit(&s, &r, "alice", "40");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_out_free(&r);
    e2e_session_submit(&s, &r, "bob", "25");
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_out_free(&r);
    e2e_session_wait_results(&s, 30000);
    e2e_session_stop(&s, NULL);

    char st[3][E2E_PATH + 32], forged[2][E2E_PATH + 32], badsig[2][E2E_PATH + 32];
    for (int i = 0; i < 3; i++) snprintf(st[i], sizeof st[i], "%s/d%d/result.stmt", s.dir, i + 1);
    for (int i = 0; i < 2; i++) {
        snprintf(forged[i], sizeof forged[i], "%s/forged%d.stmt", s.dir, i + 1);
        snprintf(badsig[i], sizeof badsig[i], "%s/badsig%d.stmt", s.dir, i + 1);
        /* one byte: the winning bid 40 becomes 90 */
        s_tamper(st[i], forged[i], "\"winning_bid\":40", 14, '9');
        s_flip_last(st[i], badsig[i]);
    }
    json_t *j = s_result(&r, &s, st[0], st[1], st[2], NULL);
    cr_assert_not_null(j, "%s", r.err);
    cr_assert_eq(e2e_jint(j, "winning_bid"), 40);
    json_decref(j);
    e2e_out_free(&r);
    /* one forged or badly signed statement of three: t + 1 = 2 valid remain */
    const char *one_bad[][3] = { { forged[0], st[1], st[2] }, { badsig[0], st[1], st[2] },
                                 { st[0], forged[1], st[2] } };
    for (size_t i = 0; i < 3; i++) {
        j = s_result(&r, &s, one_bad[i][0], one_bad[i][1], one_bad[i][2], NULL);
        cr_assert_not_null(j, "case %zu: %s", i, r.err);
        cr_assert_eq(e2e_jint(j, "winning_bid"), 40);
        json_decref(j);
        e2e_out_free(&r);
    }
    /* two bad of three, one valid statement, or the same one three times: refused */
    const char *refused[][3] = { { forged[0], forged[1], st[2] }, { badsig[0], badsig[1], st[2] },
                                 { forged[0], badsig[1], st[2] }, { st[0], st[0], st[0] } };
    for (size_t i = 0; i < 4; i++) {
        j = s_result(&r, &s, refused[i][0], refused[i][1], refused[i][2], NULL);
        cr_assert_null(j, "case %zu verified: %s", i, r.out);
        cr_assert_eq(r.status, 1, "case %zu: status %d", i, r.status);
        cr_assert_not_null(strstr(r.err, "no verified result"), "case %zu: %s", i, r.err);
        cr_assert(!strstr(r.out, "90"));
        e2e_out_free(&r);
    }
    j = s_result(&r, &s, st[2], NULL, NULL, NULL);
    cr_assert_null(j, "a single statement verified");
    e2e_out_free(&r);
}

/* ---------- the binary domain (--domain binary: bid bits over GF(2^4)) ---------- */

/* The same rules with the bids' bits shared over GF(2^4) by the clients: first
 * and second price, reserves, ties, 3 and 5 servers, and an out-of-range raw
 * bid (a non-bit in its top bit) excluded. */
Test(e2e_auction, binary_domain_matches_clear_first_and_second_price)
{
    static const struct { uint64_t seed; int bits, nbid, servers; uint64_t reserve; } P[] = {
        { 11, 3, 7, 3, 0 }, { 12, 16, 6, 5, 0 }, { 13, 32, 5, 3, 7 }, { 14, 63, 4, 3, 0 },
    };
    for (size_t q = 0; q < sizeof P / sizeof P[0]; q++) {
        uint64_t st = P[q].seed, v[S_MAX_BIDS], top = (1ull << P[q].bits) - 1;
        int valid[S_MAX_BIDS];
        char names[S_MAX_BIDS][16], text[1024] = "";
        const char *np[S_MAX_BIDS];
        int n = P[q].nbid;
        for (int i = 0; i < n; i++) {
            v[i] = e2e_rand_below(&st, top + 1);
            valid[i] = 1;
            snprintf(names[i], sizeof names[i], "b%d", i);
            np[i] = names[i];
            size_t l = strlen(text);
            snprintf(text + l, sizeof text - l, "%s %" PRIu64 "\n", names[i], v[i]);
        }
        /* a hostile bidder: raw:-1, all ones, so its top element is 3: not a bit */
        valid[n] = 0;
        v[n] = 0;
        snprintf(names[n], sizeof names[n], "b%d", n);
        np[n] = names[n];
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "%s raw:-1\n", names[n]);
        char bits[8], servers[8], res[24];
        snprintf(bits, sizeof bits, "%d", P[q].bits);
        snprintf(servers, sizeof servers, "%d", P[q].servers);
        snprintf(res, sizeof res, "%" PRIu64, P[q].reserve);
        for (int second = 0; second < 2; second++) {
            e2e_out r;
            clear c = s_clear(v, valid, (size_t)n + 1, second, P[q].reserve);
            json_t *j = S_RUN(r, text, NULL, "--domain", "binary", "--reveal-winner", "--rule",
                              second ? "second" : "first", "--bits", bits, "--servers", servers,
                              "--reserve", res, NULL);
            s_check(j, &c, second, 1, np);
            json_decref(j);
            e2e_out_free(&r);
        }
    }
}

Test(e2e_auction, binary_domain_is_refused_for_bids_over_63_bits)
{
    e2e_out r;
    json_t *j = e2e_run_local(&r, "auction", "a 1\n", NULL, "--domain", "binary", "--bits", "64", NULL);
    cr_assert_null(j);
    cr_assert_neq(r.status, 0);
    cr_assert(strstr(r.err, "domain") != NULL, "stderr: %s", r.err);
    e2e_out_free(&r);
    j = e2e_run_local(&r, "auction", "a 1\n", NULL, "--domain", "ternary", NULL);
    cr_assert_null(j);
    cr_assert(strstr(r.err, "--domain") != NULL, "stderr: %s", r.err);
    e2e_out_free(&r);
}
