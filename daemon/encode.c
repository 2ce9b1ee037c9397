// SPDX-License-Identifier: GPL-2.0
/*
 * TurboJPEG encoding from YUV planes, with privacy masks and EXIF (see
 * encode.h).
 */
#include <errno.h>
#include <linux/videodev2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <turbojpeg.h>

#include "encode.h"
#include "exif.h"
#include "util.h"

/* Room in front of the JPEG for SOI, the APP1 marker, its length, EXIF. */
#define EXIF_ROOM (2 + 2 + 2 + EXIF_PAYLOAD_MAX)

struct encoder {
	tjhandle tj;
	unsigned int max_width, max_height;
	uint8_t *out; /* EXIF_ROOM, then TurboJPEG's output */
	size_t out_size;
	uint8_t *scratch; /* chroma (NV12) or all planes (YUYV) */
	size_t scratch_size;
	bool tj_failed; /* the last error came from TurboJPEG */
};

/*
 * The output and scratch buffers are sized for the worst case (8 MiB for
 * a 1080p JPEG) and mostly never touched: mapped on their own, without
 * transparent huge pages, so that only the pages an encode writes become
 * resident, not 2 MiB at a time (docs/podcamd.md, "Measured against
 * SPEC section 9").
 */
static uint8_t *buffer_new(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, size, MADV_NOHUGEPAGE);
	return p;
}

static void buffer_free(uint8_t *p, size_t size)
{
	if (p)
		munmap(p, size);
}

struct encoder *encoder_free(struct encoder *e)
{
	if (!e)
		return NULL;
	if (e->tj)
		tjDestroy(e->tj);
	buffer_free(e->out, e->out_size);
	buffer_free(e->scratch, e->scratch_size);
	free(e);
	return NULL;
}

int encoder_new(unsigned int max_width, unsigned int max_height,
		struct encoder **ret)
{
	_cleanup_(encoder_freep) struct encoder *e = NULL;
	unsigned long jpeg_max;
	int r;

	if (max_width < 2 || max_height < 2 || max_width > FRAME_MAX_WIDTH ||
	    max_height > FRAME_MAX_HEIGHT)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->max_width = max_width;
	e->max_height = max_height;

	e->tj = tjInitCompress();
	if (!e->tj)
		return -EIO;
	/* 4:2:2 needs the most room; 4:2:0 output is never larger. */
	jpeg_max = tjBufSize((int)max_width, (int)max_height, TJSAMP_422);
	if (jpeg_max == (unsigned long)-1)
		return -EINVAL;
	e->out_size = EXIF_ROOM + jpeg_max;
	e->out = buffer_new(e->out_size);
	e->scratch_size = MAX(
		planes_scratch_size(V4L2_PIX_FMT_YUYV, max_width, max_height),
		planes_scratch_size(V4L2_PIX_FMT_NV12, max_width, max_height));
	e->scratch = buffer_new(e->scratch_size);
	if (!e->out || !e->scratch)
		return -ENOMEM;

	r = encoder_warm_up(e, V4L2_PIX_FMT_NV12, max_width & ~1u,
			    max_height & ~1u);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(e);
	return 0;
}

int encoder_warm_up(struct encoder *e, uint32_t pixelformat, unsigned int width,
		    unsigned int height)
{
	struct photo_meta meta = {
		.photo_id = "00000000000000000000000000000000",
		.width = width,
		.height = height,
		.make = "podcam",
		.model = "warm-up",
	};
	struct encode_params p = { .quality = 85, .meta = &meta };
	struct frame_view f;
	const uint8_t *jpeg;
	size_t jpeg_size;
	int r;

	r = frame_new_packed(pixelformat, width, height, &f);
	if (r < 0)
		return r;
	r = frame_draw_scene(&f, 0);
	if (r >= 0)
		r = encoder_encode(e, &f, &p, &jpeg, &jpeg_size);
	free(f.data);
	return r;
}

static int compress_yuv(struct encoder *e, const struct frame_view *f,
			const struct encode_params *p, unsigned char **jpeg,
			unsigned long *jpeg_size)
{
	struct yuv_planes planes;
	int strides[3];
	int r;

	r = frame_split_planes(f, e->scratch, e->scratch_size, &planes);
	if (r < 0)
		return r;
	planes_mask(&planes, p->masks, p->n_masks);
	for (size_t i = 0; i < ELEMENTSOF(strides); i++)
		strides[i] = (int)planes.stride[i];

	if (tjCompressFromYUVPlanes(
		    e->tj, (const unsigned char **)planes.plane, (int)f->width,
		    strides, (int)f->height,
		    planes.subsampling == CHROMA_420 ? TJSAMP_420 : TJSAMP_422,
		    jpeg, jpeg_size, p->quality, TJFLAG_NOREALLOC) < 0) {
		e->tj_failed = true;
		return -EIO;
	}
	return 0;
}

