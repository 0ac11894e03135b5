/* keysetup: PRSS group keys and pairwise keys from every member's contribution,
 * by commit-reveal with echoed commitments and key confirmation; the blame of a
 * failed check goes to a server only when every explanation needs it. */
#include "protocols/keysetup.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "protocols/mpc.h"

#define KS_MAXN MPC_MAX_SERVERS
#define KS_MAX_SLOTS (126 + 36)   /* C(9, 4) groups + C(9, 2) pairs */
#define KS_MAX_EVID 64            /* distinct evidence items: at most 9 + 36 */
#define KS_WHY 120
#define KS_H 32

static const char s_tag_commit[] = "mpc keysetup v1 commit";
static const char s_tag_key[] = "mpc keysetup v1 key";
static const char s_tag_confirm[] = "mpc keysetup v1 confirm";

typedef struct ks_slot {
    uint8_t kind;       /* 0: PRSS group, 1: pair */
    unsigned id;        /* T for a group, the member mask for a pair */
    unsigned mem;       /* the members: bit j-1 = server j */
} ks_slot;

/* Evidence: a deviated (b == 0), or one of a, b did. */
typedef struct ks_evid {
    int a, b;
    char why[KS_WHY];
} ks_evid;

typedef struct ks {
    net *nw;
    int n, t, me;
    unsigned all;                       /* servers 1..n */
    uint8_t ctx[32];                    /* session id or zeros */
    uint64_t step0;
    int ns;
    ks_slot sl[KS_MAX_SLOTS];
    uint8_t *sec;                       /* sodium_malloc'd block of the five below */
    size_t seclen;
    uint8_t *mine, *key;                /* ns * 32 each: own contributions, keys */
    uint8_t *com, *rev;                 /* (n+1) * ns * 32: received from server j */
    uint8_t *buf;                       /* one outgoing message */
    uint8_t okcom[KS_MAXN + 1];         /* R1 of j parsed */
    uint8_t okrev[KS_MAXN + 1];         /* R2 of j parsed, reveals checked */
    uint8_t badkey[KS_MAX_SLOTS];       /* my key of the slot is not derived */
    uint8_t disp[KS_MAXN + 1][KS_MAX_SLOTS];   /* j's echo for the slot differs */
    unsigned dead;                      /* peers no longer read */
    unsigned accuse;                    /* peers caught by my own checks */
    unsigned silent, quit;              /* peers that timed out / abandoned */
    int when[KS_MAXN + 1];              /* round of the silence or the abandon */
    unsigned reported[KS_MAXN + 1];     /* servers j reports no message from */
    unsigned sent[KEYSETUP_ROUNDS];     /* peers sent to, per round */
    unsigned broken;                    /* peers a send to failed */
    int nev;
    ks_evid ev[KS_MAX_EVID];
    char msg[256];
} ks;

/* ---- test-only deviations (compiled only with -DMPC_TEST_ADVERSARY) ---------- */

#ifdef MPC_TEST_ADVERSARY
static keysetup_adv mpc_adv_ks;
static int mpc_adv_ks_on;

void mpc_adv_keysetup(const keysetup_adv *h)
{
    if (h) mpc_adv_ks = *h;
    else memset(&mpc_adv_ks, 0, sizeof mpc_adv_ks);
    mpc_adv_ks_on = h != NULL;
}

/* I am the test's cheater in this mode, towards peer j (0: any), in round r (0:
 * any). */
static int s_cheat(const ks *K, int mode, int j, int r)
{
    const keysetup_adv *h = &mpc_adv_ks;
    if (!mpc_adv_ks_on || h->cheater != K->me || h->mode != mode) return 0;
    if (r && h->round != r) return 0;
    return j == 0 || h->victim == 0 || h->victim == j;
}

static const keysetup_adv *s_adv(void)
{
    return &mpc_adv_ks;
}

