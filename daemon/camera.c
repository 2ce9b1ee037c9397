// SPDX-License-Identifier: GPL-2.0
/*
 * A camera: it streams continuously into its ring of recent frames; a
 * request waits in the camera's bounded queue until every frame of its
 * window [trigger - PreRollMs, trigger + PostRollMs] has arrived, then the
 * sharpest of them is masked, encoded, stamped and committed to the spool,
 * all on the one event loop. A van-stop photo is held in memory until its
 * Delivered, never written before.
 */

#include <time.h>

#include "bus.h"
#include "camera.h"
#include "exif.h"
#include "id.h"
#include "log.h"
#include "manager.h"
#include "sharpness.h"

/* Reopen attempts while the device is gone, or there but unusable. */
#define RETRY_OFFLINE_USEC (500 * 1000ULL)
#define RETRY_ERROR_USEC (5 * 1000 * 1000ULL)
/* How long past its window a request waits for a frame. */
#define NO_FRAME_GRACE_USEC (500 * 1000ULL)

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

const char *camera_state_to_string(enum camera_state s)
{
	static const char *const names[] = {
		[CAMERA_OFFLINE] = "offline",
		[CAMERA_STREAMING] = "streaming",
		[CAMERA_ERROR] = "error",
	};

	return names[s];
}

static struct log_ctx log_ctx(const struct camera *c, const char *photo_id,
			      const char *tracking_id)
{
	return (struct log_ctx){
		.camera = c->config->role,
		.photo_id = photo_id,
		.tracking_id = tracking_id && *tracking_id ? tracking_id : NULL,
	};
}

static void set_last_error(struct camera *c, const char *error)
{
	if (streq_ptr(c->last_error, error))
		return;
	free(c->last_error);
	c->last_error = error ? strdup(error) : NULL;
	bus_camera_changed(c, "LastError", NULL);
}

static void set_state(struct camera *c, enum camera_state state)
{
	if (c->state == state)
		return;
	c->state = state;
	bus_camera_changed(c, "State", "Format", NULL);
	manager_update_status(c->manager);
}

/* --- skips and commits ----------------------------------------------- */

static void skip(struct camera *c, const struct request *req,
		 enum skip_reason reason, sd_bus_message *call,
		 const char *detail)
{
	struct log_ctx ctx = log_ctx(c, NULL, req->tracking_id);
	unsigned int missed = 0;

	c->photos_skipped++;
	/* A flood is told in the journal once, not line by line. */
	if (reason != SKIP_RATE_LIMITED ||
	    ratelimit_below(&c->skip_log, req->received_usec, &missed))
		log_ctx_full(reason == SKIP_SPOOL_FULL ? LOG_ERR : LOG_INFO, 0,
			     &ctx, "%s: %s trigger skipped: %s%s%s",
			     c->config->role, trigger_kind_to_string(req->kind),
			     skip_reason_to_string(reason), detail ? ": " : "",
			     strempty(detail));
	if (missed)
		log_notice("%s: %u more requests were rate-limited",
			   c->config->role, missed);
	bus_emit_photo_skipped(c, req, reason);
	bus_camera_changed(c, "PhotosSkipped", NULL);
	if (call)
		bus_reply_skipped(call, reason, detail);
}

/*
 * Writes a photo durably to the spool and announces it; received_usec is
 * when the request that made it arrive came in.
 */
