// SPDX-License-Identifier: GPL-2.0
/* The spool writer: commit, read back, recovery, cap, reserve, failures. */

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "fs-util.h"
#include "hash.h"
#include "id.h"
#include "spool.h"
#include "tap.h"
#include "util.h"

/* 2026-11-22T08:01:02.123456Z */
#define CAPTURED_USEC UINT64_C(1795334462123456)

struct fixture {
	char dir[64];		/* a fresh directory ... */
	char path[160];		/* ... holding the spool */
	struct spool *spool;
};

static void fixture_setup(struct fixture *f, uint64_t max, uint64_t reserve)
{
	strcpy(f->dir, "/tmp/test-spool-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	snprintf(f->path, sizeof(f->path), "%s/spool", f->dir);
	f->spool = NULL;
	if (max != UINT64_MAX && spool_open(f->path, max, reserve,
					    &f->spool) < 0)
		abort();
}

static void fixture_cleanup(struct fixture *f)
{
	f->spool = spool_free(f->spool);
	(void)rm_rf_at(AT_FDCWD, f->dir);
}

static uint64_t now_realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void make_meta(struct photo_meta *m)
{
	*m = (struct photo_meta){
		.device_id = "van-0042",
		.camera = "doorbell",
		.trigger = "delivered",
		.captured_usec = CAPTURED_USEC,
		.frame_sequence = 4242,
		.trigger_latency_usec = 3100,
		.sharpness = 1234.5678,
		.width = 1920,
		.height = 1080,
		.has_gps = true,
		.gps = { 47.61, -122.3456789, 4.5 },
	};
	if (photo_id_new(now_realtime_usec(), m->photo_id) < 0)
		abort();
	strcpy(m->tracking_id, "TBA123456789");
	strcpy(m->stop_id, "stop-17");
}

/* A fake JPEG of len bytes that differs per seed. */
static uint8_t *make_jpeg(size_t len, unsigned int seed)
{
	uint8_t *b = malloc(len);

	if (!b)
		abort();
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(rand_r(&seed) >> 7);
	if (len >= 2) {
		b[0] = 0xff;
		b[1] = 0xd8;
	}
	return b;
}

/* Entries in DIR/NAME but "." and ".."; -1 when it cannot be read. */
static int count_dir(const char *dir, const char *name)
{
	char path[512];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static mode_t mode_of(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st) < 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static int read_entry_file(const char *spool, const char *id, const char *file,
			   char **ret, size_t *ret_len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/queue/%s/%s", spool, id, file);
	return read_full_file_at(AT_FDCWD, path, 64 * 1024 * 1024, ret,
				 ret_len);
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type)) {
		tap_diag("key %s missing or not of type %s", key,
			 json_type_to_name(type));
		return NULL;
	}
	return v;
}

#define GET_STR(o, key)                                                  \
	({                                                               \
		json_object *_v = get(o, key, json_type_string);         \
		_v ? json_object_get_string(_v) : NULL;                  \
	})

/* Digits after the point of "key": NUMBER in the raw text. */
static int decimals_of(const char *text, const char *key)
{
	char pattern[64];
	const char *s, *dot;

	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	s = strstr(text, pattern);
	if (!s)
		return -1;
	s += strlen(pattern);
	s += strspn(s, " ");
	dot = strchr(s, '.');
	if (!dot)
		return 0;
	return (int)strspn(dot + 1, "0123456789");
}

