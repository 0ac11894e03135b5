/* envelope: a voter's (or bidder's) sealed, signed submission, the unit of
 * trust of the intake (docs/envelope.md is the byte-exact format). It carries
 * the n Shamir share vectors of one input, share vector i encrypted to server
 * i's X25519 key, and is signed with the client's Ed25519 roll key, so it can
 * travel over any transport (CurveZMQ, HTTP, a relay, a peer server during
 * reconciliation) and every server checks it on its own.
 *
 * Layout, integers big-endian:
 *   "MPEV" | version u8 = 1 | n u8 | width u8 | reserved u8 = 0 | sid (32) |
 *   roll index u32 | sequence u64 | m u32 | epk (32) |
 *   n boxes of m * width + 16 bytes | sig (64)
 * box i (i = 1..n) = crypto_box_easy(m field elements, nonce_i, pk_i, esk),
 * nonce_i = BLAKE2b-192(epk | pk_i | u8 i, key "mpc-envelope-v1"), where
 * (epk, esk) is a fresh X25519 pair per envelope. sig is Ed25519 over every
 * byte before it. The envelope hash (the voter's tracker) is BLAKE2b-256 of all
 * bytes, signature included (libsodium's verification is strict, so a valid
 * envelope has exactly one valid signature). */
#ifndef MPC_ENVELOPE_H
#define MPC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/field.h"
#include "common/limits.h"

#define ENV_VERSION   1
#define ENV_HDR       88       /* bytes before the boxes */
#define ENV_BOX_EXTRA 16       /* crypto_box_MACBYTES */
#define ENV_SIG       64
#define ENV_HASH_LEN  32
#define ENV_MAX_M     (1u << 16)

/* A parsed envelope: pointers into the bytes it was parsed from. */
typedef struct envelope {
    int n, width;
    const uint8_t *sid;        /* 32 bytes */
    uint32_t roll;
    uint64_t seq;
    uint32_t m;
    const uint8_t *epk;        /* 32 bytes */
    const uint8_t *boxes;      /* n boxes of m * width + 16 bytes */
    const uint8_t *sig;
    size_t len;                /* whole envelope */
} envelope;

/* Bytes of an envelope for n servers, m elements of width bytes; 0 if out of
 * range (n not 1..MPC_MAX_SERVERS, m not 1..ENV_MAX_M, width not 1..16). */
size_t envelope_len(int n, uint32_t m, size_t width);

/* Seal shares (n * m elements, server i's vector at (i-1)*m; secret) for the n
 * servers with X25519 keys server_pk[0..n-1] and sign with sign_sk (secret).
 * out has envelope_len(n, m, F->bytes) bytes. ERR_ARG on bad sizes. */
int envelope_seal(uint8_t *out, const field *F, int n, const uint8_t (*server_pk)[32],
                  const uint8_t sid[MPC_SID_LEN], uint32_t roll, uint64_t seq, const fe *shares,
                  uint32_t m, const uint8_t sign_sk[64]) MPC_WUR;

/* The same with a given ephemeral X25519 secret key esk (secret; its public
 * half is derived): for known-answer vectors only, a real client must use a
 * fresh one per envelope (envelope_seal does). */
int envelope_seal_eph(uint8_t *out, const field *F, int n, const uint8_t (*server_pk)[32],
                      const uint8_t sid[MPC_SID_LEN], uint32_t roll, uint64_t seq, const fe *shares,
                      uint32_t m, const uint8_t sign_sk[64], const uint8_t esk[32]) MPC_WUR;

/* Parse without trusting any byte: ERR_PARSE unless in holds exactly one
 * envelope of a known version (signature not checked). */
int envelope_parse(envelope *e, const uint8_t *in, size_t len) MPC_WUR;
/* 0 if e's signature is sign_pk's, else ERR_CRYPTO. */
int envelope_verify(const envelope *e, const uint8_t sign_pk[32]) MPC_WUR;
/* Open box `server` (1..n) with that server's X25519 pair into out (m
 * elements, secret); scratch holds m * width bytes (wiped here). ERR_CRYPTO if
 * the box does not open (not sealed to this key, or damaged), ERR_RANGE if an
 * element is not below p, ERR_ARG if the width is not F's. */
int envelope_open(const envelope *e, const field *F, int server, const uint8_t my_pk[32],
                  const uint8_t my_sk[32], fe *out, uint8_t *scratch) MPC_WUR;
/* The envelope hash of len bytes (the tracker). */
void envelope_hash(uint8_t out[ENV_HASH_LEN], const uint8_t *in, size_t len);

#endif
