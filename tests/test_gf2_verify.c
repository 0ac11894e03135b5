/* test_gf2_verify: security with abort in the binary domain (gf2_verify.h).
 *
 * GF(2^64) arithmetic against a schoolbook product, the GF(16) embedding as
 * a field homomorphism; honest malicious runs verify (one block, many levels,
 * n = 3 and n = 5); shared non-bits are caught by gf2_log_bits; and the sweep:
 * one cheating server (the frame hook of common/adv.h) rewrites one bit of
 * every message it sends in the binary domain (AND resharings, the check's
 * rounds, its coins, the openings), to one recipient (an inconsistent
 * resharing, an equivocation) or to all (a consistent additive error: a wrong
 * AND with valid shares). Oracle per run: every honest server outputs the
 * clear result or aborts, and a deviation before the verification makes every
 * honest server abort inside it, before any result is opened. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "protocols/gf2_verify.h"
#include "protocols/gf64.h"
#include "protocols/mpc_impl.h"
#include "tests/flip.h"
#include "tests/harness.h"

static void s_init(void)
{
    cr_assert_eq(secmem_init(), 0);
    gf64_init();
    harness_security = MPC_MALICIOUS;
}

static void s_fini(void)
{
    harness_reset();
}

TestSuite(gf2v, .init = s_init, .fini = s_fini, .timeout = 300);

static uint64_t s_rand64(void)
{
    return harness_rand_bits(32) << 32 | harness_rand_bits(32);
}

/* ---- GF(2^64) ------------------------------------------------------------- */

/* Schoolbook: carry-less product, then x^64 = x^4 + x^3 + x + 1 bit by bit. */
static uint64_t s_mul_ref(uint64_t a, uint64_t b)
{
    uint64_t lo = 0, hi = 0;
    for (int i = 0; i < 64; i++)
        if (b >> i & 1u) {
            lo ^= a << i;
            if (i) hi ^= a >> (64 - i);
        }
    for (int i = 63; i >= 0; i--)
        if (hi >> i & 1u) {
            hi ^= (uint64_t)1 << i;
            /* x^(64+i) = x^i (x^4 + x^3 + x + 1) */
            uint64_t r = 0x1b;
            lo ^= r << i;
            if (i > 59) hi ^= r >> (64 - i);
        }
    return lo;
}

Test(gf2v, gf64_matches_schoolbook_and_inverts)
{
    uint64_t edge[] = { 0, 1, 2, ~(uint64_t)0, (uint64_t)1 << 63, 0x1b };
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            cr_assert_eq(gf64_mul(edge[i], edge[j]), s_mul_ref(edge[i], edge[j]));
    for (int k = 0; k < 2000; k++) {
        uint64_t a = s_rand64(), b = s_rand64(), c = s_rand64();
        cr_assert_eq(gf64_mul(a, b), s_mul_ref(a, b), "%016llx * %016llx",
                     (unsigned long long)a, (unsigned long long)b);
        gf64_wide w = { 0, 0 };
        gf64_mac(&w, a, b);
        gf64_mac(&w, a, c);
        cr_assert_eq(gf64_reduce(w), gf64_mul(a, b ^ c));
        if (a) cr_assert_eq(gf64_mul(a, gf64_inv(a)), 1);
    }
    uint64_t v[5] = { 1, 2, 3, s_rand64(), 0 }, c[5], o[5];
    for (int i = 0; i < 5; i++) c[i] = s_rand64();
    gf64_mul_vec(o, c, v, 5);
    for (int i = 0; i < 5; i++) cr_assert_eq(o[i], s_mul_ref(c[i], v[i]));
}

/* GF(16) sharings are GF(2^64) sharings at the embedded points only if the
 * embedding is a ring map. */
Test(gf2v, gf16_embeds_as_a_subfield)
{
    cr_assert_eq(gf64_embed(0), 0);
    cr_assert_eq(gf64_embed(1), 1);
    for (unsigned a = 0; a < 16; a++)
        for (unsigned b = 0; b < 16; b++) {
            cr_assert_eq(gf64_embed((uint8_t)(a ^ b)), gf64_embed((uint8_t)a) ^ gf64_embed((uint8_t)b));
            cr_assert_eq(gf64_embed(gf16_mul((uint8_t)a, (uint8_t)b)),
                         gf64_mul(gf64_embed((uint8_t)a), gf64_embed((uint8_t)b)));
        }
}

/* ---- honest runs ---------------------------------------------------------- */

typedef struct vjob {
    const uint64_t *x, *y;
    size_t nw;
    int bits;             /* log x as bits first */
    uint64_t *z;          /* opened x AND y (nw words) */
    uint64_t flushes, rounds;
} vjob;

