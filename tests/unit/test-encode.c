// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding round trips (PSNR), privacy masks, the EXIF splice and bad
 * input. Decodes with TurboJPEG to compare.
 */
#include <errno.h>
#include <limits.h>
#include <linux/videodev2.h>
#include <math.h>
#include <turbojpeg.h>

#include "encode.h"
#include "frames.h"
#include "tap.h"
#include "util.h"
#include "yuv.h"

#define PHOTO_ID "018e0e4a7f3b7c1d9a2b3c4d5e6f7081"

static const char *fourcc_name(uint32_t fourcc)
{
	static char s[5];

	for (int i = 0; i < 4; i++)
		s[i] = (char)(fourcc >> (8 * i));
	return s;
}

/* One encoder for the whole program, as in the daemon. */
static struct encoder *encoder(void)
{
	static struct encoder *e;

	if (!e && encoder_new(1920, 1080, &e) < 0)
		return NULL;
	return e;
}

/* Encodes and returns a copy of the JPEG (the encoder's is reused). */
static int encode(const struct frame_view *f, int quality,
		  const struct mask_rect *masks, unsigned int n_masks,
		  bool exif, uint8_t **ret, size_t *ret_size)
{
	struct photo_meta m = {
		.photo_id = PHOTO_ID,
		.width = f->width,
		.height = f->height,
		.make = "podcam",
	};
	struct encode_params p = {
		.quality = quality,
		.masks = masks,
		.n_masks = n_masks,
		.meta = exif ? &m : NULL,
	};

	if (!encoder())
		return -ENOMEM;
	return encode_copy(encoder(), f, &p, ret, ret_size);
}

struct decoded {
	uint8_t *plane[3];
	int stride[3];
	int width, height, subsamp;
};

static void decoded_free(struct decoded *d)
{
	for (int i = 0; i < 3; i++)
		free(d->plane[i]);
}

/* Decodes to Y, Cb, Cr planes as stored, without upsampling. */
static int decode_yuv(const uint8_t *jpeg, size_t size, struct decoded *d)
{
	tjhandle tj = tjInitDecompress();
	int colorspace, r = -EIO;

	*d = (struct decoded){};
	if (!tj)
		return -ENOMEM;
	if (tjDecompressHeader3(tj, jpeg, size, &d->width, &d->height,
				&d->subsamp, &colorspace) < 0)
		goto out;
	for (int i = 0; i < 3; i++) {
		d->stride[i] = tjPlaneWidth(i, d->width, d->subsamp);
		d->plane[i] = malloc((size_t)d->stride[i] *
				     tjPlaneHeight(i, d->height, d->subsamp));
		if (!d->plane[i])
			goto out;
	}
	if (tjDecompressToYUVPlanes(tj, jpeg, size, d->plane, d->width,
				    d->stride, d->height, 0) < 0) {
		tap_diag("decode: %s", tjGetErrorStr2(tj));
		goto out;
	}
	r = 0;
out:
	tjDestroy(tj);
	return r;
}

static double psnr(const uint8_t *a, size_t a_stride, const uint8_t *b,
		   size_t b_stride, unsigned int w, unsigned int h,
		   unsigned int bpp, unsigned int channels)
{
	double se = 0;

	for (unsigned int y = 0; y < h; y++)
		for (unsigned int x = 0; x < w; x++)
			for (unsigned int c = 0; c < channels; c++) {
				size_t i = (size_t)x * bpp + c;
				int d = a[y * a_stride + i] -
					b[y * b_stride + i];

				se += d * d;
			}
	se /= (double)w * h * channels;
	return se == 0 ? INFINITY : 10 * log10(255.0 * 255.0 / se);
}

/*
 * The frame's own planes, to compare decoded ones with: taken sample by
 * sample here, not by the code under test.
 */
struct reference {
	uint8_t *plane[3];
	unsigned int stride[3];
};

static void reference_free(struct reference *r)
{
	for (int i = 0; i < 3; i++)
		free(r->plane[i]);
}

