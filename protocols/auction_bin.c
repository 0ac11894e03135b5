/* auction_bin: the binary-domain auction (see auction_bin.h).
 *
 * Working matrix Y, k + 1 rows: row 0 the public validity bit (a constant
 * sharing: every share is the bit), rows 1..k the bid bits, so a lane's value
 * is 2 bid + valid: a valid bid beats every excluded lane (value 0) and the
 * order among valid bids is the bids' order. Excluded lanes are zeroed
 * (zero shares are a consistent sharing of 0). */
#include "protocols/auction_bin.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/xalloc.h"
#include "protocols/bincmp.h"
#include "protocols/gf2.h"
#include "protocols/gf64.h"
#include "protocols/gf64share.h"
#include "protocols/mpc_impl.h"

#define S_DOMAIN 0x41424e30u   /* "ABN0": the input checks' coefficients */

/* d[4 j + p] = c_j * emb(x^p) for k fresh coefficients c_j of the coin: the
 * GF(2^64) combination sum_j c_j emb(x_j) of a lane is the XOR of the d of
 * its set bits. */
static void s_coefs(uint64_t *d, const uint8_t seed[32], uint64_t level, int k)
{
    prg g;
    prg_init(&g, seed, S_DOMAIN, level);
    for (int j = 0; j < k; j++) {
        uint8_t b[8];
        uint64_t c;
        prg_bytes(&g, b, 8);
        gf2_get_words(&c, b, 1);
        for (int p = 0; p < GF2_PLANES; p++) d[4 * j + p] = gf64_mul(c, gf64_embed((uint8_t)(1u << p)));
    }
    prg_wipe(&g);
}

/* out[i] ^= sum over the k rows of X of the coefficient combination of lane i. */
static void s_combine(uint64_t *out, uint64_t *X, int k, size_t nw, const uint64_t *d, size_t count)
{
    for (int j = 0; j < k; j++)
        for (int p = 0; p < GF2_PLANES; p++) {
            const uint64_t *w = bin_plane(X, k, j, p, nw), c = d[4 * j + p];
            for (size_t q = 0; q < nw; q++)
                for (uint64_t b = w[q]; b; b &= b - 1) {
                    size_t lane = 64 * q + (size_t)__builtin_ctzll(b);
                    if (lane < count) out[lane] ^= c;
                }
        }
}

