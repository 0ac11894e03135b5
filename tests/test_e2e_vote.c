/* test_e2e_vote: the vote binary end to end (run-local, and the real path of
 * keygen, a hand-written definition, background servers, cast and result),
 * against the clear count: threshold outcome, plurality/approval winner, tie,
 * tallies, quorum, and the exclusion of invalid ballots. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tests/e2e.h"

TestSuite(e2e_vote, .init = e2e_setup, .fini = e2e_cleanup, .timeout = 120);

#define S_RUN(r, text, ...) s_ok(&(r), e2e_run_local(&(r), "vote", (text), __VA_ARGS__))

static json_t *s_ok(e2e_out *r, json_t *j)
{
    cr_assert_not_null(j, "run-local failed (status %d%s):\nstdout: %s\nstderr: %s", r->status,
                       r->timed_out ? ", timed out" : "", r->out, r->err);
    return j;
}

enum { BASE_YES_NO, BASE_CAST, BASE_ROLL };

/* The clear threshold rule: YES iff the quorum is met, at least one yes, and
 * yes >= q * base (strict: >); blank ballots count in "cast" only. */
typedef struct tally {
    uint64_t yes, no, blank, invalid;
} tally;

static int s_clear_yes(const tally *t, int64_t num, int64_t den, int strict, int base,
                       uint64_t quorum)
{
    uint64_t cast = t->yes + t->no + t->blank, roll = cast + t->invalid;
    if (cast == 0 || cast < quorum || t->yes == 0) return 0;
    uint64_t b = base == BASE_YES_NO ? t->yes + t->no : base == BASE_CAST ? cast : roll;
    uint64_t lhs = t->yes * (uint64_t)den, rhs = b * (uint64_t)num;
    return strict ? lhs > rhs : lhs >= rhs;
}

/* A threshold result reveals the bit, the public counts and nothing else. */
static void s_check_threshold(const json_t *j, const tally *t, int yes, uint64_t quorum)
{
    uint64_t cast = t->yes + t->no + t->blank;
    cr_assert_str_eq(e2e_jstr(j, "outcome"), yes ? "YES" : "NO");
    cr_assert_eq(e2e_jint(j, "cast"), (int64_t)cast);
    cr_assert_eq(e2e_jbool(j, "quorum_met"), cast >= quorum);
    cr_assert_eq(e2e_jint(j, "accepted"), (int64_t)cast);
    cr_assert_eq(e2e_jint(j, "excluded"), (int64_t)t->invalid);
    cr_assert_eq(e2e_jint(j, "invalid"), (int64_t)t->invalid, "why excluded, counted apart");
    cr_assert_eq(e2e_jint(j, "inconsistent"), 0);
    cr_assert_eq(e2e_jint(j, "undelivered"), 0);
    /* the three counts only split "excluded", which accepted + cast already imply */
    static const char *const allowed[] = { "outcome", "cast", "quorum_met", "accepted",
                                           "excluded", "invalid", "inconsistent", "undelivered",
                                           "rounds", "bytes_per_server", "seconds", "intake_seconds", "security",
                                           NULL };
    cr_assert_str_eq(e2e_jstr(j, "security"), "malicious", "every result says its security");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++) ok |= strcmp(key, allowed[i]) == 0;
        cr_assert(ok, "a threshold result reveals \"%s\"", key);
    }
}

/* Write count copies of ballot into text. */
static void s_lines(char *text, size_t len, const char *ballot, int count)
{
    for (int i = 0; i < count; i++) {
        size_t l = strlen(text);
        snprintf(text + l, len - l, "%s\n", ballot);
    }
}

static void s_threshold_case(const char *text, const tally *t, const char *q, int strict,
                             int base, uint64_t quorum, int expect)
{
    int64_t num, den;
    cr_assert_eq(sscanf(q, "%" SCNd64 "/%" SCNd64, &num, &den), 2);
    int yes = s_clear_yes(t, num, den, strict, base, quorum);
    cr_assert_eq(yes, expect, "the clear rule disagrees with the test's expectation");
    static const char *const bases[] = { "yes_no", "cast", "roll" };
    char qs[16];
    snprintf(qs, sizeof qs, "%" PRIu64, quorum);
    e2e_out r;
    json_t *j = strict ? S_RUN(r, text, NULL, "--threshold", q, "--base", bases[base],
                               "--quorum", qs, "--strict", NULL)
                       : S_RUN(r, text, NULL, "--threshold", q, "--base", bases[base],
                               "--quorum", qs, NULL);
    s_check_threshold(j, t, yes, quorum);
    json_decref(j);
    e2e_out_free(&r);
}