static void commit(struct camera *c, struct photo_meta *meta,
		   const uint8_t *jpeg, size_t size,
		   const struct request *req, sd_bus_message *call)
{
	struct log_ctx ctx = log_ctx(c, meta->photo_id, meta->tracking_id);
	struct spool_commit_result res;
	_cleanup_free_ char *error = NULL;
	int r;

	meta->trigger_latency_usec =
		now_usec(CLOCK_MONOTONIC) - req->received_usec;
	r = spool_commit(c->manager->spool, meta, jpeg, size, &res);
	if (r < 0) {
		error = strdup_printf("cannot store photo %s: %s",
				      meta->photo_id, strerror(-r));
		set_last_error(c, error);
		/* Cap, reserve, a full disk, an unwritable spool alike:
		 * the photo cannot be kept. Nothing queued is touched. */
		skip(c, req, SKIP_SPOOL_FULL, call, error);
		return;
	}

	c->photos_captured++;
	memcpy(c->last_photo_id, meta->photo_id, sizeof(c->last_photo_id));
	c->last_sharpness = meta->sharpness;
	c->last_latency_usec = now_usec(CLOCK_MONOTONIC) - req->received_usec;
	log_ctx_full(LOG_INFO, 0, &ctx,
		     "%s: photo %s (%s) stored, sharpness %.1f, %llu us",
		     c->config->role, meta->photo_id, meta->trigger,
		     meta->sharpness,
		     (unsigned long long)c->last_latency_usec);
	bus_emit_photo_captured(c, meta);
	bus_camera_changed(c, "PhotosCaptured", "LastPhotoId",
			   "LastSharpness", "LastTriggerLatencyUsec", NULL);
	if (call)
		sd_bus_reply_method_return(call, "s", meta->photo_id);
	if (c->last_error && startswith(c->last_error, "cannot store"))
		set_last_error(c, NULL);
	manager_spool_changed(c->manager);
}

/* --- the van-stop hold ------------------------------------------------ */

static void hold_destroy(struct camera *c, const char *why)
{
	struct hold *h = &c->hold;
	struct log_ctx ctx = log_ctx(c, h->meta.photo_id, NULL);

	if (!h->active)
		return;
	log_ctx_full(LOG_INFO, 0, &ctx, "%s: held van-stop photo %s destroyed: %s",
		     c->config->role, h->meta.photo_id, why);
	explicit_bzero(h->jpeg, h->size);
	free(h->jpeg);
	h->timer = sd_event_source_disable_unref(h->timer);
	*h = (struct hold){};
}

static int on_hold_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	hold_destroy(userdata, "no Delivered within HoldSec");
	return 0;
}

/* Keeps a van-stop photo in memory until a Delivered or HoldSec. */
static void hold_keep(struct camera *c, const struct photo_meta *meta,
		      const uint8_t *jpeg, size_t size, uint64_t received)
{
	struct hold *h = &c->hold;
	struct log_ctx ctx = log_ctx(c, meta->photo_id, NULL);
	int r;

	hold_destroy(c, "a newer van stop");
	h->jpeg = malloc(size);
	if (!h->jpeg) {
		log_ctx_full(LOG_ERR, ENOMEM, &ctx,
			     "%s: cannot hold van-stop photo: %m",
			     c->config->role);
		return;
	}
	memcpy(h->jpeg, jpeg, size);
	h->size = size;
	h->meta = *meta;
	h->received_usec = received;
	r = sd_event_add_time_relative(c->manager->event, &h->timer,
				       CLOCK_MONOTONIC,
				       (uint64_t)c->config->hold_sec * 1000000,
				       0, on_hold_timeout, c);
	if (r < 0) {
		free(h->jpeg);
		*h = (struct hold){};
		log_ctx_full(LOG_ERR, r, &ctx,
			     "%s: cannot time the van-stop hold: %m",
			     c->config->role);
		return;
	}
	h->active = true;
	log_ctx_full(LOG_INFO, 0, &ctx,
		     "%s: van-stop photo %s held for %u s", c->config->role,
		     meta->photo_id, c->config->hold_sec);
}

/*
 * A Delivered for the stop: the held photo becomes that parcel's, with its
 * tracking id, stop id and GPS fix (the EXIF block is rebuilt for the fix).
 */
