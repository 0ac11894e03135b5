/* defn_rules: getters for the application's "rules" object of a definition;
 * the loader leaves its content to the application, which checks it here with
 * messages naming the key. */
#include "common/defn.h"

#include <stdlib.h>
#include <string.h>
#include "common/defn_impl.h"
#include "common/xalloc.h"

int defn_close(const defn *d)
{
    const char *v = json_string_value(json_object_get(defn_rules(d), "close"));
    return v && strcmp(v, "all_voted") == 0 ? DEFN_CLOSE_ALL_VOTED : DEFN_CLOSE_DEADLINE;
}

/* "close" is every application's rule (the skeleton reads it): allowed and
 * checked here, beside the application's own keys. */
int defn_rules_check_keys(const defn *d, const char *const allowed[], char *err,
                          size_t errlen)
{
    const json_t *rules = defn_rules(d);
    const json_t *c = json_object_get(rules, "close");
    if (c && (!json_is_string(c) || (strcmp(json_string_value(c), "deadline") != 0 &&
                                     strcmp(json_string_value(c), "all_voted") != 0))) {
        err_fmt(err, errlen, "rules.close: expected \"deadline\" or \"all_voted\"");
        return ERR_PARSE;
    }
    const char *with[64];
    size_t k = 0;
    while (allowed[k] && k < 62) {
        with[k] = allowed[k];
        k++;
    }
    with[k++] = "close";
    with[k] = NULL;
    return defn_json_check_keys(rules, "rules", with, err, errlen);
}

int defn_rule_str(const defn *d, const char *key, const char *dflt, const char **out,
                  char *err, size_t errlen)
{
    const json_t *v = json_object_get(defn_rules(d), key);
    if (!v) { *out = dflt; return 0; }
    if (!json_is_string(v)) {
        err_fmt(err, errlen, "rules.%s: expected a string", key);
        return ERR_PARSE;
    }
    *out = json_string_value(v);
    return 0;
}

int defn_rule_int(const defn *d, const char *key, int64_t dflt, int64_t min, int64_t max,
                  int64_t *out, char *err, size_t errlen)
{
    return defn_json_int(defn_rules(d), "rules", key, 0, dflt, min, max, out, err, errlen);
}

int defn_rule_bool(const defn *d, const char *key, int dflt, int *out, char *err,
                   size_t errlen)
{
    const json_t *v = json_object_get(defn_rules(d), key);
    if (!v) { *out = dflt ? 1 : 0; return 0; }
    if (!json_is_boolean(v)) {
        err_fmt(err, errlen, "rules.%s: expected true or false", key);
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
    const json_t *v = json_object_get(defn_rules(d), key);
    if (!v) {
        if (min > 0) {
            err_fmt(err, errlen, "rules.%s: missing (required)", key);
            return ERR_PARSE;
        }
        return 0;
    }
    if (!json_is_array(v)) {
        err_fmt(err, errlen, "rules.%s: expected an array of strings", key);
        return ERR_PARSE;
    }
    size_t k = json_array_size(v);
    if (k < min || k > max) {
        err_fmt(err, errlen, "rules.%s: expected %zu..%zu entries, got %zu", key, min, max, k);
        return ERR_PARSE;
    }
    if (k == 0) return 0;
    const char **list = xcalloc(k, sizeof *list), **sorted = xcalloc(k, sizeof *sorted);
    for (size_t i = 0; i < k; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || json_string_length(e) == 0) {
            err_fmt(err, errlen, "rules.%s[%zu]: expected a non-empty string", key, i);
            goto fail;
        }
        list[i] = sorted[i] = json_string_value(e);
    }
    qsort(sorted, k, sizeof *sorted, s_strptr_cmp);
    for (size_t i = 1; i < k; i++) {
        if (!strcmp(sorted[i], sorted[i - 1])) {
            char safe[48];
            defn_safe_str(safe, sorted[i]);
            err_fmt(err, errlen, "rules.%s: duplicate entry \"%s\"", key, safe);
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
    const json_t *v = json_object_get(defn_rules(d), key);
    if (!v) { *num = dflt_num; *den = dflt_den; return 0; }
    if (!json_is_string(v)) {
        err_fmt(err, errlen, "rules.%s: expected a string \"num/den\"", key);
        return ERR_PARSE;
    }
    const char *s = json_string_value(v);
    int64_t a, b;
    if (s_parse_pos(&s, &a) || *s++ != '/' || s_parse_pos(&s, &b) || *s) {
        err_fmt(err, errlen, "rules.%s: expected \"num/den\" with 1 <= num, den <= 10^9", key);
        return ERR_PARSE;
    }
    if (a > b) {
        err_fmt(err, errlen, "rules.%s: %lld/%lld is above 1", key, (long long)a, (long long)b);
        return ERR_PARSE;
    }
    *num = a;
    *den = b;
    return 0;
}
