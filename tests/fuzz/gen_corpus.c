/* gen_corpus: writes the seed corpus of every fuzz target, valid samples made
 * with the real encoders (plus a few edge cases), into DIR/<target>/ (DIR
 * defaults to tests/fuzz/corpus). Run by tests/fuzz/run.sh when a target has no
 * seeds; by hand to refresh them:  build/fuzz/gen_corpus tests/fuzz/corpus
 * Every sample is deterministic except the key files (keys_generate). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <jansson.h>
#include "common/defn.h"
#include "common/keys.h"
#include "common/net.h"
#include "common/store.h"
#include "protocols/envelope.h"
#include "protocols/intake.h"
#include "protocols/result.h"
#include "tests/fuzz/util.h"

static const char *s_root = "tests/fuzz/corpus";
static char s_tdir[512];
static int s_count;

static void s_mkdir(const char *p)
{
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        perror(p);
        exit(1);
    }
}

/* Start writing seeds of target name. */
static void s_target(const char *name)
{
    snprintf(s_tdir, sizeof s_tdir, "%s/%s", s_root, name);
    s_mkdir(s_tdir);
}

static void s_seed(const char *name, const uint8_t *a, size_t alen, const uint8_t *b,
                   size_t blen)
{
    char p[640];
    snprintf(p, sizeof p, "%s/%s", s_tdir, name);
    FILE *f = fopen(p, "wb");
    if (!f || (alen && fwrite(a, 1, alen, f) != alen) || (blen && fwrite(b, 1, blen, f) != blen) ||
        fclose(f) != 0) {
        perror(p);
        exit(1);
    }
    s_count++;
}

static void s_put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* ---- net ---------------------------------------------------------------------- */

static size_t s_frame(uint8_t *out, uint8_t type, uint8_t sender, uint64_t step,
                      const uint8_t *payload, uint32_t len)
{
    net_hdr h = { .magic = NET_MAGIC, .version = NET_VERSION, .type = type, .sender = sender,
                  .step = step, .len = len };
    memcpy(h.sid, fuzz_sid, MPC_SID_LEN);
    net_hdr_encode(out, &h);
    if (len) memcpy(out + NET_HDR_LEN, payload, len);
    return NET_HDR_LEN + len;
}

static void s_net(void)
{
    const field *F = fuzz_field(FUZZ_F89);
    uint8_t buf[4096], pay[64];
    s_target("net_hdr");
    static const uint8_t text[12] = "hello shares";
    s_seed("header-only", buf, s_frame(buf, 1, 2, 5, NULL, 0), NULL, 0);
    s_seed("header-payload", buf, s_frame(buf, 7, 3, 1ull << 40, text, sizeof text), NULL, 0);
    s_frame(buf, NET_TYPE_HELLO, 1, 0, NULL, 0);
    s_put16(buf + 50, 0);
    buf[48] = (uint8_t)(NET_MAX_PAYLOAD >> 24);   /* len exactly at the limit */
    s_seed("max-len", buf, NET_HDR_LEN, NULL, 0);

    /* Scripts for fuzz_net_recv: frames from 2 and 3, then receives. */
    s_target("net_recv");
    fe v[2] = { 42, F->p - 1 };
    field_encode(F, pay, v, 2);
    size_t n = 0, fl;
    uint8_t fr[256];
    fl = s_frame(fr, 1, 2, 0, pay, (uint32_t)(2 * F->bytes));
    buf[n++] = 0x00; s_put16(buf + n, fl); n += 2; memcpy(buf + n, fr, fl); n += fl;
    buf[n++] = 0x82; buf[n++] = 1; buf[n++] = 0; buf[n++] = 2;   /* recv_vec from 2 */
    s_seed("vec", buf, n, NULL, 0);

    n = 0;   /* out of order from 3, a replay, then both receives */
    for (int step = 1; step >= 0; step--) {
        fl = s_frame(fr, 4, 3, (uint64_t)step, text, sizeof text);
        buf[n++] = 0x01; s_put16(buf + n, fl); n += 2; memcpy(buf + n, fr, fl); n += fl;
    }
    for (int step = 0; step <= 1; step++) {
        buf[n++] = 0x81; buf[n++] = 4; buf[n++] = (uint8_t)step; buf[n++] = 0;
    }
    fl = s_frame(fr, 4, 3, 0, text, sizeof text);
    buf[n++] = 0x01; s_put16(buf + n, fl); n += 2; memcpy(buf + n, fr, fl); n += fl;
    buf[n++] = 0x81; buf[n++] = 4; buf[n++] = 2; buf[n++] = 0;
    s_seed("reorder-replay", buf, n, NULL, 0);

    n = 0;   /* closing barrier */
    for (int who = 2; who <= 3; who++) {
        fl = s_frame(fr, NET_TYPE_BYE, (uint8_t)who, 0, NULL, 0);
        buf[n++] = (uint8_t)(who - 2); s_put16(buf + n, fl); n += 2; memcpy(buf + n, fr, fl); n += fl;
    }
    buf[n++] = 0xff;
    s_seed("bye", buf, n, NULL, 0);

    n = 0;   /* a forged sender: frame says 3, comes from 2 */
    fl = s_frame(fr, 1, 3, 0, text, sizeof text);
    buf[n++] = 0x00; s_put16(buf + n, fl); n += 2; memcpy(buf + n, fr, fl); n += fl;
    buf[n++] = 0x80; buf[n++] = 1; buf[n++] = 0; buf[n++] = 0;
    s_seed("forged-sender", buf, n, NULL, 0);
}

