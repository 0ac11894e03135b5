/* field: F_p arithmetic, sampling and fixed-width encoding. */
#include "common/field.h"

#include <string.h>
#include <stdlib.h>
#include <sodium.h>
#include "common/bytes.h"
#include "common/prg.h"

_Static_assert(GMP_NUMB_BITS == 64, "field.c assumes 64-bit GMP limbs");

static int s_bits(fe x)
{
    int b = 0;
    while (x) { b++; x >>= 1; }
    return b;
}

static void s_setup(field *F, fe p)
{
    memset(F, 0, sizeof *F);
    F->p = p;
    F->bits = s_bits(p);
    F->bytes = (size_t)(F->bits + 7) / 8;
    F->pl[0] = (mp_limb_t)(uint64_t)p;
    F->pl[1] = (mp_limb_t)(uint64_t)(p >> 64);
    if (((p + 1) & p) == 0) {   /* p + 1 is a power of two */
        F->mers = F->bits;
        F->mask = p;
    }
}

int field_init_default(field *F, int k, int kappa)
{
    static const int ms[] = { 89, 107, 127 };
    if (k < 1 || kappa < 0) return ERR_ARG;
    if (k > FIELD_MAX_BITS || kappa > FIELD_MAX_BITS) return ERR_RANGE;   /* no int overflow below */
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        if (k + kappa + 2 < ms[i]) {
            s_setup(F, (((fe)1) << ms[i]) - 1);
            return 0;
        }
    }
    return ERR_RANGE;
}

int field_init_mpz(field *F, const mpz_t p)
{
    if (mpz_sgn(p) <= 0 || mpz_cmp_ui(p, 3) < 0) return ERR_ARG;
    if (mpz_sizeinbase(p, 2) > FIELD_MAX_BITS) return ERR_RANGE;
    if (mpz_probab_prime_p(p, 40) == 0) return ERR_ARG;
    fe v = 0;
    if (fe_from_mpz(&(field){ .p = ~(fe)0 }, &v, p) != 0) return ERR_RANGE;
    s_setup(F, v);
    return 0;
}

/* 1 if s is a non-empty run of decimal digits and nothing else. */
static int s_digits(const char *s, size_t len)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int field_init_str(field *F, const char *s)
{
    if (!s) return ERR_ARG;
    size_t len = strlen(s);
    mpz_t p;
    int rc;
    mpz_init(p);
    if (len > 4 && s[0] == '2' && s[1] == '^' && strcmp(s + len - 2, "-1") == 0 &&
        s_digits(s + 2, len - 4)) {
        /* "2^m-1" */
        unsigned long m = 0;
        for (size_t i = 2; i < len - 2 && m <= FIELD_MAX_BITS; i++) m = m * 10 + (unsigned long)(s[i] - '0');
        if (m < 2) {
            rc = ERR_ARG;
        } else if (m > FIELD_MAX_BITS) {
            rc = ERR_RANGE;   /* refused before building a huge number */
        } else {
            mpz_ui_pow_ui(p, 2, m);
            mpz_sub_ui(p, p, 1);
            rc = field_init_mpz(F, p);
        }
    } else if (s_digits(s, len) && mpz_set_str(p, s, 10) == 0) {
        rc = field_init_mpz(F, p);
    } else {
        rc = ERR_PARSE;
    }
    mpz_clear(p);
    return rc;
}

fe field_mul_slow(const field *F, fe a, fe b)
{
    mp_limb_t al[2] = { (mp_limb_t)(uint64_t)a, (mp_limb_t)(uint64_t)(a >> 64) };
    mp_limb_t bl[2] = { (mp_limb_t)(uint64_t)b, (mp_limb_t)(uint64_t)(b >> 64) };
    mp_limb_t prod[4], q[4], r[2];
    mpn_mul_n(prod, al, bl, 2);
    if (F->pl[1]) {
        mpn_tdiv_qr(q, r, 0, prod, 4, F->pl, 2);
    } else {
        r[1] = 0;
        mp_size_t pn = 4;
        while (pn > 1 && prod[pn - 1] == 0) pn--;
        mpn_tdiv_qr(q, r, 0, prod, pn, F->pl, 1);
    }
    return ((fe)r[1] << 64) | r[0];
}

fe fe_pow(const field *F, fe a, fe e)
{
    fe r = 1 % F->p;
    while (e) {
        if (e & 1) r = fe_mul(F, r, a);
        a = fe_mul(F, a, a);
        e >>= 1;
    }
    return r;
}

fe fe_inv(const field *F, fe a)
{
    /* Fermat: public values only, so timing does not matter */
    return a ? fe_pow(F, a, F->p - 2) : 0;
}

fe fe_from_i64(const field *F, int64_t v)
{
    if (v >= 0) return (fe)(uint64_t)v % F->p;
    fe m = ((fe)(uint64_t)(-(v + 1)) + 1) % F->p;
    return fe_neg(F, m);
}

void fe_to_mpz(mpz_t out, fe a)
{
    mpz_set_ui(out, (unsigned long)(uint64_t)(a >> 64));
    mpz_mul_2exp(out, out, 64);
    mpz_add_ui(out, out, (unsigned long)(uint64_t)a);
}

int fe_from_mpz(const field *F, fe *out, const mpz_t x)
{
    if (mpz_sgn(x) < 0 || mpz_sizeinbase(x, 2) > 128) return ERR_RANGE;
    fe v = 0;
    size_t n = mpz_size(x);
    for (size_t i = n; i-- > 0;) v = (v << 64) | (uint64_t)mpz_getlimbn(x, (mp_size_t)i);
    if (v >= F->p) return ERR_RANGE;
    *out = v;
    return 0;
}

