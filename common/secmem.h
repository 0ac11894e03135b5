/* secmem: process-wide secret hygiene (libsodium init, wiping GMP allocator,
 * no core dumps) and zeroization helpers. */
#ifndef MPC_SECMEM_H
#define MPC_SECMEM_H

#include <stddef.h>
#include <gmp.h>
#include "common/err.h"

/* First call of every main and test fixture. Idempotent; returns 0 or ERR_CRYPTO
 * when libsodium cannot initialise. */
int secmem_init(void) MPC_WUR;

/* Wipe then free a heap buffer holding secrets (NULL is fine). */
void secmem_free(void *p, size_t len);

/* Wipe the limbs of an mpz (secret) and set it to 0; the mpz stays initialised. */
void secmem_mpz_wipe(mpz_t x);

#endif
