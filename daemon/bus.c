// SPDX-License-Identifier: GPL-2.0
/*
 * The D-Bus face of podcamd (SPEC section 4, docs/dbus.md): one vtable per
 * interface, properties that either never change or emit
 * PropertiesChanged, and the two signals of every camera.
 */

#include <stdarg.h>
#include <time.h>

#include "bus.h"
#include "log.h"

/* --- org.podcam1.Manager ---------------------------------------------- */

static int property_get_version(sd_bus *bus, const char *path,
				const char *interface, const char *property,
				sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", PODCAM_VERSION);
}

static int property_get_cameras(sd_bus *bus, const char *path,
				const char *interface, const char *property,
				sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	struct manager *m = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "o");
	if (r < 0)
		return r;
	for (unsigned int i = 0; i < m->n_cameras; i++) {
		r = sd_bus_message_append(reply, "o", m->cameras[i]->path);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

static int property_get_spool_pending(sd_bus *bus, const char *path,
				      const char *interface,
				      const char *property,
				      sd_bus_message *reply, void *userdata,
				      sd_bus_error *error)
{
	struct manager *m = userdata;

	return sd_bus_message_append(reply, "u", spool_pending(m->spool));
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", property_get_version, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Cameras", "ao", property_get_cameras, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SpoolPending", "u", property_get_spool_pending, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SpoolFreeBytes", "t", NULL,
			offsetof(struct manager, spool_free_bytes),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END
};

int bus_add_manager(struct manager *m)
{
	return sd_bus_add_object_vtable(m->bus, NULL, MANAGER_PATH,
					MANAGER_INTERFACE, manager_vtable, m);
}

/* --- org.podcam1.Camera ----------------------------------------------- */

static int property_get_string(sd_bus *bus, const char *path,
			       const char *interface, const char *property,
			       sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	struct camera *c = userdata;
	const char *s = NULL;

	if (streq(property, "Role"))
		s = c->config->role;
	else if (streq(property, "Device"))
		s = c->config->device;
	else if (streq(property, "State"))
		s = camera_state_to_string(c->state);
	else if (streq(property, "Format"))
		s = c->state == CAMERA_STREAMING ? c->format : NULL;
	else if (streq(property, "LastError"))
		s = c->last_error;
	else if (streq(property, "LastPhotoId"))
		s = c->last_photo_id;
	return sd_bus_message_append(reply, "s", strempty(s));
}

static int property_get_frames_dropped(sd_bus *bus, const char *path,
				       const char *interface,
				       const char *property,
				       sd_bus_message *reply, void *userdata,
				       sd_bus_error *error)
{
	struct camera *c = userdata;
	uint64_t n = c->frames_dropped;

	if (c->capture)
		n += c->capture->ops->dropped(c->capture);
	return sd_bus_message_append(reply, "t", n);
}

static int method_trigger(sd_bus_message *msg, void *userdata,
			  sd_bus_error *error)
{
	struct camera *c = userdata;
	struct timespec ts;
	struct request req = { .kind = TRIGGER_METHOD };
	const char *why = NULL;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	req.received_usec = (uint64_t)ts.tv_sec * 1000000 +
			    (uint64_t)ts.tv_nsec / 1000;

	r = manager_sender_technician(c->manager, msg);
	if (r < 0)
		return r;
	if (r == 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
					"Trigger() is for root and podcam-tech");

	r = request_parse(msg, &req, &why);
	if (r < 0) {
		camera_refuse(c, &req, SKIP_INVALID_REQUEST, NULL);
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s", why);
	}
	manager_dispatch(c->manager, &req, c, msg);
	return 1;
}

static int method_test_shot(sd_bus_message *msg, void *userdata,
			    sd_bus_error *error)
{
	struct camera *c = userdata;
	int r;

	r = manager_sender_technician(c->manager, msg);
	if (r < 0)
		return r;
	if (r == 0)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
					"TestShot() is for root and podcam-tech");
	return camera_test_shot(c, msg, error);
}

