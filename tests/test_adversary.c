/* test_adversary: one cheating server out of three, swept over every step.
 *
 * The cheater is the test-only frame hook of the in-process hub (common/adv.h):
 * it sees every message server 3 sends and rewrites one field element of one
 * of them — the same change to every recipient (an additive error in a
 * resharing, a wrong opening share, a wrong degree-2t share, a wrong key or
 * list) or a change to one recipient only (an inconsistent resharing or an
 * equivocation). A site is one (message type, step) the server sends; every
 * site of a run is tried. The scenario is the whole server pipeline on the
 * engine: key setup, input agreement, the degree check of the inputs, then the
 * application's computation (threshold vote, plurality vote, DP threshold
 * release, first-price auction, second-price auction with a reserve).
 *
 * Oracle, per run: every honest server either returns the outcome of the clear
 * computation or aborts (an error, so no output and nothing signed); and the
 * cheater never learns a value that must stay closed (the exact tallies, the
 * losing bids): every opening it takes part in is reconstructed from the
 * shares it receives and compared with those values. Counts are printed per
 * scenario and class. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/adv.h"
#include "common/secmem.h"
#include "protocols/agree.h"
#include "protocols/auction_mpc.h"
#include "protocols/check.h"
#include "protocols/mpc_impl.h"
#include "protocols/range.h"
#include "protocols/shamir.h"
#include "protocols/vote_mpc.h"
#include "tests/harness.h"

#define N 3
#define T 1
#define CHEATER 3
#define MAXIN 32
#define MAXM 16
#define MAXSITES 4096
#define MAXREC 200000

static field s_F;
#define NMAX 4   /* the sweep also runs at n = 4 with server 4 down */
static uint8_t s_pk[NMAX][32], s_sk[NMAX][64], s_sid[32];
/* servers in the definition: N, or NMAX with servers 1..N up (same points, so
 * the leak oracle below is unchanged) */
static int s_nsrv = N;

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    cr_assert_eq(field_init_default(&s_F, 32, 40), 0);
    for (int i = 0; i < NMAX; i++) crypto_sign_keypair(s_pk[i], s_sk[i]);
    randombytes_buf(s_sid, sizeof s_sid);
}

TestSuite(adversary, .init = s_setup, .timeout = 900);

/* ---- scenarios ---- */

enum { SC_THRESHOLD, SC_PLURALITY, SC_DP, SC_FIRST, SC_SECOND };

typedef struct scenario {
    int kind;
    const char *name;
    vote_spec vs;
    auction_spec as;
    size_t count;
    uint32_t m;
    fe plain[MAXIN * MAXM];
    fe forbidden[8];            /* values the cheater must never learn */
    int nforbidden;
    /* the clear outcome */
    int yes, winner, sold;
    uint64_t price;
} scenario;

static void s_ballot(scenario *S, size_t i, int choice)
{
    if (S->vs.type == VOTE_THRESHOLD) vote_encode_threshold(S->plain + i * S->m, choice);
    else vote_encode_options(S->plain + i * S->m, S->vs.options, &choice, 1);
}

