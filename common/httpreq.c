/* httpreq: the socket-free request logic of the HTTP endpoint (see httpreq.h). */
#include "common/httpreq.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int httpreq_route(const char *method, const char *url)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strcmp(method, "OPTIONS")) return HTTPREQ_PREFLIGHT;
    if (!strcmp(url, "/api/envelope"))
        return !strcmp(method, "POST") ? HTTPREQ_ENVELOPE : HTTPREQ_BAD_METHOD;
    static const struct { const char *path; int route; } api[] = {
        { "/api/defn", HTTPREQ_DEFN }, { "/api/status", HTTPREQ_STATUS },
        { "/api/result", HTTPREQ_RESULT } };
    for (size_t i = 0; i < sizeof api / sizeof api[0]; i++)
        if (!strcmp(url, api[i].path)) return get ? api[i].route : HTTPREQ_BAD_METHOD;
    if (!strncmp(url, "/api/", 5) || !strcmp(url, "/api")) return HTTPREQ_NOT_FOUND;
    return get ? HTTPREQ_STATIC : HTTPREQ_BAD_METHOD;
}

const char *httpreq_mime(const char *name)
{
    static const struct { const char *ext, *type; } m[] = {
        { ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },   { ".wasm", "application/wasm" },
        { ".png", "image/png" },                 { ".svg", "image/svg+xml" },
        { ".json", "application/json" } };
    const char *dot = strrchr(name, '.');
    if (!dot || strchr(dot, '/')) return NULL;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcmp(dot, m[i].ext)) return m[i].type;
    return NULL;
}

static int s_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

int httpreq_static_path(const char *url, char *out)
{
    if (url[0] != '/') return ERR_PARSE;
    if (!url[1]) {
        snprintf(out, HTTPREQ_PATH_MAX + 1, "index.html");
        return 0;
    }
    const char *p = url + 1;
    size_t n = strlen(p);
    if (n > HTTPREQ_PATH_MAX) return ERR_PARSE;
    /* every segment: non-empty, not hidden (so never "." or ".."), name characters only */
    for (size_t i = 0; i < n;) {
        if (p[i] == '.' || p[i] == '/') return ERR_PARSE;
        while (i < n && p[i] != '/') {
            if (!s_name_char(p[i])) return ERR_PARSE;
            i++;
        }
        if (i < n && ++i == n) return ERR_PARSE;   /* a trailing '/' */
    }
    if (!httpreq_mime(p)) return ERR_PARSE;
    memcpy(out, p, n + 1);
    return 0;
}

int httpreq_octet_stream(const char *ct)
{
    static const char want[] = "application/octet-stream";
    if (!ct) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    if (strncasecmp(ct, want, sizeof want - 1) != 0) return 0;
    ct += sizeof want - 1;
    while (*ct == ' ' || *ct == '\t') ct++;
    return *ct == 0 || *ct == ';';
}

int httpreq_origin_allowed(const char *origin, const char *const *allowed, int n)
{
    if (!origin) return 0;
    for (int i = 0; i < n; i++)
        if (allowed[i] && !strcmp(origin, allowed[i])) return 1;
    return 0;
}

void httpreq_body_reset(httpreq_body *b)
{
    b->len = 0;
    b->over = 0;
}

int httpreq_body_add(httpreq_body *b, const uint8_t *data, size_t n)
{
    if (b->over || n > b->cap - b->len) {
        b->over = 1;
        return ERR_RANGE;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    return 0;
}

size_t httpreq_error_json(char *out, const char *status, int code, const char *reason,
                          size_t reason_len)
{
    int k = snprintf(out, HTTPREQ_ERROR_MAX, "{\"status\":\"%s\",\"code\":%d,\"reason\":\"",
                     status, code);
    size_t o = k > 0 && k < 64 ? (size_t)k : 0;
    if (reason_len > HTTPREQ_REASON_MAX) reason_len = HTTPREQ_REASON_MAX;
    for (size_t i = 0; i < reason_len && reason[i]; i++) {
        unsigned char c = (unsigned char)reason[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else {
            out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
    }
    memcpy(out + o, "\"}", 3);
    return o + 2;
}
