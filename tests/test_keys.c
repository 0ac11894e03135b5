/* test_keys: key generation, hex, and the strict secret/public key files. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/keys.h"
#include "common/secmem.h"

static char s_dir[64];

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    snprintf(s_dir, sizeof s_dir, "/tmp/mpc-keys-XXXXXX");
    cr_assert_not_null(mkdtemp(s_dir));
}

static void s_teardown(void)
{
    DIR *d = opendir(s_dir);
    if (!d) return;
    struct dirent *e;
    char p[600];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", s_dir, e->d_name);
        (void)unlink(p);
    }
    closedir(d);
    (void)rmdir(s_dir);
}

TestSuite(keys, .init = s_setup, .fini = s_teardown, .timeout = 30);

static void s_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", s_dir, name);
}

static void s_write(const char *path, const char *text, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
}

static void s_hex(char *out, const uint8_t *b, size_t n)
{
    keys_hex_encode(out, b, n);
}

/* A well-formed secret key file text for k (optionally with fields replaced). */
static void s_secret_text(char *out, size_t len, const keys *k)
{
    char cpk[65], csk[65], spk[65], ssk[129];
    s_hex(cpk, keys_curve_pk(k), 32);
    s_hex(csk, keys_curve_sk(k), 32);
    s_hex(spk, keys_sign_pk(k), 32);
    s_hex(ssk, keys_sign_sk(k), 64);
    snprintf(out, len, "curve_pk %s\ncurve_sk %s\nsign_pk %s\nsign_sk %s\n", cpk, csk, spk, ssk);
}

Test(keys, generate_gives_matching_pairs)
{
    keys *a = keys_generate(), *b = keys_generate();
    uint8_t pk[32];
    cr_assert_eq(crypto_scalarmult_base(pk, keys_curve_sk(a)), 0);
    cr_assert_eq(memcmp(pk, keys_curve_pk(a), 32), 0);
    cr_assert_eq(crypto_sign_ed25519_sk_to_pk(pk, keys_sign_sk(a)), 0);
    cr_assert_eq(memcmp(pk, keys_sign_pk(a), 32), 0);
    uint8_t sig[crypto_sign_BYTES];
    const uint8_t msg[] = "statement";
    crypto_sign_detached(sig, NULL, msg, sizeof msg, keys_sign_sk(a));
    cr_assert_eq(crypto_sign_verify_detached(sig, msg, sizeof msg, keys_sign_pk(a)), 0);
    cr_assert_neq(crypto_sign_verify_detached(sig, msg, sizeof msg, keys_sign_pk(b)), 0);
    cr_assert_neq(memcmp(keys_curve_pk(a), keys_curve_pk(b), 32), 0);
    cr_assert_neq(memcmp(keys_sign_pk(a), keys_sign_pk(b), 32), 0);
    /* CURVE keys work as crypto_box keys both ways (what CurveZMQ uses). */
    uint8_t n[crypto_box_NONCEBYTES] = { 0 }, c[crypto_box_MACBYTES + 4], p[4];
    cr_assert_eq(crypto_box_easy(c, (const uint8_t *)"abcd", 4, n, keys_curve_pk(b),
                                 keys_curve_sk(a)), 0);
    cr_assert_eq(crypto_box_open_easy(p, c, sizeof c, n, keys_curve_pk(a), keys_curve_sk(b)), 0);
    cr_assert_eq(memcmp(p, "abcd", 4), 0);
    keys_free(&a);
    keys_free(&b);
    cr_assert_null(a);
    keys_free(&a);   /* NULL is fine */
}

Test(keys, hex_round_trip_any_case)
{
    for (int it = 0; it < 50; it++) {
        uint8_t in[64], out[64];
        randombytes_buf(in, sizeof in);
        size_t len = it % 2 ? 64 : 32;
        char hex[129];
        keys_hex_encode(hex, in, len);
        cr_assert_eq(strlen(hex), 2 * len);
        cr_assert_eq(keys_hex_decode(out, len, hex), 0);
        cr_assert_eq(memcmp(in, out, len), 0);
        for (char *c = hex; *c; c++)
            if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 'a' + 'A');
        memset(out, 0, sizeof out);
        cr_assert_eq(keys_hex_decode(out, len, hex), 0);
        cr_assert_eq(memcmp(in, out, len), 0);
    }
}

