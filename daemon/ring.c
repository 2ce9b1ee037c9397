// SPDX-License-Identifier: GPL-2.0
/* A fixed ring of held frames; see ring.h. */

#include "ring.h"
#include "util.h"

void ring_init(struct ring *r, unsigned int capacity)
{
	*r = (struct ring){ .capacity = CLAMP(capacity, 1u, RING_MAX) };
}

static struct ring_frame *slot(struct ring *r, unsigned int i)
{
	return &r->slots[(r->head + i) % RING_MAX];
}

bool ring_push(struct ring *r, const struct ring_frame *f,
	       struct ring_frame *ret_evicted)
{
	bool evicted = false;

	if (r->count == r->capacity)
		evicted = ring_pop(r, ret_evicted);
	*slot(r, r->count) = *f;
	r->count++;
	return evicted;
}

bool ring_pop(struct ring *r, struct ring_frame *ret)
{
	if (r->count == 0)
		return false;
	*ret = *slot(r, 0);
	r->head = (r->head + 1) % RING_MAX;
	r->count--;
	return true;
}

struct ring_frame *ring_sharpest(struct ring *r, uint64_t from_usec,
				 uint64_t to_usec)
{
	struct ring_frame *best = NULL;

	for (unsigned int i = 0; i < r->count; i++) {
		struct ring_frame *f = slot(r, i);

		if (f->frame.mono_usec < from_usec ||
		    f->frame.mono_usec > to_usec)
			continue;
		if (!best || f->sharpness >= best->sharpness)
			best = f;
	}
	return best;
}

struct ring_frame *ring_newest(struct ring *r)
{
	return r->count ? slot(r, r->count - 1) : NULL;
}
