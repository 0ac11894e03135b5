/* util: init, fixed keys and fields, and the scratch directory of the fuzz targets. */
#include "tests/fuzz/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "common/log.h"
#include "common/secmem.h"

const uint8_t fuzz_sid[32] = {
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
};

static const char *const s_primes[FUZZ_NFIELDS] = {
    [FUZZ_F89] = "2^89-1",
    [FUZZ_F127] = "2^127-1",
    [FUZZ_P101] = "1267650600228229401496703205653",
    [FUZZ_P127] = "170141183460469231731687303715884105703",
    [FUZZ_P64] = "18446744073709551557",
    [FUZZ_P17] = "65537",
};

static field s_fields[FUZZ_NFIELDS];
static int s_ready;
static char s_dir[256];

void fuzz_init(void)
{
    if (s_ready) return;
    if (secmem_init() != 0) abort();
    log_level = LOG_ERROR - 1;   /* torn-record and refusal warnings are expected */
    for (int i = 0; i < FUZZ_NFIELDS; i++) {
        if (field_init_str(&s_fields[i], s_primes[i]) != 0) {
            fprintf(stderr, "fuzz: field %s refused\n", s_primes[i]);
            abort();
        }
    }
    s_ready = 1;
}

void fuzz_sign_keys(uint8_t pk[32], uint8_t sk[64], char who)
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    memset(seed, who, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
}

const field *fuzz_field(int which)
{
    fuzz_init();
    if (which < 0 || which >= FUZZ_NFIELDS) abort();
    return &s_fields[which];
}

static void s_rmdir(void)
{
    if (!s_dir[0]) return;
    DIR *d = opendir(s_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", s_dir, e->d_name);
            (void)unlink(p);
        }
        closedir(d);
    }
    (void)rmdir(s_dir);
    s_dir[0] = 0;
}

const char *fuzz_tmpdir(void)
{
    if (s_dir[0]) return s_dir;
    const char *base = "/dev/shm";
    if (access(base, W_OK | X_OK) != 0) {
        base = getenv("TMPDIR");
        if (!base || !*base) base = "/tmp";
    }
    snprintf(s_dir, sizeof s_dir, "%s/mpc-fuzz-XXXXXX", base);
    if (!mkdtemp(s_dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(s_rmdir);
    return s_dir;
}

void fuzz_write_file(const char *path, const uint8_t *data, size_t size, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0 || fchmod(fd, (mode_t)mode) != 0) {
        perror(path);
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            perror(path);
            abort();
        }
        off += (size_t)w;
    }
    close(fd);
}
