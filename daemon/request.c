// SPDX-License-Identifier: GPL-2.0
/* Parsing and checking of Delivered and Trigger() arguments. */

#include <math.h>

#include "id.h"
#include "request.h"
#include "util.h"

const char *trigger_kind_to_string(enum trigger_kind k)
{
	static const char *const names[] = {
		[TRIGGER_DELIVERED] = "delivered",
		[TRIGGER_METHOD] = "method",
		[TRIGGER_GPIO] = "gpio",
		[TRIGGER_STOP] = "stop",
	};

	return (unsigned int)k < ELEMENTSOF(names) ? names[k] : "unknown";
}

const char *skip_reason_to_string(enum skip_reason r)
{
	static const char *const names[] = {
		[SKIP_CONFIDENTIAL] = "confidential",
		[SKIP_OPT_OUT] = "opt-out",
		[SKIP_INVALID_REQUEST] = "invalid-request",
		[SKIP_RATE_LIMITED] = "rate-limited",
		[SKIP_CAMERA_OFFLINE] = "camera-offline",
		[SKIP_SPOOL_FULL] = "spool-full",
		[SKIP_NO_FRAME] = "no-frame",
	};

	return (unsigned int)r < ELEMENTSOF(names) ? names[r] : "unknown";
}

/* Reads the variant's value if it has exactly the signature sig. */
static int read_variant(sd_bus_message *m, const char *sig, void *value)
{
	int r;

	r = sd_bus_message_enter_container(m, 'v', sig);
	if (r < 0)
		return -EINVAL;	/* another type inside */
	r = sd_bus_message_read_basic(m, sig[0], value);
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int copy_id(char *dst, size_t size, const char *src)
{
	if (strlen(src) >= size)
		return -EINVAL;
	strcpy(dst, src);
	return 0;
}

/* One known detail; returns 0, 1 when key is unknown, or -EINVAL. */
static int parse_detail(sd_bus_message *m, const char *key,
			struct request *req, bool *lat, bool *lon,
			const char **ret_error)
{
	const char *s;
	double d;
	int b, r;

	if (streq(key, "confidential") || streq(key, "photo_opt_out")) {
		r = read_variant(m, "b", &b);
		if (r < 0) {
			*ret_error = "privacy flags must be booleans (b)";
			return -EINVAL;
		}
		if (key[0] == 'c')
			req->confidential = b;
		else
			req->opt_out = b;
		return 0;
	}
	if (streq(key, "latitude") || streq(key, "longitude") ||
	    streq(key, "accuracy_m")) {
		r = read_variant(m, "d", &d);
		if (r < 0) {
			*ret_error = "latitude, longitude and accuracy_m must be doubles (d)";
			return -EINVAL;
		}
		if (key[1] == 'a' && isfinite(d) && fabs(d) <= 90) {
			req->gps.latitude = d;
			*lat = true;
		} else if (key[1] == 'o' && isfinite(d) && fabs(d) <= 180) {
			req->gps.longitude = d;
			*lon = true;
		} else if (key[0] == 'a' && isfinite(d) && d >= 0) {
			req->gps.accuracy_m = d;
		} else {
			*ret_error = "GPS detail out of range";
			return -EINVAL;
		}
		return 0;
	}
	if (streq(key, "camera") || streq(key, "stop_id")) {
		r = read_variant(m, "s", &s);
		if (r < 0) {
			*ret_error = "camera and stop_id must be strings (s)";
			return -EINVAL;
		}
		/* A role or stop id obeys the tracking id's rules. */
		if (!tracking_id_is_valid(s) ||
		    (key[0] == 'c' ?
			     copy_id(req->camera, sizeof(req->camera), s) :
			     copy_id(req->stop_id, sizeof(req->stop_id), s)) < 0) {
			*ret_error = "invalid camera or stop_id";
			return -EINVAL;
		}
		return 0;
	}
	return 1;
}

int request_parse(sd_bus_message *m, struct request *ret,
		  const char **ret_error)
{
	const char *id, *key;
	bool lat = false, lon = false;
	unsigned int n = 0;
	int r;

	ret->tracking_id[0] = '\0';
	ret->gps.accuracy_m = -1;

	r = sd_bus_message_read_basic(m, 's', &id);
	if (r <= 0) {
		*ret_error = "the first argument must be the tracking id (s)";
		return -EINVAL;
	}
	if (strlen(id) <= TRACKING_ID_MAX)
		strcpy(ret->tracking_id, id);
	if (!tracking_id_is_valid(id)) {
		*ret_error = "invalid tracking id";
		return -EINVAL;
	}

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r <= 0) {
		*ret_error = "the second argument must be the details (a{sv})";
		return -EINVAL;
	}
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if (++n > REQUEST_MAX_DETAILS) {
			*ret_error = "too many details";
			return -EINVAL;
		}
		r = sd_bus_message_read_basic(m, 's', &key);
		if (r < 0)
			return -EINVAL;
		r = parse_detail(m, key, ret, &lat, &lon, ret_error);
		if (r < 0)
			return r;
		if (r > 0 && sd_bus_message_skip(m, "v") < 0)
			return -EINVAL;	/* unknown keys are ignored */
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return -EINVAL;
	}
	if (r < 0 || sd_bus_message_exit_container(m) < 0) {
		*ret_error = "malformed details";
		return -EINVAL;
	}
	if (lat != lon) {
		*ret_error = "a GPS fix needs both latitude and longitude";
		return -EINVAL;
	}
	ret->has_gps = lat && lon;
	if (!ret->has_gps)
		ret->gps.accuracy_m = -1;
	return 0;
}