TEST(commit_and_read_back)
{
	struct fixture f;
	struct photo_meta m;
	struct spool_commit_result res;
	_cleanup_free_ uint8_t *jpeg = make_jpeg(300000, 1);
	_cleanup_free_ char *photo = NULL, *text = NULL;
	char sha[SHA256_HEX_LEN + 1], entry[64];
	json_object *o = NULL, *gps;
	size_t photo_len, text_len;
	struct spool_recovery rec;

	fixture_setup(&f, 0, 0);
	REQUIRE(spool_recover(f.spool, &rec) == 0);
	CHECK_EQ_INT(rec.pending, 0);
	make_meta(&m);
	REQUIRE(spool_commit(f.spool, &m, jpeg, 300000, &res) == 0);

	/* JPEG bytes and hash */
	REQUIRE(read_entry_file(f.path, m.photo_id, "photo.jpg", &photo,
				&photo_len) == 0);
	CHECK(photo_len == 300000 && memcmp(photo, jpeg, 300000) == 0);
	sha256_hex(jpeg, 300000, sha);
	CHECK_STREQ(res.sha256, sha);

	/* meta.json: every key with its type */
	REQUIRE(read_entry_file(f.path, m.photo_id, "meta.json", &text,
				&text_len) == 0);
	CHECK(res.bytes == 300000 + text_len);
	o = json_tokener_parse(text);
	REQUIRE(o && json_object_is_type(o, json_type_object));
	CHECK_STREQ(GET_STR(o, "photo_id"), m.photo_id);
	CHECK_STREQ(GET_STR(o, "tracking_id"), "TBA123456789");
	CHECK_STREQ(GET_STR(o, "device_id"), "van-0042");
	CHECK_STREQ(GET_STR(o, "camera"), "doorbell");
	CHECK_STREQ(GET_STR(o, "trigger"), "delivered");
	CHECK_STREQ(GET_STR(o, "captured_at"), "2026-11-22T08:01:02.123456Z");
	CHECK_STREQ(GET_STR(o, "sha256"), sha);
	CHECK_STREQ(GET_STR(o, "stop_id"), "stop-17");
	CHECK(get(o, "frame_sequence", json_type_int) &&
	      json_object_get_int64(get(o, "frame_sequence", json_type_int)) ==
		      4242);
	CHECK(get(o, "width", json_type_int) &&
	      json_object_get_int(get(o, "width", json_type_int)) == 1920);
	CHECK(get(o, "height", json_type_int) &&
	      json_object_get_int(get(o, "height", json_type_int)) == 1080);
	CHECK(get(o, "sharpness", json_type_double) &&
	      json_object_get_double(get(o, "sharpness", json_type_double)) ==
		      1234.5678);
	/* the latency given, plus the time to photo.jpg fsynced */
	CHECK(get(o, "trigger_latency_usec", json_type_int) &&
	      json_object_get_uint64(get(o, "trigger_latency_usec",
					 json_type_int)) ==
		      3100 + res.jpeg_synced_usec);
	CHECK(res.jpeg_synced_usec <= res.total_usec);
	gps = get(o, "gps", json_type_object);
	REQUIRE(gps);
	CHECK(get(gps, "latitude", json_type_double) &&
	      json_object_get_double(get(gps, "latitude", json_type_double)) ==
		      47.61);
	CHECK(get(gps, "longitude", json_type_double) &&
	      json_object_get_double(get(gps, "longitude",
					 json_type_double)) == -122.3456789);
	CHECK(get(gps, "accuracy_m", json_type_double) &&
	      json_object_get_double(get(gps, "accuracy_m",
					 json_type_double)) == 4.5);
	CHECK_EQ_INT(json_object_object_length(o), 14);
	CHECK(decimals_of(text, "latitude") >= 7);
	CHECK(decimals_of(text, "longitude") >= 7);
	json_object_put(o);

	/* modes: 0700 directories, 0600 files */
	snprintf(entry, sizeof(entry), "queue/%s", m.photo_id);
	CHECK_EQ_INT(mode_of(f.dir, "spool"), 0700);
	CHECK_EQ_INT(mode_of(f.path, "tmp"), 0700);
	CHECK_EQ_INT(mode_of(f.path, "queue"), 0700);
	CHECK_EQ_INT(mode_of(f.path, entry), 0700);
	strcat(entry, "/photo.jpg");
	CHECK_EQ_INT(mode_of(f.path, entry), 0600);
	snprintf(entry, sizeof(entry), "queue/%s/meta.json", m.photo_id);
	CHECK_EQ_INT(mode_of(f.path, entry), 0600);

	CHECK_EQ_INT(count_dir(f.path, "tmp"), 0);
	CHECK_EQ_INT(count_dir(f.path, "queue"), 1);
	CHECK_EQ_INT(spool_pending(f.spool), 1);
	CHECK(spool_pending_bytes(f.spool) == res.bytes);
	fixture_cleanup(&f);
}

