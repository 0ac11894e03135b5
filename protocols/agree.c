/* agree: consistent broadcast of signed input lists (see agree.h). */
#include "protocols/agree.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/bytes.h"
#include "common/limits.h"
#include "common/xalloc.h"

#define S_SIG 64
#define S_ECHO_ITEM (1 + 32 + S_SIG)    /* server index, list hash, its signature */

typedef struct s_agree {
    mpc *M;
    const agree_keys *K;
    size_t R;
    int n, me;
    unsigned live;                      /* mpc_live: the servers taking part */
    uint8_t *lists[MPC_MAX_SERVERS];    /* signed list payloads, as received (own too) */
    size_t lens[MPC_MAX_SERVERS];
    uint8_t hash[MPC_MAX_SERVERS][32];  /* hash of each server's list */
    uint8_t sig[MPC_MAX_SERVERS][S_SIG];
    agree_wait_fn wait;
    void *arg;
    int sent;                           /* rounds whose step is taken */
} s_agree;

/* A server taking part other than me; s_in: taking part (me included). */
static int s_peer(const s_agree *A, int j)
{
    return j != A->me && (A->live >> (j - 1) & 1u);
}

static int s_in(const s_agree *A, int j)
{
    return A->live >> (j - 1) & 1u;
}

/* Receive peer j's message of a round, waiting on past timeouts while the
 * caller says so: a server still in intake until the deadline makes every
 * round late for everyone, not only the first, and no honest server may then
 * take another for silent. */
static int s_recv(s_agree *A, int j, uint8_t type, uint64_t step, uint8_t **pl, size_t *len)
{
    for (;;) {
        int rc = mpc_recv_raw(A->M, j, type, step, pl, len);
        if (rc == ERR_TIMEOUT && A->wait && A->wait(A->arg, j)) continue;
        return rc;
    }
}

/* A server that aborts still sends an empty message in the rounds left, so
 * the others learn it aborted instead of taking it for silent. */
static void s_abandon(s_agree *A)
{
    static const uint8_t type[] = { AGREE_MSG_LIST, AGREE_MSG_ECHO, AGREE_MSG_SET };
    uint8_t none = 0;
    for (int r = A->sent; r < 3; r++) {
        uint64_t step = mpc_step(A->M);
        for (int j = 1; j <= A->n; j++)
            if (s_peer(A, j) && mpc_send_raw(A->M, j, type[r], step, &none, 0, 0) != 0)
                continue;   /* that peer will time out on us: nothing better to do */
    }
}

/* What a server signs: domain, session, its index and the hash of its list. */
static void s_signed_msg(uint8_t out[1 + 16 + 32 + 32], const uint8_t *sid, int server,
                         const uint8_t h[32])
{
    memcpy(out, "mpc-agree-list-1", 16);
    memcpy(out + 16, sid, 32);
    out[48] = (uint8_t)server;
    memcpy(out + 49, h, 32);
}

static int s_sig_ok(const s_agree *A, int server, const uint8_t h[32], const uint8_t *sig)
{
    uint8_t msg[81];
    s_signed_msg(msg, A->K->sid, server, h);
    return crypto_sign_verify_detached(sig, msg, sizeof msg, A->K->sign_pk[server - 1]) == 0;
}

static void s_encode(s_agree *A, const agree_entry *mine, size_t nmine)
{
    size_t body = 4 + nmine * AGREE_ENTRY_LEN;
    uint8_t *buf = xmalloc(body + S_SIG);
    be_put32(buf, (uint32_t)nmine);
    for (size_t e = 0; e < nmine; e++) {
        uint8_t *p = buf + 4 + e * AGREE_ENTRY_LEN;
        be_put32(p, mine[e].roll);
        be_put64(p + 4, mine[e].seq);
        memcpy(p + 12, mine[e].hash, 32);
    }
    int me = A->me;
    crypto_generichash(A->hash[me - 1], 32, buf, body, NULL, 0);
    uint8_t msg[81];
    s_signed_msg(msg, A->K->sid, me, A->hash[me - 1]);
    crypto_sign_detached(buf + body, NULL, msg, sizeof msg, A->K->sign_sk);
    memcpy(A->sig[me - 1], buf + body, S_SIG);
    A->lists[me - 1] = buf;
    A->lens[me - 1] = body + S_SIG;
}

