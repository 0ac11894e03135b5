/* defn: strict loader of the definition file (docs/definition-file.md) and its
 * accessors. The rules getters are in defn_rules.c, the writer in defn_write.c. */
#include "common/defn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/defn_impl.h"
#include "common/keys.h"
#include "common/xalloc.h"

/* A key with the roll index it belongs to; sorted arrays of these answer lookups. */
typedef struct s_keyidx {
    uint8_t key[DEFN_KEY_LEN];
    uint32_t idx;
} s_keyidx;

struct defn {
    uint8_t sid[MPC_SID_LEN];
    json_t *root;                 /* owns every string the accessors return */
    const json_t *rules;          /* borrowed from root */
    const char *id;
    const char *title, *question;   /* optional texts for voters; NULL when absent */
    int kind, n, t, bits, kappa, timeout_ms, security, domain;
    int64_t deadline;
    field F;
    defn_server servers[MPC_MAX_SERVERS];
    defn_voter *roll;
    size_t roll_n;
    s_keyidx *by_curve, *by_sign; /* roll keys sorted, for lookups */
    size_t by_curve_n;            /* entries with a CURVE key (it is optional) */
};

static const char *const s_top_keys[] = {
    "id", "title", "question", "kind", "t", "bits", "kappa", "prime", "deadline", "timeout_ms",
    "security", "domain", "servers", "roll", "rules", NULL
};
static const char *const s_server_keys[] = {
    "index", "mesh", "client", "curve_pk", "sign_pk", "http", NULL
};
static const char *const s_roll_keys[] = { "name", "curve_pk", "sign_pk", NULL };

void defn_safe_str(char out[48], const char *s)
{
    size_t i = 0;
    for (; s[i] && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s[i]) { memcpy(out + i, "...", 3); i += 3; }
    out[i] = 0;
}

int defn_json_check_keys(const json_t *obj, const char *path, const char *const allowed[],
                         char *err, size_t errlen)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        (void)val;
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0) { ok = 1; break; }
        if (!ok) {
            char safe[48];
            defn_safe_str(safe, key);
            err_fmt(err, errlen, "%s%s%s: unknown key", path, *path ? "." : "", safe);
            return ERR_PARSE;
        }
    }
    return 0;
}

int defn_json_int(const json_t *obj, const char *path, const char *key, int required,
                  int64_t dflt, int64_t min, int64_t max, int64_t *out,
                  char *err, size_t errlen)
{
    const char *dot = *path ? "." : "";
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) {
            err_fmt(err, errlen, "%s%s%s: missing (required)", path, dot, key);
            return ERR_PARSE;
        }
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v)) {
        err_fmt(err, errlen, "%s%s%s: expected an integer", path, dot, key);
        return ERR_PARSE;
    }
    json_int_t x = json_integer_value(v);
    if (x < min || x > max) {
        err_fmt(err, errlen, "%s%s%s: %lld out of range %lld..%lld", path, dot, key,
                (long long)x, (long long)min, (long long)max);
        return ERR_PARSE;
    }
    *out = (int64_t)x;
    return 0;
}

/* Required string member; NULL with a message when absent or not a string. */
static const char *s_get_str(const json_t *obj, const char *path, const char *key,
                             char *err, size_t errlen)
{
    const char *dot = *path ? "." : "";
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        err_fmt(err, errlen, "%s%s%s: missing (required)", path, dot, key);
        return NULL;
    }
    if (!json_is_string(v)) {
        err_fmt(err, errlen, "%s%s%s: expected a string", path, dot, key);
        return NULL;
    }
    return json_string_value(v);
}

static int s_get_key(const json_t *obj, const char *path, const char *key,
                     uint8_t out[DEFN_KEY_LEN], char *err, size_t errlen)
{
    const char *s = s_get_str(obj, path, key, err, errlen);
    if (!s) return ERR_PARSE;
    if (keys_hex_decode(out, DEFN_KEY_LEN, s) != 0) {
        err_fmt(err, errlen, "%s.%s: expected %d hex characters", path, key, 2 * DEFN_KEY_LEN);
        return ERR_PARSE;
    }
    if (sodium_is_zero(out, DEFN_KEY_LEN)) {
        err_fmt(err, errlen, "%s.%s: all-zero key", path, key);
        return ERR_PARSE;
    }
    return 0;
}

