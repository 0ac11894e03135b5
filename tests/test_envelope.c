/* test_envelope: sealed envelopes (seal, parse, verify, open; strict parsing,
 * tampering, wrong keys and slots, elements not below p), the known-answer
 * vectors another implementation (the browser client, libsodium.js) is checked
 * against (tests/vectors/envelope.tsv), and the intake request/response framing.
 *
 * The format is pinned here independently of envelope.c: the boxes are rebuilt
 * by hand from the documented derivation (s_doc_box). In libsodium.js terms:
 *   epk     = crypto_scalarmult_base(esk)
 *   nonce_i = crypto_generichash(24, epk || pk_i || [i], "mpc-envelope-v1")
 *             (BLAKE2b-192 keyed with the 15 ASCII bytes, i = 1..n as one byte)
 *   box_i   = crypto_box_easy(plain_i, nonce_i, pk_i, esk), plain_i = server i's
 *             m shares, each big-endian in exactly width = ceil(bits(p) / 8) bytes
 *   sig     = crypto_sign_detached(every byte before it, signer sk)
 *   hash    = crypto_generichash(32, whole envelope)        (no key)
 * and the header as in protocols/envelope.h. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/bytes.h"
#include "common/secmem.h"
#include "protocols/envelope.h"
#include "protocols/intake.h"
#include "protocols/shamir.h"

enum { S_F89, S_F127, S_NF };

static field s_F[S_NF];
static uint8_t s_pk[MPC_MAX_SERVERS][32], s_sk[MPC_MAX_SERVERS][32];   /* X25519 */
static uint8_t s_sign_pk[32], s_sign_sk[64], s_other_pk[32], s_other_sk[64];
static uint8_t s_sid[MPC_SID_LEN];

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    cr_assert_eq(field_init_default(&s_F[S_F89], 32, 40), 0);
    cr_assert_eq(s_F[S_F89].bits, 89);
    cr_assert_eq(field_init_str(&s_F[S_F127], "2^127-1"), 0);
    cr_assert_eq(s_F[S_F127].bytes, 16);
    for (int i = 0; i < MPC_MAX_SERVERS; i++) crypto_box_keypair(s_pk[i], s_sk[i]);
    crypto_sign_keypair(s_sign_pk, s_sign_sk);
    crypto_sign_keypair(s_other_pk, s_other_sk);
    randombytes_buf(s_sid, sizeof s_sid);
}

static void s_teardown(void)
{
    sodium_memzero(s_sk, sizeof s_sk);
    sodium_memzero(s_sign_sk, sizeof s_sign_sk);
    sodium_memzero(s_other_sk, sizeof s_other_sk);
}

TestSuite(envelope, .init = s_setup, .fini = s_teardown, .timeout = 120);

#define S_PKS ((const uint8_t(*)[32])s_pk)

/* One sealed envelope of random shares, with a spare byte after it. */
typedef struct sample {
    const field *F;
    int n;
    uint32_t m;
    fe *shares;                    /* n * m, server i's at (i-1)*m */
    uint8_t *env;
    size_t len;
} sample;

static sample s_seal(int f, int n, uint32_t m)
{
    sample s = { .F = &s_F[f], .n = n, .m = m };
    s.len = envelope_len(n, m, s.F->bytes);
    cr_assert_gt(s.len, 0);
    s.shares = malloc((size_t)n * m * sizeof *s.shares);
    s.env = calloc(1, s.len + 1);
    cr_assert(s.shares && s.env);
    field_rand(s.F, s.shares, (size_t)n * m);
    cr_assert_eq(envelope_seal(s.env, s.F, n, S_PKS, s_sid, 41, 7, s.shares, m, s_sign_sk), 0);
    return s;
}

static void s_free(sample *s)
{
    free(s->shares);
    free(s->env);
}

/* Re-sign bytes edited after sealing, so only the edit is under test. */
static void s_resign(uint8_t *env, size_t len, const uint8_t sk[64])
{
    crypto_sign_detached(env + len - ENV_SIG, NULL, env, len - ENV_SIG, sk);
}

