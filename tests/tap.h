/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A self-registering unit test harness that prints TAP, after systemd's
 * TEST() and libgpiod's harness. Include it in exactly one file per test
 * program; it provides main().
 *
 *	TEST(name) { CHECK(1 + 1 == 2); CHECK_EQ_INT(f(), 0); }
 *
 * A failed CHECK marks the test failed and goes on; SKIP("why") ends the
 * test as skipped. `prog NAME...` runs only the named tests.
 */
#ifndef PODCAM_TAP_H
#define PODCAM_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_test {
	const char *name;
	void (*fn)(void);
};

#define TEST(n)								\
	static void tap_fn_##n(void);					\
	static const struct tap_test tap_test_##n			\
		__attribute__((used, section("tap_tests"),		\
			       aligned(__alignof__(struct tap_test)))) = {	\
		.name = #n, .fn = tap_fn_##n,				\
	};								\
	static void tap_fn_##n(void)

extern const struct tap_test __start_tap_tests[];
extern const struct tap_test __stop_tap_tests[];

static bool tap_failed;
static const char *tap_skip_reason;

static inline void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			tap_failed = true;				\
			tap_diag("%s:%d: check failed: %s", __FILE__,	\
				 __LINE__, #cond);			\
		}							\
	} while (0)

#define CHECK_EQ_INT(a, b)						\
	do {								\
		long long _a = (a), _b = (b);				\
		if (_a != _b) {						\
			tap_failed = true;				\
			tap_diag("%s:%d: %s == %lld, expected %s == %lld", \
				 __FILE__, __LINE__, #a, _a, #b, _b);	\
		}							\
	} while (0)

#define CHECK_STREQ(a, b)						\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (!_a || !_b || strcmp(_a, _b) != 0) {		\
			tap_failed = true;				\
			tap_diag("%s:%d: %s == \"%s\", expected \"%s\"", \
				 __FILE__, __LINE__, #a,		\
				 _a ? _a : "(null)", _b ? _b : "(null)"); \
		}							\
	} while (0)

/* For setup that the rest of a test cannot go on without. */
#define REQUIRE(cond)							\
	do {								\
		if (!(cond)) {						\
			tap_failed = true;				\
			tap_diag("%s:%d: requirement failed: %s",	\
				 __FILE__, __LINE__, #cond);		\
			return;						\
		}							\
	} while (0)

#define SKIP(reason)							\
	do {								\
		tap_skip_reason = (reason);				\
		return;							\
	} while (0)

static inline bool tap_selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const struct tap_test *t;
	int n = 0, failures = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (t = __start_tap_tests; t < __stop_tap_tests; t++) {
		if (!tap_selected(argc, argv, t->name))
			continue;
		tap_failed = false;
		tap_skip_reason = NULL;
		t->fn();
		n++;
		if (tap_skip_reason)
			printf("ok %d - %s # SKIP %s\n", n, t->name,
			       tap_skip_reason);
		else
			printf("%sok %d - %s\n", tap_failed ? "not " : "", n,
			       t->name);
		failures += tap_failed;
	}
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}

#endif
