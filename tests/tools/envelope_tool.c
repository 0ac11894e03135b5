/* envelope_tool: the C side of the browser client's cross tests (tests/node).
 * It seals inputs exactly as app/client.c does, opens envelopes as a server
 * does, and signs receipts and statements as the servers do, so web/mpc.js is
 * checked against the C code in both directions. Test-only: secret keys are
 * taken on the command line, and the `--tape` randomness is a fixed byte
 * string (never do either in a real client).
 *
 *   envelope_tool vectors
 *       prints the rows of tests/vectors/web_envelope.tsv (made from fixed labels)
 *   envelope_tool seal DEFN CODE SEQ INPUT [TAPEHEX]
 *       seal INPUT for the roll member of credential CODE (app_client_seal);
 *       randomness from TAPEHEX when given. Prints "ENVHEX TRACKERHEX".
 *   envelope_tool open DEFN ENVHEX [I:CURVE_SK_HEX]...
 *       parse, check the session and roll, verify the signature, open the boxes
 *       given (every one: also check the degree-t sharing and reconstruct).
 *       Prints one JSON object.
 *   envelope_tool receipts DEFN SERVER SIGN_SK_HEX ENVHEX...
 *       one signed batch (Merkle tree, "MPRB") of those envelopes: one receipt
 *       hex a line, in order.
 *   envelope_tool statement DEFN SERVER SIGN_SK_HEX OUTPUT_JSON SET_JSON EXCLUDED
 *       a signed statement over OUTPUT_JSON (bytes as given), the accepted set
 *       SET_JSON ([[roll, seq, "hash"], ...]) and EXCLUDED. Prints its hex.
 *
 * INPUT: threshold:yes|no|blank, options:M:I,J,... (0-based; "-" for none),
 * bid:K:V, or plain:V1,V2,... (decimal elements). Exit 0, or 1 with a message
 * on stderr (a refused envelope says why, like a server). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "app/client.h"
#include "common/defn.h"
#include "common/keys.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/envelope.h"
#include "protocols/gf2.h"
#include "protocols/range.h"
#include "protocols/result.h"
#include "protocols/shamir.h"
#include "protocols/vote_mpc.h"

#define S_MAX_IN 8192

/* ---- a fixed byte tape as libsodium's randombytes ---- */

static uint8_t *s_tape;
static size_t s_tape_len, s_tape_pos;
static int s_tape_on;

static void s_tape_buf(void *buf, size_t size)
{
    if (!s_tape_on) {   /* no tape: the system's randomness, as a real client */
        randombytes_sysrandom_implementation.buf(buf, size);
        return;
    }
    if (s_tape_pos + size > s_tape_len) {
        fprintf(stderr, "error: the random tape is exhausted (%zu of %zu bytes used, %zu more asked)\n",
                s_tape_pos, s_tape_len, size);
        exit(1);
    }
    memcpy(buf, s_tape + s_tape_pos, size);
    s_tape_pos += size;
}

static uint32_t s_tape_random(void)
{
    uint32_t v;
    s_tape_buf(&v, sizeof v);
    return v;
}

static uint32_t s_tape_uniform(const uint32_t upper)
{
    uint32_t v;
    randombytes_sysrandom_implementation.buf(&v, sizeof v);   /* unused by the sealing path */
    return upper ? v % upper : 0;
}

static const char *s_tape_name(void) { return "test tape"; }
static void s_tape_stir(void) {}
static int s_tape_close(void) { return 0; }

static randombytes_implementation s_tape_impl = {
    .implementation_name = s_tape_name,
    .random = s_tape_random,
    .stir = s_tape_stir,
    .uniform = s_tape_uniform,
    .buf = s_tape_buf,
    .close = s_tape_close,
};

/* Deterministic bytes from a label: BLAKE2b-512 in counter mode. */
static void s_label_bytes(uint8_t *out, size_t len, const char *label)
{
    char in[256];
    uint8_t h[64];
    for (size_t o = 0, c = 0; o < len; o += 64, c++) {
        int w = snprintf(in, sizeof in, "%s/%zu", label, c);
        crypto_generichash(h, 64, (const uint8_t *)in, (size_t)w, NULL, 0);
        memcpy(out + o, h, len - o < 64 ? len - o : 64);
    }
}

