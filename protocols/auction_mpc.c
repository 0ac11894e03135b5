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

uint32_t auction_input_len(int k)
{
    return 1u + (uint32_t)k;
}

void auction_encode(const field *F, fe *out, uint64_t v, int k)
{
    out[0] = (fe)v % F->p;
    for (int j = 0; j < k; j++) out[1 + j] = (v >> j) & 1;
}

void auction_encode_raw(const field *F, fe *out, int64_t v, int k)
{
    out[0] = fe_from_i64(F, v);
    for (int j = 0; j < k; j++) out[1 + j] = ((uint64_t)v >> j) & 1;
}

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
    if (m != auction_input_len(k)) return ERR_ARG;
    size_t c1 = count ? count : 1;
    fe *bits = malloc(sizeof(fe) * c1 * (size_t)k);
    fe *diff = malloc(sizeof(fe) * c1);
    size_t *map = malloc(sizeof(size_t) * c1);
    fe cst[128], res[4], first = 0, second = 0, idx = 0;
    fe *fbits = malloc(sizeof(fe) * (size_t)k);
    if (!bits || !diff || !map || !fbits) goto out;

    /* range check: the k bit entries are bits and the bid equals their sum */
    for (size_t i = 0; i < count; i++) {
        const fe *r = rows + i * m;
        fe acc = 0;
        for (int j = k - 1; j >= 0; j--) acc = fe_add(F, fe_add(F, acc, acc), r[1 + j]);
        memcpy(bits + i * (size_t)k, r + 1, sizeof(fe) * (size_t)k);
        diff[i] = fe_sub(F, r[0], acc);
    }
    if ((rc = check_bits(M, bits, count, (size_t)k, excluded)) != 0) goto out;
    if ((rc = check_sum(M, diff, count, 1, 0, excluded)) != 0) goto out;

    size_t N = 0;
    for (size_t i = 0; i < count; i++) {
        if (excluded[i]) continue;
        if (N != i) memmove(bits + N * (size_t)k, bits + i * (size_t)k, sizeof(fe) * (size_t)k);
        map[N++] = i;
    }
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
    if (diff) sodium_memzero(diff, sizeof(fe) * c1);
    if (fbits) sodium_memzero(fbits, sizeof(fe) * (size_t)k);
    sodium_memzero(&first, sizeof first);
    sodium_memzero(&second, sizeof second);
    free(bits);
    free(diff);
    free(map);
    free(fbits);
    return rc;
}
