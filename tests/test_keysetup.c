/* test_keysetup: the PRSS and pairwise key setup of protocols/keysetup.h on the
 * in-process hub (and once through mpc_create over CurveZMQ): keys agree across
 * every group, are not any single contribution, cost the documented rounds and
 * bytes; a test-only cheater (mpc_adv_keysetup) makes every honest server
 * abort naming it, and no honest server ever names an honest one. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/net.h"
#include "common/secmem.h"
#include "protocols/keysetup.h"
#include "protocols/mpc.h"
#include "protocols/mul.h"
#include "protocols/prss.h"
#include "protocols/shamir.h"
#include "tests/harness.h"

#define N_MAX MPC_MAX_SERVERS
#define SLOTS_MAX (126 + 36)

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

static void s_teardown(void)
{
    mpc_adv_keysetup(NULL);
}

TestSuite(keysetup, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* ---- a run of n servers on the hub -------------------------------------------- */

typedef struct kparty {
    net_hub *hub;
    const field *F;
    const uint8_t *sid;
    int n, t, me, timeout_ms, use_sid;
    prss *ps;
    uint8_t pairkey[N_MAX * 32];
    uint64_t step, rounds, msgs, bytes;
    int rc;
    char err[256];
} kparty;

typedef struct krun {
    int n, t;
    field F;
    kparty p[N_MAX];
} krun;

static void *s_party(void *arg)
{
    kparty *p = arg;
    net *nw = net_mem_new(p->hub, p->me, p->sid, p->timeout_ms);
    p->ps = prss_new(p->F, p->n, p->t, p->me);
    if (!nw || !p->ps) {
        p->rc = ERR_NOMEM;
        net_free(&nw);
        return NULL;
    }
    p->rc = keysetup_run(nw, p->ps, p->pairkey, p->use_sid ? p->sid : NULL, &p->step,
                         &p->rounds, p->err, sizeof p->err);
    net_stats(nw, &p->msgs, &p->bytes);
    net_free(&nw);
    return NULL;
}

/* Run the setup on n threads (hook as installed); results in R. */
static void s_run(krun *R, int n, int t, int timeout_ms)
{
    uint8_t sid[MPC_SID_LEN];
    pthread_t th[N_MAX];
    randombytes_buf(sid, sizeof sid);
    memset(R, 0, sizeof *R);
    R->n = n;
    R->t = t;
    cr_assert_eq(field_init_default(&R->F, 32, 40), 0);
    net_hub *hub = net_hub_new(n);
    cr_assert_not_null(hub);
    for (int i = 0; i < n; i++) {
        R->p[i] = (kparty){ .hub = hub, .F = &R->F, .sid = sid, .n = n, .t = t, .me = i + 1,
                            .timeout_ms = timeout_ms, .use_sid = 1, .step = 7 };
        cr_assert_eq(pthread_create(&th[i], NULL, s_party, &R->p[i]), 0);
    }
    for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
    net_hub_free(&hub);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(R->p[i].step, 7 + KEYSETUP_ROUNDS, "S%d", i + 1);
        cr_assert_eq(R->p[i].rounds, KEYSETUP_ROUNDS, "S%d", i + 1);
    }
}

static void s_free_run(krun *R)
{
    for (int i = 0; i < R->n; i++) prss_free(&R->p[i].ps);
}

/* ---- what the observer records ------------------------------------------------- */

typedef struct obs {
    pthread_mutex_t mu;
    int nc, nk;
    struct { int me, kind; unsigned slot; uint8_t v[32]; } c[N_MAX * SLOTS_MAX], k[N_MAX * SLOTS_MAX];
} obs;

static void s_observe(void *arg, int me, int what, int kind, unsigned slot, const uint8_t v[32])
{
    obs *O = arg;
    pthread_mutex_lock(&O->mu);
    if (what == KEYSETUP_OBS_CONTRIB) {
        O->c[O->nc].me = me, O->c[O->nc].kind = kind, O->c[O->nc].slot = slot;
        memcpy(O->c[O->nc++].v, v, 32);
    } else {
        O->k[O->nk].me = me, O->k[O->nk].kind = kind, O->k[O->nk].slot = slot;
        memcpy(O->k[O->nk++].v, v, 32);
    }
    pthread_mutex_unlock(&O->mu);
}

static int s_binom(int n, int k)
{
    int c = 1;
    for (int i = 0; i < k; i++) c = c * (n - i) / (i + 1);
    return c;
}

