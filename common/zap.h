/* zap: a ZeroMQ ZAP handler (RFC 27) admitting only listed CURVE keys, and the
 * setup of CURVE server/client sockets around it.
 *
 * Without a handler on inproc://zeromq.zap.01 a CURVE server accepts ANY client
 * key (STYLE.md, ZeroMQ pitfall 1). A zap object holds per-domain tables of
 * allowed CURVE public keys, each mapped to the User-Id the handler returns
 * (read back with zmq_msg_gets(msg, "User-Id")); it answers in its own thread
 * and refuses (400) any unknown domain, unknown key or non-CURVE mechanism.
 * zap_curve_server also sets ZMQ_ZAP_ENFORCE_DOMAIN, so a socket whose context
 * has no handler refuses every client instead of failing open. */
#ifndef MPC_ZAP_H
#define MPC_ZAP_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define ZAP_ENDPOINT    "inproc://zeromq.zap.01"
#define ZAP_DOMAIN_MAX  31   /* bytes of a domain name */
#define ZAP_USER_ID_MAX 31   /* bytes of a User-Id */

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93   /* draft macro in 4.3 headers; works at run time */
#endif

typedef struct zap zap;

/* An empty handler, not yet running. Owned by the caller (zap_free). */
zap *zap_new(void);
/* Allow CURVE public key pk (32 bytes) in domain, answering user_id. Only before
 * zap_start. ERR_ARG on an empty/oversized domain or user_id, or a key already
 * listed in that domain; ERR_STATE once started. */
int zap_add(zap *z, const char *domain, const uint8_t pk[32], const char *user_id) MPC_WUR;
/* Bind the handler on ZAP_ENDPOINT of context zctx and start its thread; returns
 * once bound, so call it BEFORE binding any CURVE server socket of zctx.
 * ERR_STATE if already started or another handler holds the endpoint, ERR_IO on
 * another ZeroMQ failure. The context must outlive zap_free. */
int zap_start(zap *z, void *zctx) MPC_WUR;
/* Stop the thread (if started), close its sockets, free; *pp = NULL. */
void zap_free(zap **pp);
/* Requests answered 200 and refused (400/500) so far; any thread may call. */
void zap_stats(const zap *z, uint64_t *allowed, uint64_t *refused);

/* Make sock a CURVE server under domain: ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY
 * (sk, secret, 32 bytes; libzmq keeps its own copy), ZMQ_ZAP_DOMAIN,
 * ZMQ_ZAP_ENFORCE_DOMAIN and ZMQ_MAXMSGSIZE = maxmsgsize (bytes, > 0). Call before
 * bind. domain NULL: no ZAP, the socket's context must have no handler, and any
 * client key is admitted (the client endpoint, where each envelope carries its
 * own signature: the channel is encrypted and the server authenticated). ERR_CRYPTO if libzmq lacks CURVE, ERR_ARG on bad arguments, ERR_IO if a
 * setsockopt fails. */
int zap_curve_server(void *sock, const uint8_t sk[32], const char *domain,
                     int64_t maxmsgsize) MPC_WUR;
/* Make sock a CURVE client of the server whose public key is server_pk, with own
 * key pair (pk derived from sk, which is secret) and ZMQ_MAXMSGSIZE. Call before
 * connect. Errors as zap_curve_server. */
int zap_curve_client(void *sock, const uint8_t server_pk[32], const uint8_t sk[32],
                     int64_t maxmsgsize) MPC_WUR;

#endif
