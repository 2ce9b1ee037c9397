/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The choices the libcamera backend (capture-libcamera.cpp) makes from what
 * a camera offers, as plain C functions (capture-libcamera-pick.c) that
 * unit tests check without a camera. The backend itself is
 * capture_libcamera_ops in capture.h; docs/libcamera.md describes it.
 */
#ifndef PODCAM_CAPTURE_LIBCAMERA_H
#define PODCAM_CAPTURE_LIBCAMERA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct capture_size {
	unsigned int width, height;
};

/*
 * The pixel format to ask for among those a camera offers (DRM fourccs,
 * libcamera's names): want (Format=, NV12 or YUYV) when offered, else the
 * other of NV12 and YUYV, else the first of BGR888, RGB888 and XRGB8888
 * that is offered (encoded straight from RGB). 0 when none of them is.
 */
uint32_t capture_libcamera_pick_format(const uint32_t *offered, size_t n,
				       uint32_t want);

/*
 * The index of the largest of sizes (by area, the first of equals) that
 * fits within max_width x max_height, or -1 when none does.
 */
int capture_libcamera_pick_size(const struct capture_size *sizes, size_t n,
				unsigned int max_width,
				unsigned int max_height);

#ifdef __cplusplus
}
#endif

#endif
