/* keys: key pairs in sodium_malloc'd memory, hex, and strict key files. */
#include "common/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/cred.h"
#include "common/fsutil.h"
#include "common/xalloc.h"

struct keys {
    uint8_t curve_pk[KEYS_CURVE_BYTES];
    uint8_t sign_pk[KEYS_SIGN_PK_BYTES];
    uint8_t *curve_sk;   /* sodium_malloc, KEYS_CURVE_BYTES (secret) */
    uint8_t *sign_sk;    /* sodium_malloc, KEYS_SIGN_SK_BYTES (secret) */
};

/* One line of a key file: name, byte length, whether it is secret. */
enum { K_CURVE_PK, K_CURVE_SK, K_SIGN_PK, K_SIGN_SK, K_COUNT };
static const struct { const char *name; size_t len; int secret; } s_lines[K_COUNT] = {
    [K_CURVE_PK] = { "curve_pk", KEYS_CURVE_BYTES, 0 },
    [K_CURVE_SK] = { "curve_sk", KEYS_CURVE_BYTES, 1 },
    [K_SIGN_PK]  = { "sign_pk", KEYS_SIGN_PK_BYTES, 0 },
    [K_SIGN_SK]  = { "sign_sk", KEYS_SIGN_SK_BYTES, 1 },
};

static void *s_secure_alloc(size_t len)
{
    void *p = sodium_malloc(len);
    if (!p) abort();   /* out of memory aborts (STYLE.md) */
    return p;
}

static keys *s_keys_alloc(void)
{
    keys *k = xcalloc(1, sizeof *k);
    k->curve_sk = s_secure_alloc(KEYS_CURVE_BYTES);
    k->sign_sk = s_secure_alloc(KEYS_SIGN_SK_BYTES);
    return k;
}

keys *keys_generate(void)
{
    keys *k = s_keys_alloc();
    crypto_box_keypair(k->curve_pk, k->curve_sk);
    crypto_sign_keypair(k->sign_pk, k->sign_sk);
    return k;
}

void keys_free(keys **pp)
{
    if (!pp || !*pp) return;
    keys *k = *pp;
    sodium_free(k->curve_sk);   /* sodium_free wipes before freeing */
    sodium_free(k->sign_sk);
    sodium_memzero(k, sizeof *k);
    free(k);
    *pp = NULL;
}

const uint8_t *keys_curve_pk(const keys *k) { return k->curve_pk; }
const uint8_t *keys_curve_sk(const keys *k) { return k->curve_sk; }
const uint8_t *keys_sign_pk(const keys *k) { return k->sign_pk; }
const uint8_t *keys_sign_sk(const keys *k) { return k->sign_sk; }

void keys_hex_encode(char *out, const uint8_t *in, size_t len)
{
    sodium_bin2hex(out, 2 * len + 1, in, len);
}

static int s_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Decode exactly 2*len hex digits from hex[0..hexlen). */
static int s_hex_decode_n(uint8_t *out, size_t len, const char *hex, size_t hexlen)
{
    size_t got = 0;
    int ok = hexlen == 2 * len;
    for (size_t i = 0; ok && i < hexlen; i++) ok = s_is_hex(hex[i]);
    if (ok) ok = sodium_hex2bin(out, len, hex, hexlen, NULL, &got, NULL) == 0 && got == len;
    if (!ok) {
        sodium_memzero(out, len);
        return ERR_PARSE;
    }
    return 0;
}

int keys_hex_decode(uint8_t *out, size_t len, const char *hex)
{
    return s_hex_decode_n(out, len, hex, strlen(hex));
}

/* ---- writing ---------------------------------------------------------------- */

/* Append "name hex\n" for key i to buf (capacity cap) at *pos. */
static void s_put_line(char *buf, size_t cap, size_t *pos, int i, const uint8_t *key)
{
    size_t nlen = strlen(s_lines[i].name), hlen = 2 * s_lines[i].len;
    if (*pos + nlen + 1 + hlen + 1 >= cap) abort();   /* fixed sizes: cannot happen */
    memcpy(buf + *pos, s_lines[i].name, nlen);
    buf[*pos + nlen] = ' ';
    keys_hex_encode(buf + *pos + nlen + 1, key, s_lines[i].len);
    *pos += nlen + 1 + hlen;
    buf[(*pos)++] = '\n';
}

/* Create the key file atomically (a crash leaves no partial key file) and
 * never over an existing one. */
static int s_write_file(const char *path, int mode, const char *buf, size_t len,
                        char *err, size_t errlen)
{
    if (fs_write_new(path, buf, len, mode) == 0) return 0;
    if (errno == EEXIST)
        err_fmt(err, errlen, "cannot create key file %s: %s (refusing to overwrite)", path,
                strerror(errno));
    else
        err_fmt(err, errlen, "cannot write key file %s: %s", path, strerror(errno));
    return ERR_IO;
}

