// SPDX-License-Identifier: GPL-2.0
/*
 * Test tool: emits Delivered signals fast, as a courier app in a hurry
 * would (busctl starts a process per signal, far too slow for a burst).
 *
 *	podcam-emit [--destination NAME] [--linger] COUNT PREFIX [CAMERA]
 *
 * Tracking ids are PREFIX-1 .. PREFIX-COUNT. Uses the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS is honoured). --linger stays connected for two
 * seconds after sending, as a long-running courier app would, so that the
 * receiver can still ask the bus who sent the signals.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "util.h"

static int emit(sd_bus *bus, const char *dest, const char *id,
		const char *camera)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_signal(bus, &m, "/com/example/courier",
				      "org.podcam1.Delivery", "Delivered");
	if (r < 0)
		return r;
	if (dest) {
		r = sd_bus_message_set_destination(m, dest);
		if (r < 0)
			return r;
	}
	if (camera)
		r = sd_bus_message_append(m, "sa{sv}", id, 1, "camera", "s",
					  camera);
	else
		r = sd_bus_message_append(m, "sa{sv}", id, 0);
	if (r < 0)
		return r;
	return sd_bus_send(bus, m, NULL);
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	const char *dest = NULL;
	char id[80];
	long count;
	int r, i = 1;

	bool linger = false;

	for (;;) {
		if (argc - i > 1 && strcmp(argv[i], "--destination") == 0) {
			dest = argv[i + 1];
			i += 2;
		} else if (argc - i > 0 && strcmp(argv[i], "--linger") == 0) {
			linger = true;
			i++;
		} else {
			break;
		}
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: podcam-emit [--destination NAME] [--linger] COUNT PREFIX [CAMERA]\n");
		return 2;
	}
	count = strtol(argv[i], NULL, 10);
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "podcam-emit: bus: %s\n", strerror(-r));
		return 1;
	}
	for (long n = 1; n <= count; n++) {
		snprintf(id, sizeof(id), "%s-%ld", argv[i + 1], n);
		r = emit(bus, dest, id, argc - i > 2 ? argv[i + 2] : NULL);
		if (r < 0) {
			fprintf(stderr, "podcam-emit: %s: %s\n", id,
				strerror(-r));
			return 1;
		}
	}
	r = sd_bus_flush(bus);
	if (linger)
		sleep(2);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? 1 : 0;
}
