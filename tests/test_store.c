/* test_store: the SQLite envelope store. Round trip, replacement and retry,
 * rollback, session binding, foreign files, locking (also across processes),
 * bounds, a large reload, SIGKILL during batches and a torn WAL (whole
 * batches only), a failing commit. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>
#include <sqlite3.h>
#include "common/secmem.h"
#include "common/store.h"

#define S_ROLL 16

static uint8_t s_sid[MPC_SID_LEN];
static char s_dir[64], s_path[128];

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
    randombytes_buf(s_sid, sizeof s_sid);
    snprintf(s_dir, sizeof s_dir, "/tmp/store_XXXXXX");
    cr_assert_not_null(mkdtemp(s_dir));
    snprintf(s_path, sizeof s_path, "%s/envelopes.db", s_dir);
}

static void s_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0) cr_log_warn("could not remove %s", s_dir);
}

TestSuite(store, .init = s_setup, .fini = s_teardown, .timeout = 120);

/* Envelope bytes are a function of (roll, seq, len), so a reload can be
 * checked without keeping them; buf must hold len bytes. */
static store_env s_env(uint32_t roll, uint64_t seq, size_t len, uint8_t *buf)
{
    uint8_t seed[randombytes_SEEDBYTES] = { 0 };
    memcpy(seed, &roll, sizeof roll);
    memcpy(seed + 4, &seq, sizeof seq);
    memcpy(seed + 12, &len, sizeof len);
    randombytes_buf_deterministic(buf, len, seed);
    store_env e = { .roll = roll, .seq = seq, .env = buf, .env_len = len };
    crypto_generichash(e.hash, sizeof e.hash, buf, len, NULL, 0);
    return e;
}

static int s_put(store *s, uint32_t roll, uint64_t seq, size_t len)
{
    uint8_t *buf = malloc(len);
    store_env e = s_env(roll, seq, len, buf);
    int rc = store_put(s, &e);
    free(buf);
    return rc;
}

/* The latest of roll is (seq, len) with the bytes s_env makes. */
static int s_is(const store *s, uint32_t roll, uint64_t seq, size_t len)
{
    const store_env *got = store_latest(s, roll);
    if (!got || got->roll != roll || got->seq != seq || got->env_len != len) return 0;
    uint8_t *buf = malloc(len);
    store_env want = s_env(roll, seq, len, buf);
    int ok = memcmp(got->env, buf, len) == 0 && memcmp(got->hash, want.hash, STORE_HASH_LEN) == 0;
    free(buf);
    return ok;
}

static store *s_open_at(const char *path, uint32_t roll_size)
{
    store *s = NULL;
    char err[512] = "";
    int rc = store_open(&s, path, s_sid, roll_size, err, sizeof err);
    cr_assert_eq(rc, 0, "store_open: %d %s", rc, err);
    cr_assert_not_null(s);
    return s;
}

static store *s_open_ok(uint32_t roll_size) { return s_open_at(s_path, roll_size); }

static int s_open_rc(const uint8_t *sid, uint32_t roll_size, char *err, size_t errlen)
{
    store *s = (store *)1;
    int rc = store_open(&s, s_path, sid, roll_size, err, errlen);
    if (rc) cr_assert_null(s);
    store_free(&s);
    return rc;
}

static void s_commit_ok(store *s)
{
    cr_assert_eq(store_commit(s), 0, "%s", store_errmsg(s));
}

static mode_t s_mode(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    return st.st_mode & 0777;
}

Test(store, creates_private_files_whatever_the_umask)
{
    mode_t old = umask(0);
    store *s = s_open_ok(S_ROLL);
    umask(old);
    cr_assert_eq(s_mode(s_path), 0600);
    cr_assert_eq(store_count(s), 0);
    cr_assert_eq(store_records(s), 0);
    cr_assert_null(store_latest(s, 0));
    cr_assert_null(store_latest(s, S_ROLL));
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 1, 1, 10), 0);
    s_commit_ok(s);
    char p[160];
    snprintf(p, sizeof p, "%s-wal", s_path);
    cr_assert_eq(s_mode(p), 0600);
    snprintf(p, sizeof p, "%s-shm", s_path);
    cr_assert_eq(s_mode(p), 0600);
    store_free(&s);
    cr_assert_null(s);
    store_free(&s);
}