int fe_to_i64(const field *F, fe a, int64_t *out)
{
    if (a <= F->p / 2) {
        if (a > (fe)INT64_MAX) return ERR_RANGE;
        *out = (int64_t)a;
    } else {
        fe m = F->p - a;
        if (m > (fe)INT64_MAX + 1) return ERR_RANGE;
        *out = -(int64_t)(m - 1) - 1;   /* INT64_MIN included, no overflow */
    }
    return 0;
}

void field_vec_add(const field *F, fe *out, const fe *a, const fe *b, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = fe_add(F, a[i], b[i]);
}

void field_vec_sub(const field *F, fe *out, const fe *a, const fe *b, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = fe_sub(F, a[i], b[i]);
}

void field_vec_mul(const field *F, fe *out, const fe *a, const fe *b, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = fe_mul(F, a[i], b[i]);
}

void field_vec_scale(const field *F, fe *out, fe c, const fe *a, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = fe_mul(F, c, a[i]);
}

int field_vec_inv(const field *F, fe *a, fe *scratch, size_t n)
{
    if (n == 0) return 0;
    fe acc = 1;
    for (size_t i = 0; i < n; i++) {
        if (a[i] == 0) return ERR_RANGE;
        scratch[i] = acc;             /* product of a[0..i-1] */
        acc = fe_mul(F, acc, a[i]);
    }
    fe inv = fe_inv(F, acc);
    for (size_t i = n; i-- > 0;) {
        fe ai = a[i];
        a[i] = fe_mul(F, inv, scratch[i]);
        inv = fe_mul(F, inv, ai);
    }
    return 0;
}

static inline uint64_t s_load_le64(const uint8_t *b)
{
    uint64_t x;
    memcpy(&x, b, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* Candidate from F->bytes little-endian bytes, masked to bits(p): accepted with
 * probability p / 2^bits(p) >= 1/2, so the output is exactly uniform. */
static inline fe s_candidate(const field *F, const uint8_t *b, uint8_t tmp[16])
{
    memcpy(tmp, b, F->bytes);   /* tmp[bytes..15] stay 0; the caller wipes tmp */
    fe v = ((fe)s_load_le64(tmp + 8) << 64) | s_load_le64(tmp);
    return v & ((((fe)1) << F->bits) - 1);   /* bits <= 127 */
}

/* Requests above this many bytes expand a fresh 256-bit libsodium seed with
 * ChaCha20 instead of asking the kernel for every byte. */
#define FIELD_RAND_DIRECT 1024
#define FIELD_RAND_DOMAIN 0x46524e44u   /* "FRND" */

void field_rand(const field *F, fe *out, size_t n)
{
    size_t per = F->bytes;
    if (n > FIELD_RAND_DIRECT / per) {
        uint8_t seed[PRG_KEYBYTES];
        prg g;
        randombytes_buf(seed, sizeof seed);
        prg_init(&g, seed, FIELD_RAND_DOMAIN, 0);
        sodium_memzero(seed, sizeof seed);
        field_rand_prg(F, &g, out, n);
        prg_wipe(&g);
        return;
    }
    uint8_t buf[FIELD_RAND_DIRECT], tmp[16] = { 0 };
    size_t cap = sizeof buf / per * per, fill = 0, pos = 0;
    for (size_t i = 0; i < n;) {
        if (pos == fill) {
            /* draw only what the remaining elements need (rejections refill) */
            fill = (n - i) < cap / per ? (n - i) * per : cap;
            randombytes_buf(buf, fill);
            pos = 0;
        }
        fe v = s_candidate(F, buf + pos, tmp);
        pos += per;
        if (v < F->p) out[i++] = v;
    }
    sodium_memzero(buf, sizeof buf);
    sodium_memzero(tmp, sizeof tmp);
}

void field_rand_prg(const field *F, prg *g, fe *out, size_t n)
{
    uint8_t tmp[16] = { 0 };
    for (size_t i = 0; i < n;) {
        fe v = s_candidate(F, prg_next(g, F->bytes), tmp);
        if (v < F->p) out[i++] = v;
    }
    sodium_memzero(tmp, sizeof tmp);
}

void field_encode(const field *F, uint8_t *out, const fe *v, size_t n)
{
    size_t w = F->bytes;
    uint8_t tmp[16];
    for (size_t i = 0; i < n; i++) {
        be_put64(tmp, (uint64_t)(v[i] >> 64));
        be_put64(tmp + 8, (uint64_t)v[i]);
        memcpy(out + i * w, tmp + 16 - w, w);
    }
    sodium_memzero(tmp, sizeof tmp);
}

int field_decode(const field *F, fe *out, size_t n, const uint8_t *in, size_t len)
{
    size_t w = F->bytes;
    if (n != 0 && len / n != w) return ERR_PARSE;
    if (len != n * w) return ERR_PARSE;
    uint8_t tmp[16] = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(tmp + 16 - w, in + i * w, w);
        fe x = ((fe)be_get64(tmp) << 64) | be_get64(tmp + 8);
        if (x >= F->p) {
            rc = ERR_RANGE;
            break;
        }
        out[i] = x;
    }
    sodium_memzero(tmp, sizeof tmp);
    return rc;
}