static void s_make(scenario *S, int kind)
{
    memset(S, 0, sizeof *S);
    S->kind = kind;
    if (kind == SC_FIRST || kind == SC_SECOND) {
        static const uint64_t bids[] = { 1000, 3000, 2000, 500 };
        S->name = kind == SC_FIRST ? "first-price auction" : "second-price auction, reserve 1500";
        S->as = (auction_spec){ .k = 12, .second = kind == SC_SECOND, .reveal_winner = 1,
                                .reserve = kind == SC_SECOND ? 1500 : 0 };
        S->m = range_input_len(S->as.k);
        S->count = 4;
        for (size_t i = 0; i < 4; i++) range_encode(&s_F, S->plain + i * S->m, bids[i], S->as.k);
        S->sold = 1;
        S->winner = 1;
        S->price = kind == SC_FIRST ? 3000 : 2000;
        S->forbidden[S->nforbidden++] = 1000;
        S->forbidden[S->nforbidden++] = 500;
        if (kind == SC_FIRST) S->forbidden[S->nforbidden++] = 2000;
        else S->forbidden[S->nforbidden++] = 3000;
        return;
    }
    vote_spec *v = &S->vs;
    v->abstain = 1;
    v->max_approvals = 1;
    if (kind == SC_PLURALITY) {
        S->name = "plurality vote, winner only";
        v->type = VOTE_PLURALITY;
        v->options = 3;
        S->m = 3;
        static const int tally[] = { 13, 8, 5 };
        for (int o = 0; o < 3; o++)
            for (int k = 0; k < tally[o]; k++) s_ballot(S, S->count++, o);
        for (int o = 0; o < 3; o++) S->forbidden[S->nforbidden++] = (fe)tally[o];
        S->winner = 0;
    } else {
        S->name = kind == SC_DP ? "DP threshold release (eps 1)" : "threshold vote 7 yes / 9 no at 1/2";
        v->type = VOTE_THRESHOLD;
        v->options = 2;
        v->num = 1;
        v->den = 2;
        v->base = VOTE_BASE_YES_NO;
        S->m = 2;
        int yes = kind == SC_DP ? 24 : 7, no = kind == SC_DP ? 0 : 9;
        for (int k = 0; k < yes; k++) s_ballot(S, S->count++, 1);
        for (int k = 0; k < no; k++) s_ballot(S, S->count++, 0);
        S->forbidden[S->nforbidden++] = (fe)yes;
        if (no) S->forbidden[S->nforbidden++] = (fe)no;
        S->yes = kind == SC_DP;   /* a margin of 24 against noise of scale 1 */
        if (kind == SC_DP) v->dp_eps = 1.0;
    }
    v->roll = S->count;
}

/* ---- one server's run ---- */

typedef struct job {
    const scenario *S;
    fe *rows;                   /* this server's shares */
    mpc_adv adv;                /* the cheater's engine deviation (cls 0: none) */
    uint64_t adv_seen;
    int adv_fired;
    int rc;
    int yes, winner, sold;
    uint64_t price;
} job;

/* The server pipeline of app/server.c on the engine: agreement, the degree
 * check (an inconsistency aborts: at n = 2t+1 it cannot be told from a server
 * spoiling its check share), then the application's computation. */
/* Reconciliation stand-in: entry i's "envelope" is 8 bytes of i. */
static const uint8_t *s_io_get(void *arg, const agree_entry *e, size_t *len)
{
    static _Thread_local uint8_t b[8];
    (void)arg;
    memset(b, (int)e->roll, sizeof b);
    *len = sizeof b;
    return b;
}

static int s_io_put(void *arg, int from, const agree_entry *e, const uint8_t *env, size_t len)
{
    uint8_t b[8];
    (void)arg;
    (void)from;
    memset(b, (int)e->roll, sizeof b);
    return len == sizeof b && !memcmp(b, env, len) ? 0 : ERR_CRYPTO;
}

static int s_pipeline(mpc *M, job *J)
{
    const scenario *S = J->S;
    agree_entry mine[MAXIN], acc[MAXIN];
    uint16_t holders[MAXIN];
    /* server 1 missed the first input (it was down): the others, the cheater
     * among them, must deliver it, so the reconciliation round carries data */
    size_t nmine = 0;
    for (size_t i = mpc_me(M) == 1 ? 1 : 0; i < S->count; i++) {
        mine[nmine] = (agree_entry){ .roll = (uint32_t)i, .seq = 1 };
        memset(mine[nmine++].hash, (int)i, 32);
    }
    agree_keys K = { .sid = s_sid, .sign_sk = s_sk[mpc_me(M) - 1],
                     .sign_pk = (const uint8_t(*)[32])s_pk };
    size_t na = 0;
    uint8_t h[32], bad[MAXIN] = { 0 };
    agree_io io = { .get = s_io_get, .put = s_io_put };
    int rc = agree_inputs(M, &K, S->count, mine, nmine, acc, holders, &na, h, NULL, NULL);
    if (rc == 0) rc = agree_deliver(M, acc, holders, na, &io);
    if (rc == 0 && na != S->count) rc = ERR_CHEAT;
    if (rc == 0) rc = check_degree(M, J->rows, S->count, S->m, bad);
    for (size_t i = 0; rc == 0 && i < S->count; i++)
        if (bad[i]) rc = ERR_CHEAT;
    if (rc != 0) return rc;
    if (S->kind == SC_FIRST || S->kind == SC_SECOND) {
        auction_outcome o;
        rc = auction_run(M, &S->as, J->rows, S->count, S->m, bad, &o);
        J->sold = o.sold;
        J->winner = (int)o.winner;
        J->price = o.price;
    } else {
        vote_outcome o;
        rc = vote_run(M, &S->vs, J->rows, S->count, bad, &o);
        J->yes = o.yes;
        J->winner = o.winner;
    }
    return rc;
}

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->adv.cls) mpc_adv_engine_set(M, &J->adv);
    int rc = s_pipeline(M, J);
    if (J->adv.cls) {
        J->adv_seen = M->adv.seen;
        J->adv_fired = M->adv.fired;
    }
    return rc;
}