/* ---- field -------------------------------------------------------------------- */

static void s_field(void)
{
    s_target("field");
    uint8_t buf[2 + 16 * 8];
    for (int i = 0; i < FUZZ_NFIELDS; i++) {
        const field *F = fuzz_field(i);
        fe v[5] = { 0, 1, F->p - 1, F->p / 2, F->p / 3 + 7 };
        buf[0] = (uint8_t)i;
        buf[1] = 0;
        field_encode(F, buf + 2, v, 5);
        char name[32];
        snprintf(name, sizeof name, "vec5-field%d", i);
        s_seed(name, buf, 2 + 5 * F->bytes, NULL, 0);
        if (i != FUZZ_F89 && i != FUZZ_P101) continue;
        buf[1] = 0x80 | 4;   /* a count that does not match the bytes */
        snprintf(name, sizeof name, "count-mismatch-field%d", i);
        s_seed(name, buf, 2 + 5 * F->bytes, NULL, 0);
    }
    const field *F = fuzz_field(FUZZ_F89);
    fe p = F->p;
    buf[0] = FUZZ_F89;
    buf[1] = 0;
    field_encode(&(field){ .p = ~(fe)0, .bytes = F->bytes }, buf + 2, &p, 1);
    s_seed("element-equals-p", buf, 2 + F->bytes, NULL, 0);
}

/* ---- intake and result ---------------------------------------------------------- */

/* Server i's X25519 box key: 32 bytes of 0xb0 + i, as in fuzz_intake.c. */
static void s_box_keys(uint8_t pk[][32], uint8_t sk[][32], int n)
{
    for (int i = 0; i < n; i++) {
        memset(sk[i], 0xb0 + i, 32);
        crypto_scalarmult_base(pk[i], sk[i]);
    }
}

/* A framed submit of n = 3 shares vectors of m elements under F, sealed with
 * a fixed ephemeral key (so the seed is deterministic); its envelope hash in
 * hash. */
static void s_submit_seed(const char *name, const field *F, uint32_t m, uint64_t tag,
                          const uint8_t csk[64], uint8_t hash[32])
{
    uint8_t bpk[3][32], bsk[3][32], esk[32];
    s_box_keys(bpk, bsk, 3);
    memset(esk, 0xe5, sizeof esk);
    fe sh[3 * 33];
    for (uint32_t i = 0; i < 3 * m; i++) sh[i] = (fe)(1000003u * (i + 1)) % F->p;
    sh[0] = F->p - 1;   /* the largest element, all bytes used */
    size_t len = envelope_len(3, m, F->bytes);
    uint8_t *out = malloc(INTAKE_HDR + len);
    if (!out || m > 33 ||
        envelope_seal_eph(out + INTAKE_HDR, F, 3, (const uint8_t(*)[32])bpk, fuzz_sid, 4, 1, sh,
                          m, csk, esk) ||
        intake_req_encode(out, INTAKE_SUBMIT, tag, out + INTAKE_HDR, len))
        exit(1);
    envelope_hash(hash, out + INTAKE_HDR, len);
    s_seed(name, out, INTAKE_HDR + len, NULL, 0);
    free(out);
}

