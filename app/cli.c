/* cli: option parsing for the subcommands (see cli.h). */
#include "app/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/defn.h"

int cli_in(const char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], s) == 0) return 1;
    return 0;
}

static int s_option(cli_args *a, int argc, char **argv, int *i, const char *const *vflags,
                    const char *const *bflags)
{
    const char *arg = argv[*i];
    if (a->count == CLI_MAX_ARGS) {
        fprintf(stderr, "error: too many options\n");
        return -1;
    }
    const char *eq = strchr(arg, '=');
    size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
    if (nl >= CLI_MAX_NAME) {
        fprintf(stderr, "error: unknown option %s\n", arg);
        return -1;
    }
    char *name = a->flag[a->count];
    memcpy(name, arg, nl);
    name[nl] = 0;
    if (cli_in(bflags, name)) {
        if (eq) {
            fprintf(stderr, "error: option %s takes no value\n", name);
            return -1;
        }
        a->value[a->count++] = "1";
        return 0;
    }
    if (!cli_in(vflags, name)) {
        fprintf(stderr, "error: unknown option %s\n", arg);
        return -1;
    }
    const char *v = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!v) {
        fprintf(stderr, "error: option %s needs a value\n", name);
        return -1;
    }
    a->value[a->count++] = v;
    return 0;
}

int cli_parse(cli_args *a, int argc, char **argv, const char *const *vflags,
              const char *const *bflags)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--") == 0) {
            if (a->npos == CLI_MAX_ARGS) {
                fprintf(stderr, "error: too many arguments\n");
                return -1;
            }
            a->pos[a->npos++] = arg;
            continue;
        }
        if (s_option(a, argc, argv, &i, vflags, bflags) != 0) return -1;
    }
    return 0;
}

const char *cli_get(const cli_args *a, const char *flag)
{
    const char *v = NULL;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->flag[i], flag) == 0) v = a->value[i];
    return v;
}

size_t cli_select(const cli_args *a, const char *const *list, const char **flag,
                  const char **value)
{
    size_t n = 0;
    for (size_t i = 0; i < a->count; i++)
        if (cli_in(list, a->flag[i])) {
            flag[n] = a->flag[i];
            value[n++] = a->value[i];
        }
    return n;
}

int cli_need(const cli_args *a, const char *flag, const char **out)
{
    *out = cli_get(a, flag);
    if (!*out) {
        fprintf(stderr, "error: missing %s\n", flag);
        return -1;
    }
    return 0;
}

int cli_domain(const cli_args *a)
{
    const char *x = cli_get(a, "--domain");
    if (!x || !strcmp(x, "field")) return DEFN_DOMAIN_FIELD;
    if (!strcmp(x, "binary")) return DEFN_DOMAIN_BINARY;
    fprintf(stderr, "error: --domain: expected field or binary\n");
    return -1;
}

int cli_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
