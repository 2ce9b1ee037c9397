/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One camera of podcamd: its capture stream and ring of recent frames, its
 * GPIO lines, the queue of requests waiting for their window of frames, the
 * van-stop hold, and the counters its D-Bus object shows.
 */
#ifndef PODCAM_CAMERA_H
#define PODCAM_CAMERA_H

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "capture.h"
#include "conf.h"
#include "gpio.h"
#include "ratelimit.h"
#include "request.h"
#include "ring.h"

#define CAMERA_QUEUE_MAX 16

struct manager;

enum camera_state {
	CAMERA_OFFLINE,		/* no device (yet): retrying */
	CAMERA_STREAMING,
	CAMERA_ERROR,		/* the device is there but unusable */
};

/* A request waiting for the frames of its window. */
struct pending {
	struct request req;
	uint64_t window_start;		/* CLOCK_MONOTONIC usec */
	uint64_t window_end;
	sd_bus_message *call;		/* Trigger(): reply when done */
	bool flash;			/* holds a flash reference */
};

/* A van-stop photo waiting for its Delivered (SPEC section 4). */
struct hold {
	bool active;
	struct photo_meta meta;
	uint8_t *jpeg;
	size_t size;
	uint64_t received_usec;		/* when the stop trigger fired */
	sd_event_source *timer;		/* HoldSec */
};

struct camera {
	struct manager *manager;
	const struct camera_config *config;
	char *path;			/* D-Bus object path */
	sd_bus_slot *slot;

	enum camera_state state;
	struct capture *capture;
	struct ring ring;
	sd_event_source *retry;		/* reopen while offline */
	char *format;			/* "NV12 1920x1080 30fps" */
	unsigned int period_usec;

	struct gpio_lines *gpio;
	sd_event_source *settle;	/* van stop: SettleMs */
	unsigned int flash_refs;

	struct pending queue[CAMERA_QUEUE_MAX];
	unsigned int n_queue;
	sd_event_source *deadline;	/* no frame for the oldest request */
	struct ratelimit rate;		/* RateLimitBurst= per interval */
	struct ratelimit skip_log;	/* rate-limited skips' log lines */

	struct hold hold;

	uint64_t frames_received, frames_dropped;
	uint64_t photos_captured, photos_skipped;
	char last_photo_id[PHOTO_ID_LEN + 1];
	double last_sharpness;
	uint64_t last_latency_usec;
	char *last_error;
	sd_event_source *counters;	/* FramesReceived changes, 1 Hz */
	sd_event_source *emit_changed;	/* PropertiesChanged, coalesced */
	unsigned int changed;		/* bus.c's mask of changed properties */
};

int camera_new(struct manager *m, const struct camera_config *cfg,
	       struct camera **ret);
struct camera *camera_free(struct camera *c);

/* Opens the device and GPIO lines now, or keeps retrying while offline. */
void camera_start(struct camera *c);

const char *camera_state_to_string(enum camera_state s);

/*
 * A checked request for this camera (Delivered, Trigger(), GPIO). Privacy
 * is the caller's: only requests that may be photographed come here.
 * Queues it, or skips it (PhotoSkipped, and an error reply to call).
 */
void camera_submit(struct camera *c, const struct request *req,
		   sd_bus_message *call);

/*
 * A Delivered or Trigger() that must not be photographed (privacy, or an
 * invalid request): destroys a held van-stop photo for privacy reasons,
 * emits PhotoSkipped with reason and answers call with an error.
 */
void camera_refuse(struct camera *c, const struct request *req,
		   enum skip_reason reason, sd_bus_message *call);

/* Camera.TestShot(): replies to call. */
int camera_test_shot(struct camera *c, sd_bus_message *call,
		     sd_bus_error *error);

#endif
