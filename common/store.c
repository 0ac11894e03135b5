/* store: sealed envelopes in SQLite (WAL, synchronous=FULL), one transaction
 * per batch, the latest envelope per roll index mirrored in memory (schema and
 * locking in store.h, rationale in docs/store.md). */
#include "common/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include <sqlite3.h>
#include "common/fsutil.h"
#include "common/xalloc.h"

#define S_APP_ID   0x4d504345   /* "MPCE" in the SQLite header: this is a store */
#define S_VERSION  1
#define S_SEQ_BIAS 0x8000000000000000ull
#define S_UNDO0    64           /* undo slots preallocated: a typical batch */

/* The latest envelope of one roll index; e.env points at buf (NULL: none). */
typedef struct s_slot {
    store_env e;
    uint8_t *buf;
} s_slot;

/* What a put in the open batch replaced, to restore on rollback. */
typedef struct s_undo {
    uint32_t roll;
    s_slot old;
} s_undo;

struct store {
    sqlite3 *db;
    sqlite3_stmt *st_begin, *st_commit, *st_rollback, *st_put;
    int lock_fd;
    int in_batch, broken;
    uint8_t sid[MPC_SID_LEN];
    uint32_t roll_size;
    s_slot *latest;                 /* roll_size slots */
    size_t count, records;
    size_t batch_count, batch_records;   /* at store_begin */
    s_undo *undo;
    size_t nundo, undo_cap;
    char *path;
    char err[512];
};

__attribute__((format(printf, 2, 3)))
static void s_msg(store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

/* SQLite's stored integers are signed: the bias makes their order the
 * unsigned order of the client's sequence numbers. */
static int64_t s_seq_db(uint64_t seq) { return (int64_t)(seq ^ S_SEQ_BIAS); }
static uint64_t s_seq_mem(int64_t v) { return (uint64_t)v ^ S_SEQ_BIAS; }

/* Record a SQLite failure with context; the code for the caller. At open,
 * a file SQLite cannot read as a database, or one without our tables, is
 * "not a store" (ERR_PARSE); elsewhere every SQLite failure is ERR_IO. */
static int s_sqlerr(store *s, int rc, int at_open, const char *what)
{
    s_msg(s, "%s: %s: %s", s->path, what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_NOTADB: case SQLITE_CORRUPT: case SQLITE_ERROR: case SQLITE_SCHEMA:
    case SQLITE_FORMAT: case SQLITE_MISMATCH: case SQLITE_CONSTRAINT:
        return at_open ? ERR_PARSE : ERR_IO;
    case SQLITE_BUSY: case SQLITE_LOCKED:
        return ERR_STATE;   /* another SQLite user (not a store: we hold the flock) */
    default:
        return ERR_IO;
    }
}

/* Step a statement that returns no row, and reset it. */
static int s_run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The integer a one-row query (a PRAGMA) returns, in *v. */
static int s_query_int(store *s, const char *sql, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) *v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 0;
    return s_sqlerr(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, 1, sql);
}

/* The store's lock is a flock on the sidecar "<path>.lock", not on the
 * database: closing any fd of the database would drop SQLite's own POSIX
 * locks of this process, and a refused second open must not do that. The
 * lock goes with the open file description, so it is also held against
 * other processes and released by the kernel when the holder dies. */
static int s_lock(store *s)
{
    size_t n = strlen(s->path) + sizeof ".lock";
    char *lp = xmalloc(n);
    snprintf(lp, n, "%s.lock", s->path);
    s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = 0;
    if (s->lock_fd < 0) {
        s_msg(s, "%s: %s", lp, strerror(errno));
        rc = ERR_IO;
    } else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        s_msg(s, "%s: in use by another store (%s locked)", s->path, lp);
        rc = errno == EWOULDBLOCK ? ERR_STATE : ERR_IO;
    }
    free(lp);
    return rc;
}

/* Create the database file ourselves so its mode is exactly 0600 whatever the
 * umask; SQLite gives the -wal and -shm files the database file's mode. */
static int s_create_file(store *s)
{
    int fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST) return 0;
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        s_msg(s, "%s: creating: %s", s->path, strerror(errno));
        if (fd >= 0) close(fd);
        return ERR_IO;
    }
    close(fd);
    return 0;
}

/* A new (empty) database gets the schema in one transaction, still in
 * rollback-journal mode: a crash during it leaves an empty database again,
 * never a half-made store; then the directory entry is made durable. */
