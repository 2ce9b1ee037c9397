/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The capture interface podcamd's cameras use, with two backends behind it:
 * V4L2 (capture-v4l2.c) and libcamera (capture-libcamera.cpp).
 *
 * A backend streams continuously on the daemon's sd-event loop. Every frame
 * it completes is handed to the frame callback as a capture_frame that
 * points into the backend's own buffer (no copy); the frame stays valid and
 * untouched until the camera hands it back with capture_release(). The
 * backend keeps only `queued` buffers with the driver; the rest are the
 * caller's ring.
 */
#ifndef PODCAM_CAPTURE_H
#define PODCAM_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "conf.h"
#include "yuv.h"

struct capture_frame {
	unsigned int id;		/* the backend's buffer index */
	struct frame_view view;		/* the pixels, writable while held */
	uint64_t mono_usec;		/* CLOCK_MONOTONIC of the frame */
	uint64_t realtime_usec;		/* the same instant, wall clock */
	uint32_t sequence;
};

struct capture_callbacks {
	/* A new frame; the callee owns it until capture_release(). */
	void (*frame)(void *userdata, const struct capture_frame *frame);
	/* The device failed or went away; error is negative errno. */
	void (*lost)(void *userdata, int error);
};

struct capture;

struct capture_ops {
	const char *name;
	int (*open)(const struct camera_config *cfg, sd_event *event,
		    const struct capture_callbacks *cb, void *userdata,
		    struct capture **ret, char **ret_error);
	void (*release)(struct capture *c, unsigned int id);
	/* "NV12 1920x1080 30fps" */
	const char *(*format)(struct capture *c);
	/* Frames lost before they reached us (driver count, sequence gaps). */
	uint64_t (*dropped)(struct capture *c);
	/* Buffers the caller may hold at once (total minus those queued). */
	unsigned int (*ring_size)(struct capture *c);
	unsigned int (*frame_period_usec)(struct capture *c);
	void (*close)(struct capture *c);
};

struct capture {
	const struct capture_ops *ops;
};

extern const struct capture_ops capture_v4l2_ops;
/*
 * In the plugin capture-libcamera.so, which capture.c loads: its one
 * exported symbol (the plugin is built with -fvisibility=hidden).
 */
extern const struct capture_ops capture_libcamera_ops
	__attribute__((visibility("default")));

/*
 * Opens and starts streaming on the backend cfg asks for (for
 * CAPTURE_BACKEND_AUTO: V4L2 when the device can stream NV12 or YUYV
 * itself, libcamera otherwise). On failure *ret_error, when not NULL, gets
 * a message for LastError and the journal.
 */
int capture_open(const struct camera_config *cfg, sd_event *event,
		 const struct capture_callbacks *cb, void *userdata,
		 struct capture **ret, char **ret_error);

static inline void capture_release(struct capture *c, unsigned int id)
{
	c->ops->release(c, id);
}

static inline struct capture *capture_close(struct capture *c)
{
	if (c)
		c->ops->close(c);
	return NULL;
}

#endif
