/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames for the image-path unit tests: the test scene in a new frame, a
 * copy with padded rows, an encode whose JPEG outlives the next one.
 */
#ifndef PODCAM_TEST_FRAMES_H
#define PODCAM_TEST_FRAMES_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "yuv.h"

static inline void frame_freep(struct frame_view *f)
{
	free(f->data);
}

#define _cleanup_frame_ __attribute__((cleanup(frame_freep)))

/* A packed frame with the test scene drawn with seed. */
static inline int scene(uint32_t fourcc, unsigned int w, unsigned int h,
			unsigned int seed, struct frame_view *ret)
{
	int r = frame_new_packed(fourcc, w, h, ret);

	return r < 0 ? r : frame_draw_scene(ret, seed);
}

/* A copy of f whose rows are pad bytes longer, the padding set to fill. */
static inline int frame_padded_copy(const struct frame_view *f,
				    unsigned int pad, uint8_t fill,
				    struct frame_view *ret)
{
	unsigned int rows = f->bytesused / f->bytesperline;
	struct frame_view p = *f;

	p.bytesperline = f->bytesperline + pad;
	p.bytesused = (size_t)p.bytesperline * rows;
	p.data = malloc(p.bytesused);
	if (!p.data)
		return -ENOMEM;
	memset(p.data, fill, p.bytesused);
	for (unsigned int y = 0; y < rows; y++)
		memcpy(p.data + (size_t)y * p.bytesperline,
		       f->data + (size_t)y * f->bytesperline, f->bytesperline);
	*ret = p;
	return 0;
}

/* encoder_encode() into a buffer of our own (free() it). */
static inline int encode_copy(struct encoder *e, const struct frame_view *f,
			      const struct encode_params *p, uint8_t **ret,
			      size_t *ret_size)
{
	const uint8_t *jpeg;
	size_t size;
	int r;

	r = encoder_encode(e, f, p, &jpeg, &size);
	if (r < 0)
		return r;
	*ret = malloc(size);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, jpeg, size);
	*ret_size = size;
	return 0;
}

#endif
