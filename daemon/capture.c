// SPDX-License-Identifier: GPL-2.0
/* Picks the capture backend a camera is configured for. */

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "capture.h"
#include "util.h"

/*
 * The libcamera backend is a plugin, capture-libcamera.so in
 * PODCAM_PLUGIN_DIR (PODCAM_LIBCAMERA_PLUGIN names another one, for the
 * tests): a podcamd with V4L2 cameras only never maps libcamera, libstdc++
 * and what they pull in (gnutls, lttng-ust; about 5 MiB resident, and
 * their constructors at every start). Loaded at the first camera that
 * needs it and kept: libcamera's CameraManager lives as long as podcamd.
 */
static int libcamera_ops(const struct capture_ops **ret, char **ret_error)
{
	static const struct capture_ops *ops;
	const char *path;
	void *dl;

	if (ops) {
		*ret = ops;
		return 0;
	}
	path = secure_getenv("PODCAM_LIBCAMERA_PLUGIN");
	if (!path || !*path)
		path = PODCAM_PLUGIN_DIR "/capture-libcamera.so";
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		if (ret_error)
			*ret_error = strdup_printf(
				"cannot load the libcamera backend: %s",
				dlerror());
		return -ELIBACC;
	}
	ops = dlsym(dl, "capture_libcamera_ops");
	if (!ops) {
		if (ret_error)
			*ret_error = strdup_printf(
				"%s is not podcam's libcamera backend", path);
		dlclose(dl);
		return -ELIBBAD;
	}
	*ret = ops;
	return 0;
}

static int open_libcamera(const struct camera_config *cfg, sd_event *event,
			  const struct capture_callbacks *cb, void *userdata,
			  struct capture **ret, char **ret_error)
{
	const struct capture_ops *ops;
	int r;

	r = libcamera_ops(&ops, ret_error);
	if (r < 0)
		return r;
	return ops->open(cfg, event, cb, userdata, ret, ret_error);
}

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

	r = open_libcamera(cfg, event, cb, userdata, ret, &error);
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
		return open_libcamera(cfg, event, cb, userdata, ret,
				      ret_error);
	case CAPTURE_BACKEND_AUTO:
		return open_auto(cfg, event, cb, userdata, ret, ret_error);
	default:
		if (ret_error)
			*ret_error = strdup_printf("unknown capture backend");
		return -EOPNOTSUPP;
	}
}
