/* fuzz_intake: what a server reads from a client (intake_req_decode under the
 * default field 2^89-1 and under 2^127-25, then intake_req_verify against the
 * fixed client key of the seeds) and what a client reads from a server
 * (intake_resp_decode, then the receipt or statement in a status-0 body).
 * Checks: decoders return 0 or ERR_PARSE, pointers stay inside the input and
 * lengths add up; an accepted request whose shares decode re-encodes (with
 * intake_req_encode and the client key) to the same signed bytes, and a
 * verified one to a request that verifies; an accepted response re-encodes to
 * the input. */
#include <stdlib.h>
#include <string.h>
#include "protocols/intake.h"
#include "protocols/result.h"
#include "tests/fuzz/util.h"

static uint8_t s_pk[32], s_sk[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    fuzz_sign_keys(s_pk, s_sk, 'c');
    return 0;
}

static int s_inside(const uint8_t *p, size_t n, const uint8_t *in, size_t len)
{
    return p >= in && p <= in + len && n <= (size_t)(in + len - p);
}

static void s_request(const field *F, const uint8_t *in, size_t len)
{
    intake_req r;
    int rc = intake_req_decode(&r, F, in, len);
    if (rc != 0) {
        if (rc != ERR_PARSE) abort();
        return;
    }
    if ((r.kind != INTAKE_SUBMIT && r.kind != INTAKE_FETCH) || r.server < 1 || r.server > 9 ||
        r.m > INTAKE_MAX_M)
        abort();
    size_t body = (size_t)r.m * F->bytes;
    if (len != INTAKE_FIXED + body || r.signed_len + 64 != len ||
        !s_inside(r.shares, body, in, len) || r.sig != in + r.signed_len)
        abort();
    int verified = intake_req_verify(&r, in, s_pk);
    if (verified != 0 && verified != ERR_CRYPTO) abort();

    fe *shares = malloc((r.m ? r.m : 1) * sizeof *shares);
    if (!shares) abort();
    rc = field_decode(F, shares, r.m, r.shares, body);
    if (rc == 0) {
        uint8_t *out = NULL;
        size_t olen = 0;
        if (intake_req_encode(&out, &olen, F, r.kind, r.server, r.sid, r.seq, r.sub_id,
                              shares, r.m, s_sk) != 0)
            abort();
        if (olen != len || memcmp(out, in, r.signed_len) != 0) abort();
        /* Ed25519 is deterministic: a request that verified under the client's
         * key carries exactly the signature the encoder makes. */
        if (verified == 0 && memcmp(out + r.signed_len, r.sig, 64) != 0) abort();
        intake_req r2;
        if (intake_req_decode(&r2, F, out, olen) != 0 || intake_req_verify(&r2, out, s_pk) != 0)
            abort();
        free(out);
    } else if (rc != ERR_RANGE) {
        abort();
    }
    free(shares);
}

static void s_response(const uint8_t *in, size_t len)
{
    int status = -1;
    const uint8_t *body = NULL;
    size_t body_len = 0;
    int rc = intake_resp_decode(&status, &body, &body_len, in, len);
    if (rc != 0) {
        if (rc != ERR_PARSE) abort();
        return;
    }
    if (status < 0 || status > 255 || !s_inside(body, body_len, in, len) ||
        body_len + 10 != len)
        abort();
    if (body_len <= (1u << 20)) {
        uint8_t *out = NULL;
        size_t olen = 0;
        if (intake_resp_encode(&out, &olen, status, body, body_len) != 0) abort();
        if (olen != len || memcmp(out, in, len) != 0) abort();
        free(out);
    }
    if (status == 0) {
        /* The client reads a receipt (submit) or a statement (fetch). */
        result_receipt rcpt;
        if (result_receipt_decode(&rcpt, body, body_len) == 0)
            (void)result_receipt_verify(&rcpt, s_pk);
        result_stmt *st = NULL;
        if (result_stmt_decode(&st, body, body_len) == 0) result_stmt_free(&st);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_request(fuzz_field(FUZZ_F89), data, size);
    s_request(fuzz_field(FUZZ_P127), data, size);
    s_response(data, size);
    return 0;
}
