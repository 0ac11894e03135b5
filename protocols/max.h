/* max: maximum, argmax and top two of N shared bit-decomposed values by a
 * tournament tree (docs/design.md section 6): ceil(log2 N) layers, each one batched
 * comparison of all pairs then one batched select of the winners' bits and
 * index. Ties go to the lowest index (the right-hand element must be strictly
 * greater to win). */
#ifndef MPC_MAX_H
#define MPC_MAX_H

#include <stddef.h>
#include "protocols/mpc.h"

/* bits[i*k + j]: share of bit j (LSB first) of value i, i < N, 1 <= k <= 126;
 * inputs must be bits. Outputs (shares, secret; each may be NULL): max = the
 * maximum value, idx = the 0-based index of its first occurrence, max_bits = its
 * k bits. N = 1 returns that value. Rounds: ceil(log2 N) * (2 + ceil(log2 k));
 * multiplications: (N - 1) * (cmp_gt_bits(k) + k + 1). ERR_ARG if N == 0. */
int max_argmax(mpc *M, fe *max, fe *idx, fe *max_bits, const fe *bits, size_t N,
               int k) MPC_WUR;

/* Top two, for second-price auctions: as max_argmax, plus second = the second
 * highest of the N values counted with multiplicity (equal to the maximum when
 * the top two are equal; 0 when N == 1). Per layer one batched comparison of
 * three pairs per match (first vs first and each second vs the other first)
 * and two select rounds. Rounds: ceil(log2 N) * (3 + ceil(log2 k)). */
int max_top2(mpc *M, fe *first, fe *idx, fe *second, const fe *bits, size_t N,
             int k) MPC_WUR;

#endif
