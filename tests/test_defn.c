/* test_defn: the definition file: valid files, every refusal naming its field,
 * session id, rules getters. The writer is test_defn_write.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <jansson.h>
#include "common/defn.h"
#include "common/secmem.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(defn, .init = s_setup, .timeout = 30);

#define S_N    3
#define S_ROLL 4

static json_t *s_hexkey(uint8_t out[32])
{
    char hex[65];
    randombytes_buf(out, 32);
    sodium_bin2hex(hex, sizeof hex, out, 32);
    return json_string(hex);
}

/* A valid definition: 3 servers, 4 voters, fresh random keys. */
static json_t *s_base(void)
{
    json_t *root = json_object();
    uint8_t k[32];
    json_object_set_new(root, "id", json_string("test-auction.1"));
    json_object_set_new(root, "kind", json_string("auction"));
    json_object_set_new(root, "t", json_integer(1));
    json_object_set_new(root, "bits", json_integer(32));
    json_object_set_new(root, "kappa", json_integer(40));
    json_object_set_new(root, "deadline", json_integer(2000000000));
    json_object_set_new(root, "timeout_ms", json_integer(5000));
    json_t *servers = json_array();
    for (int i = 1; i <= S_N; i++) {
        json_t *s = json_object();
        char ep[64];
        json_object_set_new(s, "index", json_integer(i));
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", 7000 + i);
        json_object_set_new(s, "mesh", json_string(ep));
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", 7100 + i);
        json_object_set_new(s, "client", json_string(ep));
        json_object_set_new(s, "curve_pk", s_hexkey(k));
        json_object_set_new(s, "sign_pk", s_hexkey(k));
        json_array_append_new(servers, s);
    }
    json_object_set_new(root, "servers", servers);
    static const char *const names[S_ROLL] = { "alice", "bob", "carol", "dave" };
    json_t *roll = json_array();
    for (int i = 0; i < S_ROLL; i++) {
        json_t *v = json_object();
        json_object_set_new(v, "name", json_string(names[i]));
        json_object_set_new(v, "curve_pk", s_hexkey(k));
        json_object_set_new(v, "sign_pk", s_hexkey(k));
        json_array_append_new(roll, v);
    }
    json_object_set_new(root, "roll", roll);
    json_t *rules = json_loads("{\"price\":\"second\",\"reserve\":10,\"reveal_winner\":true,"
                               "\"options\":[\"yes\",\"no\"],\"q\":\"2/3\"}", 0, NULL);
    json_object_set_new(root, "rules", rules);
    return root;
}

static char *s_dump(const json_t *root)
{
    char *txt = json_dumps(root, JSON_INDENT(2));
    cr_assert_not_null(txt);
    return txt;
}

static int s_parse_json(const json_t *root, defn **out, char *err, size_t errlen)
{
    char *txt = s_dump(root);
    int rc = defn_parse(out, (const uint8_t *)txt, strlen(txt), err, errlen);
    free(txt);
    return rc;
}

static void s_expect_fail_text(const char *txt, size_t len, const char *needle)
{
    defn *d = NULL;
    char err[256] = "";
    int rc = defn_parse(&d, (const uint8_t *)txt, len, err, sizeof err);
    cr_assert_neq(rc, 0, "accepted, expected failure with \"%s\"", needle);
    cr_assert_null(d);
    cr_assert(strstr(err, needle) != NULL, "error \"%s\" does not contain \"%s\"", err, needle);
}

/* Object selected by "" (top), "servers/1", "roll/0" or "rules". */
static json_t *s_target(json_t *root, const char *sel)
{
    if (!*sel) return root;
    char name[32];
    int idx = -1;
    if (sscanf(sel, "%31[a-z]/%d", name, &idx) == 2)
        return json_array_get(json_object_get(root, name), (size_t)idx);
    return json_object_get(root, sel);
}

/* ---- valid files ---- */

