/* test_agree: the servers' agreement on the accepted inputs, on the in-process
 * hub with n = 3 and n = 5: the accepted set is the union of the lists (per
 * roll the highest sequence, ties to the smaller hash) with who holds each;
 * reconciliation hands every server what it missed; a malformed list, an
 * equivocation, a withheld or forged delivery is refused naming its sender. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include <sodium.h>
#include "protocols/agree.h"
#include "tests/harness.h"

static void s_keys(void);

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    s_keys();
}

TestSuite(agree, .init = s_setup, .timeout = 30);

#define R 16

static void be32(uint8_t *p, uint32_t v);

/* The servers' signing keys (shared by all jobs of one run). */
static uint8_t s_pk[5][32], s_sk[5][64], s_sid[32];

static void s_keys(void)
{
    for (int i = 0; i < 5; i++) crypto_sign_keypair(s_pk[i], s_sk[i]);
    randombytes_buf(s_sid, sizeof s_sid);
}

typedef struct job {
    agree_entry mine[R];
    size_t nmine;
    agree_entry out[R];
    uint16_t holders[R];
    size_t nout, got;
    int malformed;            /* send a broken list instead of running agree */
    int equivocate;           /* sign and send a different list to server 1 */
    int withhold;             /* deliver nothing */
    int forge;                /* deliver damaged copies */
    int deliver;              /* run the reconciliation round too */
    uint8_t set_hash[32];
    uint64_t rounds;
    char err[256];
} job;

/* A signed list of the first `count` entries of J, as agree.c encodes it. */
static size_t s_signed_list(uint8_t *buf, const job *J, size_t count, int me)
{
    be32(buf, (uint32_t)count);
    for (size_t e = 0; e < count; e++) {
        uint8_t *p = buf + 4 + e * AGREE_ENTRY_LEN;
        be32(p, J->mine[e].roll);
        be32(p + 4, (uint32_t)(J->mine[e].seq >> 32));
        be32(p + 8, (uint32_t)J->mine[e].seq);
        memcpy(p + 12, J->mine[e].hash, 32);
    }
    size_t body = 4 + count * AGREE_ENTRY_LEN;
    uint8_t msg[81], h[32];
    crypto_generichash(h, 32, buf, body, NULL, 0);
    memcpy(msg, "mpc-agree-list-1", 16);
    memcpy(msg + 16, s_sid, 32);
    msg[48] = (uint8_t)me;
    memcpy(msg + 49, h, 32);
    crypto_sign_detached(buf + body, NULL, msg, sizeof msg, s_sk[me - 1]);
    return body + 64;
}

/* Round 1 as a cheating server: server 1 gets a list without the last entry,
 * the others the full one; then it echoes honestly what it received. */
static int s_equivocate(mpc *M, job *J)
{
    static uint8_t full[4 + R * AGREE_ENTRY_LEN + 64], part[4 + R * AGREE_ENTRY_LEN + 64];
    size_t fl = s_signed_list(full, J, J->nmine, mpc_me(M));
    size_t pl = s_signed_list(part, J, J->nmine - 1, mpc_me(M));
    uint64_t step = mpc_step(M);
    for (int j = 1; j <= mpc_n(M); j++)
        if (j != mpc_me(M) && mpc_send_raw(M, j, AGREE_MSG_LIST, step, j == 1 ? part : full,
                                           j == 1 ? pl : fl, 0))
            return -1;
    return 0;   /* then silent: the honest servers must already have named it */
}

/* An entry's stand-in envelope: 12 bytes of (roll, seq), then its hash tag. */
static void s_bytes(uint8_t b[16], const agree_entry *e)
{
    memset(b, 0, 16);
    be32(b, e->roll);
    be32(b + 4, (uint32_t)e->seq);
    b[8] = e->hash[0];
}

