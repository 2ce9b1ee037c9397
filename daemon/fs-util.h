/* SPDX-License-Identifier: GPL-2.0 */
/* File helpers for durable writes. All return 0 or negative errno. */
#ifndef PODCAM_FS_UTIL_H
#define PODCAM_FS_UTIL_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* write() all of buf, retrying on EINTR and short writes. */
int write_full(int fd, const void *buf, size_t len);

/*
 * Creates DIR/NAME (O_EXCL, mode), writes buf, fsyncs and closes it.
 * Removes the file again if anything fails.
 */
int write_file_sync_at(int dir_fd, const char *name, const void *buf,
		       size_t len, mode_t mode);

/* Reads a whole regular file of at most max bytes; NUL-terminates it. */
int read_full_file_at(int dir_fd, const char *name, size_t max, char **ret,
		      size_t *ret_len);

/* fsync() of a directory by path, or of an open directory fd. */
int fsync_path(const char *path);

/* Removes DIR/NAME and, if it is a directory, everything below it. */
int rm_rf_at(int dir_fd, const char *name);

/* Opens (with create: makes) the directory DIR/NAME, O_DIRECTORY. */
int open_dir_at(int dir_fd, const char *name, bool create, mode_t mode);

#endif
