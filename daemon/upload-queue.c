// SPDX-License-Identifier: GPL-2.0
/* The uploader's side of the spool: scan, load, finish, quarantine. */

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "upload-queue.h"
#include "util.h"

struct upload_queue *upload_queue_free(struct upload_queue *q)
{
	if (!q)
		return NULL;
	safe_close(q->dir_fd);
	safe_close(q->queue_fd);
	safe_close(q->trash_fd);
	safe_close(q->quarantine_fd);
	free(q->path);
	free(q->queue_path);
	free(q);
	return NULL;
}

int upload_queue_open(const char *path, struct upload_queue **ret)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = NULL;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->dir_fd = q->queue_fd = q->trash_fd = q->quarantine_fd = -EBADF;
	q->path = strdup(path);
	if (!q->path ||
	    asprintf(&q->queue_path, "%s/%s", path, SPOOL_QUEUE_DIR) < 0)
		return -ENOMEM;

	q->dir_fd = open_dir_at(AT_FDCWD, path, false, 0);
	if (q->dir_fd < 0)
		return q->dir_fd;
	q->queue_fd = open_dir_at(q->dir_fd, SPOOL_QUEUE_DIR, true, 0700);
	if (q->queue_fd < 0)
		return q->queue_fd;
	q->trash_fd = open_dir_at(q->dir_fd, SPOOL_TRASH_DIR, true, 0700);
	if (q->trash_fd < 0)
		return q->trash_fd;
	q->quarantine_fd =
		open_dir_at(q->dir_fd, SPOOL_QUARANTINE_DIR, true, 0700);
	if (q->quarantine_fd < 0)
		return q->quarantine_fd;
	/* The directories we may just have made. */
	if (fsync(q->dir_fd) < 0)
		return negative_errno();

	*ret = TAKE_PTR(q);
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* A DIR stream on dir_fd's directory, leaving dir_fd open. */
static int opendir_at(int dir_fd, DIR **ret)
{
	int fd;
	DIR *d;

	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	d = fdopendir(fd);
	if (!d) {
		int r = negative_errno();

		close(fd);
		return r;
	}
	*ret = d;
	return 0;
}

static bool dot_or_dotdot(const char *n)
{
	return streq(n, ".") || streq(n, "..");
}

int upload_queue_recover(struct upload_queue *q, unsigned int *ret_removed)
{
	_cleanup_(closedirp) DIR *d = NULL;
	unsigned int n = 0;
	struct dirent *de;
	int r, ret = 0;

	r = opendir_at(q->trash_fd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		if (dot_or_dotdot(de->d_name))
			continue;
		r = rm_rf_at(q->trash_fd, de->d_name);
		if (r < 0 && ret == 0)
			ret = r;
		if (r >= 0)
			n++;
	}
	if (n > 0 && fsync(q->trash_fd) < 0 && ret == 0)
		ret = negative_errno();
	if (ret < 0)
		return ret;
	if (ret_removed)
		*ret_removed = n;
	return 0;
}

int upload_queue_scan(struct upload_queue *q, char (*ids)[PHOTO_ID_LEN + 1],
		      size_t max, size_t *ret_n, size_t *ret_total)
{
	_cleanup_(closedirp) DIR *d = NULL;
	size_t n = 0, total = 0;
	struct dirent *de;
	int r;

	r = opendir_at(q->queue_fd, &d);
	if (r < 0)
		return r;
	errno = 0;
	while ((de = readdir(d))) {
		size_t lo = 0, hi = n;

		if (!photo_id_is_valid(de->d_name))
			continue;
		total++;
		/* Keep the max smallest names, sorted: binary insertion. */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (strcmp(ids[mid], de->d_name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= max)
			continue;
		if (n == max)
			n--;
		memmove(ids[lo + 1], ids[lo], (n - lo) * sizeof(ids[0]));
		memcpy(ids[lo], de->d_name, PHOTO_ID_LEN + 1);
		n++;
	}
	if (errno != 0)
		return negative_errno();
	*ret_n = n;
	if (ret_total)
		*ret_total = total;
	return 0;
}

int upload_queue_count_quarantine(struct upload_queue *q, unsigned int *ret)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	unsigned int n = 0;
	int r;

	r = opendir_at(q->quarantine_fd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d)))
		if (!dot_or_dotdot(de->d_name))
			n++;
	*ret = n;
	return 0;
}

struct upload_photo *upload_photo_free(struct upload_photo *p)
{
	if (!p)
		return NULL;
	free(p->jpeg);
	free(p->meta);
	free(p);
	return NULL;
}

static void json_object_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}

static const char *json_string_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A damaged entry: the reason goes to *ret_reason, -EBADMSG back. */
#define damaged(ret_reason, ...) \
	upload_errorf(ret_reason, -EBADMSG, __VA_ARGS__)

/* Reads one file of the entry; a missing or odd file damages it. */
static int load_file(int entry_fd, const char *name, size_t max, char **ret,
		     size_t *ret_len, char **ret_reason)
{
	int r;

	r = read_full_file_at(entry_fd, name, max, ret, ret_len);
	if (r == -ENOENT || r == -EBADFD || r == -EFBIG || r == -ELOOP)
		return damaged(ret_reason, "%s: %s", name, strerror(-r));
	return r;
}

