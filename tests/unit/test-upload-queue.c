// SPDX-License-Identifier: GPL-2.0
/* The uploader's side of the spool, on a temporary directory. */

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "hash.h"
#include "tap.h"
#include "upload-queue.h"
#include "util.h"

#define ID_A "01a2000000000000000000000000000a"
#define ID_B "01a2000000000000000000000000000b"
#define ID_C "01a2000000000000000000000000000c"

static char spool[] = "/tmp/test-upload-queue.XXXXXX";

static void rm_spool(void)
{
	(void)rm_rf_at(AT_FDCWD, spool);
}

static int entry_path(char *buf, size_t n, const char *dir, const char *id)
{
	return snprintf(buf, n, "%s/%s/%s", spool, dir, id);
}

/* Writes queue/ID with a JPEG of body and a meta.json saying sha. */
static void put_entry(const char *id, const char *body, const char *sha,
		      const char *photo_id)
{
	char path[256], meta[512], real[SHA256_HEX_LEN + 1];
	_cleanup_close_ int fd = -EBADF;

	entry_path(path, sizeof(path), "queue", id);
	mkdir(path, 0700);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	sha256_hex(body, strlen(body), real);
	snprintf(
		meta, sizeof(meta),
		"{\"photo_id\":\"%s\",\"device_id\":\"dev-1\",\"sha256\":\"%s\"}",
		photo_id ? photo_id : id, sha ? sha : real);
	write_file_sync_at(fd, "photo.jpg", body, strlen(body), 0600);
	write_file_sync_at(fd, "meta.json", meta, strlen(meta), 0600);
}

static bool exists(const char *dir, const char *id, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s%s%s", spool, dir, id,
		 file ? "/" : "", file ? file : "");
	return access(path, F_OK) == 0;
}

/* trash/ID as an earlier, interrupted run would have left it. */
static int mkdir_trash_copy(const char *id)
{
	char path[256];

	entry_path(path, sizeof(path), "trash", id);
	if (mkdir(path, 0700) < 0)
		return -errno;
	strcat(path, "/photo.jpg");
	return write_file_sync_at(AT_FDCWD, path, "old", 3, 0600);
}

static struct upload_queue *setup(void)
{
	struct upload_queue *q = NULL;

	rm_spool();
	strcpy(spool, "/tmp/test-upload-queue.XXXXXX");
	if (!mkdtemp(spool))
		return NULL;
	if (upload_queue_open(spool, &q) < 0)
		return NULL;
	return q;
}

TEST(open_makes_directories)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = setup();

	REQUIRE(q);
	CHECK(exists("queue", "", NULL));
	CHECK(exists("trash", "", NULL));
	CHECK(exists("quarantine", "", NULL));
	rm_spool();
}

TEST(scan_oldest_first_and_bounded)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = setup();
	char ids[2][PHOTO_ID_LEN + 1];
	char path[256];
	size_t n = 0, total = 0;

	REQUIRE(q);
	put_entry(ID_C, "c", NULL, NULL);
	put_entry(ID_A, "a", NULL, NULL);
	put_entry(ID_B, "b", NULL, NULL);
	/* Not a photo id: neither listed nor counted. */
	entry_path(path, sizeof(path), "queue", "README");
	mkdir(path, 0700);

	REQUIRE(upload_queue_scan(q, ids, 2, &n, &total) == 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(total, 3);
	CHECK_STREQ(ids[0], ID_A);
	CHECK_STREQ(ids[1], ID_B);
	rm_spool();
}

TEST(load_good_entry)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = setup();
	_cleanup_(upload_photo_freep) struct upload_photo *p = NULL;
	_cleanup_free_ char *reason = NULL;
	char sha[SHA256_HEX_LEN + 1];

	REQUIRE(q);
	put_entry(ID_A, "\xff\xd8jpeg\xff\xd9", NULL, NULL);
	REQUIRE(upload_photo_load(q, ID_A, &p, &reason) == 0);
	CHECK_STREQ(p->device_id, "dev-1");
	CHECK_EQ_INT(p->jpeg_len, 8);
	sha256_hex(p->meta, p->meta_len, sha);
	CHECK_STREQ(p->meta_sha256, sha);
	CHECK(reason == NULL);
	rm_spool();
}

