/* cred: voter credentials without a key ceremony (Belenios-style): a short
 * printable secret code from which a voter's (or bidder's) Ed25519 and X25519
 * key pairs are derived deterministically, so an organizer can mail one code to
 * each voter and publish only the derived public keys (docs/credentials.md
 * gives the derivation byte for byte; a browser must reproduce it).
 *
 * A code is CRED_CODE_CHARS characters of the RFC 4648 base32 alphabet
 * (A-Z, 2-7) encoding CRED_RANDOM_BYTES from randombytes_buf (120 bits),
 * printed in groups of four joined by '-'. Every code handled here is secret. */
#ifndef MPC_CRED_H
#define MPC_CRED_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define CRED_RANDOM_BYTES 15                 /* 120 bits of entropy */
#define CRED_CODE_CHARS   24                 /* base32 characters, normalized */
#define CRED_TEXT_LEN     29                 /* printed: 6 groups of 4 with '-' */
#define CRED_SEED_BYTES   32
#define CRED_SIGN_KEY     "mpc-credential-v1"        /* BLAKE2b key of the Ed25519 seed */
#define CRED_CURVE_KEY    "mpc-credential-curve-v1"  /* BLAKE2b key of the X25519 seed */

/* A fresh code from libsodium randomness in printed form ("ABCD-EFGH-..."),
 * NUL-terminated into out (secret: wipe it after use). */
void cred_generate(char out[CRED_TEXT_LEN + 1]);

/* Normalize a code as typed: drop every '-', ' ' and tab, turn a-z into A-Z;
 * the result must be exactly CRED_CODE_CHARS characters of A-Z and 2-7.
 * out (NUL-terminated) is wiped on error. ERR_PARSE (with err naming what is
 * wrong, never echoing the code). */
int cred_normalize(char out[CRED_CODE_CHARS + 1], const char *in, char *err,
                   size_t errlen) MPC_WUR;

/* The two 32-byte seeds of a normalized code (secret outputs):
 * sign_seed  = BLAKE2b-256(key = CRED_SIGN_KEY,  message = code),
 * curve_seed = BLAKE2b-256(key = CRED_CURVE_KEY, message = code),
 * for crypto_sign_seed_keypair and crypto_box_seed_keypair. ERR_PARSE if code
 * is not normalized. */
int cred_seeds(uint8_t sign_seed[CRED_SEED_BYTES], uint8_t curve_seed[CRED_SEED_BYTES],
               const char *code) MPC_WUR;

/* Write a credential file ("credential CODE" under a comment) with mode exactly
 * 0600, atomically and never over an existing file (ERR_IO, "refusing to
 * overwrite"). code is any form cred_normalize accepts; it is written in
 * printed form. ERR_PARSE on a bad code. */
int cred_save(const char *path, const char *code, char *err, size_t errlen) MPC_WUR;

/* Whether the text of a key file (len bytes) is a credential file: its first
 * line that is neither blank nor a '#' comment starts with the word
 * "credential", or is a bare code. When so and code is not NULL, the
 * normalized code goes into code (ERR_PARSE, with a message naming path, if
 * that line is malformed or more lines follow). Returns 1 (a credential, code
 * filled), 0 (not a credential file) or ERR_PARSE. */
int cred_from_text(char code[CRED_CODE_CHARS + 1], const char *text, size_t len,
                   const char *path, char *err, size_t errlen) MPC_WUR;

#endif
