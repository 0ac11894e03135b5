/* vote: departmental votes and referendums that reveal only the declared
 * outcome. Rules and CLI only; the MPC lives in protocols/vote_mpc. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include <sodium.h>

#include "app/app.h"
#include "app/ctx.h"
#include "common/log.h"
#include "common/secmem.h"
#include "protocols/dp.h"
#include "protocols/dp_release.h"
#include "protocols/vote_mpc.h"

typedef struct rules {
    vote_spec s;
    const char **names;   /* option names (borrowed from the defn) */
    double dp_budget;     /* total epsilon this election may ever release */
} rules;

/* A positive decimal epsilon from a rules string ("0.5"); 0 when absent. */
static int s_rule_eps(const defn *d, const char *key, double *out, char *err, size_t errlen)
{
    const char *txt;
    int rc = defn_rule_str(d, key, "", &txt, err, errlen);
    if (rc) return rc;
    *out = 0;
    if (!txt[0]) return 0;
    char *end;
    errno = 0;
    double v = strtod(txt, &end);
    if (errno || end == txt || *end || !(v > 0) || v > 40) {
        snprintf(err, errlen, "rules.%s: expected a number in (0, 40], e.g. \"0.5\" (epsilon must be positive)", key);
        return ERR_PARSE;
    }
    *out = v;
    return 0;
}

static int s_err(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return ERR_PARSE;
}

