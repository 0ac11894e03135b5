/* shamir: Shamir sharing over F_p (evaluation points 1..n) and additive n-of-n
 * sharing, on vectors. Party i (1-based) holds f(i). */
#ifndef MPC_SHAMIR_H
#define MPC_SHAMIR_H

#include <stddef.h>
#include "common/field.h"
#include "common/limits.h"


typedef struct shamir shamir;

/* Context for n parties and threshold t (0 <= t < n <= MPC_MAX_SERVERS, p > n);
 * precomputes the Lagrange coefficients of every party set and the check tables,
 * then is read-only (safe to share between threads). NULL on bad arguments. F must
 * outlive the context. */
shamir *shamir_new(const field *F, int n, int t);
void shamir_free(shamir **pp);

/* Share m secrets with fresh libsodium randomness at degree d (t, or 2t in tests;
 * 0 <= d <= 2 * (MPC_MAX_SERVERS - 1)): shares[(i-1)*m + j] is party i's share of
 * secrets[j]. secrets and shares are secret and must not overlap; shares has n*m
 * elements. */
void shamir_share(const shamir *S, fe *shares, const fe *secrets, size_t m, int d);

/* Lagrange coefficients at 0 for the parties in set (bit i-1 = party i):
 * coef[i-1] for members, 0 for others; *coef points into S. They reconstruct a
 * polynomial of degree < |set| (degree d needs d+1 members). ERR_ARG when set is
 * empty or names a party > n. */
int shamir_lagrange(const shamir *S, unsigned set, const fe **coef) MPC_WUR;

/* Reconstruct m secrets from the parties in set (|set| = d+1, d < n): shares[i-1]
 * is party i's vector of m shares (ignored if not in set; secrets may alias one).
 * ERR_ARG on a bad set or degree. */
int shamir_reconstruct(const shamir *S, fe *secrets, const fe *const *shares, unsigned set,
                       int d, size_t m) MPC_WUR;

/* 0 if all n share vectors lie on polynomials of degree <= d (d < n), ERR_CHEAT
 * otherwise; bad (may be NULL) receives, per element, 1 when inconsistent and 0
 * when consistent. ERR_ARG when d is out of range. */
int shamir_check(const shamir *S, const fe *const *shares, int d, size_t m, uint8_t *bad) MPC_WUR;
/* shamir_check over the parties in set only (shares[i-1] read for members;
 * the others may be NULL): a run with some servers down. ERR_ARG unless
 * d < |set|. */
int shamir_check_set(const shamir *S, const fe *const *shares, unsigned set, int d, size_t m,
                     uint8_t *bad) MPC_WUR;

int shamir_n(const shamir *S);
int shamir_t(const shamir *S);

/* Additive n-of-n (n >= 1): shares[(i-1)*m + j] sum to secrets[j]; parties
 * 1..n-1 get fresh libsodium randomness. Secret; shares must not overlap secrets. */
void additive_split(const field *F, fe *shares, const fe *secrets, size_t m, int n);
/* Sum of n share vectors (shares[i-1] is party i's m shares); secrets may alias one. */
void additive_join(const field *F, fe *secrets, const fe *const *shares, size_t m, int n);

#endif
