/* app: CLI and server/client skeleton shared by auction and vote. */
#include "protocols/app.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sodium.h>
#include <zmq.h>

#include "common/keys.h"
#include "common/log.h"
#include "common/net.h"
#include "common/secmem.h"
#include "common/store.h"
#include "common/zap.h"
#include "protocols/check.h"
#include "protocols/intake.h"
#include "protocols/result.h"
#include "protocols/shamir.h"

#define S_MAX_ARGS 64
#define S_TYPE_LIST 0x40
/* ZMQ_MAXMSGSIZE also bounds the CURVE handshake commands (INITIATE carries the
 * client's metadata), so the limit is the largest request plus this slack. */
#define S_HANDSHAKE_SLACK 1024      /* mesh message: a server's list of stored inputs */

/* ---------- small helpers ---------- */

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile sig_atomic_t s_stop;

/* Fault injection for the crash tests (docs/reliability.md): when the
 * environment names this point in MPC_FAILPOINT, the server dies here as if
 * killed with SIGKILL: no cleanup, no flush. */
static void s_failpoint(const char *name)
{
    const char *fp = getenv("MPC_FAILPOINT");
    if (!fp || strcmp(fp, name) != 0) return;
    /* let ZeroMQ's I/O thread flush replies already queued, as a crash later in
     * the computation would, so only the point under test differs */
    usleep(200000);
    raise(SIGKILL);
}

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

typedef struct s_args {
    const char *flag[S_MAX_ARGS];
    const char *value[S_MAX_ARGS];
    size_t count;
    const char *pos[S_MAX_ARGS];
    size_t npos;
} s_args;

static int s_in(const char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], s) == 0) return 1;
    return 0;
}

/* Parse "--flag value" / "--flag=value" / "--bool" against allowed lists;
 * anything else starting with "--" is an error. */
static int s_parse(s_args *a, int argc, char **argv, const char *const *vflags,
                   const char *const *bflags)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--") == 0) {
            if (a->npos == S_MAX_ARGS) return -1;
            a->pos[a->npos++] = arg;
            continue;
        }
        if (a->count == S_MAX_ARGS) return -1;
        static char names[S_MAX_ARGS][64];
        const char *eq = strchr(arg, '=');
        size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nl >= sizeof names[0]) {
            fprintf(stderr, "error: unknown option %s\n", arg);
            return -1;
        }
        memcpy(names[a->count], arg, nl);
        names[a->count][nl] = 0;
        const char *name = names[a->count];
        if (s_in(bflags, name)) {
            if (eq) {
                fprintf(stderr, "error: option %s takes no value\n", name);
                return -1;
            }
            a->flag[a->count] = name;
            a->value[a->count++] = "1";
        } else if (s_in(vflags, name)) {
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "error: option %s needs a value\n", name);
                return -1;
            }
            a->flag[a->count] = name;
            a->value[a->count++] = v;
        } else {
            fprintf(stderr, "error: unknown option %s\n", arg);
            return -1;
        }
    }
    return 0;
}

static const char *s_get(const s_args *a, const char *flag)
{
    const char *v = NULL;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->flag[i], flag) == 0) v = a->value[i];
    return v;
}

static int s_need(const s_args *a, const char *flag, const char **out)
{
    *out = s_get(a, flag);
    if (!*out) {
        fprintf(stderr, "error: missing %s\n", flag);
        return -1;
    }
    return 0;
}

static int s_int_arg(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int s_write_file(const char *path, const void *buf, size_t len, int mode)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) return ERR_IO;
    const uint8_t *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            close(fd);
            return ERR_IO;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) return ERR_IO;
    return rename(tmp, path) == 0 ? 0 : ERR_IO;
}

static int s_read_file(const char *path, uint8_t **out, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ERR_IO;
    uint8_t *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > max) {
        free(buf);
        return bad ? ERR_IO : ERR_RANGE;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* ---------- keygen ---------- */

static int s_keygen(int argc, char **argv)
{
    static const char *const vf[] = { "--out", NULL };
    s_args a;
    const char *prefix;
    if (s_parse(&a, argc, argv, vf, NULL) || s_need(&a, "--out", &prefix)) return 2;
    char sk[4096], pk[4096], err[256];
    snprintf(sk, sizeof sk, "%s.key", prefix);
    snprintf(pk, sizeof pk, "%s.pub", prefix);
    keys *k = keys_generate();
    int rc = keys_save_secret(k, sk, err, sizeof err);
    if (rc == 0) rc = keys_save_public(k, pk, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err);
        keys_free(&k);
        return 1;
    }
    char hex[65];
    keys_hex_encode(hex, keys_curve_pk(k), 32);
    printf("secret key: %s (mode 0600)\npublic key: %s\ncurve_pk %s\n", sk, pk, hex);
    keys_hex_encode(hex, keys_sign_pk(k), 32);
    printf("sign_pk  %s\n", hex);
    keys_free(&k);
    return 0;
}

/* ---------- shared loading ---------- */

typedef struct s_ctx {
    const app_ops *ops;
    defn *d;
    keys *k;
    void *rules;
    uint32_t m;
} s_ctx;

static void s_ctx_free(s_ctx *c)
{
    if (c->rules && c->ops->rules_free) c->ops->rules_free(&c->rules);
    keys_free(&c->k);
    defn_free(&c->d);
}

