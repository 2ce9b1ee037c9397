// SPDX-License-Identifier: GPL-2.0
/*
 * podcam-upload's state machine. A photo in the window is attempted as:
 * load and verify queue/ID, read the credentials, PUT ID.jpg, PUT ID.json,
 * then remove it through trash/. A transient failure (no answer, 408, 429,
 * 5xx, 3xx) holds every new attempt back for a full-jitter backoff or the
 * server's Retry-After; a refusal (other 4xx) or a damaged entry moves the
 * photo to quarantine/. This is the top layer: it logs.
 */

#include <sodium.h>
#include <stdarg.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"
#include "upload-bus.h"
#include "upload-http.h"
#include "upload-manager.h"
#include "upload-policy.h"
#include "upload-queue.h"

struct upload_job {
	struct upload_manager *m;
	struct upload_entry *e;
	struct upload_photo *photo;
	struct upload_target target;
	char *jpg_url, *json_url;
	bool json; /* the JPEG is confirmed, the JSON is next */
};

static void kick(struct upload_manager *m);

static void changed(struct upload_manager *m, unsigned int props)
{
	upload_bus_changed(m, props);
	if (props & (PROP_PENDING | PROP_UPLOADED | PROP_QUARANTINED))
		(void)sd_notifyf(false,
				 "STATUS=%u pending, %" PRIu64
				 " uploaded, %u quarantined",
				 upload_manager_pending(m), m->uploaded,
				 m->quarantined);
}

static void set_last_error(struct upload_manager *m, const char *fmt, ...)
	_printf_(2, 3);
static void set_last_error(struct upload_manager *m, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	free(m->last_error);
	m->last_error = s;
	changed(m, PROP_LAST_ERROR);
}

static void clear_last_error(struct upload_manager *m)
{
	if (!m->last_error || !*m->last_error)
		return;
	free(m->last_error);
	m->last_error = NULL;
	changed(m, PROP_LAST_ERROR);
}

uint32_t upload_manager_pending(const struct upload_manager *m)
{
	uint64_t n = m->n_entries + m->pending_beyond;

	return (uint32_t)MIN(n, UINT32_MAX);
}

static uint64_t now_usec(struct upload_manager *m)
{
	uint64_t t = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &t);
	return t;
}

