/* store: append-only record file with per-record checksums, fsync before return,
 * torn-tail recovery on open (layout in store.h). */
#include "common/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/bytes.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/xalloc.h"

#define S_FILE_MAGIC   "MPCSTOR1"
#define S_VERSION      1u
#define S_REC_MAGIC    0x4d505252u   /* "MPRR" */
#define S_BODY_FIXED   (4 + 8 + STORE_SUBID_LEN + 4 + 4)
#define S_HDR_CK_LEN   8

/* A record the store owns: rec points at shares/raw below. */
typedef struct s_entry {
    store_rec rec;
    fe *shares;
    uint8_t *raw;
} s_entry;

struct store {
    int fd;
    int broken;                   /* an fsync failed: refuse further appends */
    int dirty;                    /* appended without sync since the last fdatasync */
    const field *F;
    uint8_t sid[MPC_SID_LEN];
    uint32_t roll_size;
    s_entry **latest;             /* roll_size slots */
    size_t count, records;
    uint64_t end;                 /* file offset after the last good record */
    uint64_t truncated;
    char err[256];
};

static void s_file_header(uint8_t out[STORE_FILE_HDR], const uint8_t sid[MPC_SID_LEN],
                          const field *F)
{
    memcpy(out, S_FILE_MAGIC, 8);
    be_put32(out + 8, S_VERSION);
    be_put32(out + 12, (uint32_t)F->bytes);
    memcpy(out + 16, sid, MPC_SID_LEN);
    crypto_generichash(out + 48, 16, out, 48, sid, MPC_SID_LEN);
}

static void s_rec_header(uint8_t out[STORE_REC_HDR], uint32_t body_len, const uint8_t *sid)
{
    uint8_t ck[16];
    be_put32(out, S_REC_MAGIC);
    out[4] = 0; out[5] = S_VERSION;
    out[6] = 0; out[7] = 0;
    be_put32(out + 8, body_len);
    crypto_generichash(ck, sizeof ck, out, 12, sid, MPC_SID_LEN);
    memcpy(out + 12, ck, S_HDR_CK_LEN);
}

static void s_entry_free(s_entry *e)
{
    if (!e) return;
    if (e->shares) secmem_free(e->shares, (size_t)e->rec.m * sizeof(fe));
    free(e->raw);
    sodium_memzero(e, sizeof *e);
    free(e);
}

static size_t s_body_len(const field *F, uint32_t m, size_t raw_len)
{
    return S_BODY_FIXED + (size_t)m * F->bytes + raw_len;
}

