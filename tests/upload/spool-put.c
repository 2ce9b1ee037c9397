// SPDX-License-Identifier: GPL-2.0
/*
 * Commits photos into a spool with podcamd's own spool_commit(), for the
 * uploader's tests and benchmark:
 *
 *	spool-put SPOOL COUNT SIZE [--device ID] [--manifest FILE]
 *		[--bad-sha256]
 *
 * Each photo is a JPEG-framed body of SIZE random bytes. Every new photo id
 * is printed on its own line; --manifest appends "ID SHA256" (of photo.jpg)
 * lines to FILE. --bad-sha256 then changes one byte of photo.jpg in
 * queue/, so that it no longer matches meta.json (a damaged entry).
 */

#include <fcntl.h>
#include <sodium.h>
#include <time.h>

#include "id.h"
#include "photo.h"
#include "spool.h"
#include "util.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int damage(const char *spool, const char *id)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX];
	uint8_t b;

	snprintf(path, sizeof(path), "%s/queue/%s/photo.jpg", spool, id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, &b, 1, 2) != 1)
		return negative_errno();
	b ^= 0xff;
	if (pwrite(fd, &b, 1, 2) != 1 || fsync(fd) < 0)
		return negative_errno();
	return 0;
}

static int put_one(struct spool *s, const char *path, size_t size,
		   const char *device, FILE *manifest, bool bad)
{
	_cleanup_free_ uint8_t *jpeg = NULL;
	struct spool_commit_result res;
	struct photo_meta m = {
		.tracking_id = "TBA123456789",
		.device_id = device,
		.camera = "doorbell",
		.trigger = "delivered",
		.frame_sequence = 1,
		.sharpness = 1.0,
		.width = 640,
		.height = 480,
	};
	int r;

	m.captured_usec = now_usec();
	r = photo_id_new(m.captured_usec, m.photo_id);
	if (r < 0)
		return r;
	jpeg = malloc(size + 4);
	if (!jpeg)
		return -ENOMEM;
	randombytes_buf(jpeg + 2, size);
	jpeg[0] = 0xff, jpeg[1] = 0xd8;
	jpeg[size + 2] = 0xff, jpeg[size + 3] = 0xd9;

	r = spool_commit(s, &m, jpeg, size + 4, &res);
	if (r < 0)
		return r;
	if (bad) {
		r = damage(path, m.photo_id);
		if (r < 0)
			return r;
	}
	if (manifest) {
		fprintf(manifest, "%s %s\n", m.photo_id, res.sha256);
		fflush(manifest);
	}
	printf("%s\n", m.photo_id);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_(spool_freep) struct spool *s = NULL;
	_cleanup_fclose_ FILE *manifest = NULL;
	const char *device = "dev-1";
	unsigned long n;
	bool bad = false;
	size_t size;
	int r;

	if (argc < 4) {
		fprintf(stderr,
			"usage: spool-put SPOOL COUNT SIZE [--device ID] "
			"[--manifest FILE] [--bad-sha256]\n");
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		if (streq(argv[i], "--device") && i + 1 < argc) {
			device = argv[++i];
		} else if (streq(argv[i], "--manifest") && i + 1 < argc) {
			manifest = fopen(argv[++i], "ae");
			if (!manifest) {
				perror("spool-put");
				return 1;
			}
		} else if (streq(argv[i], "--bad-sha256")) {
			bad = true;
		} else {
			return 2;
		}
	}
	if (sodium_init() < 0)
		return 1;
	n = strtoul(argv[2], NULL, 10);
	size = strtoul(argv[3], NULL, 10);
	r = spool_open(argv[1], 0, 0, &s);
	if (r < 0) {
		fprintf(stderr, "spool-put: %s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		r = put_one(s, argv[1], size, device, manifest, bad);
		if (r < 0) {
			fprintf(stderr, "spool-put: %s\n", strerror(-r));
			return 1;
		}
	}
	return 0;
}
