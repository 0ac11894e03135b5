/* vote_mpc: ballot validity, tallies and the declared opening of an election. */
#include "protocols/vote_mpc.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/bits.h"
#include "protocols/check.h"
#include "protocols/compare.h"
#include "protocols/dp.h"
#include "protocols/max.h"
#include "protocols/mul.h"

static int s_bitlen(uint64_t v)
{
    int b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
}

/* |yes*den - num*base| < (num + den) * roll, plus one for strictness */
static int s_threshold_bits(const vote_spec *s)
{
    unsigned __int128 span = (unsigned __int128)(uint64_t)(s->num + s->den) * (s->roll + 1) + 2;
    int b = 0;
    while (span) {
        b++;
        span >>= 1;
    }
    return b;
}

/* Plan of the noise and what the release costs in privacy. Replace-one-ballot
 * sensitivities (docs/dp.md): the threshold statistic den*yes - num*base moves
 * by at most den; the tally vector by 2 in L1 (plurality) or min(2A, m)
 * (approval, A approvals); report-noisy-max over counts that move by 1 both
 * ways is 2 eps for noise planned at eps, so it is planned at eps / 2. */
int vote_dp_cost(const vote_spec *s, dp_plan *P, double *eps, double *delta)
{
    if (!(s->dp_eps > 0)) return ERR_ARG;
    int64_t sens;
    double e = s->dp_eps, mult = 1;
    if (s->type == VOTE_THRESHOLD) {
        sens = s->den;
    } else if (s->reveal_tallies) {
        sens = s->type == VOTE_PLURALITY ? 2
                                         : (2 * s->max_approvals < s->options ? 2 * s->max_approvals
                                                                             : s->options);
    } else {
        sens = 1;
        e /= 2;
        mult = 2;
    }
    int rc = dp_plan_laplace(P, e, sens, DP_BINARY);
    if (rc != 0) return rc;
    *eps = P->eps * mult;
    size_t draws = s->type == VOTE_THRESHOLD ? 1 : (size_t)s->options;
    *delta = P->delta * (double)draws * mult;
    return 0;
}

int vote_check_spec(const vote_spec *s, const field *F, int kappa)
{
    if (s->options < 1 || s->options > VOTE_MAX_OPTIONS) return ERR_ARG;
    int need = s->type == VOTE_THRESHOLD ? s_threshold_bits(s) : s_bitlen(s->roll) + 2;
    if (s->dp_eps > 0) {
        dp_plan P;
        double e, d;
        if (vote_dp_cost(s, &P, &e, &d) != 0) return ERR_RANGE;
        need += s_bitlen((uint64_t)P.bound) + 1;
    }
    return need + kappa + 3 <= F->bits && need <= 64 ? 0 : ERR_RANGE;
}

void vote_encode_threshold(fe *out, int choice)
{
    out[0] = choice == 1;
    out[1] = choice == 0;
}

void vote_encode_options(fe *out, int options, const int *chosen, int nchosen)
{
    for (int j = 0; j < options; j++) out[j] = 0;
    for (int i = 0; i < nchosen; i++) out[chosen[i]] = 1;
}

static int s_validate(mpc *M, const vote_spec *s, const fe *rows, size_t count, uint8_t *bad)
{
    const field *F = mpc_field(M);
    size_t m = (size_t)s->options;
    int mx = s->type == VOTE_APPROVAL ? s->max_approvals : 1;
    int rc;
    if (mx == 1) {
        /* at most one choice: entries and their sum are bits (one opening) */
        rc = check_choice(M, rows, count, m, bad);
        if (rc == 0 && !s->abstain) rc = check_sum(M, rows, count, m, 1, bad);
        return rc;
    }
    if ((rc = check_bits(M, rows, count, m, bad)) != 0) return rc;
    if (mx >= s->options && s->abstain) return 0;
    fe *sum = xmalloc(sizeof(fe) * (count ? count : 1));
    for (size_t i = 0; i < count; i++) {
        fe acc = 0;
        for (size_t j = 0; j < m; j++) acc = fe_add(F, acc, rows[i * m + j]);
        /* approvals in [lo, mx]: shift so the check is "in [0, mx - lo]" */
        sum[i] = s->abstain ? acc : fe_sub(F, acc, 1);
    }
    rc = check_at_most(M, sum, count, 1, s->abstain ? mx : mx - 1, bad);
    secmem_free(sum, sizeof(fe) * (count ? count : 1));
    return rc;
}

