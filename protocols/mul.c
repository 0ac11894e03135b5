/* mul: GRR degree reduction with PRG-derived resharing values, and select.
 *
 * Resharers are the first 2t+1 live parties, 1..2t+1 when all are up (points
 * of the degree-2t reconstruction, Lagrange coefficients lam_i at 0). Resharer
 * i holds d_i (its share of the degree-2t product) and reshares it with a
 * degree-t polynomial q_i, q_i(0) = d_i. The values of q_i at the t parties
 * D_i = {i+1, ..., i+t} (cyclically over the live ones) are drawn
 * from the ChaCha20 stream of the pairwise key k_{i,j} (nonce: sender, step), so
 * i and j compute them without a message; q_i is then fixed, and i sends q_i(s)
 * only to the other live parties. Every party j outputs sum_i lam_i q_i(j); the
 * streams and messages carry lam_i q_i(j) directly, so receivers only add.
 * Security (semi-honest, see docs/protocols.md): for a coalition A of at most t
 * parties not containing i, the values of q_i on D_i \ A are pseudo-random to A,
 * and for fixed d_i the map (q_i on D_i) -> (q_i on A) is an affine bijection, so
 * A's view of q_i is (pseudo-)uniform and independent of d_i, exactly as in GRR. */
#include "protocols/mul.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/prg.h"
#include "common/secmem.h"
#include "common/xalloc.h"
#include "protocols/mpc_impl.h"
#include "protocols/verify.h"

#define MUL_DOMAIN 0x47525200u   /* "GRR\0" | sender index */

typedef struct grr {
    int nr;                             /* resharers: the first nr = 2t+1 live */
    int r[MPC_MAX_SERVERS];             /* their indices */
    fe lam[MPC_MAX_SERVERS];            /* lam[i-1]: Lagrange at 0 over them */
    int sender;                         /* 1 if me is one */
    int nd, ns;                         /* |D_me| = t, |S_me| */
    int D[MPC_MAX_SERVERS], S[MPC_MAX_SERVERS];
    /* The streams and messages carry values pre-multiplied by the sender's
     * lam: u_k = lam_me * q_me(D[k]), so receivers only add. Then
     * lam_me * q_me(S[s]) = c0[s] * d + sum_k cd[s][k] * u_k and
     * lam_me * q_me(me) = o0 * d + sum_k od[k] * u_k. */
    fe c0[MPC_MAX_SERVERS], cd[MPC_MAX_SERVERS][MPC_MAX_SERVERS];
    fe o0, od[MPC_MAX_SERVERS];
    /* incoming resharers i != me: derived (me in D_i) or received */
    int nder, nrecv;
    int der[MPC_MAX_SERVERS], rcv[MPC_MAX_SERVERS];
} grr;

/* D_i = the t live parties after i, cyclically in index order (with every
 * party live: {i+1, ..., i+t} mod n). pos[j] is j's place among the k live. */
static int s_in_D(const int *pos, int k, int i, int j, int t)
{
    int dist = ((pos[j] - pos[i]) % k + k) % k;
    return dist >= 1 && dist <= t;
}

/* Lagrange basis at x over the integer points pts[0..np-1]: out[a] = L_a(x). */
void mul_lagrange_at(const field *F, fe *out, const int *pts, int np, int x)
{
    for (int a = 0; a < np; a++) {
        fe num = 1, den = 1;
        for (int b = 0; b < np; b++) {
            if (b == a) continue;
            num = fe_mul(F, num, fe_from_i64(F, (int64_t)x - pts[b]));
            den = fe_mul(F, den, fe_from_i64(F, (int64_t)pts[a] - pts[b]));
        }
        out[a] = fe_mul(F, num, fe_inv(F, den));
    }
}