/* ---- helpers ---- */

static void s_hex_print(const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++) printf("%02x", b[i]);
}

static uint8_t *s_unhex(const char *hex, size_t *len)
{
    size_t hl = strlen(hex);
    if (hl % 2) return NULL;
    uint8_t *b = xmalloc(hl / 2 + 1);
    size_t bl;
    if (sodium_hex2bin(b, hl / 2 + 1, hex, hl, NULL, &bl, NULL) != 0 || bl != hl / 2) {
        free(b);
        return NULL;
    }
    *len = bl;
    return b;
}

static int s_die(const char *msg)
{
    fprintf(stderr, "error: %s\n", msg);
    return 1;
}

static void s_fe_dec(char *out, size_t cap, fe v)
{
    char tmp[48];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    size_t o = 0;
    while (i > 0 && o + 1 < cap) out[o++] = tmp[--i];
    out[o] = 0;
}

/* INPUT as in the banner into plain (at most S_MAX_IN elements); *m set. */
static int s_encode(const field *F, const char *in, fe *plain, uint32_t *m)
{
    if (!strncmp(in, "threshold:", 10)) {
        const char *c = in + 10;
        int v = !strcmp(c, "yes") ? 1 : !strcmp(c, "no") ? 0 : !strcmp(c, "blank") ? -1 : -2;
        if (v == -2) return s_die("threshold: yes, no or blank");
        vote_encode_threshold(plain, v);
        *m = 2;
        return 0;
    }
    if (!strncmp(in, "options:", 8)) {
        char *end;
        long opts = strtol(in + 8, &end, 10);
        if (opts < 1 || opts > VOTE_MAX_OPTIONS || *end != ':') return s_die("options:M:LIST");
        int chosen[VOTE_MAX_OPTIONS], nc = 0;
        const char *p = end + 1;
        if (strcmp(p, "-") != 0) {
            for (;;) {
                long j = strtol(p, &end, 10);
                if (end == p || j < 0 || j >= opts || nc == VOTE_MAX_OPTIONS) return s_die("options: bad index");
                chosen[nc++] = (int)j;
                if (*end != ',') break;
                p = end + 1;
            }
            if (*end) return s_die("options: bad list");
        }
        vote_encode_options(plain, (int)opts, chosen, nc);
        *m = (uint32_t)opts;
        return 0;
    }
    if (!strncmp(in, "bid:", 4)) {
        char *end;
        long k = strtol(in + 4, &end, 10);
        if (k < 1 || k > 64 || *end != ':') return s_die("bid:K:V");
        unsigned long long v = strtoull(end + 1, &end, 10);
        if (*end) return s_die("bid: V");
        range_encode(F, plain, (uint64_t)v, (int)k);
        *m = range_input_len((int)k);
        return 0;
    }
    if (!strncmp(in, "plain:", 6)) {
        const char *p = in + 6;
        uint32_t n = 0;
        for (;;) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p || n == S_MAX_IN) return s_die("plain: bad list");
            plain[n++] = (fe)v % F->p;
            if (*end != ',') {
                if (*end) return s_die("plain: bad list");
                break;
            }
            p = end + 1;
        }
        *m = n;
        return 0;
    }
    return s_die("INPUT: threshold:..., options:..., bid:... or plain:...");
}

/* ---- vectors: tests/vectors/web_envelope.tsv ---- */

typedef struct s_case {
    const char *label, *prime, *input;
    int n, t;
    uint32_t roll;
    uint64_t seq;
} s_case;

