// SPDX-License-Identifier: GPL-2.0
/*
 * The libcamera backend's choices from what a camera offers, in C and
 * without libcamera so that unit tests can check them (capture-libcamera.h).
 */

#include <limits.h>
#include <linux/videodev2.h>

#include "capture-libcamera.h"
#include "util.h"
#include "yuv.h"

/* DRM fourccs are built like V4L2's: four characters, little-endian. */
#define DRM_NV12 v4l2_fourcc('N', 'V', '1', '2')
#define DRM_YUYV v4l2_fourcc('Y', 'U', 'Y', 'V')
#define DRM_BGR888 v4l2_fourcc('B', 'G', '2', '4')
#define DRM_RGB888 v4l2_fourcc('R', 'G', '2', '4')
#define DRM_XRGB8888 v4l2_fourcc('X', 'R', '2', '4')

uint32_t capture_libcamera_pick_format(const uint32_t *offered, size_t n,
				       uint32_t want)
{
	const uint32_t order[] = {
		want,
		want == DRM_YUYV ? DRM_NV12 : DRM_YUYV,
		DRM_BGR888,
		DRM_RGB888,
		DRM_XRGB8888,
	};

	for (size_t k = 0; k < ELEMENTSOF(order); k++) {
		if (!frame_fourcc_from_drm(order[k]))
			continue;
		for (size_t i = 0; i < n; i++)
			if (offered[i] == order[k])
				return order[k];
	}
	return 0;
}

int capture_libcamera_pick_size(const struct capture_size *sizes, size_t n,
				unsigned int max_width,
				unsigned int max_height)
{
	uint64_t best_area = 0;
	int best = -1;

	for (size_t i = 0; i < n && i < INT_MAX; i++) {
		uint64_t area = (uint64_t)sizes[i].width * sizes[i].height;

		if (sizes[i].width > max_width || sizes[i].height > max_height)
			continue;
		if (best < 0 || area > best_area) {
			best = (int)i;
			best_area = area;
		}
	}
	return best;
}
