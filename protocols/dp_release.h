/* dp_release: the noise of a differentially private release, stored durably
 * and confirmed by every server before anything noisy is opened, so that a
 * rerun after a crash is the same release (same noise, no second spend of the
 * budget) and never a second one. docs/dp.md, "Reruns", has the argument.
 *
 * A release is named by two hashes. pub binds the session, the release's
 * parameters and the public description of the counted inputs (roll indices
 * and exclusion flags): every honest server computes the same pub and the
 * servers compare it. local adds a hash of this server's OWN shares of the
 * inputs: a different accepted envelope for any voter changes every honest
 * server's share of it, so local changes on every honest server whenever the
 * input set does. local never leaves the server (a hash of shares would let t
 * servers test guesses of a ballot); it names the noise file and the ledger
 * line. */
#ifndef MPC_DP_RELEASE_H
#define MPC_DP_RELEASE_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "protocols/mpc.h"

/* Message types (applications use >= 64; agree.h has 64..67). */
#define DP_MSG_STATUS 80   /* what each server holds for the release */
#define DP_MSG_STORED 81   /* "stored": the noise is on this server's disk */

typedef struct dp_release {
    uint8_t pub[32];     /* public: the same on every honest server */
    uint8_t local[32];   /* pub and this server's input shares: never sent */
    char name[65];       /* hex of local: dp_noise.<name>, the ledger's key */
} dp_release;

/* The id of a release over count inputs of m elements: sid (32 bytes),
 * params (public text naming the mechanism, epsilon, sensitivity and the
 * rules), roll[i] and excluded[i] (public, identical on every server) and rows
 * (this server's count * m shares, secret: only hashed into R->local). */
void dp_release_id(dp_release *R, const field *F, const uint8_t *sid, const char *params,
                   const uint32_t *roll, const uint8_t *excluded, size_t count, const fe *rows,
                   size_t m);

/* Draws len field elements of fresh noise shares (the release's randomness). */
typedef int (*dp_noise_fn)(mpc *M, fe *out, size_t len, void *arg);

typedef struct dp_release_cfg {
    const char *dir;        /* data directory: dp_noise.<name> and dp_ledger */
    double eps, delta;      /* what the release costs */
    double budget;          /* epsilon the election may ever spend */
    dp_noise_fn draw;
    void *draw_arg;
    /* called at "dp-noise-drawn" (drawn, not stored), "dp-noise-stored" (stored
     * and charged, not confirmed) and "dp-noise-confirmed" (confirmed, nothing
     * noisy opened yet): the crash tests' failpoints. May be NULL. */
    void (*stage)(const char *name);
} dp_release_cfg;

typedef struct dp_release_info {
    double spent;           /* epsilon spent after this release (ledger total) */
    int reused;             /* 1: the stored noise was reused */
    int charged;            /* 1: this call wrote a ledger line */
    uint64_t gen;           /* generation of the noise: 1 + each regeneration */
} dp_release_info;

/* The noise of release R into noise[0..len) (secret shares; the caller wipes
 * them). Run by every server together, two rounds plus, when noise is drawn,
 * the draw and a multiplication check (mpc_verify) of it:
 * 1. this server loads dp_noise.<R->name> if there (state stored or
 *    confirmed, with a generation) and looks R up in the ledger; a release not
 *    yet charged, or charged but whose noise file is gone, must fit the budget
 *    (else ERR_REFUSED before any round);
 * 2. the servers exchange (state, generation, pub); a different pub aborts;
 * 3. if any server confirmed, every server must hold that generation (it is
 *    reused; a server holding less is named: it cheats or lost its disk, and
 *    fresh noise would be a second release, so ERR_CHEAT); else if all hold
 *    the same generation it is reused; else fresh noise is drawn (no honest
 *    server confirmed, so no noisy share was ever sent), verified, and stored
 *    (fsync'ed, mode 0600) as the next generation;
 * 4. the ledger is charged once per release (appended and fsync'ed), then
 *    every server sends "stored" and, once it has every other server's, records
 *    "confirmed" in its file. Only then may any noisy value be opened.
 * Errors, with err set (and mpc_errmsg for the rounds): ERR_REFUSED, ERR_CHEAT
 * (a server holds other noise than one confirmed, or a different release),
 * ERR_PARSE (a damaged noise file or ledger), ERR_IO, the draw's and network
 * errors. */
int dp_release_noise(mpc *M, const dp_release_cfg *C, const dp_release *R, fe *noise,
                     size_t len, dp_release_info *info, char *err, size_t errlen) MPC_WUR;

/* The ledger at path: *used = epsilon spent so far, *had = 1 when a line names
 * release id (64 hex characters; NULL: never). ERR_PARSE (damaged), ERR_IO. */
int dp_ledger_read(const char *path, const char *id, double *used, int *had, char *err,
                   size_t errlen) MPC_WUR;
/* Append "eps delta [id]" and fsync if used + eps fits the budget (*spent the
 * new total), else ERR_REFUSED; errors as dp_budget_spend. id may be NULL. */
int dp_ledger_spend(const char *path, const char *id, double eps, double delta, double budget,
                    double *spent, char *err, size_t errlen) MPC_WUR;

#endif
