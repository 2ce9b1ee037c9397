// SPDX-License-Identifier: GPL-2.0
/*
 * The spool writer (spool.h, docs/spool.md): a photo is written into
 * tmp/<id>/, fsynced, renamed into queue/ and the directories fsynced, so it
 * is in queue/ whole or not at all; tmp/ is wiped at start.
 */

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "fs-util.h"
#include "hash.h"
#include "id.h"
#include "spool-layout.h"
#include "spool.h"
#include "util.h"

struct spool {
	int dir_fd, tmp_fd, queue_fd;
	uint64_t max_bytes, reserve_bytes;
	unsigned int pending;
	uint64_t pending_bytes;
	spool_phase_fn hook;
	void *hook_userdata;
};

static const char *const phase_names[_SPOOL_PHASE_MAX] = {
	[SPOOL_PHASE_CHECK] = "check",
	[SPOOL_PHASE_MKDIR] = "mkdir",
	[SPOOL_PHASE_WRITE_JPEG] = "write-jpeg",
	[SPOOL_PHASE_WRITE_META] = "write-meta",
	[SPOOL_PHASE_SYNC_DIR] = "sync-dir",
	[SPOOL_PHASE_RENAME] = "rename",
	[SPOOL_PHASE_SYNC_QUEUE] = "sync-queue",
	[SPOOL_PHASE_SYNC_TMP] = "sync-tmp",
	[SPOOL_PHASE_DONE] = "done",
};

const char *spool_phase_to_string(enum spool_phase phase)
{
	if ((unsigned int)phase >= _SPOOL_PHASE_MAX)
		return NULL;
	return phase_names[phase];
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int phase(struct spool *s, enum spool_phase p)
{
	return s->hook ? s->hook(p, s->hook_userdata) : 0;
}

/* Opens (making) DIR/NAME as a 0700 directory; tightens an existing one. */
static int open_private_dir(int dir_fd, const char *name)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = open_dir_at(dir_fd, name, true, 0700);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if ((st.st_mode & 0077) && fchmod(fd, st.st_mode & 0700) < 0)
		return negative_errno();
	return TAKE_FD(fd);
}

int spool_open(const char *path, uint64_t max_bytes, uint64_t reserve_bytes,
	       struct spool **ret)
{
	_cleanup_(spool_freep) struct spool *s = NULL;

	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct spool){
		.dir_fd = -EBADF,
		.tmp_fd = -EBADF,
		.queue_fd = -EBADF,
		.max_bytes = max_bytes,
		.reserve_bytes = reserve_bytes,
	};

	s->dir_fd = open_private_dir(AT_FDCWD, path);
	if (s->dir_fd < 0)
		return s->dir_fd;
	s->tmp_fd = open_private_dir(s->dir_fd, SPOOL_TMP_DIR);
	if (s->tmp_fd < 0)
		return s->tmp_fd;
	s->queue_fd = open_private_dir(s->dir_fd, SPOOL_QUEUE_DIR);
	if (s->queue_fd < 0)
		return s->queue_fd;
	/* The new directories, if any, must survive a crash too. */
	if (fsync(s->dir_fd) < 0)
		return negative_errno();

	*ret = TAKE_PTR(s);
	return 0;
}

struct spool *spool_free(struct spool *s)
{
	if (!s)
		return NULL;
	safe_close(s->dir_fd);
	safe_close(s->tmp_fd);
	safe_close(s->queue_fd);
	free(s);
	return NULL;
}

/* Calls fn for every entry of dir but "." and "..". */
static int for_each_entry(int dir_fd,
			  int (*fn)(int dir_fd, const struct dirent *de,
				    void *userdata),
			  void *userdata)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	/* A fresh fd: readdir must start at the beginning every time. */
	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d) {
		r = negative_errno();
		close(fd);
		return r;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno > 0)
				r = -errno;
			break;
		}
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = fn(dirfd(d), de, userdata);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

static int remove_entry(int dir_fd, const struct dirent *de, void *userdata)
{
	unsigned int *removed = userdata;
	int r;

	r = rm_rf_at(dir_fd, de->d_name);
	if (r < 0)
		return r;
	(*removed)++;
	return 0;
}

static int count_entry(int dir_fd, const struct dirent *de, void *userdata)
{
	static const char *const files[] = { SPOOL_PHOTO_FILE,
					     SPOOL_META_FILE };
	struct spool_recovery *rec = userdata;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (!photo_id_is_valid(de->d_name)) {
		rec->ignored++;
		return 0;
	}
	fd = openat(dir_fd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;	/* uploaded meanwhile */
		if (errno == ENOTDIR || errno == ELOOP) {
			rec->ignored++;
			return 0;
		}
		return negative_errno();
	}
	rec->pending++;
	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			rec->pending_bytes += st.st_size;
	return 0;
}

static int scan_queue(struct spool *s, struct spool_recovery *rec)
{
	int r;

	rec->ignored = rec->pending = 0;
	rec->pending_bytes = 0;
	r = for_each_entry(s->queue_fd, count_entry, rec);
	if (r < 0)
		return r;
	s->pending = rec->pending;
	s->pending_bytes = rec->pending_bytes;
	return 0;
}

