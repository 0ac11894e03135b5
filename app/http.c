/* http: the HTTP endpoint of a server on libmicrohttpd (see http.h). */
#include "app/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <sodium.h>

#include "common/fsutil.h"
#include "common/httpreq.h"
#include "common/log.h"
#include "common/ports.h"
#include "common/xalloc.h"
#include "protocols/intake.h"
#include "protocols/result.h"

/* Connections at once, and from one address: a browser opens at most six
 * per origin, a NAT may hide many voters behind one address. The pool has
 * S_CONN_MAX slots; MHD accepts a few more, which find no slot and are closed
 * at once (a clear refusal; past MHD's limit, connections wait in the
 * kernel's queue). */
#define S_CONN_MAX 256
#define S_CONN_MHD (S_CONN_MAX + 64)
#define S_CONN_PER_IP 32
/* A request (headers and body) must be in within this many seconds of its
 * start, however steadily it trickles (MHD's own timeout only counts
 * silence, which a slowloris never leaves); also the idle timeout. */
#define S_DEADLINE_S 10
#define S_HEADER_MEM 16384              /* request line + headers, per connection */
#define S_STATIC_MAX (16u << 20)        /* largest static file served */
#define S_OUT (HTTPREQ_ERROR_MAX + 2 * RESULT_RECEIPT_MAX + 128)
#define S_CSP_MAX (256 + MPC_MAX_SERVERS * (DEFN_MAX_ENDPOINT + 1))

enum { S_FREE = 0, S_IDLE, S_BODY, S_QUEUED, S_ANSWERED, S_SENDING };

/* One connection: at most one request in flight (MHD serialises a
 * connection's requests), so its buffers are the request's. */
typedef struct s_conn {
    struct MHD_Connection *mc;
    int fd, state, route, early, cors, dropped;
    double started;            /* the current request's start (or the accept) */
    httpreq_body body;
    int kind, http_status;     /* the queued request; the answer's HTTP status */
    char out[S_OUT];           /* the answer's body */
    size_t out_len;
    struct s_conn *next;       /* free list or ready queue */
} s_conn;

struct app_http {
    struct MHD_Daemon *d;
    int listen_fd, epoll_fd, web_fd, me;
    size_t max_body;
    char *cert, *key;          /* PEM text (the key secret) */
    uint8_t *defn;             /* the definition file's bytes */
    size_t defn_len;
    char *result;              /* {"statement":...,"accepted":...} once published */
    size_t result_len;
    const char *origins[MPC_MAX_SERVERS];
    int norigins;
    char csp[S_CSP_MAX];
    s_conn *conns, *free_list, *ready, *ready_tail;
    uint8_t *bodies;
    int nready;
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (log_level < LOG_DEBUG) return;   /* a client's dropped connection is not news */
    fprintf(stderr, "debug: http: ");
    vfprintf(stderr, fmt, ap);
}

static int s_intake_http(int st)
{
    switch (st) {
    case INTAKE_ST_OK: return 200;
    case INTAKE_ST_MALFORMED: case INTAKE_ST_UNOPENABLE: return 400;
    case INTAKE_ST_WRONG_SESSION: case INTAKE_ST_BAD_SIG: case INTAKE_ST_CLOSED:
    case INTAKE_ST_NOT_ON_ROLL: return 403;
    case INTAKE_ST_NOT_READY: return 404;
    case INTAKE_ST_REPLAY: return 409;
    case INTAKE_ST_RATE: return 429;
    default: return 503;
    }
}

/* ---- responses ---- */

