/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Timing and statistics for the benchmarks in tests/bench (not run by make
 * check). Include in one file per program.
 */
#ifndef PODCAM_BENCH_H
#define PODCAM_BENCH_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct bench_stats {
	double min, p10, median, p90, max;	/* ns */
};

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts the n samples in v (n > 0) and summarises them. */
static inline struct bench_stats bench_stats(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	return (struct bench_stats){
		.min = (double)v[0],
		.p10 = (double)v[n / 10],
		.median = n % 2 ? (double)v[n / 2] :
				  ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2,
		.p90 = (double)v[n - 1 - n / 10],
		.max = (double)v[n - 1],
	};
}

#endif