/* The receipt of r's envelope as leaf 1 of a batch of 3 (a path of 2). */
static void s_receipt_batch_seed(const result_receipt *alone, const uint8_t ssk[64])
{
    uint8_t tree[8][RESULT_HASH_LEN], enc[RESULT_RECEIPT_MAX];
    uint8_t out[INTAKE_HDR + RESULT_RECEIPT_MAX];
    if (result_merkle_size(3) > 8) exit(1);
    result_receipt r = *alone;
    result_receipt_leaf(tree[0], 0, 1, fuzz_sid);
    result_receipt_leaf(tree[1], r.roll, r.seq, r.env_hash);
    result_receipt_leaf(tree[2], 7, 2, fuzz_sid);
    result_merkle_build(tree, 3);
    result_merkle_sign(r.sig, r.server, r.sid, (const uint8_t(*)[RESULT_HASH_LEN])tree, 3, ssk);
    result_merkle_path(&r, (const uint8_t(*)[RESULT_HASH_LEN])tree, 3, 1);
    size_t len = result_receipt_encode(enc, &r);
    if (intake_resp_encode(out, INTAKE_ST_OK, 4, enc, len)) exit(1);
    s_seed("resp-receipt-batch", out, INTAKE_HDR + len, NULL, 0);
}

static void s_intake_result(void)
{
    uint8_t cpk[32], csk[64], spk[9][32], ssk[9][64];
    fuzz_sign_keys(cpk, csk, 'c');
    for (int i = 0; i < 9; i++) fuzz_sign_keys(spk[i], ssk[i], (char)('1' + i));

    s_target("intake");
    uint8_t env_hash[32], other[32];
    s_submit_seed("submit-f89-m1", fuzz_field(FUZZ_F89), 1, 1, csk, env_hash);
    s_submit_seed("submit-f89-m33", fuzz_field(FUZZ_F89), 33, 2, csk, other);
    s_submit_seed("submit-p127-m2", fuzz_field(FUZZ_P127), 2, 3, csk, other);
    uint8_t out[INTAKE_HDR + 1024];
    if (intake_req_encode(out, INTAKE_RESULT, 0x0102030405060708ull, NULL, 0)) exit(1);
    s_seed("result", out, INTAKE_HDR, NULL, 0);

    result_receipt r = { .server = 1, .roll = 4, .seq = 1 };
    memcpy(r.sid, fuzz_sid, 32);
    memcpy(r.env_hash, env_hash, sizeof r.env_hash);
    result_receipt_sign(&r, ssk[0]);
    uint8_t rc_bytes[RESULT_RECEIPT_MAX];
    size_t rcl = result_receipt_encode(rc_bytes, &r);
    if (intake_resp_encode(out, INTAKE_ST_OK, 1, rc_bytes, rcl)) exit(1);
    s_seed("resp-receipt", out, INTAKE_HDR + rcl, NULL, 0);
    s_receipt_batch_seed(&r, ssk[0]);
    static const char why[] = "wrong session id (a submission for another auction or election)";
    if (intake_resp_encode(out, INTAKE_ST_WRONG_SESSION, 2, (const uint8_t *)why, sizeof why - 1))
        exit(1);
    s_seed("resp-refused", out, INTAKE_HDR + sizeof why - 1, NULL, 0);

    static const char output[] = "{\"winning_bid\":42}";
    uint8_t hash[32];
    memset(hash, 0x44, sizeof hash);
    result_stmt *st = result_stmt_new(2, fuzz_sid, (const uint8_t *)output, sizeof output - 1,
                                      5, 1, hash);
    if (!st) exit(1);
    result_stmt_sign(st, ssk[1]);
    uint8_t *stb;
    size_t stl;
    if (result_stmt_encode(st, &stb, &stl)) exit(1);
    result_stmt_free(&st);
    if (stl > sizeof out - INTAKE_HDR || intake_resp_encode(out, INTAKE_ST_OK, 3, stb, stl))
        exit(1);
    s_seed("resp-statement", out, INTAKE_HDR + stl, NULL, 0);

    s_target("result");
    s_seed("receipt", rc_bytes, rcl, NULL, 0);
    s_seed("statement", stb, stl, NULL, 0);
    free(stb);
    st = result_stmt_new(9, fuzz_sid, NULL, 0, 0, 0, hash);
    if (!st) exit(1);
    result_stmt_sign(st, ssk[8]);
    if (result_stmt_encode(st, &stb, &stl)) exit(1);
    result_stmt_free(&st);
    s_seed("statement-empty", stb, stl, NULL, 0);
    free(stb);
}

