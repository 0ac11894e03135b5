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
 * lists, so all compute the same accepted set: an input is accepted when every
 * server lists it with the same sequence and submission id. A server that
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
/* Bytes per entry on the wire: roll (4), sequence (8), submission id (16). */
#define AGREE_ENTRY_LEN 28

typedef struct agree_entry {
    uint32_t roll;
    uint64_t seq;
    uint8_t sub_id[16];
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
 * indices < roll_size (any order). On success out (caller-allocated, nmine
 * entries at most) holds the accepted entries in increasing roll order, *nout
 * their number, *disagree the number of roll indices some server holds but not
 * all identically (their roll indices, increasing, into disputed unless NULL:
 * roll_size entries of room), and set_hash (32
 * bytes) the hash of the accepted set every
 * server confirmed. Errors: the transport's (timeout naming the silent
 * server), ERR_PROTO (malformed message) or ERR_CRYPTO (bad signature) naming
 * the sender, ERR_CHEAT (an equivocation or a different accepted set) naming
 * the server, ERR_ARG for a bad own list; nothing is computed after an error. */
int agree_inputs(mpc *M, const agree_keys *K, size_t roll_size, const agree_entry *mine,
                 size_t nmine, agree_entry *out, size_t *nout, size_t *disagree,
                 uint32_t *disputed, uint8_t set_hash[32], agree_wait_fn wait,
                 void *arg) MPC_WUR;

#endif