static void hold_release(struct camera *c, const struct request *req,
			 sd_bus_message *call)
{
	struct hold *h = &c->hold;
	struct photo_meta meta = h->meta;
	_cleanup_free_ uint8_t *jpeg = NULL;
	size_t size;
	int r;

	strcpy(meta.tracking_id, req->tracking_id);
	if (req->stop_id[0])
		strcpy(meta.stop_id, req->stop_id);
	if (req->has_gps) {
		meta.has_gps = true;
		meta.gps = req->gps;
	}
	r = exif_replace(h->jpeg, h->size, &meta, &jpeg, &size);
	if (r < 0) {
		struct log_ctx ctx = log_ctx(c, meta.photo_id,
					     meta.tracking_id);

		/* Keep the photo with the EXIF it was taken with. */
		log_ctx_full(LOG_WARNING, r, &ctx,
			     "%s: cannot restamp held photo, keeping its EXIF: %m",
			     c->config->role);
		meta.has_gps = h->meta.has_gps;
		meta.gps = h->meta.gps;
		commit(c, &meta, h->jpeg, h->size, req, call);
	} else {
		commit(c, &meta, jpeg, size, req, call);
		explicit_bzero(jpeg, size);
	}
	hold_destroy(c, "released");
}

/* --- taking photos ---------------------------------------------------- */

static void flash_put(struct camera *c, struct pending *p)
{
	if (!p->flash)
		return;
	p->flash = false;
	if (--c->flash_refs == 0)
		(void)gpio_set_flash(c->gpio, false);
}

static void pending_done(struct camera *c, struct pending *p)
{
	flash_put(c, p);
	p->call = sd_bus_message_unref(p->call);
}

static void take_photo(struct camera *c, struct pending *p)
{
	const struct camera_config *cfg = c->config;
	struct manager *m = c->manager;
	struct ring_frame *rf, *newest;
	struct photo_meta meta = {};
	struct encode_params params;
	struct log_ctx ctx;
	const uint8_t *jpeg;
	struct tm tm;
	time_t t;
	size_t size;
	int r;

	rf = ring_sharpest(&c->ring, p->window_start, p->window_end);
	newest = ring_newest(&c->ring);
	/* A frame lost in the window: the first one after it will do. */
	if (!rf && newest && newest->frame.mono_usec > p->window_end)
		rf = newest;
	if (!rf) {
		skip(c, &p->req, SKIP_NO_FRAME, p->call, NULL);
		return;
	}

	r = photo_id_new(rf->frame.realtime_usec, meta.photo_id);
	if (r < 0) {
		skip(c, &p->req, SKIP_NO_FRAME, p->call, "no photo id");
		return;
	}
	strcpy(meta.tracking_id, p->req.tracking_id);
	strcpy(meta.stop_id, p->req.stop_id);
	meta.device_id = m->config->device_id;
	meta.camera = cfg->role;
	meta.trigger = trigger_kind_to_string(p->req.kind);
	meta.captured_usec = rf->frame.realtime_usec;
	t = (time_t)(meta.captured_usec / 1000000);
	meta.utc_offset_sec = localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
	meta.frame_sequence = rf->frame.sequence;
	meta.sharpness = rf->sharpness;
	meta.width = rf->frame.view.width;
	meta.height = rf->frame.view.height;
	meta.has_gps = p->req.has_gps;
	meta.gps = p->req.gps;
	meta.make = m->config->make;
	meta.model = m->config->model;

	params = (struct encode_params){
		.quality = (int)cfg->quality,
		.masks = cfg->masks,
		.n_masks = cfg->n_masks,
		.meta = &meta,
	};
	r = encoder_encode(m->encoder, &rf->frame.view, &params, &jpeg, &size);
	flash_put(c, p);
	if (r < 0) {
		_cleanup_free_ char *e = strdup_printf(
			"cannot encode frame %u: %s %s", rf->frame.sequence,
			strerror(-r), strempty(encoder_error_message(m->encoder)));

		ctx = log_ctx(c, meta.photo_id, meta.tracking_id);
		log_ctx_full(LOG_ERR, r, &ctx, "%s: %s", cfg->role, strempty(e));
		set_last_error(c, e);
		skip(c, &p->req, SKIP_NO_FRAME, p->call, e);
		return;
	}

	if (p->req.kind == TRIGGER_STOP)
		hold_keep(c, &meta, jpeg, size, p->req.received_usec);
	else
		commit(c, &meta, jpeg, size, &p->req, p->call);
}

static void arm_deadline(struct camera *c);

