/* util: shared set-up of the libFuzzer targets (tests/fuzz/fuzz_*.c) and of the
 * seed generator: one-time init, the fixed session id and client key the seeds
 * were made with, the fields the decoders run under, and a private scratch
 * directory for the targets that read files. Nothing here is secret: the
 * "secret" keys are fixed test keys, public by construction. */
#ifndef MPC_FUZZ_UTIL_H
#define MPC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "common/field.h"

/* The libFuzzer entry points (declared for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Session id of every seed (32 bytes of 0x5a), and the roll size of the stores. */
extern const uint8_t fuzz_sid[32];
#define FUZZ_ROLL 8

/* secmem_init (aborts if libsodium cannot start) and quiet logging. Idempotent. */
void fuzz_init(void);

/* Fixed Ed25519 key pairs from the seed byte `who` repeated: who = 'c' is the
 * client that signed the intake seeds, '1'..'9' the servers that signed the
 * receipts and statements. pk 32 bytes, sk 64 bytes. */
void fuzz_sign_keys(uint8_t pk[32], uint8_t sk[64], char who);

/* The fields of the targets: FUZZ_F89 = 2^89-1 (the default), FUZZ_F127 =
 * 2^127-1, FUZZ_P101 = nextprime(2^100) (13-byte elements, two limbs),
 * FUZZ_P127 = 2^127-25 (16-byte elements, not Mersenne), FUZZ_P64 = 2^64-59
 * (one limb), FUZZ_P17 = 65537 (3-byte elements). Initialised once; aborts if
 * a prime is refused (a bug in field.c, not an input problem). */
enum { FUZZ_F89, FUZZ_F127, FUZZ_P101, FUZZ_P127, FUZZ_P64, FUZZ_P17, FUZZ_NFIELDS };
const field *fuzz_field(int which);

/* Private directory (under /dev/shm when it is writable, else $TMPDIR or /tmp),
 * created on first use and removed with its files at exit. Never NULL. */
const char *fuzz_tmpdir(void);
/* Replace path with exactly data[0..size) at the given mode (a fresh inode, so
 * the mode is exact whatever umask says). Aborts on an I/O error. */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size, unsigned mode);

#endif
