/* Crash safety of the servers (issue 7, docs/reliability.md): kill -9 during
 * intake and mid-computation, a crash between the durable write and the receipt,
 * and a torn write at the end of the store. Real processes, real sockets; the
 * expected results are the clear computation of the same bids. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
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

TestSuite(crash, .init = s_init, .fini = s_fini, .timeout = 90);

static const char *const s_roll[] = { "ana", "ben", "cy", "dee", NULL };
#define RULES "{\"price\": \"first\", \"reveal_winner\": true}"

static void s_bid(e2e_session *s, const char *who, const char *amount)
{
    e2e_out r;
    e2e_session_submit(s, &r, who, amount);
    cr_assert_eq(r.status, 0, "bid %s %s failed: %s", who, amount, r.err);
    e2e_out_free(&r);
}

/* `auction result` over the three statements; the parsed JSON (owned). */
static json_t *s_result(e2e_session *s)
{
    char p[3][E2E_PATH + 64];
    for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/d%d/result.stmt", s->dir, i + 1);
    e2e_out r;
    e2e_app(&r, "auction", "result", "--defn", s->defn, "--json", p[0], p[1], p[2], NULL);
    cr_assert_eq(r.status, 0, "result: %s", r.err);
    json_t *o = e2e_json(r.out);
    cr_assert_not_null(o, "result output: %s", r.out);
    e2e_out_free(&r);
    return o;
}

static int s_log_has(const e2e_session *s, int i, const char *needle)
{
    char p[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/server%d.log", s->dir, i);
    size_t len;
    char *log = e2e_read(p, &len);
    int has = log && strstr(log, needle) != NULL;
    free(log);
    return has;
}

static void s_check_winner(e2e_session *s, int64_t bid, const char *who, int64_t accepted)
{
    json_t *o = s_result(s);
    cr_expect_eq(e2e_jint(o, "winning_bid"), bid);
    cr_expect_str_eq(e2e_jstr(o, "winner"), who);
    cr_expect_eq(e2e_jint(o, "accepted"), accepted);
    json_decref(o);
}

Test(crash, kill_9_during_intake_loses_no_acknowledged_bid)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 10);
    s_bid(&s, "ana", "50");
    s_bid(&s, "ben", "70");
    cr_assert_eq(e2e_session_kill(&s, 2), 128 + SIGKILL);
    e2e_session_restart(&s, 2, NULL);
    s_bid(&s, "cy", "60");
    s_bid(&s, "dee", "65");
    e2e_session_wait_results(&s, 20000);
    cr_expect(s_log_has(&s, 2, "reloaded 2 stored envelope(s)"));
    s_check_winner(&s, 70, "ben", 4);
    e2e_session_stop(&s, NULL);
}

Test(crash, torn_write_at_the_end_of_the_store_is_cut_off_never_misread)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 10);
    s_bid(&s, "ana", "50");
    s_bid(&s, "ben", "70");
    cr_assert_eq(e2e_session_kill(&s, 1), 128 + SIGKILL);
    /* a crash in the middle of the next commit: half a WAL frame at the end of
     * the log (SQLite's frame checksums must refuse it) */
    char p[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/d1/inputs.db-wal", s.dir);
    size_t len;
    char *wal = e2e_read(p, &len);
    cr_assert_not_null(wal, "the WAL of a killed store is still there");
    cr_assert_gt(len, 32 + 100);
    int fd = open(p, O_WRONLY | O_APPEND);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, wal + 32, 90), 90);   /* a prefix of a valid frame */
    close(fd);
    free(wal);
    e2e_session_restart(&s, 1, NULL);
    s_bid(&s, "cy", "60");
    s_bid(&s, "dee", "65");
    e2e_session_wait_results(&s, 20000);
    cr_expect(s_log_has(&s, 1, "reloaded 2 stored envelope(s)"));
    s_check_winner(&s, 70, "ben", 4);
    e2e_session_stop(&s, NULL);
}