TEST(meta_without_gps_or_stop)
{
	struct fixture f;
	struct photo_meta m;
	_cleanup_free_ char *text = NULL;
	json_object *o, *v;

	fixture_setup(&f, 0, 0);
	make_meta(&m);
	m.has_gps = false;
	m.stop_id[0] = '\0';
	m.tracking_id[0] = '\0';	/* a doorbell press */
	m.trigger = "gpio";
	m.sharpness = 7;
	REQUIRE(spool_commit(f.spool, &m, "\xff\xd8\xff\xd9", 4, NULL) == 0);
	REQUIRE(read_entry_file(f.path, m.photo_id, "meta.json", &text,
				NULL) == 0);
	o = json_tokener_parse(text);
	REQUIRE(o);
	CHECK(!json_object_object_get_ex(o, "gps", &v));
	CHECK(!json_object_object_get_ex(o, "stop_id", &v));
	CHECK_STREQ(GET_STR(o, "tracking_id"), "");
	CHECK_STREQ(GET_STR(o, "trigger"), "gpio");
	/* a whole number stays a JSON double */
	CHECK(get(o, "sharpness", json_type_double) != NULL);
	CHECK_EQ_INT(json_object_object_length(o), 12);
	json_object_put(o);
	fixture_cleanup(&f);
}

TEST(gps_without_accuracy)
{
	struct fixture f;
	struct photo_meta m;
	_cleanup_free_ char *text = NULL;
	json_object *o, *gps, *v;

	fixture_setup(&f, 0, 0);
	make_meta(&m);
	m.gps = (struct gps_fix){ -33.8688197, 151.2092955, -1 };
	REQUIRE(spool_commit(f.spool, &m, "x", 1, NULL) == 0);
	REQUIRE(read_entry_file(f.path, m.photo_id, "meta.json", &text,
				NULL) == 0);
	o = json_tokener_parse(text);
	REQUIRE(o);
	gps = get(o, "gps", json_type_object);
	REQUIRE(gps);
	CHECK(!json_object_object_get_ex(gps, "accuracy_m", &v));
	CHECK(json_object_get_double(get(gps, "latitude",
					 json_type_double)) == -33.8688197);
	CHECK(json_object_get_double(get(gps, "longitude",
					 json_type_double)) == 151.2092955);
	json_object_put(o);
	fixture_cleanup(&f);
}

static void mkfile(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_full(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
}

static void mkdir_in(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0700) < 0)
		abort();
}

