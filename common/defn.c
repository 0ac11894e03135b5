/* defn: strict loader and writer of the definition file (docs/definition-file.md). */
#include "common/defn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

/* A key with the roll index it belongs to; sorted arrays of these answer lookups. */
typedef struct s_keyidx {
    uint8_t key[DEFN_KEY_LEN];
    uint32_t idx;
} s_keyidx;

struct defn {
    uint8_t sid[DEFN_SID_LEN];
    json_t *root;                 /* owns every string the accessors return */
    const json_t *rules;          /* borrowed from root */
    const char *id;
    int kind, n, t, bits, kappa, timeout_ms;
    int64_t deadline;
    field F;
    defn_server servers[DEFN_MAX_SERVERS];
    defn_voter *roll;
    size_t roll_n;
    s_keyidx *by_curve, *by_sign; /* roll keys sorted, for lookups */
};

static const char *const s_top_keys[] = {
    "id", "kind", "t", "bits", "kappa", "prime", "deadline", "timeout_ms",
    "servers", "roll", "rules", NULL
};
static const char *const s_server_keys[] = {
    "index", "mesh", "client", "curve_pk", "sign_pk", NULL
};
static const char *const s_roll_keys[] = { "name", "curve_pk", "sign_pk", NULL };

__attribute__((format(printf, 3, 4)))
static void s_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copy of a file-supplied string fit for a message: printable ASCII, truncated. */
static void s_safe(char out[48], const char *s)
{
    size_t i = 0;
    for (; s[i] && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s[i]) { memcpy(out + i, "...", 3); i += 3; }
    out[i] = 0;
}

static int s_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Exactly 2*len hex digits into out; 0 or -1. */
static int s_hex_decode(uint8_t *out, size_t len, const char *hex)
{
    if (strlen(hex) != 2 * len) return -1;
    for (size_t i = 0; i < len; i++) {
        int hi = s_hexval(hex[2 * i]), lo = s_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int s_is_zero(const uint8_t *b, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) acc |= b[i];
    return acc == 0;
}

static int s_check_keys(const json_t *obj, const char *path, const char *const allowed[],
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
            s_safe(safe, key);
            s_err(err, errlen, "%s%s%s: unknown key", path, *path ? "." : "", safe);
            return ERR_PARSE;
        }
    }
    return 0;
}

/* Integer member key of obj in [min, max]; absent gives dflt unless required. */
static int s_get_int(const json_t *obj, const char *path, const char *key, int required,
                     int64_t dflt, int64_t min, int64_t max, int64_t *out,
                     char *err, size_t errlen)
{
    const char *dot = *path ? "." : "";
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) {
            s_err(err, errlen, "%s%s%s: missing (required)", path, dot, key);
            return ERR_PARSE;
        }
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v)) {
        s_err(err, errlen, "%s%s%s: expected an integer", path, dot, key);
        return ERR_PARSE;
    }
    json_int_t x = json_integer_value(v);
    if (x < min || x > max) {
        s_err(err, errlen, "%s%s%s: %lld out of range %lld..%lld", path, dot, key,
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
        s_err(err, errlen, "%s%s%s: missing (required)", path, dot, key);
        return NULL;
    }
    if (!json_is_string(v)) {
        s_err(err, errlen, "%s%s%s: expected a string", path, dot, key);
        return NULL;
    }
    return json_string_value(v);
}

