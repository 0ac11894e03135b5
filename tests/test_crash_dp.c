/* Crash safety of a DP release (issue 14, docs/dp.md "Reruns"): a server
 * killed once the noise is stored and confirmed, or before it is stored, and
 * every server restarted: the rerun finishes, it is the same release (the same
 * noise: the same noisy tallies when computed yet again), and each ledger
 * holds one spend. Real processes, real sockets, malicious security. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/e2e.h"

static void s_init(void)
{
    e2e_setup();
    e2e_session_timeout_ms = 1500;   /* survivors give up on a dead peer quickly */
}

static void s_fini(void)
{
    e2e_session_timeout_ms = 10000;
    e2e_cleanup();
}

TestSuite(crash_dp, .init = s_init, .fini = s_fini, .timeout = 120);

static const char *const s_roll[] = { "ana", "ben", "cy", "dee", "eve", NULL };
static const char *const s_votes[] = { "a", "b", "b", "c", "b" };
/* noise of scale 2 / 0.4 (sensitivity 2): two fresh draws of three noisy
 * tallies agree with probability below 1e-3 */
#define RULES "{\"type\": \"plurality\", \"options\": [\"a\", \"b\", \"c\"], " \
              "\"reveal\": \"noisy_tallies\", \"dp_epsilon\": \"0.4\", \"dp_budget\": \"0.6\"}"

static int s_log_has(const e2e_session *s, int i, const char *needle)
{
    char p[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/server%d.log", s->dir, i);
    char *log = e2e_read(p, NULL);
    int has = log && strstr(log, needle) != NULL;
    free(log);
    return has;
}

static int s_lines(const char *path)
{
    char *t = e2e_read(path, NULL);
    int n = 0;
    for (char *c = t; c && *c; c++) n += *c == '\n';
    free(t);
    return n;
}

/* The one noise file of server i: its bytes (malloc'd), asserting there is
 * exactly one. */
static char *s_noise(const e2e_session *s, int i, size_t *len)
{
    char d[E2E_PATH + 16], p[E2E_PATH + 300] = "";
    snprintf(d, sizeof d, "%s/d%d", s->dir, i);
    DIR *dir = opendir(d);
    cr_assert_not_null(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dir)))
        if (strncmp(e->d_name, "dp_noise.", 9) == 0 && !strchr(e->d_name + 9, '.')) {
            snprintf(p, sizeof p, "%s/%s", d, e->d_name);
            n++;
        }
    closedir(dir);
    cr_assert_eq(n, 1, "server %d holds one release's noise", i);
    char *b = e2e_read(p, len);
    cr_assert_not_null(b);
    return b;
}

/* `vote result` over the three statements (parsed, owned). */
static json_t *s_result(const e2e_session *s)
{
    char p[3][E2E_PATH + 64];
    for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/d%d/result.stmt", s->dir, i + 1);
    e2e_out r;
    e2e_app(&r, "vote", "result", "--defn", s->defn, "--json", p[0], p[1], p[2], NULL);
    cr_assert_eq(r.status, 0, "result: %s", r.err);
    json_t *o = e2e_json(r.out);
    cr_assert_not_null(o, "result output: %s", r.out);
    e2e_out_free(&r);
    return o;
}

/* One spend on every server, and the result says 0.4 spent of 0.6. */
static void s_one_spend(const e2e_session *s, const json_t *o)
{
    for (int i = 1; i <= 3; i++) {
        char p[E2E_PATH + 32];
        snprintf(p, sizeof p, "%s/d%d/dp_ledger", s->dir, i);
        cr_expect_eq(s_lines(p), 1, "server %d's ledger holds one spend", i);
    }
    const json_t *dp = json_object_get(o, "dp");
    cr_expect(fabs(json_number_value(json_object_get(dp, "spent")) - 0.4) < 1e-3);
}

