/* test_vote_run: vote_run on the in-process hub (n = 3 and n = 5) against the
 * clear election: threshold votes at the threshold and one below, strict, the
 * three bases, quorum and blank ballots; plurality winner and tie (reported or
 * to the first option, with and without open tallies); approval with the
 * max_approvals bound; invalid entries excluded; winner and tie under dp. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/dp.h"
#include "protocols/vote_mpc.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(vote_run, .init = s_setup, .timeout = 60);

struct nt {
    int n, t;
};

static struct nt s_params[] = { { 3, 1 }, { 5, 2 } };

#define NT_PARAMS(name)                                                                  \
    ParameterizedTestParameters(vote_run, name)                                          \
    {                                                                                    \
        return cr_make_param_array(struct nt, s_params, sizeof s_params / sizeof s_params[0]); \
    }

#define MAXB 64   /* ballots per election in these tests */

/* Clear ballots: count rows of s->options entries (field elements, so a
 * hostile ballot can hold 2 or -1). */
typedef struct ballots {
    size_t count;
    fe v[MAXB * VOTE_MAX_OPTIONS];
} ballots;

typedef struct job {
    const vote_spec *s;
    const fe *rows;
    size_t count;
    uint8_t *excluded;
    vote_outcome out;
} job;

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    return vote_run(M, J->s, J->rows, J->count, J->excluded, &J->out);
}

static field s_F;

static void s_field(void)
{
    cr_assert_eq(field_init_default(&s_F, 32, 40), 0);
}

/* ---- the clear election ---- */

static int s_valid(const vote_spec *s, const fe *b)
{
    uint64_t sum = 0;
    for (int j = 0; j < s->options; j++) {
        if (b[j] > 1) return 0;
        sum += (uint64_t)b[j];
    }
    uint64_t mx = s->type == VOTE_APPROVAL ? (uint64_t)s->max_approvals : 1;
    return sum <= mx && (s->abstain || sum >= 1);
}

static void s_clear(const vote_spec *s, const ballots *B, uint8_t *excluded, vote_outcome *o)
{
    uint64_t tally[VOTE_MAX_OPTIONS] = { 0 };
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < B->count; i++) {
        const fe *b = B->v + i * (size_t)s->options;
        excluded[i] = !s_valid(s, b);
        if (excluded[i]) continue;
        o->cast++;
        for (int j = 0; j < s->options; j++) tally[j] += (uint64_t)b[j];
    }
    o->quorum_met = o->cast >= s->quorum;
    if (s->type == VOTE_THRESHOLD) {
        uint64_t Y = tally[0], base = s->base == VOTE_BASE_YES_NO ? tally[0] + tally[1]
                                      : s->base == VOTE_BASE_CAST ? o->cast : s->roll;
        __int128 lhs = (__int128)s->den * Y, rhs = (__int128)s->num * base;
        o->yes = o->quorum_met && Y >= 1 && (s->strict ? lhs > rhs : lhs >= rhs);
        return;
    }
    int best = 0, top = 0;
    for (int j = 1; j < s->options; j++)
        if (tally[j] > tally[best]) best = j;
    for (int j = 0; j < s->options; j++) top += tally[j] == tally[best];
    o->tie = top > 1 && !s->tie_first;
    /* the winner-only release opens no index after a tie */
    o->winner = o->tie && !s->reveal_tallies ? 0 : best;
    if (s->reveal_tallies) {
        o->tallies_open = 1;
        memcpy(o->tallies, tally, sizeof tally);
    }
}

/* ---- the election in MPC ---- */

/* Share the ballots among n servers, run vote_run, check every server agrees;
 * returns the verdicts and outcome. */