static const sd_bus_vtable camera_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Role", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Device", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Format", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("FramesReceived", "t", NULL,
			offsetof(struct camera, frames_received),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("FramesDropped", "t", property_get_frames_dropped, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PhotosCaptured", "t", NULL,
			offsetof(struct camera, photos_captured),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PhotosSkipped", "t", NULL,
			offsetof(struct camera, photos_skipped),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastPhotoId", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastSharpness", "d", NULL,
			offsetof(struct camera, last_sharpness),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastTriggerLatencyUsec", "t", NULL,
			offsetof(struct camera, last_latency_usec),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastError", "s", property_get_string, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_NAMES("Trigger", "sa{sv}",
				 SD_BUS_PARAM(tracking_id)
				 SD_BUS_PARAM(details),
				 "s", SD_BUS_PARAM(photo_id),
				 method_trigger, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("TestShot", NULL, ,
				 "sduu", SD_BUS_PARAM(path)
				 SD_BUS_PARAM(sharpness)
				 SD_BUS_PARAM(width)
				 SD_BUS_PARAM(height),
				 method_test_shot, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("PhotoCaptured", "ssst",
				 SD_BUS_PARAM(photo_id)
				 SD_BUS_PARAM(tracking_id)
				 SD_BUS_PARAM(trigger)
				 SD_BUS_PARAM(captured_usec), 0),
	SD_BUS_SIGNAL_WITH_NAMES("PhotoSkipped", "sss",
				 SD_BUS_PARAM(tracking_id)
				 SD_BUS_PARAM(trigger)
				 SD_BUS_PARAM(reason), 0),
	SD_BUS_VTABLE_END
};

int bus_add_camera(struct camera *c)
{
	return sd_bus_add_object_vtable(c->manager->bus, &c->slot, c->path,
					CAMERA_INTERFACE, camera_vtable, c);
}

/* --- changes and signals ---------------------------------------------- */

static void emit_changed(sd_bus *bus, const char *path, const char *iface,
			 const char *first, va_list ap)
{
	const char *names[16];
	unsigned int n = 0;
	int r;

	if (!bus)
		return;
	for (const char *p = first; p && n < ELEMENTSOF(names) - 1;
	     p = va_arg(ap, const char *))
		names[n++] = p;
	names[n] = NULL;
	r = sd_bus_emit_properties_changed_strv(bus, path, iface,
						(char **)names);
	if (r < 0)
		log_debug_errno(r, "Cannot emit PropertiesChanged on %s, ignoring: %m",
				path);
}

/* The properties that change, by bit in camera->changed. */
static const char *const camera_changing[] = {
	"State", "Format", "FramesReceived", "FramesDropped",
	"PhotosCaptured", "PhotosSkipped", "LastPhotoId", "LastSharpness",
	"LastTriggerLatencyUsec", "LastError",
};

/* One PropertiesChanged per loop iteration, however much changed. */
static int on_emit_changed(sd_event_source *s, void *userdata)
{
	struct camera *c = userdata;
	const char *names[ELEMENTSOF(camera_changing) + 1];
	unsigned int n = 0;
	int r;

	for (unsigned int i = 0; i < ELEMENTSOF(camera_changing); i++)
		if (c->changed & 1u << i)
			names[n++] = camera_changing[i];
	names[n] = NULL;
	c->changed = 0;
	r = sd_bus_emit_properties_changed_strv(c->manager->bus, c->path,
						CAMERA_INTERFACE,
						(char **)names);
	if (r < 0)
		log_debug_errno(r, "Cannot emit PropertiesChanged on %s, ignoring: %m",
				c->path);
	return 0;
}

void bus_camera_changed(struct camera *c, const char *property, ...)
{
	va_list ap;
	int r;

	if (!c->manager->bus)
		return;
	va_start(ap, property);
	for (const char *p = property; p; p = va_arg(ap, const char *))
		for (unsigned int i = 0; i < ELEMENTSOF(camera_changing); i++)
			if (streq(p, camera_changing[i]))
				c->changed |= 1u << i;
	va_end(ap);

	if (!c->emit_changed) {
		r = sd_event_add_defer(c->manager->event, &c->emit_changed,
				       on_emit_changed, c);
		if (r < 0) {
			log_debug_errno(r, "Cannot defer PropertiesChanged, ignoring: %m");
			return;
		}
	}
	(void)sd_event_source_set_enabled(c->emit_changed, SD_EVENT_ONESHOT);
}

void bus_manager_changed(struct manager *m, const char *property, ...)
{
	va_list ap;

	va_start(ap, property);
	emit_changed(m->bus, MANAGER_PATH, MANAGER_INTERFACE, property, ap);
	va_end(ap);
}

void bus_emit_photo_captured(struct camera *c, const struct photo_meta *meta)
{
	int r;

	if (!c->manager->bus)
		return;
	r = sd_bus_emit_signal(c->manager->bus, c->path, CAMERA_INTERFACE,
			       "PhotoCaptured", "ssst", meta->photo_id,
			       meta->tracking_id, meta->trigger,
			       meta->captured_usec);
	if (r < 0)
		log_warning_errno(r, "Cannot emit PhotoCaptured, ignoring: %m");
}

void bus_emit_photo_skipped(struct camera *c, const struct request *req,
			    enum skip_reason reason)
{
	int r;

	if (!c->manager->bus)
		return;
	r = sd_bus_emit_signal(c->manager->bus, c->path, CAMERA_INTERFACE,
			       "PhotoSkipped", "sss", req->tracking_id,
			       trigger_kind_to_string(req->kind),
			       skip_reason_to_string(reason));
	if (r < 0)
		log_warning_errno(r, "Cannot emit PhotoSkipped, ignoring: %m");
}

int bus_reply_skipped(sd_bus_message *call, enum skip_reason reason,
		      const char *detail)
{
	static const char *const errors[] = {
		[SKIP_CONFIDENTIAL] = BUS_ERROR_PHOTO_NOT_ALLOWED,
		[SKIP_OPT_OUT] = BUS_ERROR_PHOTO_NOT_ALLOWED,
		[SKIP_INVALID_REQUEST] = SD_BUS_ERROR_INVALID_ARGS,
		[SKIP_RATE_LIMITED] = BUS_ERROR_RATE_LIMITED,
		[SKIP_CAMERA_OFFLINE] = BUS_ERROR_CAMERA_OFFLINE,
		[SKIP_SPOOL_FULL] = BUS_ERROR_SPOOL_FULL,
		[SKIP_NO_FRAME] = BUS_ERROR_NO_FRAME,
	};

	return sd_bus_reply_method_errorf(call, errors[reason], "%s%s%s",
					  skip_reason_to_string(reason),
					  detail ? ": " : "",
					  strempty(detail));
}
