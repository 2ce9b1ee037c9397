// SPDX-License-Identifier: GPL-2.0
/*
 * podcamd's manager: sets up the spool, the encoder, the bus and the
 * cameras, and turns Delivered signals into camera requests: the sender
 * must be trusted, the arguments valid, and the privacy rules say whether
 * any frame may be taken at all.
 */

#include <grp.h>
#include <pwd.h>
#include <sys/inotify.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "bus.h"
#include "log.h"
#include "manager.h"
#include "spool-layout.h"

/* Refused senders: at most this many log lines per interval. */
#define REFUSED_LOG_BURST 10
#define REFUSED_LOG_INTERVAL_USEC (60 * 1000000ULL)
#define SPOOL_FREE_REFRESH_USEC (10 * 1000000ULL)

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --- who sent it ------------------------------------------------------ */

/* The uid and gid of a message's sender, cached by unique name. */
static int sender_ids(struct manager *m, sd_bus_message *msg, uid_t *ret_uid,
		      gid_t *ret_gid)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	const char *sender = sd_bus_message_get_sender(msg);
	struct sender_uid *e;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int r;

	if (!sender || sender[0] != ':')
		return -EPERM;	/* not through the bus daemon */
	for (unsigned int i = 0; i < SENDER_CACHE_SIZE; i++) {
		e = &m->senders[i];
		if (e->name && streq(e->name, sender)) {
			if (e->error < 0)
				return e->error;
			*ret_uid = e->uid;
			*ret_gid = e->gid;
			return 0;
		}
	}

	/* One round trip per sender, even for a burst from one that left. */
	r = sd_bus_get_name_creds(m->bus, sender,
				  SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID, &creds);
	if (r >= 0)
		r = sd_bus_creds_get_euid(creds, &uid);
	if (r >= 0 && sd_bus_creds_get_egid(creds, &gid) < 0)
		gid = (gid_t)-1;
	if (r < 0 && r != -ENXIO)
		return r;	/* the bus failed us: ask again next time */

	e = &m->senders[m->next_sender];
	m->next_sender = (m->next_sender + 1) % SENDER_CACHE_SIZE;
	free(e->name);
	*e = (struct sender_uid){
		.name = strdup(sender),
		.error = MIN(r, 0),
		.uid = uid,
		.gid = gid,
	};
	if (r < 0)
		return r;
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

int manager_sender_trusted(struct manager *m, sd_bus_message *msg)
{
	uid_t uid;
	gid_t gid;
	int r;

	r = sender_ids(m, msg, &uid, &gid);
	if (r == -ENXIO) {
		/*
		 * The sender disconnected before the bus could say who it was
		 * (`busctl emit` does that). The bus policy let its signal
		 * through, so it was root or in podcam-delivery: trust that,
		 * since no one can check anything more any more.
		 */
		log_debug("Sender %s left before its check, trusting the bus policy",
			  strempty(sd_bus_message_get_sender(msg)));
		return 1;
	}
	if (r < 0)
		return r;
	if (uid == 0)
		return 1;
	for (unsigned int i = 0; i < m->config->n_delivery_uids; i++)
		if (m->config->delivery_uids[i] == uid)
			return 1;
	return 0;
}

int manager_sender_technician(struct manager *m, sd_bus_message *msg)
{
	struct passwd pw, *pwp = NULL;
	gid_t groups[64];
	int n = ELEMENTSOF(groups);
	char buf[4096];
	uid_t uid;
	gid_t gid;
	int r;

	r = sender_ids(m, msg, &uid, &gid);
	if (r < 0)
		return r;
	if (uid == 0)
		return 1;
	if (m->tech_gid == (gid_t)-1)
		return 0;
	if (gid == m->tech_gid)
		return 1;
	/* Group membership from the user database, as login grants it. */
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return 0;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		n = ELEMENTSOF(groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == m->tech_gid)
			return 1;
	return 0;
}

static void log_refused(struct manager *m, sd_bus_message *msg, int r)
{
	unsigned int missed;

	if (ratelimit_below(&m->refused_log, now_usec(), &missed))
		log_notice("Ignoring Delivered from %s: %s",
			   strempty(sd_bus_message_get_sender(msg)),
			   r < 0 ? strerror(-r) : "sender is not trusted");
	if (missed)
		log_notice("Ignored %u more Delivered signals from untrusted senders",
			   missed);
}

/* --- requests --------------------------------------------------------- */

static struct camera *find_camera(struct manager *m, const char *role)
{
	for (unsigned int i = 0; i < m->n_cameras; i++)
		if (streq(m->cameras[i]->config->role, role))
			return m->cameras[i];
	return NULL;
}

/* The cameras a Delivered without `camera` is for. */
static bool default_target(const struct camera *c)
{
	return c->config->delivery_capture || c->hold.active;
}

