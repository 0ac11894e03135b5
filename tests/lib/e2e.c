/* e2e: helpers of the end-to-end tests (process runner, files, JSON, byte
 * search, PRNG, real sessions); tested by tests/test_e2e_util.c. */
#include "tests/e2e.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "common/secmem.h"

#define S_MAX_TRACKED 64
#define S_MAX_ARGV 64

/* per test process (Criterion forks every test): what e2e_cleanup undoes */
static pid_t s_groups[S_MAX_TRACKED];
static size_t s_ngroups;
static char s_dirs[S_MAX_TRACKED][E2E_PATH];
static size_t s_ndirs;

int e2e_timeout_ms = E2E_TIMEOUT_MS;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void e2e_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    s_ngroups = 0;
    s_ndirs = 0;
    e2e_timeout_ms = E2E_TIMEOUT_MS;
}

static void s_track_group(pid_t pid)
{
    cr_assert_lt(s_ngroups, (size_t)S_MAX_TRACKED, "too many background processes");
    s_groups[s_ngroups++] = pid;
}

static void s_untrack_group(pid_t pid)
{
    for (size_t i = 0; i < s_ngroups; i++)
        if (s_groups[i] == pid) s_groups[i] = 0;
}

void e2e_cleanup(void)
{
    for (size_t i = 0; i < s_ngroups; i++) {
        if (s_groups[i] <= 0) continue;
        kill(-s_groups[i], SIGKILL);
        waitpid(s_groups[i], NULL, 0);
        s_groups[i] = 0;
    }
    s_ngroups = 0;
    for (size_t i = 0; i < s_ndirs; i++) e2e_rmtree(s_dirs[i]);
    s_ndirs = 0;
}

const char *e2e_bin(char *out, size_t outlen, const char *app)
{
    const char *b = getenv("MPC_BUILD");
    if (!b || !*b) b = "build";
    snprintf(out, outlen, "%s/%s/%s", b, app, app);
    return out;
}

/* In a forked child: own process group, die with the parent, stdin from
 * /dev/null, no descriptor of the test runner leaks into the program. */
static void s_child_prepare(int fd_out, int fd_err)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int dn = open("/dev/null", O_RDWR);
    if (dn >= 0) dup2(dn, 0);
    if (fd_out >= 0) dup2(fd_out, 1);
    if (fd_err >= 0) dup2(fd_err, 2);
    close_range(3, ~0u, 0);
}

static int s_status(int ws)
{
    if (WIFEXITED(ws)) return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
    return -1;
}

static void s_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap) *cap *= 2;
        *buf = realloc(*buf, *cap);
        cr_assert_not_null(*buf);
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = 0;
}

void e2e_exec(e2e_out *r, const char *const *argv, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    size_t cap[2] = { 4096, 4096 };
    r->out = calloc(1, cap[0]);
    r->err = calloc(1, cap[1]);
    cr_assert(r->out && r->err);
    int po[2], pe[2];
    cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        s_child_prepare(po[1], pe[1]);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    s_track_group(pid);
    close(po[1]);
    close(pe[1]);
    int fds[2] = { po[0], pe[0] };
    double deadline = s_now() + timeout_ms / 1000.0;
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2];
        int np = 0, map[2];
        for (int i = 0; i < 2; i++)
            if (fds[i] >= 0) {
                p[np] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
                map[np++] = i;
            }
        double left = deadline - s_now();
        if (left <= 0 && !r->timed_out) {
            r->timed_out = 1;
            kill(-pid, SIGKILL);
            deadline = s_now() + 5;   /* then drain what the dead group left */
            continue;
        }
        if (left <= 0) break;
        int pr = poll(p, (nfds_t)np, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr < 0) break;
        for (int j = 0; j < np; j++) {
            if (!p[j].revents) continue;
            int i = map[j];
            char buf[8192];
            ssize_t n = read(fds[i], buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fds[i]);
                fds[i] = -1;
                continue;
            }
            if (i == 0) s_append(&r->out, &r->out_len, &cap[0], buf, (size_t)n);
            else s_append(&r->err, &r->err_len, &cap[1], buf, (size_t)n);
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0) close(fds[i]);
    int ws = 0;
    if (r->timed_out) kill(-pid, SIGKILL);
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    /* the program's children (run-local's servers) share the group */
    kill(-pid, SIGKILL);
    s_untrack_group(pid);
    r->status = s_status(ws);
}