static int s_ctx_load(s_ctx *c, const app_ops *ops, const char *defn_path, const char *key_path)
{
    char err[512];
    memset(c, 0, sizeof *c);
    c->ops = ops;
    if (defn_load(&c->d, defn_path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s: %s\n", defn_path, err);
        return 1;
    }
    if (defn_kind(c->d) != ops->kind) {
        fprintf(stderr, "error: %s: kind is not \"%s\"\n", defn_path, ops->name);
        return 1;
    }
    if (ops->rules_load(&c->rules, c->d, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s: rules: %s\n", defn_path, err);
        return 1;
    }
    c->m = ops->input_len(c->rules);
    if (key_path && keys_load(&c->k, key_path, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    return 0;
}

/* ---------- server ---------- */

typedef struct s_entry {
    uint32_t roll;
    uint64_t seq;
    uint8_t sub_id[16];
} s_entry;

typedef struct s_server {
    s_ctx c;
    int me;
    store *st;
    void *zctx;
    zap *z;
    void *rsock;
    net *nw;
    mpc M;
    uint8_t *stmt;        /* encoded signed statement once computed */
    size_t stmt_len;
    const char *data_dir;
    double *tokens;       /* per roll index: request tokens left (rate limit) */
    double *refill;       /* per roll index: time of the last refill */
} s_server;

/* A roll key may send S_RATE_BURST requests at once, then S_RATE_PER_S per
 * second: a flood from one key is refused cheaply (before any signature check
 * or disk write) and the others stay served. */
#define S_RATE_BURST 8.0
#define S_RATE_PER_S 2.0

static int s_rate_ok(s_server *S, long roll)
{
    double now = s_now(), *tok = &S->tokens[roll];
    *tok += (now - S->refill[roll]) * S_RATE_PER_S;
    if (*tok > S_RATE_BURST) *tok = S_RATE_BURST;
    S->refill[roll] = now;
    if (*tok < 1.0) return 0;
    *tok -= 1.0;
    return 1;
}

/* One client request and the reply owed to it. Replies go out only after the
 * batch's records are durable (group commit: one fdatasync per batch). */
typedef struct s_pending {
    uint8_t rid[256];
    size_t rid_len;
    int status;              /* 0: body is a receipt; else body is a reason */
    uint8_t body[RESULT_MAX_OUTPUT + 512];
    size_t len;
    int stored;              /* a record was appended: needs the sync */
    int silent;              /* no reply (no roll identity) */
} s_pending;

#define S_BATCH 64

static void s_fail(s_pending *p, int status, long roll, const char *msg)
{
    log_msg(LOG_WARN, "refused request from roll %ld: %s", roll, msg);
    p->status = status;
    p->len = strlen(msg);
    memcpy(p->body, msg, p->len);
}

/* Validate and store one request; fills p. Never fails the server. */
static void s_process(s_server *S, zmq_msg_t *msg, s_pending *p, int intake_open)
{
    const char *uid = zmq_msg_gets(msg, "User-Id");
    long roll = -1;
    if (!uid || s_int_arg(uid, 0, (long)defn_roll_size(S->c.d) - 1, &roll) != 0) {
        log_msg(LOG_WARN, "dropped a client message without a roll identity");
        p->silent = 1;
        return;
    }
    if (!s_rate_ok(S, roll)) return s_fail(p, 8, roll, "too many requests from this key; slow down");
    const field *F = defn_field(S->c.d);
    const uint8_t *in = zmq_msg_data(msg);
    size_t len = zmq_msg_size(msg);
    intake_req r;
    if (intake_req_decode(&r, F, in, len) != 0)
        return s_fail(p, 1, roll, "malformed request");
    if (sodium_memcmp(r.sid, defn_sid(S->c.d), 32) != 0)
        return s_fail(p, 2, roll, "wrong session id (a submission for another auction or election)");
    if (r.server != S->me) return s_fail(p, 2, roll, "request addressed to another server");
    const defn_voter *v = defn_roll_at(S->c.d, (size_t)roll);
    if (intake_req_verify(&r, in, v->sign_pk) != 0) return s_fail(p, 3, roll, "bad signature");
    if (r.kind == INTAKE_FETCH) {
        if (!S->stmt) return s_fail(p, 5, roll, "result not ready");
        p->status = 0;
        p->len = S->stmt_len;
        memcpy(p->body, S->stmt, S->stmt_len);
        return;
    }
    if (!intake_open || (int64_t)time(NULL) >= defn_deadline(S->c.d))
        return s_fail(p, 4, roll, "intake closed (deadline passed or every roll member has submitted)");
    if (r.m != S->c.m) {
        char why[96];
        snprintf(why, sizeof why, "expected %u elements, got %u", S->c.m, r.m);
        return s_fail(p, 1, roll, why);
    }
    fe *shares = malloc(sizeof(fe) * (r.m ? r.m : 1));
    if (!shares) return s_fail(p, 7, roll, "out of memory");
    if (field_decode(F, shares, r.m, r.shares, (size_t)r.m * F->bytes) != 0) {
        s_fail(p, 1, roll, "share out of range");
    } else {
        store_rec rec = { .roll = (uint32_t)roll, .seq = r.seq, .m = r.m, .shares = shares };
        memcpy(rec.sub_id, r.sub_id, 16);
        int rc = store_append_nosync(S->st, &rec);
        if (rc != 0) {
            s_fail(p, rc == ERR_REFUSED ? 6 : 7, roll,
                   rc == ERR_REFUSED ? "replayed or stale submission (sequence not above the stored one)"
                                     : store_errmsg(S->st));
        } else {
            result_receipt rc_ = { .server = S->me, .roll = (uint32_t)roll, .seq = r.seq };
            memcpy(rc_.sid, r.sid, 32);
            memcpy(rc_.sub_id, r.sub_id, 16);
            result_share_hash(rc_.share_hash, r.shares, (size_t)r.m * F->bytes);
            result_receipt_sign(&rc_, keys_sign_sk(S->c.k));
            result_receipt_encode(p->body, &rc_);
            p->status = 0;
            p->len = RESULT_RECEIPT_LEN;
            p->stored = 1;
            log_msg(LOG_INFO, "stored input of roll %ld (seq %llu); %zu of %zu in", roll,
                    (unsigned long long)r.seq, store_count(S->st), defn_roll_size(S->c.d));
        }
    }
    sodium_memzero(shares, sizeof(fe) * (r.m ? r.m : 1));
    free(shares);
}

/* Take every request waiting on the client socket (up to S_BATCH), store the
 * accepted ones, make them durable with one sync, then reply to all. */
static void s_drain(s_server *S, int intake_open)
{
    static s_pending pend[S_BATCH];
    int np = 0, stored = 0;
    while (np < S_BATCH) {
        zmq_msg_t rid, msg;
        zmq_msg_init(&rid);
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&rid, S->rsock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            zmq_msg_close(&msg);
            break;
        }
        int ok = zmq_msg_more(&rid) && zmq_msg_recv(&msg, S->rsock, 0) >= 0;
        int more = ok && zmq_msg_more(&msg);
        while (more) {   /* a request is one frame: drop extra frames */
            zmq_msg_t extra;
            zmq_msg_init(&extra);
            more = zmq_msg_recv(&extra, S->rsock, 0) >= 0 && zmq_msg_more(&extra);
            zmq_msg_close(&extra);
            ok = 0;
        }
        s_pending *p = &pend[np];
        memset(p, 0, offsetof(s_pending, body));
        if (ok && zmq_msg_size(&rid) <= sizeof p->rid) {
            p->rid_len = zmq_msg_size(&rid);
            memcpy(p->rid, zmq_msg_data(&rid), p->rid_len);
            s_process(S, &msg, p, intake_open);
            stored += p->stored;
            np++;
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&msg);
    }
    if (stored && store_sync(S->st) != 0) {
        log_msg(LOG_ERROR, "storage failure, stopping: %s", store_errmsg(S->st));
        s_stop = 1;
        for (int i = 0; i < np; i++)
            if (pend[i].stored) s_fail(&pend[i], 7, -1, "server storage failure; submit again");
    }
    if (stored) s_failpoint("before-receipt");   /* durable, not yet acknowledged */
    for (int i = 0; i < np; i++) {
        s_pending *p = &pend[i];
        uint8_t *out;
        size_t olen;
        if (p->silent || intake_resp_encode(&out, &olen, p->status, p->body, p->len) != 0) continue;
        zmq_send(S->rsock, p->rid, p->rid_len, ZMQ_SNDMORE);
        zmq_send(S->rsock, out, olen, 0);
        free(out);
    }
}

static int s_intake_closed(s_server *S)
{
    return s_stop || (int64_t)time(NULL) >= defn_deadline(S->c.d) ||
           store_count(S->st) == defn_roll_size(S->c.d);
}

static void s_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t s_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Exchange the lists of stored inputs; accepted = identical (roll, seq, sub_id)
 * on every server. Returns the accepted entries (sorted by roll), and the number
 * of roll indices some server holds but not all agree on. */
static int s_agree(s_server *S, s_entry **acc_out, size_t *nacc, size_t *disagree)
{
    size_t R = defn_roll_size(S->c.d), mine = 0;
    s_entry *ent = calloc(R ? R : 1, sizeof *ent);
    uint8_t *have = calloc(R ? R : 1, 1);      /* bit 0: held by all so far; bit 1: by any */
    uint8_t *buf = malloc(4 + (R ? R : 1) * 28);
    if (!ent || !have || !buf) {
        free(ent);
        free(have);
        free(buf);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < R; i++) {
        const store_rec *rec = store_latest(S->st, (uint32_t)i);
        if (!rec) continue;
        ent[i].roll = (uint32_t)i;
        ent[i].seq = rec->seq;
        memcpy(ent[i].sub_id, rec->sub_id, 16);
        have[i] = 3;
        uint8_t *p = buf + 4 + mine * 28;
        s_put32(p, (uint32_t)i);
        for (int b = 0; b < 8; b++) p[4 + b] = (uint8_t)(rec->seq >> (56 - 8 * b));
        memcpy(p + 12, rec->sub_id, 16);
        mine++;
    }
    s_put32(buf, (uint32_t)mine);
    uint64_t step = S->M.step++;
    int rc = 0;
    for (int j = 1; j <= S->M.n && rc == 0; j++)
        if (j != S->me) rc = net_send(S->nw, j, S_TYPE_LIST, step, buf, 4 + mine * 28);
    /* peers may still be in intake until the deadline: keep waiting until then */
    for (int j = 1; j <= S->M.n && rc == 0; j++) {
        if (j == S->me) continue;
        uint8_t *pl = NULL;
        size_t pl_len = 0;
        for (;;) {
            rc = net_recv(S->nw, j, S_TYPE_LIST, step, &pl, &pl_len);
            if (rc == ERR_TIMEOUT && !s_stop && (int64_t)time(NULL) < defn_deadline(S->c.d)) {
                log_msg(LOG_INFO, "waiting for server %d to close its intake", j);
                continue;
            }
            break;
        }
        if (rc != 0) {
            snprintf(S->M.err, sizeof S->M.err, "%s", net_errmsg(S->nw));
            break;
        }
        uint8_t *seen = calloc(R ? R : 1, 1);
        uint32_t cnt = pl_len >= 4 ? s_get32(pl) : UINT32_MAX;
        if (!seen || cnt > R || pl_len != 4 + (size_t)cnt * 28) {
            snprintf(S->M.err, sizeof S->M.err, "server %d sent a malformed input list", j);
            rc = ERR_PROTO;
        }
        for (uint32_t e = 0; rc == 0 && e < cnt; e++) {
            const uint8_t *p = pl + 4 + (size_t)e * 28;
            uint32_t roll = s_get32(p);
            uint64_t seq = (uint64_t)s_get32(p + 4) << 32 | s_get32(p + 8);
            if (roll >= R || seen[roll]) {
                snprintf(S->M.err, sizeof S->M.err, "server %d sent a malformed input list", j);
                rc = ERR_PROTO;
                break;
            }
            seen[roll] = 1;
            have[roll] |= 2;
            if (!(have[roll] & 1) || ent[roll].seq != seq ||
                sodium_memcmp(ent[roll].sub_id, p + 12, 16) != 0)
                have[roll] &= (uint8_t)~1u;
        }
        for (size_t i = 0; rc == 0 && i < R; i++)
            if (!seen[i]) have[i] &= (uint8_t)~1u;
        free(seen);
        free(pl);
    }
    size_t na = 0, nd = 0;
    for (size_t i = 0; i < R; i++) {
        if (have[i] & 1) ent[na++] = ent[i];
        else if (have[i] & 2) nd++;
    }
    free(have);
    free(buf);
    if (rc != 0) {
        free(ent);
        return rc;
    }
    *acc_out = ent;
    *nacc = na;
    *disagree = nd;
    return 0;
}

static int s_compute(s_server *S, const s_entry *acc, size_t na, size_t disagree,
                     char *out, size_t outlen, uint64_t *accepted, uint64_t *excluded,
                     uint8_t inputs_hash[32])
{
    uint32_t m = S->c.m;
    fe *rows = malloc(sizeof(fe) * (na ? na : 1) * (m ? m : 1));
    uint8_t *bad = calloc(na ? na : 1, 1);
    uint32_t *roll = malloc(sizeof(uint32_t) * (na ? na : 1));
    result_input *ri = malloc(sizeof *ri * (na ? na : 1));
    char err[512] = "";
    int rc = ERR_NOMEM;
    if (!rows || !bad || !roll || !ri) goto out;
    for (size_t i = 0; i < na; i++) {
        const store_rec *rec = store_latest(S->st, acc[i].roll);
        memcpy(rows + i * m, rec->shares, sizeof(fe) * m);
        roll[i] = acc[i].roll;
    }
    rc = check_degree(&S->M, rows, na, m, bad);
    if (rc != 0) {
        snprintf(err, sizeof err, "degree check: %s", mpc_errmsg(&S->M));
        goto out;
    }
    size_t nbad = 0;
    for (size_t i = 0; i < na; i++) nbad += bad[i];
    if (nbad) log_msg(LOG_WARN, "%zu input(s) are not consistent degree-%d sharings: excluded",
                      nbad, S->M.t);
    rc = S->c.ops->compute(S->c.rules, S->c.d, S->data_dir, &S->M, rows, na, m, roll, bad, out, outlen,
                           err, sizeof err);
    if (rc != 0) goto out;
    size_t nok = 0;
    for (size_t i = 0; i < na; i++) {
        if (bad[i]) continue;
        ri[nok].roll = acc[i].roll;
        ri[nok].seq = acc[i].seq;
        memcpy(ri[nok].sub_id, acc[i].sub_id, 16);
        nok++;
    }
    *accepted = nok;
    *excluded = (na - nok) + disagree;
    rc = result_inputs_hash(inputs_hash, defn_sid(S->c.d), ri, nok);
out:
    if (rc != 0 && !S->M.err[0]) snprintf(S->M.err, sizeof S->M.err, "%s", err[0] ? err : err_str(rc));
    else if (rc != 0) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", err[0] ? err : S->M.err);
        snprintf(S->M.err, sizeof S->M.err, "%s", tmp);
    }
    if (rows) sodium_memzero(rows, sizeof(fe) * (na ? na : 1) * (m ? m : 1));
    free(rows);
    free(bad);
    free(roll);
    free(ri);
    return rc;
}

static int s_server_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", "--data", "--serve", "--log", NULL };
    s_args a;
    const char *dp, *kp, *data;
    if (s_parse(&a, argc, argv, vf, NULL) || s_need(&a, "--defn", &dp) ||
        s_need(&a, "--keys", &kp) || s_need(&a, "--data", &data))
        return 2;
    long serve = 0;
    if (s_get(&a, "--serve") && s_int_arg(s_get(&a, "--serve"), 0, 86400, &serve) != 0) {
        fprintf(stderr, "error: --serve: seconds 0..86400\n");
        return 2;
    }
    if (s_get(&a, "--log")) log_level = s_get(&a, "--log")[0] - '0';

    s_server S;
    memset(&S, 0, sizeof S);
    int status = 1;
    char err[512];
    if (s_ctx_load(&S.c, ops, dp, kp) != 0) return 1;
    S.data_dir = data;
    S.me = defn_server_find(S.c.d, keys_curve_pk(S.c.k));
    if (S.me < 1 || sodium_memcmp(defn_server_at(S.c.d, S.me)->sign_pk, keys_sign_pk(S.c.k), 32) != 0) {
        fprintf(stderr, "error: %s: these keys are not a server of %s\n", kp, dp);
        goto out;
    }
    snprintf(log_party, sizeof log_party, "S%d", S.me);
    if (defn_t(S.c.d) == 0)
        log_msg(LOG_WARN, "t = 0 in %s: no privacy, this server sees every input in clear", dp);
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (mkdir(data, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: cannot create data directory %s: %s\n", data, strerror(errno));
        goto out;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/inputs.store", data);
    const field *F = defn_field(S.c.d);
    if (store_open(&S.st, path, defn_sid(S.c.d), F, (uint32_t)defn_roll_size(S.c.d), err,
                   sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        goto out;
    }
    if (store_count(S.st))
        log_msg(LOG_INFO, "reloaded %zu stored input(s) from %s", store_count(S.st), path);

    size_t R = defn_roll_size(S.c.d);
    S.tokens = malloc(sizeof(double) * (R ? R : 1));
    S.refill = malloc(sizeof(double) * (R ? R : 1));
    if (!S.tokens || !S.refill) goto out;
    for (size_t i = 0; i < R; i++) {
        S.tokens[i] = S_RATE_BURST;
        S.refill[i] = s_now();
    }
    /* the client endpoint: only roll keys get through the ZAP handler */
    S.zctx = zmq_ctx_new();
    S.z = zap_new();
    for (size_t i = 0; i < defn_roll_size(S.c.d); i++) {
        char uid[24];
        snprintf(uid, sizeof uid, "%zu", i);
        if (zap_add(S.z, "client", defn_roll_at(S.c.d, i)->curve_pk, uid) != 0) {
            fprintf(stderr, "error: roll entry %zu: duplicate key\n", i);
            goto out;
        }
    }
    if (zap_start(S.z, S.zctx) != 0) {
        fprintf(stderr, "error: cannot start the ZAP handler\n");
        goto out;
    }
    S.rsock = zmq_socket(S.zctx, ZMQ_ROUTER);
    int linger = 500, hwm = 10000;   /* bounded queues: a flood is dropped, not buffered */
    zmq_setsockopt(S.rsock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(S.rsock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(S.rsock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    const defn_server *self = defn_server_at(S.c.d, S.me);
    if (zap_curve_server(S.rsock, keys_curve_sk(S.c.k), "client",
                         (int64_t)INTAKE_FIXED + (int64_t)S.c.m * (int64_t)F->bytes + S_HANDSHAKE_SLACK) != 0 ||
        zmq_bind(S.rsock, self->client) != 0) {
        fprintf(stderr, "error: cannot bind client endpoint %s: %s\n", self->client,
                zmq_strerror(zmq_errno()));
        goto out;
    }

    /* Intake needs no mesh: the servers talk only once it is closed, so a server
     * killed and restarted during intake (same data directory) simply rejoins. */
    log_msg(LOG_INFO, "intake open until all %zu roll members have submitted or the deadline",
            defn_roll_size(S.c.d));
    while (!s_intake_closed(&S)) {
        zmq_pollitem_t it = { .socket = S.rsock, .events = ZMQ_POLLIN };
        if (zmq_poll(&it, 1, 200) > 0) s_drain(&S, 1);
    }
    if (s_stop) {
        fprintf(stderr, "error: interrupted; no output\n");
        goto out;
    }
    log_msg(LOG_INFO, "intake closed with %zu input(s)", store_count(S.st));

    /* The mesh: the others may close later (at the deadline at most) or be
     * restarting; keep trying until the deadline plus one timeout, answering
     * late clients that intake is closed. */
    int n = defn_n(S.c.d);
    const char *eps[DEFN_MAX_SERVERS];
    uint8_t spk[DEFN_MAX_SERVERS][32];
    for (int i = 0; i < n; i++) {
        eps[i] = defn_server_at(S.c.d, i + 1)->mesh;
        memcpy(spk[i], defn_server_at(S.c.d, i + 1)->curve_pk, 32);
    }
    net_zmq_cfg cfg = { .n = n, .me = S.me, .sid = defn_sid(S.c.d), .endpoints = eps,
                        .server_pk = (const uint8_t(*)[32])spk,
                        .my_sk = keys_curve_sk(S.c.k), .timeout_ms = defn_timeout_ms(S.c.d),
                        .hello_timeout_ms = defn_timeout_ms(S.c.d) };
    for (;;) {
        int rc = net_zmq_open(&S.nw, &cfg, err, sizeof err);
        if (rc == 0) break;
        int64_t give_up = defn_deadline(S.c.d) + defn_timeout_ms(S.c.d) / 1000 + 1;
        if (rc != ERR_TIMEOUT || s_stop || (int64_t)time(NULL) > give_up) {
            fprintf(stderr, "error: aborted, no output: mesh: %s\n", err);
            goto out;
        }
        log_msg(LOG_INFO, "mesh: %s; waiting for the other servers to close their intake", err);
        while (zmq_poll(&(zmq_pollitem_t){ .socket = S.rsock, .events = ZMQ_POLLIN }, 1, 0) > 0)
            s_drain(&S, 0);
    }
    if (mpc_init(&S.M, F, n, defn_t(S.c.d), S.nw) != 0) {
        fprintf(stderr, "error: aborted, no output: setup: %s\n", mpc_errmsg(&S.M));
        goto out;
    }
    S.M.kappa = defn_kappa(S.c.d);
    log_msg(LOG_INFO, "mesh of %d servers up", n);
    double t0 = s_now();
    s_entry *acc = NULL;
    size_t na = 0, disagree = 0;
    if (s_agree(&S, &acc, &na, &disagree) != 0) {
        fprintf(stderr, "error: aborted, no output: %s\n", S.M.err);
        goto out;
    }
    s_failpoint("after-agree");
    char output[APP_OUT_MAX];
    uint64_t accepted = 0, excluded = 0;
    uint8_t ih[32];
    int rc = s_compute(&S, acc, na, disagree, output, sizeof output, &accepted, &excluded, ih);
    free(acc);
    if (rc != 0) {
        fprintf(stderr, "error: aborted, no output: %s\n", S.M.err);
        goto out;
    }
    double secs = s_now() - t0;
    result_stmt *st = result_stmt_new(S.me, defn_sid(S.c.d), (const uint8_t *)output,
                                      strlen(output), accepted, excluded, ih);
    result_stmt_sign(st, keys_sign_sk(S.c.k));
    if (result_stmt_encode(st, &S.stmt, &S.stmt_len) != 0) {
        result_stmt_free(&st);
        goto out;
    }
    result_stmt_free(&st);
    snprintf(path, sizeof path, "%s/result.stmt", data);
    if (s_write_file(path, S.stmt, S.stmt_len, 0644) != 0) {
        fprintf(stderr, "error: cannot write %s\n", path);
        goto out;
    }
    uint64_t rounds = 0, bytes = 0;
    mpc_stats(&S.M, &rounds, NULL, &bytes);
    char stats[256];
    int sl = snprintf(stats, sizeof stats,
                      "{\"rounds\":%llu,\"bytes_sent\":%llu,\"seconds\":%.6f}\n",
                      (unsigned long long)rounds, (unsigned long long)bytes, secs);
    snprintf(path, sizeof path, "%s/stats.json", data);
    if (s_write_file(path, stats, (size_t)sl, 0644) != 0) goto out;
    printf("%s\n", output);
    fflush(stdout);
    log_msg(LOG_INFO, "signed result written (%llu accepted, %llu excluded, %.3f s, %llu rounds)",
            (unsigned long long)accepted, (unsigned long long)excluded, secs,
            (unsigned long long)rounds);
    if (net_bye(S.nw) != 0) log_msg(LOG_WARN, "closing: %s", net_errmsg(S.nw));
    /* answer result fetches for a while */
    double until = s_now() + (double)serve;
    while (!s_stop && s_now() < until) {
        zmq_pollitem_t it = { .socket = S.rsock, .events = ZMQ_POLLIN };
        if (zmq_poll(&it, 1, 200) > 0) s_drain(&S, 0);
    }
    status = 0;
out:
    mpc_clear(&S.M);
    net_free(&S.nw);
    if (S.rsock) zmq_close(S.rsock);
    zap_free(&S.z);
    if (S.zctx) zmq_ctx_term(S.zctx);
    store_free(&S.st);
    free(S.stmt);
    free(S.tokens);
    free(S.refill);
    s_ctx_free(&S.c);
    return status;
}

/* ---------- client ---------- */

/* Send one request per server (shares[i] for server i+1, or none for a fetch)
 * and collect the responses; resp[i] malloc'd. A ZAP refusal (key not on the
 * roll) is reported at once through the socket monitor. */
/* One ZeroMQ context per client thread, reused across its submissions
 * (run-local submits from several threads); sockets are per call. */
static _Thread_local void *s_cctx;
static atomic_uint s_mon_seq;

static void s_cctx_done(void)
{
    if (s_cctx) zmq_ctx_term(s_cctx);
    s_cctx = NULL;
}

static int s_client_rpc(const defn *d, const keys *k, int kind, uint64_t seq,
                        const uint8_t sub_id[16], const fe *shares, uint32_t m,
                        uint8_t **resp, size_t *resp_len, char errs[][256], int timeout_ms)
{
    int n = defn_n(d), rc = 0;
    const field *F = defn_field(d);
    if (!s_cctx) s_cctx = zmq_ctx_new();
    void *ctx = s_cctx;
    unsigned call = atomic_fetch_add(&s_mon_seq, 1);
    void *sock[DEFN_MAX_SERVERS] = { 0 }, *mon[DEFN_MAX_SERVERS] = { 0 };
    int done[DEFN_MAX_SERVERS] = { 0 };
    for (int i = 0; i < n; i++) {
        const defn_server *sv = defn_server_at(d, i + 1);
        resp[i] = NULL;
        errs[i][0] = 0;
        sock[i] = zmq_socket(ctx, ZMQ_DEALER);
        int linger = 1000, ivl = 10, ivl_max = 1000;   /* a server still starting */
        zmq_setsockopt(sock[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(sock[i], ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
        zmq_setsockopt(sock[i], ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
        char mep[64];
        snprintf(mep, sizeof mep, "inproc://mon-%u-%d", call, i);
        zmq_socket_monitor(sock[i], mep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                            ZMQ_EVENT_DISCONNECTED);
        mon[i] = zmq_socket(ctx, ZMQ_PAIR);
        zmq_connect(mon[i], mep);
        uint8_t *req = NULL;
        size_t rl = 0;
        if (zap_curve_client(sock[i], sv->curve_pk, keys_curve_sk(k), 1 << 24) != 0 ||
            zmq_connect(sock[i], sv->client) != 0 ||
            intake_req_encode(&req, &rl, F, kind, i + 1, defn_sid(d), seq, sub_id,
                              shares ? shares + (size_t)i * m : NULL, shares ? m : 0,
                              keys_sign_sk(k)) != 0) {
            snprintf(errs[i], 256, "server %d: cannot set up the connection", i + 1);
            done[i] = 1;
            rc = ERR_IO;
            free(req);
            continue;
        }
        zmq_send(sock[i], req, rl, 0);
        sodium_memzero(req, rl);
        free(req);
    }
    double end = s_now() + timeout_ms / 1000.0;
    for (;;) {
        zmq_pollitem_t it[2 * DEFN_MAX_SERVERS];
        int map[2 * DEFN_MAX_SERVERS], ni = 0;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            it[ni] = (zmq_pollitem_t){ .socket = sock[i], .events = ZMQ_POLLIN };
            map[ni++] = i;
            it[ni] = (zmq_pollitem_t){ .socket = mon[i], .events = ZMQ_POLLIN };
            map[ni++] = -1 - i;
        }
        if (ni == 0) break;
        double left = end - s_now();
        if (left <= 0) break;
        if (zmq_poll(it, ni, (long)(left * 1000) + 1) < 0) break;
        for (int j = 0; j < ni; j++) {
            if (!(it[j].revents & ZMQ_POLLIN)) continue;
            int i = map[j] >= 0 ? map[j] : -1 - map[j];
            if (done[i]) continue;
            if (map[j] < 0) {
                /* monitor event: first frame is event id (u16) + value (u32) */
                zmq_msg_t ev;
                zmq_msg_init(&ev);
                int evid = 0;
                if (zmq_msg_recv(&ev, mon[i], 0) >= 6) {
                    uint16_t e16;
                    memcpy(&e16, zmq_msg_data(&ev), 2);
                    evid = e16;
                }
                int more = zmq_msg_more(&ev);
                zmq_msg_close(&ev);
                while (more) {
                    zmq_msg_init(&ev);
                    zmq_msg_recv(&ev, mon[i], 0);
                    more = zmq_msg_more(&ev);
                    zmq_msg_close(&ev);
                }
                zmq_pollitem_t pi = { .socket = sock[i], .events = ZMQ_POLLIN };
                if (evid == ZMQ_EVENT_DISCONNECTED && zmq_poll(&pi, 1, 100) > 0) {
                    /* the reply arrived before the close: read it below */
                } else if (evid == ZMQ_EVENT_DISCONNECTED) {
                    snprintf(errs[i], 256,
                             "server %d closed the connection before answering (crashed or "
                             "restarting?); submit again", i + 1);
                    done[i] = 1;
                    rc = ERR_IO;
                    continue;
                } else {
                    snprintf(errs[i], 256,
                             "server %d refused the connection: this key is not on the roll", i + 1);
                    done[i] = 1;
                    rc = ERR_REFUSED;
                    continue;
                }
            }
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, sock[i], 0) >= 0) {
                resp_len[i] = zmq_msg_size(&msg);
                resp[i] = malloc(resp_len[i] ? resp_len[i] : 1);
                if (resp[i]) memcpy(resp[i], zmq_msg_data(&msg), resp_len[i]);
                done[i] = 1;
            }
            zmq_msg_close(&msg);
        }
    }
    for (int i = 0; i < n; i++) {
        if (!done[i]) {
            snprintf(errs[i], 256, "server %d (%s) did not answer within %d ms", i + 1,
                     defn_server_at(d, i + 1)->client, timeout_ms);
            rc = ERR_TIMEOUT;
        }
        zmq_socket_monitor(sock[i], NULL, 0);
        zmq_close(mon[i]);
        zmq_close(sock[i]);
    }
    return rc;
}

/* Share plain (m elements, secret) and submit; verifies every receipt. */
static int s_submit(const defn *d, const keys *k, const fe *plain, uint32_t m, uint64_t seq,
                    FILE *report)
{
    int n = defn_n(d), t = defn_t(d), rc = 0;
    const field *F = defn_field(d);
    shamir *sh = shamir_new(F, n, t);
    fe *shares = malloc(sizeof(fe) * (size_t)n * (m ? m : 1));
    if (!sh || !shares) {
        shamir_free(&sh);
        free(shares);
        return ERR_NOMEM;
    }
    shamir_share(sh, shares, plain, m, t);
    uint8_t sub_id[16];
    randombytes_buf(sub_id, sizeof sub_id);
    uint8_t *resp[DEFN_MAX_SERVERS];
    size_t rlen[DEFN_MAX_SERVERS];
    char errs[DEFN_MAX_SERVERS][256];
    int timeout = defn_timeout_ms(d);
    (void)s_client_rpc(d, k, INTAKE_SUBMIT, seq, sub_id, shares, m, resp, rlen, errs, timeout);
    long roll = defn_roll_find(d, keys_curve_pk(k));
    uint8_t *enc = malloc((size_t)(m ? m : 1) * F->bytes);
    for (int i = 0; i < n; i++) {
        int status;
        const uint8_t *body;
        size_t bl;
        result_receipt r;
        if (!resp[i]) {
            fprintf(report, "error: %s\n", errs[i]);
            rc = ERR_IO;
            continue;
        }
        if (intake_resp_decode(&status, &body, &bl, resp[i], rlen[i]) != 0) {
            fprintf(report, "error: server %d sent a malformed response\n", i + 1);
            rc = ERR_PROTO;
        } else if (status != 0) {
            /* a server's reason is untrusted text: printable ASCII only, bounded */
            char why[256];
            size_t wl = bl < sizeof why - 1 ? bl : sizeof why - 1;
            for (size_t q = 0; q < wl; q++)
                why[q] = body[q] >= 0x20 && body[q] < 0x7f ? (char)body[q] : '?';
            why[wl] = 0;
            fprintf(report, "error: server %d refused: %s\n", i + 1, why);
            rc = ERR_REFUSED;
        } else if (result_receipt_decode(&r, body, bl) != 0 || r.server != i + 1 ||
                   result_receipt_verify(&r, defn_server_at(d, i + 1)->sign_pk) != 0 ||
                   sodium_memcmp(r.sid, defn_sid(d), 32) != 0 || r.seq != seq ||
                   (long)r.roll != roll || sodium_memcmp(r.sub_id, sub_id, 16) != 0) {
            fprintf(report, "error: server %d sent an invalid receipt\n", i + 1);
            rc = ERR_CRYPTO;
        } else {
            uint8_t h[32];
            field_encode(F, enc, shares + (size_t)i * m, m);
            result_share_hash(h, enc, (size_t)m * F->bytes);
            if (sodium_memcmp(h, r.share_hash, 32) != 0) {
                fprintf(report, "error: server %d's receipt is for other shares\n", i + 1);
                rc = ERR_CRYPTO;
            }
        }
        free(resp[i]);
    }
    if (enc) sodium_memzero(enc, (size_t)(m ? m : 1) * F->bytes);
    free(enc);
    sodium_memzero(shares, sizeof(fe) * (size_t)n * (m ? m : 1));
    free(shares);
    shamir_free(&sh);
    return rc;
}

static uint64_t s_seq_now(void);

int app_submit(const defn *d, const keys *k, const fe *plain, uint32_t m, FILE *report)
{
    return s_submit(d, k, plain, m, s_seq_now(), report);
}

void app_client_done(void)
{
    s_cctx_done();
}

static uint64_t s_seq_now(void)
{
    /* re-submissions must carry a higher sequence: microseconds since the epoch */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static int s_submit_text(const s_ctx *c, const keys *k, const char *text, int raw, uint64_t seq,
                         FILE *report)
{
    char err[512];
    fe *plain = calloc(c->m ? c->m : 1, sizeof(fe));
    if (!plain) return ERR_NOMEM;
    int rc = c->ops->input_encode(c->rules, c->d, text, raw, plain, err, sizeof err);
    if (rc != 0) fprintf(report, "error: invalid %s input: %s\n", c->ops->name, err);
    else rc = s_submit(c->d, k, plain, c->m, seq, report);
    sodium_memzero(plain, sizeof(fe) * (c->m ? c->m : 1));
    free(plain);
    return rc;
}

static int s_client_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", "--raw", NULL };
    s_args a;
    const char *dp, *kp;
    if (s_parse(&a, argc, argv, vf, NULL) || s_need(&a, "--defn", &dp) || s_need(&a, "--keys", &kp))
        return 2;
    const char *raw = s_get(&a, "--raw");
    if ((raw && a.npos != 0) || (!raw && a.npos != 1)) {
        fprintf(stderr, "usage: %s %s --defn FILE --keys KEYFILE (INPUT | --raw V)\n", ops->name,
                ops->verb);
        return 2;
    }
    s_ctx c;
    if (s_ctx_load(&c, ops, dp, kp) != 0) {
        s_ctx_free(&c);
        return 1;
    }
    if (defn_roll_find(c.d, keys_curve_pk(c.k)) < 0)
        fprintf(stderr, "warning: this key is not on the roll of %s; servers will refuse it\n", dp);
    int rc = s_submit_text(&c, c.k, raw ? raw : a.pos[0], raw != NULL, s_seq_now(), stderr);
    if (rc == 0) printf("submitted: %d signed receipts verified\n", defn_n(c.d));
    s_cctx_done();
    s_ctx_free(&c);
    return rc == 0 ? 0 : 1;
}

/* ---------- result ---------- */

/* Verify statements against d: accepted only with t+1 matching signatures. On
 * success *json holds the output object extended with the counts (malloc'd). */
static int s_verify(const defn *d, uint8_t **blobs, size_t *lens, size_t count, char **json,
                    char *msg, size_t msglen)
{
    int n = defn_n(d);
    result_stmt *st[64] = { 0 };
    size_t ns = 0;
    for (size_t i = 0; i < count && ns < 64; i++) {
        if (!blobs[i]) continue;
        if (result_stmt_decode(&st[ns], blobs[i], lens[i]) == 0) ns++;
    }
    uint8_t pks[DEFN_MAX_SERVERS][32];
    for (int i = 0; i < n; i++) memcpy(pks[i], defn_server_at(d, i + 1)->sign_pk, 32);
    result_verdict v;
    int rc = result_accept(&v, (const result_stmt *const *)st, ns, defn_sid(d),
                           (const uint8_t(*)[32])pks, n, defn_t(d));
    snprintf(msg, msglen, "%s", v.msg);
    if (rc == 0) {
        const result_stmt *o = v.outcome;
        size_t cap = o->output_len + 128;
        *json = malloc(cap);
        size_t ol = o->output_len;
        while (ol && o->output[ol - 1] != '}') ol--;
        if (*json && ol) {
            int has = ol > 2;
            snprintf(*json, cap, "%.*s%s\"accepted\":%llu,\"excluded\":%llu}", (int)(ol - 1),
                     (const char *)o->output, has ? "," : "", (unsigned long long)o->accepted,
                     (unsigned long long)o->excluded);
        } else {
            rc = ERR_PARSE;
        }
    }
    for (size_t i = 0; i < ns; i++) result_stmt_free(&st[i]);
    return rc;
}

static int s_result_main(const app_ops *ops, int argc, char **argv)
{
    static const char *const vf[] = { "--defn", "--keys", NULL };
    static const char *const bf[] = { "--json", NULL };
    s_args a;
    const char *dp;
    if (s_parse(&a, argc, argv, vf, bf) || s_need(&a, "--defn", &dp)) return 2;
    const char *kp = s_get(&a, "--keys");
    if (!kp && a.npos == 0) {
        fprintf(stderr, "usage: %s result --defn FILE (--keys KEYFILE | STATEMENT...)\n", ops->name);
        return 2;
    }
    s_ctx c;
    if (s_ctx_load(&c, ops, dp, kp) != 0) {
        s_ctx_free(&c);
        return 1;
    }
    uint8_t *blobs[64] = { 0 };
    size_t lens[64] = { 0 }, count = 0;
    if (kp) {
        char errs[DEFN_MAX_SERVERS][256];
        uint8_t *resp[DEFN_MAX_SERVERS];
        size_t rl[DEFN_MAX_SERVERS];
        uint8_t sub[16] = { 0 };
        (void)s_client_rpc(c.d, c.k, INTAKE_FETCH, 0, sub, NULL, 0, resp, rl, errs,
                           defn_timeout_ms(c.d));
        for (int i = 0; i < defn_n(c.d); i++) {
            int stt;
            const uint8_t *body;
            size_t bl;
            if (!resp[i]) {
                fprintf(stderr, "warning: %s\n", errs[i]);
            } else if (intake_resp_decode(&stt, &body, &bl, resp[i], rl[i]) != 0 || stt != 0) {
                fprintf(stderr, "warning: server %d has no result to give\n", i + 1);
            } else {
                blobs[count] = malloc(bl);
                memcpy(blobs[count], body, bl);
                lens[count++] = bl;
            }
            free(resp[i]);
        }
    }
    for (size_t i = 0; i < a.npos && count < 64; i++) {
        if (s_read_file(a.pos[i], &blobs[count], &lens[count], RESULT_MAX_OUTPUT + 4096) != 0) {
            fprintf(stderr, "error: cannot read statement %s\n", a.pos[i]);
            continue;
        }
        count++;
    }
    char *json = NULL, msg[256];
    int rc = s_verify(c.d, blobs, lens, count, &json, msg, sizeof msg);
    if (rc != 0) {
        fprintf(stderr, "error: no verified result: %s\n", msg);
    } else if (s_get(&a, "--json")) {
        printf("%s\n", json);
    } else {
        ops->print_human(json, stdout);
        printf("verified: %s\n", msg);
    }
    free(json);
    for (size_t i = 0; i < count; i++) free(blobs[i]);
    s_ctx_free(&c);
    return rc == 0 ? 0 : 1;
}

/* ---------- run-local ---------- */

/* count distinct free loopback ports: every socket stays bound until all are
 * chosen, so the kernel cannot hand out one port twice. */
static int s_free_ports(int *ports, int count)
{
    int fds[2 * DEFN_MAX_SERVERS], rc = 0;
    for (int i = 0; i < count; i++) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t sl = sizeof sa;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&sa, &sl) != 0)
            rc = -1;
        else
            ports[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < count; i++)
        if (fds[i] >= 0) close(fds[i]);
    return rc;
}

typedef struct s_line {
    char name[DEFN_MAX_ID + 1];
    char *text;
    int raw;
    size_t roll;
    int lineno;
} s_line;

static void s_rmtree(const char *dir)
{
    pid_t p = fork();
    if (p == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (p > 0) waitpid(p, NULL, 0);
}

static int s_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > DEFN_MAX_ID) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

#define S_CLIENT_THREADS 8

typedef struct s_job {
    const s_ctx *c;
    keys **ck;
    const s_line *lines;
    const char *inputs;
    const size_t *order;
    size_t count;
    size_t next;             /* next position in order (under mu) */
    int failed;
    pthread_mutex_t mu;
} s_job;

static void *s_client_thread(void *arg)
{
    s_job *J = arg;
    for (;;) {
        pthread_mutex_lock(&J->mu);
        size_t pos = J->next++;
        pthread_mutex_unlock(&J->mu);
        if (pos >= J->count) break;
        const s_line *L = &J->lines[J->order[pos]];
        char rep[1024] = "";
        FILE *mf = fmemopen(rep, sizeof rep - 1, "w");
        int rc = s_submit_text(J->c, J->ck[L->roll], L->text, L->raw, s_seq_now(),
                               mf ? mf : stderr);
        if (mf) fclose(mf);
        if (rc != 0) {
            pthread_mutex_lock(&J->mu);
            J->failed++;
            fprintf(stderr, "%s:%d (%s): %s", J->inputs, L->lineno, L->name,
                    rep[0] ? rep : "submission failed\n");
            pthread_mutex_unlock(&J->mu);
        }
    }
    s_cctx_done();
    return NULL;
}

static void s_clients(s_job *J, int threads)
{
    pthread_t th[S_CLIENT_THREADS];
    int nt = 0;
    pthread_mutex_init(&J->mu, NULL);
    if (threads > S_CLIENT_THREADS) threads = S_CLIENT_THREADS;
    if ((size_t)threads > J->count) threads = (int)J->count;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&th[nt], NULL, s_client_thread, J) == 0) nt++;
    if (nt == 0 && J->count) s_client_thread(J);
    for (int i = 0; i < nt; i++) pthread_join(th[i], NULL);
    pthread_mutex_destroy(&J->mu);
}

static int s_runlocal_main(const app_ops *ops, int argc, char **argv, const char *self)
{
    const char *vf[S_MAX_ARGS], *bf[S_MAX_ARGS];
    size_t nv = 0, nb = 0;
    vf[nv++] = "--servers";
    vf[nv++] = "--bits";
    vf[nv++] = "--dir";
    vf[nv++] = "--t";
    vf[nv++] = ops->inputs_flag;
    bf[nb++] = "--json";
    bf[nb++] = "--keep";
    bf[nb++] = "--verbose";
    for (size_t i = 0; ops->flags[i]; i++) {
        if (s_in(ops->bool_flags, ops->flags[i])) bf[nb++] = ops->flags[i];
        else vf[nv++] = ops->flags[i];
    }
    vf[nv] = NULL;
    bf[nb] = NULL;
    s_args a;
    const char *inputs;
    if (s_parse(&a, argc, argv, vf, bf) || s_need(&a, ops->inputs_flag, &inputs)) return 2;
    if (a.npos) {
        fprintf(stderr, "error: unexpected argument %s\n", a.pos[0]);
        return 2;
    }
    long nserv = 3, bits = 32, t = -1;
    if (s_get(&a, "--servers") && s_int_arg(s_get(&a, "--servers"), 1, 9, &nserv) != 0) {
        fprintf(stderr, "error: --servers: expected 1..9\n");
        return 2;
    }
    if (s_get(&a, "--bits") && s_int_arg(s_get(&a, "--bits"), 1, 64, &bits) != 0) {
        fprintf(stderr, "error: --bits: expected 1..64\n");
        return 2;
    }
    if (s_get(&a, "--t") && s_int_arg(s_get(&a, "--t"), 0, 4, &t) != 0) {
        fprintf(stderr, "error: --t: expected 0..4\n");
        return 2;
    }
    if (t < 0 && nserv < 3) {
        fprintf(stderr, "error: --servers %ld: with fewer than 3 servers t would be 0 and every "
                        "server would see every input in clear; use 3 or more, or pass --t 0 "
                        "to run without privacy anyway\n", nserv);
        return 2;
    }
    if (t < 0) t = (nserv - 1) / 2;
    if (t == 0) fprintf(stderr, "warning: t = 0: no privacy, every server sees every input\n");
    if (2 * t >= nserv) {
        fprintf(stderr, "error: --t %ld needs more than %ld servers\n", t, 2 * t);
        return 2;
    }
    int json = s_get(&a, "--json") != NULL, verbose = s_get(&a, "--verbose") != NULL;
    /* application flags -> rules */
    const char *af[S_MAX_ARGS], *av[S_MAX_ARGS];
    size_t na = 0;
    for (size_t i = 0; i < a.count; i++)
        if (s_in(ops->flags, a.flag[i])) {
            af[na] = a.flag[i];
            av[na++] = a.value[i];
        }
    char rules[4096], err[512];
    int ibits = (int)bits;
    if (ops->runlocal_rules(af, av, na, rules, sizeof rules, &ibits, err, sizeof err) != 0) {
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }

    /* read and pre-check every input line before starting anything */
    uint8_t *text;
    size_t tlen;
    if (s_read_file(inputs, &text, &tlen, 64u << 20) != 0) {
        fprintf(stderr, "error: cannot read %s\n", inputs);
        return 1;
    }
    text[tlen] = 0;
    size_t cap = 16, nl = 0;
    s_line *lines = malloc(cap * sizeof *lines);
    char *save = NULL;
    int lineno = 0, bad = 0;
    for (char *ln = strtok_r((char *)text, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *hash = strchr(ln, '#');
        if (hash) *hash = 0;
        char *tok[3];
        int nt = 0;
        char *s2 = NULL;
        for (char *tk = strtok_r(ln, " \t\r", &s2); tk; tk = strtok_r(NULL, " \t\r", &s2)) {
            if (nt < 3) tok[nt] = tk;
            nt++;
        }
        if (nt == 0) continue;
        if (nt > 2) {
            fprintf(stderr, "error: %s:%d: expected \"input\" or \"name input\"\n", inputs, lineno);
            bad = 1;
            continue;
        }
        if (nl == cap) lines = realloc(lines, (cap *= 2) * sizeof *lines);
        s_line *L = &lines[nl++];
        memset(L, 0, sizeof *L);
        L->lineno = lineno;
        if (nt == 2) {
            if (!s_valid_name(tok[0])) {
                fprintf(stderr, "error: %s:%d: bad name \"%s\" (letters, digits, . _ -)\n",
                        inputs, lineno, tok[0]);
                bad = 1;
            }
            snprintf(L->name, sizeof L->name, "%s", tok[0]);
        } else {
            snprintf(L->name, sizeof L->name, "%s%zu", ops->kind == DEFN_AUCTION ? "bidder" : ops->kind == DEFN_VOTE ? "voter" : "client", nl);
        }
        L->text = tok[nt - 1];
        if (strncmp(L->text, "raw:", 4) == 0) {
            L->raw = 1;
            L->text += 4;
        }
    }
    if (nl == 0 && !bad) {
        fprintf(stderr, "error: %s holds no input\n", inputs);
        bad = 1;
    }
    /* the roll: one key per distinct name */
    size_t nroll = 0;
    char (*names)[DEFN_MAX_ID + 1] = calloc(nl ? nl : 1, sizeof *names);
    for (size_t i = 0; i < nl; i++) {
        size_t r = 0;
        while (r < nroll && strcmp(names[r], lines[i].name) != 0) r++;
        if (r == nroll) snprintf(names[nroll++], sizeof names[0], "%s", lines[i].name);
        lines[i].roll = r;
    }

    char dir[2048];
    if (s_get(&a, "--dir")) {
        snprintf(dir, sizeof dir, "%s", s_get(&a, "--dir"));
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "error: cannot create %s\n", dir);
            return 1;
        }
    } else {
        snprintf(dir, sizeof dir, "/tmp/%s-run-XXXXXX", ops->name);
        if (!mkdtemp(dir)) {
            fprintf(stderr, "error: cannot create a temporary directory\n");
            return 1;
        }
    }
    int status = 1, started = 0;
    pid_t pids[DEFN_MAX_SERVERS] = { 0 };
    keys **ck = calloc(nroll ? nroll : 1, sizeof *ck);
    defn_server sv[DEFN_MAX_SERVERS];
    char mesh[DEFN_MAX_SERVERS][64], cli[DEFN_MAX_SERVERS][64];
    defn_voter *roll = calloc(nroll ? nroll : 1, sizeof *roll);
    s_ctx c;
    memset(&c, 0, sizeof c);
    char path[4200];
    if (bad) goto out;
    int ports[2 * DEFN_MAX_SERVERS];
    if (s_free_ports(ports, 2 * (int)nserv) != 0) {
        fprintf(stderr, "error: no free loopback ports\n");
        goto out;
    }
    for (int i = 0; i < nserv; i++) {
        keys *k = keys_generate();
        snprintf(path, sizeof path, "%s/server%d.key", dir, i + 1);
        int rc = keys_save_secret(k, path, err, sizeof err);
        memset(&sv[i], 0, sizeof sv[i]);
        sv[i].index = i + 1;
        snprintf(mesh[i], sizeof mesh[i], "tcp://127.0.0.1:%d", ports[2 * i]);
        snprintf(cli[i], sizeof cli[i], "tcp://127.0.0.1:%d", ports[2 * i + 1]);
        sv[i].mesh = mesh[i];
        sv[i].client = cli[i];
        memcpy(sv[i].curve_pk, keys_curve_pk(k), 32);
        memcpy(sv[i].sign_pk, keys_sign_pk(k), 32);
        keys_free(&k);
        if (rc != 0) {
            fprintf(stderr, "error: server %d setup: %s\n", i + 1, err);
            goto out;
        }
    }
    for (size_t r = 0; r < nroll; r++) {
        ck[r] = keys_generate();
        roll[r].name = names[r];
        memcpy(roll[r].curve_pk, keys_curve_pk(ck[r]), 32);
        memcpy(roll[r].sign_pk, keys_sign_pk(ck[r]), 32);
    }
    char id[64];
    snprintf(id, sizeof id, "local-%s-%ld", ops->name, (long)getpid());
    defn_spec spec = { .id = id, .kind = ops->kind, .t = (int)t, .bits = ibits, .kappa = 40,
                       .deadline = (int64_t)time(NULL) + 3600, .timeout_ms = 10000,
                       .n = (int)nserv, .servers = sv, .roll_size = nroll, .roll = roll,
                       .rules_json = rules };
    char defn_path[4200];
    snprintf(defn_path, sizeof defn_path, "%s/definition.json", dir);
    if (defn_write(defn_path, &spec, err, sizeof err) != 0) {
        fprintf(stderr, "error: definition: %s\n", err);
        goto out;
    }
    if (s_ctx_load(&c, ops, defn_path, NULL) != 0) goto out;
    /* every line is checked by the client-side encoder before anything starts;
     * raw lines (hostile clients) only for syntax, their values go unchecked */
    fe *plain = calloc(c.m ? c.m : 1, sizeof(fe));
    for (size_t i = 0; i < nl; i++) {
        if (ops->input_encode(c.rules, c.d, lines[i].text, lines[i].raw, plain, err,
                              sizeof err) != 0) {
            fprintf(stderr, "error: %s:%d: %s\n", inputs, lines[i].lineno, err);
            bad = 1;
        }
    }
    sodium_memzero(plain, sizeof(fe) * (c.m ? c.m : 1));
    free(plain);
    if (bad) goto out;

    fflush(NULL);
    started = 1;
    for (int i = 0; i < nserv; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char kpath[4200], data[4200];
            snprintf(kpath, sizeof kpath, "%s/server%d.key", dir, i + 1);
            snprintf(data, sizeof data, "%s/s%d", dir, i + 1);
            if (!verbose) {
                int fd = open("/dev/null", O_WRONLY);
                if (fd >= 0) dup2(fd, 1);
                char logp[4200];
                snprintf(logp, sizeof logp, "%s/server%d.log", dir, i + 1);
                int lf = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (lf >= 0) dup2(lf, 2);
            } else {
                int fd = open("/dev/null", O_WRONLY);
                if (fd >= 0) dup2(fd, 1);
            }
            execl(self, ops->name, "server", "--defn", defn_path, "--keys", kpath, "--data", data,
                  (char *)NULL);
            _exit(127);
        }
    }
    /* The clients, one CurveZMQ connection each. A name's earlier lines go first,
     * in file order and one at a time, so each replacement lands before the
     * servers close (they close once every roll member has submitted); then the
     * last line of every name, concurrently. */
    s_job job = { .c = &c, .ck = ck, .lines = lines, .inputs = inputs };
    size_t *order = malloc(sizeof(size_t) * (nl ? nl : 1));
    uint8_t *last = calloc(nl ? nl : 1, 1);
    size_t no = 0;
    for (size_t i = 0; i < nl; i++) {
        size_t j = i + 1;
        while (j < nl && lines[j].roll != lines[i].roll) j++;
        last[i] = j == nl;
    }
    for (size_t i = 0; i < nl; i++)
        if (!last[i]) order[no++] = i;
    job.order = order;
    job.count = no;
    s_clients(&job, 1);
    no = 0;
    for (size_t i = 0; i < nl; i++)
        if (last[i]) order[no++] = i;
    job.order = order;
    job.next = 0;
    job.count = no;
    s_clients(&job, S_CLIENT_THREADS);
    free(order);
    free(last);
    int client_fail = job.failed;
    int srv_fail = 0;
    for (int i = 0; i < nserv; i++) {
        int ws = 0;
        if (waitpid(pids[i], &ws, 0) == pids[i]) {
            pids[i] = 0;
            if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
                srv_fail++;
                fprintf(stderr, "error: server %d failed (log: %s/server%d.log)\n", i + 1, dir, i + 1);
            }
        }
    }
    if (srv_fail) goto out;
    uint8_t *blobs[DEFN_MAX_SERVERS] = { 0 };
    size_t lens[DEFN_MAX_SERVERS] = { 0 };
    double secs = 0;
    unsigned long long rounds = 0, bytes = 0;
    for (int i = 0; i < nserv; i++) {
        snprintf(path, sizeof path, "%s/s%d/result.stmt", dir, i + 1);
        if (s_read_file(path, &blobs[i], &lens[i], RESULT_MAX_OUTPUT + 4096) != 0) blobs[i] = NULL;
        snprintf(path, sizeof path, "%s/s%d/stats.json", dir, i + 1);
        uint8_t *sj;
        size_t sjl;
        if (s_read_file(path, &sj, &sjl, 4096) == 0) {
            sj[sjl] = 0;
            unsigned long long r_ = 0, b_ = 0;
            double s_ = 0;
            if (sscanf((char *)sj, "{\"rounds\":%llu,\"bytes_sent\":%llu,\"seconds\":%lf", &r_, &b_, &s_) == 3) {
                if (r_ > rounds) rounds = r_;
                if (b_ > bytes) bytes = b_;
                if (s_ > secs) secs = s_;
            }
            free(sj);
        }
    }
    char *out_json = NULL, msg[256];
    int rc = s_verify(c.d, blobs, lens, (size_t)nserv, &out_json, msg, sizeof msg);
    for (int i = 0; i < nserv; i++) free(blobs[i]);
    if (rc != 0) {
        fprintf(stderr, "error: no verified result: %s\n", msg);
        goto out;
    }
    size_t ol = strlen(out_json);
    char *full = malloc(ol + 160);
    snprintf(full, ol + 160, "%.*s,\"rounds\":%llu,\"bytes_per_server\":%llu,\"seconds\":%.6f}",
             (int)(ol - 1), out_json, rounds, bytes, secs);
    if (json) {
        printf("%s\n", full);
    } else {
        ops->print_human(full, stdout);
        printf("verified: %s\n", msg);
        printf("servers: %ld (t = %ld), %llu rounds, %llu bytes sent per server, %.3f s after close\n",
               nserv, t, rounds, bytes, secs);
    }
    free(full);
    free(out_json);
    status = 0;
    (void)client_fail;
out:
    for (int i = 0; i < nserv; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGTERM);
            waitpid(pids[i], NULL, 0);
        }
    for (size_t r = 0; r < nroll; r++) keys_free(&ck[r]);
    free(ck);
    free(roll);
    free(names);
    free(lines);
    free(text);
    s_ctx_free(&c);
    if (!s_get(&a, "--keep") && !s_get(&a, "--dir") && (status == 0 || !started)) s_rmtree(dir);
    else if (status != 0) fprintf(stderr, "(files kept in %s)\n", dir);
    return status;
}

