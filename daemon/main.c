// SPDX-License-Identifier: GPL-2.0
/*
 * podcamd: photographs where a parcel was left when a courier marks it
 * delivered (SPEC section 4). One process, one sd-event loop for every
 * camera, GPIO line, timer and the bus.
 *
 *	podcamd [--config FILE] [--debug]
 *	podcamd --check-config [FILE]
 */

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <sys/prctl.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "log.h"
#include "manager.h"

static void help(void)
{
	printf("podcamd [OPTIONS]\n\n"
	       "Photo-on-delivery camera daemon.\n\n"
	       "  -c --config FILE        Read FILE (default " PODCAM_CONF_FILE ")\n"
	       "     --check-config[=FILE] Check the configuration and exit\n"
	       "  -d --debug              Log debug messages\n"
	       "  -h --help               Show this help\n"
	       "     --version            Show the version\n");
}

/* Prints what is wrong with path, line by line as conf_load() saw it. */
static int check_config(const char *path)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	_cleanup_free_ char *error = NULL;
	int r;

	r = conf_load(path, &c, &error);
	if (r < 0) {
		if (error)
			fprintf(stderr, "%s\n", error);
		else
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return EXIT_FAILURE;
	}
	printf("%s: OK, %u camera%s\n", path, c->n_cameras,
	       c->n_cameras == 1 ? "" : "s");
	for (unsigned int i = 0; i < c->n_cameras; i++)
		printf("  %s: %s\n", c->cameras[i].role, c->cameras[i].device);
	return EXIT_SUCCESS;
}

/*
 * podcamd's memory beyond the frame buffers is a SPEC target (8 MiB):
 * keep what it frees from staying resident. Without transparent huge
 * pages, touching a byte of a large buffer (the heap, the encoder's
 * worst-case output) makes 4 KiB resident, not 2 MiB; and with a fixed
 * mmap threshold, glibc does not raise it after the warm-up frame is
 * freed and serve later megabyte buffers from a heap it never trims.
 */
static void keep_memory_small(void)
{
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
		log_debug("Cannot turn transparent huge pages off: %m");
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

static int run(const char *path)
{
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	_cleanup_(conf_freep) struct podcam_config *config = NULL;
	_cleanup_(manager_freep) struct manager *m = NULL;
	_cleanup_free_ char *error = NULL;
	sigset_t mask;
	int r;

	r = conf_load(path, &config, &error);
	if (r < 0) {
		if (error)
			log_error("Bad configuration: %s", error);
		else
			log_error_errno(r, "Failed to read %s: %m", path);
		return r;
	}
	if (config->n_cameras == 0)
		log_warning("%s configures no camera", path);
	keep_memory_small();

	if (sodium_init() < 0)
		return log_error_errno(EIO, "Failed to initialise libsodium");

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&event);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate the event loop: %m");
	(void)sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	(void)sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	r = sd_event_set_watchdog(event, true);
	if (r < 0)
		log_warning_errno(r, "Failed to enable the watchdog, ignoring: %m");

	r = manager_new(event, config, &m);
	if (r < 0)
		return r;
	r = manager_start(m);
	if (r < 0)
		return r;

	(void)sd_notify(false, "READY=1");
	log_info("podcamd %s running with %u cameras", PODCAM_VERSION,
		 m->n_cameras);
	r = sd_event_loop(event);
	(void)sd_notify(false, "STOPPING=1");
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	return 0;
}

int main(int argc, char **argv)
{
	enum { ARG_VERSION = 0x100, ARG_CHECK };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", optional_argument, NULL, ARG_CHECK },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	const char *path = PODCAM_CONF_FILE;
	bool check = false;
	int c;

	log_open("podcamd");
	while ((c = getopt_long(argc, argv, "c:dh", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case ARG_CHECK:
			check = true;
			if (optarg)
				path = optarg;
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case ARG_VERSION:
			printf("podcamd %s\n", PODCAM_VERSION);
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		if (!check || optind + 1 < argc) {
			fprintf(stderr, "podcamd: unexpected argument %s\n",
				argv[optind]);
			return EXIT_FAILURE;
		}
		path = argv[optind];	/* --check-config FILE */
	}
	if (check)
		return check_config(path);
	return run(path) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
