/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging for podcamd and podcam-upload. Under systemd (JOURNAL_STREAM set)
 * messages go to the journal with structured fields; otherwise to stderr.
 * Only the top layer of the programs logs; helpers return negative errno.
 *
 *	return log_error_errno(r, "Failed to open %s: %m", path);
 *
 * The _errno variants set errno for %m and return -abs(error).
 */
#ifndef PODCAM_LOG_H
#define PODCAM_LOG_H

#include <syslog.h>

#include "util.h"

/* Journal fields that tie a message to a camera, photo or parcel. */
struct log_ctx {
	const char *camera;		/* PODCAM_CAMERA */
	const char *photo_id;		/* PODCAM_PHOTO_ID */
	const char *tracking_id;	/* PODCAM_TRACKING_ID */
};

void log_set_max_level(int level);
int log_get_max_level(void);
/* Program name for stderr lines, and whether to use the journal. */
void log_open(const char *ident);

int log_ctx_full(int level, int error, const struct log_ctx *ctx,
		 const char *fmt, ...) _printf_(4, 5);

#define log_full_errno(level, error, ...) \
	log_ctx_full(level, error, NULL, __VA_ARGS__)
#define log_full(level, ...) log_ctx_full(level, 0, NULL, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

#endif
