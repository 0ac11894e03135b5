/* test_dp_release: a DP release's noise is stored and confirmed before it is
 * used, a rerun on the same inputs reuses it (the same opened value, no new
 * spend), other inputs or parameters are a new release (fresh noise, charged,
 * refused past the budget), and a server that lost confirmed noise is named.
 * Parties are threads over the in-process hub; each has its own data
 * directory, kept across runs as a restarted server's would be. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/secmem.h"
#include "protocols/dp.h"
#include "protocols/dp_release.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(dp_release, .init = s_setup, .timeout = 60);

enum { N = 3, T = 1, LEN = 8, COUNT = 4, MAXN = 5 };

typedef struct party {
    char dir[64];
    const dp_plan *P;
    const fe *rows;          /* this party's COUNT shares */
    const char *params;
    double budget;
    fe opened[LEN];          /* the noise, opened (a test may) */
    dp_release_info info;
    char err[1024];
} party;

static const uint8_t s_sid[32] = { 14 };

static int s_draw(mpc *M, fe *out, size_t len, void *arg)
{
    return dp_laplace(M, out, len, arg, NULL);
}

static int s_body(mpc *M, void *arg)
{
    party *J = arg;
    uint32_t roll[COUNT] = { 0, 1, 2, 3 };
    uint8_t excl[COUNT] = { 0 };
    dp_release R;
    dp_release_id(&R, mpc_field(M), s_sid, J->params, roll, excl, COUNT, J->rows, 1);
    dp_release_cfg C = { .dir = J->dir, .eps = J->P->eps, .delta = J->P->delta,
                         .budget = J->budget, .draw = s_draw, .draw_arg = (void *)J->P };
    fe noise[LEN];
    int rc = dp_release_noise(M, &C, &R, noise, LEN, &J->info, J->err, sizeof J->err);
    if (rc == 0) rc = mpc_open(M, J->opened, noise, LEN);
    sodium_memzero(noise, sizeof noise);
    return rc;
}

typedef struct world {
    field F;
    dp_plan P;
    int n, t;
    party p[MAXN];
    fe *shares[MAXN];
} world;

static void s_world(world *W, int n, int t, double budget)
{
    memset(W, 0, sizeof *W);
    W->n = n;
    W->t = t;
    cr_assert_eq(field_init_default(&W->F, 32, 40), 0);
    cr_assert_eq(dp_plan_laplace(&W->P, 0.5, 1, DP_BINARY), 0);
    for (int i = 0; i < n; i++) {
        snprintf(W->p[i].dir, sizeof W->p[i].dir, "/tmp/dp-release-XXXXXX");
        cr_assert_not_null(mkdtemp(W->p[i].dir));
        W->p[i].P = &W->P;
        W->p[i].params = "test laplace eps 0.5 sensitivity 1";
        W->p[i].budget = budget;
    }
}

/* New sharings of these inputs (a fresh envelope per voter, as a re-vote). */
static void s_inputs(world *W, const fe *x)
{
    for (int i = 0; i < W->n; i++) free(W->shares[i]);
    harness_share(&W->F, W->n, W->t, W->t, x, COUNT, W->shares);
    for (int i = 0; i < W->n; i++) W->p[i].rows = W->shares[i];
}

static int s_run(world *W, int *rcs)
{
    void *args[MAXN];
    for (int i = 0; i < W->n; i++) {
        args[i] = &W->p[i];
        W->p[i].err[0] = 0;
        memset(W->p[i].opened, 0, sizeof W->p[i].opened);
    }
    return harness_run(&W->F, W->n, W->t, HARNESS_HUB, s_body, args, rcs);
}

static int s_ledger_lines(const char *dir)
{
    char p[128];
    snprintf(p, sizeof p, "%s/dp_ledger", dir);
    FILE *f = fopen(p, "r");
    int n = 0, c;
    if (!f) return 0;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

/* The one noise file in dir (its path into out), asserting there is one and
 * that only its owner may read it. */
static int s_noise_files(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "dp_noise.", 9) == 0 && !strchr(e->d_name + 9, '.')) {
            snprintf(out, len, "%s/%s", dir, e->d_name);
            struct stat st;
            cr_assert_eq(stat(out, &st), 0);
            cr_expect_eq(st.st_mode & 0777, 0600, "%s is private", out);
            n++;
        }
    closedir(d);
    return n;
}

static void s_world_free(world *W)
{
    for (int i = 0; i < W->n; i++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", W->p[i].dir);
        cr_expect_eq(system(cmd), 0);
        free(W->shares[i]);
    }
}