/* Check peer j's signed list: well formed, signed by j; keep its hash. */
static int s_take_list(s_agree *A, int j, uint8_t *pl, size_t len)
{
    A->lists[j - 1] = pl;
    A->lens[j - 1] = len;
    uint32_t cnt = len >= 4 ? be_get32(pl) : UINT32_MAX;
    if (cnt > A->R || len != 4 + (size_t)cnt * AGREE_ENTRY_LEN + S_SIG)
        return mpc_fail(A->M, ERR_PROTO, "server %d sent a malformed input list", j);
    crypto_generichash(A->hash[j - 1], 32, pl, len - S_SIG, NULL, 0);
    memcpy(A->sig[j - 1], pl + len - S_SIG, S_SIG);
    if (!s_sig_ok(A, j, A->hash[j - 1], A->sig[j - 1]))
        return mpc_fail(A->M, ERR_CRYPTO, "server %d's input list has no valid signature", j);
    return 0;
}

static int s_round_lists(s_agree *A)
{
    uint64_t step = mpc_step(A->M);
    A->sent = 1;   /* this round's step is taken: an abort continues after it */
    int rc = 0;
    for (int j = 1; j <= A->n && rc == 0; j++)
        if (s_peer(A, j))
            rc = mpc_send_raw(A->M, j, AGREE_MSG_LIST, step, A->lists[A->me - 1],
                              A->lens[A->me - 1], 0);
    for (int j = 1; j <= A->n && rc == 0; j++) {
        if (!s_peer(A, j)) continue;
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = s_recv(A, j, AGREE_MSG_LIST, step, &pl, &len);
        if (rc == 0 && len == 0) {
            free(pl);
            rc = mpc_fail(A->M, ERR_CHEAT, "server %d aborted the agreement (see its log)", j);
        } else if (rc == 0) {
            rc = s_take_list(A, j, pl, len);
        }
    }
    return rc;
}

/* Check peer k's echo: every third server exactly once, each signed by it. */
static int s_check_echo(s_agree *A, int k, const uint8_t *pl, size_t len)
{
    size_t want = (size_t)(__builtin_popcount(A->live) - 2) * S_ECHO_ITEM;
    if (len == 0 && want)
        return mpc_fail(A->M, ERR_CHEAT, "server %d aborted the agreement (see its log)", k);
    if (len != want) return mpc_fail(A->M, ERR_PROTO, "server %d sent a malformed echo", k);
    unsigned seen = 0;
    for (size_t off = 0; off < len; off += S_ECHO_ITEM) {
        int j = pl[off];
        const uint8_t *h = pl + off + 1, *sig = pl + off + 33;
        if (j < 1 || j > A->n || j == k || !s_peer(A, j) || (seen & (1u << j)) ||
            !s_sig_ok(A, j, h, sig))
            return mpc_fail(A->M, ERR_PROTO, "server %d forwarded a list it did not receive", k);
        seen |= 1u << j;
        if (sodium_memcmp(h, A->hash[j - 1], 32) != 0)
            return mpc_fail(A->M, ERR_CHEAT, "server %d sent different input lists to different "
                                             "servers (both signed by it)", j);
    }
    return 0;
}

/* Round 2: forward to each peer the (hash, signature) of every third server's
 * list, and compare what the others forward with what came directly. */
