/* status: `status` (see status.h). Each server is asked from a thread of its
 * own, so its clock offset is measured against its own round trip: one call to
 * all of them would last until a silent server's timeout, and the midpoint of
 * that wait says nothing about when the others answered. */
#include "app/status.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>

#include "app/cli.h"
#include "app/ctx.h"
#include "common/rpc.h"
#include "protocols/intake.h"

#define S_SID_HEX (2 * MPC_SID_LEN + 1)

/* What one server said (or why it said nothing useful). */
typedef struct s_server {
    const defn *d;
    int index;                 /* 1..n */
    int answered;              /* some reply came back */
    int up;                    /* ... and it was a well-formed status */
    int intake_open, result, same_session;
    long long accepted;
    double offset_s;           /* its clock minus ours, seconds */
    char sid[S_SID_HEX];       /* the session it runs */
    char why[RPC_ERR_LEN + 64];   /* why it is not up */
} s_server;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The reply body of app/inbox.c s_status; mid is our clock halfway through the
 * round trip. 0, or -1 with s->why set. */
static int s_parse(s_server *s, const uint8_t *body, size_t len, double mid)
{
    json_t *o = json_loadb((const char *)body, len, 0, NULL);
    json_t *sid = json_object_get(o, "session_id"), *in = json_object_get(o, "intake");
    json_t *acc = json_object_get(o, "accepted"), *res = json_object_get(o, "result");
    json_t *tm = json_object_get(o, "time");
    int ok = json_is_string(sid) && strlen(json_string_value(sid)) == S_SID_HEX - 1 &&
             json_is_string(in) && json_is_integer(acc) && json_is_boolean(res) &&
             json_is_number(tm);
    if (ok) {
        char mine[S_SID_HEX];
        sodium_bin2hex(mine, sizeof mine, defn_sid(s->d), MPC_SID_LEN);
        snprintf(s->sid, sizeof s->sid, "%s", json_string_value(sid));
        s->same_session = sodium_memcmp(s->sid, mine, S_SID_HEX - 1) == 0;
        s->intake_open = strcmp(json_string_value(in), "open") == 0;
        s->accepted = (long long)json_integer_value(acc);
        s->result = json_is_true(res);
        s->offset_s = json_number_value(tm) - mid;
    } else {
        snprintf(s->why, sizeof s->why, "server %d answered with a malformed status", s->index);
    }
    json_decref(o);
    return ok ? 0 : -1;
}

/* Thread body: one STATUS request to server s->index, timed. */
static void *s_ask(void *arg)
{
    s_server *s = arg;
    int n = defn_n(s->d), i = s->index - 1;
    rpc_peer peers[MPC_MAX_SERVERS];
    const uint8_t *reqs[MPC_MAX_SERVERS] = { 0 };
    size_t lens[MPC_MAX_SERVERS] = { 0 }, rl[MPC_MAX_SERVERS];
    uint8_t *resp[MPC_MAX_SERVERS], req[INTAKE_HDR];
    char errs[MPC_MAX_SERVERS][RPC_ERR_LEN];
    for (int j = 0; j < n; j++) {
        const defn_server *sv = defn_server_at(s->d, j + 1);
        peers[j] = (rpc_peer){ .endpoint = sv->client, .curve_pk = sv->curve_pk };
    }
    if (intake_req_encode(req, INTAKE_STATUS, 0, NULL, 0) != 0) {
        snprintf(s->why, sizeof s->why, "cannot frame a status request");
        return NULL;
    }
    reqs[i] = req;   /* the others stay NULL: rpc_call asks only this one */
    lens[i] = sizeof req;
    double t0 = s_now();
    (void)rpc_call(n, peers, reqs, lens, resp, rl, errs, defn_timeout_ms(s->d));
    double mid = (t0 + s_now()) / 2;
    intake_msg m;
    s->answered = resp[i] != NULL;
    if (!resp[i])
        snprintf(s->why, sizeof s->why, "%s", errs[i]);
    else if (intake_resp_decode(&m, resp[i], rl[i]) != 0)
        snprintf(s->why, sizeof s->why, "server %d answered with a malformed frame", s->index);
    else if (m.kind != INTAKE_ST_OK)   /* e.g. a server too old to know STATUS */
        snprintf(s->why, sizeof s->why, "server %d refused the status request: %.*s", s->index,
                 (int)(m.body_len > 200 ? 200 : m.body_len), (const char *)m.body);
    else
        s->up = s_parse(s, m.body, m.body_len, mid) == 0;
    free(resp[i]);
    rpc_thread_done();
    return NULL;
}

