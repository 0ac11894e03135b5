/* net_impl: what the message layer (net.c) shares with its two transports, the
 * in-process hub (net_mem.c) and the CurveZMQ mesh (net_zmq.c). Callers of the
 * net API never include it: the transports plug in through net_ops so that
 * header validation, buffering, replay checks and barriers exist exactly once
 * and behave the same on both. */
#ifndef MPC_NET_IMPL_H
#define MPC_NET_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "common/limits.h"
#include "common/net.h"

/* A received frame (header + payload). owner NULL: data is a malloc'd block the
 * message layer may hand to the caller. owner set: data lives inside transport
 * memory (a zmq_msg_t, kept to avoid a copy) that only ops->release may free. */
typedef struct net_frame {
    uint8_t *data;
    size_t len;
    void *owner;
} net_frame;

/* A message buffered because it arrived before the caller asked for it. */
typedef struct net_msg {
    uint64_t step;
    uint8_t type;
    net_frame f;
} net_msg;

typedef struct net_ops {
    /* Send a whole frame to peer; takes ownership of frame (malloc'd) on every
     * path. 0, or an error with the message set (net_core_err). */
    int (*send)(net *nw, int peer, uint8_t *frame, size_t len);
    /* Wait up to timeout_ms for one frame: 0 with f->data set and *from the
     * authenticated sender, 0 with f->data NULL if nothing arrived, or an error
     * with the message set. */
    int (*recv)(net *nw, int timeout_ms, int *from, net_frame *f);
    /* Text naming peer's endpoint and handshake state, e.g. " (tcp://...)";
     * "" when the transport has nothing to add. */
    void (*describe)(const net *nw, int peer, char *buf, size_t len);
    /* Free f->owner (its bytes are already wiped); NULL for a transport that
     * never sets owner. Must not depend on the transport state: frames still
     * buffered are released after close. */
    void (*release)(net_frame *f);
    /* Tear the transport down, freeing what nw->tp owns; never blocks
     * indefinitely. */
    void (*close)(net *nw);
} net_ops;

struct net {
    const net_ops *ops;
    void *tp;                                        /* transport state (ops->close) */
    int n, me, timeout_ms;
    unsigned live;                                   /* servers taking part (bit j-1) */
    uint8_t sid[MPC_SID_LEN];
    uint64_t next[MPC_MAX_SERVERS + 1][256];         /* next unconsumed step */
    net_msg inbox[MPC_MAX_SERVERS + 1][NET_MAX_BUFFERED];
    int inbox_n[MPC_MAX_SERVERS + 1];
    size_t inbox_bytes[MPC_MAX_SERVERS + 1];
    uint64_t msgs_sent, bytes_sent;
    int64_t heard_ms[MPC_MAX_SERVERS + 1];           /* last frame from each peer */
    char err[1024];
};

/* A net for party me of n on the given transport, with state tp (released by
 * ops->close from net_free, also when the transport's own setup fails after
 * this call). Never NULL. */
net *net_core_new(const net_ops *ops, void *tp, int n, int me, const uint8_t *sid,
                  int timeout_ms);

/* Set the last-error text (net_errmsg). */
__attribute__((format(printf, 2, 3)))
void net_core_err(net *nw, const char *fmt, ...);

/* Hello or bye barrier: one message of type (step 0) to every live peer, then
 * wait up to timeout_ms for one from each. ERR_TIMEOUT names the missing peers
 * through ops->describe (got, when not NULL, receives the mask of those heard,
 * me included, on every return); ERR_STATE if this barrier already ran. */
int net_core_barrier(net *nw, uint8_t type, const char *what, int timeout_ms,
                     unsigned *got) MPC_WUR;

/* Agree with the others on who takes part when some may be down (the servers
 * in view heard the hello; see net_zmq_cfg.quorum): two rounds of
 * NET_TYPE_ROSTER. Round 1: view to every server in it; the roster is the
 * intersection of the views of those that answer within wait_ms. Round 2: the
 * roster to its members, each of which must send the same one. On success the
 * net is restricted to the roster (net_live). ERR_TIMEOUT when fewer than
 * quorum remain or a member falls silent, ERR_PROTO when the servers disagree
 * (one came up while the others gave up on it) or this server was left out. */
int net_core_roster(net *nw, unsigned view, int quorum, int wait_ms) MPC_WUR;

/* Wipe (frames carry shares) and free a malloc'd frame; NULL is fine. */
void net_frame_free(uint8_t *frame, size_t len);

static inline int net_peer_ok(const net *nw, int peer)
{
    return peer >= 1 && peer <= nw->n && peer != nw->me && (nw->live >> (peer - 1) & 1u);
}

#endif
