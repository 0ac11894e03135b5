/* test_field: F_p arithmetic against GMP, encoding, sampling, prime parsing. */
#include <criterion/criterion.h>
#include <string.h>
#include <sodium.h>
#include "common/field.h"
#include "common/prg.h"
#include "common/secmem.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(field, .init = s_setup, .timeout = 30);

/* Mersenne defaults, a 127-bit general prime, a 100-bit general prime, the largest
 * 64-bit prime (one-limb general path), a 63-bit prime and small primes. */
static const char *const s_primes[] = {
    "2^89-1",
    "2^107-1",
    "2^127-1",
    "85070591730234615865843651857942052727",  /* 2^126 - 137 */
    "1267650600228229401496703205361",         /* 2^100 - 15 */
    "18446744073709551557",                    /* 2^64 - 59 */
    "9223372036854775783",                     /* 2^63 - 25 */
    "2^13-1",
    "1009",
    "3",
};
#define S_NPRIMES (sizeof s_primes / sizeof s_primes[0])

static void s_field(field *F, const char *s)
{
    int rc = field_init_str(F, s);
    cr_assert_eq(rc, 0, "field_init_str(%s) = %d", s, rc);
}

static void s_mpz_p(mpz_t p, const field *F)
{
    fe_to_mpz(p, F->p);
}

/* Random value in [0, p) sampled via mpz from random bytes (independent of the
 * code under test). */
static fe s_rand_fe(const field *F, mpz_t tmp, const mpz_t p)
{
    static uint8_t pool[4096];
    static size_t used = sizeof pool;
    if (used == sizeof pool) {   /* one system call per 128 values */
        randombytes_buf(pool, sizeof pool);
        used = 0;
    }
    const uint8_t *b = pool + used;
    used += 32;
    mpz_import(tmp, 32, 1, 1, 1, 0, b);
    mpz_mod(tmp, tmp, p);
    fe v;
    cr_assert_eq(fe_from_mpz(F, &v, tmp), 0);
    return v;
}

static void s_expect(const mpz_t want, fe got, const char *op, const char *prime)
{
    mpz_t g;
    mpz_init(g);
    fe_to_mpz(g, got);
    cr_assert(mpz_cmp(want, g) == 0, "%s mismatch for p = %s", op, prime);
    mpz_clear(g);
}

/* Checks add, sub, neg, mul, inv of (a, b) against mpz. */
static void s_check_pair(const field *F, const mpz_t p, fe a, fe b, const char *name)
{
    mpz_t A, B, R;
    mpz_inits(A, B, R, NULL);
    fe_to_mpz(A, a);
    fe_to_mpz(B, b);

    mpz_add(R, A, B);
    mpz_mod(R, R, p);
    s_expect(R, fe_add(F, a, b), "add", name);
    mpz_sub(R, A, B);
    mpz_mod(R, R, p);
    s_expect(R, fe_sub(F, a, b), "sub", name);
    mpz_neg(R, A);
    mpz_mod(R, R, p);
    s_expect(R, fe_neg(F, a), "neg", name);
    mpz_mul(R, A, B);
    mpz_mod(R, R, p);
    s_expect(R, fe_mul(F, a, b), "mul", name);
    if (a != 0) {
        cr_assert(mpz_invert(R, A, p) != 0);
        s_expect(R, fe_inv(F, a), "inv", name);
    } else {
        cr_assert_eq(fe_inv(F, a) == 0, 1, "inv(0) must be 0");
    }
    mpz_clears(A, B, R, NULL);
}

Test(field, arithmetic_matches_gmp_on_random_and_edge_values)
{
    mpz_t p, tmp;
    mpz_inits(p, tmp, NULL);
    for (size_t k = 0; k < S_NPRIMES; k++) {
        field F;
        s_field(&F, s_primes[k]);
        s_mpz_p(p, &F);
        fe edge[] = { 0, 1, 2 % F.p, F.p - 1, F.p - 2, F.p / 2, F.p / 2 + 1 };
        size_t ne = sizeof edge / sizeof edge[0];
        for (size_t i = 0; i < ne; i++)
            for (size_t j = 0; j < ne; j++) s_check_pair(&F, p, edge[i], edge[j], s_primes[k]);
        for (int r = 0; r < 2000; r++) {
            fe a = s_rand_fe(&F, tmp, p), b = s_rand_fe(&F, tmp, p);
            s_check_pair(&F, p, a, b, s_primes[k]);
            s_check_pair(&F, p, a, edge[r % ne], s_primes[k]);
        }
    }
    mpz_clears(p, tmp, NULL);
}