static int reference_of(const struct frame_view *f, struct reference *ret)
{
	bool nv12 = f->pixelformat == V4L2_PIX_FMT_NV12;
	unsigned int w = f->width, cw = w / 2,
		     ch = nv12 ? f->height / 2 : f->height;
	const uint8_t *row;

	ret->stride[0] = w;
	ret->stride[1] = ret->stride[2] = cw;
	ret->plane[0] = malloc((size_t)w * f->height);
	ret->plane[1] = malloc((size_t)cw * ch);
	ret->plane[2] = malloc((size_t)cw * ch);
	if (!ret->plane[0] || !ret->plane[1] || !ret->plane[2])
		return -ENOMEM;
	for (unsigned int y = 0; y < f->height; y++) {
		row = f->data + (size_t)y * f->bytesperline;
		for (unsigned int x = 0; x < w; x++)
			ret->plane[0][y * w + x] = row[nv12 ? x : 2 * x];
	}
	for (unsigned int y = 0; y < ch; y++) {
		row = f->data +
		      (size_t)(nv12 ? f->height + y : y) * f->bytesperline;
		for (unsigned int x = 0; x < cw; x++) {
			ret->plane[1][y * cw + x] =
				row[nv12 ? 2 * x : 4 * x + 1];
			ret->plane[2][y * cw + x] =
				row[nv12 ? 2 * x + 1 : 4 * x + 3];
		}
	}
	return 0;
}

static void round_trip(uint32_t fourcc, unsigned int w, unsigned int h)
{
	_cleanup_frame_ struct frame_view f = {};
	_cleanup_(decoded_free) struct decoded d = {};
	_cleanup_free_ uint8_t *jpeg = NULL;
	_cleanup_(reference_free) struct reference ref = {};
	double py, pcb, pcr;
	unsigned int cw = w / 2, ch = fourcc == V4L2_PIX_FMT_NV12 ? h / 2 : h;
	size_t size;

	REQUIRE(scene(fourcc, w, h, 1, &f) == 0);
	REQUIRE(encode(&f, 85, NULL, 0, true, &jpeg, &size) == 0);
	REQUIRE(decode_yuv(jpeg, size, &d) == 0);
	CHECK_EQ_INT(d.width, w);
	CHECK_EQ_INT(d.height, h);
	CHECK_EQ_INT(d.subsamp,
		     fourcc == V4L2_PIX_FMT_NV12 ? TJSAMP_420 : TJSAMP_422);

	REQUIRE(reference_of(&f, &ref) == 0);
	py = psnr(d.plane[0], d.stride[0], ref.plane[0], ref.stride[0], w, h, 1,
		  1);
	pcb = psnr(d.plane[1], d.stride[1], ref.plane[1], ref.stride[1], cw, ch,
		   1, 1);
	pcr = psnr(d.plane[2], d.stride[2], ref.plane[2], ref.stride[2], cw, ch,
		   1, 1);
	tap_diag("%s %ux%u q85: %zu bytes, PSNR Y %.2f dB, Cb %.2f dB, "
		 "Cr %.2f dB",
		 fourcc_name(fourcc), w, h, size, py, pcb, pcr);
	CHECK(py >= 35);
	CHECK(pcb >= 35);
	CHECK(pcr >= 35);
}

TEST(round_trip_nv12_640x480)
{
	round_trip(V4L2_PIX_FMT_NV12, 640, 480);
}

TEST(round_trip_nv12_1920x1080)
{
	round_trip(V4L2_PIX_FMT_NV12, 1920, 1080);
}

TEST(round_trip_yuyv_640x480)
{
	round_trip(V4L2_PIX_FMT_YUYV, 640, 480);
}

TEST(round_trip_yuyv_1920x1080)
{
	round_trip(V4L2_PIX_FMT_YUYV, 1920, 1080);
}

/* 501 chroma samples a row: the split's 16-wide steps leave a tail of 5. */
TEST(round_trip_ragged_width)
{
	round_trip(V4L2_PIX_FMT_NV12, 1002, 750);
	round_trip(V4L2_PIX_FMT_YUYV, 1002, 750);
}

