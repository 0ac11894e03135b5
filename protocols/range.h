/* range: client integers proven in range inside MPC. An input is 1 + k
 * elements: the value v, then its k bits (LSB first). The servers check that
 * the bits are bits and that v = sum 2^j b_j, which proves 0 <= v < 2^k without
 * opening anything about a valid input; a hostile client that shares anything
 * else (negative, >= 2^k, bits that do not match) is flagged. */
#ifndef MPC_RANGE_H
#define MPC_RANGE_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"
#include "protocols/mpc.h"

uint32_t range_input_len(int k);
/* Encode 0 <= v < 2^k (secret). */
void range_encode(const field *F, fe *out, uint64_t v, int k);
/* A hostile client's encoding of any integer v: v as a field element (negative
 * values as p - |v|) and the low k bits of its two's complement, unchecked. */
void range_encode_raw(const field *F, fe *out, int64_t v, int k);

/* Check count rows of range_input_len(k) shares, skipping and setting
 * excluded[i]. bits (may be NULL) receives, for the rows still valid, their k bit
 * shares packed in row order (N * k elements, N returned in *nvalid) and map[j]
 * the row index of packed entry j (may be NULL). Two rounds plus a coin. */
int range_check(mpc *M, const fe *rows, size_t count, int k, uint8_t *excluded, fe *bits,
                size_t *map, size_t *nvalid) MPC_WUR;

#endif