/* NULL if s is a usable endpoint, else why not. */
static const char *s_endpoint_problem(const char *s)
{
    size_t len = strlen(s);
    if (len == 0) return "empty";
    if (len > DEFN_MAX_ENDPOINT) return "longer than 255 characters";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return "contains a space or a non-printable character";
    if (strncmp(s, "ipc://", 6) == 0)
        return len > 6 ? NULL : "expected a path after ipc://";
    if (strncmp(s, "tcp://", 6) != 0) return "expected tcp://host:port or ipc://path";
    const char *colon = strrchr(s + 6, ':');
    if (!colon || colon == s + 6) return "expected tcp://host:port";
    const char *port = colon + 1;
    size_t pl = strlen(port);
    if (pl == 0 || pl > 5) return "expected a port 1..65535";
    long v = 0;
    for (size_t i = 0; i < pl; i++) {
        if (port[i] < '0' || port[i] > '9') return "expected a port 1..65535";
        v = v * 10 + (port[i] - '0');
    }
    if (v < 1 || v > 65535) return "expected a port 1..65535";
    return NULL;
}

const char *defn_http_origin_problem(const char *s, int *port, int *tls)
{
    size_t len = strlen(s), skip = !strncmp(s, "http://", 7) ? 7 : !strncmp(s, "https://", 8) ? 8 : 0;
    if (!skip) return "expected http://HOST:PORT or https://HOST:PORT";
    if (len > DEFN_MAX_ENDPOINT) return "longer than 255 characters";
    const char *h = s + skip, *colon = strrchr(h, ':');
    if (!colon || colon == h) return "expected a host and :PORT after the scheme";
    if (h[0] == '[') {
        if (colon[-1] != ']' || colon - h < 4) return "expected [IPv6]:PORT";
        for (const char *q = h + 1; q < colon - 1; q++)
            if (!strchr("0123456789abcdefABCDEF:.", *q)) return "not an IPv6 literal in brackets";
    } else {
        for (const char *q = h; q < colon; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                  (*q >= '0' && *q <= '9') || *q == '.' || *q == '-'))
                return "the host may hold letters, digits, '.' and '-' only (no path, user or "
                       "IPv6 without brackets)";
    }
    const char *pt = colon + 1;
    size_t pl = strlen(pt);
    long v = 0;
    if (pl == 0 || pl > 5 || pt[0] == '0') return "expected a port 1..65535 (no path after it)";
    for (size_t i = 0; i < pl; i++) {
        if (pt[i] < '0' || pt[i] > '9') return "expected a port 1..65535 (no path after it)";
        v = v * 10 + (pt[i] - '0');
    }
    if (v > 65535) return "expected a port 1..65535";
    if (port) *port = (int)v;
    if (tls) *tls = skip == 8;
    return NULL;
}

int defn_name_ok(const char *s)
{
    size_t len = strlen(s);
    if (len < 1 || len > DEFN_MAX_ID) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int defn_roll_name_ok(const char *s)
{
    size_t len = strlen(s);
    if (len < 1 || len > DEFN_MAX_ID) return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f) return 0;
    return 1;
}