Test(field, pow_matches_gmp)
{
    mpz_t p, tmp, A, E, R;
    mpz_inits(p, tmp, A, E, R, NULL);
    for (size_t k = 0; k < S_NPRIMES; k++) {
        field F;
        s_field(&F, s_primes[k]);
        s_mpz_p(p, &F);
        for (int r = 0; r < 200; r++) {
            fe a = r == 0 ? 0 : s_rand_fe(&F, tmp, p);
            fe e = r == 1 ? 0 : r == 2 ? F.p - 1 : s_rand_fe(&F, tmp, p);
            fe_to_mpz(A, a);
            fe_to_mpz(E, e);
            mpz_powm(R, A, E, p);
            s_expect(R, fe_pow(&F, a, e), "pow", s_primes[k]);
        }
        /* Fermat: a^(p-1) = 1 for a != 0 */
        cr_assert(fe_pow(&F, F.p - 1, F.p - 1) == 1);
    }
    mpz_clears(p, tmp, A, E, R, NULL);
}

Test(field, batch_inverse_matches_single_inverses)
{
    enum { N = 300 };
    fe a[N], orig[N], scratch[N];
    for (size_t k = 0; k < S_NPRIMES; k++) {
        field F;
        s_field(&F, s_primes[k]);
        field_rand(&F, a, N);
        a[0] = 1;
        a[1] = F.p - 1;
        for (size_t i = 0; i < N; i++)
            if (a[i] == 0) a[i] = 1;
        memcpy(orig, a, sizeof a);
        cr_assert_eq(field_vec_inv(&F, a, scratch, N), 0);
        for (size_t i = 0; i < N; i++) {
            cr_assert(a[i] == fe_inv(&F, orig[i]), "element %zu, p = %s", i, s_primes[k]);
            cr_assert(fe_mul(&F, a[i], orig[i]) == 1);
        }
        cr_assert_eq(field_vec_inv(&F, a, scratch, 0), 0);
    }
}

Test(field, batch_inverse_rejects_zero)
{
    field F;
    s_field(&F, "2^89-1");
    fe a[4] = { 5, 7, 0, 9 }, scratch[4];
    cr_assert_eq(field_vec_inv(&F, a, scratch, 4), ERR_RANGE);
}

Test(field, vector_ops_match_scalar_ops)
{
    enum { N = 100 };
    field F;
    s_field(&F, "2^127-1");
    fe a[N], b[N], out[N];
    field_rand(&F, a, N);
    field_rand(&F, b, N);
    field_vec_add(&F, out, a, b, N);
    for (size_t i = 0; i < N; i++) cr_assert(out[i] == fe_add(&F, a[i], b[i]));
    field_vec_sub(&F, out, a, b, N);
    for (size_t i = 0; i < N; i++) cr_assert(out[i] == fe_sub(&F, a[i], b[i]));
    field_vec_mul(&F, out, a, b, N);
    for (size_t i = 0; i < N; i++) cr_assert(out[i] == fe_mul(&F, a[i], b[i]));
    field_vec_scale(&F, out, b[0], a, N);
    for (size_t i = 0; i < N; i++) cr_assert(out[i] == fe_mul(&F, b[0], a[i]));
    /* aliasing: out = a */
    memcpy(out, a, sizeof a);
    field_vec_add(&F, out, out, b, N);
    for (size_t i = 0; i < N; i++) cr_assert(out[i] == fe_add(&F, a[i], b[i]));
}

Test(field, encode_decode_round_trip_at_fixed_width)
{
    enum { N = 64 };
    static const size_t widths[S_NPRIMES] = { 12, 14, 16, 16, 13, 8, 8, 2, 2, 1 };
    for (size_t k = 0; k < S_NPRIMES; k++) {
        field F;
        s_field(&F, s_primes[k]);
        cr_assert_eq(F.bytes, widths[k], "width for %s", s_primes[k]);
        fe v[N], back[N];
        uint8_t buf[N * 16];
        field_rand(&F, v, N);
        v[0] = 0;
        v[1] = 1;
        v[2] = F.p - 1;
        field_encode(&F, buf, v, N);
        cr_assert_eq(field_decode(&F, back, N, buf, N * F.bytes), 0);
        cr_assert_eq(memcmp(v, back, sizeof v), 0);
        /* 0 encodes as all-zero bytes, 1 as big-endian 0...01 */
        for (size_t j = 0; j < F.bytes; j++) cr_assert_eq(buf[j], 0);
        for (size_t j = 0; j + 1 < F.bytes; j++) cr_assert_eq(buf[F.bytes + j], 0);
        cr_assert_eq(buf[2 * F.bytes - 1], 1);
    }
}