/* Packed RGB: decoded back to the same byte order, all channels. */
TEST(round_trip_rgb)
{
	static const struct {
		uint32_t fourcc;
		int tjpf;
		unsigned int bpp;
	} formats[] = {
		{ V4L2_PIX_FMT_RGB24, TJPF_RGB, 3 },
		{ V4L2_PIX_FMT_BGR24, TJPF_BGR, 3 },
		{ V4L2_PIX_FMT_XBGR32, TJPF_BGRX, 4 },
	};

	for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
		_cleanup_frame_ struct frame_view f = {};
		_cleanup_free_ uint8_t *jpeg = NULL, *out = NULL;
		tjhandle tj = tjInitDecompress();
		size_t size;
		double p, swapped;

		REQUIRE(tj);
		REQUIRE(scene(formats[i].fourcc, 640, 480, 1, &f) == 0);
		REQUIRE(encode(&f, 85, NULL, 0, true, &jpeg, &size) == 0);
		out = malloc(f.bytesused);
		REQUIRE(out);
		CHECK(tjDecompress2(tj, jpeg, size, out, 640, f.bytesperline,
				    480, formats[i].tjpf, 0) == 0);
		tjDestroy(tj);
		p = psnr(out, f.bytesperline, f.data, f.bytesperline, 640, 480,
			 formats[i].bpp, 3);
		/* Red and blue swapped would be far off: the order counts. */
		for (size_t k = 0; k + 2 < f.bytesused; k += formats[i].bpp) {
			uint8_t t = out[k];

			out[k] = out[k + 2];
			out[k + 2] = t;
		}
		swapped = psnr(out, f.bytesperline, f.data, f.bytesperline, 640,
			       480, formats[i].bpp, 3);
		tap_diag("%s 640x480 q85: %zu bytes, PSNR RGB %.2f dB "
			 "(R and B swapped: %.2f dB)",
			 fourcc_name(formats[i].fourcc), size, p, swapped);
		CHECK(p >= 30);
		CHECK(swapped < p - 10);
	}
}

/* Padding at the end of rows changes nothing in the JPEG. */
TEST(bytesperline_padding)
{
	static const uint32_t fourccs[] = { V4L2_PIX_FMT_NV12,
					    V4L2_PIX_FMT_YUYV,
					    V4L2_PIX_FMT_BGR24 };

	for (size_t i = 0; i < ELEMENTSOF(fourccs); i++) {
		_cleanup_frame_ struct frame_view f = {}, p = {};
		_cleanup_free_ uint8_t *a = NULL, *b = NULL;
		size_t na, nb;

		REQUIRE(scene(fourccs[i], 640, 480, 2, &f) == 0);
		REQUIRE(frame_padded_copy(&f, 128, 0x5a, &p) == 0);
		REQUIRE(encode(&f, 85, NULL, 0, true, &a, &na) == 0);
		REQUIRE(encode(&p, 85, NULL, 0, true, &b, &nb) == 0);
		CHECK(na == nb && memcmp(a, b, na) == 0);
	}
}