/* "2^m-1" or a decimal number, nothing else (no signs, spaces, leading zeros). */
static int s_prime_syntax_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 60) return 0;
    if (strncmp(s, "2^", 2) == 0) {
        size_t i = 2;
        if (s[i] < '1' || s[i] > '9') return 0;
        while (s[i] >= '0' && s[i] <= '9') i++;
        return i - 2 <= 4 && strcmp(s + i, "-1") == 0;
    }
    if (s[0] < '1' || s[0] > '9') return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static int s_keyidx_cmp(const void *a, const void *b)
{
    const s_keyidx *x = a, *y = b;
    int c = memcmp(x->key, y->key, DEFN_KEY_LEN);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct s_nameidx {
    const char *name;
    uint32_t idx;
} s_nameidx;

static int s_nameidx_cmp(const void *a, const void *b)
{
    const s_nameidx *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int s_parse_field(defn *d, const json_t *root, char *err, size_t errlen)
{
    const json_t *pv = json_object_get(root, "prime");
    int e = d->bits + d->kappa + 2;
    if (!pv) {
        if (field_init_default(&d->F, d->bits, d->kappa) != 0) {
            err_fmt(err, errlen, "bits + kappa: no default prime p > 2^(bits+kappa+2) = 2^%d "
                    "below 2^127; lower bits or kappa", e);
            return ERR_RANGE;
        }
        return 0;
    }
    if (!json_is_string(pv)) {
        err_fmt(err, errlen, "prime: expected a string (\"2^m-1\" or decimal)");
        return ERR_PARSE;
    }
    const char *ps = json_string_value(pv);
    if (!s_prime_syntax_ok(ps)) {
        err_fmt(err, errlen, "prime: expected \"2^m-1\" or a decimal number");
        return ERR_PARSE;
    }
    if (strncmp(ps, "2^", 2) == 0 ? atoi(ps + 2) > FIELD_MAX_BITS : strlen(ps) > 39) {
        err_fmt(err, errlen, "prime: must be below 2^127");
        return ERR_PARSE;
    }
    int rc = field_init_str(&d->F, ps);
    if (rc == ERR_RANGE) {
        err_fmt(err, errlen, "prime: must be below 2^127");
        return ERR_PARSE;
    }
    if (rc != 0) {
        err_fmt(err, errlen, "prime: not a prime");
        return ERR_PARSE;
    }
    if (e >= 127 || d->F.p <= ((fe)1 << e)) {
        err_fmt(err, errlen, "prime: too small for bits = %d, kappa = %d (need p > 2^%d)",
                d->bits, d->kappa, e);
        return ERR_PARSE;
    }
    return 0;
}

static int s_parse_servers(defn *d, const json_t *root, char *err, size_t errlen)
{
    const json_t *arr = json_object_get(root, "servers");
    if (!arr) { err_fmt(err, errlen, "servers: missing (required)"); return ERR_PARSE; }
    if (!json_is_array(arr)) {
        err_fmt(err, errlen, "servers: expected an array");
        return ERR_PARSE;
    }
    size_t n = json_array_size(arr);
    if (n < 1 || n > MPC_MAX_SERVERS) {
        err_fmt(err, errlen, "servers: expected 1..%d servers, got %zu", MPC_MAX_SERVERS, n);
        return ERR_PARSE;
    }
    d->n = (int)n;
    for (size_t i = 0; i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "servers[%zu]", i);
        const json_t *s = json_array_get(arr, i);
        if (!json_is_object(s)) {
            err_fmt(err, errlen, "%s: expected an object", path);
            return ERR_PARSE;
        }
        if (defn_json_check_keys(s, path, s_server_keys, err, errlen)) return ERR_PARSE;
        defn_server *sv = &d->servers[i];
        int64_t idx;
        if (defn_json_int(s, path, "index", 1, 0, INT64_MIN, INT64_MAX, &idx, err, errlen))
            return ERR_PARSE;
        if (idx != (int64_t)i + 1) {
            err_fmt(err, errlen, "%s.index: expected %zu (indices run 1..n in order), got %lld",
                    path, i + 1, (long long)idx);
            return ERR_PARSE;
        }
        sv->index = (int)idx;
        static const char *const ep_keys[2] = { "mesh", "client" };
        for (int k = 0; k < 2; k++) {
            const char *ep = s_get_str(s, path, ep_keys[k], err, errlen);
            if (!ep) return ERR_PARSE;
            const char *why = s_endpoint_problem(ep);
            if (why) { err_fmt(err, errlen, "%s.%s: %s", path, ep_keys[k], why); return ERR_PARSE; }
            if (k == 0) sv->mesh = ep; else sv->client = ep;
        }
        if (strcmp(sv->mesh, sv->client) == 0) {
            err_fmt(err, errlen, "%s.client: same endpoint as %s.mesh", path, path);
            return ERR_PARSE;
        }
        if (s_get_key(s, path, "curve_pk", sv->curve_pk, err, errlen)) return ERR_PARSE;
        if (s_get_key(s, path, "sign_pk", sv->sign_pk, err, errlen)) return ERR_PARSE;
        sv->http = NULL;   /* optional: only a file that has it hashes it into the sid */
        if (json_object_get(s, "http")) {
            const char *why = (sv->http = s_get_str(s, path, "http", err, errlen))
                                  ? defn_http_origin_problem(sv->http, NULL, NULL) : "";
            if (why) {
                if (*why) err_fmt(err, errlen, "%s.http: %s", path, why);
                return ERR_PARSE;
            }
        }
        for (size_t j = 0; j < i; j++) {
            const defn_server *o = &d->servers[j];
            const char *what = NULL;
            if (!strcmp(sv->mesh, o->mesh) || !strcmp(sv->mesh, o->client)) what = "mesh";
            else if (!strcmp(sv->client, o->mesh) || !strcmp(sv->client, o->client)) what = "client";
            else if (!memcmp(sv->curve_pk, o->curve_pk, DEFN_KEY_LEN)) what = "curve_pk";
            else if (!memcmp(sv->sign_pk, o->sign_pk, DEFN_KEY_LEN)) what = "sign_pk";
            else if (sv->http && o->http && !strcmp(sv->http, o->http)) what = "http";
            if (what) {
                err_fmt(err, errlen, "%s.%s: duplicate of servers[%zu]", path, what, j);
                return ERR_PARSE;
            }
        }
    }
    return 0;
}

static int s_parse_roll(defn *d, const json_t *root, char *err, size_t errlen)
{
    const json_t *arr = json_object_get(root, "roll");
    if (!arr) { err_fmt(err, errlen, "roll: missing (required)"); return ERR_PARSE; }
    if (!json_is_array(arr)) { err_fmt(err, errlen, "roll: expected an array"); return ERR_PARSE; }
    size_t m = json_array_size(arr);
    if (m < 1 || m > DEFN_MAX_ROLL) {
        err_fmt(err, errlen, "roll: expected 1..%u entries, got %zu", DEFN_MAX_ROLL, m);
        return ERR_PARSE;
    }
    d->roll = xcalloc(m, sizeof *d->roll);
    d->by_curve = xcalloc(m, sizeof *d->by_curve);
    d->by_sign = xcalloc(m, sizeof *d->by_sign);
    s_nameidx *names = xcalloc(m, sizeof *names);
    d->roll_n = m;
    int rc = ERR_PARSE;
    for (size_t i = 0; i < m; i++) {
        char path[32];
        snprintf(path, sizeof path, "roll[%zu]", i);
        const json_t *e = json_array_get(arr, i);
        if (!json_is_object(e)) { err_fmt(err, errlen, "%s: expected an object", path); goto out; }
        if (defn_json_check_keys(e, path, s_roll_keys, err, errlen)) goto out;
        defn_voter *v = &d->roll[i];
        v->name = s_get_str(e, path, "name", err, errlen);
        if (!v->name) goto out;
        if (!defn_roll_name_ok(v->name)) {
            err_fmt(err, errlen, "%s.name: expected 1..%d bytes without control characters",
                    path, DEFN_MAX_ID);
            goto out;
        }
        /* The CURVE key is optional: a voter who authenticates by the Ed25519
         * signature on the submission alone (a credential roll) has none. */
        int has_curve = json_object_get(e, "curve_pk") != NULL;
        if (has_curve && s_get_key(e, path, "curve_pk", v->curve_pk, err, errlen)) goto out;
        if (s_get_key(e, path, "sign_pk", v->sign_pk, err, errlen)) goto out;
        for (int j = 0; j < d->n; j++) {
            if (has_curve && !memcmp(v->curve_pk, d->servers[j].curve_pk, DEFN_KEY_LEN)) {
                err_fmt(err, errlen, "%s.curve_pk: equals the key of servers[%d]", path, j);
                goto out;
            }
            if (!memcmp(v->sign_pk, d->servers[j].sign_pk, DEFN_KEY_LEN)) {
                err_fmt(err, errlen, "%s.sign_pk: equals the key of servers[%d]", path, j);
                goto out;
            }
        }
        if (has_curve) {
            memcpy(d->by_curve[d->by_curve_n].key, v->curve_pk, DEFN_KEY_LEN);
            d->by_curve[d->by_curve_n++].idx = (uint32_t)i;
        }
        memcpy(d->by_sign[i].key, v->sign_pk, DEFN_KEY_LEN);
        d->by_sign[i].idx = (uint32_t)i;
        names[i].name = v->name;
        names[i].idx = (uint32_t)i;
    }
    qsort(names, m, sizeof *names, s_nameidx_cmp);
    qsort(d->by_curve, d->by_curve_n, sizeof *d->by_curve, s_keyidx_cmp);
    qsort(d->by_sign, m, sizeof *d->by_sign, s_keyidx_cmp);
    for (size_t i = 1; i < m; i++) {
        if (!strcmp(names[i].name, names[i - 1].name)) {
            err_fmt(err, errlen, "roll[%u].name: duplicate of roll[%u]", names[i].idx,
                    names[i - 1].idx);
            goto out;
        }
        if (i < d->by_curve_n &&
            !memcmp(d->by_curve[i].key, d->by_curve[i - 1].key, DEFN_KEY_LEN)) {
            err_fmt(err, errlen, "roll[%u].curve_pk: duplicate of roll[%u]", d->by_curve[i].idx,
                    d->by_curve[i - 1].idx);
            goto out;
        }
        if (!memcmp(d->by_sign[i].key, d->by_sign[i - 1].key, DEFN_KEY_LEN)) {
            err_fmt(err, errlen, "roll[%u].sign_pk: duplicate of roll[%u]", d->by_sign[i].idx,
                    d->by_sign[i - 1].idx);
            goto out;
        }
    }
    rc = 0;
out:
    free(names);
    return rc;
}

/* "security": "malicious" (the default: security with abort against t cheating
 * servers) or "semi-honest" (speed experiments only; shown in every result). */
static int s_parse_security(defn *d, const json_t *root, char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, "security");
    d->security = DEFN_MALICIOUS;
    if (!v) return 0;
    const char *s = json_string_value(v);
    if (s && !strcmp(s, "malicious")) return 0;
    if (s && !strcmp(s, "semi-honest")) {
        d->security = DEFN_SEMI_HONEST;
        return 0;
    }
    err_fmt(err, errlen, "security: expected \"malicious\" or \"semi-honest\"");
    return ERR_PARSE;
}