Test(crash, crash_after_the_durable_write_before_the_receipt_keeps_the_bid)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 10);
    cr_assert_eq(e2e_session_kill(&s, 3), 128 + SIGKILL);
    e2e_session_restart(&s, 3, "before-receipt");
    e2e_out r;
    e2e_session_submit(&s, &r, "ana", "50");
    cr_expect_eq(r.status, 0, "2 of 3 receipts: safely cast (%s)", r.err);
    cr_expect(strstr(r.err, "server 3") != NULL, "the client names server 3: %s", r.err);
    cr_expect(strstr(r.err, "safely cast with 2 of 3") != NULL, "and says so: %s", r.err);
    e2e_out_free(&r);
    cr_assert_eq(e2e_session_wait_exit(&s, 3, 5000), 128 + SIGKILL);
    e2e_session_restart(&s, 3, NULL);
    /* the durable write survived; the client submits again (replacing it everywhere) */
    s_bid(&s, "ana", "55");
    s_bid(&s, "ben", "70");
    s_bid(&s, "cy", "60");
    s_bid(&s, "dee", "80");
    e2e_session_wait_results(&s, 20000);
    cr_expect(s_log_has(&s, 3, "reloaded 1 stored envelope(s)"));
    s_check_winner(&s, 80, "dee", 4);
    e2e_session_stop(&s, NULL);
}

Test(crash, crash_mid_computation_aborts_the_others_without_output_and_a_rerun_agrees)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 10);
    cr_assert_eq(e2e_session_kill(&s, 3), 128 + SIGKILL);
    e2e_session_restart(&s, 3, "after-agree");
    s_bid(&s, "ana", "50");
    s_bid(&s, "ben", "90");
    s_bid(&s, "cy", "60");
    s_bid(&s, "dee", "65");
    /* server 3 dies once the inputs are agreed; 1 and 2 must abort and name it */
    cr_assert_eq(e2e_session_wait_exit(&s, 3, 10000), 128 + SIGKILL);
    for (int i = 1; i <= 2; i++) {
        int st = e2e_session_wait_exit(&s, i, 20000);
        cr_expect_neq(st, 0, "server %d must fail without server 3", i);
        cr_expect(s_log_has(&s, i, "server 3"), "server %d's error names server 3", i);
        cr_expect(s_log_has(&s, i, "no output"), "server %d says nothing is output", i);
        char p[E2E_PATH + 32];
        snprintf(p, sizeof p, "%s/d%d/result.stmt", s.dir, i);
        cr_expect_neq(access(p, F_OK), 0, "server %d wrote no result", i);
    }
    /* restart everyone on the same data: the same inputs, the same result */
    for (int i = 1; i <= 3; i++) e2e_session_restart(&s, i, NULL);
    e2e_session_wait_results(&s, 20000);
    for (int i = 1; i <= 3; i++) cr_expect(s_log_has(&s, i, "reloaded 4 stored envelope(s)"));
    s_check_winner(&s, 90, "ben", 4);
    e2e_session_stop(&s, NULL);
}

/* A bid that reached two servers while the third was down, and whose client
 * is gone before the third comes back: it counts, reconciled from the two
 * that hold it, under either security setting. */
static void s_missed_bid(e2e_session *s, const char *security)
{
    e2e_session_deadline_s = 8;   /* the server that missed it closes at the deadline */
    e2e_session_security = security;
    e2e_session_start(s, "auction", 3, 1, s_roll, NULL, RULES, 10);
    e2e_session_deadline_s = 3600;
    e2e_session_security = NULL;
    s_bid(s, "ana", "50");
    s_bid(s, "ben", "70");
    s_bid(s, "cy", "60");
    cr_assert_eq(e2e_session_kill(s, 3), 128 + SIGKILL);
    e2e_out r;
    e2e_session_submit(s, &r, "dee", "85");
    cr_expect_eq(r.status, 0, "two receipts: safely cast (%s)", r.err);
    cr_expect(strstr(r.err, "server 3") != NULL, "the voter is told which server: %s", r.err);
    e2e_out_free(&r);
    e2e_session_restart(s, 3, NULL);
    e2e_session_wait_results(s, 30000);
    json_t *o = s_result(s);
    cr_expect_eq(e2e_jint(o, "winning_bid"), 85, "dee's bid counts");
    cr_expect_str_eq(e2e_jstr(o, "winner"), "dee");
    cr_expect_eq(e2e_jint(o, "accepted"), 4);
    cr_expect_eq(e2e_jint(o, "excluded"), 0);
    json_decref(o);
    cr_expect(s_log_has(s, 3, "reconciled: received 1 envelope(s)"));
}

Test(crash, a_bid_that_missed_a_down_server_counts_under_malicious_security)
{
    e2e_session s;
    s_missed_bid(&s, NULL);
    e2e_session_stop(&s, NULL);
}