/* ---------- threshold ---------- */

Test(e2e_vote, exactly_at_the_threshold_integer_yes_unless_strict)
{
    /* 2 yes of 4 with q = 1/2: q * 4 = 2 */
    tally t = { .yes = 2, .no = 2 };
    s_threshold_case("yes\nno\nyes\nno\n", &t, "1/2", 0, BASE_YES_NO, 0, 1);
    s_threshold_case("yes\nno\nyes\nno\n", &t, "1/2", 1, BASE_YES_NO, 0, 0);
}

Test(e2e_vote, exactly_at_two_thirds_yes_unless_strict)
{
    /* 2 yes of 3 with q = 2/3 */
    tally t = { .yes = 2, .no = 1 };
    s_threshold_case("yes\nyes\nno\n", &t, "2/3", 0, BASE_YES_NO, 0, 1);
    s_threshold_case("yes\nyes\nno\n", &t, "2/3", 1, BASE_YES_NO, 0, 0);
}

Test(e2e_vote, threshold_not_an_integer_rounds_the_right_way)
{
    /* 2 of 3 with q = 3/4: 2 < 2.25 */
    tally t = { .yes = 2, .no = 1 };
    s_threshold_case("yes\nyes\nno\n", &t, "3/4", 0, BASE_YES_NO, 0, 0);
    /* 3 of 5 with q = 1/2, strict: 3 > 2.5 */
    tally u = { .yes = 3, .no = 2 };
    s_threshold_case("no\nyes\nno\nyes\nyes\n", &u, "1/2", 1, BASE_YES_NO, 0, 1);
}

Test(e2e_vote, unanimous_yes_meets_a_whole_threshold_but_cannot_exceed_it)
{
    tally t = { .yes = 5 };
    s_threshold_case("yes\nyes\nyes\nyes\nyes\n", &t, "1/1", 0, BASE_YES_NO, 0, 1);
    s_threshold_case("yes\nyes\nyes\nyes\nyes\n", &t, "1/1", 1, BASE_YES_NO, 0, 0);
}

Test(e2e_vote, unanimous_no_is_no)
{
    tally t = { .no = 4 };
    s_threshold_case("no\nno\nno\nno\n", &t, "1/2", 0, BASE_YES_NO, 0, 0);
}

Test(e2e_vote, one_voter_decides)
{
    tally y = { .yes = 1 }, n = { .no = 1 };
    s_threshold_case("solo yes\n", &y, "1/2", 0, BASE_YES_NO, 0, 1);
    s_threshold_case("solo no\n", &n, "1/2", 0, BASE_YES_NO, 0, 0);
}

Test(e2e_vote, all_blank_is_no)
{
    tally t = { .blank = 3 };
    s_threshold_case("blank\nblank\nblank\n", &t, "1/2", 0, BASE_YES_NO, 0, 0);
}

Test(e2e_vote, quorum_not_met_is_no)
{
    /* the invalid ballot is excluded, so only 2 count against a quorum of 3 */
    tally t = { .yes = 2, .invalid = 1 };
    const char *text = "yes\nyes\nraw:1,1\n";
    s_threshold_case(text, &t, "1/2", 0, BASE_YES_NO, 3, 0);
    s_threshold_case(text, &t, "1/2", 0, BASE_YES_NO, 2, 1);
}