static int s_get_key(const json_t *obj, const char *path, const char *key,
                     uint8_t out[DEFN_KEY_LEN], char *err, size_t errlen)
{
    const char *s = s_get_str(obj, path, key, err, errlen);
    if (!s) return ERR_PARSE;
    if (s_hex_decode(out, DEFN_KEY_LEN, s) != 0) {
        s_err(err, errlen, "%s.%s: expected %d hex characters", path, key, 2 * DEFN_KEY_LEN);
        return ERR_PARSE;
    }
    if (s_is_zero(out, DEFN_KEY_LEN)) {
        s_err(err, errlen, "%s.%s: all-zero key", path, key);
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

static int s_id_ok(const char *s)
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

static int s_name_ok(const char *s)
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
            s_err(err, errlen, "bits + kappa: no default prime p > 2^(bits+kappa+2) = 2^%d "
                  "below 2^127; lower bits or kappa", e);
            return ERR_RANGE;
        }
        return 0;
    }
    if (!json_is_string(pv)) {
        s_err(err, errlen, "prime: expected a string (\"2^m-1\" or decimal)");
        return ERR_PARSE;
    }
    const char *ps = json_string_value(pv);
    if (!s_prime_syntax_ok(ps)) {
        s_err(err, errlen, "prime: expected \"2^m-1\" or a decimal number");
        return ERR_PARSE;
    }
    if (strncmp(ps, "2^", 2) == 0 ? atoi(ps + 2) > FIELD_MAX_BITS : strlen(ps) > 39) {
        s_err(err, errlen, "prime: must be below 2^127");
        return ERR_PARSE;
    }
    int rc = field_init_str(&d->F, ps);
    if (rc == ERR_RANGE) {
        s_err(err, errlen, "prime: must be below 2^127");
        return ERR_PARSE;
    }
    if (rc != 0) {
        s_err(err, errlen, "prime: not a prime");
        return ERR_PARSE;
    }
    if (e >= 127 || d->F.p <= ((fe)1 << e)) {
        s_err(err, errlen, "prime: too small for bits = %d, kappa = %d (need p > 2^%d)",
              d->bits, d->kappa, e);
        return ERR_PARSE;
    }
    return 0;
}

static int s_parse_servers(defn *d, const json_t *root, char *err, size_t errlen)
{
    const json_t *arr = json_object_get(root, "servers");
    if (!arr) { s_err(err, errlen, "servers: missing (required)"); return ERR_PARSE; }
    if (!json_is_array(arr)) { s_err(err, errlen, "servers: expected an array"); return ERR_PARSE; }
    size_t n = json_array_size(arr);
    if (n < 1 || n > DEFN_MAX_SERVERS) {
        s_err(err, errlen, "servers: expected 1..%d servers, got %zu", DEFN_MAX_SERVERS, n);
        return ERR_PARSE;
    }
    d->n = (int)n;
    for (size_t i = 0; i < n; i++) {
        char path[32];
        snprintf(path, sizeof path, "servers[%zu]", i);
        const json_t *s = json_array_get(arr, i);
        if (!json_is_object(s)) { s_err(err, errlen, "%s: expected an object", path); return ERR_PARSE; }
        if (s_check_keys(s, path, s_server_keys, err, errlen)) return ERR_PARSE;
        defn_server *sv = &d->servers[i];
        int64_t idx;
        if (s_get_int(s, path, "index", 1, 0, INT64_MIN, INT64_MAX, &idx, err, errlen))
            return ERR_PARSE;
        if (idx != (int64_t)i + 1) {
            s_err(err, errlen, "%s.index: expected %zu (indices run 1..n in order), got %lld",
                  path, i + 1, (long long)idx);
            return ERR_PARSE;
        }
        sv->index = (int)idx;
        static const char *const ep_keys[2] = { "mesh", "client" };
        for (int k = 0; k < 2; k++) {
            const char *ep = s_get_str(s, path, ep_keys[k], err, errlen);
            if (!ep) return ERR_PARSE;
            const char *why = s_endpoint_problem(ep);
            if (why) { s_err(err, errlen, "%s.%s: %s", path, ep_keys[k], why); return ERR_PARSE; }
            if (k == 0) sv->mesh = ep; else sv->client = ep;
        }
        if (strcmp(sv->mesh, sv->client) == 0) {
            s_err(err, errlen, "%s.client: same endpoint as %s.mesh", path, path);
            return ERR_PARSE;
        }
        if (s_get_key(s, path, "curve_pk", sv->curve_pk, err, errlen)) return ERR_PARSE;
        if (s_get_key(s, path, "sign_pk", sv->sign_pk, err, errlen)) return ERR_PARSE;
        for (size_t j = 0; j < i; j++) {
            const defn_server *o = &d->servers[j];
            const char *what = NULL;
            if (!strcmp(sv->mesh, o->mesh) || !strcmp(sv->mesh, o->client)) what = "mesh";
            else if (!strcmp(sv->client, o->mesh) || !strcmp(sv->client, o->client)) what = "client";
            else if (!memcmp(sv->curve_pk, o->curve_pk, DEFN_KEY_LEN)) what = "curve_pk";
            else if (!memcmp(sv->sign_pk, o->sign_pk, DEFN_KEY_LEN)) what = "sign_pk";
            if (what) {
                s_err(err, errlen, "%s.%s: duplicate of servers[%zu]", path, what, j);
                return ERR_PARSE;
            }
        }
    }
    return 0;
}

