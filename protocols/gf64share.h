/* gf64share: Shamir sharings over GF(2^64) (gf64.h) among the live servers,
 * at the embedded GF(2^4) points of gf2.h (party i at gf64_embed(i)): the
 * field of the binary domain's checks (gf2_verify.h) and of its input checks
 * (auction_bin.h), where a GF(2^4) combination would be sound only to 1/16. */
#ifndef MPC_GF64SHARE_H
#define MPC_GF64SHARE_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

/* The live servers' indices in order; returns how many. */
int gf64s_live(const mpc *M, int *pts);
/* Lagrange weights at `at` over pts[0..np) (party indices or 0), embedded. */
void gf64s_lagrange(uint64_t *out, const int *pts, int np, int at);
/* Receive m words of (peer j, MPC_MSG_BINV, step): ERR_PROTO on a wrong length. */
int gf64s_recv(mpc *M, int j, uint64_t step, uint64_t *w, size_t m) MPC_WUR;
/* m degree-t shares of uniform secrets, from PRSS (no message): the group
 * values of prss_raw times f_T(me), as prss.h does over F_p. ERR_STATE
 * without PRSS keys. */
int gf64s_masks(mpc *M, uint64_t *rho, size_t m) MPC_WUR;
/* Open m degree-t sharings x (one round, 8 bytes per value per peer, type
 * MPC_MSG_BINV): out[i] through the first t+1 live servers; bad[i] = 1 when
 * the live shares of value i do not fit degree t. Never verifies first: the
 * caller opens only what is safe to open. Errors as mpc_round. */
int gf64s_open_check(mpc *M, uint64_t *out, uint8_t *bad, const uint64_t *x, size_t m) MPC_WUR;

#endif
