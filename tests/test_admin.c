/* test_admin: the organizer's subcommands of the real binaries: `new` from a
 * roll directory and a roll file, `credentials` -> `new` -> `info`, each
 * refusal of `new` (exit status, message, no file left), the deadline syntax,
 * `--help` on every subcommand, and the example of docs/definition-file.md
 * loading through the definition and rules loaders. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "app/admin.h"
#include "common/defn.h"
#include "common/keys.h"
#include "tests/e2e.h"

TestSuite(admin, .init = e2e_setup, .fini = e2e_cleanup, .timeout = 60);

/* dir: server1..3 keys, roll/alice|bob|carol.pub, servers.txt on loopback. */
static void s_prep(char *dir, size_t len, const char *app)
{
    char path[E2E_PATH + 64];
    e2e_tmpdir(dir, len, "admin");
    snprintf(path, sizeof path, "%s/roll", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    static const char *const who[] = { "server1", "server2", "server3", "roll/carol",
                                       "roll/alice", "roll/bob" };
    for (size_t i = 0; i < sizeof who / sizeof *who; i++) {
        e2e_out r;
        snprintf(path, sizeof path, "%s/%s", dir, who[i]);
        e2e_app(&r, app, "keygen", "--out", path, NULL);
        cr_assert_eq(r.status, 0, "keygen: %s", r.err);
        e2e_out_free(&r);
    }
    snprintf(path, sizeof path, "%s/servers.txt", dir);
    e2e_write(path, "# index mesh client pubfile\n"
                    "1 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 server1.pub\n"
                    "3 tcp://127.0.0.1:7003 tcp://127.0.0.1:7103 server3.pub  # any order\n"
                    "\n"
                    "2 tcp://127.0.0.1:7002 tcp://127.0.0.1:7102 server2.pub\n");
}

static json_t *s_info(const char *app, const char *defn_path)
{
    e2e_out r;
    e2e_app(&r, app, "info", "--defn", defn_path, "--json", NULL);
    cr_assert_eq(r.status, 0, "info: %s", r.err);
    json_t *j = e2e_json(r.out);
    cr_assert_not_null(j, "info --json printed %s", r.out);
    e2e_out_free(&r);
    return j;
}

/* The session id `new` printed is the hash of the file it wrote. */
static void s_check_sid(const json_t *j, const char *path)
{
    defn *d = NULL;
    char err[256], hex[65];
    cr_assert_eq(defn_load(&d, path, err, sizeof err), 0, "%s", err);
    keys_hex_encode(hex, defn_sid(d), 32);
    cr_assert_str_eq(e2e_jstr(j, "session_id"), hex);
    cr_assert_str_eq(e2e_jstr(j, "path"), path);
    defn_free(&d);
}

Test(admin, new_from_a_roll_directory)
{
    char dir[E2E_PATH], srv[E2E_PATH + 32], roll[E2E_PATH + 32], out[E2E_PATH + 32];
    s_prep(dir, sizeof dir, "vote");
    snprintf(srv, sizeof srv, "%s/servers.txt", dir);
    snprintf(roll, sizeof roll, "%s/roll", dir);
    snprintf(out, sizeof out, "%s/vote.json", dir);
    e2e_out r;
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+2d", "--out",
            out, "--id", "board-2026", "--threshold", "2/3", "--quorum", "2", "--title",
            "Board 2026", "--question", "Adopt the by-laws?", "--json", NULL);
    cr_assert_eq(r.status, 0, "new: %s", r.err);
    json_t *j = e2e_json(r.out);
    cr_assert_not_null(j, "%s", r.out);
    s_check_sid(j, out);
    json_decref(j);
    e2e_out_free(&r);

    defn *d = NULL;
    char err[256];
    cr_assert_eq(defn_load(&d, out, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(defn_id(d), "board-2026");
    cr_assert_str_eq(defn_title(d), "Board 2026");
    cr_assert_str_eq(defn_question(d), "Adopt the by-laws?");
    cr_assert_eq(defn_n(d), 3);
    cr_assert_eq(defn_t(d), 1);
    cr_assert_str_eq(defn_server_at(d, 3)->mesh, "tcp://127.0.0.1:7003");
    static const char *const names[] = { "alice", "bob", "carol" };   /* byte order */
    cr_assert_eq(defn_roll_size(d), 3);
    for (size_t i = 0; i < 3; i++) {
        const defn_voter *v = defn_roll_at(d, i);
        cr_assert_str_eq(v->name, names[i]);
        cr_assert_eq(defn_roll_find(d, v->curve_pk), (long)i, "a .pub gives the CURVE key too");
    }
    int64_t dl = defn_deadline(d) - (int64_t)time(NULL);
    cr_assert(dl > 2 * 86400 - 60 && dl <= 2 * 86400, "deadline %lld s ahead", (long long)dl);
    defn_free(&d);

    j = s_info("vote", out);
    cr_assert_eq(e2e_jint(j, "roll_size"), 3);
    cr_assert_str_eq(e2e_jstr(j, "question"), "Adopt the by-laws?");
    cr_assert_eq(e2e_jint(j, "roll_with_curve_key"), 3);
    const json_t *rules = json_object_get(j, "rules");
    cr_assert_str_eq(json_string_value(json_object_get(rules, "threshold")), "2/3");
    cr_assert_eq(json_integer_value(json_object_get(rules, "quorum")), 2);
    cr_assert(strstr(e2e_jstr(j, "rules_text"), "YES if yes >= 2/3 of the yes and no ballots"),
              "%s", e2e_jstr(j, "rules_text"));
    cr_assert(strstr(e2e_jstr(j, "rules_text"), "quorum of 2"));
    json_decref(j);
}

Test(admin, new_from_a_roll_file_of_pub_files_and_hex_keys)
{
    char dir[E2E_PATH], srv[E2E_PATH + 32], roll[E2E_PATH + 32], out[E2E_PATH + 32];
    s_prep(dir, sizeof dir, "auction");
    snprintf(srv, sizeof srv, "%s/servers.txt", dir);
    snprintf(roll, sizeof roll, "%s/roll.txt", dir);
    snprintf(out, sizeof out, "%s/auction.json", dir);
    uint8_t pk[32];
    char hex[65], text[512];
    randombytes_buf(pk, sizeof pk);
    keys_hex_encode(hex, pk, 32);
    snprintf(text, sizeof text, "# name pubfile|hexkey\nzoe roll/carol.pub\ndave %s\n"
             "alice roll/alice.pub\n", hex);
    e2e_write(roll, text);
    e2e_out r;
    e2e_app(&r, "auction", "new", "--servers", srv, "--roll", roll, "--deadline",
            "2099-01-01T12:00:00+01:00", "--out", out, "--rule", "second", "--reserve", "100",
            NULL);
    /* 2099 is more than 366 days ahead: refused; a near ISO time works */
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "days ahead"), "%s", r.err);
    e2e_out_free(&r);
    char when[40];
    time_t soon = time(NULL) + 7200;
    struct tm tm;
    localtime_r(&soon, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M", &tm);   /* local time, no zone */
    e2e_app(&r, "auction", "new", "--servers", srv, "--roll", roll, "--deadline", when, "--out",
            out, "--rule", "second", "--reserve", "100", NULL);
    cr_assert_eq(r.status, 0, "new: %s", r.err);
    cr_assert(strstr(r.out, "session id: "), "%s", r.out);
    e2e_out_free(&r);
    defn *d = NULL;
    char err[256];
    cr_assert_eq(defn_load(&d, out, err, sizeof err), 0, "%s", err);
    cr_assert_eq(defn_roll_size(d), 3);
    cr_assert_str_eq(defn_roll_at(d, 0)->name, "zoe", "file order is roll order");
    cr_assert_str_eq(defn_roll_at(d, 1)->name, "dave");
    cr_assert_eq(defn_roll_find_sign(d, pk), 1);
    static const uint8_t zero[32];
    cr_assert_eq(memcmp(defn_roll_at(d, 1)->curve_pk, zero, 32), 0, "a hex key has no CURVE key");
    int64_t dl = defn_deadline(d) - (int64_t)soon;
    cr_assert(dl > -60 && dl <= 0, "local time taken as local (off by %lld s)", (long long)dl);
    defn_free(&d);
    json_t *j = s_info("auction", out);
    cr_assert_eq(e2e_jint(j, "roll_with_curve_key"), 2);
    cr_assert(strstr(e2e_jstr(j, "rules_text"), "second-price"));
    cr_assert(strstr(e2e_jstr(j, "rules_text"), "reserve 100"));
    json_decref(j);
}

Test(admin, credentials_then_new_then_info)
{
    char dir[E2E_PATH], srv[E2E_PATH + 32], creds[E2E_PATH + 32], roll[E2E_PATH + 64],
        out[E2E_PATH + 32], path[E2E_PATH + 64];
    s_prep(dir, sizeof dir, "vote");
    snprintf(srv, sizeof srv, "%s/servers.txt", dir);
    snprintf(creds, sizeof creds, "%s/creds", dir);
    snprintf(roll, sizeof roll, "%s/roll.txt", creds);
    snprintf(out, sizeof out, "%s/vote.json", dir);
    e2e_out r;
    e2e_app(&r, "vote", "credentials", "--count", "3", "--out", creds, "--json", NULL);
    cr_assert_eq(r.status, 0, "credentials: %s", r.err);
    json_t *j = e2e_json(r.out);
    cr_assert_eq(e2e_jint(j, "count"), 3);
    cr_assert_str_eq(e2e_jstr(j, "roll"), roll);
    json_decref(j);
    e2e_out_free(&r);
    /* a second run into the same directory would mix two sets: refused */
    e2e_app(&r, "vote", "credentials", "--count", "3", "--out", creds, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "not an empty directory"), "%s", r.err);
    e2e_out_free(&r);

    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+90m", "--out",
            out, "--rule", "plurality", "--options", "red,green,blue", NULL);
    cr_assert_eq(r.status, 0, "new: %s", r.err);
    e2e_out_free(&r);
    defn *d = NULL;
    char err[256];
    cr_assert_eq(defn_load(&d, out, err, sizeof err), 0, "%s", err);
    for (int i = 1; i <= 3; i++) {
        snprintf(path, sizeof path, "%s/voter%03d.cred", creds, i);
        struct stat st;
        cr_assert_eq(stat(path, &st), 0);
        cr_assert_eq(st.st_mode & 07777, 0600, "%s is secret", path);
        keys *k = NULL;
        cr_assert_eq(keys_load(&k, path, err, sizeof err), 0, "%s", err);
        cr_assert_eq(defn_roll_find_sign(d, keys_sign_pk(k)), i - 1,
                     "the credential's key is on the roll in place %d", i - 1);
        keys_free(&k);
    }
    defn_free(&d);
    j = s_info("vote", out);
    cr_assert_eq(e2e_jint(j, "roll_size"), 3);
    cr_assert_eq(e2e_jint(j, "roll_with_curve_key"), 0);
    cr_assert(strstr(e2e_jstr(j, "rules_text"), "plurality vote over red, green, blue"));
    json_decref(j);
    e2e_app(&r, "vote", "info", "--defn", out, NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "roll: 3 voters"), "%s", r.out);
    cr_assert(strstr(r.out, "deadline: "), "%s", r.out);
    cr_assert(strstr(r.out, "Z (in 1 h 29 min)") || strstr(r.out, "Z (in 1 h 30 min)"), "%s",
              r.out);
    e2e_out_free(&r);
}