static int s_correct(const scenario *S, const job *J)
{
    if (S->kind == SC_FIRST || S->kind == SC_SECOND)
        return J->sold == S->sold && J->winner == S->winner && J->price == S->price;
    if (S->kind == SC_PLURALITY) return J->winner == S->winner;
    return J->yes == S->yes;
}

/* ---- the cheater and the recorder of what it sees ---- */

enum { MODE_OFF, MODE_ALL, MODE_ONE };

typedef struct rec {
    uint8_t type;
    uint64_t step;
    int from, to;
    size_t off, len;            /* into the byte log */
} rec;

typedef struct cheat {
    pthread_mutex_t mu;
    int mode;                   /* MODE_*: whom the change reaches */
    size_t target;              /* site index to change */
    size_t elem;                /* element (or byte) index, clamped */
    fe delta;
    size_t nsites;              /* sites seen so far */
    uint8_t site_type[MAXSITES];
    uint64_t site_step[MAXSITES];
    size_t site_len[MAXSITES];  /* largest payload of the site */
    int site_to[MAXSITES];      /* its first recipient */
    int fired;
    /* frames the cheater sends or receives, for the leak oracle */
    rec *recs;
    size_t nrec;
    uint8_t *bytes;
    size_t nbytes, capbytes;
} cheat;

static size_t s_site(cheat *C, uint8_t type, uint64_t step)
{
    for (size_t s = C->nsites; s-- > 0;)
        if (C->site_type[s] == type && C->site_step[s] == step) return s;
    if (C->nsites == MAXSITES) return MAXSITES;
    C->site_type[C->nsites] = type;
    C->site_step[C->nsites] = step;
    return C->nsites++;
}

static void s_record(cheat *C, int from, int to, uint8_t type, uint64_t step,
                     const uint8_t *p, size_t len)
{
    if (C->nrec == MAXREC) return;
    if (C->nbytes + len > C->capbytes) {
        size_t cap = (C->capbytes + len) * 2;
        uint8_t *nb = realloc(C->bytes, cap);
        if (!nb) return;
        C->bytes = nb;
        C->capbytes = cap;
    }
    memcpy(C->bytes + C->nbytes, p, len);
    C->recs[C->nrec++] = (rec){ type, step, from, to, C->nbytes, len };
    C->nbytes += len;
}

static void s_tamper(cheat *C, uint8_t *p, size_t len)
{
    size_t w = s_F.bytes;
    if (len >= w && len % w == 0) {
        size_t e = C->elem < len / w ? C->elem : len / w - 1;
        fe v;
        if (mpc_get(&s_F, p + e * w, &v) == 0) {
            mpc_put(&s_F, p + e * w, fe_add(&s_F, v, C->delta));
            C->fired = 1;
            return;
        }
    }
    if (len) {
        p[C->elem % len] ^= 0x5a;
        C->fired = 1;
    }
}

