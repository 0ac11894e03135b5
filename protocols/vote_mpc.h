/* vote_mpc: elections as an MPC: ballot layout, in-MPC ballot validity, tallies
 * kept secret, and the one declared output: a threshold YES/NO bit, the
 * plurality/approval winner (or "tie"), or the tallies when the rules say so. */
#ifndef MPC_VOTE_MPC_H
#define MPC_VOTE_MPC_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "protocols/mpc.h"

enum { VOTE_THRESHOLD = 1, VOTE_PLURALITY = 2, VOTE_APPROVAL = 3 };
/* Base of the threshold fraction q. */
enum { VOTE_BASE_YES_NO = 1, VOTE_BASE_CAST = 2, VOTE_BASE_ROLL = 3 };

#define VOTE_MAX_OPTIONS 64

typedef struct vote_spec {
    int type;             /* VOTE_* */
    int options;          /* entries per ballot: 2 (yes, no) for a threshold vote */
    int abstain;          /* a blank ballot (all zeros) is valid */
    int max_approvals;    /* approval: at most this many 1s (1..options) */
    /* threshold: YES iff yes >= q * base (strict: >), q = num/den, and yes > 0 */
    int64_t num, den;
    int strict, base;
    uint64_t quorum;      /* minimum ballots cast; below it the motion fails */
    uint64_t roll;        /* roll size (base "roll") */
    int reveal_tallies;   /* plurality/approval: open every tally */
    int tie_first;        /* plurality/approval: a tie goes to the lowest option */
    double dp_eps;        /* > 0: differentially private release (docs/dp.md):
                           * threshold: noisy decision; reveal_tallies: noisy
                           * tallies; else the winner by report-noisy-max */
} vote_spec;

/* What vote_run opened, all public. winner and tie are final after vote_run in
 * every plurality/approval release: with open tallies (exact, or noisy under dp:
 * then they are post-processing of the noisy tallies) the winner is the lowest
 * option with the highest tally and tie = (the top is shared && !tie_first);
 * winner only: tie is opened first and the winner only when there is none;
 * report-noisy-max (dp, winner only): a winner, never a tie. Threshold votes
 * leave winner and tie 0. */
typedef struct vote_outcome {
    uint64_t cast;        /* valid ballots counted (blank ones included) */
    int quorum_met;
    int yes;              /* threshold: 1 YES, 0 NO */
    int tie;              /* plurality/approval: the top is shared and reported */
    int winner;           /* option index (meaningless when tie) */
    int tallies_open;
    uint64_t tallies[VOTE_MAX_OPTIONS];  /* tallies_open without dp */
    int64_t noisy[VOTE_MAX_OPTIONS];     /* tallies_open with dp: noisy tallies */
} vote_outcome;

struct dp_plan;

/* The privacy cost of s's release (replace-one-ballot neighbours, since the
 * number of ballots cast is public; docs/dp.md): the sampler plan and the
 * guaranteed epsilon and delta of everything the release opens. Public. */
int vote_dp_cost(const vote_spec *s, struct dp_plan *P, double *eps, double *delta) MPC_WUR;

/* Largest |yes*den - num*base| bit length a threshold spec can reach; the field
 * must satisfy bits(p) >= this + kappa + 3 (ERR_RANGE from vote_check_spec). */
int vote_check_spec(const vote_spec *s, const field *F, int kappa) MPC_WUR;

/* Ballot encodings (plaintext, secret): yes/no/blank for a threshold vote, an
 * option index (or -1 for blank) for plurality, a set of options for approval. */
void vote_encode_threshold(fe *out, int choice /* 1 yes, 0 no, -1 blank */);
void vote_encode_options(fe *out, int options, const int *chosen, int nchosen);

/* Check count ballots of s->options shares (rows), skipping and setting
 * excluded[i]: entries are bits, a plurality or threshold ballot has at most one
 * 1 (exactly one without abstain), an approval ballot at most max_approvals (at
 * least one without abstain). Then tally the valid ones and compute and open
 * only the declared output into *out (see vote_outcome). A threshold vote below
 * the quorum, or with no ballot, is NO without any opening. Errors: ERR_ARG for a
 * malformed spec (unknown type, options outside 1..VOTE_MAX_OPTIONS, a threshold
 * vote without 2 options), ERR_CHEAT for an opened value that cannot be, else
 * the engine's or dp's; mpc_errmsg says which. */
int vote_run(mpc *M, const vote_spec *s, const fe *rows, size_t count, uint8_t *excluded,
             vote_outcome *out) MPC_WUR;

/* The randomness a dp release of s uses, as field elements: the Laplace noise
 * (1 sample for a threshold vote, one per option otherwise) and, for
 * report-noisy-max, DP_TIE_BITS tie bits per option after it. 0 without dp. */
size_t vote_dp_noise_len(const vote_spec *s);
/* Draw it: len = vote_dp_noise_len(s) shares (secret) of fresh noise, what
 * vote_run would draw itself. ERR_ARG for another len, else dp's errors. */
int vote_dp_noise(mpc *M, const vote_spec *s, fe *noise, size_t len) MPC_WUR;
/* vote_run with the release's randomness given (vote_dp_noise_len(s) shares,
 * secret; a stored release being rerun, protocols/dp_release.h), or drawn
 * fresh inside when noise is NULL. Same errors. */
int vote_run_noise(mpc *M, const vote_spec *s, const fe *rows, size_t count, uint8_t *excluded,
                   const fe *noise, vote_outcome *out) MPC_WUR;

#endif
