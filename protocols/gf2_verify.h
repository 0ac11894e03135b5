/* gf2_verify: security with abort for the binary domain (gf2.h): the
 * "verify before reveal" of verify.h carried over to AND gates over GF(2^4),
 * lifted to GF(2^64) (gf64.h) for soundness (docs/protocols.md, "Binary
 * domain: verification").
 *
 * In malicious mode gf2_and logs every gate's relation x * y = z (64 lanes per
 * block, the shares as they are), gf2_log_bits logs x * x = x for shared
 * inputs that must be bits (in GF(2^4) that equation holds exactly for 0 and
 * 1, so a client's bit check costs no message), and gf2_open runs
 * gf2_verify first. The check is the compressed distributed one of Boneh,
 * Boyle, Corrigan-Gibbs, Gilboa, Ishai (CRYPTO 2019) in the form of Goyal,
 * Song, Zhu (CRYPTO 2020) / Boyle, Gilboa, Ishai, Nof (CCS 2019), run over
 * GF(2^64) with the relations embedded: a GF(2^4) sharing at points i is a
 * GF(2^64) sharing at the embedded points. The first level works on the
 * bit-sliced words (no per-lane field product but two per coordinate of the
 * fold); the wire carries no extra byte per gate. */
#ifndef MPC_GF2_VERIFY_H
#define MPC_GF2_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

/* Blocks of 64 relations held before a new gate verifies first (96 bytes each:
 * the 4 planes of x, y, z). */
#define GF2V_CAP ((size_t)1 << 20)
/* Words per logged block: x planes 0..3, y planes 0..3, z planes 0..3. */
#define GF2V_BLOCK 12

/* Room for nw blocks (the caller fills them: block w holds lane word w of x,
 * y, z). Verifies first when the log would pass GF2V_CAP (nw <= GF2V_CAP).
 * Malicious mode only. Errors as gf2_verify. */
int gf2v_reserve(mpc *M, size_t nw, uint64_t **blocks) MPC_WUR;

/* Log x * x = x for the 64*nw shared values x (4*nw words, gf2.h layout): the
 * values must be bits, checked at the next verification. No message. Nothing
 * to do in semi-honest mode. */
int gf2_log_bits(mpc *M, const uint64_t *x, size_t nw) MPC_WUR;

/* Verify every logged relation (nothing to do in semi-honest mode or with an
 * empty log). Rounds: 4 for a few blocks, 2 per level more (14 for 300,000
 * relations, 20 for 2.8 million); a few dozen 8-byte elements per party
 * whatever the size. On
 * a failed check: ERR_CHEAT, "binary check failed: a server deviated", and the
 * context opens nothing any more. Soundness: a false relation passes with
 * probability below 2^-50 (docs/protocols.md). Network errors as mpc_round. */
int gf2_verify(mpc *M) MPC_WUR;

/* Relations waiting (blocks of 64), and flushes and rounds run so far. */
size_t gf2v_pending(const mpc *M);
void gf2v_stats(const mpc *M, uint64_t *flushes, uint64_t *rounds);

/* Wipe and free the log; mpc_clear calls it. */
void gf2v_free(mpc *M);

#endif
