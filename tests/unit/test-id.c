// SPDX-License-Identifier: GPL-2.0
/* Photo ids (UUIDv7) and tracking id checks. */

#include <sys/wait.h>

#include "id.h"
#include "tap.h"
#include "util.h"

#define N_IDS 10000

/*
 * The generator remembers its last id for the whole process, so every test
 * starts well after what the tests before it used.
 */
static uint64_t fresh_time(void)
{
	static uint64_t t = UINT64_C(1700000000000000);	/* 2023, in usec */

	t += UINT64_C(1000000000000);	/* 11.6 days on */
	return t;
}

static bool id_format_ok(const char *id)
{
	return photo_id_is_valid(id) && id[12] == '7' &&
	       strchr("89ab", id[16]);
}

TEST(format_version_and_variant)
{
	uint64_t t = fresh_time();
	char id[PHOTO_ID_LEN + 1];

	for (int i = 0; i < 1000; i++) {
		REQUIRE(photo_id_new(t + i * 1234, id) == 0);
		CHECK_EQ_INT(strlen(id), 32);
		if (!id_format_ok(id)) {
			tap_diag("bad id %s", id);
			CHECK(id_format_ok(id));
			break;
		}
	}
}

TEST(timestamp_is_the_capture_time)
{
	uint64_t t = fresh_time() + 123456;
	char id[PHOTO_ID_LEN + 1];

	REQUIRE(photo_id_new(t, id) == 0);
	CHECK(photo_id_timestamp_ms(id) == t / 1000);
	/* the sub-millisecond fraction is the next 12 bits: 456 us */
	CHECK_EQ_INT(strtoul((char[]){ id[13], id[14], id[15], 0 }, NULL, 16),
		     456 * 4096 / 1000);
}

/* 10,000 ids with increasing and equal times sort in generation order. */
TEST(ids_sort_in_generation_order)
{
	static char ids[N_IDS][PHOTO_ID_LEN + 1];
	uint64_t t = fresh_time();
	unsigned int seed = 1, equal = 0;

	for (int i = 0; i < N_IDS; i++) {
		unsigned int step = rand_r(&seed) % 4;

		/* a quarter the same microsecond, the rest up to 3 ms on */
		if (step == 0)
			equal++;
		else
			t += (uint64_t)(rand_r(&seed) % 3000) + 1;
		REQUIRE(photo_id_new(t, ids[i]) == 0);
	}
	CHECK(equal > N_IDS / 5);
	for (int i = 1; i < N_IDS; i++) {
		if (strcmp(ids[i - 1], ids[i]) >= 0) {
			tap_diag("id %d %s not after %s", i, ids[i],
				 ids[i - 1]);
			CHECK(strcmp(ids[i - 1], ids[i]) < 0);
			break;
		}
	}
}

TEST(same_microsecond_many_times)
{
	static char ids[N_IDS][PHOTO_ID_LEN + 1];
	uint64_t t = fresh_time();

	for (int i = 0; i < N_IDS; i++)
		REQUIRE(photo_id_new(t, ids[i]) == 0);
	for (int i = 1; i < N_IDS; i++)
		if (strcmp(ids[i - 1], ids[i]) >= 0) {
			CHECK(strcmp(ids[i - 1], ids[i]) < 0);
			break;
		}
	/* 10,000 steps of 1/4096 ms run 2 ms ahead, no more */
	CHECK(photo_id_timestamp_ms(ids[N_IDS - 1]) <= t / 1000 + 3);
	CHECK(id_format_ok(ids[N_IDS - 1]));
}

