// SPDX-License-Identifier: GPL-2.0
/*
 * podcam's encode path against raw TurboJPEG on the same 1080p frames
 * (SPEC section 9: at least 0.9x of raw TurboJPEG throughput).
 *
 *	build/tests/bench-encode [ITERATIONS] [QUALITY]	(default 300, 85)
 *
 * Cases, each iteration running all of them in a rotating order so that a
 * noisy neighbour on the machine hits them alike:
 *	ours NV12	encoder_encode(): de-interleave CbCr, EXIF with GPS,
 *			SOI + APP1 spliced in front
 *	raw I420	tjCompressFromYUVPlanes() on planes split beforehand,
 *			its own handle and NOREALLOC buffer: the baseline
 *	ours YUYV	encoder_encode() of a YUYV frame (split to 4:2:2)
 *	raw I422	tjCompressFromYUVPlanes() on 4:2:2 planes split
 *			beforehand
 *	RGB tjCompress2	from packed RGB, 4:2:0, for comparison
 * The throughput ratio is raw time / our time, from the medians, from the
 * minimums (the least disturbed runs) and as the median of per-iteration
 * ratios (with its 10th and 90th percentiles).
 */
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>
#include <turbojpeg.h>

#include "bench.h"
#include "encode.h"
#include "util.h"
#include "yuv.h"

#define W 1920
#define H 1080

enum { OURS_NV12, RAW_420, OURS_YUYV, RAW_422, RGB, N_CASES };

static const char *const names[N_CASES] = {
	[OURS_NV12] = "ours NV12 (+EXIF)", [RAW_420] = "raw I420 planes",
	[OURS_YUYV] = "ours YUYV (+EXIF)", [RAW_422] = "raw I422 planes",
	[RGB] = "RGB tjCompress2",
};

struct raw {
	tjhandle tj;
	unsigned char *out;
	struct yuv_planes p;
	uint8_t *scratch;
};

static int raw_setup(const struct frame_view *f, struct raw *r)
{
	size_t n = planes_scratch_size(f->pixelformat, f->width, f->height);

	r->tj = tjInitCompress();
	r->out = malloc(tjBufSize(W, H, TJSAMP_422));
	r->scratch = malloc(n);
	if (!r->tj || !r->out || !r->scratch)
		return -1;
	/* Split once, outside the timing; copy NV12's Y too. */
	if (frame_split_planes(f, r->scratch, n, &r->p) < 0)
		return -1;
	if (r->p.plane[0] == f->data) {
		uint8_t *y = malloc((size_t)W * H);

		if (!y)
			return -1;
		memcpy(y, f->data, (size_t)W * H);
		r->p.plane[0] = y;
	}
	return 0;
}

static int raw_encode(struct raw *r, int quality, unsigned long *ret_size)
{
	int strides[3] = { (int)r->p.stride[0], (int)r->p.stride[1],
			   (int)r->p.stride[2] };

	return tjCompressFromYUVPlanes(
		r->tj, (const unsigned char **)r->p.plane, W, strides, H,
		r->p.subsampling == CHROMA_420 ? TJSAMP_420 : TJSAMP_422,
		&r->out, ret_size, quality, TJFLAG_NOREALLOC);
}

struct bench {
	struct encoder *enc;
	struct frame_view nv12, yuyv, rgb;
	struct raw r420, r422;
	tjhandle tj_rgb;
	unsigned char *rgb_out;
	struct photo_meta meta;
	int quality;
};

static int run_case(struct bench *b, int c, size_t *ret_size)
{
	struct encode_params p = { .quality = b->quality, .meta = &b->meta };
	const uint8_t *jpeg;
	unsigned long n = 0;
	int r;

	switch (c) {
	case OURS_NV12:
		return encoder_encode(b->enc, &b->nv12, &p, &jpeg, ret_size);
	case OURS_YUYV:
		return encoder_encode(b->enc, &b->yuyv, &p, &jpeg, ret_size);
	case RAW_420:
		r = raw_encode(&b->r420, b->quality, &n);
		break;
	case RAW_422:
		r = raw_encode(&b->r422, b->quality, &n);
		break;
	default:
		r = tjCompress2(b->tj_rgb, b->rgb.data, W, b->rgb.bytesperline,
				H, TJPF_RGB, &b->rgb_out, &n, TJSAMP_420,
				b->quality, TJFLAG_NOREALLOC);
		break;
	}
	*ret_size = n;
	return r;
}