static int s_pread_all(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/* 1 if every byte of [off, size) is zero (a tail the file system extended but
 * never wrote), 0 if not, -1 on I/O error. */
static int s_tail_is_zero(int fd, uint64_t off, uint64_t size)
{
    uint8_t buf[4096];
    while (off < size) {
        size_t len = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
        if (s_pread_all(fd, buf, len, off)) return -1;
        for (size_t i = 0; i < len; i++) if (buf[i]) return 0;
        off += len;
    }
    return 1;
}

/* Decode a checksummed body into a new entry; ERR_PARSE when malformed. */
static int s_body_decode(const store *s, const uint8_t *body, size_t len, s_entry **out)
{
    *out = NULL;
    if (len < S_BODY_FIXED) return ERR_PARSE;
    uint32_t m = be_get32(body + 28);
    if (m > STORE_MAX_M) return ERR_PARSE;
    size_t w = (size_t)m * s->F->bytes;
    if (len < S_BODY_FIXED + w) return ERR_PARSE;
    uint32_t raw_len = be_get32(body + 32 + w);
    if (raw_len > STORE_MAX_RAW || len != s_body_len(s->F, m, raw_len)) return ERR_PARSE;
    s_entry *e = xcalloc(1, sizeof *e);
    e->rec.roll = be_get32(body);
    e->rec.seq = be_get64(body + 4);
    memcpy(e->rec.sub_id, body + 12, STORE_SUBID_LEN);
    e->rec.m = m;
    if (m) {
        e->shares = xmalloc((size_t)m * sizeof(fe));
        if (field_decode(s->F, e->shares, m, body + 32, w) != 0) {
            s_entry_free(e);
            return ERR_PARSE;
        }
    }
    if (raw_len) {
        e->raw = xmalloc(raw_len);
        memcpy(e->raw, body + 36 + w, raw_len);
    }
    e->rec.shares = e->shares;
    e->rec.raw = e->raw;
    e->rec.raw_len = raw_len;
    *out = e;
    return 0;
}

/* Install e as the latest of its roll index, or refuse it (seq not increasing). */
static int s_install(store *s, s_entry *e)
{
    s_entry **slot = &s->latest[e->rec.roll];
    if (*slot && e->rec.seq <= (*slot)->rec.seq) return ERR_REFUSED;
    if (*slot) s_entry_free(*slot); else s->count++;
    *slot = e;
    s->records++;
    return 0;
}

static void s_truncate_tail(store *s, uint64_t off, uint64_t size, const char *why)
{
    log_msg(LOG_WARN, "store: torn record at offset %llu (%s): dropping %llu bytes",
            (unsigned long long)off, why, (unsigned long long)(size - off));
    s->truncated = size - off;
}

/* Read and verify every record; on success s->end is the end of the last good one
 * and the file has been truncated there. */
static int s_reload(store *s, uint64_t size, char *err, size_t errlen)
{
    uint64_t off = STORE_FILE_HDR;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    while (off < size) {
        uint64_t rem = size - off;
        uint8_t hdr[STORE_REC_HDR], want[STORE_REC_HDR];
        if (rem < STORE_REC_HDR) { s_truncate_tail(s, off, size, "short header"); break; }
        if (s_pread_all(s->fd, hdr, sizeof hdr, off)) {
            err_fmt(err, errlen, "read at offset %llu: %s", (unsigned long long)off,
                    strerror(errno));
            rc = ERR_IO;
            goto out;
        }
        uint32_t body_len = be_get32(hdr + 8);
        s_rec_header(want, body_len, s->sid);
        if (sodium_memcmp(want + 12, hdr + 12, S_HDR_CK_LEN) != 0) {
            int z = s_tail_is_zero(s->fd, off, size);
            if (z == 1) { s_truncate_tail(s, off, size, "zero-filled tail"); break; }
            err_fmt(err, errlen, "record header at offset %llu: bad checksum (corrupt store)",
                    (unsigned long long)off);
            rc = z < 0 ? ERR_IO : ERR_CRYPTO;
            goto out;
        }
        if (memcmp(want, hdr, 12) != 0 ||
            body_len > s_body_len(s->F, STORE_MAX_M, STORE_MAX_RAW)) {
            err_fmt(err, errlen, "record header at offset %llu: unknown magic, version or "
                    "length", (unsigned long long)off);
            rc = ERR_PARSE;
            goto out;
        }
        uint64_t total = STORE_REC_HDR + (uint64_t)body_len + STORE_REC_CK;
        if (total > rem) { s_truncate_tail(s, off, size, "incomplete record"); break; }
        size_t need = body_len + STORE_REC_CK;
        if (need > cap) {
            if (buf) secmem_free(buf, cap);
            buf = xmalloc(need);
            cap = need;
        }
        if (s_pread_all(s->fd, buf, need, off + STORE_REC_HDR)) {
            err_fmt(err, errlen, "read at offset %llu: %s", (unsigned long long)off,
                    strerror(errno));
            rc = ERR_IO;
            goto out;
        }
        uint8_t ck[STORE_REC_CK];
        crypto_generichash_state st;
        crypto_generichash_init(&st, s->sid, MPC_SID_LEN, sizeof ck);
        crypto_generichash_update(&st, hdr, sizeof hdr);
        crypto_generichash_update(&st, buf, body_len);
        crypto_generichash_final(&st, ck, sizeof ck);
        if (sodium_memcmp(ck, buf + body_len, STORE_REC_CK) != 0) {
            if (off + total == size) { s_truncate_tail(s, off, size, "bad checksum"); break; }
            err_fmt(err, errlen, "record at offset %llu: bad checksum (corrupt store)",
                    (unsigned long long)off);
            rc = ERR_CRYPTO;
            goto out;
        }
        s_entry *e;
        if (s_body_decode(s, buf, body_len, &e) != 0) {
            err_fmt(err, errlen, "record at offset %llu: malformed body", (unsigned long long)off);
            rc = ERR_PARSE;
            goto out;
        }
        if (e->rec.roll >= s->roll_size) {
            err_fmt(err, errlen, "record at offset %llu: roll index %u beyond the roll (%u)",
                    (unsigned long long)off, e->rec.roll, s->roll_size);
            s_entry_free(e);
            rc = ERR_PARSE;
            goto out;
        }
        if (s_install(s, e) != 0) {
            err_fmt(err, errlen, "record at offset %llu: sequence %llu not above the previous "
                    "one of roll index %u", (unsigned long long)off,
                    (unsigned long long)e->rec.seq, e->rec.roll);
            s_entry_free(e);
            rc = ERR_PARSE;
            goto out;
        }
        off += total;
    }
    s->end = off;
    if (off < size) {
        if (ftruncate(s->fd, (off_t)off) != 0 || fsync(s->fd) != 0) {
            err_fmt(err, errlen, "truncating the torn record: %s", strerror(errno));
            rc = ERR_IO;
        }
    }
out:
    if (buf) secmem_free(buf, cap);
    return rc;
}

/* Open or create path, take the lock, and report its size. */
static int s_open_file(store *s, const char *path, uint64_t *size, char *err, size_t errlen)
{
    s->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (s->fd < 0 && errno == EEXIST) s->fd = open(path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        err_fmt(err, errlen, "%s: %s", path, strerror(errno));
        return ERR_IO;
    }
    if (flock(s->fd, LOCK_EX | LOCK_NB) != 0) {
        err_fmt(err, errlen, "%s: in use by another store (locked)", path);
        return ERR_STATE;
    }
    struct stat st;
    if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err_fmt(err, errlen, "%s: not a regular file", path);
        return ERR_IO;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

/* A file shorter than its header: empty, or a crash while the header was
 * written. Only a prefix of our own header may be overwritten, never someone
 * else's file; then the header, the file and its directory entry are made
 * durable. */
static int s_write_header(store *s, const char *path, uint64_t size,
                          const uint8_t want[STORE_FILE_HDR], char *err, size_t errlen)
{
    uint8_t have[STORE_FILE_HDR];
    if (size && (s_pread_all(s->fd, have, (size_t)size, 0) ||
                 (memcmp(have, want, (size_t)size) != 0 && s_tail_is_zero(s->fd, 0, size) != 1))) {
        err_fmt(err, errlen, "%s: not a store file of this session", path);
        return ERR_PARSE;
    }
    if (size) log_msg(LOG_WARN, "store: %s: incomplete header rewritten", path);
    if (ftruncate(s->fd, 0) != 0 ||
        pwrite(s->fd, want, STORE_FILE_HDR, 0) != (ssize_t)STORE_FILE_HDR ||
        fsync(s->fd) != 0 || fs_sync_dir(path, 0) != 0) {
        err_fmt(err, errlen, "%s: creating: %s", path, strerror(errno));
        return ERR_IO;
    }
    s->end = STORE_FILE_HDR;
    return 0;
}

/* Verify the header of an existing store file against our session and field. */
static int s_check_header(store *s, const char *path, char *err, size_t errlen)
{
    uint8_t have[STORE_FILE_HDR], ck[16];
    if (s_pread_all(s->fd, have, sizeof have, 0)) {
        err_fmt(err, errlen, "%s: %s", path, strerror(errno));
        return ERR_IO;
    }
    if (memcmp(have, S_FILE_MAGIC, 8) != 0 || be_get32(have + 8) != S_VERSION) {
        err_fmt(err, errlen, "%s: not a store file (magic or version)", path);
        return ERR_PARSE;
    }
    crypto_generichash(ck, sizeof ck, have, 48, have + 16, MPC_SID_LEN);
    if (sodium_memcmp(ck, have + 48, 16) != 0) {
        err_fmt(err, errlen, "%s: file header checksum mismatch (corrupt store)", path);
        return ERR_CRYPTO;
    }
    if (sodium_memcmp(have + 16, s->sid, MPC_SID_LEN) != 0) {
        err_fmt(err, errlen, "%s: belongs to another session", path);
        return ERR_REFUSED;
    }
    if (be_get32(have + 12) != s->F->bytes) {
        err_fmt(err, errlen, "%s: element width %u, expected %zu", path, be_get32(have + 12),
                s->F->bytes);
        return ERR_REFUSED;
    }
    return 0;
}

int store_open(store **out, const char *path, const uint8_t sid[MPC_SID_LEN],
               const field *F, uint32_t roll_size, char *err, size_t errlen)
{
    *out = NULL;
    if (!path || !sid || !F || roll_size == 0) {
        err_fmt(err, errlen, "store_open: bad arguments");
        return ERR_ARG;
    }
    store *s = xcalloc(1, sizeof *s);
    s->fd = -1;
    s->F = F;
    memcpy(s->sid, sid, MPC_SID_LEN);
    s->roll_size = roll_size;
    s->latest = xcalloc(roll_size, sizeof *s->latest);
    uint64_t size = 0;
    int rc = s_open_file(s, path, &size, err, errlen);
    if (rc) goto fail;
    if (size < STORE_FILE_HDR) {
        uint8_t want[STORE_FILE_HDR];
        s_file_header(want, sid, F);
        rc = s_write_header(s, path, size, want, err, errlen);
        if (rc) goto fail;
        *out = s;
        return 0;
    }
    if ((rc = s_check_header(s, path, err, errlen)) != 0) goto fail;
    rc = s_reload(s, size, err, errlen);
    if (rc) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", err ? err : "");
        err_fmt(err, errlen, "%s: %s", path, tmp);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    store_free(&s);
    return rc;
}

void store_free(store **pp)
{
    if (!pp || !*pp) return;
    store *s = *pp;
    if (s->latest) {
        for (uint32_t i = 0; i < s->roll_size; i++) s_entry_free(s->latest[i]);
        free(s->latest);
    }
    if (s->fd >= 0) close(s->fd);   /* releases the lock */
    sodium_memzero(s, sizeof *s);
    free(s);
    *pp = NULL;
}

static int s_append(store *s, const store_rec *rec, int sync)
{
    if (s->broken) {
        err_fmt(s->err, sizeof s->err, "append: an earlier fsync failed; reopen the store");
        return ERR_STATE;
    }
    if (rec->roll >= s->roll_size) {
        err_fmt(s->err, sizeof s->err, "append: roll index %u beyond the roll (%u)", rec->roll,
                s->roll_size);
        return ERR_RANGE;
    }
    if (rec->m > STORE_MAX_M || rec->raw_len > STORE_MAX_RAW || (rec->m && !rec->shares) ||
        (rec->raw_len && !rec->raw)) {
        err_fmt(s->err, sizeof s->err, "append: %u shares / %zu raw bytes out of range", rec->m,
                rec->raw_len);
        return ERR_RANGE;
    }
    for (uint32_t i = 0; i < rec->m; i++) {
        if (rec->shares[i] >= s->F->p) {
            err_fmt(s->err, sizeof s->err, "append: element %u is not below p", i);
            return ERR_RANGE;
        }
    }
    const s_entry *cur = s->latest[rec->roll];
    if (cur && rec->seq <= cur->rec.seq) {
        err_fmt(s->err, sizeof s->err, "append: roll index %u already has sequence %llu >= %llu",
                rec->roll, (unsigned long long)cur->rec.seq, (unsigned long long)rec->seq);
        return ERR_REFUSED;
    }

    size_t body_len = s_body_len(s->F, rec->m, rec->raw_len);
    size_t total = STORE_REC_HDR + body_len + STORE_REC_CK;
    size_t w = (size_t)rec->m * s->F->bytes;
    uint8_t *buf = xmalloc(total);
    s_rec_header(buf, (uint32_t)body_len, s->sid);
    uint8_t *body = buf + STORE_REC_HDR;
    be_put32(body, rec->roll);
    be_put64(body + 4, rec->seq);
    memcpy(body + 12, rec->sub_id, STORE_SUBID_LEN);
    be_put32(body + 28, rec->m);
    if (rec->m) field_encode(s->F, body + 32, rec->shares, rec->m);
    be_put32(body + 32 + w, (uint32_t)rec->raw_len);
    if (rec->raw_len) memcpy(body + 36 + w, rec->raw, rec->raw_len);
    crypto_generichash(buf + STORE_REC_HDR + body_len, STORE_REC_CK, buf,
                       STORE_REC_HDR + body_len, s->sid, MPC_SID_LEN);

    int rc = 0;
    size_t done = 0;
    while (done < total) {
        ssize_t r = pwrite(s->fd, buf + done, total - done, (off_t)(s->end + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            err_fmt(s->err, sizeof s->err, "append: write: %s",
                    r < 0 ? strerror(errno) : "no progress");
            rc = ERR_IO;
            break;
        }
        done += (size_t)r;
    }
    if (rc) {
        /* Leave no partial record behind; if even that fails, reopen will cut it. */
        if (ftruncate(s->fd, (off_t)s->end) != 0) s->broken = 1;
    } else if (!sync) {
        s->dirty = 1;
    } else if (fdatasync(s->fd) != 0) {
        err_fmt(s->err, sizeof s->err, "append: fdatasync: %s", strerror(errno));
        s->broken = 1;   /* the page cache state is unknown after a failed fsync */
        rc = ERR_IO;
    }
    secmem_free(buf, total);
    if (rc) return rc;
    s->end += total;

    s_entry *e = xcalloc(1, sizeof *e);
    e->rec = *rec;
    if (rec->m) {
        e->shares = xmalloc((size_t)rec->m * sizeof(fe));
        memcpy(e->shares, rec->shares, (size_t)rec->m * sizeof(fe));
    }
    if (rec->raw_len) {
        e->raw = xmalloc(rec->raw_len);
        memcpy(e->raw, rec->raw, rec->raw_len);
    }
    e->rec.shares = e->shares;
    e->rec.raw = e->raw;
    rc = s_install(s, e);   /* cannot refuse: seq checked above */
    if (rc) { s_entry_free(e); return rc; }
    return 0;
}

int store_append(store *s, const store_rec *rec)
{
    return s_append(s, rec, 1);
}

int store_append_nosync(store *s, const store_rec *rec)
{
    return s_append(s, rec, 0);
}

int store_sync(store *s)
{
    if (s->broken) {
        err_fmt(s->err, sizeof s->err, "sync: an earlier fsync failed; reopen the store");
        return ERR_STATE;
    }
    if (!s->dirty) return 0;
    if (fdatasync(s->fd) != 0) {
        err_fmt(s->err, sizeof s->err, "sync: fdatasync: %s", strerror(errno));
        s->broken = 1;
        return ERR_IO;
    }
    s->dirty = 0;
    return 0;
}

const store_rec *store_latest(const store *s, uint32_t roll)
{
    if (roll >= s->roll_size || !s->latest[roll]) return NULL;
    return &s->latest[roll]->rec;
}

size_t store_count(const store *s) { return s->count; }
size_t store_records(const store *s) { return s->records; }
uint64_t store_truncated(const store *s) { return s->truncated; }
const char *store_errmsg(const store *s) { return s->err; }
