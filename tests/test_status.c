/* `status` (issue 14) on real server processes: every server up with its
 * intake state, accepted count, result flag and clock offset, as text and as
 * JSON; a definition the servers do not run is flagged; a killed server is
 * reported unreachable and the exit status says so. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/e2e.h"

static void s_init(void)
{
    e2e_setup();
    e2e_session_timeout_ms = 1500;   /* a dead server costs 1.5 s, not 10 */
}

static void s_fini(void)
{
    e2e_session_timeout_ms = 10000;
    e2e_cleanup();
}

TestSuite(status, .init = s_init, .fini = s_fini, .timeout = 90);

static const char *const s_roll[] = { "ada", "bo", "cal", "dan", NULL };
#define RULES "{\"type\": \"threshold\", \"threshold\": \"1/2\"}"

/* `status` until it exits 0 (every server up: a server may probe its peers
 * before it opens its client endpoint), within timeout_s. */
static void s_wait_up(const e2e_session *s, int timeout_s)
{
    time_t end = time(NULL) + timeout_s;
    for (;;) {
        e2e_out r;
        e2e_app(&r, "vote", "status", "--defn", s->defn, NULL);
        int st = r.status;
        cr_assert(st == 0 || time(NULL) < end, "servers not up: %s%s", r.out, r.err);
        e2e_out_free(&r);
        if (st == 0) return;
        usleep(200000);
    }
}

/* A session of 3 vote servers with two ballots in (intake stays open). */
static void s_start(e2e_session *s)
{
    e2e_session_start(s, "vote", 3, 1, s_roll, NULL, RULES, 30);
    s_wait_up(s, 20);
    const char *who[] = { "ada", "bo" };
    for (int i = 0; i < 2; i++) {
        e2e_out r;
        e2e_session_submit(s, &r, who[i], "yes");
        cr_assert_eq(r.status, 0, "cast %s: %s", who[i], r.err);
        e2e_out_free(&r);
    }
}

static size_t s_count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) k++;
    return k;
}

/* `vote status --defn defn --json`: the parsed servers array checked for
 * shape; returns the whole object (owned). */
static json_t *s_status_json(const char *defn, int want_status)
{
    e2e_out r;
    e2e_app(&r, "vote", "status", "--defn", defn, "--json", NULL);
    cr_assert_eq(r.status, want_status, "status --json exit %d: %s%s", r.status, r.out, r.err);
    json_t *o = e2e_json(r.out);
    cr_assert_not_null(o, "status --json prints one object: %s", r.out);
    cr_assert_eq(strlen(e2e_jstr(o, "session_id")), 64);
    json_t *arr = json_object_get(o, "servers");
    cr_assert(json_is_array(arr) && json_array_size(arr) == 3, "three entries: %s", r.out);
    e2e_out_free(&r);
    return o;
}

/* The copy of the definition file with timeout_ms 1501: the same servers and
 * keys, another session id. */
static void s_other_defn(const e2e_session *s, char *out, size_t len)
{
    size_t n;
    char *txt = e2e_read(s->defn, &n);
    cr_assert_not_null(txt);
    char *at = strstr(txt, "\"timeout_ms\"");
    cr_assert_not_null(at);
    at = strstr(at, "1500");
    cr_assert_not_null(at);
    at[3] = '1';
    snprintf(out, len, "%s/other.json", s->dir);
    e2e_write(out, txt);
    free(txt);
}

Test(status, all_up_with_intake_open_accepted_counts_and_json_keys)
{
    e2e_session s;
    s_start(&s);
    e2e_out r;
    e2e_app(&r, "vote", "status", "--defn", s.defn, NULL);
    cr_assert_eq(r.status, 0, "every server answered: %s%s", r.out, r.err);
    cr_expect_eq(s_count(r.out, "  up  intake open  accepted 2  result not ready  clock "), 3,
                 "%s", r.out);
    cr_expect(strstr(r.out, "3 of 3 servers up") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "unreachable") == NULL, "%s", r.out);
    e2e_out_free(&r);

    json_t *o = s_status_json(s.defn, 0);
    json_t *arr = json_object_get(o, "servers");
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(arr, i);
        cr_expect_eq(e2e_jint(e, "index"), (int64_t)i + 1);
        cr_expect(strncmp(e2e_jstr(e, "endpoint"), "tcp://127.0.0.1:", 16) == 0);
        cr_expect(e2e_jbool(e, "up"));
        cr_expect_str_eq(e2e_jstr(e, "intake"), "open");
        cr_expect_eq(e2e_jint(e, "accepted"), 2);
        cr_expect(!e2e_jbool(e, "result"));
        cr_expect(e2e_jbool(e, "same_session"));
        json_t *off = json_object_get(e, "clock_offset_s");
        cr_assert(json_is_number(off), "clock_offset_s is a number");
        cr_expect_lt(fabs(json_number_value(off)), 1.0, "same machine, same clock");
    }
    json_decref(o);

    char other[E2E_PATH + 32];
    s_other_defn(&s, other, sizeof other);
    e2e_app(&r, "vote", "status", "--defn", other, NULL);
    cr_expect_eq(r.status, 1, "servers running another definition: %s", r.out);
    cr_expect_eq(s_count(r.err, "runs another definition"), 3, "%s", r.err);
    cr_expect_eq(s_count(r.out, "ANOTHER DEFINITION"), 3, "%s", r.out);
    e2e_out_free(&r);
    o = s_status_json(other, 1);
    cr_expect(!e2e_jbool(json_array_get(json_object_get(o, "servers"), 0), "same_session"));
    json_decref(o);
    e2e_session_stop(&s, NULL);
}

Test(status, killed_server_is_unreachable_and_exit_is_1)
{
    e2e_session s;
    s_start(&s);
    e2e_session_kill(&s, 2);
    e2e_out r;
    e2e_app(&r, "vote", "status", "--defn", s.defn, NULL);
    cr_assert_eq(r.status, 1, "one server down: %s%s", r.out, r.err);
    cr_expect_eq(s_count(r.out, "  up  intake open  accepted 2"), 2, "%s", r.out);
    cr_expect(strstr(r.out, "  2  tcp://127.0.0.1:") != NULL, "%s", r.out);
    cr_expect_eq(s_count(r.out, "unreachable (did not answer within 1500 ms)"), 1, "%s", r.out);
    cr_expect(strstr(r.out, "2 of 3 servers up") != NULL, "%s", r.out);
    e2e_out_free(&r);

    json_t *o = s_status_json(s.defn, 1);
    json_t *arr = json_object_get(o, "servers");
    json_t *down = json_array_get(arr, 1);
    cr_expect(!e2e_jbool(down, "up"));
    cr_expect_eq(e2e_jint(down, "index"), 2);
    cr_expect_eq(json_object_size(down), 3, "a server not up has only index, endpoint, up");
    cr_expect(e2e_jbool(json_array_get(arr, 0), "up"));
    cr_expect(e2e_jbool(json_array_get(arr, 2), "up"));
    json_decref(o);
    e2e_session_stop(&s, NULL);
}

Test(status, refuses_bad_usage)
{
    e2e_out r;
    e2e_app(&r, "vote", "status", NULL);
    cr_expect_eq(r.status, 2, "--defn is required");
    cr_expect(strstr(r.err, "--defn") != NULL, "%s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "status", "--defn", "/nonexistent/defn.json", NULL);
    cr_expect_eq(r.status, 1, "an unreadable definition");
    cr_expect(strstr(r.err, "error") != NULL, "%s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "status", "--help", NULL);
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "usage: vote status --defn FILE [--json]") != NULL, "%s", r.out);
    e2e_out_free(&r);
}
