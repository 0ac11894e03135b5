/* test_result: receipts and statements (sign/verify, strict decoding, forgery),
 * the inputs hash, and t+1 acceptance. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/secmem.h"
#include "protocols/result.h"

static uint8_t s_pk[MPC_MAX_SERVERS][RESULT_PK_LEN];
static uint8_t s_sk[MPC_MAX_SERVERS][RESULT_SK_LEN];
static uint8_t s_sid[MPC_SID_LEN];

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    for (int i = 0; i < MPC_MAX_SERVERS; i++) crypto_sign_keypair(s_pk[i], s_sk[i]);
    randombytes_buf(s_sid, sizeof s_sid);
}

static void s_teardown(void)
{
    sodium_memzero(s_sk, sizeof s_sk);
}

TestSuite(result, .init = s_setup, .fini = s_teardown, .timeout = 30);

static result_receipt s_receipt(int server)
{
    result_receipt r = { .server = server, .roll = 77, .seq = 0x0102030405060708ull };
    memcpy(r.sid, s_sid, sizeof r.sid);
    randombytes_buf(r.env_hash, sizeof r.env_hash);
    result_receipt_sign(&r, s_sk[server - 1]);
    return r;
}

/* ---- receipts ---- */

Test(result, receipt_round_trip)
{
    result_receipt r = s_receipt(2), d;
    cr_assert_eq(result_receipt_verify(&r, s_pk[1]), 0);
    uint8_t buf[RESULT_RECEIPT_LEN];
    result_receipt_encode(buf, &r);
    cr_assert_eq(result_receipt_decode(&d, buf, sizeof buf), 0);
    cr_assert_eq(d.server, 2);
    cr_assert_eq(d.roll, 77);
    cr_assert_eq(d.seq, 0x0102030405060708ull);
    cr_assert_eq(memcmp(d.sid, s_sid, MPC_SID_LEN), 0);
    cr_assert_eq(memcmp(d.env_hash, r.env_hash, RESULT_HASH_LEN), 0);
    cr_assert_eq(memcmp(d.sig, r.sig, RESULT_SIG_LEN), 0);
    cr_assert_eq(result_receipt_verify(&d, s_pk[1]), 0);
}

Test(result, receipt_forgery_rejected)
{
    result_receipt r = s_receipt(1), d;
    cr_assert_eq(result_receipt_verify(&r, s_pk[2]), ERR_CRYPTO);    /* wrong key */
    uint8_t buf[RESULT_RECEIPT_LEN];
    result_receipt_encode(buf, &r);
    int undecodable = 0, rejected = 0;
    for (size_t pos = 0; pos < sizeof buf; pos++) {
        uint8_t bad[RESULT_RECEIPT_LEN];
        memcpy(bad, buf, sizeof bad);
        bad[pos] ^= 0x04;
        if (result_receipt_decode(&d, bad, sizeof bad) != 0) { undecodable++; continue; }
        cr_assert_eq(result_receipt_verify(&d, s_pk[d.server - 1]), ERR_CRYPTO,
                     "flip at %zu verified", pos);
        rejected++;
    }
    cr_assert_gt(undecodable, 0);
    cr_assert_gt(rejected, 130);   /* 146 bytes, the 6-byte prefix undecodable */
    /* Each field changed in the struct breaks the signature. */
    d = r; d.roll++;
    cr_assert_eq(result_receipt_verify(&d, s_pk[0]), ERR_CRYPTO);
    d = r; d.seq ^= 1;
    cr_assert_eq(result_receipt_verify(&d, s_pk[0]), ERR_CRYPTO);
    d = r; d.server = 2;
    cr_assert_eq(result_receipt_verify(&d, s_pk[0]), ERR_CRYPTO);
    d = r; d.server = 0;
    cr_assert_eq(result_receipt_verify(&d, s_pk[0]), ERR_CRYPTO);
}