static int s_rules_load(void **out, const defn *d, char *err, size_t errlen)
{
    static const char *const allowed[] = { "type", "threshold", "strict", "quorum", "abstain",
                                           "base", "options", "reveal", "tie",
                                           "max_approvals", "dp_epsilon", "dp_budget", NULL };
    rules *r = calloc(1, sizeof *r);
    if (!r) return ERR_NOMEM;
    vote_spec *s = &r->s;
    const char *type, *base, *reveal, *tie;
    size_t nopt = 0;
    int64_t quorum = 0, maxa = 0;
    int rc = defn_rules_check_keys(d, allowed, err, errlen);
    if (!rc) rc = defn_rule_str(d, "type", "threshold", &type, err, errlen);
    if (!rc) {
        if (strcmp(type, "threshold") == 0) s->type = VOTE_THRESHOLD;
        else if (strcmp(type, "plurality") == 0) s->type = VOTE_PLURALITY;
        else if (strcmp(type, "approval") == 0) s->type = VOTE_APPROVAL;
        else rc = s_err(err, errlen, "rules.type: expected \"threshold\", \"plurality\" or \"approval\"");
    }
    s->roll = defn_roll_size(d);
    if (!rc) rc = s_rule_eps(d, "dp_epsilon", &s->dp_eps, err, errlen);
    if (!rc) rc = s_rule_eps(d, "dp_budget", &r->dp_budget, err, errlen);
    if (!rc && r->dp_budget > 0 && !(s->dp_eps > 0))
        rc = s_err(err, errlen, "rules.dp_budget: set dp_epsilon too (the epsilon of this release)");
    if (!rc && s->dp_eps > 0 && r->dp_budget == 0) r->dp_budget = s->dp_eps;
    if (!rc && s->dp_eps > r->dp_budget)
        rc = s_err(err, errlen, "rules.dp_epsilon: larger than rules.dp_budget; the release would be refused");
    if (!rc) rc = defn_rule_bool(d, "abstain", 1, &s->abstain, err, errlen);
    if (!rc) rc = defn_rule_int(d, "quorum", 0, 0, (int64_t)s->roll, &quorum, err, errlen);
    s->quorum = (uint64_t)quorum;
    if (!rc && s->type == VOTE_THRESHOLD) {
        static const char *const yn[] = { "yes", "no" };
        s->options = 2;
        r->names = (const char **)yn;
        if (json_object_get(defn_rules(d), "options") || json_object_get(defn_rules(d), "reveal") ||
            json_object_get(defn_rules(d), "tie") || json_object_get(defn_rules(d), "max_approvals"))
            rc = s_err(err, errlen, "rules: a threshold vote takes no options, reveal, tie or "
                                    "max_approvals (it reveals only YES or NO)");
        if (!rc) rc = defn_rule_rational(d, "threshold", 1, 2, &s->num, &s->den, err, errlen);
        if (!rc) rc = defn_rule_bool(d, "strict", 0, &s->strict, err, errlen);
        if (!rc) rc = defn_rule_str(d, "base", "yes_no", &base, err, errlen);
        if (!rc) {
            if (strcmp(base, "yes_no") == 0) s->base = VOTE_BASE_YES_NO;
            else if (strcmp(base, "cast") == 0) s->base = VOTE_BASE_CAST;
            else if (strcmp(base, "roll") == 0) s->base = VOTE_BASE_ROLL;
            else rc = s_err(err, errlen, "rules.base: expected \"yes_no\", \"cast\" or \"roll\"");
        }
    } else if (!rc) {
        if (json_object_get(defn_rules(d), "threshold") || json_object_get(defn_rules(d), "strict") ||
            json_object_get(defn_rules(d), "base"))
            rc = s_err(err, errlen, "rules: threshold, strict and base apply to threshold votes only");
        if (!rc) rc = defn_rule_strlist(d, "options", 2, VOTE_MAX_OPTIONS, &r->names, &nopt, err, errlen);
        s->options = (int)nopt;
        for (size_t i = 0; !rc && i < nopt; i++)
            if (strchr(r->names[i], ',') || strchr(r->names[i], ' ') ||
                strcasecmp(r->names[i], "blank") == 0 || strcasecmp(r->names[i], "tie") == 0)
                rc = s_err(err, errlen, "rules.options: names may not contain ',' or ' ' or be \"blank\" or \"tie\"");
        if (!rc) rc = defn_rule_str(d, "reveal", "winner", &reveal, err, errlen);
        if (!rc) {
            if (strcmp(reveal, "tallies") == 0 && s->dp_eps > 0)
                rc = s_err(err, errlen, "rules.reveal: exact tallies cannot be released with "
                                        "dp_epsilon; use \"noisy_tallies\" or drop dp_epsilon");
            else if (strcmp(reveal, "noisy_tallies") == 0 && !(s->dp_eps > 0))
                rc = s_err(err, errlen, "rules.reveal: noisy_tallies needs dp_epsilon");
            else if (strcmp(reveal, "tallies") == 0 || strcmp(reveal, "noisy_tallies") == 0)
                s->reveal_tallies = 1;
            else if (strcmp(reveal, "winner") != 0)
                rc = s_err(err, errlen, "rules.reveal: expected \"winner\", \"tallies\" or \"noisy_tallies\"");
        }
        if (!rc) rc = defn_rule_str(d, "tie", "report", &tie, err, errlen);
        if (!rc) {
            if (strcmp(tie, "first") == 0) s->tie_first = 1;
            else if (strcmp(tie, "report") != 0)
                rc = s_err(err, errlen, "rules.tie: expected \"report\" (reveal \"tie\") or \"first\" (lowest option wins)");
        }
        if (!rc) rc = defn_rule_int(d, "max_approvals", s->type == VOTE_APPROVAL ? (int64_t)nopt : 1,
                                    1, (int64_t)nopt, &maxa, err, errlen);
        if (!rc && s->type == VOTE_PLURALITY && maxa != 1)
            rc = s_err(err, errlen, "rules.max_approvals: plurality ballots choose one option");
        s->max_approvals = (int)maxa;
    }
    if (!rc && s->dp_eps > 0) {
        dp_plan P;
        double e, dl;
        if (vote_dp_cost(s, &P, &e, &dl) != 0)
            rc = s_err(err, errlen, "rules.dp_epsilon: too small for the noise sampler");
    }
    if (!rc && vote_check_spec(s, defn_field(d), defn_kappa(d)) != 0)
        rc = s_err(err, errlen, "rules: threshold fraction and roll too large for the field; name a larger prime");
    if (rc) {
        if (s->type != VOTE_THRESHOLD) free(r->names);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static void s_rules_free(void **p)
{
    rules *r = *p;
    if (r && r->s.type != VOTE_THRESHOLD) free(r->names);
    free(r);
    *p = NULL;
}

static uint32_t s_input_len(const void *rp)
{
    return (uint32_t)((const rules *)rp)->s.options;
}

static int s_option(const rules *r, const char *name, size_t len)
{
    for (int j = 0; j < r->s.options; j++)
        if (strlen(r->names[j]) == len && strncmp(r->names[j], name, len) == 0) return j;
    return -1;
}

static int s_input_encode(const void *rp, const defn *d, const char *text, int raw, fe *out,
                          char *err, size_t errlen)
{
    const rules *r = rp;
    const vote_spec *s = &r->s;
    int m = s->options;
    if (raw) {
        const char *p = text;
        for (int j = 0; j < m; j++) {
            char *end;
            errno = 0;
            long long v = strtoll(p, &end, 10);
            if (errno || end == p || (j < m - 1 ? *end != ',' : *end != 0)) {
                snprintf(err, errlen, "raw ballot \"%s\": expected %d comma-separated integers", text, m);
                return ERR_PARSE;
            }
            out[j] = fe_from_i64(defn_field(d), v);
            p = end + 1;
        }
        return 0;
    }
    int blank = strcasecmp(text, "blank") == 0;
    if (blank && !s->abstain) {
        snprintf(err, errlen, "blank ballots are not allowed in this vote");
        return ERR_RANGE;
    }
    if (s->type == VOTE_THRESHOLD) {
        int c = blank ? -1 : strcasecmp(text, "yes") == 0 ? 1 : strcasecmp(text, "no") == 0 ? 0 : -2;
        if (c == -2) {
            snprintf(err, errlen, "ballot \"%s\": expected yes, no%s", text, s->abstain ? " or blank" : "");
            return ERR_PARSE;
        }
        vote_encode_threshold(out, c);
        return 0;
    }
    int chosen[VOTE_MAX_OPTIONS], nc = 0;
    if (!blank) {
        const char *p = text;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            int j = s_option(r, p, len);
            if (j < 0) {
                snprintf(err, errlen, "ballot \"%s\": \"%.*s\" is not an option", text, (int)len, p);
                return ERR_PARSE;
            }
            for (int i = 0; i < nc; i++)
                if (chosen[i] == j) {
                    snprintf(err, errlen, "ballot \"%s\": option \"%s\" listed twice", text, r->names[j]);
                    return ERR_PARSE;
                }
            if (nc == s->max_approvals) {
                snprintf(err, errlen, "ballot \"%s\": at most %d choice%s", text, s->max_approvals,
                         s->max_approvals == 1 ? "" : "s");
                return ERR_RANGE;
            }
            chosen[nc++] = j;
            if (!comma) break;
            p = comma + 1;
        }
    }
    vote_encode_options(out, m, chosen, nc);
    return 0;
}

/* A real rounded to sig significant digits, so the signed text stays short. */
static json_t *s_real(double v, int sig)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*g", sig, v);
    return json_real(strtod(buf, NULL));
}

