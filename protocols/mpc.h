/* mpc: the per-server protocol context every MPC operation runs in (field, n, t,
 * own index, Shamir and PRSS state, transport, the shared step counter, the cost
 * counters; opaque: its layout is in protocols/mpc_impl.h, for the engine only),
 * plus the round primitive and the openings every protocol uses. */
#ifndef MPC_MPC_H
#define MPC_MPC_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "common/net.h"

/* Message types of the engine (net_hdr.type); applications use >= 64. */
enum {
    MPC_MSG_KEYS   = 1,   /* PRSS group keys and pairwise keys at set-up */
    MPC_MSG_OPEN   = 2,   /* degree-t opening */
    MPC_MSG_OPEN2T = 3,   /* masked degree-2t opening */
    MPC_MSG_MUL    = 4,   /* GRR degree reduction */
    MPC_MSG_VERIFY = 5,   /* final round of the multiplication check */
    MPC_MSG_BIN    = 6,   /* binary domain: AND resharing, openings (gf2.h) */
    MPC_MSG_BINV   = 7,   /* binary domain: the check's rounds (gf2_verify.h) */
};

/* Security modes (mpc_set_security). MPC_MALICIOUS, the default: security with
 * abort against t actively cheating servers; every multiplication is logged
 * and verified before any opening that depends on it (protocols/verify.h).
 * MPC_SEMI_HONEST: the same protocols without the log and the checks, for
 * speed-only experiments; correct and private only if every server follows
 * the protocol. */
enum { MPC_SEMI_HONEST = 0, MPC_MALICIOUS = 1 };

/* Flags of mpc_open_ex and mpc_open_prod_ex. */
enum {
    /* No verification first: only for values that are linear in client inputs,
     * public values and fresh PRSS randomness (coins, input checks), whose
     * opening cannot reveal anything a pending false relation steered. */
    MPC_OPEN_NV = 1,
};

/* Default and largest statistical security of masked openings (bits). */
#define MPC_KAPPA 40
#define MPC_KAPPA_MAX 120

typedef struct mpc mpc;

/* ---- constructor / destructor (the application layer's view) ---- */

/* A new context on an open transport: derive the Shamir tables and set up the
 * PRSS group keys and the pairwise keys from contributions of all their holders
 * with key confirmation (protocols/keysetup.h: three rounds, one message per
 * peer each; a cheating holder aborts the set-up, named where the evidence
 * allows). Security mode: MPC_MALICIOUS until mpc_set_security. Needs 0 <= t, 2t < n, n == net_n(nw), at least 2t+1 servers in net_live(nw); kappa is the statistical
 * security of masked openings in bits (kappa <= 0: MPC_KAPPA; at most
 * MPC_KAPPA_MAX). The transport stays owned by the caller and must outlive the
 * context. Returns an owned context (free with mpc_destroy), or NULL with the
 * reason (naming the peer for a transport error) in err (errlen bytes, may be
 * NULL/0). */
mpc *mpc_create(const field *F, int n, int t, int kappa, net *nw, char *err,
                size_t errlen) MPC_WUR;
/* Free everything the context owns, wiping keys and pooled shares; the transport
 * is not freed. Accepts NULL and *M == NULL; sets *M = NULL. */
void mpc_destroy(mpc **M);

/* ---- errors and costs ---- */

/* Last error text, naming the peer and operation; never NULL ("no error" when
 * none was recorded); the text is replaced by the next error on M. */
const char *mpc_errmsg(const mpc *M);
/* Record an error: format the printf-style message as M's last error text
 * (truncated to 255 bytes; the arguments may include mpc_errmsg(M) itself, e.g.
 * to prefix a context) and return rc unchanged, so a caller writes
 *     return mpc_fail(M, ERR_CHEAT, "opened tally %d out of range", j);
 * Nothing secret belongs in the message. */
