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
	sd_event_source *settle;	/* debounce: the level settles */
	const struct gpio_callbacks *cb;
	void *userdata;
	uint64_t debounce_usec;
	uint64_t first_edge_usec;	/* of the burst being debounced */
	int level;			/* last reported (settled) level */
};

static void lost(struct gpio_lines *g, int error)
{
	g->io = sd_event_source_disable_unref(g->io);
	g->settle = sd_event_source_disable_unref(g->settle);
	g->cb->lost(g->userdata, error);
}

/* Reports a change of the settled level, timed by the burst's first edge. */
static void report(struct gpio_lines *g, int level)
{
	if (level == g->level)
		return;
	g->level = level;
	g->cb->edge(g->userdata, level == 1, g->first_edge_usec);
}

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct gpio_lines *g = userdata;
	int level = gpiod_line_get_value(g->trigger);

	if (level < 0)
		lost(g, errno > 0 ? -errno : -EIO);
	else
		report(g, level);
	return 0;
}

static int on_trigger(sd_event_source *s, int fd, uint32_t revents,
		      void *userdata)
{
	struct gpio_lines *g = userdata;
	struct gpiod_line_event ev;
	uint64_t t;
	int r;

	if (revents & (EPOLLERR | EPOLLHUP) ||
	    gpiod_line_event_read_fd(fd, &ev) < 0) {
		lost(g, errno > 0 ? -errno : -ENODEV);
		return 0;
	}
	t = (uint64_t)ev.ts.tv_sec * 1000000 + (uint64_t)ev.ts.tv_nsec / 1000;
	if (g->debounce_usec == 0) {
		g->first_edge_usec = t;
		report(g, ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE);
		return 0;
	}

	/*
	 * A contact bounces: wait until no edge came for DebounceMs, then
	 * act on the level the line settled at, so that no bounce is taken
	 * for a press and no final level is missed.
	 */
	if (sd_event_source_get_enabled(g->settle, NULL) <= 0)
		g->first_edge_usec = t;
	r = sd_event_source_set_time_relative(g->settle, g->debounce_usec);
	if (r >= 0)
		r = sd_event_source_set_enabled(g->settle, SD_EVENT_ONESHOT);
	if (r < 0)
		lost(g, r);
	return 0;
}

struct gpio_lines *gpio_close(struct gpio_lines *g)
{
	if (!g)
		return NULL;
	g->io = sd_event_source_disable_unref(g->io);
	g->settle = sd_event_source_disable_unref(g->settle);
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
		g->level = gpiod_line_get_value(g->trigger);
		r = sd_event_add_io(event, &g->io,
				    gpiod_line_event_get_fd(g->trigger),
				    EPOLLIN, on_trigger, g);
		if (r >= 0)
			r = sd_event_add_time_relative(event, &g->settle,
						       CLOCK_MONOTONIC, 0, 0,
						       on_settled, g);
		if (r >= 0)
			r = sd_event_source_set_enabled(g->settle,
							SD_EVENT_OFF);
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
