/* field: the prime field F_p, p < 2^127, elements as fixed-width 128-bit words.
 *
 * Why not mpz_t per element: the engine multiplies millions of elements per second
 * and an mpz costs an allocation and a call per operation. Elements are unsigned
 * 128-bit integers in [0, p); Mersenne primes (the defaults 2^89-1, 2^107-1,
 * 2^127-1, docs/design.md section 3) reduce with a shift and an add, any other prime
 * reduces through GMP's mpn layer. Primes are parsed and checked with mpz. */
#ifndef MPC_FIELD_H
#define MPC_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include <gmp.h>
#include "common/err.h"

typedef unsigned __int128 fe;

struct prg;

typedef struct field {
    fe p;            /* the prime */
    fe mask;         /* 2^mers - 1 when Mersenne */
    int mers;        /* m when p = 2^m - 1, else 0 */
    int bits;        /* bit length of p */
    size_t bytes;    /* wire width of one element: ceil(bits / 8) */
    mp_limb_t pl[2]; /* p as limbs, for the general path */
} field;

#define FIELD_MAX_BITS 127

/* Smallest default Mersenne prime with p > 2^(k + kappa + 2): 2^89-1, 2^107-1,
 * 2^127-1. Returns 0, or ERR_RANGE when k + kappa + 2 >= 127. */
int field_init_default(field *F, int k, int kappa) MPC_WUR;
/* Any prime 3 <= p < 2^127 given as an mpz; ERR_RANGE if too large, ERR_ARG if
 * not (probably) prime. */
int field_init_mpz(field *F, const mpz_t p) MPC_WUR;
/* Same from a decimal string or "2^m-1". */
int field_init_str(field *F, const char *s) MPC_WUR;

fe field_mul_slow(const field *F, fe a, fe b);

static inline fe fe_add(const field *F, fe a, fe b)
{
    fe r = a + b;             /* p < 2^127: no overflow */
    return r >= F->p ? r - F->p : r;
}

static inline fe fe_sub(const field *F, fe a, fe b)
{
    return a >= b ? a - b : a + F->p - b;
}

static inline fe fe_neg(const field *F, fe a)
{
    return a ? F->p - a : 0;
}

static inline fe fe_mul(const field *F, fe a, fe b)
{
    if (!F->mers) return field_mul_slow(F, a, b);
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
    uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    fe p00 = (fe)a0 * b0, p01 = (fe)a0 * b1, p10 = (fe)a1 * b0, p11 = (fe)a1 * b1;
    fe mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    fe lo = (uint64_t)p00 | (mid << 64);
    fe hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    int m = F->mers;
    /* x = hi*2^128 + lo < 2^(2m); x mod (2^m - 1) = (x mod 2^m) + (x >> m) */
    fe r = (lo & F->mask) + ((hi << (128 - m)) | (lo >> m));
    return r >= F->p ? r - F->p : r;
}

/* a^e mod p (e public). */
fe fe_pow(const field *F, fe a, fe e);
/* Inverse of a public non-zero element; 0 maps to 0. */
fe fe_inv(const field *F, fe a);
/* Signed integer into the field (negative values map to p - |v|). */
fe fe_from_i64(const field *F, int64_t v);
void fe_to_mpz(mpz_t out, fe a);
/* ERR_RANGE if x is negative or >= p. */
int fe_from_mpz(const field *F, fe *out, const mpz_t x) MPC_WUR;
/* Centered lift: a in (p/2, p) reads as a - p. Fails (ERR_RANGE) outside int64. */
int fe_to_i64(const field *F, fe a, int64_t *out) MPC_WUR;

/* Vector operations; out may alias inputs. */
void field_vec_add(const field *F, fe *out, const fe *a, const fe *b, size_t n);
void field_vec_sub(const field *F, fe *out, const fe *a, const fe *b, size_t n);
void field_vec_mul(const field *F, fe *out, const fe *a, const fe *b, size_t n);
void field_vec_scale(const field *F, fe *out, fe c, const fe *a, size_t n);
/* In-place inverses of n public non-zero elements with one inversion
 * (Montgomery's trick); scratch holds n elements. ERR_RANGE if one is zero. */
int field_vec_inv(const field *F, fe *a, fe *scratch, size_t n) MPC_WUR;

/* Uniform elements by rejection sampling (secret): libsodium bytes directly for
 * small requests, above 1 KiB a ChaCha20 stream keyed by a fresh 256-bit
 * libsodium seed. */
void field_rand(const field *F, fe *out, size_t n);
/* Uniform elements from a keyed ChaCha20 stream, by rejection sampling (secret):
 * F->bytes little-endian stream bytes per candidate, masked to bits(p). The same
 * stream and n give the same output on every party; split requests consume the
 * stream exactly like one request. */
void field_rand_prg(const field *F, struct prg *g, fe *out, size_t n);

/* Fixed-width big-endian: n elements into n * F->bytes bytes. */
void field_encode(const field *F, uint8_t *out, const fe *v, size_t n);
/* Decode exactly n elements; ERR_PARSE if len != n * bytes, ERR_RANGE if a value
 * is >= p. out is untouched past the first bad element. */
int field_decode(const field *F, fe *out, size_t n, const uint8_t *in, size_t len) MPC_WUR;

#endif
