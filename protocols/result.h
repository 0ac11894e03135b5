/* result: signed statements of a session (Ed25519, crypto_sign_detached): the
 * receipt a server gives a client for a stored input, the result statement each
 * server signs at the end, and the rule that accepts an outcome only when t+1
 * distinct servers signed the same one (docs/design.md section 9).
 *
 * Encodings are fixed binary layouts, integers big-endian, the signature last and
 * computed over every byte before it (which starts with a magic that separates
 * receipts from statements):
 *   receipt, RESULT_RECEIPT_LEN + 32 * npath bytes: "MPRC" | version 2 |
 *     server u8 | sid (32) | roll index u32 | sequence u64 | envelope hash (32) |
 *     index u32 | count u32 | npath u8 | path (npath x 32) | sig (64)
 *   A server signs one batch of receipts at once (one group commit): sig is
 *   over "MPRB" | 1 | server u8 | sid (32) | count u32 | root (32), the root of
 *   a binary hash tree over the batch's leaves BLAKE2b-256(0 | roll u32 |
 *   seq u64 | envelope hash), nodes BLAKE2b-256(1 | left | right), an odd last
 *   node moving up alone; the path (siblings, bottom-up) leads from the leaf at
 *   index to the root. A receipt alone in its batch has count 1, no path.
 *   statement: "MPRS" | version 1 | server u8 | sid (32) | accepted u64 |
 *     excluded u64 | inputs hash (32) | output length u32 | output | sig (64)
 * Decoders take any bytes (fuzzable) and check exact lengths and bounds; they do
 * not check signatures (the *_verify functions do). Nothing here is secret except
 * the signing keys passed to *_sign. */
#ifndef MPC_RESULT_H
#define MPC_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/limits.h"

#define RESULT_HASH_LEN     32
#define RESULT_SUBID_LEN    16
#define RESULT_SIG_LEN      64      /* crypto_sign_BYTES */
#define RESULT_PK_LEN       32      /* crypto_sign_PUBLICKEYBYTES */
#define RESULT_SK_LEN       64      /* crypto_sign_SECRETKEYBYTES */
#define RESULT_MAX_OUTPUT   (1u << 16)
#define RESULT_MAX_PATH     32
#define RESULT_RECEIPT_LEN  (4 + 1 + 1 + MPC_SID_LEN + 4 + 8 + 32 + 4 + 4 + 1 + 64)
#define RESULT_RECEIPT_MAX  (RESULT_RECEIPT_LEN + RESULT_MAX_PATH * 32)
#define RESULT_STMT_FIXED   (4 + 1 + 1 + MPC_SID_LEN + 8 + 8 + 32 + 4 + 64)

/* Server's acknowledgement of one durably stored envelope. */
typedef struct result_receipt {
    int server;                              /* 1..MPC_MAX_SERVERS */
    uint8_t sid[MPC_SID_LEN];
    uint32_t roll;                           /* roll index */
    uint64_t seq;                            /* client sequence number */
    uint8_t env_hash[RESULT_HASH_LEN];       /* envelope_hash of the envelope */
    uint32_t index, count;                   /* position in its batch, batch size */
    int npath;
    uint8_t path[RESULT_MAX_PATH][RESULT_HASH_LEN];
    uint8_t sig[RESULT_SIG_LEN];             /* over the batch's root */
} result_receipt;

/* Sign r alone (a batch of one: index 0, count 1, no path) with the server's
 * Ed25519 secret key (secret). */
void result_receipt_sign(result_receipt *r, const uint8_t sign_sk[RESULT_SK_LEN]);
/* 0 if r's path leads to a root signed by sign_pk for r's server, session and
 * count, else ERR_CRYPTO. */
int result_receipt_verify(const result_receipt *r, const uint8_t sign_pk[RESULT_PK_LEN]) MPC_WUR;
/* The root r's path leads to (for a client that verifies a batch once).
 * ERR_PARSE if the path does not fit the index and count. */
int result_receipt_root(const result_receipt *r, uint8_t root[RESULT_HASH_LEN]) MPC_WUR;
/* Writes result_receipt_encode's length bytes (at most RESULT_RECEIPT_MAX);
 * r->server must be 1..MPC_MAX_SERVERS (asserted). */
size_t result_receipt_encode(uint8_t *out, const result_receipt *r);
/* ERR_PARSE unless in is exactly one receipt with the right magic and version,
 * a server index in 1..MPC_MAX_SERVERS and a path that fits its index and
 * count. */
int result_receipt_decode(result_receipt *r, const uint8_t *in, size_t len) MPC_WUR;

/* Batch signing (the server side): leaf hashes in tree[0..n-1], tree of
 * result_merkle_size(n) entries; build the levels, sign the root once, then
 * give each receipt its path. */