Test(field, decode_rejects_element_ge_p)
{
    for (size_t k = 0; k < S_NPRIMES; k++) {
        field F;
        s_field(&F, s_primes[k]);
        uint8_t buf[16];
        fe out[1] = { 42 };
        fe p = F.p;
        field_encode(&F, buf, &p, 1);   /* bytes of p itself */
        cr_assert_eq(field_decode(&F, out, 1, buf, F.bytes), ERR_RANGE, "p = %s", s_primes[k]);
        memset(buf, 0xff, sizeof buf);
        cr_assert_eq(field_decode(&F, out, 1, buf, F.bytes), ERR_RANGE, "p = %s", s_primes[k]);
        cr_assert(out[0] == 42, "out untouched on error");
    }
}

Test(field, decode_rejects_second_bad_element_after_good_one)
{
    field F;
    s_field(&F, "2^89-1");
    fe v[2] = { 7, F.p }, out[2] = { 0, 0 };
    uint8_t buf[24];
    field_encode(&F, buf, v, 2);
    cr_assert_eq(field_decode(&F, out, 2, buf, sizeof buf), ERR_RANGE);
    cr_assert(out[0] == 7);
}

Test(field, decode_rejects_short_and_long_input)
{
    field F;
    s_field(&F, "2^89-1");
    uint8_t buf[64] = { 0 };
    fe out[4];
    cr_assert_eq(field_decode(&F, out, 2, buf, 23), ERR_PARSE);
    cr_assert_eq(field_decode(&F, out, 2, buf, 25), ERR_PARSE);
    cr_assert_eq(field_decode(&F, out, 2, buf, 0), ERR_PARSE);
    cr_assert_eq(field_decode(&F, out, 0, buf, 12), ERR_PARSE);
    cr_assert_eq(field_decode(&F, out, 0, buf, 0), 0);
    cr_assert_eq(field_decode(&F, out, 2, buf, 24), 0);
    /* a length that would match only through n * w overflow */
    cr_assert_eq(field_decode(&F, out, SIZE_MAX / 6, buf, 12), ERR_PARSE);
}

Test(field, init_parses_primes_and_detects_mersenne)
{
    field F;
    s_field(&F, "2^89-1");
    cr_assert_eq(F.mers, 89);
    cr_assert_eq(F.bits, 89);
    s_field(&F, "170141183460469231731687303715884105727");
    cr_assert_eq(F.mers, 127);
    s_field(&F, "2^2-1");
    cr_assert(F.p == 3);
    s_field(&F, "0001009");   /* leading zeros are still the number */
    cr_assert(F.p == 1009);
    s_field(&F, "1009");
    cr_assert_eq(F.mers, 0);
    cr_assert_eq(F.bits, 10);
}

Test(field, init_rejects_composite_large_and_malformed_primes)
{
    field F;
    cr_assert_eq(field_init_str(&F, "1000"), ERR_ARG);
    cr_assert_eq(field_init_str(&F, "2^88-1"), ERR_ARG);          /* composite */
    cr_assert_eq(field_init_str(&F, "2^67-1"), ERR_ARG);          /* composite Mersenne number */
    cr_assert_eq(field_init_str(&F, "2"), ERR_ARG);               /* below 3 */
    cr_assert_eq(field_init_str(&F, "0"), ERR_ARG);
    cr_assert_eq(field_init_str(&F, "-7"), ERR_PARSE);           /* digits only */
    cr_assert_eq(field_init_str(&F, "10 09"), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, " 1009"), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, "2^ 89-1"), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, "2^+89-1"), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, "2^-1"), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, "2^1-1"), ERR_ARG);           /* 1 */
    cr_assert_eq(field_init_str(&F, "2^99999999999999999999-1"), ERR_RANGE);
    cr_assert_eq(field_init_str(&F, NULL), ERR_ARG);
    cr_assert_eq(field_init_str(&F, "2^521-1"), ERR_RANGE);       /* prime, too large */
    cr_assert_eq(field_init_str(&F, "2^128-1"), ERR_RANGE);
    cr_assert_eq(field_init_str(&F,
                 "340282366920938463463374607431768211507"), ERR_RANGE);  /* 2^128 + 51 */
    cr_assert_eq(field_init_str(&F, "2^100-15"), ERR_PARSE);      /* only 2^m-1 is special */
    cr_assert_eq(field_init_str(&F, "2^89-1x"), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, "12abc"), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, ""), ERR_PARSE);
    cr_assert_eq(field_init_str(&F, "0x11"), ERR_PARSE);

    mpz_t p;
    mpz_init_set_ui(p, 1);
    cr_assert_eq(field_init_mpz(&F, p), ERR_ARG);
    mpz_set_si(p, -5);
    cr_assert_eq(field_init_mpz(&F, p), ERR_ARG);
    mpz_set_ui(p, 91);   /* 7 * 13 */
    cr_assert_eq(field_init_mpz(&F, p), ERR_ARG);
    mpz_ui_pow_ui(p, 2, 127);
    cr_assert_eq(field_init_mpz(&F, p), ERR_RANGE);
    mpz_set_ui(p, 1009);
    cr_assert_eq(field_init_mpz(&F, p), 0);
    cr_assert(F.p == 1009);
    mpz_clear(p);
}

