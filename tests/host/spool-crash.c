// SPDX-License-Identifier: GPL-2.0
/*
 * The spool's crash test: ROUNDS times, a child commits photos in a loop
 * and reports every id spool_commit() acknowledged over a pipe; it is
 * SIGKILLed at a random moment. A fresh process then runs the recovery and
 * the spool is checked: tmp/ empty, every entry in queue/ whole (both
 * files, meta.json valid, the JPEG's sha256 as meta.json says), every
 * acknowledged id there. Then the round's photos are removed, as the
 * uploader would.
 *
 * To land kills between steps as well as inside them, each round picks a
 * step at whose start the child sleeps a little (or none). The child tells
 * which step it is in through shared memory, so the kills are counted by
 * step. Prints one TAP line for all rounds, with the counts as comments.
 *
 *	spool-crash [ROUNDS [SEED]]
 */

#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "fs-util.h"
#include "hash.h"
#include "id.h"
#include "spool-layout.h"
#include "spool.h"
#include "util.h"

#define MAX_ACKED 4096
#define PHASE_PREPARE -1	/* hashing, JSON, the pipe: outside a step */
#define PHASE_START -2		/* before the first commit */
#define N_PHASES (_SPOOL_PHASE_MAX + 2)
#define MAX_JPEG (256 * 1024)

struct shared {
	volatile int phase;		/* what the child is doing */
	volatile int widen_phase;	/* sleeps at the start of this step */
	volatile unsigned int widen_usec;
};

static struct shared *shared;

static const char *phase_name(int p)
{
	if (p == PHASE_PREPARE)
		return "prepare";
	if (p == PHASE_START)
		return "start";
	return spool_phase_to_string(p);
}

static int record_phase(enum spool_phase phase, void *userdata)
{
	shared->phase = phase;
	if ((int)phase == shared->widen_phase) {
		struct timespec ts = { 0, shared->widen_usec * 1000L };

		nanosleep(&ts, NULL);
	}
	return 0;
}

static uint64_t realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The committing child: never returns. */
_Noreturn static void committer(const char *path, int ack_fd,
				unsigned int seed)
{
	_cleanup_free_ uint8_t *jpeg = malloc(MAX_JPEG);
	struct spool *s = NULL;
	struct photo_meta m;

	if (!jpeg || spool_open(path, 0, 0, &s) < 0)
		_exit(2);
	spool_set_phase_hook(s, record_phase, NULL);
	for (;;) {
		size_t len = 4096 + rand_r(&seed) % (MAX_JPEG - 4096);

		shared->phase = PHASE_PREPARE;
		for (size_t i = 0; i < len; i++)
			jpeg[i] = (uint8_t)rand_r(&seed);
		m = (struct photo_meta){
			.device_id = "crash-test",
			.camera = "doorbell",
			.trigger = "delivered",
			.captured_usec = realtime_usec(),
			.frame_sequence = seed & 0xffff,
			.sharpness = 1.5,
			.width = 1920,
			.height = 1080,
		};
		if (photo_id_new(m.captured_usec, m.photo_id) < 0)
			_exit(3);
		strcpy(m.tracking_id, "TBA123456789");
		if (spool_commit(s, &m, jpeg, len, NULL) < 0)
			_exit(4);
		shared->phase = PHASE_PREPARE;
		if (write(ack_fd, m.photo_id, PHOTO_ID_LEN) != PHOTO_ID_LEN)
			_exit(5);
	}
}

/* The recovery, in a process of its own as at podcamd's start. */
static int recover_in_fresh_process(const char *path, unsigned int *removed)
{
	struct spool_recovery rec = {};
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct spool *s = NULL;

		close(fds[0]);
		if (spool_open(path, 0, 0, &s) < 0 ||
		    spool_recover(s, &rec) < 0)
			_exit(1);
		if (write(fds[1], &rec, sizeof(rec)) != sizeof(rec))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &rec, sizeof(rec)) != sizeof(rec))
		rec.removed = UINT_MAX;
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || rec.removed == UINT_MAX)
		return -EIO;
	*removed = rec.removed;
	return 0;
}

