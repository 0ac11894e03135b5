/* fsutil: atomic replace or create, directory sync, bounded read. */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_sync_dir(const char *path, int is_dir)
{
    char dir[4096];
    int too_long = 0;
    if (is_dir) {
        too_long = snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir;
    } else {
        const char *slash = strrchr(path, '/');
        if (!slash) snprintf(dir, sizeof dir, ".");
        else if (slash == path) snprintf(dir, sizeof dir, "/");
        else if ((size_t)(slash - path) >= sizeof dir) too_long = 1;
        else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    }
    if (too_long) {
        errno = ENAMETOOLONG;
        return ERR_IO;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ERR_IO;
    int rc = fsync(fd) == 0 ? 0 : ERR_IO;
    close(fd);
    return rc;
}

/* Write buf durably to tmp, a fresh file next to its final name (a stale one
 * from a crash is replaced, a symlink never followed). exact: set mode
 * regardless of the umask. On failure tmp is gone and errno describes the
 * failing call. */
static int s_write_tmp(const char *tmp, const void *buf, size_t len, int mode, int exact)
{
    (void)unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return ERR_IO;
    int ok = !exact || fchmod(fd, (mode_t)mode) == 0;
    const uint8_t *p = buf;
    size_t left = len;
    while (ok && left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            ok = 0;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (ok && fsync(fd) != 0) ok = 0;
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok) return 0;
    unlink(tmp);
    errno = e;
    return ERR_IO;
}

static int s_tmp_name(char tmp[4096], const char *path)
{
    if (snprintf(tmp, 4096, "%s.tmp", path) < 4096) return 0;
    errno = ENAMETOOLONG;
    return ERR_IO;
}

int fs_write_atomic(const char *path, const void *buf, size_t len, int mode)
{
    char tmp[4096];
    int rc = s_tmp_name(tmp, path);
    if (rc == 0) rc = s_write_tmp(tmp, buf, len, mode, 0);
    if (rc) return rc;
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return ERR_IO;
    }
    return fs_sync_dir(path, 0);
}

int fs_write_new(const char *path, const void *buf, size_t len, int mode)
{
    char tmp[4096];
    struct stat st;
    /* Refuse before the bytes (often a secret key) ever reach the disk; link()
     * below still closes the race with a file created meanwhile. */
    if (lstat(path, &st) == 0) {
        errno = EEXIST;
        return ERR_IO;
    }
    int rc = s_tmp_name(tmp, path);
    if (rc == 0) rc = s_write_tmp(tmp, buf, len, mode, 1);
    if (rc) return rc;
    if (link(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return ERR_IO;
    }
    if (unlink(tmp) != 0) {   /* a second name of the file must not linger */
        int e = errno;
        unlink(path);
        errno = e;
        return ERR_IO;
    }
    return fs_sync_dir(path, 0);
}

int fs_read_file(const char *path, uint8_t **out, size_t *len, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ERR_IO;
    uint8_t *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return ERR_NOMEM;
    }
    size_t n = fread(buf, 1, max + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > max) {
        free(buf);
        return bad ? ERR_IO : ERR_RANGE;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}