Test(result, receipt_decode_strict)
{
    result_receipt r = s_receipt(3), d;
    uint8_t buf[RESULT_RECEIPT_LEN + 1];
    result_receipt_encode(buf, &r);
    for (size_t len = 0; len < RESULT_RECEIPT_LEN; len++)
        cr_assert_eq(result_receipt_decode(&d, buf, len), ERR_PARSE, "len %zu", len);
    cr_assert_eq(result_receipt_decode(&d, buf, RESULT_RECEIPT_LEN + 1), ERR_PARSE);
    cr_assert_eq(result_receipt_decode(&d, NULL, RESULT_RECEIPT_LEN), ERR_PARSE);
    uint8_t bad[RESULT_RECEIPT_LEN];
    static const struct { size_t pos; uint8_t val; } cases[] = {
        { 0, 'X' }, { 3, 'S' }, { 4, 0 }, { 4, 1 }, { 5, 0 }, { 5, 10 }, { 5, 255 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(bad, buf, sizeof bad);
        bad[cases[i].pos] = cases[i].val;
        cr_assert_eq(result_receipt_decode(&d, bad, sizeof bad), ERR_PARSE, "case %zu", i);
    }
    /* A statement is never read as a receipt (magic). */
    memcpy(bad, buf, sizeof bad);
    memcpy(bad, "MPRS", 4);
    cr_assert_eq(result_receipt_decode(&d, bad, sizeof bad), ERR_PARSE);
}

/* A batch of n receipts signed once: each verifies on its own; a changed
 * path, index, count or leaf does not. */
Test(result, batch_receipts_each_verify_with_their_path)
{
    for (size_t n = 1; n <= 19; n++) {
        result_receipt r[19];
        uint8_t tree[64][32], sig[64];
        for (size_t i = 0; i < n; i++) {
            r[i] = (result_receipt){ .server = 2, .roll = (uint32_t)(3 * i), .seq = 100 + i };
            memcpy(r[i].sid, s_sid, 32);
            randombytes_buf(r[i].env_hash, 32);
            result_receipt_leaf(tree[i], r[i].roll, r[i].seq, r[i].env_hash);
        }
        cr_assert_leq(result_merkle_size(n), 64);
        result_merkle_build(tree, n);
        result_merkle_sign(sig, 2, s_sid, (const uint8_t(*)[32])tree, n, s_sk[1]);
        for (size_t i = 0; i < n; i++) {
            result_merkle_path(&r[i], (const uint8_t(*)[32])tree, n, i);
            memcpy(r[i].sig, sig, 64);
            cr_assert_eq(result_receipt_verify(&r[i], s_pk[1]), 0, "n %zu, receipt %zu", n, i);
            uint8_t buf[RESULT_RECEIPT_MAX];
            result_receipt d;
            size_t len = result_receipt_encode(buf, &r[i]);
            cr_assert_eq(len, RESULT_RECEIPT_LEN + 32 * (size_t)r[i].npath);
            cr_assert_eq(result_receipt_decode(&d, buf, len), 0);
            cr_assert_eq(result_receipt_verify(&d, s_pk[1]), 0);
            result_receipt x = r[i];
            x.roll ^= 1;
            cr_assert_neq(result_receipt_verify(&x, s_pk[1]), 0, "another leaf");
            if (n > 1) {
                x = r[i];
                x.index = (uint32_t)((i + 1) % n);
                cr_assert_neq(result_receipt_verify(&x, s_pk[1]), 0, "another index");
                x = r[i];
                if (x.npath) x.path[0][5] ^= 1;
                else x.count++;
                cr_assert_neq(result_receipt_verify(&x, s_pk[1]), 0, "another path");
            }
            x = r[i];
            x.count = (uint32_t)n + 1;
            cr_assert_neq(result_receipt_verify(&x, s_pk[1]), 0, "another count");
        }
    }
}

/* ---- statements ---- */

static const char *s_out = "{\"winning_bid\":42}";

static result_stmt *s_stmt(int server, const char *out, uint64_t acc, uint64_t exc,
                           const uint8_t hash[32])
{
    result_stmt *st = result_stmt_new(server, s_sid, (const uint8_t *)out, strlen(out), acc,
                                      exc, hash);
    cr_assert_not_null(st);
    result_stmt_sign(st, s_sk[server - 1]);
    return st;
}

static uint8_t s_hash[32] = { 1, 2, 3 };

Test(result, statement_round_trip)
{
    result_stmt *st = s_stmt(4, s_out, 17, 2, s_hash), *d = NULL;
    cr_assert_eq(result_stmt_verify(st, s_pk[3]), 0);
    cr_assert_eq(result_stmt_verify(st, s_pk[2]), ERR_CRYPTO);
    uint8_t *buf;
    size_t len;
    cr_assert_eq(result_stmt_encode(st, &buf, &len), 0);
    cr_assert_eq(len, RESULT_STMT_FIXED + strlen(s_out));
    cr_assert_eq(result_stmt_decode(&d, buf, len), 0);
    cr_assert_eq(d->server, 4);
    cr_assert_eq(d->accepted, 17);
    cr_assert_eq(d->excluded, 2);
    cr_assert_eq(d->output_len, strlen(s_out));
    cr_assert_str_eq((const char *)d->output, s_out);
    cr_assert_eq(memcmp(d->sid, s_sid, 32), 0);
    cr_assert_eq(memcmp(d->inputs_hash, s_hash, 32), 0);
    cr_assert_eq(result_stmt_verify(d, s_pk[3]), 0);
    result_stmt_free(&d);
    free(buf);
    result_stmt_free(&st);
    cr_assert_null(st);
    result_stmt_free(&st);

    /* Empty and maximal outputs. */
    st = s_stmt(1, "", 0, 0, s_hash);
    cr_assert_eq(result_stmt_encode(st, &buf, &len), 0);
    cr_assert_eq(len, RESULT_STMT_FIXED);
    cr_assert_eq(result_stmt_decode(&d, buf, len), 0);
    cr_assert_eq(result_stmt_verify(d, s_pk[0]), 0);
    cr_assert_eq(d->output_len, 0);
    result_stmt_free(&d);
    free(buf);
    result_stmt_free(&st);
    char *big = malloc(RESULT_MAX_OUTPUT + 2);
    memset(big, 'x', RESULT_MAX_OUTPUT + 1);
    big[RESULT_MAX_OUTPUT] = 0;
    st = s_stmt(9, big, 1, 1, s_hash);
    cr_assert_eq(result_stmt_encode(st, &buf, &len), 0);
    cr_assert_eq(result_stmt_decode(&d, buf, len), 0);
    cr_assert_eq(result_stmt_verify(d, s_pk[8]), 0);
    result_stmt_free(&d);
    free(buf);
    result_stmt_free(&st);
    cr_assert_null(result_stmt_new(1, s_sid, (const uint8_t *)big, RESULT_MAX_OUTPUT + 1, 0, 0,
                                   s_hash));
    cr_assert_null(result_stmt_new(0, s_sid, (const uint8_t *)"x", 1, 0, 0, s_hash));
    cr_assert_null(result_stmt_new(10, s_sid, (const uint8_t *)"x", 1, 0, 0, s_hash));
    free(big);
}

Test(result, statement_forgery_rejected)
{
    result_stmt *st = s_stmt(2, s_out, 5, 1, s_hash), *d = NULL;
    uint8_t *buf;
    size_t len;
    cr_assert_eq(result_stmt_encode(st, &buf, &len), 0);
    int undecodable = 0, rejected = 0;
    uint8_t *bad = malloc(len);
    for (size_t pos = 0; pos < len; pos++) {
        memcpy(bad, buf, len);
        bad[pos] ^= 0x80;
        if (result_stmt_decode(&d, bad, len) != 0) { cr_assert_null(d); undecodable++; continue; }
        cr_assert_eq(result_stmt_verify(d, s_pk[d->server - 1]), ERR_CRYPTO, "flip at %zu", pos);
        result_stmt_free(&d);
        rejected++;
    }
    cr_assert_gt(undecodable, 0);
    cr_assert_gt(rejected, (int)len / 2);
    free(bad);
    /* Changing the output in the struct breaks the signature. */
    uint8_t saved = st->output[9];
    st->output[9] ^= 1;
    cr_assert_eq(result_stmt_verify(st, s_pk[1]), ERR_CRYPTO);
    st->output[9] = saved;
    cr_assert_eq(result_stmt_verify(st, s_pk[1]), 0);
    st->accepted++;
    cr_assert_eq(result_stmt_verify(st, s_pk[1]), ERR_CRYPTO);
    st->accepted--;
    st->output_len = RESULT_MAX_OUTPUT + 1;   /* out of range: refused, never read */
    cr_assert_eq(result_stmt_verify(st, s_pk[1]), ERR_CRYPTO);
    uint8_t *b2;
    size_t l2;
    cr_assert_eq(result_stmt_encode(st, &b2, &l2), ERR_ARG);
    cr_assert_null(b2);
    st->output_len = strlen(s_out);
    free(buf);
    result_stmt_free(&st);
}

Test(result, statement_decode_strict)
{
    result_stmt *st = s_stmt(3, s_out, 5, 1, s_hash), *d = NULL;
    uint8_t *buf;
    size_t len;
    cr_assert_eq(result_stmt_encode(st, &buf, &len), 0);
    for (size_t cut = 0; cut < len; cut++) {
        cr_assert_eq(result_stmt_decode(&d, buf, cut), ERR_PARSE, "truncated to %zu", cut);
        cr_assert_null(d);
    }
    uint8_t *ext = malloc(len + 8);
    memcpy(ext, buf, len);
    memset(ext + len, 0, 8);
    for (size_t extra = 1; extra <= 8; extra++)
        cr_assert_eq(result_stmt_decode(&d, ext, len + extra), ERR_PARSE);
    /* Length field lies: larger, smaller, huge. */
    size_t lpos = 4 + 1 + 1 + 32 + 8 + 8 + 32;
    static const uint32_t lies[] = { 0, 17, 19, 0x10000, 0x10001, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        memcpy(ext, buf, len);
        ext[lpos] = (uint8_t)(lies[i] >> 24);
        ext[lpos + 1] = (uint8_t)(lies[i] >> 16);
        ext[lpos + 2] = (uint8_t)(lies[i] >> 8);
        ext[lpos + 3] = (uint8_t)lies[i];
        cr_assert_eq(result_stmt_decode(&d, ext, len), ERR_PARSE, "length %u", lies[i]);
    }
    memcpy(ext, buf, len);
    ext[5] = 0;
    cr_assert_eq(result_stmt_decode(&d, ext, len), ERR_PARSE);
    ext[5] = 10;
    cr_assert_eq(result_stmt_decode(&d, ext, len), ERR_PARSE);
    memcpy(ext, buf, len);
    ext[4] = 2;
    cr_assert_eq(result_stmt_decode(&d, ext, len), ERR_PARSE);
    memcpy(ext, "MPRC", 4);
    cr_assert_eq(result_stmt_decode(&d, ext, len), ERR_PARSE);
    cr_assert_eq(result_stmt_decode(&d, NULL, len), ERR_PARSE);
    free(ext);
    free(buf);
    result_stmt_free(&st);
}

Test(result, random_bytes_never_crash_decoders)
{
    uint8_t buf[512];
    int ok = 0;
    for (int it = 0; it < 20000; it++) {
        size_t len = randombytes_uniform(sizeof buf + 1);
        randombytes_buf(buf, len);
        if (it & 1 && len >= 6) {      /* plausible prefix: reach the length checks */
            memcpy(buf, it & 2 ? "MPRS" : "MPRC", 4);
            buf[4] = 1;
            buf[5] = (uint8_t)(1 + randombytes_uniform(9));
        }
        result_receipt r;
        result_stmt *st = NULL;
        if (result_receipt_decode(&r, buf, len) == 0) ok++;
        if (result_stmt_decode(&st, buf, len) == 0) { ok++; result_stmt_free(&st); }
        cr_assert_null(st);
    }
    cr_assert_geq(ok, 0);
}

/* ---- inputs hash ---- */

Test(result, inputs_hash_ordered_and_binding)
{
    result_input in[3] = { { .roll = 0, .seq = 1 }, { .roll = 4, .seq = 2 }, { .roll = 9, .seq = 1 } };
    for (int i = 0; i < 3; i++) randombytes_buf(in[i].env_hash, RESULT_HASH_LEN);
    uint8_t h[32], h2[32];
    cr_assert_eq(result_inputs_hash(h, s_sid, in, 3), 0);
    cr_assert_eq(result_inputs_hash(h2, s_sid, in, 3), 0);
    cr_assert_eq(memcmp(h, h2, 32), 0);
    in[1].seq = 3;
    cr_assert_eq(result_inputs_hash(h2, s_sid, in, 3), 0);
    cr_assert_neq(memcmp(h, h2, 32), 0);
    in[1].seq = 2;
    cr_assert_eq(result_inputs_hash(h2, s_sid, in, 2), 0);
    cr_assert_neq(memcmp(h, h2, 32), 0);
    uint8_t other[32];
    memcpy(other, s_sid, 32);
    other[0] ^= 1;
    cr_assert_eq(result_inputs_hash(h2, other, in, 3), 0);
    cr_assert_neq(memcmp(h, h2, 32), 0);
    cr_assert_eq(result_inputs_hash(h2, s_sid, NULL, 0), 0);
    cr_assert_neq(memcmp(h, h2, 32), 0);
    in[2].roll = 4;
    cr_assert_eq(result_inputs_hash(h2, s_sid, in, 3), ERR_ARG);
    in[2].roll = 3;
    cr_assert_eq(result_inputs_hash(h2, s_sid, in, 3), ERR_ARG);
}

/* ---- acceptance ---- */

static void s_free_all(result_stmt **st, size_t k)
{
    for (size_t i = 0; i < k; i++) result_stmt_free(&st[i]);
}

Test(result, accept_t_plus_1_matching)
{
    result_stmt *st[3] = { s_stmt(1, s_out, 3, 0, s_hash), s_stmt(3, s_out, 3, 0, s_hash) };
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 2, s_sid, s_pk, 3, 1), 0,
                 "%s", v.msg);
    cr_assert_not_null(v.outcome);
    cr_assert_str_eq((const char *)v.outcome->output, s_out);
    cr_assert_eq(v.agree, 2);
    cr_assert_eq(v.agree_mask, 0x5);
    cr_assert_eq(v.missing_mask, 0x2);
    cr_assert_eq(v.disagree_mask | v.badsig_mask | v.equivocal_mask, 0);
    cr_assert(strstr(v.msg, "accepted") != NULL, "%s", v.msg);
    cr_assert(strstr(v.msg, "missing 2") != NULL, "%s", v.msg);
    s_free_all(st, 3);
}