/* One queue/ entry whole: both files, valid JSON, matching hash and id. */
static bool entry_is_whole(int queue_fd, const char *id, char *why,
			   size_t why_size)
{
	_cleanup_free_ char *photo = NULL, *text = NULL;
	_cleanup_close_ int fd = -EBADF;
	char sha[SHA256_HEX_LEN + 1];
	json_object *o, *v;
	size_t photo_len;
	bool ok;

	fd = open_dir_at(queue_fd, id, false, 0);
	if (fd < 0) {
		snprintf(why, why_size, "%s: %s", id, strerror(-fd));
		return false;
	}
	if (read_full_file_at(fd, SPOOL_PHOTO_FILE, MAX_JPEG, &photo,
			      &photo_len) < 0 ||
	    read_full_file_at(fd, SPOOL_META_FILE, 65536, &text, NULL) < 0) {
		snprintf(why, why_size, "%s: a file is missing", id);
		return false;
	}
	o = json_tokener_parse(text);
	if (!o) {
		snprintf(why, why_size, "%s: meta.json is no JSON", id);
		return false;
	}
	sha256_hex(photo, photo_len, sha);
	ok = json_object_object_get_ex(o, "sha256", &v) &&
	     streq(json_object_get_string(v), sha) &&
	     json_object_object_get_ex(o, "photo_id", &v) &&
	     streq(json_object_get_string(v), id);
	json_object_put(o);
	if (!ok)
		snprintf(why, why_size, "%s: sha256 or photo_id mismatch", id);
	return ok;
}

struct totals {
	unsigned int acked, unacked_whole, removed_tmp, rounds_with_tmp;
	unsigned int kills[N_PHASES];
};

/* Checks the spool after a round's recovery; empties queue/. */
static bool check_round(const char *path, char acked[][PHOTO_ID_LEN + 1],
			unsigned int n_acked, struct totals *t, char *why,
			size_t why_size)
{
	_cleanup_close_ int dir_fd = -EBADF, queue_fd = -EBADF, tmp_fd = -EBADF;
	unsigned int whole = 0;
	struct dirent *de;
	bool ok = true;
	DIR *d;

	dir_fd = open_dir_at(AT_FDCWD, path, false, 0);
	tmp_fd = open_dir_at(dir_fd, SPOOL_TMP_DIR, false, 0);
	queue_fd = open_dir_at(dir_fd, SPOOL_QUEUE_DIR, false, 0);
	if (dir_fd < 0 || tmp_fd < 0 || queue_fd < 0) {
		snprintf(why, why_size, "spool directories missing");
		return false;
	}

	d = fdopendir(dup(tmp_fd));
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			snprintf(why, why_size, "tmp/%s left after recovery",
				 de->d_name);
			ok = false;
		}
	closedir(d);

	for (unsigned int i = 0; ok && i < n_acked; i++) {
		if (!entry_is_whole(queue_fd, acked[i], why, why_size)) {
			char tmp[256];

			snprintf(tmp, sizeof(tmp), "acknowledged %s", why);
			snprintf(why, why_size, "%s", tmp);
			ok = false;
		}
	}

	d = fdopendir(dup(queue_fd));
	if (!d)
		return false;
	while (ok && (de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (!photo_id_is_valid(de->d_name) ||
		    !entry_is_whole(queue_fd, de->d_name, why, why_size)) {
			if (!photo_id_is_valid(de->d_name))
				snprintf(why, why_size, "queue/%s: no id",
					 de->d_name);
			ok = false;
			break;
		}
		whole++;
		(void)rm_rf_at(queue_fd, de->d_name);
	}
	closedir(d);
	if (ok) {
		t->acked += n_acked;
		t->unacked_whole += whole - n_acked;
	}
	return ok;
}

/* A kill delay: mostly short, sometimes long, in microseconds. */
static unsigned int pick_delay(unsigned int *seed)
{
	switch (rand_r(seed) % 4) {
	case 0:
		return rand_r(seed) % 2000;
	case 1:
		return rand_r(seed) % 10000;
	default:
		return rand_r(seed) % 40000;
	}
}