TEST(clock_stepping_back)
{
	uint64_t t = fresh_time();
	char a[PHOTO_ID_LEN + 1], b[PHOTO_ID_LEN + 1], c[PHOTO_ID_LEN + 1],
		d[PHOTO_ID_LEN + 1];

	REQUIRE(photo_id_new(t + 5000, a) == 0);
	REQUIRE(photo_id_new(t + 4000, b) == 0);	/* 1 ms back */
	REQUIRE(photo_id_new(t, c) == 0);		/* 5 ms back */
	CHECK(strcmp(a, b) < 0);
	CHECK(strcmp(b, c) < 0);
	/* counting on from the last id, not from the clock */
	CHECK(photo_id_timestamp_ms(c) == (t + 5000) / 1000);
	/* once the clock is past the last id it is followed again */
	REQUIRE(photo_id_new(t + 9000, d) == 0);
	CHECK(strcmp(c, d) < 0);
	CHECK(photo_id_timestamp_ms(d) == (t + 9000) / 1000);
}

/* Two processes with the same generator state and time: random bits. */
TEST(ids_from_two_processes_differ)
{
	uint64_t t = fresh_time();
	char mine[PHOTO_ID_LEN + 1], theirs[PHOTO_ID_LEN + 1] = "";
	int fds[2], status;
	pid_t pid;

	REQUIRE(pipe(fds) == 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		char id[PHOTO_ID_LEN + 1];

		if (photo_id_new(t, id) < 0 ||
		    write(fds[1], id, PHOTO_ID_LEN) != PHOTO_ID_LEN)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	REQUIRE(photo_id_new(t, mine) == 0);
	CHECK(read(fds[0], theirs, PHOTO_ID_LEN) == PHOTO_ID_LEN);
	close(fds[0]);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(photo_id_is_valid(theirs));
	/* same time bits, different random bits */
	CHECK(strncmp(mine, theirs, 16) == 0);
	CHECK(strcmp(mine, theirs) != 0);
}

TEST(photo_id_validity)
{
	CHECK(photo_id_is_valid("0190f5a4c3d27abc8def0123456789ab"));
	CHECK(!photo_id_is_valid("0190F5A4C3D27ABC8DEF0123456789AB"));
	CHECK(!photo_id_is_valid("0190f5a4c3d27abc8def0123456789a"));
	CHECK(!photo_id_is_valid("0190f5a4c3d27abc8def0123456789abc"));
	CHECK(!photo_id_is_valid("0190f5a4-c3d2-7abc-8def-0123456789"));
	CHECK(!photo_id_is_valid("0190f5a4c3d27abc8def0123456789ag"));
	CHECK(!photo_id_is_valid(".190f5a4c3d27abc8def0123456789ab"));
	CHECK(!photo_id_is_valid(""));
	CHECK(!photo_id_is_valid(NULL));
}

TEST(tracking_ids_accepted)
{
	char max[65];

	memset(max, 'a', 64);
	max[64] = '\0';
	CHECK(tracking_id_is_valid("TBA123456789"));
	CHECK(tracking_id_is_valid("1Z999AA10123456784"));
	CHECK(tracking_id_is_valid("JD.0001-x_y"));
	CHECK(tracking_id_is_valid("a"));
	CHECK(tracking_id_is_valid("7"));
	CHECK(tracking_id_is_valid("a.."));
	CHECK(tracking_id_is_valid(max));
}

TEST(tracking_ids_rejected)
{
	static const char *const bad[] = {
		"", "../x", "a/../b", "/", "a/b", "..", ".", ".hidden",
		"-rf", "_x", "with space", " lead", "trail ", "tab\there",
		"nl\n", "cr\r", "esc\x1b[0m", "del\x7f", "caf\xc3\xa9",
		"\xe2\x80\x8b" "zwsp", "semi;colon", "quote'", "percent%2F",
		"back\\slash", "star*", "a:b",
	};
	char over[66];
	char *huge;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (tracking_id_is_valid(bad[i])) {
			tap_diag("accepted \"%s\"", bad[i]);
			CHECK(!tracking_id_is_valid(bad[i]));
		}
	CHECK(!tracking_id_is_valid(NULL));

	memset(over, 'a', 65);
	over[65] = '\0';
	CHECK(!tracking_id_is_valid(over));

	huge = malloc(1024 * 1024 + 1);
	REQUIRE(huge);
	memset(huge, 'A', 1024 * 1024);
	huge[1024 * 1024] = '\0';
	CHECK(!tracking_id_is_valid(huge));
	free(huge);
}