static int s_and_body(mpc *M, void *arg)
{
    vjob *J = arg;
    uint64_t *z = malloc(4 * J->nw * 8);
    int rc = J->bits ? gf2_log_bits(M, J->x, J->nw) : 0;
    if (rc == 0) rc = gf2_and(M, z, J->x, J->y, J->nw);
    if (rc == 0) rc = gf2_open(M, J->z, z, J->nw);
    gf2v_stats(M, &J->flushes, &J->rounds);
    free(z);
    return rc;
}

/* AND of nw words of random bits; x may be replaced by a non-bit in lane
 * `bad` (SIZE_MAX: none). Returns the first rc; checks outputs when 0. */
static int s_and_run(int n, int t, size_t nw, int bits, size_t bad, vjob *jobs, int *rcs)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    uint64_t *x = malloc(nw * 8), *y = malloc(nw * 8), *xs[9], *ys[9];
    for (size_t w = 0; w < nw; w++) x[w] = s_rand64(), y[w] = s_rand64();
    for (int i = 0; i < n; i++) {
        xs[i] = malloc(4 * nw * 8);
        ys[i] = malloc(4 * nw * 8);
    }
    gf2_share(xs, x, nw, n, t);
    gf2_share(ys, y, nw, n, t);
    if (bad != SIZE_MAX)   /* add the constant sharing of x (plane 1) to lane bad: a value 2 or 3 */
        for (int i = 0; i < n; i++) xs[i][nw + bad / 64] ^= (uint64_t)1 << (bad % 64);
    void *args[9];
    for (int i = 0; i < n; i++) {
        jobs[i] = (vjob){ .x = xs[i], .y = ys[i], .nw = nw, .bits = bits, .z = calloc(nw, 8) };
        args[i] = &jobs[i];
    }
    int rc = harness_run(&F, n, t, HARNESS_HUB, s_and_body, args, rcs);
    for (int i = 0; i < n && rc == 0; i++)
        for (size_t w = 0; w < nw && (!harness_live || harness_live >> i & 1u); w++)
            cr_assert_eq(jobs[i].z[w], x[w] & y[w], "S%d word %zu", i + 1, w);
    for (int i = 0; i < n; i++) {
        free(xs[i]);
        free(ys[i]);
        free(jobs[i].z);
    }
    free(x);
    free(y);
    return rc;
}

Test(gf2v, honest_runs_verify_at_every_size)
{
    vjob jobs[9];
    /* one block, a few, one past the last level (128), multi-level with fan-in
     * 16, then 4 (more than 2^14 coordinates), then halving levels (more than
     * 2^15) down to an odd length: 131,073 words log 262,146 blocks, 32,769
     * per slice (8 slices), 2,097,216 coordinates, six halvings to 32,769 and
     * a seventh */
    size_t sizes[] = { 1, 3, 33, 200, 5000, 131073 };
    for (int k = 0; k < 6; k++) {
        cr_assert_eq(s_and_run(3, 1, sizes[k], 1, SIZE_MAX, jobs, NULL), 0, "%zu words", sizes[k]);
        cr_assert_eq(jobs[0].flushes, 1, "one verification before the opening");
        cr_assert_gt(jobs[0].rounds, 2);
        cr_assert_lt(jobs[0].rounds, 30, "%zu words: %llu rounds", sizes[k],
                     (unsigned long long)jobs[0].rounds);
    }
    cr_assert_eq(s_and_run(5, 2, 40, 1, SIZE_MAX, jobs, NULL), 0);
    cr_assert_eq(s_and_run(5, 1, 3, 0, SIZE_MAX, jobs, NULL), 0);
    harness_live = 0x17;   /* n = 5, t = 1, server 4 down */
    cr_assert_eq(s_and_run(5, 1, 3, 1, SIZE_MAX, jobs, NULL), 0);
}

/* A shared 2 or 3 where a bit must be: every honest server aborts, whatever
 * the lane (first, inside a later block, in the last word). */
Test(gf2v, a_shared_non_bit_is_caught)
{
    vjob jobs[9];
    int rcs[9];
    size_t cases[][2] = { { 1, 0 }, { 4, 200 }, { 300, 64 * 299 + 63 }, { 20000, 777777 },
                          { 131073, 64 * 131072 + 5 } };
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(s_and_run(3, 1, cases[k][0], 1, cases[k][1], jobs, rcs), ERR_CHEAT,
                     "%zu words, lane %zu", cases[k][0], cases[k][1]);
        for (int i = 0; i < 3; i++) cr_assert_eq(rcs[i], ERR_CHEAT, "S%d", i + 1);
    }
    cr_assert_eq(s_and_run(5, 2, 2, 1, 5, jobs, rcs), ERR_CHEAT);
    for (int i = 0; i < 5; i++) cr_assert_eq(rcs[i], ERR_CHEAT, "S%d", i + 1);
}