/* The threshold statistic d = den*Y - num*B - strict (YES iff d >= 0 and Y >= 1),
 * with B the base of the fraction. */
static fe s_threshold_stat(const field *F, const vote_spec *s, const fe *tally, uint64_t cast)
{
    fe Y = tally[0], N = tally[1], B;
    if (s->base == VOTE_BASE_YES_NO) B = fe_add(F, Y, N);
    else if (s->base == VOTE_BASE_CAST) B = (fe)cast;
    else B = (fe)s->roll;
    fe d = fe_sub(F, fe_mul(F, (fe)(uint64_t)s->den, Y), fe_mul(F, (fe)(uint64_t)s->num, B));
    return s->strict ? fe_sub(F, d, 1) : d;
}

/* yes = [d >= 0] * [Y >= 1] (shares). */
static int s_threshold_exact(mpc *M, const vote_spec *s, fe d, fe Y, fe *yes)
{
    const field *F = mpc_field(M);
    fe x[2] = { d, fe_sub(F, Y, 1) }, lt[2], ge[2];
    int rc = cmp_ltz(M, lt, x, 2, s_threshold_bits(s));
    if (rc == 0) {
        ge[0] = fe_sub(F, 1, lt[0]);
        ge[1] = fe_sub(F, 1, lt[1]);
        rc = mpc_mul(M, yes, &ge[0], &ge[1], 1);
    }
    sodium_memzero(x, sizeof x);
    sodium_memzero(lt, sizeof lt);
    sodium_memzero(ge, sizeof ge);
    return rc;
}

/* The noisy decision yes = [d + Z >= 0], Z Laplace noise: only the sign of the
 * noisy statistic (post-processing); the "at least one yes" rule is part of the
 * noise's job here. */
static int s_threshold_dp(mpc *M, const vote_spec *s, fe d, const fe *noise, fe *yes)
{
    const field *F = mpc_field(M);
    dp_plan P;
    double e, dl;
    fe z = noise ? noise[0] : 0, x, lt = 0;
    int rc = vote_dp_cost(s, &P, &e, &dl);
    if (rc == 0 && !noise) rc = dp_laplace(M, &z, 1, &P, NULL);
    if (rc == 0) {
        x = fe_add(F, d, z);
        rc = cmp_ltz(M, &lt, &x, 1, s_threshold_bits(s) + s_bitlen((uint64_t)P.bound) + 1);
        *yes = fe_sub(F, 1, lt);
        sodium_memzero(&x, sizeof x);
    }
    sodium_memzero(&z, sizeof z);
    sodium_memzero(&lt, sizeof lt);
    return rc;
}

static int s_threshold(mpc *M, const vote_spec *s, const fe *tally, const fe *noise,
                       vote_outcome *o)
{
    fe d = s_threshold_stat(mpc_field(M), s, tally, o->cast), yes = 0, pub;
    int rc = s->dp_eps > 0 ? s_threshold_dp(M, s, d, noise, &yes)
                           : s_threshold_exact(M, s, d, tally[0], &yes);
    if (rc == 0) rc = mpc_open(M, &pub, &yes, 1);
    if (rc == 0 && pub > 1) rc = mpc_fail(M, ERR_CHEAT, "opened outcome is not a bit");
    if (rc == 0) o->yes = pub == 1;
    sodium_memzero(&d, sizeof d);
    sodium_memzero(&yes, sizeof yes);
    return rc;
}

/* The decision of opened tallies, exact or noisy (post-processing of what is
 * public anyway): the winner is the lowest option with the highest score; a
 * shared top is a tie unless ties go to the first option. */
static void s_decide(const vote_spec *s, const int64_t *score, vote_outcome *o)
{
    int best = 0, top = 0;
    for (int j = 1; j < s->options; j++)
        if (score[j] > score[best]) best = j;
    for (int j = 0; j < s->options; j++) top += score[j] == score[best];
    o->winner = best;
    o->tie = top > 1 && !s->tie_first;
}