static grr *s_tables(mpc *M)
{
    if (M->grr) return M->grr;
    const field *F = M->F;
    int n = M->n, t = M->t, me = M->me, nl = 0;
    grr *G = xmalloc(sizeof *G);
    memset(G, 0, sizeof *G);
    G->nr = 2 * t + 1;
    int pts[MPC_MAX_SERVERS + 1], pos[MPC_MAX_SERVERS + 1] = { 0 };
    for (int j = 1; j <= n; j++)
        if (M->live >> (j - 1) & 1u) {
            if (nl < G->nr) G->r[nl] = j;
            pos[j] = nl++;
        }
    for (int i = 0; i < G->nr; i++) pts[i] = G->r[i];
    fe lam[MPC_MAX_SERVERS];
    mul_lagrange_at(F, lam, pts, G->nr, 0);
    for (int i = 0; i < G->nr; i++) G->lam[G->r[i] - 1] = lam[i];

    G->sender = pos[me] < G->nr;
    if (G->sender) {
        for (int j = 1; j <= n; j++) {
            if (!mpc_peer(M, j)) continue;
            if (s_in_D(pos, nl, me, j, t)) G->D[G->nd++] = j;
            else G->S[G->ns++] = j;
        }
        /* interpolation points {0} u D */
        pts[0] = 0;
        for (int k = 0; k < G->nd; k++) pts[k + 1] = G->D[k];
        fe L[MPC_MAX_SERVERS + 1], lm = G->lam[me - 1];
        for (int s = 0; s < G->ns; s++) {
            mul_lagrange_at(F, L, pts, G->nd + 1, G->S[s]);
            G->c0[s] = fe_mul(F, lm, L[0]);
            for (int k = 0; k < G->nd; k++) G->cd[s][k] = L[k + 1];
        }
        mul_lagrange_at(F, L, pts, G->nd + 1, me);
        G->o0 = fe_mul(F, lm, L[0]);
        for (int k = 0; k < G->nd; k++) G->od[k] = L[k + 1];
    }
    for (int q = 0; q < G->nr; q++) {
        int i = G->r[q];
        if (i == me) continue;
        if (s_in_D(pos, nl, i, me, t)) G->der[G->nder++] = i;
        else G->rcv[G->nrecv++] = i;
    }
    M->grr = G;
    return G;
}

void mul_tables_free(mpc *M)
{
    if (!M || !M->grr) return;
    free(M->grr);
    M->grr = NULL;
}

#define MUL_CHUNK 256   /* elements per pass over the PRG streams */

/* Stream of q_i(j) values for resharer i and receiver j at this step. */
static void s_stream(mpc *M, prg *g, int i, int j, uint64_t step)
{
    int other = i == M->me ? j : i;
    prg_init(g, M->pairkey + (size_t)(other - 1) * 32, MUL_DOMAIN | (uint32_t)i, step);
}

#ifdef MPC_TEST_ADVERSARY
/* Test-only (mpc_adv_engine_set): reshare d + delta instead of d for the chosen
 * element of the chosen call. What is sent and the own output are linear in d,
 * so patching both keeps the resharing consistent (a pure additive attack). */
static void s_adv_add(mpc *M, const grr *G, uint8_t *wire, fe *out, size_t m)
{
    const field *F = M->F;
    mpc_adv *A = &M->adv;
    if (A->fired || A->seen++ != A->site) return;
    A->fired = 1;
    size_t w = F->bytes;
    for (size_t e = 0; e < m; e++) {
        if (A->elem != SIZE_MAX && A->elem != e) continue;
        for (int s = 0; s < G->ns; s++) {
            uint8_t *p = wire + ((size_t)s * m + e) * w;
            fe v;
            if (mpc_get(F, p, &v) == 0) mpc_put(F, p, fe_add(F, v, fe_mul(F, G->c0[s], A->delta)));
        }
        out[e] = fe_add(F, out[e], fe_mul(F, G->o0, A->delta));
    }
}
#endif