/* One refusal of `new`: exit 1, the message, and no file at out. */
typedef struct s_refusal {
    const char *what;
    const char *servers;         /* servers.txt text, NULL: the prepared one */
    const char *deadline;
    const char *says;
} s_refusal;

static void s_expect_refusal(const s_refusal *c)
{
    char dir[E2E_PATH], srv[E2E_PATH + 32], roll[E2E_PATH + 32], out[E2E_PATH + 32];
    s_prep(dir, sizeof dir, "vote");
    snprintf(srv, sizeof srv, "%s/servers.txt", dir);
    snprintf(roll, sizeof roll, "%s/roll", dir);
    snprintf(out, sizeof out, "%s/vote.json", dir);
    if (c->servers) e2e_write(srv, c->servers);
    e2e_out r;
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", c->deadline,
            "--out", out, NULL);
    cr_assert_eq(r.status, 1, "%s: status %d, stderr %s", c->what, r.status, r.err);
    cr_assert(strstr(r.err, c->says), "%s: \"%s\" lacks \"%s\"", c->what, r.err, c->says);
    cr_assert_eq(r.out_len, 0, "%s: printed %s", c->what, r.out);
    cr_assert_neq(access(out, F_OK), 0, "%s: left %s behind", c->what, out);
    e2e_out_free(&r);
}