static int s_init_schema(store *s)
{
    char sql[640];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE;"
             "PRAGMA application_id = %d;"
             "CREATE TABLE meta(id INTEGER PRIMARY KEY CHECK (id = 1),"
             " version INTEGER NOT NULL, sid BLOB NOT NULL, roll_size INTEGER NOT NULL);"
             "CREATE TABLE envelopes(roll INTEGER NOT NULL, seq INTEGER NOT NULL,"
             " hash BLOB NOT NULL, env BLOB NOT NULL, PRIMARY KEY (roll, seq));",
             S_APP_ID);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc) return s_sqlerr(s, rc, 0, "creating the schema");
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, "INSERT INTO meta VALUES (1, ?, ?, ?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, S_VERSION);
        sqlite3_bind_blob(st, 2, s->sid, MPC_SID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, s->roll_size);
        rc = s_run(st);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK) rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc) {
        int code = s_sqlerr(s, rc, 0, "creating the schema");
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return code;
    }
    if (fs_sync_dir(s->path, 0) != 0) {
        s_msg(s, "%s: syncing its directory: %s", s->path, strerror(errno));
        return ERR_IO;
    }
    return 0;
}

/* Our SQLite header id: any other SQLite file is not a store. */
static int s_check_app_id(store *s)
{
    int64_t app = 0;
    int rc = s_query_int(s, "PRAGMA application_id", &app);
    if (rc) return rc;
    if (app != S_APP_ID) {
        s_msg(s, "%s: not a store (SQLite application_id 0x%08x)", s->path, (unsigned)app);
        return ERR_PARSE;
    }
    return 0;
}

/* The meta row: our schema version, this session and roll size. */
static int s_check_meta(store *s)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT version, sid, roll_size FROM meta WHERE id = 1",
                            -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) rc = SQLITE_OK;
    if (rc) {
        int code = s_sqlerr(s, rc == SQLITE_DONE ? SQLITE_ERROR : rc, 1, "reading meta");
        sqlite3_finalize(st);
        return code;
    }
    int64_t version = sqlite3_column_int64(st, 0), rs = sqlite3_column_int64(st, 2);
    const void *sid = sqlite3_column_blob(st, 1);
    int sid_len = sqlite3_column_bytes(st, 1);
    if (version != S_VERSION || sid_len != MPC_SID_LEN) {
        s_msg(s, "%s: not a store of this version (schema version %lld, sid of %d bytes)",
              s->path, (long long)version, sid_len);
        rc = ERR_PARSE;
    } else if (sodium_memcmp(sid, s->sid, MPC_SID_LEN) != 0) {
        s_msg(s, "%s: belongs to another session (session id differs)", s->path);
        rc = ERR_REFUSED;
    } else if (rs != (int64_t)s->roll_size) {
        s_msg(s, "%s: made for a roll of %lld, this session has %u", s->path, (long long)rs,
              s->roll_size);
        rc = ERR_REFUSED;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Load the latest envelope of every roll index, and count the history. A
 * row out of range means the file was not written by us: ERR_PARSE. */
static int s_load(store *s)
{
    static const char sql[] =
        "SELECT e.roll, e.seq, e.hash, e.env FROM"
        " (SELECT roll AS r, max(seq) AS q FROM envelopes GROUP BY roll)"
        " JOIN envelopes AS e ON e.roll = r AND e.seq = q";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc) return s_sqlerr(s, rc, 1, "loading");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t roll = sqlite3_column_int64(st, 0);
        const void *hash = sqlite3_column_blob(st, 2);
        int hash_len = sqlite3_column_bytes(st, 2);
        const void *env = sqlite3_column_blob(st, 3);
        int64_t env_len = sqlite3_column_bytes(st, 3);
        if (roll < 0 || roll >= (int64_t)s->roll_size || s->latest[roll].buf ||
            hash_len != STORE_HASH_LEN || env_len < 1 || env_len > STORE_MAX_ENV) {
            s_msg(s, "%s: malformed envelope row (roll index %lld)", s->path, (long long)roll);
            sqlite3_finalize(st);
            return ERR_PARSE;
        }
        s_slot *sl = &s->latest[roll];
        sl->buf = xmalloc((size_t)env_len);
        memcpy(sl->buf, env, (size_t)env_len);
        sl->e.roll = (uint32_t)roll;
        sl->e.seq = s_seq_mem(sqlite3_column_int64(st, 1));
        memcpy(sl->e.hash, hash, STORE_HASH_LEN);
        sl->e.env = sl->buf;
        sl->e.env_len = (size_t)env_len;
        s->count++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return s_sqlerr(s, rc, 1, "loading");
    int64_t n = 0;
    if ((rc = s_query_int(s, "SELECT count(*) FROM envelopes", &n)) != 0) return rc;
    s->records = (size_t)n;
    return 0;
}

