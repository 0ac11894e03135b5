/* result: receipts and result statements (Ed25519), and t+1 acceptance. */
#include "protocols/result.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "common/bytes.h"
#include "common/xalloc.h"

#define S_VERSION        1
#define S_RECEIPT_VER    2
#define S_RECEIPT_MAGIC  "MPRC"
#define S_STMT_MAGIC     "MPRS"
#define S_INPUTS_TAG     "MPC result inputs v2"

static int s_server_ok(int server)
{
    return server >= 1 && server <= MPC_MAX_SERVERS;
}

/* ---- receipts ---- */

/* A leaf: one stored envelope; nodes: a pair of children (domain-separated,
 * so a leaf can never pass for a node). */
void result_receipt_leaf(uint8_t out[RESULT_HASH_LEN], uint32_t roll, uint64_t seq,
                         const uint8_t env_hash[RESULT_HASH_LEN])
{
    uint8_t b[1 + 4 + 8 + RESULT_HASH_LEN];
    b[0] = 0;
    be_put32(b + 1, roll);
    be_put64(b + 5, seq);
    memcpy(b + 13, env_hash, RESULT_HASH_LEN);
    crypto_generichash(out, RESULT_HASH_LEN, b, sizeof b, NULL, 0);
}

static void s_node(uint8_t out[RESULT_HASH_LEN], const uint8_t *l, const uint8_t *r)
{
    uint8_t b[1 + 2 * RESULT_HASH_LEN];
    b[0] = 1;
    memcpy(b + 1, l, RESULT_HASH_LEN);
    memcpy(b + 1 + RESULT_HASH_LEN, r, RESULT_HASH_LEN);
    crypto_generichash(out, RESULT_HASH_LEN, b, sizeof b, NULL, 0);
}

size_t result_merkle_size(size_t n)
{
    size_t total = 0;
    for (size_t sz = n; sz > 1; sz = (sz + 1) / 2) total += sz;
    return total + 1;
}

/* Levels bottom-up, one after another; an odd last node moves up alone. */
void result_merkle_build(uint8_t (*tree)[RESULT_HASH_LEN], size_t n)
{
    size_t off = 0;
    for (size_t sz = n; sz > 1; sz = (sz + 1) / 2) {
        uint8_t (*lv)[RESULT_HASH_LEN] = tree + off, (*up)[RESULT_HASH_LEN] = tree + off + sz;
        for (size_t i = 0; i + 1 < sz; i += 2) s_node(up[i / 2], lv[i], lv[i + 1]);
        if (sz & 1) memcpy(up[sz / 2], lv[sz - 1], RESULT_HASH_LEN);
        off += sz;
    }
}

void result_merkle_path(result_receipt *r, const uint8_t (*tree)[RESULT_HASH_LEN], size_t n,
                        size_t index)
{
    size_t off = 0, i = index;
    r->index = (uint32_t)index;
    r->count = (uint32_t)n;
    r->npath = 0;
    for (size_t sz = n; sz > 1; sz = (sz + 1) / 2) {
        if (!((sz & 1) && i == sz - 1)) memcpy(r->path[r->npath++], tree[off + (i ^ 1)], RESULT_HASH_LEN);
        off += sz;
        i /= 2;
    }
}

/* The root r's path leads to, or ERR_PARSE if the path does not fit its
 * index and count. */
static int s_root(const result_receipt *r, uint8_t root[RESULT_HASH_LEN])
{
    if (r->count < 1 || r->index >= r->count || r->npath > RESULT_MAX_PATH) return ERR_PARSE;
    uint8_t h[RESULT_HASH_LEN];
    result_receipt_leaf(h, r->roll, r->seq, r->env_hash);
    size_t i = r->index;
    int used = 0;
    for (size_t sz = r->count; sz > 1; sz = (sz + 1) / 2, i /= 2) {
        if ((sz & 1) && i == sz - 1) continue;
        if (used == r->npath) return ERR_PARSE;
        const uint8_t *sib = r->path[used++];
        if (i & 1) s_node(h, sib, h);
        else s_node(h, h, sib);
    }
    if (used != r->npath) return ERR_PARSE;
    memcpy(root, h, RESULT_HASH_LEN);
    return 0;
}