#define S_SRV(l1) l1 "\n2 tcp://127.0.0.1:7002 tcp://127.0.0.1:7102 server2.pub\n" \
                     "3 tcp://127.0.0.1:7003 tcp://127.0.0.1:7103 server3.pub\n"

Test(admin, new_refuses_a_past_deadline)
{
    s_refusal c = { "past", NULL, "2020-01-01T00:00Z", "is in the past" };
    s_expect_refusal(&c);
}

Test(admin, new_refuses_a_deadline_over_a_year_ahead)
{
    s_refusal c = { "far", NULL, "+400d", "more than 366 days ahead" };
    s_expect_refusal(&c);
}

Test(admin, new_refuses_a_malformed_deadline)
{
    s_refusal c = { "syntax", NULL, "tomorrow", "expected ISO-8601" };
    s_expect_refusal(&c);
}

Test(admin, new_refuses_a_host_name_endpoint)
{
    s_refusal c = { "hostname", S_SRV("1 tcp://trustee1.example.org:7001 tcp://127.0.0.1:7101 server1.pub"),
                    "+1d", "servers.txt:1: mesh endpoint tcp://trustee1.example.org:7001: "
                           "\"trustee1.example.org\" is not a numeric IPv4 address" };
    s_expect_refusal(&c);
}

