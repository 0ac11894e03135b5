/* max: tournament tree over bit-decomposed values, carrying the index and, for
 * the top-two variant, the runner-up.
 *
 * Merge of a left node (f1, s1, i1) and a right node (f2, s2, i2), s <= f:
 * c = [f2 > f1] (ties keep the left, lower index), first = c ? f2 : f1,
 * idx = c ? i2 : i1, and second = the larger of the loser's first and the
 * winner's second (the loser's second is below the loser's first):
 * c ? max(f1, s2) : max(f2, s1). The two inner maxima use d2 = [s2 > f1] and
 * d1 = [s1 > f2], compared in the same batch as c. */
#include "protocols/max.h"

#include <string.h>
#include "protocols/bits.h"
#include "protocols/compare.h"
#include "protocols/mul.h"

/* One product of a select: in semi-honest mode D[e] = a * b at once (degree 2t,
 * reduced for the whole batch); in malicious mode the pair is kept (X[e] = a,
 * D[e] = b) for a logged mpc_mul. */
static inline void s_put(const field *F, fe *D, fe *X, size_t e, fe a, fe b)
{
    if (X) {
        X[e] = a;
        D[e] = b;
    } else {
        D[e] = fe_mul(F, a, b);
    }
}

/* The batch of products s_put prepared: D = degree-t shares of the products. */
static int s_products(mpc *M, fe *D, const fe *X, size_t len)
{
    return X ? mpc_mul(M, D, X, D, len) : mpc_reduce(M, D, D, len);
}

typedef struct layer {
    fe *f, *s, *idx;    /* cnt*k, cnt*k (top2), cnt */
    size_t cnt;
} layer;

/* Room for a layer of up to cap nodes, from the arena. */
static void s_layer_alloc(mpc *M, layer *L, size_t cap, int k, int top2)
{
    L->cnt = 0;
    L->f = mpc_alloc(M, cap * (size_t)k);
    L->s = top2 ? mpc_alloc(M, cap * (size_t)k) : NULL;
    L->idx = mpc_alloc(M, cap);
}

