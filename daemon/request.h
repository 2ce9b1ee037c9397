/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A capture request: a Delivered signal, a Trigger() call, a doorbell press
 * or a van stop, with the details of SPEC section 4 checked for type,
 * length and content before anything else looks at them.
 */
#ifndef PODCAM_REQUEST_H
#define PODCAM_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "photo.h"

#define ROLE_MAX 31
/* More detail entries than this make a request invalid. */
#define REQUEST_MAX_DETAILS 32

enum trigger_kind {
	TRIGGER_DELIVERED,
	TRIGGER_METHOD,
	TRIGGER_GPIO,
	TRIGGER_STOP,
};

enum skip_reason {
	SKIP_CONFIDENTIAL,
	SKIP_OPT_OUT,
	SKIP_INVALID_REQUEST,
	SKIP_RATE_LIMITED,
	SKIP_CAMERA_OFFLINE,
	SKIP_SPOOL_FULL,
	SKIP_NO_FRAME,
};

struct request {
	enum trigger_kind kind;
	/* Empty for gpio and stop; for an invalid request, what can be
	 * echoed back in PhotoSkipped (empty when too long). */
	char tracking_id[TRACKING_ID_MAX + 1];
	bool confidential;
	bool opt_out;
	bool has_gps;
	struct gps_fix gps;
	char camera[ROLE_MAX + 1];	/* empty: the default cameras */
	char stop_id[STOP_ID_MAX + 1];	/* empty: none */
	uint64_t received_usec;		/* CLOCK_MONOTONIC */
};

const char *trigger_kind_to_string(enum trigger_kind k);
const char *skip_reason_to_string(enum skip_reason r);

/*
 * Reads a tracking id and an a{sv} of details from m (its next two
 * arguments) into *ret, which the caller has initialised (kind and
 * received_usec). Returns 0, or -EINVAL with a message in *ret_error for a
 * request SPEC refuses: wrong types, a bad tracking id, a known detail of
 * the wrong type or out of range, half a GPS fix, too many details.
 * ret->tracking_id is filled in as far as it can be echoed back even then.
 */
int request_parse(sd_bus_message *m, struct request *ret,
		  const char **ret_error);

#endif
