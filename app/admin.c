/* admin: `new`, the organizer's writer of definition files (see admin.h).
 * Stages: options -> servers file -> roll -> rules -> definition (formatted,
 * parsed back, rules loaded, then written never over an existing file). */
#include "app/admin.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "app/cli.h"
#include "app/ctx.h"
#include "common/fsutil.h"
#include "common/keys.h"
#include "common/limits.h"
#include "common/xalloc.h"

#define S_LIST_MAX (64u << 20)     /* servers and roll files: refused above */

typedef struct s_new {
    const app_ops *ops;
    cli_args a;
    long t, bits, timeout_ms;
    int security, domain, json, loopback;
    int64_t deadline;
    const char *out;
    defn_server sv[MPC_MAX_SERVERS];
    char mesh[MPC_MAX_SERVERS][DEFN_MAX_ENDPOINT + 1];
    char client[MPC_MAX_SERVERS][DEFN_MAX_ENDPOINT + 1];
    char http[MPC_MAX_SERVERS][DEFN_MAX_ENDPOINT + 1];
    int n;
    defn_voter *roll;
    char (*names)[DEFN_MAX_ID + 1];
    char (*src)[256];            /* where roll entry i came from, for messages */
    size_t nroll, cap;
    json_t *rules;
} s_new;

/* ---- deadline ---- */

static int s_days_in_month(int y, int m)
{
    static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

static int s_relative(const char *s, int64_t now, int64_t *out, char *why, size_t len)
{
    char *end;
    errno = 0;
    long long v = strtoll(s + 1, &end, 10);
    int64_t unit = *end == 'd' ? 86400 : *end == 'h' ? 3600 : *end == 'm' ? 60 : 0;
    if (errno || end == s + 1 || s[1] < '0' || s[1] > '9' || !unit || end[1] || v < 1 ||
        v > 100000) {
        err_fmt(why, len, "expected +N followed by d, h or m (e.g. +2d, +3h, +90m)");
        return ERR_PARSE;
    }
    *out = now + (int64_t)v * unit;
    return 0;
}

/* The zone suffix of an ISO-8601 time: 1 for local (none), 0 with *off set
 * (seconds east of UTC), or -1. */
static int s_zone(const char *z, long *off)
{
    *off = 0;
    if (!*z) return 1;
    if (!strcmp(z, "Z") || !strcmp(z, "z")) return 0;
    if (*z != '+' && *z != '-') return -1;
    int hh, mm = 0, nread = 0;
    if (sscanf(z + 1, "%2d:%2d%n", &hh, &mm, &nread) == 2 && nread == 5 && !z[6]) {}
    else if (sscanf(z + 1, "%2d%2d%n", &hh, &mm, &nread) == 2 && nread == 4 && !z[5]) {}
    else if (sscanf(z + 1, "%2d%n", &hh, &nread) == 1 && nread == 2 && !z[3]) mm = 0;
    else return -1;
    if (hh > 14 || mm > 59) return -1;
    *off = (hh * 3600L + mm * 60L) * (*z == '-' ? -1 : 1);
    return 0;
}

int app_deadline_parse(const char *s, int64_t now, int64_t *out, char *why, size_t len)
{
    if (s[0] == '+') return s_relative(s, now, out, why, len);
    static const char fmt_help[] = "expected ISO-8601 YYYY-MM-DDTHH:MM[:SS] with Z, an offset "
                                   "(+02:00) or nothing (local time), or +2d / +3h / +90m";
    int y, mo, d, h, mi, sec = 0, pos = 0;
    char sep;
    if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &pos) != 6 ||
        pos != 16 || (sep != 'T' && sep != 't' && sep != ' ')) {
        err_fmt(why, len, "%s", fmt_help);
        return ERR_PARSE;
    }
    if (s[pos] == ':') {
        int p2 = 0;
        if (sscanf(s + pos + 1, "%2d%n", &sec, &p2) != 1 || p2 != 2) {
            err_fmt(why, len, "%s", fmt_help);
            return ERR_PARSE;
        }
        pos += 3;
    }
    long off;
    int local = s_zone(s + pos, &off);
    if (local < 0) {
        err_fmt(why, len, "%s", fmt_help);
        return ERR_PARSE;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > s_days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59) {
        err_fmt(why, len, "no such date or time");
        return ERR_PARSE;
    }
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                     .tm_min = mi, .tm_sec = sec, .tm_isdst = -1 };
    if (!local) {
        *out = (int64_t)timegm(&tm) - off;
        return 0;
    }
    time_t t = mktime(&tm);
    /* mktime moves a time that a daylight-saving change skips; say so */
    if (t == (time_t)-1 || tm.tm_hour != h || tm.tm_min != mi || tm.tm_mday != d) {
        err_fmt(why, len, "%.16s does not exist in local time (a daylight-saving change); "
                "give an offset or Z", s);
        return ERR_PARSE;
    }
    *out = (int64_t)t;
    return 0;
}

