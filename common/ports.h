/* ports: free loopback TCP ports for local runs (run-local, benchmarks, tests). */
#ifndef MPC_PORTS_H
#define MPC_PORTS_H

/* count distinct free ports on 127.0.0.1 into ports[]: every probe socket stays
 * bound until all are chosen, so the kernel cannot hand out one port twice.
 * 0, or -1 when the sockets cannot be bound. A port is free when returned, not
 * reserved: bind it soon. count <= 64. */
int ports_free_loopback(int *ports, int count);

#endif
