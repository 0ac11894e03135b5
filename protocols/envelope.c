/* envelope: sealed, signed submissions (see envelope.h, docs/envelope.md). */
#include "protocols/envelope.h"

#include <string.h>
#include <sodium.h>

#include "common/bytes.h"

#define S_NONCE_KEY "mpc-envelope-v1"

size_t envelope_len(int n, uint32_t m, size_t width)
{
    if (n < 1 || n > MPC_MAX_SERVERS || m < 1 || m > ENV_MAX_M || width < 1 || width > 16)
        return 0;
    return ENV_HDR + (size_t)n * ((size_t)m * width + ENV_BOX_EXTRA) + ENV_SIG;
}

/* Box i's nonce: bound to the envelope's ephemeral key, the recipient's key and
 * its position, so no box can be moved to another slot or envelope. */
static void s_nonce(uint8_t nonce[crypto_box_NONCEBYTES], const uint8_t epk[32],
                    const uint8_t pk[32], int i)
{
    uint8_t in[65];
    memcpy(in, epk, 32);
    memcpy(in + 32, pk, 32);
    in[64] = (uint8_t)i;
    crypto_generichash(nonce, crypto_box_NONCEBYTES, in, sizeof in, (const uint8_t *)S_NONCE_KEY,
                       sizeof S_NONCE_KEY - 1);
}

int envelope_seal(uint8_t *out, const field *F, int n, const uint8_t (*server_pk)[32],
                  const uint8_t sid[MPC_SID_LEN], uint32_t roll, uint64_t seq, const fe *shares,
                  uint32_t m, const uint8_t sign_sk[64])
{
    uint8_t esk[32];
    randombytes_buf(esk, sizeof esk);
    int rc = envelope_seal_eph(out, F, n, server_pk, sid, roll, seq, shares, m, sign_sk, esk);
    sodium_memzero(esk, sizeof esk);
    return rc;
}

int envelope_seal_eph(uint8_t *out, const field *F, int n, const uint8_t (*server_pk)[32],
                      const uint8_t sid[MPC_SID_LEN], uint32_t roll, uint64_t seq, const fe *shares,
                      uint32_t m, const uint8_t sign_sk[64], const uint8_t esk_in[32])
{
    size_t len = envelope_len(n, m, F->bytes), plen = (size_t)m * F->bytes;
    if (!len) return ERR_ARG;
    memcpy(out, "MPEV", 4);
    out[4] = ENV_VERSION;
    out[5] = (uint8_t)n;
    out[6] = (uint8_t)F->bytes;
    out[7] = 0;
    memcpy(out + 8, sid, MPC_SID_LEN);
    be_put32(out + 40, roll);
    be_put64(out + 44, seq);
    be_put32(out + 52, m);
    uint8_t esk[32], k[crypto_box_BEFORENMBYTES], nonce[crypto_box_NONCEBYTES];
    memcpy(esk, esk_in, 32);
    crypto_scalarmult_base(out + 56, esk);
    int rc = 0;
    for (int i = 1; i <= n && rc == 0; i++) {
        uint8_t *box = out + ENV_HDR + (size_t)(i - 1) * (plen + ENV_BOX_EXTRA);
        s_nonce(nonce, out + 56, server_pk[i - 1], i);
        if (crypto_box_beforenm(k, server_pk[i - 1], esk) != 0) {
            rc = ERR_ARG;   /* a low-order server key: the definition is broken */
            break;
        }
        /* encrypted in place: the plaintext shares never leave out */
        field_encode(F, box, shares + (size_t)(i - 1) * m, m);
        crypto_box_easy_afternm(box, box, plen, nonce, k);
    }
    sodium_memzero(esk, sizeof esk);
    sodium_memzero(k, sizeof k);
    if (rc != 0) {
        sodium_memzero(out, len);
        return rc;
    }
    crypto_sign_detached(out + len - ENV_SIG, NULL, out, len - ENV_SIG, sign_sk);
    return 0;
}

int envelope_parse(envelope *e, const uint8_t *in, size_t len)
{
    if (len < ENV_HDR + ENV_SIG || memcmp(in, "MPEV", 4) != 0 || in[4] != ENV_VERSION || in[7] != 0)
        return ERR_PARSE;
    e->n = in[5];
    e->width = in[6];
    e->m = be_get32(in + 52);
    if (envelope_len(e->n, e->m, (size_t)e->width) != len) return ERR_PARSE;
    e->sid = in + 8;
    e->roll = be_get32(in + 40);
    e->seq = be_get64(in + 44);
    e->epk = in + 56;
    e->boxes = in + ENV_HDR;
    e->sig = in + len - ENV_SIG;
    e->len = len;
    return 0;
}

int envelope_verify(const envelope *e, const uint8_t sign_pk[32])
{
    const uint8_t *start = e->sig + ENV_SIG - e->len;
    return crypto_sign_verify_detached(e->sig, start, e->len - ENV_SIG, sign_pk) == 0 ? 0
                                                                                      : ERR_CRYPTO;
}

int envelope_open(const envelope *e, const field *F, int server, const uint8_t my_pk[32],
                  const uint8_t my_sk[32], fe *out, uint8_t *scratch)
{
    if ((size_t)e->width != F->bytes || server < 1 || server > e->n) return ERR_ARG;
    size_t plen = (size_t)e->m * F->bytes;
    const uint8_t *box = e->boxes + (size_t)(server - 1) * (plen + ENV_BOX_EXTRA);
    uint8_t nonce[crypto_box_NONCEBYTES];
    s_nonce(nonce, e->epk, my_pk, server);
    int rc = crypto_box_open_easy(scratch, box, plen + ENV_BOX_EXTRA, nonce, e->epk, my_sk) == 0
                 ? 0
                 : ERR_CRYPTO;
    if (rc == 0 && field_decode(F, out, e->m, scratch, plen) != 0) rc = ERR_RANGE;
    sodium_memzero(scratch, plen);
    return rc;
}

void envelope_hash(uint8_t out[ENV_HASH_LEN], const uint8_t *in, size_t len)
{
    crypto_generichash(out, ENV_HASH_LEN, in, len, NULL, 0);
}
