/* limits: the project-wide bounds every layer agrees on (one spelling each). */
#ifndef MPC_LIMITS_H
#define MPC_LIMITS_H

/* Most servers an election or auction may have: Shamir evaluation points,
 * the mesh, the receipt and statement sets are all sized by it. */
#define MPC_MAX_SERVERS 9

/* Session id: BLAKE2b-256 of the definition file's bytes. */
#define MPC_SID_LEN 32

#endif
