/* keysetup: the PRSS group keys and the pairwise keys of one session, each
 * derived from a contribution of every server that holds it, with key
 * confirmation (docs/protocols.md, "Key setup").
 *
 * A key slot is a PRSS group T (|T| = t; its members, the n-t servers outside T,
 * hold k_T) or a pair {a, b} of servers (its two members hold the pairwise key).
 * Every member i of a slot draws a 32-byte contribution c_i (randombytes_buf).
 * Three rounds, one message per peer per round, all of type MPC_MSG_KEYS over the
 * authenticated, encrypted transport, in the fixed order of the shared slots:
 *
 *   R1 commit   i -> j: for every slot holding i and j, h_i = H(commit, i, c_i).
 *   R2 reveal   i -> j: for every such slot, c_i, then the commitments i received
 *                       from the slot's other members (not j), in index order (an
 *                       echo: 32 zero bytes for one i did not receive).
 *   R3 confirm  i -> j: accuse mask (2 bytes: servers i caught with a bad message),
 *                       missing mask (2 bytes: servers i has no message from), then
 *                       for every such slot H(confirm, k) of i's derived key.
 *
 * k = BLAKE2b-256(tag, context, n, t, slot, the members' contributions in index
 * order); H is BLAKE2b-256 with its own domain tag over the same context and slot.
 * The context is the session id when the caller has one, else 32 zero bytes (the
 * transport already rejects frames of another session, and the keys are fresh per
 * run). A member that sends last (rushing) is bound by its commitment: it can
 * neither choose a key nor make two keys equal; equivocation (different
 * contributions to different members, n - t >= 3) shows as an echo that differs
 * from the receiver's own copy.
 *
 * Every server sends all its messages whatever it detected (so an honest server
 * never looks silent) and decides after R3. Blame: each check failure is evidence
 * that one server (a reveal not matching its commitment, a malformed message, a
 * confirmation that cannot differ unless its sender deviated) or one of two
 * servers (an echo differing from my copy, an accusation) deviated; a server is
 * named only when it lies in every set of at most t servers, not containing me,
 * that explains all evidence. Otherwise the message names the two servers in
 * dispute, as "one of them". No signatures: a deviation seen by one honest server
 * alone can be attributed by that server only.
 *
 * Message bytes to one peer sharing s = C(n-2, t) + 1 slots with me: R1 32 s,
 * R2 32 (C(n-2, t)(n-t-1) + 1), R3 4 + 32 s (n = 3, t = 1: 64, 64, 68). */
#ifndef MPC_KEYSETUP_H
#define MPC_KEYSETUP_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/limits.h"
#include "common/net.h"
#include "protocols/prss.h"

/* Rounds (and steps) one key setup takes. */
#define KEYSETUP_ROUNDS 3

/* Run the key setup for this server (net_me(nw) of net_n(nw)) on the open
 * transport nw, using the steps *step .. *step + 2 (then *step += 3; *rounds += 3,
 * whatever the outcome once a message may have been sent: unchanged only on
 * ERR_ARG and ERR_NOMEM before that). ps is prss_new(F, net_n(nw),
 * t, net_me(nw)) without keys; pairkey has net_n(nw) * 32 bytes (secret), the key
 * shared with server j at [(j-1)*32], own slot untouched. sid: the session id
 * (MPC_SID_LEN bytes) all servers share, or NULL (32 zero bytes).
 *
 * 0: every key installed (prss_ready(ps)). On failure no key is installed and err
 * (errlen bytes, may be NULL/0) holds the reason, naming the server at fault:
 * ERR_CHEAT for a failed check (see above); ERR_TIMEOUT when a server stayed
 * silent; ERR_PROTO when a server abandoned the setup or reports that a message
 * did not reach it; the transport's error for any other send or receive failure
 * (the setup then stops at once, after telling the peers with empty messages);
 * ERR_ARG for inconsistent arguments, ERR_NOMEM. Nothing secret is in err.
 * A peer counts as silent in round r after 1 + (r-1) t transport timeouts (an
 * honest peer may be late by the timeouts it spent on silent peers before).
 * A deviation in R3 reaches only its receiver: that server fails, the others
 * may succeed (selective abort; their first round then times out on it). */
int keysetup_run(net *nw, prss *ps, uint8_t *pairkey, const uint8_t *sid, uint64_t *step,
                 uint64_t *rounds, char *err, size_t errlen) MPC_WUR;

/* ---- test only: a deviating server ----------------------------------------
 * The hook exists only in the test build of the library (-DMPC_TEST_ADVERSARY,
 * the Makefile's adv/ build that only the test binary links); the type is
 * declared everywhere, the setter only there. */

enum {
    KEYSETUP_CHEAT_NONE = 0,
    KEYSETUP_CHEAT_REVEAL,     /* reveals c ^ 1 (not matching its commitment) */
    KEYSETUP_CHEAT_EQUIVOCATE, /* a different contribution (and commitment) to each
                                * co-member (or to `victim` only) of a slot with
                                * >= 3 members */
    KEYSETUP_CHEAT_CONFIRM,    /* sends a wrong key confirmation */
    KEYSETUP_CHEAT_ACCUSE,     /* accuses `victim` (an honest server) in R3 */
    KEYSETUP_CHEAT_SILENT,     /* sends nothing in round `round` */
    KEYSETUP_CHEAT_SHORT,      /* sends round `round`'s message one byte short */
    KEYSETUP_CHEAT_CHOSEN,     /* uses `chosen` as every contribution, else honest */
};

/* What the observer sees: own contributions when drawn, derived keys when
 * installed (secret: tests only). */
enum { KEYSETUP_OBS_CONTRIB = 1, KEYSETUP_OBS_KEY = 2 };
/* kind: 0 for a PRSS group (slot = T), 1 for a pair (slot = the two members'
 * mask). Called from every server's thread. */
typedef void (*keysetup_observer)(void *arg, int me, int what, int kind, unsigned slot,
                                  const uint8_t v[32]);

typedef struct keysetup_adv {
    int cheater;           /* 1..n: the deviating server; 0: nobody */
    int mode;              /* KEYSETUP_CHEAT_* */
    int victim;            /* REVEAL, EQUIVOCATE, CONFIRM, SILENT, SHORT: only
                            * towards this server (0: towards all); ACCUSE: the
                            * accused */
    int round;             /* SILENT, SHORT: 1..3 */
    uint8_t chosen[32];    /* CHOSEN */
    keysetup_observer observe;   /* may be NULL */
    void *arg;
} keysetup_adv;

#ifdef MPC_TEST_ADVERSARY
/* Install (a copy of) h for every later keysetup_run in this process, or clear it
 * (NULL). Not thread-safe: call it while no setup runs. */
void mpc_adv_keysetup(const keysetup_adv *h);
#endif

#endif