static int check_meta(struct upload_photo *p, const char *id, char **ret_reason)
{
	_cleanup_(json_object_putp) struct json_object *o = NULL;
	enum json_tokener_error jerr;
	const char *s;

	o = json_tokener_parse_verbose(p->meta, &jerr);
	if (!o || !json_object_is_type(o, json_type_object))
		return damaged(ret_reason, "meta.json is not a JSON object: %s",
			       o ? "wrong type" :
				   json_tokener_error_desc(jerr));
	s = json_string_of(o, "photo_id");
	if (!s || !streq(s, id))
		return damaged(
			ret_reason,
			"meta.json: photo_id \"%.64s\" is not the entry's name",
			strempty(s));
	s = json_string_of(o, "device_id");
	if (!s || !device_id_valid(s))
		return damaged(
			ret_reason,
			"meta.json: device_id \"%.80s\" is missing or not [A-Za-z0-9._-]{1,64}",
			strempty(s));
	strcpy(p->device_id, s);
	s = json_string_of(o, "sha256");
	if (!s || strlen(s) != SHA256_HEX_LEN)
		return damaged(
			ret_reason,
			"meta.json: sha256 \"%.80s\" is not 64 hex digits",
			strempty(s));
	if (strcasecmp(s, p->sha256) != 0)
		return damaged(
			ret_reason,
			"photo.jpg does not match its sha256: meta.json says %s, the file has %s",
			s, p->sha256);
	return 0;
}

int upload_photo_load(struct upload_queue *q, const char *id,
		      struct upload_photo **ret, char **ret_reason)
{
	_cleanup_(upload_photo_freep) struct upload_photo *p = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!photo_id_is_valid(id))
		return -EINVAL;
	fd = open_dir_at(q->queue_fd, id, false, 0);
	if (fd < 0)
		return fd == -ENOTDIR ?
			       damaged(ret_reason,
				       "the entry is not a directory") :
			       fd;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	strcpy(p->id, id);
	r = load_file(fd, SPOOL_PHOTO_FILE, UPLOAD_JPEG_MAX, &p->jpeg,
		      &p->jpeg_len, ret_reason);
	if (r < 0)
		return r;
	r = load_file(fd, SPOOL_META_FILE, UPLOAD_META_MAX, &p->meta,
		      &p->meta_len, ret_reason);
	if (r < 0)
		return r;
	sha256_hex(p->jpeg, p->jpeg_len, p->sha256);
	sha256_hex(p->meta, p->meta_len, p->meta_sha256);
	r = check_meta(p, id, ret_reason);
	if (r < 0)
		return r;

	*ret = TAKE_PTR(p);
	return 0;
}

/* queue/ID to trash/ID, replacing what an earlier run left in trash/. */
static int move_to_trash(struct upload_queue *q, const char *id)
{
	int r;

	if (!photo_id_is_valid(id))
		return -EINVAL;
	if (renameat(q->queue_fd, id, q->trash_fd, id) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return negative_errno();
	/* Left over from an earlier run: it was confirmed too. */
	r = rm_rf_at(q->trash_fd, id);
	if (r < 0)
		return r;
	if (renameat(q->queue_fd, id, q->trash_fd, id) < 0)
		return negative_errno();
	return 0;
}

int upload_queue_finish(struct upload_queue *q, const char *const *ids,
			size_t n, int *ret_moved)
{
	bool any = false;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		ret_moved[i] = move_to_trash(q, ids[i]);
		any = any || ret_moved[i] == 0;
	}
	if (!any)
		return 0;
	if (fsync(q->queue_fd) < 0)
		r = negative_errno();
	for (size_t i = 0; i < n; i++) {
		int k;

		if (ret_moved[i] < 0)
			continue;
		k = rm_rf_at(q->trash_fd, ids[i]);
		if (k < 0 && r == 0)
			r = k;
	}
	if (fsync(q->trash_fd) < 0 && r == 0)
		r = negative_errno();
	return r;
}

int upload_queue_quarantine(struct upload_queue *q, const char *id,
			    const char *reason)
{
	_cleanup_close_ int fd = -EBADF;
	char target[PHOTO_ID_LEN + 8];
	int r;

	if (!photo_id_is_valid(id))
		return -EINVAL;
	fd = open_dir_at(q->queue_fd, id, false, 0);
	if (fd >= 0) {
		/* A reason left by an interrupted quarantine is replaced. */
		if (unlinkat(fd, SPOOL_REASON_FILE, 0) < 0 && errno != ENOENT)
			return negative_errno();
		r = write_file_sync_at(fd, SPOOL_REASON_FILE, reason,
				       strlen(reason), 0600);
		if (r < 0)
			return r;
		if (fsync(fd) < 0)
			return negative_errno();
	} else if (fd != -ENOTDIR) {
		return fd;
	}

	/* Never overwrite an earlier quarantined entry of the same name. */
	strcpy(target, id);
	for (unsigned int i = 1;; i++) {
		if (renameat2(q->queue_fd, id, q->quarantine_fd, target,
			      RENAME_NOREPLACE) == 0)
			break;
		if (errno != EEXIST || i > 99)
			return negative_errno();
		snprintf(target, sizeof(target), "%s.%u", id, i);
	}
	if (fsync(q->quarantine_fd) < 0 || fsync(q->queue_fd) < 0)
		return negative_errno();
	return 0;
}
