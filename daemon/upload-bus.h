/* SPDX-License-Identifier: GPL-2.0 */
/*
 * org.podcam1.Uploader on the system bus (SPEC section 6): properties,
 * Flush() and the PhotoUploaded signal. Only the vtable and emission live
 * here; the state is the manager's.
 */
#ifndef PODCAM_UPLOAD_BUS_H
#define PODCAM_UPLOAD_BUS_H

#include "upload-manager.h"

#define UPLOAD_BUS_NAME "org.podcam1.Uploader"
#define UPLOAD_BUS_PATH "/org/podcam1/Uploader"
#define UPLOAD_BUS_INTERFACE "org.podcam1.Uploader"

/* Connects to the system bus, publishes the object, takes the name. */
int upload_bus_open(struct upload_manager *m);

/* PropertiesChanged for the PROP_* bits in props; nothing without a bus. */
void upload_bus_changed(struct upload_manager *m, unsigned int props);

/* PhotoUploaded(s photo_id, s location). */
int upload_bus_photo_uploaded(struct upload_manager *m, const char *id,
			      const char *location);

#endif