static void s_observe(const ks *K, int what, int s, const uint8_t v[32])
{
    if (mpc_adv_ks_on && mpc_adv_ks.observe)
        mpc_adv_ks.observe(mpc_adv_ks.arg, K->me, what, K->sl[s].kind, K->sl[s].id, v);
}
#else
static int s_cheat(const ks *K, int mode, int j, int r)
{
    (void)K, (void)mode, (void)j, (void)r;
    return 0;
}

static const keysetup_adv *s_adv(void)
{
    static const keysetup_adv none;
    return &none;
}

static void s_observe(const ks *K, int what, int s, const uint8_t v[32])
{
    (void)K, (void)what, (void)s, (void)v;
}
#endif

static unsigned s_bit(int j)
{
    return 1u << (j - 1);
}

static uint8_t *s_at(const ks *K, uint8_t *base, int j, int s)
{
    return base + ((size_t)j * (size_t)K->ns + (size_t)s) * KS_H;
}

static int s_shared(const ks *K, int s, int j)
{
    unsigned both = s_bit(K->me) | s_bit(j);
    return (K->sl[s].mem & both) == both;
}

static void s_put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static unsigned s_get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static int s_zero32(const uint8_t *p)
{
    return sodium_is_zero(p, KS_H);
}

/* "group T={1,3}" or "pair {1,2}". */
static const char *s_name(const ks *K, int s, char *buf, size_t len)
{
    const ks_slot *S = &K->sl[s];
    unsigned set = S->kind ? S->mem : S->id;
    size_t o = (size_t)snprintf(buf, len, "%s{", S->kind ? "pair " : "group T=");
    for (int j = 1; j <= K->n && o < len; j++)
        if (set & s_bit(j)) o += (size_t)snprintf(buf + o, len - o, "%s%d", buf[o - 1] == '{' ? "" : ",", j);
    if (o < len) snprintf(buf + o, len - o, "}");
    return buf;
}

/* ---- hashing ---------------------------------------------------------------- */

/* BLAKE2b-256 over (tag, context, n, t, slot, owner), then the caller's data. */
static void s_hinit(const ks *K, crypto_generichash_state *st, const char *tag, int s, int owner)
{
    const ks_slot *S = &K->sl[s];
    uint8_t hdr[6] = { (uint8_t)K->n, (uint8_t)K->t, S->kind, (uint8_t)(S->id >> 8),
                       (uint8_t)S->id, (uint8_t)owner };
    crypto_generichash_init(st, NULL, 0, KS_H);
    crypto_generichash_update(st, (const uint8_t *)tag, strlen(tag) + 1);
    crypto_generichash_update(st, K->ctx, sizeof K->ctx);
    crypto_generichash_update(st, hdr, sizeof hdr);
}

static void s_hash1(const ks *K, uint8_t out[KS_H], const char *tag, int s, int owner,
                    const uint8_t v[KS_H])
{
    crypto_generichash_state st;
    s_hinit(K, &st, tag, s, owner);
    crypto_generichash_update(&st, v, KS_H);
    crypto_generichash_final(&st, out, KS_H);
    sodium_memzero(&st, sizeof st);
}

/* k = H(key tag, slot, the members' contributions in index order). */
static void s_derive(ks *K, int s)
{
    crypto_generichash_state st;
    unsigned mem = K->sl[s].mem;
    for (int o = 1; o <= K->n; o++)
        if ((mem & s_bit(o)) && o != K->me && !K->okrev[o]) K->badkey[s] = 1;
    if (K->badkey[s]) return;
    s_hinit(K, &st, s_tag_key, s, 0);
    for (int o = 1; o <= K->n; o++) {
        if (!(mem & s_bit(o))) continue;
        const uint8_t *c = o == K->me ? K->mine + (size_t)s * KS_H : s_at(K, K->rev, o, s);
        crypto_generichash_update(&st, c, KS_H);
    }
    crypto_generichash_final(&st, K->key + (size_t)s * KS_H, KS_H);
    sodium_memzero(&st, sizeof st);
}