Test(field, init_default_picks_smallest_mersenne)
{
    field F;
    cr_assert_eq(field_init_default(&F, 32, 40), 0);
    cr_assert_eq(F.mers, 89);
    cr_assert_eq(F.bytes, 12);
    cr_assert_eq(field_init_default(&F, 46, 40), 0);   /* 88 < 89 */
    cr_assert_eq(F.mers, 89);
    cr_assert_eq(field_init_default(&F, 47, 40), 0);   /* 89: needs 107 */
    cr_assert_eq(F.mers, 107);
    cr_assert_eq(field_init_default(&F, 64, 40), 0);
    cr_assert_eq(F.mers, 107);
    cr_assert_eq(field_init_default(&F, 64, 60), 0);
    cr_assert_eq(F.mers, 127);
    cr_assert_eq(field_init_default(&F, 85, 40), ERR_RANGE);
    cr_assert_eq(field_init_default(&F, 0, 40), ERR_ARG);
    cr_assert_eq(field_init_default(&F, 32, -1), ERR_ARG);
    cr_assert_eq(field_init_default(&F, 2147483647, 2147483647), ERR_RANGE);
}

Test(field, signed_integers_round_trip)
{
    field F;
    s_field(&F, "2^89-1");
    static const int64_t vs[] = { 0, 1, -1, 2, -2, 1950, -618, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        fe a = fe_from_i64(&F, vs[i]);
        cr_assert(a < F.p);
        int64_t back = 0;
        cr_assert_eq(fe_to_i64(&F, a, &back), 0);
        cr_assert_eq(back, vs[i]);
        cr_assert(fe_add(&F, a, fe_from_i64(&F, vs[i] == INT64_MIN ? 0 : -vs[i])) ==
                  (vs[i] == INT64_MIN ? a : 0));
    }
    int64_t out;
    cr_assert_eq(fe_to_i64(&F, F.p / 2, &out), ERR_RANGE);
    cr_assert_eq(fe_to_i64(&F, F.p / 2 + 1, &out), ERR_RANGE);
    cr_assert_eq(fe_to_i64(&F, (fe)INT64_MAX + 1, &out), ERR_RANGE);
    cr_assert_eq(fe_to_i64(&F, F.p - ((fe)INT64_MAX + 2), &out), ERR_RANGE);   /* -(2^63 + 1) */

    field G;   /* a prime below 2^63: values wrap modulo p */
    s_field(&G, "1009");
    cr_assert(fe_from_i64(&G, 1010) == 1);
    cr_assert(fe_from_i64(&G, -1) == 1008);
    cr_assert(fe_from_i64(&G, INT64_MIN) < 1009);
}

Test(field, from_mpz_rejects_negative_and_ge_p)
{
    field F;
    s_field(&F, "2^89-1");
    mpz_t x;
    mpz_init(x);
    fe v = 99;
    fe_to_mpz(x, F.p);
    cr_assert_eq(fe_from_mpz(&F, &v, x), ERR_RANGE);
    mpz_set_si(x, -1);
    cr_assert_eq(fe_from_mpz(&F, &v, x), ERR_RANGE);
    mpz_ui_pow_ui(x, 2, 200);
    cr_assert_eq(fe_from_mpz(&F, &v, x), ERR_RANGE);
    cr_assert(v == 99);
    mpz_set_ui(x, 0);
    cr_assert_eq(fe_from_mpz(&F, &v, x), 0);
    cr_assert(v == 0);
    fe_to_mpz(x, F.p - 1);
    cr_assert_eq(fe_from_mpz(&F, &v, x), 0);
    cr_assert(v == F.p - 1);
    mpz_clear(x);
}

