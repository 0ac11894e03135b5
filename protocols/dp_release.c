/* dp_release: stored, confirmed noise of a DP release, and the budget ledger
 * (see dp_release.h; the argument is in docs/dp.md, "Reruns"). */
#include "protocols/dp_release.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "common/fsutil.h"
#include "common/limits.h"
#include "protocols/dp.h"
#include "protocols/verify.h"

enum { S_NONE = 0, S_STORED = 1, S_CONFIRMED = 2 };

#define S_MAGIC "mpc-dpn1"
#define S_HDR (8 + 1 + 8 + 32 + 32 + 8)   /* magic, state, gen, pub, local, count */
#define S_MSG_LEN (1 + 8 + 32)            /* state, gen, pub */
#define S_GEN_MAX ((uint64_t)1 << 32)     /* a larger claimed generation is a lie */

static const char *const s_held_name[] = { "no noise", "stored noise", "confirmed noise" };

typedef struct s_held {
    int state;
    uint64_t gen;
} s_held;

static void s_le64(uint8_t *out, uint64_t v)
{
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t s_get64(const uint8_t *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)in[i] << (8 * i);
    return v;
}

void dp_release_id(dp_release *R, const field *F, const uint8_t *sid, const char *params,
                   const uint32_t *roll, const uint8_t *excluded, size_t count, const fe *rows,
                   size_t m)
{
    static const char tag_pub[] = "mpc dp release v1", tag_local[] = "mpc dp release local v1";
    crypto_generichash_state h;
    uint8_t b[16];
    crypto_generichash_init(&h, NULL, 0, 32);
    crypto_generichash_update(&h, (const uint8_t *)tag_pub, sizeof tag_pub);
    crypto_generichash_update(&h, sid, 32);
    crypto_generichash_update(&h, (const uint8_t *)params, strlen(params) + 1);
    s_le64(b, (uint64_t)count);
    s_le64(b + 8, (uint64_t)m);
    crypto_generichash_update(&h, b, 16);
    for (size_t i = 0; i < count; i++) {
        s_le64(b, roll[i]);
        b[8] = excluded[i] != 0;
        crypto_generichash_update(&h, b, 9);
    }
    crypto_generichash_final(&h, R->pub, 32);
    crypto_generichash_init(&h, NULL, 0, 32);
    crypto_generichash_update(&h, (const uint8_t *)tag_local, sizeof tag_local);
    crypto_generichash_update(&h, R->pub, 32);
    for (size_t k = 0; k < count * m; k++) {   /* fixed width: every share counts */
        mpc_encode(F, b, &rows[k], 1);
        crypto_generichash_update(&h, b, F->bytes);
    }
    crypto_generichash_final(&h, R->local, 32);
    sodium_memzero(b, sizeof b);
    sodium_memzero(&h, sizeof h);
    sodium_bin2hex(R->name, sizeof R->name, R->local, 32);
}

/* ---- the ledger ------------------------------------------------------------ */

int dp_ledger_read(const char *path, const char *id, double *used, int *had, char *err,
                   size_t errlen)
{
    *used = 0;
    *had = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "privacy budget ledger %s: %s", path, strerror(errno));
        return ERR_IO;
    }
    char line[256], tag[80], extra;
    int bad = 0;
    while (!bad && fgets(line, sizeof line, f)) {
        double e, d;
        size_t L = strlen(line);
        /* "eps delta" (a release without an id) or "eps delta id" */
        int got = sscanf(line, "%lf %lf %79s %c", &e, &d, tag, &extra);
        bad = L == 0 || line[L - 1] != '\n' || got < 2 || got > 3 || !(e > 0) || !isfinite(e) ||
              !(d >= 0) || (got == 3 && strlen(tag) != 64);
        if (bad) break;
        *used += e;
        if (got == 3 && id && strcmp(tag, id) == 0) *had = 1;
    }
    bad = bad || ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "privacy budget ledger %s is damaged; refusing to release", path);
        return ERR_PARSE;
    }
    return 0;
}

static int s_over(double used, double eps, double budget, char *err, size_t errlen)
{
    /* a relative slack absorbs the decimal round trip of the ledger's numbers */
    if (used + eps <= budget * (1 + 1e-9)) return 0;
    snprintf(err, errlen,
             "privacy budget exhausted: epsilon %.6g already spent of %.6g, a release of "
             "%.6g more is refused",
             used, budget, eps);
    return ERR_REFUSED;
}