void app_time_text(int64_t t, char local[64], char utc[32])
{
    time_t tt = (time_t)t;
    struct tm lt, ut;
    localtime_r(&tt, &lt);
    gmtime_r(&tt, &ut);
    strftime(local, 64, "%Y-%m-%d %H:%M:%S %Z (%z)", &lt);
    strftime(utc, 32, "%Y-%m-%dT%H:%M:%SZ", &ut);
}

/* ---- options ---- */

static const char *const s_base_v[] = { "--servers", "--roll", "--deadline", "--out", "--id",
                                        "--t", "--bits", "--security", "--domain", "--timeout-ms",
                                        "--close", "--title", "--question" };

static int s_options(s_new *N, int argc, char **argv)
{
    const app_ops *ops = N->ops;
    const char *vf[CLI_MAX_ARGS], *bf[CLI_MAX_ARGS];
    size_t nv = 0, nb = 0;
    for (size_t i = 0; i < sizeof s_base_v / sizeof *s_base_v; i++) vf[nv++] = s_base_v[i];
    bf[nb++] = "--json";
    for (size_t i = 0; ops->flags[i] && nv + nb < CLI_MAX_ARGS - 2; i++) {
        if (cli_in(ops->bool_flags, ops->flags[i])) bf[nb++] = ops->flags[i];
        else vf[nv++] = ops->flags[i];
    }
    vf[nv] = bf[nb] = NULL;
    cli_args *a = &N->a;
    const char *x;
    if (cli_parse(a, argc, argv, vf, bf) || cli_need(a, "--servers", &x) ||
        cli_need(a, "--roll", &x) || cli_need(a, "--deadline", &x) ||
        cli_need(a, "--out", &N->out))
        return 2;
    if (a->npos) {
        fprintf(stderr, "error: unexpected argument %s\n", a->pos[0]);
        return 2;
    }
    N->t = -1;
    N->bits = 32;
    if ((x = cli_get(a, "--t")) && cli_int(x, 0, (MPC_MAX_SERVERS - 1) / 2, &N->t) != 0) {
        fprintf(stderr, "error: --t: expected 0..%d\n", (MPC_MAX_SERVERS - 1) / 2);
        return 2;
    }
    if ((x = cli_get(a, "--bits")) && cli_int(x, 1, 64, &N->bits) != 0) {
        fprintf(stderr, "error: --bits: expected 1..64\n");
        return 2;
    }
    if ((x = cli_get(a, "--timeout-ms")) && cli_int(x, 100, 600000, &N->timeout_ms) != 0) {
        fprintf(stderr, "error: --timeout-ms: expected 100..600000\n");
        return 2;
    }
    x = cli_get(a, "--security");
    if (x && strcmp(x, "malicious") && strcmp(x, "semi-honest")) {
        fprintf(stderr, "error: --security: expected malicious or semi-honest\n");
        return 2;
    }
    N->security = x && !strcmp(x, "semi-honest") ? DEFN_SEMI_HONEST : DEFN_MALICIOUS;
    if ((N->domain = cli_domain(a)) < 0) return 2;
    x = cli_get(a, "--id");
    if (x && !defn_name_ok(x)) {
        fprintf(stderr, "error: --id: expected 1..%d characters of A-Z a-z 0-9 . _ -\n",
                DEFN_MAX_ID);
        return 2;
    }
    if ((x = cli_get(a, "--title")) && !defn_text_ok(x, DEFN_MAX_TITLE)) {
        fprintf(stderr, "error: --title: expected 1..%d bytes without control characters\n",
                DEFN_MAX_TITLE);
        return 2;
    }
    if ((x = cli_get(a, "--question")) && !defn_text_ok(x, DEFN_MAX_QUESTION)) {
        fprintf(stderr, "error: --question: expected 1..%d bytes without control characters\n",
                DEFN_MAX_QUESTION);
        return 2;
    }
    N->json = cli_get(a, "--json") != NULL;
    return 0;
}