static void s_hook(void *arg, int from, int to, uint8_t type, uint64_t step, uint8_t *p,
                   size_t len)
{
    cheat *C = arg;
    pthread_mutex_lock(&C->mu);
    if (from == CHEATER) {
        size_t s = s_site(C, type, step);
        if (s < MAXSITES && len > C->site_len[s]) C->site_len[s] = len;
        if (s < MAXSITES && !C->site_to[s]) C->site_to[s] = to;
        if (C->mode != MODE_OFF && s == C->target && (C->mode == MODE_ALL || to == C->site_to[s]))
            s_tamper(C, p, len);
    }
    if (from == CHEATER || to == CHEATER) s_record(C, from, to, type, step, p, len);
    pthread_mutex_unlock(&C->mu);
}

/* Does the cheater's view reconstruct a forbidden value? Every step in which
 * it exchanged equal-length element vectors is read as an opening: degree t
 * from its own share and one honest share, degree 2t from all three. */
static int s_leaks(const cheat *C, const scenario *S)
{
    shamir *sh = shamir_new(&s_F, N, T);
    size_t w = s_F.bytes;
    int leak = 0;
    for (size_t a = 0; a < C->nrec && !leak; a++) {
        const rec *mine = &C->recs[a];
        if (mine->from != CHEATER || mine->to != 1 || mine->len % w || !mine->len) continue;
        const rec *in[N + 1] = { 0 };
        for (size_t b = 0; b < C->nrec; b++) {
            const rec *r = &C->recs[b];
            if (r->to == CHEATER && r->type == mine->type && r->step == mine->step &&
                r->len == mine->len)
                in[r->from] = r;
        }
        if (!in[1] || !in[2]) continue;
        size_t m = mine->len / w;
        fe *sv[N], *out = malloc(sizeof(fe) * m);
        const rec *src[N] = { in[1], in[2], mine };
        for (int i = 0; i < N; i++) {
            sv[i] = malloc(sizeof(fe) * m);
            for (size_t e = 0; e < m; e++)
                if (mpc_get(&s_F, C->bytes + src[i]->off + e * w, &sv[i][e])) sv[i][e] = 0;
        }
        unsigned sets[] = { 0x5 /* S1 + S3 */, 0x7 /* all: degree 2t */ };
        for (int q = 0; q < 2 && !leak; q++) {
            if (shamir_reconstruct(sh, out, (const fe *const *)sv, sets[q], q ? 2 * T : T, m) != 0) continue;
            for (size_t e = 0; e < m && !leak; e++)
                for (int f = 0; f < S->nforbidden; f++) leak |= out[e] == S->forbidden[f];
        }
        for (int i = 0; i < N; i++) free(sv[i]);
        free(out);
    }
    shamir_free(&sh);
    return leak;
}

/* ---- the sweep ---- */

typedef struct tally {
    unsigned runs, correct, aborted, wrong, leaks, fired;
} tally;

/* One run with cheat C; returns the honest servers' verdict into t. */
static void s_one(const scenario *S, cheat *C, const mpc_adv *eng, tally *ty, uint64_t *seen)
{
    fe *sh[NMAX];
    harness_share(&s_F, s_nsrv, T, T, S->plain, S->count * S->m, sh);
    job jobs[NMAX];
    void *args[NMAX];
    int rcs[NMAX];
    for (int i = 0; i < s_nsrv; i++) {
        jobs[i] = (job){ .S = S, .rows = sh[i] };
        if (eng && i + 1 == CHEATER) jobs[i].adv = *eng;
        args[i] = &jobs[i];
    }
    C->nsites = 0;
    memset(C->site_len, 0, sizeof C->site_len);
    memset(C->site_to, 0, sizeof C->site_to);
    C->nrec = 0;
    C->nbytes = 0;
    C->fired = 0;
    mpc_adv_set(s_hook, C);
    harness_live = s_nsrv > N ? (1u << N) - 1 : 0;
    (void)harness_run(&s_F, s_nsrv, T, HARNESS_HUB, s_body, args, rcs);
    harness_live = 0;
    mpc_adv_set(NULL, NULL);
    ty->runs++;
    ty->fired += eng ? jobs[CHEATER - 1].adv_fired : C->fired;
    if (seen) *seen = jobs[CHEATER - 1].adv_seen;
    int all_ok = 1;
    for (int i = 0; i < N; i++) {
        if (i + 1 == CHEATER) continue;
        if (rcs[i] != 0) all_ok = 0;
        else if (!s_correct(S, &jobs[i])) ty->wrong++;
    }
    if (all_ok) ty->correct++;
    else ty->aborted++;
    ty->leaks += s_leaks(C, S);
    for (int i = 0; i < s_nsrv; i++) free(sh[i]);
}