static void s_be_fe(uint8_t *out, fe v, size_t width)
{
    for (size_t i = 0; i < width; i++) out[width - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* Box i exactly as envelope.h documents it (see the top of this file). */
static void s_doc_box(uint8_t *box, const uint8_t *plain, size_t plen, const uint8_t epk[32],
                      const uint8_t pk[32], const uint8_t esk[32], int i)
{
    uint8_t in[65], nonce[crypto_box_NONCEBYTES], k[crypto_box_BEFORENMBYTES];
    memcpy(in, epk, 32);
    memcpy(in + 32, pk, 32);
    in[64] = (uint8_t)i;
    static const char key[] = "mpc-envelope-v1";
    crypto_generichash(nonce, sizeof nonce, in, sizeof in, (const uint8_t *)key, sizeof key - 1);
    cr_assert_eq(crypto_box_beforenm(k, pk, esk), 0);
    cr_assert_eq(crypto_box_easy_afternm(box, plain, plen, nonce, k), 0);
    sodium_memzero(k, sizeof k);
}

static uint8_t *s_box_at(uint8_t *env, const field *F, uint32_t m, int i)
{
    return env + ENV_HDR + (size_t)(i - 1) * ((size_t)m * F->bytes + ENV_BOX_EXTRA);
}

/* ---- seal, parse, verify, open ---- */

struct env_case {
    int f, n;
    uint32_t m;
};

ParameterizedTestParameters(envelope, every_server_opens_exactly_its_own_box)
{
    static struct env_case c[] = {
        { S_F89, 3, 1 },  { S_F89, 3, 33 },  { S_F89, 5, 1 },  { S_F89, 5, 33 },
        { S_F127, 3, 1 }, { S_F127, 3, 33 }, { S_F127, 5, 1 }, { S_F127, 5, 33 },
    };
    return cr_make_param_array(struct env_case, c, sizeof c / sizeof c[0]);
}

ParameterizedTest(struct env_case *c, envelope, every_server_opens_exactly_its_own_box)
{
    sample s = s_seal(c->f, c->n, c->m);
    const field *F = s.F;
    envelope e;
    cr_assert_eq(envelope_parse(&e, s.env, s.len), 0);
    cr_assert_eq(e.n, c->n);
    cr_assert_eq((size_t)e.width, F->bytes);
    cr_assert_eq(e.m, c->m);
    cr_assert_eq(e.roll, 41);
    cr_assert_eq(e.seq, 7);
    cr_assert_eq(memcmp(e.sid, s_sid, MPC_SID_LEN), 0);
    cr_assert(e.epk == s.env + 56 && e.boxes == s.env + ENV_HDR);
    cr_assert(e.sig == s.env + s.len - ENV_SIG && e.len == s.len);
    cr_assert_eq(envelope_verify(&e, s_sign_pk), 0);

    fe *out = malloc(c->m * sizeof *out);
    uint8_t *scratch = malloc(c->m * F->bytes);
    cr_assert(out && scratch);
    /* Every slot against every key, including keys of servers not in it. */
    for (int slot = 1; slot <= c->n; slot++) {
        for (int key = 0; key < MPC_MAX_SERVERS; key++) {
            memset(scratch, 0xa5, c->m * F->bytes);
            int rc = envelope_open(&e, F, slot, s_pk[key], s_sk[key], out, scratch);
            for (size_t b = 0; b < c->m * F->bytes; b++)
                cr_assert_eq(scratch[b], 0, "scratch not wiped (slot %d key %d)", slot, key + 1);
            if (key != slot - 1) {
                cr_assert_eq(rc, ERR_CRYPTO, "slot %d opened with key %d", slot, key + 1);
                continue;
            }
            cr_assert_eq(rc, 0, "slot %d", slot);
            cr_assert_eq(memcmp(out, s.shares + (size_t)(slot - 1) * c->m, c->m * sizeof *out), 0);
        }
    }
    cr_assert_eq(envelope_open(&e, F, 0, s_pk[0], s_sk[0], out, scratch), ERR_ARG);
    cr_assert_eq(envelope_open(&e, F, c->n + 1, s_pk[c->n], s_sk[c->n], out, scratch), ERR_ARG);
    free(out);
    free(scratch);
    s_free(&s);
}

Test(envelope, len_bounds)
{
    cr_assert_eq(envelope_len(3, 1, 12), ENV_HDR + 3 * (12 + ENV_BOX_EXTRA) + ENV_SIG);
    cr_assert_gt(envelope_len(MPC_MAX_SERVERS, ENV_MAX_M, 16), 0);
    cr_assert_gt(envelope_len(1, 1, 1), 0);
    cr_assert_eq(envelope_len(0, 1, 12), 0);
    cr_assert_eq(envelope_len(MPC_MAX_SERVERS + 1, 1, 12), 0);
    cr_assert_eq(envelope_len(3, 0, 12), 0);
    cr_assert_eq(envelope_len(3, ENV_MAX_M + 1, 12), 0);
    cr_assert_eq(envelope_len(3, 1, 0), 0);
    cr_assert_eq(envelope_len(3, 1, 17), 0);
    uint8_t out[1];
    fe sh[1] = { 1 };
    cr_assert_eq(envelope_seal(out, &s_F[S_F89], 0, S_PKS, s_sid, 0, 1, sh, 1, s_sign_sk), ERR_ARG);
    cr_assert_eq(envelope_seal(out, &s_F[S_F89], 1, S_PKS, s_sid, 0, 1, sh, 0, s_sign_sk), ERR_ARG);
}

/* ---- strict parsing ---- */

Test(envelope, parse_refuses_every_truncation_and_extension)
{
    static const struct env_case c[] = { { S_F89, 3, 1 }, { S_F127, 5, 33 } };
    for (size_t k = 0; k < 2; k++) {
        sample s = s_seal(c[k].f, c[k].n, c[k].m);
        for (size_t len = 0; len <= s.len + 1; len++) {
            /* An exact-size copy, so a read past the end is a sanitizer error. */
            uint8_t *b = malloc(len ? len : 1);
            cr_assert_not_null(b);
            memcpy(b, s.env, len <= s.len ? len : s.len + 1);
            envelope e;
            int rc = envelope_parse(&e, b, len);
            cr_assert_eq(rc, len == s.len ? 0 : ERR_PARSE, "length %zu of %zu", len, s.len);
            free(b);
        }
        s_free(&s);
    }
}

/* A zero-filled buffer with a header claiming (n, width, m), as long as that
 * header says, whether or not the values are allowed. */
static uint8_t *s_shaped(size_t *len, int n, int width, uint32_t m)
{
    *len = ENV_HDR + (size_t)n * ((size_t)m * (size_t)width + ENV_BOX_EXTRA) + ENV_SIG;
    uint8_t *b = calloc(1, *len);
    cr_assert_not_null(b);
    memcpy(b, "MPEV", 4);
    b[4] = ENV_VERSION;
    b[5] = (uint8_t)n;
    b[6] = (uint8_t)width;
    be_put32(b + 52, m);
    return b;
}

static int s_parse_shaped(int n, int width, uint32_t m)
{
    size_t len;
    uint8_t *b = s_shaped(&len, n, width, m);
    envelope e;
    int rc = envelope_parse(&e, b, len);
    free(b);
    return rc;
}

Test(envelope, parse_refuses_bad_header_fields)
{
    /* Limits accepted (the parser does not look at the boxes or signature). */
    cr_assert_eq(s_parse_shaped(3, 12, 1), 0);
    cr_assert_eq(s_parse_shaped(1, 1, 1), 0);
    cr_assert_eq(s_parse_shaped(MPC_MAX_SERVERS, 16, 2), 0);
    cr_assert_eq(s_parse_shaped(1, 1, ENV_MAX_M), 0);
    /* Each out of range, with the length that value would need. */
    cr_assert_eq(s_parse_shaped(0, 12, 1), ERR_PARSE);
    cr_assert_eq(s_parse_shaped(MPC_MAX_SERVERS + 1, 12, 1), ERR_PARSE);
    cr_assert_eq(s_parse_shaped(3, 0, 1), ERR_PARSE);
    cr_assert_eq(s_parse_shaped(3, 17, 1), ERR_PARSE);
    cr_assert_eq(s_parse_shaped(3, 12, 0), ERR_PARSE);
    cr_assert_eq(s_parse_shaped(1, 1, ENV_MAX_M + 1), ERR_PARSE);

    size_t len;
    uint8_t *b = s_shaped(&len, 3, 12, 1);
    envelope e;
    for (int i = 0; i < 4; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            cr_assert_eq(envelope_parse(&e, b, len), ERR_PARSE, "magic byte %d", i);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    static const uint8_t versions[] = { 0, ENV_VERSION + 1, 0xff };
    for (size_t i = 0; i < sizeof versions; i++) {
        b[4] = versions[i];
        cr_assert_eq(envelope_parse(&e, b, len), ERR_PARSE, "version %u", versions[i]);
    }
    b[4] = ENV_VERSION;
    for (int bit = 0; bit < 8; bit++) {
        b[7] = (uint8_t)(1u << bit);
        cr_assert_eq(envelope_parse(&e, b, len), ERR_PARSE, "reserved 0x%02x", b[7]);
    }
    b[7] = 0;
    cr_assert_eq(envelope_parse(&e, b, len), 0);
    free(b);
}

/* ---- tampering and keys ---- */

Test(envelope, any_byte_flip_fails_parse_or_verify)
{
    static const struct env_case c[] = { { S_F89, 3, 1 }, { S_F127, 5, 33 } };
    static const uint8_t masks[] = { 0x01, 0x80, 0xff };
    for (size_t k = 0; k < 2; k++) {
        sample s = s_seal(c[k].f, c[k].n, c[k].m);
        int unparsable = 0, rejected = 0;
        for (size_t pos = 0; pos < s.len; pos++) {
            for (size_t mi = 0; mi < sizeof masks; mi++) {
                s.env[pos] ^= masks[mi];
                envelope e;
                if (envelope_parse(&e, s.env, s.len) != 0) {
                    unparsable++;
                } else {
                    cr_assert_eq(envelope_verify(&e, s_sign_pk), ERR_CRYPTO,
                                 "flip 0x%02x at %zu verified", masks[mi], pos);
                    rejected++;
                }
                s.env[pos] ^= masks[mi];
            }
        }
        /* magic, version, n, width, reserved and m: 12 bytes, 3 masks each */
        cr_assert_eq(unparsable, 12 * 3);
        cr_assert_eq(rejected, (int)(s.len - 12) * 3);
        s_free(&s);
    }
}

Test(envelope, another_signer_fails_verify)
{
    sample s = s_seal(S_F89, 3, 2);
    envelope e;
    cr_assert_eq(envelope_parse(&e, s.env, s.len), 0);
    cr_assert_eq(envelope_verify(&e, s_other_pk), ERR_CRYPTO);
    s_resign(s.env, s.len, s_other_sk);
    cr_assert_eq(envelope_verify(&e, s_other_pk), 0);
    cr_assert_eq(envelope_verify(&e, s_sign_pk), ERR_CRYPTO);
    memset(s.env + s.len - ENV_SIG, 0, ENV_SIG);
    cr_assert_eq(envelope_verify(&e, s_sign_pk), ERR_CRYPTO);
    cr_assert_eq(envelope_verify(&e, s_other_pk), ERR_CRYPTO);
    s_free(&s);
}

/* A damaged box or ephemeral key that someone re-signed (the client itself,
 * say) does not open: the box MAC, not only the signature, protects it. */
Test(envelope, damaged_box_resigned_does_not_open)
{
    sample s = s_seal(S_F89, 3, 4);
    const field *F = s.F;
    fe out[4];
    uint8_t scratch[4 * 16];
    envelope e;
    s_box_at(s.env, F, 4, 2)[5] ^= 1;
    s_resign(s.env, s.len, s_sign_sk);
    cr_assert_eq(envelope_parse(&e, s.env, s.len), 0);
    cr_assert_eq(envelope_verify(&e, s_sign_pk), 0);
    cr_assert_eq(envelope_open(&e, F, 1, s_pk[0], s_sk[0], out, scratch), 0);
    cr_assert_eq(envelope_open(&e, F, 2, s_pk[1], s_sk[1], out, scratch), ERR_CRYPTO);
    cr_assert_eq(envelope_open(&e, F, 3, s_pk[2], s_sk[2], out, scratch), 0);
    s.env[56] ^= 0x40;   /* the ephemeral public key: no box opens */
    s_resign(s.env, s.len, s_sign_sk);
    for (int i = 1; i <= 3; i++)
        cr_assert_eq(envelope_open(&e, F, i, s_pk[i - 1], s_sk[i - 1], out, scratch), ERR_CRYPTO);
    s_free(&s);
}

Test(envelope, width_mismatch_is_err_arg)
{
    sample s = s_seal(S_F89, 3, 2), t = s_seal(S_F127, 3, 2);
    fe out[2];
    uint8_t scratch[2 * 16];
    envelope e;
    cr_assert_eq(envelope_parse(&e, s.env, s.len), 0);
    cr_assert_eq(envelope_open(&e, &s_F[S_F127], 1, s_pk[0], s_sk[0], out, scratch), ERR_ARG);
    cr_assert_eq(envelope_parse(&e, t.env, t.len), 0);
    cr_assert_eq(envelope_open(&e, &s_F[S_F89], 1, s_pk[0], s_sk[0], out, scratch), ERR_ARG);
    s_free(&s);
    s_free(&t);
}

/* ---- the documented layout, and elements not below p ---- */

static void s_check_layout(const sample *s, const uint8_t esk[32])
{
    const uint8_t *b = s->env;
    size_t w = s->F->bytes, plen = s->m * w;
    cr_assert_eq(memcmp(b, "MPEV", 4), 0);
    cr_assert(b[4] == 1 && b[5] == s->n && b[6] == (uint8_t)w && b[7] == 0);
    cr_assert_eq(memcmp(b + 8, s_sid, 32), 0);
    cr_assert(be_get32(b + 40) == 41 && be_get64(b + 44) == 7 && be_get32(b + 52) == s->m);
    uint8_t epk[32];
    crypto_scalarmult_base(epk, esk);
    cr_assert_eq(memcmp(b + 56, epk, 32), 0);
    uint8_t *plain = malloc(plen), *box = malloc(plen + ENV_BOX_EXTRA);
    cr_assert(plain && box);
    for (int i = 1; i <= s->n; i++) {
        for (uint32_t j = 0; j < s->m; j++)
            s_be_fe(plain + j * w, s->shares[(size_t)(i - 1) * s->m + j], w);
        s_doc_box(box, plain, plen, epk, s_pk[i - 1], esk, i);
        cr_assert_eq(memcmp(box, s_box_at(s->env, s->F, s->m, i), plen + ENV_BOX_EXTRA), 0,
                     "box %d", i);
    }
    cr_assert_eq(crypto_sign_verify_detached(b + s->len - ENV_SIG, b, s->len - ENV_SIG, s_sign_pk),
                 0);
    free(plain);
    free(box);
}

Test(envelope, bytes_follow_the_documented_layout)
{
    for (int f = 0; f < S_NF; f++) {
        uint8_t esk[32];
        randombytes_buf(esk, sizeof esk);
        sample s = s_seal(f, 3, 5);
        cr_assert_eq(envelope_seal_eph(s.env, s.F, 3, S_PKS, s_sid, 41, 7, s.shares, 5, s_sign_sk,
                                       esk), 0);
        s_check_layout(&s, esk);
        s_free(&s);
    }
}

/* Box i replaced by plaintext elements v (already as wide integers, not
 * reduced), sealed by hand and re-signed: what a broken client might send. */
static void s_forge_box(sample *s, const uint8_t esk[32], int i, const fe *v)
{
    size_t w = s->F->bytes;
    uint8_t plain[4 * 16], epk[32];
    cr_assert_leq(s->m, 4);
    for (uint32_t j = 0; j < s->m; j++) s_be_fe(plain + j * w, v[j], w);
    crypto_scalarmult_base(epk, esk);
    s_doc_box(s_box_at(s->env, s->F, s->m, i), plain, s->m * w, epk, s_pk[i - 1], esk, i);
    s_resign(s->env, s->len, s_sign_sk);
}

Test(envelope, element_not_below_p_is_err_range)
{
    for (int f = 0; f < S_NF; f++) {
        const field *F = &s_F[f];
        fe top = F->bytes == 16 ? ~(fe)0 : ((fe)1 << (8 * F->bytes)) - 1;
        uint8_t esk[32];
        randombytes_buf(esk, sizeof esk);
        sample s = s_seal(f, 3, 2);
        cr_assert_eq(envelope_seal_eph(s.env, F, 3, S_PKS, s_sid, 41, 7, s.shares, 2, s_sign_sk,
                                       esk), 0);
        const fe edge[2] = { F->p - 1, 0 }, at_p[2] = { 1, F->p }, max[2] = { top, 2 };
        s_forge_box(&s, esk, 1, edge);
        s_forge_box(&s, esk, 2, at_p);
        s_forge_box(&s, esk, 3, max);
        envelope e;
        fe out[2];
        uint8_t scratch[2 * 16];
        cr_assert_eq(envelope_parse(&e, s.env, s.len), 0);
        cr_assert_eq(envelope_verify(&e, s_sign_pk), 0);
        cr_assert_eq(envelope_open(&e, F, 1, s_pk[0], s_sk[0], out, scratch), 0);
        cr_assert(out[0] == F->p - 1 && out[1] == 0);
        cr_assert_eq(envelope_open(&e, F, 2, s_pk[1], s_sk[1], out, scratch), ERR_RANGE);
        cr_assert_eq(envelope_open(&e, F, 3, s_pk[2], s_sk[2], out, scratch), ERR_RANGE);
        for (size_t b = 0; b < 2 * F->bytes; b++) cr_assert_eq(scratch[b], 0);   /* wiped */
        s_free(&s);
    }
}

Test(envelope, hash_is_blake2b_256_of_the_bytes)
{
    sample s = s_seal(S_F89, 3, 1);
    uint8_t h[ENV_HASH_LEN], want[32];
    envelope_hash(h, s.env, s.len);
    crypto_generichash(want, sizeof want, s.env, s.len, NULL, 0);
    cr_assert_eq(memcmp(h, want, 32), 0);
    s.env[s.len - 1] ^= 1;   /* the signature is hashed too */
    envelope_hash(want, s.env, s.len);
    cr_assert_neq(memcmp(h, want, 32), 0);
    s_free(&s);
}

/* ---- known-answer vectors (tests/vectors/envelope.tsv) ---- */

enum { V_PRIME, V_N, V_T, V_SID, V_ROLL, V_SEQ, V_M, V_SECRETS, V_SHARES, V_SERVER_SK,
       V_SIGN_SEED, V_ESK, V_ENV, V_HASH, V_NCOL };

/* The vector file from the repo root or beside $MPC_BUILD (<repo>/build/...). */
static FILE *s_vectors(void)
{
    static const char *const rel[] = { "tests/vectors/envelope.tsv",
                                       "../tests/vectors/envelope.tsv" };
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(rel[i], "r");
        if (f) return f;
    }
    const char *build = getenv("MPC_BUILD");
    static const char *const up[] = { "/../tests/vectors/envelope.tsv",
                                      "/../../tests/vectors/envelope.tsv",
                                      "/../../../tests/vectors/envelope.tsv" };
    for (size_t i = 0; build && i < 3; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s%s", build, up[i]);
        FILE *f = fopen(p, "r");
        if (f) return f;
    }
    cr_assert_fail("tests/vectors/envelope.tsv not found");
    return NULL;
}

/* Exactly len bytes of hex (a whole column or one comma-separated item). */
static void s_unhex(uint8_t *out, size_t len, const char *hex, size_t hexlen)
{
    size_t got = 0;
    cr_assert_eq(hexlen, 2 * len, "hex of %zu bytes has %zu digits", len, hexlen);
    cr_assert_eq(sodium_hex2bin(out, len, hex, hexlen, NULL, &got, NULL), 0);
    cr_assert_eq(got, len);
}

/* Item k of a comma-separated column, as len bytes. */
static void s_item(uint8_t *out, size_t len, const char *col, int k)
{
    for (int i = 0; i < k; i++) {
        col = strchr(col, ',');
        cr_assert_not_null(col, "item %d missing", k);
        col++;
    }
    s_unhex(out, len, col, strcspn(col, ","));
}

typedef struct vec {
    field F;
    int n, t;
    uint8_t sid[32];
    uint32_t roll, m;
    uint64_t seq;
    fe secrets[8], shares[MPC_MAX_SERVERS * 8];
    uint8_t pk[MPC_MAX_SERVERS][32], sk[MPC_MAX_SERVERS][32];
    uint8_t sign_pk[32], sign_sk[64], esk[32];
    uint8_t env[2048], hash[32];
    size_t len;
} vec;

static void s_vec_elements(const field *F, fe *out, uint32_t m, const char *col, int k)
{
    uint8_t b[8 * 16];
    s_item(b, m * F->bytes, col, k);
    cr_assert_eq(field_decode(F, out, m, b, m * F->bytes), 0);
}

static void s_vec_parse(vec *v, char **col)
{
    mpz_t p;
    mpz_init(p);
    cr_assert_eq(mpz_set_str(p, col[V_PRIME], 16), 0);
    cr_assert_eq(field_init_mpz(&v->F, p), 0);
    mpz_clear(p);
    v->n = atoi(col[V_N]);
    v->t = atoi(col[V_T]);
    v->roll = (uint32_t)strtoul(col[V_ROLL], NULL, 10);
    v->seq = strtoull(col[V_SEQ], NULL, 10);
    v->m = (uint32_t)strtoul(col[V_M], NULL, 10);
    cr_assert(v->n >= 1 && v->n <= MPC_MAX_SERVERS && v->m >= 1 && v->m <= 8);
    s_unhex(v->sid, 32, col[V_SID], strlen(col[V_SID]));
    s_vec_elements(&v->F, v->secrets, v->m, col[V_SECRETS], 0);
    for (int i = 0; i < v->n; i++) {
        s_vec_elements(&v->F, v->shares + (size_t)i * v->m, v->m, col[V_SHARES], i);
        s_item(v->sk[i], 32, col[V_SERVER_SK], i);
        crypto_scalarmult_base(v->pk[i], v->sk[i]);
    }
    uint8_t seed[32];
    s_unhex(seed, 32, col[V_SIGN_SEED], strlen(col[V_SIGN_SEED]));
    crypto_sign_seed_keypair(v->sign_pk, v->sign_sk, seed);
    s_unhex(v->esk, 32, col[V_ESK], strlen(col[V_ESK]));
    v->len = strlen(col[V_ENV]) / 2;
    cr_assert_eq(v->len, envelope_len(v->n, v->m, v->F.bytes));
    cr_assert_leq(v->len, sizeof v->env);
    s_unhex(v->env, v->len, col[V_ENV], strlen(col[V_ENV]));
    s_unhex(v->hash, 32, col[V_HASH], strlen(col[V_HASH]));
}

/* The shares are Shamir shares of degree t of the secrets (points 1..n). */
static void s_vec_shamir(const vec *v)
{
    shamir *S = shamir_new(&v->F, v->n, v->t);
    cr_assert_not_null(S);
    const fe *rows[MPC_MAX_SERVERS];
    for (int i = 0; i < v->n; i++) rows[i] = v->shares + (size_t)i * v->m;
    cr_assert_eq(shamir_check(S, rows, v->t, v->m, NULL), 0);
    fe got[8];
    cr_assert_eq(shamir_reconstruct(S, got, rows, (1u << (v->t + 1)) - 1, v->t, v->m), 0);
    cr_assert_eq(memcmp(got, v->secrets, v->m * sizeof *got), 0);
    shamir_free(&S);
}

static void s_vec_check(const vec *v, int line)
{
    uint8_t out[2048], h[32];
    cr_assert_eq(envelope_seal_eph(out, &v->F, v->n, (const uint8_t(*)[32])v->pk, v->sid, v->roll,
                                   v->seq, v->shares, v->m, v->sign_sk, v->esk), 0);
    for (size_t i = 0; i < v->len; i++)
        cr_assert_eq(out[i], v->env[i], "line %d: byte %zu of %zu differs", line, i, v->len);
    envelope_hash(h, out, v->len);
    cr_assert_eq(memcmp(h, v->hash, 32), 0, "line %d: hash", line);
    envelope e;
    cr_assert_eq(envelope_parse(&e, v->env, v->len), 0);
    cr_assert_eq(envelope_verify(&e, v->sign_pk), 0);
    for (int i = 1; i <= v->n; i++) {
        fe got[8];
        uint8_t scratch[8 * 16];
        cr_assert_eq(envelope_open(&e, &v->F, i, v->pk[i - 1], v->sk[i - 1], got, scratch), 0);
        cr_assert_eq(memcmp(got, v->shares + (size_t)(i - 1) * v->m, v->m * sizeof *got), 0,
                     "line %d: box %d", line, i);
    }
    s_vec_shamir(v);
}

Test(envelope, known_answer_vectors)
{
    FILE *f = s_vectors();
    char *line = NULL;
    size_t cap = 0;
    int rows = 0, lineno = 0;
    vec *v = malloc(sizeof *v);
    cr_assert_not_null(v);
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || line[0] == 0) continue;
        char *col[V_NCOL], *save = NULL;
        int nc = 0;
        for (char *c = strtok_r(line, "\t", &save); c && nc < V_NCOL;
             c = strtok_r(NULL, "\t", &save))
            col[nc++] = c;
        cr_assert_eq(nc, V_NCOL, "line %d: %d columns", lineno, nc);
        memset(v, 0, sizeof *v);
        s_vec_parse(v, col);
        s_vec_check(v, lineno);
        rows++;
    }
    cr_assert_geq(rows, 2);
    sodium_memzero(v, sizeof *v);
    free(v);
    free(line);
    fclose(f);
}

