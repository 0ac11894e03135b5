/* defn_write: the writer of definition files (organizers, run-local, tests).
 * Every text is parsed back with defn_parse before it leaves, so the writer can
 * never produce a file the loader refuses. */
#include "common/defn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/fsutil.h"
#include "common/keys.h"
#include "common/xalloc.h"

static json_t *s_hex_json(const uint8_t key[DEFN_KEY_LEN])
{
    char hex[2 * DEFN_KEY_LEN + 1];
    keys_hex_encode(hex, key, DEFN_KEY_LEN);
    return json_string(hex);
}

/* json_string that refuses invalid UTF-8 with a message naming the field. */
static int s_set_str(json_t *obj, const char *key, const char *val, const char *path,
                     char *err, size_t errlen)
{
    json_t *s = val ? json_string(val) : NULL;
    if (!s) {
        err_fmt(err, errlen, "%s%s%s: missing or not UTF-8", path, *path ? "." : "", key);
        return ERR_ARG;
    }
    json_object_set_new(obj, key, s);
    return 0;
}

static int s_put_servers(json_t *root, const defn_spec *spec, char *err, size_t errlen)
{
    json_t *servers = json_array();
    json_object_set_new(root, "servers", servers);
    for (int i = 0; i < spec->n; i++) {
        const defn_server *sv = &spec->servers[i];
        char path[32];
        snprintf(path, sizeof path, "servers[%d]", i);
        json_t *o = json_object();
        json_array_append_new(servers, o);
        json_object_set_new(o, "index", json_integer(sv->index));
        if (s_set_str(o, "mesh", sv->mesh, path, err, errlen)) return ERR_ARG;
        if (s_set_str(o, "client", sv->client, path, err, errlen)) return ERR_ARG;
        if (sv->http && s_set_str(o, "http", sv->http, path, err, errlen)) return ERR_ARG;
        json_object_set_new(o, "curve_pk", s_hex_json(sv->curve_pk));
        json_object_set_new(o, "sign_pk", s_hex_json(sv->sign_pk));
    }
    return 0;
}

static int s_put_roll(json_t *root, const defn_spec *spec, char *err, size_t errlen)
{
    json_t *roll = json_array();
    json_object_set_new(root, "roll", roll);
    for (size_t i = 0; i < spec->roll_size; i++) {
        const defn_voter *v = &spec->roll[i];
        char path[32];
        snprintf(path, sizeof path, "roll[%zu]", i);
        json_t *o = json_object();
        json_array_append_new(roll, o);
        if (s_set_str(o, "name", v->name, path, err, errlen)) return ERR_ARG;
        /* all zero: the entry has no CURVE key (a real key is never zero) */
        if (!sodium_is_zero(v->curve_pk, DEFN_KEY_LEN))
            json_object_set_new(o, "curve_pk", s_hex_json(v->curve_pk));
        json_object_set_new(o, "sign_pk", s_hex_json(v->sign_pk));
    }
    return 0;
}

/* The rules object of spec as a new reference in *out: a copy of spec->rules,
 * else parsed from spec->rules_json, else {}. ERR_PARSE if it is not an object. */
static int s_spec_rules(json_t **out, const defn_spec *spec, char *err, size_t errlen)
{
    json_t *rules;
    *out = NULL;
    if (spec->rules) {
        if (!json_is_object(spec->rules)) {
            err_fmt(err, errlen, "rules: expected an object");
            return ERR_PARSE;
        }
        rules = json_deep_copy(spec->rules);
        if (!rules) abort();
    } else if (spec->rules_json) {
        json_error_t je;
        rules = json_loads(spec->rules_json, JSON_REJECT_DUPLICATES, &je);
        if (!rules) {
            err_fmt(err, errlen, "rules: line %d, column %d: %s", je.line, je.column, je.text);
            return ERR_PARSE;
        }
        if (!json_is_object(rules)) {
            err_fmt(err, errlen, "rules: expected an object");
            json_decref(rules);
            return ERR_PARSE;
        }
    } else {
        rules = json_object();
    }
    *out = rules;
    return 0;
}

/* The file text of root (indented, one final newline), checked by the loader. */
static int s_text(char **out, size_t *len, const json_t *root, char *err, size_t errlen)
{
    char *body = json_dumps(root, JSON_INDENT(2));
    if (!body) abort();
    size_t bl = strlen(body);
    char *text = xmalloc(bl + 2);
    memcpy(text, body, bl);
    text[bl] = '\n';
    text[bl + 1] = 0;
    free(body);
    defn *check = NULL;
    int rc = defn_parse(&check, (const uint8_t *)text, bl + 1, err, errlen);
    defn_free(&check);
    if (rc) {
        free(text);
        return rc;
    }
    *out = text;
    *len = bl + 1;
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
        err_fmt(err, errlen, "kind: expected DEFN_AUCTION, DEFN_VOTE or DEFN_SUM");
        goto out;
    }
    if (spec->n < 0 || spec->n > MPC_MAX_SERVERS || (spec->n && !spec->servers) ||
        (spec->roll_size && !spec->roll)) {
        err_fmt(err, errlen, "servers/roll: bad counts or missing arrays");
        goto out;
    }
    if (s_set_str(root, "id", spec->id, "", err, errlen)) goto out;
    if (spec->title) json_object_set_new(root, "title", json_string(spec->title));
    if (spec->question) json_object_set_new(root, "question", json_string(spec->question));
    json_object_set_new(root, "kind", json_string(spec->kind == DEFN_AUCTION ? "auction"
                                                  : spec->kind == DEFN_VOTE ? "vote" : "sum"));
    json_object_set_new(root, "t", json_integer(spec->t));
    json_object_set_new(root, "bits", json_integer(spec->bits));
    json_object_set_new(root, "kappa", json_integer(spec->kappa));
    if (spec->security == DEFN_SEMI_HONEST)
        json_object_set_new(root, "security", json_string(defn_security_name(spec->security)));
    if (spec->domain == DEFN_DOMAIN_BINARY) json_object_set_new(root, "domain", json_string("binary"));
    if (spec->prime && s_set_str(root, "prime", spec->prime, "", err, errlen)) goto out;
    json_object_set_new(root, "deadline", json_integer(spec->deadline));
    if (spec->timeout_ms)
        json_object_set_new(root, "timeout_ms", json_integer(spec->timeout_ms));
    if ((rc = s_put_servers(root, spec, err, errlen)) != 0) goto out;
    if ((rc = s_put_roll(root, spec, err, errlen)) != 0) goto out;
    if ((rc = s_spec_rules(&rules, spec, err, errlen)) != 0) goto out;
    json_object_set(root, "rules", rules);
    rc = s_text(out, len, root, err, errlen);
out:
    json_decref(rules);
    json_decref(root);
    return rc;
}

int defn_write(const char *path, const defn_spec *spec, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int rc = defn_format(&text, &len, spec, err, errlen);
    if (rc) return rc;
    rc = fs_write_atomic(path, text, len, 0644);
    if (rc) err_fmt(err, errlen, "%s: %s", path, strerror(errno));
    free(text);
    return rc;
}