Test(result, refuse_t_matching)
{
    result_stmt *st[1] = { s_stmt(2, s_out, 3, 0, s_hash) };
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 1, s_sid, s_pk, 3, 1),
                 ERR_REFUSED);
    cr_assert_null(v.outcome);
    cr_assert_eq(v.agree, 1);
    cr_assert(strstr(v.msg, "refused") != NULL, "%s", v.msg);
    cr_assert_eq(result_accept(&v, NULL, 0, s_sid, s_pk, 3, 1), ERR_REFUSED);
    cr_assert_eq(v.missing_mask, 0x7);
    s_free_all(st, 1);
}

Test(result, mismatching_statement_reported)
{
    uint8_t other_hash[32] = { 9 };
    result_stmt *st[5] = {
        s_stmt(1, s_out, 3, 0, s_hash),
        s_stmt(2, "{\"winning_bid\":43}", 3, 0, s_hash),
        s_stmt(3, s_out, 3, 0, s_hash),
    };
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1), 0);
    cr_assert_eq(v.agree_mask, 0x5);
    cr_assert_eq(v.disagree_mask, 0x2);
    cr_assert(strstr(v.msg, "disagreeing 2") != NULL, "%s", v.msg);
    /* Differences in each field count as disagreement. */
    result_stmt_free(&st[1]);
    st[1] = s_stmt(2, s_out, 4, 0, s_hash);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1), 0);
    cr_assert_eq(v.disagree_mask, 0x2);
    result_stmt_free(&st[1]);
    st[1] = s_stmt(2, s_out, 3, 1, s_hash);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1), 0);
    cr_assert_eq(v.disagree_mask, 0x2);
    result_stmt_free(&st[1]);
    st[1] = s_stmt(2, s_out, 3, 0, other_hash);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1), 0);
    cr_assert_eq(v.disagree_mask, 0x2);
    /* Only one of the two remaining agrees with each side: refused. */
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 2, s_sid, s_pk, 3, 1),
                 ERR_REFUSED);
    cr_assert_null(v.outcome);
    s_free_all(st, 5);
}