static const s_case s_cases[] = {
    { "threshold-yes", "2^89-1", "threshold:yes", 3, 1, 0, 1764000000000001ull },
    { "threshold-blank", "2^89-1", "threshold:blank", 3, 1, 7, 1764000000000002ull },
    { "plurality", "2^89-1", "options:3:1", 3, 1, 2, 1764000000123456ull },
    { "approval", "2^89-1", "options:5:0,3,4", 3, 1, 3, 1764000000654321ull },
    { "bid-32", "2^89-1", "bid:32:1750", 3, 1, 4, 1764000001000000ull },
    { "bid-5-servers", "2^107-1", "bid:40:123456789", 5, 2, 41, 1764000002000000ull },
    /* 65 elements of 16 bytes: above field_rand's 1 KiB, the ChaCha20 path */
    { "bid-64-chacha", "2^127-1", "bid:64:18446744073709551615", 3, 1, 9, 1764000003000000ull },
    { "approval-64x2", "2^127-1", "options:64:0,5,63", 5, 2, 1, 1764000004000000ull },
};

static int s_vectors(void)
{
    printf("# prime\tn\tt\tsid\troll\tseq\tm\tinput\tplain\ttape\tserver_sk\tsign_seed\tenvelope\thash\n");
    for (size_t c = 0; c < sizeof s_cases / sizeof s_cases[0]; c++) {
        const s_case *k = &s_cases[c];
        field F;
        char lab[128];
        if (field_init_str(&F, k->prime) != 0) return s_die("prime");
        static fe plain[S_MAX_IN];
        uint32_t m;
        if (s_encode(&F, k->input, plain, &m) != 0) return 1;
        uint8_t sid[32], seed[32], pk[MPC_MAX_SERVERS][32], sk[MPC_MAX_SERVERS][32];
        uint8_t sign_pk[32], sign_sk[64];
        snprintf(lab, sizeof lab, "web-envelope/%s/sid", k->label);
        s_label_bytes(sid, 32, lab);
        snprintf(lab, sizeof lab, "web-envelope/%s/sign", k->label);
        s_label_bytes(seed, 32, lab);
        crypto_sign_seed_keypair(sign_pk, sign_sk, seed);
        for (int i = 0; i < k->n; i++) {
            snprintf(lab, sizeof lab, "web-envelope/%s/server%d", k->label, i + 1);
            s_label_bytes(sk[i], 32, lab);
            crypto_scalarmult_base(pk[i], sk[i]);
        }
        s_tape_len = 1 << 16;
        s_tape = xmalloc(s_tape_len);
        snprintf(lab, sizeof lab, "web-envelope/%s/tape", k->label);
        s_label_bytes(s_tape, s_tape_len, lab);
        s_tape_pos = 0;
        s_tape_on = 1;
        /* what app_client_seal does, with this field and these keys */
        shamir *sh = shamir_new(&F, k->n, k->t);
        fe *shares = xmalloc(sizeof(fe) * (size_t)k->n * m);
        shamir_share(sh, shares, plain, m, k->t);
        size_t el = envelope_len(k->n, m, F.bytes);
        uint8_t *env = xmalloc(el), h[32];
        if (envelope_seal(env, &F, k->n, (const uint8_t(*)[32])pk, sid, k->roll, k->seq, shares, m,
                          sign_sk) != 0)
            return s_die("seal");
        s_tape_on = 0;
        envelope_hash(h, env, el);
        uint8_t pb[S_MAX_IN * 16];
        field_encode(&F, pb, plain, m);
        uint8_t pw[16] = { 0 };
        fe pv = F.p;
        for (size_t i = F.bytes; i-- > 0; pv >>= 8) pw[i] = (uint8_t)pv;
        s_hex_print(pw, F.bytes);
        printf("\t%d\t%d\t", k->n, k->t);
        s_hex_print(sid, 32);
        printf("\t%u\t%llu\t%u\t%s\t", k->roll, (unsigned long long)k->seq, m, k->input);
        s_hex_print(pb, (size_t)m * F.bytes);
        putchar('\t');
        s_hex_print(s_tape, s_tape_pos);
        putchar('\t');
        for (int i = 0; i < k->n; i++) {
            if (i) putchar(',');
            s_hex_print(sk[i], 32);
        }
        putchar('\t');
        s_hex_print(seed, 32);
        putchar('\t');
        s_hex_print(env, el);
        putchar('\t');
        s_hex_print(h, 32);
        putchar('\n');
        free(env);
        free(shares);
        shamir_free(&sh);
        free(s_tape);
        s_tape = NULL;
    }
    return 0;
}

