/* runlocal: the local orchestrator (see runlocal.h). */
#include "app/runlocal.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "app/bulk.h"
#include "app/cli.h"
#include "app/client.h"
#include "app/verify.h"
#include "common/fsutil.h"
#include "common/ports.h"
#include "common/rpc.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/result.h"

typedef struct s_line {
    char name[DEFN_MAX_ID + 1];
    char *text;
    int raw;
    size_t roll;
    int lineno;
} s_line;

typedef struct s_run {
    const app_ops *ops;
    cli_args a;
    long nserv, bits, t;
    int json, verbose, security, domain;
    json_t *rules;
    const char *inputs;
    uint8_t *text;              /* the input file; lines point into it */
    s_line *lines;
    size_t nl;
    char (*names)[DEFN_MAX_ID + 1];
    size_t nroll;
    char dir[2048];
    char defn_path[2200];
    uint8_t *vsk;               /* nroll Ed25519 secret keys, one secure block (secret) */
    app_ctx c;
    pid_t pids[MPC_MAX_SERVERS];
    int started;
    double intake_s;            /* sealing + submitting every line */
} s_run;

/* ---- options ---- */

static int s_options(s_run *R, int argc, char **argv)
{
    const app_ops *ops = R->ops;
    const char *vf[CLI_MAX_ARGS], *bf[CLI_MAX_ARGS];
    size_t nv = 0, nb = 0;
    const char *const base_v[] = { "--servers", "--bits", "--dir", "--t", "--security",
                                   "--domain", ops->inputs_flag };
    const char *const base_b[] = { "--json", "--keep", "--verbose" };
    for (size_t i = 0; i < sizeof base_v / sizeof *base_v; i++) vf[nv++] = base_v[i];
    for (size_t i = 0; i < sizeof base_b / sizeof *base_b; i++) bf[nb++] = base_b[i];
    for (size_t i = 0; ops->flags[i] && nv + nb < CLI_MAX_ARGS - 2; i++) {
        if (cli_in(ops->bool_flags, ops->flags[i])) bf[nb++] = ops->flags[i];
        else vf[nv++] = ops->flags[i];
    }
    vf[nv] = NULL;
    bf[nb] = NULL;
    cli_args *a = &R->a;
    if (cli_parse(a, argc, argv, vf, bf) || cli_need(a, ops->inputs_flag, &R->inputs)) return 2;
    if (a->npos) {
        fprintf(stderr, "error: unexpected argument %s\n", a->pos[0]);
        return 2;
    }
    R->nserv = 3;
    R->bits = 32;
    R->t = -1;
    if (cli_get(a, "--servers") && cli_int(cli_get(a, "--servers"), 1, MPC_MAX_SERVERS, &R->nserv) != 0) {
        fprintf(stderr, "error: --servers: expected 1..%d\n", MPC_MAX_SERVERS);
        return 2;
    }
    if (cli_get(a, "--bits") && cli_int(cli_get(a, "--bits"), 1, 64, &R->bits) != 0) {
        fprintf(stderr, "error: --bits: expected 1..64\n");
        return 2;
    }
    if (cli_get(a, "--t") && cli_int(cli_get(a, "--t"), 0, (MPC_MAX_SERVERS - 1) / 2, &R->t) != 0) {
        fprintf(stderr, "error: --t: expected 0..%d\n", (MPC_MAX_SERVERS - 1) / 2);
        return 2;
    }
    if (R->t < 0 && R->nserv < 3) {
        fprintf(stderr, "error: --servers %ld: with fewer than 3 servers t would be 0 and every "
                        "server would see every input in clear; use 3 or more, or pass --t 0 "
                        "to run without privacy anyway\n", R->nserv);
        return 2;
    }
    if (R->t < 0) R->t = (R->nserv - 1) / 2;
    if (R->t == 0) fprintf(stderr, "warning: t = 0: no privacy, every server sees every input\n");
    if (2 * R->t >= R->nserv) {
        fprintf(stderr, "error: --t %ld needs more than %ld servers\n", R->t, 2 * R->t);
        return 2;
    }
    const char *sec = cli_get(a, "--security");
    if (sec && strcmp(sec, "malicious") && strcmp(sec, "semi-honest")) {
        fprintf(stderr, "error: --security: expected malicious or semi-honest\n");
        return 2;
    }
    R->security = sec && !strcmp(sec, "semi-honest") ? DEFN_SEMI_HONEST : DEFN_MALICIOUS;
    if ((R->domain = cli_domain(a)) < 0) return 2;
    R->json = cli_get(a, "--json") != NULL;
    R->verbose = cli_get(a, "--verbose") != NULL;
    return 0;
}