Test(result, duplicate_server_counted_once)
{
    result_stmt *st[4] = { s_stmt(1, s_out, 3, 0, s_hash), s_stmt(1, s_out, 3, 0, s_hash),
                           s_stmt(1, s_out, 3, 0, s_hash) };
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1),
                 ERR_REFUSED);
    cr_assert_eq(v.agree, 1);
    /* The same pointer repeated too. */
    const result_stmt *same[3] = { st[0], st[0], st[0] };
    cr_assert_eq(result_accept(&v, same, 3, s_sid, s_pk, 5, 2), ERR_REFUSED);
    cr_assert_eq(v.agree, 1);
    st[3] = s_stmt(2, s_out, 3, 0, s_hash);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 4, s_sid, s_pk, 3, 1), 0);
    cr_assert_eq(v.agree, 2);
    s_free_all(st, 4);
}

Test(result, bad_signature_not_counted)
{
    result_stmt *st[3] = { s_stmt(1, s_out, 3, 0, s_hash), s_stmt(2, s_out, 3, 0, s_hash),
                           s_stmt(3, s_out, 3, 0, s_hash) };
    st[1]->sig[0] ^= 1;
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 2, s_sid, s_pk, 3, 1),
                 ERR_REFUSED);
    cr_assert_eq(v.badsig_mask, 0x2);
    cr_assert(strstr(v.msg, "bad signature 2") != NULL, "%s", v.msg);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1), 0);
    cr_assert_eq(v.agree_mask, 0x5);
    cr_assert_eq(v.badsig_mask, 0x2);
    /* Server 3's statement signed by server 1's key: a forgery for index 3. */
    result_stmt_free(&st[2]);
    st[2] = result_stmt_new(3, s_sid, (const uint8_t *)s_out, strlen(s_out), 3, 0, s_hash);
    result_stmt_sign(st[2], s_sk[0]);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1),
                 ERR_REFUSED);
    cr_assert_eq(v.badsig_mask, 0x6);
    s_free_all(st, 3);
}