/* A deadline in the future and at most MPC_DEADLINE_MAX_AHEAD_S ahead. */
static int s_deadline(s_new *N)
{
    const char *s = cli_get(&N->a, "--deadline");
    int64_t now = (int64_t)time(NULL);
    char why[256];
    if (app_deadline_parse(s, now, &N->deadline, why, sizeof why) != 0) {
        fprintf(stderr, "error: --deadline %s: %s\n", s, why);
        return 1;
    }
    char loc[64], utc[32];
    app_time_text(N->deadline, loc, utc);
    if (N->deadline <= now) {
        fprintf(stderr, "error: --deadline %s: %s is in the past; servers started on this file "
                "would close at once and sign a result of no inputs\n", s, loc);
        return 1;
    }
    if (N->deadline - now > MPC_DEADLINE_MAX_AHEAD_S) {
        fprintf(stderr, "error: --deadline %s: %s is more than %lld days ahead (a typo?)\n", s,
                loc, MPC_DEADLINE_MAX_AHEAD_S / 86400);
        return 1;
    }
    return 0;
}

/* ---- servers file ---- */

/* NULL if ep is tcp://ADDRESS:PORT with a numeric, non-wildcard address,
 * else why not (in buf). *loopback is set for 127.0.0.0/8 and ::1. */
static const char *s_endpoint_problem(const char *ep, int *loopback, char *buf, size_t len)
{
    char host[DEFN_MAX_ENDPOINT + 1];
    *loopback = 0;
    if (strncmp(ep, "tcp://", 6) != 0) {
        err_fmt(buf, len, "expected tcp://ADDRESS:PORT (ipc:// and other transports reach "
                "one machine only)");
        return buf;
    }
    const char *h = ep + 6, *colon = strrchr(h, ':');
    size_t hl = colon ? (size_t)(colon - h) : 0;
    if (!colon || hl == 0 || hl > DEFN_MAX_ENDPOINT) {
        err_fmt(buf, len, "expected tcp://ADDRESS:PORT");
        return buf;
    }
    long port;
    if (cli_int(colon + 1, 1, 65535, &port) != 0 || colon[1] < '1' || colon[1] > '9') {
        err_fmt(buf, len, "expected a port 1..65535 after the last ':'");
        return buf;
    }
    int v6 = h[0] == '[' && h[hl - 1] == ']';
    memcpy(host, h + v6, hl - 2 * (size_t)v6);
    host[hl - 2 * (size_t)v6] = 0;
    unsigned char addr[16];
    static const unsigned char any6[16], lo6[16] = { [15] = 1 };
    int numeric = inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) == 1;
    if (!strcmp(host, "*") ||
        (numeric && (v6 ? !memcmp(addr, any6, 16) : !memcmp(addr, any6, 4)))) {
        err_fmt(buf, len, "%s is a wildcard, not an address others can connect to: give the "
                "server's own address", host);
        return buf;
    }
    if (!numeric) {
        err_fmt(buf, len, "\"%.64s\" is not a numeric %s address: give the IP address the "
                "server owns and the others reach (a host name may resolve differently, or "
                "to an address the server cannot bind)%s", host, v6 ? "IPv6" : "IPv4",
                strchr(host, ':') ? "; write an IPv6 address in brackets" : "");
        return buf;
    }
    *loopback = v6 ? !memcmp(addr, lo6, 16) : addr[0] == 127;
    return NULL;
}

/* 1 when port is in this machine's ephemeral range, from which the kernel picks
 * the local ports of outgoing connections: one may already hold it. */
static int s_ephemeral(long port)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    long lo = 0, hi = -1;
    if (f) {
        if (fscanf(f, "%ld %ld", &lo, &hi) != 2) hi = -1;
        fclose(f);
    }
    return port >= lo && port <= hi;
}

/* base's directory joined with rel (absolute rel unchanged), into out. */
static void s_beside(char *out, size_t len, const char *base, const char *rel)
{
    const char *slash = strrchr(base, '/');
    if (rel[0] == '/' || !slash) snprintf(out, len, "%s", rel);
    else snprintf(out, len, "%.*s/%s", (int)(slash - base), base, rel);
}

