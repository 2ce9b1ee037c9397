// SPDX-License-Identifier: GPL-2.0
/* Sharpness scores: blur lowers them, flat is zero, formats agree. */
#include <errno.h>
#include <linux/videodev2.h>
#include <math.h>

#include "frames.h"
#include "sharpness.h"
#include "tap.h"
#include "util.h"
#include "yuv.h"

static double score(const struct frame_view *f)
{
	double s = -1;
	int r = sharpness_score(f, &s);

	if (r < 0)
		tap_diag("sharpness_score: %s", strerror(-r));
	return s;
}

/*
 * Box blur of an 8-bit plane (Y of NV12), radius r, along x and/or y;
 * dx, dy select the directions.
 */
static void box_blur(uint8_t *p, unsigned int stride, unsigned int w,
		     unsigned int h, unsigned int r, bool dx, bool dy)
{
	_cleanup_free_ uint8_t *line = malloc(MAX(w, h));

	REQUIRE(line);
	for (unsigned int pass = 0; pass < 2; pass++) {
		bool horizontal = pass == 0;
		unsigned int lines = horizontal ? h : w;
		unsigned int len = horizontal ? w : h;
		size_t step = horizontal ? 1 : stride;

		if ((horizontal && !dx) || (!horizontal && !dy))
			continue;
		for (unsigned int l = 0; l < lines; l++) {
			uint8_t *q = p + (horizontal ? l * (size_t)stride : l);

			for (unsigned int i = 0; i < len; i++)
				line[i] = q[i * step];
			for (unsigned int i = 0; i < len; i++) {
				unsigned int lo = i >= r ? i - r : 0;
				unsigned int hi = MIN(i + r, len - 1);
				unsigned int n = hi - lo + 1, sum = 0;

				for (unsigned int k = lo; k <= hi; k++)
					sum += line[k];
				q[i * step] = (uint8_t)((sum + n / 2) / n);
			}
		}
	}
}

static void check_blur_monotonic(unsigned int w, unsigned int h, bool dx,
				 bool dy, const char *what)
{
	static const unsigned int radii[] = { 1, 2, 3, 5, 8 };
	_cleanup_frame_ struct frame_view f = {};
	double sharp, prev;

	tap_diag("%s at %ux%u, grid step %u", what, w, h, sharpness_step(w, h));
	REQUIRE(scene(V4L2_PIX_FMT_NV12, w, h, 1, &f) == 0);
	sharp = prev = score(&f);
	tap_diag("%s: sharp %.1f", what, sharp);
	REQUIRE(sharp > 100);

	for (size_t i = 0; i < ELEMENTSOF(radii); i++) {
		_cleanup_frame_ struct frame_view b = {};
		double s;

		REQUIRE(scene(V4L2_PIX_FMT_NV12, w, h, 1, &b) == 0);
		box_blur(b.data, b.bytesperline, b.width, b.height, radii[i],
			 dx, dy);
		s = score(&b);
		tap_diag("%s: radius %u: %.1f (%.2f of sharp)", what, radii[i],
			 s, s / sharp);
		/*
		 * Clearly below the sharp frame, and lower with every
		 * strength. Blur along x only leaves the vertical half of the
		 * Laplacian, so that score levels off near half.
		 */
		CHECK(s >= 0);
		CHECK(s < 0.7 * sharp);
		CHECK(s < prev);
		prev = s;
	}
}

TEST(blur_lowers_score)
{
	check_blur_monotonic(640, 480, true, true, "box blur");
	check_blur_monotonic(1920, 1080, true, true, "box blur");
	check_blur_monotonic(2592, 1944, true, true, "box blur");
}

TEST(motion_blur_lowers_score)
{
	check_blur_monotonic(640, 480, true, false, "horizontal motion blur");
	check_blur_monotonic(1920, 1080, true, false, "horizontal motion blur");
}

/*
 * Every 4th pixel up to ~0.1 megapixels, then an odd step for at most
 * SHARPNESS_SAMPLES samples.
 */