Test(result, equivocating_server_excluded)
{
    result_stmt *st[3] = { s_stmt(1, s_out, 3, 0, s_hash), s_stmt(1, "{\"winning_bid\":1}", 3, 0, s_hash),
                           s_stmt(2, s_out, 3, 0, s_hash) };
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 1),
                 ERR_REFUSED);
    cr_assert_eq(v.equivocal_mask, 0x1);
    cr_assert_eq(v.agree, 1);
    cr_assert(strstr(v.msg, "equivocating 1") != NULL, "%s", v.msg);
    s_free_all(st, 3);
}

Test(result, two_outcomes_reaching_threshold_is_cheating)
{
    result_stmt *st[4] = { s_stmt(1, s_out, 3, 0, s_hash), s_stmt(2, s_out, 3, 0, s_hash),
                           s_stmt(3, "{}", 3, 0, s_hash), s_stmt(4, "{}", 3, 0, s_hash) };
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 4, s_sid, s_pk, 5, 1),
                 ERR_CHEAT);
    cr_assert_null(v.outcome);
    cr_assert(strstr(v.msg, "conflict") != NULL, "%s", v.msg);
    s_free_all(st, 4);
}

Test(result, other_session_and_bad_arguments)
{
    uint8_t other[32];
    memcpy(other, s_sid, 32);
    other[5] ^= 1;
    result_stmt *st[3] = { s_stmt(1, s_out, 3, 0, s_hash), s_stmt(2, s_out, 3, 0, s_hash),
                           s_stmt(3, s_out, 3, 0, s_hash) };
    result_verdict v;
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, other, s_pk, 3, 1),
                 ERR_REFUSED);
    cr_assert_eq(v.ignored, 3);
    /* A server index beyond n is ignored. */
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 2, 0), 0);
    cr_assert_eq(v.ignored, 1);
    cr_assert_eq(v.agree, 2);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 0, 0), ERR_ARG);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 10, 1), ERR_ARG);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, 3), ERR_ARG);
    cr_assert_eq(result_accept(&v, (const result_stmt *const *)st, 3, s_sid, s_pk, 3, -1), ERR_ARG);
    const result_stmt *withnull[2] = { NULL, st[0] };
    cr_assert_eq(result_accept(&v, withnull, 2, s_sid, s_pk, 1, 0), 0);
    cr_assert_eq(v.ignored, 1);
    s_free_all(st, 3);
}