static enum MHD_Result s_send(app_http *h, s_conn *c, int code, const char *type,
                              struct MHD_Response *r)
{
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", h->csp);
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (c->route != HTTPREQ_STATIC) MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Vary", "Origin");
    if (c->cors >= 0) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", h->origins[c->cors]);
        if (c->route == HTTPREQ_PREFLIGHT) {
            MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST");
            MHD_add_response_header(r, "Access-Control-Allow-Headers", "Content-Type");
            MHD_add_response_header(r, "Access-Control-Max-Age", "600");
        }
    }
    if (code == 405) MHD_add_response_header(r, "Allow", "GET, POST, OPTIONS");
    enum MHD_Result ok = MHD_queue_response(c->mc, (unsigned)code, r);
    MHD_destroy_response(r);
    c->state = S_SENDING;
    return ok;
}

/* A body in the connection's own buffer: no copy, valid until the request ends. */
static enum MHD_Result s_send_out(app_http *h, s_conn *c, int code)
{
    return s_send(h, c, code, "application/json",
                  MHD_create_response_from_buffer(c->out_len, c->out, MHD_RESPMEM_PERSISTENT));
}

static enum MHD_Result s_send_error(app_http *h, s_conn *c, int code, const char *status,
                                    int icode, const char *reason)
{
    c->out_len = httpreq_error_json(c->out, status, icode, reason, strlen(reason));
    return s_send_out(h, c, code);
}

/* A file of the web directory, never through a symbolic link: each directory
 * on the way and the file itself are opened with O_NOFOLLOW below web_fd. */
static enum MHD_Result s_static(app_http *h, s_conn *c, const char *url)
{
    char path[HTTPREQ_PATH_MAX + 1];
    if (h->web_fd < 0 || httpreq_static_path(url, path) != 0)
        return s_send_error(h, c, 404, "error", 404, "not found");
    int dir = h->web_fd, fd = -1;
    char *seg = path, *slash;
    while ((slash = strchr(seg, '/'))) {
        *slash = 0;
        int next = openat(dir, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir != h->web_fd) close(dir);
        if (next < 0) return s_send_error(h, c, 404, "error", 404, "not found");
        dir = next;
        seg = slash + 1;
    }
    fd = openat(dir, seg, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (dir != h->web_fd) close(dir);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > S_STATIC_MAX) {
        if (fd >= 0) close(fd);
        return s_send_error(h, c, 404, "error", 404, "not found");
    }
    /* MHD owns fd from here (closed with the response) */
    return s_send(h, c, 200, httpreq_mime(path),
                  MHD_create_response_from_fd((uint64_t)st.st_size, fd));
}

/* A finished request that the handler answers itself. */
static enum MHD_Result s_answer(app_http *h, s_conn *c, const char *url)
{
    switch (c->route) {
    case HTTPREQ_STATIC: return s_static(h, c, url);
    case HTTPREQ_DEFN:
        return s_send(h, c, 200, "application/json",
                      MHD_create_response_from_buffer(h->defn_len, h->defn,
                                                      MHD_RESPMEM_PERSISTENT));
    case HTTPREQ_RESULT:
        if (!h->result)
            return s_send_error(h, c, 404, "pending", INTAKE_ST_NOT_READY, "result not ready");
        return s_send(h, c, 200, "application/json",
                      MHD_create_response_from_buffer(h->result_len, h->result,
                                                      MHD_RESPMEM_PERSISTENT));
    case HTTPREQ_PREFLIGHT:
        c->out_len = 0;
        return s_send(h, c, 204, "text/plain",
                      MHD_create_response_from_buffer(0, c->out, MHD_RESPMEM_PERSISTENT));
    case HTTPREQ_BAD_METHOD: return s_send_error(h, c, 405, "error", 405, "method not allowed");
    default: return s_send_error(h, c, 404, "error", 404, "not found");
    }
}

/* ---- the request handler ---- */

static s_conn *s_conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* First call for a request (headers in): route, CORS, and the refusals that
 * need no body (415, 413 by Content-Length: answered before it is read). */
