/* auction_mpc: range check, tournament and openings of the sealed-bid auction. */
#include "protocols/auction_mpc.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/bits.h"
#include "protocols/check.h"
#include "protocols/compare.h"
#include "protocols/max.h"
#include "protocols/mul.h"
#include "protocols/range.h"

/* The tournament's outputs (shares, secret). */
typedef struct top {
    fe first, second, idx;   /* second: the top-two path only */
    fe *fbits;               /* first's k bits: the argmax path only */
} top;

/* sold = [first >= reserve], opened alone (1 without a reserve). */
static int s_open_sold(mpc *M, const auction_spec *s, const top *T, fe *sold)
{
    const field *F = mpc_field(M);
    fe lt, cst[64], ge;
    int rc;
    *sold = 1;
    if (s->reserve == 0) return 0;
    if (s->second) {
        /* the top-two path returns values; compare as integers */
        fe d = fe_sub(F, T->first, (fe)s->reserve);
        rc = cmp_ltz(M, &lt, &d, 1, s->k + 1);
    } else {
        bits_of_public(cst, (fe)s->reserve, s->k);
        rc = cmp_lt_bits(M, &lt, T->fbits, cst, 1, s->k);
    }
    if (rc != 0) return rc;
    ge = fe_sub(F, 1, lt);
    return mpc_open(M, sold, &ge, 1);
}

/* Second price: max(second, reserve) (shares). */
static int s_second_price(mpc *M, const auction_spec *s, const top *T, fe *price)
{
    *price = T->second;
    if (s->reserve == 0) return 0;
    fe lt, rv = (fe)s->reserve, d = fe_sub(mpc_field(M), T->second, rv);
    int rc = cmp_ltz(M, &lt, &d, 1, s->k + 1);
    if (rc == 0) rc = mpc_select(M, price, &lt, &rv, &T->second, 1);
    return rc;
}

/* After a sale: open the price and, when the rules reveal it, the winner's
 * position among the N valid bids (map: its row). */
static int s_open_sale(mpc *M, const auction_spec *s, const top *T, size_t N, const size_t *map,
                       auction_outcome *out)
{
    fe open_in[2], res[2];
    size_t no = 0;
    int rc = 0;
    if (s->second) rc = s_second_price(M, s, T, &open_in[no++]);
    else open_in[no++] = T->first;
    if (s->second || s->reveal_winner) open_in[no++] = T->idx;
    if (rc == 0) rc = mpc_open(M, res, open_in, no);
    if (rc == 0 && no == 2 && res[1] >= N)
        rc = mpc_fail(M, ERR_CHEAT, "opened winner index out of range");
    /* what verified arithmetic guarantees, checked before anything is signed:
     * a price is a k-bit value at or above the reserve */
    if (rc == 0 && s->k < 64 && res[0] >> s->k)
        rc = mpc_fail(M, ERR_CHEAT, "opened price is not a %d-bit value", s->k);
    if (rc == 0 && (res[0] >> 64 || (uint64_t)res[0] < s->reserve))
        rc = mpc_fail(M, ERR_CHEAT, "opened price is below the reserve of a sale");
    if (rc == 0) {
        out->sold = 1;
        out->price = (uint64_t)res[0];
        if (no == 2) out->winner = map[(size_t)res[1]];
    }
    sodium_memzero(open_in, sizeof open_in);
    return rc;
}

int auction_run(mpc *M, const auction_spec *s, const fe *rows, size_t count, uint32_t m,
                uint8_t *excluded, auction_outcome *out)
{
    int k = s->k, rc;
    memset(out, 0, sizeof *out);
    if (k < 1 || k > 64 || m != range_input_len(k))
        return mpc_fail(M, ERR_ARG, "auction_run: %u elements per bid for k = %d", m, k);
    size_t c1 = count ? count : 1, N = 0;
    fe *bits = xmalloc(sizeof(fe) * c1 * (size_t)k);
    fe sold = 0;
    size_t *map = xmalloc(sizeof(size_t) * c1);
    top T = { .fbits = xmalloc(sizeof(fe) * (size_t)k) };
    rc = range_check(M, rows, count, k, excluded, bits, map, &N);
    if (rc != 0 || N == 0) goto out;   /* no valid bid: no sale */
    if (s->second) rc = max_top2(M, &T.first, &T.idx, &T.second, bits, N, k);
    else rc = max_argmax(M, &T.first, &T.idx, T.fbits, bits, N, k);
    /* below the reserve nothing but "not sold" is opened */
    if (rc == 0) rc = s_open_sold(M, s, &T, &sold);
    if (rc == 0 && sold > 1) rc = mpc_fail(M, ERR_CHEAT, "opened sale flag is not a bit");
    if (rc == 0 && sold == 1) rc = s_open_sale(M, s, &T, N, map, out);
out:
    secmem_free(bits, sizeof(fe) * c1 * (size_t)k);
    secmem_free(T.fbits, sizeof(fe) * (size_t)k);
    sodium_memzero(&T, sizeof T);
    free(map);
    return rc;
}