static int s_round_echo(s_agree *A)
{
    uint64_t step = mpc_step(A->M);
    A->sent = 2;
    uint8_t buf[MPC_MAX_SERVERS * S_ECHO_ITEM];
    int rc = 0;
    for (int k = 1; k <= A->n && rc == 0; k++) {
        if (!s_peer(A, k)) continue;
        size_t len = 0;
        for (int j = 1; j <= A->n; j++) {
            if (!s_peer(A, j) || j == k) continue;
            buf[len] = (uint8_t)j;
            memcpy(buf + len + 1, A->hash[j - 1], 32);
            memcpy(buf + len + 33, A->sig[j - 1], S_SIG);
            len += S_ECHO_ITEM;
        }
        rc = mpc_send_raw(A->M, k, AGREE_MSG_ECHO, step, buf, len, 0);
    }
    for (int k = 1; k <= A->n && rc == 0; k++) {
        if (!s_peer(A, k)) continue;
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = s_recv(A, k, AGREE_MSG_ECHO, step, &pl, &len);
        if (rc == 0) rc = s_check_echo(A, k, pl, len);
        free(pl);
    }
    return rc;
}

/* Does entry p (wire form) win over the entry kept for its roll? Higher
 * sequence first, then the smaller hash, so every server picks the same. */
static int s_wins(const agree_entry *b, int have, const uint8_t *p)
{
    uint64_t seq = be_get64(p + 4);
    if (!have || seq > b->seq) return 1;
    return seq == b->seq && memcmp(p + 12, b->hash, 32) < 0;
}

/* Fold every list into the accepted set: per roll, the winning entry, and
 * who listed exactly it. */
static void s_union(s_agree *A, agree_entry *out, uint16_t *holders, size_t *nout)
{
    size_t R = A->R;
    agree_entry *byroll = xcalloc(R ? R : 1, sizeof *byroll);
    uint16_t *who = xcalloc(R ? R : 1, sizeof *who);
    uint8_t *have = xcalloc(R ? R : 1, 1);
    for (int pass = 0; pass < 2; pass++)   /* 0: pick the winners; 1: their holders */
        for (int j = 1; j <= A->n; j++) {
            const uint8_t *pl = A->lists[j - 1];
            if (!s_in(A, j)) continue;
            for (uint32_t e = 0; e < be_get32(pl); e++) {
                const uint8_t *p = pl + 4 + (size_t)e * AGREE_ENTRY_LEN;
                uint32_t roll = be_get32(p);
                agree_entry *b = &byroll[roll];
                if (pass == 0 && s_wins(b, have[roll], p)) {
                    b->roll = roll;
                    b->seq = be_get64(p + 4);
                    memcpy(b->hash, p + 12, 32);
                    have[roll] = 1;
                } else if (pass == 1 && b->seq == be_get64(p + 4) && !memcmp(b->hash, p + 12, 32)) {
                    who[roll] |= (uint16_t)(1u << (j - 1));
                }
            }
        }
    size_t na = 0;
    for (size_t i = 0; i < R; i++) {
        if (!have[i]) continue;
        if (holders) holders[na] = who[i];
        out[na++] = byroll[i];
    }
    *nout = na;
    free(byroll);
    free(who);
    free(have);
}

/* Every list (own and received) holds distinct roll indices below R: checked
 * before anything is sent for the own one, after round 1 for the others. */
static int s_list_valid(const s_agree *A, const uint8_t *pl, uint8_t *seen)
{
    memset(seen, 0, A->R ? A->R : 1);
    for (uint32_t e = 0; e < be_get32(pl); e++) {
        uint32_t roll = be_get32(pl + 4 + (size_t)e * AGREE_ENTRY_LEN);
        if (roll >= A->R || seen[roll]) return 0;
        seen[roll] = 1;
    }
    return 1;
}

static int s_lists_valid(s_agree *A, int own)
{
    uint8_t *seen = xcalloc(A->R ? A->R : 1, 1);
    int rc = 0;
    for (int j = 1; j <= A->n && rc == 0; j++) {
        if (!s_in(A, j) || (j == A->me) != own || s_list_valid(A, A->lists[j - 1], seen)) continue;
        rc = own ? mpc_fail(A->M, ERR_ARG, "agree: duplicate or out-of-range roll index")
                 : mpc_fail(A->M, ERR_PROTO, "server %d sent a malformed input list", j);
    }
    free(seen);
    return rc;
}

