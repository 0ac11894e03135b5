/* intake: submission and response codecs. */
#include "protocols/intake.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/bytes.h"

static const uint8_t s_req_magic[4] = { 'M', 'P', 'S', 'U' };
static const uint8_t s_resp_magic[4] = { 'M', 'P', 'S', 'R' };

int intake_req_encode(uint8_t **out, size_t *len, const field *F, int kind, int server,
                      const uint8_t sid[MPC_SID_LEN], uint64_t seq, const uint8_t sub_id[16],
                      const fe *shares, uint32_t m, const uint8_t sign_sk[64])
{
    if ((kind != INTAKE_SUBMIT && kind != INTAKE_FETCH) || server < 1 || server > MPC_MAX_SERVERS ||
        m > INTAKE_MAX_M)
        return ERR_ARG;
    size_t n = INTAKE_FIXED + (size_t)m * F->bytes;
    uint8_t *b = malloc(n);
    if (!b) return ERR_NOMEM;
    uint8_t *p = b;
    memcpy(p, s_req_magic, 4); p += 4;
    *p++ = 1;
    *p++ = (uint8_t)kind;
    *p++ = (uint8_t)server;
    *p++ = 0;
    memcpy(p, sid, MPC_SID_LEN); p += MPC_SID_LEN;
    be_put64(p, seq); p += 8;
    memcpy(p, sub_id, 16); p += 16;
    be_put32(p, m); p += 4;
    field_encode(F, p, shares, m);
    p += (size_t)m * F->bytes;
    crypto_sign_detached(p, NULL, b, (unsigned long long)(p - b), sign_sk);
    *out = b;
    *len = n;
    return 0;
}

int intake_req_decode(intake_req *r, const field *F, const uint8_t *in, size_t len)
{
    if (len < INTAKE_FIXED || memcmp(in, s_req_magic, 4) != 0 || in[4] != 1) return ERR_PARSE;
    memset(r, 0, sizeof *r);
    r->kind = in[5];
    r->server = in[6];
    if ((r->kind != INTAKE_SUBMIT && r->kind != INTAKE_FETCH) || r->server < 1 ||
        r->server > MPC_MAX_SERVERS || in[7] != 0)
        return ERR_PARSE;
    memcpy(r->sid, in + 8, MPC_SID_LEN);
    r->seq = be_get64(in + 40);
    memcpy(r->sub_id, in + 48, 16);
    r->m = be_get32(in + 64);
    if (r->m > INTAKE_MAX_M) return ERR_PARSE;
    size_t body = (size_t)r->m * F->bytes;
    if (len != INTAKE_FIXED + body) return ERR_PARSE;
    r->shares = in + 68;
    r->signed_len = 68 + body;
    r->sig = in + r->signed_len;
    return 0;
}

int intake_req_verify(const intake_req *r, const uint8_t *in, const uint8_t sign_pk[32])
{
    return crypto_sign_verify_detached(r->sig, in, r->signed_len, sign_pk) == 0 ? 0 : ERR_CRYPTO;
}

int intake_resp_encode(uint8_t **out, size_t *len, int status, const uint8_t *body,
                       size_t body_len)
{
    if (status < 0 || status > 255 || body_len > (1u << 20)) return ERR_ARG;
    uint8_t *b = malloc(10 + body_len);
    if (!b) return ERR_NOMEM;
    memcpy(b, s_resp_magic, 4);
    b[4] = 1;
    b[5] = (uint8_t)status;
    be_put32(b + 6, (uint32_t)body_len);
    if (body_len) memcpy(b + 10, body, body_len);
    *out = b;
    *len = 10 + body_len;
    return 0;
}

int intake_resp_decode(int *status, const uint8_t **body, size_t *body_len,
                       const uint8_t *in, size_t len)
{
    if (len < 10 || memcmp(in, s_resp_magic, 4) != 0 || in[4] != 1) return ERR_PARSE;
    uint32_t n = be_get32(in + 6);
    if (len != 10 + (size_t)n) return ERR_PARSE;
    *status = in[5];
    *body = in + 10;
    *body_len = n;
    return 0;
}
