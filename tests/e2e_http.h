/* e2e_http: a minimal HTTP/1.1 client for the tests of the HTTP endpoint
 * (docs/http.md): one request per connection (Connection: close), the whole
 * answer read until the server closes, split into status, headers and body.
 * Loopback only; helpers assert with Criterion. Implemented in
 * tests/lib/e2e_http.c. */
#ifndef MPC_TEST_E2E_HTTP_H
#define MPC_TEST_E2E_HTTP_H

#include <stddef.h>
#include <stdint.h>

typedef struct e2e_http_resp {
    int code;
    char *head;        /* status line and headers, NUL-terminated */
    char *body;        /* NUL-terminated */
    size_t len;
} e2e_http_resp;

void e2e_http_free(e2e_http_resp *r);
/* A TCP connection to 127.0.0.1:port from source address src (NULL: any);
 * -1 if refused. */
int e2e_http_connect(int port, const char *src);
/* Send all of buf (stops quietly if the server closed: it may answer early). */
void e2e_http_send_all(int fd, const void *buf, size_t len);
/* Read until the server closes (within 10 s) and split the response. */
void e2e_http_read(int fd, e2e_http_resp *r);
/* One request: head is everything before the blank line (method, path, extra
 * header lines); Host, Connection: close and Content-Length (with a body) are
 * added. */
void e2e_http_request(e2e_http_resp *r, int port, const char *src, const char *head,
                      const void *body, size_t len);
/* GET path, with an Origin header unless origin is NULL. */
void e2e_http_get(e2e_http_resp *r, int port, const char *path, const char *origin);
/* POST /api/envelope with the given Content-Type. */
void e2e_http_post(e2e_http_resp *r, int port, const char *src, const uint8_t *env, size_t len,
                   const char *type);
/* The value of header name (case-insensitive) in r, or NULL (static buffer). */
const char *e2e_http_header(const e2e_http_resp *r, const char *name);

#endif