/* What a server signs for a batch: the root over its receipts' leaves. */
static void s_batch_msg(uint8_t out[4 + 1 + 1 + MPC_SID_LEN + 4 + RESULT_HASH_LEN], int server,
                        const uint8_t *sid, uint32_t count, const uint8_t *root)
{
    memcpy(out, "MPRB", 4);
    out[4] = 1;
    out[5] = (uint8_t)server;
    memcpy(out + 6, sid, MPC_SID_LEN);
    be_put32(out + 6 + MPC_SID_LEN, count);
    memcpy(out + 10 + MPC_SID_LEN, root, RESULT_HASH_LEN);
}

void result_merkle_sign(uint8_t sig[RESULT_SIG_LEN], int server, const uint8_t sid[MPC_SID_LEN],
                        const uint8_t (*tree)[RESULT_HASH_LEN], size_t n,
                        const uint8_t sign_sk[RESULT_SK_LEN])
{
    uint8_t msg[4 + 1 + 1 + MPC_SID_LEN + 4 + RESULT_HASH_LEN];
    s_batch_msg(msg, server, sid, (uint32_t)n, tree[result_merkle_size(n) - 1]);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, sign_sk);
}

size_t result_receipt_encode(uint8_t *out, const result_receipt *r)
{
    assert(s_server_ok(r->server) && r->npath <= RESULT_MAX_PATH);
    uint8_t *p = out;
    memcpy(p, S_RECEIPT_MAGIC, 4); p += 4;
    *p++ = S_RECEIPT_VER;
    *p++ = (uint8_t)r->server;
    memcpy(p, r->sid, MPC_SID_LEN); p += MPC_SID_LEN;
    be_put32(p, r->roll); p += 4;
    be_put64(p, r->seq); p += 8;
    memcpy(p, r->env_hash, RESULT_HASH_LEN); p += RESULT_HASH_LEN;
    be_put32(p, r->index); p += 4;
    be_put32(p, r->count); p += 4;
    *p++ = (uint8_t)r->npath;
    memcpy(p, r->path, (size_t)r->npath * RESULT_HASH_LEN); p += (size_t)r->npath * RESULT_HASH_LEN;
    memcpy(p, r->sig, RESULT_SIG_LEN);
    return RESULT_RECEIPT_LEN + (size_t)r->npath * RESULT_HASH_LEN;
}

int result_receipt_decode(result_receipt *r, const uint8_t *in, size_t len)
{
    if (!in || len < RESULT_RECEIPT_LEN) return ERR_PARSE;
    if (memcmp(in, S_RECEIPT_MAGIC, 4) != 0 || in[4] != S_RECEIPT_VER || !s_server_ok(in[5]))
        return ERR_PARSE;
    const uint8_t *p = in + 6;
    r->server = in[5];
    memcpy(r->sid, p, MPC_SID_LEN); p += MPC_SID_LEN;
    r->roll = be_get32(p); p += 4;
    r->seq = be_get64(p); p += 8;
    memcpy(r->env_hash, p, RESULT_HASH_LEN); p += RESULT_HASH_LEN;
    r->index = be_get32(p); p += 4;
    r->count = be_get32(p); p += 4;
    r->npath = *p++;
    if (r->npath > RESULT_MAX_PATH || len != RESULT_RECEIPT_LEN + (size_t)r->npath * RESULT_HASH_LEN)
        return ERR_PARSE;
    memcpy(r->path, p, (size_t)r->npath * RESULT_HASH_LEN); p += (size_t)r->npath * RESULT_HASH_LEN;
    memcpy(r->sig, p, RESULT_SIG_LEN);
    uint8_t root[RESULT_HASH_LEN];
    return s_root(r, root);
}