/* ---- seal / open ---- */

static int s_seal(int argc, char **argv)
{
    if (argc < 4) return s_die("seal DEFN CODE SEQ INPUT [TAPEHEX]");
    char err[512];
    defn *d;
    keys *k;
    if (defn_load(&d, argv[0], err, sizeof err) != 0) return s_die(err);
    if (keys_from_credential(&k, argv[1], err, sizeof err) != 0) return s_die(err);
    long roll = defn_roll_find_sign(d, keys_sign_pk(k));
    if (roll < 0) return s_die("this credential is not on the roll");
    static fe plain[S_MAX_IN];
    uint32_t m;
    if (s_encode(defn_field(d), argv[3], plain, &m) != 0) return 1;
    if (defn_domain(d) == DEFN_DOMAIN_BINARY && !strncmp(argv[3], "bid:", 4)) {
        /* the bid's k bits alone (auction/main.c, binary domain) */
        memmove(plain, plain + 1, sizeof(fe) * (m - 1));
        m--;
    }
    if (argc > 4) {
        if (!(s_tape = s_unhex(argv[4], &s_tape_len))) return s_die("TAPEHEX");
        s_tape_on = 1;
    }
    uint8_t *env, h[32];
    size_t el;
    if (app_client_seal(d, keys_sign_sk(k), (uint32_t)roll, plain, m,
                        strtoull(argv[2], NULL, 10), &env, &el) != 0)
        return s_die("seal failed");
    s_tape_on = 0;
    envelope_hash(h, env, el);
    s_hex_print(env, el);
    putchar(' ');
    s_hex_print(h, 32);
    putchar('\n');
    if (s_tape && s_tape_pos != s_tape_len) fprintf(stderr, "warning: %zu tape bytes unused\n", s_tape_len - s_tape_pos);
    free(env);
    keys_free(&k);
    defn_free(&d);
    return 0;
}