TEST(load_damaged_entries)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = setup();
	struct upload_photo *p = NULL;
	char *reason = NULL, path[256];

	REQUIRE(q);
	put_entry(ID_A, "jpeg",
		  "00000000000000000000000000000000"
		  "00000000000000000000000000000000",
		  NULL);
	CHECK_EQ_INT(upload_photo_load(q, ID_A, &p, &reason), -EBADMSG);
	CHECK(reason && strstr(reason, "does not match its sha256"));
	CHECK(p == NULL);
	free(reason);
	reason = NULL;

	put_entry(ID_B, "jpeg", NULL, ID_C);
	CHECK_EQ_INT(upload_photo_load(q, ID_B, &p, &reason), -EBADMSG);
	CHECK(reason && strstr(reason, "photo_id"));
	free(reason);
	reason = NULL;

	put_entry(ID_C, "jpeg", NULL, NULL);
	snprintf(path, sizeof(path), "%s/queue/%s/meta.json", spool, ID_C);
	unlink(path);
	CHECK_EQ_INT(upload_photo_load(q, ID_C, &p, &reason), -EBADMSG);
	CHECK(reason && strstr(reason, "meta.json"));
	free(reason);
	reason = NULL;

	CHECK_EQ_INT(upload_photo_load(q, "01a2000000000000000000000000000f",
				       &p, &reason),
		     -ENOENT);
	rm_spool();
}

TEST(finish_removes_through_trash)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = setup();
	const char *ids[] = { ID_A, ID_B, ID_C };
	int moved[3];

	REQUIRE(q);
	put_entry(ID_A, "a", NULL, NULL);
	put_entry(ID_B, "b", NULL, NULL);
	put_entry(ID_C, "c", NULL, NULL);
	/* B left over in trash/ by a crash: replaced, not an error. */
	REQUIRE(mkdir_trash_copy(ID_B) == 0);

	CHECK_EQ_INT(upload_queue_finish(q, ids, 3, moved), 0);
	CHECK_EQ_INT(moved[0], 0);
	CHECK_EQ_INT(moved[1], 0);
	CHECK_EQ_INT(moved[2], 0);
	for (unsigned int i = 0; i < 3; i++) {
		CHECK(!exists("queue", ids[i], NULL));
		CHECK(!exists("trash", ids[i], NULL));
	}
	/* Gone already: that photo says so, the others are unaffected. */
	put_entry(ID_A, "a", NULL, NULL);
	CHECK_EQ_INT(upload_queue_finish(q, ids, 2, moved), 0);
	CHECK_EQ_INT(moved[0], 0);
	CHECK_EQ_INT(moved[1], -ENOENT);
	CHECK(!exists("queue", ID_A, NULL));
	rm_spool();
}

TEST(recover_empties_trash)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = setup();
	char from[256], to[256];
	unsigned int n = 0;

	REQUIRE(q);
	put_entry(ID_A, "a", NULL, NULL);
	put_entry(ID_B, "b", NULL, NULL);
	entry_path(from, sizeof(from), "queue", ID_A);
	entry_path(to, sizeof(to), "trash", ID_A);
	REQUIRE(rename(from, to) == 0);
	CHECK_EQ_INT(upload_queue_recover(q, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK(!exists("trash", ID_A, NULL));
	CHECK(exists("queue", ID_B, "photo.jpg"));
	rm_spool();
}

TEST(quarantine_keeps_files_and_reason)
{
	_cleanup_(upload_queue_freep) struct upload_queue *q = setup();
	_cleanup_free_ char *reason = NULL;
	char path[256];
	unsigned int n = 0;

	REQUIRE(q);
	put_entry(ID_A, "a", NULL, NULL);
	CHECK_EQ_INT(upload_queue_quarantine(q, ID_A, "status: 403\n"), 0);
	CHECK(!exists("queue", ID_A, NULL));
	CHECK(exists("quarantine", ID_A, "photo.jpg"));
	CHECK(exists("quarantine", ID_A, "meta.json"));
	entry_path(path, sizeof(path), "quarantine", ID_A);
	strcat(path, "/reason");
	REQUIRE(read_full_file_at(AT_FDCWD, path, 4096, &reason, NULL) == 0);
	CHECK_STREQ(reason, "status: 403\n");

	/* The same id again does not overwrite the first. */
	put_entry(ID_A, "a2", NULL, NULL);
	CHECK_EQ_INT(upload_queue_quarantine(q, ID_A, "status: 404\n"), 0);
	CHECK(exists("quarantine", ID_A ".1", "reason"));
	CHECK_EQ_INT(upload_queue_count_quarantine(q, &n), 0);
	CHECK_EQ_INT(n, 2);
	rm_spool();
}