/* ---- definition file ------------------------------------------------------------ */

static void s_key(uint8_t out[32], uint8_t tag, int i)
{
    for (int j = 0; j < 32; j++) out[j] = (uint8_t)(tag + 31 * i + j);
}

static void s_defn_one(const char *name, int kind, int n, int t, const char *prime,
                       const char *rules)
{
    static const char *const names[3] = { "alice", "bob", "\xc3\xa9mile" };
    defn_server sv[3];
    defn_voter roll[3];
    char mesh[3][64], client[3][64];
    for (int i = 0; i < n; i++) {
        snprintf(mesh[i], sizeof mesh[i], "tcp://10.0.0.%d:7001", i + 1);
        if (i == 2) snprintf(client[i], sizeof client[i], "ipc:///run/mpc/s%d", i + 1);
        else snprintf(client[i], sizeof client[i], "tcp://s%d:7101", i + 1);
        sv[i] = (defn_server){ .index = i + 1, .mesh = mesh[i], .client = client[i] };
        s_key(sv[i].curve_pk, 0x10, i);
        s_key(sv[i].sign_pk, 0x80, i);
    }
    for (int i = 0; i < 3; i++) {
        roll[i] = (defn_voter){ .name = names[i] };
        s_key(roll[i].curve_pk, 0x40, i);
        s_key(roll[i].sign_pk, 0xc0, i);
    }
    static const char *const web[3] = { "http://127.0.0.1:8081", "https://vote.example.org:443",
                                        "http://[::1]:8083" };
    for (int i = 0; kind == DEFN_VOTE && i < n; i++) sv[i].http = web[i];   /* web origins */
    defn_spec spec = { .id = "fuzz-seed.1", .kind = kind, .t = t, .bits = 32, .kappa = 40,
                       .prime = prime, .deadline = 1767225600, .timeout_ms = 5000, .n = n,
                       .servers = sv, .roll_size = 3, .roll = roll, .rules_json = rules };
    char *text, err[256];
    size_t len;
    if (defn_format(&text, &len, &spec, err, sizeof err) != 0) {
        fprintf(stderr, "gen_corpus: %s: %s\n", name, err);
        exit(1);
    }
    s_seed(name, (const uint8_t *)text, len, NULL, 0);
    free(text);
}