void manager_dispatch(struct manager *m, const struct request *req,
		      struct camera *only, sd_bus_message *call)
{
	struct camera *targets[PODCAM_MAX_CAMERAS];
	enum skip_reason privacy;
	unsigned int n = 0;

	if (only) {
		targets[n++] = only;
	} else if (req->camera[0]) {
		struct camera *c = find_camera(m, req->camera);

		if (!c) {
			log_warning("Delivered for unknown camera '%s'",
				    req->camera);
			for (unsigned int i = 0; i < m->n_cameras; i++)
				if (default_target(m->cameras[i]))
					camera_refuse(m->cameras[i], req,
						      SKIP_INVALID_REQUEST,
						      NULL);
			return;
		}
		targets[n++] = c;
	} else {
		for (unsigned int i = 0; i < m->n_cameras; i++)
			if (default_target(m->cameras[i]))
				targets[n++] = m->cameras[i];
	}

	if (req->confidential || req->opt_out) {
		privacy = req->confidential ? SKIP_CONFIDENTIAL : SKIP_OPT_OUT;
		/* Not one frame: and a held photo of this stop goes too. */
		for (unsigned int i = 0; i < m->n_cameras; i++) {
			bool target = false;

			for (unsigned int j = 0; j < n; j++)
				target |= targets[j] == m->cameras[i];
			if (target)
				camera_refuse(m->cameras[i], req, privacy,
					      call);
			else if (m->cameras[i]->hold.active)
				camera_refuse(m->cameras[i], req, privacy,
					      NULL);
		}
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		camera_submit(targets[i], req, call);
}

static int on_delivered(sd_bus_message *msg, void *userdata,
			sd_bus_error *error)
{
	struct manager *m = userdata;
	struct request req = {
		.kind = TRIGGER_DELIVERED,
		.received_usec = now_usec(),
	};
	const char *why = NULL;
	int r;

	r = manager_sender_trusted(m, msg);
	if (r <= 0) {
		log_refused(m, msg, r);
		return 0;
	}
	r = request_parse(msg, &req, &why);
	if (r < 0) {
		log_warning("Invalid Delivered from %s: %s",
			    strempty(sd_bus_message_get_sender(msg)), why);
		for (unsigned int i = 0; i < m->n_cameras; i++)
			if (default_target(m->cameras[i]))
				camera_refuse(m->cameras[i], &req,
					      SKIP_INVALID_REQUEST, NULL);
		return 0;
	}
	manager_dispatch(m, &req, NULL, NULL);
	return 0;
}

/* --- the spool -------------------------------------------------------- */

void manager_spool_changed(struct manager *m)
{
	uint64_t free_bytes;

	if (spool_free_bytes(m->spool, &free_bytes) >= 0 &&
	    free_bytes != m->spool_free_bytes) {
		m->spool_free_bytes = free_bytes;
		bus_manager_changed(m, "SpoolPending", "SpoolFreeBytes", NULL);
	} else {
		bus_manager_changed(m, "SpoolPending", NULL);
	}
	manager_update_status(m);
}

static int on_spool_rescan(sd_event_source *s, void *userdata)
{
	struct manager *m = userdata;
	unsigned int before = spool_pending(m->spool);
	int r;

	r = spool_rescan(m->spool);
	if (r < 0)
		log_warning_errno(r, "Cannot count the spool, ignoring: %m");
	else if (spool_pending(m->spool) != before)
		manager_spool_changed(m);
	return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

/* podcam-upload took photos out of queue/: count again, once per burst. */
static int on_spool_inotify(sd_event_source *s,
			    const struct inotify_event *ev, void *userdata)
{
	struct manager *m = userdata;

	return sd_event_source_set_enabled(m->spool_rescan, SD_EVENT_ONESHOT);
}

static int on_spool_free_timer(sd_event_source *s, uint64_t usec,
			       void *userdata)
{
	struct manager *m = userdata;
	uint64_t free_bytes;

	if (spool_free_bytes(m->spool, &free_bytes) >= 0 &&
	    free_bytes != m->spool_free_bytes) {
		m->spool_free_bytes = free_bytes;
		bus_manager_changed(m, "SpoolFreeBytes", NULL);
	}
	return sd_event_source_set_time(s, usec + SPOOL_FREE_REFRESH_USEC);
}

static int setup_spool(struct manager *m)
{
	struct podcam_config *cfg = m->config;
	_cleanup_free_ char *queue = NULL;
	struct spool_recovery rec;
	sd_event_source *timer;
	int r;

	r = spool_open(cfg->spool_dir, cfg->spool_max_bytes,
		       cfg->spool_reserve_bytes, &m->spool);
	if (r < 0)
		return log_error_errno(r, "Failed to open the spool %s: %m",
				       cfg->spool_dir);
	r = spool_recover(m->spool, &rec);
	if (r < 0)
		return log_error_errno(r, "Failed to recover the spool %s: %m",
				       cfg->spool_dir);
	if (rec.removed)
		log_notice("Spool: removed %u unfinished photos", rec.removed);
	if (rec.ignored)
		log_warning("Spool: %u entries in queue/ are no photos, ignoring",
			    rec.ignored);
	log_info("Spool %s: %u photos (%llu bytes) waiting for upload",
		 cfg->spool_dir, rec.pending,
		 (unsigned long long)rec.pending_bytes);
	(void)spool_free_bytes(m->spool, &m->spool_free_bytes);

	queue = strdup_printf("%s/" SPOOL_QUEUE_DIR, cfg->spool_dir);
	if (!queue)
		return log_oom();
	r = sd_event_add_defer(m->event, &m->spool_rescan, on_spool_rescan, m);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->spool_rescan, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_inotify(m->event, &m->spool_watch, queue,
					 IN_MOVED_FROM | IN_MOVED_TO |
					 IN_DELETE | IN_CREATE,
					 on_spool_inotify, m);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &timer,
					       CLOCK_MONOTONIC,
					       SPOOL_FREE_REFRESH_USEC, 0,
					       on_spool_free_timer, m);
	if (r >= 0) {
		r = sd_event_source_set_enabled(timer, SD_EVENT_ON);
		(void)sd_event_source_set_floating(timer, true);
		sd_event_source_unref(timer);
	}
	if (r < 0)
		return log_error_errno(r, "Failed to watch %s: %m", queue);
	return 0;
}

/* --- life cycle ------------------------------------------------------- */

void manager_update_status(struct manager *m)
{
	unsigned int streaming = 0;

	for (unsigned int i = 0; i < m->n_cameras; i++)
		streaming += m->cameras[i]->state == CAMERA_STREAMING;
	(void)sd_notifyf(false, "STATUS=%u of %u cameras streaming, %u photos waiting for upload",
			 streaming, m->n_cameras,
			 m->spool ? spool_pending(m->spool) : 0);
}

int manager_new(sd_event *event, struct podcam_config *config,
		struct manager **ret)
{
	_cleanup_(manager_freep) struct manager *m = NULL;
	unsigned int w = 640, h = 480;
	struct group gr, *grp = NULL;
	char buf[4096];
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return log_oom();
	m->event = sd_event_ref(event);
	m->config = config;
	m->tech_gid = (gid_t)-1;
	m->refused_log = (struct ratelimit){
		.interval_usec = REFUSED_LOG_INTERVAL_USEC,
		.burst = REFUSED_LOG_BURST,
	};
	if (getgrnam_r(TECH_GROUP, &gr, buf, sizeof(buf), &grp) == 0 && grp)
		m->tech_gid = gr.gr_gid;

