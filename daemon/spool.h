/* SPDX-License-Identifier: GPL-2.0 */
/*
 * podcamd's side of the spool (docs/spool.md): crash recovery at start and
 * the durable commit of one photo. No logging here; every function returns
 * 0 or a negative errno.
 *
 *	spool_open(conf->spool_dir, conf->spool_max_bytes,
 *		   conf->spool_reserve_bytes, &spool);
 *	spool_recover(spool, &rec);		once, before READY=1
 *	spool_commit(spool, &meta, jpeg, len, &res);	per photo
 *	spool_rescan(spool);			when the uploader removed some
 */
#ifndef PODCAM_SPOOL_H
#define PODCAM_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "photo.h"

struct spool;

struct spool_recovery {
	unsigned int removed;		/* entries removed from tmp/ */
	unsigned int ignored;		/* names in queue/ that are no photo */
	unsigned int pending;		/* photos in queue/ */
	uint64_t pending_bytes;		/* their photo.jpg + meta.json */
};

struct spool_commit_result {
	char sha256[SHA256_HEX_LEN + 1];	/* of photo.jpg */
	uint64_t bytes;			/* photo.jpg + meta.json */
	uint64_t jpeg_synced_usec;	/* from the call to photo.jpg fsynced */
	uint64_t total_usec;		/* from the call to queue/ fsynced */
};

/* The steps of a commit, for tests that kill or fail a commit midway. */
enum spool_phase {
	SPOOL_PHASE_CHECK,		/* cap and free space */
	SPOOL_PHASE_MKDIR,		/* tmp/<id>/ */
	SPOOL_PHASE_WRITE_JPEG,		/* photo.jpg written and fsynced */
	SPOOL_PHASE_WRITE_META,		/* meta.json written and fsynced */
	SPOOL_PHASE_SYNC_DIR,		/* fsync(tmp/<id>/) */
	SPOOL_PHASE_RENAME,		/* tmp/<id> to queue/<id> */
	SPOOL_PHASE_SYNC_QUEUE,		/* fsync(queue/) */
	SPOOL_PHASE_SYNC_TMP,		/* fsync(tmp/) */
	SPOOL_PHASE_DONE,
	_SPOOL_PHASE_MAX,
};

const char *spool_phase_to_string(enum spool_phase phase);

/*
 * Opens the spool at path, making it (0700) and its tmp/ and queue/ (0700)
 * when missing and taking group and other access away from existing ones.
 * max_bytes caps the sum of queue/ (0: no cap); reserve_bytes is the free
 * space to leave on the file system.
 */
int spool_open(const char *path, uint64_t max_bytes, uint64_t reserve_bytes,
	       struct spool **ret);
struct spool *spool_free(struct spool *s);

static inline void spool_freep(struct spool **s)
{
	spool_free(*s);
}

/*
 * At start: removes everything under tmp/ (work no one was told about) and
 * counts queue/. Entries of queue/ that are not a directory named by a photo
 * id are counted in ignored, and left alone. ret may be NULL.
 */
int spool_recover(struct spool *s, struct spool_recovery *ret);

/* Counts queue/ again (after podcam-upload removed entries). */
int spool_rescan(struct spool *s);

/*
 * Writes one photo durably into queue/<meta->photo_id>/: the exact sequence
 * of docs/spool.md. Before writing, checks the size cap (-EDQUOT) and the
 * free-space reserve (-ENOSPC); ENOSPC and EDQUOT from the writes are passed
 * through. On any failure nothing of the photo is left in tmp/ or queue/.
 *
 * meta.json gets meta's fields and the sha256 of jpeg. Its
 * trigger_latency_usec is meta->trigger_latency_usec, the latency when this
 * is called, plus the time until photo.jpg was fsynced. res, when not NULL,
 * gets the hash, the size and the times.
 *
 * Returns -EINVAL for a meta that cannot be written (no valid photo id, a
 * tracking id that SPEC refuses, missing strings, non-finite numbers).
 */
int spool_commit(struct spool *s, const struct photo_meta *meta,
		 const void *jpeg, size_t len, struct spool_commit_result *res);

/* Free bytes on the spool's file system for podcamd (statfs f_bavail). */
int spool_free_bytes(struct spool *s, uint64_t *ret);

/* What queue/ holds, as counted at recovery, commits and rescans. */
unsigned int spool_pending(const struct spool *s);
uint64_t spool_pending_bytes(const struct spool *s);

/*
 * For tests only: fn is called as each step of a commit begins, and may
 * sleep to widen a window or return a negative errno to make the step fail.
 */
typedef int (*spool_phase_fn)(enum spool_phase phase, void *userdata);
void spool_set_phase_hook(struct spool *s, spool_phase_fn fn, void *userdata);

#endif
