/* limits: the project-wide bounds every layer agrees on (one spelling each). */
#ifndef MPC_LIMITS_H
#define MPC_LIMITS_H

/* Most servers an election or auction may have: Shamir evaluation points,
 * the mesh, the receipt and statement sets are all sized by it. */
#define MPC_MAX_SERVERS 9

/* Session id: BLAKE2b-256 of the definition file's bytes. */
#define MPC_SID_LEN 32

/* Furthest ahead a deadline may be (seconds): `new` refuses a later one, as a
 * typo ("2206" for "2026") rather than a plan. 366 days, so "one year from
 * today" always fits. */
#define MPC_DEADLINE_MAX_AHEAD_S (366LL * 86400)

#endif