/* With metadata: SOI, then APP1 "Exif", then no JFIF APP0. */
TEST(exif_segment_after_soi)
{
	_cleanup_frame_ struct frame_view f = {};
	_cleanup_free_ uint8_t *with = NULL, *without = NULL;
	size_t n_with, n_without, app1;
	_cleanup_(decoded_free) struct decoded d = {};

	REQUIRE(scene(V4L2_PIX_FMT_NV12, 640, 480, 1, &f) == 0);
	REQUIRE(encode(&f, 85, NULL, 0, true, &with, &n_with) == 0);
	REQUIRE(encode(&f, 85, NULL, 0, false, &without, &n_without) == 0);

	REQUIRE(n_with > 12);
	CHECK(memcmp(with, "\xff\xd8\xff\xe1", 4) == 0);
	CHECK(memcmp(with + 6, "Exif\0\0", 6) == 0);
	app1 = (size_t)with[4] << 8 | with[5];
	REQUIRE(4 + app1 + 2 <= n_with);
	/* The next segment is TurboJPEG's first after its APP0. */
	CHECK(with[4 + app1] == 0xff && with[4 + app1 + 1] != 0xe0);
	CHECK(!memmem(with, 4 + app1 + 64, "JFIF", 5));

	CHECK(memcmp(without, "\xff\xd8\xff\xe0", 4) == 0);
	CHECK(memcmp(without + 6, "JFIF", 5) == 0);
	/* The same compressed picture after the headers. */
	CHECK(n_with - (4 + app1) == n_without - 20);
	CHECK(memcmp(with + 4 + app1, without + 20, n_without - 20) == 0);
	CHECK(memcmp(with + n_with - 2, "\xff\xd9", 2) == 0);
	CHECK(decode_yuv(with, n_with, &d) == 0);
}

/* planes_mask() on its own: which samples it blacks out, exactly. */
static void check_plane_mask(uint32_t fourcc, const struct mask_rect *m,
			     unsigned int cx0, unsigned int cx1,
			     unsigned int cy0, unsigned int cy1)
{
	_cleanup_frame_ struct frame_view f = {};
	_cleanup_free_ uint8_t *scratch = NULL;
	struct yuv_planes p;
	unsigned int vsub = fourcc == V4L2_PIX_FMT_NV12 ? 2 : 1;
	unsigned int x1 = MIN((uint64_t)m->x + m->width, 16u);
	unsigned int y1 = MIN((uint64_t)m->y + m->height, 8u);
	size_t n = planes_scratch_size(fourcc, 16, 8);

	REQUIRE(frame_new_packed(fourcc, 16, 8, &f) == 0);
	memset(f.data, 77, f.bytesused);
	scratch = malloc(n);
	REQUIRE(scratch);
	REQUIRE(frame_split_planes(&f, scratch, n, &p) == 0);
	planes_mask(&p, m, 1);

	for (unsigned int y = 0; y < 8; y++)
		for (unsigned int x = 0; x < 16; x++) {
			bool in = x >= m->x && x < x1 && y >= m->y && y < y1;

			CHECK_EQ_INT(p.plane[0][y * p.stride[0] + x],
				     in ? MASK_Y : 77);
		}
	for (unsigned int y = 0; y < 8 / vsub; y++)
		for (unsigned int x = 0; x < 8; x++) {
			bool in = x >= cx0 && x < cx1 && y >= cy0 && y < cy1;

			for (int i = 1; i <= 2; i++)
				CHECK_EQ_INT(p.plane[i][y * p.stride[i] + x],
					     in ? MASK_C : 77);
		}
}

TEST(mask_rounds_chroma_outward)
{
	/* Pixels 3..4 x 3..4 touch chroma samples 1..2 either way. */
	static const struct mask_rect odd = { 3, 3, 2, 2 };
	/* Pixels 4..5 x 2..3 fall in chroma 2 x 1 (4:2:0), 2 x 2..3 (4:2:2). */
	static const struct mask_rect even = { 4, 2, 2, 2 };
	/* Clipped to pixels 13..15 x 5..7. */
	static const struct mask_rect edge = { 13, 5, 100, 100 };
	/* x + width wraps around in 32 bits: nothing to mask. */
	static const struct mask_rect wraps = { UINT_MAX - 1, 0, 4, 4 };
	/* "To the edge" written as a huge size: 8..15 x 2..7, no wrap. */
	static const struct mask_rect huge = { 8, 2, UINT_MAX, UINT_MAX };

	check_plane_mask(V4L2_PIX_FMT_NV12, &odd, 1, 3, 1, 3);
	check_plane_mask(V4L2_PIX_FMT_YUYV, &odd, 1, 3, 3, 5);
	check_plane_mask(V4L2_PIX_FMT_NV12, &even, 2, 3, 1, 2);
	check_plane_mask(V4L2_PIX_FMT_YUYV, &even, 2, 3, 2, 4);
	check_plane_mask(V4L2_PIX_FMT_NV12, &edge, 6, 8, 2, 4);
	check_plane_mask(V4L2_PIX_FMT_YUYV, &edge, 6, 8, 5, 8);
	check_plane_mask(V4L2_PIX_FMT_NV12, &wraps, 0, 0, 0, 0);
	check_plane_mask(V4L2_PIX_FMT_NV12, &huge, 4, 8, 1, 4);
	check_plane_mask(V4L2_PIX_FMT_YUYV, &huge, 4, 8, 2, 8);
}