/* Connection settings, then create or check the schema, prepare, load. */
static int s_setup(store *s)
{
    int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc) return s_sqlerr(s, rc, 0, "opening");
    sqlite3_extended_result_codes(s->db, 1);
    /* The file may be anyone's: no schema-defined code runs on our statements. */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    int64_t pages = 0;
    /* page_count reads the header (NOTADB for a non-SQLite file) and first
     * rolls back a hot journal, so a crashed schema creation reads as empty. */
    if ((rc = s_query_int(s, "PRAGMA page_count", &pages)) != 0) return rc;
    if (pages == 0 && (rc = s_init_schema(s)) != 0) return rc;
    if ((rc = s_check_app_id(s)) != 0) return rc;
    int64_t level = 0;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        rc = mode && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
    }
    if (rc) {
        int code = s_sqlerr(s, rc, 0, "switching to the WAL journal");
        sqlite3_finalize(st);
        return code;
    }
    sqlite3_finalize(st);
    rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
    if (rc) return s_sqlerr(s, rc, 0, "PRAGMA synchronous = FULL");
    if ((rc = s_query_int(s, "PRAGMA synchronous", &level)) != 0) return rc;
    if (level != 2) {
        s_msg(s, "%s: PRAGMA synchronous = FULL did not take (%lld)", s->path, (long long)level);
        return ERR_IO;
    }
    struct { sqlite3_stmt **st; const char *sql; } stmts[] = {
        { &s->st_begin, "BEGIN IMMEDIATE" },
        { &s->st_commit, "COMMIT" },
        { &s->st_rollback, "ROLLBACK" },
        { &s->st_put, "INSERT INTO envelopes (roll, seq, hash, env) VALUES (?, ?, ?, ?)" },
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        rc = sqlite3_prepare_v3(s->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                stmts[i].st, NULL);
        if (rc) return s_sqlerr(s, rc, 1, stmts[i].sql);
    }
    /* After the statements: a file without our tables is "not a store"
     * before it can be "another session". */
    if ((rc = s_check_meta(s)) != 0) return rc;
    return s_load(s);
}

