/* auction_mpc: the sealed-bid auction as an MPC: input layout, in-MPC range
 * check, max / top-two with the earliest-index tie rule, reserve price, and the
 * openings the rules declare (nothing else is opened). */
#ifndef MPC_AUCTION_MPC_H
#define MPC_AUCTION_MPC_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "protocols/mpc.h"

/* A bid is a range-checked integer (protocols/range.h): range_input_len(k)
 * elements made by range_encode / range_encode_raw. */

typedef struct auction_spec {
    int k;               /* bid bit length */
    int second;          /* second-price rule: price = max(second bid, reserve) */
    int reveal_winner;   /* open the winner's row (always with second price) */
    uint64_t reserve;    /* 0: no reserve */
} auction_spec;

typedef struct auction_outcome {
    int sold;            /* 0: no sale (no valid bid, or below the reserve) */
    size_t winner;       /* row index of the winner (sold only) */
    uint64_t price;      /* first price: the winning bid; second price: the price */
} auction_outcome;

/* Run the auction on count rows of m = range_input_len(k) shares (1 <= k <= 64).
 * Rows with excluded[i] set are skipped; rows failing the range check get
 * excluded[i] = 1. Ties: the earliest row (lowest roll index) wins. Opens only:
 * the validity verdicts, sold, and then the price and (second price, or when
 * the caller reveals it) the winner's row. No valid bid, or a highest bid below
 * the reserve: sold = 0 and nothing else. Errors: ERR_ARG (bad k or m),
 * ERR_CHEAT (an opened value that cannot be), else the engine's; mpc_errmsg
 * says which. */
int auction_run(mpc *M, const auction_spec *s, const fe *rows, size_t count, uint32_t m,
                uint8_t *excluded, auction_outcome *out) MPC_WUR;

#endif
