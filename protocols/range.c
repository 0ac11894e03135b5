/* range: batched range check of bit-decomposed client integers. */
#include "protocols/range.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "protocols/check.h"

uint32_t range_input_len(int k)
{
    return 1u + (uint32_t)k;
}

void range_encode(const field *F, fe *out, uint64_t v, int k)
{
    out[0] = (fe)v % F->p;
    for (int j = 0; j < k; j++) out[1 + j] = (v >> j) & 1;
}

void range_encode_raw(const field *F, fe *out, int64_t v, int k)
{
    out[0] = fe_from_i64(F, v);
    for (int j = 0; j < k; j++) out[1 + j] = ((uint64_t)v >> j) & 1;
}

int range_check(mpc *M, const fe *rows, size_t count, int k, uint8_t *excluded, fe *bits,
                size_t *map, size_t *nvalid)
{
    const field *F = mpc_field(M);
    size_t m = range_input_len(k), c1 = count ? count : 1;
    fe *b = bits ? bits : malloc(sizeof(fe) * c1 * (size_t)k);
    fe *diff = malloc(sizeof(fe) * c1);
    int rc = ERR_NOMEM;
    if (!b || !diff) goto out;
    for (size_t i = 0; i < count; i++) {
        const fe *r = rows + i * m;
        fe acc = 0;
        for (int j = k - 1; j >= 0; j--) acc = fe_add(F, fe_add(F, acc, acc), r[1 + j]);
        memcpy(b + i * (size_t)k, r + 1, sizeof(fe) * (size_t)k);
        diff[i] = fe_sub(F, r[0], acc);
    }
    if ((rc = check_bits(M, b, count, (size_t)k, excluded)) != 0) goto out;
    if ((rc = check_sum(M, diff, count, 1, 0, excluded)) != 0) goto out;
    size_t N = 0;
    for (size_t i = 0; i < count; i++) {
        if (excluded[i]) continue;
        if (N != i) memmove(b + N * (size_t)k, b + i * (size_t)k, sizeof(fe) * (size_t)k);
        if (map) map[N] = i;
        N++;
    }
    if (nvalid) *nvalid = N;
out:
    if (b && b != bits) {
        sodium_memzero(b, sizeof(fe) * c1 * (size_t)k);
        free(b);
    }
    if (diff) sodium_memzero(diff, sizeof(fe) * c1);
    free(diff);
    return rc;
}
