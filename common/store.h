/* store: the durable database of the sealed envelopes a server accepted, in
 * SQLite (WAL journal, synchronous=FULL; docs/envelope.md says why SQLite).
 * Every accepted envelope is kept (history); the latest per roll index (highest
 * sequence) is the one that counts and is also held in memory. The store holds
 * envelopes exactly as the client signed them: the shares in them are sealed to
 * the servers' keys, so the file holds no share in clear.
 *
 * Writes are batched: store_begin, any number of store_put, store_commit; a
 * receipt may be sent only after store_commit returned 0 (the batch is then on
 * disk: one fsync per batch, group commit). A crash before the commit loses the
 * whole batch and nothing else; SQLite recovers a torn write at open.
 *
 * Schema (version 1; docs/store.md says why):
 *   PRAGMA application_id = 0x4d504345 ("MPCE"): marks the file as a store;
 *   meta(id = 1, version = 1, sid BLOB(32), roll_size): one row;
 *   envelopes(roll, seq, hash BLOB(32), env BLOB, PRIMARY KEY (roll, seq)):
 *     every accepted envelope; seq is stored as seq XOR 2^63 (SQLite integers
 *     are signed; this keeps the unsigned order, so max(seq) is the latest).
 * Files: path (the database), path-wal and path-shm (SQLite's, same mode as
 * path), path.lock (the flock(2) that keeps a second store off the file). */
#ifndef MPC_STORE_H
#define MPC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/limits.h"

#define STORE_HASH_LEN 32
#define STORE_MAX_ENV  (1u << 24)    /* bytes per envelope */

typedef struct store store;

/* One envelope. In store_put every pointer is the caller's; the records the
 * store returns own their bytes (valid until the next store_put for the same
 * roll index, or store_free). */
typedef struct store_env {
    uint32_t roll;                    /* roll index, 0-based, < roll_size */
    uint64_t seq;                     /* client sequence, increasing per roll index */
    uint8_t hash[STORE_HASH_LEN];     /* envelope hash (computed by the caller) */
    const uint8_t *env;               /* the envelope bytes, 1..STORE_MAX_ENV */
    size_t env_len;
} store_env;

/* Create path (mode 0600; the directory fsync'd after creation) or reopen it:
 * the schema, the session id and the roll size are checked, the latest
 * envelope per roll index is loaded. The file is locked (no second store on it,
 * also not from another process). *out is owned by the caller.
 * Errors (message in err): ERR_REFUSED if the file belongs to another session
 * or roll size, ERR_PARSE if it is not a store (another SQLite file or not
 * SQLite), ERR_STATE if another store holds it, ERR_IO. */
int store_open(store **out, const char *path, const uint8_t sid[MPC_SID_LEN],
               uint32_t roll_size, char *err, size_t errlen) MPC_WUR;
/* Close (rolls back an open batch). NULL is fine. */
void store_free(store **pp);

/* Start a batch (one SQLite transaction). ERR_STATE if one is open or the
 * store is broken, ERR_IO. */
int store_begin(store *s) MPC_WUR;
/* Add e to the open batch. Returns 0 (added; becomes the latest of its roll
 * index), STORE_SAME (exactly this roll, seq and hash is already the latest:
 * nothing added, a retry that deserves its receipt again), ERR_REFUSED (seq
 * not above the latest of that roll index, or the same seq with another hash),
 * ERR_RANGE (roll index or length out of range), ERR_STATE (no batch open),
 * ERR_IO. store_errmsg() says why. A refused put (STORE_SAME, ERR_REFUSED,
 * ERR_RANGE) leaves the batch usable; after ERR_IO the whole batch has been
 * dropped as by store_rollback (SQLite may have rolled it back already). */
#define STORE_SAME 1
int store_put(store *s, const store_env *e) MPC_WUR;
/* Commit the batch durably. ERR_IO if it fails: the batch is lost (as if never
 * put, also in memory) and the store is broken (ERR_STATE afterwards). */
int store_commit(store *s) MPC_WUR;
/* Drop the open batch (memory and disk), e.g. after a failure mid-batch. */
void store_rollback(store *s);

/* The latest envelope of roll index roll, or NULL if none. */
const store_env *store_latest(const store *s, uint32_t roll);
/* Number of roll indices with an envelope. */
size_t store_count(const store *s);
/* Number of envelopes in the database (replaced ones included). */
size_t store_records(const store *s);
/* Last error message; never NULL. */
const char *store_errmsg(const store *s);

#endif
