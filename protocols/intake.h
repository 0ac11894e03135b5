/* intake: the client-to-server submission protocol (docs/design.md section 7).
 *
 * A client shares its input vector (degree t) and sends share vector i to server
 * i over CurveZMQ, authenticated by its roll key; the message is also signed with
 * the client's Ed25519 roll key. The server stores it durably, then answers with
 * a signed receipt. Wire layout (integers big-endian):
 *   request:  "MPSU" | version 1 | kind u8 | server u8 | reserved u8 | sid (32) |
 *             seq u64 | submission id (16) | m u32 | m elements | sig (64)
 *             (kind 1 = submit; 2 = fetch result: m = 0)
 *   response: "MPSR" | version 1 | status u8 | length u32 | body
 *             (status 0: receipt or result statement; otherwise a UTF-8 reason)
 * The signature covers every byte before it, so a share cannot be moved to
 * another server, session or sequence number. */
#ifndef MPC_INTAKE_H
#define MPC_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/field.h"
#include "common/limits.h"

#define INTAKE_SUBMIT   1
#define INTAKE_FETCH    2
#define INTAKE_FIXED    (4 + 1 + 1 + 1 + 1 + MPC_SID_LEN + 8 + 16 + 4 + 64)
#define INTAKE_MAX_M    (1u << 16)

typedef struct intake_req {
    int kind;                 /* INTAKE_SUBMIT or INTAKE_FETCH */
    int server;               /* addressee, 1..MPC_MAX_SERVERS */
    uint8_t sid[MPC_SID_LEN];
    uint64_t seq;
    uint8_t sub_id[16];
    uint32_t m;
    const uint8_t *shares;    /* m * F->bytes bytes inside the message (secret) */
    const uint8_t *sig;       /* 64 bytes inside the message */
    size_t signed_len;        /* bytes covered by sig */
} intake_req;

/* Build a signed request: *out malloc'd (caller wipes and frees), *len bytes.
 * shares (secret) are m elements. */
int intake_req_encode(uint8_t **out, size_t *len, const field *F, int kind, int server,
                      const uint8_t sid[MPC_SID_LEN], uint64_t seq, const uint8_t sub_id[16],
                      const fe *shares, uint32_t m, const uint8_t sign_sk[64]) MPC_WUR;
/* Parse a request without trusting any length; pointers refer into in. ERR_PARSE
 * on any malformation (signature not checked here: intake_req_verify). */
int intake_req_decode(intake_req *r, const field *F, const uint8_t *in, size_t len) MPC_WUR;
/* 0 if sig is the client's signature (sign_pk) over the request, else ERR_CRYPTO. */
int intake_req_verify(const intake_req *r, const uint8_t *in, const uint8_t sign_pk[32]) MPC_WUR;

/* Response framing: *out malloc'd. */
int intake_resp_encode(uint8_t **out, size_t *len, int status, const uint8_t *body,
                       size_t body_len) MPC_WUR;
/* body points into in. ERR_PARSE on malformation. */
int intake_resp_decode(int *status, const uint8_t **body, size_t *body_len,
                       const uint8_t *in, size_t len) MPC_WUR;

#endif