static bool rect_hits(const struct mask_rect *m, unsigned int n,
		      unsigned int x0, unsigned int y0, unsigned int w,
		      unsigned int h)
{
	for (unsigned int i = 0; i < n; i++)
		if ((uint64_t)m[i].x < x0 + w &&
		    x0 < (uint64_t)m[i].x + m[i].width &&
		    (uint64_t)m[i].y < y0 + h &&
		    y0 < (uint64_t)m[i].y + m[i].height)
			return true;
	return false;
}

/*
 * Encoded with masks: masked pixels decode black, and every MCU that no
 * mask touches decodes exactly as without masks.
 */
static void check_masked_encode(uint32_t fourcc)
{
	static const struct mask_rect masks[] = {
		{ 101, 51, 99, 77 }, /* odd everything */
		{ 600, 400, 100, 200 }, /* partly outside */
		{ 5000, 5000, 10, 10 }, /* wholly outside */
		{ UINT_MAX - 5, 0, 10, 10 }, /* x + width wraps */
	};
	_cleanup_frame_ struct frame_view f = {}, plain = {};
	_cleanup_(decoded_free) struct decoded dm = {}, dp = {};
	_cleanup_free_ uint8_t *jm = NULL, *jp = NULL;
	unsigned int mcu_h = fourcc == V4L2_PIX_FMT_NV12 ? 16 : 8;
	unsigned int worst = 0, worst_inner = 0, worst_c = 0, inner = 0;
	unsigned int same = 0, diff = 0;
	size_t nm, np;

	REQUIRE(scene(fourcc, 640, 480, 1, &f) == 0);
	REQUIRE(scene(fourcc, 640, 480, 1, &plain) == 0);
	REQUIRE(encode(&f, 85, masks, ELEMENTSOF(masks), false, &jm, &nm) == 0);
	REQUIRE(encode(&plain, 85, NULL, 0, false, &jp, &np) == 0);
	REQUIRE(decode_yuv(jm, nm, &dm) == 0);
	REQUIRE(decode_yuv(jp, np, &dp) == 0);

	for (unsigned int y = 0; y < 480; y++)
		for (unsigned int x = 0; x < 640; x++) {
			unsigned int v = dm.plane[0][y * dm.stride[0] + x];
			unsigned int d = v > MASK_Y ? v - MASK_Y : MASK_Y - v;

			if (rect_hits(masks, 2, x, y, 1, 1)) {
				/* Whole 8x8 blocks inside: flat black. */
				worst = MAX(worst, d);
				if (!rect_hits(masks, 2, x & ~7u, y & ~7u, 1,
					       1) ||
				    !rect_hits(masks, 2, x | 7, y | 7, 1, 1) ||
				    !rect_hits(masks, 2, x & ~7u, y | 7, 1,
					       1) ||
				    !rect_hits(masks, 2, x | 7, y & ~7u, 1, 1))
					continue;
				worst_inner = MAX(worst_inner, d);
				inner++;
			} else if (!rect_hits(masks, 2, x & ~15u,
					      y / mcu_h * mcu_h, 16, mcu_h)) {
				if (v == dp.plane[0][y * dp.stride[0] + x])
					same++;
				else
					diff++;
			}
		}
	tap_diag("%s masks: %u pixels in whole masked blocks, off black by "
		 "at most %u; at the edges by %u; %u of %u pixels of untouched "
		 "MCUs unchanged",
		 fourcc_name(fourcc), inner, worst_inner, worst, same,
		 same + diff);
	CHECK(inner > 2000);
	CHECK(worst_inner <= 1);
	CHECK(worst <= 24);
	CHECK(same > 200000);
	CHECK_EQ_INT(diff, 0);

	/*
	 * Chroma of the MCUs wholly inside the first mask (pixels 101..199
	 * x 51..127): neutral.
	 */
	for (unsigned int y = 64; y < 128; y++)
		for (unsigned int x = 112; x < 192; x++) {
			unsigned int cy = fourcc == V4L2_PIX_FMT_NV12 ? y / 2 :
									y;

			for (int i = 1; i <= 2; i++) {
				int c = dm.plane[i][cy * dm.stride[i] + x / 2];

				worst_c = MAX(worst_c,
					      (unsigned int)abs(c - MASK_C));
			}
		}
	tap_diag("%s masks: chroma inside off neutral by at most %u",
		 fourcc_name(fourcc), worst_c);
	CHECK(worst_c <= 1);
}

