/* net: messages between the n servers of one session, over a CurveZMQ mesh or an
 * in-process hub (unit tests), behind one API.
 *
 * Every message carries the header of docs/design.md section 8 (magic, version, session
 * id, sender index, step counter, type, payload length), validated field by field
 * on receipt. A message for a future (step, type) is buffered; one for a step
 * already consumed from that sender is a protocol error. Every receive has a
 * timeout; on expiry the call fails with ERR_TIMEOUT and net_errmsg() names the
 * silent party. (net.c holds that message layer once for both transports,
 * net_mem.c the hub, net_zmq.c the mesh.) */
#ifndef MPC_NET_H
#define MPC_NET_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/field.h"
#include "common/limits.h"

#define NET_MAGIC      0x4d504331u   /* "MPC1" */
#define NET_VERSION    1
#define NET_HDR_LEN    52
#define NET_MAX_PAYLOAD (512u << 20)  /* refused before allocation */

/* Types >= NET_TYPE_RESERVED belong to the transport (hello and closing
 * barriers); net_send/net_recv refuse them with ERR_ARG. */
#define NET_TYPE_RESERVED 0xF0
#define NET_TYPE_ROSTER   0xFD
#define NET_TYPE_HELLO    0xFE
#define NET_TYPE_BYE      0xFF
/* Future messages buffered per sender before the sender counts as flooding
 * (ERR_PROTO): at most this many, and at most 2 * NET_MAX_PAYLOAD bytes. */
#define NET_MAX_BUFFERED  64
#define NET_LINGER_MS     1000  /* default linger of the mesh sockets */

typedef struct net_hdr {
    uint32_t magic;
    uint8_t version;
    uint8_t type;            /* protocol message type, application-defined */
    uint8_t sender;          /* 1..n */
    uint8_t reserved;        /* must be 0 */
    uint8_t sid[MPC_SID_LEN];
    uint64_t step;
    uint32_t len;            /* payload bytes following the header */
} net_hdr;

/* Big-endian header layout: magic(4) version(1) type(1) sender(1) reserved(1)
 * sid(32) step(8) len(4). */
void net_hdr_encode(uint8_t out[NET_HDR_LEN], const net_hdr *h);
/* Parse and validate magic, version, reserved and len <= NET_MAX_PAYLOAD;
 * ERR_PARSE on any defect or if in_len < NET_HDR_LEN. Session id, sender and step
 * are checked by the transport against its own state. */
int net_hdr_decode(net_hdr *h, const uint8_t *in, size_t in_len) MPC_WUR;

typedef struct net net;
typedef struct net_hub net_hub;

/* In-process hub for n parties (1..MPC_MAX_SERVERS) living as threads of one
 * process: one queue per (sender, receiver) under the receiver's mutex and
 * condvar. NULL on a bad n. Free it after every net on it (wipes what is left). */
net_hub *net_hub_new(int n);
void net_hub_free(net_hub **pp);
/* Party me (1-based) on the hub; same validation, buffering and timeouts as the
 * mesh (no hello barrier: the hub is up before any party). NULL on bad arguments
 * or if party me is already attached. Each net is used by one thread at a time. */
net *net_mem_new(net_hub *hub, int me, const uint8_t sid[MPC_SID_LEN], int timeout_ms);

typedef struct net_zmq_cfg {
    int n, me;                               /* me is 1-based */
    const uint8_t *sid;                      /* MPC_SID_LEN bytes */
    const char *const *endpoints;            /* mesh endpoint of server 1..n at [0..n-1] */
    const uint8_t (*server_pk)[32];          /* CURVE public keys of servers 1..n */
    const uint8_t *my_sk;                    /* own CURVE secret key (secret) */
    int timeout_ms;                          /* per receive and send, and the bye */
    int linger_ms;                           /* on close; <= 0 means NET_LINGER_MS */
    int hello_timeout_ms;                    /* hello barrier; <= 0 means timeout_ms
                                              * (servers started by hand need minutes) */
    int quorum;                              /* servers (me included) enough to go on
                                              * without the others; <= 0 or n: all */
} net_zmq_cfg;

/* Join the mesh: bind a CURVE server socket at endpoints[me-1] behind a ZAP
 * handler that admits only the other servers' keys, connect to every peer, and
 * wait for a hello from each (barrier). cfg and what it points to may be freed
 * once this returns. On failure *out is NULL, err (may be NULL) names the peer or
 * the field: ERR_ARG on a bad cfg (my_sk not matching server_pk[me-1], two
 * servers with one key), ERR_CRYPTO if libzmq lacks CURVE, ERR_IO if bind or
 * connect fails, ERR_TIMEOUT listing the peers with no hello (and whether a
 * peer refused our key), ERR_PROTO/ERR_CRYPTO if a peer sent a bad frame.
 * With quorum < n: when the hello barrier times out with at least quorum
 * servers heard, the servers agree on who is up (two small rounds, every
 * server runs them whenever quorum < n) and the net is restricted to them
 * (net_live); ERR_PROTO when they disagree or this server was left out. */
