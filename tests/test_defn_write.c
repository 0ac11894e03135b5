/* test_defn_write: the definition writer: round trip through the loader, the
 * same bytes (session id) from defn_format and defn_write, refusal of specs the
 * loader would refuse, atomic replacement of an existing file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <jansson.h>
#include "common/defn.h"
#include "common/secmem.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(defn_write, .init = s_setup, .timeout = 30);

Test(defn_write, writer_round_trip)
{
    defn_server servers[5];
    defn_voter roll[7];
    char mesh[5][32], client[5][32], names[7][16];
    memset(servers, 0, sizeof servers);
    for (int i = 0; i < 5; i++) {
        servers[i].index = i + 1;
        snprintf(mesh[i], sizeof mesh[i], "tcp://127.0.0.1:%d", 9000 + i);
        snprintf(client[i], sizeof client[i], "ipc:///tmp/c%d", i);
        servers[i].mesh = mesh[i];
        servers[i].client = client[i];
        randombytes_buf(servers[i].curve_pk, 32);
        randombytes_buf(servers[i].sign_pk, 32);
    }
    for (int i = 0; i < 7; i++) {
        snprintf(names[i], sizeof names[i], "voter %d", i);
        roll[i].name = names[i];
        randombytes_buf(roll[i].curve_pk, 32);
        randombytes_buf(roll[i].sign_pk, 32);
    }
    defn_spec spec = {
        .id = "board-2025", .kind = DEFN_VOTE, .t = 2, .bits = 16, .kappa = 40,
        .prime = "2^107-1", .deadline = 1750000000, .timeout_ms = 2500, .n = 5,
        .servers = servers, .roll_size = 7, .roll = roll,
        .rules_json = "{\"ballot\":\"plurality\",\"options\":[\"a\",\"b\"]}",
    };
    char dir[] = "/tmp/defnw_XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/def.json", dir);
    char err[256] = "";
    cr_assert_eq(defn_write(path, &spec, err, sizeof err), 0, "%s", err);
    defn *d = NULL;
    cr_assert_eq(defn_load(&d, path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(defn_id(d), "board-2025");
    cr_assert_eq(defn_kind(d), DEFN_VOTE);
    cr_assert_eq(defn_n(d), 5);
    cr_assert_eq(defn_t(d), 2);
    cr_assert_eq(defn_bits(d), 16);
    cr_assert_eq(defn_field(d)->mers, 107);
    cr_assert_eq(defn_deadline(d), 1750000000);
    cr_assert_eq(defn_timeout_ms(d), 2500);
    for (int i = 0; i < 5; i++) {
        const defn_server *s = defn_server_at(d, i + 1);
        cr_assert_str_eq(s->mesh, mesh[i]);
        cr_assert_str_eq(s->client, client[i]);
        cr_assert_eq(memcmp(s->curve_pk, servers[i].curve_pk, 32), 0);
        cr_assert_eq(memcmp(s->sign_pk, servers[i].sign_pk, 32), 0);
    }
    for (int i = 0; i < 7; i++) {
        cr_assert_str_eq(defn_roll_at(d, (size_t)i)->name, names[i]);
        cr_assert_eq(defn_roll_find(d, roll[i].curve_pk), i);
    }
    const char *s;
    cr_assert_eq(defn_rule_str(d, "ballot", "", &s, err, sizeof err), 0);
    cr_assert_str_eq(s, "plurality");

    /* defn_format gives the same bytes, hence the same session id. */
    char *txt;
    size_t len;
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), 0, "%s", err);
    uint8_t sid[32];
    crypto_generichash(sid, 32, (const uint8_t *)txt, len, NULL, 0);
    cr_assert_eq(memcmp(sid, defn_sid(d), 32), 0);
    cr_assert_eq(txt[len - 1], '\n');
    free(txt);
    defn_free(&d);
    unlink(path);
    rmdir(dir);
}