int spool_recover(struct spool *s, struct spool_recovery *ret)
{
	struct spool_recovery rec = {};
	int r;

	r = for_each_entry(s->tmp_fd, remove_entry, &rec.removed);
	if (r < 0)
		return r;
	if (rec.removed > 0 && fsync(s->tmp_fd) < 0)
		return negative_errno();
	r = scan_queue(s, &rec);
	if (r < 0)
		return r;
	if (ret)
		*ret = rec;
	return 0;
}

int spool_rescan(struct spool *s)
{
	struct spool_recovery rec = {};

	return scan_queue(s, &rec);
}

int spool_free_bytes(struct spool *s, uint64_t *ret)
{
	struct statfs sfs;

	if (fstatfs(s->tmp_fd, &sfs) < 0)
		return negative_errno();
	*ret = (uint64_t)sfs.f_bavail * (uint64_t)sfs.f_bsize;
	return 0;
}

unsigned int spool_pending(const struct spool *s)
{
	return s->pending;
}

uint64_t spool_pending_bytes(const struct spool *s)
{
	return s->pending_bytes;
}

void spool_set_phase_hook(struct spool *s, spool_phase_fn fn, void *userdata)
{
	s->hook = fn;
	s->hook_userdata = userdata;
}

/*
 * A double as the shortest text that reads back the same, with at least
 * min_decimals digits after the point (coordinates keep 7: about 1 cm),
 * always with a point so that it stays a JSON double.
 */
