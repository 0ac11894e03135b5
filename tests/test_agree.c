/* test_agree: the servers' agreement on the accepted inputs, on the in-process
 * hub with n = 3 and n = 5: identical entries are accepted, anything some
 * server lacks or holds differently (sequence, submission id) is not, and a
 * malformed list is refused naming its sender. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/secmem.h"
#include "protocols/agree.h"
#include "tests/harness.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(agree, .init = s_setup, .timeout = 30);

#define R 16

typedef struct job {
    agree_entry mine[R];
    size_t nmine;
    agree_entry out[R];
    size_t nout, disagree;
    int malformed;            /* send a broken list instead of running agree */
    uint64_t rounds;
    char err[256];
} job;

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
    uint64_t r0;
    mpc_stats(M, &r0, NULL, NULL);
    int rc = agree_inputs(M, R, J->mine, J->nmine, J->out, &J->nout, &J->disagree, NULL, NULL);
    uint64_t r1;
    mpc_stats(M, &r1, NULL, NULL);
    J->rounds = r1 - r0;
    snprintf(J->err, sizeof J->err, "%s", mpc_errmsg(M));
    return rc;
}

static agree_entry s_entry(uint32_t roll, uint64_t seq, uint8_t tag)
{
    agree_entry e = { .roll = roll, .seq = seq };
    memset(e.sub_id, tag, sizeof e.sub_id);
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

static void s_check_accepts(int n, int t)
{
    job jobs[5];
    void *args[5];
    int rcs[5];
    s_fill(jobs, n);
    for (int p = 0; p < n; p++) args[p] = &jobs[p];
    cr_assert_eq(harness_run(s_field(), n, t, HARNESS_HUB, s_body, args, rcs), 0);
    static const uint32_t want[] = { 0, 1, 2, 4, 6, 8, 9 };
    for (int p = 0; p < n; p++) {
        job *J = &jobs[p];
        cr_assert_eq(J->nout, sizeof want / sizeof *want, "party %d accepted %zu", p + 1, J->nout);
        for (size_t i = 0; i < J->nout; i++) {
            cr_assert_eq(J->out[i].roll, want[i]);
            cr_assert_eq(J->out[i].seq, want[i] + 1);
        }
        cr_assert_eq(J->disagree, 4, "rolls 3, 5, 7, 12 are disputed (party %d: %zu)", p + 1,
                     J->disagree);
        cr_assert_eq(J->rounds, 1);
    }
}

Test(agree, intersection_n3)
{
    s_check_accepts(3, 1);
}

Test(agree, intersection_n5)
{
    s_check_accepts(5, 2);
}

Test(agree, empty_lists_agree_on_nothing)
{
    job jobs[3];
    void *args[3];
    int rcs[3];
    memset(jobs, 0, sizeof jobs);
    for (int p = 0; p < 3; p++) args[p] = &jobs[p];
    cr_assert_eq(harness_run(s_field(), 3, 1, HARNESS_HUB, s_body, args, rcs), 0);
    for (int p = 0; p < 3; p++) cr_assert_eq(jobs[p].nout + jobs[p].disagree, 0);
}

Test(agree, malformed_list_names_its_sender)
{
    job jobs[3];
    void *args[3];
    int rcs[3];
    s_fill(jobs, 3);
    jobs[1].malformed = 1;
    for (int p = 0; p < 3; p++) args[p] = &jobs[p];
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