/* One tournament layer: cur -> nxt (room allocated by the caller). */
static int s_round(mpc *M, layer *nxt, const layer *cur, int k, int top2)
{
    const field *F = mpc_field(M);
    size_t K = (size_t)k, np = cur->cnt / 2, nc = top2 ? 3 * np : np;
    size_t per = top2 ? 3 * K + 1 : K + 1;     /* selects per pair in round 1 */
    size_t mark = mpc_mark(M);
    fe *A = mpc_alloc(M, nc * K), *B = mpc_alloc(M, nc * K);
    fe *c = mpc_alloc(M, nc), *D = mpc_alloc(M, np * per);
    fe *X = mpc_security(M) == MPC_MALICIOUS ? mpc_alloc(M, np * per) : NULL;
    int rc;

    nxt->cnt = np + (cur->cnt & 1);
    for (size_t q = 0; q < np; q++) {
        const fe *fl = cur->f + 2 * q * K, *fr = fl + K;
        memcpy(A + q * K, fr, K * sizeof(fe));
        memcpy(B + q * K, fl, K * sizeof(fe));
        if (top2) {
            const fe *sl = cur->s + 2 * q * K, *sr = sl + K;
            memcpy(A + (np + q) * K, sr, K * sizeof(fe));
            memcpy(B + (np + q) * K, fl, K * sizeof(fe));
            memcpy(A + (2 * np + q) * K, sl, K * sizeof(fe));
            memcpy(B + (2 * np + q) * K, fr, K * sizeof(fe));
        }
    }
    rc = cmp_gt_bits(M, c, A, B, nc, k);
    if (rc) goto out;
    /* round 1: first, idx (and the two candidate seconds), as local products */
    for (size_t q = 0; q < np; q++) {
        const fe *fl = cur->f + 2 * q * K, *fr = fl + K;
        size_t o = q * per;
        fe cq = c[q];
        for (size_t j = 0; j < K; j++) s_put(F, D, X, o + j, cq, mpc_fsub(F, fr[j], fl[j]));
        s_put(F, D, X, o + K, cq, mpc_fsub(F, cur->idx[2 * q + 1], cur->idx[2 * q]));
        if (top2) {
            const fe *sl = cur->s + 2 * q * K, *sr = sl + K;
            fe d2 = c[np + q], d1 = c[2 * np + q];
            for (size_t j = 0; j < K; j++) {
                s_put(F, D, X, o + K + 1 + j, d2, mpc_fsub(F, sr[j], fl[j]));       /* max(f1, s2) - f1 */
                s_put(F, D, X, o + 2 * K + 1 + j, d1, mpc_fsub(F, sl[j], fr[j]));   /* max(f2, s1) - f2 */
            }
        }
    }
    rc = s_products(M, D, X, np * per);
    if (rc) goto out;
    for (size_t q = 0; q < np; q++) {
        const fe *fl = cur->f + 2 * q * K, *fr = fl + K, *d = D + q * per;
        fe *nf = nxt->f + q * K;
        for (size_t j = 0; j < K; j++) nf[j] = mpc_fadd(F, fl[j], d[j]);
        nxt->idx[q] = mpc_fadd(F, cur->idx[2 * q], d[K]);
        if (top2) {
            /* A is free now: x2 = max(f1, s2) at A[q*2K], x1 = max(f2, s1) after it */
            fe *x2 = A + q * 2 * K, *x1 = x2 + K;
            for (size_t j = 0; j < K; j++) {
                x2[j] = mpc_fadd(F, fl[j], d[K + 1 + j]);
                x1[j] = mpc_fadd(F, fr[j], d[2 * K + 1 + j]);
            }
        }
    }
    if (top2) {
        /* round 2: second = c ? x2 : x1 */
        for (size_t q = 0; q < np; q++) {
            const fe *x2 = A + q * 2 * K, *x1 = x2 + K;
            for (size_t j = 0; j < K; j++) s_put(F, D, X, q * K + j, c[q], mpc_fsub(F, x2[j], x1[j]));
        }
        rc = s_products(M, D, X, np * K);
        if (rc) goto out;
        for (size_t q = 0; q < np; q++) {
            const fe *x1 = A + q * 2 * K + K;
            for (size_t j = 0; j < K; j++) nxt->s[q * K + j] = mpc_fadd(F, x1[j], D[q * K + j]);
        }
    }
    if (cur->cnt & 1) {   /* the odd one out passes through */
        size_t last = cur->cnt - 1;
        memcpy(nxt->f + np * K, cur->f + last * K, K * sizeof(fe));
        if (top2) memcpy(nxt->s + np * K, cur->s + last * K, K * sizeof(fe));
        nxt->idx[np] = cur->idx[last];
    }
out:
    mpc_release(M, mark);
    return rc;
}

static int s_tournament(mpc *M, fe *first, fe *idx, fe *fbits, fe *second,
                        const fe *bits, size_t N, int k, int top2)
{
    if (N == 0 || k < 1 || k > 126) return ERR_ARG;
    size_t K = (size_t)k, mark = mpc_mark(M);
    layer buf[2];
    /* ping-pong between two layers: N nodes, then at most ceil(N/2) */
    s_layer_alloc(M, &buf[0], N, k, top2);
    s_layer_alloc(M, &buf[1], (N + 1) / 2, k, top2);
    layer *cur = &buf[0], *nxt = &buf[1];
    cur->cnt = N;
    memcpy(cur->f, bits, N * K * sizeof(fe));
    if (top2) memset(cur->s, 0, N * K * sizeof(fe));     /* public 0: no second yet */
    for (size_t i = 0; i < N; i++) cur->idx[i] = (fe)i;   /* public constants */
    int rc = 0;
    while (cur->cnt > 1) {
        rc = s_round(M, nxt, cur, k, top2);
        if (rc) break;
        layer *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    if (rc == 0) {
        if (first) bits_compose(mpc_field(M), first, cur->f, 1, k);
        if (fbits) memcpy(fbits, cur->f, K * sizeof(fe));
        if (idx) *idx = cur->idx[0];
        if (second) bits_compose(mpc_field(M), second, cur->s, 1, k);
    }
    mpc_release(M, mark);
    return rc;
}

int max_argmax(mpc *M, fe *max, fe *idx, fe *max_bits, const fe *bits, size_t N, int k)
{
    return s_tournament(M, max, idx, max_bits, NULL, bits, N, k, 0);
}

int max_top2(mpc *M, fe *first, fe *idx, fe *second, const fe *bits, size_t N, int k)
{
    return s_tournament(M, first, idx, NULL, second, bits, N, k, 1);
}
