/* gf2_verify_loops: the check's hot loops (gf2_verify.c includes this twice,
 * with GF2V_CLMUL the portable or the PCLMUL carry-less product, GF2V_FN
 * naming the instance and GF2V_TARGET its target attribute). Not a module of its own: no include guard. */

GF2V_TARGET static inline uint64_t GF2V_FN(s_mul)(uint64_t a, uint64_t b)
{
    return gf64_reduce(GF2V_CLMUL(a, b));
}

GF2V_TARGET static inline void GF2V_FN(s_mac)(gf64_wide *acc, uint64_t a, uint64_t b)
{
    gf64_wide p = GF2V_CLMUL(a, b);
    acc->lo ^= p.lo;
    acc->hi ^= p.hi;
}

/* H(1..7) shares (H[0..3] degree t, H[4..6] degree 2t). */
GF2V_TARGET static void GF2V_FN(s_first)(const uint64_t *log, size_t B, const coefs *C, uint64_t H[S_NP])
{
    uint64_t (*tab)[8][256] = xmalloc(4 * sizeof *tab);   /* plane p: lane k -> s_k emb(x^p) */
    uint64_t col[64];
    for (int p = 0; p < 4; p++) {
        uint64_t e = gf64_embed((uint8_t)(1u << p));
        for (int k = 0; k < 64; k++) col[k] = gf64_mul(C->s[k], e);
        s_tables(tab[p], col);
    }
    uint32_t ext[S_NE][4];
    s_ext_masks(ext);
    gf64_wide acc[S_NP];
    memset(acc, 0, sizeof acc);
    for (size_t w = 0; w < B; w++) {
        uint64_t X[4 * S_SL], Y[4 * S_SL], Z[4 * S_SL], val[S_NP][4];
        s_gather(X, log, B, w, 0);
        s_gather(Y, log, B, w, 4);
        s_gather(Z, log, B, w, 8);
        for (int c = 0; c < S_SL; c++) memcpy(val[c], Z + 4 * c, 32);
        for (int c = 0; c < S_NE; c++) {
            uint64_t xe[4], ye[4];
            s_extend(xe, X, ext[c]);
            s_extend(ye, Y, ext[c]);
            s_gfmul1(val[S_SL + c], xe, ye);
        }
        for (int c = 0; c < S_NP; c++) {
            uint64_t sum = s_apply(tab[0], val[c][0]) ^ s_apply(tab[1], val[c][1]) ^
                           s_apply(tab[2], val[c][2]) ^ s_apply(tab[3], val[c][3]);
            GF2V_FN(s_mac)(&acc[c], C->r[w], sum);
        }
        sodium_memzero(X, sizeof X);
        sodium_memzero(Y, sizeof Y);
        sodium_memzero(val, sizeof val);
    }
    for (int c = 0; c < S_NP; c++) H[c] = gf64_reduce(acc[c]);
    sodium_memzero(acc, sizeof acc);
    free(tab);   /* public: the coefficients are */
}

/* u[64w + k] = s_k f(beta), v[64w + k] = r_w g(beta) for lane k of block w,
 * f(beta) = sum_d L_d(beta) emb(x_(d,k)): the 4 S_SL bits of lane k (an 8x8
 * bit transpose per byte group gathers them) index S_SL / 2 byte tables. */
GF2V_TARGET static void GF2V_FN(s_first_fold)(const uint64_t *log, size_t B, const coefs *C, uint64_t beta,
                                  uint64_t *u, uint64_t *v)
{
    enum { NT = S_SL / 2 };   /* tables of 8 input bits */
    uint64_t ep[4], pts[S_SL], L[S_SL], col[4 * S_SL], tab[NT][256];
    for (int p = 0; p < 4; p++) ep[p] = gf64_embed((uint8_t)(1u << p));
    for (int d = 0; d < S_SL; d++) pts[d] = gf64_embed((uint8_t)(d + 1));
    s_weights(L, pts, S_SL, beta);
    for (int d = 0; d < S_SL; d++)
        for (int p = 0; p < 4; p++) col[4 * d + p] = gf64_mul(L[d], ep[p]);
    for (int h = 0; h < NT; h++) {
        tab[h][0] = 0;
        for (int b = 1; b < 256; b++)
            tab[h][b] = tab[h][b & (b - 1)] ^ col[8 * h + __builtin_ctz((unsigned)b)];
    }
    for (size_t w = 0; w < B; w++) {
        for (int off = 0; off <= 4; off += 4) {
            uint64_t in[4 * S_SL], *out = (off ? v : u) + 64 * w;
            s_gather(in, log, B, w, off);
            for (int j = 0; j < 8; j++) {   /* lanes 8j..8j+7 */
                uint64_t q[NT];
                for (int h = 0; h < NT; h++) {
                    uint64_t x = 0;
                    for (int i = 0; i < 8; i++) x |= (in[8 * h + i] >> (8 * j) & 255u) << (8 * i);
                    q[h] = s_transpose8(x);
                }
                for (int b = 0; b < 8; b++) {
                    uint64_t f = 0;
                    for (int h = 0; h < NT; h++) f ^= tab[h][q[h] >> (8 * b) & 255u];
                    int k = 8 * j + b;
                    out[k] = GF2V_FN(s_mul)(f, off ? C->r[w] : C->s[k]);
                }
            }
            sodium_memzero(in, sizeof in);
        }
    }
}