Test(store, put_commit_reopen_round_trip)
{
    static const uint32_t rolls[6] = { 0, 3, 15, 7, 1, 9 };
    static const size_t lens[6] = { 1, 17, 5000, 64, 100000, 2 };
    store *s = s_open_ok(S_ROLL);
    cr_assert_eq(store_begin(s), 0);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(s_put(s, rolls[i], (uint64_t)i * 1000 + 1, lens[i]), 0, "%s",
                     store_errmsg(s));
        cr_assert(s_is(s, rolls[i], (uint64_t)i * 1000 + 1, lens[i]));
    }
    s_commit_ok(s);
    cr_assert_eq(store_count(s), 6);
    cr_assert_eq(store_records(s), 6);
    store_free(&s);

    s = s_open_ok(S_ROLL);
    cr_assert_eq(store_count(s), 6);
    cr_assert_eq(store_records(s), 6);
    for (int i = 0; i < 6; i++) cr_assert(s_is(s, rolls[i], (uint64_t)i * 1000 + 1, lens[i]));
    cr_assert_null(store_latest(s, 2));
    /* Sequences beyond 2^63 keep their order (SQLite integers are signed). */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 2, 5, 3), 0);
    cr_assert_eq(s_put(s, 2, UINT64_MAX - 1, 3), 0);
    s_commit_ok(s);
    store_free(&s);
    s = s_open_ok(S_ROLL);
    cr_assert_eq(store_count(s), 7);
    cr_assert_eq(store_records(s), 8);
    cr_assert(s_is(s, 2, UINT64_MAX - 1, 3));
    store_free(&s);
}

Test(store, higher_sequence_replaces_lower_or_equal_refused_same_is_a_retry)
{
    store *s = s_open_ok(S_ROLL);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 4, 10, 20), 0);
    cr_assert_eq(s_put(s, 4, 11, 20), 0);
    cr_assert(s_is(s, 4, 11, 20));
    cr_assert_eq(s_put(s, 4, 11, 20), STORE_SAME);        /* the retry, same batch */
    cr_assert_eq(s_put(s, 4, 11, 21), ERR_REFUSED);       /* same seq, other hash */
    cr_assert(strstr(store_errmsg(s), "another envelope"), "%s", store_errmsg(s));
    cr_assert_eq(s_put(s, 4, 3, 20), ERR_REFUSED);
    cr_assert(strstr(store_errmsg(s), "replayed or stale submission (sequence not above "
                     "the stored one)"), "%s", store_errmsg(s));
    cr_assert_eq(s_put(s, 4, 10, 20), ERR_REFUSED);       /* an older one, replayed */
    /* The batch is still usable after the refusals. */
    cr_assert_eq(s_put(s, 5, 1, 8), 0);
    s_commit_ok(s);
    cr_assert_eq(store_count(s), 2);
    cr_assert_eq(store_records(s), 3);
    store_free(&s);

    s = s_open_ok(S_ROLL);
    cr_assert(s_is(s, 4, 11, 20));
    cr_assert_eq(store_records(s), 3);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 4, 11, 20), STORE_SAME);        /* the retry after a restart */
    cr_assert_eq(s_put(s, 4, 11, 19), ERR_REFUSED);
    cr_assert_eq(s_put(s, 4, 1ull << 40, 2), 0);
    s_commit_ok(s);
    store_free(&s);
    s = s_open_ok(S_ROLL);
    cr_assert(s_is(s, 4, 1ull << 40, 2));
    cr_assert_eq(store_count(s), 2);
    cr_assert_eq(store_records(s), 4);
    store_free(&s);
}

Test(store, rollback_restores_the_latest_in_memory_and_on_disk)
{
    store *s = s_open_ok(S_ROLL);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 1, 10), 0);
    cr_assert_eq(s_put(s, 1, 1, 10), 0);
    s_commit_ok(s);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 2, 11), 0);   /* replaced twice in one batch */
    cr_assert_eq(s_put(s, 0, 3, 12), 0);
    cr_assert_eq(s_put(s, 2, 1, 13), 0);   /* a new roll index */
    cr_assert_eq(store_count(s), 3);
    cr_assert_eq(store_records(s), 5);
    store_rollback(s);
    store_rollback(s);                     /* nothing open: harmless */
    cr_assert(s_is(s, 0, 1, 10));
    cr_assert(s_is(s, 1, 1, 10));
    cr_assert_null(store_latest(s, 2));
    cr_assert_eq(store_count(s), 2);
    cr_assert_eq(store_records(s), 2);
    /* The store goes on; the rolled-back sequences are free again. */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 2, 14), 0);
    s_commit_ok(s);
    store_free(&s);
    s = s_open_ok(S_ROLL);
    cr_assert(s_is(s, 0, 2, 14));
    cr_assert_null(store_latest(s, 2));
    cr_assert_eq(store_records(s), 3);
    store_free(&s);
}

