// SPDX-License-Identifier: GPL-2.0
/* Trigger and flash lines with libgpiod 1.6 on the sd-event loop. */

#include <gpiod.h>

#include "gpio.h"
#include "util.h"

#define GPIO_CONSUMER "podcamd"

struct gpio_lines {
	struct gpiod_chip *chip;
	struct gpiod_line *trigger;
	struct gpiod_line *flash;
	sd_event_source *io;
	const struct gpio_callbacks *cb;
	void *userdata;
	uint64_t debounce_usec;
	uint64_t last_edge_usec;
	bool have_edge;
};

static int on_trigger(sd_event_source *s, int fd, uint32_t revents,
		      void *userdata)
{
	struct gpio_lines *g = userdata;
	struct gpiod_line_event ev;
	uint64_t t;

	if (revents & (EPOLLERR | EPOLLHUP) ||
	    gpiod_line_event_read_fd(fd, &ev) < 0) {
		int r = errno > 0 ? -errno : -ENODEV;

		g->io = sd_event_source_disable_unref(g->io);
		g->cb->lost(g->userdata, r);
		return 0;
	}

	t = (uint64_t)ev.ts.tv_sec * 1000000 + (uint64_t)ev.ts.tv_nsec / 1000;
	/* A bouncing contact: only the first edge of a burst counts. */
	if (g->have_edge && t - g->last_edge_usec < g->debounce_usec)
		return 0;
	g->have_edge = true;
	g->last_edge_usec = t;
	g->cb->edge(g->userdata, ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE,
		    t);
	return 0;
}

struct gpio_lines *gpio_close(struct gpio_lines *g)
{
	if (!g)
		return NULL;
	g->io = sd_event_source_disable_unref(g->io);
	if (g->chip)
		gpiod_chip_close(g->chip);	/* releases the lines */
	free(g);
	return NULL;
}

static int find_line(struct gpio_lines *g, const char *chip,
		     const char *name, struct gpiod_line **ret,
		     char **ret_error)
{
	struct gpiod_line *l = gpiod_chip_find_line(g->chip, name);

	if (!l) {
		*ret_error = strdup_printf("GPIO chip %s has no line %s", chip,
					   name);
		return errno > 0 ? -errno : -ENOENT;
	}
	*ret = l;
	return 0;
}

int gpio_open(const struct camera_config *cfg, sd_event *event,
	      const struct gpio_callbacks *cb, void *userdata,
	      struct gpio_lines **ret, char **ret_error)
{
	_cleanup_free_ char *label = NULL, *error = NULL;
	const char *chip;
	struct gpio_lines *g;
	int r;

	*ret = NULL;
	if (!cfg->trigger_line && !cfg->flash_line)
		return 0;

	chip = cfg->gpio_chip;
	if (!chip) {
		label = strdup_printf("podcam-%s", cfg->role);
		if (!label)
			return -ENOMEM;
		chip = label;
	}

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->cb = cb;
	g->userdata = userdata;
	g->debounce_usec = (uint64_t)cfg->debounce_ms * 1000;

	g->chip = gpiod_chip_open_lookup(chip);
	if (!g->chip) {
		r = errno > 0 ? -errno : -ENODEV;
		error = strdup_printf("cannot open GPIO chip %s: %s", chip,
				      strerror(-r));
		goto fail;
	}

	if (cfg->trigger_line) {
		r = find_line(g, chip, cfg->trigger_line, &g->trigger, &error);
		if (r < 0)
			goto fail;
		/* Both edges: van-stop mode needs the release to cancel. */
		if (gpiod_line_request_both_edges_events(g->trigger,
							 GPIO_CONSUMER) < 0) {
			r = errno > 0 ? -errno : -EIO;
			error = strdup_printf("cannot watch GPIO line %s: %s",
					      cfg->trigger_line, strerror(-r));
			goto fail;
		}
		r = sd_event_add_io(event, &g->io,
				    gpiod_line_event_get_fd(g->trigger),
				    EPOLLIN, on_trigger, g);
		if (r < 0) {
			error = strdup_printf("cannot watch GPIO line %s: %s",
					      cfg->trigger_line, strerror(-r));
			goto fail;
		}
	}

	if (cfg->flash_line) {
		r = find_line(g, chip, cfg->flash_line, &g->flash, &error);
		if (r < 0)
			goto fail;
		if (gpiod_line_request_output(g->flash, GPIO_CONSUMER, 0) < 0) {
			r = errno > 0 ? -errno : -EIO;
			error = strdup_printf("cannot drive GPIO line %s: %s",
					      cfg->flash_line, strerror(-r));
			goto fail;
		}
	}

	*ret = g;
	return 0;

fail:
	gpio_close(g);
	if (ret_error)
		*ret_error = TAKE_PTR(error);
	return r;
}

bool gpio_has_flash(const struct gpio_lines *g)
{
	return g && g->flash;
}

int gpio_set_flash(struct gpio_lines *g, bool on)
{
	if (!gpio_has_flash(g))
		return -ENODEV;
	if (gpiod_line_set_value(g->flash, on) < 0)
		return errno > 0 ? -errno : -EIO;
	return 0;
}