Test(defn_write, writer_refuses_invalid_spec)
{
    defn_server servers[3];
    defn_voter roll[1] = { { .name = "solo" } };
    memset(servers, 0, sizeof servers);
    randombytes_buf(roll[0].curve_pk, 32);
    randombytes_buf(roll[0].sign_pk, 32);
    for (int i = 0; i < 3; i++) {
        servers[i].index = i + 1;
        servers[i].mesh = i == 0 ? "tcp://a:1" : i == 1 ? "tcp://b:1" : "tcp://c:1";
        servers[i].client = i == 0 ? "tcp://a:2" : i == 1 ? "tcp://b:2" : "tcp://c:2";
        randombytes_buf(servers[i].curve_pk, 32);
        randombytes_buf(servers[i].sign_pk, 32);
    }
    defn_spec spec = {
        .id = "x", .kind = DEFN_AUCTION, .t = 1, .bits = 32, .kappa = 40, .deadline = 1,
        .n = 3, .servers = servers, .roll_size = 1, .roll = roll, .rules_json = NULL,
    };
    char *txt;
    size_t len;
    char err[256] = "";
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), 0, "%s", err);
    free(txt);

    spec.t = 2;
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "t: 2t < n") != NULL, "%s", err);
    cr_assert_null(txt);
    spec.t = 1;
    spec.rules_json = "{\"a\":1,\"a\":2}";
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "rules:") != NULL, "%s", err);
    spec.rules_json = "[1]";
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), ERR_PARSE);
    spec.rules_json = NULL;
    json_t *arr = json_array();
    spec.rules = arr;
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), ERR_PARSE);
    cr_assert_str_eq(err, "rules: expected an object");
    json_t *obj = json_pack("{s:s, s:i}", "price", "first", "reserve", 5);
    spec.rules = obj;
    spec.rules_json = "{\"ignored\":true}";
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), 0, "%s", err);
    defn *d = NULL;
    cr_assert_eq(defn_parse(&d, (const uint8_t *)txt, len, err, sizeof err), 0, "%s", err);
    int64_t reserve;
    cr_assert_eq(defn_rule_int(d, "reserve", 0, 0, 100, &reserve, err, sizeof err), 0);
    cr_assert_eq(reserve, 5);
    cr_assert_null(json_object_get(defn_rules(d), "ignored"));
    defn_free(&d);
    free(txt);
    json_decref(arr);
    json_decref(obj);
    spec.rules = NULL;
    spec.rules_json = NULL;
    spec.kind = 7;
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), ERR_ARG);
    spec.kind = DEFN_AUCTION;
    spec.id = NULL;
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), ERR_ARG);
    cr_assert(strstr(err, "id:") != NULL, "%s", err);
    spec.id = "x";
    spec.roll_size = 0;
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "roll:") != NULL, "%s", err);
    spec.roll_size = 1;
    cr_assert_eq(defn_write("/nonexistent-dir/def.json", &spec, err, sizeof err), ERR_IO);
}

/* A small valid spec: 3 servers, one voter, fresh keys in the caller's arrays. */
static defn_spec s_spec(defn_server servers[3], defn_voter roll[1])
{
    static const char *const mesh[3] = { "tcp://a:1", "tcp://b:1", "tcp://c:1" };
    static const char *const client[3] = { "tcp://a:2", "tcp://b:2", "tcp://c:2" };
    for (int i = 0; i < 3; i++) {
        servers[i] = (defn_server){ .index = i + 1, .mesh = mesh[i], .client = client[i] };
        randombytes_buf(servers[i].curve_pk, 32);
        randombytes_buf(servers[i].sign_pk, 32);
    }
    roll[0] = (defn_voter){ .name = "solo" };
    randombytes_buf(roll[0].curve_pk, 32);
    randombytes_buf(roll[0].sign_pk, 32);
    return (defn_spec){ .id = "first", .kind = DEFN_AUCTION, .t = 1, .bits = 32, .kappa = 40,
                        .deadline = 1, .n = 3, .servers = servers, .roll_size = 1,
                        .roll = roll };
}

Test(defn_write, replaces_an_existing_file_and_leaves_no_temporary)
{
    defn_server servers[3];
    defn_voter roll[1];
    defn_spec spec = s_spec(servers, roll);
    char dir[] = "/tmp/defnw_XXXXXX", path[64], tmp[80], err[256] = "";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/def.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");   /* a temporary left by a crash */
    cr_assert_not_null(f);
    fputs("{ torn", f);
    fclose(f);
    cr_assert_eq(defn_write(path, &spec, err, sizeof err), 0, "%s", err);
    spec.id = "second";
    cr_assert_eq(defn_write(path, &spec, err, sizeof err), 0, "%s", err);
    defn *d = NULL;
    cr_assert_eq(defn_load(&d, path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(defn_id(d), "second");
    defn_free(&d);
    struct stat st;
    cr_assert_neq(stat(tmp, &st), 0, "temporary file left behind");
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISREG(st.st_mode));
    unlink(path);
    cr_assert_eq(rmdir(dir), 0, "directory not empty");
}

Test(defn_write, names_the_file_and_the_reason_when_it_cannot_write)
{
    defn_server servers[3];
    defn_voter roll[1];
    defn_spec spec = s_spec(servers, roll);
    char err[256] = "";
    cr_assert_eq(defn_write("/nonexistent-dir/def.json", &spec, err, sizeof err), ERR_IO);
    cr_assert_not_null(strstr(err, "/nonexistent-dir/def.json: No such file or directory"),
                       "%s", err);
}