/* Takes every request whose window the newest frame completes. */
static void process_queue(struct camera *c)
{
	struct ring_frame *newest = ring_newest(&c->ring);

	while (newest && c->n_queue > 0) {
		struct pending p = c->queue[0];
		uint64_t t = newest->frame.mono_usec;

		/*
		 * Complete once a frame reached its end, or the newest frame
		 * is inside it and the next one would fall after it.
		 */
		if (t < p.window_end &&
		    (t < p.window_start || t + c->period_usec <= p.window_end))
			break;
		c->n_queue--;
		memmove(&c->queue[0], &c->queue[1],
			c->n_queue * sizeof(c->queue[0]));
		take_photo(c, &p);
		pending_done(c, &p);
	}
	arm_deadline(c);
}

/* Requests that got no frame at all: the camera stalled. */
static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct camera *c = userdata;
	uint64_t now = now_usec(CLOCK_MONOTONIC);

	while (c->n_queue > 0 &&
	       c->queue[0].window_end + NO_FRAME_GRACE_USEC <= now) {
		struct pending p = c->queue[0];

		c->n_queue--;
		memmove(&c->queue[0], &c->queue[1],
			c->n_queue * sizeof(c->queue[0]));
		skip(c, &p.req, SKIP_NO_FRAME, p.call, "no frame arrived");
		pending_done(c, &p);
	}
	arm_deadline(c);
	return 0;
}

static void arm_deadline(struct camera *c)
{
	uint64_t when;
	int r;

	if (c->n_queue == 0) {
		(void)sd_event_source_set_enabled(c->deadline, SD_EVENT_OFF);
		return;
	}
	when = c->queue[0].window_end + NO_FRAME_GRACE_USEC;
	if (c->deadline) {
		(void)sd_event_source_set_time(c->deadline, when);
		(void)sd_event_source_set_enabled(c->deadline,
						  SD_EVENT_ONESHOT);
		return;
	}
	r = sd_event_add_time(c->manager->event, &c->deadline,
			      CLOCK_MONOTONIC, when, 0, on_deadline, c);
	if (r < 0)
		log_warning_errno(r, "%s: cannot arm the no-frame timer, ignoring: %m",
				  c->config->role);
}

void camera_submit(struct camera *c, const struct request *req,
		   sd_bus_message *call)
{
	const struct camera_config *cfg = c->config;
	unsigned int depth = MIN(cfg->queue_depth, CAMERA_QUEUE_MAX);
	uint64_t start = req->received_usec;
	struct pending *p;

	if ((req->kind == TRIGGER_DELIVERED || req->kind == TRIGGER_METHOD) &&
	    c->hold.active) {
		hold_release(c, req, call);
		return;
	}
	if (c->state != CAMERA_STREAMING) {
		skip(c, req, SKIP_CAMERA_OFFLINE, call, c->last_error);
		return;
	}
	if (c->n_queue >= depth) {
		skip(c, req, SKIP_RATE_LIMITED, call, "queue full");
		return;
	}
	if (!ratelimit_below(&c->rate, req->received_usec, NULL)) {
		skip(c, req, SKIP_RATE_LIMITED, call, NULL);
		return;
	}

	p = &c->queue[c->n_queue++];
	*p = (struct pending){
		.req = *req,
		.call = sd_bus_message_ref(call),
	};
	if (gpio_has_flash(c->gpio)) {
		/* Lit frames only: the window starts when the light is on. */
		if (c->flash_refs++ == 0)
			(void)gpio_set_flash(c->gpio, true);
		p->flash = true;
		start += (uint64_t)cfg->flash_lead_ms * 1000;
		p->window_start = start;
	} else {
		p->window_start = start - MIN(start,
					      (uint64_t)cfg->pre_roll_ms * 1000);
	}
	p->window_end = start + (uint64_t)cfg->post_roll_ms * 1000;
	/* Without post-roll the frames it needs are there already. */
	process_queue(c);
}

void camera_refuse(struct camera *c, const struct request *req,
		   enum skip_reason reason, sd_bus_message *call)
{
	if (reason == SKIP_CONFIDENTIAL || reason == SKIP_OPT_OUT)
		hold_destroy(c, skip_reason_to_string(reason));
	skip(c, req, reason, call, NULL);
}

/* --- the stream ------------------------------------------------------- */