static void s_begin(app_http *h, s_conn *c, struct MHD_Connection *mc, const char *url,
                    const char *method)
{
    c->route = httpreq_route(method, url);
    c->early = 0;
    c->state = S_BODY;
    httpreq_body_reset(&c->body);
    const char *origin = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Origin");
    c->cors = -1;
    for (int i = 0; origin && i < h->norigins; i++)
        if (httpreq_origin_allowed(origin, &h->origins[i], 1)) c->cors = i;
    if (c->route != HTTPREQ_ENVELOPE) return;
    const char *ct = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!httpreq_octet_stream(ct)) c->early = 415;
    else if (cl && strtoull(cl, NULL, 10) > h->max_body) c->early = 413;
}

static enum MHD_Result s_refuse_size(app_http *h, s_conn *c)
{
    char why[128];
    snprintf(why, sizeof why, "request body too large (over %zu bytes: larger than any envelope "
                              "of this definition)", h->max_body);
    return s_send_error(h, c, 413, "refused", INTAKE_ST_MALFORMED, why);
}

/* Hand a request to the inbox and suspend its connection until it answers. */
static enum MHD_Result s_queue(app_http *h, s_conn *c, int kind)
{
    c->kind = kind;
    c->state = S_QUEUED;
    c->next = NULL;
    if (h->ready_tail) h->ready_tail->next = c;
    else h->ready = c;
    h->ready_tail = c;
    h->nready++;
    MHD_suspend_connection(c->mc);
    return MHD_YES;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *mc, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **req_cls)
{
    (void)version;
    app_http *h = cls;
    s_conn *c = s_conn_of(mc);
    if (!c) return MHD_NO;
    if (!*req_cls) {
        *req_cls = c;
        s_begin(h, c, mc, url, method);
        if (c->early == 415)
            return s_send_error(h, c, 415, "refused", INTAKE_ST_MALFORMED,
                                "expected Content-Type: application/octet-stream (the raw "
                                "envelope bytes)");
        if (c->early == 413) return s_refuse_size(h, c);
        return MHD_YES;
    }
    if (*upload_size) {   /* only an envelope's body is kept; others' are dropped */
        if (c->route == HTTPREQ_ENVELOPE)
            (void)httpreq_body_add(&c->body, (const uint8_t *)upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (c->state == S_ANSWERED) return s_send_out(h, c, c->http_status);
    if (c->state != S_BODY) return MHD_YES;
    if (c->route == HTTPREQ_ENVELOPE)
        return c->body.over ? s_refuse_size(h, c) : s_queue(h, c, INTAKE_SUBMIT);
    if (c->route == HTTPREQ_STATUS) return s_queue(h, c, INTAKE_STATUS);
    return s_answer(h, c, url);
}

/* Connections come from and go back to the pool; one that finds it full is
 * shut down (the handler then refuses it too: no slot). */
static void s_notify_conn(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    app_http *h = cls;
    s_conn *c = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!h->free_list || !ci) {
            if (ci) shutdown(ci->connect_fd, SHUT_RDWR);
            return;
        }
        c = h->free_list;
        h->free_list = c->next;
        c->mc = mc;
        c->fd = ci->connect_fd;
        c->state = S_IDLE;
        c->dropped = 0;
        c->started = s_now();
        *socket_context = c;
    } else if (c) {
        c->state = S_FREE;
        c->mc = NULL;
        c->next = h->free_list;
        h->free_list = c;
        *socket_context = NULL;
    }
}

static void s_notify_done(void *cls, struct MHD_Connection *mc, void **req_cls,
                          enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)toe;
    (void)req_cls;
    s_conn *c = s_conn_of(mc);
    if (!c) return;
    c->state = S_IDLE;   /* keep-alive: the next request's deadline starts now */
    c->started = s_now();
}

/* ---- open ---- */

/* Fail-fast checks of --http against the definition: the port and scheme of
 * this server's "http" origin, when it has one. */
