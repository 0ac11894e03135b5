/* fuzz_store: store_open on hostile files (the append-only share store a server
 * reloads after a crash), under the fixed session id, the field 2^89-1 and a
 * roll of FUZZ_ROLL. Byte 0 of the input picks the mode:
 *   0  the rest is the whole file;
 *   1  the rest is appended to a valid file of 3 records (torn-tail handling:
 *      a partial, zero-filled or damaged last record must be cut off, damage
 *      before the end refused);
 *   2  the rest is a list of record bodies (u16 big-endian length, bytes) that
 *      this target frames with valid headers and checksums, so the body
 *      decoder is reached without forging BLAKE2b.
 * Checks: store_open returns 0 or ERR_PARSE/ERR_CRYPTO/ERR_REFUSED and leaves
 * *out NULL on refusal; on success store_latest over the roll agrees with
 * store_count, every record is in range, the file was cut exactly by
 * store_truncated, a further append succeeds and a reopen sees it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/store.h"
#include "tests/fuzz/util.h"

static char s_path[512];
static uint8_t *s_prefix;      /* valid store file with 3 records */
static size_t s_prefix_len;
static uint8_t *s_buf;         /* file being built */
static size_t s_cap;

static void s_reserve(size_t n)
{
    if (n <= s_cap) return;
    s_buf = realloc(s_buf, n);
    if (!s_buf) abort();
    s_cap = n;
}

static void s_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint8_t *s_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    if (!b) abort();
    for (;;) {
        if (n == cap) {
            b = realloc(b, cap *= 2);
            if (!b) abort();
        }
        size_t r = fread(b + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    fclose(f);
    *len = n;
    return b;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    snprintf(s_path, sizeof s_path, "%s/inputs.store", fuzz_tmpdir());
    /* The valid prefix: roll 0 twice (a replacement), roll 1 once. */
    (void)unlink(s_path);
    store *s = NULL;
    char err[256];
    if (store_open(&s, s_path, fuzz_sid, fuzz_field(FUZZ_F89), FUZZ_ROLL, err, sizeof err) != 0)
        abort();
    fe shares[3] = { 1, 2, 3 };
    static const uint8_t raw[5] = { 'M', 'P', 'S', 'U', 1 };
    store_rec recs[3] = {
        { .roll = 0, .seq = 1, .m = 3, .shares = shares, .raw = raw, .raw_len = sizeof raw },
        { .roll = 1, .seq = 1, .m = 2, .shares = shares },
        { .roll = 0, .seq = 2, .m = 1, .shares = shares, .raw = raw, .raw_len = 1 },
    };
    for (int i = 0; i < 3; i++) {
        memset(recs[i].sub_id, 'a' + i, STORE_SUBID_LEN);
        if (store_append(s, &recs[i]) != 0) abort();
    }
    store_free(&s);
    s_prefix = s_read_all(s_path, &s_prefix_len);
    return 0;
}

/* Frame body[0..len) as one checksummed record at s_buf + off. */
static size_t s_frame(size_t off, const uint8_t *body, size_t len)
{
    s_reserve(off + STORE_REC_HDR + len + STORE_REC_CK);
    uint8_t *h = s_buf + off, ck[16];
    s_put32(h, 0x4d505252u);
    h[4] = 0; h[5] = 1; h[6] = 0; h[7] = 0;
    s_put32(h + 8, (uint32_t)len);
    crypto_generichash(ck, sizeof ck, h, 12, fuzz_sid, 32);
    memcpy(h + 12, ck, 8);
    if (len) memcpy(h + STORE_REC_HDR, body, len);
    crypto_generichash(h + STORE_REC_HDR + len, STORE_REC_CK, h, STORE_REC_HDR + len,
                       fuzz_sid, 32);
    return off + STORE_REC_HDR + len + STORE_REC_CK;
}

static size_t s_build(const uint8_t *data, size_t size)
{
    int mode = data[0] % 3;
    data++;
    size--;
    if (mode == 0) {
        s_reserve(size + 1);
        memcpy(s_buf, data, size);
        return size;
    }
    if (mode == 1) {
        s_reserve(s_prefix_len + size);
        memcpy(s_buf, s_prefix, s_prefix_len);
        memcpy(s_buf + s_prefix_len, data, size);
        return s_prefix_len + size;
    }
    s_reserve(STORE_FILE_HDR);
    memcpy(s_buf, s_prefix, STORE_FILE_HDR);
    size_t off = STORE_FILE_HDR, pos = 0;
    while (size - pos >= 2) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len > size - pos) len = size - pos;
        off = s_frame(off, data + pos, len);
        pos += len;
    }
    return off;
}

static uint64_t s_size(void)
{
    struct stat st;
    if (stat(s_path, &st) != 0) abort();
    return (uint64_t)st.st_size;
}

/* Walk the roll; returns the number of roll indices holding a record. */
static size_t s_walk(const store *s, const field *F)
{
    size_t have = 0;
    for (uint32_t r = 0; r < FUZZ_ROLL; r++) {
        const store_rec *rec = store_latest(s, r);
        if (!rec) continue;
        have++;
        if (rec->roll != r || rec->m > STORE_MAX_M || rec->raw_len > STORE_MAX_RAW ||
            (rec->m && !rec->shares) || (rec->raw_len != 0) != (rec->raw != NULL))
            abort();
        for (uint32_t i = 0; i < rec->m; i++)
            if (rec->shares[i] >= F->p) abort();
    }
    if (store_latest(s, FUZZ_ROLL) || store_latest(s, UINT32_MAX)) abort();
    if (have != store_count(s) || store_records(s) < have) abort();
    return have;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const field *F = fuzz_field(FUZZ_F89);
    size_t flen = s_build(data, size);
    fuzz_write_file(s_path, s_buf, flen, 0600);

    store *s = (store *)1;
    char err[512];
    int rc = store_open(&s, s_path, fuzz_sid, F, FUZZ_ROLL, err, sizeof err);
    if (rc != 0) {
        if (s || (rc != ERR_PARSE && rc != ERR_CRYPTO && rc != ERR_REFUSED)) {
            fprintf(stderr, "store_open: %d %s\n", rc, err);
            abort();
        }
        return 0;
    }
    s_walk(s, F);
    size_t records = store_records(s);
    uint64_t cut = store_truncated(s);
    if (cut > flen) abort();
    uint64_t kept = flen < STORE_FILE_HDR ? STORE_FILE_HDR : flen - cut;
    if (s_size() != kept) abort();

    /* The store stays appendable after a recovery, and the append survives. */
    const store_rec *last = store_latest(s, 0);
    uint64_t seq = last ? last->seq + 1 : 1;
    if (seq != 0) {
        fe shares[2] = { 5, F->p - 1 };
        store_rec rec = { .roll = 0, .seq = seq, .m = 2, .shares = shares };
        if (store_append(s, &rec) != 0) abort();
        store_free(&s);
        if (store_open(&s, s_path, fuzz_sid, F, FUZZ_ROLL, err, sizeof err) != 0) {
            fprintf(stderr, "reopen after append: %s\n", err);
            abort();
        }
        last = store_latest(s, 0);
        if (store_truncated(s) != 0 || store_records(s) != records + 1 || !last ||
            last->seq != seq || last->m != 2 || last->shares[1] != F->p - 1)
            abort();
        s_walk(s, F);
    }
    store_free(&s);
    return 0;
}