/* The public parameters a release is bound to (dp_release.h): the mechanism,
 * epsilon, sensitivity and every rule that shapes what is opened. */
static void s_dp_params(const rules *r, const dp_plan *P, char *out, size_t len)
{
    const vote_spec *s = &r->s;
    snprintf(out, len,
             "vote discrete_laplace method %d epsilon %.17g planned %.17g sensitivity %lld "
             "type %d options %d abstain %d max_approvals %d threshold %lld/%lld strict %d "
             "base %d quorum %llu roll %llu reveal_tallies %d tie_first %d",
             P->method, s->dp_eps, P->eps, (long long)P->sensitivity, s->type, s->options,
             s->abstain, s->max_approvals, (long long)s->num, (long long)s->den, s->strict,
             s->base, (unsigned long long)s->quorum, (unsigned long long)s->roll,
             s->reveal_tallies, s->tie_first);
}

static int s_dp_draw(mpc *M, fe *out, size_t len, void *arg)
{
    return vote_dp_noise(M, arg, out, len);
}

/* The release's noise, stored and confirmed by every server (a rerun after a
 * crash reuses it), and the ledger charged once per release, all before
 * anything noisy opens; *dp describes it for the signed result. */
static int s_dp_release(const rules *r, const defn *d, const char *data_dir, mpc *M,
                        const fe *rows, size_t count, uint32_t m, const uint32_t *roll,
                        const uint8_t *excluded, fe *noise, size_t len, json_t **dp, char *err,
                        size_t errlen)
{
    dp_plan P;
    double eps, delta;
    char params[512], pub[65];
    int rc = vote_dp_cost(&r->s, &P, &eps, &delta);
    if (rc != 0) {
        snprintf(err, errlen, "dp: cannot plan the noise for epsilon %g", r->s.dp_eps);
        return rc;
    }
    s_dp_params(r, &P, params, sizeof params);
    dp_release R;
    dp_release_id(&R, defn_field(d), defn_sid(d), params, roll, excluded, count, rows, m);
    dp_release_cfg C = { .dir = data_dir, .eps = eps, .delta = delta, .budget = r->dp_budget,
                         .draw = s_dp_draw, .draw_arg = (void *)&r->s, .stage = app_failpoint };
    dp_release_info info;
    if ((rc = dp_release_noise(M, &C, &R, noise, len, &info, err, errlen)) != 0) return rc;
    sodium_bin2hex(pub, sizeof pub, R.pub, 32);
    if (info.reused)   /* the public id: R.name derives from this server's shares */
        log_msg(LOG_INFO, "dp: rerun of release %.16s: reusing its stored noise (generation %llu, "
                          "no new spend)", pub, (unsigned long long)info.gen);
    *dp = json_object();
    json_object_set_new(*dp, "mechanism", json_string("discrete_laplace"));
    json_object_set_new(*dp, "epsilon", s_real(eps, 6));
    json_object_set_new(*dp, "delta", s_real(delta, 3));
    json_object_set_new(*dp, "sensitivity", json_integer((json_int_t)P.sensitivity));
    json_object_set_new(*dp, "neighbours", json_string("replace_one_ballot"));
    json_object_set_new(*dp, "spent", s_real(info.spent, 6));
    json_object_set_new(*dp, "budget", s_real(r->dp_budget, 6));
    json_object_set_new(*dp, "release", json_string(pub));
    return 0;
}

