// SPDX-License-Identifier: GPL-2.0
/* The ring of recent frames: eviction order and the sharpest-in-window pick. */

#include "ring.h"
#include "tap.h"

static struct ring_frame frame(unsigned int id, uint64_t t, double s)
{
	return (struct ring_frame){
		.frame = { .id = id, .mono_usec = t },
		.sharpness = s,
	};
}

TEST(evicts_oldest_first)
{
	struct ring r;
	struct ring_frame f, out;

	ring_init(&r, 3);
	for (unsigned int i = 0; i < 3; i++) {
		f = frame(i, 1000 * i, 1);
		CHECK(!ring_push(&r, &f, &out));
	}
	for (unsigned int i = 3; i < 10; i++) {
		f = frame(i, 1000 * i, 1);
		CHECK(ring_push(&r, &f, &out));
		CHECK_EQ_INT(out.frame.id, i - 3);
	}
	CHECK_EQ_INT(r.count, 3);
	CHECK_EQ_INT(ring_newest(&r)->frame.id, 9);
	for (unsigned int i = 7; i < 10; i++) {
		CHECK(ring_pop(&r, &out));
		CHECK_EQ_INT(out.frame.id, i);
	}
	CHECK(!ring_pop(&r, &out));
	CHECK(ring_newest(&r) == NULL);
}

TEST(sharpest_in_window)
{
	static const double score[] = { 5, 9, 1, 7, 3, 8 };
	struct ring r;
	struct ring_frame f, out;

	ring_init(&r, 6);
	for (unsigned int i = 0; i < 6; i++) {
		f = frame(i, 100 * (i + 1), score[i]);
		ring_push(&r, &f, &out);
	}
	/* Frames at 100..600; the window picks among those inside only. */
	CHECK_EQ_INT(ring_sharpest(&r, 0, 1000)->frame.id, 1);
	CHECK_EQ_INT(ring_sharpest(&r, 300, 600)->frame.id, 5);
	CHECK_EQ_INT(ring_sharpest(&r, 300, 500)->frame.id, 3);
	CHECK_EQ_INT(ring_sharpest(&r, 300, 300)->frame.id, 2);
	CHECK(ring_sharpest(&r, 601, 700) == NULL);
	CHECK(ring_sharpest(&r, 0, 99) == NULL);
}

TEST(equal_scores_take_the_newest)
{
	struct ring r;
	struct ring_frame f, out;

	ring_init(&r, 4);
	for (unsigned int i = 0; i < 4; i++) {
		f = frame(i, i, 2.0);
		ring_push(&r, &f, &out);
	}
	CHECK_EQ_INT(ring_sharpest(&r, 0, 3)->frame.id, 3);
}

TEST(capacity_is_clamped)
{
	struct ring r;

	ring_init(&r, 0);
	CHECK_EQ_INT(r.capacity, 1);
	ring_init(&r, 1000);
	CHECK_EQ_INT(r.capacity, RING_MAX);
}