/* Tokens of a line of a list file after '#' comments are cut; count or -1. */
static int s_tokens(char *line, char **tok, int max)
{
    char *hash = strchr(line, '#'), *save = NULL;
    if (hash) *hash = 0;
    int nt = 0;
    for (char *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (nt < max) tok[nt] = t;
        nt++;
    }
    return nt;
}

/* One line "index mesh client pubfile [http-origin]" of the servers file. */
static int s_server_line(s_new *N, const char *path, int lineno, char **tok, int *seen_line)
{
    long idx;
    char why[512], pub[4096];
    if (cli_int(tok[0], 1, MPC_MAX_SERVERS, &idx) != 0) {
        fprintf(stderr, "error: %s:%d: index \"%s\": expected 1..%d\n", path, lineno, tok[0],
                MPC_MAX_SERVERS);
        return 1;
    }
    if (seen_line[idx - 1]) {
        fprintf(stderr, "error: %s:%d: duplicate server index %ld (also on line %d)\n", path,
                lineno, idx, seen_line[idx - 1]);
        return 1;
    }
    seen_line[idx - 1] = lineno;
    defn_server *sv = &N->sv[idx - 1];
    for (int k = 1; k <= 2; k++) {
        int lo;
        if (strlen(tok[k]) > DEFN_MAX_ENDPOINT || s_endpoint_problem(tok[k], &lo, why, sizeof why)) {
            fprintf(stderr, "error: %s:%d: %s endpoint %.300s: %s\n", path, lineno,
                    k == 1 ? "mesh" : "client", tok[k],
                    strlen(tok[k]) > DEFN_MAX_ENDPOINT ? "longer than 255 characters" : why);
            return 1;
        }
        N->loopback |= lo;
        long port = strtol(strrchr(tok[k], ':') + 1, NULL, 10);
        if (s_ephemeral(port))
            fprintf(stderr, "warning: %s:%d: port %ld is in this machine's ephemeral range "
                    "(/proc/sys/net/ipv4/ip_local_port_range): an outgoing connection may hold "
                    "it when the server starts; prefer a fixed port below the range\n", path,
                    lineno, port);
        snprintf(k == 1 ? N->mesh[idx - 1] : N->client[idx - 1], DEFN_MAX_ENDPOINT + 1, "%s",
                 tok[k]);
    }
    s_beside(pub, sizeof pub, path, tok[3]);
    if (keys_load_public(sv->curve_pk, sv->sign_pk, pub, why, sizeof why) != 0) {
        fprintf(stderr, "error: %s:%d: server %ld: %s\n", path, lineno, idx, why);
        return 1;
    }
    sv->index = (int)idx;
    sv->mesh = N->mesh[idx - 1];
    sv->client = N->client[idx - 1];
    if (tok[4]) {   /* the origin its web page is served from (docs/http.md) */
        const char *bad = defn_http_origin_problem(tok[4], NULL, NULL);
        if (bad) {
            fprintf(stderr, "error: %s:%d: http origin %.300s: %s\n", path, lineno, tok[4], bad);
            return 1;
        }
        snprintf(N->http[idx - 1], DEFN_MAX_ENDPOINT + 1, "%s", tok[4]);
        sv->http = N->http[idx - 1];
    }
    return 0;
}

static int s_servers(s_new *N)
{
    const char *path = cli_get(&N->a, "--servers");
    uint8_t *text;
    size_t len;
    if (fs_read_file(path, &text, &len, S_LIST_MAX) != 0) {
        fprintf(stderr, "error: cannot read servers file %s: %s\n", path, strerror(errno));
        return 1;
    }
    int seen_line[MPC_MAX_SERVERS] = { 0 }, lineno = 0, bad = 0;
    char *save = NULL;
    for (char *ln = strtok_r((char *)text, "\n", &save); ln && !bad;
         ln = strtok_r(NULL, "\n", &save)) {
        char *tok[5] = { NULL };
        lineno++;
        int nt = s_tokens(ln, tok, 5);
        if (nt == 0) continue;
        if (nt != 4 && nt != 5) {
            fprintf(stderr, "error: %s:%d: expected \"index mesh_endpoint client_endpoint "
                    "pubfile [http_origin]\"\n", path, lineno);
            bad = 1;
        } else {
            bad = s_server_line(N, path, lineno, tok, seen_line);
        }
    }
    free(text);
    if (bad) return 1;
    while (N->n < MPC_MAX_SERVERS && seen_line[N->n]) N->n++;
    for (int i = N->n; i < MPC_MAX_SERVERS; i++)
        if (seen_line[i]) {
            fprintf(stderr, "error: %s: server indices must run 1..n; %d is missing\n", path,
                    N->n + 1);
            return 1;
        }
    if (N->n == 0) {
        fprintf(stderr, "error: %s lists no server\n", path);
        return 1;
    }
    if (N->loopback)
        fprintf(stderr, "warning: %s: loopback addresses can be reached from this machine "
                "only (fine for a trial on one host)\n", path);
    if (N->t < 0 && N->n < 3) {
        fprintf(stderr, "error: %s: with %d server%s t would be 0 and every server would see "
                "every input in clear; list 3 or more, or pass --t 0 to do it anyway\n", path,
                N->n, N->n == 1 ? "" : "s");
        return 1;
    }
    if (N->t < 0) N->t = (N->n - 1) / 2;
    if (2 * N->t >= N->n) {
        fprintf(stderr, "error: --t %ld needs more than %ld servers (%s lists %d)\n", N->t,
                2 * N->t, path, N->n);
        return 1;
    }
    return 0;
}