static json_t *s_output(const rules *r, const vote_outcome *o)
{
    json_t *res = json_object();
    if (r->s.type == VOTE_THRESHOLD) {
        json_object_set_new(res, "outcome", json_string(o->yes ? "YES" : "NO"));
        json_object_set_new(res, "cast", json_integer((json_int_t)o->cast));
        json_object_set_new(res, "quorum_met", json_boolean(o->quorum_met));
        return res;
    }
    json_object_set_new(res, "outcome", json_string(o->tie ? "tie" : r->names[o->winner]));
    json_object_set_new(res, "cast", json_integer((json_int_t)o->cast));
    if (o->tallies_open) {
        json_t *tal = json_object();
        for (int j = 0; j < r->s.options; j++)
            json_object_set_new(tal, r->names[j],
                                json_integer(r->s.dp_eps > 0 ? (json_int_t)o->noisy[j]
                                                             : (json_int_t)o->tallies[j]));
        json_object_set_new(res, "tallies", tal);
    }
    return res;
}

static int s_compute(const void *rp, const defn *d, const char *data_dir, mpc *M,
                     const fe *rows, size_t count, uint32_t m, const uint32_t *roll,
                     uint8_t *excluded, json_t **out, char *err, size_t errlen)
{
    const rules *r = rp;
    vote_outcome o;
    json_t *dp = NULL;
    size_t len = vote_dp_noise_len(&r->s);
    fe *noise = len ? calloc(len, sizeof(fe)) : NULL;
    int rc = 0;
    if (len && !noise) return ERR_NOMEM;
    if (len) rc = s_dp_release(r, d, data_dir, M, rows, count, m, roll, excluded, noise, len,
                               &dp, err, errlen);
    if (rc == 0) {
        rc = vote_run_noise(M, &r->s, rows, count, excluded, noise, &o);
        if (rc != 0) snprintf(err, errlen, "%s", mpc_errmsg(M));
    }
    if (noise) secmem_free(noise, len * sizeof(fe));
    if (rc != 0) {
        json_decref(dp);
        return rc;
    }
    *out = s_output(r, &o);
    if (dp) json_object_set_new(*out, "dp", dp);
    return 0;
}

static const char *const s_flags[] = { "--rule", "--threshold", "--strict", "--quorum",
                                       "--options", "--reveal", "--base", "--no-abstain",
                                       "--tie", "--max-approvals", "--dp-epsilon",
                                       "--dp-budget", NULL };