static int s_open(int argc, char **argv)
{
    if (argc < 2) return s_die("open DEFN ENVHEX [I:CURVE_SK_HEX]...");
    char err[512];
    defn *d;
    if (defn_load(&d, argv[0], err, sizeof err) != 0) return s_die(err);
    const field *F = defn_field(d);
    size_t len;
    uint8_t *b = s_unhex(argv[1], &len);
    envelope e;
    if (!b || envelope_parse(&e, b, len) != 0) return s_die("malformed");
    if (sodium_memcmp(e.sid, defn_sid(d), 32) != 0) return s_die("wrong session");
    if (e.n != defn_n(d) || (size_t)e.width != F->bytes) return s_die("malformed (n or width)");
    if (e.roll >= defn_roll_size(d)) return s_die("not on roll");
    if (envelope_verify(&e, defn_roll_at(d, e.roll)->sign_pk) != 0) return s_die("bad signature");
    int n = e.n, have = 0;
    fe *sh = xcalloc((size_t)n * e.m, sizeof(fe));
    uint8_t *scratch = xmalloc((size_t)e.m * F->bytes);
    for (int a = 2; a < argc; a++) {
        int i = atoi(argv[a]);
        const char *colon = strchr(argv[a], ':');
        uint8_t sk[32], pk[32];
        if (i < 1 || i > n || !colon || keys_hex_decode(sk, 32, colon + 1) != 0) return s_die("I:SK");
        crypto_scalarmult_base(pk, sk);
        if (sodium_memcmp(pk, defn_server_at(d, i)->curve_pk, 32) != 0) return s_die("not server I's key");
        if (envelope_open(&e, F, i, pk, sk, sh + (size_t)(i - 1) * e.m, scratch) != 0) {
            fprintf(stderr, "error: unopenable (box %d)\n", i);
            return 1;
        }
        have |= 1 << (i - 1);
    }
    uint8_t h[32];
    char hx[65];
    envelope_hash(h, b, len);
    sodium_bin2hex(hx, sizeof hx, h, 32);
    json_t *o = json_pack("{sIsIsiss}", "roll", (json_int_t)e.roll, "m", (json_int_t)e.m, "n", n,
                          "tracker", hx);
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)e.seq);
    json_object_set_new(o, "seq", json_string(seq));
    json_object_set_new(o, "roll_name", json_string(defn_roll_at(d, e.roll)->name));
    char dec[48];
    json_t *boxes = json_object();
    for (int i = 1; i <= n; i++) {
        if (!(have >> (i - 1) & 1)) continue;
        json_t *a = json_array();
        for (uint32_t j = 0; j < e.m; j++) {
            s_fe_dec(dec, sizeof dec, sh[(size_t)(i - 1) * e.m + j]);
            json_array_append_new(a, json_string(dec));
        }
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        json_object_set_new(boxes, key, a);
    }
    json_object_set_new(o, "shares", boxes);
    if (have == (1 << n) - 1 && defn_domain(d) == DEFN_DOMAIN_BINARY) {
        /* GF(2^4) shares (gf2.h): the secret through servers 1..t+1, the others checked */
        int t = defn_t(d), pts[MPC_MAX_SERVERS], ok = 1;
        uint8_t lam[MPC_MAX_SERVERS];
        for (int i = 0; i < n; i++) pts[i] = i + 1;
        json_t *a = json_array();
        for (int at = t + 1; at <= n; at++) {   /* at == n: the secret, at point 0 */
            gf2_lagrange(lam, pts, t + 1, at < n ? pts[at] : 0);
            for (uint32_t j = 0; j < e.m; j++) {
                uint8_t v = 0;
                for (int i = 0; i <= t; i++) v ^= gf16_mul(lam[i], (uint8_t)sh[(size_t)i * e.m + j]);
                if (at < n) ok &= v == sh[(size_t)at * e.m + j];
                else json_array_append_new(a, json_string(v == 0 ? "0" : v == 1 ? "1" : "not a bit"));
            }
        }
        json_object_set_new(o, "consistent", json_boolean(ok));
        json_object_set_new(o, "secrets", a);
    } else if (have == (1 << n) - 1) {
        shamir *S = shamir_new(F, n, defn_t(d));
        const fe *rows[MPC_MAX_SERVERS];
        for (int i = 0; i < n; i++) rows[i] = sh + (size_t)i * e.m;
        json_object_set_new(o, "consistent", json_boolean(shamir_check(S, rows, defn_t(d), e.m, NULL) == 0));
        fe *sec = xmalloc(sizeof(fe) * e.m);
        if (shamir_reconstruct(S, sec, rows, (1u << (defn_t(d) + 1)) - 1, defn_t(d), e.m) != 0)
            return s_die("reconstruct");
        json_t *a = json_array();
        for (uint32_t j = 0; j < e.m; j++) {
            s_fe_dec(dec, sizeof dec, sec[j]);
            json_array_append_new(a, json_string(dec));
        }
        json_object_set_new(o, "secrets", a);
        free(sec);
        shamir_free(&S);
    }
    char *txt = json_dumps(o, JSON_COMPACT);
    printf("%s\n", txt);
    free(txt);
    json_decref(o);
    free(scratch);
    free(sh);
    free(b);
    defn_free(&d);
    return 0;
}

/* ---- receipts / statements ---- */

