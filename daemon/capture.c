// SPDX-License-Identifier: GPL-2.0
/* Picks the capture backend a camera is configured for. */

#include <sys/stat.h>

#include "capture.h"
#include "util.h"

/*
 * Backend=auto: V4L2 when Device= streams NV12 or YUYV itself; libcamera
 * when Device= does not exist, or when V4L2 cannot give those formats
 * there (a raw sensor's or an ISP's node, which only libcamera's pipeline
 * handlers drive).
 */
static int open_auto(const struct camera_config *cfg, sd_event *event,
		     const struct capture_callbacks *cb, void *userdata,
		     struct capture **ret, char **ret_error)
{
	_cleanup_free_ char *v4l2_error = NULL, *error = NULL;
	struct stat st;
	int r;

	if (stat(cfg->device, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		v4l2_error = strdup_printf("%s does not exist", cfg->device);
	} else {
		r = capture_v4l2_ops.open(cfg, event, cb, userdata, ret,
					  &v4l2_error);
		if (r != -EMEDIUMTYPE) {
			if (r < 0 && ret_error)
				*ret_error = TAKE_PTR(v4l2_error);
			return r;
		}
	}

	r = capture_libcamera_ops.open(cfg, event, cb, userdata, ret, &error);
	if (r < 0 && ret_error)
		*ret_error = strdup_printf("%s, and %s", strempty(v4l2_error),
					   strempty(error));
	return r;
}

int capture_open(const struct camera_config *cfg, sd_event *event,
		 const struct capture_callbacks *cb, void *userdata,
		 struct capture **ret, char **ret_error)
{
	switch (cfg->backend) {
	case CAPTURE_BACKEND_V4L2:
		return capture_v4l2_ops.open(cfg, event, cb, userdata, ret,
					     ret_error);
	case CAPTURE_BACKEND_LIBCAMERA:
		return capture_libcamera_ops.open(cfg, event, cb, userdata,
						  ret, ret_error);
	case CAPTURE_BACKEND_AUTO:
		return open_auto(cfg, event, cb, userdata, ret, ret_error);
	default:
		if (ret_error)
			*ret_error = strdup_printf("unknown capture backend");
		return -EOPNOTSUPP;
	}
}