/* Core: d = x*y when y != NULL, else d = x (already degree 2t). Works in chunks
 * and encodes/decodes on the fly: no per-call vectors besides the wire buffer.
 * out may alias x or y (element e is read before out[e] is written). With lx
 * (malicious mode, y != NULL) x and y are also copied into the log's lx, ly in
 * the same pass. */
static int s_grr_log(mpc *M, fe *out, const fe *x, const fe *y, size_t m, fe *lx, fe *ly)
{
    const field *F = M->F;
    grr *G = s_tables(M);
    size_t w = F->bytes;
    int rc = 0;
    prg g[MPC_MAX_SERVERS];
    fe r[MPC_MAX_SERVERS][MUL_CHUNK];
    uint64_t step = mpc_step(M);

    if (lx && !G->sender) {   /* not a resharer: x and y are not read below */
        memcpy(lx, x, m * sizeof(fe));
        memcpy(ly, y, m * sizeof(fe));
    }
    if (G->sender) {
        uint8_t *wire = mpc_wire(M, (size_t)G->ns * m * w);
        for (int k = 0; k < G->nd; k++) s_stream(M, &g[k], M->me, G->D[k], step);
        for (size_t base = 0; base < m; base += MUL_CHUNK) {
            size_t c = m - base < MUL_CHUNK ? m - base : MUL_CHUNK;
            for (int k = 0; k < G->nd; k++) mpc_prg_fe(F, &g[k], r[k], c);
            if (G->nd == 1 && G->ns == 1) {
                /* the n = 3, t = 1 fast path */
                fe c0 = G->c0[0], c1 = G->cd[0][0], o0 = G->o0, o1 = G->od[0];
                uint8_t *p = wire + base * w;
                if (lx) {
                    memcpy(lx + base, x + base, c * sizeof(fe));   /* still in cache */
                    memcpy(ly + base, y + base, c * sizeof(fe));
                }
                for (size_t e = 0; e < c; e++) {
                    fe de = y ? fe_mul(F, x[base + e], y[base + e]) : x[base + e];
                    fe re = r[0][e];
                    mpc_put(F, p + e * w, mpc_fadd(F, fe_mul(F, c0, de), fe_mul(F, c1, re)));
                    out[base + e] = mpc_fadd(F, fe_mul(F, o0, de), fe_mul(F, o1, re));
                }
                continue;
            }
            if (lx) {
                memcpy(lx + base, x + base, c * sizeof(fe));
                memcpy(ly + base, y + base, c * sizeof(fe));
            }
            for (size_t e = 0; e < c; e++) {
                fe de = y ? fe_mul(F, x[base + e], y[base + e]) : x[base + e];
                fe a = fe_mul(F, G->o0, de);
                for (int k = 0; k < G->nd; k++) a = mpc_fadd(F, a, fe_mul(F, G->od[k], r[k][e]));
                for (int s = 0; s < G->ns; s++) {
                    fe v = fe_mul(F, G->c0[s], de);
                    for (int k = 0; k < G->nd; k++) v = mpc_fadd(F, v, fe_mul(F, G->cd[s][k], r[k][e]));
                    mpc_put(F, wire + ((size_t)s * m + base + e) * w, v);
                }
                out[base + e] = a;
            }
        }
#ifdef MPC_TEST_ADVERSARY
        if (M->adv.cls == MPC_ADV_MUL_ADD) s_adv_add(M, G, wire, out, m);
#endif
        for (int s = 0; s < G->ns && rc == 0; s++)
            rc = mpc_send_raw(M, G->S[s], MPC_MSG_MUL, step, wire + (size_t)s * m * w, m * w, m);
        sodium_memzero(wire, (size_t)G->ns * m * w);
        if (rc) goto out;
    } else {
        memset(out, 0, m * sizeof(fe));
    }
    /* PRG-derived incoming shares while the peers' messages travel */
    for (int q = 0; q < G->nder; q++) {
        s_stream(M, &g[0], G->der[q], M->me, step);
        for (size_t base = 0; base < m; base += MUL_CHUNK) {
            size_t c = m - base < MUL_CHUNK ? m - base : MUL_CHUNK;
            mpc_prg_fe(F, &g[0], r[0], c);
            for (size_t e = 0; e < c; e++) out[base + e] = mpc_fadd(F, out[base + e], r[0][e]);
        }
    }
    for (int q = 0; q < G->nrecv && rc == 0; q++) {
        int i = G->rcv[q];
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = mpc_recv_raw(M, i, MPC_MSG_MUL, step, &pl, &len);
        if (rc) break;
        if (len != m * w) {
            rc = mpc_fail(M, ERR_PARSE, "mul step %llu: S%d sent %zu bytes, %zu expected",
                          (unsigned long long)step, i, len, m * w);
        }
        for (size_t e = 0; e < m && rc == 0; e++) {
            fe v;
            if (mpc_get(F, pl + e * w, &v)) {
                rc = mpc_fail(M, ERR_RANGE, "mul step %llu: S%d sent an element >= p",
                              (unsigned long long)step, i);
                break;
            }
            out[e] = mpc_fadd(F, out[e], v);
        }
        if (pl) sodium_memzero(pl, len);
        free(pl);
    }
out:
    for (int k = 0; k < MPC_MAX_SERVERS; k++) prg_wipe(&g[k]);
    sodium_memzero(r, sizeof r);
    return rc;
}