static int s_receipts(int argc, char **argv)
{
    if (argc < 4) return s_die("receipts DEFN SERVER SIGN_SK_HEX ENVHEX...");
    char err[512];
    defn *d;
    if (defn_load(&d, argv[0], err, sizeof err) != 0) return s_die(err);
    int server = atoi(argv[1]);
    uint8_t sk[64];
    if (server < 1 || server > defn_n(d) || keys_hex_decode(sk, 64, argv[2]) != 0) return s_die("SERVER SK");
    size_t count = (size_t)argc - 3;
    uint8_t (*tree)[32] = xcalloc(result_merkle_size(count), 32);
    result_receipt *r = xcalloc(count, sizeof *r);
    for (size_t i = 0; i < count; i++) {
        size_t len;
        uint8_t *b = s_unhex(argv[3 + i], &len);
        envelope e;
        if (!b || envelope_parse(&e, b, len) != 0) return s_die("malformed envelope");
        r[i].server = server;
        memcpy(r[i].sid, defn_sid(d), 32);
        r[i].roll = e.roll;
        r[i].seq = e.seq;
        envelope_hash(r[i].env_hash, b, len);
        result_receipt_leaf(tree[i], e.roll, e.seq, r[i].env_hash);
        free(b);
    }
    result_merkle_build(tree, count);
    uint8_t sig[64];
    result_merkle_sign(sig, server, defn_sid(d), (const uint8_t(*)[32])tree, count, sk);
    uint8_t out[RESULT_RECEIPT_MAX];
    for (size_t i = 0; i < count; i++) {
        result_merkle_path(&r[i], (const uint8_t(*)[32])tree, count, i);
        memcpy(r[i].sig, sig, 64);
        size_t ol = result_receipt_encode(out, &r[i]);
        s_hex_print(out, ol);
        putchar('\n');
    }
    sodium_memzero(sk, sizeof sk);
    free(r);
    free(tree);
    defn_free(&d);
    return 0;
}

static int s_statement(int argc, char **argv)
{
    if (argc < 6) return s_die("statement DEFN SERVER SIGN_SK_HEX OUTPUT_JSON SET_JSON EXCLUDED");
    char err[512];
    defn *d;
    if (defn_load(&d, argv[0], err, sizeof err) != 0) return s_die(err);
    int server = atoi(argv[1]);
    uint8_t sk[64];
    if (server < 1 || server > defn_n(d) || keys_hex_decode(sk, 64, argv[2]) != 0) return s_die("SERVER SK");
    json_error_t je;
    json_t *set = json_loads(argv[4], 0, &je);
    if (!json_is_array(set)) return s_die("SET_JSON");
    size_t cnt = json_array_size(set);
    result_input *in = xcalloc(cnt ? cnt : 1, sizeof *in);
    for (size_t i = 0; i < cnt; i++) {
        json_int_t roll, seq;
        const char *h;
        if (json_unpack(json_array_get(set, i), "[IIs]", &roll, &seq, &h) != 0 ||
            keys_hex_decode(in[i].env_hash, 32, h) != 0)
            return s_die("SET_JSON entry");
        in[i].roll = (uint32_t)roll;
        in[i].seq = (uint64_t)seq;
    }
    uint8_t ih[32];
    if (result_inputs_hash(ih, defn_sid(d), in, cnt) != 0) return s_die("roll indices must increase");
    result_stmt *st = result_stmt_new(server, defn_sid(d), (const uint8_t *)argv[3], strlen(argv[3]),
                                      cnt, strtoull(argv[5], NULL, 10), ih);
    if (!st) return s_die("statement");
    result_stmt_sign(st, sk);
    uint8_t *b;
    size_t bl;
    if (result_stmt_encode(st, &b, &bl) != 0) return s_die("encode");
    s_hex_print(b, bl);
    putchar('\n');
    free(b);
    result_stmt_free(&st);
    free(in);
    json_decref(set);
    sodium_memzero(sk, sizeof sk);
    defn_free(&d);
    return 0;
}

int main(int argc, char **argv)
{
    if (secmem_init() != 0) return s_die("libsodium");
    randombytes_set_implementation(&s_tape_impl);
    if (argc < 2) return s_die("usage: envelope_tool vectors|seal|open|receipts|statement ...");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "vectors")) return s_vectors();
    if (!strcmp(cmd, "seal")) return s_seal(argc - 2, argv + 2);
    if (!strcmp(cmd, "open")) return s_open(argc - 2, argv + 2);
    if (!strcmp(cmd, "receipts")) return s_receipts(argc - 2, argv + 2);
    if (!strcmp(cmd, "statement")) return s_statement(argc - 2, argv + 2);
    return s_die("unknown command");
}