/* ---- the generator of those vectors (MPC_GEN_VECTORS=1; prints lines) ---- */

/* Fixed bytes from a label, so the vector inputs are reproducible. */
static void s_label(uint8_t out[32], int line, const char *what, int k)
{
    char in[96];
    int n = snprintf(in, sizeof in, "mpc envelope vector %d %s %d", line, what, k);
    crypto_generichash(out, 32, (const uint8_t *)in, (size_t)n, NULL, 0);
}

static void s_print_hex(const char *sep, const uint8_t *b, size_t len)
{
    printf("%s", sep);
    for (size_t i = 0; i < len; i++) printf("%02x", b[i]);
}

/* Shares of degree t at points 1..n with coefficients from labels. */
static void s_gen_shares(vec *v, int line)
{
    for (uint32_t j = 0; j < v->m; j++) {
        fe coef[MPC_MAX_SERVERS];
        coef[0] = v->secrets[j];
        for (int k = 1; k <= v->t; k++) {
            uint8_t b[32];
            s_label(b, line, "coefficient", (int)j * 16 + k);
            coef[k] = 0;
            for (int i = 0; i < 16; i++) coef[k] = coef[k] << 8 | b[i];
            coef[k] %= v->F.p;
        }
        for (int x = 1; x <= v->n; x++) {
            fe y = 0;
            for (int k = v->t; k >= 0; k--) y = fe_add(&v->F, fe_mul(&v->F, y, (fe)x), coef[k]);
            v->shares[(size_t)(x - 1) * v->m + j] = y;
        }
    }
}