Test(crash, a_bid_that_missed_a_down_server_counts_under_semi_honest_security)
{
    e2e_session s;
    s_missed_bid(&s, "semi-honest");
    e2e_session_stop(&s, NULL);
}

/* n = 2t+1 tolerates no server down at the close: the others wait until the
 * deadline plus one timeout, then abort with no result, naming the missing
 * server and saying what to do; restarted, all three compute it. */
Test(crash, a_server_down_at_the_close_aborts_with_what_to_do_and_a_restart_computes)
{
    e2e_session_deadline_s = 4;
    e2e_session_close = "deadline";
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, RULES, 10);
    e2e_session_deadline_s = 3600;
    e2e_session_close = "all_voted";
    s_bid(&s, "ana", "50");
    s_bid(&s, "ben", "70");
    cr_assert_eq(e2e_session_kill(&s, 3), 128 + SIGKILL);
    for (int i = 1; i <= 2; i++) {
        cr_expect_eq(e2e_session_wait_exit(&s, i, 30000), 1, "server %d aborts", i);
        cr_expect(s_log_has(&s, i, "server 3"), "server %d names server 3", i);
        cr_expect(s_log_has(&s, i, "every server is needed"), "server %d says why", i);
        cr_expect(s_log_has(&s, i, "restart the missing server"), "server %d says what to do", i);
        char p[E2E_PATH + 32];
        snprintf(p, sizeof p, "%s/d%d/result.stmt", s.dir, i);
        cr_expect_neq(access(p, F_OK), 0, "server %d signed nothing", i);
    }
    for (int i = 1; i <= 3; i++) e2e_session_restart(&s, i, NULL);
    e2e_session_wait_results(&s, 30000);
    s_check_winner(&s, 70, "ben", 2);
    e2e_session_stop(&s, NULL);
}

/* n = 4, t = 1: server 4 dies during intake and stays down; at the deadline
 * the other three compute the right result and name it as absent. A bid cast
 * while it is down is safely cast with n-t = 3 receipts and counts. */
Test(crash, n4_a_server_down_at_the_close_is_named_and_the_others_compute, .timeout = 120)
{
    e2e_session_deadline_s = 8;
    e2e_session_close = "deadline";
    e2e_session_timeout_ms = 3000;
    e2e_session s;
    e2e_session_start(&s, "auction", 4, 1, s_roll, NULL, RULES, 10);
    e2e_session_deadline_s = 3600;
    e2e_session_close = "all_voted";
    e2e_session_timeout_ms = 10000;
    s_bid(&s, "ana", "50");
    s_bid(&s, "ben", "70");
    cr_assert_eq(e2e_session_kill(&s, 4), 128 + SIGKILL);
    e2e_out r;
    e2e_session_submit(&s, &r, "cy", "60");
    cr_assert_eq(r.status, 0, "3 of 4 receipts: %s", r.err);
    cr_expect(strstr(r.err, "safely cast with 3 of 4") != NULL, "%s", r.err);
    e2e_out_free(&r);
    char p[4][E2E_PATH + 64];
    for (int i = 0; i < 3; i++) snprintf(p[i], sizeof p[i], "%s/d%d/result.stmt", s.dir, i + 1);
    for (int tries = 0; tries < 600; tries++) {
        if (access(p[0], F_OK) == 0 && access(p[1], F_OK) == 0 && access(p[2], F_OK) == 0) break;
        usleep(100000);
    }
    for (int i = 1; i <= 3; i++) {
        cr_assert_eq(access(p[i - 1], F_OK), 0, "server %d signed a result", i);
        cr_expect(s_log_has(&s, i, "server(s) 4 down"), "server %d names server 4", i);
    }
    e2e_app(&r, "auction", "result", "--defn", s.defn, "--json", p[0], p[1], p[2], NULL);
    cr_assert_eq(r.status, 0, "result: %s", r.err);
    json_t *o = e2e_json(r.out);
    cr_assert_not_null(o, "%s", r.out);
    cr_expect_eq(e2e_jint(o, "winning_bid"), 70);
    cr_expect_str_eq(e2e_jstr(o, "winner"), "ben");
    cr_expect_eq(e2e_jint(o, "accepted"), 3);
    json_t *absent = json_object_get(o, "absent");
    cr_expect(json_is_array(absent) && json_array_size(absent) == 1 &&
                  json_integer_value(json_array_get(absent, 0)) == 4,
              "the statement names server 4: %s", r.out);
    json_decref(o);
    e2e_out_free(&r);
    e2e_session_stop(&s, NULL);
}
