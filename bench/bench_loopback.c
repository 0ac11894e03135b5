/* bench_loopback: the loopback limit of a round, as the yardstick for
 * bench_engine's round_trip_seconds. Three processes, each a CURVE ROUTER
 * bound on 127.0.0.1 and a CURVE DEALER to each peer, exactly the mesh of
 * common/net_zmq.c but with nothing else: per round every process sends one
 * 128-byte frame to each peer and receives one from each (no framing, no
 * transcript, no MAC of ours, no ZAP handler). One JSON line,
 * "loopback_round_seconds" (mean over the timed rounds, server 1's view).
 * Usage: bench_loopback [--quick]. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

#define N 3
#define PAYLOAD 128

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct keys {
    char pub[N][41], sec[N][41];
    int port[N];
} keys;

static int s_round(void *router, void *const *dealer, int me, unsigned char *buf)
{
    for (int j = 0; j < N; j++)
        if (j != me && zmq_send(dealer[j], buf, PAYLOAD, 0) != PAYLOAD) return -1;
    for (int got = 0; got < N - 1; got++) {
        unsigned char id[256];
        if (zmq_recv(router, id, sizeof id, 0) < 0) return -1;
        if (zmq_recv(router, buf, PAYLOAD, 0) != PAYLOAD) return -1;
    }
    return 0;
}

/* One process: returns the mean seconds per timed round, or -1. */
static double s_party(const keys *K, int me, int warm, int rounds)
{
    void *ctx = zmq_ctx_new(), *router = zmq_socket(ctx, ZMQ_ROUTER), *dealer[N] = { 0 };
    int one = 1, linger = 0, tmo = 5000;
    char ep[64];
    zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, K->sec[me], 40);
    zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(router, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", K->port[me]);
    if (zmq_bind(router, ep) != 0) return -1;
    for (int j = 0; j < N; j++) {
        if (j == me) continue;
        dealer[j] = zmq_socket(ctx, ZMQ_DEALER);
        zmq_setsockopt(dealer[j], ZMQ_CURVE_SERVERKEY, K->pub[j], 40);
        zmq_setsockopt(dealer[j], ZMQ_CURVE_PUBLICKEY, K->pub[me], 40);
        zmq_setsockopt(dealer[j], ZMQ_CURVE_SECRETKEY, K->sec[me], 40);
        zmq_setsockopt(dealer[j], ZMQ_LINGER, &linger, sizeof linger);
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", K->port[j]);
        if (zmq_connect(dealer[j], ep) != 0) return -1;
    }
    unsigned char buf[PAYLOAD];
    memset(buf, me, sizeof buf);
    double dt = -1;
    int ok = 1;
    for (int r = 0; r < warm && ok; r++) ok = s_round(router, dealer, me, buf) == 0;
    double t0 = s_now();
    for (int r = 0; r < rounds && ok; r++) ok = s_round(router, dealer, me, buf) == 0;
    if (ok) dt = (s_now() - t0) / rounds;
    for (int j = 0; j < N; j++)
        if (dealer[j]) zmq_close(dealer[j]);
    zmq_close(router);
    zmq_ctx_term(ctx);
    return dt;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    if (argc > 1 && !quick) {
        fprintf(stderr, "usage: bench_loopback [--quick]\n");
        return 2;
    }
    keys K;
    if (sodium_init() < 0) return 1;
    int base = 20000 + (int)randombytes_uniform(20000);   /* ports: avoid a fixed clash */
    for (int i = 0; i < N; i++) {
        if (zmq_curve_keypair(K.pub[i], K.sec[i]) != 0) {
            fprintf(stderr, "bench_loopback: no CURVE in this libzmq\n");
            return 1;
        }
        K.port[i] = base + i;
    }
    int warm = 200, rounds = quick ? 1000 : 5000;
    pid_t pid[N];
    int fd[2];
    if (pipe(fd) != 0) return 1;
    for (int i = 0; i < N; i++) {
        pid[i] = fork();
        if (pid[i] < 0) return 1;
        if (pid[i] == 0) {
            double dt = s_party(&K, i, warm, rounds);
            if (i == 0 && write(fd[1], &dt, sizeof dt) != sizeof dt) _exit(1);
            _exit(dt < 0);
        }
    }
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int st;
        if (waitpid(pid[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) bad = 1;
    }
    double dt = -1;
    if (read(fd[0], &dt, sizeof dt) != sizeof dt || bad || dt < 0) {
        fprintf(stderr, "bench_loopback: a party failed (ports %d..%d busy?)\n", base, base + N - 1);
        return 1;
    }
    printf("{\"name\":\"loopback_round_seconds\",\"value\":%.9g,\"unit\":\"s\",\"n\":%d,"
           "\"N\":%d,\"payload_bytes\":%d,\"transport\":\"zmq-curve\"}\n", dt, N, rounds, PAYLOAD);
    return 0;
}