static void s_defn(void)
{
    s_target("defn");
    s_defn_one("auction", DEFN_AUCTION, 3, 1, NULL,
               "{\"price\":\"second\",\"reserve\":10,\"reveal_winner\":true}");
    s_defn_one("vote", DEFN_VOTE, 3, 1, "2^107-1",
               "{\"ballot\":\"plurality\",\"options\":[\"red\",\"green\",\"blue\"],"
               "\"q\":\"2/3\",\"nested\":{\"a\":[1,2.5,null,false]}}");
    s_defn_one("sum-nonmersenne", DEFN_SUM, 1, 0, "1267650600228229401496703205653", NULL);
    static const char compact[] =
        "{\"id\":\"x\",\"kind\":\"vote\",\"t\":0,\"deadline\":1,\"servers\":[{\"index\":1,"
        "\"mesh\":\"ipc://m\",\"client\":\"ipc://c\",\"curve_pk\":"
        "\"0101010101010101010101010101010101010101010101010101010101010101\",\"sign_pk\":"
        "\"0202020202020202020202020202020202020202020202020202020202020202\"}],\"roll\":"
        "[{\"name\":\"v\",\"curve_pk\":"
        "\"0303030303030303030303030303030303030303030303030303030303030303\",\"sign_pk\":"
        "\"0404040404040404040404040404040404040404040404040404040404040404\"}],\"rules\":{}}";
    s_seed("compact", (const uint8_t *)compact, sizeof compact - 1, NULL, 0);
    /* Rules the getters refuse (duplicate list entry, rational above 1, ...). */
    s_defn_one("rules-refused", DEFN_VOTE, 3, 1, NULL,
               "{\"options\":[\"a\",\"b\",\"a\"],\"flag\":1,\"n\":-9223372036854775808,"
               "\"q\":\"3/2\",\"s\":[],\"r\":\"1000000000/1000000000\"}");
    /* Refused: two roll entries with one name. */
    static const char dup[] =
        "{\"id\":\"x\",\"kind\":\"vote\",\"t\":0,\"deadline\":1,\"servers\":[{\"index\":1,"
        "\"mesh\":\"ipc://m\",\"client\":\"ipc://c\",\"curve_pk\":"
        "\"0101010101010101010101010101010101010101010101010101010101010101\",\"sign_pk\":"
        "\"0202020202020202020202020202020202020202020202020202020202020202\"}],\"roll\":"
        "[{\"name\":\"v\",\"curve_pk\":"
        "\"0303030303030303030303030303030303030303030303030303030303030303\",\"sign_pk\":"
        "\"0404040404040404040404040404040404040404040404040404040404040404\"},"
        "{\"name\":\"v\",\"curve_pk\":"
        "\"0505050505050505050505050505050505050505050505050505050505050505\",\"sign_pk\":"
        "\"0606060606060606060606060606060606060606060606060606060606060606\"}],\"rules\":{}}";
    s_seed("roll-duplicate", (const uint8_t *)dup, sizeof dup - 1, NULL, 0);
}

/* ---- key files ------------------------------------------------------------------ */

static uint8_t *s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    uint8_t *b = malloc(1 << 16);
    if (!b) exit(1);
    *len = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static void s_keys(void)
{
    s_target("keys");
    char sec[600], pub[600], err[256];
    snprintf(sec, sizeof sec, "%s/gen.sec", fuzz_tmpdir());
    snprintf(pub, sizeof pub, "%s/gen.pub", fuzz_tmpdir());
    keys *k = keys_generate();
    if (keys_save_secret(k, sec, err, sizeof err) || keys_save_public(k, pub, err, sizeof err)) {
        fprintf(stderr, "gen_corpus: %s\n", err);
        exit(1);
    }
    keys_free(&k);
    size_t len;
    uint8_t *b = s_slurp(sec, &len);
    s_seed("secret", b, len, NULL, 0);
    /* The same lines reordered, with CRLF, blanks, tabs and comments. */
    char *lines[8];
    int nl = 0;
    b[len] = 0;
    for (char *save = NULL, *l = strtok_r((char *)b, "\n", &save); l && nl < 8;
         l = strtok_r(NULL, "\n", &save))
        if (l[0] != '#') lines[nl++] = l;
    char alt[2048];
    size_t an = 0;
    an += (size_t)snprintf(alt + an, sizeof alt - an, "\r\n# reordered\r\n");
    for (int i = nl - 1; i >= 0; i--) {
        char *sp = strchr(lines[i], ' ');
        if (!sp) exit(1);
        *sp = 0;
        an += (size_t)snprintf(alt + an, sizeof alt - an, "%s\t \t%s \r\n\n", lines[i], sp + 1);
    }
    s_seed("secret-reordered-crlf", (const uint8_t *)alt, an, NULL, 0);
    /* The size limit: a valid file of exactly KEYS_FILE_MAX bytes, then one more. */
    free(b);
    b = s_slurp(sec, &len);
    uint8_t *big = malloc(KEYS_FILE_MAX + 2);
    if (!big || len + 2 > KEYS_FILE_MAX) exit(1);
    memcpy(big, b, len);
    big[len] = '#';
    memset(big + len + 1, 'x', KEYS_FILE_MAX - len - 2);
    big[KEYS_FILE_MAX - 1] = '\n';
    s_seed("secret-at-limit", big, KEYS_FILE_MAX, NULL, 0);
    big[KEYS_FILE_MAX - 1] = 'x';
    big[KEYS_FILE_MAX] = '\n';
    s_seed("secret-over-limit", big, KEYS_FILE_MAX + 1, NULL, 0);
    free(big);
    free(b);
    b = s_slurp(pub, &len);
    s_seed("public", b, len, NULL, 0);
    free(b);
    unlink(sec);
    unlink(pub);
}

