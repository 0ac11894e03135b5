/* raises_additive: the seed's protocol exactly: Alice, Bob, Carlos and David are
 * both the clients and the servers. Each splits its raise into four additive
 * shares (n-of-n), keeps one and sends one to each colleague over an
 * authenticated CurveZMQ mesh; each publishes the sum of the shares it holds;
 * everyone adds the four published sums and divides by four.
 *
 *   raises_additive                 fresh random shares
 *   raises_additive --table FILE    the seed's own shares (tests/vectors/raises.tsv),
 *                                   reproducing its published column sums
 * Each engineer is a separate process. Prints the column sums, the total and
 * the average, and each engineer's messages and bytes sent. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "common/field.h"
#include "common/net.h"
#include "common/secmem.h"
#include "protocols/shamir.h"

#define E_N 4
#define T_SHARE 1
#define T_SUM 2

static const char *const s_names[E_N] = { "alice", "bob", "carlos", "david" };
static const int64_t s_raises[E_N] = { 3800, 2514, 2982, 3390 };

/* The seed's table: row i = engineer i's shares to alice..david. */
static int s_load_table(const char *path, int64_t tab[E_N][E_N])
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f) && rows < E_N) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char name[32];
        long long raise, s[E_N];
        if (sscanf(line, "%31s %lld %lld %lld %lld %lld", name, &raise, &s[0], &s[1], &s[2],
                   &s[3]) != 6 || strcmp(name, s_names[rows]) != 0 || raise != s_raises[rows] ||
            s[0] + s[1] + s[2] + s[3] != raise) {
            fclose(f);
            return -1;
        }
        for (int j = 0; j < E_N; j++) tab[rows][j] = s[j];
        rows++;
    }
    fclose(f);
    return rows == E_N ? 0 : -1;
}

