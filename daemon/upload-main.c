// SPDX-License-Identifier: GPL-2.0
/*
 * podcam-upload: delivers every spooled photo over HTTPS or S3, exactly
 * once, then forgets it. One sd-event loop; see docs/upload.md.
 *
 *	podcam-upload [--config FILE]
 *	podcam-upload --check-config FILE
 */

#include <getopt.h>
#include <signal.h>
#include <sys/prctl.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "log.h"
#include "upload-bus.h"
#include "upload-manager.h"
#include "upload-policy.h"

static void help(void)
{
	printf("Usage: podcam-upload [--config FILE]\n"
	       "       podcam-upload --check-config FILE\n\n"
	       "Uploads the photos podcamd spools, over HTTPS or to S3.\n\n"
	       "  --config FILE        read FILE instead of %s\n"
	       "  --check-config FILE  check FILE, print its errors, exit\n"
	       "  --help               show this help\n"
	       "  --version            show the version\n",
	       PODCAM_CONF_FILE);
}

/* Prints what is wrong with path and returns the exit status. */
static int check_config(const char *path)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	_cleanup_free_ char *err = NULL;
	int r;

	r = conf_load(path, &c, &err);
	if (r < 0) {
		if (err)
			fprintf(stderr, "%s\n", err);
		else
			fprintf(stderr, "%s: %s\n", path, strerror(-r));
		return 1;
	}
	r = upload_config_check(&c->upload, &err);
	if (r < 0) {
		fprintf(stderr, "%s: [upload] %s\n", path,
			err ? err : strerror(-r));
		return 1;
	}
	return 0;
}

static int run(const char *path)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	_cleanup_(sd_event_unrefp) sd_event *e = NULL;
	_cleanup_(upload_manager_freep) struct upload_manager *m = NULL;
	_cleanup_free_ char *err = NULL;
	sigset_t mask;
	int r;

	r = conf_load(path, &c, &err);
	if (r < 0) {
		if (err)
			return log_error_errno(r, "%s", err);
		return log_error_errno(r, "Failed to read %s: %m", path);
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* A write to a closed socket is an error to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&e);
	if (r < 0)
		return log_error_errno(r, "Failed to get an event loop: %m");
	r = sd_event_add_signal(e, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(e, NULL, SIGINT, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to watch signals: %m");
	r = sd_event_set_watchdog(e, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the watchdog: %m");

	r = upload_manager_new(e, c, &m);
	if (r < 0)
		return log_error_errno(r, "Failed to set up: %m");
	r = upload_manager_start(m);
	if (r < 0)
		return r;
	r = upload_bus_open(m);
	if (r < 0)
		return log_error_errno(
			r, "Failed to publish %s on the system bus: %m",
			UPLOAD_BUS_NAME);

	log_info("Uploading %s to %s (%s mode), %u pending", c->spool_dir,
		 strempty(c->upload.endpoint),
		 c->upload.mode == UPLOAD_MODE_S3 ? "S3" : "HTTP",
		 upload_manager_pending(m));
	(void)sd_notifyf(false, "READY=1\nSTATUS=%u pending",
			 upload_manager_pending(m));

	r = sd_event_loop(e);
	(void)sd_notify(false, "STOPPING=1");
	upload_manager_stop(m);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *path = PODCAM_CONF_FILE, *check = NULL;
	int c;

	log_open("podcam-upload");
	/* Photos and secrets stay out of core dumps (SPEC section 7). */
	(void)prctl(PR_SET_DUMPABLE, 0);

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			check = optarg;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("podcam-upload %s\n", PODCAM_VERSION);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "podcam-upload: unexpected argument %s\n",
			argv[optind]);
		return 2;
	}
	if (check)
		return check_config(check);
	return run(path) < 0 ? 1 : 0;
}
