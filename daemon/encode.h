/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JPEG encoding of captured frames with TurboJPEG (docs/image-path.md).
 *
 * One encoder serves every camera of the daemon from its one event loop:
 * one long-lived tjhandle, an output buffer and scratch planes allocated
 * once for the largest configured size, and a warm-up encode at setup, so
 * that encoding a photo allocates nothing but its small EXIF block.
 *
 *	_cleanup_(encoder_freep) struct encoder *enc = NULL;
 *	r = encoder_new(1920, 1080, &enc);
 *	...
 *	struct encode_params p = {
 *		.quality = cam->quality,
 *		.masks = cam->masks, .n_masks = cam->n_masks,
 *		.meta = &meta,
 *	};
 *	r = encoder_encode(enc, &frame, &p, &jpeg, &jpeg_size);
 *	if (r < 0)
 *		return log_error_errno(r, "Failed to encode photo: %m %s",
 *				       strempty(encoder_error_message(enc)));
 *	... write jpeg, jpeg_size to the spool before the next encode ...
 *
 * YUV frames are compressed straight from their planes
 * (tjCompressFromYUVPlanes): NV12 as 4:2:0 with its Y plane used in place
 * and its CbCr de-interleaved into scratch; YUYV split into planar 4:2:2.
 * Never through RGB. Packed RGB frames (libcamera) are compressed from RGB
 * as 4:2:0 (tjCompress2). With photo metadata, the JPEG starts with SOI and
 * an EXIF APP1 segment (exif.h) in place of TurboJPEG's JFIF APP0: the
 * JPEG is compressed at an offset in the output buffer and SOI + APP1 are
 * written in front of it, so nothing is copied but the EXIF block itself.
 */
#ifndef PODCAM_ENCODE_H
#define PODCAM_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "photo.h"
#include "yuv.h"

struct encoder;

struct encode_params {
	int quality;			/* 1..100 */
	const struct mask_rect *masks;	/* privacy masks, frame pixels */
	unsigned int n_masks;
	const struct photo_meta *meta;	/* EXIF from this; NULL: no EXIF */
};

/*
 * A new encoder for frames of up to max_width x max_height (2..8192) in
 * any supported format, warmed up with one NV12 encode at that size.
 * Returns 0, -EINVAL, -ENOMEM, or -EIO when TurboJPEG fails to set up.
 */
int encoder_new(unsigned int max_width, unsigned int max_height,
		struct encoder **ret);
struct encoder *encoder_free(struct encoder *e);

static inline void encoder_freep(struct encoder **e)
{
	encoder_free(*e);
}

/*
 * One more warm-up encode, of a test scene in a camera's own format and
 * size (encoder_new() warms up NV12 at the largest size). Optional; the
 * errors of encoder_encode() and -ENOMEM.
 */
int encoder_warm_up(struct encoder *e, uint32_t pixelformat,
		    unsigned int width, unsigned int height);

/*
 * Encodes f into a complete JPEG file in *ret_jpeg, *ret_size bytes. The
 * result lives in the encoder's buffer and stays valid until the next
 * encoder_encode(), encoder_warm_up() or encoder_free(): write it out (or
 * copy it) before encoding the next photo.
 *
 * Masks are blacked out first; that writes into the frame's pixels for
 * NV12 (its Y plane) and RGB frames, never for YUYV. A frame may be
 * encoded any number of times with the same masks and gives the same
 * picture each time. p->meta, when given, must have the frame's width and
 * height.
 *
 * Returns 0 or negative errno, with *ret_jpeg and *ret_size untouched:
 *	-EINVAL, -EOPNOTSUPP, -EBADMSG	the frame (see frame_check()), a
 *					quality out of range, masks missing
 *					or metadata that does not fit
 *	-E2BIG				a frame larger than the encoder's
 *	-EIO				TurboJPEG failed: see
 *					encoder_error_message()
 *	-ENOMEM				out of memory building EXIF
 */
int encoder_encode(struct encoder *e, const struct frame_view *f,
		   const struct encode_params *p, const uint8_t **ret_jpeg,
		   size_t *ret_size);

/*
 * TurboJPEG's own message when the last encoder_encode() failed inside
 * TurboJPEG (-EIO), for the caller to log; NULL otherwise.
 */
const char *encoder_error_message(struct encoder *e);

#endif