static void on_frame(void *userdata, const struct capture_frame *f)
{
	struct camera *c = userdata;
	struct ring_frame rf = { .frame = *f }, old;

	if (sharpness_score(&f->view, &rf.sharpness) < 0)
		rf.sharpness = 0;
	c->frames_received++;
	if (ring_push(&c->ring, &rf, &old))
		capture_release(c->capture, old.frame.id);
	if (c->n_queue > 0)
		process_queue(c);
}

static void close_device(struct camera *c, enum skip_reason why)
{
	struct ring_frame old;

	while (c->n_queue > 0) {
		struct pending p = c->queue[--c->n_queue];

		skip(c, &p.req, why, p.call, c->last_error);
		pending_done(c, &p);
	}
	arm_deadline(c);
	if (c->capture) {
		c->frames_dropped += c->capture->ops->dropped(c->capture);
		while (ring_pop(&c->ring, &old))
			capture_release(c->capture, old.frame.id);
	}
	c->capture = capture_close(c->capture);
	c->gpio = gpio_close(c->gpio);
	c->settle = sd_event_source_disable_unref(c->settle);
	c->flash_refs = 0;
}

static void open_device(struct camera *c);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	open_device(userdata);
	return 0;
}

static void schedule_retry(struct camera *c, uint64_t delay)
{
	int r;

	c->retry = sd_event_source_disable_unref(c->retry);
	r = sd_event_add_time_relative(c->manager->event, &c->retry,
				       CLOCK_MONOTONIC, delay, 0, on_retry, c);
	if (r < 0)
		log_error_errno(r, "%s: cannot schedule reopening: %m",
				c->config->role);
}

static void on_lost(void *userdata, int error)
{
	struct camera *c = userdata;
	_cleanup_free_ char *e = strdup_printf("device lost: %s",
					       strerror(-error));

	log_warning("%s: %s, offline until it returns", c->config->role,
		    strempty(e));
	set_last_error(c, e);
	close_device(c, SKIP_CAMERA_OFFLINE);
	set_state(c, CAMERA_OFFLINE);
	schedule_retry(c, RETRY_OFFLINE_USEC);
}

static void on_gpio_lost(void *userdata, int error)
{
	struct camera *c = userdata;

	/* The chip goes with the camera's device; reopen both together. */
	if (c->capture)
		on_lost(c, error);
}

static int on_settle(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct camera *c = userdata;
	struct request req = {
		.kind = TRIGGER_STOP,
		.received_usec = now_usec(CLOCK_MONOTONIC),
	};

	c->settle = sd_event_source_disable_unref(c->settle);
	log_info("%s: van stopped and settled, taking the curb photo",
		 c->config->role);
	camera_submit(c, &req, NULL);
	return 0;
}

static void on_edge(void *userdata, bool rising, uint64_t mono_usec)
{
	struct camera *c = userdata;
	const struct camera_config *cfg = c->config;
	bool wanted = cfg->trigger_edge == GPIO_EDGE_BOTH ||
		      rising == (cfg->trigger_edge == GPIO_EDGE_RISING);
	struct request req = { .received_usec = mono_usec };
	int r;

	if (!cfg->trigger_line)
		return;
	if (cfg->trigger_mode == GPIO_TRIGGER_DOORBELL) {
		if (!wanted)
			return;
		req.kind = TRIGGER_GPIO;
		log_info("%s: doorbell pressed", cfg->role);
		camera_submit(c, &req, NULL);
		return;
	}

	/* Van stop: the signal's edge starts the settle delay, the opposite
	 * one (the van moves on) cancels it. */
	if (!wanted) {
		c->settle = sd_event_source_disable_unref(c->settle);
		return;
	}
	c->settle = sd_event_source_disable_unref(c->settle);
	r = sd_event_add_time(c->manager->event, &c->settle, CLOCK_MONOTONIC,
			      mono_usec + (uint64_t)cfg->settle_ms * 1000, 0,
			      on_settle, c);
	if (r < 0)
		log_error_errno(r, "%s: cannot time the settle delay: %m",
				cfg->role);
}

static const struct capture_callbacks capture_callbacks = {
	.frame = on_frame,
	.lost = on_lost,
};

