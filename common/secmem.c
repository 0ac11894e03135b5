/* secmem: libsodium init, a GMP allocator that wipes what it frees, and no core
 * dumps, so secrets do not linger in freed heap or in a crash file. */
#include "common/secmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sodium.h>
#include "common/xalloc.h"

/* A copy rather than realloc(), so the old block is wiped before it is freed;
 * xmalloc aborts on failure, as GMP's contract (allocation never fails) needs. */
static void *s_realloc(void *p, size_t old, size_t n)
{
    void *q = xmalloc(n);
    memcpy(q, p, old < n ? old : n);
    sodium_memzero(p, old);
    free(p);
    return q;
}

int secmem_init(void)
{
    static int done;
    if (done) return 0;
    if (sodium_init() < 0) return ERR_CRYPTO;
    mp_set_memory_functions(xmalloc, s_realloc, secmem_free);
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
