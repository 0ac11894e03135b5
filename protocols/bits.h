/* bits: shared random bits (XORs of PRSS-derived bits, or the square-root method
 * of Damgard, Fitzi, Kiltz, Nielsen, Toft, TCC 2006), pooled ahead of use, and bit decomposition of shared values by
 * a statistically masked opening followed by a log-depth bitwise subtraction. */
#ifndef MPC_BITS_H
#define MPC_BITS_H

#include <stddef.h>
#include "protocols/mpc.h"

/* Add m fresh shared random bits to the pool of M (fill ahead, e.g. while
 * inputs arrive). With at most BITS_PRSS_GROUPS PRSS groups (C(n, t): n = 3,
 * or t = 0) each bit is the XOR of one bit per group, derived from the
 * group's key and shared locally by its holders (CDI05), XORed by a product
 * tree: ceil(log2 C(n, t)) rounds, C(n, t) - 1 multiplications per bit, no
 * condition on p. Otherwise the square-root method (DFKNT06): one round per
 * call (plus one per retry, when an opened square is 0, probability 1/p),
 * needing p = 3 mod 4 (ERR_ARG). In malicious mode the products, resp. the
 * opened squares, are logged and verified before any opening that depends on
 * the bits. Network errors as mpc_round. */
/* 3: at n = 4, t = 1 the tree's 3 products per bit send twice the elements
 * of the square-root opening (measured in review) */
#define BITS_PRSS_GROUPS 3
int bits_fill(mpc *M, size_t m) MPC_WUR;
/* Rounds of one bits_fill call at n servers, threshold t (for tests). */
int bits_fill_rounds(int n, int t);

/* m shares of independent uniform bits in {0,1} (secret), taken from the pool,
 * which is refilled (bits_fill) when it holds fewer than m. */
int bits_rand(mpc *M, fe *out, size_t m) MPC_WUR;

/* Number of bits currently pooled. */
size_t bits_pooled(const mpc *M);

/* Bit decomposition: x holds m shared values, each in [0, 2^K) (caller's
 * promise; a value outside gives garbage bits, never leaks more than c below).
 * out[i*K + j] receives a share of bit j (LSB first) of x[i]. Opens c = x + r
 * for a mask r of K + kappa random bits (statistical hiding 2^-kappa); opened
 * (may be NULL, m elements) receives the public c values, for audits and the
 * privacy test. Needs 1 <= K <= 64 and bits(p) >= K + kappa + 2 (ERR_RANGE).
 * Rounds: 1 + ceil(log2(K-1)) + 1 (K >= 2), plus pool refills. */
int bits_dec(mpc *M, fe *out, fe *opened, const fe *x, size_t m, int K) MPC_WUR;

/* Local recomposition: out[i] = sum_j 2^j bits[i*k + j] (k <= 126). */
void bits_compose(const field *F, fe *out, const fe *bits, size_t m, int k);

/* Public bits: out[j] = bit j of the integer c (c < 2^128), as 0/1 elements. */
void bits_of_public(fe *out, fe c, int k);

#endif
