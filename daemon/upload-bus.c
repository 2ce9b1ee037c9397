// SPDX-License-Identifier: GPL-2.0
/* org.podcam1.Uploader: the vtable, property getters and the signal. */

#include <stddef.h>

#include "upload-bus.h"
#include "util.h"

static int get_pending(sd_bus *bus, const char *path, const char *interface,
		       const char *property, sd_bus_message *reply,
		       void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "u",
				     upload_manager_pending(userdata));
}

static int get_last_error(sd_bus *bus, const char *path, const char *interface,
			  const char *property, sd_bus_message *reply,
			  void *userdata, sd_bus_error *error)
{
	struct upload_manager *m = userdata;

	return sd_bus_message_append(reply, "s", strempty(m->last_error));
}

static int get_last_uploaded_id(sd_bus *bus, const char *path,
				const char *interface, const char *property,
				sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	struct upload_manager *m = userdata;

	return sd_bus_message_append(reply, "s", m->last_uploaded_id);
}

static int method_flush(sd_bus_message *call, void *userdata,
			sd_bus_error *error)
{
	/* The reply is sent by the manager once every photo was tried. */
	return upload_manager_flush(userdata, call, error);
}

static const sd_bus_vtable uploader_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Pending", "u", get_pending, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Uploaded", "t", NULL,
			offsetof(struct upload_manager, uploaded),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Failed", "t", NULL,
			offsetof(struct upload_manager, failed),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Quarantined", "u", NULL,
			offsetof(struct upload_manager, quarantined),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastError", "s", get_last_error, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastUploadedId", "s", get_last_uploaded_id, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	/*
	 * Who may call it is the D-Bus policy's decision, as for podcamd's
	 * methods (systemd/org.podcam1.conf: root and podcam-tech).
	 */
	SD_BUS_METHOD_WITH_NAMES("Flush", "", SD_BUS_PARAM(), "",
				 SD_BUS_PARAM(), method_flush,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("PhotoUploaded", "ss",
				 SD_BUS_PARAM(photo_id) SD_BUS_PARAM(location),
				 0),
	SD_BUS_VTABLE_END
};

int upload_bus_open(struct upload_manager *m)
{
	int r;

	r = sd_bus_open_system(&m->bus);
	if (r < 0)
		return r;
	r = sd_bus_add_object_vtable(m->bus, NULL, UPLOAD_BUS_PATH,
				     UPLOAD_BUS_INTERFACE, uploader_vtable, m);
	if (r < 0)
		return r;
	r = sd_bus_request_name(m->bus, UPLOAD_BUS_NAME, 0);
	if (r < 0)
		return r;
	return sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
}

void upload_bus_changed(struct upload_manager *m, unsigned int props)
{
	static const char *const names[] = {
		"Pending",     "Uploaded",  "Failed",
		"Quarantined", "LastError", "LastUploadedId",
	};
	const char *list[ELEMENTSOF(names) + 1];
	unsigned int n = 0;

	if (!m->bus)
		return;
	for (unsigned int i = 0; i < ELEMENTSOF(names); i++)
		if (props & (1u << i))
			list[n++] = names[i];
	list[n] = NULL;
	if (n > 0)
		(void)sd_bus_emit_properties_changed_strv(m->bus,
							  UPLOAD_BUS_PATH,
							  UPLOAD_BUS_INTERFACE,
							  (char **)list);
}

int upload_bus_photo_uploaded(struct upload_manager *m, const char *id,
			      const char *location)
{
	if (!m->bus)
		return 0;
	return sd_bus_emit_signal(m->bus, UPLOAD_BUS_PATH, UPLOAD_BUS_INTERFACE,
				  "PhotoUploaded", "ss", id, location);
}