/* My contribution to slot s as sent to peer j (the equivocating test cheater
 * sends each co-member, or only its victim, another one). */
static void s_contrib(const ks *K, int s, int j, uint8_t out[KS_H])
{
    memcpy(out, K->mine + (size_t)s * KS_H, KS_H);
    if (s_cheat(K, KEYSETUP_CHEAT_EQUIVOCATE, j, 0) && __builtin_popcount(K->sl[s].mem) >= 3)
        out[KS_H - 1] ^= (uint8_t)j;
}

/* ---- evidence ---------------------------------------------------------------- */

static void s_evid(ks *K, int a, int b, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record that a deviated (b == 0) or one of a, b did; the first reason is kept. */
static void s_evid(ks *K, int a, int b, const char *fmt, ...)
{
    if (b && b < a) { int x = a; a = b; b = x; }
    for (int i = 0; i < K->nev; i++)
        if (K->ev[i].a == a && K->ev[i].b == b) return;
    if (K->nev == KS_MAX_EVID) return;   /* cannot happen: at most 9 + 36 pairs */
    ks_evid *e = &K->ev[K->nev++];
    e->a = a;
    e->b = b;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->why, sizeof e->why, fmt, ap);
    va_end(ap);
}

/* My own check of j's message failed: j deviated; j is read no more. */
static void s_caught(ks *K, int j)
{
    K->accuse |= s_bit(j);
    K->dead |= s_bit(j);
}

/* ---- set-up ------------------------------------------------------------------ */

/* The slots in a fixed order: the PRSS groups (prss_groups), then the pairs. */
static int s_slots(ks *K, prss *ps)
{
    unsigned groups[KS_MAX_SLOTS];
    int pn, pt, pme;
    prss_params(ps, &pn, &pt, &pme);
    int ng = prss_groups(ps, NULL);
    if (pn != K->n || pme != K->me || ng < 1 || ng > 126) return ERR_ARG;
    (void)prss_groups(ps, groups);
    K->t = pt;
    for (int g = 0; g < ng; g++)
        K->sl[K->ns++] = (ks_slot){ .kind = 0, .id = groups[g], .mem = K->all & ~groups[g] };
    for (int a = 1; a <= K->n; a++)
        for (int b = a + 1; b <= K->n; b++) {
            unsigned m = s_bit(a) | s_bit(b);
            /* a pair with a server down has no holders (its key is never used) */
            K->sl[K->ns++] = (ks_slot){ .kind = 1, .id = m, .mem = (m & K->all) == m ? m : 0 };
        }
    return 0;
}

static ks *s_new(net *nw, prss *ps, const uint8_t *sid, int *rc)
{
    ks *K = calloc(1, sizeof *K);
    *rc = ERR_NOMEM;
    if (!K) return NULL;
    K->nw = nw;
    K->n = net_n(nw);
    K->me = net_me(nw);
    K->all = net_live(nw);   /* the servers taking part: all, or those up */
    if (sid) memcpy(K->ctx, sid, sizeof K->ctx);
    *rc = ERR_ARG;
    if (K->n < 1 || K->n > KS_MAXN || K->me < 1 || K->me > K->n || s_slots(K, ps) != 0) {
        free(K);
        return NULL;
    }
    size_t blk = (size_t)K->ns * KS_H, peers = (size_t)(K->n + 1) * blk;
    K->seclen = 2 * blk + 2 * peers + 4 + (size_t)K->n * blk;   /* buf: R2 is the longest */
    K->sec = sodium_malloc(K->seclen);
    *rc = ERR_NOMEM;
    if (!K->sec) {
        free(K);
        return NULL;
    }
    sodium_memzero(K->sec, K->seclen);
    K->mine = K->sec;
    K->key = K->mine + blk;
    K->com = K->key + blk;
    K->rev = K->com + peers;
    K->buf = K->rev + peers;
    *rc = 0;
    return K;
}