/* The application's flags -> its rules object. */
static int s_rules(s_run *R)
{
    const char *af[CLI_MAX_ARGS], *av[CLI_MAX_ARGS];
    size_t na = cli_select(&R->a, R->ops->flags, af, av);
    char err[512];
    if (R->ops->runlocal_rules(af, av, na, (int)R->bits, &R->rules, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    return 0;
}

/* ---- inputs ---- */

/* One line "input" or "name input" (comments after '#'); 1 when it holds one,
 * 0 when blank, -1 when malformed (printed). */
static int s_line_parse(s_run *R, char *ln, int lineno, s_line *L)
{
    char *hash = strchr(ln, '#');
    if (hash) *hash = 0;
    char *tok[3], *save = NULL;
    int nt = 0;
    for (char *tk = strtok_r(ln, " \t\r", &save); tk; tk = strtok_r(NULL, " \t\r", &save)) {
        if (nt < 3) tok[nt] = tk;
        nt++;
    }
    if (nt == 0) return 0;
    if (nt > 2) {
        fprintf(stderr, "error: %s:%d: expected \"input\" or \"name input\"\n", R->inputs, lineno);
        return -1;
    }
    memset(L, 0, sizeof *L);
    L->lineno = lineno;
    int rc = 1;
    if (nt == 2 && !defn_name_ok(tok[0])) {
        fprintf(stderr, "error: %s:%d: bad name \"%s\" (letters, digits, . _ -)\n", R->inputs,
                lineno, tok[0]);
        rc = -1;
    }
    if (nt == 2) snprintf(L->name, sizeof L->name, "%s", tok[0]);
    else snprintf(L->name, sizeof L->name, "%s%zu", R->ops->noun, R->nl + 1);
    L->text = tok[nt - 1];
    if (strncmp(L->text, "raw:", 4) == 0) {
        L->raw = 1;
        L->text += 4;
    }
    return rc;
}

/* Read and pre-check every input line before starting anything; one roll
 * member per distinct name. */
static int s_inputs(s_run *R)
{
    size_t tlen;
    if (fs_read_file(R->inputs, &R->text, &tlen, 64u << 20) != 0) {
        fprintf(stderr, "error: cannot read %s\n", R->inputs);
        return 1;
    }
    size_t cap = 16;
    R->lines = xmalloc(cap * sizeof *R->lines);
    char *save = NULL;
    int lineno = 0, bad = 0;
    for (char *ln = strtok_r((char *)R->text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (R->nl == cap) R->lines = xrealloc(R->lines, (cap *= 2) * sizeof *R->lines);
        int rc = s_line_parse(R, ln, ++lineno, &R->lines[R->nl]);
        if (rc < 0) bad = 1;
        if (rc != 0) R->nl++;
    }
    if (R->nl == 0 && !bad) {
        fprintf(stderr, "error: %s holds no input\n", R->inputs);
        bad = 1;
    }
    R->names = xcalloc(R->nl ? R->nl : 1, sizeof *R->names);
    for (size_t i = 0; i < R->nl; i++) {
        size_t r = 0;
        while (r < R->nroll && strcmp(R->names[r], R->lines[i].name) != 0) r++;
        if (r == R->nroll) snprintf(R->names[R->nroll++], sizeof R->names[0], "%s", R->lines[i].name);
        R->lines[i].roll = r;
    }
    return bad;
}

/* ---- setup ---- */

static int s_make_dir(s_run *R)
{
    const char *d = cli_get(&R->a, "--dir");
    if (d) {
        snprintf(R->dir, sizeof R->dir, "%s", d);
        if (mkdir(R->dir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "error: cannot create %s: %s\n", R->dir, strerror(errno));
            return 1;
        }
        return 0;
    }
    snprintf(R->dir, sizeof R->dir, "/tmp/%s-run-XXXXXX", R->ops->name);
    if (!mkdtemp(R->dir)) {
        fprintf(stderr, "error: cannot create a temporary directory\n");
        return 1;
    }
    return 0;
}

/* Server keys (files, for the children) and their entries of the definition. */
static int s_server_keys(s_run *R, defn_server *sv, char (*mesh)[64], char (*cli)[64])
{
    int ports[2 * MPC_MAX_SERVERS];
    if (ports_free_loopback(ports, 2 * (int)R->nserv) != 0) {
        fprintf(stderr, "error: no free loopback ports\n");
        return 1;
    }
    for (int i = 0; i < R->nserv; i++) {
        char path[4200], err[512];
        keys *k = keys_generate();
        snprintf(path, sizeof path, "%s/server%d.key", R->dir, i + 1);
        int rc = keys_save_secret(k, path, err, sizeof err);
        memset(&sv[i], 0, sizeof sv[i]);
        sv[i].index = i + 1;
        snprintf(mesh[i], 64, "tcp://127.0.0.1:%d", ports[2 * i]);
        snprintf(cli[i], 64, "tcp://127.0.0.1:%d", ports[2 * i + 1]);
        sv[i].mesh = mesh[i];
        sv[i].client = cli[i];
        memcpy(sv[i].curve_pk, keys_curve_pk(k), 32);
        memcpy(sv[i].sign_pk, keys_sign_pk(k), 32);
        keys_free(&k);
        if (rc != 0) {
            fprintf(stderr, "error: server %d setup: %s\n", i + 1, err);
            return 1;
        }
    }
    return 0;
}

/* Keys, the definition file, and the encoder's check of every line. */
static int s_setup(s_run *R)
{
    defn_server sv[MPC_MAX_SERVERS];
    char mesh[MPC_MAX_SERVERS][64], cli[MPC_MAX_SERVERS][64], err[512];
    if (s_make_dir(R) || s_server_keys(R, sv, mesh, cli)) return 1;
    /* one guarded block for every voter's key: a sodium_malloc each (three
     * mappings) would exhaust the process's map count past ~20,000 voters */
    R->vsk = sodium_malloc(64 * (R->nroll ? R->nroll : 1));
    if (!R->vsk) abort();   /* out of memory aborts (STYLE.md) */
    defn_voter *roll = xcalloc(R->nroll ? R->nroll : 1, sizeof *roll);
    for (size_t r = 0; r < R->nroll; r++) {
        roll[r].name = R->names[r];
        crypto_sign_keypair(roll[r].sign_pk, R->vsk + 64 * r);   /* voters need no CURVE key */
    }
    /* one batch of inputs: close as soon as every line's voter is in */
    json_object_set_new(R->rules, "close", json_string("all_voted"));
    char id[64], *rules = json_dumps(R->rules, JSON_COMPACT);
    snprintf(id, sizeof id, "local-%s-%ld", R->ops->name, (long)getpid());
    defn_spec spec = { .id = id, .kind = R->ops->kind, .t = (int)R->t, .bits = (int)R->bits,
                       .kappa = 40, .security = R->security, .domain = R->domain,
                       .deadline = (int64_t)time(NULL) + 3600, .timeout_ms = 10000,
                       .n = (int)R->nserv, .servers = sv, .roll_size = R->nroll, .roll = roll,
                       .rules_json = rules };
    snprintf(R->defn_path, sizeof R->defn_path, "%s/definition.json", R->dir);
    int rc = rules ? defn_write(R->defn_path, &spec, err, sizeof err) : ERR_NOMEM;
    free(rules);
    free(roll);
    if (rc != 0) {
        fprintf(stderr, "error: definition: %s\n", rc == ERR_NOMEM ? "out of memory" : err);
        return 1;
    }
    if (app_ctx_load(&R->c, R->ops, R->defn_path, NULL) != 0) return 1;
    /* raw lines (hostile clients) are checked only for syntax: values unchecked */
    size_t sz = sizeof(fe) * (R->c.m ? R->c.m : 1);
    fe *plain = xmalloc(sz);
    int bad = 0;
    for (size_t i = 0; i < R->nl; i++) {
        const s_line *L = &R->lines[i];
        if (R->ops->input_encode(R->c.rules, R->c.d, L->text, L->raw, plain, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s:%d: %s\n", R->inputs, L->lineno, err);
            bad = 1;
        }
    }
    sodium_memzero(plain, sz);
    free(plain);
    return bad;
}

/* ---- start ---- */

static void s_child(const s_run *R, int i, const char *self)
{
    char kpath[4200], data[4200], logp[4200];
    snprintf(kpath, sizeof kpath, "%s/server%d.key", R->dir, i + 1);
    snprintf(data, sizeof data, "%s/s%d", R->dir, i + 1);
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) dup2(fd, 1);
    if (!R->verbose) {
        snprintf(logp, sizeof logp, "%s/server%d.log", R->dir, i + 1);
        int lf = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (lf >= 0) dup2(lf, 2);
    }
    execl(self, R->ops->name, "server", "--defn", R->defn_path, "--keys", kpath, "--data", data,
          "--serve", "0", (char *)NULL);
    _exit(127);
}

static int s_start(s_run *R, const char *self)
{
    fflush(NULL);
    R->started = 1;
    for (int i = 0; i < R->nserv; i++) {
        R->pids[i] = fork();
        if (R->pids[i] == 0) s_child(R, i, self);
        if (R->pids[i] < 0) {
            fprintf(stderr, "error: cannot start server %d: %s\n", i + 1, strerror(errno));
            return 1;
        }
    }
    return 0;
}

/* ---- submit ---- */

/* Envelopes are sealed by S_SEAL_THREADS threads (sealing is the clients' CPU
 * cost), then carried by one pipelined connection per server (app/bulk.h). */
#define S_SEAL_THREADS 2
#define S_WINDOW 512

typedef struct s_seal {
    const s_run *R;
    const size_t *lines;     /* line indices of this round */
    size_t count;
    uint8_t **envs;
    size_t *lens;
    _Atomic unsigned char *ready;   /* set once envs[q] is sealed (or failed) */
    int part, parts;
} s_seal;

static void *s_seal_thread(void *arg)
{
    s_seal *S = arg;
    const s_run *R = S->R;
    size_t sz = sizeof(fe) * (R->c.m ? R->c.m : 1);
    fe *plain = xmalloc(sz);
    char err[256];
    for (size_t q = (size_t)S->part; q < S->count; q += (size_t)S->parts) {
        const s_line *L = &R->lines[S->lines[q]];
        S->envs[q] = NULL;
        if (R->ops->input_encode(R->c.rules, R->c.d, L->text, L->raw, plain, err, sizeof err) != 0 ||
            app_client_seal(R->c.d, R->vsk + 64 * L->roll, (uint32_t)L->roll, plain, R->c.m,
                            app_client_seq(), &S->envs[q], &S->lens[q]) != 0)
            S->envs[q] = NULL;
        atomic_store_explicit(&S->ready[q], 1, memory_order_release);
    }
    secmem_free(plain, sz);
    return NULL;
}

/* Seal and submit one round, the sealing threads handing envelopes to the
 * submission as they finish; returns the number not receipted by all. */
static int s_round(const s_run *R, const size_t *lines, size_t count)
{
    size_t c1 = count ? count : 1;
    uint8_t **envs = xcalloc(c1, sizeof *envs);
    size_t *lens = xcalloc(c1, sizeof *lens);
    unsigned *rc = xcalloc(c1, sizeof *rc);
    _Atomic unsigned char *ready = xcalloc(c1, sizeof *ready);
    s_seal S[S_SEAL_THREADS];
    pthread_t th[S_SEAL_THREADS];
    int started[S_SEAL_THREADS] = { 0 };
    for (int p = 0; p < S_SEAL_THREADS; p++) {
        S[p] = (s_seal){ .R = R, .lines = lines, .count = count, .envs = envs, .lens = lens,
                         .ready = ready, .part = p, .parts = S_SEAL_THREADS };
        started[p] = pthread_create(&th[p], NULL, s_seal_thread, &S[p]) == 0;
        if (!started[p]) s_seal_thread(&S[p]);
    }
    (void)app_bulk_submit(R->c.d, envs, lens, count, ready, rc, S_WINDOW,
                          defn_timeout_ms(R->c.d), stderr);
    for (int p = 0; p < S_SEAL_THREADS; p++)
        if (started[p]) pthread_join(th[p], NULL);
    int failed = 0;
    unsigned all = (1u << defn_n(R->c.d)) - 1;
    for (size_t q = 0; q < count; q++)
        if (rc[q] != all) {
            const s_line *L = &R->lines[lines[q]];
            fprintf(stderr, "%s:%d (%s): %s\n", R->inputs, L->lineno, L->name,
                    envs[q] ? "not receipted by every server" : "could not be sealed");
            failed++;
        }
    for (size_t q = 0; q < count; q++) free(envs[q]);
    free(envs);
    free(lens);
    free(rc);
    free((void *)ready);
    return failed;
}

/* A name's earlier lines go first, by occurrence (its first line in round 0,
 * its second in round 1...), so each replacement lands before the servers
 * close (they close once every roll member has submitted); then the last line
 * of every name. Returns the number of failed submissions. */
static int s_submit(s_run *R)
{
    size_t nl = R->nl ? R->nl : 1, *occ = xcalloc(nl, sizeof *occ), *seen = xcalloc(R->nroll + 1, sizeof *seen);
    size_t *order = xmalloc(sizeof(size_t) * nl), maxocc = 0;
    uint8_t *last = xcalloc(nl, 1);
    for (size_t i = 0; i < R->nl; i++) {
        occ[i] = seen[R->lines[i].roll]++;
        size_t j = i + 1;
        while (j < R->nl && R->lines[j].roll != R->lines[i].roll) j++;
        last[i] = j == R->nl;
        if (!last[i] && occ[i] + 1 > maxocc) maxocc = occ[i] + 1;
    }
    int failed = 0;
    for (size_t round = 0; round <= maxocc; round++) {
        size_t count = 0;
        for (size_t i = 0; i < R->nl; i++)
            if (round == maxocc ? last[i] : (!last[i] && occ[i] == round)) order[count++] = i;
        if (count) failed += s_round(R, order, count);
    }
    free(order);
    free(last);
    free(occ);
    free(seen);
    return failed;
}

/* ---- collect ---- */

static int s_wait_servers(s_run *R)
{
    int failed = 0;
    for (int i = 0; i < R->nserv; i++) {
        int ws = 0;
        if (waitpid(R->pids[i], &ws, 0) != R->pids[i]) continue;
        R->pids[i] = 0;
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            failed++;
            fprintf(stderr, "error: server %d failed (log: %s/server%d.log)\n", i + 1, R->dir, i + 1);
        }
    }
    return failed;
}

/* The largest figures over the servers' stats.json files. */
static void s_stats(const s_run *R, json_int_t *rounds, json_int_t *bytes, double *secs)
{
    *rounds = *bytes = 0;
    *secs = 0;
    for (int i = 0; i < R->nserv; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/s%d/stats.json", R->dir, i + 1);
        json_t *js = json_load_file(path, 0, NULL);
        json_int_t r = json_integer_value(json_object_get(js, "rounds"));
        json_int_t b = json_integer_value(json_object_get(js, "bytes_sent"));
        double s = json_number_value(json_object_get(js, "seconds"));
        if (r > *rounds) *rounds = r;
        if (b > *bytes) *bytes = b;
        if (s > *secs) *secs = s;
        json_decref(js);
    }
}

static int s_collect(s_run *R)
{
    uint8_t *blobs[MPC_MAX_SERVERS] = { 0 };
    size_t lens[MPC_MAX_SERVERS] = { 0 };
    for (int i = 0; i < R->nserv; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/s%d/result.stmt", R->dir, i + 1);
        if (fs_read_file(path, &blobs[i], &lens[i], RESULT_MAX_OUTPUT + 4096) != 0) blobs[i] = NULL;
    }
    json_t *res = NULL;
    char msg[256];
    int rc = app_verify(R->c.d, blobs, lens, (size_t)R->nserv, &res, msg, sizeof msg);
    for (int i = 0; i < R->nserv; i++) free(blobs[i]);
    if (rc != 0) {
        fprintf(stderr, "error: no verified result: %s\n", msg);
        return 1;
    }
    json_int_t rounds, bytes;
    double secs;
    s_stats(R, &rounds, &bytes, &secs);
    json_object_set_new(res, "rounds", json_integer(rounds));
    json_object_set_new(res, "bytes_per_server", json_integer(bytes));
    json_object_set_new(res, "seconds", json_real(floor(secs * 1e6) / 1e6));
    json_object_set_new(res, "intake_seconds", json_real(floor(R->intake_s * 1e3) / 1e3));
    if (R->json) {
        app_print_json(res, stdout);
    } else {
        R->ops->print_human(res, stdout);
        app_print_security(res, stdout);
        printf("verified: %s\n", msg);
        printf("servers: %ld (t = %ld), %lld rounds, %lld bytes sent per server, %.3f s after "
               "close; intake %.3f s\n", R->nserv, R->t, (long long)rounds, (long long)bytes, secs,
               R->intake_s);
    }
    json_decref(res);
    return 0;
}

/* ---- the run ---- */

static void s_rmtree(const char *dir)
{
    pid_t p = fork();
    if (p == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (p > 0) waitpid(p, NULL, 0);
}

static void s_cleanup(s_run *R, int status)
{
    for (int i = 0; i < R->nserv; i++)
        if (R->pids[i] > 0) {
            kill(R->pids[i], SIGTERM);
            waitpid(R->pids[i], NULL, 0);
        }
    sodium_free(R->vsk);   /* wipes first */
    free(R->names);
    free(R->lines);
    free(R->text);
    json_decref(R->rules);
    app_ctx_free(&R->c);
    if (!R->dir[0]) return;
    int keep = cli_get(&R->a, "--keep") || cli_get(&R->a, "--dir");
    if (!keep && (status == 0 || !R->started)) s_rmtree(R->dir);
    else if (status != 0) fprintf(stderr, "(files kept in %s)\n", R->dir);
}

int app_runlocal_main(const app_ops *ops, int argc, char **argv, const char *self)
{
    s_run *R = xcalloc(1, sizeof *R);
    R->ops = ops;
    int status = s_options(R, argc, argv);
    if (status == 0) status = s_rules(R);
    if (status == 0) status = s_inputs(R) || s_setup(R) || s_start(R, self);
    if (status == 0) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int client_fail = s_submit(R);
        clock_gettime(CLOCK_MONOTONIC, &b);
        R->intake_s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
        int srv_fail = s_wait_servers(R);
        status = srv_fail || s_collect(R);
        if (status == 0 && client_fail) {
            fprintf(stderr, "error: %d submission(s) failed; the result above counts only the "
                            "receipted ones\n", client_fail);
            status = 1;
        }
    }
    s_cleanup(R, status);
    free(R);
    return status;
}