Test(e2e_vote, base_yes_no_cast_or_roll_and_invalid_ballots_are_excluded_and_counted)
{
    /* yes 2, no 1, blank 1 (cast 4), three hostile ballots (roll 7):
     * q = 1/2: yes_no 2 >= 1.5, cast 2 >= 2, roll 2 < 3.5 */
    tally t = { .yes = 2, .no = 1, .blank = 1, .invalid = 3 };
    const char *text = "yes\nraw:2,0\nno\nraw:1,1\nblank\nraw:-1,0\nyes\n";
    s_threshold_case(text, &t, "1/2", 0, BASE_YES_NO, 0, 1);
    s_threshold_case(text, &t, "1/2", 0, BASE_CAST, 0, 1);
    s_threshold_case(text, &t, "1/2", 1, BASE_CAST, 0, 0);
    s_threshold_case(text, &t, "1/2", 0, BASE_ROLL, 0, 0);
}

Test(e2e_vote, no_abstain_refuses_blank_and_excludes_an_empty_raw_ballot)
{
    char dir[E2E_PATH], p[E2E_PATH + 32];
    struct stat st;
    e2e_tmpdir(dir, sizeof dir, "noabs");
    e2e_out r;
    json_t *j = e2e_run_local(&r, "vote", "yes\nblank\n", dir, "--no-abstain", NULL);
    cr_assert_null(j);
    cr_assert_eq(r.status, 1);
    cr_assert_not_null(strstr(r.err, "inputs.txt:2"), "%s", r.err);
    snprintf(p, sizeof p, "%s/server1.log", dir);
    cr_assert_neq(stat(p, &st), 0, "a server was started");
    e2e_out_free(&r);
    tally t = { .yes = 1, .no = 1, .invalid = 1 };
    j = S_RUN(r, "yes\nraw:0,0\nno\n", NULL, "--no-abstain", NULL);
    s_check_threshold(j, &t, s_clear_yes(&t, 1, 2, 0, BASE_YES_NO, 0), 0);
    json_decref(j);
    e2e_out_free(&r);
}

/* ---------- plurality and approval ---------- */

typedef struct count {
    int m;
    uint64_t tally[8], cast, invalid;
} count;

/* Winner-only or tallies result equal to the clear count (ties reported). */
static void s_check_choice(const json_t *j, const count *c, const char *const *opts, int tallies)
{
    int best = 0, ties = 0;
    for (int k = 0; k < c->m; k++)
        if (c->tally[k] > c->tally[best]) best = k;
    for (int k = 0; k < c->m; k++) ties += c->tally[k] == c->tally[best];
    cr_assert_str_eq(e2e_jstr(j, "outcome"), ties > 1 ? "tie" : opts[best]);
    cr_assert_eq(e2e_jint(j, "cast"), (int64_t)c->cast);
    cr_assert_eq(e2e_jint(j, "accepted"), (int64_t)c->cast);
    cr_assert_eq(e2e_jint(j, "excluded"), (int64_t)c->invalid);
    cr_assert(!e2e_jhas(j, "quorum_met") || e2e_jbool(j, "quorum_met"));
    if (!tallies) {
        cr_assert(!e2e_jhas(j, "tallies"), "winner-only result reveals the tallies");
        return;
    }
    json_t *t = json_object_get(j, "tallies");
    cr_assert(json_is_object(t), "no tallies");
    cr_assert_eq(json_object_size(t), (size_t)c->m);
    for (int k = 0; k < c->m; k++)
        cr_assert_eq(e2e_jint(t, opts[k]), (int64_t)c->tally[k], "tally of %s", opts[k]);
}

Test(e2e_vote, plurality_tie_is_reported_without_tallies)
{
    static const char *const opts[] = { "a", "b", "c" };
    count c = { .m = 3, .tally = { 1, 1, 1 }, .cast = 3 };
    e2e_out r;
    json_t *j = S_RUN(r, "a\nb\nc\n", NULL, "--rule", "plurality", "--options", "a,b,c", NULL);
    s_check_choice(j, &c, opts, 0);
    cr_assert_str_eq(e2e_jstr(j, "outcome"), "tie");
    json_decref(j);
    e2e_out_free(&r);
    /* --tie first: the lowest tied option wins */
    j = S_RUN(r, "c\nb\n", NULL, "--rule", "plurality", "--options", "a,b,c", "--tie", "first",
              NULL);
    cr_assert_str_eq(e2e_jstr(j, "outcome"), "b");
    cr_assert(!e2e_jhas(j, "tallies"));
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_vote, plurality_winner_only_and_hostile_ballots_are_excluded)
{
    static const char *const opts[] = { "a", "b", "c" };
    /* raw:1,1,0 two-hot, raw:0,0,2 not bits, raw:1,-1,1 sums to one but not bits */
    const char *text = "a\nb\nraw:1,1,0\nb\nraw:0,0,2\nraw:1,-1,1\nblank\n";
    count c = { .m = 3, .tally = { 1, 2, 0 }, .cast = 4, .invalid = 3 };
    e2e_out r;
    json_t *j = S_RUN(r, text, NULL, "--rule", "plurality", "--options", "a,b,c", NULL);
    s_check_choice(j, &c, opts, 0);
    json_decref(j);
    e2e_out_free(&r);
    j = S_RUN(r, text, NULL, "--rule", "plurality", "--options", "a,b,c", "--reveal", "tallies",
              NULL);
    s_check_choice(j, &c, opts, 1);
    json_decref(j);
    e2e_out_free(&r);
}

