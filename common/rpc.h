/* rpc: the client <-> server request/reply channel of the intake endpoint, over
 * CurveZMQ. A server binds one ROUTER that admits any client key: requests
 * carry no identity, a submission is an envelope signed by its voter (so one
 * connection may carry many voters' envelopes: no handshake per voter), and
 * the channel still hides envelopes and authenticates the server. A client
 * either sends one request to each of n servers on fresh DEALER sockets and
 * waits for all replies (rpc_call), telling a failed handshake (socket
 * monitor), a server that drops the connection and a silent one apart; or
 * keeps one connection per server open and pipelines (rpc_conn). Client keys
 * are ephemeral. Only this module and common/net*.c include <zmq.h>. */
#ifndef MPC_RPC_H
#define MPC_RPC_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "common/limits.h"

#define RPC_RID_MAX 256        /* ROUTER routing id bytes kept per request */
#define RPC_ERR_LEN 256

/* ---- server side ---- */

typedef struct rpc_server rpc_server;

/* One received request. data/len point into the server's receive buffer and
 * stay valid until the next rpc_server_recv; rid is a copy (reply later). */
typedef struct rpc_req {
    uint8_t rid[RPC_RID_MAX];
    size_t rid_len;
    const uint8_t *data;
    size_t len;
} rpc_req;

/* Bind a CURVE ROUTER on endpoint with server secret key sk (secret). max_msg
 * bounds one request (bytes; the handshake metadata fits in a small slack
 * added here). Queues are bounded: a flood is dropped by ZeroMQ, not buffered.
 * ERR_IO when the endpoint cannot be bound (err says why). */
int rpc_server_open(rpc_server **out, const char *endpoint, const uint8_t sk[32], int64_t max_msg,
                    char *err, size_t errlen) MPC_WUR;
void rpc_server_free(rpc_server **pp);
/* Wait up to timeout_ms (0: just test) for a request: 1 when one is waiting. */
int rpc_server_wait(rpc_server *s, int timeout_ms);
/* The same, also waking when file descriptor fd (< 0: none; e.g. an HTTP
 * daemon's epoll fd) is readable: bit 1 a request is waiting, bit 2 fd is
 * readable. */
int rpc_server_wait_fd(rpc_server *s, int timeout_ms, int fd);
/* Take one waiting request without blocking: 1 got one, 0 none. A request is one
 * frame; extra frames make it malformed (r->len = 0, r->data = NULL). */
int rpc_server_recv(rpc_server *s, rpc_req *r);
/* Send reply bytes to the requester r (non-blocking; dropped if its queue is full). */
int rpc_server_reply(rpc_server *s, const rpc_req *r, const uint8_t *buf, size_t len);

/* ---- client side ---- */

typedef struct rpc_peer {
    const char *endpoint;      /* "tcp://host:port" */
    const uint8_t *curve_pk;   /* the server's CURVE public key (32 bytes) */
} rpc_peer;

/* Send reqs[i] (lens[i] bytes) to server i (0..n-1) unless reqs[i] is NULL,
 * and wait up to timeout_ms for every reply: resp[i] is malloc'd (caller
 * frees) or NULL with errs[i] naming server i+1 and the cause. Returns 0 when
 * all asked answered, else the last failure: ERR_REFUSED (handshake failed: a
 * wrong server key in the definition), ERR_IO (dropped connection, set-up
 * failure), ERR_TIMEOUT. Thread-safe: one ZeroMQ context per thread, reused
 * across calls until rpc_thread_done. */
int rpc_call(int n, const rpc_peer *peers, const uint8_t *const *reqs, const size_t *lens,
             uint8_t **resp, size_t *resp_len, char (*errs)[RPC_ERR_LEN], int timeout_ms);
/* Release the calling thread's ZeroMQ context (call before a client thread exits). */
void rpc_thread_done(void);

/* A kept connection to each of n servers (one handshake each), for a client
 * that carries many requests: sends queue up to the socket's high-water mark
 * and replies come back in any order (match them by the request's tag). One
 * thread uses a conn at a time. */
typedef struct rpc_conn rpc_conn;
int rpc_conn_open(rpc_conn **out, int n, const rpc_peer *peers) MPC_WUR;
void rpc_conn_free(rpc_conn **pp);
/* Queue len bytes to server i (0..n-1), waiting up to timeout_ms for room:
 * ERR_TIMEOUT if the queue stayed full. */
int rpc_conn_send(rpc_conn *c, int i, const uint8_t *buf, size_t len, int timeout_ms) MPC_WUR;
/* Wait up to timeout_ms for a reply from any server: 1 and *server, *buf
 * (valid until the next recv), *len; 0 if none came. */
int rpc_conn_recv(rpc_conn *c, int timeout_ms, int *server, const uint8_t **buf, size_t *len);

#endif