static void s_free(ks *K)
{
    if (!K) return;
    sodium_free(K->sec);   /* wipes */
    sodium_memzero(K, sizeof *K);
    free(K);
}

/* Own contributions, from libsodium's generator (the CHOSEN test cheater picks). */
static void s_draw(ks *K)
{
    for (int s = 0; s < K->ns; s++) {
        if (!(K->sl[s].mem & s_bit(K->me))) continue;
        uint8_t *c = K->mine + (size_t)s * KS_H;
        if (s_cheat(K, KEYSETUP_CHEAT_CHOSEN, 0, 0)) memcpy(c, s_adv()->chosen, KS_H);
        else randombytes_buf(c, KS_H);
        s_observe(K, KEYSETUP_OBS_CONTRIB, s, c);
    }
}

/* ---- messages ---------------------------------------------------------------- */

/* Expected length of round r's message from peer j (as of my own to j). */
static size_t s_len(const ks *K, int r, int j)
{
    size_t len = r == 3 ? 4 : 0;
    for (int s = 0; s < K->ns; s++) {
        if (!s_shared(K, s, j)) continue;
        len += r == 2 ? (size_t)(__builtin_popcount(K->sl[s].mem) - 1) * KS_H : KS_H;
    }
    return len;
}

/* R1: commitments; R2: reveals and echoes. Returns the length written to buf. */
static size_t s_build12(ks *K, int r, int j)
{
    uint8_t c[KS_H];
    size_t off = 0;
    for (int s = 0; s < K->ns; s++) {
        if (!s_shared(K, s, j)) continue;
        s_contrib(K, s, j, c);
        if (r == 1) {
            s_hash1(K, K->buf + off, s_tag_commit, s, K->me, c);
            off += KS_H;
            continue;
        }
        if (s_cheat(K, KEYSETUP_CHEAT_REVEAL, j, 0)) c[0] ^= 1;
        memcpy(K->buf + off, c, KS_H);
        off += KS_H;
        for (int o = 1; o <= K->n; o++) {   /* echo the other members' commitments */
            if (!(K->sl[s].mem & s_bit(o)) || o == K->me || o == j) continue;
            if (K->okcom[o]) memcpy(K->buf + off, s_at(K, K->com, o, s), KS_H);
            else memset(K->buf + off, 0, KS_H);
            off += KS_H;
        }
    }
    sodium_memzero(c, sizeof c);
    return off;
}

/* R3: accuse and missing masks, key confirmations. */
static size_t s_build3(ks *K, int j)
{
    unsigned accuse = K->accuse;
    int v = s_adv()->victim;
    if (s_cheat(K, KEYSETUP_CHEAT_ACCUSE, 0, 0) && v >= 1 && v <= K->n) accuse |= s_bit(v);
    s_put16(K->buf, accuse);
    s_put16(K->buf + 2, K->silent | K->quit);
    size_t off = 4;
    for (int s = 0; s < K->ns; s++) {
        if (!s_shared(K, s, j)) continue;
        if (K->badkey[s]) memset(K->buf + off, 0, KS_H);
        else s_hash1(K, K->buf + off, s_tag_confirm, s, 0, K->key + (size_t)s * KS_H);
        if (s_cheat(K, KEYSETUP_CHEAT_CONFIRM, j, 0)) K->buf[off] ^= 1;
        off += KS_H;
    }
    return off;
}

/* Best effort after a fatal error in round r: an empty message (abandon) to every
 * peer not yet sent to, in rounds r..3, so no honest server looks silent. */
