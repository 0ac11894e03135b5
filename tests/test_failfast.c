/* A server refuses to start, before any ballot and without making its data
 * directory, on a definition it cannot run (issue 14): a deadline in the past or
 * over a year ahead, a mesh endpoint that is a host name, a wildcard, an
 * address of another machine or a busy port, a data directory of another
 * session. Each: exit 1 and a message that says why. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/ports.h"
#include "tests/e2e.h"

static void s_init(void)
{
    e2e_setup();
}

TestSuite(failfast, .init = s_init, .fini = e2e_cleanup, .timeout = 60);

static const char *const s_roll[] = { "ana", "ben", NULL };

/* A copy of the session's definition with servers[0].key set to val (a JSON
 * value) or the top-level key when srv is 0. */
static void s_variant(const e2e_session *s, const char *out, int srv, const char *key, json_t *val)
{
    json_error_t je;
    json_t *d = json_load_file(s->defn, 0, &je);
    cr_assert_not_null(d, "%s", je.text);
    json_t *obj = srv ? json_array_get(json_object_get(d, "servers"), 0) : d;
    json_object_set_new(obj, key, val);
    cr_assert_eq(json_dump_file(d, out, JSON_INDENT(2)), 0);
    json_decref(d);
}

/* `auction server` as server 1 on defn with a fresh data directory: must exit
 * 1 naming why, leaving no data directory. */
static void s_refused(const e2e_session *s, const char *defn, const char *why)
{
    char key[E2E_PATH + 32], data[E2E_PATH + 32];
    snprintf(key, sizeof key, "%s/server1.key", s->dir);
    snprintf(data, sizeof data, "%s/fresh", s->dir);
    e2e_out r;
    e2e_app(&r, "auction", "server", "--defn", defn, "--keys", key, "--data", data, "--serve", "0",
            NULL);
    cr_expect_eq(r.status, 1, "refused with exit 1 (%s)", r.err);
    cr_expect(strstr(r.err, why) != NULL, "the message says \"%s\": %s", why, r.err);
    struct stat st;
    cr_expect_neq(stat(data, &st), 0, "no data directory made");
    e2e_out_free(&r);
}

Test(failfast, each_bad_definition_is_refused_at_start)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, "{\"price\": \"first\"}", 0);
    e2e_session_stop(&s, NULL);   /* only its files are needed */
    char p[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/variant.json", s.dir);

    s_variant(&s, p, 0, "deadline", json_integer((json_int_t)time(NULL) - 60));
    s_refused(&s, p, "deadline of this definition has passed");
    s_variant(&s, p, 0, "deadline", json_integer((json_int_t)time(NULL) + 400LL * 86400));
    s_refused(&s, p, "more than 366 days ahead");
    s_variant(&s, p, 1, "mesh", json_string("tcp://localhost:7001"));
    s_refused(&s, p, "not a numeric address");
    s_variant(&s, p, 1, "mesh", json_string("tcp://0.0.0.0:7001"));
    s_refused(&s, p, "wildcard address cannot be a mesh endpoint");
    s_variant(&s, p, 1, "mesh", json_string("tcp://192.0.2.77:7001"));   /* TEST-NET-1 */
    s_refused(&s, p, "not an address of this host");
    s_variant(&s, p, 1, "client", json_string("tcp://somehost.example:7101"));
    s_refused(&s, p, "not a numeric address");

    /* the mesh port held by another process */
    json_error_t je;
    json_t *d = json_load_file(s.defn, 0, &je);
    const char *mesh = json_string_value(json_object_get(json_array_get(json_object_get(d, "servers"), 0), "mesh"));
    char err[256];
    int fd = ports_reserve(mesh, 0, err, sizeof err);
    cr_assert_geq(fd, 0, "%s", err);
    s_refused(&s, s.defn, "the port is busy");
    ports_release(fd);
    json_decref(d);
}

Test(failfast, a_data_directory_of_another_session_is_refused)
{
    e2e_session s;
    e2e_session_start(&s, "auction", 3, 1, s_roll, NULL, "{\"price\": \"first\"}", 0);
    char p[E2E_PATH + 32], key[E2E_PATH + 32], data[E2E_PATH + 32];
    snprintf(p, sizeof p, "%s/d1/session", s.dir);
    for (int i = 0; i < 200 && access(p, F_OK) != 0; i++) usleep(50000);
    cr_assert_eq(access(p, F_OK), 0, "server 1 marked its data directory");
    e2e_session_stop(&s, NULL);
    snprintf(p, sizeof p, "%s/other.json", s.dir);
    s_variant(&s, p, 0, "id", json_string("another-election"));
    snprintf(key, sizeof key, "%s/server1.key", s.dir);
    snprintf(data, sizeof data, "%s/d1", s.dir);   /* made by the first session */
    e2e_out r;
    e2e_app(&r, "auction", "server", "--defn", p, "--keys", key, "--data", data, "--serve", "0",
            NULL);
    cr_expect_eq(r.status, 1, "%s", r.err);
    cr_expect(strstr(r.err, "session") != NULL, "the message names the session: %s", r.err);
    e2e_out_free(&r);
}