/* dp, reveal_tallies: open tally + Laplace noise per option. */
static int s_open_noisy(mpc *M, const vote_spec *s, const dp_plan *P, const fe *tally,
                        const fe *noise, vote_outcome *o)
{
    const field *F = mpc_field(M);
    size_t m = (size_t)s->options;
    fe z[VOTE_MAX_OPTIONS], noisy[VOTE_MAX_OPTIONS];
    int rc = 0;
    if (noise) memcpy(z, noise, m * sizeof(fe));
    else rc = dp_laplace(M, z, m, P, NULL);
    if (rc == 0) {
        field_vec_add(F, noisy, tally, z, m);
        rc = mpc_open(M, noisy, noisy, m);
    }
    for (size_t j = 0; rc == 0 && j < m; j++)
        if (fe_to_i64(F, noisy[j], &o->noisy[j]) != 0)
            rc = mpc_fail(M, ERR_CHEAT, "opened noisy tally %zu out of range", j);
    sodium_memzero(z, sizeof z);
    if (rc == 0) {
        o->tallies_open = 1;
        s_decide(s, o->noisy, o);
    }
    return rc;
}

/* reveal_tallies without dp: open the exact tallies. */
static int s_open_exact(mpc *M, const vote_spec *s, const fe *tally, vote_outcome *o)
{
    size_t m = (size_t)s->options;
    fe pub[VOTE_MAX_OPTIONS];
    int64_t score[VOTE_MAX_OPTIONS];
    int rc = mpc_open(M, pub, tally, m);
    for (size_t j = 0; rc == 0 && j < m; j++) {
        if (pub[j] > o->cast)
            return mpc_fail(M, ERR_CHEAT, "opened tally %zu exceeds the ballots cast", j);
        o->tallies[j] = (uint64_t)pub[j];
        score[j] = (int64_t)pub[j];
    }
    if (rc == 0) {
        o->tallies_open = 1;
        s_decide(s, score, o);
    }
    return rc;
}

/* Opens whether two or more of the m tallies (bits tb, K per tally) equal the
 * maximum (its bits in mb[0..K), mb has room for m * K): tie = 1 or 0. */
static int s_open_tie(mpc *M, fe *tie, const fe *tb, fe *mb, int m, int K)
{
    const field *F = mpc_field(M);
    fe eq[VOTE_MAX_OPTIONS], cnt = 0, d, lt, ge;
    for (int j = 1; j < m; j++) memcpy(mb + (size_t)j * K, mb, sizeof(fe) * (size_t)K);
    int rc = cmp_eq_bits(M, eq, tb, mb, (size_t)m, K);
    if (rc == 0) {
        for (int j = 0; j < m; j++) cnt = fe_add(F, cnt, eq[j]);
        d = fe_sub(F, cnt, 2);   /* tie iff cnt >= 2 */
        rc = cmp_ltz(M, &lt, &d, 1, s_bitlen((uint64_t)m) + 1);
    }
    if (rc == 0) {
        ge = fe_sub(F, 1, lt);
        rc = mpc_open(M, tie, &ge, 1);
    }
    if (rc == 0 && *tie > 1) rc = mpc_fail(M, ERR_CHEAT, "opened tie flag is not a bit");
    sodium_memzero(eq, sizeof eq);
    return rc;
}

/* The winner-only release: decompose the tallies, tournament (ties to the lowest
 * option); unless a tie goes to the first option, open first whether the top is
 * shared (then nothing else is opened), else the winner's index. */
static int s_open_winner(mpc *M, const vote_spec *s, const fe *tally, vote_outcome *o)
{
    int m = s->options, K = s_bitlen(o->cast) + 1;
    size_t len = (size_t)m * (size_t)K;
    fe *tb = xmalloc(sizeof(fe) * len), *mb = xmalloc(sizeof(fe) * len);
    fe idx = 0, tie = 0, w;
    int rc = bits_dec(M, tb, NULL, tally, (size_t)m, K);
    if (rc == 0) rc = max_argmax(M, NULL, &idx, mb, tb, (size_t)m, K);
    if (rc == 0 && !s->tie_first) rc = s_open_tie(M, &tie, tb, mb, m, K);
    if (rc == 0 && tie == 1) {
        o->tie = 1;
    } else if (rc == 0) {
        rc = mpc_open(M, &w, &idx, 1);
        if (rc == 0 && w >= (fe)m) rc = mpc_fail(M, ERR_CHEAT, "opened winner index out of range");
        if (rc == 0) o->winner = (int)w;
    }
    secmem_free(tb, sizeof(fe) * len);
    secmem_free(mb, sizeof(fe) * len);
    sodium_memzero(&idx, sizeof idx);
    return rc;
}

