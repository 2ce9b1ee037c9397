/* SPDX-License-Identifier: GPL-2.0 */
/*
 * At most burst events per interval, like systemd's RateLimit: the first
 * event opens an interval; the count starts again when it is over.
 */
#ifndef PODCAM_RATELIMIT_H
#define PODCAM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t interval_usec;
	unsigned int burst;
	uint64_t begin_usec;
	unsigned int count;		/* events in this interval, refused too */
};

/*
 * Whether one more event at now_usec (CLOCK_MONOTONIC) is within the
 * limit. *ret_missed, when not NULL, gets the number of events refused in
 * the interval that just ended (0 when none ended), for a summary line.
 */
static inline bool ratelimit_below(struct ratelimit *rl, uint64_t now_usec,
				   unsigned int *ret_missed)
{
	unsigned int missed = 0;

	if (rl->count == 0 || now_usec - rl->begin_usec >= rl->interval_usec) {
		if (rl->count > rl->burst)
			missed = rl->count - rl->burst;
		rl->begin_usec = now_usec;
		rl->count = 0;
	}
	if (ret_missed)
		*ret_missed = missed;
	rl->count++;
	return rl->count <= rl->burst;
}

#endif
