/* test_cred: voter credentials: the documented derivation against independent
 * known-answer vectors (tests/vectors/credentials.tsv), normalization, the
 * credential file accepted by keys_load in place of a key file, and the
 * definition roll whose entries carry no CURVE key (what a credential roll
 * gives). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/cred.h"
#include "common/defn.h"
#include "common/keys.h"
#include "common/secmem.h"

static char s_dir[64];

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    snprintf(s_dir, sizeof s_dir, "/tmp/mpc-cred-XXXXXX");
    cr_assert_not_null(mkdtemp(s_dir));
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", s_dir);
}

TestSuite(cred, .init = s_setup, .fini = s_teardown, .timeout = 30);

static void s_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", s_dir, name);
}

/* The vector file from the repo root or beside $MPC_BUILD (<repo>/build/...). */
static FILE *s_vectors(void)
{
    static const char *const rel[] = { "tests/vectors/credentials.tsv",
                                       "../tests/vectors/credentials.tsv" };
    for (size_t i = 0; i < 2; i++) {
        FILE *f = fopen(rel[i], "r");
        if (f) return f;
    }
    const char *build = getenv("MPC_BUILD");
    static const char *const up[] = { "/../tests/vectors/credentials.tsv",
                                      "/../../tests/vectors/credentials.tsv",
                                      "/../../../tests/vectors/credentials.tsv" };
    for (size_t i = 0; build && i < 3; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s%s", build, up[i]);
        FILE *f = fopen(p, "r");
        if (f) return f;
    }
    cr_assert_fail("tests/vectors/credentials.tsv not found");
    return NULL;
}

static void s_hex_eq(const uint8_t *got, const char *want, const char *what, const char *code)
{
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, got, 32);
    cr_assert_str_eq(hex, want, "%s of \"%s\"", what, code);
}

Test(cred, derivation_matches_known_answer_vectors)
{
    FILE *f = s_vectors();
    char line[1024];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *col[5], *save = NULL;
        line[strcspn(line, "\n")] = 0;
        int nc = 0;
        for (char *t = strtok_r(line, "\t", &save); t && nc < 5; t = strtok_r(NULL, "\t", &save))
            col[nc++] = t;
        cr_assert_eq(nc, 5, "malformed vector row");
        char norm[CRED_CODE_CHARS + 1], err[128];
        uint8_t ss[32], cs[32];
        cr_assert_eq(cred_normalize(norm, col[0], err, sizeof err), 0, "%s", err);
        cr_assert_eq(cred_seeds(ss, cs, norm), 0);
        s_hex_eq(ss, col[1], "sign_seed", col[0]);
        s_hex_eq(cs, col[3], "curve_seed", col[0]);
        keys *k = NULL;
        cr_assert_eq(keys_from_credential(&k, col[0], err, sizeof err), 0, "%s", err);
        s_hex_eq(keys_sign_pk(k), col[2], "sign_pk", col[0]);
        s_hex_eq(keys_curve_pk(k), col[4], "curve_pk", col[0]);
        keys_free(&k);
        rows++;
    }
    fclose(f);
    cr_assert_geq(rows, 3);
}

Test(cred, generated_codes_are_printable_distinct_and_normalize)
{
    char a[CRED_TEXT_LEN + 1], b[CRED_TEXT_LEN + 1], norm[CRED_CODE_CHARS + 1];
    cred_generate(a);
    cred_generate(b);
    cr_assert_eq(strlen(a), CRED_TEXT_LEN);
    for (int i = 0; i < CRED_TEXT_LEN; i++)
        if (i % 5 == 4) cr_assert_eq(a[i], '-', "dash at %d in %s", i, a);
        else cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", a[i]), "%s", a);
    cr_assert_str_neq(a, b);
    cr_assert_eq(cred_normalize(norm, a, NULL, 0), 0);
    cr_assert_eq(strlen(norm), CRED_CODE_CHARS);
}

Test(cred, normalize_refuses_bad_codes_without_echoing_them)
{
    static const char *const bad[] = {
        "JBSW-Y3DP-EHPK-3PXP-ABCD-234",       /* 23 characters */
        "JBSW-Y3DP-EHPK-3PXP-ABCD-23456",     /* 25 */
        "JBSW-Y3DP-EHPK-3PXP-ABCD-2341",      /* '1' is not base32 */
        "JBSW_Y3DP_EHPK_3PXP_ABCD_2345",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char norm[CRED_CODE_CHARS + 1], err[160] = "";
        cr_assert_eq(cred_normalize(norm, bad[i], err, sizeof err), ERR_PARSE, "%s", bad[i]);
        cr_assert(strstr(err, "credential:"), "%s", err);
        cr_assert_null(strstr(err, "JBSW"), "the message echoes the code: %s", err);
    }
    uint8_t ss[32], cs[32];
    cr_assert_eq(cred_seeds(ss, cs, "jbswy3dpehpk3pxpabcd2345"), ERR_PARSE, "not normalized");
}

