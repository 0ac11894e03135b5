/* info: `info` (a definition file read back for humans or as JSON) and
 * `credentials` (printable voter credentials and their public roll); see
 * admin.h. */
#include "app/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sodium.h>

#include "app/cli.h"
#include "app/ctx.h"
#include "common/cred.h"
#include "common/fsutil.h"
#include "common/keys.h"
#include "common/xalloc.h"

/* ---- info ---- */

/* "in 2 d 3 h" / "4 min ago": how far t is from now, for humans. */
static void s_from_now(int64_t t, char *out, size_t len)
{
    int64_t dt = t - (int64_t)time(NULL), a = dt < 0 ? -dt : dt;
    char span[48];
    if (a >= 86400) snprintf(span, sizeof span, "%lld d %lld h", (long long)(a / 86400),
                             (long long)(a % 86400 / 3600));
    else if (a >= 3600) snprintf(span, sizeof span, "%lld h %lld min", (long long)(a / 3600),
                                 (long long)(a % 3600 / 60));
    else snprintf(span, sizeof span, "%lld min", (long long)(a / 60));
    snprintf(out, len, dt < 0 ? "passed %s ago" : "in %s", span);
}

static void s_rules_text(const app_ctx *c, char *out, size_t len)
{
    if (c->ops->describe_rules) {
        c->ops->describe_rules(c->rules, c->d, out, len);
        return;
    }
    char *j = json_dumps(defn_rules(c->d), JSON_COMPACT);
    snprintf(out, len, "rules %s", j ? j : "{}");
    free(j);
}

static size_t s_with_curve(const defn *d)
{
    size_t k = 0;
    for (size_t i = 0; i < defn_roll_size(d); i++)
        k += !sodium_is_zero(defn_roll_at(d, i)->curve_pk, DEFN_KEY_LEN);
    return k;
}

static void s_info_json(const app_ctx *c, const char *path, const char *rules_text)
{
    const defn *d = c->d;
    char sid[2 * MPC_SID_LEN + 1], loc[64], utc[32], hex[2 * DEFN_KEY_LEN + 1];
    keys_hex_encode(sid, defn_sid(d), MPC_SID_LEN);
    app_time_text(defn_deadline(d), loc, utc);
    json_t *servers = json_array();
    for (int i = 1; i <= defn_n(d); i++) {
        const defn_server *s = defn_server_at(d, i);
        json_t *o = json_pack("{sissss}", "index", s->index, "mesh", s->mesh, "client", s->client);
        if (s->http) json_object_set_new(o, "http", json_string(s->http));
        keys_hex_encode(hex, s->curve_pk, DEFN_KEY_LEN);
        json_object_set_new(o, "curve_pk", json_string(hex));
        keys_hex_encode(hex, s->sign_pk, DEFN_KEY_LEN);
        json_object_set_new(o, "sign_pk", json_string(hex));
        json_array_append_new(servers, o);
    }
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(path));
    json_object_set_new(o, "session_id", json_string(sid));
    json_object_set_new(o, "id", json_string(defn_id(d)));
    if (defn_title(d)) json_object_set_new(o, "title", json_string(defn_title(d)));
    if (defn_question(d)) json_object_set_new(o, "question", json_string(defn_question(d)));
    json_object_set_new(o, "kind", json_string(c->ops->name));
    json_object_set_new(o, "security", json_string(defn_security_name(defn_security(d))));
    json_object_set_new(o, "domain", json_string(defn_domain(d) == DEFN_DOMAIN_BINARY ? "binary" : "field"));
    json_object_set_new(o, "n", json_integer(defn_n(d)));
    json_object_set_new(o, "t", json_integer(defn_t(d)));
    json_object_set_new(o, "bits", json_integer(defn_bits(d)));
    json_object_set_new(o, "kappa", json_integer(defn_kappa(d)));
    json_object_set_new(o, "timeout_ms", json_integer(defn_timeout_ms(d)));
    json_object_set_new(o, "deadline", json_integer(defn_deadline(d)));
    json_object_set_new(o, "deadline_utc", json_string(utc));
    json_object_set_new(o, "deadline_local", json_string(loc));
    json_object_set_new(o, "servers", servers);
    json_object_set_new(o, "roll_size", json_integer((json_int_t)defn_roll_size(d)));
    json_object_set_new(o, "roll_with_curve_key", json_integer((json_int_t)s_with_curve(d)));
    json_object_set_new(o, "rules", json_deep_copy(defn_rules(d)));
    json_object_set_new(o, "rules_text", json_string(rules_text));
    app_print_json(o, stdout);
    json_decref(o);
}

