/* mpc_impl: the layout of the engine context. Engine-internal: included only by
 * the engine modules that keep state in it (mpc.c, mul.c, bits.c); the
 * protocols built on the engine, the tests and the applications see the opaque
 * `mpc` of protocols/mpc.h and its accessors. */
#ifndef MPC_MPC_IMPL_H
#define MPC_MPC_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "common/net.h"
#include "protocols/mpc.h"
#include "protocols/prss.h"
#include "protocols/shamir.h"

typedef struct mpc_chunk {
    fe *mem;
    size_t cap, used;      /* in elements */
} mpc_chunk;

struct mpc {
    const field *F;
    int n, t, me;          /* me is 1-based */
    shamir *sh;
    prss *ps;
    net *nw;
    uint64_t step;         /* next step; identical on all servers */
    uint64_t rounds;       /* communication rounds run so far */
    uint64_t elems_sent;   /* field elements this server sent */
    char err[256];         /* last error, naming the peer/operation */
    /* engine state (owned by the context) */
    int kappa;             /* statistical security of masked openings; MPC_KAPPA */
    uint8_t *pairkey;      /* sodium_malloc'd n*32 bytes: key shared with party j at
                            * [(j-1)*32] (secret; own slot unused) */
    void *grr;             /* GRR coefficient tables (mul.c), built lazily */
    fe *bitpool;           /* shares of pooled random bits (bits.c), secret */
    size_t bitpool_len, bitpool_cap;
    uint8_t *wbuf;         /* wire buffer for encoding, grows as needed */
    size_t wbuf_cap;
    mpc_chunk *chunks;         /* scratch arena (mpc_alloc), secret contents */
    int nchunks, cur;
};

/* Set up a caller-allocated context: mpc_create without the allocation and with
 * kappa = MPC_KAPPA (the caller may change M->kappa before the first operation).
 * Errors: ERR_ARG, ERR_NOMEM, or the transport's error (mpc_errmsg names the
 * peer). On error the context is cleared but keeps its error text. */
int mpc_init(mpc *M, const field *F, int n, int t, net *nw) MPC_WUR;
/* Free everything a context set up by mpc_init owns (wiping keys and pooled
 * shares); the transport is not freed. Safe on a zeroed or already cleared
 * context. */
void mpc_clear(mpc *M);

#endif
