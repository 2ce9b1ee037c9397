// SPDX-License-Identifier: GPL-2.0
/*
 * The libcamera backend without a camera: the format and size it picks
 * from what a camera offers, and the errors of opening a camera that is
 * not there (the host has no libcamera camera; tests/vm/libcamera.sh
 * streams from vimc).
 */

#include <limits.h>
#include <linux/videodev2.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture-libcamera.h"
#include "capture.h"
#include "tap.h"
#include "util.h"

#define DRM(a, b, c, d) v4l2_fourcc(a, b, c, d)
#define NV12 DRM('N', 'V', '1', '2')
#define YUYV DRM('Y', 'U', 'Y', 'V')
#define RGB888 DRM('R', 'G', '2', '4')
#define BGR888 DRM('B', 'G', '2', '4')
#define XRGB8888 DRM('X', 'R', '2', '4')
#define XBGR8888 DRM('X', 'B', '2', '4')
#define SGRBG10 DRM('B', 'A', '1', '0')
#define MJPEG DRM('M', 'J', 'P', 'G')

static uint32_t pick(uint32_t want, const uint32_t *offered, size_t n)
{
	return capture_libcamera_pick_format(offered, n, want);
}

TEST(format_configured_yuv_first)
{
	const uint32_t offered[] = { BGR888, YUYV, NV12 };

	CHECK_EQ_INT(pick(NV12, offered, 3), NV12);
	CHECK_EQ_INT(pick(YUYV, offered, 3), YUYV);
}

TEST(format_other_yuv_before_rgb)
{
	const uint32_t only_yuyv[] = { XRGB8888, YUYV };
	const uint32_t only_nv12[] = { RGB888, NV12 };

	CHECK_EQ_INT(pick(NV12, only_yuyv, 2), YUYV);
	CHECK_EQ_INT(pick(YUYV, only_nv12, 2), NV12);
}

TEST(format_rgb_when_no_yuv)
{
	/* vimc in libcamera 0.0.3 offers these two. */
	const uint32_t vimc[] = { RGB888, BGR888 };
	const uint32_t xrgb[] = { SGRBG10, XRGB8888 };

	CHECK_EQ_INT(pick(NV12, vimc, 2), BGR888);
	CHECK_EQ_INT(pick(NV12, vimc + 0, 1), RGB888);
	CHECK_EQ_INT(pick(YUYV, xrgb, 2), XRGB8888);
}

TEST(format_none_usable)
{
	/* A raw sensor without an ISP, a JPEG webcam, a layout that the
	 * encoder does not read: nothing to pick. */
	const uint32_t raw[] = { SGRBG10, MJPEG, XBGR8888 };

	CHECK_EQ_INT(pick(NV12, raw, 3), 0);
	CHECK_EQ_INT(pick(NV12, NULL, 0), 0);
}

TEST(size_largest_within)
{
	const struct capture_size sizes[] = {
		{ 640, 480 }, { 3280, 2464 }, { 1920, 1080 }, { 1640, 1232 },
	};

	CHECK_EQ_INT(capture_libcamera_pick_size(sizes, 4, 1920, 1080), 2);
	CHECK_EQ_INT(capture_libcamera_pick_size(sizes, 4, 1700, 1300), 3);
	CHECK_EQ_INT(capture_libcamera_pick_size(sizes, 4, 8192, 8192), 1);
	CHECK_EQ_INT(capture_libcamera_pick_size(sizes, 4, 1280, 720), 0);
}

TEST(size_none_within)
{
	const struct capture_size sizes[] = { { 640, 480 }, { 320, 480 } };
	const struct capture_size equal[] = { { 640, 480 }, { 480, 640 } };

	CHECK_EQ_INT(capture_libcamera_pick_size(sizes, 2, 300, 300), -1);
	CHECK_EQ_INT(capture_libcamera_pick_size(sizes, 0, 640, 480), -1);
	/* The first of equals. */
	CHECK_EQ_INT(capture_libcamera_pick_size(equal, 2, 640, 640), 0);
}

static void on_frame(void *userdata, const struct capture_frame *f)
{
}

