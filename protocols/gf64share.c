/* gf64share: GF(2^64) sharings among the live servers (see gf64share.h). */
#include "protocols/gf64share.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/xalloc.h"
#include "protocols/gf2.h"
#include "protocols/gf64.h"
#include "protocols/mpc_impl.h"
#include "protocols/prss.h"

int gf64s_live(const mpc *M, int *pts)
{
    int k = 0;
    for (int j = 1; j <= M->n; j++)
        if (M->live >> (j - 1) & 1u) pts[k++] = j;
    return k;
}

void gf64s_lagrange(uint64_t *out, const int *pts, int np, int at)
{
    uint8_t w[GF2_MAX_PARTIES];
    gf2_lagrange(w, pts, np, at);
    for (int a = 0; a < np; a++) out[a] = gf64_embed(w[a]);
}

int gf64s_recv(mpc *M, int j, uint64_t step, uint64_t *w, size_t m)
{
    return gf2_recv_words(M, j, MPC_MSG_BINV, step, w, m, 0, w);
}

int gf64s_masks(mpc *M, uint64_t *rho, size_t m)
{
    if (!M->ps || !prss_ready(M->ps)) return mpc_fail(M, ERR_STATE, "binary domain: no PRSS keys");
    unsigned masks[PRSS_MAX_GROUPS];
    int ng = prss_groups(M->ps, masks);
    size_t chunk = 512, bytes = (size_t)ng * chunk * 8;
    uint8_t *raw = xmalloc(bytes);
    uint64_t f[PRSS_MAX_GROUPS];
    for (int g = 0; g < ng; g++) f[g] = gf64_embed(gf2_prss_weight(masks[g], M->n, M->me));
    for (size_t off = 0; off < m; off += chunk) {
        size_t c = m - off < chunk ? m - off : chunk;
        prss_raw(M->ps, raw, c * 8);
        memset(rho + off, 0, c * 8);
        for (int g = 0; g < ng; g++) {
            if (!f[g]) continue;
            for (size_t i = 0; i < c; i++) {
                uint64_t r;
                gf2_get_words(&r, raw + ((size_t)g * c + i) * 8, 1);
                rho[off + i] ^= gf64_mul(r, f[g]);
            }
        }
    }
    sodium_memzero(raw, bytes);
    free(raw);
    return 0;
}

int gf64s_open_check(mpc *M, uint64_t *out, uint8_t *bad, const uint64_t *x, size_t m)
{
    int pts[GF2_MAX_PARTIES], np = gf64s_live(M, pts), t = M->t, rc = 0;
    uint64_t step = mpc_step(M);
    uint8_t *wire = mpc_wire(M, m * 8);
    gf2_put_words(wire, x, m);
    for (int a = 0; a < np && rc == 0; a++)
        if (pts[a] != M->me) rc = mpc_send_raw(M, pts[a], MPC_MSG_BINV, step, wire, m * 8, m);
    uint64_t *all = xmalloc((size_t)np * m * 8);
    for (int a = 0; a < np && rc == 0; a++) {
        if (pts[a] == M->me) memcpy(all + (size_t)a * m, x, m * 8);
        else rc = gf64s_recv(M, pts[a], step, all + (size_t)a * m, m);
    }
    if (rc == 0) memset(bad, 0, m);
    uint64_t lam[GF2_MAX_PARTIES];
    for (int k = t + 1; k <= np && rc == 0; k++) {   /* k == np: the secret */
        gf64s_lagrange(lam, pts, t + 1, k < np ? pts[k] : 0);
        for (size_t i = 0; i < m; i++) {
            gf64_wide acc = { 0, 0 };
            for (int a = 0; a <= t; a++) gf64_mac(&acc, lam[a], all[(size_t)a * m + i]);
            uint64_t v = gf64_reduce(acc);
            if (k == np) out[i] = v;
            else if (v != all[(size_t)k * m + i]) bad[i] = 1;
        }
    }
    free(all);
    return rc;
}