static int s_check_origin(const app_http_cfg *cfg, const defn *d, int me, char *err,
                          size_t errlen)
{
    const char *origin = defn_server_at(d, me)->http;
    int tls = cfg->tls_cert != NULL, port = 0, otls = 0;
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together (HTTPS needs both)");
        return ERR_ARG;
    }
    const char *colon = strrchr(cfg->addr, ':');
    long p = colon ? strtol(colon + 1, NULL, 10) : 0;
    if (!strncmp(cfg->addr, "0.0.0.0:", 8) || !strncmp(cfg->addr, "[::]:", 5) ||
        !strncmp(cfg->addr, "*:", 2)) {
        snprintf(err, errlen, "--http %s: a wildcard address; give the IP address of this host "
                              "that the page's origin reaches", cfg->addr);
        return ERR_ARG;
    }
    if (!origin) return 0;
    (void)defn_http_origin_problem(origin, &port, &otls);
    if (p != port) {
        snprintf(err, errlen, "--http %s: this server's origin in the definition is %s: "
                              "listen on port %d", cfg->addr, origin, port);
        return ERR_ARG;
    }
    if (tls != otls) {
        snprintf(err, errlen, "--http: this server's origin in the definition is %s: %s", origin,
                 otls ? "give --tls-cert and --tls-key" : "it is plain http, drop the TLS flags");
        return ERR_ARG;
    }
    return 0;
}

/* The web directory: --web, $MPC_WEB, else <dir of the binary>/../web. An
 * explicit one must open; a missing default only means no page (the API
 * still answers). */
static int s_open_web(app_http *h, const app_http_cfg *cfg, char *err, size_t errlen)
{
    const char *dir = cfg->web_dir ? cfg->web_dir : getenv("MPC_WEB");
    char def[4096];
    int explicit = dir != NULL;
    if (!dir) {
        ssize_t n = readlink("/proc/self/exe", def, sizeof def - 8);
        def[n > 0 ? n : 0] = 0;
        char *slash = strrchr(def, '/');
        if (slash) snprintf(slash, sizeof def - (size_t)(slash - def), "/../web");
        dir = def;
    }
    h->web_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h->web_fd >= 0) return 0;
    if (explicit) {
        snprintf(err, errlen, "--web %s: %s", dir, strerror(errno));
        return ERR_IO;
    }
    log_msg(LOG_WARN, "no web directory at %s (give --web DIR): the page is not served, the "
                      "API is", dir);
    return 0;
}

/* The CSP: this origin for everything, the other servers' origins for the
 * page's submissions, and WebAssembly compilation (libsodium.js). */
static void s_csp(app_http *h)
{
    size_t o = (size_t)snprintf(h->csp, sizeof h->csp,
                                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
                                "connect-src 'self'");
    for (int i = 0; i < h->norigins && o < sizeof h->csp; i++)
        o += (size_t)snprintf(h->csp + o, sizeof h->csp - o, " %s", h->origins[i]);
    if (o < sizeof h->csp)
        snprintf(h->csp + o, sizeof h->csp - o, "; img-src 'self' data:; object-src 'none'; "
                                                "base-uri 'none'; frame-ancestors 'none'; "
                                                "form-action 'none'");
}

static int s_read_pem(char **out, const char *path, const char *flag, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    if (fs_read_file(path, &buf, &len, 1u << 16) != 0) {
        snprintf(err, errlen, "%s %s: cannot read (%s)", flag, path, strerror(errno));
        return ERR_IO;
    }
    *out = (char *)buf;   /* NUL-terminated by fs_read_file */
    return 0;
}