Test(defn, parses_valid_file_and_accessors)
{
    json_t *root = s_base();
    char dir[] = "/tmp/defn_XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/def.json", dir);
    char *txt = s_dump(root);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(txt, f);
    fclose(f);

    defn *d = NULL;
    char err[256] = "";
    cr_assert_eq(defn_load(&d, path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(defn_id(d), "test-auction.1");
    cr_assert_eq(defn_kind(d), DEFN_AUCTION);
    cr_assert_eq(defn_n(d), S_N);
    cr_assert_eq(defn_t(d), 1);
    cr_assert_eq(defn_bits(d), 32);
    cr_assert_eq(defn_kappa(d), 40);
    cr_assert_eq(defn_deadline(d), 2000000000);
    cr_assert_eq(defn_timeout_ms(d), 5000);
    cr_assert_eq(defn_field(d)->mers, 89);
    cr_assert_eq(defn_roll_size(d), S_ROLL);
    cr_assert_null(defn_server_at(d, 0));
    cr_assert_null(defn_server_at(d, S_N + 1));
    cr_assert_null(defn_roll_at(d, S_ROLL));

    json_t *servers = json_object_get(root, "servers");
    for (int i = 1; i <= S_N; i++) {
        const defn_server *s = defn_server_at(d, i);
        json_t *js = json_array_get(servers, (size_t)i - 1);
        cr_assert_eq(s->index, i);
        cr_assert_str_eq(s->mesh, json_string_value(json_object_get(js, "mesh")));
        cr_assert_str_eq(s->client, json_string_value(json_object_get(js, "client")));
        uint8_t k[32];
        cr_assert_eq(sodium_hex2bin(k, 32, json_string_value(json_object_get(js, "curve_pk")),
                                    64, NULL, NULL, NULL), 0);
        cr_assert_eq(memcmp(k, s->curve_pk, 32), 0);
        cr_assert_eq(defn_server_find(d, s->curve_pk), i);
        cr_assert_eq(defn_server_find_sign(d, s->sign_pk), i);
        cr_assert_eq(defn_roll_find(d, s->curve_pk), -1);
    }
    json_t *roll = json_object_get(root, "roll");
    for (size_t i = 0; i < S_ROLL; i++) {
        const defn_voter *v = defn_roll_at(d, i);
        json_t *jv = json_array_get(roll, i);
        cr_assert_str_eq(v->name, json_string_value(json_object_get(jv, "name")));
        uint8_t k[32];
        cr_assert_eq(sodium_hex2bin(k, 32, json_string_value(json_object_get(jv, "sign_pk")),
                                    64, NULL, NULL, NULL), 0);
        cr_assert_eq(memcmp(k, v->sign_pk, 32), 0);
        cr_assert_eq(defn_roll_find(d, v->curve_pk), (long)i);
        cr_assert_eq(defn_roll_find_sign(d, v->sign_pk), (long)i);
        cr_assert_eq(defn_roll_find(d, v->sign_pk), -1);
    }
    uint8_t unknown[32];
    randombytes_buf(unknown, sizeof unknown);
    cr_assert_eq(defn_roll_find(d, unknown), -1);
    cr_assert_eq(defn_server_find(d, unknown), -1);

    uint8_t sid[32];
    crypto_generichash(sid, 32, (const uint8_t *)txt, strlen(txt), NULL, 0);
    cr_assert_eq(memcmp(sid, defn_sid(d), 32), 0);

    defn_free(&d);
    cr_assert_null(d);
    defn_free(&d);
    unlink(path);
    rmdir(dir);
    free(txt);
    json_decref(root);
}

Test(defn, defaults_apply_when_optional_fields_absent)
{
    json_t *root = s_base();
    json_object_del(root, "t");
    json_object_del(root, "bits");
    json_object_del(root, "kappa");
    json_object_del(root, "timeout_ms");
    json_object_set_new(root, "kind", json_string("vote"));
    defn *d = NULL;
    char err[256] = "";
    cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s", err);
    cr_assert_eq(defn_kind(d), DEFN_VOTE);
    cr_assert_eq(defn_t(d), 1);
    cr_assert_eq(defn_bits(d), 32);
    cr_assert_eq(defn_kappa(d), 40);
    cr_assert_eq(defn_timeout_ms(d), 10000);
    cr_assert_eq(defn_field(d)->mers, 89);
    cr_assert_eq(defn_security(d), DEFN_MALICIOUS, "security with abort unless the file says otherwise");
    defn_free(&d);
    json_decref(root);
}

Test(defn, security_setting_is_malicious_or_semi_honest_and_nothing_else)
{
    static const char *const good[] = { "malicious", "semi-honest" };
    static const int want[] = { DEFN_MALICIOUS, DEFN_SEMI_HONEST };
    for (int i = 0; i < 2; i++) {
        json_t *root = s_base();
        json_object_set_new(root, "security", json_string(good[i]));
        defn *d = NULL;
        char err[256] = "";
        cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s", err);
        cr_assert_eq(defn_security(d), want[i]);
        cr_assert_str_eq(defn_security_name(defn_security(d)), good[i]);
        defn_free(&d);
        json_decref(root);
    }
    static const char *const bad[] = { "\"honest\"", "\"Malicious\"", "1", "true", "null" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *root = s_base();
        json_object_set_new(root, "security", json_loads(bad[i], JSON_DECODE_ANY, NULL));
        char *txt = s_dump(root);
        s_expect_fail_text(txt, strlen(txt), "security: expected");
        free(txt);
        json_decref(root);
    }
}

/* "domain": "field" by default, "binary" for auctions of at most 63 bits. */
Test(defn, domain_is_field_or_binary_for_auctions)
{
    static const struct { const char *kind, *domain; int bits, want; } ok[] = {
        { "vote", NULL, 32, DEFN_DOMAIN_FIELD },       { "auction", "field", 64, DEFN_DOMAIN_FIELD },
        { "auction", "binary", 63, DEFN_DOMAIN_BINARY }, { "auction", "binary", 1, DEFN_DOMAIN_BINARY },
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        json_t *root = s_base();
        json_object_set_new(root, "kind", json_string(ok[i].kind));
        json_object_set_new(root, "bits", json_integer(ok[i].bits));
        if (ok[i].domain) json_object_set_new(root, "domain", json_string(ok[i].domain));
        defn *d = NULL;
        char err[256] = "";
        cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%zu: %s", i, err);
        cr_assert_eq(defn_domain(d), ok[i].want);
        defn_free(&d);
        json_decref(root);
    }
    static const struct { const char *kind, *domain; int bits; const char *msg; } bad[] = {
        { "vote", "\"binary\"", 32, "domain: \"binary\" is for auctions" },
        { "auction", "\"binary\"", 64, "at most 63 bits" },
        { "auction", "\"Binary\"", 32, "domain: expected" },
        { "auction", "2", 32, "domain: expected" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *root = s_base();
        json_object_set_new(root, "kind", json_string(bad[i].kind));
        json_object_set_new(root, "bits", json_integer(bad[i].bits));
        json_object_set_new(root, "domain", json_loads(bad[i].domain, JSON_DECODE_ANY, NULL));
        char *txt = s_dump(root);
        s_expect_fail_text(txt, strlen(txt), bad[i].msg);
        free(txt);
        json_decref(root);
    }
}

Test(defn, default_field_follows_bits_and_kappa)
{
    static const struct { int bits, kappa, mers; } cases[] = {
        { 32, 40, 89 }, { 1, 20, 89 }, { 46, 40, 89 }, { 47, 40, 107 }, { 64, 40, 107 },
        { 64, 41, 127 }, { 64, 60, 127 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *root = s_base();
        json_object_set_new(root, "bits", json_integer(cases[i].bits));
        json_object_set_new(root, "kappa", json_integer(cases[i].kappa));
        defn *d = NULL;
        char err[256] = "";
        cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s", err);
        cr_assert_eq(defn_field(d)->mers, cases[i].mers, "bits %d kappa %d", cases[i].bits,
                     cases[i].kappa);
        cr_assert(defn_field(d)->bits > cases[i].bits + cases[i].kappa + 2);
        defn_free(&d);
        json_decref(root);
    }
}

Test(defn, explicit_prime_accepted_when_large_enough)
{
    static const char *const primes[] = {
        "2^127-1", "2^107-1", "85070591730234615865843651857942052727",
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *root = s_base();
        json_object_set_new(root, "prime", json_string(primes[i]));
        defn *d = NULL;
        char err[256] = "";
        cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s: %s", primes[i], err);
        cr_assert_geq(defn_field(d)->bits, 107);
        defn_free(&d);
        json_decref(root);
    }
}

Test(defn, single_server_with_t0_and_ipc_endpoints)
{
    json_t *root = s_base();
    json_t *servers = json_object_get(root, "servers");
    json_array_remove(servers, 2);
    json_array_remove(servers, 1);
    json_t *s = json_array_get(servers, 0);
    json_object_set_new(s, "mesh", json_string("ipc:///tmp/mesh-1"));
    json_object_set_new(s, "client", json_string("ipc:///tmp/client-1"));
    json_object_set_new(root, "t", json_integer(0));
    defn *d = NULL;
    char err[256] = "";
    cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s", err);
    cr_assert_eq(defn_n(d), 1);
    cr_assert_eq(defn_t(d), 0);
    cr_assert_str_eq(defn_server_at(d, 1)->client, "ipc:///tmp/client-1");
    defn_free(&d);
    json_decref(root);
}

Test(defn, session_id_is_blake2b_of_bytes_and_changes_with_one_byte)
{
    json_t *root = s_base();
    char *txt = s_dump(root);
    size_t len = strlen(txt);
    defn *a = NULL, *b = NULL;
    char err[256] = "";
    cr_assert_eq(defn_parse(&a, (const uint8_t *)txt, len, err, sizeof err), 0, "%s", err);
    uint8_t sid[32];
    crypto_generichash(sid, 32, (const uint8_t *)txt, len, NULL, 0);
    cr_assert_eq(memcmp(sid, defn_sid(a), 32), 0);
    /* Same content, one byte of whitespace different: still valid, new session. */
    char *sp = strchr(txt, ' ');
    cr_assert_not_null(sp);
    *sp = '\t';
    cr_assert_eq(defn_parse(&b, (const uint8_t *)txt, len, err, sizeof err), 0, "%s", err);
    cr_assert_neq(memcmp(defn_sid(a), defn_sid(b), 32), 0);
    cr_assert_str_eq(defn_id(a), defn_id(b));
    defn_free(&a);
    defn_free(&b);
    /* Every single-byte flip in the deadline digits gives another id too. */
    char *dl = strstr(txt, "2000000000");
    cr_assert_not_null(dl);
    dl[9] = '1';
    cr_assert_eq(defn_parse(&b, (const uint8_t *)txt, len, err, sizeof err), 0, "%s", err);
    cr_assert_neq(memcmp(sid, defn_sid(b), 32), 0);
    cr_assert_eq(defn_deadline(b), 2000000001);
    defn_free(&b);
    free(txt);
    json_decref(root);
}

/* The optional per-server "http" origin (docs/http.md): kept when present, NULL
 * when absent; a file without it keeps the sid of its bytes (only the bytes
 * are hashed), duplicates are refused. */
Test(defn, http_origin_is_optional_validated_and_unique)
{
    json_t *root = s_base();
    char err[256] = "", *txt = s_dump(root);
    defn *d = NULL;
    cr_assert_eq(defn_parse(&d, (const uint8_t *)txt, strlen(txt), err, sizeof err), 0, "%s", err);
    uint8_t want[32];
    crypto_generichash(want, 32, (const uint8_t *)txt, strlen(txt), NULL, 0);
    cr_expect_eq(memcmp(defn_sid(d), want, 32), 0, "the sid is the hash of the bytes");
    cr_expect_null(defn_server_at(d, 1)->http);
    defn_free(&d);
    free(txt);
    static const char *const ok[S_N] = { "http://127.0.0.1:8081", "https://vote.example.org:443",
                                         "http://[::1]:8083" };
    for (int i = 0; i < S_N; i++)
        json_object_set_new(json_array_get(json_object_get(root, "servers"), (size_t)i), "http",
                            json_string(ok[i]));
    txt = s_dump(root);
    cr_assert_eq(defn_parse(&d, (const uint8_t *)txt, strlen(txt), err, sizeof err), 0, "%s", err);
    for (int i = 0; i < S_N; i++) cr_expect_str_eq(defn_server_at(d, i + 1)->http, ok[i]);
    int port = 0, tls = 0;
    cr_expect_null(defn_http_origin_problem(ok[1], &port, &tls));
    cr_expect(port == 443 && tls == 1);
    cr_expect_null(defn_http_origin_problem(ok[2], &port, &tls));
    cr_expect(port == 8083 && tls == 0);
    defn_free(&d);
    free(txt);
    json_object_set_new(json_array_get(json_object_get(root, "servers"), 2), "http",
                        json_string(ok[0]));
    txt = s_dump(root);
    s_expect_fail_text(txt, strlen(txt), "servers[2].http: duplicate of servers[0]");
    free(txt);
    json_decref(root);
}

/* ---- refusals: one mutation each, the message names the field ---- */

typedef struct s_bad {
    const char *sel;      /* object to change: "", "servers/1", "roll/0", "rules" */
    const char *key;
    const char *value;    /* JSON text; NULL deletes; "$sel:key" copies a value */
    const char *needle;   /* expected in the error message */
} s_bad;

static const s_bad s_bad_cases[] = {
    { "", "extra", "1", "extra: unknown key" },
    { "", "Kind", "\"vote\"", "Kind: unknown key" },
    { "servers/1", "port", "7000", "servers[1].port: unknown key" },
    { "roll/2", "email", "\"c@x\"", "roll[2].email: unknown key" },
    { "", "id", NULL, "id: missing" },
    { "", "id", "5", "id: expected a string" },
    { "", "id", "\"\"", "id: expected 1..64" },
    { "", "id", "\"a b\"", "id: expected 1..64 characters of [A-Za-z0-9._-]" },
    { "", "id", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "id:" },
    { "", "kind", "\"lottery\"", "kind: expected \"auction\", \"vote\" or \"sum\"" },
    { "", "kind", NULL, "kind: missing" },
    { "", "t", "\"1\"", "t: expected an integer" },
    { "", "t", "1.0", "t: expected an integer" },
    { "", "t", "-1", "t: -1 out of range" },
    { "", "t", "2", "t: 2t < n required" },
    { "", "bits", "0", "bits: 0 out of range 1..64" },
    { "", "bits", "65", "bits: 65 out of range 1..64" },
    { "", "bits", "true", "bits: expected an integer" },
    { "", "kappa", "19", "kappa: 19 out of range 20..80" },
    { "", "kappa", "81", "kappa: 81 out of range 20..80" },
    { "", "prime", "7", "prime: expected a string" },
    { "", "prime", "\"7\"", "prime: too small" },
    { "", "prime", "\"2^61-1\"", "prime: too small for bits = 32, kappa = 40" },
    { "", "prime", "\"1000000000000000000000000000000000\"", "prime: not a prime" },
    { "", "prime", "\"2^89+1\"", "prime: expected \"2^m-1\" or a decimal" },
    { "", "prime", "\" 2^89-1\"", "prime: expected" },
    { "", "prime", "\"0x1f\"", "prime: expected" },
    { "", "prime", "\"-7\"", "prime: expected" },
    { "", "prime", "\"2^128-1\"", "prime: must be below 2^127" },
    { "", "prime", "\"2^521-1\"", "prime: must be below 2^127" },
    { "", "prime", "\"2^127-2\"", "prime: expected" },
    { "", "prime", "\"2^0-1\"", "prime: expected" },
    { "", "deadline", NULL, "deadline: missing" },
    { "", "deadline", "0", "deadline: 0 out of range" },
    { "", "deadline", "\"tomorrow\"", "deadline: expected an integer" },
    { "", "timeout_ms", "99", "timeout_ms: 99 out of range 100..600000" },
    { "", "timeout_ms", "600001", "timeout_ms: 600001 out of range" },
    { "", "servers", NULL, "servers: missing" },
    { "", "servers", "{}", "servers: expected an array" },
    { "", "servers", "[]", "servers: expected 1..9 servers, got 0" },
    { "", "servers", "[1]", "servers[0]: expected an object" },
    { "servers/0", "index", "2", "servers[0].index: expected 1" },
    { "servers/1", "index", "3", "servers[1].index: expected 2" },
    { "servers/2", "index", NULL, "servers[2].index: missing" },
    { "servers/2", "index", "\"3\"", "servers[2].index: expected an integer" },
    { "servers/1", "curve_pk", "\"abc\"", "servers[1].curve_pk: expected 64 hex characters" },
    { "servers/1", "curve_pk",
      "\"zz00000000000000000000000000000000000000000000000000000000000000\"",
      "servers[1].curve_pk: expected 64 hex characters" },
    { "servers/0", "sign_pk",
      "\"00000000000000000000000000000000000000000000000000000000000000001\"",
      "servers[0].sign_pk: expected 64 hex characters" },
    { "servers/0", "sign_pk",
      "\"0000000000000000000000000000000000000000000000000000000000000000\"",
      "servers[0].sign_pk: all-zero key" },
    { "servers/2", "sign_pk", NULL, "servers[2].sign_pk: missing" },
    { "servers/1", "curve_pk", "42", "servers[1].curve_pk: expected a string" },
    { "servers/1", "curve_pk", "$servers/0:curve_pk", "servers[1].curve_pk: duplicate of servers[0]" },
    { "servers/2", "sign_pk", "$servers/0:sign_pk", "servers[2].sign_pk: duplicate of servers[0]" },
    { "servers/2", "mesh", "$servers/1:mesh", "servers[2].mesh: duplicate of servers[1]" },
    { "servers/2", "client", "$servers/0:mesh", "servers[2].client: duplicate of servers[0]" },
    { "servers/0", "client", "$servers/0:mesh", "servers[0].client: same endpoint" },
    { "servers/0", "mesh", "\"\"", "servers[0].mesh: empty" },
    { "servers/0", "mesh", "\"http://x:1\"", "servers[0].mesh: expected tcp://host:port or ipc://" },
    { "servers/0", "mesh", "\"tcp://host\"", "servers[0].mesh: expected tcp://host:port" },
    { "servers/0", "mesh", "\"tcp://host:0\"", "servers[0].mesh: expected a port" },
    { "servers/0", "mesh", "\"tcp://host:65536\"", "servers[0].mesh: expected a port" },
    { "servers/0", "mesh", "\"tcp://h st:1\"", "servers[0].mesh: contains a space" },
    { "servers/0", "client", "\"ipc://\"", "servers[0].client: expected a path" },
    { "servers/0", "client", "null", "servers[0].client: expected a string" },
    { "servers/0", "http", "8080", "servers[0].http: expected a string" },
    { "servers/0", "http", "\"ftp://h:1\"", "servers[0].http: expected http://HOST:PORT" },
    { "servers/0", "http", "\"http://h\"", "servers[0].http: expected a host and :PORT" },
    { "servers/0", "http", "\"http://:80\"", "servers[0].http: expected a host" },
    { "servers/0", "http", "\"http://h:0\"", "servers[0].http: expected a port" },
    { "servers/0", "http", "\"http://h:65536\"", "servers[0].http: expected a port" },
    { "servers/0", "http", "\"http://h:80/\"", "servers[0].http: expected a port" },
    { "servers/0", "http", "\"http://u@h:80\"", "servers[0].http: the host may hold" },
    { "servers/0", "http", "\"http://::1:80\"", "servers[0].http: the host may hold" },
    { "servers/0", "http", "\"https://[zz]:443\"", "servers[0].http: not an IPv6 literal" },
    { "", "roll", NULL, "roll: missing" },
    { "", "roll", "[]", "roll: expected 1.." },
    { "", "roll", "{}", "roll: expected an array" },
    { "", "roll", "[\"alice\"]", "roll[0]: expected an object" },
    { "roll/1", "name", "\"\"", "roll[1].name: expected 1..64 bytes" },
    { "roll/1", "name", "\"a\\u0001b\"", "roll[1].name: expected 1..64 bytes" },
    { "roll/1", "name", "7", "roll[1].name: expected a string" },
    { "roll/3", "name", "\"alice\"", "roll[3].name: duplicate of roll[0]" },
    { "roll/3", "curve_pk", "$roll/1:curve_pk", "roll[3].curve_pk: duplicate of roll[1]" },
    { "roll/2", "sign_pk", "$roll/0:sign_pk", "roll[2].sign_pk: duplicate of roll[0]" },
    { "roll/2", "sign_pk", "\"12\"", "roll[2].sign_pk: expected 64 hex characters" },
    { "roll/0", "curve_pk", "$servers/1:curve_pk", "roll[0].curve_pk: equals the key of servers[1]" },
    { "roll/0", "sign_pk", "$servers/2:sign_pk", "roll[0].sign_pk: equals the key of servers[2]" },
    { "", "rules", NULL, "rules: missing" },
    { "", "rules", "[]", "rules: expected an object" },
};
#define S_NBAD (sizeof s_bad_cases / sizeof s_bad_cases[0])

/* One test for the whole table (a process per case would cost more than the
 * checks); a failure names the case. */
static void s_check_bad(const s_bad *c)
{
    json_t *root = s_base();
    json_t *obj = s_target(root, c->sel);
    cr_assert_not_null(obj, "selector %s", c->sel);
    if (!c->value) {
        cr_assert_eq(json_object_del(obj, c->key), 0);
    } else if (c->value[0] == '$') {
        char sel[32], key[32];
        cr_assert_eq(sscanf(c->value + 1, "%31[^:]:%31s", sel, key), 2);
        json_t *src = json_object_get(s_target(root, sel), key);
        cr_assert_not_null(src);
        json_object_set_new(obj, c->key, json_deep_copy(src));
    } else {
        json_error_t je;
        json_t *v = json_loads(c->value, JSON_DECODE_ANY, &je);
        cr_assert_not_null(v, "test value %s: %s", c->value, je.text);
        json_object_set_new(obj, c->key, v);
    }
    char *txt = s_dump(root);
    s_expect_fail_text(txt, strlen(txt), c->needle);
    free(txt);
    json_decref(root);
}

Test(defn, refuses_invalid_field)
{
    for (size_t i = 0; i < S_NBAD; i++) s_check_bad(&s_bad_cases[i]);
}

Test(defn, refuses_too_many_servers)
{
    json_t *root = s_base();
    json_t *servers = json_object_get(root, "servers");
    for (int i = S_N + 1; i <= 10; i++) {
        json_t *s = json_deep_copy(json_array_get(servers, 0));
        json_object_set_new(s, "index", json_integer(i));
        json_array_append_new(servers, s);
    }
    char *txt = s_dump(root);
    s_expect_fail_text(txt, strlen(txt), "servers: expected 1..9 servers, got 10");
    free(txt);
    json_decref(root);
}

Test(defn, refuses_no_default_prime_for_large_bits_and_kappa)
{
    json_t *root = s_base();
    json_object_set_new(root, "bits", json_integer(64));
    json_object_set_new(root, "kappa", json_integer(80));
    defn *d = NULL;
    char err[256] = "";
    cr_assert_eq(s_parse_json(root, &d, err, sizeof err), ERR_RANGE);
    cr_assert(strstr(err, "bits + kappa") != NULL, "%s", err);
    cr_assert_null(d);
    json_decref(root);
}

Test(defn, refuses_duplicate_json_key)
{
    json_t *root = s_base();
    char *txt = s_dump(root);
    /* Insert a second "t" right after the opening brace. */
    size_t len = strlen(txt);
    char *dup = malloc(len + 16);
    cr_assert_not_null(dup);
    snprintf(dup, len + 16, "{\"t\": 0,%s", txt + 1);
    s_expect_fail_text(dup, strlen(dup), "duplicate object key");
    s_expect_fail_text(dup, strlen(dup), "duplicate object key near '\"t\"'");
    /* Duplicate inside a server object. */
    char *p = strstr(txt, "\"index\": 2");
    cr_assert_not_null(p);
    snprintf(dup, len + 16, "%.*s\"index\": 2, %s", (int)(p - txt), txt, p);
    s_expect_fail_text(dup, strlen(dup), "duplicate object key");
    free(dup);
    free(txt);
    json_decref(root);
}

Test(defn, refuses_malformed_json_with_position)
{
    static const char *const bad[] = {
        "", "{", "[]", "42", "{\"id\": \"x\",}", "{\"id\": \"x\"} {}", "{\"id\": \"\\u0000\"}",
    };
    static const char *const needles[] = {
        "line", "line 1", "top level: expected an object", "line", "line 1", "line 1", "line 1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_expect_fail_text(bad[i], strlen(bad[i]), needles[i]);
    s_expect_fail_text("{\"id\"\0: 1}", 10, "line 1");
    const char notobj[] = "[1, 2]";
    defn *d = NULL;
    char err[256];
    cr_assert_eq(defn_parse(&d, (const uint8_t *)notobj, sizeof notobj - 1, err, sizeof err),
                 ERR_PARSE);
    /* Invalid UTF-8 in a string. */
    s_expect_fail_text("{\"id\": \"\xff\"}", 11, "line 1");
}

Test(defn, load_reports_missing_file)
{
    defn *d = NULL;
    char err[256] = "";
    cr_assert_eq(defn_load(&d, "/nonexistent/def.json", err, sizeof err), ERR_IO);
    cr_assert(strstr(err, "/nonexistent/def.json") != NULL, "%s", err);
    cr_assert_eq(defn_load(&d, "/tmp", err, sizeof err), ERR_IO);
    cr_assert_null(d);
}

Test(defn, random_byte_flips_never_crash)
{
    json_t *root = s_base();
    char *txt = s_dump(root);
    size_t len = strlen(txt);
    uint8_t *buf = malloc(len);
    cr_assert_not_null(buf);
    int accepted = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(buf, txt, len);
        int flips = 1 + (int)randombytes_uniform(3);
        for (int f = 0; f < flips; f++)
            buf[randombytes_uniform((uint32_t)len)] = (uint8_t)randombytes_uniform(256);
        size_t cut = it % 7 == 0 ? randombytes_uniform((uint32_t)len) : len;
        defn *d = NULL;
        char err[256];
        int rc = defn_parse(&d, buf, cut, err, sizeof err);
        if (rc == 0) {
            accepted++;
            cr_assert_not_null(d);
            cr_assert_eq(defn_n(d), S_N);
            defn_free(&d);
        } else {
            cr_assert_null(d);
            cr_assert(rc == ERR_PARSE || rc == ERR_RANGE);
            cr_assert(strlen(err) > 0);
        }
    }
    cr_assert_lt(accepted, 3000);
    free(buf);
    free(txt);
    json_decref(root);
}

/* ---- rules getters ---- */

static defn *s_with_rules(const char *rules)
{
    json_t *root = s_base();
    json_t *r = json_loads(rules, 0, NULL);
    cr_assert_not_null(r, "rules text %s", rules);
    json_object_set_new(root, "rules", r);
    defn *d = NULL;
    char err[256] = "";
    cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s", err);
    json_decref(root);
    return d;
}

Test(defn, rules_check_keys_names_unknown_key)
{
    defn *d = s_with_rules("{\"price\":\"first\",\"reserv\":3}");
    static const char *const allowed[] = { "price", "reserve", NULL };
    static const char *const all[] = { "price", "reserv", NULL };
    char err[256] = "";
    cr_assert_eq(defn_rules_check_keys(d, allowed, err, sizeof err), ERR_PARSE);
    cr_assert_str_eq(err, "rules.reserv: unknown key");
    cr_assert_eq(defn_rules_check_keys(d, all, err, sizeof err), 0);
    cr_assert(json_is_object(defn_rules(d)));
    defn_free(&d);
}

Test(defn, rules_getters_values_defaults_and_type_errors)
{
    defn *d = s_with_rules("{\"price\":\"second\",\"reserve\":10,\"reveal\":true,\"hide\":false,"
                           "\"options\":[\"yes\",\"no\",\"abstain\"],\"q\":\"2/3\",\"one\":\"5/5\","
                           "\"num\":\"x\",\"big\":99999999999}");
    char err[256] = "";
    const char *s;
    int64_t v, num, den;
    int b;
    cr_assert_eq(defn_rule_str(d, "price", "first", &s, err, sizeof err), 0);
    cr_assert_str_eq(s, "second");
    cr_assert_eq(defn_rule_str(d, "tie", "lowest", &s, err, sizeof err), 0);
    cr_assert_str_eq(s, "lowest");
    cr_assert_eq(defn_rule_str(d, "reserve", "x", &s, err, sizeof err), ERR_PARSE);
    cr_assert_str_eq(err, "rules.reserve: expected a string");

    cr_assert_eq(defn_rule_int(d, "reserve", 0, 0, 100, &v, err, sizeof err), 0);
    cr_assert_eq(v, 10);
    cr_assert_eq(defn_rule_int(d, "quorum", 7, 0, 100, &v, err, sizeof err), 0);
    cr_assert_eq(v, 7);
    cr_assert_eq(defn_rule_int(d, "reserve", 0, 11, 100, &v, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "rules.reserve: 10 out of range 11..100") != NULL, "%s", err);
    cr_assert_eq(defn_rule_int(d, "price", 0, 0, 100, &v, err, sizeof err), ERR_PARSE);
    cr_assert_str_eq(err, "rules.price: expected an integer");
    cr_assert_eq(defn_rule_int(d, "big", 0, 0, INT32_MAX, &v, err, sizeof err), ERR_PARSE);

    cr_assert_eq(defn_rule_bool(d, "reveal", 0, &b, err, sizeof err), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(defn_rule_bool(d, "hide", 1, &b, err, sizeof err), 0);
    cr_assert_eq(b, 0);
    cr_assert_eq(defn_rule_bool(d, "absent", 1, &b, err, sizeof err), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(defn_rule_bool(d, "reserve", 1, &b, err, sizeof err), ERR_PARSE);
    cr_assert_str_eq(err, "rules.reserve: expected true or false");

    const char **list;
    size_t cnt;
    cr_assert_eq(defn_rule_strlist(d, "options", 2, 10, &list, &cnt, err, sizeof err), 0);
    cr_assert_eq(cnt, 3);
    cr_assert_str_eq(list[0], "yes");
    cr_assert_str_eq(list[2], "abstain");
    free(list);
    cr_assert_eq(defn_rule_strlist(d, "options", 4, 10, &list, &cnt, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "rules.options: expected 4..10 entries, got 3") != NULL, "%s", err);
    cr_assert_eq(defn_rule_strlist(d, "absent", 0, 10, &list, &cnt, err, sizeof err), 0);
    cr_assert_eq(cnt, 0);
    cr_assert_null(list);
    cr_assert_eq(defn_rule_strlist(d, "absent", 1, 10, &list, &cnt, err, sizeof err), ERR_PARSE);
    cr_assert_str_eq(err, "rules.absent: missing (required)");
    cr_assert_eq(defn_rule_strlist(d, "price", 0, 10, &list, &cnt, err, sizeof err), ERR_PARSE);
    cr_assert_str_eq(err, "rules.price: expected an array of strings");

    cr_assert_eq(defn_rule_rational(d, "q", 1, 2, &num, &den, err, sizeof err), 0);
    cr_assert(num == 2 && den == 3);
    cr_assert_eq(defn_rule_rational(d, "one", 1, 2, &num, &den, err, sizeof err), 0);
    cr_assert(num == 5 && den == 5);
    cr_assert_eq(defn_rule_rational(d, "absent", 1, 2, &num, &den, err, sizeof err), 0);
    cr_assert(num == 1 && den == 2);
    cr_assert_eq(defn_rule_rational(d, "num", 1, 2, &num, &den, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "rules.num: expected \"num/den\"") != NULL, "%s", err);
    cr_assert_eq(defn_rule_rational(d, "reserve", 1, 2, &num, &den, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "rules.reserve:") != NULL, "%s", err);
    defn_free(&d);
}

Test(defn, rules_strlist_refuses_duplicates_and_non_strings)
{
    static const char *const bad[] = {
        "{\"o\":[\"a\",\"b\",\"a\"]}", "{\"o\":[\"a\",1]}", "{\"o\":[\"\"]}", "{\"o\":[null]}",
    };
    static const char *const needles[] = {
        "rules.o: duplicate entry \"a\"", "rules.o[1]: expected a non-empty string",
        "rules.o[0]: expected a non-empty string", "rules.o[0]:",
    };
    for (size_t i = 0; i < 4; i++) {
        defn *d = s_with_rules(bad[i]);
        const char **list = (const char **)1;
        size_t cnt = 9;
        char err[256] = "";
        cr_assert_eq(defn_rule_strlist(d, "o", 0, 10, &list, &cnt, err, sizeof err), ERR_PARSE);
        cr_assert(strstr(err, needles[i]) != NULL, "%s", err);
        cr_assert_null(list);
        cr_assert_eq(cnt, 0);
        defn_free(&d);
    }
}

Test(defn, rules_rational_refuses_out_of_range)
{
    static const char *const bad[] = {
        "0/3", "4/3", "1/0", "-1/2", "1/2 ", " 1/2", "01/2", "1//2", "1/", "/2", "1",
        "1/10000000000", "1000000001/1000000002", "1.5/2", "+1/2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char rules[128];
        snprintf(rules, sizeof rules, "{\"q\":\"%s\"}", bad[i]);
        defn *d = s_with_rules(rules);
        int64_t num = -5, den = -5;
        char err[256] = "";
        cr_assert_eq(defn_rule_rational(d, "q", 1, 2, &num, &den, err, sizeof err), ERR_PARSE,
                     "%s accepted", bad[i]);
        cr_assert(strstr(err, "rules.q:") != NULL, "%s", err);
        cr_assert(num == -5 && den == -5);
        defn_free(&d);
    }
    defn *d = s_with_rules("{\"q\":\"1000000000/1000000000\"}");
    int64_t num, den;
    char err[256];
    cr_assert_eq(defn_rule_rational(d, "q", 1, 2, &num, &den, err, sizeof err), 0);
    cr_assert_eq(num, 1000000000);
    defn_free(&d);
}

/* The optional texts shown to voters: any printable text (markup is only
 * text to the page), absent -> NULL; control characters, empty, too long or
 * not a string are refused. */
Test(defn, title_and_question_are_optional_printable_texts)
{
    json_t *root = s_base();
    defn *d = NULL;
    char err[256] = "";
    cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s", err);
    cr_assert_null(defn_title(d));
    cr_assert_null(defn_question(d));
    defn_free(&d);
    json_object_set_new(root, "title", json_string("Motion 7 <b>é</b>"));
    json_object_set_new(root, "question", json_string("Adopt the new by-laws?"));
    cr_assert_eq(s_parse_json(root, &d, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(defn_title(d), "Motion 7 <b>é</b>");
    cr_assert_str_eq(defn_question(d), "Adopt the new by-laws?");
    defn_free(&d);
    json_decref(root);
    char long_title[DEFN_MAX_TITLE + 2];
    memset(long_title, 'a', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = 0;
    const char *bad[] = { "", "line\nbreak", "esc\x1b[31m", long_title };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        root = s_base();
        json_object_set_new(root, "title", json_string(bad[i]));
        char *txt = s_dump(root);
        s_expect_fail_text(txt, strlen(txt), "title: expected a text");
        free(txt);
        json_decref(root);
    }
    root = s_base();
    json_object_set_new(root, "question", json_integer(3));
    char *txt = s_dump(root);
    s_expect_fail_text(txt, strlen(txt), "question: expected a text");
    free(txt);
    json_decref(root);
}