Test(store, a_batch_not_committed_is_not_there_after_reopen)
{
    store *s = s_open_ok(S_ROLL);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 1, 10), 0);
    s_commit_ok(s);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 2, 10), 0);
    cr_assert_eq(s_put(s, 3, 1, 10), 0);
    store_free(&s);                        /* closes with the batch open */
    s = s_open_ok(S_ROLL);
    cr_assert(s_is(s, 0, 1, 10));
    cr_assert_null(store_latest(s, 3));
    cr_assert_eq(store_records(s), 1);
    store_free(&s);
    /* The same in a process that dies without closing. */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        store *c = NULL;
        if (store_open(&c, s_path, s_sid, S_ROLL, NULL, 0) != 0) _exit(2);
        if (store_begin(c) != 0 || s_put(c, 5, 1, 10) != 0) _exit(3);
        _exit(0);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert_eq(WEXITSTATUS(st), 0);
    s = s_open_ok(S_ROLL);
    cr_assert_null(store_latest(s, 5));
    cr_assert_eq(store_records(s), 1);
    store_free(&s);
}

Test(store, other_session_or_roll_size_refused)
{
    store *s = s_open_ok(S_ROLL);
    store_free(&s);
    uint8_t other[MPC_SID_LEN];
    memcpy(other, s_sid, sizeof other);
    other[31] ^= 1;
    char err[512] = "";
    cr_assert_eq(s_open_rc(other, S_ROLL, err, sizeof err), ERR_REFUSED);
    cr_assert(strstr(err, "another session"), "%s", err);
    cr_assert_eq(s_open_rc(s_sid, S_ROLL + 1, err, sizeof err), ERR_REFUSED);
    cr_assert(strstr(err, "roll of 16"), "%s", err);
    cr_assert_eq(s_open_rc(s_sid, S_ROLL, err, sizeof err), 0);
}

static void s_sqlite_file(const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(s_path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

Test(store, files_that_are_not_a_store_refused_untouched)
{
    char err[512];
    uint8_t junk[8192];
    randombytes_buf(junk, sizeof junk);
    FILE *f = fopen(s_path, "wb");
    cr_assert_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);
    cr_assert_eq(s_open_rc(s_sid, S_ROLL, err, sizeof err), ERR_PARSE, "%s", err);
    uint8_t back[sizeof junk];
    f = fopen(s_path, "rb");
    cr_assert_eq(fread(back, 1, sizeof back, f), sizeof back);
    fclose(f);
    cr_assert_eq(memcmp(back, junk, sizeof junk), 0);

    static const char *const dbs[] = {
        "PRAGMA user_version = 7",                                /* empty SQLite db */
        "CREATE TABLE meta(k TEXT, v TEXT); CREATE TABLE envelopes(x)",
        "PRAGMA application_id = 1297105733",                    /* our id, no tables */
        "PRAGMA application_id = 1297105733; CREATE TABLE meta(id, version, sid, roll_size);"
        "INSERT INTO meta VALUES (1, 1, zeroblob(32), 16)",      /* no envelopes table */
        "PRAGMA application_id = 1297105733; CREATE TABLE meta(id, version, sid, roll_size);"
        "INSERT INTO meta VALUES (1, 2, zeroblob(32), 16)",      /* a future version */
    };
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        unlink(s_path);
        s_sqlite_file(dbs[i]);
        err[0] = 0;
        cr_assert_eq(s_open_rc(s_sid, S_ROLL, err, sizeof err), ERR_PARSE, "case %zu: %s", i,
                     err);
        cr_assert_neq(err[0], 0);
    }
}

Test(store, second_open_refused_also_from_another_process)
{
    store *s = s_open_ok(S_ROLL);
    char err[512] = "";
    cr_assert_eq(s_open_rc(s_sid, S_ROLL, err, sizeof err), ERR_STATE);
    cr_assert(strstr(err, "in use"), "%s", err);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        store *c = NULL;
        int rc = store_open(&c, s_path, s_sid, S_ROLL, NULL, 0);
        _exit(rc == ERR_STATE && !c ? 0 : 1);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* The refused opens did not disturb the holder. */
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 1, 10), 0);
    s_commit_ok(s);
    store_free(&s);
    s = s_open_ok(S_ROLL);
    cr_assert(s_is(s, 0, 1, 10));
    store_free(&s);
}

