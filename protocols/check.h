/* check: batched checks of client inputs (docs/design.md section 7), revealing only
 * which inputs are invalid. Inputs are ninputs vectors of m shared entries,
 * layout x[i*m + e]. bad (ninputs flags, public, identical on all servers) is
 * in/out: inputs already flagged are skipped and stay flagged; an input found
 * invalid gets bad[i] = 1. Excluding flagged inputs is the caller's job.
 * Run check_degree first: the other checks assume degree-t sharings. */
#ifndef MPC_CHECK_H
#define MPC_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

/* Flag inputs whose entries are not consistent degree-t sharings. Opens one
 * random linear combination of all entries (public coefficients from a joint
 * coin drawn now, after the inputs are fixed) plus a fresh PRSS mask and checks
 * that the n opened shares fit degree t; on failure bisects (all segments of a
 * level in one opening) down to the inconsistent inputs. Rounds: 2 when all
 * inputs are consistent, + 1 per bisection level (at most ceil(log2 ninputs))
 * otherwise. A wrong input passes undetected with probability <= 1/p per
 * opening. Network errors as mpc_round. */
int check_degree(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad) MPC_WUR;

/* Flag inputs with an entry outside {0, 1}. Opens z = sum s_e x_e (x_e - 1) with
 * public coefficients s_e from a joint coin, masked by PRZS (one round after the
 * coin); z = 0 accepts all (false accept <= 1/p). Otherwise computes
 * w_e = x_e (x_e - 1) (one multiplication round) and opens rho_e * w_e with
 * rho_e drawn by PRSS (one round): 0 for a valid entry, a uniform non-zero
 * value for an invalid one, so nothing about valid inputs leaks. */
int check_bits(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad) MPC_WUR;

/* Flag inputs that are not a choice of at most one entry: every entry a bit and
 * the row's sum a bit too (a plurality ballot or a yes/no/blank ballot). Same
 * openings and costs as check_bits, in one pass. */
int check_choice(mpc *M, const fe *x, size_t ninputs, size_t m, uint8_t *bad) MPC_WUR;

/* Flag inputs whose entries do not sum to the public constant c (a one-hot
 * ballot: c = 1). Opens z = sum_i s_i (sum_e x_{i,e} - c) with public 64-bit
 * coefficients from a joint coin, through the PRZS-masked degree-2t opening so
 * only z is revealed (two rounds: coin, opening); z = 0 accepts all (false
 * accept <= 2^-64). Otherwise opens rho_i * (sum_e x_{i,e} - c) with rho_i a
 * PRSS-random value, one more round: 0 for a valid input, uniform non-zero for an
 * invalid one. As in check_bits, a non-zero z depends on invalid inputs only. */
int check_sum(mpc *M, const fe *x, size_t ninputs, size_t m, fe c, uint8_t *bad) MPC_WUR;

/* Largest k for check_at_most (its work and memory grow with k + 1). */
#define CHECK_MAX_K 1024

/* Flag inputs with an entry that is not one of the integers 0, 1, ..., k (for
 * example the number of approvals on a ballot, 0 <= a <= max; a "negative"
 * entry p - v is outside). 0 <= k <= CHECK_MAX_K, k < p, else ERR_ARG. Computes
 * f(x) = (x - 0)(x - 1)...(x - k), zero exactly on {0..k}, by a product tree
 * over the k + 1 factors of every entry of the inputs not yet flagged (one
 * batch: ceil(log2(k + 1)) multiplication rounds, k multiplications per entry),
 * then tests f = 0 for every entry as check_sum does with c = 0 (coin and one
 * PRZS-masked opening; one more round, opening rho * f per entry, when some
 * entry is outside). Opens nothing about valid inputs; false accept <= 2^-64.
 * Network errors as mpc_round. */
int check_at_most(mpc *M, const fe *x, size_t ninputs, size_t m, int k, uint8_t *bad) MPC_WUR;

#endif
