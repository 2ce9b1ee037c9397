// SPDX-License-Identifier: GPL-2.0
/*
 * Frame layouts, planar views and privacy masks (see yuv.h).
 */
#include <errno.h>
#include <linux/videodev2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "yuv.h"

struct format_info {
	uint32_t fourcc;
	unsigned int bytes_per_pixel; /* in the first plane */
	unsigned int hsub, vsub; /* width, height must be multiples */
	bool rgb;
	bool chroma_plane; /* NV12: CbCr rows after the Y rows */
};

static const struct format_info formats[] = {
	{ V4L2_PIX_FMT_NV12, 1, 2, 2, false, true },
	{ V4L2_PIX_FMT_YUYV, 2, 2, 1, false, false },
	{ V4L2_PIX_FMT_RGB24, 3, 1, 1, true, false },
	{ V4L2_PIX_FMT_BGR24, 3, 1, 1, true, false },
	{ V4L2_PIX_FMT_XBGR32, 4, 1, 1, true, false },
};

static const struct format_info *format_find(uint32_t fourcc)
{
	for (size_t i = 0; i < ELEMENTSOF(formats); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

/* Checks the geometry; on success returns the bytes the frame must span. */
static int frame_geometry(const struct format_info *fi, unsigned int width,
			  unsigned int height, unsigned int bytesperline,
			  size_t *ret_span)
{
	size_t row, rows;

	if (width == 0 || height == 0 || width > FRAME_MAX_WIDTH ||
	    height > FRAME_MAX_HEIGHT)
		return -EINVAL;
	if (width % fi->hsub || height % fi->vsub)
		return -EINVAL;
	row = (size_t)width * fi->bytes_per_pixel;
	if (bytesperline < row || bytesperline > FRAME_MAX_BYTESPERLINE)
		return -EINVAL;
	rows = height + (fi->chroma_plane ? height / 2 : 0);
	/* The last row need not carry its padding. */
	*ret_span = (size_t)bytesperline * (rows - 1) + row;
	return 0;
}

int frame_check(const struct frame_view *f)
{
	const struct format_info *fi;
	size_t span;
	int r;

	if (!f)
		return -EINVAL;
	fi = format_find(f->pixelformat);
	if (!fi)
		return -EOPNOTSUPP;
	r = frame_geometry(fi, f->width, f->height, f->bytesperline, &span);
	if (r < 0)
		return r;
	if (!f->data || f->bytesused < span)
		return -EBADMSG;
	return 0;
}

int frame_new_packed(uint32_t pixelformat, unsigned int width,
		     unsigned int height, struct frame_view *ret)
{
	const struct format_info *fi = format_find(pixelformat);
	struct frame_view f = {
		.pixelformat = pixelformat,
		.width = width,
		.height = height,
	};
	int r;

	if (!fi)
		return -EOPNOTSUPP;
	if (width > FRAME_MAX_WIDTH)
		return -EINVAL;
	f.bytesperline = width * fi->bytes_per_pixel;
	r = frame_geometry(fi, width, height, f.bytesperline, &f.bytesused);
	if (r < 0)
		return r;
	f.data = calloc(1, f.bytesused);
	if (!f.data)
		return -ENOMEM;
	*ret = f;
	return 0;
}

bool frame_is_rgb(uint32_t pixelformat)
{
	const struct format_info *fi = format_find(pixelformat);

	return fi && fi->rgb;
}

uint32_t frame_fourcc_from_drm(uint32_t drm_fourcc)
{
	/* DRM names packed RGB by a little-endian word, V4L2 by bytes. */
	switch (drm_fourcc) {
	case v4l2_fourcc('N', 'V', '1', '2'):
		return V4L2_PIX_FMT_NV12;
	case v4l2_fourcc('Y', 'U', 'Y', 'V'):
		return V4L2_PIX_FMT_YUYV;
	case v4l2_fourcc('R', 'G', '2', '4'): /* RGB888: B G R bytes */
		return V4L2_PIX_FMT_BGR24;
	case v4l2_fourcc('B', 'G', '2', '4'): /* BGR888: R G B bytes */
		return V4L2_PIX_FMT_RGB24;
	case v4l2_fourcc('X', 'R', '2', '4'): /* XRGB8888: B G R X bytes */
		return V4L2_PIX_FMT_XBGR32;
	default:
		return 0;
	}
}

/* The test scene. Integer where it is per pixel; tables for the texture. */
struct scene {
	unsigned int w, h, seed;
	int16_t *tx, *ty; /* doorstep texture terms per column, per row */
};

static uint8_t clamp_u8(int v, int lo, int hi)
{
	return (uint8_t)CLAMP(v, lo, hi);
}

static unsigned int hash3(unsigned int x, unsigned int y, unsigned int s)
{
	unsigned int h = x * 0x9e3779b1u ^ y * 0x85ebca77u ^ s * 0xc2b2ae3du;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

static bool scene_in_parcel(const struct scene *s, unsigned int x,
			    unsigned int y, unsigned int border)
{
	unsigned int x0 = s->w * 7 / 20 + s->seed % 16, x1 = s->w * 13 / 20;
	unsigned int y0 = s->h * 9 / 20, y1 = s->h * 17 / 20;

	return x + border >= x0 && x < x1 + border && y + border >= y0 &&
	       y < y1 + border;
}

static uint8_t scene_y(const struct scene *s, unsigned int x, unsigned int y)
{
	/* Light falling from the left and from above. */
	int v = 70 + (int)(90 * x / s->w) + (int)(40 * y / s->h);

	if (scene_in_parcel(s, x, y, 0)) {
		/* Cardboard, a strip of tape across it. */
		unsigned int mid = s->w / 2 + s->seed % 16;

		v = 150 - (int)(30 * y / s->h);
		if (x + 6 >= mid && x < mid + 6)
			v = 205;
	} else if (scene_in_parcel(s, x, y, 3)) {
		v = 45; /* its shadowed edge */
	} else if (y >= s->h * 2 / 5) {
		v += s->tx[x] + s->ty[y]; /* the doorstep */
		v += (s->tx[x] * s->ty[y]) / 16;
	} else {
		/* A brick wall: mortar every 16 rows, joints every 32 px. */
		unsigned int band = (y + s->seed) / 16;

		if ((y + s->seed) % 16 < 2 || (x + band * 16) % 32 < 2)
			v -= 50;
	}
	v += (int)(hash3(x, y, s->seed) & 7) - 3;
	return clamp_u8(v, 16, 235);
}

static void scene_c(const struct scene *s, unsigned int x, unsigned int y,
		    uint8_t *ret_cb, uint8_t *ret_cr)
{
	int cb = 128 + (int)(36 * x / s->w) - 18;
	int cr = 128 + (int)(30 * y / s->h) - 15;

	if (scene_in_parcel(s, x, y, 0)) {
		cb = 108; /* brown */
		cr = 146;
	} else if (y < s->h * 2 / 5) {
		cb -= 12; /* red bricks */
		cr += 22;
	}
	*ret_cb = clamp_u8(cb, 16, 240);
	*ret_cr = clamp_u8(cr, 16, 240);
}

/* BT.601 limited-range Y'CbCr to full-range RGB, integer. */
static void ycc_to_rgb(uint8_t y, uint8_t cb, uint8_t cr, uint8_t rgb[3])
{
	int c = 298 * (y - 16), d = cb - 128, e = cr - 128;

	rgb[0] = clamp_u8((c + 409 * e + 128) >> 8, 0, 255);
	rgb[1] = clamp_u8((c - 100 * d - 208 * e + 128) >> 8, 0, 255);
	rgb[2] = clamp_u8((c + 516 * d + 128) >> 8, 0, 255);
}

static void scene_draw_rgb_row(const struct scene *s,
			       const struct frame_view *f, uint8_t *row,
			       unsigned int y)
{
	unsigned int bpp = f->pixelformat == V4L2_PIX_FMT_XBGR32 ? 4 : 3;
	bool bgr = f->pixelformat != V4L2_PIX_FMT_RGB24;
	uint8_t cb, cr, rgb[3];

	for (unsigned int x = 0; x < f->width; x++, row += bpp) {
		scene_c(s, x, y, &cb, &cr);
		ycc_to_rgb(scene_y(s, x, y), cb, cr, rgb);
		row[0] = rgb[bgr ? 2 : 0];
		row[1] = rgb[1];
		row[2] = rgb[bgr ? 0 : 2];
		if (bpp == 4)
			row[3] = 0xff;
	}
}

static void scene_draw_yuyv_row(const struct scene *s, unsigned int width,
				uint8_t *row, unsigned int y)
{
	for (unsigned int x = 0; x < width; x += 2, row += 4) {
		row[0] = scene_y(s, x, y);
		row[2] = scene_y(s, x + 1, y);
		scene_c(s, x, y, &row[1], &row[3]);
	}
}

static void scene_draw_nv12(const struct scene *s, const struct frame_view *f)
{
	uint8_t *row = f->data;

	for (unsigned int y = 0; y < f->height; y++, row += f->bytesperline)
		for (unsigned int x = 0; x < f->width; x++)
			row[x] = scene_y(s, x, y);
	/* Chroma sample (x, y) stands for pixels 2x..2x+1, 2y..2y+1. */
	for (unsigned int y = 0; y < f->height / 2; y++, row += f->bytesperline)
		for (unsigned int x = 0; x < f->width / 2; x++)
			scene_c(s, 2 * x, 2 * y, &row[2 * x], &row[2 * x + 1]);
}

static void scene_draw(const struct scene *s, const struct frame_view *f)
{
	uint8_t *row = f->data;

	if (f->pixelformat == V4L2_PIX_FMT_NV12) {
		scene_draw_nv12(s, f);
		return;
	}
	for (unsigned int y = 0; y < f->height; y++, row += f->bytesperline) {
		if (f->pixelformat == V4L2_PIX_FMT_YUYV)
			scene_draw_yuyv_row(s, f->width, row, y);
		else
			scene_draw_rgb_row(s, f, row, y);
	}
}

int frame_draw_scene(const struct frame_view *f, unsigned int seed)
{
	_cleanup_free_ int16_t *tx = NULL, *ty = NULL;
	struct scene s;
	int r;

	r = frame_check(f);
	if (r < 0)
		return r;
	tx = malloc(f->width * sizeof(*tx));
	ty = malloc(f->height * sizeof(*ty));
	if (!tx || !ty)
		return -ENOMEM;
	/* Boards across the doorstep, with a fine grain along them. */
	for (unsigned int x = 0; x < f->width; x++)
		tx[x] = (int16_t)lrintf(16.0f * sinf((x + seed) * 0.83f) +
					6.0f * sinf(x * 0.21f));
	for (unsigned int y = 0; y < f->height; y++)
		ty[y] = (int16_t)lrintf(12.0f * sinf(y * 0.57f + seed) +
					((y / 24) % 2 ? 8.0f : -8.0f));
	s = (struct scene){ f->width, f->height, seed, tx, ty };
	scene_draw(&s, f);
	return 0;
}

size_t planes_scratch_size(uint32_t pixelformat, unsigned int width,
			   unsigned int height)
{
	size_t cw = width / 2;

	switch (pixelformat) {
	case V4L2_PIX_FMT_NV12:
		return 2 * cw * (height / 2);
	case V4L2_PIX_FMT_YUYV:
		return (size_t)width * height + 2 * cw * height;
	default:
		return 0;
	}
}

/*
 * The splits run once per photo over the whole chroma (NV12) or frame
 * (YUYV). Byte by byte they cost 3 to 10% of the encode (0.2 ms for 1080p
 * NV12, 0.9 ms for YUYV here), so on x86-64 they take 16 pixels at a time
 * with SSE2, which every x86-64 CPU has: mask or shift the 16-bit lanes,
 * then pack them back to bytes. Elsewhere, or with PODCAM_NO_SIMD (to test
 * that path), plain loops.
 */
#if defined(__SSE2__) && !defined(PODCAM_NO_SIMD)
#define SPLIT_SSE2 1
#include <emmintrin.h>

/* Bytes 0, 2, 4, ... and 1, 3, 5, ... of a then b. */
static inline void sse2_even_odd(__m128i a, __m128i b, __m128i *ret_even,
				 __m128i *ret_odd)
{
	__m128i low = _mm_set1_epi16(0x00ff);

	*ret_even =
		_mm_packus_epi16(_mm_and_si128(a, low), _mm_and_si128(b, low));
	*ret_odd = _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8));
}

static inline void sse2_deinterleave(const uint8_t *src, __m128i *ret_even,
				     __m128i *ret_odd)
{
	sse2_even_odd(_mm_loadu_si128((const __m128i *)src),
		      _mm_loadu_si128((const __m128i *)(src + 16)), ret_even,
		      ret_odd);
}
#else
#define SPLIT_SSE2 0
#endif

/* Cb Cr Cb Cr ... into Cb ... and Cr ..., n pairs. */
static void deinterleave_row(const uint8_t *uv, uint8_t *u, uint8_t *v,
			     unsigned int n)
{
	unsigned int x = 0;

#if SPLIT_SSE2
	for (; x + 16 <= n; x += 16) {
		__m128i cb, cr;

		sse2_deinterleave(uv + 2 * x, &cb, &cr);
		_mm_storeu_si128((__m128i *)(u + x), cb);
		_mm_storeu_si128((__m128i *)(v + x), cr);
	}
#endif
	for (; x < n; x++) {
		u[x] = uv[2 * x];
		v[x] = uv[2 * x + 1];
	}
}

/* Y0 Cb Y1 Cr ... into Y, Cb and Cr, n pixel pairs. */
static void split_yuyv_row(const uint8_t *src, uint8_t *y, uint8_t *u,
			   uint8_t *v, unsigned int n)
{
	unsigned int x = 0;

#if SPLIT_SSE2
	for (; x + 16 <= n; x += 16) {
		__m128i y0, y1, c0, c1, cb, cr;

		/* 32 pixels: Y and CbCr, then CbCr into Cb and Cr. */
		sse2_deinterleave(src + 4 * x, &y0, &c0);
		sse2_deinterleave(src + 4 * x + 32, &y1, &c1);
		sse2_even_odd(c0, c1, &cb, &cr);
		_mm_storeu_si128((__m128i *)(y + 2 * x), y0);
		_mm_storeu_si128((__m128i *)(y + 2 * x + 16), y1);
		_mm_storeu_si128((__m128i *)(u + x), cb);
		_mm_storeu_si128((__m128i *)(v + x), cr);
	}
#endif
	for (; x < n; x++) {
		y[2 * x] = src[4 * x];
		u[x] = src[4 * x + 1];
		y[2 * x + 1] = src[4 * x + 2];
		v[x] = src[4 * x + 3];
	}
}

static void split_nv12(const struct frame_view *f, struct yuv_planes *p)
{
	const uint8_t *uv = f->data + (size_t)f->bytesperline * f->height;
	unsigned int cw = f->width / 2, ch = f->height / 2;

	for (unsigned int y = 0; y < ch; y++)
		deinterleave_row(uv + (size_t)y * f->bytesperline,
				 p->plane[1] + (size_t)y * cw,
				 p->plane[2] + (size_t)y * cw, cw);
}

static void split_yuyv(const struct frame_view *f, struct yuv_planes *p)
{
	unsigned int cw = f->width / 2;

	for (unsigned int y = 0; y < f->height; y++)
		split_yuyv_row(f->data + (size_t)y * f->bytesperline,
			       p->plane[0] + (size_t)y * f->width,
			       p->plane[1] + (size_t)y * cw,
			       p->plane[2] + (size_t)y * cw, cw);
}

int frame_split_planes(const struct frame_view *f, uint8_t *scratch,
		       size_t scratch_size, struct yuv_planes *ret)
{
	struct yuv_planes p = {};
	unsigned int cw, ch;
	int r;

	r = frame_check(f);
	if (r < 0)
		return r;
	if (frame_is_rgb(f->pixelformat))
		return -EOPNOTSUPP;
	if (!scratch || scratch_size < planes_scratch_size(f->pixelformat,
							   f->width, f->height))
		return -ENOBUFS;

	cw = f->width / 2;
	p.width = f->width;
	p.height = f->height;
	if (f->pixelformat == V4L2_PIX_FMT_NV12) {
		ch = f->height / 2;
		p.subsampling = CHROMA_420;
		p.plane[0] = f->data;
		p.stride[0] = f->bytesperline;
		p.plane[1] = scratch;
		p.plane[2] = scratch + (size_t)cw * ch;
		split_nv12(f, &p);
	} else {
		ch = f->height;
		p.subsampling = CHROMA_422;
		p.plane[1] = scratch;
		p.plane[2] = scratch + (size_t)cw * ch;
		p.plane[0] = scratch + 2 * (size_t)cw * ch;
		p.stride[0] = f->width;
		split_yuyv(f, &p);
	}
	p.stride[1] = p.stride[2] = cw;
	*ret = p;
	return 0;
}

/* A rectangle clipped to w x h, as [x0, x1) x [y0, y1); false if empty. */
static bool mask_clip(const struct mask_rect *m, unsigned int w, unsigned int h,
		      unsigned int *x0, unsigned int *x1, unsigned int *y0,
		      unsigned int *y1)
{
	/* 64-bit sums: x + width must not wrap around. */
	*x0 = MIN(m->x, w);
	*x1 = (unsigned int)MIN((uint64_t)m->x + m->width, (uint64_t)w);
	*y0 = MIN(m->y, h);
	*y1 = (unsigned int)MIN((uint64_t)m->y + m->height, (uint64_t)h);
	return *x0 < *x1 && *y0 < *y1;
}

static void fill_rect(uint8_t *plane, unsigned int stride, unsigned int x0,
		      unsigned int x1, unsigned int y0, unsigned int y1,
		      uint8_t value)
{
	for (unsigned int y = y0; y < y1; y++)
		memset(plane + (size_t)y * stride + x0, value, x1 - x0);
}

void planes_mask(const struct yuv_planes *p, const struct mask_rect *masks,
		 unsigned int n_masks)
{
	unsigned int vsub = p->subsampling == CHROMA_420 ? 2 : 1;
	unsigned int cw = p->width / 2, ch = p->height / vsub;

	for (unsigned int i = 0; i < n_masks; i++) {
		unsigned int x0, x1, y0, y1, cx0, cx1, cy0, cy1;

		if (!mask_clip(&masks[i], p->width, p->height, &x0, &x1, &y0,
			       &y1))
			continue;
		fill_rect(p->plane[0], p->stride[0], x0, x1, y0, y1, MASK_Y);

		/* Every chroma sample that covers a masked pixel. */
		cx0 = x0 / 2;
		cx1 = MIN((x1 + 1) / 2, cw);
		cy0 = y0 / vsub;
		cy1 = MIN((y1 + vsub - 1) / vsub, ch);
		fill_rect(p->plane[1], p->stride[1], cx0, cx1, cy0, cy1,
			  MASK_C);
		fill_rect(p->plane[2], p->stride[2], cx0, cx1, cy0, cy1,
			  MASK_C);
	}
}

int frame_mask_rgb(const struct frame_view *f, const struct mask_rect *masks,
		   unsigned int n_masks)
{
	const struct format_info *fi;
	int r;

	r = frame_check(f);
	if (r < 0)
		return r;
	fi = format_find(f->pixelformat);
	if (!fi->rgb)
		return -EOPNOTSUPP;

	for (unsigned int i = 0; i < n_masks; i++) {
		unsigned int x0, x1, y0, y1;

		if (!mask_clip(&masks[i], f->width, f->height, &x0, &x1, &y0,
			       &y1))
			continue;
		for (unsigned int y = y0; y < y1; y++) {
			uint8_t *p = f->data + (size_t)y * f->bytesperline +
				     (size_t)x0 * fi->bytes_per_pixel;

			for (unsigned int x = x0; x < x1; x++) {
				/* R, G and B alike; X is left alone. */
				memset(p, MASK_Y, 3);
				p += fi->bytes_per_pixel;
			}
		}
	}
	return 0;
}