int mpc_fail(mpc *M, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Cost counters since the context was set up: rounds, field elements sent, bytes
 * sent by the transport (headers included). Any pointer may be NULL. */
void mpc_stats(const mpc *M, uint64_t *rounds, uint64_t *elems, uint64_t *bytes);

/* ---- accessors (public parameters, identical on all servers but mpc_me) ---- */

int mpc_n(const mpc *M);                  /* number of servers */
int mpc_t(const mpc *M);                  /* threshold: t+1 shares reconstruct */
int mpc_me(const mpc *M);                 /* own index, 1..n */
/* The servers taking part (bit j-1 = server j): all n, or the 2t+1 or more
 * that were up when the mesh opened (net_live). Shares keep their points 1..n;
 * every round, opening and resharing runs among these only. */
unsigned mpc_live(const mpc *M);
const field *mpc_field(const mpc *M);     /* the field (owned by the caller) */
int mpc_kappa(const mpc *M);              /* statistical security in bits */

/* Security mode, MPC_SEMI_HONEST or MPC_MALICIOUS (mpc_create's default), the
 * same on every server (the definition file's "security"). Set it before the
 * first operation; switching to semi-honest leaves pending relations
 * unverified. Any other mode is a programmer error (assert). */
void mpc_set_security(mpc *M, int mode);
int mpc_security(const mpc *M);

/* One communication round on a fresh step: for every peer j (1..n, != me) with
 * send[j-1] != NULL, send the slen[j-1] elements send[j-1] (shares: secret);
 * then for every peer with recv[j-1] != NULL, receive exactly rlen[j-1] elements
 * into recv[j-1]. Entries for me are ignored. Counts one round. Errors: the
 * transport's (ERR_TIMEOUT, ERR_PROTO), ERR_PARSE/ERR_RANGE for a malformed or
 * out-of-range payload; mpc_errmsg names the peer. */
int mpc_round(mpc *M, uint8_t type, const fe *const *send, const size_t *slen,
              fe *const *recv, const size_t *rlen) MPC_WUR;
/* The same round in two halves, so local work can overlap the peers' messages:
 * mpc_round_send takes a fresh step (returned in *step), counts the round and
 * sends; mpc_round_recv receives for that step. Same arguments and errors. */
int mpc_round_send(mpc *M, uint8_t type, uint64_t *step, const fe *const *send,
                   const size_t *slen) MPC_WUR;
int mpc_round_recv(mpc *M, uint8_t type, uint64_t step, fe *const *recv,
                   const size_t *rlen) MPC_WUR;

/* Byte-level halves of a round, for protocols that encode and decode on the fly
 * (mul): mpc_step takes a fresh step and counts one round; mpc_wire returns the
 * context's wire buffer of at least len bytes (reused: valid until the next
 * mpc_wire or send); mpc_send_raw sends len bytes holding nelem encoded elements
 * (counted) to peer; mpc_recv_raw hands out the payload of (peer, type, step),
 * malloc'd (the caller wipes and frees it). Errors as mpc_round. */
uint64_t mpc_step(mpc *M);
uint8_t *mpc_wire(mpc *M, size_t len);
int mpc_send_raw(mpc *M, int peer, uint8_t type, uint64_t step, const uint8_t *buf,
                 size_t len, size_t nelem) MPC_WUR;
int mpc_recv_raw(mpc *M, int peer, uint8_t type, uint64_t step, uint8_t **payload,
                 size_t *len) MPC_WUR;

/* Open m degree-t sharings x (own shares): all n shares are exchanged and must
 * lie on degree-t polynomials, else ERR_CHEAT (nothing is written to out). One
 * round, (n-1)*m elements sent. out (public) may alias x. In malicious mode,
 * when relations are pending, mpc_verify runs first (its rounds added; its
 * ERR_CHEAT returned with nothing opened). */
int mpc_open(mpc *M, fe *out, const fe *x, size_t m) MPC_WUR;
/* mpc_open with flags: MPC_OPEN_NV skips the verification (see the flag). */
int mpc_open_ex(mpc *M, fe *out, const fe *x, size_t m, int flags) MPC_WUR;
/* Like mpc_open but never fails on inconsistency: bad[j] = 1 when the n shares of
 * element j do not fit degree t (out[j] is then the value through parties
 * 1..t+1). For input checks: never verifies first (as MPC_OPEN_NV). */
int mpc_open_check(mpc *M, fe *out, uint8_t *bad, const fe *x, size_t m) MPC_WUR;
/* Open m local degree-2t values z (e.g. products of two degree-t shares) after
 * adding a fresh PRZS sharing of zero, so only the values are revealed. Needs all
 * 2t+1 first shares; with n > 2t+1 all n are checked (ERR_CHEAT). One round.
 * Semi-honest mode only: at n = 2t+1 nothing checks the opened value, so in
 * malicious mode it is refused (ERR_STATE); use mpc_open_prod / mpc_open_dot,
 * which log what they open. */
int mpc_open_2t(mpc *M, fe *out, const fe *z, size_t m) MPC_WUR;
/* Open x*y for degree-t x, y (one round, no resharing): the masked degree-2t
 * opening of the local products. out may alias x or y. In malicious mode the
 * relation x*y = out (out public) is logged, so a wrong share (even a rushed
 * one) makes the next verification fail; x and y must be verified values, so
 * pending relations are verified first unless flags has MPC_OPEN_NV (x and y
 * client inputs or fresh PRSS values, as in the random-bit generator). */
int mpc_open_prod(mpc *M, fe *out, const fe *x, const fe *y, size_t m) MPC_WUR;
int mpc_open_prod_ex(mpc *M, fe *out, const fe *x, const fe *y, size_t m, int flags) MPC_WUR;
/* Open the inner product sum_i a_i b_i of degree-t sharings (len entries) into
 * *out, one round, n-1 elements; logged in malicious mode like mpc_open_prod
 * (one relation for the whole sum). flags as mpc_open_prod_ex. */
int mpc_open_dot(mpc *M, fe *out, const fe *a, const fe *b, size_t len, int flags) MPC_WUR;

/* m degree-t shares of independent uniform secrets (PRSS, no communication). */
void mpc_rand(mpc *M, fe *out, size_t m);
/* A public random 32-byte seed all servers agree on: opens one PRSS random value
 * (checked; never verifies first) and hashes it. One round. seed is public once
 * drawn. */
int mpc_coin(mpc *M, uint8_t seed[32]) MPC_WUR;

/* Scratch arena of the context: every protocol takes its working vectors here
 * instead of malloc, so a repeated operation touches no fresh pages (a page fault
 * costs more than the arithmetic on the page). Stack discipline:
 *     size_t mark = mpc_mark(M); fe *a = mpc_alloc(M, n); ...; mpc_release(M, mark);
 * Buffers never move while allocated; contents are uninitialised, secret, and
 * wiped by mpc_destroy (not on release). Aborts when memory is exhausted. */
size_t mpc_mark(const mpc *M);
fe *mpc_alloc(mpc *M, size_t n);
void mpc_release(mpc *M, size_t mark);

/* Branch-free field addition and subtraction for the engine's hot loops (the
 * comparison in fe_add/fe_sub is taken half of the time on uniform shares, a
 * mispredicted branch per operation). Same results as fe_add/fe_sub. */
static inline fe mpc_fadd(const field *F, fe a, fe b)
{
    fe t = a + b - F->p;                         /* wraps below 0: top bit set */
    return t + (F->p & ((fe)0 - (t >> 127)));
}

static inline fe mpc_fsub(const field *F, fe a, fe b)
{
    fe t = a - b;
    return t + (F->p & ((fe)0 - (t >> 127)));
}

/* One element in the wire format: F->bytes bytes, big-endian. mpc_get returns
 * ERR_RANGE for a value >= p. */
static inline void mpc_put(const field *F, uint8_t *out, fe v)
{
    /* direct stores per width: no staging buffer, so no store-forwarding stalls */
    uint64_t lo = __builtin_bswap64((uint64_t)v), hi = (uint64_t)(v >> 64);
    switch (F->bytes) {
    case 12: {
        uint32_t h = __builtin_bswap32((uint32_t)hi);
        __builtin_memcpy(out, &h, 4);
        __builtin_memcpy(out + 4, &lo, 8);
        return;
    }
    case 16: {
        uint64_t h = __builtin_bswap64(hi);
        __builtin_memcpy(out, &h, 8);
        __builtin_memcpy(out + 8, &lo, 8);
        return;
    }
    case 8:
        __builtin_memcpy(out, &lo, 8);
        return;
    default:
        for (size_t j = F->bytes; j-- > 0;) {
            out[j] = (uint8_t)v;
            v >>= 8;
        }
        return;
    }
}

static inline int mpc_get(const field *F, const uint8_t *in, fe *v)
{
    uint64_t lo, h8;
    uint32_t h4;
    fe x;
    switch (F->bytes) {
    case 12:
        __builtin_memcpy(&h4, in, 4);
        __builtin_memcpy(&lo, in + 4, 8);
        x = ((fe)__builtin_bswap32(h4) << 64) | __builtin_bswap64(lo);
        break;
    case 16:
        __builtin_memcpy(&h8, in, 8);
        __builtin_memcpy(&lo, in + 8, 8);
        x = ((fe)__builtin_bswap64(h8) << 64) | __builtin_bswap64(lo);
        break;
    case 8:
        __builtin_memcpy(&lo, in, 8);
        x = __builtin_bswap64(lo);
        break;
    default:
        x = 0;
        for (size_t j = 0; j < F->bytes; j++) x = (x << 8) | in[j];
        break;
    }
    if (x >= F->p) return ERR_RANGE;
    *v = x;
    return 0;
}

/* Encode/decode m elements in the wire format (fixed width, big-endian); decode
 * rejects values >= p (ERR_RANGE) and a wrong length (ERR_PARSE). */
void mpc_encode(const field *F, uint8_t *out, const fe *v, size_t m);
int mpc_decode(const field *F, fe *out, size_t m, const uint8_t *in, size_t len) MPC_WUR;

/* Uniform field elements from a keyed stream by rejection sampling; fast path
 * used for PRG-derived shares (both ends must call it identically). */
void mpc_prg_fe(const field *F, struct prg *g, fe *out, size_t m);

#endif