static void s_run(int n, int t, const vote_spec *s, const ballots *B, uint8_t *excluded,
                  vote_outcome *o)
{
    cr_assert_eq(vote_check_spec(s, &s_F, MPC_KAPPA), 0, "spec refused");
    size_t len = B->count * (size_t)s->options;
    fe *sh[9];
    harness_share(&s_F, n, t, t, B->v, len, sh);
    job jobs[9];
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (job){ .s = s, .rows = sh[i], .count = B->count,
                         .excluded = calloc(B->count + 1, 1) };
        args[i] = &jobs[i];
    }
    cr_assert_eq(harness_run(&s_F, n, t, HARNESS_HUB, s_body, args, NULL), 0);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(memcmp(jobs[i].excluded, jobs[0].excluded, B->count), 0);
        cr_assert_eq(memcmp(&jobs[i].out, &jobs[0].out, sizeof jobs[0].out), 0,
                     "servers disagree on the outcome");
    }
    memcpy(excluded, jobs[0].excluded, B->count);
    *o = jobs[0].out;
    for (int i = 0; i < n; i++) {
        free(sh[i]);
        free(jobs[i].excluded);
    }
}

/* s_run against s_clear: the same verdicts and the same outcome. */
static void s_check(int n, int t, const vote_spec *s, const ballots *B, const char *what)
{
    uint8_t got[MAXB], want[MAXB];
    vote_outcome o, w;
    s_run(n, t, s, B, got, &o);
    s_clear(s, B, want, &w);
    for (size_t i = 0; i < B->count; i++)
        cr_assert_eq(got[i], want[i], "%s: ballot %zu excluded %d", what, i, got[i]);
    cr_assert_eq(o.cast, w.cast, "%s: cast %llu, expected %llu", what, (unsigned long long)o.cast,
                 (unsigned long long)w.cast);
    cr_assert_eq(o.quorum_met, w.quorum_met, "%s: quorum", what);
    cr_assert_eq(o.yes, w.yes, "%s: yes %d, expected %d", what, o.yes, w.yes);
    cr_assert_eq(o.tie, w.tie, "%s: tie %d, expected %d", what, o.tie, w.tie);
    cr_assert_eq(o.winner, w.winner, "%s: winner %d, expected %d", what, o.winner, w.winner);
    cr_assert_eq(o.tallies_open, w.tallies_open, "%s: tallies_open", what);
    for (int j = 0; j < s->options; j++)
        cr_assert_eq(o.tallies[j], w.tallies[j], "%s: tally %d", what, j);
}

/* Threshold ballots: yes, no, blank in that order (vote_encode_threshold). */
static void s_threshold_ballots(ballots *B, int yes, int no, int blank)
{
    B->count = 0;
    for (int i = 0; i < yes + no + blank; i++, B->count++)
        vote_encode_threshold(B->v + B->count * 2, i < yes ? 1 : i < yes + no ? 0 : -1);
}

/* One option (or -1: blank) per ballot (vote_encode_options). */
static void s_choice_ballots(ballots *B, int options, const int *choice, size_t count)
{
    B->count = count;
    for (size_t i = 0; i < count; i++)
        vote_encode_options(B->v + i * (size_t)options, options, &choice[i], choice[i] >= 0);
}

static vote_spec s_threshold_spec(int64_t num, int64_t den, int strict, int base)
{
    return (vote_spec){ .type = VOTE_THRESHOLD, .options = 2, .abstain = 1, .num = num,
                        .den = den, .strict = strict, .base = base, .roll = MAXB };
}

/* ---- threshold ---- */