void result_receipt_sign(result_receipt *r, const uint8_t sign_sk[RESULT_SK_LEN])
{
    uint8_t leaf[1][RESULT_HASH_LEN];
    result_receipt_leaf(leaf[0], r->roll, r->seq, r->env_hash);
    result_merkle_path(r, (const uint8_t(*)[RESULT_HASH_LEN])leaf, 1, 0);
    result_merkle_sign(r->sig, r->server, r->sid, (const uint8_t(*)[RESULT_HASH_LEN])leaf, 1,
                       sign_sk);
}

int result_receipt_root(const result_receipt *r, uint8_t root[RESULT_HASH_LEN])
{
    return s_root(r, root);
}

int result_receipt_verify(const result_receipt *r, const uint8_t sign_pk[RESULT_PK_LEN])
{
    uint8_t root[RESULT_HASH_LEN], msg[4 + 1 + 1 + MPC_SID_LEN + 4 + RESULT_HASH_LEN];
    if (!s_server_ok(r->server) || s_root(r, root) != 0) return ERR_CRYPTO;
    s_batch_msg(msg, r->server, r->sid, r->count, root);
    return crypto_sign_verify_detached(r->sig, msg, sizeof msg, sign_pk) == 0 ? 0 : ERR_CRYPTO;
}

/* ---- statements ---- */

result_stmt *result_stmt_new(int server, const uint8_t sid[MPC_SID_LEN],
                             const uint8_t *output, size_t output_len, uint64_t accepted,
                             uint64_t excluded, const uint8_t inputs_hash[RESULT_HASH_LEN])
{
    if (!s_server_ok(server) || output_len > RESULT_MAX_OUTPUT || (output_len && !output))
        return NULL;
    result_stmt *st = xcalloc(1, sizeof *st);
    st->output = xmalloc(output_len + 1);
    if (output_len) memcpy(st->output, output, output_len);
    st->output[output_len] = 0;
    st->output_len = output_len;
    st->server = server;
    memcpy(st->sid, sid, MPC_SID_LEN);
    st->accepted = accepted;
    st->excluded = excluded;
    memcpy(st->inputs_hash, inputs_hash, RESULT_HASH_LEN);
    return st;
}

void result_stmt_free(result_stmt **pp)
{
    if (!pp || !*pp) return;
    free((*pp)->output);
    free(*pp);
    *pp = NULL;
}

/* Encode into a malloc'd buffer; the signed part is all but the last 64 bytes. */
static int s_stmt_bytes(const result_stmt *st, uint8_t **out, size_t *len)
{
    if (!s_server_ok(st->server) || st->output_len > RESULT_MAX_OUTPUT ||
        (st->output_len && !st->output))
        return ERR_ARG;
    size_t total = RESULT_STMT_FIXED + st->output_len;
    uint8_t *buf = xmalloc(total), *p = buf;
    memcpy(p, S_STMT_MAGIC, 4); p += 4;
    *p++ = S_VERSION;
    *p++ = (uint8_t)st->server;
    memcpy(p, st->sid, MPC_SID_LEN); p += MPC_SID_LEN;
    be_put64(p, st->accepted); p += 8;
    be_put64(p, st->excluded); p += 8;
    memcpy(p, st->inputs_hash, RESULT_HASH_LEN); p += RESULT_HASH_LEN;
    be_put32(p, (uint32_t)st->output_len); p += 4;
    if (st->output_len) memcpy(p, st->output, st->output_len);
    p += st->output_len;
    memcpy(p, st->sig, RESULT_SIG_LEN);
    *out = buf;
    *len = total;
    return 0;
}

int result_stmt_encode(const result_stmt *st, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    return s_stmt_bytes(st, out, len);
}

