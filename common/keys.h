/* keys: a party's long-term key pairs (CURVE for the transport, Ed25519 for
 * signed statements), hex encoding, and the secret/public key files.
 *
 * CURVE keys are X25519 (libsodium crypto_box), the same 32-byte keys as
 * zmq_curve_keypair. Secret halves live in sodium_malloc'd memory and are wiped
 * on free. File format, one key a line, '#' comments and blank lines allowed:
 *     curve_pk <64 hex>      sign_pk <64 hex>        (public and secret files)
 *     curve_sk <64 hex>      sign_sk <128 hex>       (secret file only)
 * The secret file is created 0600 and never overwritten; keys_load refuses it if
 * group or others may access it. */
#ifndef MPC_KEYS_H
#define MPC_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define KEYS_CURVE_BYTES   32   /* CURVE public and secret keys */
#define KEYS_SIGN_PK_BYTES 32   /* Ed25519 public key */
#define KEYS_SIGN_SK_BYTES 64   /* Ed25519 secret key (seed || pk, libsodium) */
#define KEYS_FILE_MAX      4096 /* a longer key file is malformed */

typedef struct keys keys;

/* Fresh CURVE and Ed25519 key pairs from libsodium randomness. Owned by the
 * caller (keys_free). Aborts on out-of-memory like GMP; never NULL. */
keys *keys_generate(void);
/* Wipe the secret halves and free; *pp = NULL. NULL and *pp == NULL are fine. */
void keys_free(keys **pp);

/* Write the secret key file (all four lines) with mode exactly 0600, atomically
 * (fs_write_new: a crash or a failed write leaves no key file). Refuses an
 * existing path (ERR_IO, "refusing to overwrite"). err (may be NULL) receives a
 * message naming the file and strerror. */
int keys_save_secret(const keys *k, const char *path, char *err, size_t errlen) MPC_WUR;
/* Write the public key file (curve_pk, sign_pk) with mode 0644; refuses to
 * overwrite like keys_save_secret. */
int keys_save_public(const keys *k, const char *path, char *err, size_t errlen) MPC_WUR;

/* Load a secret key file into a new keys (caller frees). The file is either a
 * key file (above) or a credential file (common/cred.h: a line "credential
 * CODE", or the bare code, plus '#' comments), whose code derives both key
 * pairs exactly as keys_from_credential; both kinds must be mode 0600. Errors,
 * with a message naming the file in err: ERR_REFUSED if the file is not a
 * regular file or its mode grants any access to group/others; ERR_IO if
 * unreadable; ERR_PARSE on an unknown, malformed, duplicate or missing line, a
 * malformed credential, or a file over KEYS_FILE_MAX; ERR_CRYPTO if a public
 * half does not match its secret half. */
int keys_load(keys **out, const char *path, char *err, size_t errlen) MPC_WUR;
/* The key pairs a credential code derives (code as typed: cred_normalize
 * rules; secret), into a new keys (caller frees): Ed25519 from
 * crypto_sign_seed_keypair and X25519 from crypto_box_seed_keypair on the
 * seeds of cred_seeds (docs/credentials.md). ERR_PARSE on a malformed code. */
int keys_from_credential(keys **out, const char *code, char *err, size_t errlen) MPC_WUR;
/* Load a public key file: both public keys. ERR_PARSE as keys_load, and also if
 * the file holds a secret key line (a public file must never carry secrets). */
int keys_load_public(uint8_t curve_pk[KEYS_CURVE_BYTES],
                     uint8_t sign_pk[KEYS_SIGN_PK_BYTES],
                     const char *path, char *err, size_t errlen) MPC_WUR;

/* Accessors; pointers stay valid until keys_free. The *_sk ones are secret. */
const uint8_t *keys_curve_pk(const keys *k);
const uint8_t *keys_curve_sk(const keys *k);
const uint8_t *keys_sign_pk(const keys *k);
const uint8_t *keys_sign_sk(const keys *k);

/* Lower-case hex of len bytes into out, which holds 2 * len + 1 chars
 * (NUL-terminated). Constant time (sodium_bin2hex), fine for secrets. */
void keys_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decode exactly 2 * len hex digits (either case, nothing else, NUL-terminated)
 * into len bytes. ERR_PARSE on a wrong length or a non-hex character; out is
 * wiped on error. */
int keys_hex_decode(uint8_t *out, size_t len, const char *hex) MPC_WUR;

#endif
