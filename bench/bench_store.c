/* bench_store: the envelope store's cost per put and per commit (group
 * commit: one fsync per batch), on the file system of --dir (default /tmp).
 * One JSON line per (envelope size, batch size): CPU microseconds per put,
 * CPU microseconds per envelope including its share of the commit, wall
 * milliseconds per commit, envelopes per second end to end, and the
 * reload time; then the cost of a bare 4 KiB write + fdatasync for scale.
 * Usage: bench_store [--quick] [--dir DIR]. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "common/secmem.h"
#include "common/store.h"

static double s_now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int s_run(const char *dir, size_t n, size_t batch, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench_store_%ld.db", dir, (long)getpid());
    uint8_t sid[MPC_SID_LEN] = { 1 };
    store *s = NULL;
    char err[512];
    if (store_open(&s, path, sid, (uint32_t)n, err, sizeof err) != 0) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    uint8_t *env = malloc(len);
    randombytes_buf(env, len);
    double put_cpu = 0, commit_wall = 0, t0 = s_now(CLOCK_MONOTONIC);
    double cpu0 = s_now(CLOCK_PROCESS_CPUTIME_ID);
    size_t commits = 0;
    for (size_t i = 0; i < n; i += batch) {
        size_t m = n - i < batch ? n - i : batch;
        if (store_begin(s) != 0) goto fail;
        double c0 = s_now(CLOCK_PROCESS_CPUTIME_ID);
        for (size_t j = 0; j < m; j++) {
            store_env e = { .roll = (uint32_t)(i + j), .seq = 1, .env = env, .env_len = len };
            memcpy(e.hash, &e.roll, sizeof e.roll);   /* any distinct hash will do */
            env[0] = (uint8_t)j;
            if (store_put(s, &e) != 0) goto fail;
        }
        double w0 = s_now(CLOCK_MONOTONIC);
        put_cpu += s_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (store_commit(s) != 0) goto fail;
        commit_wall += s_now(CLOCK_MONOTONIC) - w0;
        commits++;
    }
    double total = s_now(CLOCK_MONOTONIC) - t0;
    double cpu = s_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    store_free(&s);
    double r0 = s_now(CLOCK_MONOTONIC);
    if (store_open(&s, path, sid, (uint32_t)n, err, sizeof err) != 0) {
        fprintf(stderr, "bench_store: reopen: %s\n", err);
        return 1;
    }
    double reload = s_now(CLOCK_MONOTONIC) - r0;
    store_free(&s);
    printf("{\"bench\": \"store\", \"envelopes\": %zu, \"env_bytes\": %zu, \"batch\": %zu, "
           "\"put_cpu_us\": %.2f, \"cpu_us_per_env\": %.2f, \"commit_ms\": %.3f, \"envelopes_per_s\": %.0f, "
           "\"reload_ms\": %.1f}\n",
           n, len, batch, put_cpu / (double)n * 1e6, cpu / (double)n * 1e6, commit_wall / (double)commits * 1e3,
           (double)n / total, reload * 1e3);
    free(env);
    char p2[560];
    unlink(path);
    snprintf(p2, sizeof p2, "%s.lock", path);
    unlink(p2);
    return 0;
fail:
    fprintf(stderr, "bench_store: %s\n", store_errmsg(s));
    store_free(&s);
    return 1;
}

/* A bare write + fdatasync of one page: the floor under any commit. */
static void s_fsync_floor(const char *dir, int rounds)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench_fsync_%ld", dir, (long)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return;
    uint8_t page[4096] = { 0 };
    double t0 = s_now(CLOCK_MONOTONIC);
    for (int i = 0; i < rounds; i++) {
        if (pwrite(fd, page, sizeof page, (off_t)i * (off_t)sizeof page) != sizeof page ||
            fdatasync(fd) != 0)
            break;
    }
    double dt = s_now(CLOCK_MONOTONIC) - t0;
    close(fd);
    unlink(path);
    printf("{\"bench\": \"fsync_floor\", \"write_4k_fdatasync_ms\": %.3f}\n",
           dt / rounds * 1e3);
}

int main(int argc, char **argv)
{
    if (secmem_init() != 0) return 1;
    const char *dir = "/tmp";
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
        else { fprintf(stderr, "usage: bench_store [--quick] [--dir DIR]\n"); return 2; }
    }
    size_t n = quick ? 2000 : 10000;
    static const size_t batches[] = { 1, 16, 64, 256 };
    static const size_t lens[] = { 1024, 4096 };
    for (size_t l = 0; l < 2; l++)
        for (size_t b = 0; b < 4; b++) {
            size_t nn = batches[b] == 1 ? n / 10 : n;   /* one fsync each: keep it short */
            if (s_run(dir, nn, batches[b], lens[l]) != 0) return 1;
        }
    s_fsync_floor(dir, quick ? 50 : 200);
    return 0;
}
