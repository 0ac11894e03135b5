/* fuzz_field: field_decode of element vectors under six primes (the default
 * 2^89-1, 2^127-1, and non-Mersenne primes of 3, 8, 13 and 16 bytes). Input:
 * byte 0 picks the field, byte 1 the element count (0x00..0x7f: as many as the
 * rest holds, rounding down, so a ragged tail must be refused; 0x80..0xfe: that
 * count minus 0x80, whatever the length; 0xff: a count whose byte size
 * overflows size_t), the rest is the encoding.
 * Checks: only ERR_PARSE/ERR_RANGE on refusal, no write past the count; on
 * success every element is below p, field_encode gives back the bytes, and the
 * arithmetic on the decoded elements (fe_mul on both reduction paths, add, sub,
 * neg, inverses, the signed lift) agrees with GMP. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gmp.h>
#include "common/field.h"
#include "tests/fuzz/util.h"

#define S_MAX_CHECK 64   /* elements run through the arithmetic oracle */

static mpz_t s_a, s_b, s_p, s_r;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    mpz_inits(s_a, s_b, s_p, s_r, NULL);
    return 0;
}

static fe s_mpz_fe(const mpz_t x)
{
    fe v;
    if (fe_from_mpz(&(field){ .p = ~(fe)0 }, &v, x) != 0) abort();
    return v;
}

/* Compare the field's arithmetic on a, b with GMP. */
static void s_oracle(const field *F, fe a, fe b, int invert)
{
    fe_to_mpz(s_a, a);
    fe_to_mpz(s_b, b);
    fe_to_mpz(s_p, F->p);
    if (s_mpz_fe(s_a) != a) abort();

    mpz_mul(s_r, s_a, s_b);
    mpz_mod(s_r, s_r, s_p);
    fe want = s_mpz_fe(s_r);
    if (fe_mul(F, a, b) != want || field_mul_slow(F, a, b) != want) abort();

    mpz_add(s_r, s_a, s_b);
    mpz_mod(s_r, s_r, s_p);
    if (fe_add(F, a, b) != s_mpz_fe(s_r)) abort();
    mpz_sub(s_r, s_a, s_b);
    mpz_mod(s_r, s_r, s_p);
    if (fe_sub(F, a, b) != s_mpz_fe(s_r)) abort();
    if (fe_add(F, a, fe_neg(F, a)) != 0) abort();

    fe back;
    if (fe_from_mpz(F, &back, s_a) != 0 || back != a) abort();

    int64_t i64;
    if (fe_to_i64(F, a, &i64) == 0 && fe_from_i64(F, i64) != a) abort();

    if (invert && a != 0) {
        fe inv = fe_inv(F, a);
        if (fe_mul(F, a, inv) != 1) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    const field *F = fuzz_field(data[0] % FUZZ_NFIELDS);
    const uint8_t *in = data + 2;
    size_t len = size - 2, w = F->bytes, n;
    if (data[1] == 0xff) n = SIZE_MAX / w + 1;
    else if (data[1] & 0x80) n = data[1] & 0x7f;
    else n = len / w;

    /* Room for exactly the elements the input could hold; an overflowing or
     * too large count must be refused before anything is written. */
    size_t cap = len / w;
    fe *out = malloc((cap ? cap : 1) * sizeof *out);
    if (!out) abort();
    int rc = field_decode(F, out, n, in, len);
    if (rc == 0) {
        if (n > cap || n * w != len) abort();
        for (size_t i = 0; i < n; i++)
            if (out[i] >= F->p) abort();
        uint8_t *enc = malloc(len ? len : 1);
        if (!enc) abort();
        field_encode(F, enc, out, n);
        if (len && memcmp(enc, in, len) != 0) abort();
        free(enc);

        size_t k = n < S_MAX_CHECK ? n : S_MAX_CHECK;
        for (size_t i = 0; i < k; i++) s_oracle(F, out[i], out[(i + 1) % n], i < 4);

        /* Batch inversion agrees with one-by-one inversion. */
        if (k >= 1 && k <= 16) {
            fe v[16], scratch[16];
            int zero = 0;
            for (size_t i = 0; i < k; i++) zero |= out[i] == 0;
            memcpy(v, out, k * sizeof *v);
            rc = field_vec_inv(F, v, scratch, k);
            if (zero ? rc != ERR_RANGE : rc != 0) abort();
            for (size_t i = 0; !zero && i < k; i++)
                if (v[i] != fe_inv(F, out[i])) abort();
        }
    } else if (rc != ERR_PARSE && rc != ERR_RANGE) {
        abort();
    } else if (rc == ERR_RANGE && (n > cap || n * w != len)) {
        abort();   /* a length defect must be ERR_PARSE, found before any value */
    }
    free(out);
    return 0;
}
