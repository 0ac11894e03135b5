/* fuzz_result: result_receipt_decode and result_stmt_decode on any bytes, as a
 * client reads a server's receipt and anyone reads a server's signed result.
 * Checks: decoders return 0 or ERR_PARSE and leave *out NULL on refusal; when
 * one accepts, re-encoding reproduces the input byte for byte (abort()
 * otherwise); verification against the server key of the seeds runs without
 * fault, and a verified statement is accepted by result_accept with t = 0 and
 * also when two servers' copies agree. */
#include <stdlib.h>
#include <string.h>
#include "protocols/result.h"
#include "tests/fuzz/util.h"

static uint8_t s_pk[MPC_MAX_SERVERS][RESULT_PK_LEN];
static uint8_t s_sk[MPC_MAX_SERVERS][RESULT_SK_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    for (int i = 0; i < MPC_MAX_SERVERS; i++) fuzz_sign_keys(s_pk[i], s_sk[i], (char)('1' + i));
    return 0;
}

static void s_receipt(const uint8_t *in, size_t len)
{
    result_receipt r;
    int rc = result_receipt_decode(&r, in, len);
    if (rc != 0) {
        if (rc != ERR_PARSE) abort();
        return;
    }
    if (len > RESULT_RECEIPT_MAX || r.server < 1 || r.server > MPC_MAX_SERVERS) abort();
    uint8_t out[RESULT_RECEIPT_MAX];
    if (result_receipt_encode(out, &r) != len || memcmp(out, in, len) != 0) abort();
    int v = result_receipt_verify(&r, s_pk[r.server - 1]);
    if (v != 0 && v != ERR_CRYPTO) abort();
    if (v == 0 && r.count == 1) {
        /* Deterministic Ed25519: re-signing gives the same signature. */
        result_receipt again = r;
        result_receipt_sign(&again, s_sk[r.server - 1]);
        if (memcmp(again.sig, r.sig, RESULT_SIG_LEN) != 0) abort();
    }
}

static void s_statement(const uint8_t *in, size_t len)
{
    result_stmt *st = (result_stmt *)1;
    int rc = result_stmt_decode(&st, in, len);
    if (rc != 0) {
        if (rc != ERR_PARSE || st != NULL) abort();
        return;
    }
    if (!st || st->server < 1 || st->server > MPC_MAX_SERVERS ||
        st->output_len > RESULT_MAX_OUTPUT || len != RESULT_STMT_FIXED + st->output_len ||
        !st->output || st->output[st->output_len] != 0)
        abort();
    uint8_t *out = NULL;
    size_t olen = 0;
    if (result_stmt_encode(st, &out, &olen) != 0) abort();
    if (olen != len || memcmp(out, in, len) != 0) abort();
    free(out);

    int v = result_stmt_verify(st, s_pk[st->server - 1]);
    if (v != 0 && v != ERR_CRYPTO) abort();

    /* Acceptance over all nine servers' keys: t = 0 accepts exactly a verified
     * statement; a second copy of it never makes it equivocal. */
    const result_stmt *two[2] = { st, st };
    result_verdict vd;
    rc = result_accept(&vd, two, 2, st->sid, (const uint8_t (*)[RESULT_PK_LEN])s_pk,
                       MPC_MAX_SERVERS, 0);
    if (v == 0 ? (rc != 0 || vd.outcome != st || vd.equivocal_mask) : rc != ERR_REFUSED) abort();
    if (strlen(vd.msg) >= sizeof vd.msg) abort();
    result_stmt_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    s_receipt(data, size);
    s_statement(data, size);
    return 0;
}
