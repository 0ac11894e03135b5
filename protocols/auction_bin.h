/* auction_bin: the sealed-bid auction in the binary domain (issue 16): the
 * bidders share the bits of their bids directly in GF(2^4) (gf2_share), so the
 * range is automatic once every bit is checked to be a bit; the tournament
 * (bin_max) runs on bit-sliced shares and only the declared outputs are
 * opened, as auction_mpc.h does over F_p.
 *
 * Bids are a k-row bit matrix (bincmp.h) of gf2_words(count) words per row
 * and plane, bid i in lane i: the server's shares of every bidder's k bits.
 * In malicious mode every gate is verified (gf2_verify.h) before anything is
 * opened. docs/protocols.md, "Binary domain: the auction". */
#ifndef MPC_AUCTION_BIN_H
#define MPC_AUCTION_BIN_H

#include <stddef.h>
#include <stdint.h>
#include "protocols/auction_mpc.h"

/* Largest bid bit length (a validity bit joins the k bits, bin_max takes 64). */
#define AUCTION_BIN_MAX_K 63
/* The mark of a bidder excluded for shares that do not fit degree t (1: a
 * non-bit). */
#define AUCTION_BIN_INCONSISTENT 2

/* Run the auction on count bids of s->k bits (1 <= k <= AUCTION_BIN_MAX_K).
 * Bidders with excluded[i] set are skipped; a bidder with a shared value
 * other than 0 or 1 gets excluded[i] = 1, one whose shares do not fit degree t
 * AUCTION_BIN_INCONSISTENT in semi-honest mode (both checked in GF(2^64): a bad input
 * passes with probability 2^-64). In malicious mode inconsistent shares abort
 * (ERR_CHEAT, nothing opened): they cannot be told from a server that spoiled
 * its share of the check (as the servers' input check does, app/server.c).
 * Ties: the lowest index wins. Opens only the validity verdicts, sold, and
 * then the price and (second price, or when reveal_winner) the winner's
 * index: first price opens the winning bid; second price opens the winner,
 * then whether the second bid reaches the reserve and only then that bid.
 * Rounds: 1 coin, 1 degree opening, 1 AND, the check, 1 opening, then the
 * tournament (bin_max), 1 + ceil(log2(k+1)) for the reserve, 1 or 2 openings;
 * second price: a second tournament. Errors: ERR_ARG, ERR_CHEAT (a server
 * deviated: nothing more is opened), else the engine's. */
int auction_bin_run(mpc *M, const auction_spec *s, const uint64_t *bids, size_t count,
                    uint8_t *excluded, auction_outcome *out) MPC_WUR;

#endif
