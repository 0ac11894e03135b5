/* verify_impl: the arithmetic the multiplication check's levels share (verify.c, verify_fold.c):
 * sums of products in 256 bits reduced once, 64-bit coefficients, the fan-in 4 extension with small
 * integer coefficients for Mersenne primes. Internal to the check. */
#ifndef MPC_VERIFY_IMPL_H
#define MPC_VERIFY_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "common/prg.h"
#include "protocols/mpc.h"

#define VERIFY_DOMAIN 0x56460000u  /* "VF" */

/* 64-bit coefficients from the coin's stream. */
typedef struct coefs {
    prg g;
    uint64_t buf[512];
    size_t pos;
} coefs;

/* The fan-in 4 level without reductions in the extension: f(5), f(6), f(7) of the cubic through
 * f(1..4) have small integer coefficients (4 -6 4 -1; 10 -20 15 -4; 20 -45 36 -10 on f4 f3 f2 f1),
 * so with a Mersenne p below 2^120 each is one sum of shifted values and one reduction; sums of
 * products are accumulated in 256 bits and reduced once (s_mac, s_fold256). This is the bulk of
 * the check's work: every relation goes through it. */
static inline int s_fast4(const field *F)
{
    return F->mers && F->bits <= 120;
}

static inline fe s_red(const field *F, fe r)   /* r < 2^127, Mersenne p */
{
    r = (r & F->mask) + (r >> F->mers);
    return r >= F->p ? r - F->p : r;
}

/* Unreduced when p <= 2^100 (s_lazy): each value is its residue plus a multiple of p below 2^96,
 * and s_mac / s_fold256 accept factors that large. */
static inline int s_lazy(const field *F)
{
    return F->mers <= 100;
}

static inline void s_ext4(const field *F, fe a1, fe a2, fe a3, fe a4, fe *e5, fe *e6, fe *e7)
{
    fe p64 = F->p << 6;   /* 64 p > every negative part */
    fe r5 = (a4 << 2) + (a2 << 2) + p64 - ((a3 << 2) + (a3 << 1) + a1);
    fe r6 = 10 * a4 + 15 * a2 + p64 - (20 * a3 + (a1 << 2));
    fe r7 = 20 * a4 + 36 * a2 + p64 - (45 * a3 + 10 * a1);
    if (s_lazy(F)) {
        *e5 = r5;
        *e6 = r6;
        *e7 = r7;
        return;
    }
    *e5 = s_red(F, r5);
    *e6 = s_red(F, r6);
    *e7 = s_red(F, r7);
}

typedef struct u256 {
    fe lo, hi;
} u256;

/* A += a * b (a, b < p), no reduction. */
static inline void s_mac(u256 *A, fe a, fe b)
{
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    fe p00 = (fe)a0 * b0, p01 = (fe)a0 * b1, p10 = (fe)a1 * b0, p11 = (fe)a1 * b1;
    fe mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    fe lo = (uint64_t)p00 | (mid << 64);
    fe hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    A->lo += lo;
    A->hi += hi + (A->lo < lo);
}

/* A mod p for a Mersenne p = 2^m - 1, m <= 120, A a sum of at most 1024 products
 * (A < 2^(2m+10)). */
static inline fe s_fold256(const field *F, u256 A)
{
    int m = F->mers;
    fe r = (A.lo & F->mask) + ((A.hi << (128 - m)) | (A.lo >> m));
    r = (r & F->mask) + (r >> m);
    return r >= F->p ? r - F->p : r;
}

#define S_BATCH 1024   /* products per u256 accumulator before it is reduced */

/* A += x * th for a 64-bit th: two partial products instead of four. */
static inline void s_mac64(u256 *A, fe x, uint64_t th)
{
    fe p0 = (fe)(uint64_t)x * th, p1 = (fe)(uint64_t)(x >> 64) * th;   /* x th = p0 + p1 2^64 */
    fe lo = p0 + (p1 << 64), hi = (p1 >> 64) + (lo < p0);
    A->lo += lo;
    A->hi += hi + (A->lo < lo);
}

static inline fe s_mul64(const field *F, fe x, uint64_t th)
{
    u256 A = { 0, 0 };
    s_mac64(&A, x, th);
    return s_fold256(F, A);
}

/* x th (x < p) partly reduced when lazy: one fold, x th mod 2^m + (x th >> m) < 2^m + 2^64 < 2p (m
 * >= 80); fully reduced otherwise. */
static inline fe s_mul64p(const field *F, fe x, uint64_t th, int lazy)
{
    if (!lazy) return s_mul64(F, x, th);
    fe p0 = (fe)(uint64_t)x * th, p1 = (fe)(uint64_t)(x >> 64) * th;   /* x th = p0 + p1 2^64 */
    fe lo = p0 + (p1 << 64), hi = (p1 >> 64) + (lo < p0);
    int m = F->mers;
    return (lo & F->mask) + ((hi << (128 - m)) | (lo >> m));
}

/* The first level for one run of elementwise relations x_i y_i = z_i (verify_fold.c): local shares
 * of H(1..4) (degree t, Hz) and of the products H(5..7) (degree 2t, H2), x, y, z read only. */
void verify_elem4(const field *F, const fe *x, const fe *y, const fe *z, size_t L,
                  const uint8_t seed[32], fe Hz[4], fe H2[3]);
/* Its fold at beta (outside 1..7): x[l] = a_l f_l(beta), y[l] = g_l(beta), in place. */
void verify_elem4_fold(const field *F, fe *x, fe *y, size_t L, fe beta, const uint8_t seed[32]);

/* Z = h(beta) from h at the points 1..P (verify.c); tmp: 2P elements. */
int verify_eval(const field *F, fe *out, const fe *h, size_t P, fe beta, fe *tmp);
/* A public point outside 1..P from a fresh coin (verify.c). */
int verify_beta(mpc *M, size_t P, fe *beta);


#endif
