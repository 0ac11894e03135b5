/* secmem: libsodium init, a GMP allocator that wipes what it frees, and no core
 * dumps, so secrets do not linger in freed heap or in a crash file. */
#include "common/secmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sodium.h>

static void *s_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p) abort();   /* GMP's contract: allocation never fails */
    return p;
}

static void *s_realloc(void *p, size_t old, size_t n)
{
    void *q = s_alloc(n);
    memcpy(q, p, old < n ? old : n);
    sodium_memzero(p, old);
    free(p);
    return q;
}

static void s_free(void *p, size_t n)
{
    if (!p) return;
    sodium_memzero(p, n);
    free(p);
}

int secmem_init(void)
{
    static int done;
    if (done) return 0;
    if (sodium_init() < 0) return ERR_CRYPTO;
    mp_set_memory_functions(s_alloc, s_realloc, s_free);
    struct rlimit rl = { 0, 0 };
    (void)setrlimit(RLIMIT_CORE, &rl);
    done = 1;
    return 0;
}

void secmem_free(void *p, size_t len)
{
    if (!p) return;
    sodium_memzero(p, len);
    free(p);
}

void secmem_mpz_wipe(mpz_t x)
{
    size_t n = mpz_size(x);
    if (n) sodium_memzero(mpz_limbs_modify(x, (mp_size_t)n), n * sizeof(mp_limb_t));
    mpz_set_ui(x, 0);
}