/* ---- roll ---- */

static defn_voter *s_roll_add(s_new *N, const char *name, const char *src, size_t srclen)
{
    if (N->nroll == N->cap) {
        N->cap = N->cap ? 2 * N->cap : 64;
        N->roll = xrealloc(N->roll, N->cap * sizeof *N->roll);
        N->names = xrealloc(N->names, N->cap * sizeof *N->names);
        N->src = xrealloc(N->src, N->cap * sizeof *N->src);
    }
    size_t i = N->nroll++;
    snprintf(N->names[i], sizeof N->names[i], "%s", name);
    snprintf(N->src[i], sizeof N->src[i], "%.*s", (int)srclen, src);
    memset(&N->roll[i], 0, sizeof N->roll[i]);
    return &N->roll[i];
}

static int s_strcmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);   /* byte order, not the locale's */
}

static int s_pub_filter(const struct dirent *e)
{
    size_t l = strlen(e->d_name);
    return l > 4 && !strcmp(e->d_name + l - 4, ".pub") && e->d_name[0] != '.';
}

/* Every NAME.pub of dir, in byte order of the file names. */
static int s_roll_dir(s_new *N, const char *dir)
{
    struct dirent **ents;
    int ne = scandir(dir, &ents, s_pub_filter, s_strcmp), bad = 0;
    if (ne < 0) {
        fprintf(stderr, "error: cannot read roll directory %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (int i = 0; i < ne; i++) {
        char path[4096], name[300], why[512];
        snprintf(name, sizeof name, "%.*s", (int)strlen(ents[i]->d_name) - 4, ents[i]->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
        if (!bad && !defn_roll_name_ok(name)) {
            fprintf(stderr, "error: %s: the name \"%.64s\" must be 1..%d bytes without control "
                    "characters\n", path, name, DEFN_MAX_ID);
            bad = 1;
        }
        if (!bad) {
            defn_voter *v = s_roll_add(N, name, path, strlen(path));
            if (keys_load_public(v->curve_pk, v->sign_pk, path, why, sizeof why) != 0) {
                fprintf(stderr, "error: roll: %s\n", why);
                bad = 1;
            }
        }
        free(ents[i]);
    }
    free(ents);
    if (!bad && N->nroll == 0) {
        fprintf(stderr, "error: roll directory %s holds no .pub file\n", dir);
        bad = 1;
    }
    return bad;
}

/* A file of "name pubfile|hexkey" lines; a 64-hex-digit second word is the
 * Ed25519 key alone (a credential roll), anything else a .pub file. */
static int s_roll_file(s_new *N, const char *path)
{
    uint8_t *text;
    size_t len;
    if (fs_read_file(path, &text, &len, S_LIST_MAX) != 0) {
        fprintf(stderr, "error: cannot read roll file %s: %s\n", path, strerror(errno));
        return 1;
    }
    int lineno = 0, bad = 0;
    char *save = NULL;
    for (char *ln = strtok_r((char *)text, "\n", &save); ln && !bad;
         ln = strtok_r(NULL, "\n", &save)) {
        char *tok[2], where[300], why[512], pub[4096];
        lineno++;
        int nt = s_tokens(ln, tok, 2);
        if (nt == 0) continue;
        snprintf(where, sizeof where, "%.250s:%d", path, lineno);
        if (nt != 2) {
            fprintf(stderr, "error: %s: expected \"name pubfile\" or \"name hexkey\"\n", where);
            bad = 1;
        } else if (!defn_roll_name_ok(tok[0])) {
            fprintf(stderr, "error: %s: the name must be 1..%d bytes\n", where, DEFN_MAX_ID);
            bad = 1;
        } else if (N->nroll == DEFN_MAX_ROLL) {
            fprintf(stderr, "error: %s: more than %u roll entries\n", where, DEFN_MAX_ROLL);
            bad = 1;
        } else {
            defn_voter *v = s_roll_add(N, tok[0], where, strlen(where));
            if (strlen(tok[1]) == 2 * DEFN_KEY_LEN &&
                keys_hex_decode(v->sign_pk, DEFN_KEY_LEN, tok[1]) == 0)
                continue;
            s_beside(pub, sizeof pub, path, tok[1]);
            if (keys_load_public(v->curve_pk, v->sign_pk, pub, why, sizeof why) != 0) {
                fprintf(stderr, "error: %s: %s\n", where, why);
                bad = 1;
            }
        }
    }
    free(text);
    if (!bad && N->nroll == 0) {
        fprintf(stderr, "error: roll file %s lists nobody\n", path);
        bad = 1;
    }
    return bad;
}

/* What s_roll_dups sorts by: 0 name, 1 sign_pk, 2 curve_pk. */
typedef struct s_sort {
    const s_new *N;
    int what;
} s_sort;

static const void *s_field(const s_sort *S, size_t i, size_t *len)
{
    const s_new *N = S->N;
    *len = S->what ? DEFN_KEY_LEN : strlen(N->names[i]) + 1;
    return S->what == 0 ? (const void *)N->names[i]
         : S->what == 1 ? (const void *)N->roll[i].sign_pk : (const void *)N->roll[i].curve_pk;
}

static int s_idx_cmp(const void *x, const void *y, void *ctx)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y, la, lb;
    const void *pa = s_field(ctx, a, &la), *pb = s_field(ctx, b, &lb);
    int c = memcmp(pa, pb, la < lb ? la : lb);
    return c ? c : la != lb ? (la < lb ? -1 : 1) : (a > b) - (a < b);
}

/* Duplicate names or keys, named by where each came from (the loader would
 * only say roll[i]). */
static int s_roll_dups(s_new *N)
{
    static const char *const what[3] = { "name", "Ed25519 key", "CURVE key" };
    size_t *ix = xmalloc(N->nroll * sizeof *ix);
    int bad = 0;
    for (int w = 0; w < 3 && !bad; w++) {
        s_sort S = { .N = N, .what = w };
        size_t m = 0;
        for (size_t i = 0; i < N->nroll; i++)
            if (w < 2 || !sodium_is_zero(N->roll[i].curve_pk, DEFN_KEY_LEN)) ix[m++] = i;
        qsort_r(ix, m, sizeof *ix, s_idx_cmp, &S);
        for (size_t i = 1; i < m && !bad; i++) {
            size_t la, lb;
            const void *pa = s_field(&S, ix[i - 1], &la), *pb = s_field(&S, ix[i], &lb);
            if (la == lb && !memcmp(pa, pb, la)) {
                fprintf(stderr, "error: roll: %s and %s have the same %s\n", N->src[ix[i - 1]],
                        N->src[ix[i]], what[w]);
                bad = 1;
            }
        }
    }
    free(ix);
    return bad;
}

static int s_roll(s_new *N)
{
    const char *r = cli_get(&N->a, "--roll");
    struct stat st;
    if (stat(r, &st) != 0) {
        fprintf(stderr, "error: --roll %s: %s\n", r, strerror(errno));
        return 1;
    }
    int bad = S_ISDIR(st.st_mode) ? s_roll_dir(N, r) : s_roll_file(N, r);
    for (size_t i = 0; i < N->nroll; i++) N->roll[i].name = N->names[i];
    return bad || s_roll_dups(N);
}

/* ---- rules and the file ---- */

static int s_rules(s_new *N)
{
    const char *af[CLI_MAX_ARGS], *av[CLI_MAX_ARGS];
    size_t na = cli_select(&N->a, N->ops->flags, af, av);
    char err[512];
    if (N->ops->runlocal_rules(af, av, na, (int)N->bits, &N->rules, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    const char *close = cli_get(&N->a, "--close");   /* every application's rule */
    if (close && strcmp(close, "deadline") && strcmp(close, "all_voted")) {
        fprintf(stderr, "error: --close: expected deadline or all_voted\n");
        return 2;
    }
    if (close) json_object_set_new(N->rules, "close", json_string(close));
    return 0;
}

/* The definition text, checked exactly as a server loads it (defn, kind,
 * rules against this roll and field). */
static int s_text(s_new *N, char **text, size_t *len)
{
    char id[80], err[512];
    const char *given = cli_get(&N->a, "--id");
    if (given) {
        snprintf(id, sizeof id, "%s", given);
    } else {
        time_t now = time(NULL);
        struct tm ut;
        gmtime_r(&now, &ut);
        snprintf(id, sizeof id, "%s-", N->ops->name);
        strftime(id + strlen(id), sizeof id - strlen(id), "%Y%m%d-%H%M%S", &ut);
    }
    defn_spec spec = { .id = id, .title = cli_get(&N->a, "--title"),
                       .question = cli_get(&N->a, "--question"),
                       .kind = N->ops->kind, .t = (int)N->t, .bits = (int)N->bits,
                       .kappa = 40, .security = N->security, .domain = N->domain,
                       .deadline = N->deadline,
                       .timeout_ms = (int)N->timeout_ms, .n = N->n, .servers = N->sv,
                       .roll_size = N->nroll, .roll = N->roll, .rules = N->rules };
    if (defn_format(text, len, &spec, err, sizeof err) != 0) {
        fprintf(stderr, "error: definition: %s\n", err);
        return 1;
    }
    defn *d = NULL;
    void *rules = NULL;
    int rc = defn_parse(&d, (const uint8_t *)*text, *len, err, sizeof err) ||
             N->ops->rules_load(&rules, d, err, sizeof err);
    if (rc) fprintf(stderr, "error: definition: %s\n", err);
    if (rules) N->ops->rules_free(&rules);
    defn_free(&d);
    if (rc) {
        free(*text);
        *text = NULL;
    }
    return rc ? 1 : 0;
}

static int s_write(s_new *N, const char *text, size_t len)
{
    if (fs_write_new(N->out, text, len, 0644) != 0) {
        fprintf(stderr, "error: cannot write %s: %s%s\n", N->out, strerror(errno),
                errno == EEXIST ? " (refusing to overwrite: a definition in use must never "
                                  "change)" : "");
        return 1;
    }
    /* the file as the servers will read it: same loader, same checks */
    app_ctx c;
    int rc = app_ctx_load(&c, N->ops, N->out, NULL);
    if (rc) unlink(N->out);
    else if (N->json) {
        char sid[2 * MPC_SID_LEN + 1];
        keys_hex_encode(sid, defn_sid(c.d), MPC_SID_LEN);
        json_t *o = json_pack("{ssss}", "session_id", sid, "path", N->out);
        app_print_json(o, stdout);
        json_decref(o);
    } else {
        char sid[2 * MPC_SID_LEN + 1], loc[64], utc[32];
        keys_hex_encode(sid, defn_sid(c.d), MPC_SID_LEN);
        app_time_text(N->deadline, loc, utc);
        printf("wrote %s: %d servers (t = %ld), %zu %ss, deadline %s = %s\n", N->out, N->n,
               N->t, N->nroll, N->ops->noun, loc, utc);
        printf("session id: %s\n", sid);
        printf("Give every server operator and %s this file byte for byte (any change makes "
               "another session); check it with: %s info --defn %s\n", N->ops->noun, N->ops->name,
               N->out);
    }
    app_ctx_free(&c);
    return rc;
}

int app_new_main(const app_ops *ops, int argc, char **argv)
{
    s_new *N = xcalloc(1, sizeof *N);
    N->ops = ops;
    int status = s_options(N, argc, argv);
    struct stat st;
    if (status == 0 && lstat(N->out, &st) == 0) {
        fprintf(stderr, "error: %s exists; refusing to overwrite it (a definition in use must "
                "never change; choose another --out)\n", N->out);
        status = 1;
    }
    if (status == 0) status = s_rules(N);
    if (status == 0) status = s_deadline(N) || s_servers(N) || s_roll(N);
    char *text = NULL;
    size_t len = 0;
    if (status == 0) status = s_text(N, &text, &len) || s_write(N, text, len);
    free(text);
    json_decref(N->rules);
    free(N->roll);
    free(N->names);
    free(N->src);
    free(N);
    return status;
}
