/* intake: request and response framing (see intake.h). */
#include "protocols/intake.h"

#include <string.h>
#include "common/bytes.h"

int intake_status_temporary(int status)
{
    return status == INTAKE_ST_NOT_READY || status == INTAKE_ST_RATE ||
           status == INTAKE_ST_STORAGE;
}

static int s_encode(uint8_t *out, const char *magic, int code, uint64_t tag, const uint8_t *body,
                    size_t body_len)
{
    if (code < 0 || code > 255 || body_len > INTAKE_MAX_BODY) return ERR_ARG;
    memcpy(out, magic, 4);
    out[4] = 2;
    out[5] = (uint8_t)code;
    be_put16(out + 6, 0);
    be_put64(out + 8, tag);
    be_put32(out + 16, (uint32_t)body_len);
    if (body_len) memmove(out + INTAKE_HDR, body, body_len);
    return 0;
}

static int s_decode(intake_msg *r, const char *magic, const uint8_t *in, size_t len)
{
    if (len < INTAKE_HDR || memcmp(in, magic, 4) != 0 || in[4] != 2 || in[6] || in[7])
        return ERR_PARSE;
    uint32_t n = be_get32(in + 16);
    if (n > INTAKE_MAX_BODY || len != INTAKE_HDR + (size_t)n) return ERR_PARSE;
    r->kind = in[5];
    r->tag = be_get64(in + 8);
    r->body = in + INTAKE_HDR;
    r->body_len = n;
    return 0;
}

int intake_req_encode(uint8_t *out, int kind, uint64_t tag, const uint8_t *body, size_t body_len)
{
    if (kind < INTAKE_SUBMIT || kind > INTAKE_STATUS) return ERR_ARG;
    return s_encode(out, "MPSQ", kind, tag, body, body_len);
}

int intake_resp_encode(uint8_t *out, int status, uint64_t tag, const uint8_t *body,
                       size_t body_len)
{
    return s_encode(out, "MPSR", status, tag, body, body_len);
}

int intake_req_decode(intake_msg *r, const uint8_t *in, size_t len)
{
    int rc = s_decode(r, "MPSQ", in, len);
    if (rc == 0 && (r->kind < INTAKE_SUBMIT || r->kind > INTAKE_STATUS)) rc = ERR_PARSE;
    return rc;
}

int intake_resp_decode(intake_msg *r, const uint8_t *in, size_t len)
{
    return s_decode(r, "MPSR", in, len);
}