/* One level of fan-in k over L coordinates per slice: h at 1..2k-1 except k
 * (degree 2t, H[0..k-2], H[k..2k-2]); fold needs beta afterwards. The body
 * is inlined twice: for the fan-in 4 of the large levels with k a constant
 * (unrolled, the sums in registers), and for any k. */
GF2V_TARGET static inline __attribute__((always_inline)) void GF2V_FN(s_level_h_body)(
    const uint64_t *u, const uint64_t *v, size_t k, size_t L, uint64_t *H, const uint64_t *lam)
{
    gf64_wide acc[2 * S_KLAST];
    memset(acc, 0, (2 * k - 1) * sizeof acc[0]);
    for (size_t l = 0; l < L; l++) {
        for (size_t c = 0; c < k; c++) GF2V_FN(s_mac)(&acc[c], u[c * L + l], v[c * L + l]);
        for (size_t e = 0; e + 1 < k; e++) {
            const uint64_t *le = lam + e * k;
            gf64_wide fu = { 0, 0 }, fv = { 0, 0 };
            for (size_t c = 0; c < k; c++) {
                GF2V_FN(s_mac)(&fu, le[c], u[c * L + l]);
                GF2V_FN(s_mac)(&fv, le[c], v[c * L + l]);
            }
            GF2V_FN(s_mac)(&acc[k + e], gf64_reduce(fu), gf64_reduce(fv));
        }
    }
    for (size_t c = 0; c < 2 * k - 1; c++) H[c] = gf64_reduce(acc[c]);
    sodium_memzero(acc, (2 * k - 1) * sizeof acc[0]);
}

GF2V_TARGET static void GF2V_FN(s_level_h)(const uint64_t *u, const uint64_t *v, size_t k, size_t L, uint64_t *H,
                               uint64_t *lam)
{
    uint64_t pts[2 * S_KLAST] = { 0 }, dinv[S_KLAST];
    for (size_t c = 0; c < 2 * k - 1; c++) pts[c] = c + 1;
    s_dinv(dinv, pts, (int)k);
    for (size_t e = 0; e + 1 < k; e++) s_weights_d(lam + e * k, pts, dinv, (int)k, pts[k + e]);
    if (k == 4) GF2V_FN(s_level_h_body)(u, v, 4, L, H, lam);
    else GF2V_FN(s_level_h_body)(u, v, k, L, H, lam);
}

GF2V_TARGET static inline __attribute__((always_inline)) void GF2V_FN(s_level_fold_body)(
    uint64_t *u, uint64_t *v, size_t k, size_t L, const uint64_t *w)
{
    for (size_t l = 0; l < L; l++) {
        gf64_wide fu = { 0, 0 }, fv = { 0, 0 };
        for (size_t c = 0; c < k; c++) {
            GF2V_FN(s_mac)(&fu, w[c], u[c * L + l]);
            GF2V_FN(s_mac)(&fv, w[c], v[c * L + l]);
        }
        u[l] = gf64_reduce(fu);
        v[l] = gf64_reduce(fv);
    }
}

GF2V_TARGET static void GF2V_FN(s_level_fold)(uint64_t *u, uint64_t *v, size_t k, size_t L, uint64_t beta)
{
    uint64_t pts[S_KLAST] = { 0 }, w[S_KLAST];
    for (size_t c = 0; c < k; c++) pts[c] = c + 1;
    s_weights(w, pts, (int)k, beta);
    if (k == 4) GF2V_FN(s_level_fold_body)(u, v, 4, L, w);
    else GF2V_FN(s_level_fold_body)(u, v, k, L, w);
}

/* Fan-in 2 over the points 0, 1 and infinity: f(x) = u0 + x (u0 + u1), so
 * h(0) = sum u0 v0 and the leading coefficient h(inf) = sum (u0 + u1)(v0 + v1):
 * two products per pair, D[0] = h(0), D[1] = h(inf) (degree 2t). */
GF2V_TARGET static void GF2V_FN(s_level2_h)(const uint64_t *u, const uint64_t *v, size_t L, uint64_t D[2])
{
    gf64_wide a = { 0, 0 }, c = { 0, 0 };
    const uint64_t *u1 = u + L, *v1 = v + L;
    for (size_t l = 0; l < L; l++) {
        GF2V_FN(s_mac)(&a, u[l], v[l]);
        GF2V_FN(s_mac)(&c, u[l] ^ u1[l], v[l] ^ v1[l]);
    }
    D[0] = gf64_reduce(a);
    D[1] = gf64_reduce(c);
}

/* u'_l = f(beta) = u0 + beta (u0 + u1), the same for v. */
GF2V_TARGET static void GF2V_FN(s_level2_fold)(uint64_t *u, uint64_t *v, size_t L, uint64_t beta)
{
    const uint64_t *u1 = u + L, *v1 = v + L;
    for (size_t l = 0; l < L; l++) {
        u[l] ^= GF2V_FN(s_mul)(beta, u[l] ^ u1[l]);
        v[l] ^= GF2V_FN(s_mul)(beta, v[l] ^ v1[l]);
    }
}