/* "domain": "field" (the default) or "binary" (bid bits shared over
 * GF(2^4): auctions only, at most 63 bits, 15 servers). */
static int s_parse_domain(defn *d, const json_t *root, char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, "domain");
    d->domain = DEFN_DOMAIN_FIELD;
    if (!v) return 0;
    const char *s = json_string_value(v);
    if (s && !strcmp(s, "field")) return 0;
    if (s && !strcmp(s, "binary")) {
        d->domain = DEFN_DOMAIN_BINARY;
        if (d->kind == DEFN_AUCTION && d->bits <= 63) return 0;
        err_fmt(err, errlen, "domain: \"binary\" is for auctions of at most 63 bits");
        return ERR_PARSE;
    }
    err_fmt(err, errlen, "domain: expected \"field\" or \"binary\"");
    return ERR_PARSE;
}

int defn_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return 1;
}

/* Optional text member (a title or question shown to voters): no control
 * character (a page or terminal must not be steered by it), 1..max bytes. */
static int s_opt_text(const json_t *root, const char *key, size_t max, const char **out,
                      char *err, size_t errlen)
{
    const json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v) return 0;
    if (!json_is_string(v) || !defn_text_ok(json_string_value(v), max)) {
        err_fmt(err, errlen, "%s: expected a text of 1..%zu bytes without control characters",
                key, max);
        return ERR_PARSE;
    }
    *out = json_string_value(v);
    return 0;
}

