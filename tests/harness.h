/* harness: run n MPC servers as threads of one test process, over the in-process
 * hub or over a real CurveZMQ mesh on loopback, and deal/collect shares
 * (implemented in tests/lib/harness.c). */
#ifndef MPC_TEST_HARNESS_H
#define MPC_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "protocols/mpc.h"

#define HARNESS_TIMEOUT_MS 5000

/* Receive timeout of the parties' transports (ms); tests of silence lower it. */
extern int harness_timeout_ms;

/* Security mode set on every party's context before the body runs
 * (MPC_SEMI_HONEST or MPC_MALICIOUS); -1, the default, keeps mpc_create's
 * (malicious). In malicious mode the harness runs mpc_verify after a body
 * that returned 0, so every test also checks that honest runs verify. */
extern int harness_security;

/* Body run by every party on its own context (mpc_create'd, destroyed after the
 * body returns); arg is that party's argument. Returns 0 or an ERR_* code. */
typedef int (*harness_fn)(mpc *M, void *arg);

/* The servers that run (bit i = party i+1); 0, the default, runs all n. The
 * others stay down: over the hub each running party's net is restricted to
 * this set, over CurveZMQ the mesh opens with quorum |set| (hello barrier of
 * harness_hello_ms) and the servers agree on who is up. Their rcs are 0. */
extern unsigned harness_live;
extern int harness_hello_ms;

enum { HARNESS_HUB = 0, HARNESS_ZMQ = 1 };

/* Back to the defaults: all servers live, mpc_create's security mode, the
 * default timeout (a suite's .fini). */
void harness_reset(void);

/* Run fn on n parties (threads) with threshold t over transport HARNESS_HUB or
 * HARNESS_ZMQ; args[i] goes to party i+1 (args may be NULL). rcs[i] receives
 * party i+1's result: fn's, or a set-up error (a transport that cannot be
 * opened: its code; a failed mpc_create: ERR_PROTO, the reason on stderr).
 * Returns 0 when every party returned 0, else the first non-zero code. */
int harness_run(const field *F, int n, int t, int transport, harness_fn fn,
                void **args, int *rcs);

/* Shamir-share m secrets at degree d for n parties: out[i] (malloc'd, m
 * elements) is party i+1's vector. */
void harness_share(const field *F, int n, int t, int d, const fe *secrets, size_t m,
                   fe **out);
/* Binary domain (gf2.h, bincmp.h): share N k-bit values as a bit matrix of
 * bin_matrix_words(k, gf2_words(N)) words at degree t; out[i] (malloc'd) is
 * party i+1's. */
void harness_share_bits(uint64_t **out, const uint64_t *v, size_t N, int k, int n, int t);
/* Open a k-row matrix of one word per row (lane 0, as bin_max returns) as an
 * integer, one gf2_open per row. Errors as gf2_open. */
int harness_open_bin_int(mpc *M, const uint64_t *X, int k, uint64_t *out);
/* Reconstruct m values from the n parties' share vectors (degree t, checking all
 * shares fit): returns 0 or ERR_CHEAT. */
int harness_open(const field *F, int n, int t, fe *out, fe *const *shares, size_t m);
/* Uniform integers below 2^bits (bits <= 64), from libsodium. */
uint64_t harness_rand_bits(int bits);
/* M's rounds and field elements sent so far (mpc_stats), without those of
 * the multiplication checks (mpc_verify_stats): the protocol's own costs, the
 * same in both modes. */
uint64_t harness_rounds(const mpc *M);
uint64_t harness_elems(const mpc *M);

#endif