static int s_grr(mpc *M, fe *out, const fe *x, const fe *y, size_t m)
{
    return s_grr_log(M, out, x, y, m, NULL, NULL);
}

/* The malicious-mode multiplication: x and y are copied into the log as the
 * GRR reads them (chunk by chunk, before out, which may alias them, is
 * written), the output completes the relation. Batches above the log's
 * capacity go in parts. */
static int s_mul_logged(mpc *M, fe *out, const fe *x, const fe *y, size_t m)
{
    int rc = 0;
    for (size_t off = 0; off < m && rc == 0; off += VERIFY_CAP) {
        size_t c = m - off < VERIFY_CAP ? m - off : VERIFY_CAP;
        fe *lx, *ly, *lz;
        if ((rc = verify_log_mul(M, c, &lx, &ly, &lz)) != 0) break;
        if ((rc = s_grr_log(M, out + off, x + off, y + off, c, lx, ly)) == 0)
            memcpy(lz, out + off, c * sizeof(fe));
    }
    return rc;
}

int mpc_mul(mpc *M, fe *out, const fe *x, const fe *y, size_t m)
{
    if (M->security == MPC_MALICIOUS) return s_mul_logged(M, out, x, y, m);
    return s_grr(M, out, x, y, m);
}

int mpc_reduce(mpc *M, fe *out, const fe *d, size_t m)
{
    if (M->security == MPC_MALICIOUS)
        return mpc_fail(M, ERR_STATE, "mpc_reduce: an unlogged degree reduction is refused in "
                                      "malicious mode (use mpc_mul, mpc_mul_bcast or mpc_dot)");
    return s_grr(M, out, d, NULL, m);
}

int mul_reduce_unlogged(mpc *M, fe *out, const fe *d, size_t m)
{
    return s_grr(M, out, d, NULL, m);
}

int mpc_mul_bcast(mpc *M, fe *out, const fe *c, const fe *v, size_t m, int k)
{
    const field *F = M->F;
    size_t len = m * (size_t)k, mark = mpc_mark(M);
    fe *x = mpc_alloc(M, len);
    int rc;
    if (M->security == MPC_MALICIOUS) {
        for (size_t i = 0; i < m; i++)
            for (int j = 0; j < k; j++) x[i * (size_t)k + (size_t)j] = c[i];
        rc = s_mul_logged(M, out, x, v, len);
    } else {
        for (size_t i = 0; i < m; i++)
            for (int j = 0; j < k; j++) {
                size_t e = i * (size_t)k + (size_t)j;
                x[e] = fe_mul(F, c[i], v[e]);
            }
        rc = s_grr(M, out, x, NULL, len);
    }
    mpc_release(M, mark);
    return rc;
}