static void s_abandon(ks *K, int r)
{
    for (; r <= KEYSETUP_ROUNDS; r++)
        for (int j = 1; j <= K->n; j++) {
            if (j == K->me || !(K->all & s_bit(j)) || (K->sent[r - 1] & s_bit(j)) ||
                (K->broken & s_bit(j)))
                continue;
            if (net_send(K->nw, j, MPC_MSG_KEYS, K->step0 + (uint64_t)(r - 1), NULL, 0) != 0)
                K->broken |= s_bit(j);
            K->sent[r - 1] |= s_bit(j);
        }
}

static int s_send_round(ks *K, int r)
{
    for (int j = 1; j <= K->n; j++) {
        if (j == K->me || !(K->all & s_bit(j))) continue;
        size_t full = r == 3 ? s_build3(K, j) : s_build12(K, r, j), len = full;
        int skip = s_cheat(K, KEYSETUP_CHEAT_SILENT, j, r);
        if (s_cheat(K, KEYSETUP_CHEAT_SHORT, j, r)) len--;
        int rc = skip ? 0 : net_send(K->nw, j, MPC_MSG_KEYS, K->step0 + (uint64_t)(r - 1), K->buf, len);
        sodium_memzero(K->buf, full);
        if (rc) {
            snprintf(K->msg, sizeof K->msg, "key setup round %d: send to S%d: %s", r, j,
                     net_errmsg(K->nw));
            K->broken |= s_bit(j);
            return rc;
        }
        K->sent[r - 1] |= s_bit(j);
    }
    return 0;
}

/* ---- receiving --------------------------------------------------------------- */

static void s_parse1(ks *K, int j, const uint8_t *p)
{
    size_t off = 0;
    for (int s = 0; s < K->ns; s++) {
        if (!s_shared(K, s, j)) continue;
        memcpy(s_at(K, K->com, j, s), p + off, KS_H);
        off += KS_H;
    }
    K->okcom[j] = 1;
}

/* Reveals against j's commitments (j deviated if one fails), echoes against the
 * commitments I received (j or the member deviated if one differs). */
static void s_parse2(ks *K, int j, const uint8_t *p)
{
    char nm[48];
    uint8_t h[KS_H];
    size_t off = 0;
    for (int s = 0; s < K->ns; s++) {
        if (!s_shared(K, s, j)) continue;
        s_hash1(K, h, s_tag_commit, s, j, p + off);
        if (sodium_memcmp(h, s_at(K, K->com, j, s), KS_H) != 0) {
            s_evid(K, j, 0, "S%d's reveal for %s does not match its commitment", j,
                   s_name(K, s, nm, sizeof nm));
            s_caught(K, j);
            return;
        }
        memcpy(s_at(K, K->rev, j, s), p + off, KS_H);
        off += KS_H;
        for (int o = 1; o <= K->n; o++) {
            if (!(K->sl[s].mem & s_bit(o)) || o == K->me || o == j) continue;
            const uint8_t *e = p + off;
            off += KS_H;
            if (s_zero32(e) || !K->okcom[o]) continue;   /* j or I lack o's commitment */
            if (sodium_memcmp(e, s_at(K, K->com, o, s), KS_H) == 0) continue;
            K->disp[j][s] = 1;
            s_evid(K, j, o, "S%d forwards a commitment of S%d for %s that differs from the one S%d sent",
                   j, o, s_name(K, s, nm, sizeof nm), o);
        }
    }
    K->okrev[j] = 1;
}

/* Accusations, reports and confirmations. A confirmation that differs from mine
 * convicts j unless j's key may differ for a reason j told me: j accuses or misses
 * a member, or j's echo for the slot differs from my copy; or mine is not derived.
 * Otherwise j received the contributions I did (same commitments, checked
 * reveals), and an honest j derives my key. */