static const char *const s_bool_flags[] = { "--strict", "--no-abstain", NULL };

static int s_runlocal_rules(const char *const *flag, const char *const *value, size_t count,
                            int bits, json_t **out, char *err, size_t errlen)
{
    const char *rule = "threshold", *threshold = NULL, *options = NULL, *reveal = NULL,
               *base = NULL, *tie = NULL, *quorum = NULL, *maxa = NULL, *dpe = NULL,
               *dpb = NULL;
    int strict = 0, no_abstain = 0;
    (void)bits;
    for (size_t i = 0; i < count; i++) {
        const char *f = flag[i], *v = value[i];
        if (!strcmp(f, "--rule")) rule = v;
        else if (!strcmp(f, "--threshold")) threshold = v;
        else if (!strcmp(f, "--strict")) strict = 1;
        else if (!strcmp(f, "--quorum")) quorum = v;
        else if (!strcmp(f, "--options")) options = v;
        else if (!strcmp(f, "--reveal")) reveal = v;
        else if (!strcmp(f, "--base")) base = v;
        else if (!strcmp(f, "--no-abstain")) no_abstain = 1;
        else if (!strcmp(f, "--tie")) tie = v;
        else if (!strcmp(f, "--max-approvals")) maxa = v;
        else if (!strcmp(f, "--dp-epsilon")) dpe = v;
        else if (!strcmp(f, "--dp-budget")) dpb = v;
    }
    json_t *o = json_object();
    int thr = !strcmp(rule, "threshold");
    if (!thr && strcmp(rule, "plurality") && strcmp(rule, "approval")) {
        snprintf(err, errlen, "--rule: expected threshold, plurality or approval");
        goto bad;
    }
    json_object_set_new(o, "type", json_string(rule));
    if (dpe) json_object_set_new(o, "dp_epsilon", json_string(dpe));
    if (dpb) json_object_set_new(o, "dp_budget", json_string(dpb));
    if (no_abstain) json_object_set_new(o, "abstain", json_false());
    if (quorum) {
        char *end;
        errno = 0;
        long long q = strtoll(quorum, &end, 10);
        if (errno || end == quorum || *end || q < 0) {
            snprintf(err, errlen, "--quorum: expected a whole number >= 0");
            goto bad;
        }
        json_object_set_new(o, "quorum", json_integer(q));
    }
    if (thr) {
        if (options || reveal || tie || maxa) {
            snprintf(err, errlen, "--options, --reveal, --tie and --max-approvals need --rule "
                                  "plurality or approval (a threshold vote reveals only YES or NO)");
            goto bad;
        }
        json_object_set_new(o, "threshold", json_string(threshold ? threshold : "1/2"));
        if (strict) json_object_set_new(o, "strict", json_true());
        if (base) json_object_set_new(o, "base", json_string(base));
    } else {
        if (threshold || strict || base) {
            snprintf(err, errlen, "--threshold, --strict and --base need --rule threshold");
            goto bad;
        }
        if (!options) {
            snprintf(err, errlen, "--rule %s needs --options a,b,...", rule);
            goto bad;
        }
        json_t *arr = json_array();
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", options);
        char *save = NULL;
        for (char *tk = strtok_r(buf, ",", &save); tk; tk = strtok_r(NULL, ",", &save))
            json_array_append_new(arr, json_string(tk));
        json_object_set_new(o, "options", arr);
        if (reveal) json_object_set_new(o, "reveal", json_string(reveal));
        if (tie) json_object_set_new(o, "tie", json_string(tie));
        if (maxa) {
            char *end;
            long long v = strtoll(maxa, &end, 10);
            if (end == maxa || *end || v < 1) {
                snprintf(err, errlen, "--max-approvals: expected a whole number >= 1");
                goto bad;
            }
            json_object_set_new(o, "max_approvals", json_integer(v));
        }
    }
    *out = o;
    return 0;
bad:
    json_decref(o);
    return ERR_ARG;
}

