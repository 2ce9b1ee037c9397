/* SPDX-License-Identifier: GPL-2.0 */
/*
 * podcamd's state: the event loop, the bus, the spool, the one encoder and
 * the cameras; and the dispatch of Delivered requests to cameras.
 */
#ifndef PODCAM_MANAGER_H
#define PODCAM_MANAGER_H

#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "camera.h"
#include "conf.h"
#include "encode.h"
#include "ratelimit.h"
#include "spool.h"

#define MANAGER_PATH "/org/podcam1"
#define CAMERA_PATH_PREFIX "/org/podcam1/camera"
#define TECH_GROUP "podcam-tech"

/* Senders' uids, by unique bus name (those are never reused). */
#define SENDER_CACHE_SIZE 32

struct sender_uid {
	char *name;
	int error;		/* 0, or why the bus could not say (-ENXIO) */
	uid_t uid;
	gid_t gid;
};

struct manager {
	sd_event *event;
	sd_bus *bus;
	struct podcam_config *config;
	struct spool *spool;
	struct encoder *encoder;

	struct camera *cameras[PODCAM_MAX_CAMERAS];
	unsigned int n_cameras;

	sd_event_source *spool_watch;	/* inotify on queue/ */
	sd_event_source *spool_rescan;	/* deferred rescan */
	uint64_t spool_free_bytes;

	gid_t tech_gid;			/* podcam-tech, or (gid_t)-1 */
	struct sender_uid senders[SENDER_CACHE_SIZE];
	unsigned int next_sender;
	struct ratelimit refused_log;	/* log lines about untrusted senders */
};

int manager_new(sd_event *event, struct podcam_config *config,
		struct manager **ret);
struct manager *manager_free(struct manager *m);

static inline void manager_freep(struct manager **m)
{
	manager_free(*m);
}

/* Bus, spool recovery, cameras: everything READY=1 waits for. */
int manager_start(struct manager *m);

/* A Delivered signal or a Trigger() call, checked and dispatched. */
void manager_dispatch(struct manager *m, const struct request *req,
		      struct camera *only, sd_bus_message *call);

/* Whether the sender of m is root or one of DeliveryUsers=. */
int manager_sender_trusted(struct manager *m, sd_bus_message *msg);
/* Whether the sender of m is root or in group podcam-tech. */
int manager_sender_technician(struct manager *m, sd_bus_message *msg);

/* After a commit or when the uploader removed photos. */
void manager_spool_changed(struct manager *m);

/* sd_notify STATUS= from the cameras' states. */
void manager_update_status(struct manager *m);

#endif