static void s_same_inputs_reuse(int n, int t)
{
    world W;
    int rcs[MAXN];
    fe x[COUNT] = { 1, 0, 1, 1 };
    s_world(&W, n, t, 1.0);
    s_inputs(&W, x);
    cr_assert_eq(s_run(&W, rcs), 0, "first run: %s", W.p[0].err);
    fe first[LEN];
    memcpy(first, W.p[0].opened, sizeof first);
    for (int i = 0; i < n; i++) {
        cr_expect_eq(W.p[i].info.reused, 0);
        cr_expect_eq(W.p[i].info.charged, 1);
        cr_expect_eq(W.p[i].info.gen, 1);
        cr_expect(fabs(W.p[i].info.spent - W.P.eps) < 1e-12);
        char f[512];
        cr_expect_eq(s_noise_files(W.p[i].dir, f, sizeof f), 1);
        cr_expect_eq(s_ledger_lines(W.p[i].dir), 1);
    }
    /* a rerun (a restart after a crash once the noise was confirmed): the same
     * release, the same noise, nothing spent */
    cr_assert_eq(s_run(&W, rcs), 0, "rerun: %s", W.p[0].err);
    cr_expect_eq(memcmp(first, W.p[0].opened, sizeof first), 0, "the rerun opens the same noise");
    for (int i = 0; i < n; i++) {
        cr_expect_eq(W.p[i].info.reused, 1);
        cr_expect_eq(W.p[i].info.charged, 0);
        cr_expect(fabs(W.p[i].info.spent - W.P.eps) < 1e-12, "spent stays %g", W.P.eps);
        cr_expect_eq(s_ledger_lines(W.p[i].dir), 1, "one spend");
    }
    s_world_free(&W);
}

Test(dp_release, a_rerun_on_the_same_inputs_reuses_the_noise_and_spends_nothing)
{
    s_same_inputs_reuse(3, 1);
}

Test(dp_release, a_rerun_reuses_the_noise_with_five_servers_two_corrupt)
{
    s_same_inputs_reuse(5, 2);
}

Test(dp_release, other_inputs_are_a_new_release_charged_and_refused_past_the_budget)
{
    world W;
    int rcs[MAXN];
    fe x[COUNT] = { 1, 0, 1, 1 };
    s_world(&W, N, T, 1.0);
    s_inputs(&W, x);
    cr_assert_eq(s_run(&W, rcs), 0, "%s", W.p[0].err);
    fe first[LEN];
    memcpy(first, W.p[0].opened, sizeof first);
    /* voter 1 re-voted (another envelope, even with the same choice): another
     * input set, so the noise must not be reused (x1 + z, x2 + z would
     * reveal x1 - x2) */
    s_inputs(&W, x);
    cr_assert_eq(s_run(&W, rcs), 0, "%s", W.p[0].err);
    cr_expect_neq(memcmp(first, W.p[0].opened, sizeof first), 0,
                  "fresh noise (8 equal samples: probability below 1e-3)");
    for (int i = 0; i < N; i++) {
        cr_expect_eq(W.p[i].info.reused, 0);
        cr_expect_eq(W.p[i].info.charged, 1);
        cr_expect(fabs(W.p[i].info.spent - 2 * W.P.eps) < 1e-9, "charged: %g", W.p[i].info.spent);
        cr_expect_eq(s_ledger_lines(W.p[i].dir), 2);
    }
    /* a third input set: the budget of 1 is spent (0.4998 * 2 + 0.4998 > 1) */
    x[2] = 0;
    s_inputs(&W, x);
    cr_expect_neq(s_run(&W, rcs), 0);
    for (int i = 0; i < N; i++) {
        cr_expect_eq(rcs[i], ERR_REFUSED, "server %d refuses", i + 1);
        cr_expect(strstr(W.p[i].err, "budget exhausted") != NULL, "%s", W.p[i].err);
        cr_expect_eq(s_ledger_lines(W.p[i].dir), 2, "a refusal records nothing");
    }
    s_world_free(&W);
}

Test(dp_release, other_parameters_are_another_release_and_a_mismatch_aborts)
{
    world W;
    int rcs[MAXN];
    fe x[COUNT] = { 1, 1, 0, 1 };
    s_world(&W, N, T, 1.0);
    s_inputs(&W, x);
    W.p[1].params = "test laplace eps 0.5 sensitivity 2";
    cr_expect_neq(s_run(&W, rcs), 0);
    for (int i = 0; i < N; i++) {
        cr_expect_neq(rcs[i], 0);
        if (i != 1)
            cr_expect(strstr(W.p[i].err, "server 2 names another release") != NULL, "%s", W.p[i].err);
        cr_expect_eq(s_ledger_lines(W.p[i].dir), 0, "nothing charged: %s", W.p[i].dir);
    }
    s_world_free(&W);
}

