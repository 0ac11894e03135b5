/* vote_mpc: ballot validity, tallies and the declared opening of an election. */
#include "protocols/vote_mpc.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
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

/* prod_{j=0..mx} (s - j) == 0 iff 0 <= s <= mx: a log-depth product tree,
 * batched over all ballots, then the zero test of check_sum. */
static int s_check_at_most(mpc *M, const fe *sum, size_t count, int mx, uint8_t *bad)
{
    const field *F = M->F;
    size_t w = (size_t)mx + 1, c1 = count ? count : 1;
    fe *f = malloc(sizeof(fe) * c1 * w);
    if (!f) return ERR_NOMEM;
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < w; j++) f[i * w + j] = fe_sub(F, sum[i], (fe)j);
    int rc = 0;
    while (w > 1 && rc == 0) {
        size_t half = w / 2, nw = w - half;
        fe *a = malloc(sizeof(fe) * c1 * half), *b = malloc(sizeof(fe) * c1 * half);
        if (!a || !b) {
            free(a);
            free(b);
            rc = ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < count; i++)
            for (size_t j = 0; j < half; j++) {
                a[i * half + j] = f[i * w + 2 * j];
                b[i * half + j] = f[i * w + 2 * j + 1];
            }
        rc = mpc_mul(M, a, a, b, count * half);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            fe *row = f + i * nw;
            fe odd = (w & 1) ? f[i * w + w - 1] : 0;
            for (size_t j = 0; j < half; j++) row[j] = a[i * half + j];
            if (w & 1) row[half] = odd;
        }
        sodium_memzero(a, sizeof(fe) * c1 * half);
        sodium_memzero(b, sizeof(fe) * c1 * half);
        free(a);
        free(b);
        w = nw;
    }
    if (rc == 0) rc = check_sum(M, f, count, 1, 0, bad);
    sodium_memzero(f, sizeof(fe) * c1 * ((size_t)mx + 1));
    free(f);
    return rc;
}

static int s_validate(mpc *M, const vote_spec *s, const fe *rows, size_t count, uint8_t *bad)
{
    const field *F = M->F;
    size_t m = (size_t)s->options, c1 = count ? count : 1;
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
    fe *sum = malloc(sizeof(fe) * c1);
    if (!sum) return ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        fe acc = 0;
        for (size_t j = 0; j < m; j++) acc = fe_add(F, acc, rows[i * m + j]);
        /* approvals in [lo, mx]: shift so the check is "in [0, mx - lo]" */
        sum[i] = s->abstain ? acc : fe_sub(F, acc, 1);
    }
    rc = s_check_at_most(M, sum, count, s->abstain ? mx : mx - 1, bad);
    sodium_memzero(sum, sizeof(fe) * c1);
    free(sum);
    return rc;
}

static int s_threshold(mpc *M, const vote_spec *s, const fe *tally, vote_outcome *o)
{
    const field *F = M->F;
    fe Y = tally[0], N = tally[1], B;
    if (s->base == VOTE_BASE_YES_NO) B = fe_add(F, Y, N);
    else if (s->base == VOTE_BASE_CAST) B = (fe)o->cast;
    else B = (fe)s->roll;
    /* d = den*Y - num*B - strict; YES iff d >= 0 and Y >= 1 */
    fe d = fe_sub(F, fe_mul(F, (fe)(uint64_t)s->den, Y), fe_mul(F, (fe)(uint64_t)s->num, B));
    if (s->strict) d = fe_sub(F, d, 1);
    fe x[2] = { d, fe_sub(F, Y, 1) }, lt[2], ge[2], yes, pub;
    int K = s_threshold_bits(s), rc;
    if (s->dp_eps > 0) {
        /* noisy decision: only the sign of d + Laplace noise (post-processing);
         * the "at least one yes" rule is part of the noise's job here */
        dp_plan P;
        double e, dl;
        fe z;
        if ((rc = vote_dp_cost(s, &P, &e, &dl)) != 0) return rc;
        if ((rc = dp_laplace(M, &z, 1, &P, NULL)) != 0) return rc;
        x[0] = fe_add(F, x[0], z);
        K += s_bitlen((uint64_t)P.bound) + 1;
        if ((rc = cmp_ltz(M, lt, x, 1, K)) != 0) return rc;
        yes = fe_sub(F, 1, lt[0]);
        sodium_memzero(&z, sizeof z);
    } else {
        if ((rc = cmp_ltz(M, lt, x, 2, K)) != 0) return rc;
        ge[0] = fe_sub(F, 1, lt[0]);
        ge[1] = fe_sub(F, 1, lt[1]);
        if ((rc = mpc_mul(M, &yes, &ge[0], &ge[1], 1)) != 0) return rc;
    }
    if ((rc = mpc_open(M, &pub, &yes, 1)) != 0) return rc;
    if (pub > 1) {
        snprintf(M->err, sizeof M->err, "opened outcome is not a bit");
        return ERR_CHEAT;
    }
    o->yes = pub == 1;
    sodium_memzero(x, sizeof x);
    sodium_memzero(&d, sizeof d);
    return 0;
}

