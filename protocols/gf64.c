/* gf64: GF(2^64) products, by PCLMULQDQ or a portable window (see gf64.h). */
#include "protocols/gf64.h"

#include <stdatomic.h>

static _Atomic int s_hw = -1;   /* -1 unknown, 0 portable, 1 clmul */

int gf64_hw(void)
{
    gf64_init();
    return atomic_load_explicit(&s_hw, memory_order_relaxed);
}

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
    if (hw) return gf64_clmul_hw(a, b);
#endif
    return gf64_clmul_soft(a, b);
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