static const uint8_t *s_get(void *arg, const agree_entry *e, size_t *len)
{
    job *J = arg;
    static _Thread_local uint8_t b[16];
    s_bytes(b, e);
    if (J->forge) b[15] ^= 1;
    *len = sizeof b;
    return b;
}

static int s_put(void *arg, int from, const agree_entry *e, const uint8_t *env, size_t len)
{
    job *J = arg;
    uint8_t b[16];
    (void)from;
    s_bytes(b, e);
    if (len != sizeof b || memcmp(b, env, len) != 0) return ERR_CRYPTO;
    J->got++;
    return 0;
}

static int s_body(mpc *M, void *arg)
{
    job *J = arg;
    if (J->malformed) {
        uint64_t step = mpc_step(M);
        uint8_t junk[7] = { 0, 0, 0, 9, 1, 2, 3 };   /* claims 9 entries, holds none */
        for (int j = 1; j <= mpc_n(M); j++)
            if (j != mpc_me(M) && mpc_send_raw(M, j, AGREE_MSG_LIST, step, junk, sizeof junk, 0))
                return -1;
        return 0;
    }
    if (J->equivocate) return s_equivocate(M, J);
    uint64_t r0;
    mpc_stats(M, &r0, NULL, NULL);
    agree_keys K = { .sid = s_sid, .sign_sk = s_sk[mpc_me(M) - 1], .sign_pk = (const uint8_t(*)[32])s_pk };
    int rc = agree_inputs(M, &K, R, J->mine, J->nmine, J->out, J->holders, &J->nout,
                          J->set_hash, NULL, NULL);
    if (rc == 0 && J->deliver) {
        agree_io io = { .get = s_get, .put = s_put, .arg = J };
        if (J->withhold) memset(J->holders, 0, sizeof J->holders);   /* claims to hold nothing */
        rc = agree_deliver(M, J->out, J->holders, J->nout, &io);
    }
    uint64_t r1;
    mpc_stats(M, &r1, NULL, NULL);
    J->rounds = r1 - r0;
    snprintf(J->err, sizeof J->err, "%s", mpc_errmsg(M));
    return rc;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static agree_entry s_entry(uint32_t roll, uint64_t seq, uint8_t tag)
{
    agree_entry e = { .roll = roll, .seq = seq };
    memset(e.hash, tag, sizeof e.hash);
    return e;
}

/* Every party holds rolls 0..9 with seq = roll + 1, except: the last party
 * lacks roll 3, party 2 has another seq for roll 5, party 1 another submission
 * id for roll 7; only party 1 holds roll 12. Listed in shuffled order. */
static void s_fill(job *jobs, int n)
{
    for (int p = 0; p < n; p++) {
        job *J = &jobs[p];
        memset(J, 0, sizeof *J);
        for (int r = 9; r >= 0; r--) {
            if (r == 3 && p == n - 1) continue;
            uint64_t seq = (uint64_t)r + 1 + (r == 5 && p == 1 ? 100 : 0);
            J->mine[J->nmine++] = s_entry((uint32_t)r, seq, r == 7 && p == 0 ? 0xee : (uint8_t)r);
        }
        if (p == 0) J->mine[J->nmine++] = s_entry(12, 1, 12);
    }
}

static const field *s_field(void)
{
    static field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    return &F;
}

/* Union: rolls 0..9 (roll 3 without the last party, roll 5 at seq 106 from
 * party 2 alone, roll 7: party 1's 0xee loses the tie to 0x07) and roll 12
 * from party 1 alone. */
static void s_check_accepts(int n, int t, int deliver)
{
    job jobs[5];
    void *args[5];
    int rcs[5];
    s_fill(jobs, n);
    for (int p = 0; p < n; p++) {
        jobs[p].deliver = deliver;
        args[p] = &jobs[p];
    }
    cr_assert_eq(harness_run(s_field(), n, t, HARNESS_HUB, s_body, args, rcs), 0);
    static const uint32_t want[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12 };
    unsigned all = (1u << n) - 1;
    for (int p = 0; p < n; p++) {
        job *J = &jobs[p];
        cr_assert_eq(J->nout, 11, "party %d accepted %zu", p + 1, J->nout);
        for (size_t i = 0; i < J->nout; i++) {
            uint32_t r = want[i];
            cr_assert_eq(J->out[i].roll, r);
            cr_assert_eq(J->out[i].seq, r == 12 ? 1 : r + 1 + (r == 5 ? 100 : 0));
            unsigned h = r == 3 ? all & ~(1u << (n - 1)) : r == 5 ? 2u : r == 7 ? all & ~1u
                                                                 : r == 12 ? 1u : all;
            cr_assert_eq(J->holders[i], h, "roll %u held by %x, not %x", r, J->holders[i], h);
        }
        cr_assert_eq(J->rounds, deliver ? 4 : 3, "lists, echo, confirmation (, delivery)");
        cr_assert_eq(memcmp(J->set_hash, jobs[0].set_hash, 32), 0, "one accepted set");
        if (deliver) {   /* a copy from every holder of what it lacked: 3 (last party;
                          * n-1 holders), 5 (all but party 2; 1), 7 (party 1; n-1), 12 (all but
                          * party 1; 1) */
            size_t lack = (size_t)((p == n - 1) * (n - 1) + (p != 1) + (p == 0) * (n - 1) + (p != 0));
            cr_assert_eq(J->got, lack, "party %d received %zu, lacked %zu", p + 1, J->got, lack);
        }
    }
}

Test(agree, union_n3)
{
    s_check_accepts(3, 1, 0);
}

Test(agree, union_n5)
{
    s_check_accepts(5, 2, 0);
}

Test(agree, reconciliation_gives_each_server_what_it_missed_n3)
{
    s_check_accepts(3, 1, 1);
}

Test(agree, reconciliation_gives_each_server_what_it_missed_n5)
{
    s_check_accepts(5, 2, 1);
}

static void s_bad_delivery(int withhold)
{
    job jobs[3];
    void *args[3];
    int rcs[3];
    s_fill(jobs, 3);
    for (int p = 0; p < 3; p++) {
        jobs[p].deliver = 1;
        args[p] = &jobs[p];
    }
    /* party 1 alone holds roll 12: the others must get it from it */
    if (withhold) jobs[0].withhold = 1;
    else jobs[0].forge = 1;
    harness_timeout_ms = 500;
    (void)harness_run(s_field(), 3, 1, HARNESS_HUB, s_body, args, rcs);
    for (int p = 1; p < 3; p++) {
        cr_assert_eq(rcs[p], ERR_CHEAT, "party %d: %d (%s)", p + 1, rcs[p], jobs[p].err);
        cr_assert(strstr(jobs[p].err, "server 1") != NULL, "%s", jobs[p].err);
        cr_assert(strstr(jobs[p].err, withhold ? "did not deliver" : "forged") != NULL, "%s",
                  jobs[p].err);
    }
}

Test(agree, withheld_envelope_names_the_holder)
{
    s_bad_delivery(1);
}

Test(agree, forged_delivery_names_the_sender)
{
    s_bad_delivery(0);
}

Test(agree, empty_lists_agree_on_nothing)
{
    job jobs[3];
    void *args[3];
    int rcs[3];
    memset(jobs, 0, sizeof jobs);
    for (int p = 0; p < 3; p++) args[p] = &jobs[p];
    cr_assert_eq(harness_run(s_field(), 3, 1, HARNESS_HUB, s_body, args, rcs), 0);
    for (int p = 0; p < 3; p++) cr_assert_eq(jobs[p].nout, 0);
}

Test(agree, malformed_list_names_its_sender)
{
    job jobs[3];
    void *args[3];
    int rcs[3];
    s_fill(jobs, 3);
    jobs[1].malformed = 1;
    for (int p = 0; p < 3; p++) args[p] = &jobs[p];
    harness_timeout_ms = 500;
    (void)harness_run(s_field(), 3, 1, HARNESS_HUB, s_body, args, rcs);
    for (int p = 0; p < 3; p += 2) {
        cr_assert_eq(rcs[p], ERR_PROTO, "party %d: %d", p + 1, rcs[p]);
        cr_assert(strstr(jobs[p].err, "server 2") != NULL, "%s", jobs[p].err);
    }
}

Test(agree, duplicate_own_entry_is_refused)
{
    job jobs[3];
    void *args[3];
    int rcs[3];
    s_fill(jobs, 3);
    for (int p = 0; p < 3; p++) {
        jobs[p].mine[jobs[p].nmine++] = s_entry(0, 1, 0);
        args[p] = &jobs[p];
    }
    (void)harness_run(s_field(), 3, 1, HARNESS_HUB, s_body, args, rcs);
    for (int p = 0; p < 3; p++) cr_assert_eq(rcs[p], ERR_ARG);
}

Test(agree, equivocating_server_is_named_by_every_honest_server)
{
    int n = 3;
    job jobs[3];
    void *args[3];
    int rcs[3];
    s_fill(jobs, n);
    jobs[2].equivocate = 1;
    for (int p = 0; p < n; p++) args[p] = &jobs[p];
    harness_timeout_ms = 500;
    (void)harness_run(s_field(), n, 1, HARNESS_HUB, s_body, args, rcs);
    for (int p = 0; p < 2; p++) {
        cr_assert_eq(rcs[p], ERR_CHEAT, "party %d: %d (%s)", p + 1, rcs[p], jobs[p].err);
        cr_assert(strstr(jobs[p].err, "server 3 sent different input lists") != NULL, "%s",
                  jobs[p].err);
    }
}

Test(agree, forged_list_signature_is_refused)
{
    job jobs[3];
    void *args[3];
    int rcs[3];
    s_fill(jobs, 3);
    for (int p = 0; p < 3; p++) args[p] = &jobs[p];
    /* server 2 signs with a key that is not its own */
    uint8_t keep[64];
    memcpy(keep, s_sk[1], 64);
    memcpy(s_sk[1], s_sk[0], 64);
    harness_timeout_ms = 500;
    (void)harness_run(s_field(), 3, 1, HARNESS_HUB, s_body, args, rcs);
    memcpy(s_sk[1], keep, 64);
    for (int p = 0; p < 3; p += 2) {
        cr_assert_eq(rcs[p], ERR_CRYPTO, "party %d: %d", p + 1, rcs[p]);
        cr_assert(strstr(jobs[p].err, "server 2") != NULL, "%s", jobs[p].err);
    }
}

/* n = 5, t = 1 with server 4 down: the four others agree on the same union
 * (nobody counts server 4 as a holder) and reconcile among themselves. */
Test(agree, union_with_a_server_down)
{
    job jobs[5];
    void *args[5];
    int rcs[5];
    s_fill(jobs, 5);
    for (int p = 0; p < 5; p++) {
        jobs[p].deliver = 1;
        args[p] = &jobs[p];
    }
    harness_live = 0x17;
    int rc = harness_run(s_field(), 5, 1, HARNESS_HUB, s_body, args, rcs);
    harness_live = 0;
    cr_assert_eq(rc, 0);
    for (int p = 0; p < 5; p++) {
        if (p == 3) continue;
        cr_assert_eq(jobs[p].nout, 11, "party %d accepted %zu", p + 1, jobs[p].nout);
        cr_assert_eq(memcmp(jobs[p].set_hash, jobs[0].set_hash, 32), 0, "one accepted set");
        for (size_t i = 0; i < jobs[p].nout; i++) cr_assert_eq(jobs[p].holders[i] & 0x8u, 0);
    }
}
