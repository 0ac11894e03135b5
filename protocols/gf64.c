/* gf64: GF(2^64) products, by PCLMULQDQ or a portable window (see gf64.h). */
#include "protocols/gf64.h"

#include <stdatomic.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GF64_HAVE_CLMUL 1
#endif

/* X^64 = X^4 + X^3 + X + 1: fold the high word in twice (the first fold
 * carries at most 4 bits past bit 63). */
static inline uint64_t s_fold(uint64_t lo, uint64_t hi)
{
    uint64_t c = (hi >> 63) ^ (hi >> 61) ^ (hi >> 60);
    hi ^= c;
    return lo ^ hi ^ (hi << 1) ^ (hi << 3) ^ (hi << 4);
}

uint64_t gf64_reduce(gf64_wide w)
{
    return s_fold(w.lo, w.hi);
}

/* Portable: 4-bit windows of b over a table of a's 16 multiples. */
static gf64_wide s_clmul_soft(uint64_t a, uint64_t b)
{
    uint64_t tl[16], th[16];
    tl[0] = th[0] = 0;
    for (int i = 1; i < 16; i++) {
        if (i & 1) {
            tl[i] = tl[i - 1] ^ a;
            th[i] = th[i - 1];
        } else {
            tl[i] = tl[i / 2] << 1;
            th[i] = th[i / 2] << 1 | tl[i / 2] >> 63;
        }
    }
    gf64_wide r = { 0, 0 };
    for (int s = 60; s >= 0; s -= 4) {
        r.hi = r.hi << 4 | r.lo >> 60;
        r.lo <<= 4;
        unsigned k = (unsigned)(b >> s) & 15u;
        r.lo ^= tl[k];
        r.hi ^= th[k];
    }
    return r;
}

#ifdef GF64_HAVE_CLMUL
__attribute__((target("pclmul,sse2"))) static gf64_wide s_clmul_hw(uint64_t a, uint64_t b)
{
    __m128i p = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)a),
                                     _mm_cvtsi64_si128((long long)b), 0);
    gf64_wide r = { (uint64_t)_mm_cvtsi128_si64(p),
                    (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(p, p)) };
    return r;
}
#endif

static _Atomic int s_hw = -1;   /* -1 unknown, 0 portable, 1 clmul */

void gf64_init(void)
{
    if (atomic_load_explicit(&s_hw, memory_order_relaxed) >= 0) return;
    int hw = 0;
#ifdef GF64_HAVE_CLMUL
    __builtin_cpu_init();
    hw = __builtin_cpu_supports("pclmul") ? 1 : 0;
#endif
    atomic_store(&s_hw, hw);
}

static inline gf64_wide s_clmul(uint64_t a, uint64_t b)
{
#ifdef GF64_HAVE_CLMUL
    int hw = atomic_load_explicit(&s_hw, memory_order_relaxed);
    if (hw < 0) {
        gf64_init();
        hw = atomic_load_explicit(&s_hw, memory_order_relaxed);
    }
    if (hw) return s_clmul_hw(a, b);
#endif
    return s_clmul_soft(a, b);
}

uint64_t gf64_mul(uint64_t a, uint64_t b)
{
    return gf64_reduce(s_clmul(a, b));
}

void gf64_mac(gf64_wide *acc, uint64_t a, uint64_t b)
{
    gf64_wide p = s_clmul(a, b);
    acc->lo ^= p.lo;
    acc->hi ^= p.hi;
}

void gf64_mul_vec(uint64_t *out, const uint64_t *a, const uint64_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = gf64_reduce(s_clmul(a[i], b[i]));
}

uint64_t gf64_inv(uint64_t a)
{
    uint64_t r = 1, s = a;   /* a^(2^64 - 2) = prod_{i=1..63} a^(2^i) */
    for (int i = 1; i < 64; i++) {
        s = gf64_mul(s, s);
        r = gf64_mul(r, s);
    }
    return r;
}

uint64_t gf64_embed(uint8_t a)
{
    static const uint64_t w1 = GF64_OMEGA;
    uint64_t w2 = gf64_mul(w1, w1), w3 = gf64_mul(w2, w1), r = 0;
    if (a & 1u) r ^= 1;
    if (a & 2u) r ^= w1;
    if (a & 4u) r ^= w2;
    if (a & 8u) r ^= w3;
    return r;
}
