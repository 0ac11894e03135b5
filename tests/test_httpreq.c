/* httpreq (docs/http.md): the HTTP endpoint's socket-free logic: routes, the
 * static-path sanitizer, content types, origins, the body accumulator and the
 * JSON error text (fuzzed too: tests/fuzz/fuzz_http.c). */
#include <criterion/criterion.h>
#include <string.h>
#include <jansson.h>
#include "common/httpreq.h"

TestSuite(httpreq, .timeout = 10);

Test(httpreq, routes)
{
    static const struct { const char *method, *url; int route; } c[] = {
        { "GET", "/", HTTPREQ_STATIC },            { "HEAD", "/app.js", HTTPREQ_STATIC },
        { "GET", "/api/defn", HTTPREQ_DEFN },      { "GET", "/api/status", HTTPREQ_STATUS },
        { "GET", "/api/result", HTTPREQ_RESULT },  { "POST", "/api/envelope", HTTPREQ_ENVELOPE },
        { "OPTIONS", "/api/envelope", HTTPREQ_PREFLIGHT },
        { "GET", "/api/envelope", HTTPREQ_BAD_METHOD },
        { "POST", "/api/status", HTTPREQ_BAD_METHOD }, { "PUT", "/", HTTPREQ_BAD_METHOD },
        { "GET", "/api/other", HTTPREQ_NOT_FOUND }, { "GET", "/api", HTTPREQ_NOT_FOUND },
        { "POST", "/api/envelope/", HTTPREQ_NOT_FOUND },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        cr_expect_eq(httpreq_route(c[i].method, c[i].url), c[i].route, "%s %s", c[i].method,
                     c[i].url);
}

Test(httpreq, static_paths_stay_inside_the_web_directory)
{
    char out[HTTPREQ_PATH_MAX + 1];
    cr_assert_eq(httpreq_static_path("/", out), 0);
    cr_expect_str_eq(out, "index.html");
    cr_assert_eq(httpreq_static_path("/js/app-1.2_min.js", out), 0);
    cr_expect_str_eq(out, "js/app-1.2_min.js");
    cr_expect_str_eq(httpreq_mime("sodium.wasm"), "application/wasm");
    cr_expect_str_eq(httpreq_mime("a.b/c.svg"), "image/svg+xml");
    cr_expect_null(httpreq_mime("a.json/x"));
    static const char *const bad[] = {
        "", "index.html", "/../defn.json", "/a/../b.js", "/./a.js", "/.hidden.js", "/a/.b/c.js",
        "//etc/passwd.json", "/a//b.js", "/a/", "/app.js/", "/a b.js", "/a%2e.js", "/a\\b.js",
        "/notes.txt", "/noext", "/..", "/.", "/a.JS", "/\xc3\xa9.js",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_neq(httpreq_static_path(bad[i], out), 0, "\"%s\" accepted", bad[i]);
    char longp[HTTPREQ_PATH_MAX + 8];
    longp[0] = '/';
    memset(longp + 1, 'a', HTTPREQ_PATH_MAX - 3);
    memcpy(longp + HTTPREQ_PATH_MAX - 2, ".js", 4);   /* 255 bytes after the '/' */
    cr_expect_eq(httpreq_static_path(longp, out), 0);
    memcpy(longp + HTTPREQ_PATH_MAX - 2, "a.js", 5);
    cr_expect_neq(httpreq_static_path(longp, out), 0, "256 bytes");
}

Test(httpreq, content_type_and_origin)
{
    cr_expect(httpreq_octet_stream("application/octet-stream"));
    cr_expect(httpreq_octet_stream("  Application/Octet-Stream ; charset=binary"));
    cr_expect(!httpreq_octet_stream(NULL));
    cr_expect(!httpreq_octet_stream("application/octet-streamx"));
    cr_expect(!httpreq_octet_stream("application/json"));
    cr_expect(!httpreq_octet_stream("text/plain; application/octet-stream"));
    static const char *const ok[] = { "http://127.0.0.1:8081", NULL, "https://v.example:443" };
    cr_expect(httpreq_origin_allowed("https://v.example:443", ok, 3));
    cr_expect(!httpreq_origin_allowed("https://v.example:443/", ok, 3));
    cr_expect(!httpreq_origin_allowed("http://127.0.0.1:8082", ok, 3));
    cr_expect(!httpreq_origin_allowed("null", ok, 3));
    cr_expect(!httpreq_origin_allowed(NULL, ok, 3));
}

Test(httpreq, body_is_bounded_and_an_error_is_json)
{
    uint8_t buf[8];
    httpreq_body b = { .buf = buf, .cap = sizeof buf };
    httpreq_body_reset(&b);
    cr_expect_eq(httpreq_body_add(&b, (const uint8_t *)"abcde", 5), 0);
    cr_expect_eq(httpreq_body_add(&b, (const uint8_t *)"fgh", 3), 0);
    cr_expect_eq(httpreq_body_add(&b, (const uint8_t *)"i", 1), ERR_RANGE);
    cr_expect(b.over && b.len == 8 && memcmp(buf, "abcdefgh", 8) == 0);
    httpreq_body_reset(&b);
    cr_expect(!b.over && b.len == 0);

    char out[HTTPREQ_ERROR_MAX];
    const char why[] = "a \"quoted\" \\ reason\n\xff";
    size_t n = httpreq_error_json(out, "refused", 6, why, sizeof why - 1);
    cr_assert_eq(strlen(out), n);
    json_error_t je;
    json_t *o = json_loads(out, 0, &je);
    cr_assert_not_null(o, "%s: %s", out, je.text);
    cr_expect_str_eq(json_string_value(json_object_get(o, "status")), "refused");
    cr_expect_eq(json_integer_value(json_object_get(o, "code")), 6);
    cr_expect_str_eq(json_string_value(json_object_get(o, "reason")), "a \"quoted\" \\ reason??");
    json_decref(o);
}
