/* binltz: comparison of shared F_p values through the binary domain (issue
 * 16): "open x + r in F_p, compare with r's bits in the binary domain"
 * (edaBits: Escudero, Ghosh, Keller, Rachuri, Scholl, CRYPTO 2020), with r
 * and the daBit for the way back (Rotaru, Wood, INDOCRYPT 2019) derived from
 * the PRSS keys (Cramer, Damgard, Ishai, TCC 2005): every group of key
 * holders shares its part in both domains locally, so no server deals and
 * the two domains agree by construction. No random F_p bits, so no square
 * roots, and no message before the first gate.
 *
 * Security: the gates are verified (gf2_verify.h, verify.h) and the opening
 * of x + r is degree-checked, so it holds against t cheating servers (with
 * abort) as in semi-honest mode; products pending from before are verified
 * before x + r is opened. docs/protocols.md, "Binary domain", the paragraphs
 * on bin_ltz. */
#ifndef MPC_BINLTZ_H
#define MPC_BINLTZ_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

/* out[i] = [x_i < 0] (F_p sharings of 0/1) for -2^K < x_i < 2^K, 1 <= K <=
 * 62 and 1 <= kappa <= 62 (ERR_ARG); needs PRSS keys (ERR_STATE) and
 * bits(p) >= K + kappa + 3 + ceil(log2 G), G = C(n, t) groups (ERR_RANGE),
 * memory about G (K + 17) + 100 bytes per value, in batches of at most
 * 2^22 / G values (each batch its own rounds). Rounds: ceil(log2 G) (F_p
 * XOR of the groups' bits) + the carry-save levels (G = 3: 1; 10: 5) + 1
 * (the last two operands' AND) + 1 (open) + 1 + ceil(log2 K) (the carry
 * into bit K) + 1 (back to F_p): 12 for K = 32, n = 3; under MPC_MALICIOUS
 * plus the binary check and, when products are pending, the F_p check. The
 * result is unverified F_p sharings (their multiplications are logged): the
 * next checked opening verifies them. */
int bin_ltz(mpc *M, fe *out, const fe *x, size_t m, int K) MPC_WUR;
/* bin_ltz, also handing out what was opened (either may be NULL): opened_c
 * (m values x + 2^K + mask, public) and opened_e (gf2_words(m) words: the
 * result XOR a uniform bit); for the privacy tests. */
int bin_ltz_ex(mpc *M, fe *out, fe *opened_c, uint64_t *opened_e, const fe *x, size_t m,
               int K) MPC_WUR;
/* out[i] = [a_i < b_i] for a_i, b_i in [0, 2^K): bin_ltz of a - b. */
int bin_lt(mpc *M, fe *out, const fe *a, const fe *b, size_t m, int K) MPC_WUR;

#endif
