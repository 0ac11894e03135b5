/* ports: free loopback TCP ports for local runs (run-local, benchmarks, tests),
 * and a server's check at start that its endpoints are its own to bind. */
#ifndef MPC_PORTS_H
#define MPC_PORTS_H

/* count distinct free ports on 127.0.0.1 into ports[]: every probe socket stays
 * bound until all are chosen, so the kernel cannot hand out one port twice.
 * 0, or -1 when the sockets cannot be bound. A port is free when returned, not
 * reserved: bind it soon. count <= 64. */
int ports_free_loopback(int *ports, int count);

#include <stddef.h>

/* Bind and listen on endpoint "tcp://ADDRESS:PORT" (numeric IPv4, or IPv6 in
 * brackets) to hold it until the real socket takes it (ports_release just
 * before). Refused with a message in err: a host name (ZeroMQ would resolve
 * it, perhaps to another machine's address), a wildcard address unless
 * allow_wildcard, an address this host does not own, a busy port. Returns the
 * listening descriptor (>= 0) or -1. */
int ports_reserve(const char *endpoint, int allow_wildcard, char *err, size_t errlen);
void ports_release(int fd);

#endif
