/* SPDX-License-Identifier: GPL-2.0 */
/*
 * podcamd's D-Bus objects (SPEC section 4): the vtables of
 * org.podcam1.Manager and org.podcam1.Camera, their properties and signals.
 */
#ifndef PODCAM_BUS_H
#define PODCAM_BUS_H

#include <systemd/sd-bus.h>

#include "camera.h"
#include "manager.h"

#define BUS_NAME "org.podcam1"
#define MANAGER_INTERFACE "org.podcam1.Manager"
#define CAMERA_INTERFACE "org.podcam1.Camera"
#define DELIVERY_INTERFACE "org.podcam1.Delivery"

#define BUS_ERROR_PHOTO_NOT_ALLOWED "org.podcam1.Error.PhotoNotAllowed"
#define BUS_ERROR_CAMERA_OFFLINE "org.podcam1.Error.CameraOffline"
#define BUS_ERROR_RATE_LIMITED "org.podcam1.Error.RateLimited"
#define BUS_ERROR_SPOOL_FULL "org.podcam1.Error.SpoolFull"
#define BUS_ERROR_NO_FRAME "org.podcam1.Error.NoFrame"
#define BUS_ERROR_ACCESS_DENIED "org.podcam1.Error.AccessDenied"

int bus_add_manager(struct manager *m);
int bus_add_camera(struct camera *c);

/* PropertiesChanged for the NULL-terminated property names. */
void bus_camera_changed(struct camera *c, const char *property, ...)
	__attribute__((sentinel));
void bus_manager_changed(struct manager *m, const char *property, ...)
	__attribute__((sentinel));

void bus_emit_photo_captured(struct camera *c, const struct photo_meta *meta);
void bus_emit_photo_skipped(struct camera *c, const struct request *req,
			    enum skip_reason reason);

/* The error reply of SPEC section 4 for a skipped Trigger(). */
int bus_reply_skipped(sd_bus_message *call, enum skip_reason reason,
		      const char *detail);

#endif
