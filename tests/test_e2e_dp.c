/* End-to-end differential privacy of the vote (issue 8, docs/dp.md): releases
 * carry their epsilon and delta in the signed result, the per-election budget
 * refuses a release past it, and bad DP requests are refused before anything
 * starts. Real processes, real sockets. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/e2e.h"

TestSuite(e2e_dp, .init = e2e_setup, .fini = e2e_cleanup, .timeout = 90);

static char *s_ballots(int yes, int no)
{
    size_t cap = (size_t)(yes + no) * 4 + 1;
    char *t = calloc(cap, 1);
    for (int i = 0; i < yes; i++) strcat(t, "yes\n");
    for (int i = 0; i < no; i++) strcat(t, "no\n");
    return t;
}

static void s_check_dp(const json_t *o, double eps)
{
    cr_assert(e2e_jhas(o, "dp"), "the result states its privacy parameters");
    const json_t *dp = json_object_get(o, "dp");
    double e = json_number_value(json_object_get(dp, "epsilon"));
    double d = json_number_value(json_object_get(dp, "delta"));
    cr_expect(e > 0.9 * eps && e <= eps, "epsilon %g within the requested %g", e, eps);
    cr_expect(d > 0 && d < 1e-9, "delta %g", d);
    cr_expect_str_eq(json_string_value(json_object_get(dp, "mechanism")), "discrete_laplace");
}

Test(e2e_dp, noisy_threshold_reveals_only_the_bit_and_states_epsilon)
{
    e2e_out r;
    char *in = s_ballots(40, 10);   /* den*yes - num*(yes+no) = 30: far beyond the noise */
    json_t *o = e2e_run_local(&r, "vote", in, NULL, "--dp-epsilon", "1", NULL);
    cr_assert_not_null(o, "run-local: %s", r.err);
    cr_expect_str_eq(e2e_jstr(o, "outcome"), "YES");
    cr_expect_not(e2e_jhas(o, "tallies"));
    s_check_dp(o, 1.0);
    json_decref(o);
    e2e_out_free(&r);
    free(in);
    in = s_ballots(10, 40);
    o = e2e_run_local(&r, "vote", in, NULL, "--dp-epsilon", "1", NULL);
    cr_assert_not_null(o, "run-local: %s", r.err);
    cr_expect_str_eq(e2e_jstr(o, "outcome"), "NO");
    json_decref(o);
    e2e_out_free(&r);
    free(in);
}

Test(e2e_dp, noisy_tallies_and_noisy_winner_stay_near_the_clear_count)
{
    const char *in = "a\nb\nb\nb\nb\nb\nb\nb\nc\na\nb\nb\n";   /* a 2, b 9, c 1 */
    e2e_out r;
    json_t *o = e2e_run_local(&r, "vote", in, NULL, "--rule", "plurality", "--options", "a,b,c",
                              "--reveal", "noisy_tallies", "--dp-epsilon", "4", NULL);
    cr_assert_not_null(o, "run-local: %s", r.err);
    const json_t *t = json_object_get(o, "tallies");
    cr_assert_not_null(t);
    int64_t clear[3] = { 2, 9, 1 };
    const char *names[3] = { "a", "b", "c" };
    for (int j = 0; j < 3; j++) {
        int64_t v = json_integer_value(json_object_get(t, names[j]));
        /* noise of scale 2/4 (sensitivity 2): |z| > 10 has probability < 1e-8 */
        cr_expect(llabs(v - clear[j]) <= 10, "noisy %s = %lld vs %lld", names[j], (long long)v,
                  (long long)clear[j]);
    }
    s_check_dp(o, 4.0);
    json_decref(o);
    e2e_out_free(&r);
    o = e2e_run_local(&r, "vote", in, NULL, "--rule", "plurality", "--options", "a,b,c",
                      "--dp-epsilon", "4", NULL);
    cr_assert_not_null(o, "run-local: %s", r.err);
    cr_expect_str_eq(e2e_jstr(o, "outcome"), "b");
    cr_expect_not(e2e_jhas(o, "tallies"));
    s_check_dp(o, 4.0);
    json_decref(o);
    e2e_out_free(&r);
}