int mpc_dot(mpc *M, fe *out, const fe *a, const fe *b, size_t len, size_t m)
{
    const field *F = M->F;
    size_t mark = mpc_mark(M);
    fe *d = mpc_alloc(M, m), **lz = (fe **)mpc_alloc(M, m);   /* fe cells hold pointers */
    int rc = 0;
    for (size_t j = 0; j < m && rc == 0; j++) {
        const fe *aj = a + j * len, *bj = b + j * len;
        fe acc = 0;
        for (size_t i = 0; i < len; i++) acc = mpc_fadd(F, acc, fe_mul(F, aj[i], bj[i]));
        d[j] = acc;
        lz[j] = NULL;
        if (M->security == MPC_MALICIOUS) {
            fe *la, *lb;
            if ((rc = verify_log_dot(M, len, &la, &lb, &lz[j])) != 0) break;
            memcpy(la, aj, len * sizeof(fe));
            memcpy(lb, bj, len * sizeof(fe));
        }
    }
    if (rc == 0) rc = s_grr(M, out, d, NULL, m);
    for (size_t j = 0; rc == 0 && j < m; j++)
        if (lz[j]) *lz[j] = out[j];
    mpc_release(M, mark);
    return rc;
}

int mpc_select(mpc *M, fe *out, const fe *c, const fe *a, const fe *b, size_t m)
{
    return mpc_select_vec(M, out, c, a, b, m, 1);
}

int mpc_select_vec(mpc *M, fe *out, const fe *c, const fe *a, const fe *b, size_t m, int k)
{
    const field *F = M->F;
    size_t len = m * (size_t)k, mark = mpc_mark(M);
    fe *d = mpc_alloc(M, len), *bb = mpc_alloc(M, len);
    int rc;
    memcpy(bb, b, len * sizeof(fe));
    if (M->security == MPC_MALICIOUS) {
        for (size_t e = 0; e < len; e++) d[e] = mpc_fsub(F, a[e], b[e]);
        rc = mpc_mul_bcast(M, d, c, d, m, k);   /* c * (a - b), logged */
    } else {
        for (size_t i = 0; i < m; i++)
            for (int j = 0; j < k; j++) {
                size_t e = i * (size_t)k + (size_t)j;
                d[e] = fe_mul(F, c[i], mpc_fsub(F, a[e], b[e]));
            }
        rc = s_grr(M, d, d, NULL, len);
    }
    if (rc == 0) field_vec_add(F, out, d, bb, len);
    mpc_release(M, mark);
    return rc;
}

int mpc_xor_bits(mpc *M, fe *out, fe *u, int G, size_t m)
{
    const field *F = M->F;
    if (G < 1) return mpc_fail(M, ERR_ARG, "xor of bits: %d operands", G);
    int cnt = G, rc = 0;
    size_t mark = mpc_mark(M), cap = (size_t)(G / 2) * m + 1;
    fe *tm = mpc_alloc(M, cap);
    while (cnt > 1 && rc == 0) {
        size_t half = (size_t)(cnt / 2) * m;
        rc = mpc_mul(M, tm, u, u + half, half);
        for (size_t i = 0; i < half && rc == 0; i++)
            u[i] = fe_sub(F, fe_add(F, u[i], u[half + i]), fe_add(F, tm[i], tm[i]));
        if (cnt & 1) memmove(u + half, u + 2 * half, m * sizeof(fe));
        cnt = cnt / 2 + (cnt & 1);
    }
    if (rc == 0 && out != u) memmove(out, u, m * sizeof(fe));
    sodium_memzero(tm, cap * sizeof(fe));
    mpc_release(M, mark);
    return rc;
}