Test(dp_release, a_server_without_the_confirmed_noise_is_named_and_nothing_is_opened)
{
    world W;
    int rcs[MAXN];
    fe x[COUNT] = { 0, 0, 1, 1 };
    s_world(&W, N, T, 1.0);
    s_inputs(&W, x);
    cr_assert_eq(s_run(&W, rcs), 0, "%s", W.p[0].err);
    char f[512];
    cr_assert_eq(s_noise_files(W.p[1].dir, f, sizeof f), 1);
    cr_assert_eq(unlink(f), 0);   /* server 2 lost its disk, or lies */
    cr_expect_neq(s_run(&W, rcs), 0);
    for (int i = 0; i < N; i++) cr_expect_eq(rcs[i], ERR_CHEAT, "server %d: %s", i + 1, W.p[i].err);
    cr_expect(strstr(W.p[0].err, "server 2 claims to hold no noise") != NULL, "%s", W.p[0].err);
    cr_expect(strstr(W.p[0].err, "lost its data directory") != NULL, "%s", W.p[0].err);
    cr_expect(strstr(W.p[1].err, "this server holds no noise") != NULL, "%s", W.p[1].err);
    cr_expect(strstr(W.p[2].err, "server 2 claims") != NULL, "%s", W.p[2].err);
    /* nothing was drawn again or charged: the others keep their confirmed noise */
    for (int i = 0; i < N; i += 2) cr_expect_eq(s_ledger_lines(W.p[i].dir), 1);
    s_world_free(&W);
}

Test(dp_release, a_damaged_noise_file_refuses_the_rerun)
{
    world W;
    int rcs[MAXN];
    fe x[COUNT] = { 1, 0, 0, 1 };
    s_world(&W, N, T, 1.0);
    s_inputs(&W, x);
    cr_assert_eq(s_run(&W, rcs), 0, "%s", W.p[0].err);
    char f[512];
    cr_assert_eq(s_noise_files(W.p[2].dir, f, sizeof f), 1);
    FILE *fp = fopen(f, "r+b");
    cr_assert_not_null(fp);
    fseek(fp, 100, SEEK_SET);
    fputc(0x5a, fp);
    fclose(fp);
    harness_timeout_ms = 1000;   /* the others wait for server 3's status in vain */
    cr_expect_neq(s_run(&W, rcs), 0);
    cr_expect_eq(rcs[2], ERR_PARSE);
    cr_expect(strstr(W.p[2].err, "damaged") != NULL, "%s", W.p[2].err);
    s_world_free(&W);
}

Test(dp_release, ledger_lines_are_keyed_by_release)
{
    char dir[] = "/tmp/dp-ledger-XXXXXX", path[64], err[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/dp_ledger", dir);
    char a[65], b[65];
    memset(a, 'a', 64);
    memset(b, 'b', 64);
    a[64] = b[64] = 0;
    double used, spent;
    int had;
    cr_assert_eq(dp_ledger_read(path, a, &used, &had, err, sizeof err), 0, "no ledger yet");
    cr_expect(used == 0 && !had);
    cr_assert_eq(dp_budget_spend(path, 0.25, 0, 1, &spent, err, sizeof err), 0, "%s", err);
    cr_assert_eq(dp_ledger_spend(path, a, 0.5, 1e-12, 1, &spent, err, sizeof err), 0, "%s", err);
    cr_expect(fabs(spent - 0.75) < 1e-12);
    cr_assert_eq(dp_ledger_read(path, a, &used, &had, err, sizeof err), 0, "%s", err);
    cr_expect(fabs(used - 0.75) < 1e-12 && had);
    cr_assert_eq(dp_ledger_read(path, b, &used, &had, err, sizeof err), 0, "%s", err);
    cr_expect(!had);
    cr_expect_eq(dp_ledger_spend(path, b, 0.5, 0, 1, &spent, err, sizeof err), ERR_REFUSED);
    cr_expect_eq(dp_ledger_spend(path, "short", 0.1, 0, 1, &spent, err, sizeof err), ERR_ARG);
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f);
    fputs("0.1 0 notahexid\n", f);
    fclose(f);
    cr_expect_eq(dp_ledger_read(path, a, &used, &had, err, sizeof err), ERR_PARSE);
    remove(path);
    remove(dir);
}

/* n = 4, t = 1, server 4 down for the release: a rerun by the same three
 * reuses it (a different set of three would not hold every share it needs
 * but still sees the same noise here, as all three made it); a rerun with
 * server 4 back is refused naming it (it holds no share of the noise, and
 * fresh noise would be a second release). */
