/* compare: comparison and equality of shared values.
 *
 * Fast path (docs/design.md section 6, option 3): values given as shared bit vectors,
 * compared by a log-depth (greater, equal) prefix tree; no random bits needed.
 * General path: values as field elements, compared through the sign bit obtained
 * from a statistically masked opening (Catrina and de Hoogh, SCN 2010) with the
 * mask's low bits from the random-bit pool. All calls are batched: the round
 * count does not depend on m. Outputs are shares of 0/1 (secret). */
#ifndef MPC_COMPARE_H
#define MPC_COMPARE_H

#include <stddef.h>
#include "protocols/mpc.h"

/* out[i] = [a_i > b_i] for m pairs of k-bit values given as shared bits, layout
 * a[i*k + j] = bit j (LSB first) of value i; inputs must be bits (checked at
 * intake). 1 <= k <= 126. Rounds 1 + ceil(log2 k); multiplications per pair
 * k + (k - 1) + (k - 1 - ceil(log2 k)) for k a power of two (about 3k). */
int cmp_gt_bits(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int k) MPC_WUR;
/* out[i] = [a_i < b_i]; same costs as cmp_gt_bits. */
int cmp_lt_bits(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int k) MPC_WUR;
/* out[i] = [a_i == b_i]: XOR of the bits (one round, k multiplications) then an
 * AND tree (ceil(log2 k) rounds, k - 1 multiplications). */
int cmp_eq_bits(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int k) MPC_WUR;

/* out[i] = [x_i < 0] for m shared integers with -2^K < x_i < 2^K (negative values
 * as p - |x|). Opens c = x + 2^K + r, r of K + kappa + 1 pool bits (statistical
 * hiding 2^-kappa); opened (may be NULL) receives the m public c values. Needs
 * 1 <= K <= 64 and bits(p) >= K + kappa + 3 (ERR_RANGE). Rounds
 * 1 + ceil(log2 K), plus pool refills. */
int cmp_ltz_ex(mpc *M, fe *out, fe *opened, const fe *x, size_t m, int K) MPC_WUR;
int cmp_ltz(mpc *M, fe *out, const fe *x, size_t m, int K) MPC_WUR;
/* out[i] = [a_i < b_i] for shared a_i, b_i in [0, 2^K): cmp_ltz of a - b. */
int cmp_lt(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int K) MPC_WUR;

#endif