TEST(recovery_removes_tmp_and_keeps_queue)
{
	struct fixture f;
	struct photo_meta a, b;
	struct spool_recovery rec;
	struct spool_commit_result ra, rb;
	char partial[64];

	fixture_setup(&f, 0, 0);
	make_meta(&a);
	make_meta(&b);
	REQUIRE(spool_commit(f.spool, &a, "aaaa", 4, &ra) == 0);
	REQUIRE(spool_commit(f.spool, &b, "bbbbbbbb", 8, &rb) == 0);
	f.spool = spool_free(f.spool);

	/* What a crash leaves: a half-written entry, odd files, depth */
	make_meta(&a);
	snprintf(partial, sizeof(partial), "tmp/%s", a.photo_id);
	mkdir_in(f.path, partial);
	strcat(partial, "/photo.jpg");
	mkfile(f.path, partial, "half a jpe");
	mkfile(f.path, "tmp/stray", "x");
	mkdir_in(f.path, "tmp/deep");
	mkdir_in(f.path, "tmp/deep/er");
	mkfile(f.path, "tmp/deep/er/file", "y");
	/* and names in queue/ that are no photos: reported, left alone */
	mkdir_in(f.path, "queue/not-a-photo-id");
	mkfile(f.path, "queue/0190f5a4c3d27abc8def0123456789ab", "file");
	mkfile(f.path, "queue/.hidden", "");

	REQUIRE(spool_open(f.path, 0, 0, &f.spool) == 0);
	REQUIRE(spool_recover(f.spool, &rec) == 0);
	CHECK_EQ_INT(rec.removed, 3);
	CHECK_EQ_INT(rec.ignored, 3);
	CHECK_EQ_INT(rec.pending, 2);
	CHECK(rec.pending_bytes == ra.bytes + rb.bytes);
	CHECK_EQ_INT(spool_pending(f.spool), 2);
	CHECK(spool_pending_bytes(f.spool) == ra.bytes + rb.bytes);
	CHECK_EQ_INT(count_dir(f.path, "tmp"), 0);
	CHECK_EQ_INT(count_dir(f.path, "queue"), 5);
	CHECK_EQ_INT(count_dir(f.path, "queue/not-a-photo-id"), 0);

	/* a second recovery finds nothing to remove */
	REQUIRE(spool_recover(f.spool, &rec) == 0);
	CHECK_EQ_INT(rec.removed, 0);
	CHECK_EQ_INT(rec.pending, 2);
	fixture_cleanup(&f);
}

static bool nothing_of(const struct fixture *f, const char *id)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/queue/%s", f->path, id);
	if (access(path, F_OK) == 0)
		return false;
	return count_dir(f->path, "tmp") == 0;
}

TEST(cap_gives_edquot)
{
	struct fixture f;
	struct photo_meta a, b;
	struct spool_commit_result ra;
	_cleanup_free_ uint8_t *jpeg = make_jpeg(100000, 2);
	char path[512];

	/* room for one 100 kB photo and its meta.json, not two */
	fixture_setup(&f, 150000, 0);
	make_meta(&a);
	make_meta(&b);
	REQUIRE(spool_commit(f.spool, &a, jpeg, 100000, &ra) == 0);
	CHECK_EQ_INT(spool_commit(f.spool, &b, jpeg, 100000, NULL), -EDQUOT);
	CHECK(nothing_of(&f, b.photo_id));
	CHECK_EQ_INT(spool_pending(f.spool), 1);
	CHECK(spool_pending_bytes(f.spool) == ra.bytes);

	/* the uploader took the first one: after a rescan there is room */
	snprintf(path, sizeof(path), "%s/queue", f.path);
	REQUIRE(rm_rf_at(AT_FDCWD, path) == 0 && mkdir(path, 0700) == 0);
	f.spool = spool_free(f.spool);
	REQUIRE(spool_open(f.path, 150000, 0, &f.spool) == 0);
	REQUIRE(spool_rescan(f.spool) == 0);
	CHECK_EQ_INT(spool_pending(f.spool), 0);
	CHECK_EQ_INT(spool_commit(f.spool, &b, jpeg, 100000, NULL), 0);
	fixture_cleanup(&f);
}

TEST(rescan_sees_what_the_uploader_removed)
{
	struct fixture f;
	struct photo_meta a, b;
	struct spool_commit_result rb;
	char path[512];

	fixture_setup(&f, 0, 0);
	make_meta(&a);
	make_meta(&b);
	REQUIRE(spool_commit(f.spool, &a, "aaaa", 4, NULL) == 0);
	REQUIRE(spool_commit(f.spool, &b, "bb", 2, &rb) == 0);
	CHECK_EQ_INT(spool_pending(f.spool), 2);
	snprintf(path, sizeof(path), "%s/queue/%s", f.path, a.photo_id);
	REQUIRE(rm_rf_at(AT_FDCWD, path) == 0);
	REQUIRE(spool_rescan(f.spool) == 0);
	CHECK_EQ_INT(spool_pending(f.spool), 1);
	CHECK(spool_pending_bytes(f.spool) == rb.bytes);
	fixture_cleanup(&f);
}