static int tj_pixel_format(uint32_t pixelformat)
{
	switch (pixelformat) {
	case V4L2_PIX_FMT_RGB24:
		return TJPF_RGB;
	case V4L2_PIX_FMT_BGR24:
		return TJPF_BGR;
	case V4L2_PIX_FMT_XBGR32:
		return TJPF_BGRX;
	default:
		return TJPF_UNKNOWN;
	}
}

static int compress_rgb(struct encoder *e, const struct frame_view *f,
			const struct encode_params *p, unsigned char **jpeg,
			unsigned long *jpeg_size)
{
	int r;

	r = frame_mask_rgb(f, p->masks, p->n_masks);
	if (r < 0)
		return r;
	if (tjCompress2(e->tj, f->data, (int)f->width, (int)f->bytesperline,
			(int)f->height, tj_pixel_format(f->pixelformat), jpeg,
			jpeg_size, TJSAMP_420, p->quality,
			TJFLAG_NOREALLOC) < 0) {
		e->tj_failed = true;
		return -EIO;
	}
	return 0;
}

/*
 * Puts SOI and an APP1 segment with exif in front of the JPEG at jpeg,
 * dropping its SOI and JFIF APP0, within the room before it. Returns the
 * new start of the file.
 */
static int insert_app1(struct encoder *e, uint8_t *jpeg, size_t jpeg_size,
		       const uint8_t *exif, size_t exif_size,
		       uint8_t **ret_start)
{
	uint8_t *body = jpeg + 2, *start;

	if (jpeg_size < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
		return -EIO;
	if (jpeg_size >= 2 + 4 + 5 && body[0] == 0xff && body[1] == 0xe0 &&
	    memcmp(body + 4, "JFIF", 5) == 0) {
		size_t len = (size_t)body[2] << 8 | body[3];

		if (2 + 2 + len > jpeg_size)
			return -EIO;
		body += 2 + len;
	}
	if (exif_size > EXIF_PAYLOAD_MAX ||
	    (size_t)(body - e->out) < 2 + 2 + 2 + exif_size)
		return -ENOBUFS;

	start = body - (2 + 2 + 2 + exif_size);
	start[0] = 0xff; /* SOI */
	start[1] = 0xd8;
	start[2] = 0xff; /* APP1, its length counting itself */
	start[3] = 0xe1;
	start[4] = (uint8_t)((exif_size + 2) >> 8);
	start[5] = (uint8_t)(exif_size + 2);
	memcpy(start + 6, exif, exif_size);
	*ret_start = start;
	return 0;
}

static int encode_params_check(const struct encoder *e,
			       const struct frame_view *f,
			       const struct encode_params *p)
{
	int r;

	r = frame_check(f);
	if (r < 0)
		return r;
	if (f->width > e->max_width || f->height > e->max_height)
		return -E2BIG;
	if (!p || p->quality < 1 || p->quality > 100 ||
	    (p->n_masks > 0 && !p->masks))
		return -EINVAL;
	if (p->meta &&
	    (p->meta->width != f->width || p->meta->height != f->height))
		return -EINVAL;
	return 0;
}

int encoder_encode(struct encoder *e, const struct frame_view *f,
		   const struct encode_params *p, const uint8_t **ret_jpeg,
		   size_t *ret_size)
{
	_cleanup_free_ uint8_t *exif = NULL;
	size_t exif_size = 0;
	unsigned char *jpeg = e->out + EXIF_ROOM;
	unsigned long jpeg_size = e->out_size - EXIF_ROOM;
	uint8_t *start = jpeg;
	int r;

	e->tj_failed = false;
	r = encode_params_check(e, f, p);
	if (r < 0)
		return r;
	/* EXIF first: a bad photo id fails before any work is done. */
	if (p->meta) {
		r = exif_build(p->meta, &exif, &exif_size);
		if (r < 0)
			return r;
	}

	if (frame_is_rgb(f->pixelformat))
		r = compress_rgb(e, f, p, &jpeg, &jpeg_size);
	else
		r = compress_yuv(e, f, p, &jpeg, &jpeg_size);
	if (r < 0)
		return r;
	/* TJFLAG_NOREALLOC: TurboJPEG wrote into our buffer or failed. */
	if (jpeg != e->out + EXIF_ROOM || jpeg_size > e->out_size - EXIF_ROOM)
		return -EIO;

	if (exif) {
		r = insert_app1(e, jpeg, jpeg_size, exif, exif_size, &start);
		if (r < 0)
			return r;
	}
	*ret_jpeg = start;
	*ret_size = (size_t)(jpeg + jpeg_size - start);
	return 0;
}

const char *encoder_error_message(struct encoder *e)
{
	return e->tj_failed ? tjGetErrorStr2(e->tj) : NULL;
}