int keys_save_secret(const keys *k, const char *path, char *err, size_t errlen)
{
    if (!k || !path) return ERR_ARG;
    const size_t cap = 512;
    char *buf = s_secure_alloc(cap);
    size_t pos = 0;
    static const char head[] = "# mpc secret key file: keep private (mode 0600)\n";
    memcpy(buf, head, sizeof head - 1);
    pos = sizeof head - 1;
    s_put_line(buf, cap, &pos, K_CURVE_PK, k->curve_pk);
    s_put_line(buf, cap, &pos, K_CURVE_SK, k->curve_sk);
    s_put_line(buf, cap, &pos, K_SIGN_PK, k->sign_pk);
    s_put_line(buf, cap, &pos, K_SIGN_SK, k->sign_sk);
    int rc = s_write_file(path, 0600, buf, pos, err, errlen);
    sodium_free(buf);
    return rc;
}

int keys_save_public(const keys *k, const char *path, char *err, size_t errlen)
{
    if (!k || !path) return ERR_ARG;
    char buf[256];
    static const char head[] = "# mpc public key file\n";
    memcpy(buf, head, sizeof head - 1);
    size_t pos = sizeof head - 1;
    s_put_line(buf, sizeof buf, &pos, K_CURVE_PK, k->curve_pk);
    s_put_line(buf, sizeof buf, &pos, K_SIGN_PK, k->sign_pk);
    return s_write_file(path, 0644, buf, pos, err, errlen);
}

/* ---- reading ---------------------------------------------------------------- */

/* Read the whole file into a sodium_malloc'd buffer of KEYS_FILE_MAX + 1 bytes
 * (NUL-terminated); *out is set only on success. secret: enforce mode & 077 == 0. */
