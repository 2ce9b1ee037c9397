// SPDX-License-Identifier: GPL-2.0
/* Picks the capture backend a camera is configured for. */

#include "capture.h"
#include "util.h"

int capture_open(const struct camera_config *cfg, sd_event *event,
		 const struct capture_callbacks *cb, void *userdata,
		 struct capture **ret, char **ret_error)
{
	switch (cfg->backend) {
	case CAPTURE_BACKEND_V4L2:
	case CAPTURE_BACKEND_AUTO:
		return capture_v4l2_ops.open(cfg, event, cb, userdata, ret,
					     ret_error);
	default:
		*ret_error = strdup_printf("capture backend not available");
		return -EOPNOTSUPP;
	}
}
