/* fuzz_http: the socket-free request logic of the HTTP endpoint
 * (common/httpreq.h) on any bytes. The input is four lines (method, url,
 * Content-Type, Origin) and then a body. Checked: the route is one of the
 * enum; a static path the sanitizer accepts stays inside the web directory
 * (no empty, hidden or dot segment, only [A-Za-z0-9_.-] and '/', a known
 * type, bounded); octet-stream detection and origin matching are exact; the
 * body accumulator never writes past its buffer, keeps exactly the first cap
 * bytes and flags the rest; an error body is always valid JSON whose reason
 * is the (escaped, bounded) text given. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "common/httpreq.h"
#include "tests/fuzz/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

/* The next line of in (NUL-terminated copy into out, at most cap - 1 bytes). */
static void s_line(const uint8_t **in, size_t *len, char *out, size_t cap)
{
    size_t n = 0;
    while (*len && **in != '\n') {
        if (n + 1 < cap) out[n++] = **in ? (char)**in : '?';   /* MHD hands C strings */
        (*in)++;
        (*len)--;
    }
    if (*len) {
        (*in)++;
        (*len)--;
    }
    out[n] = 0;
}

static void s_check_path(const char *url)
{
    char out[HTTPREQ_PATH_MAX + 1];
    if (httpreq_static_path(url, out) != 0) return;
    size_t n = strlen(out);
    if (n == 0 || n > HTTPREQ_PATH_MAX || !httpreq_mime(out)) abort();
    if (strcmp(url, "/") == 0) {
        if (strcmp(out, "index.html") != 0) abort();
        return;
    }
    if (strcmp(out, url + 1) != 0) abort();
    for (size_t i = 0; i < n; i++) {
        char c = out[i];
        int seg_start = i == 0 || out[i - 1] == '/';
        if (seg_start && (c == '.' || c == '/')) abort();   /* hidden, "..", or empty */
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-' || c == '/'))
            abort();
    }
    if (out[n - 1] == '/') abort();
}

static void s_check_body(const uint8_t *data, size_t size)
{
    uint8_t buf[64 + 8];
    memset(buf + 64, 0xee, 8);   /* a canary past cap */
    httpreq_body b = { .buf = buf, .cap = 64 };
    httpreq_body_reset(&b);
    size_t fed = 0, step = size ? (size_t)data[0] % 17 + 1 : 1;
    while (fed < size) {
        size_t k = size - fed < step ? size - fed : step;
        int rc = httpreq_body_add(&b, data + fed, k);
        fed += k;
        if ((rc != 0) != (fed > 64) || (rc != 0 && rc != ERR_RANGE)) abort();
    }
    for (int i = 0; i < 8; i++)
        if (buf[64 + i] != 0xee) abort();
    if (b.over != (size > 64) || b.len > 64) abort();
    /* kept: whole chunks that fitted, in order */
    if (memcmp(b.buf, data, b.len) != 0) abort();
}

static void s_check_error(const uint8_t *data, size_t size)
{
    char out[HTTPREQ_ERROR_MAX];
    size_t n = httpreq_error_json(out, "refused", 7, (const char *)data, size);
    if (n >= sizeof out || out[n] != 0) abort();
    json_error_t je;
    json_t *o = json_loadb(out, n, 0, &je);
    if (!o || json_integer_value(json_object_get(o, "code")) != 7 ||
        strcmp(json_string_value(json_object_get(o, "status")), "refused") != 0)
        abort();
    const char *r = json_string_value(json_object_get(o, "reason"));
    size_t rl = strlen(r), want = size < HTTPREQ_REASON_MAX ? size : HTTPREQ_REASON_MAX;
    const uint8_t *nul = memchr(data, 0, want);
    if (nul) want = (size_t)(nul - data);
    if (rl != want) abort();
    for (size_t i = 0; i < rl; i++) {
        unsigned char c = data[i];
        if (r[i] != (c >= 0x20 && c < 0x7f ? (char)c : '?')) abort();
    }
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char method[16], url[HTTPREQ_PATH_MAX + 64], ct[128], origin[128];
    const uint8_t *in = data;
    size_t len = size;
    s_line(&in, &len, method, sizeof method);
    s_line(&in, &len, url, sizeof url);
    s_line(&in, &len, ct, sizeof ct);
    s_line(&in, &len, origin, sizeof origin);
    int route = httpreq_route(method, url);
    if (route < HTTPREQ_NOT_FOUND || route > HTTPREQ_BAD_METHOD) abort();
    if (route == HTTPREQ_ENVELOPE && (strcmp(method, "POST") || strcmp(url, "/api/envelope")))
        abort();
    s_check_path(url);
    if (httpreq_octet_stream(ct)) {
        const char *p = ct + strspn(ct, " \t");
        if (strncasecmp(p, "application/octet-stream", 24) != 0) abort();
    }
    static const char *const allowed[] = { "http://127.0.0.1:8081", "https://vote.example:443" };
    int ok = httpreq_origin_allowed(origin, allowed, 2);
    if (ok != (!strcmp(origin, allowed[0]) || !strcmp(origin, allowed[1]))) abort();
    s_check_body(in, len);
    s_check_error(in, len);
    return 0;
}