/* ---- the sweep ------------------------------------------------------------ */

#define CHEATER 3
#define NV 40          /* values compared: one word of lanes, not a full one */
#define KB 8

typedef struct sjob {
    const uint64_t *a, *b;
    uint64_t gt, max, idx;
    uint64_t vstep;        /* the step once the check passed (UINT64_MAX: never) */
} sjob;

/* Inputs checked as bits, a comparison and a maximum, the check, then the
 * openings. */
static int s_sweep_body(mpc *M, void *arg)
{
    sjob *J = arg;
    uint64_t g[4], mx[4 * KB], ix[4 * 8], v[4];
    J->vstep = UINT64_MAX;
    int rc = 0;
    for (int j = 0; j < KB && rc == 0; j++) {
        bin_row_get(v, J->a, KB, j, 1);
        rc = gf2_log_bits(M, v, 1);
        bin_row_get(v, J->b, KB, j, 1);
        if (rc == 0) rc = gf2_log_bits(M, v, 1);
    }
    if (rc == 0) rc = bin_gt(M, g, J->a, J->b, KB, 1);
    if (rc == 0) rc = bin_max(M, mx, ix, J->a, NV, KB);
    if (rc == 0) rc = gf2_verify(M);
    if (rc) return rc;
    J->vstep = M->step;
    rc = gf2_open(M, &J->gt, g, 1);
    if (rc == 0) rc = harness_open_bin_int(M, mx, KB, &J->max);
    if (rc == 0) rc = harness_open_bin_int(M, ix, bin_index_bits(NV), &J->idx);
    return rc;
}

/* What the runs of one sweep share. */
typedef struct sweep {
    const uint64_t *a, *b;
    uint64_t *as[3], *bs[3];
    uint64_t vstep;        /* the honest run's step once the check passed */
} sweep;

/* A deviation before the check must be caught by it. Only an equivocation
 * in its last opening may leave one honest server passing (its view, two
 * honest shares, fixes the values: its check is sound) while the other
 * aborts: "late" counts the others. */
static void s_sweep_run(flip *C, void *arg, flip_tally *ty)
{
    sweep *W = arg;
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    sjob jobs[3];
    void *args[3];
    int rcs[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (sjob){ .a = W->as[i], .b = W->bs[i] };
        args[i] = &jobs[i];
    }
    (void)harness_run(&F, 3, 1, HARNESS_HUB, s_sweep_body, args, rcs);
    uint64_t gt = 0, best = 0;
    for (int e = 0; e < NV; e++) {
        gt |= (uint64_t)(W->a[e] > W->b[e]) << e;
        if (W->a[e] > W->a[best]) best = (uint64_t)e;
    }
    uint64_t lastv = 0;
    for (int s = 0; s < C->nsites; s++)
        if (C->sites[s].type == MPC_MSG_BINV && C->sites[s].step < W->vstep && C->sites[s].step > lastv)
            lastv = C->sites[s].step;
    int all = 1;
    for (int i = 0; i < 3; i++) {
        if (i + 1 == CHEATER) continue;
        if (rcs[i]) {
            all = 0;
            const flip_site *S = C->target >= 0 ? &C->sites[C->target] : NULL;
            if (S && S->step < W->vstep && jobs[i].vstep != UINT64_MAX &&
                !(S->step == lastv && !C->all))
                ty->late++;
        } else if ((jobs[i].gt & (((uint64_t)1 << NV) - 1)) != gt || jobs[i].max != W->a[best] ||
                   jobs[i].idx != best)
            ty->wrong++;
    }
    if (all) ty->correct++;
    else ty->aborted++;
    if (C->target < 0) W->vstep = jobs[0].vstep;
}

/* lane 0 of plane 0, or a bit further in (another plane or element) */
static const size_t s_two_bits[2][2] = { { 0, 0 }, { 69, 8 } };

