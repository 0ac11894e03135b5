/* verify: verified multiplication for security with abort against t actively
 * cheating servers ("verify before reveal", docs/protocols.md, section
 * "Verification of multiplications"). In malicious mode every multiplication
 * and every masked degree-2t opening appends a relation to a log in the
 * context; mpc_verify checks all logged relations at once with the compressed
 * distributed check of Boneh, Boyle, Corrigan-Gibbs, Gilboa, Ishai (CRYPTO
 * 2019) as used by Goyal, Song, Zhu (CRYPTO 2020) and Boyle, Gilboa, Ishai, Nof
 * (CCS 2019): a random linear combination turns the relations into one
 * inner-product claim, a few levels of polynomial fan-in reduction shrink it to
 * one product, and that product is opened masked. The engine runs it before
 * every opening of a value that depends on multiplications (mpc_open), so a
 * cheating server is caught before anything it could have steered is revealed. */
#ifndef MPC_VERIFY_H
#define MPC_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/mpc.h"

/* Smallest prime size (bits) the check is sound for: below it malicious mode
 * is refused (ERR_RANGE at the first logged relation or verification). */
#define VERIFY_MIN_BITS 80
/* Relations held before a multiplication flushes the log first (48 bytes each). */
#define VERIFY_CAP ((size_t)1 << 24)

/* Verify every relation logged since the last verification, and that all
 * servers reconstructed the same public values so far (hash of every opened
 * value, compared in the last round). Nothing to do (returns 0 at once) in
 * semi-honest mode or with an empty log. Rounds: 2 + 2 * levels, levels <= 5
 * up to VERIFY_CAP relations (4 up to about 250,000), plus 1 final round when
 * n > t + 2; at most a few thousand elements: independent of the number of
 * relations but for the levels. On a failed check: ERR_CHEAT with "multiplication check failed: a
 * server deviated" in mpc_errmsg, and the context refuses every later opening.
 * Soundness: a false relation passes with probability below 2^-63 for
 * p >= 2^VERIFY_MIN_BITS. Network errors as mpc_round. */
int mpc_verify(mpc *M) MPC_WUR;

/* Relations waiting for verification (0 in semi-honest mode). */
size_t mpc_pending(const mpc *M);

/* Verification cost counters since the context was set up: flushes run,
 * rounds and field elements they used. Any pointer may be NULL. */
void mpc_verify_stats(const mpc *M, uint64_t *flushes, uint64_t *rounds, uint64_t *elems);

/* ---- engine side (mul.c, mpc.c, bits.c, check.c) ---- */

/* Room for m elementwise relations x_i * y_i = z_i: pointers into the log for
 * the caller to fill (x, y before the multiplication, z after; z may be public
 * constants: a public value is its own degree-0 sharing). Flushes first when
 * the log would exceed VERIFY_CAP (m <= VERIFY_CAP). Errors: ERR_RANGE (prime
 * too small), or mpc_verify's. */
int verify_log_mul(mpc *M, size_t m, fe **x, fe **y, fe **z) MPC_WUR;
/* Room for one inner-product relation sum_i a_i b_i = z over len entries: the
 * caller fills a and b (len each) and *z. Same errors. */
int verify_log_dot(mpc *M, size_t len, fe **a, fe **b, fe **z) MPC_WUR;
/* The masked degree-2t opening (mpc_open_prod's) of m local degree-2t values z
 * whose relations the caller logged itself (verify_log_mul / verify_log_dot,
 * filled in place: no copy of long vectors); on success lz[0..m) (the logged
 * relations' public values, may be NULL) receive the opened values too. */
int verify_open_2t(mpc *M, fe *out, const fe *z, size_t m, fe *lz) MPC_WUR;
/* A long inner product <a, b> opened at degree 2t, its entries produced on demand in four
 * slices of L entries (L a multiple of align): seek(ctx, c, pos) puts slice c at entry pos, gen
 * the next cnt entries (zeros past n). */
typedef struct verify_stream {
    size_t n, align;
    void (*seek)(void *ctx, int c, size_t pos);
    void (*gen)(void *ctx, int c, fe *a, fe *b, size_t cnt);
    void *ctx;
} verify_stream;
/* Fields the stream level serves (Mersenne below 2^120). */
int verify_stream_ok(const field *F);
/* Open <a, b> (out: public) and log it after one level of the check run at once, so only its
 * quarter-length fold enters the log (verify_fold.c). Errors as mpc_round, verify_log_dot. */
int verify_open_dot_stream(mpc *M, fe *out, const verify_stream *S) MPC_WUR;
/* Add m opened (public) values to the running hash every server compares in
 * the next verification (malicious mode only). */
void verify_hash_public(mpc *M, const fe *v, size_t m);
/* Free the log (wiping it); the engine calls it when M is cleared. */
void verify_free(mpc *M);

#endif