static json_object *json_double(double v, int min_decimals)
{
	char buf[64];

	if (min_decimals > 0) {
		for (int d = min_decimals; d <= 17; d++) {
			snprintf(buf, sizeof(buf), "%.*f", d, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	} else {
		for (int p = 1; p <= 17; p++) {
			snprintf(buf, sizeof(buf), "%.*g", p, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		if (!strpbrk(buf, ".e"))
			strcat(buf, ".0");
	}
	return json_object_new_double_s(v, buf);
}

/* 2026-11-22T08:01:02.123456Z */
static int format_rfc3339_usec(uint64_t usec, char *buf, size_t size)
{
	time_t sec = (time_t)(usec / 1000000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&sec, &tm))
		return -EINVAL;
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 ||
	    snprintf(buf + n, size - n, ".%06uZ",
		     (unsigned int)(usec % 1000000)) >= (int)(size - n))
		return -EINVAL;
	return 0;
}

static int add(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static bool meta_is_valid(const struct photo_meta *m)
{
	return photo_id_is_valid(m->photo_id) &&
	       (!m->tracking_id[0] || tracking_id_is_valid(m->tracking_id)) &&
	       m->device_id && m->camera && m->trigger &&
	       isfinite(m->sharpness) &&
	       (!m->has_gps ||
		(isfinite(m->gps.latitude) && fabs(m->gps.latitude) <= 90 &&
		 isfinite(m->gps.longitude) && fabs(m->gps.longitude) <= 180 &&
		 isfinite(m->gps.accuracy_m)));
}

/* meta.json as docs/spool.md lists it. */
static int meta_to_json(const struct photo_meta *m, const char *sha256,
			uint64_t latency_usec, json_object **ret)
{
	json_object *o, *gps;
	char when[64];
	int r;

	r = format_rfc3339_usec(m->captured_usec, when, sizeof(when));
	if (r < 0)
		return r;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	if ((r = add(o, "photo_id", json_object_new_string(m->photo_id))) < 0 ||
	    (r = add(o, "tracking_id",
		     json_object_new_string(m->tracking_id))) < 0 ||
	    (r = add(o, "device_id", json_object_new_string(m->device_id))) <
		    0 ||
	    (r = add(o, "camera", json_object_new_string(m->camera))) < 0 ||
	    (r = add(o, "trigger", json_object_new_string(m->trigger))) < 0 ||
	    (r = add(o, "captured_at", json_object_new_string(when))) < 0 ||
	    (r = add(o, "frame_sequence",
		     json_object_new_int64(m->frame_sequence))) < 0 ||
	    (r = add(o, "trigger_latency_usec",
		     json_object_new_uint64(latency_usec))) < 0 ||
	    (r = add(o, "sharpness", json_double(m->sharpness, 0))) < 0 ||
	    (r = add(o, "width", json_object_new_int64(m->width))) < 0 ||
	    (r = add(o, "height", json_object_new_int64(m->height))) < 0 ||
	    (r = add(o, "sha256", json_object_new_string(sha256))) < 0)
		goto fail;

	if (m->has_gps) {
		gps = json_object_new_object();
		r = add(o, "gps", gps);
		if (r < 0)
			goto fail;
		if ((r = add(gps, "latitude",
			     json_double(m->gps.latitude, 7))) < 0 ||
		    (r = add(gps, "longitude",
			     json_double(m->gps.longitude, 7))) < 0)
			goto fail;
		if (m->gps.accuracy_m >= 0 &&
		    (r = add(gps, "accuracy_m",
			     json_double(m->gps.accuracy_m, 0))) < 0)
			goto fail;
	}
	if (m->stop_id[0] &&
	    (r = add(o, "stop_id", json_object_new_string(m->stop_id))) < 0)
		goto fail;

	*ret = o;
	return 0;
fail:
	json_object_put(o);
	return r;
}

static const char *json_text(json_object *o, size_t *ret_len)
{
	return json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE,
		ret_len);
}

/* Cap and reserve, for an entry of the given size about to be written. */
static int check_room(struct spool *s, uint64_t bytes)
{
	uint64_t free_bytes;
	int r;

	if (s->max_bytes > 0 && s->pending_bytes + bytes > s->max_bytes)
		return -EDQUOT;
	r = spool_free_bytes(s, &free_bytes);
	if (r < 0)
		return r;
	if (free_bytes < s->reserve_bytes + bytes)
		return -ENOSPC;
	return 0;
}

/* Steps 1 and 2 of docs/spool.md, after the checks. */
static int write_entry(struct spool *s, const struct photo_meta *meta,
		       json_object *o, const void *jpeg, size_t len,
		       uint64_t start, struct spool_commit_result *res)
{
	const char *id = meta->photo_id, *text;
	_cleanup_close_ int fd = -EBADF;
	size_t text_len;
	int r;

	fd = openat(s->tmp_fd, id,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return negative_errno();

	if ((r = phase(s, SPOOL_PHASE_WRITE_JPEG)) < 0 ||
	    (r = write_file_sync_at(fd, SPOOL_PHOTO_FILE, jpeg, len, 0600)) < 0)
		return r;
	res->jpeg_synced_usec = now_usec() - start;

	/* The latency counts up to photo.jpg fsynced (docs/spool.md). */
	r = add(o, "trigger_latency_usec",
		json_object_new_uint64(meta->trigger_latency_usec +
				       res->jpeg_synced_usec));
	if (r < 0)
		return r;
	text = json_text(o, &text_len);
	if (!text)
		return -ENOMEM;
	if ((r = phase(s, SPOOL_PHASE_WRITE_META)) < 0 ||
	    (r = write_file_sync_at(fd, SPOOL_META_FILE, text, text_len,
				    0600)) < 0)
		return r;
	res->bytes = len + text_len;

	if ((r = phase(s, SPOOL_PHASE_SYNC_DIR)) < 0)
		return r;
	if (fsync(fd) < 0)
		return negative_errno();

	if ((r = phase(s, SPOOL_PHASE_RENAME)) < 0)
		return r;
	if (renameat2(s->tmp_fd, id, s->queue_fd, id, RENAME_NOREPLACE) < 0)
		return negative_errno();
	return 0;
}

int spool_commit(struct spool *s, const struct photo_meta *meta,
		 const void *jpeg, size_t len, struct spool_commit_result *res)
{
	struct spool_commit_result result = {};
	uint64_t start = now_usec();
	json_object *o = NULL;
	size_t draft_len;
	int r;

	if (!meta_is_valid(meta) || (!jpeg && len > 0))
		return -EINVAL;

	sha256_hex(jpeg, len, result.sha256);
	r = meta_to_json(meta, result.sha256, meta->trigger_latency_usec, &o);
	if (r < 0)
		return r;
	if (!json_text(o, &draft_len)) {
		r = -ENOMEM;
		goto out;
	}

	/* The latency may grow by a few digits before meta.json is written. */
	if ((r = phase(s, SPOOL_PHASE_CHECK)) < 0 ||
	    (r = check_room(s, len + draft_len + 16)) < 0)
		goto out;

	if ((r = phase(s, SPOOL_PHASE_MKDIR)) < 0)
		goto out;
	if (mkdirat(s->tmp_fd, meta->photo_id, 0700) < 0) {
		r = negative_errno();	/* EEXIST: not ours to remove */
		goto out;
	}

	r = write_entry(s, meta, o, jpeg, len, start, &result);
	if (r < 0) {
		(void)rm_rf_at(s->tmp_fd, meta->photo_id);
		goto out;
	}

	/*
	 * In queue/ now. If that cannot be made durable, take the photo out
	 * again: the caller reports it as not captured.
	 */
	if ((r = phase(s, SPOOL_PHASE_SYNC_QUEUE)) >= 0 &&
	    fsync(s->queue_fd) < 0)
		r = negative_errno();
	if (r < 0) {
		(void)rm_rf_at(s->queue_fd, meta->photo_id);
		(void)fsync(s->queue_fd);
		goto out;
	}

	/*
	 * The photo is durable; tmp/ only loses a name that the next start
	 * would wipe anyway, so a failure here is no failure of the commit.
	 */
	if (phase(s, SPOOL_PHASE_SYNC_TMP) >= 0)
		(void)fsync(s->tmp_fd);

	s->pending++;
	s->pending_bytes += result.bytes;
	result.total_usec = now_usec() - start;
	(void)phase(s, SPOOL_PHASE_DONE);
	if (res)
		*res = result;
	r = 0;
out:
	json_object_put(o);
	return r;
}