Test(e2e_vote, approval_counts_up_to_max_approvals)
{
    static const char *const opts[] = { "a", "b", "c" };
    /* raw:1,1,1 approves three of at most two */
    const char *text = "a,b\nb,c\nb\nraw:1,1,1\nraw:1,0,1\n";
    count c = { .m = 3, .tally = { 2, 3, 2 }, .cast = 4, .invalid = 1 };
    e2e_out r;
    json_t *j = S_RUN(r, text, NULL, "--rule", "approval", "--options", "a,b,c",
                      "--max-approvals", "2", "--reveal", "tallies", NULL);
    s_check_choice(j, &c, opts, 1);
    json_decref(j);
    e2e_out_free(&r);
}

/* ---------- random elections ---------- */

enum { R_THRESHOLD, R_PLURALITY, R_APPROVAL };

typedef struct rparam {
    uint64_t seed;
    int servers, type;
} rparam;

ParameterizedTestParameters(e2e_vote, random_elections_match_the_clear_count)
{
    static rparam p[] = {
        { 11, 3, R_THRESHOLD },
        { 12, 5, R_THRESHOLD },
        { 13, 3, R_PLURALITY },
        { 14, 5, R_APPROVAL },
    };
    return cr_make_param_array(rparam, p, sizeof p / sizeof p[0]);
}

static void s_random_threshold(uint64_t *st, const char *servers)
{
    char text[2048] = "";
    tally t = { 0 };
    int n = 4 + (int)e2e_rand_below(st, 6);
    for (int i = 0; i < n; i++) {
        uint64_t k = e2e_rand_below(st, 8);
        if (k < 3) t.yes++;
        else if (k < 6) t.no++;
        else if (k < 7) t.blank++;
        else t.invalid++;
        s_lines(text, sizeof text, k < 3 ? "yes" : k < 6 ? "no" : k < 7 ? "blank" : "raw:1,1", 1);
    }
    static const char *const bases[] = { "yes_no", "cast", "roll" };
    for (int run = 0; run < 2; run++) {
        int64_t den = 1 + (int64_t)e2e_rand_below(st, 5), num = 1 + (int64_t)e2e_rand_below(st, (uint64_t)den);
        int strict = (int)e2e_rand_below(st, 2), base = (int)e2e_rand_below(st, 3);
        uint64_t quorum = e2e_rand_below(st, (uint64_t)n / 2 + 1);
        char q[48], qs[24];
        snprintf(q, sizeof q, "%" PRId64 "/%" PRId64, num, den);
        snprintf(qs, sizeof qs, "%" PRIu64, quorum);
        e2e_out r;
        json_t *j = strict ? S_RUN(r, text, NULL, "--servers", servers, "--threshold", q,
                                   "--base", bases[base], "--quorum", qs, "--strict", NULL)
                           : S_RUN(r, text, NULL, "--servers", servers, "--threshold", q,
                                   "--base", bases[base], "--quorum", qs, NULL);
        s_check_threshold(j, &t, s_clear_yes(&t, num, den, strict, base, quorum), quorum);
        json_decref(j);
        e2e_out_free(&r);
    }
}