/* Every member of a slot holds one key; keys of different slots differ; no key
 * equals any contribution. */
static void s_check_observed(const obs *O, int n, int t)
{
    cr_assert_eq(O->nk, s_binom(n, t) * (n - t) + n * (n - 1), "keys observed");
    cr_assert_eq(O->nc, O->nk, "one contribution per key held");
    for (int a = 0; a < O->nk; a++) {
        for (int b = 0; b < O->nk; b++) {
            int same = O->k[a].kind == O->k[b].kind && O->k[a].slot == O->k[b].slot;
            cr_assert_eq(memcmp(O->k[a].v, O->k[b].v, 32) == 0, same,
                         "keys of S%d and S%d (kind %d/%d slot %x/%x)", O->k[a].me, O->k[b].me,
                         O->k[a].kind, O->k[b].kind, O->k[a].slot, O->k[b].slot);
        }
        for (int c = 0; c < O->nc; c++) cr_assert_neq(memcmp(O->k[a].v, O->c[c].v, 32), 0);
    }
}

/* PRSS from the installed keys: degree-t randoms that open consistently, degree-2t
 * zeros; pairwise keys equal at both ends and distinct across pairs. */
static void s_check_keys(krun *R)
{
    enum { M = 64 };
    int n = R->n, t = R->t;
    fe sh[N_MAX][M], v[M];
    const fe *rows[N_MAX];
    shamir *S = shamir_new(&R->F, n, t);
    cr_assert_not_null(S);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(R->p[i].rc, 0, "S%d: %s", i + 1, R->p[i].err);
        cr_assert(prss_ready(R->p[i].ps));
        prss_rand(R->p[i].ps, sh[i], M);
        rows[i] = sh[i];
    }
    cr_assert_eq(shamir_check(S, rows, t, M, NULL), 0);
    cr_assert_eq(shamir_reconstruct(S, v, rows, (1u << (t + 1)) - 1, t, M), 0);
    for (int j = 1; j < M; j++) cr_assert(v[j] != v[j - 1]);
    for (int i = 0; i < n; i++) prss_zero(R->p[i].ps, sh[i], M);
    cr_assert_eq(shamir_check(S, rows, 2 * t, M, NULL), 0);
    cr_assert_eq(shamir_reconstruct(S, v, rows, (1u << (2 * t + 1)) - 1, 2 * t, M), 0);
    for (int j = 0; j < M; j++) cr_assert(v[j] == 0);
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            if (a == b) continue;
            const uint8_t *kab = R->p[a].pairkey + b * 32, *kba = R->p[b].pairkey + a * 32;
            cr_assert_eq(memcmp(kab, kba, 32), 0, "pair key S%d-S%d", a + 1, b + 1);
            cr_assert_eq(sodium_is_zero(kab, 32), 0);
            for (int c = 0; c < n; c++)
                if (c != a && c != b) cr_assert_neq(memcmp(kab, R->p[a].pairkey + c * 32, 32), 0);
        }
    shamir_free(&S);
}

/* The bytes of keysetup.h: R1 32 s, R2 32 (C(n-2,t)(n-t-1) + 1), R3 4 + 32 s to
 * every peer, s = C(n-2,t) + 1, plus a header per message. */
static void s_check_cost(const krun *R)
{
    int n = R->n, t = R->t;
    uint64_t g = n >= 2 ? (uint64_t)s_binom(n - 2, t) : 0, s = g + 1;
    uint64_t per = 32 * s + 32 * (g * (uint64_t)(n - t - 1) + 1) + 4 + 32 * s + 3 * NET_HDR_LEN;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(R->p[i].msgs, (uint64_t)(n - 1) * KEYSETUP_ROUNDS);
        cr_assert_eq(R->p[i].bytes, (uint64_t)(n - 1) * per, "S%d: %llu bytes", i + 1,
                     (unsigned long long)R->p[i].bytes);
    }
}

static const int s_nt[][2] = { { 3, 1 }, { 4, 1 }, { 5, 2 }, { 7, 3 } };
#define S_NNT (sizeof s_nt / sizeof s_nt[0])

