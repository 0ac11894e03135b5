/* http: a server's HTTP(S) endpoint for the web page (docs/http.md), run by
 * libmicrohttpd inside the inbox's single-threaded poll loop (external
 * polling on MHD's epoll fd). Static files of the page, the definition, the
 * status and the published result; envelope submissions are handed to the
 * inbox like CurveZMQ ones (app_http_next), their connections suspended
 * until the inbox answers after its group commit (app_http_reply). The
 * connection pool and every request's body and reply buffers are allocated
 * once at open. Only this module includes <microhttpd.h>. */
#ifndef MPC_APP_HTTP_H
#define MPC_APP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "common/defn.h"
#include "common/err.h"

/* What `server --http ... --tls-cert --tls-key --web` asked for. */
typedef struct app_http_cfg {
    const char *addr;                 /* "ADDRESS:PORT" (IPv6 in brackets); NULL: no HTTP */
    const char *tls_cert, *tls_key;   /* PEM files, both or neither */
    const char *web_dir;              /* NULL: $MPC_WEB, else <dir of the binary>/../web */
    const char *defn_path;            /* the definition file, served by /api/defn */
} app_http_cfg;

typedef struct app_http app_http;

/* A request for the inbox: kind INTAKE_SUBMIT (body: the envelope bytes,
 * valid until replied to) or INTAKE_STATUS (no body). */
typedef struct app_http_req {
    int kind;
    const uint8_t *body;
    size_t len;
    void *conn;
} app_http_req;

/* Bind cfg->addr and start the daemon for server me of d (borrowed, must
 * outlive h): envelope bodies over max_body bytes are refused (413). Fails
 * fast with a message in err (bad or busy address, a port other than the
 * one of this server's "http" origin, a scheme that does not match the TLS
 * flags, unreadable certificate, key, web directory or definition). */
int app_http_open(app_http **out, const app_http_cfg *cfg, const defn *d, int me,
                  size_t max_body, char *err, size_t errlen) MPC_WUR;
/* Stops the daemon (suspended requests are dropped unanswered: the inbox
 * answers every request it took before it is freed). NULL is fine. */
void app_http_free(app_http **pp);

/* The descriptor to poll for readability, and how long the loop may sleep
 * at most (wait_ms bounded by MHD's next timeout; 0 while requests wait). */
int app_http_fd(const app_http *h);
int app_http_wait_ms(const app_http *h, int wait_ms);
/* Do all pending HTTP work without blocking: read, answer, send; drop
 * connections whose request is not in within the request deadline. */
void app_http_run(app_http *h);
/* Take the next request for the inbox: 1 (r filled) or 0. */
int app_http_next(app_http *h, app_http_req *r);
/* Answer r: status INTAKE_ST_* with body the receipt (submit, status 0),
 * the status JSON (status), or the reason text (refusals). */
void app_http_reply(app_http *h, const app_http_req *r, int status, const uint8_t *body,
                    size_t len);
/* From now on GET /api/result answers with these (copied). */
void app_http_publish(app_http *h, const uint8_t *stmt, size_t stmt_len, const uint8_t *set,
                      size_t set_len);

#endif
