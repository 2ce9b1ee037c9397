/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Photo ids and tracking ids.
 *
 * A photo id is a UUIDv7 (RFC 9562) written as 32 lowercase hex digits: 48
 * bits of Unix time in milliseconds, the version, 12 bits of sub-millisecond
 * time, the variant and 62 random bits. Within one process the ids increase
 * strictly, also when two share a microsecond or the clock steps back: the
 * 60 bits of time then count on from the last id (RFC 9562 6.2, method 3),
 * so that sorting the names gives the order they were made in.
 */
#ifndef PODCAM_ID_H
#define PODCAM_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "spool-layout.h"

/*
 * Makes a new photo id for CLOCK_REALTIME time now_usec into ret (32 hex
 * digits and a NUL). Not thread-safe: one generator per process. Returns 0
 * or negative errno (no randomness).
 */
int photo_id_new(uint64_t now_usec, char ret[PHOTO_ID_LEN + 1]);

/* The Unix time in milliseconds in a valid photo id. */
uint64_t photo_id_timestamp_ms(const char *id);

/* Exactly 32 lowercase hex digits (a name read back from the spool). */
bool photo_id_is_valid(const char *s);

/* SPEC: 1 to 64 of [A-Za-z0-9._-], the first a letter or digit. */
bool tracking_id_is_valid(const char *s);

#endif