/* ---------- dispatch ---------- */

static void s_usage(const app_ops *ops)
{
    fprintf(stderr,
            "usage: %s COMMAND [options]\n"
            "  keygen    --out PREFIX                 write PREFIX.key (0600) and PREFIX.pub\n"
            "  server    --defn FILE --keys KEY --data DIR [--serve SECONDS]\n"
            "  %-9s --defn FILE --keys KEY INPUT     (or --raw V: unchecked, for tests)\n"
            "  result    --defn FILE (--keys KEY | STATEMENT...) [--json]\n"
            "  run-local %s FILE [--servers N] [--bits K] [--json] ...\n",
            ops->name, ops->verb, ops->inputs_flag);
}

int app_main(const app_ops *ops, int argc, char **argv)
{
    if (secmem_init() != 0) {
        fprintf(stderr, "error: libsodium initialisation failed\n");
        return 1;
    }
    if (argc < 2) {
        s_usage(ops);
        return 2;
    }
    const char *cmd = argv[1];
    int sub_argc = argc - 2;
    char **sub_argv = argv + 2;
    if (strcmp(cmd, "keygen") == 0) return s_keygen(sub_argc, sub_argv);
    if (strcmp(cmd, "server") == 0) return s_server_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, ops->verb) == 0) return s_client_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "result") == 0) return s_result_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "run-local") == 0) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) {
            fprintf(stderr, "error: cannot find own executable\n");
            return 1;
        }
        self[n] = 0;
        return s_runlocal_main(ops, sub_argc, sub_argv, self);
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        s_usage(ops);
        return 0;
    }
    fprintf(stderr, "error: unknown command \"%s\"\n", cmd);
    s_usage(ops);
    return 2;
}