TEST(masks_black_out_nv12)
{
	check_masked_encode(V4L2_PIX_FMT_NV12);
}

TEST(masks_black_out_yuyv)
{
	check_masked_encode(V4L2_PIX_FMT_YUYV);
}

/* Where masks write: NV12 Y in place, YUYV never, RGB in place. */
TEST(masks_touch_only_what_they_may)
{
	static const struct mask_rect m = { 10, 20, 30, 40 };
	static const uint32_t fourccs[] = { V4L2_PIX_FMT_NV12,
					    V4L2_PIX_FMT_YUYV,
					    V4L2_PIX_FMT_XBGR32 };

	for (size_t i = 0; i < ELEMENTSOF(fourccs); i++) {
		_cleanup_frame_ struct frame_view f = {}, orig = {};
		_cleanup_free_ uint8_t *a = NULL, *b = NULL;
		unsigned int bpp = fourccs[i] == V4L2_PIX_FMT_XBGR32 ? 4 : 1;
		size_t changed = 0, wrong = 0, na, nb;

		REQUIRE(scene(fourccs[i], 640, 480, 1, &f) == 0);
		REQUIRE(scene(fourccs[i], 640, 480, 1, &orig) == 0);
		REQUIRE(encode(&f, 85, &m, 1, false, &a, &na) == 0);
		for (size_t k = 0; k < f.bytesused; k++) {
			size_t row = k / f.bytesperline;
			size_t x = k % f.bytesperline / bpp;
			bool in = row < 480 && x >= m.x && x < m.x + m.width &&
				  row >= m.y && row < m.y + m.height &&
				  (bpp == 1 || k % 4 != 3);

			if (f.data[k] == orig.data[k])
				continue;
			changed++;
			if (!in || f.data[k] != MASK_Y)
				wrong++;
		}
		tap_diag("%s: %zu bytes of the frame changed, %zu wrongly",
			 fourcc_name(fourccs[i]), changed, wrong);
		CHECK_EQ_INT(wrong, 0);
		if (fourccs[i] == V4L2_PIX_FMT_YUYV)
			CHECK_EQ_INT(changed, 0);
		else
			CHECK(changed > 0);

		/* Encoding the masked frame again gives the same photo. */
		REQUIRE(encode(&f, 85, &m, 1, false, &b, &nb) == 0);
		CHECK(na == nb && memcmp(a, b, na) == 0);
	}
}