static int s_parse_root(defn *d, const json_t *root, char *err, size_t errlen)
{
    int64_t v;
    if (defn_json_check_keys(root, "", s_top_keys, err, errlen)) return ERR_PARSE;

    d->id = s_get_str(root, "", "id", err, errlen);
    if (!d->id) return ERR_PARSE;
    if (!defn_name_ok(d->id)) {
        err_fmt(err, errlen, "id: expected 1..%d characters of [A-Za-z0-9._-]", DEFN_MAX_ID);
        return ERR_PARSE;
    }
    if (s_opt_text(root, "title", DEFN_MAX_TITLE, &d->title, err, errlen) ||
        s_opt_text(root, "question", DEFN_MAX_QUESTION, &d->question, err, errlen))
        return ERR_PARSE;
    const char *kind = s_get_str(root, "", "kind", err, errlen);
    if (!kind) return ERR_PARSE;
    if (!strcmp(kind, "auction")) d->kind = DEFN_AUCTION;
    else if (!strcmp(kind, "vote")) d->kind = DEFN_VOTE;
    else if (!strcmp(kind, "sum")) d->kind = DEFN_SUM;
    else {
        err_fmt(err, errlen, "kind: expected \"auction\", \"vote\" or \"sum\"");
        return ERR_PARSE;
    }

    if (s_parse_security(d, root, err, errlen)) return ERR_PARSE;
    if (defn_json_int(root, "", "bits", 0, 32, 1, 64, &v, err, errlen)) return ERR_PARSE;
    d->bits = (int)v;
    if (defn_json_int(root, "", "kappa", 0, 40, 20, 80, &v, err, errlen)) return ERR_PARSE;
    d->kappa = (int)v;
    if (s_parse_domain(d, root, err, errlen)) return ERR_PARSE;
    int rc = s_parse_field(d, root, err, errlen);
    if (rc) return rc;
    if (defn_json_int(root, "", "deadline", 1, 0, 1, INT64_MAX, &v, err, errlen)) return ERR_PARSE;
    d->deadline = v;
    if (defn_json_int(root, "", "timeout_ms", 0, 10000, 100, 600000, &v, err, errlen))
        return ERR_PARSE;
    d->timeout_ms = (int)v;

    if (s_parse_servers(d, root, err, errlen)) return ERR_PARSE;
    if (defn_json_int(root, "", "t", 0, 1, 0, MPC_MAX_SERVERS, &v, err, errlen)) return ERR_PARSE;
    if (2 * v >= d->n) {
        err_fmt(err, errlen, "t: 2t < n required (t = %lld%s, n = %d servers)", (long long)v,
                json_object_get(root, "t") ? "" : " by default", d->n);
        return ERR_PARSE;
    }
    d->t = (int)v;

    if (s_parse_roll(d, root, err, errlen)) return ERR_PARSE;

    d->rules = json_object_get(root, "rules");
    if (!d->rules) { err_fmt(err, errlen, "rules: missing (required)"); return ERR_PARSE; }
    if (!json_is_object(d->rules)) {
        err_fmt(err, errlen, "rules: expected an object");
        return ERR_PARSE;
    }
    return 0;
}