static void s_gen_line(int line, const char *prime, int n, int t, uint32_t m, uint32_t roll,
                       uint64_t seq)
{
    vec v = { .n = n, .t = t, .m = m, .roll = roll, .seq = seq };
    cr_assert_eq(field_init_str(&v.F, prime), 0);
    s_label(v.sid, line, "sid", 0);
    for (uint32_t j = 0; j < m; j++) v.secrets[j] = (fe)(1000 + 17 * j);
    s_gen_shares(&v, line);
    uint8_t seed[32], b[8 * 16], p[16];
    for (int i = 0; i < n; i++) s_label(v.sk[i], line, "server", i + 1);
    for (int i = 0; i < n; i++) crypto_scalarmult_base(v.pk[i], v.sk[i]);
    s_label(seed, line, "signer", 0);
    crypto_sign_seed_keypair(v.sign_pk, v.sign_sk, seed);
    s_label(v.esk, line, "ephemeral", 0);
    v.len = envelope_len(n, m, v.F.bytes);
    cr_assert_eq(envelope_seal_eph(v.env, &v.F, n, (const uint8_t(*)[32])v.pk, v.sid, roll, seq,
                                   v.shares, m, v.sign_sk, v.esk), 0);
    envelope_hash(v.hash, v.env, v.len);

    s_be_fe(p, v.F.p, v.F.bytes);
    s_print_hex("", p, v.F.bytes);
    printf("\t%d\t%d", n, t);
    s_print_hex("\t", v.sid, 32);
    printf("\t%u\t%llu\t%u", roll, (unsigned long long)seq, m);
    field_encode(&v.F, b, v.secrets, m);
    s_print_hex("\t", b, m * v.F.bytes);
    for (int i = 0; i < n; i++) {
        field_encode(&v.F, b, v.shares + (size_t)i * m, m);
        s_print_hex(i ? "," : "\t", b, m * v.F.bytes);
    }
    for (int i = 0; i < n; i++) s_print_hex(i ? "," : "\t", v.sk[i], 32);
    s_print_hex("\t", seed, 32);
    s_print_hex("\t", v.esk, 32);
    s_print_hex("\t", v.env, v.len);
    s_print_hex("\t", v.hash, 32);
    printf("\n");
}