static void s_parse3(ks *K, int j, const uint8_t *p)
{
    char nm[48];
    uint8_t h[KS_H];
    unsigned acc = s_get16(p), mis = s_get16(p + 2);
    if ((acc | mis) & (~K->all | s_bit(j))) {
        s_evid(K, j, 0, "S%d sent malformed accuse/missing masks in round 3", j);
        s_caught(K, j);
        return;
    }
    for (int l = 1; l <= K->n; l++)
        if (acc & s_bit(l)) s_evid(K, j, l, "S%d accuses S%d of a bad key-setup message", j, l);
    K->reported[j] = mis;
    size_t off = 4;
    for (int s = 0; s < K->ns; s++) {
        if (!s_shared(K, s, j)) continue;
        const uint8_t *c = p + off;
        off += KS_H;
        if (K->badkey[s] || ((acc | mis) & K->sl[s].mem) || K->disp[j][s]) continue;
        s_hash1(K, h, s_tag_confirm, s, 0, K->key + (size_t)s * KS_H);
        if (sodium_memcmp(h, c, KS_H) != 0)
            s_evid(K, j, 0, "S%d's key confirmation for %s does not match", j,
                   s_name(K, s, nm, sizeof nm));
    }
}

/* Round r's message from every peer still read. A silent peer (timeout) or an
 * abandon (empty message) is noted and the setup goes on; any other transport
 * error ends it. An honest peer may be late by the timeouts it spent on up to t
 * silent peers in each earlier round, so round r waits 1 + (r-1) t timeouts
 * before calling a peer silent (else one silence would cascade). */
static int s_recv_round(ks *K, int r)
{
    for (int j = 1; j <= K->n; j++) {
        if (j == K->me || !(K->all & s_bit(j)) || (K->dead & s_bit(j))) continue;
        uint8_t *pl = NULL;
        size_t len = 0, want = s_len(K, r, j);
        int rc, tries = 0;
        do rc = net_recv(K->nw, j, MPC_MSG_KEYS, K->step0 + (uint64_t)(r - 1), &pl, &len);
        while (rc == ERR_TIMEOUT && ++tries < 1 + (r - 1) * K->t);
        if (rc == ERR_TIMEOUT || (rc == 0 && len == 0)) {
            *(rc ? &K->silent : &K->quit) |= s_bit(j);
            K->dead |= s_bit(j);
            K->when[j] = r;
        } else if (rc) {
            snprintf(K->msg, sizeof K->msg, "key setup round %d: receive from S%d: %s", r, j,
                     net_errmsg(K->nw));
            return rc;
        } else if (len != want) {
            s_evid(K, j, 0, "S%d's round %d message has %zu bytes, %zu expected", j, r, len, want);
            s_caught(K, j);
        } else if (r == 1) {
            s_parse1(K, j, pl);
        } else if (r == 2) {
            s_parse2(K, j, pl);
        } else {
            s_parse3(K, j, pl);
        }
        if (rc == 0) {
            sodium_memzero(pl, len);
            free(pl);
        }
    }
    return 0;
}

/* ---- verdict ----------------------------------------------------------------- */

/* The servers in every set C of at most t servers, me not in C, that explains the
 * evidence (each item has a member in C); *consistent = 0 when no C does. */
static unsigned s_forced(const ks *K, int *consistent)
{
    unsigned forced = K->all & ~s_bit(K->me);
    *consistent = 0;
    for (unsigned C = 0; C <= K->all; C++) {
        if ((C & s_bit(K->me)) || __builtin_popcount(C) > K->t) continue;
        int ok = 1;
        for (int i = 0; i < K->nev && ok; i++) {
            const ks_evid *e = &K->ev[i];
            ok = (C & s_bit(e->a)) || (e->b && (C & s_bit(e->b)));
        }
        if (!ok) continue;
        forced &= C;
        *consistent = 1;
    }
    return *consistent ? forced : 0;
}

