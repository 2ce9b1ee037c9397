// SPDX-License-Identifier: GPL-2.0
/* ratelimit_below(): bursts, intervals and the count of what was refused. */

#include "ratelimit.h"
#include "tap.h"

TEST(burst_then_refuse_then_new_interval)
{
	struct ratelimit rl = { .interval_usec = 1000, .burst = 3 };
	unsigned int missed = 99;

	for (unsigned int i = 0; i < 3; i++)
		CHECK(ratelimit_below(&rl, 5000 + i, &missed));
	CHECK_EQ_INT(missed, 0);
	for (unsigned int i = 0; i < 4; i++)
		CHECK(!ratelimit_below(&rl, 5100 + i, NULL));
	/* A new interval: allowed again, and told what the last refused. */
	CHECK(ratelimit_below(&rl, 6000, &missed));
	CHECK_EQ_INT(missed, 4);
	CHECK(ratelimit_below(&rl, 6001, &missed));
	CHECK_EQ_INT(missed, 0);
}

TEST(first_event_at_time_zero)
{
	struct ratelimit rl = { .interval_usec = 10, .burst = 1 };

	CHECK(ratelimit_below(&rl, 0, NULL));
	CHECK(!ratelimit_below(&rl, 5, NULL));
	CHECK(ratelimit_below(&rl, 10, NULL));
}
