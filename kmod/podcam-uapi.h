/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * podcam: private V4L2 controls, for userspace and the driver.
 *
 * The ids live in the driver-private part of the user class, the region
 * vivid uses (V4L2_CID_USER_BASE | 0xf000); only podcam's video nodes
 * (driver name "podcam") have them.
 */
#ifndef _PODCAM_UAPI_H
#define _PODCAM_UAPI_H

#include <linux/videodev2.h>

#define PODCAM_CID_BASE			(V4L2_CID_USER_BASE | 0xf000)

/*
 * "Motion Blur": integer 0..PODCAM_MOTION_BLUR_MAX, 0 is sharp. Every
 * pixel becomes the mean of 2 * value + 1 pixels along the diagonal
 * through it, as if the camera shook down and to the right.
 */
#define PODCAM_CID_MOTION_BLUR		(PODCAM_CID_BASE + 0)
#define PODCAM_MOTION_BLUR_MAX		32

/*
 * "Frames Dropped": 64-bit integer, read-only and volatile. Frame periods
 * since the last VIDIOC_STREAMON that produced no buffer, because none
 * was queued or because the frame work fell behind.
 */
#define PODCAM_CID_FRAMES_DROPPED	(PODCAM_CID_BASE + 1)

/* The flash is the standard V4L2_CID_ILLUMINATORS_1 (boolean). */

#endif /* _PODCAM_UAPI_H */