/* ---- store ---------------------------------------------------------------------- */

static void s_store(void)
{
    s_target("store");
    char path[600], side[640], err[512];
    snprintf(path, sizeof path, "%s/gen.db", fuzz_tmpdir());
    unlink(path);
    store *s = NULL;
    if (store_open(&s, path, fuzz_sid, FUZZ_ROLL, err, sizeof err)) {
        fprintf(stderr, "gen_corpus: %s\n", err);
        exit(1);
    }
    /* Same 3 envelopes as fuzz_store's own valid file, then a 4th. */
    static const uint8_t env[5] = { 'M', 'P', 'S', 'E', 1 };
    store_env e[4] = {
        { .roll = 0, .seq = 1, .env = env, .env_len = sizeof env },
        { .roll = 1, .seq = 1, .env = env, .env_len = 2 },
        { .roll = 0, .seq = 2, .env = env, .env_len = 1 },
        { .roll = 7, .seq = 3, .env = env, .env_len = 4 },
    };
    if (store_begin(s)) exit(1);
    for (int i = 0; i < 4; i++) {
        memset(e[i].hash, 'a' + i, STORE_HASH_LEN);
        if (store_put(s, &e[i])) exit(1);
    }
    if (store_commit(s)) exit(1);
    store_free(&s);
    size_t len;
    uint8_t *file = s_slurp(path, &len);
    unlink(path);
    snprintf(side, sizeof side, "%s.lock", path);
    unlink(side);
    static const uint8_t m0 = 0, m1 = 1;
    s_seed("file-4-envelopes", &m0, 1, file, len);
    s_seed("file-header-page", &m0, 1, file, len < 4096 ? len : 4096);
    s_seed("file-header-prefix", &m0, 1, file, 20);
    static const uint8_t edits[6] = { 0x00, 0x45, 0xff, 0x10, 0x20, 0x00 };
    s_seed("edit-header-and-page-2", &m1, 1, edits, sizeof edits);
    s_seed("edit-none", &m1, 1, NULL, 0);
    free(file);
}

/* fuzz_http: "method\nurl\ncontent-type\norigin\n" then a body. */
static void s_http(void)
{
    static const struct { const char *name, *text; } seeds[] = {
        { "post-envelope", "POST\n/api/envelope\napplication/octet-stream\nhttp://127.0.0.1:8081\n"
                           "MPEN\x02\x03\x10\x00body bytes" },
        { "get-index", "GET\n/\n\n\n" },
        { "get-static", "GET\n/js/app.js\n\nhttps://vote.example:443\n" },
        { "traversal", "GET\n/../defn.json\n\n\n" },
        { "hidden", "GET\n/a/.git/config.json\n\n\n" },
        { "preflight", "OPTIONS\n/api/envelope\n\nhttp://evil.example:80\n" },
        { "api", "HEAD\n/api/status\nApplication/Octet-Stream; charset=x\nnull\n" },
        { "reason", "PUT\n/api/result\ntext/plain\n\n\"quoted\\ reason\x01\xff\"" },
    };
    s_target("http");
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        s_seed(seeds[i].name, (const uint8_t *)seeds[i].text, strlen(seeds[i].text), NULL, 0);
}

int main(int argc, char **argv)
{
    fuzz_init();
    if (argc > 2) {
        fprintf(stderr, "usage: %s [DIR]   (default %s)\n", argv[0], s_root);
        return 2;
    }
    if (argc == 2) s_root = argv[1];
    s_mkdir(s_root);
    s_net();
    s_field();
    s_intake_result();
    s_defn();
    s_keys();
    s_store();
    s_http();
    printf("gen_corpus: %d seeds in %s\n", s_count, s_root);
    return 0;
}
