/* bytes: big-endian integers in wire and disk formats (one home for every
 * encoder and decoder of the project).
 *
 * On little-endian GCC/Clang the 32- and 64-bit ones are a byte swap and one
 * unaligned load or store: field_encode/decode run them per share, and gcc
 * does not merge the byte-wise form into a swap once the target is a stack
 * buffer. Elsewhere the byte-wise form, which is correct on any host. */
#ifndef MPC_BYTES_H
#define MPC_BYTES_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MPC_BYTES_SWAP 1
#endif

static inline void be_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void be_put32(uint8_t *p, uint32_t v)
{
#ifdef MPC_BYTES_SWAP
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
#else
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
#endif
}

static inline void be_put64(uint8_t *p, uint64_t v)
{
#ifdef MPC_BYTES_SWAP
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
#else
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
#endif
}

static inline uint16_t be_get16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t be_get32(const uint8_t *p)
{
#ifdef MPC_BYTES_SWAP
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
#else
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
#endif
}

static inline uint64_t be_get64(const uint8_t *p)
{
#ifdef MPC_BYTES_SWAP
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
#else
    return (uint64_t)be_get32(p) << 32 | be_get32(p + 4);
#endif
}

#endif