static void s_set_hash(const s_agree *A, uint8_t out[32], const agree_entry *acc, size_t na)
{
    crypto_generichash_state st;
    uint8_t e[AGREE_ENTRY_LEN];
    crypto_generichash_init(&st, (const uint8_t *)"mpc-agree-set-2", 15, 32);
    crypto_generichash_update(&st, A->K->sid, 32);
    for (size_t i = 0; i < na; i++) {
        be_put32(e, acc[i].roll);
        be_put64(e + 4, acc[i].seq);
        memcpy(e + 12, acc[i].hash, 32);
        crypto_generichash_update(&st, e, sizeof e);
    }
    crypto_generichash_final(&st, out, 32);
}

/* Round 3: everyone confirms the same accepted set. */
static int s_round_confirm(s_agree *A, const uint8_t h[32])
{
    uint64_t step = mpc_step(A->M);
    A->sent = 3;
    int rc = 0;
    for (int j = 1; j <= A->n && rc == 0; j++)
        if (s_peer(A, j)) rc = mpc_send_raw(A->M, j, AGREE_MSG_SET, step, h, 32, 0);
    for (int j = 1; j <= A->n && rc == 0; j++) {
        if (!s_peer(A, j)) continue;
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = s_recv(A, j, AGREE_MSG_SET, step, &pl, &len);
        if (rc == 0 && len == 0)
            rc = mpc_fail(A->M, ERR_CHEAT, "server %d aborted the agreement (see its log)", j);
        else if (rc == 0 && (len != 32 || sodium_memcmp(pl, h, 32) != 0))
            rc = mpc_fail(A->M, ERR_CHEAT, "server %d confirmed a different accepted input set", j);
        free(pl);
    }
    return rc;
}

int agree_inputs(mpc *M, const agree_keys *K, size_t roll_size, const agree_entry *mine,
                 size_t nmine, agree_entry *out, uint16_t *holders, size_t *nout,
                 uint8_t set_hash[32], agree_wait_fn wait, void *arg)
{
    if (nmine > roll_size) return mpc_fail(M, ERR_ARG, "agree: more entries than roll members");
    s_agree A = { .M = M, .K = K, .R = roll_size, .n = mpc_n(M), .me = mpc_me(M),
                  .live = mpc_live(M), .wait = wait, .arg = arg };
    s_encode(&A, mine, nmine);
    int rc = s_lists_valid(&A, 1);
    if (rc == 0) rc = s_round_lists(&A);
    if (rc == 0) rc = s_lists_valid(&A, 0);
    if (rc == 0) rc = s_round_echo(&A);
    if (rc == 0) {
        s_union(&A, out, holders, nout);
        s_set_hash(&A, set_hash, out, *nout);
        rc = s_round_confirm(&A, set_hash);
    }
    if (rc != 0) s_abandon(&A);
    for (int j = 0; j < A.n; j++) free(A.lists[j]);
    return rc;
}

/* The message to peer j: every accepted envelope this server listed and j
 * did not, as (index into acc u32, length u32, bytes). */
