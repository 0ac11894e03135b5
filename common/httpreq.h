/* httpreq: the socket-free logic of a server's HTTP endpoint (docs/http.md):
 * route dispatch, the static-path sanitizer, content types, the bounded body
 * accumulator and the JSON error text (the INTAKE_ST_* -> HTTP status map
 * is app/http.c's: common/ stays below protocols/).
 * Pure functions over bytes (no libmicrohttpd here), so tests/fuzz/fuzz_http.c
 * drives them directly; app/http.c wires them to the daemon. Nothing here is
 * secret: envelopes are sealed before they reach the server. */
#ifndef MPC_HTTPREQ_H
#define MPC_HTTPREQ_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define HTTPREQ_PATH_MAX 255       /* a sanitized static path, bytes */
#define HTTPREQ_REASON_MAX 200     /* reason text kept in an error body */
#define HTTPREQ_ERROR_MAX (64 + 6 * HTTPREQ_REASON_MAX)   /* the escaped error JSON */

/* What a request asks for. */
enum { HTTPREQ_NOT_FOUND = 0, HTTPREQ_STATIC, HTTPREQ_DEFN, HTTPREQ_ENVELOPE, HTTPREQ_STATUS,
       HTTPREQ_RESULT, HTTPREQ_PREFLIGHT, HTTPREQ_BAD_METHOD };

/* Route of method (e.g. "GET") and url (the decoded path, query cut off):
 * GET|HEAD on /api/defn, /api/status, /api/result and any other path
 * (HTTPREQ_STATIC, sanitized later); POST /api/envelope; OPTIONS anything
 * (HTTPREQ_PREFLIGHT); another method on a known path is HTTPREQ_BAD_METHOD;
 * an unknown /api/ path HTTPREQ_NOT_FOUND. */
int httpreq_route(const char *method, const char *url);

/* The file a static url names, relative to the web directory, into out
 * (HTTPREQ_PATH_MAX + 1 bytes): "/" is "index.html"; otherwise segments of
 * [A-Za-z0-9_.-] separated by single '/', none empty or starting with '.'
 * (no "..", no hidden files), ending in an extension httpreq_mime knows.
 * ERR_PARSE for anything else (a 404). */
int httpreq_static_path(const char *url, char *out) MPC_WUR;
/* Content type of a file name by its extension (.html .js .css .wasm .png
 * .svg .json), or NULL. */
const char *httpreq_mime(const char *name);

/* 1 if a Content-Type header value names application/octet-stream (any case,
 * parameters after ';' allowed), else 0 (NULL included). */
int httpreq_octet_stream(const char *content_type);

/* 1 if origin equals one of the n allowed origins (exact bytes), else 0. */
int httpreq_origin_allowed(const char *origin, const char *const *allowed, int n);

/* A body collected into a fixed buffer (owned by the caller, cap bytes):
 * bytes past cap are dropped and mark it over, so a large upload costs no
 * memory. */
typedef struct httpreq_body {
    uint8_t *buf;
    size_t cap, len;
    int over;
} httpreq_body;
void httpreq_body_reset(httpreq_body *b);
/* Append n bytes; ERR_RANGE (and over set) once the total passes cap. */
int httpreq_body_add(httpreq_body *b, const uint8_t *data, size_t n);

/* {"status":STATUS,"code":CODE,"reason":REASON} into out (HTTPREQ_ERROR_MAX
 * bytes), reason cut to HTTPREQ_REASON_MAX bytes and escaped (non-ASCII and
 * control bytes become '?'). Returns the length written. */
size_t httpreq_error_json(char *out, const char *status, int code, const char *reason,
                          size_t reason_len);

#endif
