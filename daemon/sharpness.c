// SPDX-License-Identifier: GPL-2.0
/*
 * Variance of the Laplacian on subsampled luma (see sharpness.h).
 */
#include <errno.h>
#include <linux/videodev2.h>

#include "sharpness.h"
#include "util.h"

#if FRAME_MAX_WIDTH / SHARPNESS_MIN_STEP * 1020 * 1020 > UINT32_MAX
#error "a row of squares would overflow 32 bits"
#endif

#define _always_inline_ inline __attribute__((always_inline))

struct laplace_sums {
	int64_t sum;
	uint64_t sum_sq;
	uint64_t n;
};

/* Luma of the pixel at p: Y itself, or (R + 2G + B) / 4. */
static _always_inline_ int luma_at(const uint8_t *p, bool rgb)
{
	return rgb ? (p[0] + 2 * p[1] + p[2]) >> 2 : p[0];
}

/*
 * One pass over the sample grid. px is the distance in bytes from one
 * pixel's luma to the next one's (1 NV12, 2 YUYV, 3 or 4 RGB); inlined
 * with constant px and rgb so that each format gets its own tight loop.
 */
static _always_inline_ void laplace_pass(const uint8_t *base, size_t stride,
					 unsigned int width,
					 unsigned int height, unsigned int px,
					 bool rgb, struct laplace_sums *s)
{
	unsigned int step, per_row;

	if (width < 3 || height < 3)
		return;
	step = sharpness_step(width, height);
	per_row = (width - 2 + step - 1) / step;
	for (unsigned int y = 1; y + 1 < height; y += step) {
		const uint8_t *mid = base + (size_t)y * stride;
		const uint8_t *up = mid - stride, *down = mid + stride;
		/*
		 * |l| <= 1020, so a row of at most FRAME_MAX_WIDTH / 2
		 * samples sums l * l below 2^32: 32-bit sums vectorize.
		 */
		int32_t sum = 0;
		uint32_t sum_sq = 0;

		for (unsigned int x = 1; x + 1 < width; x += step) {
			size_t o = (size_t)x * px;
			int l = 4 * luma_at(mid + o, rgb) -
				luma_at(mid + o - px, rgb) -
				luma_at(mid + o + px, rgb) -
				luma_at(up + o, rgb) - luma_at(down + o, rgb);

			sum += l;
			sum_sq += (uint32_t)(l * l);
		}
		s->sum += sum;
		s->sum_sq += sum_sq;
		s->n += per_row;
	}
}

unsigned int sharpness_step(unsigned int width, unsigned int height)
{
	uint64_t pixels = (uint64_t)width * height;
	unsigned int step = SHARPNESS_MIN_STEP;

	/*
	 * The smallest step whose grid has at most SHARPNESS_SAMPLES points;
	 * beyond the densest grid an odd one, so that the grid does not fall
	 * in step with the power-of-two periods of tiles, sensors and
	 * synthetic scenes.
	 */
	while (pixels / ((uint64_t)step * step) > SHARPNESS_SAMPLES)
		step += step == SHARPNESS_MIN_STEP ? 1 : 2;
	return step;
}

int sharpness_score(const struct frame_view *f, double *ret)
{
	struct laplace_sums s = {};
	double mean, var;
	int r;

	r = frame_check(f);
	if (r < 0)
		return r;

	switch (f->pixelformat) {
	case V4L2_PIX_FMT_NV12:
		laplace_pass(f->data, f->bytesperline, f->width, f->height, 1,
			     false, &s);
		break;
	case V4L2_PIX_FMT_YUYV:
		laplace_pass(f->data, f->bytesperline, f->width, f->height, 2,
			     false, &s);
		break;
	case V4L2_PIX_FMT_XBGR32:
		laplace_pass(f->data, f->bytesperline, f->width, f->height, 4,
			     true, &s);
		break;
	default: /* RGB24, BGR24: (R + 2G + B) is the same either way */
		laplace_pass(f->data, f->bytesperline, f->width, f->height, 3,
			     true, &s);
		break;
	}

	if (s.n == 0) {
		*ret = 0;
		return 0;
	}
	mean = (double)s.sum / (double)s.n;
	var = (double)s.sum_sq / (double)s.n - mean * mean;
	*ret = MAX(var, 0.0);
	return 0;
}
