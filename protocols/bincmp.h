/* bincmp: comparison and maximum of bit-decomposed shared numbers in the
 * binary domain (gf2.h); malicious security through gf2.h's verification.
 *
 * A "bit matrix" holds k-bit numbers in 64*nw lanes: row j (bit j, LSB
 * first) is a bit-sliced shared vector, and the k rows are stored plane-major
 * (plane p of row j at [(p*k + j)*nw, (p*k + j + 1)*nw)), so the whole matrix
 * is one gf2 vector of k*nw words per plane and a level of a circuit is one
 * gf2_and call. */
#ifndef MPC_BINCMP_H
#define MPC_BINCMP_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/gf2.h"

/* Words of a k-row matrix of nw words per row. */
static inline size_t bin_matrix_words(int k, size_t nw)
{
    return (size_t)GF2_PLANES * (size_t)k * nw;
}

/* Copy row j of matrix X (k rows) to the gf2 vector v (4*nw words), or back. */
void bin_row_get(uint64_t *v, const uint64_t *X, int k, int j, size_t nw);
void bin_row_set(uint64_t *X, const uint64_t *v, int k, int j, size_t nw);
/* Row j of matrix A (ka rows) into row i of matrix B (kb rows); plane p of
 * row j of a k-row matrix (nw words). */
void bin_row_copy(uint64_t *B, int kb, int i, const uint64_t *A, int ka, int j, size_t nw);
uint64_t *bin_plane(uint64_t *X, int k, int j, int p, size_t nw);

/* gt (4*nw words) = [a > b] per lane, for k-bit matrices a and b (1 <= k <=
 * 64): 1 + ceil(log2 k) rounds, k + 2(k-1) AND gates per lane. */
int bin_gt(mpc *M, uint64_t *gt, const uint64_t *a, const uint64_t *b, int k, size_t nw) MPC_WUR;
/* The same with b public: c holds k rows of nw words, bit l of row j = bit j
 * of lane l's value. The leaves are local: ceil(log2 k) rounds, 2k - 3 ANDs. */
int bin_gt_pub(mpc *M, uint64_t *gt, const uint64_t *a, const uint64_t *c, int k, size_t nw) MPC_WUR;

/* The maximum of N k-bit shared numbers and the index of its first
 * occurrence (lowest index on ties). vals: a k-row matrix of gf2_words(N)
 * words per row, value i in lane i. max (k rows) and idx (ceil(log2 N) rows,
 * at least 1) are matrices of one word per row holding the result in lane 0.
 * Levels: binary (2 + ceil(log2 k) rounds) while more than 256 lanes remain,
 * then 4-ary (4 + ceil(log2 k) rounds: six comparisons in one batch, a
 * two-round winner indicator, one selection): k = 32, N = 1,000: 50 rounds,
 * N = 10,000: 78 (all binary: 70 and 98). */
int bin_max(mpc *M, uint64_t *max, uint64_t *idx, const uint64_t *vals, size_t N, int k) MPC_WUR;

/* Rows of the index bin_max returns for N numbers. */
int bin_index_bits(size_t N);

#endif
