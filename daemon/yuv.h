/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames as the capture backends hand them over, and the views the image
 * path takes of them (docs/image-path.md).
 *
 * A struct frame_view describes one captured frame in place: the capture
 * code fills it from a dequeued V4L2 mmap buffer (or a mapped libcamera
 * FrameBuffer) without copying anything:
 *
 *	struct frame_view f = {
 *		.data = ring->maps[buf.index],
 *		.bytesused = buf.bytesused,
 *		.pixelformat = fmt.fmt.pix.pixelformat,
 *		.width = fmt.fmt.pix.width,
 *		.height = fmt.fmt.pix.height,
 *		.bytesperline = fmt.fmt.pix.bytesperline,
 *	};
 *
 * Supported layouts (single memory plane, rows bytesperline apart):
 *	V4L2_PIX_FMT_NV12	Y rows, then interleaved CbCr rows at half
 *				height with the same bytesperline; width and
 *				height even
 *	V4L2_PIX_FMT_YUYV	packed 4:2:2 Y0 Cb Y1 Cr; width even
 *	V4L2_PIX_FMT_RGB24	R G B bytes (libcamera BGR888)
 *	V4L2_PIX_FMT_BGR24	B G R bytes (libcamera RGB888)
 *	V4L2_PIX_FMT_XBGR32	B G R X bytes (libcamera XRGB8888)
 * libcamera names formats by DRM fourcc; frame_fourcc_from_drm() maps them.
 *
 * The pixels belong to the caller. Only privacy masking writes to them
 * (see planes_mask() and frame_mask_rgb()), so the buffer must be mapped
 * writable when masks are configured.
 */
#ifndef PODCAM_YUV_H
#define PODCAM_YUV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* Larger frames are refused; keeps every size computation far from overflow. */
#define FRAME_MAX_WIDTH 8192
#define FRAME_MAX_HEIGHT 8192
#define FRAME_MAX_BYTESPERLINE (4 * FRAME_MAX_WIDTH + 4096)

/* Black for privacy masks: limited-range black, neutral chroma. */
#define MASK_Y 16
#define MASK_C 128

struct frame_view {
	uint8_t *data;			/* first byte of the (first) plane */
	size_t bytesused;		/* valid bytes from data on */
	uint32_t pixelformat;		/* V4L2_PIX_FMT_* fourcc */
	unsigned int width, height;	/* pixels */
	unsigned int bytesperline;	/* bytes from one row to the next */
};

/*
 * Checks that f describes a frame this code can read without going out of
 * bounds. Returns 0, -EOPNOTSUPP for an unknown fourcc, -EINVAL for a bad
 * geometry (zero or too large size, odd width or height where the format
 * subsamples, bytesperline shorter than a row) and -EBADMSG when bytesused
 * is shorter than the claimed size needs.
 */
int frame_check(const struct frame_view *f);

/*
 * Allocates a tightly packed frame (bytesperline = the bytes of a row) of
 * this format and size, zeroed, for those who make frames: the warm-up
 * encode, tests and benchmarks. free() ret->data. Returns 0, the errors
 * of frame_check() or -ENOMEM.
 */
int frame_new_packed(uint32_t pixelformat, unsigned int width,
		     unsigned int height, struct frame_view *ret);

/* Whether the format is one of the packed RGB ones (encoded from RGB). */
bool frame_is_rgb(uint32_t pixelformat);

/* The V4L2 fourcc with the same memory layout as a DRM one, or 0. */
uint32_t frame_fourcc_from_drm(uint32_t drm_fourcc);

/*
 * Draws a deterministic, natural-looking test scene into f (smooth colour
 * gradients, a textured doorstep, a parcel with sharp edges, a little
 * noise); seed shifts it. The same seed gives the same picture in every
 * format (the same Y and CbCr samples for NV12 and YUYV). For the warm-up
 * encode, tests and benchmarks. Returns 0 or the errors of frame_check(),
 * or -ENOMEM.
 */
int frame_draw_scene(const struct frame_view *f, unsigned int seed);

enum chroma_subsampling {
	CHROMA_420,	/* Cb, Cr at half width and half height */
	CHROMA_422,	/* Cb, Cr at half width, full height */
};

/*
 * A planar Y'CbCr view of a frame, as tjCompressFromYUVPlanes() takes it.
 * plane[0] may point into the frame itself (NV12) or into scratch memory.
 */
struct yuv_planes {
	uint8_t *plane[3];		/* Y, Cb, Cr */
	unsigned int stride[3];		/* bytes per row of each plane */
	unsigned int width, height;	/* of the Y plane, in pixels */
	enum chroma_subsampling subsampling;
};

/* Scratch bytes frame_split_planes() needs; 0 for RGB or unknown formats. */
size_t planes_scratch_size(uint32_t pixelformat, unsigned int width,
			   unsigned int height);

/*
 * Makes a planar view of a YUV frame. NV12: Y stays where it is (pointer
 * and bytesperline, no copy), CbCr is de-interleaved into scratch. YUYV:
 * split into planar 4:2:2 in scratch. The frame is only read. Returns 0,
 * the errors of frame_check(), -EOPNOTSUPP for RGB formats and -ENOBUFS
 * when scratch_size is below planes_scratch_size().
 */
int frame_split_planes(const struct frame_view *f, uint8_t *scratch,
		       size_t scratch_size, struct yuv_planes *ret);

/*
 * Blacks out the masks (Y=16, Cb=Cr=128). Each rectangle is clipped to the
 * picture; chroma samples that cover any masked pixel are blacked out too
 * (rounded outward), so no colour of the masked area survives. Writes the
 * planes in place: for NV12 that is the frame's own Y plane.
 */
void planes_mask(const struct yuv_planes *p, const struct mask_rect *masks,
		 unsigned int n_masks);

/*
 * The same for a packed RGB frame, in place: masked pixels become
 * (16, 16, 16), which is Y=16, Cb=Cr=128 after TurboJPEG's conversion.
 * Returns 0 or the errors of frame_check(), -EOPNOTSUPP for YUV formats.
 */
int frame_mask_rgb(const struct frame_view *f, const struct mask_rect *masks,
		   unsigned int n_masks);

#endif