static int s_read_file(const char *path, int secret, char **out, size_t *outlen,
                       char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        err_fmt(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        err_fmt(err, errlen, "cannot stat key file %s: %s", path, strerror(errno));
        close(fd);
        return ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        err_fmt(err, errlen, "key file %s is not a regular file", path);
        close(fd);
        return ERR_REFUSED;
    }
    if (secret && (st.st_mode & 077)) {
        err_fmt(err, errlen, "secret key file %s has mode %04o: group/others may access "
                "it; refusing to use it (run: chmod 600 %s)", path,
                (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return ERR_REFUSED;
    }
    char *buf = s_secure_alloc(KEYS_FILE_MAX + 1);
    size_t len = 0;
    int rc = 0;
    for (;;) {
        if (len > KEYS_FILE_MAX) {
            err_fmt(err, errlen, "key file %s is longer than %d bytes", path, KEYS_FILE_MAX);
            rc = ERR_PARSE;
            break;
        }
        ssize_t r = read(fd, buf + len, KEYS_FILE_MAX + 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            err_fmt(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
            rc = ERR_IO;
            break;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (rc != 0) {
        sodium_free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

/* Parse key lines into dst[i] (each s_lines[i].len bytes; dst[i] NULL means the
 * line is not allowed in this kind of file). All lines with a non-NULL dst are
 * required exactly once. */
static int s_parse(const char *buf, size_t len, uint8_t *dst[K_COUNT], const char *path,
                   char *err, size_t errlen)
{
    int seen[K_COUNT] = { 0 };
    size_t pos = 0;
    int lineno = 0;
    if (memchr(buf, '\0', len)) {
        err_fmt(err, errlen, "%s: NUL byte in key file", path);
        return ERR_PARSE;
    }
    while (pos < len) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        lineno++;
        while (ll > 0 && (line[ll - 1] == '\r' || line[ll - 1] == ' ' || line[ll - 1] == '\t'))
            ll--;
        if (ll == 0 || line[0] == '#') continue;
        size_t nlen = 0;
        while (nlen < ll && line[nlen] != ' ' && line[nlen] != '\t') nlen++;
        size_t v = nlen;
        while (v < ll && (line[v] == ' ' || line[v] == '\t')) v++;
        int which = -1;
        for (int i = 0; i < K_COUNT; i++)
            if (strlen(s_lines[i].name) == nlen && memcmp(line, s_lines[i].name, nlen) == 0)
                which = i;
        if (which < 0) {
            err_fmt(err, errlen, "%s:%d: unknown line (expected curve_pk, curve_sk, "
                    "sign_pk or sign_sk)", path, lineno);
            return ERR_PARSE;
        }
        if (!dst[which]) {
            err_fmt(err, errlen, "%s:%d: %s must not appear in a %s key file", path, lineno,
                    s_lines[which].name, s_lines[which].secret ? "public" : "secret");
            return ERR_PARSE;
        }
        if (seen[which]) {
            err_fmt(err, errlen, "%s:%d: duplicate %s", path, lineno, s_lines[which].name);
            return ERR_PARSE;
        }
        if (s_hex_decode_n(dst[which], s_lines[which].len, line + v, ll - v) != 0) {
            err_fmt(err, errlen, "%s:%d: %s must be exactly %zu hex digits", path, lineno,
                    s_lines[which].name, 2 * s_lines[which].len);
            return ERR_PARSE;
        }
        seen[which] = 1;
    }
    for (int i = 0; i < K_COUNT; i++) {
        if (dst[i] && !seen[i]) {
            err_fmt(err, errlen, "%s: missing %s", path, s_lines[i].name);
            return ERR_PARSE;
        }
    }
    return 0;
}

/* Both key pairs of a normalized credential code (cred.h, docs/credentials.md). */
static keys *s_from_code(const char *code)
{
    uint8_t sign_seed[CRED_SEED_BYTES], curve_seed[CRED_SEED_BYTES];
    if (cred_seeds(sign_seed, curve_seed, code) != 0) return NULL;
    keys *k = s_keys_alloc();
    crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, sign_seed);
    crypto_box_seed_keypair(k->curve_pk, k->curve_sk, curve_seed);
    sodium_memzero(sign_seed, sizeof sign_seed);
    sodium_memzero(curve_seed, sizeof curve_seed);
    return k;
}

int keys_from_credential(keys **out, const char *code, char *err, size_t errlen)
{
    if (!out || !code) return ERR_ARG;
    *out = NULL;
    char norm[CRED_CODE_CHARS + 1];
    int rc = cred_normalize(norm, code, err, errlen);
    if (rc == 0) *out = s_from_code(norm);
    sodium_memzero(norm, sizeof norm);
    return rc;
}

int keys_load(keys **out, const char *path, char *err, size_t errlen)
{
    if (!out || !path) return ERR_ARG;
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = s_read_file(path, 1, &buf, &len, err, errlen);
    if (rc != 0) return rc;
    char code[CRED_CODE_CHARS + 1];
    rc = cred_from_text(code, buf, len, path, err, errlen);
    if (rc != 0) {
        /* a credential file: the code alone gives both key pairs */
        sodium_free(buf);
        if (rc == 1) *out = s_from_code(code);
        sodium_memzero(code, sizeof code);
        return rc == 1 ? 0 : rc;
    }
    keys *k = s_keys_alloc();
    uint8_t *dst[K_COUNT] = {
        [K_CURVE_PK] = k->curve_pk, [K_CURVE_SK] = k->curve_sk,
        [K_SIGN_PK] = k->sign_pk, [K_SIGN_SK] = k->sign_sk,
    };
    rc = s_parse(buf, len, dst, path, err, errlen);
    sodium_free(buf);
    if (rc == 0) {
        uint8_t pk[32];
        if (crypto_scalarmult_base(pk, k->curve_sk) != 0
            || sodium_memcmp(pk, k->curve_pk, sizeof pk) != 0) {
            err_fmt(err, errlen, "%s: curve_pk does not match curve_sk", path);
            rc = ERR_CRYPTO;
        } else if (crypto_sign_ed25519_sk_to_pk(pk, k->sign_sk) != 0
                   || sodium_memcmp(pk, k->sign_pk, sizeof pk) != 0) {
            err_fmt(err, errlen, "%s: sign_pk does not match sign_sk", path);
            rc = ERR_CRYPTO;
        } else {
            /* libsodium's sk is seed || pk: the seed must really derive that pk. */
            uint8_t seed[crypto_sign_SEEDBYTES], spk[crypto_sign_PUBLICKEYBYTES];
            uint8_t *ssk = s_secure_alloc(crypto_sign_SECRETKEYBYTES);
            memcpy(seed, k->sign_sk, sizeof seed);
            crypto_sign_seed_keypair(spk, ssk, seed);
            if (sodium_memcmp(spk, k->sign_pk, sizeof spk) != 0) {
                err_fmt(err, errlen, "%s: sign_sk seed does not derive sign_pk", path);
                rc = ERR_CRYPTO;
            }
            sodium_memzero(seed, sizeof seed);
            sodium_free(ssk);
        }
        sodium_memzero(pk, sizeof pk);
    }
    if (rc != 0) keys_free(&k);
    *out = k;
    return rc;
}

int keys_load_public(uint8_t curve_pk[KEYS_CURVE_BYTES], uint8_t sign_pk[KEYS_SIGN_PK_BYTES],
                     const char *path, char *err, size_t errlen)
{
    if (!curve_pk || !sign_pk || !path) return ERR_ARG;
    char *buf = NULL;
    size_t len = 0;
    int rc = s_read_file(path, 0, &buf, &len, err, errlen);
    if (rc != 0) return rc;
    uint8_t cpk[KEYS_CURVE_BYTES], spk[KEYS_SIGN_PK_BYTES];
    uint8_t *dst[K_COUNT] = { [K_CURVE_PK] = cpk, [K_SIGN_PK] = spk };
    rc = s_parse(buf, len, dst, path, err, errlen);
    sodium_free(buf);
    if (rc == 0) {
        memcpy(curve_pk, cpk, sizeof cpk);
        memcpy(sign_pk, spk, sizeof spk);
    }
    return rc;
}
