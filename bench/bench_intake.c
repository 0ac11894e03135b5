/* bench_intake: ballot intake rate of 3 real `vote server` processes over
 * CurveZMQ on loopback: N voters (own roll keys) cast one ballot each from 8
 * client threads; every ballot is Shamir-shared, stored durably (fsync, group
 * commit) by each server and acknowledged with a signed receipt that the client
 * verifies. Prints ballot_intake_per_s (first submission to last verified
 * receipt), then checks the servers' signed YES/NO against the clear count.
 * Usage: bench_intake [--quick]. Needs $MPC_BUILD/vote/vote (default build/). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "bench/lib/procs.h"
#include "common/defn.h"
#include "common/keys.h"
#include "common/secmem.h"
#include "app/app.h"
#include "common/ports.h"
#include "protocols/result.h"
#include "protocols/vote_mpc.h"

#define I_N 3
#define I_THREADS 8

typedef struct intake_job {
    const defn *d;
    keys **voter;
    const int *choice;     /* 1 yes, 0 no */
    size_t count, next;
    int failed;
    pthread_mutex_t mu;
} intake_job;

static void *s_worker(void *arg)
{
    intake_job *J = arg;
    for (;;) {
        pthread_mutex_lock(&J->mu);
        size_t i = J->next++;
        pthread_mutex_unlock(&J->mu);
        if (i >= J->count) break;
        fe plain[2];
        vote_encode_threshold(plain, J->choice[i]);
        if (app_submit(J->d, J->voter[i], plain, 2, stderr) != 0) {
            pthread_mutex_lock(&J->mu);
            J->failed++;
            pthread_mutex_unlock(&J->mu);
        }
        sodium_memzero(plain, sizeof plain);
    }
    app_client_done();
    return NULL;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    size_t N = quick ? 300 : 1000;
    if (secmem_init() != 0) return 1;
    const char *build = getenv("MPC_BUILD") ? getenv("MPC_BUILD") : "build";
    char bin[4096], dir[] = "/tmp/bench-intake-XXXXXX", path[4200], err[512];
    snprintf(bin, sizeof bin, "%s/vote/vote", build);
    if (access(bin, X_OK) != 0 || !mkdtemp(dir)) {
        fprintf(stderr, "bench_intake: needs %s and /tmp\n", bin);
        return 1;
    }
    /* the organizer's definition: 3 servers, N voters, a simple-majority motion */
    int ports[2 * I_N];
    if (ports_free_loopback(ports, 2 * I_N) != 0) return 1;
    defn_server sv[I_N];
    char mesh[I_N][64], cli[I_N][64];
    for (int i = 0; i < I_N; i++) {
        keys *k = keys_generate();
        snprintf(path, sizeof path, "%s/server%d.key", dir, i + 1);
        if (keys_save_secret(k, path, err, sizeof err) != 0) return 1;
        snprintf(mesh[i], sizeof mesh[i], "tcp://127.0.0.1:%d", ports[2 * i]);
        snprintf(cli[i], sizeof cli[i], "tcp://127.0.0.1:%d", ports[2 * i + 1]);
        sv[i] = (defn_server){ .index = i + 1, .mesh = mesh[i], .client = cli[i] };
        memcpy(sv[i].curve_pk, keys_curve_pk(k), 32);
        memcpy(sv[i].sign_pk, keys_sign_pk(k), 32);
        keys_free(&k);
    }
    keys **voter = calloc(N, sizeof *voter);
    defn_voter *roll = calloc(N, sizeof *roll);
    char (*names)[16] = calloc(N, sizeof *names);
    int *choice = calloc(N, sizeof *choice);
    size_t yes = 0;
    for (size_t i = 0; i < N; i++) {
        voter[i] = keys_generate();
        snprintf(names[i], sizeof names[i], "v%zu", i);
        roll[i].name = names[i];
        memcpy(roll[i].curve_pk, keys_curve_pk(voter[i]), 32);
        memcpy(roll[i].sign_pk, keys_sign_pk(voter[i]), 32);
        choice[i] = (int)randombytes_uniform(2);
        yes += (size_t)choice[i];
    }
    defn_spec spec = { .id = "bench-intake", .kind = DEFN_VOTE, .t = 1, .bits = 32, .kappa = 40,
                       .deadline = (int64_t)time(NULL) + 600, .timeout_ms = 20000, .n = I_N,
                       .servers = sv, .roll_size = N, .roll = roll,
                       .rules_json = "{\"type\":\"threshold\",\"threshold\":\"1/2\"}" };
    char defn_path[4200];
    snprintf(defn_path, sizeof defn_path, "%s/definition.json", dir);
    defn *d = NULL;
    if (defn_write(defn_path, &spec, err, sizeof err) != 0 ||
        defn_load(&d, defn_path, err, sizeof err) != 0) {
        fprintf(stderr, "bench_intake: %s\n", err);
        return 1;
    }
    /* three real servers */
    fflush(NULL);
    pid_t pid[I_N];
    for (int i = 0; i < I_N; i++) {
        pid[i] = fork();
        if (pid[i] == 0) {
            char kp[4200], dp[4200];
            snprintf(kp, sizeof kp, "%s/server%d.key", dir, i + 1);
            snprintf(dp, sizeof dp, "%s/d%d", dir, i + 1);
            if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
            execl(bin, "vote", "server", "--defn", defn_path, "--keys", kp, "--data", dp,
                  (char *)NULL);
            _exit(127);
        }
    }
    intake_job J = { .d = d, .voter = voter, .choice = choice, .count = N };
    pthread_mutex_init(&J.mu, NULL);
    pthread_t th[I_THREADS];
    double t0 = procs_now();
    for (int i = 0; i < I_THREADS; i++) pthread_create(&th[i], NULL, s_worker, &J);
    for (int i = 0; i < I_THREADS; i++) pthread_join(th[i], NULL);
    double dt = procs_now() - t0;
    int fail = J.failed != 0;
    for (int i = 0; i < I_N; i++) {
        int st;
        if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) fail = 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double srv_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    /* the servers' signed outcome must be the clear one */
    snprintf(path, sizeof path, "%s/d1/result.stmt", dir);
    FILE *f = fopen(path, "rb");
    uint8_t buf[8192];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    result_stmt *st = NULL;
    const char *expect = 2 * yes >= N && yes > 0 ? "\"YES\"" : "\"NO\"";
    if (result_stmt_decode(&st, buf, len) != 0 || !strstr((const char *)st->output, expect)) fail = 1;
    result_stmt_free(&st);
    if (!fail)
        printf("{\"name\":\"ballot_intake_per_s\",\"value\":%.6g,\"unit\":\"ballots/s\",\"n\":%d,"
               "\"t\":1,\"N\":%zu,\"client_threads\":%d,\"seconds\":%.3f,"
               "\"server_cpu_ms_per_ballot\":%.3f}\n",
               (double)N / dt, I_N, N, I_THREADS, dt, 1000.0 * srv_cpu / I_N / (double)N);
    else
        fprintf(stderr, "bench_intake: %d submissions failed or the result is wrong (files in %s)\n",
                J.failed, dir);
    for (size_t i = 0; i < N; i++) keys_free(&voter[i]);
    free(voter);
    free(roll);
    free(names);
    free(choice);
    defn_free(&d);
    if (!fail) {
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "bench_intake: could not remove %s\n", dir);
    }
    return fail;
}
