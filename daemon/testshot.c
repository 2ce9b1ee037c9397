// SPDX-License-Identifier: GPL-2.0
/*
 * Camera.TestShot(): the sharpest frame of the ring, privacy masks applied,
 * as a JPEG in TestShotDir= for technicians (group podcam-tech may read
 * it). Never in the spool, so never uploaded; only the newest few per
 * camera are kept.
 */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "bus.h"
#include "camera.h"
#include "fs-util.h"
#include "id.h"
#include "log.h"
#include "manager.h"

#define TESTSHOTS_KEPT 5

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes all but the newest TESTSHOTS_KEPT "ROLE-ID.jpg" of a camera. */
static void prune(int dir_fd, const char *role)
{
	char *names[64];
	unsigned int n = 0;
	size_t len = strlen(role);
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) && n < ELEMENTSOF(names)) {
		/* ROLE "-" 32 hex ".jpg" */
		if (strncmp(de->d_name, role, len) != 0 ||
		    de->d_name[len] != '-' ||
		    strlen(de->d_name) != len + 1 + PHOTO_ID_LEN + 4)
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (unsigned int i = 0; i < n; i++) {
		if (i + TESTSHOTS_KEPT < n)
			(void)unlinkat(dir_fd, names[i], 0);
		free(names[i]);
	}
}

static int write_shot(const char *dir, const char *role, const char *name,
		      const uint8_t *jpeg, size_t size)
{
	_cleanup_close_ int dir_fd = -EBADF;
	_cleanup_free_ char *tmp = NULL;
	int r;

	(void)mkdir(dir, 0750);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return negative_errno();
	tmp = strdup_printf(".%s.tmp", name);
	if (!tmp)
		return -ENOMEM;
	(void)unlinkat(dir_fd, tmp, 0);
	/* 0640: the directory's group (podcam-tech) may read it. */
	r = write_file_sync_at(dir_fd, tmp, jpeg, size, 0640);
	if (r < 0)
		return r;
	if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
		r = negative_errno();
		(void)unlinkat(dir_fd, tmp, 0);
		return r;
	}
	prune(dir_fd, role);
	return 0;
}

int camera_test_shot(struct camera *c, sd_bus_message *call,
		     sd_bus_error *error)
{
	struct manager *m = c->manager;
	struct encode_params p = {
		.quality = (int)c->config->quality,
		.masks = c->config->masks,
		.n_masks = c->config->n_masks,
	};
	_cleanup_free_ char *name = NULL, *path = NULL;
	char id[PHOTO_ID_LEN + 1];
	struct ring_frame *rf;
	const uint8_t *jpeg;
	size_t size;
	int r;

	if (c->state != CAMERA_STREAMING)
		return sd_bus_error_setf(error, BUS_ERROR_CAMERA_OFFLINE,
					 "Camera %s is %s: %s", c->config->role,
					 camera_state_to_string(c->state),
					 strempty(c->last_error));
	rf = ring_sharpest(&c->ring, 0, UINT64_MAX);
	if (!rf)
		return sd_bus_error_setf(error, BUS_ERROR_NO_FRAME,
					 "Camera %s has no frame yet",
					 c->config->role);

	r = encoder_encode(m->encoder, &rf->frame.view, &p, &jpeg, &size);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r,
					       "Cannot encode the test shot: %m");
	r = photo_id_new(rf->frame.realtime_usec, id);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "No id: %m");
	name = strdup_printf("%s-%s.jpg", c->config->role, id);
	path = strdup_printf("%s/%s", m->config->testshot_dir, strempty(name));
	if (!name || !path)
		return -ENOMEM;

	r = write_shot(m->config->testshot_dir, c->config->role, name, jpeg,
		       size);
	if (r < 0) {
		log_error_errno(r, "%s: cannot write test shot %s: %m",
				c->config->role, path);
		return sd_bus_error_set_errnof(error, r,
					       "Cannot write %s: %m", path);
	}
	log_info("%s: test shot %s, sharpness %.1f", c->config->role, path,
		 rf->sharpness);
	return sd_bus_reply_method_return(call, "sduu", path, rf->sharpness,
					  rf->frame.view.width,
					  rf->frame.view.height);
}