int net_zmq_open(net **out, const net_zmq_cfg *cfg, char *err, size_t errlen) MPC_WUR;

/* Close sockets (finite linger), stop the ZAP handler, terminate the context:
 * never hangs, even if peers died. Wipes buffered messages; *pp = NULL. */
void net_free(net **pp);

/* Closing barrier: send a bye to every peer and wait (timeout) for a bye from
 * each, so no party closes while a peer still needs one of its messages.
 * ERR_TIMEOUT names the missing peers; ERR_STATE if called twice. */
int net_bye(net *nw) MPC_WUR;

/* Servers enough to compute without the others: 2t+1, and more than (n+t)/2
 * so that any two such sets share t+1 servers, one of them honest, whose
 * single roster message keeps them from computing apart (split brain) and
 * who holds whatever an earlier run stored (dp_release.h). n for n = 2t+1. */
static inline int net_quorum(int n, int t)
{
    int q = (n + t) / 2 + 1;
    return q > 2 * t + 1 ? q : 2 * t + 1;
}

int net_me(const net *nw);
int net_n(const net *nw);
/* The servers taking part (bit j-1 = server j, me included): all n unless
 * the mesh opened with a quorum without some, or net_restrict. Frames from
 * the others are dropped unread; sending to them is ERR_ARG. */
unsigned net_live(const net *nw);
/* Take part with only the servers in live (me included, a subset of the
 * current ones); ERR_ARG otherwise. For the in-process hub (tests of runs
 * with servers down); the mesh sets it itself. */
int net_restrict(net *nw, unsigned live) MPC_WUR;

/* Send one message to peer (1..n, != me). payload may be NULL when len is 0.
 * ERR_ARG on a bad peer, a reserved type, step 2^64-1 or len > NET_MAX_PAYLOAD;
 * ERR_TIMEOUT if the peer's queue stayed full for the timeout; ERR_IO. */
int net_send(net *nw, int peer, uint8_t type, uint64_t step,
             const uint8_t *payload, size_t len) MPC_WUR;
/* Receive the message (peer, type, step): *payload is malloc'd, never NULL, even
 * for len 0 (free() it; wipe it first if it holds shares). Other messages that
 * arrive meanwhile are buffered. Any bad frame from any peer fails the call at
 * once, naming that peer, and is dropped (the net stays usable): ERR_PROTO for a
 * malformed, truncated, wrong-session, reserved-type, duplicate or past-step
 * (replayed) frame, or more than NET_MAX_BUFFERED frames ahead; ERR_CRYPTO when
 * the header's sender is not the authenticated sender. ERR_TIMEOUT after the
 * timeout, naming peer, step and type; ERR_STATE if that step was consumed. */
int net_recv(net *nw, int peer, uint8_t type, uint64_t step,
             uint8_t **payload, size_t *len) MPC_WUR;

/* Field-element vectors: exactly m elements (fixed width, field_encode). On
 * receipt a wrong length or an element >= p is ERR_PROTO naming the peer; other
 * errors as net_send/net_recv. The received bytes are wiped. */
int net_send_vec(net *nw, int peer, uint8_t type, uint64_t step,
                 const field *F, const fe *v, size_t m) MPC_WUR;
int net_recv_vec(net *nw, int peer, uint8_t type, uint64_t step,
                 const field *F, fe *v, size_t m) MPC_WUR;

/* Last error, naming the peer and operation; never NULL. */
const char *net_errmsg(const net *nw);
/* Counters since creation: messages and bytes (headers, hellos and byes
 * included) sent by me. */
void net_stats(const net *nw, uint64_t *msgs_sent, uint64_t *bytes_sent);

/* Mesh only: 1 iff every socket reports ZMQ_MECHANISM == ZMQ_CURVE (server role
 * on the bound socket, client role towards each peer); 0 otherwise (always 0 on
 * the in-process hub). */
int net_is_curve(const net *nw);
/* Mesh only: connections the ZAP handler refused so far (unknown keys). */
uint64_t net_refused(const net *nw);
/* Test hook for negative tests: send frame[0..len) to peer exactly as given (no
 * header added, no checks), playing a misbehaving but authenticated peer. */
int net_send_raw(net *nw, int peer, const uint8_t *frame, size_t len) MPC_WUR;

#endif