int store_open(store **out, const char *path, const uint8_t sid[MPC_SID_LEN],
               uint32_t roll_size, char *err, size_t errlen)
{
    *out = NULL;
    if (!path || !sid || roll_size == 0) {
        err_fmt(err, errlen, "store_open: bad arguments");
        return ERR_ARG;
    }
    store *s = xcalloc(1, sizeof *s);
    s->lock_fd = -1;
    s->path = xmalloc(strlen(path) + 1);
    memcpy(s->path, path, strlen(path) + 1);
    memcpy(s->sid, sid, MPC_SID_LEN);
    s->roll_size = roll_size;
    s->latest = xcalloc(roll_size, sizeof *s->latest);
    s->undo_cap = S_UNDO0;
    s->undo = xmalloc(s->undo_cap * sizeof *s->undo);
    int rc = s_lock(s);
    if (!rc) rc = s_create_file(s);
    if (!rc) rc = s_setup(s);
    if (rc) {
        err_fmt(err, errlen, "%s", s->err);
        store_free(&s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Put memory back as it was at store_begin, newest change first. */
static void s_undo_all(store *s)
{
    for (size_t i = s->nundo; i-- > 0;) {
        s_slot *sl = &s->latest[s->undo[i].roll];
        free(sl->buf);
        *sl = s->undo[i].old;
    }
    s->nundo = 0;
    s->count = s->batch_count;
    s->records = s->batch_records;
}

void store_free(store **pp)
{
    if (!pp || !*pp) return;
    store *s = *pp;
    if (s->in_batch) store_rollback(s);
    sqlite3_finalize(s->st_begin);
    sqlite3_finalize(s->st_commit);
    sqlite3_finalize(s->st_rollback);
    sqlite3_finalize(s->st_put);
    if (s->db) sqlite3_close(s->db);   /* checkpoints and removes the WAL */
    if (s->latest)
        for (uint32_t i = 0; i < s->roll_size; i++) free(s->latest[i].buf);
    free(s->latest);
    free(s->undo);
    free(s->path);
    if (s->lock_fd >= 0) close(s->lock_fd);   /* after the database: releases the lock */
    free(s);
    *pp = NULL;
}

int store_begin(store *s)
{
    if (s->broken || s->in_batch) {
        s_msg(s, "%s: begin: %s", s->path,
              s->broken ? "an earlier commit failed; reopen the store" : "a batch is open");
        return ERR_STATE;
    }
    int rc = s_run(s->st_begin);
    if (rc) return s_sqlerr(s, rc, 0, "begin");
    s->in_batch = 1;
    s->nundo = 0;
    s->batch_count = s->count;
    s->batch_records = s->records;
    return 0;
}

/* Drop the batch on disk and in memory; 0 or the SQLite code of ROLLBACK. */
static int s_abort(store *s)
{
    int rc = SQLITE_OK;
    if (!sqlite3_get_autocommit(s->db)) rc = s_run(s->st_rollback);
    s_undo_all(s);
    s->in_batch = 0;
    return rc;
}

int store_put(store *s, const store_env *e)
{
    if (!s->in_batch) {
        s_msg(s, "%s: put: no batch open", s->path);
        return ERR_STATE;
    }
    if (e->roll >= s->roll_size || e->env_len == 0 || e->env_len > STORE_MAX_ENV || !e->env) {
        s_msg(s, "put: roll index %u (roll of %u) or envelope of %zu bytes out of range",
              e->roll, s->roll_size, e->env_len);
        return ERR_RANGE;
    }
    s_slot *sl = &s->latest[e->roll];
    if (sl->buf && e->seq <= sl->e.seq) {
        if (e->seq < sl->e.seq) {
            s_msg(s, "roll index %u: replayed or stale submission (sequence not above the "
                  "stored one)", e->roll);
            return ERR_REFUSED;
        }
        if (sodium_memcmp(e->hash, sl->e.hash, STORE_HASH_LEN) == 0) return STORE_SAME;
        s_msg(s, "roll index %u: sequence %llu is already stored with another envelope",
              e->roll, (unsigned long long)e->seq);
        return ERR_REFUSED;
    }
    sqlite3_bind_int64(s->st_put, 1, e->roll);
    sqlite3_bind_int64(s->st_put, 2, s_seq_db(e->seq));
    sqlite3_bind_blob(s->st_put, 3, e->hash, STORE_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob64(s->st_put, 4, e->env, e->env_len, SQLITE_STATIC);
    int rc = s_run(s->st_put);
    sqlite3_clear_bindings(s->st_put);   /* hold no pointer to the caller's bytes */
    if (rc) {
        /* SQLite may already have rolled the transaction back (disk full, I/O
         * error): later puts would commit one by one, so drop the batch. */
        int code = s_sqlerr(s, rc, 0, "put (the batch was rolled back)");
        (void)s_abort(s);
        return code;
    }
    if (s->nundo == s->undo_cap) {
        s->undo_cap *= 2;
        s->undo = xrealloc(s->undo, s->undo_cap * sizeof *s->undo);
    }
    s->undo[s->nundo++] = (s_undo){ .roll = e->roll, .old = *sl };
    if (!sl->buf) s->count++;
    s->records++;
    sl->buf = xmalloc(e->env_len);
    memcpy(sl->buf, e->env, e->env_len);
    sl->e = *e;
    sl->e.env = sl->buf;
    return 0;
}

int store_commit(store *s)
{
    if (!s->in_batch) {
        s_msg(s, "%s: commit: no batch open", s->path);
        return ERR_STATE;
    }
    int rc = s_run(s->st_commit);
    if (rc) {
        /* After a failed fsync the state on disk is unknown: stop here. */
        int code = s_sqlerr(s, rc, 0, "commit (the batch is lost; reopen the store)");
        (void)s_abort(s);
        s->broken = 1;
        return code == ERR_STATE ? ERR_IO : code;
    }
    for (size_t i = 0; i < s->nundo; i++) free(s->undo[i].old.buf);
    s->nundo = 0;
    s->in_batch = 0;
    return 0;
}

void store_rollback(store *s)
{
    if (!s->in_batch) return;
    int rc = s_abort(s);
    if (rc) {
        (void)s_sqlerr(s, rc, 0, "rollback (reopen the store)");
        s->broken = 1;
    }
}

const store_env *store_latest(const store *s, uint32_t roll)
{
    if (roll >= s->roll_size || !s->latest[roll].buf) return NULL;
    return &s->latest[roll].e;
}

size_t store_count(const store *s) { return s->count; }
size_t store_records(const store *s) { return s->records; }
const char *store_errmsg(const store *s) { return s->err; }