static void s_random_choice(uint64_t *st, const char *servers, int approval)
{
    static const char *const opts[] = { "a", "b", "c", "d" };
    char text[2048] = "", maxs[16];
    count c = { .m = approval ? 4 : 3 };
    int maxa = approval ? 1 + (int)e2e_rand_below(st, 3) : 1;
    snprintf(maxs, sizeof maxs, "%d", maxa);
    int n = 5 + (int)e2e_rand_below(st, 5);
    for (int i = 0; i < n; i++) {
        int pick[4] = { 0 }, np = 0;
        char line[64] = "";
        if (e2e_rand_below(st, 6) == 0) {
            /* hostile: one approval too many, as raw entries */
            for (int k = 0; k < c.m; k++) pick[k] = k <= maxa;
            size_t l = 0;
            l += (size_t)snprintf(line, sizeof line, "raw:");
            for (int k = 0; k < c.m; k++)
                l += (size_t)snprintf(line + l, sizeof line - l, "%s%d", k ? "," : "", pick[k]);
            c.invalid++;
        } else {
            int want = (int)e2e_rand_below(st, (uint64_t)maxa + 1);   /* 0: blank */
            while (np < want) {
                int k = (int)e2e_rand_below(st, (uint64_t)c.m);
                if (pick[k]) continue;
                pick[k] = 1;
                np++;
            }
            size_t l = 0;
            for (int k = 0; k < c.m; k++)
                if (pick[k]) {
                    l += (size_t)snprintf(line + l, sizeof line - l, "%s%s", l ? "," : "", opts[k]);
                    c.tally[k]++;
                }
            if (np == 0) snprintf(line, sizeof line, "blank");
            c.cast++;
        }
        s_lines(text, sizeof text, line, 1);
    }
    const char *rule = approval ? "approval" : "plurality", *optlist = approval ? "a,b,c,d" : "a,b,c";
    for (int tallies = 0; tallies < 2; tallies++) {
        e2e_out r;
        json_t *j = tallies ? S_RUN(r, text, NULL, "--servers", servers, "--rule", rule,
                                    "--options", optlist, "--max-approvals", maxs, "--reveal",
                                    "tallies", NULL)
                            : S_RUN(r, text, NULL, "--servers", servers, "--rule", rule,
                                    "--options", optlist, "--max-approvals", maxs, NULL);
        s_check_choice(j, &c, opts, tallies);
        json_decref(j);
        e2e_out_free(&r);
    }
}

ParameterizedTest(rparam *P, e2e_vote, random_elections_match_the_clear_count)
{
    uint64_t st = P->seed;
    char servers[8];
    snprintf(servers, sizeof servers, "%d", P->servers);
    if (P->type == R_THRESHOLD) s_random_threshold(&st, servers);
    else s_random_choice(&st, servers, P->type == R_APPROVAL);
}

/* ---------- malformed input ---------- */

typedef struct bad_case {
    const char *text;
    const char *flags[7];      /* extra run-local options, NULL-terminated */
    const char *says;
    int status;
} bad_case;

static void s_refused_before_start(const bad_case *b)
{
    char dir[E2E_PATH];
    e2e_tmpdir(dir, sizeof dir, "bad");
    const char *const *f = b->flags;
    e2e_out r;
    json_t *j = e2e_run_local(&r, "vote", b->text, dir, f[0], f[1], f[2], f[3], f[4], f[5], NULL);
    e2e_expect_refused(&r, j, dir, b->text, b->status, b->says);
    e2e_out_free(&r);
}

#define S_PL "--rule", "plurality", "--options", "a,b,c"

