/* bench_intake: envelope intake of 3 real `vote server` processes over
 * CurveZMQ on loopback (durable: SQLite, synchronous=FULL, group commit). N
 * voters' envelopes are sealed by the client (2 threads), then carried by one
 * kept connection per server, pipelined (app/bulk.h); every server checks the
 * signature, opens its box, stores the envelope and signs a receipt, which the
 * client verifies. Prints, as JSON lines:
 *   envelope_intake_per_s  envelopes built ahead, first send to the last
 *                          verified receipt of all three servers; with
 *                          server_cpu_ms_per_envelope (each server's intake
 *                          CPU, /proc/PID/stat, averaged over the three);
 *   ballot_intake_per_s    end to end, the clients sealing their envelopes too
 *                          (seal time + submit time), client_seal_ms_per_envelope;
 *   http_envelope_intake_per_s  the same intake over HTTP (docs/http.md), run
 *                          first for N/2 more voters: POST /api/envelope on
 *                          I_HTTP_CONNS kept connections per server, I_HTTP_DEPTH
 *                          pipelined on each (bench/lib/httpc.h), every receipt
 *                          verified; with http_server_cpu_ms_per_envelope.
 * Then checks the servers' signed YES/NO against the clear count.
 * Usage: bench_intake [--quick]. Needs $MPC_BUILD/vote/vote (default build/). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "bench/lib/httpc.h"
#include "bench/lib/procs.h"
#include "common/defn.h"
#include "common/keys.h"
#include "common/secmem.h"
#include "app/app.h"
#include "app/bulk.h"
#include "app/client.h"
#include "common/ports.h"
#include "protocols/result.h"
#include "protocols/vote_mpc.h"

#define I_N 3
#define I_SEALERS 2
#define I_HTTP_CONNS 48
#define I_HTTP_DEPTH 2

typedef struct seal_job {
    const defn *d;
    const uint8_t *vsk;
    const int *choice;
    uint8_t **env;
    size_t *len;
    size_t count;
    int part;
    int failed;
} seal_job;

static void *s_sealer(void *arg)
{
    seal_job *J = arg;
    for (size_t i = (size_t)J->part; i < J->count; i += I_SEALERS) {
        fe plain[2];
        vote_encode_threshold(plain, J->choice[i]);
        if (app_client_seal(J->d, J->vsk + 64 * i, (uint32_t)i, plain, 2, app_client_seq(), &J->env[i],
                            &J->len[i]) != 0)
            J->failed++;
        sodium_memzero(plain, sizeof plain);
    }
    return NULL;
}

/* User + system CPU seconds of a child so far. */
static double s_cpu(pid_t pid)
{
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    char *q = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (!q || sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    size_t N = quick ? 2000 : 20000, M = N / 2;   /* M more voters submit over HTTP */
    if (secmem_init() != 0) return 1;
    const char *build = getenv("MPC_BUILD") ? getenv("MPC_BUILD") : "build";
    char bin[4096], dir[] = "/tmp/bench-intake-XXXXXX", path[4200], err[512];
    snprintf(bin, sizeof bin, "%s/vote/vote", build);
    if (access(bin, X_OK) != 0 || !mkdtemp(dir)) {
        fprintf(stderr, "bench_intake: needs %s and /tmp\n", bin);
        return 1;
    }
    /* the organizer's definition: 3 servers, N voters, a simple-majority motion */
    int ports[3 * I_N];
    if (ports_free_loopback(ports, 3 * I_N) != 0) return 1;
    defn_server sv[I_N];
    char mesh[I_N][64], cli[I_N][64], http[I_N][64], web[I_N][32];
    for (int i = 0; i < I_N; i++) {
        keys *k = keys_generate();
        snprintf(path, sizeof path, "%s/server%d.key", dir, i + 1);
        if (keys_save_secret(k, path, err, sizeof err) != 0) return 1;
        snprintf(mesh[i], sizeof mesh[i], "tcp://127.0.0.1:%d", ports[2 * i]);
        snprintf(cli[i], sizeof cli[i], "tcp://127.0.0.1:%d", ports[2 * i + 1]);
        snprintf(http[i], sizeof http[i], "http://127.0.0.1:%d", ports[2 * I_N + i]);
        snprintf(web[i], sizeof web[i], "127.0.0.1:%d", ports[2 * I_N + i]);
        sv[i] = (defn_server){ .index = i + 1, .mesh = mesh[i], .client = cli[i], .http = http[i] };
        memcpy(sv[i].curve_pk, keys_curve_pk(k), 32);
        memcpy(sv[i].sign_pk, keys_sign_pk(k), 32);
        keys_free(&k);
    }
    size_t T = N + M;
    uint8_t *vsk = sodium_malloc(64 * T);   /* every voter's key, one guarded block */
    defn_voter *roll = calloc(T, sizeof *roll);
    char (*names)[16] = calloc(T, sizeof *names);
    int *choice = calloc(T, sizeof *choice);
    size_t yes = 0;
    for (size_t i = 0; i < T; i++) {
        snprintf(names[i], sizeof names[i], "v%zu", i);
        roll[i].name = names[i];
        crypto_sign_keypair(roll[i].sign_pk, vsk + 64 * i);
        choice[i] = (int)randombytes_uniform(2);
        yes += (size_t)choice[i];
    }
    defn_spec spec = { .id = "bench-intake", .kind = DEFN_VOTE, .t = 1, .bits = 32, .kappa = 40,
                       .deadline = (int64_t)time(NULL) + 600, .timeout_ms = 20000, .n = I_N,
                       .servers = sv, .roll_size = T, .roll = roll,
                       .rules_json = "{\"type\":\"threshold\",\"threshold\":\"1/2\",\"close\":\"all_voted\"}" };
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
                  "--serve", "0", "--http", web[i], (char *)NULL);
            _exit(127);
        }
    }
    uint8_t **env = calloc(T, sizeof *env);
    size_t *elen = calloc(T, sizeof *elen);
    unsigned *rc = calloc(T, sizeof *rc);
    seal_job S[I_SEALERS];
    pthread_t th[I_SEALERS];
    double t0 = procs_now();
    for (int p = 0; p < I_SEALERS; p++) {
        S[p] = (seal_job){ .d = d, .vsk = vsk, .choice = choice, .env = env, .len = elen,
                           .count = T, .part = p };
        pthread_create(&th[p], NULL, s_sealer, &S[p]);
    }
    int fail = 0;
    for (int p = 0; p < I_SEALERS; p++) {
        pthread_join(th[p], NULL);
        fail |= S[p].failed != 0;
    }
    double t_seal = (procs_now() - t0) * (double)N / (double)T;   /* the CurveZMQ voters' share */
    /* let the servers finish starting (a first connection waits for them) */
    usleep(300000);
    double c0[I_N];
    /* HTTP first: voters N..T-1 (all of them in closes the intake) */
    for (int i = 0; i < I_N; i++) c0[i] = s_cpu(pid[i]);
    t0 = procs_now();
    int hports[I_N];
    for (int i = 0; i < I_N; i++) hports[i] = ports[2 * I_N + i];
    size_t hall = httpc_submit(d, hports, env + N, elen + N, M, I_HTTP_CONNS, I_HTTP_DEPTH, rc + N,
                               20000, stderr);
    double hdt = procs_now() - t0, hcpu = 0;
    for (int i = 0; i < I_N; i++) hcpu += s_cpu(pid[i]) - c0[i];
    if (hall != M) fail = 1;
    for (int i = 0; i < I_N; i++) c0[i] = s_cpu(pid[i]);
    t0 = procs_now();
    size_t all = app_bulk_submit(d, env, elen, N, NULL, rc, 512, 20000, stderr);
    double dt = procs_now() - t0, srv_cpu = 0;
    for (int i = 0; i < I_N; i++) srv_cpu += s_cpu(pid[i]) - c0[i];
    if (all != N) fail = 1;
    for (int i = 0; i < I_N; i++) {
        int st;
        if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) fail = 1;
    }
    /* the servers' signed outcome must be the clear one */
    snprintf(path, sizeof path, "%s/d1/result.stmt", dir);
    FILE *f = fopen(path, "rb");
    uint8_t buf[8192];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    result_stmt *st = NULL;
    const char *expect = 2 * yes >= T && yes > 0 ? "\"YES\"" : "\"NO\"";
    if (result_stmt_decode(&st, buf, len) != 0 || !strstr((const char *)st->output, expect)) fail = 1;
    result_stmt_free(&st);
    if (!fail) {
        printf("{\"name\":\"envelope_intake_per_s\",\"value\":%.6g,\"unit\":\"envelopes/s\","
               "\"n\":%d,\"t\":1,\"N\":%zu,\"transport\":\"curvezmq\",\"durable\":true,"
               "\"seconds\":%.3f,\"server_cpu_ms_per_envelope\":%.4f}\n",
               (double)N / dt, I_N, N, dt, 1000.0 * srv_cpu / I_N / (double)N);
        printf("{\"name\":\"ballot_intake_per_s\",\"value\":%.6g,\"unit\":\"ballots/s\",\"n\":%d,"
               "\"t\":1,\"N\":%zu,\"client_threads\":%d,\"seconds\":%.3f,"
               "\"client_seal_ms_per_envelope\":%.4f,\"server_cpu_ms_per_ballot\":%.4f}\n",
               (double)N / (t_seal + dt), I_N, N, I_SEALERS, t_seal + dt,
               1000.0 * t_seal * I_SEALERS / (double)N, 1000.0 * srv_cpu / I_N / (double)N);
        printf("{\"name\":\"http_envelope_intake_per_s\",\"value\":%.6g,\"unit\":\"envelopes/s\","
               "\"n\":%d,\"t\":1,\"N\":%zu,\"transport\":\"http\",\"durable\":true,"
               "\"connections_per_server\":%d,\"pipelined\":%d,\"seconds\":%.3f,"
               "\"http_server_cpu_ms_per_envelope\":%.4f}\n",
               (double)M / hdt, I_N, M, I_HTTP_CONNS, I_HTTP_DEPTH, hdt,
               1000.0 * hcpu / I_N / (double)M);
    } else {
        fprintf(stderr, "bench_intake: %zu of %zu envelopes (and %zu of %zu over HTTP) not "
                        "receipted by all, or the result is wrong (files in %s)\n", N - all, N,
                M - hall, M, dir);
    }
    for (size_t i = 0; i < T; i++) free(env[i]);
    free(env);
    free(elen);
    free(rc);
    sodium_free(vsk);
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
