/* agree: the servers' agreement on the set of accepted inputs, run on the
 * engine once intake has closed. Each server sends every other server the list
 * of its stored inputs (roll index, sequence, submission id); an input is
 * accepted when every server holds it with the same sequence and submission
 * id. One round, counted by the engine. */
#ifndef MPC_AGREE_H
#define MPC_AGREE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "protocols/mpc.h"

/* Engine message type of the input lists (applications' range, >= 64). */
#define AGREE_MSG_LIST 64
/* Bytes per entry on the wire: roll (4), sequence (8), submission id (16). */
#define AGREE_ENTRY_LEN 28

typedef struct agree_entry {
    uint32_t roll;
    uint64_t seq;
    uint8_t sub_id[16];
} agree_entry;

/* Called when a peer is silent past the engine's timeout: return non-zero to
 * keep waiting (the peer may still be in intake until the deadline). */
typedef int (*agree_wait_fn)(void *arg, int peer);

/* Exchange lists and intersect. mine: this server's nmine entries with distinct
 * roll indices < roll_size (any order). On success out (caller-allocated,
 * nmine entries at most) holds the accepted entries in increasing roll order,
 * *nout their number, and *disagree the number of roll indices some server
 * holds but not all identically. Errors: the transport's (timeout naming the
 * silent server), ERR_PROTO for a malformed list naming its sender (M's error
 * text), ERR_NOMEM. */
int agree_inputs(mpc *M, size_t roll_size, const agree_entry *mine, size_t nmine,
                 agree_entry *out, size_t *nout, size_t *disagree, agree_wait_fn wait,
                 void *arg) MPC_WUR;

#endif
