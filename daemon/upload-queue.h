/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The uploader's side of the spool (docs/spool.md): queue/ read oldest
 * first, confirmed photos removed through trash/, refused ones moved to
 * quarantine/ with a reason. Every function returns 0 or negative errno and
 * logs nothing.
 */
#ifndef PODCAM_UPLOAD_QUEUE_H
#define PODCAM_UPLOAD_QUEUE_H

#include <stddef.h>

#include "hash.h"
#include "spool-layout.h"
#include "upload-policy.h"

#define UPLOAD_JPEG_MAX (64u << 20)
#define UPLOAD_META_MAX (64u << 10)

struct upload_queue {
	char *path; /* the spool */
	char *queue_path; /* its queue/, for inotify */
	int dir_fd, queue_fd, trash_fd, quarantine_fd;
};

/* One committed photo, read into memory and checked. */
struct upload_photo {
	char id[PHOTO_ID_LEN + 1];
	char device_id[DEVICE_ID_MAX + 1];
	char sha256[SHA256_HEX_LEN + 1]; /* of photo.jpg, checked */
	char *jpeg;
	size_t jpeg_len;
	char *meta; /* meta.json as on disk */
	size_t meta_len;
	char meta_sha256[SHA256_HEX_LEN + 1];
};

/* Opens the spool, making queue/, trash/ and quarantine/ (0700) if absent. */
int upload_queue_open(const char *path, struct upload_queue **ret);
struct upload_queue *upload_queue_free(struct upload_queue *q);

/* Finishes deletions a crash interrupted: empties trash/. */
int upload_queue_recover(struct upload_queue *q, unsigned int *ret_removed);

/*
 * Lists queue/: the oldest (smallest) up to max photo ids into ids, sorted,
 * and the number of all entries with a valid photo id in *ret_total.
 * Other names are not counted.
 */
int upload_queue_scan(struct upload_queue *q, char (*ids)[PHOTO_ID_LEN + 1],
		      size_t max, size_t *ret_n, size_t *ret_total);

/* The number of entries in quarantine/. */
int upload_queue_count_quarantine(struct upload_queue *q, unsigned int *ret);

/*
 * Reads queue/ID and checks it: both files there and regular, meta.json a
 * JSON object whose photo_id is ID, device_id valid and sha256 that of
 * photo.jpg. -ENOENT when the entry is gone; -EBADMSG when it is damaged,
 * with what is wrong in *ret_reason (caller frees): quarantine it.
 */
int upload_photo_load(struct upload_queue *q, const char *id,
		      struct upload_photo **ret, char **ret_reason);
struct upload_photo *upload_photo_free(struct upload_photo *p);

/*
 * The server has both objects of each of the n photos: docs/spool.md's
 * removal for all of them at once: every queue/ID to trash/ID, one fsync
 * of queue/, the files and directories removed, one fsync of trash/.
 * ret_moved[i] gets 0 when photo i left queue/, else its negative errno
 * (it stays queued). Returns 0, or the first error of the fsyncs and
 * removals, after which the moved photos are out of queue/ all the same
 * (trash/ is emptied at the next start).
 */
int upload_queue_finish(struct upload_queue *q, const char *const *ids,
			size_t n, int *ret_moved);

/*
 * Writes reason into queue/ID/reason (fsynced), moves queue/ID to
 * quarantine/ID, fsyncs both directories.
 */
int upload_queue_quarantine(struct upload_queue *q, const char *id,
			    const char *reason);

static inline void upload_queue_freep(struct upload_queue **q)
{
	upload_queue_free(*q);
}

static inline void upload_photo_freep(struct upload_photo **p)
{
	upload_photo_free(*p);
}

#endif
