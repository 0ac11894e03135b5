/* gf2: the binary domain (issue 16, first part): Shamir sharing of bits over
 * GF(2^4) = GF(2)[x]/(x^4 + x + 1), bit-sliced. A shared vector of 64*nw
 * bits is 4*nw words: plane p (the coefficient of x^p of every share) at
 * [p*nw, (p+1)*nw), bit b of word w is element 64*w + b. One AND gate on 64
 * elements is a few dozen word operations instead of 64 field products, and
 * a share costs 4 bits instead of a 12-byte F_p element.
 *
 * Party i's evaluation point is the field element i (1..15, so n <= 15; the
 * engine allows n <= 9). XOR and NOT are local; AND is one round of GRR
 * degree reduction among the live servers (mpc_live), exactly as mul.c over
 * F_p: the first 2t+1 live servers reshare lambda_i * x_i y_i at degree t.
 *
 * Security: under MPC_MALICIOUS every AND gate is logged and gf2_open verifies
 * the log first (gf2_verify.h, docs/protocols.md "Binary domain:
 * verification"): security with abort against t cheating servers. */
#ifndef MPC_GF2_H
#define MPC_GF2_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "protocols/mpc.h"

#define GF2_PLANES 4
#define GF2_MAX_PARTIES 15

/* Words per plane for len elements. */
static inline size_t gf2_words(size_t len)
{
    return (len + 63) / 64;
}

/* Multiply two GF(16) elements (0..15), and a bit-sliced vector by a public
 * constant c: out = c * x (nw words per plane; out may alias x). */
uint8_t gf16_mul(uint8_t a, uint8_t b);
uint8_t gf16_inv(uint8_t a);
void gf2_scale(uint64_t *out, uint8_t c, const uint64_t *x, size_t nw);
/* Lagrange weights at the point `at` over the distinct points pts[0..np)
 * (party indices, or 0): out[a] = prod_{b != a} (at - pts[b]) / (pts[a] - pts[b]). */
void gf2_lagrange(uint8_t *out, const int *pts, int np, int at);

/* f_T(me) = prod_{j in T} (j - me) / j over GF(16) for a PRSS group T
 * (bitmask, prss.h): 0 when me is in T. */
uint8_t gf2_prss_weight(unsigned T, int n, int me);

/* Words on the wire: little-endian, 8 bytes each. */
void gf2_put_words(uint8_t *b, const uint64_t *w, size_t n);
void gf2_get_words(uint64_t *w, const uint8_t *b, size_t n);
/* Receive L words of (peer j, type, step) into w, or XOR them in when acc;
 * tmp (L words) is scratch and may be w when !acc. ERR_PROTO on a wrong
 * length; else errors as mpc_round. */
int gf2_recv_words(mpc *M, int j, uint8_t type, uint64_t step, uint64_t *w, size_t L, int acc,
                   uint64_t *tmp) MPC_WUR;

/* Dealer side (clients, tests): share the bit vector bits (nw words, one bit
 * per element) at degree t among n parties (n <= GF2_MAX_PARTIES):
 * shares[i] (4*nw words) for party i+1; fresh libsodium randomness. */
void gf2_share(uint64_t *const *shares, const uint64_t *bits, size_t nw, int n, int t);
/* The same one value at a time, for clients: share m GF(16) values (0..15;
 * bits for a bid) at degree t among n parties: shares[i*m + j] is party
 * i+1's share of vals[j]. */
void gf2_share_values(uint8_t *shares, const uint8_t *vals, size_t m, int n, int t);
/* Reconstruct from parties 1..t+1 and check that all n shares fit degree t
 * and that every value is a bit: 0, or ERR_CHEAT. */
int gf2_reconstruct(uint64_t *bits, const uint64_t *const *shares, size_t nw, int n, int t) MPC_WUR;

/* Local gates: z = x ^ y; z = x ^ 1 (NOT: the constant 1 is its own sharing);
 * z, x, y of 4*nw words, may alias. */
void gf2_xor(uint64_t *z, const uint64_t *x, const uint64_t *y, size_t nw);
void gf2_not(uint64_t *z, const uint64_t *x, size_t nw);

/* z = x AND y for nw*64 shared bits: one round (MPC_MSG_BIN). z may alias x
 * or y. Errors as mpc_round. */
int gf2_and(mpc *M, uint64_t *z, const uint64_t *x, const uint64_t *y, size_t nw) MPC_WUR;

/* Open shared bits: every live server's shares are exchanged (one round) and
 * must fit degree t and be bits, else ERR_CHEAT; bits gets nw words. */
int gf2_open(mpc *M, uint64_t *bits, const uint64_t *x, size_t nw) MPC_WUR;

#endif