Test(envelope, generate_vectors)
{
    const char *gen = getenv("MPC_GEN_VECTORS");
    if (!gen || strcmp(gen, "1") != 0) cr_skip_test("set MPC_GEN_VECTORS=1 to print vectors");
    s_gen_line(1, "2^89-1", 3, 1, 1, 0, 1);
    s_gen_line(2, "2^127-1", 5, 2, 3, 41, 0x0102030405060708ull);
    fflush(stdout);
}

/* ---- intake framing ---- */

Test(envelope, intake_round_trip)
{
    static const uint64_t tags[] = { 0, 0x0102030405060708ull, UINT64_MAX };
    static const uint8_t body[5] = { 'M', 'P', 'E', 'V', 9 };
    uint8_t out[INTAKE_HDR + sizeof body];
    intake_msg r;
    for (int kind = INTAKE_SUBMIT; kind <= INTAKE_STATUS; kind++) {
        for (size_t ti = 0; ti < 3; ti++) {
            for (size_t bl = 0; bl <= sizeof body; bl += sizeof body) {
                cr_assert_eq(intake_req_encode(out, kind, tags[ti], body, bl), 0);
                cr_assert_eq(memcmp(out, "MPSQ\x02", 5), 0);
                cr_assert(out[5] == kind && out[6] == 0 && out[7] == 0);
                cr_assert(be_get64(out + 8) == tags[ti] && be_get32(out + 16) == bl);
                cr_assert_eq(intake_req_decode(&r, out, INTAKE_HDR + bl), 0);
                cr_assert(r.kind == kind && r.tag == tags[ti] && r.body_len == bl);
                cr_assert(r.body == out + INTAKE_HDR);
                cr_assert_eq(memcmp(r.body, body, bl), 0);
                cr_assert_eq(intake_resp_decode(&r, out, INTAKE_HDR + bl), ERR_PARSE);
            }
        }
    }
    static const int statuses[] = { INTAKE_ST_OK, INTAKE_ST_UNOPENABLE, 11, 255 };
    for (size_t si = 0; si < 4; si++) {
        cr_assert_eq(intake_resp_encode(out, statuses[si], 77, body, sizeof body), 0);
        cr_assert_eq(memcmp(out, "MPSR\x02", 5), 0);
        cr_assert_eq(intake_resp_decode(&r, out, sizeof out), 0);
        cr_assert(r.kind == statuses[si] && r.tag == 77 && r.body_len == sizeof body);
        cr_assert(r.body == out + INTAKE_HDR);
        cr_assert_eq(intake_req_decode(&r, out, sizeof out), ERR_PARSE);
    }
}