static void s_info_human(const app_ctx *c, const char *path, const char *rules_text)
{
    const defn *d = c->d;
    char sid[2 * MPC_SID_LEN + 1], loc[64], utc[32], rel[64];
    keys_hex_encode(sid, defn_sid(d), MPC_SID_LEN);
    app_time_text(defn_deadline(d), loc, utc);
    s_from_now(defn_deadline(d), rel, sizeof rel);
    const field *F = defn_field(d);
    printf("definition: %s (%s \"%s\")\n", path, c->ops->name, defn_id(d));
    if (defn_title(d)) printf("title: %s\n", defn_title(d));
    if (defn_question(d)) printf("question: %s\n", defn_question(d));
    printf("session id: %s\n", sid);
    printf("servers: %d, t = %d (inputs stay private unless more than %d of them collude)\n",
           defn_n(d), defn_t(d), defn_t(d));
    for (int i = 1; i <= defn_n(d); i++) {
        const defn_server *s = defn_server_at(d, i);
        printf("  %d  mesh %s  clients %s%s%s\n", s->index, s->mesh, s->client,
               s->http ? "  web " : "", s->http ? s->http : "");
    }
    size_t nr = defn_roll_size(d), nc = s_with_curve(d);
    printf("roll: %zu %s%s", nr, c->ops->noun, nr == 1 ? "" : "s");
    if (nc != nr) printf(" (%zu with an Ed25519 key only)", nr - nc);
    printf("\nrules: %s\n", rules_text);
    if (defn_security(d) == DEFN_SEMI_HONEST)
        printf("security: semi-honest (correct only if every server follows the protocol; for "
               "experiments)\n");
    else
        printf("security: malicious (correct or aborted even if up to t servers cheat)\n");
    printf("inputs: %d bits, statistical security %d, field ", defn_bits(d), defn_kappa(d));
    if (F->mers) printf("2^%d-1\n", F->mers);
    else printf("of %d bits\n", F->bits);
    printf("deadline: %s = %s (%s)\n", loc, utc, rel);
    printf("server timeout: %d ms\n", defn_timeout_ms(d));
}

int app_info_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", NULL };
    static const char *const bf[] = { "--json", NULL };
    cli_args a;
    const char *dp;
    if (cli_parse(&a, argc, argv, vf, bf) || cli_need(&a, "--defn", &dp)) return 2;
    if (a.npos) {
        fprintf(stderr, "error: unexpected argument %s\n", a.pos[0]);
        return 2;
    }
    app_ctx c;
    if (app_ctx_load(&c, ops, dp, NULL) != 0) {
        app_ctx_free(&c);
        return 1;
    }
    char text[2048];
    s_rules_text(&c, text, sizeof text);
    if (cli_get(&a, "--json")) s_info_json(&c, dp, text);
    else s_info_human(&c, dp, text);
    app_ctx_free(&c);
    return 0;
}

/* ---- credentials ---- */

typedef struct s_cred {
    const app_ops *ops;
    const char *dir;
    char (*names)[DEFN_MAX_ID + 1];
    size_t count;
    int made_dir;
    size_t written;              /* credential files created so far */
} s_cred;

/* Names from --names FILE (one a line, '#' comments): they become file names,
 * so only [A-Za-z0-9._-]. */
static int s_read_names(s_cred *C, const char *path)
{
    uint8_t *text;
    size_t len, cap = 64;
    if (fs_read_file(path, &text, &len, 64u << 20) != 0) {
        fprintf(stderr, "error: cannot read names file %s: %s\n", path, strerror(errno));
        return 1;
    }
    C->names = xmalloc(cap * sizeof *C->names);
    char *save = NULL;
    int lineno = 0, bad = 0;
    for (char *ln = strtok_r((char *)text, "\n", &save); ln && !bad;
         ln = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *hash = strchr(ln, '#');
        if (hash) *hash = 0;
        char *tok = strtok(ln, " \t\r"), *more = tok ? strtok(NULL, " \t\r") : NULL;
        if (!tok) continue;
        if (more || !defn_name_ok(tok)) {
            fprintf(stderr, "error: %s:%d: expected one name of 1..%d characters A-Z a-z 0-9 . _ -"
                    "\n", path, lineno, DEFN_MAX_ID);
            bad = 1;
        } else if (C->count == DEFN_MAX_ROLL) {
            fprintf(stderr, "error: %s: more than %u names\n", path, DEFN_MAX_ROLL);
            bad = 1;
        } else {
            for (size_t i = 0; i < C->count && !bad; i++)
                if (!strcmp(C->names[i], tok)) {
                    fprintf(stderr, "error: %s:%d: duplicate name %s\n", path, lineno, tok);
                    bad = 1;
                }
            if (C->count == cap) C->names = xrealloc(C->names, (cap *= 2) * sizeof *C->names);
            snprintf(C->names[C->count++], sizeof C->names[0], "%s", tok);
        }
    }
    free(text);
    if (!bad && C->count == 0) {
        fprintf(stderr, "error: %s holds no name\n", path);
        bad = 1;
    }
    return bad;
}

