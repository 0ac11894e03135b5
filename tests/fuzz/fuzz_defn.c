/* fuzz_defn: defn_parse on any bytes (the definition file every server and
 * client loads). On success: the accessors stay within the documented ranges,
 * every server and roll key is found again at its own index, every rules
 * getter runs on every key present in "rules" (and on absent keys, which give
 * the default), and defn_format of the parsed definition is accepted by
 * defn_parse and describes the same session (writer and loader agree).
 * Any violation abort()s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gmp.h>
#include <sodium.h>
#include "common/defn.h"
#include "tests/fuzz/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void s_check_rc(int rc)
{
    if (rc != 0 && rc != ERR_PARSE) abort();
}

/* Every getter on key; results must hold what the getter promises. */
static void s_getters(const defn *d, const char *key)
{
    char err[256];
    const char *s = NULL;
    int rc = defn_rule_str(d, key, "dflt", &s, err, sizeof err);
    s_check_rc(rc);
    if (rc == 0 && !s) abort();

    int64_t v = 0;
    rc = defn_rule_int(d, key, 7, -5, 1000, &v, err, sizeof err);
    s_check_rc(rc);
    if (rc == 0 && (v < -5 || v > 1000)) abort();
    rc = defn_rule_int(d, key, 0, INT64_MIN, INT64_MAX, &v, err, sizeof err);
    s_check_rc(rc);

    int b = -1;
    rc = defn_rule_bool(d, key, 1, &b, err, sizeof err);
    s_check_rc(rc);
    if (rc == 0 && b != 0 && b != 1) abort();

    const char **list = NULL;
    size_t count = 0;
    rc = defn_rule_strlist(d, key, 0, 64, &list, &count, err, sizeof err);
    s_check_rc(rc);
    if (rc == 0) {
        if (count > 64 || (count == 0) != (list == NULL)) abort();
        for (size_t i = 0; i < count; i++) {
            if (!list[i] || !list[i][0]) abort();
            for (size_t j = 0; j < i; j++)
                if (!strcmp(list[i], list[j])) abort();
        }
    } else if (list || count) {
        abort();
    }
    free(list);
    rc = defn_rule_strlist(d, key, 2, 3, &list, &count, err, sizeof err);
    s_check_rc(rc);
    if (rc == 0 && (count < 2 || count > 3)) abort();
    free(list);

    int64_t num = 0, den = 0;
    rc = defn_rule_rational(d, key, 1, 2, &num, &den, err, sizeof err);
    s_check_rc(rc);
    if (rc == 0 && (num < 1 || den > 1000000000 || num > den)) abort();
}

static void s_same(const defn *a, const defn *b)
{
    if (strcmp(defn_id(a), defn_id(b)) || defn_kind(a) != defn_kind(b) || defn_n(a) != defn_n(b) ||
        defn_t(a) != defn_t(b) || defn_bits(a) != defn_bits(b) ||
        defn_kappa(a) != defn_kappa(b) || defn_field(a)->p != defn_field(b)->p ||
        defn_deadline(a) != defn_deadline(b) || defn_timeout_ms(a) != defn_timeout_ms(b) ||
        defn_roll_size(a) != defn_roll_size(b) || !json_equal((json_t *)defn_rules(a),
                                                              (json_t *)defn_rules(b)))
        abort();
    for (int i = 1; i <= defn_n(a); i++) {
        const defn_server *x = defn_server_at(a, i), *y = defn_server_at(b, i);
        if (strcmp(x->mesh, y->mesh) || strcmp(x->client, y->client) ||
            !x->http != !y->http || (x->http && strcmp(x->http, y->http)) ||
            memcmp(x->curve_pk, y->curve_pk, DEFN_KEY_LEN) ||
            memcmp(x->sign_pk, y->sign_pk, DEFN_KEY_LEN))
            abort();
    }
    for (size_t i = 0; i < defn_roll_size(a); i++) {
        const defn_voter *x = defn_roll_at(a, i), *y = defn_roll_at(b, i);
        if (strcmp(x->name, y->name) || memcmp(x->curve_pk, y->curve_pk, DEFN_KEY_LEN) ||
            memcmp(x->sign_pk, y->sign_pk, DEFN_KEY_LEN))
            abort();
    }
}