static int s_choice(mpc *M, const vote_spec *s, const fe *tally, const fe *noise,
                    vote_outcome *o)
{
    if (!(s->dp_eps > 0))
        return s->reveal_tallies ? s_open_exact(M, s, tally, o) : s_open_winner(M, s, tally, o);
    dp_plan P;
    double e, dl;
    int rc = vote_dp_cost(s, &P, &e, &dl);
    if (rc != 0) return mpc_fail(M, rc, "vote: cannot plan the noise for epsilon %g", s->dp_eps);
    if (s->reveal_tallies) return s_open_noisy(M, s, &P, tally, noise, o);
    /* report-noisy-max: a winner, never a tie */
    size_t w = 0, m = (size_t)s->options;
    rc = dp_noisy_max_with(M, &w, NULL, tally, m, s_bitlen(o->cast) + 1, &P, noise,
                           noise ? noise + m : NULL, NULL);
    if (rc == 0) o->winner = (int)w;
    return rc;
}

size_t vote_dp_noise_len(const vote_spec *s)
{
    if (!(s->dp_eps > 0)) return 0;
    if (s->type == VOTE_THRESHOLD) return 1;
    size_t m = (size_t)s->options;
    return s->reveal_tallies ? m : m + m * DP_TIE_BITS;
}

int vote_dp_noise(mpc *M, const vote_spec *s, fe *noise, size_t len)
{
    dp_plan P;
    double e, dl;
    size_t m = s->type == VOTE_THRESHOLD ? 1 : (size_t)s->options;
    if (len != vote_dp_noise_len(s) || len == 0)
        return mpc_fail(M, ERR_ARG, "vote_dp_noise: %zu elements for a release of %zu", len,
                        vote_dp_noise_len(s));
    int rc = vote_dp_cost(s, &P, &e, &dl);
    if (rc != 0) return mpc_fail(M, rc, "vote: cannot plan the noise for epsilon %g", s->dp_eps);
    rc = dp_laplace(M, noise, m, &P, NULL);
    if (rc == 0 && len > m) rc = bits_rand(M, noise + m, len - m);   /* noisy max's tie bits */
    return rc;
}

int vote_run(mpc *M, const vote_spec *s, const fe *rows, size_t count, uint8_t *excluded,
             vote_outcome *out)
{
    return vote_run_noise(M, s, rows, count, excluded, NULL, out);
}

int vote_run_noise(mpc *M, const vote_spec *s, const fe *rows, size_t count, uint8_t *excluded,
                   const fe *noise, vote_outcome *out)
{
    const field *F = mpc_field(M);
    size_t m = (size_t)s->options;
    memset(out, 0, sizeof *out);
    if (s->options < 1 || s->options > VOTE_MAX_OPTIONS || (s->type != VOTE_THRESHOLD &&
        s->type != VOTE_PLURALITY && s->type != VOTE_APPROVAL) ||
        (s->type == VOTE_THRESHOLD && s->options != 2))
        return mpc_fail(M, ERR_ARG, "vote_run: bad spec (type %d, %d options)", s->type, s->options);
    int rc = s_validate(M, s, rows, count, excluded);
    if (rc != 0) return rc;
    fe tally[VOTE_MAX_OPTIONS] = { 0 };
    for (size_t i = 0; i < count; i++) {
        if (excluded[i]) continue;
        out->cast++;
        for (size_t j = 0; j < m; j++) tally[j] = fe_add(F, tally[j], rows[i * m + j]);
    }
    out->quorum_met = out->cast >= s->quorum;
    if (s->type == VOTE_THRESHOLD) {
        /* below the quorum (public: the cast count is) the motion fails unopened */
        if (out->quorum_met && out->cast > 0) rc = s_threshold(M, s, tally, noise, out);
    } else {
        rc = s_choice(M, s, tally, noise, out);
    }
    sodium_memzero(tally, sizeof tally);
    return rc;
}
