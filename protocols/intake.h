/* intake: the framing of client <-> server requests on the client endpoint
 * (docs/envelope.md). The request carries no identity: a submission is a
 * signed envelope (protocols/envelope.h), authenticated by its own signature,
 * and every other request is public (anyone may read a published result).
 * A tag chosen by the client is echoed in the response, so one connection can
 * carry many requests in flight (a relay, a web gateway, a bench client).
 * Layout (integers big-endian):
 *   request:  "MPSQ" | version 2 | kind u8 | reserved u16 = 0 | tag u64 |
 *             body length u32 | body
 *   response: "MPSR" | version 2 | status u8 | reserved u16 = 0 | tag u64 |
 *             body length u32 | body
 * Kinds: 1 submit (body: an envelope; reply: a receipt), 2 result (empty body;
 * reply: the signed statement), 3 record (empty; reply: the accepted set, see
 * app/record.h), 4 status (empty; reply: a JSON object). Status 0 is success;
 * any other status comes with a UTF-8 reason (INTAKE_ST_*). */
#ifndef MPC_INTAKE_H
#define MPC_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define INTAKE_SUBMIT   1
#define INTAKE_RESULT   2
#define INTAKE_RECORD   3
#define INTAKE_STATUS   4
#define INTAKE_HDR      20
#define INTAKE_MAX_BODY (1u << 26)

/* Refusal codes (response status); intake_status_temporary tells those worth
 * a retry (not ready, rate limit, storage) from final ones. */
enum { INTAKE_ST_OK = 0, INTAKE_ST_MALFORMED = 1, INTAKE_ST_WRONG_SESSION = 2,
       INTAKE_ST_BAD_SIG = 3, INTAKE_ST_CLOSED = 4, INTAKE_ST_NOT_READY = 5,
       INTAKE_ST_REPLAY = 6, INTAKE_ST_STORAGE = 7, INTAKE_ST_RATE = 8,
       INTAKE_ST_NOT_ON_ROLL = 9, INTAKE_ST_UNOPENABLE = 10 };

/* 1 if a refusal with this status may succeed when sent again later. */
int intake_status_temporary(int status);

/* A parsed frame: body points into the bytes it came from. */
typedef struct intake_msg {
    int kind;                 /* request kind, or response status */
    uint64_t tag;
    const uint8_t *body;
    size_t body_len;
} intake_msg;

/* Frame into out (INTAKE_HDR + body_len bytes). ERR_ARG on a bad kind/status
 * or a body over INTAKE_MAX_BODY. */
int intake_req_encode(uint8_t *out, int kind, uint64_t tag, const uint8_t *body,
                      size_t body_len) MPC_WUR;
int intake_resp_encode(uint8_t *out, int status, uint64_t tag, const uint8_t *body,
                       size_t body_len) MPC_WUR;
/* Parse without trusting any length: ERR_PARSE on any malformation (an unknown
 * request kind included). */
int intake_req_decode(intake_msg *r, const uint8_t *in, size_t len) MPC_WUR;
int intake_resp_decode(intake_msg *r, const uint8_t *in, size_t len) MPC_WUR;

#endif