/* Chi-square statistic of counts[0..k) against the uniform distribution. */
static double s_chi2_uniform(const uint32_t *counts, size_t k, size_t total)
{
    double e = (double)total / (double)k, x = 0;
    for (size_t i = 0; i < k; i++) {
        double d = (double)counts[i] - e;
        x += d * d / e;
    }
    return x;
}

/* p = 1009 (10 bits: 15 of 1024 candidates rejected), 200 samples per value:
 * chi-square with 1008 degrees of freedom exceeds 1301 with probability 1e-9. */
#define S_CHI2_1008_1E9 1301.0

Test(field, rand_is_below_p_and_uniform_for_general_prime)
{
    enum { P = 1009, PER = 200, TOTAL = P * PER };
    field F;
    s_field(&F, "1009");
    fe *v = malloc(TOTAL * sizeof *v);
    uint32_t *counts = calloc(P, sizeof *counts);
    cr_assert(v && counts);
    /* half in one call (ChaCha20 expansion of a libsodium seed), half in calls of
     * 100 elements (libsodium bytes directly) */
    field_rand(&F, v, TOTAL / 2);
    for (size_t i = TOTAL / 2; i < TOTAL; i += 100)
        field_rand(&F, v + i, TOTAL - i < 100 ? TOTAL - i : 100);
    for (size_t i = 0; i < TOTAL; i++) {
        cr_assert(v[i] < F.p);
        counts[(size_t)v[i]]++;
    }
    double x = s_chi2_uniform(counts, P, TOTAL);
    cr_assert_lt(x, S_CHI2_1008_1E9, "chi2 = %f", x);
    free(v);
    free(counts);
}

Test(field, rand_small_requests_stay_below_p)
{
    field F;
    s_field(&F, "3");
    uint32_t counts[3] = { 0 };
    for (int i = 0; i < 3000; i++) {
        fe v;
        field_rand(&F, &v, 1);
        cr_assert(v < 3);
        counts[(size_t)v]++;
    }
    /* each count is Binomial(3000, 1/3): mean 1000, sd 25.8; 800 is 7.7 sd away */
    for (int i = 0; i < 3; i++) cr_assert_gt(counts[i], 800);
}

Test(field, prg_sampler_is_deterministic_below_p_and_uniform)
{
    enum { P = 1009, PER = 200, TOTAL = P * PER };
    field F;
    s_field(&F, "1009");
    uint8_t key[PRG_KEYBYTES];
    randombytes_buf(key, sizeof key);
    prg g1, g2, g3;
    prg_init(&g1, key, 7, 11);
    prg_init(&g2, key, 7, 11);
    prg_init(&g3, key, 7, 12);
    fe *a = malloc(TOTAL * sizeof *a), *b = malloc(TOTAL * sizeof *b);
    uint32_t *counts = calloc(P, sizeof *counts);
    cr_assert(a && b && counts);
    field_rand_prg(&F, &g1, a, TOTAL);
    field_rand_prg(&F, &g2, b, 1000);             /* split requests give the same stream */
    field_rand_prg(&F, &g2, b + 1000, TOTAL - 1000);
    cr_assert_eq(memcmp(a, b, TOTAL * sizeof *a), 0);
    field_rand_prg(&F, &g3, b, 64);               /* another counter: another stream */
    cr_assert_neq(memcmp(a, b, 64 * sizeof *a), 0);
    for (size_t i = 0; i < TOTAL; i++) {
        cr_assert(a[i] < F.p);
        counts[(size_t)a[i]]++;
    }
    double x = s_chi2_uniform(counts, P, TOTAL);
    cr_assert_lt(x, S_CHI2_1008_1E9, "chi2 = %f", x);
    prg_wipe(&g1);
    prg_wipe(&g2);
    prg_wipe(&g3);
    sodium_memzero(key, sizeof key);
    free(a);
    free(b);
    free(counts);
}

Test(field, rand_for_127_bit_prime_is_below_p_and_varies)
{
    enum { N = 4096 };
    field F;
    s_field(&F, "2^127-1");
    fe v[N];
    field_rand(&F, v, N);
    int top = 0;
    for (size_t i = 0; i < N; i++) {
        cr_assert(v[i] < F.p);
        top += (int)(v[i] >> 126);
    }
    /* bit 126 is set about half the time: Binomial(4096, 1/2), sd 32 */
    cr_assert(top > 1700 && top < 2400, "top bit set %d times", top);
}
