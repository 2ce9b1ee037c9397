// SPDX-License-Identifier: GPL-2.0
/*
 * podcamd's work from trigger to durable photo, on the host: the host
 * cannot load podcam.ko, so the frames are test scenes in memory instead of
 * dequeued V4L2 buffers, and the request does not come over D-Bus. The rest
 * is podcamd's own code: pick the sharpest frame of the window, make the
 * photo id, mask, encode with EXIF, commit to a spool on disk with its
 * fsyncs. SPEC section 9 asks for a median of at most 8 ms and a p99 of at
 * most 20 ms at 1080p.
 *
 *	bench-pipeline [TRIGGERS] [SPOOL_DIR]	(200, /var/tmp/podcam-bench)
 */

#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "encode.h"
#include "fs-util.h"
#include "id.h"
#include "ring.h"
#include "sharpness.h"
#include "spool-layout.h"
#include "spool.h"

#define W 1920
#define H 1080
#define FRAMES 5

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)atoi(argv[1]) : 200;
	const char *dir = argc > 2 ? argv[2] : "/var/tmp/podcam-bench";
	struct frame_view frames[FRAMES];
	struct encoder *enc = NULL;
	struct spool *spool = NULL;
	struct ring ring;
	uint64_t *lat;
	struct bench_stats st;
	int r;

	lat = calloc(n, sizeof(*lat));
	if (!lat || encoder_new(W, H, &enc) < 0) {
		fprintf(stderr, "bench-pipeline: setup failed\n");
		return 1;
	}
	(void)rm_rf_at(AT_FDCWD, dir);
	r = spool_open(dir, 0, 0, &spool);
	if (r < 0) {
		fprintf(stderr, "bench-pipeline: spool %s: %s\n", dir,
			strerror(-r));
		return 1;
	}

	/* A ring of scored frames, as the stream leaves it. */
	ring_init(&ring, FRAMES);
	for (unsigned int i = 0; i < FRAMES; i++) {
		struct ring_frame rf = { .frame.id = i }, old;

		if (frame_new_packed(V4L2_PIX_FMT_NV12, W, H, &frames[i]) < 0 ||
		    frame_draw_scene(&frames[i], i) < 0)
			return 1;
		rf.frame.view = frames[i];
		rf.frame.mono_usec = 1000 * (i + 1);
		(void)sharpness_score(&frames[i], &rf.sharpness);
		ring_push(&ring, &rf, &old);
	}

	for (unsigned int i = 0; i < n; i++) {
		struct photo_meta meta = {
			.device_id = "bench",
			.camera = "doorbell",
			.trigger = "delivered",
			.make = "podcam",
			.model = "bench",
			.width = W,
			.height = H,
			.has_gps = true,
			.gps = { 47.6062, -122.3321, 5 },
		};
		struct encode_params p = { .quality = 85, .meta = &meta };
		struct ring_frame *rf;
		const uint8_t *jpeg;
		size_t size;
		uint64_t t0 = bench_now_ns();

		/* A one-frame window, as podcamd's default; a different
		 * scene each time, as the doorstep's light changes. */
		uint64_t t = 1000 * (i % FRAMES + 1);

		rf = ring_sharpest(&ring, t, t);
		snprintf(meta.tracking_id, sizeof(meta.tracking_id), "B%u", i);
		meta.captured_usec = realtime_usec();
		meta.sharpness = rf->sharpness;
		r = photo_id_new(meta.captured_usec, meta.photo_id);
		if (r >= 0)
			r = encoder_encode(enc, &rf->frame.view, &p, &jpeg,
					   &size);
		if (r >= 0)
			r = spool_commit(spool, &meta, jpeg, size, NULL);
		if (r < 0) {
			fprintf(stderr, "bench-pipeline: %s\n", strerror(-r));
			return 1;
		}
		lat[i] = bench_now_ns() - t0;

		if (i % 50 == 49) {
			spool = spool_free(spool);
			(void)rm_rf_at(AT_FDCWD, dir);
			if (spool_open(dir, 0, 0, &spool) < 0)
				return 1;
		}
	}

	st = bench_stats(lat, n);
	printf("host, 1080p NV12, q85, EXIF with GPS, spool on %s, %u triggers:\n"
	       "  trigger to durable: min %.2f ms, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       dir, n, st.min / 1e6, st.median / 1e6, st.p90 / 1e6,
	       (double)lat[n - 1 - n / 100] / 1e6, st.max / 1e6);
	spool_free(spool);
	(void)rm_rf_at(AT_FDCWD, dir);
	encoder_free(enc);
	for (unsigned int i = 0; i < FRAMES; i++)
		free(frames[i].data);
	free(lat);
	return 0;
}