/* An RGB frame's mask decodes to the same black as a YUV one's. */
TEST(masks_black_out_rgb)
{
	static const struct mask_rect m = { 64, 64, 128, 96 };
	_cleanup_frame_ struct frame_view f = {};
	_cleanup_(decoded_free) struct decoded d = {};
	_cleanup_free_ uint8_t *jpeg = NULL;
	unsigned int worst = 0;
	size_t size;

	REQUIRE(scene(V4L2_PIX_FMT_BGR24, 640, 480, 1, &f) == 0);
	REQUIRE(encode(&f, 85, &m, 1, false, &jpeg, &size) == 0);
	REQUIRE(decode_yuv(jpeg, size, &d) == 0);
	/* Inside by one MCU all round. */
	for (unsigned int y = 80; y < 144; y++)
		for (unsigned int x = 80; x < 176; x++) {
			int v = d.plane[0][y * d.stride[0] + x];
			int cb = d.plane[1][y / 2 * d.stride[1] + x / 2];

			worst = MAX(worst, (unsigned int)abs(v - MASK_Y));
			worst = MAX(worst, (unsigned int)abs(cb - MASK_C));
		}
	tap_diag("BGR3 mask: off black by at most %u", worst);
	CHECK(worst <= 1);
}

TEST(bad_input_refused)
{
	_cleanup_frame_ struct frame_view f = {};
	struct photo_meta m = { .photo_id = PHOTO_ID,
				.width = 640,
				.height = 480 };
	struct encode_params p = { .quality = 85 };
	const uint8_t *jpeg = (const uint8_t *)"untouched";
	size_t size = 42;
	struct frame_view bad;
	struct encoder *e = encoder();

	REQUIRE(e);
	REQUIRE(scene(V4L2_PIX_FMT_NV12, 640, 480, 1, &f) == 0);

	bad = f;
	bad.bytesused = f.bytesused - 1; /* too small for its size */
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EBADMSG);
	bad = f;
	bad.height = 482;
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EBADMSG);
	bad = f;
	bad.pixelformat = V4L2_PIX_FMT_MJPEG; /* unknown fourcc */
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EOPNOTSUPP);
	bad = f;
	bad.width = 639; /* odd width for NV12 */
	bad.bytesperline = 639;
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EINVAL);
	bad = f;
	bad.height = 479; /* odd height for NV12 */
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EINVAL);
	bad = f;
	bad.bytesperline = 320; /* shorter than a row */
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EINVAL);
	bad = f;
	bad.width = bad.height = 0;
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EINVAL);
	bad = f;
	bad.data = NULL;
	CHECK_EQ_INT(encoder_encode(e, &bad, &p, &jpeg, &size), -EBADMSG);
	CHECK_EQ_INT(encoder_encode(e, NULL, &p, &jpeg, &size), -EINVAL);

	p.quality = 0;
	CHECK_EQ_INT(encoder_encode(e, &f, &p, &jpeg, &size), -EINVAL);
	p.quality = 101;
	CHECK_EQ_INT(encoder_encode(e, &f, &p, &jpeg, &size), -EINVAL);
	p.quality = 85;
	p.n_masks = 1; /* masks promised, none given */
	CHECK_EQ_INT(encoder_encode(e, &f, &p, &jpeg, &size), -EINVAL);
	p.n_masks = 0;
	p.meta = &m;
	m.width = 1920; /* metadata of another size */
	CHECK_EQ_INT(encoder_encode(e, &f, &p, &jpeg, &size), -EINVAL);
	m.width = 640;
	m.photo_id[0] = 'X'; /* not a photo id */
	CHECK_EQ_INT(encoder_encode(e, &f, &p, &jpeg, &size), -EINVAL);
	CHECK(!encoder_error_message(e));

	CHECK_STREQ((const char *)jpeg, "untouched");
	CHECK_EQ_INT(size, 42);

	/* The encoder is fine afterwards. */
	m.photo_id[0] = '0';
	CHECK_EQ_INT(encoder_encode(e, &f, &p, &jpeg, &size), 0);
	CHECK(size > 1000);
	CHECK(!encoder_error_message(e));
}