static int s_blame(ks *K)
{
    int consistent;
    unsigned f = s_forced(K, &consistent);
    const ks_evid *e = &K->ev[0];
    if (f) {
        char names[48];
        size_t o = 0;
        for (int j = 1; j <= K->n; j++)
            if (f & s_bit(j)) o += (size_t)snprintf(names + o, sizeof names - o, "%sS%d", o ? ", " : "", j);
        for (int i = 0; i < K->nev; i++) {
            unsigned m = s_bit(K->ev[i].a) | (K->ev[i].b ? s_bit(K->ev[i].b) : 0);
            if (m & f) { e = &K->ev[i]; break; }
        }
        snprintf(K->msg, sizeof K->msg, "key setup: %s cheated: %s", names, e->why);
    } else if (!consistent) {
        snprintf(K->msg, sizeof K->msg, "key setup: %s (no %d servers explain every failed check)",
                 e->why, K->t);
    } else {
        snprintf(K->msg, sizeof K->msg, "key setup: %s: one of S%d, S%d cheated", e->why, e->a, e->b);
    }
    return ERR_CHEAT;
}

static int s_verdict(ks *K)
{
    if (K->nev > 0) return s_blame(K);
    for (int j = 1; j <= K->n; j++)
        if (K->silent & s_bit(j)) {
            snprintf(K->msg, sizeof K->msg, "key setup: no message from S%d in round %d (timeout)",
                     j, K->when[j]);
            return ERR_TIMEOUT;
        }
    for (int j = 1; j <= K->n; j++)
        if (K->quit & s_bit(j)) {
            snprintf(K->msg, sizeof K->msg, "key setup: S%d abandoned the key setup in round %d",
                     j, K->when[j]);
            return ERR_PROTO;
        }
    for (int j = 1; j <= K->n; j++)
        for (int l = 1; l <= K->n; l++)
            if (K->reported[j] & s_bit(l)) {
                snprintf(K->msg, sizeof K->msg, "key setup: S%d reports no key-setup message from S%d",
                         j, l);
                return ERR_PROTO;
            }
    return 0;
}

static void s_install(ks *K, prss *ps, uint8_t *pairkey)
{
    for (int s = 0; s < K->ns; s++) {
        const ks_slot *S = &K->sl[s];
        if (!(S->mem & s_bit(K->me))) continue;
        const uint8_t *k = K->key + (size_t)s * KS_H;
        if (S->kind == 0) {
            int rc = prss_set_key(ps, S->id, k);   /* cannot fail: s_slots checked me */
            (void)rc;
        } else {
            int other = __builtin_ctz(S->mem & ~s_bit(K->me)) + 1;
            memcpy(pairkey + (size_t)(other - 1) * KS_H, k, KS_H);
        }
        s_observe(K, KEYSETUP_OBS_KEY, s, k);
    }
}

int keysetup_run(net *nw, prss *ps, uint8_t *pairkey, const uint8_t *sid, uint64_t *step,
                 uint64_t *rounds, char *err, size_t errlen)
{
    int rc;
    if (!nw || !ps || !pairkey || !step || !rounds) {
        err_fmt(err, errlen, "key setup: bad arguments");
        return ERR_ARG;
    }
    ks *K = s_new(nw, ps, sid, &rc);
    if (!K) {
        err_fmt(err, errlen, "key setup: %s", rc == ERR_ARG ? "PRSS context does not fit the transport"
                                                            : "out of memory");
        return rc;
    }
    K->step0 = *step;
    *step += KEYSETUP_ROUNDS;
    *rounds += KEYSETUP_ROUNDS;
    s_draw(K);
    for (int r = 1; r <= KEYSETUP_ROUNDS && rc == 0; r++) {
        if (r == 3)
            for (int s = 0; s < K->ns; s++)
                if (K->sl[s].mem & s_bit(K->me)) s_derive(K, s);
        rc = s_send_round(K, r);
        if (rc == 0) rc = s_recv_round(K, r);
        if (rc) s_abandon(K, r);
    }
    if (rc == 0) rc = s_verdict(K);
    if (rc == 0) s_install(K, ps, pairkey);
    if (rc) err_fmt(err, errlen, "%s", K->msg);
    s_free(K);
    return rc;
}