static int setup(struct bench *b)
{
	if (encoder_new(W, H, &b->enc) < 0)
		return -1;
	if (frame_new_packed(V4L2_PIX_FMT_NV12, W, H, &b->nv12) < 0 ||
	    frame_new_packed(V4L2_PIX_FMT_YUYV, W, H, &b->yuyv) < 0 ||
	    frame_new_packed(V4L2_PIX_FMT_RGB24, W, H, &b->rgb) < 0)
		return -1;
	if (frame_draw_scene(&b->nv12, 1) < 0 ||
	    frame_draw_scene(&b->yuyv, 1) < 0 ||
	    frame_draw_scene(&b->rgb, 1) < 0)
		return -1;
	if (raw_setup(&b->nv12, &b->r420) < 0 ||
	    raw_setup(&b->yuyv, &b->r422) < 0)
		return -1;
	b->tj_rgb = tjInitCompress();
	b->rgb_out = malloc(tjBufSize(W, H, TJSAMP_420));
	b->meta = (struct photo_meta){
		.photo_id = "018e0e4a7f3b7c1d9a2b3c4d5e6f7081",
		.captured_usec = 1709647629123456ull,
		.utc_offset_sec = 3600,
		.width = W,
		.height = H,
		.make = "podcam",
		.model = "bench",
		.has_gps = true,
		.gps = { 47.61, -122.34, 5 },
	};
	return b->tj_rgb && b->rgb_out ? 0 : -1;
}

/* Throughput of the first case over the second's (their time over ours). */
static void report_ratio(const char *what, uint64_t *ours, uint64_t *raw,
			 size_t n)
{
	_cleanup_free_ uint64_t *ratio = calloc(n, sizeof(*ratio));
	struct bench_stats so, sr, sq;

	if (!ratio)
		return;
	/* Per-iteration ratios in parts per million, as integers. */
	for (size_t i = 0; i < n; i++)
		ratio[i] = raw[i] * 1000000 / MAX(ours[i], 1u);
	so = bench_stats(ours, n);
	sr = bench_stats(raw, n);
	sq = bench_stats(ratio, n);
	printf("%s: throughput ratio %.3f from medians, %.3f from minimums; "
	       "paired median %.3f (p10 %.3f, p90 %.3f)\n",
	       what, sr.median / so.median, sr.min / so.min, sq.median / 1e6,
	       sq.p10 / 1e6, sq.p90 / 1e6);
}

int main(int argc, char **argv)
{
	size_t iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 300;
	struct bench b = { .quality = argc > 2 ? atoi(argv[2]) : 85 };
	uint64_t *ns[N_CASES], *copy[N_CASES];
	size_t sizes[N_CASES] = {};

	if (iters == 0 || setup(&b) < 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	for (int c = 0; c < N_CASES; c++) {
		ns[c] = calloc(iters, sizeof(uint64_t));
		copy[c] = calloc(iters, sizeof(uint64_t));
		if (!ns[c] || !copy[c])
			return 1;
	}

	for (size_t i = 0; i < iters; i++) {
		for (int k = 0; k < N_CASES; k++) {
			int c = (int)((i + (size_t)k) % N_CASES);
			uint64_t t0 = bench_now_ns();

			if (run_case(&b, c, &sizes[c]) < 0) {
				fprintf(stderr, "%s failed\n", names[c]);
				return 1;
			}
			ns[c][i] = bench_now_ns() - t0;
		}
	}

	printf("1920x1080 q%d, %zu iterations each (ms per frame)\n", b.quality,
	       iters);
	printf("%-20s %8s %8s %8s %8s %8s %9s\n", "case", "min", "p10",
	       "median", "p90", "max", "bytes");
	for (int c = 0; c < N_CASES; c++) {
		struct bench_stats s;

		memcpy(copy[c], ns[c], iters * sizeof(uint64_t));
		s = bench_stats(copy[c], iters);
		printf("%-20s %8.3f %8.3f %8.3f %8.3f %8.3f %9zu\n", names[c],
		       s.min / 1e6, s.p10 / 1e6, s.median / 1e6, s.p90 / 1e6,
		       s.max / 1e6, sizes[c]);
	}
	report_ratio("ours NV12 / raw I420", ns[OURS_NV12], ns[RAW_420], iters);
	report_ratio("ours YUYV / raw I422", ns[OURS_YUYV], ns[RAW_422], iters);
	report_ratio("raw I420 / RGB", ns[RAW_420], ns[RGB], iters);
	report_ratio("ours NV12 / RGB", ns[OURS_NV12], ns[RGB], iters);
	return 0;
}
