/* cred: printable voter credentials and the key seeds they derive (see cred.h). */
#include "common/cred.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>
#include "common/fsutil.h"

static const char s_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int s_is_b32(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

/* The printed form: groups of four joined by '-' (easy to read aloud and to
 * copy from a letter; the dashes carry no information). */
static void s_print(char out[CRED_TEXT_LEN + 1], const char *code)
{
    size_t o = 0;
    for (size_t i = 0; i < CRED_CODE_CHARS; i++) {
        if (i && i % 4 == 0) out[o++] = '-';
        out[o++] = code[i];
    }
    out[o] = 0;
}

void cred_generate(char out[CRED_TEXT_LEN + 1])
{
    uint8_t rnd[CRED_RANDOM_BYTES];
    char code[CRED_CODE_CHARS + 1];
    randombytes_buf(rnd, sizeof rnd);
    /* RFC 4648 base32, most significant bit first: 15 bytes are exactly 24
     * characters, so there is no padding and every code is equally likely. */
    uint32_t acc = 0;
    int nbits = 0;
    size_t o = 0;
    for (size_t i = 0; i < sizeof rnd; i++) {
        acc = (acc << 8) | rnd[i];
        nbits += 8;
        while (nbits >= 5) {
            nbits -= 5;
            code[o++] = s_alphabet[(acc >> nbits) & 31];
        }
    }
    code[o] = 0;
    s_print(out, code);
    sodium_memzero(rnd, sizeof rnd);
    sodium_memzero(code, sizeof code);
    acc = 0;
}

int cred_normalize(char out[CRED_CODE_CHARS + 1], const char *in, char *err, size_t errlen)
{
    size_t o = 0;
    int rc = 0;
    for (size_t i = 0; in[i] && rc == 0; i++) {
        char c = in[i];
        if (c == '-' || c == ' ' || c == '\t') continue;
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        if (!s_is_b32(c)) {
            /* never echo the character: it is part of a secret */
            err_fmt(err, errlen, "credential: character %zu is not one of A-Z, 2-7 (or '-')",
                    i + 1);
            rc = ERR_PARSE;
        } else if (o == CRED_CODE_CHARS) {
            err_fmt(err, errlen, "credential: more than %d characters", CRED_CODE_CHARS);
            rc = ERR_PARSE;
        } else {
            out[o++] = c;
        }
    }
    if (rc == 0 && o != CRED_CODE_CHARS) {
        err_fmt(err, errlen, "credential: %zu characters, expected %d (letters A-Z and digits "
                "2-7, dashes optional)", o, CRED_CODE_CHARS);
        rc = ERR_PARSE;
    }
    if (rc) {
        sodium_memzero(out, CRED_CODE_CHARS + 1);
        return rc;
    }
    out[o] = 0;
    return 0;
}

int cred_seeds(uint8_t sign_seed[CRED_SEED_BYTES], uint8_t curve_seed[CRED_SEED_BYTES],
               const char *code)
{
    size_t len = strlen(code);
    int ok = len == CRED_CODE_CHARS;
    for (size_t i = 0; ok && i < len; i++) ok = s_is_b32(code[i]);
    if (!ok) return ERR_PARSE;
    /* two keyed hashes (domain separation by key) rather than one seed for
     * both pairs, so the Ed25519 and X25519 secrets are independent */
    crypto_generichash(sign_seed, CRED_SEED_BYTES, (const uint8_t *)code, len,
                       (const uint8_t *)CRED_SIGN_KEY, strlen(CRED_SIGN_KEY));
    crypto_generichash(curve_seed, CRED_SEED_BYTES, (const uint8_t *)code, len,
                       (const uint8_t *)CRED_CURVE_KEY, strlen(CRED_CURVE_KEY));
    return 0;
}

int cred_save(const char *path, const char *code, char *err, size_t errlen)
{
    char norm[CRED_CODE_CHARS + 1], text[CRED_TEXT_LEN + 1], buf[256];
    int rc = cred_normalize(norm, code, err, errlen);
    if (rc) return rc;
    s_print(text, norm);
    int len = snprintf(buf, sizeof buf,
                       "# mpc credential: secret, for its holder only (mode 0600)\n"
                       "credential %s\n", text);
    rc = fs_write_new(path, buf, (size_t)len, 0600);
    if (rc) {
        err_fmt(err, errlen, "cannot create credential file %s: %s%s", path, strerror(errno),
                errno == EEXIST ? " (refusing to overwrite)" : "");
        rc = ERR_IO;
    }
    sodium_memzero(norm, sizeof norm);
    sodium_memzero(text, sizeof text);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

/* Next line of text[*pos..len) without its newline and trailing blanks;
 * NULL at the end. */
static const char *s_line(const char *text, size_t len, size_t *pos, size_t *ll)
{
    if (*pos >= len) return NULL;
    const char *line = text + *pos;
    const char *nl = memchr(line, '\n', len - *pos);
    *ll = nl ? (size_t)(nl - line) : len - *pos;
    *pos += *ll + (nl ? 1 : 0);
    while (*ll > 0 && (line[*ll - 1] == '\r' || line[*ll - 1] == ' ' || line[*ll - 1] == '\t'))
        (*ll)--;
    return line;
}

int cred_from_text(char code[CRED_CODE_CHARS + 1], const char *text, size_t len,
                   const char *path, char *err, size_t errlen)
{
    size_t pos = 0, ll = 0;
    const char *line;
    char tmp[128], norm[CRED_CODE_CHARS + 1], why[160];
    while ((line = s_line(text, len, &pos, &ll)) && (ll == 0 || line[0] == '#')) {}
    if (!line) return 0;
    int word = ll >= 10 && memcmp(line, "credential", 10) == 0 &&
               (ll == 10 || line[10] == ' ' || line[10] == '\t');
    if (word) {
        line += 10;
        ll -= 10;
    }
    if (ll >= sizeof tmp) {
        if (!word) return 0;
        err_fmt(err, errlen, "%s: credential line too long", path);
        return ERR_PARSE;
    }
    memcpy(tmp, line, ll);
    tmp[ll] = 0;
    int rc = cred_normalize(norm, tmp, why, sizeof why);
    sodium_memzero(tmp, sizeof tmp);
    if (rc) {
        if (!word) return 0;          /* not a code: let the key file parser speak */
        err_fmt(err, errlen, "%s: %s", path, why);
        return ERR_PARSE;
    }
    while ((line = s_line(text, len, &pos, &ll)))
        if (ll && line[0] != '#') {
            sodium_memzero(norm, sizeof norm);
            err_fmt(err, errlen, "%s: a credential file holds one credential line and "
                    "comments only", path);
            return ERR_PARSE;
        }
    if (code) memcpy(code, norm, sizeof norm);
    sodium_memzero(norm, sizeof norm);
    return 1;
}
