/* prss: pseudo-random secret sharing (Cramer, Damgard, Ishai, TCC 2005).
 *
 * For every set T of t parties, the parties outside T share a key k_T. Party i's
 * share of a random value is sum over T not containing i of PRF(k_T, c) * f_T(i),
 * f_T of degree t with f_T(0) = 1 and f_T(j) = 0 for j in T. PRZS gives degree-2t
 * sharings of zero. PRF: ChaCha20 keyed by k_T, nonce (domain, counter). Every
 * party must call the generators in the same order with the same lengths: each
 * call consumes one counter. */
#ifndef MPC_PRSS_H
#define MPC_PRSS_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"

typedef struct prss prss;

/* C(9, 4): the most groups for n <= MPC_MAX_SERVERS. */
#define PRSS_MAX_GROUPS 126

/* Context for party me (1-based) of n, threshold t. Keys are set afterwards: in a
 * session by keysetup_run (protocols/keysetup.h: every k_T derived from all its
 * holders' contributions, confirmed), in tests by prss_deal_local. NULL on bad
 * arguments. */
prss *prss_new(const field *F, int n, int t, int me);
/* Wipes all keys. */
void prss_free(prss **pp);

/* n, t and me (1-based) of the context; any pointer may be NULL. */
void prss_params(const prss *P, int *n, int *t, int *me);
/* The groups T (bitmasks, bit j-1 = party j) in a fixed order; returns their
 * number C(n, t). masks may be NULL to just count. */
int prss_groups(const prss *P, unsigned *masks);
/* f_T(me) in F for the g-th group of prss_groups (0 when me is in T): what
 * party me multiplies a value derived from k_T by to share it (binltz.c). */
fe prss_weight(const prss *P, int g);
/* Install k_T for a group T that does not contain me; ERR_ARG otherwise. */
int prss_set_key(prss *P, unsigned T, const uint8_t key[32]) MPC_WUR;
/* 1 once every group not containing me has a key. */
int prss_ready(const prss *P);

/* m shares of m independent uniform secrets, degree t. */
void prss_rand(prss *P, fe *out, size_t m);
/* m degree-2t shares of zero. */
void prss_zero(prss *P, fe *out, size_t m);
/* For a field other than F (the binary domain's GF(2^64), gf2_verify.c): the
 * raw PRF bytes of every group at the next counter, len bytes per group into
 * out[g*len ..] in prss_groups order; groups containing me get zeros. The
 * caller combines them with its own f_T(me). Consumes one counter. */
void prss_raw(prss *P, uint8_t *out, size_t len);
/* Next counter (for tests and diagnostics). */
uint64_t prss_counter(const prss *P);

/* Test helper: deal fresh random keys locally into n contexts, parties[i] made by
 * prss_new(F, n, t, i + 1) with one t and one prime; ERR_ARG otherwise. */
int prss_deal_local(prss **parties, int n) MPC_WUR;

#endif
