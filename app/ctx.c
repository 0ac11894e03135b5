/* ctx: loading shared by every subcommand (see ctx.h). */
#include "app/ctx.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int s_ctx_rest(app_ctx *c, const char *defn_path, const char *key_path)
{
    char err[512];
    if (defn_kind(c->d) != c->ops->kind) {
        fprintf(stderr, "error: %s: kind is not \"%s\"\n", defn_path, c->ops->name);
        return 1;
    }
    if (c->ops->rules_load(&c->rules, c->d, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s: rules: %s\n", defn_path, err);
        return 1;
    }
    c->m = c->ops->input_len(c->rules);
    if (key_path && keys_load(&c->k, key_path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    return 0;
}

int app_ctx_load(app_ctx *c, const app_ops *ops, const char *defn_path, const char *key_path)
{
    char err[512];
    memset(c, 0, sizeof *c);
    c->ops = ops;
    if (defn_load(&c->d, defn_path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s: %s\n", defn_path, err);
        return 1;
    }
    return s_ctx_rest(c, defn_path, key_path);
}

int app_ctx_parse(app_ctx *c, const app_ops *ops, const uint8_t *bytes, size_t len,
                  const char *label)
{
    char err[512];
    memset(c, 0, sizeof *c);
    c->ops = ops;
    if (defn_parse(&c->d, bytes, len, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s: %s\n", label, err);
        return 1;
    }
    return s_ctx_rest(c, label, NULL);
}

void app_ctx_free(app_ctx *c)
{
    if (c->rules && c->ops && c->ops->rules_free) c->ops->rules_free(&c->rules);
    keys_free(&c->k);
    defn_free(&c->d);
}

char *app_json_text(const json_t *o)
{
    return json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

void app_failpoint(const char *name)
{
    const char *fp = getenv("MPC_FAILPOINT");
    if (!fp || strcmp(fp, name) != 0) return;
    /* let ZeroMQ's I/O thread flush replies already queued, as a crash later in
     * the computation would, so only the point under test differs */
    usleep(200000);
    raise(SIGKILL);
}

void app_print_security(const json_t *result, FILE *out)
{
    json_int_t inv = json_integer_value(json_object_get(result, "invalid")),
               inc = json_integer_value(json_object_get(result, "inconsistent")),
               und = json_integer_value(json_object_get(result, "undelivered"));
    if (inv || inc || und)   /* why inputs were left out, apart */
        fprintf(out, "excluded: %" JSON_INTEGER_FORMAT " invalid, %" JSON_INTEGER_FORMAT
                     " inconsistent, %" JSON_INTEGER_FORMAT " undelivered\n", inv, inc, und);
    const char *s = json_string_value(json_object_get(result, "security"));
    if (s && !strcmp(s, "semi-honest"))
        fprintf(out, "security: semi-honest (correct only if every server follows the protocol; "
                     "for experiments)\n");
    else if (s)
        fprintf(out, "security: %s (correct or aborted even if up to t servers cheat)\n", s);
}

void app_print_json(const json_t *o, FILE *out)
{
    char *txt = app_json_text(o);
    fprintf(out, "%s\n", txt ? txt : "{}");
    free(txt);
}