static int s_choice(mpc *M, const vote_spec *s, const fe *tally, vote_outcome *o)
{
    const field *F = M->F;
    int m = s->options, rc;
    fe pub[VOTE_MAX_OPTIONS];
    if (s->dp_eps > 0) {
        dp_plan P;
        double e, dl;
        if ((rc = vote_dp_cost(s, &P, &e, &dl)) != 0) return rc;
        if (s->reveal_tallies) {
            fe z[VOTE_MAX_OPTIONS], noisy[VOTE_MAX_OPTIONS];
            if ((rc = dp_laplace(M, z, (size_t)m, &P, NULL)) != 0) return rc;
            field_vec_add(F, noisy, tally, z, (size_t)m);
            sodium_memzero(z, sizeof z);
            if ((rc = mpc_open(M, pub, noisy, (size_t)m)) != 0) return rc;
            for (int j = 0; j < m; j++)
                if (fe_to_i64(F, pub[j], &o->noisy[j]) != 0) {
                    snprintf(M->err, sizeof M->err, "opened noisy tally out of range");
                    return ERR_CHEAT;
                }
            o->tallies_open = 1;
            return 0;
        }
        size_t w = 0;
        rc = dp_noisy_max(M, &w, NULL, tally, (size_t)m, s_bitlen(o->cast) + 1, &P, NULL);
        if (rc == 0) o->winner = (int)w;
        return rc;
    }
    if (s->reveal_tallies) {
        if ((rc = mpc_open(M, pub, tally, (size_t)m)) != 0) return rc;
        int best = 0, ties = 0;
        for (int j = 0; j < m; j++) {
            if (pub[j] > o->cast) {
                snprintf(M->err, sizeof M->err, "opened tally exceeds the ballots cast");
                return ERR_CHEAT;
            }
            o->tallies[j] = (uint64_t)pub[j];
            if (pub[j] > pub[best]) best = j;
        }
        for (int j = 0; j < m; j++) ties += pub[j] == pub[best];
        o->tallies_open = 1;
        o->winner = best;
        o->tie = ties > 1 && !s->tie_first;
        return 0;
    }
    /* winner only: decompose the tallies, tournament, count how many equal the max */
    int K = s_bitlen(o->cast) + 1;
    fe *tb = malloc(sizeof(fe) * (size_t)m * (size_t)K);
    fe *mb = malloc(sizeof(fe) * (size_t)m * (size_t)K);
    fe eq[VOTE_MAX_OPTIONS], mx, idx, cnt = 0, lt, open2[2];
    if (!tb || !mb) {
        free(tb);
        free(mb);
        return ERR_NOMEM;
    }
    rc = bits_dec(M, tb, NULL, tally, (size_t)m, K);
    if (rc == 0) rc = max_argmax(M, &mx, &idx, mb, tb, (size_t)m, K);
    for (int j = 1; rc == 0 && j < m; j++) memcpy(mb + (size_t)j * K, mb, sizeof(fe) * (size_t)K);
    if (rc == 0 && !s->tie_first) rc = cmp_eq_bits(M, eq, tb, mb, (size_t)m, K);
    size_t no = 0;
    if (rc == 0 && !s->tie_first) {
        for (int j = 0; j < m; j++) cnt = fe_add(F, cnt, eq[j]);
        fe d = fe_sub(F, cnt, 2);   /* tie iff cnt >= 2 */
        rc = cmp_ltz(M, &lt, &d, 1, s_bitlen((uint64_t)m) + 1);
        open2[no++] = fe_sub(F, 1, lt);
    }
    if (rc == 0) {
        fe tie = 0;
        if (no) rc = mpc_open(M, &tie, open2, 1);
        if (rc == 0 && tie > 1) {
            snprintf(M->err, sizeof M->err, "opened tie flag is not a bit");
            rc = ERR_CHEAT;
        }
        if (rc == 0 && tie == 1) {
            o->tie = 1;
        } else if (rc == 0) {
            fe w;
            rc = mpc_open(M, &w, &idx, 1);
            if (rc == 0 && w >= (fe)m) {
                snprintf(M->err, sizeof M->err, "opened winner index out of range");
                rc = ERR_CHEAT;
            }
            if (rc == 0) o->winner = (int)w;
        }
    }
    sodium_memzero(tb, sizeof(fe) * (size_t)m * (size_t)K);
    sodium_memzero(mb, sizeof(fe) * (size_t)m * (size_t)K);
    free(tb);
    free(mb);
    return rc;
}

int vote_run(mpc *M, const vote_spec *s, const fe *rows, size_t count, uint8_t *excluded,
             vote_outcome *out)
{
    const field *F = M->F;
    size_t m = (size_t)s->options;
    memset(out, 0, sizeof *out);
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
        if (out->quorum_met && out->cast > 0) rc = s_threshold(M, s, tally, out);
    } else {
        rc = s_choice(M, s, tally, out);
    }
    sodium_memzero(tally, sizeof tally);
    return rc;
}