static int s_engineer(int me, const field *F, const uint8_t *sid, const char *const *eps,
                      const uint8_t (*pk)[32], const uint8_t *sk, int64_t tab[E_N][E_N],
                      int use_table, int out_fd)
{
    char err[256];
    net *nw = NULL;
    net_zmq_cfg cfg = { .n = E_N, .me = me, .sid = sid, .endpoints = eps, .server_pk = pk,
                        .my_sk = sk, .timeout_ms = 10000 };
    if (net_zmq_open(&nw, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", s_names[me - 1], err);
        return 1;
    }
    fe raise = fe_from_i64(F, s_raises[me - 1]), shares[E_N], held[E_N], col = 0, sums[E_N];
    if (use_table) {
        for (int j = 0; j < E_N; j++) shares[j] = fe_from_i64(F, tab[me - 1][j]);
    } else {
        additive_split(F, shares, &raise, 1, E_N);   /* shares[j]: for engineer j+1 */
    }
    int rc = 0;
    for (int j = 1; j <= E_N && !rc; j++)
        if (j != me) rc = net_send_vec(nw, j, T_SHARE, 1, F, &shares[j - 1], 1);
    held[me - 1] = shares[me - 1];
    for (int j = 1; j <= E_N && !rc; j++)
        if (j != me) rc = net_recv_vec(nw, j, T_SHARE, 1, F, &held[j - 1], 1);
    for (int j = 0; j < E_N && !rc; j++) col = fe_add(F, col, held[j]);
    /* publish the column sum: it reveals nothing about any single raise */
    for (int j = 1; j <= E_N && !rc; j++)
        if (j != me) rc = net_send_vec(nw, j, T_SUM, 2, F, &col, 1);
    sums[me - 1] = col;
    for (int j = 1; j <= E_N && !rc; j++)
        if (j != me) rc = net_recv_vec(nw, j, T_SUM, 2, F, &sums[j - 1], 1);
    if (rc) {
        fprintf(stderr, "%s: %s\n", s_names[me - 1], net_errmsg(nw));
    } else {
        uint64_t msgs, bytes;
        net_stats(nw, &msgs, &bytes);
        char line[512];
        int len = 0;
        fe total = 0;
        int64_t v;
        for (int j = 0; j < E_N; j++) total = fe_add(F, total, sums[j]);
        if (me == 1) {
            len += snprintf(line + len, sizeof line - (size_t)len, "column sums:");
            for (int j = 0; j < E_N; j++)
                len += fe_to_i64(F, sums[j], &v) == 0
                           ? snprintf(line + len, sizeof line - (size_t)len, " %s %lld",
                                      s_names[j], (long long)v)
                           : snprintf(line + len, sizeof line - (size_t)len,
                                      " %s <random element of F_p>", s_names[j]);
            if (fe_to_i64(F, total, &v) == 0) {
                /* v / 4 exactly, in hundredths, trailing zeros dropped */
                long long c = (long long)v * (100 / E_N);
                char frac[4];
                snprintf(frac, sizeof frac, "%02lld", llabs(c % 100));
                if (frac[1] == '0') frac[1] = 0;
                len += snprintf(line + len, sizeof line - (size_t)len,
                                "\ntotal %lld\naverage %lld%s%s\n", (long long)v, c / 100,
                                frac[0] == '0' && !frac[1] ? "" : ".",
                                frac[0] == '0' && !frac[1] ? "" : frac);
            }
        }
        len += snprintf(line + len, sizeof line - (size_t)len,
                        "%s sent %llu messages, %llu bytes (hello/bye barrier included)\n",
                        s_names[me - 1], (unsigned long long)msgs, (unsigned long long)bytes);
        if (write(out_fd, line, (size_t)len) < 0) rc = ERR_IO;
    }
    if (!rc) rc = net_bye(nw);
    sodium_memzero(shares, sizeof shares);
    sodium_memzero(held, sizeof held);
    net_free(&nw);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (secmem_init() != 0) return 1;
    int64_t tab[E_N][E_N];
    int use_table = 0;
    if (argc == 3 && strcmp(argv[1], "--table") == 0) {
        if (s_load_table(argv[2], tab) != 0) {
            fprintf(stderr, "error: %s: not the four engineers' table\n", argv[2]);
            return 1;
        }
        use_table = 1;
    } else if (argc != 1) {
        fprintf(stderr, "usage: raises_additive [--table FILE]\n");
        return 2;
    }
    field F;
    if (field_init_default(&F, 32, 40) != 0) return 1;
    uint8_t sid[MPC_SID_LEN], pk[E_N][32], sk[E_N][32];
    char epb[E_N][64];
    const char *eps[E_N];
    randombytes_buf(sid, sizeof sid);
    for (int i = 0; i < E_N; i++) {
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t al = sizeof a;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fd, (struct sockaddr *)&a, &al) != 0)
            return 1;
        close(fd);
        crypto_box_keypair(pk[i], sk[i]);
        snprintf(epb[i], sizeof epb[i], "tcp://127.0.0.1:%d", ntohs(a.sin_port));
        eps[i] = epb[i];
    }
    int pipes[E_N][2];
    pid_t pids[E_N];
    fflush(NULL);
    for (int i = 0; i < E_N; i++) {
        if (pipe(pipes[i]) != 0) return 1;
        pids[i] = fork();
        if (pids[i] == 0) {
            close(pipes[i][0]);
            int rc = s_engineer(i + 1, &F, sid, eps, (const uint8_t(*)[32])pk, sk[i], tab,
                                use_table, pipes[i][1]);
            sodium_memzero(sk, sizeof sk);
            _exit(rc);
        }
        close(pipes[i][1]);
    }
    sodium_memzero(sk, sizeof sk);
    int fail = 0;
    for (int i = 0; i < E_N; i++) {
        char buf[1024];
        ssize_t n;
        while ((n = read(pipes[i][0], buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
        close(pipes[i][0]);
        int st;
        if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) fail = 1;
    }
    return fail;
}