NT_PARAMS(threshold_at_exactly_the_threshold_and_one_below)
ParameterizedTest(struct nt *P, vote_run, threshold_at_exactly_the_threshold_and_one_below)
{
    s_field();
    ballots B;
    vote_spec half = s_threshold_spec(1, 2, 0, VOTE_BASE_YES_NO);
    vote_spec twothirds = s_threshold_spec(2, 3, 0, VOTE_BASE_YES_NO);
    static const struct { int yes, no, want; } cases[] = {
        { 5, 5, 1 },     /* 1/2: 5 of 10, exactly: YES */
        { 4, 5, 0 },     /* 4 of 9 < 1/2 */
        { 1, 0, 1 },
        { 0, 3, 0 },
        { 6, 3, 1 },     /* 2/3: 6 of 9, exactly */
        { 5, 3, 0 },     /* 5 of 8 < 2/3 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        vote_spec *s = c < 4 ? &half : &twothirds;
        s_threshold_ballots(&B, cases[c].yes, cases[c].no, 2);
        char what[64];
        snprintf(what, sizeof what, "%lld/%lld, %d yes %d no", (long long)s->num,
                 (long long)s->den, cases[c].yes, cases[c].no);
        s_check(P->n, P->t, s, &B, what);
        uint8_t ex[MAXB];
        vote_outcome o;
        s_run(P->n, P->t, s, &B, ex, &o);
        cr_assert_eq(o.yes, cases[c].want, "%s", what);
        cr_assert(!o.tie && o.winner == 0 && !o.tallies_open, "%s: nothing else", what);
    }
}

NT_PARAMS(threshold_strict_needs_more_than_the_fraction)
ParameterizedTest(struct nt *P, vote_run, threshold_strict_needs_more_than_the_fraction)
{
    s_field();
    ballots B;
    vote_spec s = s_threshold_spec(1, 2, 1, VOTE_BASE_YES_NO);
    uint8_t ex[MAXB];
    vote_outcome o;
    s_threshold_ballots(&B, 5, 5, 0);
    s_check(P->n, P->t, &s, &B, "strict, exactly half");
    s_run(P->n, P->t, &s, &B, ex, &o);
    cr_assert_eq(o.yes, 0);
    s_threshold_ballots(&B, 6, 5, 0);
    s_run(P->n, P->t, &s, &B, ex, &o);
    cr_assert_eq(o.yes, 1, "strict, one above half");
}

NT_PARAMS(threshold_bases_cast_and_roll_count_blank_and_absent)
ParameterizedTest(struct nt *P, vote_run, threshold_bases_cast_and_roll_count_blank_and_absent)
{
    s_field();
    ballots B;
    uint8_t ex[MAXB];
    vote_outcome o;
    vote_spec cast = s_threshold_spec(1, 2, 0, VOTE_BASE_CAST);
    s_threshold_ballots(&B, 5, 2, 3);          /* 5 of 10 cast */
    s_check(P->n, P->t, &cast, &B, "base cast, exactly");
    s_run(P->n, P->t, &cast, &B, ex, &o);
    cr_assert_eq(o.yes, 1);
    s_threshold_ballots(&B, 4, 1, 4);          /* 4 of 9 cast, though 4 of 5 yes/no */
    s_run(P->n, P->t, &cast, &B, ex, &o);
    cr_assert_eq(o.yes, 0, "blank ballots count in the cast base");
    vote_spec roll = s_threshold_spec(1, 2, 0, VOTE_BASE_ROLL);
    roll.roll = 20;
    s_threshold_ballots(&B, 10, 0, 0);         /* 10 of a roll of 20 */
    s_check(P->n, P->t, &roll, &B, "base roll, exactly");
    s_run(P->n, P->t, &roll, &B, ex, &o);
    cr_assert_eq(o.yes, 1);
    s_threshold_ballots(&B, 9, 0, 0);
    s_run(P->n, P->t, &roll, &B, ex, &o);
    cr_assert_eq(o.yes, 0, "absent members count in the roll base");
}

NT_PARAMS(threshold_quorum_blank_and_no_yes)
ParameterizedTest(struct nt *P, vote_run, threshold_quorum_blank_and_no_yes)
{
    s_field();
    ballots B;
    uint8_t ex[MAXB];
    vote_outcome o;
    vote_spec s = s_threshold_spec(1, 2, 0, VOTE_BASE_YES_NO);
    s.quorum = 10;
    s_threshold_ballots(&B, 7, 0, 2);          /* 9 cast: below the quorum */
    s_check(P->n, P->t, &s, &B, "quorum - 1");
    s_run(P->n, P->t, &s, &B, ex, &o);
    cr_assert(!o.quorum_met && !o.yes && o.cast == 9);
    s_threshold_ballots(&B, 7, 0, 3);          /* 10 cast, blank ones included */
    s_check(P->n, P->t, &s, &B, "quorum");
    s_run(P->n, P->t, &s, &B, ex, &o);
    cr_assert(o.quorum_met && o.yes && o.cast == 10);
    /* without abstention a blank ballot is invalid and not cast */
    s.abstain = 0;
    s_check(P->n, P->t, &s, &B, "no abstain");
    s_run(P->n, P->t, &s, &B, ex, &o);
    cr_assert(!o.quorum_met && o.cast == 7 && ex[9] && !ex[0]);
    /* a fraction of 0 still needs one yes */
    vote_spec zero = s_threshold_spec(0, 1, 0, VOTE_BASE_CAST);
    s_threshold_ballots(&B, 0, 0, 4);
    s_check(P->n, P->t, &zero, &B, "q = 0, no yes");
    s_run(P->n, P->t, &zero, &B, ex, &o);
    cr_assert_eq(o.yes, 0);
    s_threshold_ballots(&B, 0, 0, 0);
    s_check(P->n, P->t, &zero, &B, "no ballot");
}

NT_PARAMS(threshold_ballots_with_yes_and_no_or_non_bits_are_excluded)
ParameterizedTest(struct nt *P, vote_run, threshold_ballots_with_yes_and_no_or_non_bits_are_excluded)
{
    s_field();
    ballots B;
    vote_spec s = s_threshold_spec(1, 2, 0, VOTE_BASE_YES_NO);
    s_threshold_ballots(&B, 3, 3, 1);
    fe bad[][2] = { { 1, 1 }, { 2, 0 }, { s_F.p - 1, 0 }, { s_F.p - 1, 2 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++, B.count++)
        memcpy(B.v + B.count * 2, bad[i], sizeof bad[i]);
    s_check(P->n, P->t, &s, &B, "hostile threshold ballots");
}

/* ---- plurality ---- */

static vote_spec s_plurality_spec(int options, int reveal, int tie_first)
{
    return (vote_spec){ .type = VOTE_PLURALITY, .options = options, .abstain = 1,
                        .reveal_tallies = reveal, .tie_first = tie_first, .roll = MAXB };
}

NT_PARAMS(plurality_winner_and_tie_reported_or_to_the_first)
ParameterizedTest(struct nt *P, vote_run, plurality_winner_and_tie_reported_or_to_the_first)
{
    s_field();
    ballots B;
    static const int clear_win[] = { 0, 1, 1, 2, 1, 0, -1, 1, 0, 2 };    /* 3, 4, 2 */
    static const int shared[] = { 2, 1, 1, 2, 0, 2, 1, -1, 0 };          /* 2, 3, 3 */
    static const int three_way[] = { 0, 1, 2, 3, 3, 2, 1, 0 };           /* all 2 */
    for (int reveal = 0; reveal < 2; reveal++)
        for (int first = 0; first < 2; first++) {
            vote_spec s3 = s_plurality_spec(3, reveal, first), s4 = s_plurality_spec(4, reveal, first);
            char what[64];
            snprintf(what, sizeof what, "reveal %d, tie_first %d", reveal, first);
            s_choice_ballots(&B, 3, clear_win, 10);
            s_check(P->n, P->t, &s3, &B, what);
            s_choice_ballots(&B, 3, shared, 9);
            s_check(P->n, P->t, &s3, &B, what);
            uint8_t ex[MAXB];
            vote_outcome o;
            s_run(P->n, P->t, &s3, &B, ex, &o);
            cr_assert_eq(o.tie, !first, "%s", what);
            if (first || reveal) cr_assert_eq(o.winner, 1, "%s: the lowest top option", what);
            s_choice_ballots(&B, 4, three_way, 8);
            s_check(P->n, P->t, &s4, &B, what);
        }
}

NT_PARAMS(plurality_invalid_entries_are_excluded)
ParameterizedTest(struct nt *P, vote_run, plurality_invalid_entries_are_excluded)
{
    s_field();
    ballots B;
    static const int choice[] = { 0, 1, 2, 1, -1, 1 };
    s_choice_ballots(&B, 3, choice, 6);
    fe bad[][3] = { { 2, 0, 0 }, { s_F.p - 1, 1, 1 }, { 1, 1, 0 }, { 0, 0, s_F.p - 1 },
                    { 0, 5, 0 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++, B.count++)
        memcpy(B.v + B.count * 3, bad[i], sizeof bad[i]);
    for (int reveal = 0; reveal < 2; reveal++) {
        vote_spec s = s_plurality_spec(3, reveal, 0);
        s_check(P->n, P->t, &s, &B, "hostile plurality ballots");
        s.abstain = 0;
        s_check(P->n, P->t, &s, &B, "hostile plurality ballots, no abstain");
    }
}

NT_PARAMS(plurality_random_elections_match_the_clear_count)
ParameterizedTest(struct nt *P, vote_run, plurality_random_elections_match_the_clear_count)
{
    s_field();
    ballots B;
    int choice[40];
    for (int rep = 0; rep < 4; rep++) {
        int options = 2 + rep;
        for (int i = 0; i < 40; i++) choice[i] = (int)(harness_rand_bits(8) % (unsigned)(options + 1)) - 1;
        s_choice_ballots(&B, options, choice, 40);
        B.v[7 * (size_t)options] = 3;          /* one hostile ballot */
        vote_spec s = s_plurality_spec(options, rep & 1, rep >= 2);
        s_check(P->n, P->t, &s, &B, "random plurality");
    }
}

/* ---- approval ---- */

static vote_spec s_approval_spec(int options, int max, int abstain)
{
    return (vote_spec){ .type = VOTE_APPROVAL, .options = options, .abstain = abstain,
                        .max_approvals = max, .reveal_tallies = 1, .roll = MAXB };
}

NT_PARAMS(approval_ballots_over_the_bound_are_excluded)
ParameterizedTest(struct nt *P, vote_run, approval_ballots_over_the_bound_are_excluded)
{
    s_field();
    ballots B = { .count = 0 };
    /* 4 options, at most 2 approvals */
    static const fe rows[][4] = {
        { 1, 0, 0, 0 }, { 1, 1, 0, 0 }, { 0, 1, 1, 0 }, { 0, 0, 0, 0 },   /* valid (blank too) */
        { 1, 1, 1, 0 }, { 1, 1, 1, 1 },                                  /* over the bound */
        { 2, 0, 0, 0 }, { 0, 1, 0, 2 },                                  /* an entry 2 */
        { 0, 0, 1, 1 }, { 1, 0, 0, 1 },
    };
    size_t nr = sizeof rows / sizeof rows[0];
    for (size_t i = 0; i < nr; i++, B.count++) memcpy(B.v + B.count * 4, rows[i], sizeof rows[i]);
    /* -1 with three 1s sums to 2 but is not a bit */
    fe neg[4] = { s_F.p - 1, 1, 1, 1 };
    memcpy(B.v + B.count++ * 4, neg, sizeof neg);
    for (int max = 1; max <= 4; max++)
        for (int abstain = 0; abstain < 2; abstain++) {
            vote_spec s = s_approval_spec(4, max, abstain);
            char what[64];
            snprintf(what, sizeof what, "approval, at most %d, abstain %d", max, abstain);
            s_check(P->n, P->t, &s, &B, what);
            s.reveal_tallies = 0;
            s_check(P->n, P->t, &s, &B, what);
        }
    uint8_t ex[MAXB];
    vote_outcome o;
    vote_spec s = s_approval_spec(4, 2, 1);
    s_run(P->n, P->t, &s, &B, ex, &o);
    static const uint8_t want[11] = { 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1 };
    cr_assert_eq(memcmp(ex, want, sizeof want), 0);
    cr_assert_eq(o.cast, 6);
}

NT_PARAMS(approval_random_elections_match_the_clear_count)
ParameterizedTest(struct nt *P, vote_run, approval_random_elections_match_the_clear_count)
{
    s_field();
    ballots B = { .count = 30 };
    for (size_t i = 0; i < B.count * 5; i++) B.v[i] = harness_rand_bits(8) < 90;
    B.v[3 * 5 + 1] = s_F.p - 1;
    B.v[8 * 5 + 4] = 2;
    for (int max = 2; max <= 3; max++) {
        vote_spec s = s_approval_spec(5, max, 1);
        s.tie_first = max == 3;
        s_check(P->n, P->t, &s, &B, "random approval");
        s.reveal_tallies = 0;
        s_check(P->n, P->t, &s, &B, "random approval, winner only");
    }
}

/* ---- under differential privacy ---- */

NT_PARAMS(dp_noisy_tallies_come_with_their_winner_and_tie)
ParameterizedTest(struct nt *P, vote_run, dp_noisy_tallies_come_with_their_winner_and_tie)
{
    s_field();
    ballots B;
    static const int choice[] = { 0, 1, 1, 2, 1, 0, 1, 2, 1, 1 };
    s_choice_ballots(&B, 3, choice, 10);
    for (int first = 0; first < 2; first++) {
        vote_spec s = s_plurality_spec(3, 1, first);
        s.dp_eps = 0.5;
        uint8_t ex[MAXB];
        vote_outcome o;
        s_run(P->n, P->t, &s, &B, ex, &o);
        cr_assert(o.tallies_open && o.cast == 10);
        /* the decision is post-processing of the noisy tallies */
        int best = 0, top = 0;
        for (int j = 1; j < 3; j++)
            if (o.noisy[j] > o.noisy[best]) best = j;
        for (int j = 0; j < 3; j++) top += o.noisy[j] == o.noisy[best];
        cr_assert_eq(o.winner, best);
        cr_assert_eq(o.tie, top > 1 && !first);
        for (int j = 0; j < 3; j++) cr_assert_eq(o.tallies[j], 0, "exact tallies stay closed");
    }
    /* report-noisy-max: a winner, never a tie */
    vote_spec s = s_plurality_spec(3, 0, 0);
    s.dp_eps = 1;
    uint8_t ex[MAXB];
    vote_outcome o;
    s_run(P->n, P->t, &s, &B, ex, &o);
    cr_assert(!o.tie && o.winner >= 0 && o.winner < 3 && !o.tallies_open);
}

static int s_bad_spec_body(mpc *M, void *arg)
{
    (void)arg;
    fe rows[2] = { 0 };
    uint8_t ex[1] = { 0 };
    vote_outcome o;
    vote_spec s = { .type = VOTE_PLURALITY, .options = VOTE_MAX_OPTIONS + 1, .abstain = 1 };
    if (vote_run(M, &s, rows, 0, ex, &o) != ERR_ARG) return ERR_PROTO;
    s = (vote_spec){ .type = VOTE_THRESHOLD, .options = 3, .abstain = 1, .num = 1, .den = 2 };
    if (vote_run(M, &s, rows, 0, ex, &o) != ERR_ARG) return ERR_PROTO;
    s.type = 9;
    if (vote_run(M, &s, rows, 0, ex, &o) != ERR_ARG) return ERR_PROTO;
    return strstr(mpc_errmsg(M), "vote_run") ? 0 : ERR_PROTO;
}

Test(vote_run, rejects_a_malformed_spec)
{
    s_field();
    cr_assert_eq(harness_run(&s_F, 3, 1, HARNESS_HUB, s_bad_spec_body, NULL, NULL), 0);
}