/* The window: a sorted array of entries, binary searched. */
static unsigned int entry_pos(struct upload_manager *m, const char *id,
			      bool *found)
{
	unsigned int lo = 0, hi = m->n_entries;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		int c = strcmp(m->entries[mid]->id, id);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void entry_remove_at(struct upload_manager *m, unsigned int i)
{
	free(m->entries[i]->location);
	free(m->entries[i]);
	memmove(&m->entries[i], &m->entries[i + 1],
		(m->n_entries - i - 1) * sizeof(m->entries[0]));
	m->n_entries--;
}

static void entry_remove(struct upload_manager *m, struct upload_entry *e)
{
	bool found;
	unsigned int i = entry_pos(m, e->id, &found);

	if (found)
		entry_remove_at(m, i);
}

/*
 * Adds id to the window. Returns 1 when added, 0 when known or when it
 * belongs beyond a full window (then counted in pending_beyond).
 */
static int entry_add(struct upload_manager *m, const char *id)
{
	struct upload_entry *e;
	unsigned int i;
	bool found;

	i = entry_pos(m, id, &found);
	if (found)
		return 0;
	if (m->n_entries == UPLOAD_WINDOW) {
		unsigned int j = m->n_entries;

		/* Make room by dropping the newest idle entry, if newer. */
		while (j > i &&
		       (m->entries[j - 1]->job || m->entries[j - 1]->location))
			j--;
		m->overflow = true;
		m->pending_beyond++;
		if (j == i)
			return 0;
		entry_remove_at(m, j - 1);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	memcpy(e->id, id, PHOTO_ID_LEN + 1);
	e->added = ++m->serial;
	memmove(&m->entries[i + 1], &m->entries[i],
		(m->n_entries - i) * sizeof(m->entries[0]));
	m->entries[i] = e;
	m->n_entries++;
	return 1;
}

/*
 * Reads queue/ and makes the window its oldest entries, keeping the
 * entries being attempted.
 */
static int rescan(struct upload_manager *m)
{
	_cleanup_free_ char(*ids)[PHOTO_ID_LEN + 1] = NULL;
	size_t n, total;
	unsigned int i;
	int r;

	ids = calloc(UPLOAD_WINDOW, sizeof(*ids));
	if (!ids)
		return log_error_errno(-ENOMEM, "Out of memory");
	r = upload_queue_scan(m->queue, ids, UPLOAD_WINDOW, &n, &total);
	if (r < 0)
		return log_error_errno(r, "Failed to scan %s/%s: %m",
				       m->config->spool_dir, SPOOL_QUEUE_DIR);

	/* Drop idle entries that are gone or no longer among the oldest. */
	for (i = m->n_entries; i > 0; i--) {
		struct upload_entry *e = m->entries[i - 1];
		bool keep = false;

		for (size_t lo = 0, hi = n; lo < hi && !keep;) {
			size_t mid = (lo + hi) / 2;
			int c = strcmp(ids[mid], e->id);

			if (c == 0)
				keep = true;
			else if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!keep && !e->job && !e->location)
			entry_remove_at(m, i - 1);
	}
	m->pending_beyond = 0;
	for (i = 0; i < n; i++) {
		r = entry_add(m, ids[i]);
		if (r < 0)
			return log_error_errno(-ENOMEM, "Out of memory");
	}
	m->pending_beyond = total > m->n_entries ? total - m->n_entries : 0;
	m->overflow = m->pending_beyond > 0;
	changed(m, PROP_PENDING);
	kick(m);
	return 0;
}

static bool flush_owed(struct upload_manager *m, struct upload_entry *e)
{
	return m->flush_serial && e->added < m->flush_serial &&
	       e->attempted < m->flush_serial;
}

static void check_flushes(struct upload_manager *m)
{
	for (unsigned int i = m->n_flushes; i > 0; i--) {
		struct flush_waiter *w = &m->flushes[i - 1];
		bool done = true;
		int r;

		for (unsigned int j = 0; j < m->n_entries && done; j++)
			if (m->entries[j]->added < w->serial &&
			    m->entries[j]->attempted < w->serial)
				done = false;
		if (!done)
			continue;
		r = sd_bus_reply_method_return(w->call, "");
		if (r < 0)
			log_warning_errno(
				r, "Failed to reply to Flush(), ignoring: %m");
		sd_bus_message_unref(w->call);
		*w = m->flushes[--m->n_flushes];
	}
	if (m->n_flushes == 0)
		m->flush_serial = 0;
}

static void job_free(struct upload_job *j)
{
	upload_photo_free(j->photo);
	upload_target_done(&j->target);
	free(j->jpg_url);
	free(j->json_url);
	free(j);
}

/* The attempt is over; remove says whether the entry left queue/. */
static void job_end(struct upload_job *j, bool remove)
{
	struct upload_manager *m = j->m;
	struct upload_entry *e = j->e;

	e->job = NULL;
	e->attempted = ++m->serial;
	m->running--;
	job_free(j);
	if (remove) {
		entry_remove(m, e);
		if (m->overflow && m->n_entries < UPLOAD_WINDOW / 2)
			(void)rescan(m);
		changed(m, PROP_PENDING);
	}
	check_flushes(m);
	kick(m);
}

static void attempt_failed(struct upload_job *j, int64_t retry_after_sec,
			   const char *what);

static void format_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void quarantine(struct upload_job *j, const char *status,
		       const char *url, const char *what)
{
	struct upload_manager *m = j->m;
	struct log_ctx ctx = { .photo_id = j->e->id };
	_cleanup_free_ char *reason = NULL;
	char t[64];
	int r;

	format_now(t, sizeof(t));
	if (asprintf(&reason, "status: %s\nurl: %s\nresponse: %s\ntime: %s\n",
		     status, strempty(url), what, t) < 0) {
		attempt_failed(j, -1, "out of memory");
		return;
	}
	r = upload_queue_quarantine(m->queue, j->e->id, reason);
	if (r < 0) {
		/* It stays queued and is tried again later: nothing is lost. */
		log_ctx_full(LOG_ERR, r, &ctx,
			     "Failed to move photo %s to quarantine: %m",
			     j->e->id);
		attempt_failed(j, -1,
			       "cannot move a refused photo to quarantine");
		return;
	}
	m->failed++;
	m->quarantined++;
	log_ctx_full(LOG_ERR, 0, &ctx,
		     "Photo %s refused (%s%s%s), moved to quarantine", j->e->id,
		     status, *what ? ": " : "", what);
	set_last_error(m, "Photo %s quarantined: %s%s%s", j->e->id, status,
		       *what ? ": " : "", what);
	changed(m, PROP_FAILED | PROP_QUARANTINED);
	job_end(j, true);
}

/* A transient failure of e: hold every new attempt back, keep the photo. */
static void hold_back(struct upload_manager *m, struct upload_entry *e,
		      int64_t retry_after_sec, const char *what)
{
	struct log_ctx ctx = { .photo_id = e->id };
	uint64_t delay, rnd, now = now_usec(m);
	unsigned int n;

	e->failures++;
	m->consecutive_failures++;
	m->failed++;
	n = MAX(e->failures, m->consecutive_failures);
	randombytes_buf(&rnd, sizeof(rnd));
	delay = upload_retry_delay_usec(
		n, (uint64_t)m->uc->retry_initial_ms * 1000,
		(uint64_t)m->uc->retry_max_sec * 1000000, retry_after_sec, rnd);
	m->hold_until = MAX(m->hold_until, now + delay);
	(void)sd_event_source_set_time(m->retry, m->hold_until);
	(void)sd_event_source_set_enabled(m->retry, SD_EVENT_ONESHOT);

	log_ctx_full(LOG_WARNING, 0, &ctx,
		     "Upload of %s failed (%s), attempt %u, retry in %" PRIu64
		     " ms%s",
		     e->id, what, e->failures, delay / 1000,
		     retry_after_sec >= 0 ? " (Retry-After)" : "");
	set_last_error(m, "%s", what);
	changed(m, PROP_FAILED);
}

static void attempt_failed(struct upload_job *j, int64_t retry_after_sec,
			   const char *what)
{
	hold_back(j->m, j->e, retry_after_sec, what);
	job_end(j, false);
}

/*
 * Both objects are confirmed. The local removal (two directory fsyncs)
 * waits for an idle moment of the loop, so that it overlaps the next
 * transfers instead of delaying them, and photos confirmed meanwhile
 * share the fsyncs.
 */
static void job_succeeded(struct upload_job *j)
{
	struct upload_manager *m = j->m;
	struct upload_entry *e = j->e;

	e->location = TAKE_PTR(j->jpg_url);
	m->consecutive_failures = 0;
	m->n_confirmed++;
	(void)sd_event_source_set_enabled(m->finish, SD_EVENT_ONESHOT);
	job_end(j, false);
}

/* Removes every confirmed photo from the spool, then reports them. */
static void finish_confirmed(struct upload_manager *m)
{
	const char *ids[UPLOAD_WINDOW];
	struct upload_entry *done[UPLOAD_WINDOW];
	int moved[UPLOAD_WINDOW];
	unsigned int n = 0, uploaded = 0;
	int r;

	for (unsigned int i = 0; i < m->n_entries; i++)
		if (m->entries[i]->location) {
			done[n] = m->entries[i];
			ids[n++] = m->entries[i]->id;
		}
	m->n_confirmed = 0;
	if (n == 0)
		return;

	r = upload_queue_finish(m->queue, ids, n, moved);
	if (r < 0)
		log_warning_errno(
			r,
			"Failed to sync or empty %s/%s after uploads, "
			"ignoring (done again at the next start): %m",
			m->config->spool_dir, SPOOL_TRASH_DIR);
	for (unsigned int i = 0; i < n; i++) {
		struct upload_entry *e = done[i];
		struct log_ctx ctx = { .photo_id = e->id };

		if (moved[i] < 0 && moved[i] != -ENOENT) {
			/* Still queued: the next try gets 412 and ends. */
			log_ctx_full(LOG_ERR, moved[i], &ctx,
				     "Uploaded %s but failed to remove it: %m",
				     e->id);
			free(e->location);
			e->location = NULL;
			hold_back(m, e, -1, "cannot remove an uploaded photo");
			continue;
		}
		log_ctx_full(LOG_INFO, 0, &ctx, "Uploaded %s to %s", e->id,
			     e->location);
		r = upload_bus_photo_uploaded(m, e->id, e->location);
		if (r < 0)
			log_warning_errno(
				r,
				"Failed to send PhotoUploaded, ignoring: %m");
		m->uploaded++;
		memcpy(m->last_uploaded_id, e->id, sizeof(m->last_uploaded_id));
		entry_remove(m, e);
		uploaded++;
	}
	if (uploaded == 0)
		return;
	clear_last_error(m);
	if (m->overflow && m->n_entries < UPLOAD_WINDOW / 2)
		(void)rescan(m);
	changed(m, PROP_PENDING | PROP_UPLOADED | PROP_LAST_UPLOADED_ID);
	check_flushes(m);
	kick(m);
}

static int on_finish(sd_event_source *s, void *userdata)
{
	finish_confirmed(userdata);
	return 0;
}

static int job_put(struct upload_job *j);

static void on_put_done(const struct upload_result *r, void *userdata)
{
	struct upload_job *j = userdata;
	const char *url = j->json ? j->json_url : j->jpg_url;
	_cleanup_free_ char *what = NULL;
	char status[16];
	int k;

	switch (upload_classify(r->curl_code, r->status)) {
	case UPLOAD_DONE:
		if (j->json) {
			job_succeeded(j);
			return;
		}
		j->json = true;
		k = job_put(j);
		if (k < 0)
			attempt_failed(j, -1, "cannot start a transfer");
		return;
	case UPLOAD_REFUSED:
		snprintf(status, sizeof(status), "%ld", r->status);
		quarantine(j, status, url, r->body_line);
		return;
	case UPLOAD_RETRY:
		break;
	}

	if (r->curl_code)
		k = asprintf(&what, "PUT %s: %s", url, r->error);
	else if (r->status >= 300 && r->status < 400)
		k = asprintf(&what,
			     "PUT %s: redirected (%ld) to %s, not followed",
			     url, r->status,
			     *r->location ? r->location : "nowhere");
	else
		k = asprintf(&what, "PUT %s: HTTP %ld%s%s", url, r->status,
			     *r->body_line ? ": " : "", r->body_line);
	attempt_failed(j, r->retry_after_sec, k < 0 ? "out of memory" : what);
}

static int job_put(struct upload_job *j)
{
	struct upload_photo *p = j->photo;
	struct upload_put put = {
		.url = j->json ? j->json_url : j->jpg_url,
		.body = j->json ? p->meta : p->jpeg,
		.len = j->json ? p->meta_len : p->jpeg_len,
		.content_type = j->json ? "application/json" : "image/jpeg",
		.sha256_hex = j->json ? p->meta_sha256 : p->sha256,
	};

	return upload_http_put(j->m->http, &j->target, &put, on_put_done, j);
}

/*
 * Starts an attempt on e. Returns 1 when e left the window at once (gone,
 * or damaged and quarantined), 0 otherwise.
 */
static int job_start(struct upload_manager *m, struct upload_entry *e)
{
	struct log_ctx ctx = { .photo_id = e->id };
	_cleanup_free_ char *reason = NULL, *err = NULL;
	struct upload_job *j;
	int r;

	j = calloc(1, sizeof(*j));
	if (!j) {
		log_error_errno(-ENOMEM, "Out of memory");
		return 0;
	}
	j->m = m;
	j->e = e;
	e->job = j;
	m->running++;

	r = upload_photo_load(m->queue, e->id, &j->photo, &reason);
	if (r == -ENOENT) {
		log_ctx_full(LOG_INFO, 0, &ctx, "Photo %s is gone from %s",
			     e->id, SPOOL_QUEUE_DIR);
		job_end(j, true);
		return 1;
	}
	if (r == -EBADMSG) {
		quarantine(j, "none", NULL, reason);
		return 1;
	}
	if (r < 0) {
		log_ctx_full(LOG_ERR, r, &ctx, "Failed to read %s/%s: %m",
			     SPOOL_QUEUE_DIR, e->id);
		attempt_failed(j, -1,
			       r == -ENOMEM ? "out of memory" :
					      "cannot read the spool entry");
		return 0;
	}

	r = upload_target_load(&j->target, m->uc, &err);
	if (r < 0) {
		log_error_errno(r, "%s", err ? err : "Cannot load credentials");
		attempt_failed(j, -1, err ? err : "cannot load credentials");
		return 0;
	}
	r = upload_object_url(m->uc, j->photo->device_id, e->id, ".jpg",
			      &j->jpg_url);
	if (r >= 0)
		r = upload_object_url(m->uc, j->photo->device_id, e->id,
				      ".json", &j->json_url);
	if (r >= 0)
		r = job_put(j);
	if (r < 0) {
		log_ctx_full(LOG_ERR, r, &ctx,
			     "Failed to start the upload of %s: %m", e->id);
		attempt_failed(j, -1, "cannot start a transfer");
	}
	return 0;
}

static void schedule(struct upload_manager *m)
{
	uint64_t now = now_usec(m);

	if (m->config_error)
		return;
	for (unsigned int i = 0;
	     i < m->n_entries && m->running < m->uc->concurrency; i++) {
		struct upload_entry *e = m->entries[i];

		if (e->job || e->location)
			continue;
		if (now < m->hold_until && !flush_owed(m, e))
			continue;
		if (job_start(m, e) > 0)
			i--; /* e left the window; the next one moved up */
	}
}

static int on_kick(sd_event_source *s, void *userdata)
{
	schedule(userdata);
	return 0;
}

static void kick(struct upload_manager *m)
{
	(void)sd_event_source_set_enabled(m->kick, SD_EVENT_ONESHOT);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	schedule(userdata);
	return 0;
}

static int on_rescan(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct upload_manager *m = userdata;

	(void)rescan(m);
	(void)sd_event_source_set_time_relative(s, (uint64_t)m->uc->rescan_sec *
							   1000000);
	return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev,
		      void *userdata)
{
	struct upload_manager *m = userdata;
	bool found;
	unsigned int i;

	if (ev->mask & IN_Q_OVERFLOW) {
		(void)rescan(m);
		return 0;
	}
	if (ev->len == 0 || !photo_id_is_valid(ev->name))
		return 0;
	if (ev->mask & IN_MOVED_TO) {
		if (entry_add(m, ev->name) < 0)
			return log_error_errno(-ENOMEM, "Out of memory");
		changed(m, PROP_PENDING);
		kick(m);
	} else if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
		/* Taken away by someone else (ours are out of the window). */
		i = entry_pos(m, ev->name, &found);
		if (found && !m->entries[i]->job && !m->entries[i]->location) {
			entry_remove_at(m, i);
			changed(m, PROP_PENDING);
			check_flushes(m);
		}
	}
	return 0;
}

int upload_manager_flush(struct upload_manager *m, sd_bus_message *call,
			 sd_bus_error *error)
{
	struct flush_waiter *w;

	if (m->config_error)
		return sd_bus_error_setf(error,
					 "org.podcam1.Error.NotConfigured",
					 "%s", m->config_error);
	if (m->n_flushes == UPLOAD_MAX_FLUSHES)
		return sd_bus_error_set(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
					"Too many Flush() calls waiting");

	log_info("Flush requested: retrying now");
	m->hold_until = 0;
	m->consecutive_failures = 0;
	for (unsigned int i = 0; i < m->n_entries; i++)
		m->entries[i]->failures = 0;
	(void)sd_event_source_set_enabled(m->retry, SD_EVENT_OFF);

	w = &m->flushes[m->n_flushes++];
	w->call = sd_bus_message_ref(call);
	w->serial = m->flush_serial = ++m->serial;
	check_flushes(m); /* nothing pending: replies at once */
	kick(m);
	return 1;
}

void upload_manager_stop(struct upload_manager *m)
{
	/* Confirmed photos are removed now rather than sent again later. */
	if (m->queue && m->n_confirmed > 0)
		finish_confirmed(m);
}

struct upload_manager *upload_manager_free(struct upload_manager *m)
{
	if (!m)
		return NULL;
	/* Transfers first: their callbacks point into the jobs. */
	upload_http_free(m->http);
	for (unsigned int i = 0; i < m->n_entries; i++) {
		if (m->entries[i]->job)
			job_free(m->entries[i]->job);
		free(m->entries[i]->location);
		free(m->entries[i]);
	}
	for (unsigned int i = 0; i < m->n_flushes; i++)
		sd_bus_message_unref(m->flushes[i].call);
	sd_event_source_disable_unref(m->inotify);
	sd_event_source_disable_unref(m->rescan);
	sd_event_source_disable_unref(m->retry);
	sd_event_source_disable_unref(m->kick);
	sd_event_source_disable_unref(m->finish);
	upload_queue_free(m->queue);
	sd_bus_flush_close_unref(m->bus);
	sd_event_unref(m->event);
	free(m->config_error);
	free(m->last_error);
	free(m);
	return NULL;
}

/* A defer source, off until enabled as SD_EVENT_ONESHOT. */
static int add_defer(struct upload_manager *m, sd_event_source **ret,
		     sd_event_handler_t fn, const char *name, int64_t priority)
{
	int r;

	r = sd_event_add_defer(m->event, ret, fn, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(*ret, name);
	r = sd_event_source_set_priority(*ret, priority);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(*ret, SD_EVENT_OFF);
}

int upload_manager_new(sd_event *e, const struct podcam_config *c,
		       struct upload_manager **ret)
{
	_cleanup_(upload_manager_freep) struct upload_manager *m = NULL;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->event = sd_event_ref(e);
	m->config = c;
	m->uc = &c->upload;

	r = upload_config_check(m->uc, &m->config_error);
	if (r < 0 && r != -EINVAL)
		return r;

	r = upload_http_new(e, &m->http);
	if (r < 0)
		return r;
	r = add_defer(m, &m->kick, on_kick, "kick", SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	r = add_defer(m, &m->finish, on_finish, "finish",
		      SD_EVENT_PRIORITY_IDLE);
	if (r < 0)
		return r;
	r = sd_event_add_time(e, &m->retry, CLOCK_MONOTONIC, UINT64_MAX, 1000,
			      on_retry, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(m->retry, "retry");
	r = sd_event_source_set_enabled(m->retry, SD_EVENT_OFF);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(m);
	return 0;
}

int upload_manager_start(struct upload_manager *m)
{
	const char *spool = m->config->spool_dir;
	unsigned int removed = 0;
	int r;

	r = upload_queue_open(spool, &m->queue);
	if (r < 0)
		return log_error_errno(r, "Failed to open the spool %s: %m",
				       spool);
	r = upload_queue_recover(m->queue, &removed);
	if (r < 0)
		return log_error_errno(r, "Failed to empty %s/%s: %m", spool,
				       SPOOL_TRASH_DIR);
	if (removed > 0)
		log_info("Finished removing %u uploaded photo(s) from %s/%s",
			 removed, spool, SPOOL_TRASH_DIR);
	r = upload_queue_count_quarantine(m->queue, &m->quarantined);
	if (r < 0)
		return log_error_errno(r, "Failed to read %s/%s: %m", spool,
				       SPOOL_QUARANTINE_DIR);

	/* Watch before scanning, so that nothing slips between the two. */
	r = sd_event_add_inotify(m->event, &m->inotify, m->queue->queue_path,
				 IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
					 IN_ONLYDIR,
				 on_inotify, m);
	if (r < 0)
		return log_error_errno(r, "Failed to watch %s: %m",
				       m->queue->queue_path);
	r = sd_event_add_time_relative(m->event, &m->rescan, CLOCK_MONOTONIC,
				       (uint64_t)m->uc->rescan_sec * 1000000,
				       1000000, on_rescan, m);
	if (r < 0)
		return log_error_errno(r, "Failed to add the rescan timer: %m");
	r = sd_event_source_set_enabled(m->rescan, SD_EVENT_ON);
	if (r < 0)
		return log_error_errno(r,
				       "Failed to enable the rescan timer: %m");

	r = rescan(m);
	if (r < 0)
		return r;

	if (m->config_error) {
		log_error("Not uploading: %s", m->config_error);
		set_last_error(m, "%s", m->config_error);
	}
	return 0;
}