Test(store, bounds_and_state_checked_before_writing)
{
    store *s = s_open_ok(S_ROLL);
    uint8_t b[4] = { 1, 2, 3, 4 };
    store_env e = { .roll = 0, .seq = 1, .env = b, .env_len = sizeof b };
    cr_assert_eq(store_put(s, &e), ERR_STATE);            /* no batch open */
    cr_assert_eq(store_commit(s), ERR_STATE);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(store_begin(s), ERR_STATE);
    store_env bad[4] = { e, e, e, e };
    bad[0].roll = S_ROLL;
    bad[1].env_len = 0;
    bad[2].env_len = (size_t)STORE_MAX_ENV + 1;           /* never read: b is 4 bytes */
    bad[3].env = NULL;
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(store_put(s, &bad[i]), ERR_RANGE, "case %d", i);
        cr_assert(strstr(store_errmsg(s), "out of range"), "%s", store_errmsg(s));
    }
    cr_assert_eq(store_records(s), 0);
    cr_assert_eq(store_put(s, &e), 0);                    /* the batch is still usable */
    s_commit_ok(s);
    store_free(&s);
    s = s_open_ok(S_ROLL);
    cr_assert_eq(store_records(s), 1);
    cr_assert_eq(store_count(s), 1);
    store_free(&s);
    store *none = (store *)1;
    cr_assert_eq(store_open(&none, s_path, s_sid, 0, NULL, 0), ERR_ARG);
    cr_assert_null(none);
}

Test(store, twenty_thousand_envelopes_reload_keeps_the_latest)
{
    enum { ROLLS = 8000, N = 20000, BATCH = 5000 };
    store *s = s_open_ok(ROLLS);
    for (int j = 0; j < N; j++) {
        if (j % BATCH == 0) cr_assert_eq(store_begin(s), 0);
        cr_assert_eq(s_put(s, (uint32_t)(j % ROLLS), (uint64_t)(j / ROLLS) + 1,
                           64 + (size_t)(j % 300)), 0);
        if (j % BATCH == BATCH - 1) s_commit_ok(s);
    }
    store_free(&s);
    s = s_open_ok(ROLLS);
    cr_assert_eq(store_count(s), ROLLS);
    cr_assert_eq(store_records(s), N);
    for (uint32_t r = 0; r < ROLLS; r++) {
        uint32_t q = (uint32_t)((N - 1 - r) / ROLLS);   /* last j = r + q * ROLLS */
        cr_assert(s_is(s, r, q + 1, 64 + (r + q * ROLLS) % 300), "roll %u", r);
    }
    store_free(&s);
}

/* Every roll index 0..K-1 holds sequence seq (0: none), and the history has
 * exactly K * seq envelopes: all batches up to seq, no part of a later one. */
static void s_check_whole_batches(const store *s, uint32_t k, uint64_t seq)
{
    for (uint32_t r = 0; r < k; r++) {
        if (seq == 0) cr_assert_null(store_latest(s, r));
        else cr_assert(s_is(s, r, seq, 40 + r), "roll %u seq %llu", r, (unsigned long long)seq);
    }
    cr_assert_eq(store_records(s), (size_t)k * seq);
}

static uint64_t s_seq_of(const store *s)
{
    const store_env *e = store_latest(s, 0);
    return e ? e->seq : 0;
}

/* Batch b writes sequence b to roll indices 0..k-1. */
static int s_batch(store *s, uint32_t k, uint64_t b)
{
    if (store_begin(s) != 0) return -1;
    for (uint32_t r = 0; r < k; r++)
        if (s_put(s, r, b, 40 + r) != 0) return -1;
    return store_commit(s);
}

Test(store, sigkill_during_batches_leaves_whole_committed_batches)
{
    enum { K = 50 };
    uint64_t seq = 0;
    for (int round = 0; round < 5; round++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            store *c = NULL;
            if (store_open(&c, s_path, s_sid, K, NULL, 0) != 0) _exit(2);
            for (uint64_t b = s_seq_of(c) + 1;; b++) {
                if (s_batch(c, K, b) != 0) _exit(3);
                if (write(fds[1], &b, sizeof b) != sizeof b) _exit(4);
            }
        }
        close(fds[1]);
        uint64_t last = 0, got;
        cr_assert_eq(read(fds[0], &last, sizeof last), (ssize_t)sizeof last);
        usleep(randombytes_uniform(150000));
        kill(pid, SIGKILL);
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFSIGNALED(st), "child exited by itself: %d", WEXITSTATUS(st));
        while (read(fds[0], &got, sizeof got) == (ssize_t)sizeof got) last = got;
        close(fds[0]);
        store *s = s_open_ok(K);
        seq = s_seq_of(s);
        /* Reported batches are there; at most one more (committed, not yet
         * reported) and never a part of one. */
        cr_assert(seq == last || seq == last + 1, "seq %llu, last reported %llu",
                  (unsigned long long)seq, (unsigned long long)last);
        s_check_whole_batches(s, K, seq);
        store_free(&s);
    }
    cr_assert_gt(seq, 5);
}