/* Every (n, t) with 2t < n: t+1 matching statements accept, t refuse, and with
 * every other server disagreeing the outcome is still the t+1 group when the
 * others split. */
static void s_sweep(int n, int t)
{
    result_stmt *st[MPC_MAX_SERVERS] = { 0 };
    for (int i = 0; i < n; i++) st[i] = s_stmt(i + 1, s_out, 7, 1, s_hash);
    result_verdict v;
    int rc = result_accept(&v, (const result_stmt *const *)st, (size_t)t + 1, s_sid, s_pk, n, t);
    cr_assert_eq(rc, 0, "n %d t %d: %s", n, t, v.msg);
    cr_assert_eq(v.agree, t + 1);
    rc = result_accept(&v, (const result_stmt *const *)st, (size_t)t, s_sid, s_pk, n, t);
    cr_assert_eq(rc, ERR_REFUSED, "n %d t %d", n, t);
    /* The others each sign a distinct wrong output: t+1 honest still win. */
    for (int i = t + 1; i < n; i++) {
        char out[32];
        snprintf(out, sizeof out, "{\"wrong\":%d}", i);
        result_stmt_free(&st[i]);
        st[i] = s_stmt(i + 1, out, 7, 1, s_hash);
    }
    rc = result_accept(&v, (const result_stmt *const *)st, (size_t)n, s_sid, s_pk, n, t);
    if (t == 0 && n > 1) {
        cr_assert_eq(rc, ERR_CHEAT);       /* every single signature "reaches" t+1 = 1 */
    } else {
        cr_assert_eq(rc, 0, "n %d t %d: %s", n, t, v.msg);
        cr_assert_eq(v.agree, t + 1);
        cr_assert_eq(__builtin_popcount(v.disagree_mask), n - t - 1);
    }
    s_free_all(st, (size_t)n);
}

Test(result, threshold_sweep)
{
    for (int n = 1; n <= MPC_MAX_SERVERS; n++)
        for (int t = 0; 2 * t < n; t++) s_sweep(n, t);
}