Test(envelope, intake_submit_carries_an_envelope)
{
    sample s = s_seal(S_F89, 3, 33);
    uint8_t *frame = malloc(INTAKE_HDR + s.len);
    cr_assert_not_null(frame);
    cr_assert_eq(intake_req_encode(frame, INTAKE_SUBMIT, 9, s.env, s.len), 0);
    intake_msg r;
    envelope e;
    cr_assert_eq(intake_req_decode(&r, frame, INTAKE_HDR + s.len), 0);
    cr_assert_eq(envelope_parse(&e, r.body, r.body_len), 0);
    cr_assert_eq(envelope_verify(&e, s_sign_pk), 0);
    free(frame);
    s_free(&s);
}

static int s_req_decode_copy(const uint8_t *in, size_t len)
{
    uint8_t *b = malloc(len ? len : 1);
    cr_assert_not_null(b);
    memcpy(b, in, len);
    intake_msg r;
    int rc = intake_req_decode(&r, b, len);
    free(b);
    return rc;
}

Test(envelope, intake_refuses_malformed_frames)
{
    uint8_t f[INTAKE_HDR + 6];
    static const uint8_t body[5] = { 1, 2, 3, 4, 5 };
    cr_assert_eq(intake_req_encode(f, INTAKE_RESULT, 3, body, sizeof body), 0);
    f[sizeof f - 1] = 0;
    for (size_t len = 0; len <= sizeof f; len++)
        cr_assert_eq(s_req_decode_copy(f, len), len == sizeof f - 1 ? 0 : ERR_PARSE, "len %zu",
                     len);
    size_t n = sizeof f - 1;
    for (int i = 0; i < 8; i++) {
        if (i == 5) continue;   /* the kind, below */
        for (int bit = 0; bit < 8; bit++) {
            f[i] ^= (uint8_t)(1u << bit);
            cr_assert_eq(s_req_decode_copy(f, n), ERR_PARSE, "byte %d bit %d", i, bit);
            f[i] ^= (uint8_t)(1u << bit);
        }
    }
    for (int kind = 0; kind < 256; kind++) {
        f[5] = (uint8_t)kind;
        int known = kind >= INTAKE_SUBMIT && kind <= INTAKE_STATUS;
        cr_assert_eq(s_req_decode_copy(f, n), known ? 0 : ERR_PARSE, "kind %d", kind);
    }
    f[5] = INTAKE_RESULT;
    static const uint32_t lies[] = { 0, 4, 6, INTAKE_MAX_BODY, INTAKE_MAX_BODY + 1, UINT32_MAX };
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        be_put32(f + 16, lies[i]);
        cr_assert_eq(s_req_decode_copy(f, n), ERR_PARSE, "body length %u", lies[i]);
    }
}