static void on_lost(void *userdata, int error)
{
}

static const struct capture_callbacks callbacks = {
	.frame = on_frame,
	.lost = on_lost,
};

static struct camera_config config(enum capture_backend backend,
				   char *device, char *id)
{
	return (struct camera_config){
		.role = (char *)"test",
		.device = device,
		.backend = backend,
		.libcamera_id = id,
		.pixelformat = V4L2_PIX_FMT_NV12,
		.width = 640,
		.height = 480,
		.fps = 30,
		.buffers = 8,
	};
}

/*
 * The plugin next to the tests (build/capture-libcamera.so for
 * build/tests/test-capture-libcamera), unless the environment names one.
 */
static void use_built_plugin(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	REQUIRE(n > 0);
	exe[n] = 0;
	slash = strrchr(exe, '/');
	REQUIRE(slash);
	*slash = 0;
	snprintf(path, sizeof(path), "%s/../capture-libcamera.so", exe);
	setenv("PODCAM_LIBCAMERA_PLUGIN", path, 0);
}

/* Opens what cfg asks for, which must fail; returns the error. */
static int open_fails(const struct camera_config *cfg, char **ret_error)
{
	struct capture *c = NULL;
	sd_event *event = NULL;
	int r;

	use_built_plugin();
	if (sd_event_new(&event) < 0)
		return 0;
	r = capture_open(cfg, event, &callbacks, NULL, &c, ret_error);
	tap_diag("%s", strempty(*ret_error));
	if (c)
		r = 0;
	capture_close(c);
	sd_event_unref(event);
	return r;
}

TEST(open_unknown_id)
{
	struct camera_config cfg = config(CAPTURE_BACKEND_LIBCAMERA,
					  (char *)"/dev/null",
					  (char *)"no-such-camera");
	_cleanup_free_ char *error = NULL, *again = NULL;

	/* Offline (retried), with the id in the message. */
	CHECK_EQ_INT(open_fails(&cfg, &error), -ENODEV);
	CHECK(error && strstr(error, "libcamera has no camera 'no-such-camera'"));
	/* Again: through the same CameraManager (a second one would abort). */
	CHECK_EQ_INT(open_fails(&cfg, &again), -ENODEV);
	CHECK(again && strstr(again, "no-such-camera"));
}

TEST(auto_without_device_asks_libcamera)
{
	struct camera_config cfg = config(CAPTURE_BACKEND_AUTO,
					  (char *)"/nonexistent/video9",
					  (char *)"no-such-camera");
	_cleanup_free_ char *error = NULL;

	CHECK_EQ_INT(open_fails(&cfg, &error), -ENODEV);
	CHECK(error && strstr(error, "/nonexistent/video9 does not exist"));
	CHECK(error && strstr(error, "libcamera has no camera 'no-such-camera'"));
}

TEST(auto_on_a_non_video_device_stays_v4l2)
{
	/* /dev/null is there but no V4L2 device: V4L2's own error, not a
	 * silent switch to some libcamera camera. */
	struct camera_config cfg = config(CAPTURE_BACKEND_AUTO,
					  (char *)"/dev/null", NULL);
	_cleanup_free_ char *error = NULL;

	CHECK(open_fails(&cfg, &error) < 0);
	CHECK(error && strstr(error, "not a V4L2 device"));
	CHECK(error && !strstr(error, "libcamera"));
}

/*
 * Without the plugin (a V4L2-only install, a broken package): a clear
 * error, not a crash. In a child, because a loaded plugin stays loaded.
 */
TEST(missing_plugin)
{
	pid_t pid;
	int status;

	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct camera_config cfg = config(CAPTURE_BACKEND_LIBCAMERA,
						  (char *)"/dev/null", NULL);
		_cleanup_free_ char *error = NULL;
		int r;

		setenv("PODCAM_LIBCAMERA_PLUGIN", "/nonexistent/plugin.so", 1);
		r = open_fails(&cfg, &error);
		_exit(r == -ELIBACC && error &&
		      strstr(error, "cannot load the libcamera backend") &&
		      strstr(error, "/nonexistent/plugin.so") ? 0 : 1);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
