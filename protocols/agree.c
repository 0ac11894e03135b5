/* agree: intersection of the servers' input lists (see agree.h). */
#include "protocols/agree.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/bytes.h"
#include "common/xalloc.h"

enum { S_HELD_BY_ALL = 1, S_HELD_BY_ANY = 2 };

static void s_encode(uint8_t *buf, const agree_entry *mine, size_t nmine)
{
    be_put32(buf, (uint32_t)nmine);
    for (size_t e = 0; e < nmine; e++) {
        uint8_t *p = buf + 4 + e * AGREE_ENTRY_LEN;
        be_put32(p, mine[e].roll);
        be_put64(p + 4, mine[e].seq);
        memcpy(p + 12, mine[e].sub_id, 16);
    }
}

/* Fold peer j's list into have[]: an index stays "held by all" only when the
 * peer lists it with the same sequence and submission id. */
static int s_fold(mpc *M, int j, const uint8_t *pl, size_t pl_len, size_t R,
                  const agree_entry *byroll, uint8_t *have, uint8_t *seen)
{
    uint32_t cnt = pl_len >= 4 ? be_get32(pl) : UINT32_MAX;
    if (cnt > R || pl_len != 4 + (size_t)cnt * AGREE_ENTRY_LEN)
        return mpc_fail(M, ERR_PROTO, "server %d sent a malformed input list", j);
    memset(seen, 0, R ? R : 1);
    for (uint32_t e = 0; e < cnt; e++) {
        const uint8_t *p = pl + 4 + (size_t)e * AGREE_ENTRY_LEN;
        uint32_t roll = be_get32(p);
        if (roll >= R || seen[roll])
            return mpc_fail(M, ERR_PROTO, "server %d sent a malformed input list", j);
        seen[roll] = 1;
        have[roll] |= S_HELD_BY_ANY;
        if (byroll[roll].seq != be_get64(p + 4) ||
            sodium_memcmp(byroll[roll].sub_id, p + 12, 16) != 0)
            have[roll] &= (uint8_t)~S_HELD_BY_ALL;
    }
    for (size_t i = 0; i < R; i++)
        if (!seen[i]) have[i] &= (uint8_t)~S_HELD_BY_ALL;
    return 0;
}

static int s_recv_list(mpc *M, int j, uint64_t step, uint8_t **pl, size_t *pl_len,
                       agree_wait_fn wait, void *arg)
{
    for (;;) {
        int rc = mpc_recv_raw(M, j, AGREE_MSG_LIST, step, pl, pl_len);
        if (rc == ERR_TIMEOUT && wait && wait(arg, j)) continue;
        return rc;
    }
}

int agree_inputs(mpc *M, size_t roll_size, const agree_entry *mine, size_t nmine,
                 agree_entry *out, size_t *nout, size_t *disagree, agree_wait_fn wait,
                 void *arg)
{
    size_t R = roll_size;
    if (nmine > R) return mpc_fail(M, ERR_ARG, "agree: more entries than roll members");
    agree_entry *byroll = xcalloc(R ? R : 1, sizeof *byroll);
    uint8_t *have = xcalloc(R ? R : 1, 1), *seen = xcalloc(R ? R : 1, 1);
    uint8_t *buf = xmalloc(4 + nmine * AGREE_ENTRY_LEN);
    int rc = 0;
    for (size_t e = 0; e < nmine && rc == 0; e++) {
        if (mine[e].roll >= R || have[mine[e].roll])
            rc = mpc_fail(M, ERR_ARG, "agree: duplicate or out-of-range roll index");
        else {
            byroll[mine[e].roll] = mine[e];
            have[mine[e].roll] = S_HELD_BY_ALL | S_HELD_BY_ANY;
        }
    }
    s_encode(buf, mine, nmine);
    uint64_t step = mpc_step(M);
    int n = mpc_n(M), me = mpc_me(M);
    for (int j = 1; j <= n && rc == 0; j++)
        if (j != me) rc = mpc_send_raw(M, j, AGREE_MSG_LIST, step, buf, 4 + nmine * AGREE_ENTRY_LEN, 0);
    for (int j = 1; j <= n && rc == 0; j++) {
        if (j == me) continue;
        uint8_t *pl = NULL;
        size_t pl_len = 0;
        rc = s_recv_list(M, j, step, &pl, &pl_len, wait, arg);
        if (rc == 0) rc = s_fold(M, j, pl, pl_len, R, byroll, have, seen);
        free(pl);
    }
    size_t na = 0, nd = 0;
    for (size_t i = 0; rc == 0 && i < R; i++) {
        if (have[i] & S_HELD_BY_ALL) out[na++] = byroll[i];
        else if (have[i] & S_HELD_BY_ANY) nd++;
    }
    free(byroll);
    free(have);
    free(seen);
    free(buf);
    if (rc != 0) return rc;
    *nout = na;
    *disagree = nd;
    return 0;
}