/* Write the parsed definition back out and load the text again. */
static void s_reformat(const defn *d)
{
    int n = defn_n(d);
    size_t rs = defn_roll_size(d);
    defn_server servers[MPC_MAX_SERVERS];
    defn_voter *roll = malloc(rs * sizeof *roll);
    if (!roll) abort();
    for (int i = 0; i < n; i++) servers[i] = *defn_server_at(d, i + 1);
    for (size_t i = 0; i < rs; i++) roll[i] = *defn_roll_at(d, i);
    mpz_t p;
    mpz_init(p);
    fe_to_mpz(p, defn_field(d)->p);
    char *prime = mpz_get_str(NULL, 10, p);
    mpz_clear(p);
    defn_spec spec = {
        .id = defn_id(d), .kind = defn_kind(d), .t = defn_t(d), .bits = defn_bits(d),
        .kappa = defn_kappa(d), .prime = prime, .deadline = defn_deadline(d),
        .timeout_ms = defn_timeout_ms(d), .n = n, .servers = servers, .roll_size = rs,
        .roll = roll, .rules = defn_rules(d),
    };
    char *text = NULL, err[256];
    size_t len = 0;
    if (defn_format(&text, &len, &spec, err, sizeof err) != 0) {
        fprintf(stderr, "defn_format refused a parsed definition: %s\n", err);
        abort();
    }
    defn *again = NULL;
    if (defn_parse(&again, (const uint8_t *)text, len, err, sizeof err) != 0) {
        fprintf(stderr, "defn_parse refused defn_format's output: %s\n", err);
        abort();
    }
    s_same(d, again);
    defn_free(&again);
    free(text);
    free(roll);
    void (*gmp_free)(void *, size_t);
    mp_get_memory_functions(NULL, NULL, &gmp_free);
    gmp_free(prime, strlen(prime) + 1);
}

static void s_valid(const defn *d, const uint8_t *data, size_t size)
{
    uint8_t sid[MPC_SID_LEN];
    crypto_generichash(sid, sizeof sid, data, size, NULL, 0);
    if (memcmp(sid, defn_sid(d), MPC_SID_LEN) != 0) abort();
    const char *id = defn_id(d);
    size_t idl = strlen(id);
    int n = defn_n(d), t = defn_t(d);
    if (idl < 1 || idl > DEFN_MAX_ID || defn_kind(d) < DEFN_AUCTION || defn_kind(d) > DEFN_SUM ||
        n < 1 || n > MPC_MAX_SERVERS || t < 0 || 2 * t >= n || defn_bits(d) < 1 ||
        defn_bits(d) > 64 || defn_kappa(d) < 20 || defn_kappa(d) > 80 || defn_deadline(d) <= 0 ||
        defn_timeout_ms(d) < 100 || defn_timeout_ms(d) > 600000)
        abort();
    int e = defn_bits(d) + defn_kappa(d) + 2;
    if (e >= 127 || defn_field(d)->p <= ((fe)1 << e)) abort();

    if (defn_server_at(d, 0) || defn_server_at(d, n + 1)) abort();
    for (int i = 1; i <= n; i++) {
        const defn_server *s = defn_server_at(d, i);
        if (!s || s->index != i || !s->mesh || !s->client ||
            defn_server_find(d, s->curve_pk) != i || defn_server_find_sign(d, s->sign_pk) != i ||
            defn_roll_find(d, s->curve_pk) != -1 || defn_roll_find_sign(d, s->sign_pk) != -1)
            abort();
        /* the optional web origin: valid, and unique among the servers */
        int port = 0, tls = -1;
        if (s->http && (defn_http_origin_problem(s->http, &port, &tls) || port < 1 ||
                        port > 65535 || (tls != 0 && tls != 1)))
            abort();
        for (int j = 1; s->http && j < i; j++)
            if (defn_server_at(d, j)->http && !strcmp(defn_server_at(d, j)->http, s->http)) abort();
    }
    size_t rs = defn_roll_size(d);
    if (rs < 1 || rs > DEFN_MAX_ROLL || defn_roll_at(d, rs)) abort();
    for (size_t i = 0; i < rs; i++) {
        const defn_voter *v = defn_roll_at(d, i);
        static const uint8_t zero[32];
        if (!v) abort();
        int has_curve = memcmp(v->curve_pk, zero, 32) != 0;   /* optional (credentials) */
        if (!v->name || defn_roll_find(d, v->curve_pk) != (has_curve ? (long)i : -1) ||
            defn_roll_find_sign(d, v->sign_pk) != (long)i ||
            (has_curve && defn_server_find(d, v->curve_pk) != -1))
            abort();
    }

    const json_t *rules = defn_rules(d);
    if (!json_is_object(rules)) abort();
    char err[256];
    static const char *const none[] = { NULL };
    int rc = defn_rules_check_keys(d, none, err, sizeof err);
    /* "close" is every application's rule: alone and well formed it passes */
    const json_t *cl = json_object_get(rules, "close");
    int close_ok = cl && json_is_string(cl) && (!strcmp(json_string_value(cl), "deadline") ||
                                                !strcmp(json_string_value(cl), "all_voted"));
    size_t others = json_object_size(rules) - (cl ? 1 : 0);
    if ((others || (cl && !close_ok)) ? rc != ERR_PARSE : rc != 0) abort();
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)rules, key, val) {
        (void)val;
        s_getters(d, key);
    }
    s_getters(d, "\x01 surely absent");
    s_reformat(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    defn *d = NULL;
    char err[256];
    err[0] = 0;
    int rc = defn_parse(&d, data, size, err, sizeof err);
    if (rc == 0) {
        if (!d) abort();
        s_valid(d, data, size);
        defn_free(&d);
    } else {
        if ((rc != ERR_PARSE && rc != ERR_RANGE) || d || !err[0] ||
            memchr(err, 0, sizeof err) == NULL)
            abort();
    }
    return 0;
}
