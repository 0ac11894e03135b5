/* fuzz_intake: what a server reads from a client and what a client reads back.
 * Server side: intake_req_decode of the bytes; on a submit, envelope_parse of
 * the body, envelope_verify against the fixed client key of the seeds ('c'),
 * and envelope_open of every box with the fixed server X25519 keys under the
 * default field 2^89-1 and under 2^127-25 (the servers open before they know
 * whether the envelope counts, so every box is tried even unsigned).
 * Client side: intake_resp_decode of the same bytes and, on status 0, the
 * receipt (and statement) decoders and verifiers.
 * Checks (abort() on violation): only the documented error codes; pointers and
 * lengths inside the input and adding up; a decoded frame re-encodes to exactly
 * the input; an opened box gives elements below p and a width that is not the
 * field's is ERR_ARG; the open scratch is wiped; a decoded receipt (alone or
 * with a batch path) has an index inside its count and re-encodes to the body. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "protocols/envelope.h"
#include "protocols/intake.h"
#include "protocols/result.h"
#include "tests/fuzz/util.h"

static uint8_t s_cpk[32], s_csk[64];
static uint8_t s_spk[MPC_MAX_SERVERS][32];                     /* receipts (Ed25519) */
static uint8_t s_box_pk[MPC_MAX_SERVERS][32], s_box_sk[MPC_MAX_SERVERS][32];   /* X25519 */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    fuzz_sign_keys(s_cpk, s_csk, 'c');
    uint8_t sk[64];
    for (int i = 0; i < MPC_MAX_SERVERS; i++) {
        fuzz_sign_keys(s_spk[i], sk, (char)('1' + i));
        /* Server i's box key: 32 bytes of 0xb0 + i, as in gen_corpus.c. */
        memset(s_box_sk[i], 0xb0 + i, 32);
        crypto_scalarmult_base(s_box_pk[i], s_box_sk[i]);
    }
    return 0;
}

static int s_inside(const uint8_t *p, size_t n, const uint8_t *in, size_t len)
{
    return p >= in && p <= in + len && n <= (size_t)(in + len - p);
}

/* Every box of e under F, by every server, as a server's intake does. */
static void s_open_all(const envelope *e, const field *F)
{
    fe out[1];
    uint8_t one[16];
    if ((size_t)e->width != F->bytes) {
        if (envelope_open(e, F, 1, s_box_pk[0], s_box_sk[0], out, one) != ERR_ARG) abort();
        return;
    }
    size_t plen = (size_t)e->m * F->bytes;
    fe *v = malloc(e->m * sizeof *v);
    uint8_t *scratch = malloc(plen);
    if (!v || !scratch) abort();
    for (int i = 1; i <= e->n; i++) {
        int rc = envelope_open(e, F, i, s_box_pk[i - 1], s_box_sk[i - 1], v, scratch);
        if (rc != 0 && rc != ERR_CRYPTO && rc != ERR_RANGE) abort();
        for (size_t b = 0; b < plen; b++)
            if (scratch[b]) abort();
        for (uint32_t j = 0; rc == 0 && j < e->m; j++)
            if (v[j] >= F->p) abort();
    }
    if (envelope_open(e, F, 0, s_box_pk[0], s_box_sk[0], v, scratch) != ERR_ARG ||
        envelope_open(e, F, e->n + 1, s_box_pk[0], s_box_sk[0], v, scratch) != ERR_ARG)
        abort();
    free(v);
    free(scratch);
}

static void s_envelope(const uint8_t *in, size_t len)
{
    envelope e;
    int rc = envelope_parse(&e, in, len);
    if (rc != 0) {
        if (rc != ERR_PARSE) abort();
        return;
    }
    if (e.len != len || e.n < 1 || e.n > MPC_MAX_SERVERS || e.width < 1 || e.width > 16 ||
        e.m < 1 || e.m > ENV_MAX_M || envelope_len(e.n, e.m, (size_t)e.width) != len)
        abort();
    if (e.sid != in + 8 || e.epk != in + 56 || e.boxes != in + ENV_HDR ||
        e.sig != in + len - ENV_SIG || !s_inside(e.sig, ENV_SIG, in, len))
        abort();
    rc = envelope_verify(&e, s_cpk);
    if (rc != 0 && rc != ERR_CRYPTO) abort();
    uint8_t h[ENV_HASH_LEN];
    envelope_hash(h, in, len);
    s_open_all(&e, fuzz_field(FUZZ_F89));
    s_open_all(&e, fuzz_field(FUZZ_P127));
}

static void s_request(const uint8_t *in, size_t len)
{
    intake_msg r;
    int rc = intake_req_decode(&r, in, len);
    if (rc != 0) {
        if (rc != ERR_PARSE) abort();
        return;
    }
    if (r.kind < INTAKE_SUBMIT || r.kind > INTAKE_STATUS || r.body != in + INTAKE_HDR ||
        r.body_len + INTAKE_HDR != len)
        abort();
    uint8_t *out = malloc(len);
    if (!out) abort();
    if (intake_req_encode(out, r.kind, r.tag, r.body, r.body_len) != 0 || memcmp(out, in, len) != 0)
        abort();
    free(out);
    if (r.kind == INTAKE_SUBMIT) s_envelope(r.body, r.body_len);
}

/* A status-0 body: the receipt of a submit, or the statement of a result. */
static void s_reply(const uint8_t *body, size_t len)
{
    result_receipt rcpt;
    if (result_receipt_decode(&rcpt, body, len) == 0) {
        if (rcpt.server < 1 || rcpt.server > MPC_MAX_SERVERS || len < RESULT_RECEIPT_LEN ||
            len > RESULT_RECEIPT_MAX || rcpt.count < 1 || rcpt.index >= rcpt.count)
            abort();
        int rc = result_receipt_verify(&rcpt, s_spk[rcpt.server - 1]);
        if (rc != 0 && rc != ERR_CRYPTO) abort();
        uint8_t again[RESULT_RECEIPT_MAX];
        if (result_receipt_encode(again, &rcpt) != len || memcmp(again, body, len) != 0) abort();
    }
    result_stmt *st = NULL;
    if (result_stmt_decode(&st, body, len) == 0) result_stmt_free(&st);
    else if (st) abort();
}

static void s_response(const uint8_t *in, size_t len)
{
    intake_msg r;
    int rc = intake_resp_decode(&r, in, len);
    if (rc != 0) {
        if (rc != ERR_PARSE) abort();
        return;
    }
    if (r.kind < 0 || r.kind > 255 || r.body != in + INTAKE_HDR || r.body_len + INTAKE_HDR != len)
        abort();
    uint8_t *out = malloc(len);
    if (!out) abort();
    if (intake_resp_encode(out, r.kind, r.tag, r.body, r.body_len) != 0 ||
        memcmp(out, in, len) != 0)
        abort();
    free(out);
    if (r.kind == INTAKE_ST_OK) s_reply(r.body, r.body_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_request(data, size);
    s_response(data, size);
    return 0;
}