static int s_load(app_http *h, const app_http_cfg *cfg, const defn *d, char *err, size_t errlen)
{
    uint8_t sid[32];
    if (fs_read_file(cfg->defn_path, &h->defn, &h->defn_len, DEFN_MAX_FILE) != 0) {
        snprintf(err, errlen, "%s: cannot read (%s)", cfg->defn_path, strerror(errno));
        return ERR_IO;
    }
    crypto_generichash(sid, sizeof sid, h->defn, h->defn_len, NULL, 0);
    if (sodium_memcmp(sid, defn_sid(d), 32) != 0) {
        snprintf(err, errlen, "%s changed since it was loaded", cfg->defn_path);
        return ERR_IO;
    }
    if (cfg->tls_cert && (s_read_pem(&h->cert, cfg->tls_cert, "--tls-cert", err, errlen) ||
                          s_read_pem(&h->key, cfg->tls_key, "--tls-key", err, errlen)))
        return ERR_IO;
    return s_open_web(h, cfg, err, errlen);
}

static int s_start(app_http *h, char *err, size_t errlen)
{
    struct MHD_OptionItem tls[] = {
        { MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert },
        { MHD_OPTION_HTTPS_MEM_KEY, 0, h->key },
        { MHD_OPTION_END, 0, NULL } };
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (h->cert ? MHD_USE_TLS : 0);
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, s_handler, h, MHD_OPTION_LISTEN_SOCKET, h->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)S_CONN_MHD, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)S_CONN_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)S_DEADLINE_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)S_HEADER_MEM, MHD_OPTION_NOTIFY_CONNECTION,
        s_notify_conn, h, MHD_OPTION_NOTIFY_COMPLETED, s_notify_done, h,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL, MHD_OPTION_ARRAY,
        h->cert ? tls : tls + 2, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "--http: cannot start the HTTP%s daemon%s", h->cert ? "S" : "",
                 h->cert ? " (is the certificate or key not PEM, or not a pair?)" : "");
        return ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->epoll_fd = di ? di->epoll_fd : -1;
    return 0;
}

int app_http_open(app_http **out, const app_http_cfg *cfg, const defn *d, int me,
                  size_t max_body, char *err, size_t errlen)
{
    app_http *h = xcalloc(1, sizeof *h);
    *out = h;
    h->listen_fd = h->epoll_fd = h->web_fd = -1;
    h->me = me;
    h->max_body = max_body;
    for (int i = 1; i <= defn_n(d); i++)
        if (defn_server_at(d, i)->http) h->origins[h->norigins++] = defn_server_at(d, i)->http;
    s_csp(h);
    h->conns = xcalloc(S_CONN_MAX, sizeof *h->conns);
    h->bodies = xmalloc(S_CONN_MAX * max_body);
    for (int i = S_CONN_MAX; i-- > 0;) {
        h->conns[i].body = (httpreq_body){ .buf = h->bodies + (size_t)i * max_body, .cap = max_body };
        h->conns[i].next = h->free_list;
        h->free_list = &h->conns[i];
    }
    char ep[DEFN_MAX_ENDPOINT + 16];
    snprintf(ep, sizeof ep, "tcp://%s", cfg->addr);
    int rc = s_check_origin(cfg, d, me, err, errlen);
    if (rc == 0 && (h->listen_fd = ports_reserve(ep, 0, err, errlen)) < 0) rc = ERR_IO;
    if (rc == 0 && (listen(h->listen_fd, 128) != 0 ||
                    fcntl(h->listen_fd, F_SETFL, fcntl(h->listen_fd, F_GETFL) | O_NONBLOCK) != 0))
        rc = ERR_IO;
    if (rc == 0) rc = s_load(h, cfg, d, err, errlen);
    if (rc == 0) rc = s_start(h, err, errlen);
    if (rc == 0)
        log_msg(LOG_INFO, "web page and API on %s://%s", h->cert ? "https" : "http", cfg->addr);
    return rc;
}

