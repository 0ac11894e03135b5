/* test_e2e_util: the helpers of the end-to-end tests (tests/lib/e2e.c) do what
 * tests/e2e.h promises: process runner, binary lookup, byte search, PRNG, JSON. */
#include "tests/e2e.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

TestSuite(e2e_util, .init = e2e_setup, .fini = e2e_cleanup, .timeout = 30);

Test(e2e_util, exec_captures_stdout_stderr_and_status)
{
    static const char *const argv[] = { "/bin/sh", "-c",
                                        "printf 'out\\n'; printf 'err\\n' >&2; exit 3", NULL };
    e2e_out r;
    e2e_exec(&r, argv, 5000);
    cr_assert_eq(r.status, 3);
    cr_assert_eq(r.timed_out, 0);
    cr_assert_str_eq(r.out, "out\n");
    cr_assert_str_eq(r.err, "err\n");
    e2e_out_free(&r);
}

Test(e2e_util, exec_reports_a_missing_program_as_127)
{
    static const char *const argv[] = { "/nonexistent/e2e-program", NULL };
    e2e_out r;
    e2e_exec(&r, argv, 5000);
    cr_assert_eq(r.status, 127);
    cr_assert_not_null(strstr(r.err, "exec /nonexistent/e2e-program"));
    e2e_out_free(&r);
}

Test(e2e_util, exec_kills_the_whole_group_at_the_deadline)
{
    /* the grandchild holds stdout open: only a group kill ends the run */
    static const char *const argv[] = { "/bin/sh", "-c", "sleep 30 & sleep 30", NULL };
    e2e_out r;
    double t0 = s_now();
    e2e_exec(&r, argv, 200);
    cr_assert_eq(r.timed_out, 1);
    cr_assert_eq(r.status, 128 + SIGKILL);
    cr_assert_lt(s_now() - t0, 5.0);
    e2e_out_free(&r);
}

Test(e2e_util, bin_falls_back_to_build_without_mpc_build)
{
    char p[E2E_PATH];
    cr_assert_eq(setenv("MPC_BUILD", "/x/asan", 1), 0);
    cr_assert_str_eq(e2e_bin(p, sizeof p, "vote"), "/x/asan/vote/vote");
    cr_assert_eq(unsetenv("MPC_BUILD"), 0);
    cr_assert_str_eq(e2e_bin(p, sizeof p, "auction"), "build/auction/auction");
}

Test(e2e_util, tree_find_sees_text_and_binary_in_subdirectories)
{
    char dir[E2E_PATH], sub[E2E_PATH + 8], f[E2E_PATH + 16], where[E2E_PATH + 16];
    e2e_tmpdir(dir, sizeof dir, "util");
    snprintf(sub, sizeof sub, "%s/s1", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    snprintf(f, sizeof f, "%s/s1/blob", dir);
    uint8_t be[12], le[8], bytes[40] = { 0 };
    e2e_be(be, sizeof be, 987654321u);
    e2e_le(le, sizeof le, 987654321u);
    static const uint8_t want_be[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x3a, 0xde, 0x68, 0xb1 };
    cr_assert_eq(memcmp(be, want_be, 12), 0);
    cr_assert_eq(le[0], 0xb1);
    cr_assert_eq(le[3], 0x3a);
    cr_assert_eq(le[7], 0);
    memcpy(bytes + 13, be, sizeof be);
    FILE *fp = fopen(f, "wb");
    cr_assert_not_null(fp);
    cr_assert_eq(fwrite(bytes, 1, sizeof bytes, fp), sizeof bytes);
    fclose(fp);
    snprintf(f, sizeof f, "%s/log", dir);
    e2e_write(f, "bid 42 stored\n");
    cr_assert_eq(e2e_tree_find(dir, be, sizeof be, where, sizeof where), 1);
    cr_assert_not_null(strstr(where, "/s1/blob"));
    cr_assert_eq(e2e_tree_find(dir, "42", 2, where, sizeof where), 1);
    cr_assert_not_null(strstr(where, "/log"));
    cr_assert_eq(e2e_tree_find(dir, "987654321", 9, where, sizeof where), 0);
    cr_assert_eq(e2e_tree_find(dir, le, sizeof le, where, sizeof where), 0);
}

Test(e2e_util, prng_is_reproducible_and_bounded)
{
    uint64_t a = 7, b = 7, c = 8;
    uint64_t x = e2e_rand(&a);
    cr_assert_eq(x, e2e_rand(&b));
    cr_assert_neq(x, e2e_rand(&c));
    for (int i = 0; i < 1000; i++) cr_assert_lt(e2e_rand_below(&a, 5), 5u);
}

Test(e2e_util, json_members_are_typed)
{
    json_t *o = e2e_json("{\"sold\":true,\"winning_bid\":42,\"winner\":\"a\"}");
    cr_assert_not_null(o);
    cr_assert_eq(e2e_jbool(o, "sold"), 1);
    cr_assert_eq(e2e_jint(o, "winning_bid"), 42);
    cr_assert_str_eq(e2e_jstr(o, "winner"), "a");
    cr_assert_eq(e2e_jhas(o, "price"), 0);
    json_decref(o);
    cr_assert_null(e2e_json("[1,2]"));
    cr_assert_null(e2e_json("{\"a\":1,\"a\":2}"));
    cr_assert_null(e2e_json("not json"));
}