/* The deviations inside the cheater's engine (protocols/mpc_impl.h), at every
 * call of each class: an additive error in a GRR resharing with its own share
 * kept consistent (+1 on one element, -1 on every element), a rushing degree-2t
 * share (the opened value forced to 0, or moved by +1), a wrong opening share. */
static void s_engine_sweep(const scenario *S, cheat *C, tally *eng, uint64_t *sites)
{
    static const int cls[] = { MPC_ADV_MUL_ADD, MPC_ADV_OPEN2T_RUSH, MPC_ADV_OPEN_SHARE };
    for (int k = 0; k < 3; k++) {
        mpc_adv a = { .cls = cls[k], .site = UINT64_MAX };
        tally dry = { 0 };
        harness_timeout_ms = 2000;
        s_one(S, C, &a, &dry, &sites[k]);
        harness_timeout_ms = 150;
        for (uint64_t s = 0; s < sites[k]; s++) {
            mpc_adv v1 = { .cls = cls[k], .site = s, .elem = 0, .delta = 1 };
            mpc_adv v2 = { .cls = cls[k], .site = s, .elem = SIZE_MAX, .delta = s_F.p - 1 };
            if (cls[k] == MPC_ADV_OPEN2T_RUSH) {
                v1.force = 1;     /* the value everyone reconstructs becomes 0 */
                v1.delta = 0;
                v2.delta = 1;
            }
            s_one(S, C, &v1, &eng[k], NULL);
            s_one(S, C, &v2, &eng[k], NULL);
        }
    }
}

