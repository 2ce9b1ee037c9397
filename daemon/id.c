// SPDX-License-Identifier: GPL-2.0
/* UUIDv7 photo ids and tracking id checks (id.h). */

#include <sys/random.h>

#include "hash.h"
#include "id.h"
#include "photo.h"
#include "util.h"

#define SUBMS_BITS 12		/* rand_a: the fraction of the millisecond */

/* The last id's 60 bits of time: ms << 12 | fraction. */
static uint64_t last_time;

static int random_bytes(void *buf, size_t len)
{
	ssize_t n;

	do {
		n = getrandom(buf, len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	return (size_t)n == len ? 0 : -EIO;
}

int photo_id_new(uint64_t now_usec, char ret[PHOTO_ID_LEN + 1])
{
	uint64_t ms = now_usec / 1000, t;
	uint8_t b[16];
	int r;

	r = random_bytes(b + 8, 8);
	if (r < 0)
		return r;

	/* The fraction of the millisecond in 1/4096 steps. */
	t = ms << SUBMS_BITS | ((now_usec % 1000) << SUBMS_BITS) / 1000;
	if (t <= last_time)
		t = last_time + 1;
	last_time = t;
	ms = t >> SUBMS_BITS;

	for (int i = 0; i < 6; i++)
		b[i] = ms >> (40 - 8 * i);
	b[6] = 0x70 | ((t >> 8) & 0x0f);	/* version 7, rand_a */
	b[7] = t & 0xff;
	b[8] = 0x80 | (b[8] & 0x3f);		/* variant 10 */
	hex_encode(b, sizeof(b), ret);
	return 0;
}

uint64_t photo_id_timestamp_ms(const char *id)
{
	uint64_t ms = 0;

	for (int i = 0; i < 12; i++) {
		char c = id[i];

		ms = ms << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return ms;
}

bool photo_id_is_valid(const char *s)
{
	if (!s)
		return false;
	for (size_t i = 0; i < PHOTO_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[PHOTO_ID_LEN] == '\0';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool tracking_id_is_valid(const char *s)
{
	size_t i;

	if (!s || !is_alnum(s[0]))
		return false;
	/* Stops at the 65th character: a huge string costs nothing. */
	for (i = 1; s[i] && i < TRACKING_ID_MAX; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return false;
	return s[i] == '\0';
}