int dp_ledger_spend(const char *path, const char *id, double eps, double delta, double budget,
                    double *spent, char *err, size_t errlen)
{
    if (!(eps > 0) || !(budget > 0) || !(delta >= 0) || !isfinite(eps) || !isfinite(budget) ||
        (id && strlen(id) != 64)) {
        snprintf(err, errlen, "privacy budget: epsilon and budget must be positive numbers");
        return ERR_ARG;
    }
    double used;
    int had, rc = dp_ledger_read(path, NULL, &used, &had, err, errlen);
    if (rc == 0) rc = s_over(used, eps, budget, err, errlen);
    if (rc != 0) return rc;
    int fresh = access(path, F_OK) != 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    char line[192];
    int len = snprintf(line, sizeof line, "%.17g %.17g%s%s\n", eps, delta, id ? " " : "",
                       id ? id : "");
    if (fd < 0 || write(fd, line, (size_t)len) != len || fsync(fd) != 0 ||
        (fresh && fs_sync_dir(path, 0) != 0)) {
        snprintf(err, errlen, "privacy budget ledger %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return ERR_IO;
    }
    close(fd);
    if (spent) *spent = used + eps;
    return 0;
}

int dp_budget_spend(const char *path, double eps, double delta, double budget, double *spent,
                    char *err, size_t errlen)
{
    return dp_ledger_spend(path, NULL, eps, delta, budget, spent, err, errlen);
}

/* ---- the noise file -------------------------------------------------------- */

static void s_noise_path(char *out, size_t len, const dp_release_cfg *C, const dp_release *R)
{
    snprintf(out, len, "%s/dp_noise.%s", C->dir, R->name);
}

/* This server's stored noise for R: h->state S_NONE when there is no file. */
static int s_load(const dp_release_cfg *C, const field *F, const dp_release *R, fe *noise,
                  size_t len, s_held *h, char *err, size_t errlen)
{
    char path[4200];
    s_noise_path(path, sizeof path, C, R);
    h->state = S_NONE;
    h->gen = 0;
    if (access(path, F_OK) != 0 && errno == ENOENT) return 0;
    size_t want = S_HDR + len * F->bytes + 32, got = 0;
    uint8_t *buf = NULL, sum[32];
    int rc = fs_read_file(path, &buf, &got, want);
    if (rc == 0 && got == want) {
        crypto_generichash(sum, 32, buf, want - 32, NULL, 0);
        h->state = buf[8];
        h->gen = s_get64(buf + 9);
        rc = sodium_memcmp(sum, buf + want - 32, 32) != 0 || memcmp(buf, S_MAGIC, 8) != 0 ||
                     (h->state != S_STORED && h->state != S_CONFIRMED) || h->gen == 0 ||
                     h->gen > S_GEN_MAX || sodium_memcmp(buf + 17, R->pub, 32) != 0 ||
                     sodium_memcmp(buf + 49, R->local, 32) != 0 || s_get64(buf + 81) != len
                 ? ERR_PARSE
                 : mpc_decode(F, noise, len, buf + S_HDR, len * F->bytes);
    } else if (rc == 0) {
        rc = ERR_PARSE;
    }
    if (buf) sodium_memzero(buf, got);
    free(buf);
    if (rc != 0) {
        h->state = S_NONE;
        /* the file name holds the share-derived id: never in a message */
        snprintf(err, errlen, "this release's noise file (%s/dp_noise.*) is damaged or not "
                              "this release's; refusing to rerun the release (move it away only "
                              "if no noisy value of this release was ever published)", C->dir);
        return rc == ERR_IO ? ERR_IO : ERR_PARSE;
    }
    return 0;
}

static int s_store(const dp_release_cfg *C, const field *F, const dp_release *R,
                   const fe *noise, size_t len, int state, uint64_t gen, char *err, size_t errlen)
{
    char path[4200];
    s_noise_path(path, sizeof path, C, R);
    size_t total = S_HDR + len * F->bytes + 32;
    uint8_t *buf = malloc(total);
    if (!buf) abort();
    memcpy(buf, S_MAGIC, 8);
    buf[8] = (uint8_t)state;
    s_le64(buf + 9, gen);
    memcpy(buf + 17, R->pub, 32);
    memcpy(buf + 49, R->local, 32);
    s_le64(buf + 81, (uint64_t)len);
    mpc_encode(F, buf + S_HDR, noise, len);
    crypto_generichash(buf + total - 32, 32, buf, total - 32, NULL, 0);
    int rc = fs_write_atomic(path, buf, total, 0600);
    if (rc != 0)
        snprintf(err, errlen, "cannot store the release's noise in %s/dp_noise.*: %s", C->dir,
                 strerror(errno));
    sodium_memzero(buf, total);
    free(buf);
    return rc;
}

/* ---- the rounds ------------------------------------------------------------ */

/* Send (state, gen, R->pub) to every other server and receive theirs into
 * all[j-1]; all[me-1] is left to the caller. */
static int s_round(mpc *M, uint8_t type, const dp_release *R, s_held mine, s_held *all,
                   char *err, size_t errlen)
{
    int n = mpc_n(M), me = mpc_me(M), rc = 0;
    uint8_t msg[S_MSG_LEN];
    msg[0] = (uint8_t)mine.state;
    s_le64(msg + 1, mine.gen);
    memcpy(msg + 9, R->pub, 32);
    uint64_t step = mpc_step(M);
    unsigned live = mpc_live(M);
    for (int j = 1; j <= n; j++) all[j - 1] = (s_held){ S_NONE, 0 };
    for (int j = 1; j <= n && rc == 0; j++)
        if (j != me && (live >> (j - 1) & 1u)) rc = mpc_send_raw(M, j, type, step, msg, sizeof msg, 0);
    for (int j = 1; j <= n && rc == 0; j++) {
        if (j == me || !(live >> (j - 1) & 1u)) continue;
        uint8_t *pl = NULL;
        size_t len = 0;
        rc = mpc_recv_raw(M, j, type, step, &pl, &len);
        if (rc == 0 && (len != S_MSG_LEN || pl[0] > S_CONFIRMED || s_get64(pl + 1) >= S_GEN_MAX))
            rc = mpc_fail(M, ERR_PROTO, "dp release: server %d sent a malformed status", j);
        else if (rc == 0 && sodium_memcmp(pl + 9, R->pub, 32) != 0)
            rc = mpc_fail(M, ERR_CHEAT, "dp release: server %d names another release (its "
                                        "counted inputs or parameters differ from this "
                                        "server's); nothing is opened", j);
        if (rc == 0) all[j - 1] = (s_held){ .state = pl[0], .gen = s_get64(pl + 1) };
        free(pl);
    }
    if (rc != 0) snprintf(err, errlen, "%s", mpc_errmsg(M));
    return rc;
}

/* Reuse (1) or draw afresh (0) after the status round, the generation in
 * *gen; < 0 when a server holds less than a confirmed release needs. */
static int s_decide(mpc *M, const s_held *all, uint64_t *gen, char *err, size_t errlen)
{
    int n = mpc_n(M), me = mpc_me(M), conf = 0;
    unsigned live = mpc_live(M);   /* servers down take no part: their state is unknown */
    for (int j = 1; j <= n; j++) {
        if (!(live >> (j - 1) & 1u) || all[j - 1].state != S_CONFIRMED) continue;
        if (conf && all[j - 1].gen != all[conf - 1].gen) {
            snprintf(err, errlen, "dp release: servers %d and %d confirmed different noise for "
                                  "the same release: one of them cheats; nothing is opened", conf, j);
            return mpc_fail(M, ERR_CHEAT, "%s", err);
        }
        if (!conf || conf != me) conf = j;   /* name this server when it confirmed */
    }
    if (conf) {
        /* a confirmed release may have had noisy values opened: only its own
         * noise may ever be used again */
        *gen = all[conf - 1].gen;
        for (int j = 1; j <= n; j++) {
            const s_held *h = &all[j - 1];
            if (!(live >> (j - 1) & 1u) || (h->state != S_NONE && h->gen == *gen)) continue;
            if (j == me)
                snprintf(err, errlen, "dp release: server %d confirmed the noise of this release "
                                      "but this server holds %s for it (generation %llu): its data "
                                      "directory was lost or replaced; fresh noise would be a "
                                      "second release of the same inputs, so the rerun is refused "
                                      "(restore this server's data directory)", conf,
                         s_held_name[h->state], (unsigned long long)h->gen);
            else
                snprintf(err, errlen, "dp release: server %d claims to hold %s (generation %llu) "
                                      "for this release, which server %d confirmed: server %d "
                                      "cheats, lost its data directory, or was down when the "
                                      "release was made; fresh noise would be a second release "
                                      "of the same inputs, so nothing is opened (restore its data "
                                      "directory, or rerun with it stopped)", j,
                         s_held_name[h->state], (unsigned long long)h->gen, conf, j);
            return mpc_fail(M, ERR_CHEAT, "%s", err);
        }
        return 1;
    }
    /* nobody confirmed, so no honest server sent a share of a noisy value:
     * reuse what all hold, else draw afresh */
    uint64_t top = 0;
    int same = 1, none = 1, first = __builtin_ctz(live);
    for (int j = 0; j < n; j++) {
        if (!(live >> j & 1u)) continue;
        same = same && all[j].state != S_NONE && all[j].gen == all[first].gen;
        none = none && all[j].state == S_NONE;
        if (all[j].gen > top) top = all[j].gen;
    }
    *gen = same ? all[first].gen : top + 1;
    /* Any two sets of servers that can compute share t+1 of them (the mesh's
     * quorum), so one honest: if an earlier run opened a noisy value, every
     * honest server of it had stored the noise, and one of them is here. So
     * nothing held anywhere here means nothing was opened. A mixture does
     * not say: a server down (or kept out of the roster by a cheater) may
     * have confirmed and sent its share, so fresh noise needs every server. */
    if (!same && !none && live != (1u << n) - 1) {
        snprintf(err, errlen, "dp release: the servers taking part hold different noise for this "
                              "release and not every server is up; a server that is down may "
                              "have confirmed it, so fresh noise could be a second release: "
                              "rerun with all %d servers up", n);
        return mpc_fail(M, ERR_STATE, "%s", err);
    }
    return same;
}

static void s_stage(const dp_release_cfg *C, const char *name)
{
    if (C->stage) C->stage(name);
}

/* Every server stored generation gen: then record "confirmed". */
static int s_confirm(mpc *M, const dp_release_cfg *C, const dp_release *R, const fe *noise,
                     size_t len, s_held mine, char *err, size_t errlen)
{
    s_held all[MPC_MAX_SERVERS];
    int rc = s_round(M, DP_MSG_STORED, R, (s_held){ S_STORED, mine.gen }, all, err, errlen);
    for (int j = 1; j <= mpc_n(M) && rc == 0; j++) {
        if (j == mpc_me(M) || !(mpc_live(M) >> (j - 1) & 1u) ||
            (all[j - 1].state != S_NONE && all[j - 1].gen == mine.gen))
            continue;
        snprintf(err, errlen, "dp release: server %d did not store noise generation %llu "
                              "(it says %s, generation %llu); nothing is opened", j,
                 (unsigned long long)mine.gen, s_held_name[all[j - 1].state],
                 (unsigned long long)all[j - 1].gen);
        rc = mpc_fail(M, ERR_CHEAT, "%s", err);
    }
    if (rc == 0 && mine.state != S_CONFIRMED)
        rc = s_store(C, mpc_field(M), R, noise, len, S_CONFIRMED, mine.gen, err, errlen);
    if (rc == 0) s_stage(C, "dp-noise-confirmed");
    return rc;
}

int dp_release_noise(mpc *M, const dp_release_cfg *C, const dp_release *R, fe *noise,
                     size_t len, dp_release_info *info, char *err, size_t errlen)
{
    const field *F = mpc_field(M);
    char lp[4200];
    double used;
    int had, me = mpc_me(M);
    s_held all[MPC_MAX_SERVERS];
    memset(info, 0, sizeof *info);
    snprintf(lp, sizeof lp, "%s/dp_ledger", C->dir);
    int rc = dp_ledger_read(lp, R->name, &used, &had, err, errlen);
    if (rc == 0) rc = s_load(C, F, R, noise, len, &all[me - 1], err, errlen);
    if (rc != 0) return rc;
    /* the noise is stored before the ledger line is written: a line without
     * noise means the noise was lost, and fresh noise is then charged again */
    int charge = !had || all[me - 1].state == S_NONE;
    if (charge && (rc = s_over(used, C->eps, C->budget, err, errlen)) != 0) return rc;
    s_held mine = all[me - 1];
    if ((rc = s_round(M, DP_MSG_STATUS, R, mine, all, err, errlen)) != 0) return rc;
    all[me - 1] = mine;
    uint64_t gen = 0;
    int reuse = s_decide(M, all, &gen, err, errlen);
    if (reuse < 0) return reuse;
    if (!reuse) {
        rc = C->draw(M, noise, len, C->draw_arg);
        /* check the draw's multiplications now: stored noise is reused without
         * the relations that made it */
        if (rc == 0) rc = mpc_verify(M);
        if (rc != 0) {
            snprintf(err, errlen, "dp release: drawing the noise: %s", mpc_errmsg(M));
            return rc;
        }
        s_stage(C, "dp-noise-drawn");
        if ((rc = s_store(C, F, R, noise, len, S_STORED, gen, err, errlen)) != 0) return rc;
        mine = (s_held){ S_STORED, gen };
    }
    info->spent = used;
    if (charge) {
        rc = dp_ledger_spend(lp, R->name, C->eps, C->delta, C->budget, &info->spent, err, errlen);
        if (rc != 0) return rc;
        info->charged = 1;
    }
    s_stage(C, "dp-noise-stored");
    rc = s_confirm(M, C, R, noise, len, mine, err, errlen);
    info->reused = reuse;
    info->gen = gen;
    return rc;
}
