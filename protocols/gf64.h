/* gf64: arithmetic in GF(2^64) = GF(2)[X]/(X^64 + X^4 + X^3 + X + 1), the
 * extension field the binary domain's relations are verified in
 * (gf2_verify.h): GF(2^4) (gf2.h) is its subfield through gf64_embed, so a
 * GF(2^4) Shamir sharing is also a GF(2^64) sharing at the embedded points, and
 * a check over GF(2^64) errs with probability about 2^-64 per level instead
 * of 1/16.
 *
 * Products use the carry-less multiply instruction when the CPU has it (one
 * 64x64 -> 128 product, reduced by shifts), else a portable 4-bit window; both
 * give the same results (tests/test_gf2_verify.c). Unreduced 128-bit products add
 * by XOR, so sums of products are reduced once (gf64_mac). */
#ifndef MPC_GF64_H
#define MPC_GF64_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GF64_HAVE_CLMUL 1
#endif

/* A 128-bit carry-less product or sum of them, not yet reduced. */
typedef struct gf64_wide {
    uint64_t lo, hi;
} gf64_wide;

/* Reduce: X^64 = X^4 + X^3 + X + 1, the high word folded in twice (the first
 * fold carries at most 4 bits past bit 63). */
static inline uint64_t gf64_reduce(gf64_wide w)
{
    uint64_t hi = w.hi, c = (hi >> 63) ^ (hi >> 61) ^ (hi >> 60);
    hi ^= c;
    return w.lo ^ hi ^ (hi << 1) ^ (hi << 3) ^ (hi << 4);
}

/* The carry-less 64x64 -> 128 product, inline for hot loops: portable (4-bit
 * windows of b over a's 16 multiples), and by PCLMULQDQ, which only code
 * compiled for that target may call (gf64_hw says whether the CPU has it). */
static inline gf64_wide gf64_clmul_soft(uint64_t a, uint64_t b)
{
    uint64_t tl[16], th[16];
    tl[0] = th[0] = 0;
    for (int i = 1; i < 16; i++) {
        if (i & 1) {
            tl[i] = tl[i - 1] ^ a;
            th[i] = th[i - 1];
        } else {
            tl[i] = tl[i / 2] << 1;
            th[i] = th[i / 2] << 1 | tl[i / 2] >> 63;
        }
    }
    gf64_wide r = { 0, 0 };
    for (int s = 60; s >= 0; s -= 4) {
        r.hi = r.hi << 4 | r.lo >> 60;
        r.lo <<= 4;
        unsigned k = (unsigned)(b >> s) & 15u;
        r.lo ^= tl[k];
        r.hi ^= th[k];
    }
    return r;
}

#ifdef GF64_HAVE_CLMUL
/* The attribute (not a pragma: clang builds the fuzzers) lets only callers of
 * the same target inline it. */
#define GF64_TARGET_CLMUL __attribute__((target("pclmul,sse2")))
GF64_TARGET_CLMUL static inline gf64_wide gf64_clmul_hw(uint64_t a, uint64_t b)
{
    __m128i p = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a),
                                     _mm_cvtsi64_si128((long long)b), 0);
    gf64_wide r = { (uint64_t)_mm_cvtsi128_si64(p),
                    (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(p, p)) };
    return r;
}
#endif

/* 1 when the products use PCLMULQDQ (after gf64_init). */
int gf64_hw(void);

/* The root of x^4 + x + 1 that gf64_embed maps x to. */
#define GF64_OMEGA 0xa181e7d66f5ff794ull

/* Select the product implementation once (idempotent, thread-safe: every
 * caller ends with the same choice). Called by gf64_mul's users' entry points. */
void gf64_init(void);

/* a * b reduced. */
uint64_t gf64_mul(uint64_t a, uint64_t b);
/* acc += a * b, unreduced; gf64_reduce(acc) reduces. */
void gf64_mac(gf64_wide *acc, uint64_t a, uint64_t b);
/* n products a[i] * b[i] into out (out may alias a or b). */
void gf64_mul_vec(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n);
/* a^-1 (0 -> 0), by a^(2^64 - 2). */
uint64_t gf64_inv(uint64_t a);

/* The subfield: the image of a GF(2^4) element (0..15) of gf2.h; a ring
 * homomorphism (tests/test_gf2_verify.c). */
uint64_t gf64_embed(uint8_t a);

#endif
