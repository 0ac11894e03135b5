/* auction_mpc: the sealed-bid auction as an MPC: input layout, in-MPC range
 * check, max / top-two with the earliest-index tie rule, reserve price, and the
 * openings the rules declare (nothing else is opened). */
#ifndef MPC_AUCTION_MPC_H
#define MPC_AUCTION_MPC_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "protocols/mpc.h"

/* A bid input is 1 + k elements: the bid v, then its k bits (LSB first). The
 * servers check in MPC that the bits are bits and that v = sum 2^j b_j, which
 * proves 0 <= v < 2^k without opening anything about a valid bid. */
uint32_t auction_input_len(int k);
/* Encode a bid 0 <= v < 2^k (secret). */
void auction_encode(const field *F, fe *out, uint64_t v, int k);
/* A hostile client's encoding of any integer v: v as a field element (negative
 * values as p - |v|) and the low k bits of its two's complement, unchecked. */
void auction_encode_raw(const field *F, fe *out, int64_t v, int k);

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

/* Run the auction on count rows of m = auction_input_len(k) shares. Rows with
 * excluded[i] set are skipped; rows failing the range check get excluded[i] = 1.
 * Ties: the earliest row (lowest roll index) wins. Opens only: the validity
 * verdicts, sold, and then the price and (second price, or when the caller
 * reveals it) the winner's row. Errors as the engine's (M->err). */
int auction_run(mpc *M, const auction_spec *s, const fe *rows, size_t count, uint32_t m,
                uint8_t *excluded, auction_outcome *out) MPC_WUR;

#endif