Test(cred, keys_load_accepts_a_credential_file)
{
    char path[128], err[256];
    s_path(path, sizeof path, "alice.cred");
    cr_assert_eq(cred_save(path, "jbsw-y3dp-ehpk-3pxp-abcd-2345", err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    keys *k = NULL, *ref = NULL;
    cr_assert_eq(keys_load(&k, path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(keys_from_credential(&ref, "JBSWY3DPEHPK3PXPABCD2345", err, sizeof err), 0);
    s_hex_eq(keys_sign_pk(k), "26a52e061c95e5aa5538ba03c44b55922f1b0dc6467826c9b2c101a190615c0a",
             "sign_pk", path);
    cr_assert_eq(memcmp(keys_curve_pk(k), keys_curve_pk(ref), 32), 0);
    cr_assert_eq(memcmp(keys_sign_sk(k), keys_sign_sk(ref), 64), 0);
    cr_assert_eq(memcmp(keys_curve_sk(k), keys_curve_sk(ref), 32), 0);
    keys_free(&k);
    keys_free(&ref);
    cr_assert_neq(cred_save(path, "JBSWY3DPEHPK3PXPABCD2345", err, sizeof err), 0);
    cr_assert(strstr(err, "refusing to overwrite"), "%s", err);
}

static void s_write(const char *path, const char *text, int mode)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    cr_assert_eq(chmod(path, (mode_t)mode), 0);
}

Test(cred, keys_load_accepts_a_bare_code_typed_by_hand)
{
    char path[128], err[256];
    s_path(path, sizeof path, "typed");
    s_write(path, "# from the letter\n  jbsw y3dp ehpk 3pxp abcd 2345\r\n\n", 0600);
    keys *k = NULL;
    cr_assert_eq(keys_load(&k, path, err, sizeof err), 0, "%s", err);
    s_hex_eq(keys_sign_pk(k), "26a52e061c95e5aa5538ba03c44b55922f1b0dc6467826c9b2c101a190615c0a",
             "sign_pk", path);
    keys_free(&k);
}

Test(cred, keys_load_refuses_bad_credential_files)
{
    static const struct { const char *text; int mode, rc; const char *says; } cases[] = {
        { "credential JBSW-Y3DP-EHPK-3PXP-ABCD-2345\n", 0644, ERR_REFUSED, "mode 0644" },
        { "credential JBSW-Y3DP-EHPK-3PXP-ABCD\n", 0600, ERR_PARSE, "20 characters, expected 24" },
        { "credential JBSW-Y3DP-EHPK-3PXP-ABCD-2345\ncredential AAAAAAAAAAAAAAAAAAAAAAAA\n",
          0600, ERR_PARSE, "one credential line" },
        { "credential JBSW-Y3DP-EHPK-3PXP-ABCD-2345\nsign_pk 00\n", 0600, ERR_PARSE,
          "one credential line" },
        { "credential\n", 0600, ERR_PARSE, "0 characters" },
        { "JBSW-Y3DP-EHPK-3PXP-ABCD-23\n", 0600, ERR_PARSE, "unknown line" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[128], name[16], err[256] = "";
        snprintf(name, sizeof name, "bad%zu", i);
        s_path(path, sizeof path, name);
        s_write(path, cases[i].text, cases[i].mode);
        keys *k = NULL;
        cr_assert_eq(keys_load(&k, path, err, sizeof err), cases[i].rc, "case %zu: %s", i, err);
        cr_assert_null(k);
        cr_assert(strstr(err, cases[i].says), "case %zu: \"%s\" lacks \"%s\"", i, err,
                  cases[i].says);
        cr_assert(strstr(err, path), "case %zu: the message names the file: %s", i, err);
    }
}

/* A roll entry may omit its CURVE key: the writer leaves out an all-zero one,
 * the loader accepts its absence, CURVE lookups never find it, Ed25519 ones do. */
Test(cred, roll_entries_without_curve_key_round_trip)
{
    defn_server sv[3];
    defn_voter roll[3];
    char mesh[3][32], cli[3][32];
    memset(sv, 0, sizeof sv);
    memset(roll, 0, sizeof roll);
    for (int i = 0; i < 3; i++) {
        sv[i].index = i + 1;
        snprintf(mesh[i], 32, "tcp://127.0.0.1:%d", 7001 + i);
        snprintf(cli[i], 32, "tcp://127.0.0.1:%d", 7101 + i);
        sv[i].mesh = mesh[i];
        sv[i].client = cli[i];
        randombytes_buf(sv[i].curve_pk, 32);
        randombytes_buf(sv[i].sign_pk, 32);
        randombytes_buf(roll[i].sign_pk, 32);
    }
    roll[0].name = "alice";
    roll[1].name = "bob";
    roll[2].name = "carol";
    randombytes_buf(roll[1].curve_pk, 32);     /* only bob has one */
    defn_spec spec = { .id = "cred-roll", .kind = DEFN_VOTE, .t = 1, .bits = 32, .kappa = 40,
                       .deadline = 2000000000, .n = 3, .servers = sv, .roll_size = 3,
                       .roll = roll };
    char *txt, err[256];
    size_t len;
    cr_assert_eq(defn_format(&txt, &len, &spec, err, sizeof err), 0, "%s", err);
    json_t *root = json_loads(txt, 0, NULL);
    json_t *jr = json_object_get(root, "roll");
    cr_assert_null(json_object_get(json_array_get(jr, 0), "curve_pk"));
    cr_assert_not_null(json_object_get(json_array_get(jr, 1), "curve_pk"));
    json_decref(root);
    defn *d = NULL;
    cr_assert_eq(defn_parse(&d, (const uint8_t *)txt, len, err, sizeof err), 0, "%s", err);
    static const uint8_t zero[32];
    cr_assert_eq(defn_roll_find(d, zero), -1);
    cr_assert_eq(defn_roll_find(d, roll[1].curve_pk), 1);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(defn_roll_find_sign(d, roll[i].sign_pk), i);
        cr_assert_eq(memcmp(defn_roll_at(d, (size_t)i)->curve_pk, i == 1 ? roll[1].curve_pk : zero,
                            32), 0);
    }
    defn_free(&d);
    free(txt);
}
