/* fuzz_store: store_open on hostile files (the SQLite envelope store a server
 * reopens after a crash), under the fixed session id and a roll of FUZZ_ROLL.
 * Byte 0 of the input picks the mode:
 *   0  the rest is the whole database file;
 *   1  the rest is a list of (u16 big-endian offset, byte) edits applied to a
 *      valid store of 3 envelopes (a damaged page of a real store).
 * Checks: store_open returns 0 or ERR_PARSE/ERR_REFUSED/ERR_IO and leaves *out
 * NULL on refusal; on success store_latest over the roll agrees with
 * store_count, every envelope is in range, and a batch can be put and
 * committed (or fails with ERR_IO on a damaged file, never crashes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/store.h"
#include "tests/fuzz/util.h"

static char s_path[512], s_side[560];
static uint8_t *s_valid;       /* a valid store file with 3 envelopes */
static size_t s_valid_len;

static uint8_t *s_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) abort();
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    if (!b) abort();
    for (;;) {
        if (n == cap && !(b = realloc(b, cap *= 2))) abort();
        size_t r = fread(b + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    fclose(f);
    *len = n;
    return b;
}

/* No -wal or -shm of an earlier input may leak into this one. */
static void s_clean(void)
{
    static const char *const ext[] = { "-wal", "-shm", "-journal" };
    for (int i = 0; i < 3; i++) {
        snprintf(s_side, sizeof s_side, "%s%s", s_path, ext[i]);
        (void)unlink(s_side);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    snprintf(s_path, sizeof s_path, "%s/envelopes.db", fuzz_tmpdir());
    (void)unlink(s_path);
    s_clean();
    store *s = NULL;
    char err[512];
    if (store_open(&s, s_path, fuzz_sid, FUZZ_ROLL, err, sizeof err) != 0) abort();
    static const uint8_t env[5] = { 'M', 'P', 'S', 'E', 1 };
    store_env e[3] = {
        { .roll = 0, .seq = 1, .env = env, .env_len = sizeof env },
        { .roll = 1, .seq = 1, .env = env, .env_len = 2 },
        { .roll = 0, .seq = 2, .env = env, .env_len = 1 },
    };
    if (store_begin(s) != 0) abort();
    for (int i = 0; i < 3; i++) {
        memset(e[i].hash, 'a' + i, STORE_HASH_LEN);
        if (store_put(s, &e[i]) != 0) abort();
    }
    if (store_commit(s) != 0) abort();
    store_free(&s);   /* checkpoints: the file alone is the whole store */
    s_valid = s_read_all(s_path, &s_valid_len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t *file;
    size_t flen;
    if (data[0] % 2 == 0) {
        file = malloc(size);
        if (!file) abort();
        memcpy(file, data + 1, size - 1);
        flen = size - 1;
    } else {
        file = malloc(s_valid_len);
        if (!file) abort();
        memcpy(file, s_valid, s_valid_len);
        flen = s_valid_len;
        for (size_t i = 1; i + 3 <= size; i += 3)
            file[((size_t)data[i] << 8 | data[i + 1]) % flen] = data[i + 2];
    }
    s_clean();
    fuzz_write_file(s_path, file, flen, 0600);
    free(file);

    store *s = (store *)1;
    char err[512];
    int rc = store_open(&s, s_path, fuzz_sid, FUZZ_ROLL, err, sizeof err);
    if (rc != 0) {
        if (s || (rc != ERR_PARSE && rc != ERR_REFUSED && rc != ERR_IO)) {
            fprintf(stderr, "store_open: %d %s\n", rc, err);
            abort();
        }
        return 0;
    }
    size_t have = 0;
    for (uint32_t r = 0; r < FUZZ_ROLL; r++) {
        const store_env *e = store_latest(s, r);
        if (!e) continue;
        have++;
        if (e->roll != r || !e->env || e->env_len == 0 || e->env_len > STORE_MAX_ENV) abort();
    }
    if (store_latest(s, FUZZ_ROLL) || store_latest(s, UINT32_MAX)) abort();
    if (have != store_count(s) || store_records(s) < have) abort();

    const store_env *last = store_latest(s, 0);
    static const uint8_t env[2] = { 5, 6 };
    store_env e = { .roll = 0, .seq = last ? last->seq + 1 : 1, .env = env, .env_len = 2 };
    if (e.seq != 0 && store_begin(s) == 0) {
        rc = store_put(s, &e);
        if (rc == 0) rc = store_commit(s);
        else store_rollback(s);
        if (rc != 0 && rc != ERR_IO) abort();
    }
    store_free(&s);
    return 0;
}