/* Append the NULL-terminated arguments of ap to argv[0..n) and run it. */
static void s_exec_va(e2e_out *r, const char **argv, size_t n, va_list ap)
{
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        cr_assert_lt(n, (size_t)S_MAX_ARGV - 1);
        argv[n++] = a;
    }
    argv[n] = NULL;
    e2e_exec(r, argv, e2e_timeout_ms);
}

void e2e_app(e2e_out *r, const char *app, ...)
{
    char bin[E2E_PATH];
    const char *argv[S_MAX_ARGV];
    size_t n = 0;
    argv[n++] = e2e_bin(bin, sizeof bin, app);
    va_list ap;
    va_start(ap, app);
    s_exec_va(r, argv, n, ap);
    va_end(ap);
}

void e2e_out_free(e2e_out *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
    r->out_len = r->err_len = 0;
}

void e2e_tmpdir(char *out, size_t outlen, const char *tag)
{
    snprintf(out, outlen, "/tmp/e2e-%s-XXXXXX", tag);
    cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
    cr_assert_lt(s_ndirs, (size_t)S_MAX_TRACKED);
    snprintf(s_dirs[s_ndirs++], E2E_PATH, "%s", out);
}

void e2e_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    size_t len = strlen(text);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

char *e2e_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (n + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static int s_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag == FTW_DP) rmdir(path);
    else unlink(path);
    return 0;
}

void e2e_rmtree(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0) return;
    (void)nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

json_t *e2e_run_local(e2e_out *r, const char *app, const char *inputs, const char *dir, ...)
{
    char tmp[E2E_PATH], file[E2E_PATH + 32], run[E2E_PATH + 32], bin[E2E_PATH];
    e2e_tmpdir(tmp, sizeof tmp, app);
    snprintf(file, sizeof file, "%s/inputs.txt", tmp);
    e2e_write(file, inputs);
    /* always a run directory of ours: run-local's own is kept on failure */
    snprintf(run, sizeof run, "%s/run", tmp);
    if (!dir) dir = run;
    const char *argv[S_MAX_ARGV];
    size_t n = 0;
    argv[n++] = e2e_bin(bin, sizeof bin, app);
    argv[n++] = "run-local";
    argv[n++] = strcmp(app, "auction") == 0 ? "--bids" : "--ballots";
    argv[n++] = file;
    argv[n++] = "--json";
    argv[n++] = "--keep";
    argv[n++] = "--dir";
    argv[n++] = dir;
    va_list ap;
    va_start(ap, dir);
    s_exec_va(r, argv, n, ap);
    va_end(ap);
    if (r->status != 0) return NULL;
    return e2e_json(r->out);
}

json_t *e2e_json(const char *text)
{
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (o && !json_is_object(o)) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

int64_t e2e_jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_integer(v), "\"%s\" is not an integer member", key);
    return (int64_t)json_integer_value(v);
}

const char *e2e_jstr(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_string(v), "\"%s\" is not a string member", key);
    return json_string_value(v);
}

int e2e_jbool(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_boolean(v), "\"%s\" is not a boolean member", key);
    return json_is_true(v);
}

int e2e_jhas(const json_t *o, const char *key)
{
    return json_object_get(o, key) != NULL;
}

int e2e_mem_has(const void *hay, size_t hay_len, const void *needle, size_t len)
{
    return len > 0 && memmem(hay, hay_len, needle, len) != NULL;
}

/* nftw has no user pointer: the search runs with these (one test, one thread) */
static const void *s_needle;
static size_t s_needle_len;
static char *s_found;
static size_t s_found_len;

static int s_find_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (flag != FTW_F) return 0;
    size_t len = 0;
    char *buf = e2e_read(path, &len);
    cr_assert_not_null(buf, "cannot read %s", path);
    int hit = e2e_mem_has(buf, len, s_needle, s_needle_len);
    free(buf);
    if (hit) {
        if (s_found) snprintf(s_found, s_found_len, "%s", path);
        return 1;
    }
    return 0;
}

int e2e_tree_find(const char *dir, const void *needle, size_t len, char *where, size_t wlen)
{
    s_needle = needle;
    s_needle_len = len;
    s_found = where;
    s_found_len = wlen;
    int rc = nftw(dir, s_find_one, 16, FTW_PHYS);
    cr_assert_geq(rc, 0, "cannot walk %s", dir);
    return rc == 1;
}

