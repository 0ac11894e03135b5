/* mul: multiplication of degree-t sharings by GRR degree reduction (Gennaro,
 * Rabin, Rabin, PODC 1998), one round, with PRG-derived resharing values, plus
 * the select (multiplexer) built on it. Every call is one round for the whole
 * vector. */
#ifndef MPC_MUL_H
#define MPC_MUL_H

#include <stddef.h>
#include "protocols/mpc.h"

/* out[i] = x[i] * y[i] for m degree-t sharings (secret). One round; each of the
 * first 2t+1 servers sends (n - 1 - t) * m elements. out may alias x or y.
 * Errors: the round's (mpc_errmsg names the peer). */
int mpc_mul(mpc *M, fe *out, const fe *x, const fe *y, size_t m) MPC_WUR;

/* In malicious mode every call below logs its relations (protocols/verify.h):
 * the shares of the inputs and of the output, 48 bytes per multiplication,
 * checked by the next mpc_verify. */

/* Degree reduction alone: d holds m local degree-2t values (e.g. a sum of local
 * products, giving an inner product for the price of one multiplication); out
 * receives degree-t shares of the same values. out may alias d. Semi-honest
 * mode only: raw degree-2t values carry no relation to log, so malicious mode
 * refuses it (ERR_STATE); use mpc_mul_bcast or mpc_dot. */
int mpc_reduce(mpc *M, fe *out, const fe *d, size_t m) MPC_WUR;

/* out[i*k + j] = c[i] * v[i*k + j] for m multipliers c and m*k entries v: one
 * round, m*k multiplications (the select and the tournament's selects). out may
 * alias v. */
int mpc_mul_bcast(mpc *M, fe *out, const fe *c, const fe *v, size_t m, int k) MPC_WUR;

/* m inner products out[j] = sum_i a[j*len + i] * b[j*len + i] of degree-t
 * sharings, for the price of m multiplications (one round). out must not alias
 * a or b. */
int mpc_dot(mpc *M, fe *out, const fe *a, const fe *b, size_t len, size_t m) MPC_WUR;

/* out[i] = XOR of the G shared bits u[g*m + i] (g < G): a product tree of a ^
 * b = a + b - 2ab, ceil(log2 G) rounds, (G - 1) * m multiplications. u is
 * overwritten; out may alias u. G < 1: ERR_ARG. */
int mpc_xor_bits(mpc *M, fe *out, fe *u, int G, size_t m) MPC_WUR;

/* out[i] = c[i] ? a[i] : b[i], computed as c*(a-b)+b; c must share a bit (secret).
 * One round, m multiplications. out may alias a or b. */
int mpc_select(mpc *M, fe *out, const fe *c, const fe *a, const fe *b, size_t m) MPC_WUR;

/* Bit vectors: out[i*k+j] = c[i] ? a[i*k+j] : b[i*k+j] for m values of k entries;
 * one round, m*k multiplications. out may alias a or b. */
int mpc_select_vec(mpc *M, fe *out, const fe *c, const fe *a, const fe *b,
                   size_t m, int k) MPC_WUR;

/* Free the GRR tables cached in M (the engine calls it when M is freed). */
void mul_tables_free(mpc *M);

/* Lagrange basis at x over the integer points pts[0..np) (public): out[a] =
 * L_a(x). */
void mul_lagrange_at(const field *F, fe *out, const int *pts, int np, int x);

#endif