Test(e2e_vote, malformed_ballots_are_refused_before_anything_starts)
{
    static const bad_case cases[] = {
        { "yes\nmaybe\n", { NULL }, "inputs.txt:2", 1 },
        { "yes\nyes no extra\n", { NULL }, "inputs.txt:2", 1 },
        { "a\nd\n", { S_PL, NULL }, "inputs.txt:2", 1 },
        { "a,a\n", { "--rule", "approval", "--options", "a,b,c", NULL }, "inputs.txt:1", 1 },
        { "a,b\n", { S_PL, NULL }, "inputs.txt:1", 1 },
        { "a,b,c\n", { "--rule", "approval", "--options", "a,b,c", "--max-approvals", "2", NULL },
          "inputs.txt:1", 1 },
        { "yes\n", { "--rule", "ranked", NULL }, "--rule", 2 },
        { "yes\nno\n", { "--threshold", "3/2", NULL }, "threshold", 1 },
        { "yes\nno\n", { "--quorum", "3", NULL }, "quorum", 1 },
        { "yes\nno\n", { "--base", "median", NULL }, "base", 1 },
        { "yes\nno\n", { "--options", "a,b", NULL }, "--options", 2 },
        { "a\n", { "--rule", "plurality", "--options", "a", NULL }, "options", 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) s_refused_before_start(&cases[i]);
}

/* See e2e_auction::malformed_raw_line_is_refused_before_anything_starts. */
Test(e2e_vote, malformed_raw_ballot_is_refused_before_anything_starts)
{
    e2e_timeout_ms = 5000;
    static const bad_case b = { "yes\nraw:1\n", { NULL }, "inputs.txt:2", 1 };
    s_refused_before_start(&b);
}

/* ---------- privacy: a threshold vote reveals only the bit ---------- */

static void s_absent_text(const char *dir, const e2e_out *r, const char *s)
{
    char where[E2E_PATH + 64];
    cr_assert_eq(e2e_tree_find(dir, s, strlen(s), where, sizeof where), 0, "\"%s\" found in %s", s,
                 where);
    if (r) {
        cr_assert(!e2e_mem_has(r->out, r->out_len, s, strlen(s)), "\"%s\" printed", s);
        cr_assert(!e2e_mem_has(r->err, r->err_len, s, strlen(s)), "\"%s\" in stderr", s);
    }
}

Test(e2e_vote, threshold_reveals_only_the_bit_nowhere_the_tally)
{
    char dir[E2E_PATH], text[256] = "", st[3][E2E_PATH + 32], defn[E2E_PATH + 32];
    /* 7 yes, 4 no of 11 (cast 11 is public) */
    s_lines(text, sizeof text, "yes", 4);
    s_lines(text, sizeof text, "no", 4);
    s_lines(text, sizeof text, "yes", 3);
    e2e_tmpdir(dir, sizeof dir, "keep");
    e2e_out r;
    tally t = { .yes = 7, .no = 4 };
    json_t *j = S_RUN(r, text, dir, "--threshold", "1/2", NULL);
    s_check_threshold(j, &t, s_clear_yes(&t, 1, 2, 0, BASE_YES_NO, 0), 0);
    json_decref(j);
    static const char *const forms[] = { "\"yes\":7", "\"no\":4", "\"yes\": 7", "\"no\": 4",
                                         "yes: 7", "no: 4", "yes=7", "no=4", "yes 7", "no 4",
                                         "7 yes", "4 no", "tallies", NULL };
    for (size_t i = 0; forms[i]; i++) s_absent_text(dir, &r, forms[i]);
    e2e_out_free(&r);
    /* and the verified result from the kept statements, as JSON and for humans */
    snprintf(defn, sizeof defn, "%s/definition.json", dir);
    for (int i = 0; i < 3; i++) snprintf(st[i], sizeof st[i], "%s/s%d/result.stmt", dir, i + 1);
    e2e_app(&r, "vote", "result", "--defn", defn, "--json", st[0], st[1], st[2], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    j = e2e_json(r.out);
    cr_assert_not_null(j);
    s_check_threshold(j, &t, s_clear_yes(&t, 1, 2, 0, BASE_YES_NO, 0), 0);
    json_decref(j);
    for (size_t i = 0; forms[i]; i++) s_absent_text(dir, &r, forms[i]);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "result", "--defn", defn, st[0], st[1], st[2], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "YES"), "%s", r.out);
    for (size_t i = 0; forms[i]; i++) s_absent_text(dir, &r, forms[i]);
    e2e_out_free(&r);
}

Test(e2e_vote, plurality_winner_only_writes_no_tally_anywhere)
{
    char dir[E2E_PATH], text[256] = "";
    s_lines(text, sizeof text, "b", 7);
    s_lines(text, sizeof text, "c", 4);
    e2e_tmpdir(dir, sizeof dir, "keep");
    e2e_out r;
    json_t *j = S_RUN(r, text, dir, S_PL, NULL);
    cr_assert_str_eq(e2e_jstr(j, "outcome"), "b");
    cr_assert(!e2e_jhas(j, "tallies"));
    json_decref(j);
    static const char *const forms[] = { "\"b\":7", "\"c\":4", "\"a\":0", "b: 7", "c: 4",
                                         "tallies", NULL };
    for (size_t i = 0; forms[i]; i++) s_absent_text(dir, &r, forms[i]);
    e2e_out_free(&r);
}

