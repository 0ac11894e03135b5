/* adv: the test-only cheating-server hook of the in-process transport. Only
 * the test build of the library (-DMPC_TEST_ADVERSARY, tests/ only) has it; the
 * shipped binaries are built without it and `make test` checks that they hold
 * no mpc_adv_ symbol. A test installs a function that sees every frame one
 * party sends on the in-process hub, before delivery, and may rewrite its
 * payload: a server that deviates at any step of any protocol without a
 * single hook inside the protocol code. */
#ifndef MPC_ADV_H
#define MPC_ADV_H

#include <stddef.h>
#include <stdint.h>

#ifdef MPC_TEST_ADVERSARY
/* Called for every frame from party `from` to party `to` (1-based): type and
 * step from its header, payload (len bytes) writable in place. */
typedef void (*mpc_adv_fn)(void *arg, int from, int to, uint8_t type, uint64_t step,
                           uint8_t *payload, size_t len);
/* Install fn (NULL: none) for every hub of the process; not thread-safe
 * against running parties: set it before harness_run, clear it after. */
void mpc_adv_set(mpc_adv_fn fn, void *arg);
/* The hub's call on each frame (header + payload). */
void mpc_adv_frame(int from, int to, uint8_t *frame, size_t len);
#endif

#endif