int result_stmt_decode(result_stmt **out, const uint8_t *in, size_t len)
{
    *out = NULL;
    if (!in || len < RESULT_STMT_FIXED) return ERR_PARSE;
    if (memcmp(in, S_STMT_MAGIC, 4) != 0 || in[4] != S_VERSION || !s_server_ok(in[5]))
        return ERR_PARSE;
    const uint8_t *p = in + 6;
    const uint8_t *sid = p; p += MPC_SID_LEN;
    uint64_t accepted = be_get64(p); p += 8;
    uint64_t excluded = be_get64(p); p += 8;
    const uint8_t *hash = p; p += RESULT_HASH_LEN;
    uint32_t olen = be_get32(p); p += 4;
    if (olen > RESULT_MAX_OUTPUT || len != RESULT_STMT_FIXED + (size_t)olen) return ERR_PARSE;
    result_stmt *st = result_stmt_new(in[5], sid, p, olen, accepted, excluded, hash);
    if (!st) return ERR_PARSE;
    memcpy(st->sig, p + olen, RESULT_SIG_LEN);
    *out = st;
    return 0;
}

void result_stmt_sign(result_stmt *st, const uint8_t sign_sk[RESULT_SK_LEN])
{
    uint8_t *buf;
    size_t len;
    int rc = s_stmt_bytes(st, &buf, &len);
    assert(rc == 0);   /* a statement from result_stmt_new is always encodable */
    (void)rc;
    crypto_sign_detached(st->sig, NULL, buf, len - RESULT_SIG_LEN, sign_sk);
    free(buf);
}

int result_stmt_verify(const result_stmt *st, const uint8_t sign_pk[RESULT_PK_LEN])
{
    uint8_t *buf;
    size_t len;
    if (s_stmt_bytes(st, &buf, &len) != 0) return ERR_CRYPTO;
    int ok = crypto_sign_verify_detached(st->sig, buf, len - RESULT_SIG_LEN, sign_pk) == 0;
    free(buf);
    return ok ? 0 : ERR_CRYPTO;
}

int result_inputs_hash(uint8_t out[RESULT_HASH_LEN], const uint8_t sid[MPC_SID_LEN],
                       const result_input *in, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (in[i].roll <= in[i - 1].roll) return ERR_ARG;
    crypto_generichash_state st;
    uint8_t b[4 + 8 + RESULT_HASH_LEN];
    crypto_generichash_init(&st, NULL, 0, RESULT_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)S_INPUTS_TAG, sizeof S_INPUTS_TAG);
    crypto_generichash_update(&st, sid, MPC_SID_LEN);
    be_put64(b, (uint64_t)count);
    crypto_generichash_update(&st, b, 8);
    for (size_t i = 0; i < count; i++) {
        be_put32(b, in[i].roll);
        be_put64(b + 4, in[i].seq);
        memcpy(b + 12, in[i].env_hash, RESULT_HASH_LEN);
        crypto_generichash_update(&st, b, sizeof b);
    }
    crypto_generichash_final(&st, out, RESULT_HASH_LEN);
    return 0;
}

/* ---- acceptance ---- */

/* Same signed content (everything but server index and signature). */
static int s_same_content(const result_stmt *a, const result_stmt *b)
{
    return !memcmp(a->sid, b->sid, MPC_SID_LEN) && a->accepted == b->accepted &&
           a->excluded == b->excluded &&
           !memcmp(a->inputs_hash, b->inputs_hash, RESULT_HASH_LEN) &&
           a->output_len == b->output_len &&
           (a->output_len == 0 || !memcmp(a->output, b->output, a->output_len));
}

/* Append " label: 1,3" to msg when mask is not empty. */
static void s_describe(char *msg, size_t cap, const char *label, unsigned mask, int n)
{
    if (!mask) return;
    size_t used = strlen(msg);
    if (used >= cap - 1) return;
    int w = snprintf(msg + used, cap - used, "%s%s", used ? "; " : "", label);
    const char *sep = " ";
    for (int i = 1; i <= n && w >= 0; i++) {
        if (!(mask >> (i - 1) & 1)) continue;
        used = strlen(msg);
        if (used >= cap - 1) return;
        w = snprintf(msg + used, cap - used, "%s%d", sep, i);
        sep = ",";
    }
}

