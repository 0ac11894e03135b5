/* The election record and the ballot tracker (docs/envelope.md), on real
 * server processes: cast -> tracker file -> `check` says counted; a replaced
 * ballot is reported as not the counted one; `record` -> `verify` gives the
 * outcome `result` gives; an edited record (accepted set, statement, outcome)
 * fails; results are public and still served after a restart. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/e2e.h"

static void s_init(void)
{
    e2e_setup();
}

TestSuite(record, .init = s_init, .fini = e2e_cleanup, .timeout = 90);

static const char *const s_roll[] = { "ada", "bo", "cal", NULL };
#define RULES "{\"type\": \"threshold\", \"threshold\": \"1/2\"}"

static void s_cast(e2e_session *s, const char *who, const char *v)
{
    e2e_out r;
    e2e_session_submit(s, &r, who, v);
    cr_assert_eq(r.status, 0, "%s: %s", who, r.err);
    cr_assert(strstr(r.out, "tracker: ") != NULL, "the voter sees a tracker: %s", r.out);
    e2e_out_free(&r);
}

/* Replace the first (all: every) occurrence of from by to (same length) in
 * file path, written to out. */
static void s_edit_n(const char *path, const char *out, const char *from, const char *to, int all)
{
    size_t len;
    char *txt = e2e_read(path, &len);
    cr_assert_not_null(txt);
    char *at = strstr(txt, from);
    cr_assert_not_null(at, "%s not in %s", from, path);
    for (; at; at = all ? strstr(at + 1, from) : NULL) memcpy(at, to, strlen(to));
    FILE *f = fopen(out, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(txt, 1, len, f), len);
    fclose(f);
    free(txt);
}

static void s_edit(const char *path, const char *out, const char *from, const char *to)
{
    s_edit_n(path, out, from, to, 0);
}

Test(record, tracker_check_record_verify_round_trip_and_edits_fail)
{
    e2e_session s;
    e2e_session_start(&s, "vote", 3, 1, s_roll, NULL, RULES, 30);
    s_cast(&s, "ada", "no");
    char key[E2E_PATH + 32], first[E2E_PATH + 48];
    snprintf(key, sizeof key, "%s/ada.key", s.dir);
    snprintf(first, sizeof first, "%s/ada.first", s.dir);
    char ballot[E2E_PATH + 48];
    snprintf(ballot, sizeof ballot, "%s.ballot", key);
    cr_assert_eq(rename(ballot, first), 0, "cast wrote the tracker file %s", ballot);
    s_cast(&s, "ada", "yes");   /* a re-vote replaces the first */
    s_cast(&s, "bo", "yes");
    s_cast(&s, "cal", "no");
    e2e_session_wait_results(&s, 30000);

    e2e_out r;
    e2e_app(&r, "vote", "check", "--defn", s.defn, "--keys", key, NULL);
    cr_expect_eq(r.status, 0, "the latest ballot is counted: %s%s", r.out, r.err);
    cr_expect(strstr(r.out, "counted: your ballot") != NULL, "%s", r.out);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "check", "--defn", s.defn, "--keys", key, "--tracker", first, NULL);
    cr_expect_eq(r.status, 1, "the replaced ballot is not the counted one");
    cr_expect(strstr(r.out, "NOT this ballot") != NULL, "%s", r.out);
    e2e_out_free(&r);

    char rec[E2E_PATH + 32], bad[E2E_PATH + 32];
    snprintf(rec, sizeof rec, "%s/record.json", s.dir);
    e2e_app(&r, "vote", "record", "--defn", s.defn, "--out", rec, NULL);
    cr_assert_eq(r.status, 0, "record: %s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "verify", rec, "--json", NULL);
    cr_assert_eq(r.status, 0, "verify: %s", r.err);
    json_t *o = e2e_json(r.out);
    cr_expect_str_eq(e2e_jstr(o, "outcome"), "YES", "2 yes of 3 at 1/2");
    cr_expect_eq(e2e_jint(o, "accepted"), 3);
    json_decref(o);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "result", "--defn", s.defn, "--json", NULL);
    cr_assert_eq(r.status, 0, "public result: %s", r.err);
    o = e2e_json(r.out);
    cr_expect_str_eq(e2e_jstr(o, "outcome"), "YES", "verify and result agree");
    json_decref(o);
    e2e_out_free(&r);

    /* edits: a counted ballot's sequence, a statement byte, the definition */
    snprintf(bad, sizeof bad, "%s/bad.json", s.dir);
    s_edit(rec, bad, "\"accepted\":[[0,", "\"accepted\":[[1,");
    e2e_app(&r, "vote", "verify", bad, NULL);
    cr_expect_neq(r.status, 0, "an edited accepted set must fail");
    e2e_out_free(&r);
    s_edit(rec, bad, "\"statements\":[\"4d505253", "\"statements\":[\"4d505254");
    e2e_app(&r, "vote", "verify", bad, NULL);
    cr_expect_eq(r.status, 0, "one spoiled statement of three: t+1 = 2 still sign (%s)", r.err);
    e2e_out_free(&r);
    s_edit_n(rec, bad, "\"4d505253", "\"4d505254", 1);
    e2e_app(&r, "vote", "verify", bad, NULL);
    cr_expect_neq(r.status, 0, "edited statements must fail");
    e2e_out_free(&r);
    s_edit(rec, bad, "threshold", "thresholt");
    e2e_app(&r, "vote", "verify", bad, NULL);
    cr_expect_neq(r.status, 0, "an edited definition must fail");
    e2e_out_free(&r);
    e2e_app(&r, "vote", "record", "--defn", s.defn, "--out", rec, NULL);
    cr_expect_neq(r.status, 0, "record never overwrites");
    e2e_out_free(&r);

    /* a restart serves the same signed result (and computes nothing) */
    e2e_session_stop(&s, NULL);
    s.serve_s = 20;
    for (int i = 1; i <= 3; i++) e2e_session_restart(&s, i, NULL);
    e2e_app(&r, "vote", "result", "--defn", s.defn, "--json", NULL);
    cr_expect_eq(r.status, 0, "served after a restart: %s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "check", "--defn", s.defn, "--keys", key, NULL);
    cr_expect_eq(r.status, 0, "check after a restart: %s%s", r.out, r.err);
    e2e_out_free(&r);
    e2e_session_stop(&s, NULL);
}