void e2e_be(uint8_t *out, size_t width, uint64_t v)
{
    for (size_t i = 0; i < width; i++) {
        size_t sh = 8 * (width - 1 - i);
        out[i] = sh < 64 ? (uint8_t)(v >> sh) : 0;
    }
}

void e2e_le(uint8_t *out, size_t width, uint64_t v)
{
    for (size_t i = 0; i < width; i++) out[i] = 8 * i < 64 ? (uint8_t)(v >> (8 * i)) : 0;
}

uint64_t e2e_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t e2e_rand_below(uint64_t *state, uint64_t bound)
{
    cr_assert_gt(bound, 0);
    return e2e_rand(state) % bound;
}

/* ---------- real sessions ---------- */

/* count distinct free loopback ports: every socket stays bound until all are
 * chosen (closing each at once lets the kernel hand the same port out twice). */
static void s_free_ports(int *ports, int count)
{
    int fds[3 * E2E_MAX_SERVERS];
    cr_assert_leq(count, 3 * E2E_MAX_SERVERS);
    for (int i = 0; i < count; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(fds[i], 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof sa;
        cr_assert_eq(bind(fds[i], (struct sockaddr *)&sa, sizeof sa), 0);
        cr_assert_eq(getsockname(fds[i], (struct sockaddr *)&sa, &sl), 0);
        ports[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < count; i++) close(fds[i]);
}

/* `app keygen --out DIR/name`, then the two public keys from DIR/name.pub. */
static void s_keygen(const e2e_session *s, const char *name, char curve[65], char sign[65])
{
    char prefix[E2E_PATH + 64], pub[E2E_PATH + 80];
    snprintf(prefix, sizeof prefix, "%s/%s", s->dir, name);
    e2e_out r;
    e2e_app(&r, s->app, "keygen", "--out", prefix, NULL);
    cr_assert_eq(r.status, 0, "keygen %s: %s", name, r.err);
    e2e_out_free(&r);
    snprintf(pub, sizeof pub, "%s.pub", prefix);
    char *text = e2e_read(pub, NULL);
    cr_assert_not_null(text, "no %s", pub);
    curve[0] = sign[0] = 0;
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        char key[16], hex[80];
        if (sscanf(ln, "%15s %79s", key, hex) != 2 || strlen(hex) != 64) continue;
        if (strcmp(key, "curve_pk") == 0) memcpy(curve, hex, 65);
        if (strcmp(key, "sign_pk") == 0) memcpy(sign, hex, 65);
    }
    free(text);
    cr_assert(curve[0] && sign[0], "%s: no public keys", pub);
}

/* Start `app server ...` i in the background, stdout/stderr to files. */
int e2e_session_timeout_ms = 10000;
int e2e_session_deadline_s = 3600;
const char *e2e_session_security = NULL;
const char *e2e_session_close = "all_voted";
const char *e2e_session_web = NULL;
const char *e2e_session_tls_cert = NULL, *e2e_session_tls_key = NULL;

static pid_t s_spawn_server(const e2e_session *s, int i, int serve_s, const char *failpoint,
                            int append)
{
    char bin[E2E_PATH], key[E2E_PATH + 32], data[E2E_PATH + 32], outp[E2E_PATH + 32],
        errp[E2E_PATH + 32], serve[16], http[32];
    e2e_bin(bin, sizeof bin, s->app);
    snprintf(key, sizeof key, "%s/server%d.key", s->dir, i);
    snprintf(data, sizeof data, "%s/d%d", s->dir, i);
    snprintf(outp, sizeof outp, "%s/server%d.out", s->dir, i);
    snprintf(errp, sizeof errp, "%s/server%d.log", s->dir, i);
    snprintf(serve, sizeof serve, "%d", serve_s);
    snprintf(http, sizeof http, "127.0.0.1:%d", s->http_port[i - 1]);
    const char *argv[] = { s->app, "server", "--defn", s->defn, "--keys", key, "--data", data,
                           "--serve", serve, s->http_port[i - 1] ? "--http" : NULL, http, "--web",
                           e2e_session_web, e2e_session_tls_cert ? "--tls-cert" : NULL,
                           e2e_session_tls_cert, "--tls-key", e2e_session_tls_key, NULL };
    int mode = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
    int fo = open(outp, mode, 0600);
    int fe_ = open(errp, mode, 0600);
    cr_assert(fo >= 0 && fe_ >= 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        s_child_prepare(fo, fe_);
        if (failpoint) setenv("MPC_FAILPOINT", failpoint, 1);
        else unsetenv("MPC_FAILPOINT");
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid);
    s_track_group(pid);
    close(fo);
    close(fe_);
    return pid;
}

void e2e_session_start(e2e_session *s, const char *app, int n, int t,
                       const char *const *roll, const char *const *others,
                       const char *rules_json, int serve_s)
{
    memset(s, 0, sizeof *s);
    cr_assert(n >= 1 && n <= E2E_MAX_SERVERS);
    snprintf(s->app, sizeof s->app, "%s", app);
    s->n = n;
    e2e_tmpdir(s->dir, sizeof s->dir, "session");
    char curve[65], sign[65], name[32];
    int ports[3 * E2E_MAX_SERVERS];
    s_free_ports(ports, (e2e_session_web ? 3 : 2) * n);
    json_t *servers = json_array(), *jroll = json_array();
    for (int i = 1; i <= n; i++) {
        snprintf(name, sizeof name, "server%d", i);
        s_keygen(s, name, curve, sign);
        char mesh[64], cli[64];
        snprintf(mesh, sizeof mesh, "tcp://127.0.0.1:%d", ports[2 * i - 2]);
        snprintf(cli, sizeof cli, "tcp://127.0.0.1:%d", ports[2 * i - 1]);
        json_t *sv = json_pack("{s:i, s:s, s:s, s:s, s:s}", "index", i, "mesh", mesh, "client",
                               cli, "curve_pk", curve, "sign_pk", sign);
        if (e2e_session_web) {
            char origin[64];
            s->http_port[i - 1] = ports[2 * n + i - 1];
            snprintf(origin, sizeof origin, "%s://127.0.0.1:%d",
                     e2e_session_tls_cert ? "https" : "http", s->http_port[i - 1]);
            json_object_set_new(sv, "http", json_string(origin));
        }
        json_array_append_new(servers, sv);
    }
    for (size_t i = 0; roll[i]; i++) {
        s_keygen(s, roll[i], curve, sign);
        json_array_append_new(jroll, json_pack("{s:s, s:s, s:s}", "name", roll[i], "curve_pk",
                                               curve, "sign_pk", sign));
    }
    for (size_t i = 0; others && others[i]; i++) s_keygen(s, others[i], curve, sign);
    json_error_t je;
    json_t *rules = json_loads(rules_json, 0, &je);
    cr_assert_not_null(rules, "rules: %s", je.text);
    /* sessions close once every roll member is in unless a test says otherwise
     * (the product's default is the deadline) */
    if (!json_object_get(rules, "close"))
        json_object_set_new(rules, "close", json_string(e2e_session_close));
    json_t *d = json_pack("{s:s, s:s, s:i, s:I, s:i, s:o, s:o, s:o}", "id", "e2e-session", "kind",
                          app, "t", t, "deadline", (json_int_t)time(NULL) + e2e_session_deadline_s, "timeout_ms",
                          e2e_session_timeout_ms, "servers", servers, "roll", jroll, "rules", rules);
    cr_assert_not_null(d);
    if (e2e_session_security)
        json_object_set_new(d, "security", json_string(e2e_session_security));
    snprintf(s->defn, sizeof s->defn, "%s/definition.json", s->dir);
    cr_assert_eq(json_dump_file(d, s->defn, JSON_INDENT(2)), 0);
    json_decref(d);
    s->serve_s = serve_s;
    for (int i = 1; i <= n; i++) s->pid[i - 1] = s_spawn_server(s, i, serve_s, NULL, 0);
}

void e2e_session_restart(e2e_session *s, int i, const char *failpoint)
{
    cr_assert(i >= 1 && i <= s->n);
    s->pid[i - 1] = s_spawn_server(s, i, s->serve_s, failpoint, 1);
}

int e2e_session_kill(e2e_session *s, int i)
{
    cr_assert(i >= 1 && i <= s->n && s->pid[i - 1] > 0);
    kill(s->pid[i - 1], SIGKILL);
    int ws = 0;
    waitpid(s->pid[i - 1], &ws, 0);
    s->pid[i - 1] = 0;
    return s_status(ws);
}

int e2e_session_wait_exit(e2e_session *s, int i, int timeout_ms)
{
    cr_assert(i >= 1 && i <= s->n && s->pid[i - 1] > 0);
    double end = s_now() + timeout_ms / 1000.0;
    for (;;) {
        int ws = 0;
        pid_t r = waitpid(s->pid[i - 1], &ws, WNOHANG);
        if (r == s->pid[i - 1]) {
            s->pid[i - 1] = 0;
            return s_status(ws);
        }
        if (s_now() > end) return -1;
        usleep(20000);
    }
}

void e2e_session_submit(e2e_session *s, e2e_out *r, const char *who, const char *input)
{
    char key[E2E_PATH + 64];
    snprintf(key, sizeof key, "%s/%s.key", s->dir, who);
    e2e_app(r, s->app, strcmp(s->app, "auction") == 0 ? "bid" : "cast", "--defn", s->defn,
            "--keys", key, "--retry", "0", input, NULL);
}

void e2e_session_wait_results(const e2e_session *s, int timeout_ms)
{
    double end = s_now() + timeout_ms / 1000.0;
    for (;;) {
        int done = 0;
        for (int i = 1; i <= s->n; i++) {
            char p[E2E_PATH + 32];
            struct stat st;
            snprintf(p, sizeof p, "%s/d%d/result.stmt", s->dir, i);
            done += stat(p, &st) == 0;
        }
        if (done == s->n) return;
        for (int i = 0; i < s->n; i++) {
            int ws;
            if (s->pid[i] > 0 && waitpid(s->pid[i], &ws, WNOHANG) == s->pid[i]) {
                char lp[E2E_PATH + 32];
                snprintf(lp, sizeof lp, "%s/server%d.log", s->dir, i + 1);
                char *log = e2e_read(lp, NULL);
                cr_assert_fail("server %d exited (%d) before writing its result:\n%s", i + 1,
                        s_status(ws), log ? log : "");
            }
        }
        cr_assert_lt(s_now(), end, "no result from all %d servers within %d ms (%d written)",
                     s->n, timeout_ms, done);
        usleep(20000);
    }
}

void e2e_session_stop(e2e_session *s, int *status)
{
    for (int i = 0; i < s->n; i++)
        if (s->pid[i] > 0) kill(s->pid[i], SIGTERM);
    for (int i = 0; i < s->n; i++) {
        if (s->pid[i] <= 0) continue;
        int ws = 0, st = -1;
        double end = s_now() + 20;
        for (;;) {
            pid_t w = waitpid(s->pid[i], &ws, WNOHANG);
            if (w == s->pid[i]) {
                st = s_status(ws);
                break;
            }
            if (w < 0 || s_now() > end) {
                kill(-s->pid[i], SIGKILL);
                if (waitpid(s->pid[i], &ws, 0) == s->pid[i]) st = s_status(ws);
                break;
            }
            usleep(10000);
        }
        s_untrack_group(s->pid[i]);
        s->pid[i] = 0;
        if (status) status[i] = st;
    }
}

void e2e_expect_refused(const e2e_out *r, json_t *j, const char *dir, const char *what,
                        int status, const char *says)
{
    cr_assert_null(j, "accepted bad input \"%s\"", what);
    cr_assert_eq(r->timed_out, 0, "\"%s\": run-local hung instead of refusing", what);
    cr_assert_eq(r->status, status, "\"%s\": status %d, stderr: %s", what, r->status, r->err);
    cr_assert_eq(r->out_len, 0, "\"%s\": printed %s", what, r->out);
    cr_assert_not_null(strstr(r->err, "error"), "\"%s\": stderr %s", what, r->err);
    cr_assert_not_null(strstr(r->err, says), "\"%s\": expected \"%s\" in: %s", what, says,
                       r->err);
    struct stat st;
    char p[E2E_PATH + 32];
    for (int i = 1; i <= 3; i++) {
        snprintf(p, sizeof p, "%s/server%d.log", dir, i);
        cr_assert_neq(stat(p, &st), 0, "\"%s\": server %d was started", what, i);
        snprintf(p, sizeof p, "%s/s%d", dir, i);
        cr_assert_neq(stat(p, &st), 0, "\"%s\": server %d was started", what, i);
    }
}