TEST(reserve_gives_enospc)
{
	struct fixture f;
	struct photo_meta m;
	uint64_t free_bytes;

	fixture_setup(&f, 0, 0);
	REQUIRE(spool_free_bytes(f.spool, &free_bytes) == 0);
	CHECK(free_bytes > 0);
	f.spool = spool_free(f.spool);

	/* a reserve just under what is free: a 1 MB photo breaks it */
	REQUIRE(spool_open(f.path, 0, free_bytes - 4096, &f.spool) == 0);
	make_meta(&m);
	{
		_cleanup_free_ uint8_t *jpeg = make_jpeg(1000000, 3);

		CHECK_EQ_INT(spool_commit(f.spool, &m, jpeg, 1000000, NULL),
			     -ENOSPC);
	}
	CHECK(nothing_of(&f, m.photo_id));
	CHECK_EQ_INT(spool_pending(f.spool), 0);
	fixture_cleanup(&f);
}

struct fail_at {
	enum spool_phase phase;
	int error;
};

static int fail_hook(enum spool_phase phase, void *userdata)
{
	const struct fail_at *fa = userdata;

	return phase == fa->phase ? fa->error : 0;
}

/* A failure at every step leaves nothing behind. */
TEST(failure_at_every_step_leaves_nothing)
{
	struct fixture f;
	struct photo_meta m;

	fixture_setup(&f, 0, 0);
	for (enum spool_phase p = SPOOL_PHASE_CHECK;
	     p <= SPOOL_PHASE_SYNC_QUEUE; p++) {
		struct fail_at fa = { p, -EIO };
		int r;

		make_meta(&m);
		spool_set_phase_hook(f.spool, fail_hook, &fa);
		r = spool_commit(f.spool, &m, "abc", 3, NULL);
		if (r != -EIO || !nothing_of(&f, m.photo_id)) {
			tap_diag("step %s: %d", spool_phase_to_string(p), r);
			CHECK(r == -EIO && nothing_of(&f, m.photo_id));
		}
		CHECK_EQ_INT(count_dir(f.path, "queue"), 0);
		CHECK_EQ_INT(spool_pending(f.spool), 0);
	}

	/* once queue/ is fsynced the photo is there to stay */
	{
		struct fail_at fa = { SPOOL_PHASE_SYNC_TMP, -EIO };

		make_meta(&m);
		spool_set_phase_hook(f.spool, fail_hook, &fa);
		CHECK_EQ_INT(spool_commit(f.spool, &m, "abc", 3, NULL), 0);
		CHECK_EQ_INT(count_dir(f.path, "queue"), 1);
		CHECK_EQ_INT(spool_pending(f.spool), 1);
	}
	fixture_cleanup(&f);
}

TEST(invalid_meta_is_refused)
{
	struct fixture f;
	struct photo_meta m;

	fixture_setup(&f, 0, 0);
	make_meta(&m);
	strcpy(m.photo_id, "../../../../../../../../etc/pwned");
	CHECK_EQ_INT(spool_commit(f.spool, &m, "x", 1, NULL), -EINVAL);
	make_meta(&m);
	strcpy(m.tracking_id, "../x");
	CHECK_EQ_INT(spool_commit(f.spool, &m, "x", 1, NULL), -EINVAL);
	make_meta(&m);
	m.sharpness = NAN;
	CHECK_EQ_INT(spool_commit(f.spool, &m, "x", 1, NULL), -EINVAL);
	make_meta(&m);
	m.gps.latitude = 91;
	CHECK_EQ_INT(spool_commit(f.spool, &m, "x", 1, NULL), -EINVAL);
	make_meta(&m);
	m.camera = NULL;
	CHECK_EQ_INT(spool_commit(f.spool, &m, "x", 1, NULL), -EINVAL);
	CHECK_EQ_INT(count_dir(f.path, "tmp"), 0);
	CHECK_EQ_INT(count_dir(f.path, "queue"), 0);
	fixture_cleanup(&f);
}

