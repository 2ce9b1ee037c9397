/* SPDX-License-Identifier: GPL-2.0 */
/*
 * podcam-upload's state: the window of queued photos (oldest first), the
 * transfers running, the backoff, the counters the bus shows and the
 * Flush() calls waiting for their reply.
 */
#ifndef PODCAM_UPLOAD_MANAGER_H
#define PODCAM_UPLOAD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "spool-layout.h"

/* Photos of queue/ held in memory at most; the rest wait on disk. */
#define UPLOAD_WINDOW 1024
/* Flush() calls waiting for their reply at most. */
#define UPLOAD_MAX_FLUSHES 16

/* Bus properties, for upload_bus_changed(). */
enum {
	PROP_PENDING = 1 << 0,
	PROP_UPLOADED = 1 << 1,
	PROP_FAILED = 1 << 2,
	PROP_QUARANTINED = 1 << 3,
	PROP_LAST_ERROR = 1 << 4,
	PROP_LAST_UPLOADED_ID = 1 << 5,
};

struct upload_entry {
	char id[PHOTO_ID_LEN + 1];
	uint64_t added; /* serial when it entered the window */
	uint64_t attempted; /* serial when its last attempt ended */
	unsigned int failures; /* transient failures in a row */
	char *location; /* both objects confirmed: the .jpg URL */
	struct upload_job *job; /* the attempt running, or NULL */
};

struct flush_waiter {
	sd_bus_message *call;
	uint64_t serial;
};

struct upload_queue;
struct upload_http;

struct upload_manager {
	sd_event *event;
	sd_bus *bus;
	const struct podcam_config *config;
	const struct upload_config *uc;
	char *config_error; /* set: nothing is uploaded */

	struct upload_queue *queue;
	struct upload_http *http;
	sd_event_source *inotify, *rescan, *retry, *kick, *finish;

	struct upload_entry *entries[UPLOAD_WINDOW]; /* sorted by id */
	unsigned int n_entries;
	bool overflow; /* queue/ holds more than the window */
	uint64_t pending_beyond; /* entries of queue/ not in the window */
	unsigned int running;
	unsigned int n_confirmed; /* waiting for finish_confirmed() */

	unsigned int consecutive_failures;
	uint64_t hold_until; /* CLOCK_MONOTONIC; no new attempt before */
	uint64_t serial;
	uint64_t flush_serial; /* newest Flush() waiting, 0 when none */
	struct flush_waiter flushes[UPLOAD_MAX_FLUSHES];
	unsigned int n_flushes;

	/* What the bus shows. */
	uint64_t uploaded, failed;
	uint32_t quarantined;
	char *last_error;
	char last_uploaded_id[PHOTO_ID_LEN + 1];
};

int upload_manager_new(sd_event *e, const struct podcam_config *c,
		       struct upload_manager **ret);
struct upload_manager *upload_manager_free(struct upload_manager *m);

/* Opens the spool, empties trash/, scans queue/, starts watching it. */
int upload_manager_start(struct upload_manager *m);

/* Removes the photos already confirmed; call when the loop has ended. */
void upload_manager_stop(struct upload_manager *m);

uint32_t upload_manager_pending(const struct upload_manager *m);

/*
 * Flush(): forgets the backoff, starts every photo in the window now and
 * replies to call once each of them has been attempted once.
 */
int upload_manager_flush(struct upload_manager *m, sd_bus_message *call,
			 sd_bus_error *error);

static inline void upload_manager_freep(struct upload_manager **m)
{
	upload_manager_free(*m);
}

#endif