Test(keysetup, keys_agree_across_every_group_and_are_no_single_contribution)
{
    for (size_t k = 0; k < S_NNT; k++) {
        static obs O;
        memset(&O, 0, sizeof O);
        pthread_mutex_init(&O.mu, NULL);
        keysetup_adv h = { .observe = s_observe, .arg = &O };
        mpc_adv_keysetup(&h);
        krun R;
        s_run(&R, s_nt[k][0], s_nt[k][1], 2000);
        mpc_adv_keysetup(NULL);
        s_check_keys(&R);
        s_check_observed(&O, R.n, R.t);
        s_check_cost(&R);
        s_free_run(&R);
        pthread_mutex_destroy(&O.mu);
    }
}

Test(keysetup, degenerate_sizes_one_and_two_servers)
{
    for (int n = 1; n <= 2; n++) {
        krun R;
        s_run(&R, n, 0, 2000);
        for (int i = 0; i < n; i++) {
            cr_assert_eq(R.p[i].rc, 0, "%s", R.p[i].err);
            cr_assert(prss_ready(R.p[i].ps));
        }
        if (n == 2) cr_assert_eq(memcmp(R.p[0].pairkey + 32, R.p[1].pairkey, 32), 0);
        s_free_run(&R);
    }
}

Test(keysetup, a_chosen_contribution_does_not_choose_the_key)
{
    /* the old dealer's power: one server fixes its contribution; the protocol
     * goes through and no key is that value or equal to another */
    static obs O;
    memset(&O, 0, sizeof O);
    pthread_mutex_init(&O.mu, NULL);
    keysetup_adv h = { .cheater = 2, .mode = KEYSETUP_CHEAT_CHOSEN, .observe = s_observe, .arg = &O };
    memset(h.chosen, 0x5a, sizeof h.chosen);
    mpc_adv_keysetup(&h);
    krun R;
    s_run(&R, 5, 2, 2000);
    mpc_adv_keysetup(NULL);
    s_check_keys(&R);
    s_check_observed(&O, 5, 2);
    for (int a = 0; a < O.nk; a++) cr_assert_neq(memcmp(O.k[a].v, h.chosen, 32), 0);
    s_free_run(&R);
    pthread_mutex_destroy(&O.mu);
}

/* ---- cheaters ------------------------------------------------------------------ */

/* Does err name server j alone as the cheater? */
static int s_names(const char *err, int j)
{
    char a[32], b[32], c[32];
    snprintf(a, sizeof a, "key setup: S%d cheated:", j);
    snprintf(b, sizeof b, "key setup: S%d, ", j);
    snprintf(c, sizeof c, ", S%d cheated:", j);
    return strstr(err, a) || (strstr(err, b) && strstr(err, "cheated:")) || strstr(err, c);
}

/* Every honest server failed with rc, no key installed, and none named an honest
 * server; returns how many named the cheater. */
static int s_honest_abort(const krun *R, int cheater, int rc)
{
    int named = 0;
    for (int i = 0; i < R->n; i++) {
        const kparty *p = &R->p[i];
        if (p->me == cheater) continue;
        cr_assert_eq(p->rc, rc, "S%d: rc %d (%s)", p->me, p->rc, p->err);
        cr_assert(!prss_ready(p->ps), "S%d holds keys", p->me);
        cr_assert(sodium_is_zero(p->pairkey, sizeof p->pairkey), "S%d holds pair keys", p->me);
        for (int j = 1; j <= R->n; j++)
            if (j != cheater) cr_assert(!s_names(p->err, j), "S%d blames honest S%d: %s", p->me, j, p->err);
        named += s_names(p->err, cheater);
    }
    return named;
}

static void s_cheat_run(krun *R, int n, int t, const keysetup_adv *h, int timeout_ms)
{
    mpc_adv_keysetup(h);
    s_run(R, n, t, timeout_ms);
    mpc_adv_keysetup(NULL);
}

static void s_expect_all_name(int mode, const int (*nt)[2], size_t cnt)
{
    for (size_t k = 0; k < cnt; k++) {
        int n = nt[k][0], t = nt[k][1];
        for (int cheater = 1; cheater <= n; cheater += n - 1) {   /* first and last */
            keysetup_adv h = { .cheater = cheater, .mode = mode };
            krun R;
            s_cheat_run(&R, n, t, &h, 2000);
            cr_assert_eq(s_honest_abort(&R, cheater, ERR_CHEAT), n - 1,
                         "mode %d n %d cheater S%d: not every honest server names it", mode, n, cheater);
            s_free_run(&R);
        }
    }
}

Test(keysetup, reveal_not_matching_commitment_is_named_by_every_honest_server)
{
    s_expect_all_name(KEYSETUP_CHEAT_REVEAL, s_nt, S_NNT);
}