/* Sizes worked out by hand, not by the code under test. */
TEST(frame_sizes)
{
	static const struct {
		uint32_t fourcc;
		size_t size;
	} packed[] = {
		{ V4L2_PIX_FMT_NV12, 640 * 480 * 3 / 2 },
		{ V4L2_PIX_FMT_YUYV, 640 * 480 * 2 },
		{ V4L2_PIX_FMT_RGB24, 640 * 480 * 3 },
		{ V4L2_PIX_FMT_XBGR32, 640 * 480 * 4 },
	};
	_cleanup_frame_ struct frame_view f = {};

	for (size_t i = 0; i < ELEMENTSOF(packed); i++) {
		_cleanup_frame_ struct frame_view p = {};

		REQUIRE(frame_new_packed(packed[i].fourcc, 640, 480, &p) == 0);
		CHECK_EQ_INT(p.bytesused, packed[i].size);
		CHECK_EQ_INT(frame_check(&p), 0);
		p.bytesused--;
		CHECK_EQ_INT(frame_check(&p), -EBADMSG);
	}

	/* Padded rows: the last one need not carry its padding. */
	REQUIRE(frame_new_packed(V4L2_PIX_FMT_NV12, 704, 720, &f) == 0);
	f.width = 640;
	f.height = 480;
	f.bytesused = 704 * (720 - 1) + 640;
	CHECK_EQ_INT(frame_check(&f), 0);
	f.bytesused--;
	CHECK_EQ_INT(frame_check(&f), -EBADMSG);
}

TEST(frame_larger_than_encoder)
{
	_cleanup_(encoder_freep) struct encoder *small = NULL;
	_cleanup_frame_ struct frame_view f = {};
	struct encode_params p = { .quality = 85 };
	const uint8_t *jpeg;
	size_t size;

	REQUIRE(encoder_new(640, 480, &small) == 0);
	REQUIRE(scene(V4L2_PIX_FMT_YUYV, 642, 480, 1, &f) == 0);
	CHECK_EQ_INT(encoder_encode(small, &f, &p, &jpeg, &size), -E2BIG);
	f.width = 640;
	CHECK_EQ_INT(encoder_encode(small, &f, &p, &jpeg, &size), 0);
}

TEST(encoder_setup)
{
	static const unsigned int bad[][2] = {
		{ 0, 480 }, { 640, 1 }, { 8194, 480 }, { 640, 9000 }
	};
	struct encoder *e = (struct encoder *)&e;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		CHECK_EQ_INT(encoder_new(bad[i][0], bad[i][1], &e), -EINVAL);
	CHECK(e == (struct encoder *)&e);
	/* Odd largest sizes are fine (for RGB); the warm-up rounds down. */
	e = NULL;
	CHECK_EQ_INT(encoder_new(641, 481, &e), 0);
	CHECK_EQ_INT(encoder_warm_up(e, V4L2_PIX_FMT_YUYV, 640, 480), 0);
	CHECK_EQ_INT(encoder_warm_up(e, V4L2_PIX_FMT_RGB24, 641, 481), 0);
	CHECK_EQ_INT(encoder_warm_up(e, V4L2_PIX_FMT_NV12, 642, 480), -E2BIG);
	encoder_free(e);
	CHECK(encoder_free(NULL) == NULL);
}

/* libcamera's DRM fourccs name packed RGB by a little-endian word. */
TEST(drm_fourccs)
{
	CHECK_EQ_INT(frame_fourcc_from_drm(v4l2_fourcc('R', 'G', '2', '4')),
		     V4L2_PIX_FMT_BGR24);
	CHECK_EQ_INT(frame_fourcc_from_drm(v4l2_fourcc('B', 'G', '2', '4')),
		     V4L2_PIX_FMT_RGB24);
	CHECK_EQ_INT(frame_fourcc_from_drm(v4l2_fourcc('X', 'R', '2', '4')),
		     V4L2_PIX_FMT_XBGR32);
	CHECK_EQ_INT(frame_fourcc_from_drm(v4l2_fourcc('N', 'V', '1', '2')),
		     V4L2_PIX_FMT_NV12);
	CHECK_EQ_INT(frame_fourcc_from_drm(v4l2_fourcc('Y', 'U', 'Y', 'V')),
		     V4L2_PIX_FMT_YUYV);
	CHECK_EQ_INT(frame_fourcc_from_drm(v4l2_fourcc('M', 'J', 'P', 'G')), 0);
}
