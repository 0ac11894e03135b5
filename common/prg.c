/* prg: buffered ChaCha20-IETF keystream. */
#include "common/prg.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static void s_refill(prg *g)
{
    /* 512 bytes = 8 blocks; the 32-bit IETF block counter covers 256 GiB per nonce */
    memset(g->buf, 0, sizeof g->buf);
    crypto_stream_chacha20_ietf_xor_ic(g->buf, g->buf, sizeof g->buf, g->nonce, g->block, g->key);
    g->block += sizeof g->buf / 64;
    g->pos = 0;
}

void prg_init(prg *g, const uint8_t key[PRG_KEYBYTES], uint32_t domain, uint64_t counter)
{
    memcpy(g->key, key, PRG_KEYBYTES);
    for (int i = 0; i < 4; i++) g->nonce[i] = (uint8_t)(domain >> (8 * i));
    for (int i = 0; i < 8; i++) g->nonce[4 + i] = (uint8_t)(counter >> (8 * i));
    g->block = 0;
    g->pos = sizeof g->buf;
}

void prg_bytes(prg *g, uint8_t *out, size_t len)
{
    while (len) {
        if (g->pos == sizeof g->buf) s_refill(g);
        size_t take = sizeof g->buf - g->pos;
        if (take > len) take = len;
        memcpy(out, g->buf + g->pos, take);
        g->pos += take;
        out += take;
        len -= take;
    }
}

const uint8_t *prg_next(prg *g, size_t len)
{
    if (len <= sizeof g->buf - g->pos) {
        const uint8_t *p = g->buf + g->pos;
        g->pos += len;
        return p;
    }
    if (len > sizeof g->stage) abort();   /* programmer error, see prg.h */
    prg_bytes(g, g->stage, len);
    return g->stage;
}

void prg_wipe(prg *g)
{
    sodium_memzero(g, sizeof *g);
}