Test(keysetup, equivocation_is_named_by_every_honest_server)
{
    static const int nt[][2] = { { 4, 1 }, { 5, 2 }, { 7, 3 } };
    s_expect_all_name(KEYSETUP_CHEAT_EQUIVOCATE, nt, sizeof nt / sizeof nt[0]);
}

Test(keysetup, wrong_confirmation_is_named_by_every_honest_server)
{
    s_expect_all_name(KEYSETUP_CHEAT_CONFIRM, s_nt, S_NNT);
}

Test(keysetup, malformed_message_is_named_by_every_honest_server)
{
    for (int r = 1; r <= KEYSETUP_ROUNDS; r++) {
        keysetup_adv h = { .cheater = 2, .mode = KEYSETUP_CHEAT_SHORT, .round = r };
        krun R;
        s_cheat_run(&R, 4, 1, &h, 2000);
        cr_assert_eq(s_honest_abort(&R, 2, ERR_CHEAT), 3, "round %d", r);
        s_free_run(&R);
    }
}

Test(keysetup, deviation_towards_one_server_blames_nobody_honest)
{
    /* seen by the victim alone: the victim names the cheater; the others learn of
     * it from the victim's accusation in round 3 and can only tell that one of
     * the two deviated */
    static const int modes[] = { KEYSETUP_CHEAT_REVEAL, KEYSETUP_CHEAT_SHORT, KEYSETUP_CHEAT_EQUIVOCATE };
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
        for (size_t k = 0; k < S_NNT; k++) {
            int n = s_nt[k][0], t = s_nt[k][1];
            if (modes[m] == KEYSETUP_CHEAT_EQUIVOCATE && n - t < 3) continue;   /* nobody to equivocate to */
            keysetup_adv h = { .cheater = 1, .mode = modes[m], .victim = n, .round = 2 };
            krun R;
            s_cheat_run(&R, n, t, &h, 2000);
            (void)s_honest_abort(&R, 1, ERR_CHEAT);
            cr_assert(s_names(R.p[n - 1].err, 1), "mode %d n %d victim: %s", modes[m], n, R.p[n - 1].err);
            char pair[32];
            snprintf(pair, sizeof pair, "one of S1, S%d cheated", n);
            for (int i = 1; i < n - 1; i++)
                cr_assert(strstr(R.p[i].err, pair), "mode %d n %d S%d: %s", modes[m], n, i + 1, R.p[i].err);
            s_free_run(&R);
        }
}

Test(keysetup, round_3_deviation_towards_one_server_is_seen_by_it_alone)
{
    /* the last round reaches nobody else: the victim aborts naming the cheater,
     * the others finish (a selective abort; the computation then times out on
     * the victim) */
    static const int modes[] = { KEYSETUP_CHEAT_CONFIRM, KEYSETUP_CHEAT_SHORT };
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        keysetup_adv h = { .cheater = 2, .mode = modes[m], .victim = 4, .round = 3 };
        krun R;
        s_cheat_run(&R, 5, 2, &h, 2000);
        cr_assert_eq(R.p[3].rc, ERR_CHEAT, "%s", R.p[3].err);
        cr_assert(s_names(R.p[3].err, 2), "%s", R.p[3].err);
        for (int i = 0; i < 5; i++)
            if (i != 1 && i != 3) cr_assert_eq(R.p[i].rc, 0, "S%d: %s", i + 1, R.p[i].err);
        s_free_run(&R);
    }
}

Test(keysetup, false_accusation_never_convicts_the_accused)
{
    for (size_t k = 0; k < S_NNT; k++) {
        int n = s_nt[k][0], t = s_nt[k][1];
        keysetup_adv h = { .cheater = 1, .mode = KEYSETUP_CHEAT_ACCUSE, .victim = 2 };
        krun R;
        s_cheat_run(&R, n, t, &h, 2000);
        (void)s_honest_abort(&R, 1, ERR_CHEAT);
        cr_assert(s_names(R.p[1].err, 1), "the accused knows: %s", R.p[1].err);
        for (int i = 2; i < n; i++)
            cr_assert(strstr(R.p[i].err, "one of S1, S2 cheated"), "S%d: %s", i + 1, R.p[i].err);
        s_free_run(&R);
    }
}