TEST(existing_queue_entry_is_never_replaced)
{
	struct fixture f;
	struct photo_meta m;
	_cleanup_free_ char *photo = NULL;

	fixture_setup(&f, 0, 0);
	make_meta(&m);
	REQUIRE(spool_commit(f.spool, &m, "first", 5, NULL) == 0);
	CHECK_EQ_INT(spool_commit(f.spool, &m, "second", 6, NULL), -EEXIST);
	CHECK_EQ_INT(count_dir(f.path, "tmp"), 0);
	REQUIRE(read_entry_file(f.path, m.photo_id, "photo.jpg", &photo,
				NULL) == 0);
	CHECK_STREQ(photo, "first");
	CHECK_EQ_INT(spool_pending(f.spool), 1);
	fixture_cleanup(&f);
}

TEST(open_makes_private_directories)
{
	struct fixture f;
	char path[512];

	fixture_setup(&f, UINT64_MAX, 0);
	/* existing, too open: tightened */
	REQUIRE(mkdir(f.path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/queue", f.path);
	REQUIRE(mkdir(path, 0777) == 0);
	REQUIRE(chmod(path, 0777) == 0);
	REQUIRE(spool_open(f.path, 0, 0, &f.spool) == 0);
	CHECK_EQ_INT(mode_of(f.dir, "spool"), 0700);
	CHECK_EQ_INT(mode_of(f.path, "queue"), 0700);
	CHECK_EQ_INT(mode_of(f.path, "tmp"), 0700);
	fixture_cleanup(&f);
}

TEST(unusable_spool_gives_clear_errno)
{
	struct fixture f;
	struct spool *s = NULL;
	char path[512];

	/* a file where the spool should be */
	fixture_setup(&f, UINT64_MAX, 0);
	mkfile(f.dir, "spool", "not a directory");
	CHECK_EQ_INT(spool_open(f.path, 0, 0, &s), -ENOTDIR);
	CHECK(!s);
	REQUIRE(unlink(f.path) == 0);

	/* a file where queue/ should be */
	REQUIRE(mkdir(f.path, 0700) == 0);
	mkfile(f.path, "queue", "");
	CHECK_EQ_INT(spool_open(f.path, 0, 0, &s), -ENOTDIR);

	/* a symlink where tmp/ should be (that open made tmp/ already) */
	REQUIRE(unlink(strcat(strcpy(path, f.path), "/queue")) == 0);
	REQUIRE(rmdir(strcat(strcpy(path, f.path), "/tmp")) == 0);
	REQUIRE(symlink("/tmp", strcat(strcpy(path, f.path), "/tmp")) == 0);
	/* O_DIRECTORY|O_NOFOLLOW on a symlink: ENOTDIR on Linux */
	CHECK_EQ_INT(spool_open(f.path, 0, 0, &s), -ENOTDIR);

	/* a missing parent */
	CHECK_EQ_INT(spool_open("/nonexistent/podcam/spool", 0, 0, &s),
		     -ENOENT);
	fixture_cleanup(&f);
}

TEST(read_only_spool_gives_erofs)
{
	struct fixture f;
	struct photo_meta m;
	int r;

	if (geteuid() != 0)
		SKIP("needs root for a read-only bind mount");
	fixture_setup(&f, 0, 0);
	f.spool = spool_free(f.spool);
	if (mount(f.path, f.path, "none", MS_BIND, NULL) < 0 ||
	    mount("none", f.path, "none", MS_REMOUNT | MS_BIND | MS_RDONLY,
		  NULL) < 0) {
		(void)umount2(f.path, MNT_DETACH);
		fixture_cleanup(&f);
		SKIP("cannot make a read-only bind mount here");
	}
	r = spool_open(f.path, 0, 0, &f.spool);
	CHECK_EQ_INT(r, 0);	/* the directories are there already */
	if (r == 0) {
		make_meta(&m);
		CHECK_EQ_INT(spool_commit(f.spool, &m, "x", 1, NULL), -EROFS);
	}
	f.spool = spool_free(f.spool);
	CHECK(umount2(f.path, 0) == 0);
	fixture_cleanup(&f);
}

struct filler {
	enum spool_phase phase;
	const char *dir;
};

/* Fills the file system just before a step, so that its write fails. */
static int fill_hook(enum spool_phase phase, void *userdata)
{
	const struct filler *fl = userdata;
	static const char zeros[4096];
	char path[512];
	int fd;

	if (phase != fl->phase)
		return 0;
	snprintf(path, sizeof(path), "%s/filler", fl->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (write(fd, zeros, sizeof(zeros)) > 0)
		;
	close(fd);
	return 0;
}

/* A real full file system: a 1 MiB tmpfs takes three 300 kB photos. */
TEST(full_filesystem_gives_enospc)
{
	static const enum spool_phase write_steps[] = {
		SPOOL_PHASE_WRITE_JPEG, SPOOL_PHASE_WRITE_META,
	};
	struct fixture f;
	struct photo_meta m;
	_cleanup_free_ uint8_t *jpeg = make_jpeg(300000, 4);
	char mnt[96], path[512];
	int r = 0, n = 0;

	if (geteuid() != 0)
		SKIP("needs root to mount a small tmpfs");
	fixture_setup(&f, UINT64_MAX, 0);
	snprintf(mnt, sizeof(mnt), "%s/fs", f.dir);
	REQUIRE(mkdir(mnt, 0700) == 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m,mode=0700") < 0) {
		fixture_cleanup(&f);
		SKIP("cannot mount a tmpfs here");
	}
	snprintf(f.path, sizeof(f.path), "%s/spool", mnt);
	REQUIRE(spool_open(f.path, 0, 0, &f.spool) == 0);
	while (n < 10) {
		make_meta(&m);
		r = spool_commit(f.spool, &m, jpeg, 300000, NULL);
		if (r < 0)
			break;
		n++;
	}
	/* the free-space check saw it coming */
	CHECK_EQ_INT(r, -ENOSPC);
	CHECK_EQ_INT(n, 3);
	CHECK(nothing_of(&f, m.photo_id));
	CHECK_EQ_INT(count_dir(f.path, "queue"), n);
	CHECK_EQ_INT(spool_pending(f.spool), n);

	/*
	 * The disk filling up between the check and the writes of photo.jpg
	 * or meta.json: ENOSPC from write() itself, nothing left behind.
	 */
	for (size_t i = 0; i < ELEMENTSOF(write_steps); i++) {
		struct filler fl = { write_steps[i], mnt };

		snprintf(path, sizeof(path), "%s/filler", mnt);
		(void)unlink(path);
		make_meta(&m);
		spool_set_phase_hook(f.spool, fill_hook, &fl);
		r = spool_commit(f.spool, &m, jpeg, 1000, NULL);
		if (r != -ENOSPC)
			tap_diag("filled before %s: %d",
				 spool_phase_to_string(fl.phase), r);
		CHECK_EQ_INT(r, -ENOSPC);
		CHECK(nothing_of(&f, m.photo_id));
		CHECK_EQ_INT(count_dir(f.path, "queue"), n);
	}
	spool_set_phase_hook(f.spool, NULL, NULL);

	f.spool = spool_free(f.spool);
	CHECK(umount2(mnt, 0) == 0);
	fixture_cleanup(&f);
}

TEST(phase_names)
{
	CHECK_STREQ(spool_phase_to_string(SPOOL_PHASE_RENAME), "rename");
	CHECK(!spool_phase_to_string(_SPOOL_PHASE_MAX));
	for (int p = 0; p < _SPOOL_PHASE_MAX; p++)
		CHECK(spool_phase_to_string(p) != NULL);
}