int main(int argc, char **argv)
{
	static char acked[MAX_ACKED][PHOTO_ID_LEN + 1];
	unsigned int rounds = argc > 1 ? strtoul(argv[1], NULL, 10) : 200;
	unsigned int seed = argc > 2 ? strtoul(argv[2], NULL, 10) :
				       (unsigned int)time(NULL);
	const char *tmpdir = getenv("TMPDIR");
	struct totals t = {};
	char dir[256], path[300], why[512] = "";
	unsigned int round;
	bool ok = true;

	setvbuf(stdout, NULL, _IOLBF, 0);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(dir, sizeof(dir), "%s/spool-crash-XXXXXX",
		 tmpdir ?: "/var/tmp");
	if (shared == MAP_FAILED || !mkdtemp(dir)) {
		printf("not ok - spool-crash # cannot set up: %m\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/spool", dir);
	printf("# spool-crash: %u rounds in %s, seed %u\n", rounds, dir, seed);

	for (round = 0; ok && round < rounds; round++) {
		unsigned int delay = pick_delay(&seed), n_acked = 0;
		unsigned int removed = 0;
		struct timespec ts;
		int fds[2], status, r;
		ssize_t n;
		pid_t pid;

		/* a third of the rounds widen no step */
		shared->widen_phase =
			rand_r(&seed) % (_SPOOL_PHASE_MAX * 3 / 2);
		shared->widen_usec = 500 + rand_r(&seed) % 3000;
		shared->phase = PHASE_START;
		if (pipe2(fds, O_CLOEXEC) < 0)
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(fds[0]);
			committer(path, fds[1], seed);
		}
		close(fds[1]);

		/* the delay counts from the child's first commit */
		while (shared->phase == PHASE_START &&
		       waitpid(pid, &status, WNOHANG) == 0)
			nanosleep(&(struct timespec){ 0, 50000 }, NULL);

		ts = (struct timespec){ delay / 1000000,
					(delay % 1000000) * 1000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status)) {
			snprintf(why, sizeof(why),
				 "round %u: the child ended by itself (%d)",
				 round, status);
			ok = false;
			break;
		}
		t.kills[shared->phase + 2]++;

		while (n_acked < MAX_ACKED &&
		       (n = read(fds[0], acked[n_acked], PHOTO_ID_LEN)) ==
			       PHOTO_ID_LEN)
			acked[n_acked++][PHOTO_ID_LEN] = '\0';
		close(fds[0]);

		r = recover_in_fresh_process(path, &removed);
		if (r < 0) {
			snprintf(why, sizeof(why), "round %u: recovery failed",
				 round);
			ok = false;
			break;
		}
		t.removed_tmp += removed;
		t.rounds_with_tmp += removed > 0;
		if (!check_round(path, acked, n_acked, &t, why, sizeof(why))) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "round %u (killed in %s "
				 "after %u us): %s", round,
				 phase_name(shared->phase), delay, why);
			snprintf(why, sizeof(why), "%s", tmp);
			ok = false;
		}
	}

	printf("# %u rounds: %u acknowledged photos all whole, %u more whole "
	       "but unacknowledged, %u partial entries removed from tmp/ in "
	       "%u rounds\n", round, t.acked, t.unacked_whole, t.removed_tmp,
	       t.rounds_with_tmp);
	printf("# kills by step:");
	for (int p = 0; p < N_PHASES; p++)
		if (t.kills[p])
			printf(" %s %u", phase_name(p - 2), t.kills[p]);
	printf("\n");
	if (ok) {
		(void)rm_rf_at(AT_FDCWD, dir);
		printf("ok - spool-crash: %u kills, nothing partial in queue/, "
		       "every acknowledged photo intact\n", round);
		return 0;
	}
	printf("# %s\n# spool left in %s\n", why, dir);
	printf("not ok - spool-crash\n");
	return 1;
}
