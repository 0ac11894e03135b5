/* store: the append-only, crash-safe file of client inputs a server accepted, one
 * record per submission; the latest record per roll index (highest sequence) is
 * the one that counts.
 *
 * File layout (integers big-endian):
 *   file header, 64 bytes: "MPCSTOR1" | version u32 = 1 | element width u32 |
 *     session id (32) | BLAKE2b-128(key = session id) of the previous 48 bytes.
 *   records, each: header magic "MPRR" u32 | version u16 = 1 | reserved u16 = 0 |
 *     body length u32 | 8 bytes of BLAKE2b-128(key = sid) of those 12 bytes;
 *     body: roll index u32 | sequence u64 | submission id (16) | m u32 |
 *     m elements (field_encode) | raw length u32 | raw bytes;
 *     then BLAKE2b-256(key = sid) of header and body.
 * store_append writes a record with one pwrite() and fdatasync()s it before it
 * returns, so a receipt sent afterwards always refers to durable data. On open,
 * an incomplete last record (a crash during the write) is dropped and the file
 * truncated to the last good record; a damaged record followed by others is
 * corruption and refuses the open. The records hold shares: secret. */
#ifndef MPC_STORE_H
#define MPC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/field.h"
#include "common/limits.h"

#define STORE_SUBID_LEN  16
#define STORE_MAX_M      (1u << 20)    /* elements per record */
#define STORE_MAX_RAW    (1u << 24)    /* raw submission bytes per record */
#define STORE_FILE_HDR   64
#define STORE_REC_HDR    20
#define STORE_REC_CK     32

typedef struct store store;

/* One accepted submission. In store_append every pointer is the caller's; the
 * records the store returns own their buffers (valid until the next append for
 * the same roll index or store_free). */
typedef struct store_rec {
    uint32_t roll;                    /* roll index, 0-based */
    uint64_t seq;                     /* client sequence, increasing per roll index */
    uint8_t sub_id[STORE_SUBID_LEN];  /* chosen by the client, same on all servers */
    uint32_t m;                       /* number of shares */
    const fe *shares;                 /* m elements (secret) */
    const uint8_t *raw;               /* signed submission as received, may be NULL */
    size_t raw_len;
} store_rec;

/* Create path (mode 0600, the file and its directory fsync'd) or reload it:
 * every record's checksum is verified, a torn last record is logged and cut off.
 * roll_size bounds the roll index; F fixes the element width and must outlive the
 * store. The file is locked (flock) while open. *out is owned by the caller.
 * Errors (message in err): ERR_REFUSED if the file belongs to another session or
 * field, ERR_CRYPTO on a bad checksum before the last record, ERR_PARSE on a
 * malformed record or a non-store file, ERR_STATE if another store holds the
 * lock, ERR_IO. */
int store_open(store **out, const char *path, const uint8_t sid[MPC_SID_LEN],
               const field *F, uint32_t roll_size, char *err, size_t errlen) MPC_WUR;
/* Close, wiping every share held in memory. NULL is fine. */
void store_free(store **pp);

/* Append rec durably, then make it the latest for its roll index. Returns
 * ERR_RANGE (roll index, m, raw length or an element out of range), ERR_REFUSED
 * (seq not above the latest record's of that roll index), ERR_IO (nothing
 * appended), ERR_STATE (an earlier fsync failed: the store must be reopened).
 * store_errmsg() says why. rec->shares is secret. */
int store_append(store *s, const store_rec *rec) MPC_WUR;

/* Group commit: append like store_append but without the fdatasync; the record
 * is durable only after store_sync returns 0, so send no receipt before. */
int store_append_nosync(store *s, const store_rec *rec) MPC_WUR;
/* fdatasync everything appended since the last sync. ERR_IO (and the store is
 * unusable, ERR_STATE afterwards) if it fails. */
int store_sync(store *s) MPC_WUR;

/* The latest record for roll index roll, or NULL if none. */
const store_rec *store_latest(const store *s, uint32_t roll);
/* Number of roll indices with a record. */
size_t store_count(const store *s);
/* Number of records in the file (replacements included). */
size_t store_records(const store *s);
/* Bytes cut off the end at open (0 unless a torn record was found). */
uint64_t store_truncated(const store *s);
/* Last error message; never NULL. */
const char *store_errmsg(const store *s);

#endif