Test(e2e_dp, bad_dp_requests_are_refused_before_anything_starts)
{
    static const char *const cases[][6] = {
        { "--dp-epsilon", "0", NULL },
        { "--dp-epsilon", "-1", NULL },
        { "--dp-epsilon", "abc", NULL },
        { "--dp-epsilon", "2", "--dp-budget", "1", NULL },
        { "--rule", "plurality", "--options", "a,b", "--reveal", "tallies" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        e2e_out r;
        json_t *o;
        if (i == 4)
            o = e2e_run_local(&r, "vote", "a\nb\n", NULL, cases[i][0], cases[i][1], cases[i][2],
                              cases[i][3], cases[i][4], cases[i][5], "--dp-epsilon", "1", NULL);
        else
            o = e2e_run_local(&r, "vote", "yes\nno\n", NULL, cases[i][0], cases[i][1],
                              cases[i][2], cases[i][3], NULL);
        cr_expect_null(o, "case %zu must fail", i);
        cr_expect_neq(r.status, 0);
        cr_expect(strstr(r.err, "dp_") != NULL || strstr(r.err, "exact tallies") != NULL,
                  "case %zu: a clear message: %s", i, r.err);
        json_decref(o);
        e2e_out_free(&r);
    }
}

Test(e2e_dp, a_release_past_the_budget_is_refused)
{
    static const char *const roll[] = { "ada", "bo", "cal", NULL };
    e2e_session s;
    e2e_session_start(&s, "vote", 3, 1, roll, NULL,
                      "{\"type\": \"threshold\", \"dp_epsilon\": \"0.5\", \"dp_budget\": \"0.8\"}",
                      0);
    e2e_out r;
    for (int i = 0; roll[i]; i++) {
        e2e_session_submit(&s, &r, roll[i], "yes");
        cr_assert_eq(r.status, 0, "%s", r.err);
        e2e_out_free(&r);
    }
    e2e_session_wait_results(&s, 20000);
    int st[3];
    e2e_session_stop(&s, st);
    /* a restart serves the signed release again: no second computation */
    s.serve_s = 20;
    for (int i = 1; i <= 3; i++) e2e_session_restart(&s, i, NULL);
    s.serve_s = 0;
    e2e_out r2;
    e2e_app(&r2, "vote", "result", "--defn", s.defn, "--json", NULL);
    cr_expect_eq(r2.status, 0, "the published release is served after a restart: %s", r2.err);
    e2e_out_free(&r2);
    e2e_session_stop(&s, st);
    /* without its published result the servers compute again, but it is the
     * same release: its confirmed noise is reused and nothing more is spent
     * (docs/dp.md, "Reruns") */
    for (int i = 1; i <= 3; i++) {
        char p[E2E_PATH + 32];
        snprintf(p, sizeof p, "%s/d%d/result.stmt", s.dir, i);
        cr_assert_eq(unlink(p), 0);
    }
    s.serve_s = 20;
    for (int i = 1; i <= 3; i++) e2e_session_restart(&s, i, NULL);
    s.serve_s = 0;
    e2e_session_wait_results(&s, 30000);
    e2e_app(&r2, "vote", "result", "--defn", s.defn, "--json", NULL);
    cr_expect_eq(r2.status, 0, "the rerun releases again: %s", r2.err);
    json_t *o = e2e_json(r2.out);
    cr_assert_not_null(o, "%s", r2.out);
    cr_expect(fabs(json_number_value(json_object_get(json_object_get(o, "dp"), "spent")) - 0.5) < 1e-3,
              "still 0.5 spent: %s", r2.out);
    json_decref(o);
    e2e_out_free(&r2);
    e2e_session_stop(&s, st);
    /* with the noise gone too, computing again would be a second noisy
     * release: 0.5 + 0.5 exceeds the budget of 0.8, so every server refuses
     * and nothing is opened */
    for (int i = 1; i <= 3; i++) {
        char cmd[3 * E2E_PATH];
        snprintf(cmd, sizeof cmd, "rm -f %s/d%d/result.stmt %s/d%d/dp_noise.*", s.dir, i, s.dir, i);
        cr_assert_eq(system(cmd), 0);
    }
    for (int i = 1; i <= 3; i++) e2e_session_restart(&s, i, NULL);
    for (int i = 1; i <= 3; i++) {
        cr_expect_neq(e2e_session_wait_exit(&s, i, 30000), 0, "server %d refuses", i);
        char p[E2E_PATH + 32];
        snprintf(p, sizeof p, "%s/server%d.log", s.dir, i);
        char *log = e2e_read(p, NULL);
        cr_expect(log && strstr(log, "privacy budget exhausted"), "server %d says why", i);
        free(log);
    }
}