Test(gf2v, a_cheating_server_is_caught_at_every_binary_step)
{
    static flip C;
    flip_init(&C, CHEATER);
    uint64_t a[64] = { 0 }, b[64] = { 0 };
    for (int e = 0; e < NV; e++) {
        a[e] = harness_rand_bits(KB);
        b[e] = e % 3 ? harness_rand_bits(KB) : a[e];
    }
    a[7] = a[19] = 255;   /* a tie at the top */
    sweep W = { .a = a, .b = b };
    harness_share_bits(W.as, a, NV, KB, 3, 1);
    harness_share_bits(W.bs, b, NV, KB, 3, 1);
    flip_tally ty[2] = { { 0 } };
    int nsites = flip_sweep(&C, s_sweep_run, &W, s_two_bits, 2, 150, ty);
    cr_assert_gt(nsites, 20, "%d sites (-1: the honest run failed)", nsites);
    cr_assert_neq(W.vstep, UINT64_MAX);
    flip_print("gf2v sweep", nsites, ty);
    for (int all = 0; all < 2; all++) {
        cr_assert_eq(ty[all].wrong, 0, "an honest server output a wrong result");
        cr_assert_eq(ty[all].late, 0, "a deviation before the check got past it");
        cr_assert_eq(ty[all].fired, ty[all].runs);
        cr_assert_eq(ty[all].correct, 0, "every bit the cheater sends matters");
    }
    for (int i = 0; i < 3; i++) {
        free(W.as[i]);
        free(W.bs[i]);
    }
}

/* ---- the sweep on the binary auction (auction_bin.h) ----------------------- */

#include "protocols/auction_bin.h"

#define NB 24          /* bidders */
#define KA 10

typedef struct ajob {
    const uint64_t *bids;
    const auction_spec *s;
    uint8_t excl[NB];
    auction_outcome o;
} ajob;

static int s_auction_body(mpc *M, void *arg)
{
    ajob *J = arg;
    return auction_bin_run(M, J->s, J->bids, NB, J->excl, &J->o);
}

/* What the runs of one auction sweep share. */
typedef struct asweep {
    const auction_spec *s;
    uint64_t *sh[3];
    const auction_outcome *want;
    const uint8_t *wexcl;
} asweep;

/* One run; the honest servers' verdicts into ty (late: an aborting server
 * holding an outcome). */
static void s_auction_run(flip *C, void *arg, flip_tally *ty)
{
    asweep *W = arg;
    static field F;
    (void)C;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    ajob jobs[3];
    void *args[3];
    int rcs[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (ajob){ .bids = W->sh[i], .s = W->s };
        memcpy(jobs[i].excl, W->wexcl, NB);   /* bidder 5 already excluded */
        args[i] = &jobs[i];
    }
    (void)harness_run(&F, 3, 1, HARNESS_HUB, s_auction_body, args, rcs);
    int all = 1;
    for (int i = 0; i < 3; i++) {
        if (i + 1 == CHEATER) continue;
        if (rcs[i]) {
            all = 0;
            if (jobs[i].o.sold) ty->late++;
        } else if (jobs[i].o.sold != W->want->sold || jobs[i].o.price != W->want->price ||
                   jobs[i].o.winner != W->want->winner || memcmp(jobs[i].excl, W->wexcl, NB))
            ty->wrong++;
    }
    if (all) ty->correct++;
    else ty->aborted++;
}

Test(gf2v, a_cheating_server_cannot_change_the_binary_auction)
{
    static flip C;
    static const size_t one_bit[1][2] = { { 3, 8 } };
    flip_init(&C, CHEATER);
    uint64_t v[NB];
    for (int i = 0; i < NB; i++) v[i] = harness_rand_bits(KA);
    v[3] = v[17] = 1023;   /* a tie at the top: the lower index wins */
    v[5] = 1023;           /* excluded before: must not win */
    for (int second = 0; second < 2; second++) {
        auction_spec s = { .k = KA, .second = second, .reveal_winner = 1, .reserve = 100 };
        uint8_t wexcl[NB] = { 0 };
        wexcl[5] = 1;
        uint64_t second_best = 0;
        for (int i = 0; i < NB; i++)
            if (i != 3 && i != 5 && v[i] > second_best) second_best = v[i];
        auction_outcome want = { .sold = 1, .winner = 3, .price = second ? second_best : 1023 };
        asweep W = { .s = &s, .want = &want, .wexcl = wexcl };
        harness_share_bits(W.sh, v, NB, KA, 3, 1);
        flip_tally ty[2] = { { 0 } };
        int nsites = flip_sweep(&C, s_auction_run, &W, one_bit, 1, 150, ty);
        cr_assert_gt(nsites, 0, "the honest run failed");
        flip_print(second ? "binary auction sweep, second price" : "binary auction sweep, first price",
                   nsites, ty);
        for (int all = 0; all < 2; all++) {
            cr_assert_eq(ty[all].wrong, 0, "an honest server output a wrong outcome");
            cr_assert_eq(ty[all].late, 0);
            cr_assert_eq(ty[all].fired, ty[all].runs);
        }
        for (int i = 0; i < 3; i++) free(W.sh[i]);
    }
}
