// SPDX-License-Identifier: GPL-2.0
/* Journal or stderr logging with podcam's structured fields. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *program = "podcam";
static bool use_journal;

void log_set_max_level(int level)
{
	max_level = CLAMP(level, LOG_EMERG, LOG_DEBUG);
}

int log_get_max_level(void)
{
	return max_level;
}

void log_open(const char *ident)
{
	const char *e;

	program = ident;
	/* systemd sets JOURNAL_STREAM when stderr is connected to journald. */
	use_journal = getenv("JOURNAL_STREAM") != NULL;
	e = getenv("PODCAM_LOG_LEVEL");
	if (e && streq(e, "debug"))
		max_level = LOG_DEBUG;
}

static void log_to_journal(int level, const struct log_ctx *ctx,
			   const char *msg)
{
	char prio[16], m[4096 + 8], cam[128], photo[64], track[96];
	struct iovec iov[5];
	int n = 0;

	snprintf(m, sizeof(m), "MESSAGE=%s", msg);
	iov[n++] = (struct iovec){ m, strlen(m) };
	snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
	iov[n++] = (struct iovec){ prio, strlen(prio) };
	if (ctx && ctx->camera) {
		snprintf(cam, sizeof(cam), "PODCAM_CAMERA=%s", ctx->camera);
		iov[n++] = (struct iovec){ cam, strlen(cam) };
	}
	if (ctx && ctx->photo_id) {
		snprintf(photo, sizeof(photo), "PODCAM_PHOTO_ID=%s",
			 ctx->photo_id);
		iov[n++] = (struct iovec){ photo, strlen(photo) };
	}
	if (ctx && ctx->tracking_id) {
		snprintf(track, sizeof(track), "PODCAM_TRACKING_ID=%s",
			 ctx->tracking_id);
		iov[n++] = (struct iovec){ track, strlen(track) };
	}
	if (sd_journal_sendv(iov, n) < 0)
		fprintf(stderr, "<%d>%s\n", level, msg);
}

int log_ctx_full(int level, int error, const struct log_ctx *ctx,
		 const char *fmt, ...)
{
	int saved = errno;
	char msg[4096];
	va_list ap;

	if (error < 0)
		error = -error;
	if (level > max_level)
		return -error;

	errno = error;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (use_journal) {
		log_to_journal(level, ctx, msg);
	} else if (ctx && (ctx->camera || ctx->photo_id || ctx->tracking_id)) {
		fprintf(stderr, "%s: %s [camera=%s photo=%s tracking=%s]\n",
			program, msg, strempty(ctx->camera),
			strempty(ctx->photo_id), strempty(ctx->tracking_id));
	} else {
		fprintf(stderr, "%s: %s\n", program, msg);
	}

	errno = saved;
	return -error;
}