TEST(grid_step)
{
	static const unsigned int sizes[][2] = {
		{ 16, 16 }, { 362, 362 }, { 640, 480 }, { 1280, 720 },
		{ 1920, 1080 }, { 2592, 1944 }, { 8192, 8192 },
	};

	CHECK_EQ_INT(sharpness_step(16, 16), 4);
	CHECK_EQ_INT(sharpness_step(362, 362), 4);
	CHECK_EQ_INT(sharpness_step(1920, 1080), 17);
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		unsigned int w = sizes[i][0], h = sizes[i][1];
		unsigned int step = sharpness_step(w, h);
		uint64_t px = (uint64_t)w * h;

		CHECK(step >= SHARPNESS_MIN_STEP);
		if (step > SHARPNESS_MIN_STEP) {
			/* odd, and the smallest odd step within the budget */
			CHECK(step % 2 == 1);
			CHECK(px / ((uint64_t)step * step) <= SHARPNESS_SAMPLES);
			if (step > SHARPNESS_MIN_STEP + 1)
				CHECK(px / ((uint64_t)(step - 2) * (step - 2)) >
				      SHARPNESS_SAMPLES);
		}
	}
}

TEST(flat_frame_scores_zero)
{
	static const uint32_t fourccs[] = { V4L2_PIX_FMT_NV12,
					    V4L2_PIX_FMT_YUYV,
					    V4L2_PIX_FMT_BGR24,
					    V4L2_PIX_FMT_XBGR32 };

	for (size_t i = 0; i < ELEMENTSOF(fourccs); i++) {
		_cleanup_frame_ struct frame_view f = {};

		REQUIRE(frame_new_packed(fourccs[i], 640, 480, &f) == 0);
		memset(f.data, 128, f.bytesused);
		CHECK(score(&f) == 0);
	}
}

TEST(nv12_and_yuyv_agree)
{
	static const unsigned int sizes[][2] = { { 640, 480 }, { 1920, 1080 } };

	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		_cleanup_frame_ struct frame_view nv12 = {}, yuyv = {};
		double a, b;

		REQUIRE(scene(V4L2_PIX_FMT_NV12, sizes[i][0], sizes[i][1], 1,
			      &nv12) == 0);
		REQUIRE(scene(V4L2_PIX_FMT_YUYV, sizes[i][0], sizes[i][1], 1,
			      &yuyv) == 0);
		a = score(&nv12);
		b = score(&yuyv);
		tap_diag("%ux%u: NV12 %.3f, YUYV %.3f", sizes[i][0],
			 sizes[i][1], a, b);
		CHECK(a > 0);
		CHECK(fabs(a - b) <= 1e-9 * a);
	}
}

TEST(rgb_formats_approximate_luma)
{
	_cleanup_frame_ struct frame_view nv12 = {}, rgb = {}, bgr = {},
					  bgrx = {};
	double y, a, b, c;

	REQUIRE(scene(V4L2_PIX_FMT_NV12, 640, 480, 1, &nv12) == 0);
	REQUIRE(scene(V4L2_PIX_FMT_RGB24, 640, 480, 1, &rgb) == 0);
	REQUIRE(scene(V4L2_PIX_FMT_BGR24, 640, 480, 1, &bgr) == 0);
	REQUIRE(scene(V4L2_PIX_FMT_XBGR32, 640, 480, 1, &bgrx) == 0);
	y = score(&nv12);
	a = score(&rgb);
	b = score(&bgr);
	c = score(&bgrx);
	tap_diag("NV12 %.1f, RGB24 %.1f, BGR24 %.1f, XBGR32 %.1f", y, a, b, c);
	/* The same pixels in another byte order give the same score. */
	CHECK(a == b);
	CHECK(a == c);
	/*
	 * Full-range RGB stretches limited-range luma by 255/219, the
	 * variance by 1.36; the (R + 2G + B) / 4 approximation and rounding
	 * move it a little more.
	 */
	CHECK(a > 1.1 * y && a < 1.7 * y);
}