static int s_parse_roll(defn *d, const json_t *root, char *err, size_t errlen)
{
    const json_t *arr = json_object_get(root, "roll");
    if (!arr) { s_err(err, errlen, "roll: missing (required)"); return ERR_PARSE; }
    if (!json_is_array(arr)) { s_err(err, errlen, "roll: expected an array"); return ERR_PARSE; }
    size_t m = json_array_size(arr);
    if (m < 1 || m > DEFN_MAX_ROLL) {
        s_err(err, errlen, "roll: expected 1..%u entries, got %zu", DEFN_MAX_ROLL, m);
        return ERR_PARSE;
    }
    d->roll = calloc(m, sizeof *d->roll);
    d->by_curve = calloc(m, sizeof *d->by_curve);
    d->by_sign = calloc(m, sizeof *d->by_sign);
    s_nameidx *names = calloc(m, sizeof *names);
    if (!d->roll || !d->by_curve || !d->by_sign || !names) abort();
    d->roll_n = m;
    int rc = ERR_PARSE;
    for (size_t i = 0; i < m; i++) {
        char path[32];
        snprintf(path, sizeof path, "roll[%zu]", i);
        const json_t *e = json_array_get(arr, i);
        if (!json_is_object(e)) { s_err(err, errlen, "%s: expected an object", path); goto out; }
        if (s_check_keys(e, path, s_roll_keys, err, errlen)) goto out;
        defn_voter *v = &d->roll[i];
        v->name = s_get_str(e, path, "name", err, errlen);
        if (!v->name) goto out;
        if (!s_name_ok(v->name)) {
            s_err(err, errlen, "%s.name: expected 1..%d bytes without control characters",
                  path, DEFN_MAX_ID);
            goto out;
        }
        if (s_get_key(e, path, "curve_pk", v->curve_pk, err, errlen)) goto out;
        if (s_get_key(e, path, "sign_pk", v->sign_pk, err, errlen)) goto out;
        for (int j = 0; j < d->n; j++) {
            if (!memcmp(v->curve_pk, d->servers[j].curve_pk, DEFN_KEY_LEN)) {
                s_err(err, errlen, "%s.curve_pk: equals the key of servers[%d]", path, j);
                goto out;
            }
            if (!memcmp(v->sign_pk, d->servers[j].sign_pk, DEFN_KEY_LEN)) {
                s_err(err, errlen, "%s.sign_pk: equals the key of servers[%d]", path, j);
                goto out;
            }
        }
        memcpy(d->by_curve[i].key, v->curve_pk, DEFN_KEY_LEN);
        d->by_curve[i].idx = (uint32_t)i;
        memcpy(d->by_sign[i].key, v->sign_pk, DEFN_KEY_LEN);
        d->by_sign[i].idx = (uint32_t)i;
        names[i].name = v->name;
        names[i].idx = (uint32_t)i;
    }
    qsort(names, m, sizeof *names, s_nameidx_cmp);
    qsort(d->by_curve, m, sizeof *d->by_curve, s_keyidx_cmp);
    qsort(d->by_sign, m, sizeof *d->by_sign, s_keyidx_cmp);
    for (size_t i = 1; i < m; i++) {
        if (!strcmp(names[i].name, names[i - 1].name)) {
            s_err(err, errlen, "roll[%u].name: duplicate of roll[%u]", names[i].idx,
                  names[i - 1].idx);
            goto out;
        }
        if (!memcmp(d->by_curve[i].key, d->by_curve[i - 1].key, DEFN_KEY_LEN)) {
            s_err(err, errlen, "roll[%u].curve_pk: duplicate of roll[%u]", d->by_curve[i].idx,
                  d->by_curve[i - 1].idx);
            goto out;
        }
        if (!memcmp(d->by_sign[i].key, d->by_sign[i - 1].key, DEFN_KEY_LEN)) {
            s_err(err, errlen, "roll[%u].sign_pk: duplicate of roll[%u]", d->by_sign[i].idx,
                  d->by_sign[i - 1].idx);
            goto out;
        }
    }
    rc = 0;
out:
    free(names);
    return rc;
}