Test(admin, new_refuses_a_wildcard_endpoint)
{
    s_refusal c = { "wildcard", S_SRV("1 tcp://0.0.0.0:7001 tcp://127.0.0.1:7101 server1.pub"),
                    "+1d", "0.0.0.0 is a wildcard" };
    s_expect_refusal(&c);
    s_refusal c2 = { "star", S_SRV("1 tcp://127.0.0.1:7001 tcp://*:7101 server1.pub"), "+1d",
                     "* is a wildcard" };
    s_expect_refusal(&c2);
}

Test(admin, new_refuses_ipc_and_bad_ports)
{
    s_refusal c = { "ipc", S_SRV("1 ipc:///tmp/m1 tcp://127.0.0.1:7101 server1.pub"), "+1d",
                    "expected tcp://ADDRESS:PORT" };
    s_expect_refusal(&c);
    s_refusal c2 = { "port", S_SRV("1 tcp://127.0.0.1:70001 tcp://127.0.0.1:7101 server1.pub"),
                     "+1d", "expected a port 1..65535" };
    s_expect_refusal(&c2);
}

Test(admin, new_refuses_a_duplicate_server_index)
{
    s_refusal c = { "dup index", S_SRV("2 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 server1.pub"),
                    "+1d", "servers.txt:2: duplicate server index 2 (also on line 1)" };
    s_expect_refusal(&c);
}

Test(admin, new_refuses_a_gap_in_server_indices)
{
    s_refusal c = { "gap", "1 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 server1.pub\n"
                           "3 tcp://127.0.0.1:7003 tcp://127.0.0.1:7103 server3.pub\n",
                    "+1d", "2 is missing" };
    s_expect_refusal(&c);
}

Test(admin, new_refuses_a_missing_pub_file)
{
    s_refusal c = { "no pub", S_SRV("1 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 nobody.pub"),
                    "+1d", "servers.txt:1: server 1: cannot open key file" };
    s_expect_refusal(&c);
}

Test(admin, new_refuses_a_duplicate_endpoint_or_server_key)
{
    s_refusal c = { "same key", S_SRV("1 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 server2.pub"),
                    "+1d", "servers[1].curve_pk: duplicate of servers[0]" };
    s_expect_refusal(&c);
    s_refusal c2 = { "same ep", S_SRV("1 tcp://127.0.0.1:7002 tcp://127.0.0.1:7101 server1.pub"),
                     "+1d", "duplicate of servers[0]" };
    s_expect_refusal(&c2);
}

Test(admin, new_refuses_to_overwrite)
{
    char dir[E2E_PATH], srv[E2E_PATH + 32], roll[E2E_PATH + 32], out[E2E_PATH + 32];
    s_prep(dir, sizeof dir, "vote");
    snprintf(srv, sizeof srv, "%s/servers.txt", dir);
    snprintf(roll, sizeof roll, "%s/roll", dir);
    snprintf(out, sizeof out, "%s/vote.json", dir);
    e2e_write(out, "in use\n");
    e2e_out r;
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+1d", "--out",
            out, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "refusing to overwrite"), "%s", r.err);
    char *text = e2e_read(out, NULL);
    cr_assert_str_eq(text, "in use\n", "the existing file is untouched");
    free(text);
    e2e_out_free(&r);
}