/* The body limit holds even when the bytes are really there. */
Test(envelope, intake_body_limit)
{
    size_t len = INTAKE_HDR + (size_t)INTAKE_MAX_BODY + 1;
    uint8_t *b = calloc(1, len);   /* untouched pages stay unmapped */
    cr_assert_not_null(b);
    cr_assert_eq(intake_resp_encode(b, INTAKE_ST_OK, 1, NULL, 0), 0);
    intake_msg r;
    be_put32(b + 16, INTAKE_MAX_BODY);
    cr_assert_eq(intake_resp_decode(&r, b, len - 1), 0);
    cr_assert_eq(r.body_len, INTAKE_MAX_BODY);
    be_put32(b + 16, INTAKE_MAX_BODY + 1);
    cr_assert_eq(intake_resp_decode(&r, b, len), ERR_PARSE);
    free(b);
    uint8_t out[INTAKE_HDR];
    cr_assert_eq(intake_req_encode(out, INTAKE_SUBMIT, 0, NULL, INTAKE_MAX_BODY + 1), ERR_ARG);
    cr_assert_eq(intake_req_encode(out, 0, 0, NULL, 0), ERR_ARG);
    cr_assert_eq(intake_req_encode(out, INTAKE_STATUS + 1, 0, NULL, 0), ERR_ARG);
    cr_assert_eq(intake_resp_encode(out, -1, 0, NULL, 0), ERR_ARG);
    cr_assert_eq(intake_resp_encode(out, 256, 0, NULL, 0), ERR_ARG);
    cr_assert_eq(intake_resp_encode(out, 0, 0, NULL, INTAKE_MAX_BODY + 1), ERR_ARG);
}

Test(envelope, intake_status_temporary_only_for_retryable)
{
    for (int st = 0; st < 256; st++) {
        int want = st == INTAKE_ST_NOT_READY || st == INTAKE_ST_RATE || st == INTAKE_ST_STORAGE;
        cr_assert_eq(!!intake_status_temporary(st), want, "status %d", st);
    }
}