Test(keysetup, silence_towards_one_server_is_reported_not_blamed_on_the_victim)
{
    for (int r = 1; r <= KEYSETUP_ROUNDS; r++) {
        keysetup_adv h = { .cheater = 1, .mode = KEYSETUP_CHEAT_SILENT, .victim = 3, .round = r };
        krun R;
        s_cheat_run(&R, 3, 1, &h, 300);
        cr_assert_eq(R.p[2].rc, ERR_TIMEOUT, "%s", R.p[2].err);
        char want[64];
        snprintf(want, sizeof want, "no message from S1 in round %d", r);
        cr_assert(strstr(R.p[2].err, want), "%s", R.p[2].err);
        if (r < KEYSETUP_ROUNDS) {   /* the victim's report reaches S2 in round 3 */
            cr_assert_eq(R.p[1].rc, ERR_PROTO, "%s", R.p[1].err);
            cr_assert(strstr(R.p[1].err, "S3 reports no key-setup message from S1"), "%s", R.p[1].err);
        } else {
            cr_assert_eq(R.p[1].rc, 0, "%s", R.p[1].err);   /* S2 saw nothing wrong */
        }
        s_free_run(&R);
    }
}

Test(keysetup, silent_server_times_out_without_cascading)
{
    /* S2 sends nothing at all: the others report it, each after one timeout */
    keysetup_adv h = { .cheater = 2, .mode = KEYSETUP_CHEAT_SILENT, .round = 1 };
    krun R;
    s_cheat_run(&R, 4, 1, &h, 300);
    for (int i = 0; i < 4; i++) {
        if (i == 1) continue;
        cr_assert_eq(R.p[i].rc, ERR_TIMEOUT, "S%d: %s", i + 1, R.p[i].err);
        cr_assert(strstr(R.p[i].err, "no message from S2 in round 1"), "%s", R.p[i].err);
    }
    s_free_run(&R);
}

Test(keysetup, rejects_a_prss_context_of_another_server)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint8_t sid[MPC_SID_LEN] = { 0 };
    net_hub *hub = net_hub_new(3);
    net *nw = net_mem_new(hub, 1, sid, 100);
    prss *ps = prss_new(&F, 3, 1, 2);
    uint8_t pk[3 * 32] = { 0 };
    uint64_t step = 0, rounds = 0;
    char err[128];
    cr_assert_eq(keysetup_run(nw, ps, pk, NULL, &step, &rounds, err, sizeof err), ERR_ARG);
    cr_assert(strstr(err, "key setup"));
    cr_assert_eq(keysetup_run(nw, NULL, pk, NULL, &step, &rounds, NULL, 0), ERR_ARG);
    cr_assert_eq(step, 0);
    prss_free(&ps);
    ps = prss_new(&F, 4, 1, 1);
    cr_assert_eq(keysetup_run(nw, ps, pk, NULL, &step, &rounds, err, sizeof err), ERR_ARG);
    prss_free(&ps);
    net_free(&nw);
    net_hub_free(&hub);
}

/* ---- through mpc_create ------------------------------------------------------- */

static int s_mul_body(mpc *M, void *arg)
{
    (void)arg;
    fe x[8], y[8], z[8], v[8];
    mpc_rand(M, x, 8);
    mpc_rand(M, y, 8);
    int rc = mpc_mul(M, z, x, y, 8);   /* GRR uses the pairwise keys */
    if (rc == 0) rc = mpc_open(M, v, z, 8);
    return rc;
}

Test(keysetup, mpc_create_sets_up_keys_over_the_hub_and_curve_mesh)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(harness_run(&F, 3, 1, HARNESS_ZMQ, s_mul_body, NULL, NULL), 0);
    cr_assert_eq(harness_run(&F, 5, 2, HARNESS_HUB, s_mul_body, NULL, NULL), 0);
}

Test(keysetup, mpc_create_fails_naming_the_cheater)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    keysetup_adv h = { .cheater = 3, .mode = KEYSETUP_CHEAT_CONFIRM };
    mpc_adv_keysetup(&h);
    int rcs[3], keep = harness_timeout_ms;
    harness_timeout_ms = 300;   /* the cheater's own setup succeeds, then waits */
    cr_assert_neq(harness_run(&F, 3, 1, HARNESS_HUB, s_mul_body, NULL, rcs), 0);
    harness_timeout_ms = keep;
    mpc_adv_keysetup(NULL);
    cr_assert_neq(rcs[0], 0);   /* mpc_create failed ("S3 cheated", on stderr) */
    cr_assert_neq(rcs[1], 0);
}
