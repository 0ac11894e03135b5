/* fsutil: atomic replace, directory sync, bounded read. */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fs_sync_dir(const char *path, int is_dir)
{
    char dir[4096];
    if (is_dir) {
        if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) return ERR_IO;
    } else {
        const char *slash = strrchr(path, '/');
        if (!slash) snprintf(dir, sizeof dir, ".");
        else if (slash == path) snprintf(dir, sizeof dir, "/");
        else if ((size_t)(slash - path) >= sizeof dir) return ERR_IO;
        else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ERR_IO;
    int rc = fsync(fd) == 0 ? 0 : ERR_IO;
    close(fd);
    return rc;
}

int fs_write_atomic(const char *path, const void *buf, size_t len, int mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return ERR_IO;
    (void)unlink(tmp);   /* a stale temporary from a crash */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return ERR_IO;
    const uint8_t *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            errno = e;
            return ERR_IO;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return ERR_IO;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
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
