/* mpc_impl: the layout of the engine context. Engine-internal: included only by
 * the engine modules that keep state in it (mpc.c, mul.c, bits.c, verify.c)
 * and by the tests that make a server deviate (mpc_adv_engine_set); the
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

/* Test-only deviations of one server (mpc_adv_engine_set). They exist only in the
 * test build of the library (-DMPC_TEST_ADVERSARY, the Makefile's adv/ build
 * that only the test binary links); shipped binaries contain none of it. */
enum {
    MPC_ADV_NONE = 0,
    MPC_ADV_MUL_ADD,      /* GRR: reshare d + delta instead of the product share d
                           * (own output kept consistent with what is sent) */
    MPC_ADV_OPEN2T_RUSH,  /* masked degree-2t opening: receive the others' shares
                           * first, then send the share that makes everyone
                           * reconstruct s + delta (force: delta) */
    MPC_ADV_OPEN_SHARE,   /* degree-t opening: send own share + delta */
};

typedef struct mpc_adv {
    int cls;              /* MPC_ADV_*; MPC_ADV_NONE: honest */
    uint64_t site;        /* 0-based index among the calls of that class */
    size_t elem;          /* element of that call; SIZE_MAX: every element */
    fe delta;
    int force;            /* OPEN2T_RUSH: the opened value becomes delta */
    int peer;             /* OPEN2T_RUSH: 0 = the deviating share to everyone, j =
                           * only to server j (equivocation: the honest servers
                           * reconstruct different public values) */
    uint64_t seen;        /* calls of the class so far */
    int fired;            /* 1 once the deviation was made */
} mpc_adv;

typedef struct mpc_chunk {
    fe *mem;
    size_t cap, used;      /* in elements */
} mpc_chunk;

struct mpc {
    const field *F;
    int n, t, me;          /* me is 1-based */
    unsigned live;         /* the servers taking part (net_live): all n, or any
                            * 2t+1 or more of them when some are down */
    int nlive;
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
    /* security with abort (verify.c) */
    int security;          /* MPC_MALICIOUS (default) or MPC_SEMI_HONEST */
    int dead;              /* a verification failed: no further opening */
    void *vstate;          /* relation log and public-value hash, built lazily */
    void *bstate;          /* the binary domain's relation log (gf2_verify.c) */
    uint64_t opened;       /* openings whose shares this server sent (tests) */
#ifdef MPC_TEST_ADVERSARY
    mpc_adv adv;           /* test-only deviation; cls == MPC_ADV_NONE otherwise */
#endif
};

/* 1 iff party j takes part in this run and is not me: the peers of every round. */
static inline int mpc_peer(const mpc *M, int j)
{
    return j != M->me && (M->live >> (j - 1) & 1u);
}

/* The k lowest-indexed live parties (the reconstruction sets). */
unsigned mpc_first_live(const mpc *M, int k);

/* Set up a caller-allocated context: mpc_create without the allocation and with
 * kappa = MPC_KAPPA (the caller may change M->kappa before the first operation).
 * Errors: ERR_ARG, ERR_NOMEM, or the transport's error (mpc_errmsg names the
 * peer). On error the context is cleared but keeps its error text. */
int mpc_init(mpc *M, const field *F, int n, int t, net *nw) MPC_WUR;
/* Free everything a context set up by mpc_init owns (wiping keys and pooled
 * shares); the transport is not freed. Safe on a zeroed or already cleared
 * context. */
void mpc_clear(mpc *M);

/* Degree reduction without a logged relation: for verify.c only, whose own
 * reductions are covered by the check itself (a false value fails it). */
int mul_reduce_unlogged(mpc *M, fe *out, const fe *d, size_t m) MPC_WUR;
/* Number of openings of values (degree t without MPC_OPEN_NV, or 2t) whose
 * shares M sent; coins and input checks are not counted (tests: nothing is
 * opened after a failed check). */
uint64_t mpc_opened(const mpc *M);
#ifdef MPC_TEST_ADVERSARY
/* Test-only: make this server deviate as *a says (a copy is kept; seen and
 * fired are reset). Called by tests on one party's context. */
void mpc_adv_engine_set(mpc *M, const mpc_adv *a);
#endif

#endif
