/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by podcamd, podcam-upload and their tests, in
 * systemd's manner: _cleanup_ attributes for locals, NULL-safe destructors,
 * negative errno returns.
 */
#ifndef PODCAM_UTIL_H
#define PODCAM_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP(x, lo, hi) MIN(MAX((x), (lo)), (hi))

/* Hands ownership of a pointer or fd over, leaving the variable empty. */
#define TAKE_PTR(p)                             \
	({                                      \
		__typeof__(p) _p_ = (p);        \
		(p) = NULL;                     \
		_p_;                            \
	})
#define TAKE_FD(fd)                   \
	({                            \
		int _fd_ = (fd);      \
		(fd) = -EBADF;        \
		_fd_;                 \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* Closes fd if it is open; returns -EBADF for "fd = safe_close(fd)". */
static inline int safe_close(int fd)
{
	if (fd >= 0)
		close(fd);
	return -EBADF;
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* errno as a negative return value, never 0. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static inline const char *strempty(const char *s)
{
	return s ? s : "";
}

static inline const char *startswith(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);

	return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* A newly allocated formatted string, or NULL when out of memory. */
static inline char *strdup_printf(const char *fmt, ...) _printf_(1, 2);
static inline char *strdup_printf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

#endif
