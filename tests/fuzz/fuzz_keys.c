/* fuzz_keys: the key file parser. The input is written as a mode 0600 file in a
 * private tmpfs directory, then read with keys_load (secret file) and
 * keys_load_public. Checks: only the documented errors; on success of
 * keys_load the pairs match (CURVE pk from sk, Ed25519 pk from the seed) and
 * keys_save_secret + keys_load give back the same keys. No
 * file is accepted by both loaders (a public file must not carry secrets). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "common/keys.h"
#include "tests/fuzz/util.h"

static char s_path[512], s_copy[512];

/* keys.c keeps secrets and its read buffer in sodium_malloc memory: guard pages
 * and mlock cost an mmap, two mprotect and a munmap with a TLB shootdown per
 * call, which held this target near 600 runs/s. This binary substitutes heap
 * versions (the executable's definitions win over libsodium's): ASan then
 * checks every byte of those buffers, not just the page after them, and the
 * wipe on free stays. Only keys.c calls these in this process. */
void *sodium_malloc(const size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p) memset(p, 0xdb, size);   /* libsodium's fill: code must not expect zeros */
    return p;
}

void sodium_free(void *ptr)
{
    if (!ptr) return;
    sodium_memzero(ptr, malloc_usable_size(ptr));
    free(ptr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    snprintf(s_path, sizeof s_path, "%s/key", fuzz_tmpdir());
    snprintf(s_copy, sizeof s_copy, "%s/key.saved", fuzz_tmpdir());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write_file(s_path, data, size, 0600);
    char err[512];
    keys *k = NULL;
    int rc = keys_load(&k, s_path, err, sizeof err);
    if (rc == 0) {
        if (!k || size > KEYS_FILE_MAX) abort();
        uint8_t pk[32];
        if (crypto_scalarmult_base(pk, keys_curve_sk(k)) != 0 ||
            memcmp(pk, keys_curve_pk(k), 32) != 0)
            abort();
        if (crypto_sign_ed25519_sk_to_pk(pk, keys_sign_sk(k)) != 0 ||
            memcmp(pk, keys_sign_pk(k), 32) != 0)
            abort();
        (void)unlink(s_copy);
        if (keys_save_secret(k, s_copy, err, sizeof err) != 0) abort();
        keys *k2 = NULL;
        if (keys_load(&k2, s_copy, err, sizeof err) != 0 ||
            memcmp(keys_curve_pk(k), keys_curve_pk(k2), 32) ||
            memcmp(keys_curve_sk(k), keys_curve_sk(k2), 32) ||
            memcmp(keys_sign_pk(k), keys_sign_pk(k2), 32) ||
            memcmp(keys_sign_sk(k), keys_sign_sk(k2), 64))
            abort();
        keys_free(&k2);
    } else if (k || (rc != ERR_PARSE && rc != ERR_CRYPTO)) {
        abort();
    }

    uint8_t cpk[KEYS_CURVE_BYTES], spk[KEYS_SIGN_PK_BYTES];
    int prc = keys_load_public(cpk, spk, s_path, err, sizeof err);
    if (prc == 0) {
        if (size > KEYS_FILE_MAX) abort();
    } else if (prc != ERR_PARSE) {
        abort();
    }
    if (rc == 0 && prc == 0) abort();   /* a secret file always has secret lines */
    keys_free(&k);
    return 0;
}