/* Rounded to the one decimal shown, without a "-0.0". */
static double s_offset(const s_server *s)
{
    double r = round(s->offset_s * 10) / 10;
    return r == 0 ? 0.0 : r;
}

/* The cause without the "server I (ENDPOINT) " rpc puts first: the line
 * already starts with both. */
static const char *s_cause(const s_server *s, const char *endpoint)
{
    char pre[RPC_ERR_LEN];
    const char *why = s->why;
    snprintf(pre, sizeof pre, "server %d (%s) ", s->index, endpoint);
    if (strncmp(why, pre, strlen(pre)) == 0) return why + strlen(pre);
    snprintf(pre, sizeof pre, "server %d ", s->index);
    if (strncmp(why, pre, strlen(pre)) == 0) return why + strlen(pre);
    return why;
}

static void s_print_human(const app_ctx *c, const s_server *sv, int n)
{
    char sid[S_SID_HEX];
    sodium_bin2hex(sid, sizeof sid, defn_sid(c->d), MPC_SID_LEN);
    printf("session %s (%s \"%s\"), %d servers\n", sid, c->ops->name, defn_id(c->d), n);
    int up = 0;
    for (int i = 0; i < n; i++) {
        const s_server *s = &sv[i];
        const char *ep = defn_server_at(c->d, s->index)->client;
        printf("  %d  %s  ", s->index, ep);
        if (!s->up) {
            printf("%s (%s)\n", s->answered ? "no status" : "unreachable", s_cause(s, ep));
            continue;
        }
        up++;
        printf("up  intake %s  accepted %lld  result %s  clock %+.1f s%s\n",
               s->intake_open ? "open" : "closed", s->accepted,
               s->result ? "ready" : "not ready", s_offset(s),
               s->same_session ? "" : "  ANOTHER DEFINITION");
    }
    printf("%d of %d servers up\n", up, n);
}

static void s_print_json(const app_ctx *c, const s_server *sv, int n)
{
    char sid[S_SID_HEX];
    sodium_bin2hex(sid, sizeof sid, defn_sid(c->d), MPC_SID_LEN);
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        const s_server *s = &sv[i];
        const char *ep = defn_server_at(c->d, s->index)->client;
        json_t *o = s->up ? json_pack("{sisssbsssIsbsbsf}", "index", s->index, "endpoint", ep,
                                      "up", 1, "intake", s->intake_open ? "open" : "closed",
                                      "accepted", (json_int_t)s->accepted, "result", s->result,
                                      "same_session", s->same_session, "clock_offset_s",
                                      s_offset(s))
                          : json_pack("{sisssb}", "index", s->index, "endpoint", ep, "up", 0);
        json_array_append_new(arr, o);
    }
    json_t *o = json_pack("{ssso}", "session_id", sid, "servers", arr);
    app_print_json(o, stdout);
    json_decref(o);
}

int app_status_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", NULL };
    static const char *const bf[] = { "--json", NULL };
    cli_args a;
    const char *dp;
    if (cli_parse(&a, argc, argv, vf, bf) || cli_need(&a, "--defn", &dp)) return 2;
    if (a.npos) {
        fprintf(stderr, "error: status takes no argument (got \"%s\")\n", a.pos[0]);
        return 2;
    }
    app_ctx c;   /* status is public: no key */
    if (app_ctx_load(&c, ops, dp, NULL) != 0) {
        app_ctx_free(&c);
        return 1;
    }
    int n = defn_n(c.d), good = 0;
    s_server sv[MPC_MAX_SERVERS];
    pthread_t th[MPC_MAX_SERVERS];
    int started[MPC_MAX_SERVERS] = { 0 };
    for (int i = 0; i < n; i++) {
        sv[i] = (s_server){ .d = c.d, .index = i + 1 };
        started[i] = pthread_create(&th[i], NULL, s_ask, &sv[i]) == 0;
        if (!started[i]) s_ask(&sv[i]);   /* no thread to spare: ask from here */
    }
    for (int i = 0; i < n; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        if (sv[i].up && !sv[i].same_session)
            fprintf(stderr, "warning: server %d runs another definition (session %s, not this "
                            "file's)\n", i + 1, sv[i].sid);
        good += sv[i].up && sv[i].same_session;
    }
    if (cli_get(&a, "--json")) s_print_json(&c, sv, n);
    else s_print_human(&c, sv, n);
    app_ctx_free(&c);
    return good == n ? 0 : 1;
}