static const struct gpio_callbacks gpio_callbacks = {
	.edge = on_edge,
	.lost = on_gpio_lost,
};

static void open_device(struct camera *c)
{
	const struct camera_config *cfg = c->config;
	_cleanup_free_ char *error = NULL;
	enum camera_state state;
	int r;

	c->retry = sd_event_source_disable_unref(c->retry);
	r = capture_open(cfg, c->manager->event, &capture_callbacks, c,
			 &c->capture, &error);
	if (r < 0) {
		state = r == -ENOENT || r == -ENODEV || r == -ENXIO ?
				CAMERA_OFFLINE : CAMERA_ERROR;
		if (c->state != state || !streq_ptr(c->last_error, error))
			log_warning_errno(r, "%s: %s", cfg->role,
					  error ? error : "cannot open: %m");
		set_last_error(c, error);
		set_state(c, state);
		schedule_retry(c, state == CAMERA_OFFLINE ? RETRY_OFFLINE_USEC :
							    RETRY_ERROR_USEC);
		return;
	}

	ring_init(&c->ring, c->capture->ops->ring_size(c->capture));
	c->period_usec = c->capture->ops->frame_period_usec(c->capture);
	free(c->format);
	c->format = strdup(c->capture->ops->format(c->capture));
	r = encoder_warm_up(c->manager->encoder, cfg->pixelformat, cfg->width,
			    cfg->height);
	if (r < 0)
		log_warning_errno(r, "%s: warm-up encode failed, ignoring: %m",
				  cfg->role);

	r = gpio_open(cfg, c->manager->event, &gpio_callbacks, c, &c->gpio,
		      &error);
	if (r < 0) {
		/* Capture without the lines rather than not at all. */
		log_warning_errno(r, "%s: %s, continuing without GPIO",
				  cfg->role, error ? error : "GPIO: %m");
		set_last_error(c, error);
	} else {
		set_last_error(c, NULL);
	}
	log_info("%s: streaming %s from %s", cfg->role, strempty(c->format),
		 cfg->device);
	set_state(c, CAMERA_STREAMING);
}

void camera_start(struct camera *c)
{
	open_device(c);
}

/* FramesReceived and FramesDropped change with every frame: at 1 Hz. */
static int on_counters(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct camera *c = userdata;
	static const uint64_t second = 1000000;

	bus_camera_changed(c, "FramesReceived", "FramesDropped", NULL);
	return sd_event_source_set_time(s, usec + second);
}

int camera_new(struct manager *m, const struct camera_config *cfg,
	       struct camera **ret)
{
	struct camera *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->manager = m;
	c->config = cfg;
	c->state = CAMERA_OFFLINE;
	c->rate = (struct ratelimit){
		.interval_usec = (uint64_t)cfg->rate_interval_sec * 1000000,
		.burst = cfg->rate_burst,
	};
	c->skip_log = (struct ratelimit){
		.interval_usec = 10 * 1000000ULL,
		.burst = 10,
	};
	r = sd_bus_path_encode(CAMERA_PATH_PREFIX, cfg->role, &c->path);
	if (r < 0)
		goto fail;
	r = sd_event_add_time_relative(m->event, &c->counters,
				       CLOCK_MONOTONIC, 1000000, 0,
				       on_counters, c);
	if (r < 0)
		goto fail;
	r = sd_event_source_set_enabled(c->counters, SD_EVENT_ON);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	camera_free(c);
	return r;
}

struct camera *camera_free(struct camera *c)
{
	if (!c)
		return NULL;
	close_device(c, SKIP_CAMERA_OFFLINE);
	hold_destroy(c, "podcamd stopping");
	c->retry = sd_event_source_disable_unref(c->retry);
	c->deadline = sd_event_source_disable_unref(c->deadline);
	c->counters = sd_event_source_disable_unref(c->counters);
	c->emit_changed = sd_event_source_disable_unref(c->emit_changed);
	c->slot = sd_bus_slot_unref(c->slot);
	free(c->format);
	free(c->last_error);
	free(c->path);
	free(c);
	return NULL;
}