static int s_deliver_msg(mpc *M, const agree_entry *acc, const uint16_t *holders, size_t na,
                         const agree_io *io, int j, uint8_t **out, size_t *out_len)
{
    uint16_t me = (uint16_t)(1u << (mpc_me(M) - 1)), them = (uint16_t)(1u << (j - 1));
    size_t cap = 4, len = 4;
    for (size_t i = 0; i < na; i++)
        if ((holders[i] & me) && !(holders[i] & them)) {
            size_t el;
            if (!io->get(io->arg, &acc[i], &el))
                return mpc_fail(M, ERR_STATE, "agree: an envelope this server listed is gone");
            cap += 8 + el;
        }
    uint8_t *buf = xmalloc(cap);
    uint32_t cnt = 0;
    for (size_t i = 0; i < na; i++) {
        if (!(holders[i] & me) || (holders[i] & them)) continue;
        size_t el;
        const uint8_t *env = io->get(io->arg, &acc[i], &el);
        be_put32(buf + len, (uint32_t)i);
        be_put32(buf + len + 4, (uint32_t)el);
        memcpy(buf + len + 8, env, el);
        len += 8 + el;
        cnt++;
    }
    be_put32(buf, cnt);
    *out = buf;
    *out_len = len;
    return 0;
}

/* Check server j's delivery: exactly the entries it holds and this server
 * lacks, in increasing index, each accepted by io->put. */
static int s_take_delivery(mpc *M, const agree_entry *acc, const uint16_t *holders, size_t na,
                           const agree_io *io, int j, const uint8_t *pl, size_t len)
{
    uint16_t me = (uint16_t)(1u << (mpc_me(M) - 1)), them = (uint16_t)(1u << (j - 1));
    size_t off = 4, next = 0;
    uint32_t cnt = len >= 4 ? be_get32(pl) : 0;
    if (len < 4) return mpc_fail(M, ERR_PROTO, "server %d sent a malformed delivery", j);
    for (uint32_t c = 0; c <= cnt; c++) {
        size_t idx = na;   /* past the last item: check nothing owed is left */
        if (c < cnt) {
            if (len - off < 8) return mpc_fail(M, ERR_PROTO, "server %d sent a malformed delivery", j);
            idx = be_get32(pl + off);
            if (idx >= na || idx < next || be_get32(pl + off + 4) > len - off - 8)
                return mpc_fail(M, ERR_PROTO, "server %d sent a malformed delivery", j);
        }
        for (; next < idx; next++)
            if ((holders[next] & them) && !(holders[next] & me))
                return mpc_fail(M, ERR_CHEAT, "server %d listed the envelope of roll index %u but "
                                              "did not deliver it", j, acc[next].roll);
        if (c == cnt) break;
        size_t el = be_get32(pl + off + 4);
        if (!(holders[idx] & them) || (holders[idx] & me))
            return mpc_fail(M, ERR_PROTO, "server %d delivered an envelope nobody asked for", j);
        if (io->put(io->arg, j, &acc[idx], pl + off + 8, el) != 0)
            return mpc_fail(M, ERR_CHEAT, "server %d delivered a forged envelope for roll index %u "
                                          "(not the one it listed, or not signed by the voter)",
                            j, acc[idx].roll);
        off += 8 + el;
        next = idx + 1;
    }
    if (off != len) return mpc_fail(M, ERR_PROTO, "server %d sent a malformed delivery", j);
    return 0;
}

int agree_deliver(mpc *M, const agree_entry *acc, const uint16_t *holders, size_t na,
                  const agree_io *io)
{
    int n = mpc_n(M), me = mpc_me(M), rc = 0;
    unsigned live = mpc_live(M);
    uint64_t step = mpc_step(M);
    for (int j = 1; j <= n && rc == 0; j++) {
        if (j == me || !(live >> (j - 1) & 1u)) continue;
        uint8_t *buf = NULL;
        size_t len = 0;
        rc = s_deliver_msg(M, acc, holders, na, io, j, &buf, &len);
        if (rc == 0) rc = mpc_send_raw(M, j, AGREE_MSG_DELIVER, step, buf, len, 0);
        free(buf);
    }
    for (int j = 1; j <= n && rc == 0; j++) {
        if (j == me || !(live >> (j - 1) & 1u)) continue;
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = mpc_recv_raw(M, j, AGREE_MSG_DELIVER, step, &pl, &len);
        if (rc == 0) rc = s_take_delivery(M, acc, holders, na, io, j, pl, len);
        free(pl);
    }
    return rc;
}