static int s_parse_root(defn *d, const json_t *root, char *err, size_t errlen)
{
    int64_t v;
    if (s_check_keys(root, "", s_top_keys, err, errlen)) return ERR_PARSE;

    d->id = s_get_str(root, "", "id", err, errlen);
    if (!d->id) return ERR_PARSE;
    if (!s_id_ok(d->id)) {
        s_err(err, errlen, "id: expected 1..%d characters of [A-Za-z0-9._-]", DEFN_MAX_ID);
        return ERR_PARSE;
    }
    const char *kind = s_get_str(root, "", "kind", err, errlen);
    if (!kind) return ERR_PARSE;
    if (!strcmp(kind, "auction")) d->kind = DEFN_AUCTION;
    else if (!strcmp(kind, "vote")) d->kind = DEFN_VOTE;
    else if (!strcmp(kind, "sum")) d->kind = DEFN_SUM;
    else { s_err(err, errlen, "kind: expected \"auction\", \"vote\" or \"sum\""); return ERR_PARSE; }

    if (s_get_int(root, "", "bits", 0, 32, 1, 64, &v, err, errlen)) return ERR_PARSE;
    d->bits = (int)v;
    if (s_get_int(root, "", "kappa", 0, 40, 20, 80, &v, err, errlen)) return ERR_PARSE;
    d->kappa = (int)v;
    int rc = s_parse_field(d, root, err, errlen);
    if (rc) return rc;
    if (s_get_int(root, "", "deadline", 1, 0, 1, INT64_MAX, &v, err, errlen)) return ERR_PARSE;
    d->deadline = v;
    if (s_get_int(root, "", "timeout_ms", 0, 10000, 100, 600000, &v, err, errlen))
        return ERR_PARSE;
    d->timeout_ms = (int)v;

    if (s_parse_servers(d, root, err, errlen)) return ERR_PARSE;
    if (s_get_int(root, "", "t", 0, 1, 0, DEFN_MAX_SERVERS, &v, err, errlen)) return ERR_PARSE;
    if (2 * v >= d->n) {
        s_err(err, errlen, "t: 2t < n required (t = %lld%s, n = %d servers)", (long long)v,
              json_object_get(root, "t") ? "" : " by default", d->n);
        return ERR_PARSE;
    }
    d->t = (int)v;

    if (s_parse_roll(d, root, err, errlen)) return ERR_PARSE;

    d->rules = json_object_get(root, "rules");
    if (!d->rules) { s_err(err, errlen, "rules: missing (required)"); return ERR_PARSE; }
    if (!json_is_object(d->rules)) { s_err(err, errlen, "rules: expected an object"); return ERR_PARSE; }
    return 0;
}