int result_accept(result_verdict *v, const result_stmt *const *stmts, size_t count,
                  const uint8_t sid[MPC_SID_LEN], const uint8_t (*sign_pk)[RESULT_PK_LEN],
                  int n, int t)
{
    memset(v, 0, sizeof *v);
    if (n < 1 || n > MPC_MAX_SERVERS || t < 0 || t >= n || (count && !stmts)) {
        snprintf(v->msg, sizeof v->msg, "bad arguments (n = %d, t = %d)", n, t);
        return ERR_ARG;
    }
    const result_stmt *have[MPC_MAX_SERVERS] = { 0 };
    for (size_t k = 0; k < count; k++) {
        const result_stmt *st = stmts[k];
        if (!st || st->server < 1 || st->server > n ||
            sodium_memcmp(st->sid, sid, MPC_SID_LEN) != 0) {
            v->ignored++;
            continue;
        }
        unsigned bit = 1u << (st->server - 1);
        if (result_stmt_verify(st, sign_pk[st->server - 1]) != 0) {
            v->badsig_mask |= bit;
            continue;
        }
        const result_stmt **slot = &have[st->server - 1];
        if (!*slot) *slot = st;
        else if (!s_same_content(*slot, st)) v->equivocal_mask |= bit;
    }

    /* Group the valid, consistent servers by content. */
    int group[MPC_MAX_SERVERS];        /* representative server index (0-based) */
    unsigned gmask[MPC_MAX_SERVERS] = { 0 };
    int gsize[MPC_MAX_SERVERS] = { 0 };
    for (int i = 0; i < n; i++) {
        group[i] = -1;
        if (!have[i] || (v->equivocal_mask >> i & 1)) {
            if (!(v->equivocal_mask >> i & 1)) v->missing_mask |= 1u << i;
            continue;
        }
        for (int j = 0; j < i; j++) {
            if (group[j] == j && s_same_content(have[j], have[i])) { group[i] = j; break; }
        }
        if (group[i] < 0) group[i] = i;
        gmask[group[i]] |= 1u << i;
        gsize[group[i]]++;
    }
    int best = -1, reaching = 0;
    for (int i = 0; i < n; i++) {
        if (!gsize[i]) continue;
        if (best < 0 || gsize[i] > gsize[best]) best = i;
        if (gsize[i] >= t + 1) reaching++;
    }
    unsigned valid = 0;
    for (int i = 0; i < n; i++) valid |= gmask[i];
    int rc;
    if (best >= 0) {
        v->agree = gsize[best];
        v->agree_mask = gmask[best];
        v->disagree_mask = valid & ~gmask[best];
    }
    if (reaching >= 2) {
        rc = ERR_CHEAT;
        snprintf(v->msg, sizeof v->msg, "conflict: two different results each signed by "
                 "at least t+1 = %d servers (more than t servers lie)", t + 1);
    } else if (best >= 0 && gsize[best] >= t + 1) {
        rc = 0;
        v->outcome = have[best];
        snprintf(v->msg, sizeof v->msg, "accepted: %d of %d servers agree (t+1 = %d)",
                 gsize[best], n, t + 1);
    } else {
        rc = ERR_REFUSED;
        snprintf(v->msg, sizeof v->msg, "refused: at most %d matching signatures, t+1 = %d "
                 "needed", best >= 0 ? gsize[best] : 0, t + 1);
    }
    s_describe(v->msg, sizeof v->msg, "agreeing", v->agree_mask, n);
    s_describe(v->msg, sizeof v->msg, "disagreeing", v->disagree_mask, n);
    s_describe(v->msg, sizeof v->msg, "bad signature", v->badsig_mask, n);
    s_describe(v->msg, sizeof v->msg, "equivocating", v->equivocal_mask, n);
    s_describe(v->msg, sizeof v->msg, "missing", v->missing_mask, n);
    if (v->ignored) {
        size_t used = strlen(v->msg);
        if (used < sizeof v->msg - 1)
            snprintf(v->msg + used, sizeof v->msg - used, "; %zu ignored (other session "
                     "or server index)", v->ignored);
    }
    return rc;
}
