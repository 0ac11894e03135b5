/* fsutil: durable file operations shared by keys, definitions, the store and
 * the servers' outputs: whole-file atomic replace or create, directory sync,
 * bounded read. */
#ifndef MPC_FSUTIL_H
#define MPC_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* Write buf to path atomically and durably: a sibling temporary file (created
 * with mode, O_EXCL so a stale one is replaced, never followed), fsync, rename
 * over path, fsync of the directory. A crash leaves the old file or the new
 * one, never a mix. ERR_IO (errno describes the failing call). */
int fs_write_atomic(const char *path, const void *buf, size_t len, int mode) MPC_WUR;

/* Like fs_write_atomic for a file that must not exist yet (key files are
 * never overwritten): the temporary is linked in as path, which fails, with
 * nothing replaced, if path exists (ERR_IO, errno EEXIST). The file's mode is
 * exactly mode, whatever the umask. ERR_IO (errno describes the failing call;
 * nothing is left behind). */
int fs_write_new(const char *path, const void *buf, size_t len, int mode) MPC_WUR;

/* fsync the directory holding path (a file's name or the directory itself when
 * is_dir), so a create/rename/unlink in it is durable. ERR_IO. */
int fs_sync_dir(const char *path, int is_dir) MPC_WUR;

/* Read a whole file of at most max bytes into a malloc'd buffer of max + 1
 * bytes, NUL-terminated after the *len bytes read. ERR_IO (cannot open/read),
 * ERR_RANGE (longer than max), ERR_NOMEM. */
int fs_read_file(const char *path, uint8_t **out, size_t *len, size_t max) MPC_WUR;

#endif
