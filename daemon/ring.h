/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring of a camera's recent frames: dequeued capture buffers held
 * (not copied) with their sharpness, oldest first. When it is full, adding
 * a frame evicts the oldest, which the caller hands back to the backend.
 */
#ifndef PODCAM_RING_H
#define PODCAM_RING_H

#include <stdbool.h>

#include "capture.h"

#define RING_MAX 32

struct ring_frame {
	struct capture_frame frame;
	double sharpness;
};

struct ring {
	struct ring_frame slots[RING_MAX];
	unsigned int head;		/* index of the oldest */
	unsigned int count;
	unsigned int capacity;		/* 1..RING_MAX */
};

void ring_init(struct ring *r, unsigned int capacity);

/* Adds f; when the ring was full, the oldest goes to *ret_evicted. */
bool ring_push(struct ring *r, const struct ring_frame *f,
	       struct ring_frame *ret_evicted);

/* Takes the oldest out; false when empty. */
bool ring_pop(struct ring *r, struct ring_frame *ret);

/*
 * The sharpest frame taken in [from_usec, to_usec] (CLOCK_MONOTONIC), the
 * newest of equals; NULL when none is in the window.
 */
struct ring_frame *ring_sharpest(struct ring *r, uint64_t from_usec,
				 uint64_t to_usec);

/* The newest frame, or NULL. */
struct ring_frame *ring_newest(struct ring *r);

#endif