void app_http_free(app_http **pp)
{
    app_http *h = *pp;
    if (!h) return;
    if (h->d) {
        /* MHD must not stop with suspended connections: resume them, unanswered */
        for (s_conn *c = h->ready; c; c = c->next) MHD_resume_connection(c->mc);
        h->ready = NULL;
        MHD_run(h->d);
        MHD_stop_daemon(h->d);   /* closes the listening socket too */
    } else if (h->listen_fd >= 0) {
        close(h->listen_fd);
    }
    if (h->web_fd >= 0) close(h->web_fd);
    if (h->key) sodium_memzero(h->key, strlen(h->key));
    free(h->key);
    free(h->cert);
    free(h->defn);
    free(h->result);
    free(h->conns);
    free(h->bodies);
    free(h);
    *pp = NULL;
}

/* ---- the loop ---- */

int app_http_fd(const app_http *h)
{
    return h->epoll_fd;
}

int app_http_wait_ms(const app_http *h, int wait_ms)
{
    MHD_UNSIGNED_LONG_LONG t;
    if (h->nready) return 0;
    if (MHD_get_timeout(h->d, &t) == MHD_YES && t < (MHD_UNSIGNED_LONG_LONG)wait_ms)
        wait_ms = (int)t;
    return wait_ms;
}

void app_http_run(app_http *h)
{
    double now = s_now();
    for (int i = 0; i < S_CONN_MAX; i++) {
        s_conn *c = &h->conns[i];
        if ((c->state == S_IDLE || c->state == S_BODY) && !c->dropped &&
            now - c->started > S_DEADLINE_S) {
            /* MHD sees the end of the stream and closes it in MHD_run */
            shutdown(c->fd, SHUT_RDWR);
            c->dropped = 1;
            log_msg(LOG_DEBUG, "http: dropped a connection whose request took over %d s",
                    S_DEADLINE_S);
        }
    }
    MHD_run(h->d);
}

int app_http_next(app_http *h, app_http_req *r)
{
    s_conn *c = h->ready;
    if (!c) return 0;
    h->ready = c->next;
    if (!h->ready) h->ready_tail = NULL;
    h->nready--;
    c->next = NULL;
    *r = (app_http_req){ .kind = c->kind, .body = c->body.buf, .len = c->body.len, .conn = c };
    return 1;
}

void app_http_reply(app_http *h, const app_http_req *r, int status, const uint8_t *body,
                    size_t len)
{
    s_conn *c = r->conn;
    c->http_status = s_intake_http(status);
    if (status != 0) {
        c->out_len = httpreq_error_json(c->out, "refused", status, (const char *)body, len);
    } else if (r->kind == INTAKE_SUBMIT && 2 * len + 64 < sizeof c->out) {
        int k = snprintf(c->out, sizeof c->out, "{\"status\":\"accepted\",\"receipt\":\"");
        sodium_bin2hex(c->out + k, 2 * len + 1, body, len);
        k += (int)(2 * len);
        k += snprintf(c->out + k, sizeof c->out - (size_t)k, "\",\"server\":%d}", h->me);
        c->out_len = (size_t)k;
    } else if (len <= sizeof c->out) {
        memcpy(c->out, body, len);
        c->out_len = len;
    } else {
        c->http_status = 500;
        c->out_len = httpreq_error_json(c->out, "error", 500, "reply too large", 15);
    }
    c->state = S_ANSWERED;
    MHD_resume_connection(c->mc);
}

void app_http_publish(app_http *h, const uint8_t *stmt, size_t stmt_len, const uint8_t *set,
                      size_t set_len)
{
    if (!stmt || h->result) return;
    size_t cap = 2 * stmt_len + set_len + 64;
    h->result = xmalloc(cap);
    int k = snprintf(h->result, cap, "{\"statement\":\"");
    sodium_bin2hex(h->result + k, 2 * stmt_len + 1, stmt, stmt_len);
    k += (int)(2 * stmt_len);
    k += snprintf(h->result + k, cap - (size_t)k, "\",\"accepted\":");
    memcpy(h->result + k, set, set_len);
    k += (int)set_len;
    memcpy(h->result + k, "}", 2);
    h->result_len = (size_t)k + 1;
}
