// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of sharpness_score() per frame, by format and size.
 *
 *	build/tests/bench-sharpness [RUNS]	(default 2000 per case)
 *
 * The cases take turns, one frame each, so that a noisy neighbour on the
 * machine hits them alike.
 */
#include <linux/videodev2.h>
#include <stdio.h>

#include "bench.h"
#include "sharpness.h"
#include "util.h"
#include "yuv.h"

struct bench_case {
	const char *name;
	uint32_t fourcc;
	unsigned int width, height;
	struct frame_view f;
	uint64_t *ns;
};

int main(int argc, char **argv)
{
	struct bench_case cases[] = {
		{ "NV12 1920x1080", V4L2_PIX_FMT_NV12, 1920, 1080 },
		{ "YUYV 1920x1080", V4L2_PIX_FMT_YUYV, 1920, 1080 },
		{ "XBGR32 1920x1080", V4L2_PIX_FMT_XBGR32, 1920, 1080 },
		{ "NV12 640x480", V4L2_PIX_FMT_NV12, 640, 480 },
		{ "NV12 2592x1944", V4L2_PIX_FMT_NV12, 2592, 1944 },
	};
	size_t runs = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	double sink = 0;

	if (runs == 0)
		return 1;
	for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
		struct bench_case *b = &cases[c];

		if (frame_new_packed(b->fourcc, b->width, b->height, &b->f) <
			    0 ||
		    frame_draw_scene(&b->f, 1) < 0)
			return 1;
		b->ns = calloc(runs, sizeof(*b->ns));
		if (!b->ns)
			return 1;
	}

	for (size_t i = 0; i < runs; i++) {
		for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
			double s;
			uint64_t t0 = bench_now_ns();

			if (sharpness_score(&cases[c].f, &s) < 0)
				return 1;
			cases[c].ns[i] = bench_now_ns() - t0;
			sink += s;
		}
	}

	printf("sharpness_score, at most %d samples, %zu runs each (ns per frame)\n",
	       SHARPNESS_SAMPLES, runs);
	printf("%-18s %10s %10s %10s %10s %10s\n", "case", "min", "p10",
	       "median", "p90", "max");
	for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
		struct bench_stats s = bench_stats(cases[c].ns, runs);

		printf("%-18s %10.0f %10.0f %10.0f %10.0f %10.0f\n",
		       cases[c].name, s.min, s.p10, s.median, s.p90, s.max);
		free(cases[c].f.data);
		free(cases[c].ns);
	}
	return sink < 0;
}