Test(dp_release, a_release_made_with_a_server_down_reruns_without_it)
{
    world W;
    int rcs[MAXN];
    fe x[COUNT] = { 1, 1, 0, 1 };
    s_world(&W, 4, 1, 1.0);
    s_inputs(&W, x);
    harness_live = 0x7;
    int rc = s_run(&W, rcs);
    cr_assert_eq(rc, 0, "first run: %s", W.p[0].err);
    fe first[LEN];
    memcpy(first, W.p[0].opened, sizeof first);
    rc = s_run(&W, rcs);
    harness_live = 0;
    cr_assert_eq(rc, 0, "rerun: %s", W.p[0].err);
    cr_expect_eq(memcmp(first, W.p[0].opened, sizeof first), 0, "the same noise");
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(W.p[i].info.reused, 1);
        cr_expect_eq(s_ledger_lines(W.p[i].dir), 1, "one spend");
    }
    harness_timeout_ms = 1000;
    rc = s_run(&W, rcs);
    harness_timeout_ms = HARNESS_TIMEOUT_MS;
    cr_assert_neq(rc, 0, "server 4 back: refused");
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(rcs[i], ERR_CHEAT, "S%d: %s", i + 1, W.p[i].err);
        cr_expect(strstr(W.p[i].err, "server 4") != NULL, "%s", W.p[i].err);
        cr_expect(strstr(W.p[i].err, "was down") != NULL, "%s", W.p[i].err);
    }
    s_world_free(&W);
}

/* ---- a cheating server in the release's own rounds ------------------------- */

#include "common/adv.h"

/* Server 3 rewrites its status or "stored" message (to one peer or to all):
 * another state, another generation, the bound 2^32, another release id, a
 * short message. */
typedef struct s_cheat {
    uint8_t type;
    int mode, victim, fired;
} s_cheat;

enum { C_STATE, C_GEN, C_GENMAX, C_PUB, C_SHORT, C_MODES };

static void s_tamper(void *arg, int from, int to, uint8_t type, uint64_t step, uint8_t *p,
                     size_t len)
{
    s_cheat *C = arg;
    (void)step;
    if (from != 3 || type != C->type || (C->victim && to != C->victim) || len < 41) return;
    C->fired = 1;
    switch (C->mode) {
    case C_STATE: p[0] = (uint8_t)((p[0] + 1) % 3); break;
    case C_GEN: p[1] ^= 1; break;
    case C_GENMAX: memset(p + 1, 0, 8); p[1 + 4] = 1; break;   /* 2^32, little-endian */
    case C_PUB: p[9] ^= 0x80; break;
    default: memset(p, 0xff, len); break;
    }
}

/* Every deviation at every one of the two rounds, towards each honest server
 * or both, on a first run and on a rerun: an honest server either aborts
 * (nothing opened) or opens exactly the first run's noise on a rerun, and
 * never charges one release twice. */
Test(dp_release, a_cheater_in_the_status_or_stored_round_never_makes_a_second_release,
     .timeout = 240)
{
    unsigned runs = 0, aborted = 0, fired = 0;
    for (int rerun = 0; rerun < 2; rerun++)
        for (int ti = 0; ti < 2; ti++)
            for (int mode = 0; mode < C_MODES; mode++)
                for (int victim = 0; victim <= 2; victim++) {
                    world W;
                    int rcs[MAXN];
                    fe x[COUNT] = { 1, 0, 1, 1 };
                    s_world(&W, N, T, 10.0);
                    s_inputs(&W, x);
                    fe first[LEN];
                    if (rerun) {
                        cr_assert_eq(s_run(&W, rcs), 0, "honest first run: %s", W.p[0].err);
                        memcpy(first, W.p[0].opened, sizeof first);
                    }
                    s_cheat C = { .type = ti ? DP_MSG_STORED : DP_MSG_STATUS, .mode = mode,
                                  .victim = victim };
                    mpc_adv_set(s_tamper, &C);
                    harness_timeout_ms = 500;
                    (void)s_run(&W, rcs);
                    harness_timeout_ms = HARNESS_TIMEOUT_MS;
                    mpc_adv_set(NULL, NULL);
                    runs++;
                    fired += C.fired;
                    for (int i = 0; i < 2; i++) {
                        if (rcs[i] != 0) {
                            aborted++;
                            continue;
                        }
                        if (rerun)
                            cr_expect_eq(memcmp(first, W.p[i].opened, sizeof first), 0,
                                         "rerun (type %u mode %d victim %d): S%d opened other "
                                         "noise", C.type, mode, victim, i + 1);
                        cr_expect_leq(s_ledger_lines(W.p[i].dir), 1, "S%d charged twice", i + 1);
                    }
                    s_world_free(&W);
                }
    cr_expect_eq(fired, runs, "every run really deviated");
    cr_expect_gt(aborted, 0, "some deviations are caught");
    fprintf(stderr, "dp_release sweep: %u runs, %u honest aborts, 0 second releases\n", runs,
            aborted);
}