static void s_sweep(int kind)
{
    /* MPC_ADV_SEMI=1: the same sweep on semi-honest servers, to see what the
     * verification stops (expectations off) */
    int semi = getenv("MPC_ADV_SEMI") != NULL;
    if (semi) harness_security = MPC_SEMI_HONEST;
    scenario *S = malloc(sizeof *S);
    s_make(S, kind);
    cheat *C = calloc(1, sizeof *C);
    pthread_mutex_init(&C->mu, NULL);
    C->recs = malloc(sizeof(rec) * MAXREC);
    /* a clean run: the scenario is right, and its sites */
    tally clean = { 0 };
    harness_timeout_ms = 2000;
    s_one(S, C, NULL, &clean, NULL);
    cr_assert_eq(clean.correct, 1, "%s: the honest run fails", S->name);
    cr_assert_eq(clean.leaks, 0, "%s: the honest run leaks (test oracle is wrong)", S->name);
    size_t nsites = C->nsites, live = 0;
    size_t lens[MAXSITES];
    memcpy(lens, C->site_len, sizeof lens);
    harness_timeout_ms = 150;   /* aborted runs end on the cheater's timeout */
    /* per site: +1 to the first element for every peer, -1 to the last for
     * every peer, +1 to the last for server 1 only (the cheater's Lagrange
     * coefficient at n = 3 is 1, so +-1 in a resharing moves a product by +-1:
     * the smallest change, the one that flips a comparison bit) */
    static const struct { int mode; int last; int neg; } var[] = {
        { MODE_ALL, 0, 0 }, { MODE_ALL, 1, 1 }, { MODE_ONE, 1, 0 } };
    tally by_mode[2] = { { 0 } };
    const char *full = getenv("MPC_ADV_FULL");   /* every element of every site */
    for (size_t s = 0; s < nsites; s++) {
        if (!lens[s]) continue;   /* an empty message (nothing to change) */
        live++;
        size_t nel = lens[s] / s_F.bytes;
        for (size_t e = 0; full && e < nel; e++) {
            C->mode = MODE_ALL;
            C->target = s;
            C->elem = e;
            C->delta = 1;
            s_one(S, C, NULL, &by_mode[0], NULL);
        }
        for (size_t v = 0; !full && v < sizeof var / sizeof *var; v++) {
            C->mode = var[v].mode;
            C->target = s;
            C->elem = var[v].last ? (size_t)-1 : 0;
            C->delta = var[v].neg ? s_F.p - 1 : 1;
            s_one(S, C, NULL, &by_mode[var[v].mode - MODE_ALL], NULL);
        }
    }
    C->mode = MODE_OFF;
    tally eng[3] = { { 0 } };
    uint64_t eng_sites[3] = { 0 };
    s_engine_sweep(S, C, eng, eng_sites);
    static const char *const names[] = { "same change to every peer", "change to one peer only" };
    for (int k = 0; k < 2; k++)
        fprintf(stderr,
                "adversary sweep: %-36s %-26s sites %3zu runs %4u correct %4u aborted %4u "
                "wrong %u leaks %u\n",
                S->name, names[k], live, by_mode[k].runs, by_mode[k].correct,
                by_mode[k].aborted, by_mode[k].wrong, by_mode[k].leaks);
    static const char *const enames[] = { "additive error in resharing", "rushing degree-2t share",
                                          "wrong opening share" };
    for (int k = 0; k < 3 && semi; k++) {
        fprintf(stderr, "adversary sweep (semi-honest): %-36s %-26s runs %4u wrong %u leaks %u\n",
                S->name, enames[k], eng[k].runs, eng[k].wrong, eng[k].leaks);
        eng[k].wrong = eng[k].leaks = 0;
    }
    for (int k = 0; k < 2 && semi; k++) by_mode[k].wrong = by_mode[k].leaks = 0;
    for (int k = 0; k < 3; k++) {
        fprintf(stderr,
                "adversary sweep: %-36s %-26s sites %3llu runs %4u correct %4u aborted %4u "
                "wrong %u leaks %u\n",
                S->name, enames[k], (unsigned long long)eng_sites[k], eng[k].runs, eng[k].correct,
                eng[k].aborted, eng[k].wrong, eng[k].leaks);
        cr_expect_eq(eng[k].wrong, 0, "%s, %s: %u wrong outcomes accepted", S->name, enames[k],
                     eng[k].wrong);
        cr_expect_eq(eng[k].leaks, 0, "%s, %s: %u leaks", S->name, enames[k], eng[k].leaks);
        cr_expect_eq(eng[k].fired, eng[k].runs, "%s, %s: every run really deviated", S->name,
                     enames[k]);
    }
    for (int k = 0; k < 2; k++) {
        cr_expect_eq(by_mode[k].wrong, 0, "%s: %u wrong outcomes accepted by an honest server",
                     S->name, by_mode[k].wrong);
        cr_expect_eq(by_mode[k].leaks, 0, "%s: %u runs leaked a closed value to the cheater",
                     S->name, by_mode[k].leaks);
        cr_expect_eq(by_mode[k].fired, by_mode[k].runs, "%s: every run really deviated", S->name);
    }
    free(C->recs);
    free(C->bytes);
    pthread_mutex_destroy(&C->mu);
    free(C);
    free(S);
    harness_timeout_ms = HARNESS_TIMEOUT_MS;
}

Test(adversary, every_step_of_a_threshold_vote)
{
    s_sweep(SC_THRESHOLD);
}

Test(adversary, every_step_of_a_plurality_vote)
{
    s_sweep(SC_PLURALITY);
}

Test(adversary, every_step_of_a_dp_threshold_release)
{
    s_sweep(SC_DP);
}

Test(adversary, every_step_of_a_first_price_auction)
{
    s_sweep(SC_FIRST);
}

Test(adversary, every_step_of_a_second_price_auction_with_reserve)
{
    s_sweep(SC_SECOND);
}

/* n = 4, t = 1 with server 4 down (issue 14, availability): the three that
 * compute face the same cheater at every step. */
Test(adversary, every_step_of_a_threshold_vote_with_a_server_down)
{
    s_nsrv = NMAX;
    s_sweep(SC_THRESHOLD);
    s_nsrv = N;
}