Test(admin, new_refuses_duplicate_roll_entries_and_bad_rules)
{
    char dir[E2E_PATH], srv[E2E_PATH + 32], roll[E2E_PATH + 32], out[E2E_PATH + 32];
    s_prep(dir, sizeof dir, "vote");
    snprintf(srv, sizeof srv, "%s/servers.txt", dir);
    snprintf(roll, sizeof roll, "%s/roll.txt", dir);
    snprintf(out, sizeof out, "%s/vote.json", dir);
    e2e_write(roll, "alice roll/alice.pub\nbob roll/bob.pub\nalice2 roll/alice.pub\n");
    e2e_out r;
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+1d", "--out",
            out, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "roll.txt:1 and ") && strstr(r.err, "roll.txt:3 have the same"),
              "%s", r.err);
    e2e_out_free(&r);
    e2e_write(roll, "alice roll/alice.pub\nbob roll/bob.pub\nalice roll/carol.pub\n");
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+1d", "--out",
            out, NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "have the same name"), "%s", r.err);
    e2e_out_free(&r);
    /* rules are checked by the application's loader against this roll */
    e2e_write(roll, "alice roll/alice.pub\nbob roll/bob.pub\n");
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+1d", "--out",
            out, "--quorum", "5", NULL);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "rules.quorum"), "%s", r.err);
    e2e_out_free(&r);
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+1d", "--out",
            out, "--rule", "plurality", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--options"), "%s", r.err);
    e2e_out_free(&r);
    cr_assert_neq(access(out, F_OK), 0, "no definition left behind");
}

