/* binltz: comparison of shared F_p values through the binary domain (issue
 * 16): "open x + r in F_p, compare with r's bits in the binary domain", with
 * r made of edaBit-style contributions (Escudero, Ghosh, Keller, Rachuri,
 * Scholl, CRYPTO 2020): each of the first t+1 live servers deals, per value,
 * one random integer as a single F_p sharing and its bits as binary
 * sharings, plus one random bit in both domains (a daBit, Rotaru-Wood
 * INDOCRYPT 2019) for the way back. No random F_p bits, so no square roots.
 *
 * Semi-honest only: the gates are verified (gf2_verify.h) but a dealer's
 * integer and its bits are not checked to agree across the two domains, so a
 * cheating dealer could flip results; refused with ERR_STATE under
 * MPC_MALICIOUS, where cmp_ltz (compare.h) is used. docs/protocols.md,
 * "Binary domain". */
#ifndef MPC_BINLTZ_H
#define MPC_BINLTZ_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

/* out[i] = [x_i < 0] (F_p sharings of 0/1) for -2^K < x_i < 2^K, 1 <= K <=
 * 62; needs bits(p) >= K + kappa + 4 + ceil(log2(t+1)) (ERR_RANGE). Rounds:
 * 1 (deal) + t * (2 + ceil(log2 K)) (F_p XOR of the dealt bits, adding the
 * dealt integers' bits) + 1 (open) + ceil(log2 K) (borrow) + 1 (back to F_p):
 * 15 for K = 32, t = 1. */
int bin_ltz(mpc *M, fe *out, const fe *x, size_t m, int K) MPC_WUR;
/* bin_ltz, also handing out what was opened (either may be NULL): opened_c
 * (m values x + 2^K + mask, public) and opened_e (gf2_words(m) words: the
 * result XOR a uniform bit); for the privacy tests. */
int bin_ltz_ex(mpc *M, fe *out, fe *opened_c, uint64_t *opened_e, const fe *x, size_t m,
               int K) MPC_WUR;
/* out[i] = [a_i < b_i] for a_i, b_i in [0, 2^K): bin_ltz of a - b. */
int bin_lt(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int K) MPC_WUR;

#endif
