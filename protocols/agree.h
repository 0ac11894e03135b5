/* agree: the servers' agreement on the set of accepted inputs, run on the
 * engine once intake has closed, as a consistent broadcast of signed lists
 * (Bracha-style echo, reduced to what security with abort needs):
 *   round 1  every server sends every other its list of stored inputs (roll
 *            index, sequence, submission id), signed (Ed25519) over the hash of
 *            the list, the session id and its index;
 *   round 2  every server forwards to every other the (hash, signature) pairs
 *            it received from the third servers: two validly signed, different
 *            lists from one server prove it equivocated, and it is named;
 *   round 3  every server sends the hash of the accepted set it computed; all
 *            must be equal before any computation starts.
 * After round 2 every honest server that has not aborted holds the same n
 * lists, so all compute the same accepted set: per roll index, the envelope
 * with the highest sequence that ANY server lists (ties: the smaller hash).
 * Envelopes are signed by their voters, so no server can add one; and one
 * honest holder is enough for a ballot to count (agree_deliver then gives it
 * to the servers that miss it). A server that
 * sends a malformed or badly signed message is named; an honest server is never
 * named (a forwarded copy can only be blamed on the signer when its signature
 * verifies). */
#ifndef MPC_AGREE_H
#define MPC_AGREE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "protocols/mpc.h"

/* Engine message types of the three rounds (applications' range, >= 64). */
#define AGREE_MSG_LIST 64
#define AGREE_MSG_ECHO 65
#define AGREE_MSG_SET  66
#define AGREE_MSG_DELIVER 67
/* Bytes per entry on the wire: roll (4), sequence (8), envelope hash (32). */
#define AGREE_ENTRY_LEN 44

typedef struct agree_entry {
    uint32_t roll;
    uint64_t seq;
    uint8_t hash[32];
} agree_entry;

/* Who signs: the session id, this server's Ed25519 secret key (secret) and the
 * n servers' public keys (index i at sign_pk[i-1]). */
typedef struct agree_keys {
    const uint8_t *sid;              /* 32 bytes */
    const uint8_t *sign_sk;          /* 64 bytes */
    const uint8_t (*sign_pk)[32];
} agree_keys;

/* Called when a peer is silent past the engine's timeout in round 1: return
 * non-zero to keep waiting (the peer may still be in intake until the deadline). */
typedef int (*agree_wait_fn)(void *arg, int peer);

/* Run the three rounds. mine: this server's nmine entries with distinct roll
 * indices < roll_size (any order). On success out (caller-allocated,
 * roll_size entries) holds the accepted set in increasing roll order, *nout
 * its size, holders[i] (unless NULL) the servers that listed exactly out[i]
 * (bit j-1 for server j), and set_hash (32 bytes) the hash of the accepted set
 * every server confirmed. Errors: the transport's (timeout naming the silent
 * server), ERR_PROTO (malformed message) or ERR_CRYPTO (bad signature) naming
 * the sender, ERR_CHEAT (an equivocation or a different accepted set) naming
 * the server, ERR_ARG for a bad own list; nothing is computed after an error. */
int agree_inputs(mpc *M, const agree_keys *K, size_t roll_size, const agree_entry *mine,
                 size_t nmine, agree_entry *out, uint16_t *holders, size_t *nout,
                 uint8_t set_hash[32], agree_wait_fn wait, void *arg) MPC_WUR;

/* Where agree_deliver reads and writes envelopes. get: the bytes of an entry
 * this server listed (valid until the next call). put: a copy of entry e sent
 * by server `from`; return 0 only if it is that envelope (hash, signature of
 * the roll member, session) and it is now held. */
typedef struct agree_io {
    const uint8_t *(*get)(void *arg, const agree_entry *e, size_t *len);
    int (*put)(void *arg, int from, const agree_entry *e, const uint8_t *env, size_t len);
    void *arg;
} agree_io;

/* Round 4, reconciliation: every holder of an accepted envelope sends it to
 * each server that did not list it, so every server ends with the whole set.
 * A holder that withholds one, or sends a copy that put refuses, is named
 * (ERR_CHEAT): an honest server lists only envelopes it checked and stored. */
int agree_deliver(mpc *M, const agree_entry *acc, const uint16_t *holders, size_t na,
                  const agree_io *io) MPC_WUR;

#endif