int defn_parse(defn **out, const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
    *out = NULL;
    if (!bytes && len) { s_err(err, errlen, "no input"); return ERR_ARG; }
    if (len > DEFN_MAX_FILE) {
        s_err(err, errlen, "definition larger than %u bytes", DEFN_MAX_FILE);
        return ERR_PARSE;
    }
    defn *d = calloc(1, sizeof *d);
    if (!d) abort();
    crypto_generichash(d->sid, DEFN_SID_LEN, bytes, len, NULL, 0);
    json_error_t je;
    d->root = json_loadb((const char *)(bytes ? bytes : (const uint8_t *)""), len,
                         JSON_REJECT_DUPLICATES, &je);
    if (!d->root) {
        s_err(err, errlen, "line %d, column %d: %s", je.line, je.column, je.text);
        defn_free(&d);
        return ERR_PARSE;
    }
    if (!json_is_object(d->root)) {
        s_err(err, errlen, "top level: expected an object");
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
    if (fd < 0) { s_err(err, errlen, "%s: %s", path, strerror(errno)); return ERR_IO; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        s_err(err, errlen, "%s: not a regular file", path);
        close(fd);
        return ERR_IO;
    }
    if ((uint64_t)st.st_size > DEFN_MAX_FILE) {
        s_err(err, errlen, "%s: larger than %u bytes", path, DEFN_MAX_FILE);
        close(fd);
        return ERR_PARSE;
    }
    size_t cap = (size_t)st.st_size, len = 0;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) abort();
    for (;;) {
        if (len == cap + 1) break;               /* grew since fstat: too much */
        ssize_t r = read(fd, buf + len, cap + 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            s_err(err, errlen, "%s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return ERR_IO;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (len != cap) {
        s_err(err, errlen, "%s: changed while being read", path);
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
int defn_kind(const defn *d) { return d->kind; }
int defn_n(const defn *d) { return d->n; }
int defn_t(const defn *d) { return d->t; }
int defn_bits(const defn *d) { return d->bits; }
int defn_kappa(const defn *d) { return d->kappa; }
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
    return s_find(d->by_curve, d->roll_n, curve_pk);
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

/* ---- rules getters ---- */

int defn_rules_check_keys(const defn *d, const char *const allowed[], char *err,
                          size_t errlen)
{
    return s_check_keys(d->rules, "rules", allowed, err, errlen);
}

int defn_rule_str(const defn *d, const char *key, const char *dflt, const char **out,
                  char *err, size_t errlen)
{
    const json_t *v = json_object_get(d->rules, key);
    if (!v) { *out = dflt; return 0; }
    if (!json_is_string(v)) {
        s_err(err, errlen, "rules.%s: expected a string", key);
        return ERR_PARSE;
    }
    *out = json_string_value(v);
    return 0;
}

int defn_rule_int(const defn *d, const char *key, int64_t dflt, int64_t min, int64_t max,
                  int64_t *out, char *err, size_t errlen)
{
    return s_get_int(d->rules, "rules", key, 0, dflt, min, max, out, err, errlen);
}

int defn_rule_bool(const defn *d, const char *key, int dflt, int *out, char *err,
                   size_t errlen)
{
    const json_t *v = json_object_get(d->rules, key);
    if (!v) { *out = dflt ? 1 : 0; return 0; }
    if (!json_is_boolean(v)) {
        s_err(err, errlen, "rules.%s: expected true or false", key);
        return ERR_PARSE;
    }
    *out = json_is_true(v) ? 1 : 0;
    return 0;
}

static int s_strptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int defn_rule_strlist(const defn *d, const char *key, size_t min, size_t max,
                      const char ***out, size_t *count, char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    const json_t *v = json_object_get(d->rules, key);
    if (!v) {
        if (min > 0) {
            s_err(err, errlen, "rules.%s: missing (required)", key);
            return ERR_PARSE;
        }
        return 0;
    }
    if (!json_is_array(v)) {
        s_err(err, errlen, "rules.%s: expected an array of strings", key);
        return ERR_PARSE;
    }
    size_t k = json_array_size(v);
    if (k < min || k > max) {
        s_err(err, errlen, "rules.%s: expected %zu..%zu entries, got %zu", key, min, max, k);
        return ERR_PARSE;
    }
    if (k == 0) return 0;
    const char **list = calloc(k, sizeof *list), **sorted = calloc(k, sizeof *sorted);
    if (!list || !sorted) abort();
    for (size_t i = 0; i < k; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_length(e) == 0) {
            s_err(err, errlen, "rules.%s[%zu]: expected a non-empty string", key, i);
            goto fail;
        }
        list[i] = sorted[i] = json_string_value(e);
    }
    qsort(sorted, k, sizeof *sorted, s_strptr_cmp);
    for (size_t i = 1; i < k; i++) {
        if (!strcmp(sorted[i], sorted[i - 1])) {
            char safe[48];
            s_safe(safe, sorted[i]);
            s_err(err, errlen, "rules.%s: duplicate entry \"%s\"", key, safe);
            goto fail;
        }
    }
    free(sorted);
    *out = list;
    *count = k;
    return 0;
fail:
    free(list);
    free(sorted);
    return ERR_PARSE;
}

/* Decimal 1..10^9 without sign, spaces or leading zeros; end at *s. */
static int s_parse_pos(const char **s, int64_t *out)
{
    const char *p = *s;
    if (*p < '1' || *p > '9') return -1;
    int64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (++digits > 10) return -1;
        v = v * 10 + (*p - '0');
        p++;
    }
    if (v > 1000000000) return -1;
    *out = v;
    *s = p;
    return 0;
}

int defn_rule_rational(const defn *d, const char *key, int64_t dflt_num, int64_t dflt_den,
                       int64_t *num, int64_t *den, char *err, size_t errlen)
{
    const json_t *v = json_object_get(d->rules, key);
    if (!v) { *num = dflt_num; *den = dflt_den; return 0; }
    if (!json_is_string(v)) {
        s_err(err, errlen, "rules.%s: expected a string \"num/den\"", key);
        return ERR_PARSE;
    }
    const char *s = json_string_value(v);
    int64_t a, b;
    if (s_parse_pos(&s, &a) || *s++ != '/' || s_parse_pos(&s, &b) || *s) {
        s_err(err, errlen, "rules.%s: expected \"num/den\" with 1 <= num, den <= 10^9", key);
        return ERR_PARSE;
    }
    if (a > b) {
        s_err(err, errlen, "rules.%s: %lld/%lld is above 1", key, (long long)a, (long long)b);
        return ERR_PARSE;
    }
    *num = a;
    *den = b;
    return 0;
}

/* ---- writer ---- */

static json_t *s_hex_json(const uint8_t key[DEFN_KEY_LEN])
{
    char hex[2 * DEFN_KEY_LEN + 1];
    sodium_bin2hex(hex, sizeof hex, key, DEFN_KEY_LEN);
    return json_string(hex);
}

/* json_string that refuses invalid UTF-8 with a message naming the field. */
static int s_set_str(json_t *obj, const char *key, const char *val, const char *path,
                     char *err, size_t errlen)
{
    json_t *s = val ? json_string(val) : NULL;
    if (!s) {
        s_err(err, errlen, "%s%s%s: missing or not UTF-8", path, *path ? "." : "", key);
        return ERR_ARG;
    }
    json_object_set_new(obj, key, s);
    return 0;
}

int defn_format(char **out, size_t *len, const defn_spec *spec, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    int rc = ERR_ARG;
    json_t *root = json_object(), *rules = NULL;
    if (!root) abort();
    if (spec->kind != DEFN_AUCTION && spec->kind != DEFN_VOTE && spec->kind != DEFN_SUM) {
        s_err(err, errlen, "kind: expected DEFN_AUCTION, DEFN_VOTE or DEFN_SUM");
        goto out;
    }
    if (spec->n < 0 || spec->n > DEFN_MAX_SERVERS || (spec->n && !spec->servers) ||
        (spec->roll_size && !spec->roll)) {
        s_err(err, errlen, "servers/roll: bad counts or missing arrays");
        goto out;
    }
    if (s_set_str(root, "id", spec->id, "", err, errlen)) goto out;
    json_object_set_new(root, "kind", json_string(spec->kind == DEFN_AUCTION ? "auction" : spec->kind == DEFN_VOTE ? "vote" : "sum"));
    json_object_set_new(root, "t", json_integer(spec->t));
    json_object_set_new(root, "bits", json_integer(spec->bits));
    json_object_set_new(root, "kappa", json_integer(spec->kappa));
    if (spec->prime && s_set_str(root, "prime", spec->prime, "", err, errlen)) goto out;
    json_object_set_new(root, "deadline", json_integer(spec->deadline));
    if (spec->timeout_ms) json_object_set_new(root, "timeout_ms", json_integer(spec->timeout_ms));

    json_t *servers = json_array();
    json_object_set_new(root, "servers", servers);
    for (int i = 0; i < spec->n; i++) {
        const defn_server *sv = &spec->servers[i];
        char path[32];
        snprintf(path, sizeof path, "servers[%d]", i);
        json_t *o = json_object();
        json_array_append_new(servers, o);
        json_object_set_new(o, "index", json_integer(sv->index));
        if (s_set_str(o, "mesh", sv->mesh, path, err, errlen)) goto out;
        if (s_set_str(o, "client", sv->client, path, err, errlen)) goto out;
        json_object_set_new(o, "curve_pk", s_hex_json(sv->curve_pk));
        json_object_set_new(o, "sign_pk", s_hex_json(sv->sign_pk));
    }
    json_t *roll = json_array();
    json_object_set_new(root, "roll", roll);
    for (size_t i = 0; i < spec->roll_size; i++) {
        const defn_voter *v = &spec->roll[i];
        char path[32];
        snprintf(path, sizeof path, "roll[%zu]", i);
        json_t *o = json_object();
        json_array_append_new(roll, o);
        if (s_set_str(o, "name", v->name, path, err, errlen)) goto out;
        json_object_set_new(o, "curve_pk", s_hex_json(v->curve_pk));
        json_object_set_new(o, "sign_pk", s_hex_json(v->sign_pk));
    }
    if (spec->rules) {
        if (!json_is_object(spec->rules)) {
            s_err(err, errlen, "rules: expected an object");
            rc = ERR_PARSE;
            goto out;
        }
        rules = json_deep_copy(spec->rules);
        if (!rules) abort();
    } else if (spec->rules_json) {
        json_error_t je;
        rules = json_loads(spec->rules_json, JSON_REJECT_DUPLICATES, &je);
        if (!rules) {
            s_err(err, errlen, "rules: line %d, column %d: %s", je.line, je.column, je.text);
            rc = ERR_PARSE;
            goto out;
        }
        if (!json_is_object(rules)) {
            s_err(err, errlen, "rules: expected an object");
            rc = ERR_PARSE;
            goto out;
        }
    } else {
        rules = json_object();
    }
    json_object_set(root, "rules", rules);

    char *body = json_dumps(root, JSON_INDENT(2));
    if (!body) abort();
    size_t bl = strlen(body);
    char *text = malloc(bl + 2);
    if (!text) abort();
    memcpy(text, body, bl);
    text[bl] = '\n';
    text[bl + 1] = 0;
    free(body);
    defn *check = NULL;
    rc = defn_parse(&check, (const uint8_t *)text, bl + 1, err, errlen);
    defn_free(&check);
    if (rc) { free(text); goto out; }
    *out = text;
    *len = bl + 1;
out:
    json_decref(rules);
    json_decref(root);
    return rc;
}

static int s_fsync_dir(const char *path)
{
    char *dup = strdup(path);
    if (!dup) abort();
    char *slash = strrchr(dup, '/');
    const char *dir = ".";
    if (slash == dup) dir = "/";
    else if (slash) { *slash = 0; dir = dup; }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = (fd >= 0 && fsync(fd) == 0) ? 0 : ERR_IO;
    if (fd >= 0) close(fd);
    free(dup);
    return rc;
}

int defn_write(const char *path, const defn_spec *spec, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int rc = defn_format(&text, &len, spec, err, errlen);
    if (rc) return rc;
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 32);
    if (!tmp) abort();
    snprintf(tmp, pl + 32, "%s.tmp.%ld", path, (long)getpid());
    rc = ERR_IO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { s_err(err, errlen, "%s: %s", tmp, strerror(errno)); goto out; }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { s_err(err, errlen, "%s: %s", tmp, strerror(errno)); break; }
        off += (size_t)w;
    }
    if (off == len && fsync(fd) != 0) {
        s_err(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
        off = 0;
    }
    close(fd);
    if (off != len) { unlink(tmp); goto out; }
    if (rename(tmp, path) != 0) {
        s_err(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (s_fsync_dir(path)) { s_err(err, errlen, "%s: fsync of the directory failed", path); goto out; }
    rc = 0;
out:
    free(tmp);
    free(text);
    return rc;
}