int defn_parse(defn **out, const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
    *out = NULL;
    if (!bytes && len) { err_fmt(err, errlen, "no input"); return ERR_ARG; }
    if (len > DEFN_MAX_FILE) {
        err_fmt(err, errlen, "definition larger than %u bytes", DEFN_MAX_FILE);
        return ERR_PARSE;
    }
    defn *d = xcalloc(1, sizeof *d);
    crypto_generichash(d->sid, MPC_SID_LEN, bytes, len, NULL, 0);
    json_error_t je;
    d->root = json_loadb((const char *)(bytes ? bytes : (const uint8_t *)""), len,
                         JSON_REJECT_DUPLICATES, &je);
    if (!d->root) {
        err_fmt(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
        defn_free(&d);
        return ERR_PARSE;
    }
    if (!json_is_object(d->root)) {
        err_fmt(err, errlen, "top level: expected an object");
        defn_free(&d);
        return ERR_PARSE;
    }
    int rc = s_parse_root(d, d->root, err, errlen);
    if (rc) { defn_free(&d); return rc; }
    *out = d;
    return 0;
}

int defn_load(defn **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { err_fmt(err, errlen, "%s: %s", path, strerror(errno)); return ERR_IO; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err_fmt(err, errlen, "%s: not a regular file", path);
        close(fd);
        return ERR_IO;
    }
    if ((uint64_t)st.st_size > DEFN_MAX_FILE) {
        err_fmt(err, errlen, "%s: larger than %u bytes", path, DEFN_MAX_FILE);
        close(fd);
        return ERR_PARSE;
    }
    size_t cap = (size_t)st.st_size, len = 0;
    uint8_t *buf = xmalloc(cap + 1);
    for (;;) {
        if (len == cap + 1) break;               /* grew since fstat: too much */
        ssize_t r = read(fd, buf + len, cap + 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            err_fmt(err, errlen, "%s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return ERR_IO;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (len != cap) {
        err_fmt(err, errlen, "%s: changed while being read", path);
        free(buf);
        return ERR_IO;
    }
    int rc = defn_parse(out, buf, len, err, errlen);
    free(buf);
    return rc;
}

void defn_free(defn **pp)
{
    if (!pp || !*pp) return;
    defn *d = *pp;
    json_decref(d->root);
    free(d->roll);
    free(d->by_curve);
    free(d->by_sign);
    free(d);
    *pp = NULL;
}

const uint8_t *defn_sid(const defn *d) { return d->sid; }
const char *defn_id(const defn *d) { return d->id; }
const char *defn_title(const defn *d) { return d->title; }
const char *defn_question(const defn *d) { return d->question; }
int defn_kind(const defn *d) { return d->kind; }
int defn_n(const defn *d) { return d->n; }
int defn_t(const defn *d) { return d->t; }
int defn_bits(const defn *d) { return d->bits; }
int defn_kappa(const defn *d) { return d->kappa; }
int defn_security(const defn *d) { return d->security; }
int defn_domain(const defn *d) { return d->domain; }

const char *defn_security_name(int security)
{
    return security == DEFN_SEMI_HONEST ? "semi-honest" : "malicious";
}
const field *defn_field(const defn *d) { return &d->F; }
int64_t defn_deadline(const defn *d) { return d->deadline; }
int defn_timeout_ms(const defn *d) { return d->timeout_ms; }
size_t defn_roll_size(const defn *d) { return d->roll_n; }
const json_t *defn_rules(const defn *d) { return d->rules; }

const defn_server *defn_server_at(const defn *d, int i)
{
    return (i >= 1 && i <= d->n) ? &d->servers[i - 1] : NULL;
}

const defn_voter *defn_roll_at(const defn *d, size_t i)
{
    return i < d->roll_n ? &d->roll[i] : NULL;
}

static long s_find(const s_keyidx *arr, size_t n, const uint8_t *pk)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(arr[mid].key, pk, DEFN_KEY_LEN);
        if (c == 0) return (long)arr[mid].idx;
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return -1;
}

long defn_roll_find(const defn *d, const uint8_t curve_pk[DEFN_KEY_LEN])
{
    return s_find(d->by_curve, d->by_curve_n, curve_pk);
}

long defn_roll_find_sign(const defn *d, const uint8_t sign_pk[DEFN_KEY_LEN])
{
    return s_find(d->by_sign, d->roll_n, sign_pk);
}

int defn_server_find(const defn *d, const uint8_t curve_pk[DEFN_KEY_LEN])
{
    for (int i = 0; i < d->n; i++)
        if (!memcmp(d->servers[i].curve_pk, curve_pk, DEFN_KEY_LEN)) return i + 1;
    return -1;
}

int defn_server_find_sign(const defn *d, const uint8_t sign_pk[DEFN_KEY_LEN])
{
    for (int i = 0; i < d->n; i++)
        if (!memcmp(d->servers[i].sign_pk, sign_pk, DEFN_KEY_LEN)) return i + 1;
    return -1;
}