/* ---------- the real path ---------- */

Test(e2e_vote, real_path_recast_replaces_and_off_roll_voter_is_refused)
{
    static const char *const roll[] = { "alice", "bob", "carol", NULL };
    static const char *const others[] = { "mallory", NULL };
    e2e_session s;
    e2e_session_start(&s, "vote", 3, 1, roll, others,
                      "{\"type\":\"plurality\",\"options\":[\"a\",\"b\",\"c\"],"
                      "\"reveal\":\"tallies\"}",
                      60);
    e2e_out r;
    e2e_session_submit(&s, &r, "mallory", "a");
    cr_assert_neq(r.status, 0, "an off-roll voter was accepted: %s", r.out);
    cr_assert_not_null(strstr(r.err, "roll"), "refusal does not mention the roll: %s", r.err);
    e2e_out_free(&r);
    /* alice votes a, then c before the last voter: c replaces a */
    const char *votes[][2] = { { "alice", "a" }, { "bob", "b" }, { "alice", "c" },
                               { "carol", "c" } };
    for (size_t i = 0; i < 4; i++) {
        e2e_session_submit(&s, &r, votes[i][0], votes[i][1]);
        cr_assert_eq(r.status, 0, "%s casts %s: %s", votes[i][0], votes[i][1], r.err);
        e2e_out_free(&r);
    }
    e2e_session_wait_results(&s, 30000);
    static const char *const opts[] = { "a", "b", "c" };
    count c = { .m = 3, .tally = { 0, 1, 2 }, .cast = 3 };
    char st[3][E2E_PATH + 32], key[E2E_PATH + 32];
    for (int i = 0; i < 3; i++) snprintf(st[i], sizeof st[i], "%s/d%d/result.stmt", s.dir, i + 1);
    e2e_app(&r, "vote", "result", "--defn", s.defn, "--json", st[0], st[1], st[2], NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_t *j = e2e_json(r.out);
    cr_assert_not_null(j, "%s", r.out);
    s_check_choice(j, &c, opts, 1);
    json_decref(j);
    e2e_out_free(&r);
    snprintf(key, sizeof key, "%s/carol.key", s.dir);
    e2e_app(&r, "vote", "result", "--defn", s.defn, "--keys", key, "--json", NULL);
    cr_assert_eq(r.status, 0, "network result: %s", r.err);
    j = e2e_json(r.out);
    cr_assert_not_null(j, "%s", r.out);
    s_check_choice(j, &c, opts, 1);
    json_decref(j);
    e2e_out_free(&r);
    int status[3];
    e2e_session_stop(&s, status);
    for (int i = 0; i < 3; i++) cr_assert_eq(status[i], 0, "server %d exited %d", i + 1, status[i]);
}

/* Option names from the definition reach the signed statement as JSON strings,
 * never pasted text: a quote or a backslash in a name stays inside its string. */
Test(e2e_vote, option_names_with_quotes_make_valid_signed_json)
{
    e2e_out r;
    json_t *j = e2e_run_local(&r, "vote", "a\"b\na\"b\nc\\\\d\n", NULL, "--rule", "plurality",
                              "--options", "a\"b,c\\\\d", "--reveal", "tallies", NULL);
    cr_assert_not_null(j, "run-local failed or printed invalid JSON: %s / %s", r.out, r.err);
    cr_assert_str_eq(e2e_jstr(j, "outcome"), "a\"b");
    json_t *tal = json_object_get(j, "tallies");
    cr_assert_eq(json_integer_value(json_object_get(tal, "a\"b")), 2);
    cr_assert_eq(json_integer_value(json_object_get(tal, "c\\\\d")), 1);
    cr_assert_eq(json_object_size(tal), 2, "no injected key");
    json_decref(j);
    e2e_out_free(&r);
}