Test(keys, hex_decode_rejects_wrong_length_and_non_hex)
{
    uint8_t out[32];
    char good[65];
    memset(good, 'a', 64);
    good[64] = '\0';
    const char *bad[] = { "", "ab", "0x" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(keys_hex_decode(out, 32, bad[i]), ERR_PARSE, "case %zu", i);
    char buf[80];
    memcpy(buf, good, 65);
    buf[63] = '\0';   /* 63 digits */
    cr_assert_eq(keys_hex_decode(out, 32, buf), ERR_PARSE);
    snprintf(buf, sizeof buf, "%sa", good);   /* 65 digits */
    cr_assert_eq(keys_hex_decode(out, 32, buf), ERR_PARSE);
    snprintf(buf, sizeof buf, "%saa", good);  /* 66 digits: 33 bytes */
    cr_assert_eq(keys_hex_decode(out, 32, buf), ERR_PARSE);
    const char subs[] = { 'g', 'G', ' ', ':', '-', 'z' };
    for (size_t i = 0; i < sizeof subs; i++) {
        memcpy(buf, good, 65);
        buf[i * 7] = subs[i];
        memset(out, 0x55, sizeof out);
        cr_assert_eq(keys_hex_decode(out, 32, buf), ERR_PARSE, "char '%c'", subs[i]);
        for (size_t j = 0; j < sizeof out; j++) cr_assert_eq(out[j], 0);   /* wiped */
    }
    cr_assert_eq(keys_hex_decode(out, 32, good), 0);
    for (size_t j = 0; j < sizeof out; j++) cr_assert_eq(out[j], 0xaa);
}

Test(keys, save_load_round_trip_with_modes)
{
    keys *k = keys_generate();
    char sp[128], pp[128], err[256] = "";
    s_path(sp, sizeof sp, "s.key");
    s_path(pp, sizeof pp, "s.pub");
    cr_assert_eq(keys_save_secret(k, sp, err, sizeof err), 0, "%s", err);
    cr_assert_eq(keys_save_public(k, pp, err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(sp, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(stat(pp, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644);

    keys *l = NULL;
    cr_assert_eq(keys_load(&l, sp, err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp(keys_curve_pk(k), keys_curve_pk(l), 32), 0);
    cr_assert_eq(memcmp(keys_curve_sk(k), keys_curve_sk(l), 32), 0);
    cr_assert_eq(memcmp(keys_sign_pk(k), keys_sign_pk(l), 32), 0);
    cr_assert_eq(memcmp(keys_sign_sk(k), keys_sign_sk(l), 64), 0);

    uint8_t cpk[32], spk[32];
    cr_assert_eq(keys_load_public(cpk, spk, pp, err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp(cpk, keys_curve_pk(k), 32), 0);
    cr_assert_eq(memcmp(spk, keys_sign_pk(k), 32), 0);

    /* The public file carries no secret material. */
    FILE *f = fopen(pp, "r");
    char text[1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char csk[65];
    s_hex(csk, keys_curve_sk(k), 32);
    cr_assert_null(strstr(text, csk));
    cr_assert_null(strstr(text, "_sk"));
    keys_free(&k);
    keys_free(&l);
}

Test(keys, accepts_comments_blank_lines_and_crlf)
{
    keys *k = keys_generate();
    char body[600], text[800], p[128], err[256] = "";
    s_secret_text(body, sizeof body, k);
    /* Rebuild with CRLF endings, a comment, blank lines and trailing blanks. */
    size_t o = (size_t)snprintf(text, sizeof text, "# comment\n\n");
    for (const char *c = body; *c && o + 3 < sizeof text; c++) {
        if (*c == '\n') { text[o++] = ' '; text[o++] = '\r'; }
        text[o++] = *c;
    }
    text[o] = '\0';
    s_path(p, sizeof p, "crlf.key");
    s_write(p, text, strlen(text), 0600);
    keys *l = NULL;
    cr_assert_eq(keys_load(&l, p, err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp(keys_curve_sk(k), keys_curve_sk(l), 32), 0);
    keys_free(&k);
    keys_free(&l);
}

Test(keys, refuses_to_overwrite)
{
    keys *k = keys_generate(), *k2 = keys_generate();
    char sp[128], pp[128], err[256] = "";
    s_path(sp, sizeof sp, "o.key");
    s_path(pp, sizeof pp, "o.pub");
    cr_assert_eq(keys_save_secret(k, sp, err, sizeof err), 0);
    cr_assert_eq(keys_save_public(k, pp, err, sizeof err), 0);
    cr_assert_eq(keys_save_secret(k2, sp, err, sizeof err), ERR_IO);
    cr_assert_not_null(strstr(err, "overwrite"), "%s", err);
    cr_assert_eq(keys_save_public(k2, pp, err, sizeof err), ERR_IO);
    keys *l = NULL;
    cr_assert_eq(keys_load(&l, sp, err, sizeof err), 0, "%s", err);
    cr_assert_eq(memcmp(keys_curve_sk(l), keys_curve_sk(k), 32), 0);   /* untouched */
    keys_free(&l);
    keys_free(&k);
    keys_free(&k2);
}

Test(keys, files_get_exact_modes_and_no_temporary_is_left)
{
    keys *k = keys_generate();
    char sp[128], pp[128], lp[128], target[128], err[256] = "";
    s_path(sp, sizeof sp, "u.key");
    s_path(pp, sizeof pp, "u.pub");
    mode_t old = umask(077);   /* would make the public file 0600 */
    cr_assert_eq(keys_save_public(k, pp, err, sizeof err), 0, "%s", err);
    umask(0);                  /* would leave nothing to remove */
    cr_assert_eq(keys_save_secret(k, sp, err, sizeof err), 0, "%s", err);
    umask(old);
    struct stat st;
    cr_assert_eq(stat(pp, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0644);
    cr_assert_eq(stat(sp, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0600);
    cr_assert_eq(st.st_nlink, 1);   /* the temporary name is gone */
    /* A dangling symlink at the path counts as existing: nothing is created
     * through it. */
    s_path(lp, sizeof lp, "link.key");
    s_path(target, sizeof target, "target.key");
    cr_assert_eq(symlink(target, lp), 0);
    cr_assert_eq(keys_save_secret(k, lp, err, sizeof err), ERR_IO);
    cr_assert_not_null(strstr(err, "overwrite"), "%s", err);
    cr_assert_neq(lstat(target, &st), 0);
    DIR *d = opendir(s_dir);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        cr_assert_null(strstr(e->d_name, ".tmp"), "left behind: %s", e->d_name);
    closedir(d);
    keys_free(&k);
}

Test(keys, refuses_secret_file_readable_by_others)
{
    keys *k = keys_generate();
    char sp[128], err[256] = "";
    s_path(sp, sizeof sp, "m.key");
    cr_assert_eq(keys_save_secret(k, sp, err, sizeof err), 0);
    const mode_t modes[] = { 0644, 0640, 0604, 0660, 0602, 0610, 0601 };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        cr_assert_eq(chmod(sp, modes[i]), 0);
        keys *l = NULL;
        err[0] = '\0';
        cr_assert_eq(keys_load(&l, sp, err, sizeof err), ERR_REFUSED, "mode %o", modes[i]);
        cr_assert_null(l);
        cr_assert_not_null(strstr(err, "chmod 600"), "%s", err);
    }
    cr_assert_eq(chmod(sp, 0400), 0);
    keys *l = NULL;
    cr_assert_eq(keys_load(&l, sp, err, sizeof err), 0, "%s", err);
    keys_free(&l);
    keys_free(&k);
}

Test(keys, refuses_missing_file_directory_and_symlink)
{
    keys *l = NULL;
    char p[128], q[128], err[256] = "";
    s_path(p, sizeof p, "absent.key");
    cr_assert_eq(keys_load(&l, p, err, sizeof err), ERR_IO);
    cr_assert_not_null(strstr(err, "absent.key"));
    cr_assert_eq(chmod(s_dir, 0700), 0);
    cr_assert_eq(keys_load(&l, s_dir, err, sizeof err), ERR_REFUSED);
    keys *k = keys_generate();
    s_path(p, sizeof p, "real.key");
    s_path(q, sizeof q, "link.key");
    cr_assert_eq(keys_save_secret(k, p, err, sizeof err), 0);
    cr_assert_eq(symlink(p, q), 0);
    cr_assert_eq(keys_load(&l, q, err, sizeof err), ERR_IO);
    cr_assert_null(l);
    keys_free(&k);
}

Test(keys, rejects_malformed_files)
{
    keys *k = keys_generate();
    char good[600];
    s_secret_text(good, sizeof good, k);
    char cpk[65];
    s_hex(cpk, keys_curve_pk(k), 32);
    const char *line2 = strchr(good, '\n') + 1;   /* from curve_sk on */
    char cases[12][900];
    int nc = 0;
    snprintf(cases[nc++], 900, "%sbogus_key 00\n", good);                 /* unknown */
    snprintf(cases[nc++], 900, "%scurve_pk %s\n", good, cpk);              /* duplicate */
    snprintf(cases[nc++], 900, "%s", line2);                               /* missing */
    snprintf(cases[nc++], 900, "curve_pk %.62s\n%s", cpk, line2);          /* short hex */
    snprintf(cases[nc++], 900, "curve_pk %sff\n%s", cpk, line2);           /* long hex */
    snprintf(cases[nc++], 900, "curve_pk %.63sx\n%s", cpk, line2);         /* non-hex */
    snprintf(cases[nc++], 900, "curve_pk %s extra\n%s", cpk, line2);       /* extra */
    snprintf(cases[nc++], 900, "curve_pk\n%s", line2);                     /* no value */
    snprintf(cases[nc++], 900, "curve_pk=%s\n%s", cpk, line2);             /* no blank */
    snprintf(cases[nc++], 900, " curve_pk %s\n%s", cpk, line2);            /* indent */
    snprintf(cases[nc++], 900, "%s", "");                                  /* empty */
    char p[128], err[256];
    for (int i = 0; i < nc; i++) {
        snprintf(p, sizeof p, "%s/bad%d.key", s_dir, i);
        s_write(p, cases[i], strlen(cases[i]), 0600);
        keys *l = NULL;
        err[0] = '\0';
        cr_assert_eq(keys_load(&l, p, err, sizeof err), ERR_PARSE, "case %d: %s", i, err);
        cr_assert_null(l);
        cr_assert_neq(err[0], '\0');
    }
    /* NUL byte inside, and a file over the size limit. */
    char nul[700];
    size_t gl = strlen(good);
    memcpy(nul, good, gl);
    nul[10] = '\0';
    s_path(p, sizeof p, "nul.key");
    s_write(p, nul, gl, 0600);
    keys *l = NULL;
    cr_assert_eq(keys_load(&l, p, err, sizeof err), ERR_PARSE);
    char *big = malloc(KEYS_FILE_MAX + 100);
    memset(big, '#', KEYS_FILE_MAX + 100);
    big[KEYS_FILE_MAX + 99] = '\n';
    s_path(p, sizeof p, "big.key");
    s_write(p, big, KEYS_FILE_MAX + 100, 0600);
    free(big);
    cr_assert_eq(keys_load(&l, p, err, sizeof err), ERR_PARSE);
    cr_assert_not_null(strstr(err, "longer"), "%s", err);
    keys_free(&k);
}

Test(keys, rejects_mismatched_halves)
{
    keys *k = keys_generate(), *o = keys_generate();
    char a[65], b[65], c[65], d[129], text[600], p[128], err[256];
    keys *l = NULL;
    /* curve_pk of another key */
    s_hex(a, keys_curve_pk(o), 32);
    s_hex(b, keys_curve_sk(k), 32);
    s_hex(c, keys_sign_pk(k), 32);
    s_hex(d, keys_sign_sk(k), 64);
    snprintf(text, sizeof text, "curve_pk %s\ncurve_sk %s\nsign_pk %s\nsign_sk %s\n", a, b, c, d);
    s_path(p, sizeof p, "mm1.key");
    s_write(p, text, strlen(text), 0600);
    cr_assert_eq(keys_load(&l, p, err, sizeof err), ERR_CRYPTO);
    cr_assert_not_null(strstr(err, "curve_pk"), "%s", err);
    /* sign_pk of another key */
    s_hex(a, keys_curve_pk(k), 32);
    s_hex(c, keys_sign_pk(o), 32);
    snprintf(text, sizeof text, "curve_pk %s\ncurve_sk %s\nsign_pk %s\nsign_sk %s\n", a, b, c, d);
    s_path(p, sizeof p, "mm2.key");
    s_write(p, text, strlen(text), 0600);
    cr_assert_eq(keys_load(&l, p, err, sizeof err), ERR_CRYPTO);
    cr_assert_not_null(strstr(err, "sign_pk"), "%s", err);
    /* sign_sk = another seed || our pk: the embedded pk matches, the seed does not. */
    uint8_t forged[64];
    memcpy(forged, keys_sign_sk(o), 32);
    memcpy(forged + 32, keys_sign_pk(k), 32);
    s_hex(c, keys_sign_pk(k), 32);
    s_hex(d, forged, 64);
    snprintf(text, sizeof text, "curve_pk %s\ncurve_sk %s\nsign_pk %s\nsign_sk %s\n", a, b, c, d);
    s_path(p, sizeof p, "mm3.key");
    s_write(p, text, strlen(text), 0600);
    cr_assert_eq(keys_load(&l, p, err, sizeof err), ERR_CRYPTO);
    cr_assert_null(l);
    keys_free(&k);
    keys_free(&o);
}

Test(keys, public_file_refuses_secret_lines_and_missing_keys)
{
    keys *k = keys_generate();
    char sp[128], p[128], err[256] = "";
    s_path(sp, sizeof sp, "x.key");
    cr_assert_eq(keys_save_secret(k, sp, err, sizeof err), 0);
    uint8_t cpk[32], spk[32];
    cr_assert_eq(keys_load_public(cpk, spk, sp, err, sizeof err), ERR_PARSE);
    cr_assert_not_null(strstr(err, "public"), "%s", err);
    char a[65], text[200];
    s_hex(a, keys_curve_pk(k), 32);
    snprintf(text, sizeof text, "curve_pk %s\n", a);
    s_path(p, sizeof p, "half.pub");
    s_write(p, text, strlen(text), 0644);
    cr_assert_eq(keys_load_public(cpk, spk, p, err, sizeof err), ERR_PARSE);
    cr_assert_not_null(strstr(err, "missing sign_pk"), "%s", err);
    keys_free(&k);
}