	for (unsigned int i = 0; i < config->n_cameras; i++) {
		w = MAX(w, config->cameras[i].width);
		h = MAX(h, config->cameras[i].height);
	}
	/* One encoder for all cameras, warmed up once here. */
	r = encoder_new(w, h, &m->encoder);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the JPEG encoder: %m");

	*ret = TAKE_PTR(m);
	return 0;
}

int manager_start(struct manager *m)
{
	int r;

	r = setup_spool(m);
	if (r < 0)
		return r;

	r = sd_bus_open_system(&m->bus);
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the system bus: %m");
	r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Failed to attach the bus: %m");
	r = bus_add_manager(m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the manager object: %m");

	for (unsigned int i = 0; i < m->config->n_cameras; i++) {
		struct camera *c;

		r = camera_new(m, &m->config->cameras[i], &c);
		if (r < 0)
			return log_error_errno(r, "Failed to set up camera %s: %m",
					       m->config->cameras[i].role);
		m->cameras[m->n_cameras++] = c;
		r = bus_add_camera(c);
		if (r < 0)
			return log_error_errno(r, "Failed to add %s: %m",
					       c->path);
	}

	r = sd_bus_match_signal(m->bus, NULL, NULL, NULL, DELIVERY_INTERFACE,
				"Delivered", on_delivered, m);
	if (r < 0)
		return log_error_errno(r, "Failed to watch for Delivered: %m");

	for (unsigned int i = 0; i < m->n_cameras; i++)
		camera_start(m->cameras[i]);

	r = sd_bus_request_name(m->bus, BUS_NAME, 0);
	if (r < 0)
		return log_error_errno(r, "Failed to acquire %s: %m", BUS_NAME);
	manager_update_status(m);
	return 0;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	for (unsigned int i = 0; i < m->n_cameras; i++)
		camera_free(m->cameras[i]);
	for (unsigned int i = 0; i < SENDER_CACHE_SIZE; i++)
		free(m->senders[i].name);
	sd_event_source_disable_unref(m->spool_watch);
	sd_event_source_disable_unref(m->spool_rescan);
	sd_bus_flush_close_unref(m->bus);
	encoder_free(m->encoder);
	spool_free(m->spool);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}
