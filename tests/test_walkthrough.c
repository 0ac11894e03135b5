/* The README's "Running a real election", command by command, on loopback:
 * keygen for three trustees, credentials for the voters, new, info, three
 * servers, casts with credentials, status, result, check. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ports.h"
#include "tests/e2e.h"

extern char **environ;

TestSuite(walkthrough, .init = e2e_setup, .fini = e2e_cleanup, .timeout = 120);

static void s_ok(e2e_out *r, const char *what)
{
    cr_assert_eq(r->status, 0, "%s: %s%s", what, r->out, r->err);
}

Test(walkthrough, readme_election_new_credentials_servers_cast_status_result_check)
{
    char dir[E2E_PATH], p[E2E_PATH + 64], q[E2E_PATH + 64], defn[E2E_PATH + 32];
    e2e_tmpdir(dir, sizeof dir, "walk");
    e2e_out r;
    for (int i = 1; i <= 3; i++) {   /* 1. each trustee */
        snprintf(p, sizeof p, "%s/trustee%d", dir, i);
        e2e_app(&r, "vote", "keygen", "--out", p, NULL);
        s_ok(&r, "keygen");
        e2e_out_free(&r);
    }
    snprintf(p, sizeof p, "%s/creds", dir);   /* 2. the secretary */
    e2e_app(&r, "vote", "credentials", "--count", "4", "--out", p, NULL);
    s_ok(&r, "credentials");
    e2e_out_free(&r);
    int port[6];   /* 3. servers.txt and the definition */
    cr_assert_eq(ports_free_loopback(port, 6), 0);
    char servers[1024];
    snprintf(servers, sizeof servers,
             "1 tcp://127.0.0.1:%d tcp://127.0.0.1:%d trustee1.pub\n"
             "2 tcp://127.0.0.1:%d tcp://127.0.0.1:%d trustee2.pub\n"
             "3 tcp://127.0.0.1:%d tcp://127.0.0.1:%d trustee3.pub\n",
             port[0], port[1], port[2], port[3], port[4], port[5]);
    snprintf(p, sizeof p, "%s/servers.txt", dir);
    e2e_write(p, servers);
    snprintf(q, sizeof q, "%s/creds/roll.txt", dir);
    snprintf(defn, sizeof defn, "%s/vote.json", dir);
    e2e_app(&r, "vote", "new", "--servers", p, "--roll", q, "--deadline", "+1h", "--id",
            "board-2027", "--threshold", "1/2", "--close", "all_voted", "--timeout-ms", "3000",
            "--out", defn, NULL);
    s_ok(&r, "new");
    e2e_out_free(&r);
    e2e_app(&r, "vote", "info", "--defn", defn, NULL);   /* 4. everyone checks it */
    s_ok(&r, "info");
    cr_expect(strstr(r.out, "board-2027") != NULL, "%s", r.out);
    e2e_out_free(&r);
    char bin[E2E_PATH];
    e2e_bin(bin, sizeof bin, "vote");
    pid_t pid[3];
    for (int i = 0; i < 3; i++) {   /* the trustees start their servers */
        char key[E2E_PATH + 32], data[E2E_PATH + 32];
        snprintf(key, sizeof key, "%s/trustee%d.key", dir, i + 1);
        snprintf(data, sizeof data, "%s/s%d", dir, i + 1);
        char *argv[] = { bin, "server", "--defn", defn, "--keys", key, "--data", data,
                         "--serve", "30", NULL };
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        snprintf(p, sizeof p, "%s/server%d.log", dir, i + 1);
        posix_spawn_file_actions_addopen(&fa, 2, p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        cr_assert_eq(posix_spawn(&pid[i], bin, &fa, NULL, argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    int up = 0;   /* status: everyone may watch the servers come up */
    for (int k = 0; k < 100 && !up; k++) {
        e2e_app(&r, "vote", "status", "--defn", defn, NULL);
        up = r.status == 0;
        e2e_out_free(&r);
        if (!up) usleep(200000);
    }
    cr_assert(up, "all three servers up");
    static const char *const vote[] = { "yes", "no", "yes", "yes" };
    for (int i = 0; i < 4; i++) {   /* 5. each voter casts with their credential */
        snprintf(p, sizeof p, "%s/creds/voter%03d.cred", dir, i + 1);
        e2e_app(&r, "vote", "cast", "--defn", defn, "--keys", p, vote[i], NULL);
        s_ok(&r, "cast");
        cr_expect(strstr(r.out, "safely cast") != NULL, "%s", r.out);
        e2e_out_free(&r);
    }
    int have = 0;   /* 6. the result, once the servers signed it */
    for (int k = 0; k < 150 && !have; k++) {
        e2e_app(&r, "vote", "result", "--defn", defn, "--json", NULL);
        have = r.status == 0;
        if (have) {
            json_t *o = e2e_json(r.out);
            cr_expect_str_eq(e2e_jstr(o, "outcome"), "YES", "3 of 4 yes at 1/2");
            cr_expect_eq(e2e_jint(o, "accepted"), 4);
            json_decref(o);
        }
        e2e_out_free(&r);
        if (!have) usleep(200000);
    }
    cr_assert(have, "a verified result");
    snprintf(p, sizeof p, "%s/creds/voter002.cred", dir);
    e2e_app(&r, "vote", "check", "--defn", defn, "--keys", p, NULL);
    s_ok(&r, "check");
    e2e_out_free(&r);
    for (int i = 0; i < 3; i++) {
        kill(pid[i], SIGTERM);
        waitpid(pid[i], NULL, 0);
    }
}