void result_receipt_leaf(uint8_t out[RESULT_HASH_LEN], uint32_t roll, uint64_t seq,
                         const uint8_t env_hash[RESULT_HASH_LEN]);
size_t result_merkle_size(size_t n);
void result_merkle_build(uint8_t (*tree)[RESULT_HASH_LEN], size_t n);
void result_merkle_sign(uint8_t sig[RESULT_SIG_LEN], int server, const uint8_t sid[MPC_SID_LEN],
                        const uint8_t (*tree)[RESULT_HASH_LEN], size_t n,
                        const uint8_t sign_sk[RESULT_SK_LEN]);
/* Set r's index, count and path for leaf index of a built tree of n leaves. */
void result_merkle_path(result_receipt *r, const uint8_t (*tree)[RESULT_HASH_LEN], size_t n,
                        size_t index);

/* One server's signed result. output is opaque bytes (canonical text of the
 * declared output, e.g. {"winning_bid":42}), owned, with a NUL after it. */
typedef struct result_stmt {
    int server;                              /* 1..MPC_MAX_SERVERS */
    uint8_t sid[MPC_SID_LEN];
    uint64_t accepted, excluded;             /* input counts */
    uint8_t inputs_hash[RESULT_HASH_LEN];    /* result_inputs_hash of accepted inputs */
    uint8_t *output;
    size_t output_len;                       /* <= RESULT_MAX_OUTPUT */
    uint8_t sig[RESULT_SIG_LEN];             /* zero until signed */
} result_stmt;

/* New unsigned statement (copies output). NULL if server is out of range or
 * output_len > RESULT_MAX_OUTPUT. Free with result_stmt_free. */
result_stmt *result_stmt_new(int server, const uint8_t sid[MPC_SID_LEN],
                             const uint8_t *output, size_t output_len, uint64_t accepted,
                             uint64_t excluded, const uint8_t inputs_hash[RESULT_HASH_LEN]);
void result_stmt_free(result_stmt **pp);
void result_stmt_sign(result_stmt *st, const uint8_t sign_sk[RESULT_SK_LEN]);
/* 0 if valid, ERR_CRYPTO otherwise (also for an out-of-range server or output). */
int result_stmt_verify(const result_stmt *st, const uint8_t sign_pk[RESULT_PK_LEN]) MPC_WUR;
/* *out malloc'd (free()), *len bytes. ERR_ARG if server or output_len is out of
 * range. */
int result_stmt_encode(const result_stmt *st, uint8_t **out, size_t *len) MPC_WUR;
/* ERR_PARSE unless the bytes are exactly one well-formed statement. *out owned. */
int result_stmt_decode(result_stmt **out, const uint8_t *in, size_t len) MPC_WUR;

/* What every server hashes into inputs_hash: the envelopes it counted, in
 * increasing roll index (a voter finds their tracker among them). */
typedef struct result_input {
    uint32_t roll;
    uint64_t seq;
    uint8_t env_hash[RESULT_HASH_LEN];
} result_input;

/* BLAKE2b-256 of a domain tag, sid, count and the (roll, seq, envelope hash)
 * of each input. ERR_ARG unless roll indices strictly increase. */
int result_inputs_hash(uint8_t out[RESULT_HASH_LEN], const uint8_t sid[MPC_SID_LEN],
                       const result_input *in, size_t count) MPC_WUR;

/* Outcome of result_accept. Masks: bit i-1 stands for server i. */
typedef struct result_verdict {
    const result_stmt *outcome;  /* accepted statement (one of the inputs), or NULL */
    int agree;                   /* distinct servers that signed the best candidate */
    unsigned agree_mask;         /* those servers (the outcome's when accepted) */
    unsigned disagree_mask;      /* valid signature on another content */
    unsigned badsig_mask;        /* a statement with a bad signature was seen */
    unsigned equivocal_mask;     /* signed two different contents: not counted */
    unsigned missing_mask;       /* no valid statement of this session */
    size_t ignored;              /* statements of another session or server index */
    char msg[256];               /* human summary naming the servers */
} result_verdict;

/* Accept an outcome from count statements (duplicates allowed) of servers 1..n,
 * whose Ed25519 keys are sign_pk[0..n-1]: only when at least t+1 distinct servers
 * signed identical (sid, output, accepted, excluded, inputs hash) with valid
 * signatures. A server's duplicate statements count once; a server that signed two
 * different contents counts for none. Returns 0 (v->outcome set), ERR_REFUSED
 * (no content reaches t+1), ERR_CHEAT (two contents reach t+1: more than t
 * servers lie), ERR_ARG (n not in 1..9, t < 0 or t >= n). v is always filled. */
int result_accept(result_verdict *v, const result_stmt *const *stmts, size_t count,
                  const uint8_t sid[MPC_SID_LEN], const uint8_t (*sign_pk)[RESULT_PK_LEN],
                  int n, int t) MPC_WUR;

#endif