/* Server 2 dies at failpoint; 1 and 3 abort without output; all restart. */
static void s_crash_and_rerun(e2e_session *s, const char *failpoint)
{
    e2e_session_start(s, "vote", 3, 1, s_roll, NULL, RULES, 0);
    cr_assert_eq(e2e_session_kill(s, 2), 128 + SIGKILL);
    e2e_session_restart(s, 2, failpoint);
    for (int i = 0; s_roll[i]; i++) {
        e2e_out r;
        e2e_session_submit(s, &r, s_roll[i], s_votes[i]);
        cr_assert_eq(r.status, 0, "cast %s: %s", s_roll[i], r.err);
        e2e_out_free(&r);
    }
    cr_assert_eq(e2e_session_wait_exit(s, 2, 20000), 128 + SIGKILL, "server 2 dies at %s", failpoint);
    for (int i = 1; i <= 3; i += 2) {
        cr_expect_neq(e2e_session_wait_exit(s, i, 20000), 0, "server %d aborts", i);
        cr_expect(s_log_has(s, i, "server 2"), "server %d names server 2", i);
        char p[E2E_PATH + 32];
        snprintf(p, sizeof p, "%s/d%d/result.stmt", s->dir, i);
        cr_expect_neq(access(p, F_OK), 0, "server %d wrote no result", i);
    }
}

static void s_restart_all(e2e_session *s)
{
    for (int i = 1; i <= 3; i++) e2e_session_restart(s, i, NULL);
    e2e_session_wait_results(s, 40000);
    for (int i = 1; i <= 3; i++) cr_assert_eq(e2e_session_wait_exit(s, i, 20000), 0);
}

static void s_same_tallies(const json_t *a, const json_t *b)
{
    const json_t *ta = json_object_get(a, "tallies"), *tb = json_object_get(b, "tallies");
    cr_assert(ta && tb);
    cr_expect(json_equal(ta, tb), "the same noisy tallies");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(a, "dp"), "release")),
                     json_string_value(json_object_get(json_object_get(b, "dp"), "release")));
}

Test(crash_dp, a_crash_after_the_noise_is_confirmed_reruns_the_same_release)
{
    e2e_session s;
    s_crash_and_rerun(&s, "dp-noise-confirmed");
    size_t len[3];
    char *before[3];
    for (int i = 1; i <= 3; i++) before[i - 1] = s_noise(&s, i, &len[i - 1]);
    s_restart_all(&s);
    for (int i = 1; i <= 3; i++) {
        cr_expect(s_log_has(&s, i, "reusing its stored noise"), "server %d reuses", i);
        size_t l;
        char *now = s_noise(&s, i, &l);
        cr_expect(l == len[i - 1] && memcmp(now, before[i - 1], l) == 0,
                  "server %d's confirmed noise is untouched", i);
        free(now);
        free(before[i - 1]);
    }
    json_t *o = s_result(&s);
    cr_expect_eq(e2e_jint(o, "accepted"), 5);
    s_one_spend(&s, o);
    /* computed yet again without the published result: the very same release */
    for (int i = 1; i <= 3; i++) {
        char p[E2E_PATH + 32];
        snprintf(p, sizeof p, "%s/d%d/result.stmt", s.dir, i);
        cr_assert_eq(unlink(p), 0);
    }
    s_restart_all(&s);
    json_t *o2 = s_result(&s);
    s_same_tallies(o, o2);
    s_one_spend(&s, o2);
    json_decref(o);
    json_decref(o2);
    e2e_session_stop(&s, NULL);
}

Test(crash_dp, a_crash_before_the_noise_is_stored_reruns_with_one_spend)
{
    e2e_session s;
    s_crash_and_rerun(&s, "dp-noise-drawn");
    char p[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/d2/dp_ledger", s.dir);
    cr_expect_neq(access(p, F_OK), 0, "server 2 died before charging");
    s_restart_all(&s);
    /* nobody had confirmed: fresh noise, which the others do not charge again */
    for (int i = 1; i <= 3; i++)
        cr_expect_not(s_log_has(&s, i, "reusing its stored noise"), "server %d draws afresh", i);
    json_t *o = s_result(&s);
    cr_expect_eq(e2e_jint(o, "accepted"), 5);
    s_one_spend(&s, o);
    json_decref(o);
    e2e_session_stop(&s, NULL);
}
