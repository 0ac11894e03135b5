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

/* A 128-bit carry-less product or sum of them, not yet reduced. */
typedef struct gf64_wide {
    uint64_t lo, hi;
} gf64_wide;

/* The root of x^4 + x + 1 that gf64_embed maps x to. */
#define GF64_OMEGA 0xa181e7d66f5ff794ull

/* Select the product implementation once (idempotent, thread-safe: every
 * caller ends with the same choice). Called by gf64_mul's users' entry points. */
void gf64_init(void);

/* a * b reduced. */
uint64_t gf64_mul(uint64_t a, uint64_t b);
/* acc += a * b, unreduced; gf64_reduce(acc) reduces. */
void gf64_mac(gf64_wide *acc, uint64_t a, uint64_t b);
uint64_t gf64_reduce(gf64_wide w);
/* n products a[i] * b[i] into out (out may alias a or b). */
void gf64_mul_vec(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n);
/* a^-1 (0 -> 0), by a^(2^64 - 2). */
uint64_t gf64_inv(uint64_t a);

/* The subfield: the image of a GF(2^4) element (0..15) of gf2.h; a ring
 * homomorphism (tests/test_gf2_verify.c). */
uint64_t gf64_embed(uint8_t a);

#endif
