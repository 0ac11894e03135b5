/* procs: fork n servers on a CurveZMQ loopback mesh for benchmarks. */
#include "bench/lib/procs.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "common/net.h"

double procs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int s_port(void)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static int s_child(const field *F, int n, int t, int me, const uint8_t *sid,
                   const char *const *eps, const uint8_t (*pk)[32], const uint8_t *sk,
                   procs_fn fn, void *arg)
{
    char err[256];
    net *nw = NULL;
    net_zmq_cfg cfg = { .n = n, .me = me, .sid = sid, .endpoints = eps, .server_pk = pk,
                        .my_sk = sk, .timeout_ms = 120000, .linger_ms = 2000 };
    int rc = net_zmq_open(&nw, &cfg, err, sizeof err);
    if (rc) {
        fprintf(stderr, "bench S%d: %s\n", me, err);
        return rc;
    }
    if (!net_is_curve(nw)) {   /* every figure is measured with CURVE on */
        fprintf(stderr, "bench S%d: the mesh is not CURVE\n", me);
        net_free(&nw);
        return ERR_CRYPTO;
    }
    mpc *M = mpc_create(F, n, t, 0, nw, err, sizeof err);
    if (!M) {
        fprintf(stderr, "bench S%d: set-up failed: %s\n", me, err);
        net_free(&nw);
        return ERR_PROTO;
    }
    rc = fn(M, arg);
    if (rc) fprintf(stderr, "bench S%d: %s (%s)\n", me, err_str(rc), mpc_errmsg(M));
    if (!rc) rc = net_bye(nw);
    mpc_destroy(&M);
    net_free(&nw);
    return rc;
}

void procs_tune(char **argv)
{
    if (!getenv("GLIBC_TUNABLES") && !getenv("MPC_BENCH_NO_REEXEC")) {
        setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
        setenv("MPC_BENCH_NO_REEXEC", "1", 1);
        execv("/proc/self/exe", argv);   /* on failure, run as we are */
    }
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);   /* glibc maximum */
    (void)mallopt(M_TRIM_THRESHOLD, 1 << 30);
    (void)mallopt(M_TOP_PAD, 64 << 20);
}

int procs_run(const field *F, int n, int t, procs_fn fn, void *arg)
{
    uint8_t sid[MPC_SID_LEN], pk[MPC_MAX_SERVERS][32], sk[MPC_MAX_SERVERS][32];
    char epb[MPC_MAX_SERVERS][64];
    const char *eps[MPC_MAX_SERVERS];
    randombytes_buf(sid, sizeof sid);
    for (int i = 0; i < n; i++) {
        int port = s_port();
        if (port < 0) return -1;
        crypto_box_keypair(pk[i], sk[i]);
        snprintf(epb[i], sizeof epb[i], "tcp://127.0.0.1:%d", port);
        eps[i] = epb[i];
    }
    fflush(NULL);
    pid_t pids[MPC_MAX_SERVERS];
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] < 0) return -1;
        if (pids[i] == 0) {
            int rc = s_child(F, n, t, i + 1, sid, eps, (const uint8_t(*)[32])pk, sk[i], fn, arg);
            sodium_memzero(sk, sizeof sk);
            fflush(NULL);
            _exit(rc ? 1 : 0);
        }
    }
    sodium_memzero(sk, sizeof sk);
    int fail = 0;
    for (int i = 0; i < n; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) fail = 1;
    }
    return fail ? -1 : 0;
}

static double s_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int procs_start(mpc *M, procs_meter *mt)
{
    fe z = 0;
    int rc = mpc_open_ex(M, &z, &z, 1, MPC_OPEN_NV);   /* a public constant */
    mpc_stats(M, &mt->r0, NULL, &mt->b0);
    mt->t0 = procs_now();
    mt->c0 = s_cpu();
    return rc;
}

double procs_elapsed(const procs_meter *mt)
{
    return procs_now() - mt->t0;
}

void procs_report(mpc *M, const procs_meter *mt, const char *name, double value,
                  const char *unit, const char *extra)
{
    uint64_t r1, b1;
    mpc_stats(M, &r1, NULL, &b1);
    if (mpc_me(M) != 1) return;
    printf("{\"name\":\"%s\",\"value\":%.6g,\"unit\":\"%s\",\"n\":%d,\"t\":%d%s,"
           "\"rounds\":%llu,\"bytes_per_party\":%llu,\"cpu_s\":%.4f}\n",
           name, value, unit, mpc_n(M), mpc_t(M), extra ? extra : "",
           (unsigned long long)(r1 - mt->r0), (unsigned long long)(b1 - mt->b0),
           s_cpu() - mt->c0);
    fflush(stdout);
}