/* DIR is created 0700, or must be empty: two credential sets never mix. */
static int s_cred_dir(s_cred *C)
{
    if (mkdir(C->dir, 0700) == 0) {
        C->made_dir = 1;
        return 0;
    }
    if (errno != EEXIST) {
        fprintf(stderr, "error: cannot create %s: %s\n", C->dir, strerror(errno));
        return 1;
    }
    DIR *dh = opendir(C->dir);
    struct dirent *e;
    int empty = dh != NULL;
    while (dh && (e = readdir(dh)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    if (dh) closedir(dh);
    if (!empty) {
        fprintf(stderr, "error: %s exists and is not an empty directory; refusing to mix "
                "credential sets (choose a new --out)\n", C->dir);
        return 1;
    }
    return 0;
}

/* Undo a failed run: the files made so far, and the directory if ours. */
static void s_cred_undo(s_cred *C)
{
    char path[4200];
    for (size_t i = 0; i < C->written; i++) {
        snprintf(path, sizeof path, "%s/%s.cred", C->dir, C->names[i]);
        unlink(path);
    }
    if (C->made_dir) rmdir(C->dir);
}

/* Every credential file, then the roll (name and Ed25519 key in hex). */
static int s_cred_write(s_cred *C)
{
    size_t cap = 256 + C->count * (DEFN_MAX_ID + 2 * DEFN_KEY_LEN + 3), pos = 0;
    char *roll = xmalloc(cap);
    pos += (size_t)snprintf(roll, cap, "# public roll: name and Ed25519 key (hex) of each "
                            "credential; give it to `%s new --roll`\n", C->ops->name);
    int rc = 0;
    for (size_t i = 0; i < C->count && rc == 0; i++) {
        char code[CRED_TEXT_LEN + 1], path[4200], err[512], hex[2 * DEFN_KEY_LEN + 1];
        keys *k = NULL;
        cred_generate(code);
        snprintf(path, sizeof path, "%s/%s.cred", C->dir, C->names[i]);
        rc = keys_from_credential(&k, code, err, sizeof err);
        if (rc == 0) rc = cred_save(path, code, err, sizeof err);
        sodium_memzero(code, sizeof code);
        if (rc != 0) {
            fprintf(stderr, "error: %s\n", err);
        } else {
            C->written++;
            keys_hex_encode(hex, keys_sign_pk(k), DEFN_KEY_LEN);
            pos += (size_t)snprintf(roll + pos, cap - pos, "%s %s\n", C->names[i], hex);
        }
        keys_free(&k);
    }
    char rp[4200];
    snprintf(rp, sizeof rp, "%s/roll.txt", C->dir);
    if (rc == 0 && fs_write_new(rp, roll, pos, 0644) != 0) {
        fprintf(stderr, "error: cannot write %s: %s\n", rp, strerror(errno));
        rc = 1;
    }
    free(roll);
    return rc ? 1 : 0;
}

int app_credentials_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--count", "--out", "--names", NULL };
    static const char *const bf[] = { "--json", NULL };
    cli_args a;
    s_cred C = { .ops = ops };
    if (cli_parse(&a, argc, argv, vf, bf) || cli_need(&a, "--out", &C.dir)) return 2;
    const char *cnt = cli_get(&a, "--count"), *names = cli_get(&a, "--names");
    long count = 0;
    if (a.npos || (!cnt && !names)) {
        fprintf(stderr, "usage: %s credentials --out DIR (--count N | --names FILE) [--json]\n",
                ops->name);
        return 2;
    }
    if (cnt && cli_int(cnt, 1, DEFN_MAX_ROLL, &count) != 0) {
        fprintf(stderr, "error: --count: expected 1..%u\n", DEFN_MAX_ROLL);
        return 2;
    }
    int status = 0;
    if (names) {
        status = s_read_names(&C, names);
        if (status == 0 && cnt && (size_t)count != C.count) {
            fprintf(stderr, "error: --count %ld but %s lists %zu names\n", count, names, C.count);
            status = 1;
        }
    } else {
        C.count = (size_t)count;
        C.names = xmalloc(C.count * sizeof *C.names);
        int width = 3;                       /* voter001: names sort in number order */
        for (long c = count; c >= 1000; c /= 10) width++;
        for (size_t i = 0; i < C.count; i++)
            snprintf(C.names[i], sizeof C.names[0], "%.40s%0*u", ops->noun, width & 7,
                     (unsigned)(i + 1) & 0xffffffu);
    }
    if (status == 0) status = s_cred_dir(&C);
    if (status == 0 && (status = s_cred_write(&C)) != 0) s_cred_undo(&C);
    if (status == 0 && cli_get(&a, "--json")) {
        char rp[4200];
        snprintf(rp, sizeof rp, "%s/roll.txt", C.dir);
        json_t *o = json_pack("{sIssss}", "count", (json_int_t)C.count, "dir", C.dir, "roll", rp);
        app_print_json(o, stdout);
        json_decref(o);
    } else if (status == 0) {
        printf("wrote %zu credentials %s/<name>.cred (secret, mode 0600) and the public roll "
               "%s/roll.txt\n", C.count, C.dir, C.dir);
        printf("Give each %s their own .cred file (or the code in it) privately; use "
               "`%s new --roll %s/roll.txt ...` for the definition.\n", ops->noun, ops->name,
               C.dir);
    }
    free(C.names);
    return status;
}
