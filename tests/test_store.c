/* test_store: append/reload round trip, replacement, torn tails cut at every
 * length, corruption refused, session binding, bounds. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/field.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/store.h"

#define S_ROLL 16

static field s_F;
static uint8_t s_sid[MPC_SID_LEN];
static char s_dir[64], s_path[96];

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    cr_assert_eq(field_init_str(&s_F, "2^89-1"), 0);
    randombytes_buf(s_sid, sizeof s_sid);
    snprintf(s_dir, sizeof s_dir, "/tmp/store_XXXXXX");
    cr_assert_not_null(mkdtemp(s_dir));
    snprintf(s_path, sizeof s_path, "%s/inputs.store", s_dir);
    log_level = LOG_ERROR;   /* torn-record warnings are expected here */
}

static void s_teardown(void)
{
    unlink(s_path);
    rmdir(s_dir);
}

TestSuite(store, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* A record with fresh random shares and raw bytes; free with s_rec_free. */
static store_rec s_rec(uint32_t roll, uint64_t seq, uint32_t m, size_t raw_len)
{
    store_rec r = { .roll = roll, .seq = seq, .m = m, .raw_len = raw_len };
    randombytes_buf(r.sub_id, sizeof r.sub_id);
    fe *sh = calloc(m ? m : 1, sizeof(fe));
    uint8_t *raw = raw_len ? malloc(raw_len) : NULL;
    cr_assert_not_null(sh);
    field_rand(&s_F, sh, m);
    if (raw_len) randombytes_buf(raw, raw_len);
    r.shares = sh;
    r.raw = raw;
    return r;
}

static void s_rec_free(store_rec *r)
{
    free((void *)r->shares);
    free((void *)r->raw);
}

static void s_assert_same(const store_rec *got, const store_rec *want)
{
    cr_assert_not_null(got);
    cr_assert_eq(got->roll, want->roll);
    cr_assert_eq(got->seq, want->seq);
    cr_assert_eq(memcmp(got->sub_id, want->sub_id, STORE_SUBID_LEN), 0);
    cr_assert_eq(got->m, want->m);
    for (uint32_t i = 0; i < want->m; i++) cr_assert(got->shares[i] == want->shares[i]);
    cr_assert_eq(got->raw_len, want->raw_len);
    if (want->raw_len) cr_assert_eq(memcmp(got->raw, want->raw, want->raw_len), 0);
}

static store *s_open_ok(uint32_t roll_size)
{
    store *s = NULL;
    char err[256] = "";
    int rc = store_open(&s, s_path, s_sid, &s_F, roll_size, err, sizeof err);
    cr_assert_eq(rc, 0, "store_open: %d %s", rc, err);
    cr_assert_not_null(s);
    return s;
}

static off_t s_size(void)
{
    struct stat st;
    cr_assert_eq(stat(s_path, &st), 0);
    return st.st_size;
}

static uint8_t *s_read_file(size_t *len)
{
    FILE *f = fopen(s_path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void s_write_file(const uint8_t *buf, size_t len)
{
    FILE *f = fopen(s_path, "wb");
    cr_assert_not_null(f);
    if (len) cr_assert_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

static int s_open_rc(uint32_t roll_size, char *err, size_t errlen)
{
    store *s = NULL;
    int rc = store_open(&s, s_path, s_sid, &s_F, roll_size, err, errlen);
    if (rc) cr_assert_null(s);
    store_free(&s);
    return rc;
}

Test(store, creates_file_with_private_mode)
{
    store *s = s_open_ok(S_ROLL);
    struct stat st;
    cr_assert_eq(stat(s_path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(st.st_size, STORE_FILE_HDR);
    cr_assert_eq(store_count(s), 0);
    cr_assert_null(store_latest(s, 0));
    cr_assert_null(store_latest(s, S_ROLL));
    store_free(&s);
    cr_assert_null(s);
    store_free(&s);
}

Test(store, append_reload_round_trip)
{
    store *s = s_open_ok(S_ROLL);
    store_rec recs[6];
    static const uint32_t rolls[6] = { 0, 3, 15, 7, 1, 9 };
    static const uint32_t ms[6] = { 1, 4, 0, 32, 300, 2 };
    static const size_t raws[6] = { 0, 17, 5, 0, 1000, 64 };
    for (int i = 0; i < 6; i++) {
        recs[i] = s_rec(rolls[i], (uint64_t)i * 1000 + 1, ms[i], raws[i]);
        cr_assert_eq(store_append(s, &recs[i]), 0, "%s", store_errmsg(s));
        s_assert_same(store_latest(s, rolls[i]), &recs[i]);
    }
    cr_assert_eq(store_count(s), 6);
    cr_assert_eq(store_records(s), 6);
    off_t size = s_size();
    store_free(&s);

    s = s_open_ok(S_ROLL);
    cr_assert_eq(store_count(s), 6);
    cr_assert_eq(store_records(s), 6);
    cr_assert_eq(store_truncated(s), 0);
    cr_assert_eq(s_size(), size);
    for (int i = 0; i < 6; i++) s_assert_same(store_latest(s, rolls[i]), &recs[i]);
    cr_assert_null(store_latest(s, 2));
    /* Appending after a reload continues the file. */
    store_rec more = s_rec(2, 5, 3, 3);
    cr_assert_eq(store_append(s, &more), 0, "%s", store_errmsg(s));
    store_free(&s);
    s = s_open_ok(S_ROLL);
    cr_assert_eq(store_count(s), 7);
    s_assert_same(store_latest(s, 2), &more);
    store_free(&s);
    s_rec_free(&more);
    for (int i = 0; i < 6; i++) s_rec_free(&recs[i]);
}

Test(store, higher_sequence_replaces_lower_is_refused)
{
    store *s = s_open_ok(S_ROLL);
    store_rec a = s_rec(4, 10, 8, 20), b = s_rec(4, 11, 8, 20), c = s_rec(4, 11, 8, 20),
              d = s_rec(4, 3, 8, 20), e = s_rec(4, 1ull << 40, 2, 0);
    cr_assert_eq(store_append(s, &a), 0);
    cr_assert_eq(store_append(s, &b), 0);
    s_assert_same(store_latest(s, 4), &b);
    off_t size = s_size();
    cr_assert_eq(store_append(s, &c), ERR_REFUSED);
    cr_assert(strstr(store_errmsg(s), "sequence") != NULL, "%s", store_errmsg(s));
    cr_assert_eq(store_append(s, &d), ERR_REFUSED);
    cr_assert_eq(s_size(), size);           /* nothing written */
    s_assert_same(store_latest(s, 4), &b);
    cr_assert_eq(store_count(s), 1);
    cr_assert_eq(store_records(s), 2);
    store_free(&s);

    s = s_open_ok(S_ROLL);
    s_assert_same(store_latest(s, 4), &b);
    cr_assert_eq(store_records(s), 2);
    cr_assert_eq(store_append(s, &c), ERR_REFUSED);
    cr_assert_eq(store_append(s, &e), 0);
    s_assert_same(store_latest(s, 4), &e);
    store_free(&s);
    s = s_open_ok(S_ROLL);
    s_assert_same(store_latest(s, 4), &e);
    cr_assert_eq(store_count(s), 1);
    cr_assert_eq(store_records(s), 3);
    store_free(&s);
    s_rec_free(&a); s_rec_free(&b); s_rec_free(&c); s_rec_free(&d); s_rec_free(&e);
}

Test(store, torn_last_record_truncated_at_every_length)
{
    store *s = s_open_ok(S_ROLL);
    store_rec a = s_rec(1, 1, 5, 9), b = s_rec(2, 1, 4, 11), c = s_rec(1, 2, 2, 1);
    cr_assert_eq(store_append(s, &a), 0);
    cr_assert_eq(store_append(s, &b), 0);
    size_t good = (size_t)s_size();
    cr_assert_eq(store_append(s, &c), 0);   /* replaces a: its loss must restore a */
    store_free(&s);
    size_t len;
    uint8_t *full = s_read_file(&len);
    cr_assert_gt(len, good);
    for (size_t cut = good; cut < len; cut++) {
        s_write_file(full, cut);
        s = s_open_ok(S_ROLL);
        cr_assert_eq(store_truncated(s), cut - good, "cut %zu", cut);
        cr_assert_eq(store_records(s), 2);
        s_assert_same(store_latest(s, 1), &a);
        s_assert_same(store_latest(s, 2), &b);
        cr_assert_eq((size_t)s_size(), good, "file not truncated at cut %zu", cut);
        if (cut == good + 1 || cut == len - 1) {
            /* The store goes on from the last good record. */
            cr_assert_eq(store_append(s, &c), 0, "%s", store_errmsg(s));
            store_free(&s);
            s = s_open_ok(S_ROLL);
            cr_assert_eq(store_truncated(s), 0);
            s_assert_same(store_latest(s, 1), &c);
        }
        store_free(&s);
    }
    free(full);
    s_rec_free(&a); s_rec_free(&b); s_rec_free(&c);
}

Test(store, torn_file_header_recreated)
{
    store *s = s_open_ok(S_ROLL);
    store_free(&s);
    size_t len;
    uint8_t *full = s_read_file(&len);
    cr_assert_eq(len, STORE_FILE_HDR);
    for (size_t cut = 0; cut < STORE_FILE_HDR; cut += 7) {
        s_write_file(full, cut);
        s = s_open_ok(S_ROLL);
        cr_assert_eq(s_size(), STORE_FILE_HDR);
        cr_assert_eq(store_count(s), 0);
        store_free(&s);
    }
    free(full);
}

Test(store, zero_filled_tail_truncated)
{
    store *s = s_open_ok(S_ROLL);
    store_rec a = s_rec(0, 1, 3, 0);
    cr_assert_eq(store_append(s, &a), 0);
    store_free(&s);
    off_t good = s_size();
    int fd = open(s_path, O_WRONLY | O_APPEND);
    uint8_t zeros[300] = { 0 };
    cr_assert_eq(write(fd, zeros, sizeof zeros), (ssize_t)sizeof zeros);
    close(fd);
    s = s_open_ok(S_ROLL);
    cr_assert_eq(store_truncated(s), sizeof zeros);
    cr_assert_eq(s_size(), good);
    s_assert_same(store_latest(s, 0), &a);
    store_free(&s);
    s_rec_free(&a);
}

Test(store, corruption_in_the_middle_refused)
{
    store *s = s_open_ok(S_ROLL);
    store_rec a = s_rec(0, 1, 2, 1), b = s_rec(1, 1, 1, 0), c = s_rec(2, 1, 3, 5);
    cr_assert_eq(store_append(s, &a), 0);
    size_t end_a = (size_t)s_size();
    cr_assert_eq(store_append(s, &b), 0);
    size_t end_b = (size_t)s_size();
    cr_assert_eq(store_append(s, &c), 0);
    store_free(&s);
    size_t len;
    uint8_t *full = s_read_file(&len);
    uint8_t *bad = malloc(len);
    /* Flip one bit anywhere in the first two records (header, body, checksum). */
    for (size_t pos = STORE_FILE_HDR; pos < end_b; pos++) {
        memcpy(bad, full, len);
        bad[pos] ^= 0x10;
        s_write_file(bad, len);
        char err[256] = "";
        int rc = s_open_rc(S_ROLL, err, sizeof err);
        cr_assert(rc == ERR_CRYPTO || rc == ERR_PARSE, "flip at %zu: rc %d", pos, rc);
        cr_assert(strstr(err, "corrupt") != NULL || strstr(err, "malformed") != NULL ||
                  strstr(err, "magic") != NULL, "flip at %zu: %s", pos, err);
        cr_assert_eq((size_t)s_size(), len, "corrupt file was modified");
    }
    /* The file header too. */
    for (size_t pos = 0; pos < STORE_FILE_HDR; pos += 5) {
        memcpy(bad, full, len);
        bad[pos] ^= 0x01;
        s_write_file(bad, len);
        char err[256] = "";
        int rc = s_open_rc(S_ROLL, err, sizeof err);
        cr_assert(rc == ERR_CRYPTO || rc == ERR_PARSE || rc == ERR_REFUSED,
                  "header flip at %zu: rc %d", pos, rc);
    }
    cr_assert_gt(end_b, end_a);
    free(bad);
    free(full);
    s_rec_free(&a); s_rec_free(&b); s_rec_free(&c);
}

Test(store, garbage_tail_refused_not_misread)
{
    store *s = s_open_ok(S_ROLL);
    store_rec a = s_rec(0, 1, 3, 0);
    cr_assert_eq(store_append(s, &a), 0);
    store_free(&s);
    int fd = open(s_path, O_WRONLY | O_APPEND);
    uint8_t junk[64];
    memset(junk, 0xA5, sizeof junk);
    cr_assert_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    char err[256] = "";
    cr_assert_eq(s_open_rc(S_ROLL, err, sizeof err), ERR_CRYPTO);
    cr_assert(strstr(err, "corrupt") != NULL, "%s", err);
    s_rec_free(&a);
}

Test(store, other_session_or_field_refused)
{
    store *s = s_open_ok(S_ROLL);
    store_rec a = s_rec(0, 1, 3, 0);
    cr_assert_eq(store_append(s, &a), 0);
    store_free(&s);
    uint8_t other[MPC_SID_LEN];
    memcpy(other, s_sid, sizeof other);
    other[31] ^= 1;
    char err[256] = "";
    cr_assert_eq(store_open(&s, s_path, other, &s_F, S_ROLL, err, sizeof err), ERR_REFUSED);
    cr_assert(strstr(err, "another session") != NULL, "%s", err);
    cr_assert_null(s);
    field F2;
    cr_assert_eq(field_init_str(&F2, "2^127-1"), 0);
    cr_assert_eq(store_open(&s, s_path, s_sid, &F2, S_ROLL, err, sizeof err), ERR_REFUSED);
    cr_assert_null(s);
    /* The record's roll index must exist in the roll it is opened with. */
    cr_assert_eq(s_open_rc(1, err, sizeof err), 0);
    store_rec b = s_rec(9, 1, 1, 0);
    s = s_open_ok(S_ROLL);
    cr_assert_eq(store_append(s, &b), 0);
    store_free(&s);
    cr_assert_eq(s_open_rc(5, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "roll index 9") != NULL, "%s", err);
    s_rec_free(&a);
    s_rec_free(&b);
}

Test(store, foreign_file_refused)
{
    const char *text = "this is not a store file, but somebody's notes about the auction\n";
    s_write_file((const uint8_t *)text, strlen(text));
    char err[256] = "";
    cr_assert_eq(s_open_rc(S_ROLL, err, sizeof err), ERR_PARSE);
    cr_assert(strstr(err, "not a store") != NULL, "%s", err);
    s_write_file((const uint8_t *)"hello", 5);
    cr_assert_eq(s_open_rc(S_ROLL, err, sizeof err), ERR_PARSE);
    size_t len;
    uint8_t *buf = s_read_file(&len);
    cr_assert_eq(len, 5);           /* left untouched */
    free(buf);
    store *s = NULL;
    cr_assert_eq(store_open(&s, "/nonexistent/x", s_sid, &s_F, S_ROLL, err, sizeof err), ERR_IO);
    cr_assert_null(s);
}

Test(store, second_open_of_same_file_refused)
{
    store *s = s_open_ok(S_ROLL), *t = NULL;
    char err[256] = "";
    cr_assert_eq(store_open(&t, s_path, s_sid, &s_F, S_ROLL, err, sizeof err), ERR_STATE);
    cr_assert(strstr(err, "locked") != NULL, "%s", err);
    cr_assert_null(t);
    store_free(&s);
    t = s_open_ok(S_ROLL);
    store_free(&t);
}

Test(store, append_bounds_checked_before_writing)
{
    store *s = s_open_ok(S_ROLL);
    off_t size = s_size();
    store_rec r = s_rec(S_ROLL, 1, 2, 0);
    cr_assert_eq(store_append(s, &r), ERR_RANGE);
    r.roll = 0;
    r.m = STORE_MAX_M + 1;           /* shares has 2 elements: must not be read */
    cr_assert_eq(store_append(s, &r), ERR_RANGE);
    r.m = 2;
    r.raw_len = STORE_MAX_RAW + 1;
    cr_assert_eq(store_append(s, &r), ERR_RANGE);
    r.raw_len = 0;
    ((fe *)r.shares)[1] = s_F.p;
    cr_assert_eq(store_append(s, &r), ERR_RANGE);
    cr_assert(strstr(store_errmsg(s), "element 1") != NULL, "%s", store_errmsg(s));
    cr_assert_eq(s_size(), size);
    cr_assert_eq(store_count(s), 0);
    ((fe *)r.shares)[1] = s_F.p - 1;
    cr_assert_eq(store_append(s, &r), 0);
    cr_assert(store_latest(s, 0)->shares[1] == s_F.p - 1);
    store_free(&s);
    s_rec_free(&r);
    char err[256];
    cr_assert_eq(store_open(&s, s_path, s_sid, &s_F, 0, err, sizeof err), ERR_ARG);
}

#define S_MANY    50
#define S_APPENDS 120

Test(store, many_voters_reload_keeps_latest)
{
    store *s = s_open_ok(S_MANY);
    static store_rec latest[S_MANY];
    int have[S_MANY] = { 0 };
    for (int k = 0; k < S_APPENDS; k++) {
        uint32_t roll = randombytes_uniform(S_MANY);
        store_rec r = s_rec(roll, (uint64_t)k + 1, 2, 8);
        cr_assert_eq(store_append(s, &r), 0);
        if (have[roll]) s_rec_free(&latest[roll]);
        latest[roll] = r;
        have[roll] = 1;
    }
    size_t count = store_count(s);
    store_free(&s);
    s = s_open_ok(S_MANY);
    cr_assert_eq(store_count(s), count);
    cr_assert_eq(store_records(s), S_APPENDS);
    for (uint32_t i = 0; i < S_MANY; i++) {
        if (have[i]) { s_assert_same(store_latest(s, i), &latest[i]); s_rec_free(&latest[i]); }
        else cr_assert_null(store_latest(s, i));
    }
    store_free(&s);
}
