/* auction_mpc: range check, tournament and openings of the sealed-bid auction. */
#include "protocols/auction_mpc.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "protocols/bits.h"
#include "protocols/check.h"
#include "protocols/compare.h"
#include "protocols/max.h"
#include "protocols/mul.h"
#include "protocols/range.h"

static uint64_t s_to_u64(fe v)
{
    return (uint64_t)v;
}

int auction_run(mpc *M, const auction_spec *s, const fe *rows, size_t count, uint32_t m,
                uint8_t *excluded, auction_outcome *out)
{
    const field *F = M->F;
    int k = s->k, rc = ERR_NOMEM;
    memset(out, 0, sizeof *out);
    if (m != range_input_len(k)) return ERR_ARG;
    size_t c1 = count ? count : 1;
    fe *bits = malloc(sizeof(fe) * c1 * (size_t)k);
    size_t *map = malloc(sizeof(size_t) * c1);
    fe cst[128], res[4], first = 0, second = 0, idx = 0;
    fe *fbits = malloc(sizeof(fe) * (size_t)k);
    size_t N = 0;
    if (!bits || !map || !fbits) goto out;
    if ((rc = range_check(M, rows, count, k, excluded, bits, map, &N)) != 0) goto out;
    if (N == 0) {
        rc = 0;   /* no valid bid: no sale */
        goto out;
    }
    if (s->second) rc = max_top2(M, &first, &idx, &second, bits, N, k);
    else rc = max_argmax(M, &first, &idx, fbits, bits, N, k);
    if (rc != 0) goto out;

    /* sold = [first >= reserve], opened alone; below the reserve nothing else is */
    fe sold = 1;
    if (s->reserve > 0) {
        fe lt;
        if (s->second) {
            /* the top-two path returns values; compare as integers */
            fe rv = (fe)s->reserve;
            fe d = fe_sub(F, first, rv);
            if ((rc = cmp_ltz(M, &lt, &d, 1, k + 1)) != 0) goto out;
        } else {
            bits_of_public(cst, (fe)s->reserve, k);
            if ((rc = cmp_lt_bits(M, &lt, fbits, cst, 1, k)) != 0) goto out;
        }
        fe one_minus = fe_sub(F, 1, lt);
        if ((rc = mpc_open(M, &sold, &one_minus, 1)) != 0) goto out;
    }
    if (sold != 1) {
        rc = 0;
        goto out;
    }
    size_t no = 0;
    fe open_in[2];
    if (s->second) {
        fe price = second;
        if (s->reserve > 0) {
            /* price = max(second, reserve) */
            fe lt, rv = (fe)s->reserve, d = fe_sub(F, second, rv);
            if ((rc = cmp_ltz(M, &lt, &d, 1, k + 1)) != 0) goto out;
            if ((rc = mpc_select(M, &price, &lt, &rv, &second, 1)) != 0) goto out;
        }
        open_in[no++] = price;
        open_in[no++] = idx;
    } else {
        open_in[no++] = first;
        if (s->reveal_winner) open_in[no++] = idx;
    }
    if ((rc = mpc_open(M, res, open_in, no)) != 0) goto out;
    out->sold = 1;
    out->price = s_to_u64(res[0]);
    if (no == 2) {
        if (res[1] >= N) {
            snprintf(M->err, sizeof M->err, "opened winner index out of range");
            rc = ERR_CHEAT;
            goto out;
        }
        out->winner = map[(size_t)res[1]];
    }
    rc = 0;
out:
    if (bits) sodium_memzero(bits, sizeof(fe) * c1 * (size_t)k);
    if (fbits) sodium_memzero(fbits, sizeof(fe) * (size_t)k);
    sodium_memzero(&first, sizeof first);
    sodium_memzero(&second, sizeof second);
    free(bits);
    free(map);
    free(fbits);
    return rc;
}