/* Zero lane i in every row and plane of the k-row matrix X. */
static void s_zero_lane(uint64_t *X, int k, size_t nw, size_t i)
{
    for (int j = 0; j < k; j++)
        for (int p = 0; p < GF2_PLANES; p++) bin_plane(X, k, j, p, nw)[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* The bidders' checks on B (k rows): degree t, then bits. Flags and zeroes
 * the bad lanes of B. */
static int s_checks(mpc *M, uint64_t *B, int k, size_t count, uint8_t *excluded)
{
    size_t nw = gf2_words(count);
    uint64_t *y = xcalloc(count ? count : 1, 8), *open = xmalloc((count ? count : 1) * 8),
             *d = xmalloc((size_t)k * 4 * 8), *Z = xmalloc(bin_matrix_words(k, nw) * 8);
    uint8_t *bad = xmalloc(count ? count : 1), seed[32];
    for (size_t i = 0; i < count; i++)
        if (excluded[i]) s_zero_lane(B, k, nw, i);
    int rc = mpc_coin(M, seed);
    if (rc == 0) rc = gf64s_masks(M, y, count);
    if (rc == 0) {   /* degree: the masked combination of every lane fits degree t */
        s_coefs(d, seed, 0, k);
        s_combine(y, B, k, nw, d, count);
        rc = gf64s_open_check(M, open, bad, y, count);
    }
    for (size_t i = 0; i < count && rc == 0; i++)
        if (!excluded[i] && bad[i]) {
            /* Malicious servers: a spoiled share of this opening and a
             * bidder's inconsistent shares look the same, so excluding would
             * let one server drop an honest bid: abort, nothing opened. */
            if (M->security == MPC_MALICIOUS)
                rc = mpc_fail(M, ERR_CHEAT, "bidder %zu: not a consistent sharing, or a server "
                                            "spoiled the degree check; nothing is computed", i);
            excluded[i] = AUCTION_BIN_INCONSISTENT;
            s_zero_lane(B, k, nw, i);
        }
    /* bits: x AND x XOR x is a sharing of 0 exactly for x in {0, 1} */
    if (rc == 0) rc = gf2_and(M, Z, B, B, (size_t)k * nw);
    /* Opened before the gates are verified (the check runs once, before the
     * outcome): for a bidder of bits, z = x AND x XOR x is only the error a
     * cheating server added to the AND, independent of x; a false gate fails
     * the check before anything about the bids is opened. */
    if (rc == 0) {
        gf2_xor(Z, Z, B, (size_t)k * nw);
        memset(y, 0, count * 8);
        s_coefs(d, seed, 1, k);
        s_combine(y, Z, k, nw, d, count);
        rc = gf64s_open_check(M, open, bad, y, count);
    }
    for (size_t i = 0; i < count && rc == 0; i++) {
        /* the inputs fit degree t now and z is a resharing: only a server
         * can make this opening inconsistent */
        if (bad[i]) {
            M->dead = 1;
            rc = mpc_fail(M, ERR_CHEAT, "bit check opening inconsistent: a server deviated");
        } else if (!excluded[i] && open[i]) {
            excluded[i] = 1;
            s_zero_lane(B, k, nw, i);
        }
    }
    sodium_memzero(y, count * 8);
    sodium_memzero(Z, bin_matrix_words(k, nw) * 8);
    free(y), free(open), free(d), free(Z), free(bad);
    return rc;
}

/* Open rows [0, nr) of a one-word-per-row matrix (lane 0) as an integer. */
static int s_open_value(mpc *M, const uint64_t *X, int k, int from, int nr, uint64_t *val)
{
    uint64_t v[4 * 64], bits[64];
    for (int p = 0; p < GF2_PLANES; p++)
        for (int j = 0; j < nr; j++) v[(size_t)p * (size_t)nr + (size_t)j] = X[(size_t)p * (size_t)k + (size_t)(from + j)];
    int rc = gf2_open(M, bits, v, (size_t)nr);
    *val = 0;
    for (int j = 0; j < nr && rc == 0; j++) *val |= (bits[j] & 1u) << j;
    return rc;
}

/* The maximum of Y (k1 rows, count lanes) and whether it is a valid bid of at
 * least reserve (opened: one bit). mx, ix: bin_max's outputs. */
static int s_best(mpc *M, const uint64_t *Y, int k1, size_t count, uint64_t reserve, uint64_t *mx,
                  uint64_t *ix, int *ok)
{
    int rc = bin_max(M, mx, ix, Y, count, k1);
    uint64_t c[64], g[4], bit = 0;
    for (int j = 0; j < k1; j++) c[j] = (2 * reserve) >> j & 1u;   /* 2 bid + 1 > 2 reserve */
    if (rc == 0) rc = bin_gt_pub(M, g, mx, c, k1, 1);
    if (rc == 0) rc = gf2_open(M, &bit, g, 1);
    *ok = rc == 0 && (bit & 1u);
    return rc;
}

int auction_bin_run(mpc *M, const auction_spec *s, const uint64_t *bids, size_t count,
                    uint8_t *excluded, auction_outcome *out)
{
    memset(out, 0, sizeof *out);
    int k = s->k, k1 = k + 1;
    if (k < 1 || k > AUCTION_BIN_MAX_K || count == 0)
        return mpc_fail(M, ERR_ARG, "binary auction: bid bits %d (1..%d), %zu bidders", k,
                        AUCTION_BIN_MAX_K, count);
    if (s->reserve >> k) return 0;   /* no k-bit bid reaches it: no sale, nothing opened */
    size_t nw = gf2_words(count);
    uint64_t *B = xmalloc(bin_matrix_words(k, nw) * 8), *Y = xcalloc(bin_matrix_words(k1, nw), 8);
    uint64_t mx[4 * 64], ix[4 * 64], v = 0;
    memcpy(B, bids, bin_matrix_words(k, nw) * 8);
    int rc = s_checks(M, B, k, count, excluded), ok = 0, ib = bin_index_bits(count);
    for (int j = 0; j < k && rc == 0; j++) bin_row_copy(Y, k1, j + 1, B, k, j, nw);
    for (size_t i = 0; i < count && rc == 0; i++)   /* row 0, plane 0: the public validity bit */
        if (!excluded[i]) bin_plane(Y, k1, 0, 0, nw)[i / 64] |= (uint64_t)1 << (i % 64);
    if (rc == 0) rc = s_best(M, Y, k1, count, s->reserve, mx, ix, &ok);
    if (rc == 0 && ok && !s->second) {
        out->sold = 1;
        rc = s_open_value(M, mx, k1, 1, k, &out->price);
        if (rc == 0 && s->reveal_winner) rc = s_open_value(M, ix, ib, 0, ib, &v);
        out->winner = (size_t)v;
    } else if (rc == 0 && ok) {   /* second price: the winner, then the best of the others */
        out->sold = 1;
        rc = s_open_value(M, ix, ib, 0, ib, &v);
        if (rc == 0 && v >= count) rc = mpc_fail(M, ERR_CHEAT, "opened winner %llu of %zu", (unsigned long long)v, count);
        out->winner = (size_t)v;
        if (rc == 0) s_zero_lane(Y, k1, nw, out->winner);
        if (rc == 0) rc = s_best(M, Y, k1, count, s->reserve, mx, ix, &ok);
        out->price = s->reserve;
        if (rc == 0 && ok) rc = s_open_value(M, mx, k1, 1, k, &out->price);
    }
    if (rc) memset(out, 0, sizeof *out);
    sodium_memzero(B, bin_matrix_words(k, nw) * 8);
    sodium_memzero(Y, bin_matrix_words(k1, nw) * 8);
    free(B);
    free(Y);
    return rc;
}