/* Rows padded beyond the picture: padding bytes must not count. */
TEST(bytesperline_padding_ignored)
{
	static const uint32_t fourccs[] = { V4L2_PIX_FMT_NV12,
					    V4L2_PIX_FMT_YUYV,
					    V4L2_PIX_FMT_RGB24 };

	for (size_t i = 0; i < ELEMENTSOF(fourccs); i++) {
		_cleanup_frame_ struct frame_view f = {}, p = {};

		REQUIRE(scene(fourccs[i], 640, 480, 1, &f) == 0);
		REQUIRE(frame_padded_copy(&f, 96, 0xff, &p) == 0);
		CHECK(score(&p) == score(&f));
	}
}

TEST(bad_frames_refused)
{
	_cleanup_frame_ struct frame_view f = {};
	struct frame_view bad;
	double s = 42;

	REQUIRE(scene(V4L2_PIX_FMT_NV12, 640, 480, 1, &f) == 0);

	bad = f;
	bad.bytesused = f.bytesused - 1;
	CHECK_EQ_INT(sharpness_score(&bad, &s), -EBADMSG);
	bad = f;
	bad.pixelformat = V4L2_PIX_FMT_MJPEG;
	CHECK_EQ_INT(sharpness_score(&bad, &s), -EOPNOTSUPP);
	bad = f;
	bad.width = 639;
	CHECK_EQ_INT(sharpness_score(&bad, &s), -EINVAL);
	bad = f;
	bad.bytesperline = 600;
	CHECK_EQ_INT(sharpness_score(&bad, &s), -EINVAL);
	bad = f;
	bad.data = NULL;
	CHECK_EQ_INT(sharpness_score(&bad, &s), -EBADMSG);
	CHECK_EQ_INT(sharpness_score(NULL, &s), -EINVAL);
	CHECK(s == 42);
}

/*
 * Exact values on a 16x16 frame. Samples sit at x, y in {1, 5, 9, 13}:
 * 16 of them. One bright pixel on a sample gives one Laplacian of 4 * 100:
 * mean 25, variance 400^2 / 16 - 25^2 = 9375. One beside a sample gives
 * -100 there: 100^2 / 16 - (100 / 16)^2 = 585.9375.
 */
static void check_known(uint32_t fourcc, unsigned int x, double expected)
{
	_cleanup_frame_ struct frame_view f = {};
	unsigned int bpp = fourcc == V4L2_PIX_FMT_YUYV ? 2 :
			   fourcc == V4L2_PIX_FMT_NV12 ? 1 :
							 3;
	double s = -1;

	REQUIRE(frame_new_packed(fourcc, 16, 16, &f) == 0);
	if (fourcc == V4L2_PIX_FMT_RGB24)
		memset(f.data + 5 * f.bytesperline + x * bpp, 100, 3);
	else
		f.data[5 * f.bytesperline + x * bpp] = 100;
	CHECK_EQ_INT(sharpness_score(&f, &s), 0);
	if (s != expected)
		tap_diag("%s at x %u: %f, expected %f",
			 fourcc == V4L2_PIX_FMT_NV12 ? "NV12" : "other", x, s,
			 expected);
	CHECK(s == expected);
}

TEST(known_values)
{
	static const uint32_t fourccs[] = { V4L2_PIX_FMT_NV12,
					    V4L2_PIX_FMT_YUYV,
					    V4L2_PIX_FMT_RGB24 };

	REQUIRE(sharpness_step(16, 16) == 4);
	for (size_t i = 0; i < ELEMENTSOF(fourccs); i++) {
		check_known(fourccs[i], 5, 9375);
		check_known(fourccs[i], 6, 585.9375);
	}
}

TEST(tiny_frames)
{
	_cleanup_frame_ struct frame_view f = {};
	double s = -1;

	REQUIRE(frame_new_packed(V4L2_PIX_FMT_NV12, 2, 2, &f) == 0);
	memset(f.data, 200, f.bytesused);
	f.data[0] = 0;
	CHECK_EQ_INT(sharpness_score(&f, &s), 0);
	CHECK(s == 0);
}
