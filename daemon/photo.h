/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What podcamd knows about one photo: it fills this in on capture, exif.c
 * stamps it into the JPEG and spool.c writes it as meta.json.
 */
#ifndef PODCAM_PHOTO_H
#define PODCAM_PHOTO_H

#include <stdbool.h>
#include <stdint.h>

#include "spool-layout.h"

#define TRACKING_ID_MAX 64
#define STOP_ID_MAX 64

struct gps_fix {
	double latitude;	/* degrees, -90..90 */
	double longitude;	/* degrees, -180..180 */
	double accuracy_m;	/* metres; negative when unknown */
};

struct photo_meta {
	char photo_id[PHOTO_ID_LEN + 1];
	char tracking_id[TRACKING_ID_MAX + 1];	/* empty for a doorbell press */
	const char *device_id;
	const char *camera;			/* the role */
	const char *trigger;	/* "delivered", "method", "gpio" or "stop" */
	uint64_t captured_usec;		/* the frame's CLOCK_REALTIME time */
	long utc_offset_sec;		/* local offset at capture, for EXIF */
	uint32_t frame_sequence;
	uint64_t trigger_latency_usec;
	double sharpness;
	unsigned int width, height;
	bool has_gps;
	struct gps_fix gps;
	char stop_id[STOP_ID_MAX + 1];		/* empty when not given */
	const char *make, *model;		/* EXIF Make and Model */
};

#endif