static void s_print_human(const json_t *o, FILE *f)
{
    const char *oc = json_string_value(json_object_get(o, "outcome"));
    json_t *tal = json_object_get(o, "tallies"), *qm = json_object_get(o, "quorum_met");
    if (oc && !strcmp(oc, "tie")) fprintf(f, "outcome: tie\n");
    else fprintf(f, "outcome: %s\n", oc ? oc : "?");
    if (qm && !json_is_true(qm)) fprintf(f, "quorum not met\n");
    json_t *dp = json_object_get(o, "dp");
    if (dp)
        fprintf(f, "differentially private release: epsilon %g, delta %.3g (budget spent %g of %g)%s\n",
                json_number_value(json_object_get(dp, "epsilon")),
                json_number_value(json_object_get(dp, "delta")),
                json_number_value(json_object_get(dp, "spent")),
                json_number_value(json_object_get(dp, "budget")), tal ? "; tallies are noisy" : "");
    if (tal) {
        const char *k;
        json_t *v;
        json_object_foreach(tal, k, v) fprintf(f, "  %s: %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(v));
    }
    fprintf(f, "ballots cast %" JSON_INTEGER_FORMAT " (accepted %" JSON_INTEGER_FORMAT
               ", excluded %" JSON_INTEGER_FORMAT ")\n",
            json_integer_value(json_object_get(o, "cast")),
            json_integer_value(json_object_get(o, "accepted")),
            json_integer_value(json_object_get(o, "excluded")));
}

/* The rules in words for `info` (defaults applied: what the servers run). */
static void s_describe(const void *rp, const defn *d, char *out, size_t len)
{
    const rules *r = rp;
    const vote_spec *s = &r->s;
    size_t p = 0;
#define S_ADD(...) (p += (size_t)snprintf(out + p, p < len ? len - p : 0, __VA_ARGS__), p = p < len ? p : len)
    if (s->type == VOTE_THRESHOLD) {
        static const char *const base[] = { [VOTE_BASE_YES_NO] = "yes and no ballots",
                                            [VOTE_BASE_CAST] = "ballots cast (blank included)",
                                            [VOTE_BASE_ROLL] = "voters on the roll" };
        S_ADD("threshold vote: YES if yes %s %lld/%lld of the %s", s->strict ? ">" : ">=",
              (long long)s->num, (long long)s->den, base[s->base]);
        if (s->base == VOTE_BASE_ROLL) S_ADD(" (%zu)", defn_roll_size(d));
        S_ADD(" and at least one yes, else NO; reveals only YES or NO and the number of ballots "
              "cast, never the tally");
    } else {
        S_ADD("%s vote over", s->type == VOTE_PLURALITY ? "plurality" : "approval");
        for (int j = 0; j < s->options; j++) S_ADD("%s %s", j ? "," : "", r->names[j]);
        if (s->type == VOTE_APPROVAL) S_ADD("; up to %d choice%s a ballot", s->max_approvals,
                                            s->max_approvals == 1 ? "" : "s");
        else S_ADD("; one choice a ballot");
        if (s->reveal_tallies) S_ADD("; reveals every %stally", s->dp_eps > 0 ? "noisy " : "");
        else S_ADD("; reveals the winner only");
        S_ADD(s->tie_first ? " (a tie goes to the earliest option)"
                           : " (a tie is reported as \"tie\" and nothing more)");
    }
    S_ADD("; blank ballots %s", s->abstain ? "allowed" : "refused");
    if (s->quorum) S_ADD("; fails below a quorum of %llu ballots cast", (unsigned long long)s->quorum);
    if (s->dp_eps > 0)
        S_ADD("; differentially private (epsilon %g of a budget of %g)", s->dp_eps, r->dp_budget);
#undef S_ADD
}

static const app_ops s_ops = {
    .name = "vote",
    .kind = DEFN_VOTE,
    .verb = "cast",
    .noun = "voter",
    .inputs_flag = "--ballots",
    .rules_load = s_rules_load,
    .rules_free = s_rules_free,
    .input_len = s_input_len,
    .input_encode = s_input_encode,
    .compute = s_compute,
    .flags = s_flags,
    .bool_flags = s_bool_flags,
    .runlocal_rules = s_runlocal_rules,
    .describe_rules = s_describe,
    .print_human = s_print_human,
};

int main(int argc, char **argv)
{
    return app_main(&s_ops, argc, argv);
}
