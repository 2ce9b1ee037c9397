// SPDX-License-Identifier: GPL-2.0
/* Durable-write helpers shared by the spool writer and the uploader. */

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "util.h"

int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

int write_file_sync_at(int dir_fd, const char *name, const void *buf,
		       size_t len, mode_t mode)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	fd = openat(dir_fd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return negative_errno();

	r = write_full(fd, buf, len);
	if (r >= 0 && fsync(fd) < 0)
		r = negative_errno();
	if (r >= 0) {
		int tmp = TAKE_FD(fd);

		if (close(tmp) < 0 && errno != EINTR)
			r = negative_errno();
	}
	if (r < 0)
		(void)unlinkat(dir_fd, name, 0);
	return r;
}

int read_full_file_at(int dir_fd, const char *name, size_t max, char **ret,
		      size_t *ret_len)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;

	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			break;	/* shrank under us: take what is there */
		len += n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int fsync_path(const char *path)
{
	_cleanup_close_ int fd = -EBADF;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (fsync(fd) < 0)
		return negative_errno();
	return 0;
}

int rm_rf_at(int parent_fd, const char *name)
{
	_cleanup_close_ int fd = -EBADF;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return negative_errno();

	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d)
		return negative_errno();
	fd = -EBADF;	/* owned by d now */

	while ((de = readdir(d))) {
		int k;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		k = rm_rf_at(dirfd(d), de->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(d);

	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
	    r == 0)
		r = negative_errno();
	return r;
}

int open_dir_at(int parent_fd, const char *name, bool create, mode_t mode)
{
	int fd;

	if (create && mkdirat(parent_fd, name, mode) < 0 && errno != EEXIST)
		return negative_errno();
	fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();
	return fd;
}
