/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A camera's GPIO lines through libgpiod 1.6: the trigger input (doorbell
 * button or the van's "stopped" signal), watched for edges on the sd-event
 * loop with a software debounce, and the flash output.
 */
#ifndef PODCAM_GPIO_H
#define PODCAM_GPIO_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "conf.h"

struct gpio_lines;

struct gpio_callbacks {
	/*
	 * The line settled at a new level (no edge for DebounceMs);
	 * mono_usec is the kernel's time of the first edge of the burst.
	 */
	void (*edge)(void *userdata, bool rising, uint64_t mono_usec);
	/* The chip went away (module unloaded, device unbound). */
	void (*lost)(void *userdata, int error);
};

/*
 * Requests the lines cfg names (TriggerLine=, FlashLine=) on the chip
 * GpioChip= (a name, path or label; default label "podcam-ROLE"). Does
 * nothing and returns 0 with *ret NULL when neither line is configured.
 */
int gpio_open(const struct camera_config *cfg, sd_event *event,
	      const struct gpio_callbacks *cb, void *userdata,
	      struct gpio_lines **ret, char **ret_error);
struct gpio_lines *gpio_close(struct gpio_lines *g);

bool gpio_has_flash(const struct gpio_lines *g);
int gpio_set_flash(struct gpio_lines *g, bool on);

#endif
