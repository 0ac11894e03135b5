/* prg: a ChaCha20 keystream (libsodium crypto_stream_chacha20_ietf) as a
 * deterministic source of bytes; the PRF behind PRSS and jointly drawn coins. */
#ifndef MPC_PRG_H
#define MPC_PRG_H

#include <stddef.h>
#include <stdint.h>

#define PRG_KEYBYTES 32

typedef struct prg {
    uint8_t key[PRG_KEYBYTES];   /* secret */
    uint8_t nonce[12];
    uint32_t block;              /* next 64-byte block of the stream */
    uint8_t buf[512];
    size_t pos;                  /* bytes of buf already used */
    uint8_t stage[64];           /* prg_next across a refill */
} prg;

/* Key a stream for (key, domain, counter): the nonce binds the two public values,
 * so the same key yields independent streams per PRSS counter. */
/* key is secret and copied into g. */
void prg_init(prg *g, const uint8_t key[PRG_KEYBYTES], uint32_t domain, uint64_t counter);
/* Next len bytes of the stream into out (secret). */
void prg_bytes(prg *g, uint8_t *out, size_t len);
/* Next len <= 64 bytes of the stream without a copy when they are contiguous in
 * the buffer; the pointer is valid until the next call on g. Consumes exactly the
 * bytes prg_bytes would. */
const uint8_t *prg_next(prg *g, size_t len);
/* Wipe key and buffered stream. */
void prg_wipe(prg *g);

#endif