Test(admin, deadline_syntax)
{
    int64_t now = 1767225600, t;   /* 2026-01-01T00:00:00Z */
    char why[256];
    cr_assert_eq(app_deadline_parse("+2d", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, now + 2 * 86400);
    cr_assert_eq(app_deadline_parse("+90m", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, now + 5400);
    cr_assert_eq(app_deadline_parse("+3h", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, now + 3 * 3600);
    cr_assert_eq(app_deadline_parse("2026-03-01T18:00:00Z", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, 1772388000);
    cr_assert_eq(app_deadline_parse("2026-03-01T18:00Z", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, 1772388000);
    cr_assert_eq(app_deadline_parse("2026-03-01 19:00+01:00", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, 1772388000);
    cr_assert_eq(app_deadline_parse("2026-03-01T13:30-0430", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, 1772388000);
    cr_assert_eq(app_deadline_parse("2026-03-01T20:00+02", now, &t, why, sizeof why), 0);
    cr_assert_eq(t, 1772388000);
    static const char *const bad[] = { "tomorrow", "+2", "+2y", "+-3d", "+d", "2026-02-30T10:00Z",
                                       "2026-03-01", "2026-03-01T25:00Z", "2026-3-1T10:00Z",
                                       "2026-03-01T10:00+1", "2026-03-01T10:00 Z",
                                       "2026-03-01T10:00:00.5Z", "1767225600" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_neq(app_deadline_parse(bad[i], now, &t, why, sizeof why), 0, "%s accepted",
                      bad[i]);
}

Test(admin, help_on_every_subcommand)
{
    static const char *const apps[] = { "vote", "auction" };
    static const char *const cmds[] = { "keygen", "server", "VERB", "result", "run-local",
                                        "new", "info", "credentials" };
    for (size_t a = 0; a < 2; a++)
        for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
            const char *cmd = strcmp(cmds[c], "VERB") ? cmds[c] : a ? "bid" : "cast";
            char want[64];
            snprintf(want, sizeof want, "usage: %s %s ", apps[a], cmd);
            e2e_out r;
            e2e_app(&r, apps[a], cmd, "--help", NULL);
            cr_assert_eq(r.status, 0, "%s %s --help: %d %s", apps[a], cmd, r.status, r.err);
            cr_assert(strstr(r.out, want) == r.out, "%s %s --help printed %s", apps[a], cmd, r.out);
            e2e_out_free(&r);
        }
    e2e_out r;
    e2e_app(&r, "vote", "--help", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "credentials"), "%s", r.out);
    e2e_out_free(&r);
}

/* The example of docs/definition-file.md is a file the loaders take: the
 * definition loader here, the vote rules loader through `vote info`. */
Test(admin, docs_example_loads)
{
    char *doc = e2e_read("docs/definition-file.md", NULL);
    if (!doc && getenv("MPC_BUILD")) {
        char p[E2E_PATH + 64];
        snprintf(p, sizeof p, "%s/../docs/definition-file.md", getenv("MPC_BUILD"));
        doc = e2e_read(p, NULL);
        if (!doc) {
            snprintf(p, sizeof p, "%s/../../docs/definition-file.md", getenv("MPC_BUILD"));
            doc = e2e_read(p, NULL);
        }
    }
    cr_assert_not_null(doc, "docs/definition-file.md not found (run from the repo root)");
    char *ex = strstr(doc, "\n## Example\n");
    cr_assert_not_null(ex, "no Example section");
    char *start = strstr(ex, "\n```json\n");
    cr_assert_not_null(start, "no json block in the Example section");
    start += strlen("\n```json\n");
    char *end = strstr(start, "\n```\n");
    cr_assert_not_null(end);
    end[1] = 0;                                   /* keep the final newline */
    defn *d = NULL;
    char err[256], dir[E2E_PATH], path[E2E_PATH + 32];
    cr_assert_eq(defn_parse(&d, (const uint8_t *)start, strlen(start), err, sizeof err), 0,
                 "the documented example is refused: %s", err);
    cr_assert_eq(defn_kind(d), DEFN_VOTE);
    defn_free(&d);
    e2e_tmpdir(dir, sizeof dir, "docex");
    snprintf(path, sizeof path, "%s/example.json", dir);
    e2e_write(path, start);
    free(doc);
    e2e_out r;
    e2e_app(&r, "vote", "info", "--defn", path, NULL);
    cr_assert_eq(r.status, 0, "vote info refuses the documented example: %s", r.err);
    cr_assert(strstr(r.out, "rules: threshold vote"), "%s", r.out);
    e2e_out_free(&r);
}

/* The optional fifth column of the servers file: each server's web origin
 * (docs/http.md), written as its "http" key; a line without it writes none. */
Test(admin, new_takes_an_http_origin_per_server)
{
    char dir[E2E_PATH], srv[E2E_PATH + 32], roll[E2E_PATH + 32], out[E2E_PATH + 32];
    s_prep(dir, sizeof dir, "vote");
    snprintf(srv, sizeof srv, "%s/servers.txt", dir);
    snprintf(roll, sizeof roll, "%s/roll", dir);
    snprintf(out, sizeof out, "%s/vote.json", dir);
    e2e_write(srv, "1 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 server1.pub http://127.0.0.1:8081\n"
                   "2 tcp://127.0.0.1:7002 tcp://127.0.0.1:7102 server2.pub https://vote.example.org:8443\n"
                   "3 tcp://127.0.0.1:7003 tcp://127.0.0.1:7103 server3.pub\n");
    e2e_out r;
    e2e_app(&r, "vote", "new", "--servers", srv, "--roll", roll, "--deadline", "+1d", "--out",
            out, NULL);
    cr_assert_eq(r.status, 0, "new: %s", r.err);
    e2e_out_free(&r);
    defn *d = NULL;
    char err[256];
    cr_assert_eq(defn_load(&d, out, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(defn_server_at(d, 1)->http, "http://127.0.0.1:8081");
    cr_expect_str_eq(defn_server_at(d, 2)->http, "https://vote.example.org:8443");
    cr_expect_null(defn_server_at(d, 3)->http);
    defn_free(&d);
    e2e_app(&r, "vote", "info", "--defn", out, NULL);   /* what everyone checks */
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.out, "clients tcp://127.0.0.1:7101  web http://127.0.0.1:8081\n"), "%s",
              r.out);
    cr_expect(strstr(r.out, "clients tcp://127.0.0.1:7103\n"), "%s", r.out);
    e2e_out_free(&r);
    json_t *j = s_info("vote", out);
    json_t *servers = json_object_get(j, "servers");
    cr_expect_str_eq(e2e_jstr(json_array_get(servers, 1), "http"), "https://vote.example.org:8443");
    cr_expect(!e2e_jhas(json_array_get(servers, 2), "http"));
    json_decref(j);
}

Test(admin, new_refuses_a_bad_http_origin)
{
    s_refusal c = { "origin", S_SRV("1 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 server1.pub "
                                    "http://127.0.0.1:8081/vote"),
                    "+1d", "servers.txt:1: http origin http://127.0.0.1:8081/vote: expected a port" };
    s_expect_refusal(&c);
    s_refusal c2 = { "six columns", S_SRV("1 tcp://127.0.0.1:7001 tcp://127.0.0.1:7101 server1.pub "
                                          "http://127.0.0.1:8081 extra"),
                     "+1d", "expected \"index mesh_endpoint client_endpoint pubfile [http_origin]\"" };
    s_expect_refusal(&c2);
}