static void s_copy(const char *from, const char *to, long len)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "%s -> %s", from, to);
    char buf[4096];
    size_t n;
    long done = 0;
    while ((len < 0 || done < len) &&
           (n = fread(buf, 1, len < 0 || len - done > (long)sizeof buf ? sizeof buf
                                                                         : (size_t)(len - done),
                      in)) > 0) {
        cr_assert_eq(fwrite(buf, 1, n, out), n);
        done += (long)n;
    }
    fclose(in);
    fclose(out);
}

Test(store, torn_wal_opens_to_a_prefix_of_whole_batches)
{
    enum { K = 20, B = 8 };
    store *s = s_open_ok(K);
    for (uint64_t b = 1; b <= B; b++) cr_assert_eq(s_batch(s, K, b), 0, "%s", store_errmsg(s));
    /* Snapshot the database and its WAL as a power cut would leave them (no
     * checkpoint has run: far below SQLite's 1000 pages). */
    char wal[160], snap[160], snap_wal[160], copy[160], copy_wal[160], copy_shm[160];
    snprintf(wal, sizeof wal, "%s-wal", s_path);
    snprintf(snap, sizeof snap, "%s/snap.db", s_dir);
    snprintf(snap_wal, sizeof snap_wal, "%s/snap.db-wal", s_dir);
    snprintf(copy, sizeof copy, "%s/copy.db", s_dir);
    snprintf(copy_wal, sizeof copy_wal, "%s/copy.db-wal", s_dir);
    snprintf(copy_shm, sizeof copy_shm, "%s/copy.db-shm", s_dir);
    s_copy(s_path, snap, -1);
    s_copy(wal, snap_wal, -1);
    store_free(&s);
    struct stat st;
    cr_assert_eq(stat(snap_wal, &st), 0);
    long full = (long)st.st_size, frame = 24 + 4096;
    cr_assert_gt(full, 32 + 3 * frame, "WAL of %ld bytes", full);
    long cuts[64];
    int n = 0;
    cuts[n++] = 0; cuts[n++] = 31; cuts[n++] = 32; cuts[n++] = 33;
    for (long f = 1; 32 + f * frame <= full && n < 56; f++) {
        cuts[n++] = 32 + f * frame - 1;
        cuts[n++] = 32 + f * frame;
    }
    for (int i = 0; i < 6; i++) cuts[n++] = (long)randombytes_uniform((uint32_t)full);
    cuts[n++] = full;
    uint64_t at_full = 0;
    int partial = 0;
    for (int i = 0; i < n; i++) {
        unlink(copy_shm);
        s_copy(snap, copy, -1);
        s_copy(snap_wal, copy_wal, cuts[i]);
        store *c = s_open_at(copy, K);
        uint64_t seq = s_seq_of(c);
        cr_assert_leq(seq, B);
        s_check_whole_batches(c, K, seq);
        if (cuts[i] == full) at_full = seq;
        partial += seq > 0 && seq < B;
        store_free(&c);
    }
    cr_assert_eq(at_full, B);
    cr_assert_gt(partial, 0, "no cut fell between two commits");
}

Test(store, failed_commit_loses_the_batch_and_breaks_the_store)
{
    store *s = s_open_ok(S_ROLL);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 1, 10), 0);
    s_commit_ok(s);
    /* Writes past 256 KiB fail (EFBIG): the WAL cannot take a 1 MiB batch. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = { 256 * 1024, 256 * 1024 }, old;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim.rlim_max = old.rlim_max;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    cr_assert_eq(store_begin(s), 0);
    cr_assert_eq(s_put(s, 0, 2, 1 << 20), 0);
    cr_assert_eq(s_put(s, 1, 1, 10), 0);
    cr_assert_eq(store_commit(s), ERR_IO);
    cr_assert(strstr(store_errmsg(s), "commit"), "%s", store_errmsg(s));
    cr_assert(s_is(s, 0, 1, 10));
    cr_assert_null(store_latest(s, 1));
    cr_assert_eq(store_count(s), 1);
    cr_assert_eq(store_records(s), 1);
    cr_assert_eq(store_begin(s), ERR_STATE);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    store_free(&s);
    s = s_open_ok(S_ROLL);
    cr_assert(s_is(s, 0, 1, 10));
    cr_assert_eq(store_records(s), 1);
    store_free(&s);
}
