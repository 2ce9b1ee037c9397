// SPDX-License-Identifier: GPL-2.0
/*
 * podcam.conf (conf.h is the contract, docs/config.md the manual).
 *
 * inih splits the lines into sections and Key=Value pairs; every key has an
 * entry in one of three tables below saying how its value is checked and
 * where it goes. The lines are fed to inih by our own reader so that we know
 * the line number of every key (Debian's inih calls the handler without it)
 * and see every section header, also one with no keys. Whatever involves
 * more than one key is checked once the whole file is read.
 */

#include <ctype.h>
#include <curl/curl.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/videodev2.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <systemd/sd-id128.h>

#include "conf.h"
#include "util.h"

#define CONF_LINE_MAX 4096	/* characters on one line */
#define ROLE_MAX 31
#define NAME_MAX_LEN 64		/* DeviceId= */
#define SHOWN_VALUE_MAX 64	/* of a bad value, in a message */
#define SIZE_MAX_PIXELS 8192
#define DRIVER_QUEUED 3		/* buffers the ring cannot use */

/* DeviceId= default: the machine id hashed for podcam (machine-id(5)). */
#define PODCAM_APP_ID                                                      \
	SD_ID128_MAKE(bb, f8, 2e, b0, 79, 2c, 49, 8c, bb, 24, f0, 8f, 59, 2b, \
		      53, 68)

enum section {
	SECTION_NONE,
	SECTION_PODCAMD,
	SECTION_CAMERA,
	SECTION_UPLOAD,
};

struct parser;
struct conf_key;

/*
 * Checks value and stores it at field (base + offset) or, for the keys that
 * fill more than one field, in the section struct base. On a bad value it
 * calls conf_bad_value() and returns -EINVAL.
 */
typedef int (*conf_parse_fn)(struct parser *p, const struct conf_key *k,
			     const char *value, void *field, void *base);

struct conf_enum {
	const char *name;
	int value;
};

struct conf_key {
	const char *name;
	conf_parse_fn parse;
	size_t offset;
	uint64_t min, max;		/* numbers, sizes, string lengths */
	const struct conf_enum *enums;	/* NULL-terminated */
	bool empty_ok;			/* "Key=" leaves the field NULL */
	bool repeatable;
};

static int parse_uint(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base);
static int parse_bytes(struct parser *p, const struct conf_key *k,
		       const char *value, void *field, void *base);
static int parse_bool(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base);
static int parse_enum(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base);
static int parse_path(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base);
static int parse_text(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base);
static int parse_device_id(struct parser *p, const struct conf_key *k,
			   const char *value, void *field, void *base);
static int parse_users(struct parser *p, const struct conf_key *k,
		       const char *value, void *field, void *base);
static int parse_format(struct parser *p, const struct conf_key *k,
			const char *value, void *field, void *base);
static int parse_frame_size(struct parser *p, const struct conf_key *k,
			    const char *value, void *field, void *base);
static int parse_mask(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base);
static int parse_url(struct parser *p, const struct conf_key *k,
		     const char *value, void *field, void *base);
static int parse_bucket(struct parser *p, const struct conf_key *k,
			const char *value, void *field, void *base);
static int parse_region(struct parser *p, const struct conf_key *k,
			const char *value, void *field, void *base);

static const struct conf_enum backend_enums[] = {
	{ "v4l2", CAPTURE_BACKEND_V4L2 },
	{ "libcamera", CAPTURE_BACKEND_LIBCAMERA },
	{ "auto", CAPTURE_BACKEND_AUTO },
	{}
};

static const struct conf_enum trigger_mode_enums[] = {
	{ "doorbell", GPIO_TRIGGER_DOORBELL },
	{ "stop", GPIO_TRIGGER_STOP },
	{}
};

static const struct conf_enum edge_enums[] = {
	{ "rising", GPIO_EDGE_RISING },
	{ "falling", GPIO_EDGE_FALLING },
	{ "both", GPIO_EDGE_BOTH },
	{}
};

static const struct conf_enum mode_enums[] = {
	{ "http", UPLOAD_MODE_HTTP },
	{ "s3", UPLOAD_MODE_S3 },
	{}
};

#define KEY(n, fn, type, member, lo, hi, opt)                          \
	{ .name = n, .parse = fn, .offset = offsetof(type, member), .min = lo, \
	  .max = hi, .empty_ok = opt }
/* A value is required. */
#define K(n, fn, type, member, lo, hi) KEY(n, fn, type, member, lo, hi, false)
/* "Key=" is allowed: none, or the computed default. */
#define K_OPT(n, fn, type, member, lo, hi) \
	KEY(n, fn, type, member, lo, hi, true)
#define K_ENUM(n, type, member, e)                                     \
	{ .name = n, .parse = parse_enum, .offset = offsetof(type, member), \
	  .enums = e }

static const struct conf_key podcamd_keys[] = {
	K("DeviceId", parse_device_id, struct podcam_config, device_id, 1,
	  NAME_MAX_LEN),
	K("SpoolDir", parse_path, struct podcam_config, spool_dir, 0, 0),
	K("TestShotDir", parse_path, struct podcam_config, testshot_dir, 0,
	  0),
	K("SpoolMaxBytes", parse_bytes, struct podcam_config, spool_max_bytes,
	  1024 * 1024, UINT64_C(1) << 50),
	K("SpoolReserveBytes", parse_bytes, struct podcam_config,
	  spool_reserve_bytes, 0, UINT64_C(1) << 50),
	K_OPT("DeliveryUsers", parse_users, struct podcam_config,
	      delivery_uids, 0, 0),
	K("Quality", parse_uint, struct podcam_config, quality, 1, 100),
	K("Make", parse_text, struct podcam_config, make, 1, 63),
	K("Model", parse_text, struct podcam_config, model, 1, 63),
};

static const struct conf_key camera_keys[] = {
	K_OPT("Device", parse_path, struct camera_config, device, 0, 0),
	K_ENUM("Backend", struct camera_config, backend, backend_enums),
	K_OPT("LibcameraId", parse_text, struct camera_config, libcamera_id,
	      1, 255),
	K("Format", parse_format, struct camera_config, pixelformat, 0, 0),
	K("Size", parse_frame_size, struct camera_config, width, 0, 0),
	K("FrameRate", parse_uint, struct camera_config, fps, 1, 120),
	K("Buffers", parse_uint, struct camera_config, buffers, 4, 32),
	K("PreRollMs", parse_uint, struct camera_config, pre_roll_ms, 0, 5000),
	K("PostRollMs", parse_uint, struct camera_config, post_roll_ms, 0,
	  5000),
	K("DeliveryCapture", parse_bool, struct camera_config,
	  delivery_capture, 0, 0),
	K("Quality", parse_uint, struct camera_config, quality, 1, 100),
	{ .name = "PrivacyMask", .parse = parse_mask,
	  .offset = offsetof(struct camera_config, masks),
	  .repeatable = true },
	K("QueueDepth", parse_uint, struct camera_config, queue_depth, 1, 64),
	K("RateLimitBurst", parse_uint, struct camera_config, rate_burst, 1,
	  1000),
	K("RateLimitIntervalSec", parse_uint, struct camera_config,
	  rate_interval_sec, 1, 86400),
	K_OPT("GpioChip", parse_text, struct camera_config, gpio_chip, 1, 31),
	K_OPT("TriggerLine", parse_text, struct camera_config, trigger_line,
	      1, 31),
	K_ENUM("TriggerMode", struct camera_config, trigger_mode,
	       trigger_mode_enums),
	K_ENUM("TriggerEdge", struct camera_config, trigger_edge, edge_enums),
	K("DebounceMs", parse_uint, struct camera_config, debounce_ms, 0,
	  1000),
	K("SettleMs", parse_uint, struct camera_config, settle_ms, 0, 60000),
	K("HoldSec", parse_uint, struct camera_config, hold_sec, 1, 86400),
	K_OPT("FlashLine", parse_text, struct camera_config, flash_line, 1,
	      31),
	K("FlashLeadMs", parse_uint, struct camera_config, flash_lead_ms, 0,
	  2000),
};

static const struct conf_key upload_keys[] = {
	K_ENUM("Mode", struct upload_config, mode, mode_enums),
	K_OPT("Endpoint", parse_url, struct upload_config, endpoint, 0, 0),
	K_OPT("TokenFile", parse_path, struct upload_config, token_file, 0, 0),
	K_OPT("ClientCertificate", parse_path, struct upload_config,
	      client_cert, 0, 0),
	K_OPT("ClientKey", parse_path, struct upload_config, client_key, 0, 0),
	K_OPT("CAFile", parse_path, struct upload_config, ca_file, 0, 0),
	K("Bucket", parse_bucket, struct upload_config, bucket, 0, 0),
	K("Region", parse_region, struct upload_config, region, 0, 0),
	K_OPT("CredentialsFile", parse_path, struct upload_config,
	      credentials_file, 0, 0),
	K("PathStyle", parse_bool, struct upload_config, path_style, 0, 0),
	K("Concurrency", parse_uint, struct upload_config, concurrency, 1, 16),
	K("ConnectTimeoutSec", parse_uint, struct upload_config,
	  connect_timeout_sec, 1, 300),
	K("StallTimeoutSec", parse_uint, struct upload_config,
	  stall_timeout_sec, 1, 3600),
	K("RetryInitialMs", parse_uint, struct upload_config, retry_initial_ms,
	  10, 3600 * 1000),
	K("RetryMaxSec", parse_uint, struct upload_config, retry_max_sec, 1,
	  86400),
	K("RescanSec", parse_uint, struct upload_config, rescan_sec, 1, 86400),
};

struct parser {
	const char *path;
	FILE *f;
	struct podcam_config *c;

	/* The current line, handed to inih in pieces as large as it asks. */
	char *line;
	size_t line_size, line_len, line_pos;
	unsigned int lineno;

	enum section section;
	char section_name[64];		/* "[camera doorbell]", for messages */
	struct camera_config *camera;	/* SECTION_CAMERA */

	/* Lines where sections start and keys were set; 0: not (yet) seen. */
	unsigned int podcamd_line, upload_line;
	unsigned int camera_line[PODCAM_MAX_CAMERAS];
	unsigned int podcamd_key_line[ELEMENTSOF(podcamd_keys)];
	unsigned int upload_key_line[ELEMENTSOF(upload_keys)];
	unsigned int camera_key_line[PODCAM_MAX_CAMERAS]
				    [ELEMENTSOF(camera_keys)];
	unsigned int mask_line[PODCAM_MAX_CAMERAS][PODCAM_MAX_MASKS];

	int r;		/* first failure: -EINVAL with error set, or other */
	char *error;
};

/* Records "PATH:LINE: what" unless an error came first; returns -EINVAL. */
static int conf_error_at(struct parser *p, unsigned int line,
			 const char *fmt, ...) _printf_(3, 4);
static int conf_error_at(struct parser *p, unsigned int line,
			 const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	if (p->r < 0)
		return -EINVAL;	/* the first error is the one worth reading */
	p->r = -EINVAL;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg = NULL;
		p->r = -ENOMEM;
		return -ENOMEM;
	}
	if (line > 0)
		n = asprintf(&p->error, "%s:%u: %s", p->path, line, msg);
	else
		n = asprintf(&p->error, "%s: %s", p->path, msg);
	if (n < 0) {
		p->error = NULL;
		p->r = -ENOMEM;
		return -ENOMEM;
	}
	return -EINVAL;
}

#define conf_error(p, ...) conf_error_at(p, (p)->lineno, __VA_ARGS__)

static int conf_fail(struct parser *p, int r)
{
	if (p->r >= 0)
		p->r = r;
	return r;
}

/* "Key=Value: why", with an overlong value cut short. */
static int conf_bad_value(struct parser *p, const struct conf_key *k,
			  const char *value, const char *fmt, ...)
	_printf_(4, 5);
static int conf_bad_value(struct parser *p, const struct conf_key *k,
			  const char *value, const char *fmt, ...)
{
	_cleanup_free_ char *why = NULL;
	bool cut = strlen(value) > SHOWN_VALUE_MAX;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&why, fmt, ap);
	va_end(ap);
	if (n < 0) {
		why = NULL;
		return conf_fail(p, -ENOMEM);
	}
	return conf_error(p, "%s=%.*s%s: %s", k->name, SHOWN_VALUE_MAX, value,
			  cut ? "..." : "", why);
}

static bool is_printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static int set_string(char **field, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

/* "Key=" of a key with empty_ok: none, or the default computed later. */
static int clear_string(char **field)
{
	free(*field);
	*field = NULL;
	return 0;
}

/* Decimal digits only: no sign, no spaces, no hex. */
static int safe_atou64(const char *s, const char **ret_end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *e = s;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*e); e++) {
		unsigned int d = *e - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret_end = e;
	*ret = v;
	return 0;
}

static int atou_range(const char *s, const char **ret_end, uint64_t max,
		      unsigned int *ret)
{
	uint64_t v;
	int r;

	r = safe_atou64(s, ret_end, &v);
	if (r < 0)
		return r;
	if (v > max)
		return -ERANGE;
	*ret = (unsigned int)v;
	return 0;
}

static int parse_uint(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base)
{
	const char *end;
	uint64_t v;
	int r;

	r = safe_atou64(value, &end, &v);
	if (r == -EINVAL || (r == 0 && *end))
		return conf_bad_value(p, k, value, "not a number");
	if (r < 0 || v < k->min || v > k->max)
		return conf_bad_value(p, k, value, "must be %" PRIu64
				      "..%" PRIu64, k->min, k->max);
	*(unsigned int *)field = (unsigned int)v;
	return 0;
}

/* The largest suffix that writes v exactly: 1048576 is "1M". */
static const char *format_bytes(char *buf, size_t size, uint64_t v)
{
	static const char suffixes[] = "KMGTP";
	int i = 0;

	while (v > 0 && v % 1024 == 0 && i < (int)sizeof(suffixes) - 1) {
		v /= 1024;
		i++;
	}
	snprintf(buf, size, "%" PRIu64 "%.*s", v, i > 0 ? 1 : 0,
		 i > 0 ? &suffixes[i - 1] : "");
	return buf;
}

static int parse_bytes(struct parser *p, const struct conf_key *k,
		       const char *value, void *field, void *base)
{
	static const char suffixes[] = "KMGT";
	const char *end, *s;
	uint64_t v, unit = 1;
	int r;

	r = safe_atou64(value, &end, &v);
	if (r == -EINVAL)
		goto bad;
	if (*end) {
		s = strchr(suffixes, *end);
		if (!s || end[1])
			goto bad;
		unit = UINT64_C(1) << (10 * (s - suffixes + 1));
	}
	if (r < 0 || v > UINT64_MAX / unit || v * unit < k->min ||
	    v * unit > k->max) {
		char lo[32], hi[32];

		return conf_bad_value(p, k, value, "must be %s..%s",
				      format_bytes(lo, sizeof(lo), k->min),
				      format_bytes(hi, sizeof(hi), k->max));
	}
	*(uint64_t *)field = v * unit;
	return 0;
bad:
	return conf_bad_value(p, k, value,
			      "not a size (bytes, or a number with K, M, G or T)");
}

static int parse_bool(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*(bool *)field = false;
			return 0;
		}
	}
	return conf_bad_value(p, k, value,
			      "not a boolean (yes, no, true, false, on, off, 1, 0)");
}

static int parse_enum(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base)
{
	char choices[128] = "";
	const struct conf_enum *e;

	for (e = k->enums; e->name; e++) {
		if (streq(value, e->name)) {
			*(int *)field = e->value;
			return 0;
		}
		snprintf(choices + strlen(choices),
			 sizeof(choices) - strlen(choices), "%s%s",
			 e == k->enums ? "" : (e[1].name ? ", " : " or "),
			 e->name);
	}
	return conf_bad_value(p, k, value, "must be %s", choices);
}

static int parse_path(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base)
{
	const char *s;

	if (!*value)
		return clear_string(field);
	if (value[0] != '/' || !is_printable(value) ||
	    strlen(value) >= PATH_MAX)
		return conf_bad_value(p, k, value, "must be an absolute path");
	for (s = value; (s = strstr(s, "/..")); s += 3)
		if (s[3] == '/' || !s[3])
			return conf_bad_value(p, k, value,
					      "must not contain '..'");
	return set_string(field, value);
}

static int parse_text(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base)
{
	if (!*value)
		return clear_string(field);
	if (strlen(value) < k->min || strlen(value) > k->max ||
	    !is_printable(value))
		return conf_bad_value(p, k, value,
				      "must be %" PRIu64 "..%" PRIu64
				      " printable ASCII characters",
				      k->min, k->max);
	return set_string(field, value);
}

static int parse_device_id(struct parser *p, const struct conf_key *k,
			   const char *value, void *field, void *base)
{
	size_t n = strlen(value);

	if (n < k->min || n > k->max || !isalnum((unsigned char)value[0]) ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return conf_bad_value(p, k, value,
				      "must be 1..%" PRIu64 " characters of "
				      "A-Z a-z 0-9 . _ -, starting with a "
				      "letter or digit", k->max);
	return set_string(field, value);
}

static int lookup_user(const char *name, uid_t *ret)
{
	_cleanup_free_ char *buf = NULL;
	struct passwd pw, *result;
	size_t size = 4096;
	int r;

	for (;;) {
		free(buf);
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, size, &result);
		if (r != ERANGE)
			break;
		if (size > 1024 * 1024)
			return -ERANGE;
		size *= 2;
	}
	if (r > 0)
		return -r;
	if (!result)
		return -ESRCH;
	*ret = result->pw_uid;
	return 0;
}

/* "courier 1001 app": names resolved now; root is always first. */
static int parse_users(struct parser *p, const struct conf_key *k,
		       const char *value, void *field, void *base)
{
	struct podcam_config *c = base;
	const char *s = value;

	c->n_delivery_uids = 1;
	while (*(s += strspn(s, " \t"))) {
		size_t n = strcspn(s, " \t");
		char user[256];
		const char *end;
		uint64_t v;
		uid_t uid;
		bool seen = false;
		int r;

		if (n >= sizeof(user))
			return conf_bad_value(p, k, value,
					      "user name too long");
		memcpy(user, s, n);
		user[n] = '\0';
		s += n;

		r = safe_atou64(user, &end, &v);
		if (r != -EINVAL && !*end) {
			if (r < 0 || v >= (uid_t)-1)
				return conf_bad_value(p, k, value,
						      "uid %s out of range",
						      user);
			uid = (uid_t)v;
		} else {
			r = lookup_user(user, &uid);
			if (r == -ESRCH)
				return conf_bad_value(p, k, value,
						      "unknown user '%s'",
						      user);
			if (r < 0)
				return conf_bad_value(p, k, value,
						      "cannot look up '%s': %s",
						      user, strerror(-r));
		}

		for (unsigned int i = 0; i < c->n_delivery_uids; i++)
			seen = seen || c->delivery_uids[i] == uid;
		if (seen)
			continue;
		if (c->n_delivery_uids >= PODCAM_MAX_USERS)
			return conf_bad_value(p, k, value,
					      "more than %d users",
					      PODCAM_MAX_USERS - 1);
		c->delivery_uids[c->n_delivery_uids++] = uid;
	}
	return 0;
}

static int parse_format(struct parser *p, const struct conf_key *k,
			const char *value, void *field, void *base)
{
	if (streq(value, "NV12"))
		*(uint32_t *)field = V4L2_PIX_FMT_NV12;
	else if (streq(value, "YUYV"))
		*(uint32_t *)field = V4L2_PIX_FMT_YUYV;
	else
		return conf_bad_value(p, k, value, "must be NV12 or YUYV");
	return 0;
}

/* "WxH", both even and 2..8192. */
static int parse_wh(const char *s, const char **ret_end, unsigned int *ret_w,
		    unsigned int *ret_h)
{
	unsigned int w, h;

	if (atou_range(s, &s, SIZE_MAX_PIXELS, &w) < 0 || *s++ != 'x' ||
	    atou_range(s, &s, SIZE_MAX_PIXELS, &h) < 0 || w == 0 || h == 0)
		return -EINVAL;
	*ret_end = s;
	*ret_w = w;
	*ret_h = h;
	return 0;
}

static int parse_frame_size(struct parser *p, const struct conf_key *k,
			    const char *value, void *field, void *base)
{
	struct camera_config *cam = base;
	unsigned int w, h;
	const char *end;

	if (parse_wh(value, &end, &w, &h) < 0 || *end || w % 2 || h % 2 ||
	    w < 64 || h < 64)
		return conf_bad_value(p, k, value,
				      "must be WIDTHxHEIGHT, even numbers "
				      "from 64 to %d", SIZE_MAX_PIXELS);
	cam->width = w;
	cam->height = h;
	return 0;
}

static int parse_mask(struct parser *p, const struct conf_key *k,
		      const char *value, void *field, void *base)
{
	struct camera_config *cam = base;
	unsigned int x, y, w, h, i = cam - p->c->cameras;
	const char *s = value;

	if (atou_range(s, &s, SIZE_MAX_PIXELS, &x) < 0 || *s++ != ',' ||
	    atou_range(s, &s, SIZE_MAX_PIXELS, &y) < 0 || *s++ != ',' ||
	    parse_wh(s, &s, &w, &h) < 0 || *s)
		return conf_bad_value(p, k, value,
				      "must be X,Y,WIDTHxHEIGHT in pixels");
	if (cam->n_masks >= PODCAM_MAX_MASKS)
		return conf_bad_value(p, k, value, "more than %d masks",
				      PODCAM_MAX_MASKS);
	p->mask_line[i][cam->n_masks] = p->lineno;
	cam->masks[cam->n_masks++] = (struct mask_rect){ x, y, w, h };
	return 0;
}

static int parse_url(struct parser *p, const struct conf_key *k,
		     const char *value, void *field, void *base)
{
	_cleanup_free_ char *url = NULL;
	char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL,
	     *fragment = NULL;
	CURLU *u;
	int r = 0;

	if (!*value)
		return clear_string(field);
	u = curl_url();
	if (!u)
		return -ENOMEM;
	if (!is_printable(value) || strchr(value, ' ') ||
	    curl_url_set(u, CURLUPART_URL, value, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		r = conf_bad_value(p, k, value,
				   "not a URL with a host (https://HOST[:PORT][/PATH])");
	else if (!streq(scheme, "https") && !streq(scheme, "http"))
		r = conf_bad_value(p, k, value, "must be an http(s) URL");
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		r = conf_bad_value(p, k, value,
				   "must not contain credentials; use "
				   "TokenFile= or ClientCertificate=");
	else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) ==
			 CURLUE_OK)
		r = conf_bad_value(p, k, value,
				   "must not have a ?query or #fragment");
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(query);
	curl_free(fragment);
	curl_url_cleanup(u);
	if (r < 0)
		return r;

	/* Objects go to ENDPOINT/DEVICE/ID.jpg: no trailing slash here. */
	url = strdup(value);
	if (!url)
		return -ENOMEM;
	for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
		url[n - 1] = '\0';
	free(*(char **)field);
	*(char **)field = TAKE_PTR(url);
	return 0;
}

static int parse_bucket(struct parser *p, const struct conf_key *k,
			const char *value, void *field, void *base)
{
	size_t n = strlen(value);

	/* S3's bucket naming rules, less the ones about IP-like names. */
	if (n < 3 || n > 63 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n ||
	    !isalnum((unsigned char)value[0]) ||
	    !isalnum((unsigned char)value[n - 1]) || strstr(value, ".."))
		return conf_bad_value(p, k, value,
				      "not an S3 bucket name (3..63 of a-z "
				      "0-9 . -, starting and ending with a "
				      "letter or digit)");
	return set_string(field, value);
}

static int parse_region(struct parser *p, const struct conf_key *k,
			const char *value, void *field, void *base)
{
	size_t n = strlen(value);

	if (n < 1 || n > 32 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return conf_bad_value(p, k, value,
				      "must be 1..32 of a-z 0-9 -");
	return set_string(field, value);
}

static bool role_is_valid(const char *role)
{
	size_t n = strlen(role);

	return n >= 1 && n <= ROLE_MAX && isalnum((unsigned char)role[0]) &&
	       strspn(role, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static void camera_defaults(struct camera_config *cam)
{
	*cam = (struct camera_config){
		.backend = CAPTURE_BACKEND_V4L2,
		.pixelformat = V4L2_PIX_FMT_NV12,
		.width = 1920,
		.height = 1080,
		.fps = 30,
		.buffers = 8,
		.delivery_capture = true,
		.queue_depth = 4,
		.rate_burst = 10,
		.rate_interval_sec = 60,
		.trigger_mode = GPIO_TRIGGER_NONE,
		.trigger_edge = GPIO_EDGE_RISING,
		.debounce_ms = 50,
		.settle_ms = 1000,
		.hold_sec = 300,
	};
}

static int config_defaults(struct podcam_config *c)
{
	*c = (struct podcam_config){
		.spool_max_bytes = UINT64_C(1) << 30,
		.spool_reserve_bytes = UINT64_C(64) << 20,
		.delivery_uids = { 0 },
		.n_delivery_uids = 1,
		.quality = 85,
		.upload = {
			.mode = UPLOAD_MODE_HTTP,
			.path_style = true,
			.concurrency = 2,
			.connect_timeout_sec = 10,
			.stall_timeout_sec = 30,
			.retry_initial_ms = 1000,
			.retry_max_sec = 300,
			.rescan_sec = 60,
		},
	};
	c->spool_dir = strdup("/var/lib/podcam/spool");
	c->testshot_dir = strdup("/var/lib/podcam/testshots");
	c->make = strdup("podcam");
	c->model = strdup("podcam");
	c->upload.region = strdup("us-east-1");
	if (!c->spool_dir || !c->testshot_dir || !c->make || !c->model ||
	    !c->upload.region)
		return -ENOMEM;
	return 0;
}

/*
 * A "[name]" line: the new section, checked here so that one without keys
 * counts too.
 */
static int conf_section(struct parser *p, const char *name)
{
	struct podcam_config *c = p->c;
	unsigned int *first;
	const char *role;

	p->camera = NULL;
	p->section = SECTION_NONE;
	snprintf(p->section_name, sizeof(p->section_name), "[%s]", name);

	role = startswith(name, "camera ");
	if (role) {
		if (!role_is_valid(role))
			return conf_error(p, "[camera %.*s]: the role must be "
					  "1..%d of a-z 0-9 -, starting with "
					  "a letter or digit", SHOWN_VALUE_MAX,
					  role, ROLE_MAX);
		for (unsigned int i = 0; i < c->n_cameras; i++)
			if (streq(c->cameras[i].role, role))
				return conf_error(p, "duplicate section %s "
						  "(first on line %u)",
						  p->section_name,
						  p->camera_line[i]);
		if (c->n_cameras >= PODCAM_MAX_CAMERAS)
			return conf_error(p, "more than %d cameras",
					  PODCAM_MAX_CAMERAS);

		p->camera = &c->cameras[c->n_cameras];
		camera_defaults(p->camera);
		p->camera->role = strdup(role);
		if (!p->camera->role)
			return conf_fail(p, -ENOMEM);
		p->camera_line[c->n_cameras++] = p->lineno;
		p->section = SECTION_CAMERA;
		return 0;
	}

	if (streq(name, "podcamd")) {
		p->section = SECTION_PODCAMD;
		first = &p->podcamd_line;
	} else if (streq(name, "upload")) {
		p->section = SECTION_UPLOAD;
		first = &p->upload_line;
	} else {
		return conf_error(p, "unknown section [%.*s]", SHOWN_VALUE_MAX,
				  name);
	}
	if (*first > 0)
		return conf_error(p, "duplicate section %s (first on line %u)",
				  p->section_name, *first);
	*first = p->lineno;
	return 0;
}

/* Reads the next line; sees section headers before inih does. */
static bool conf_next_line(struct parser *p)
{
	ssize_t n;
	char *s, *end;

	errno = 0;
	n = getline(&p->line, &p->line_size, p->f);
	if (n < 0) {
		if (ferror(p->f))
			conf_fail(p, errno > 0 ? -errno : -EIO);
		return false;
	}
	p->lineno++;
	p->line_len = n;
	p->line_pos = 0;

	if (memchr(p->line, '\0', n)) {
		conf_error(p, "NUL byte in line");
		return false;
	}
	if (n > CONF_LINE_MAX + 1) {
		conf_error(p, "line longer than %d characters", CONF_LINE_MAX);
		return false;
	}

	s = p->line;
	if (p->lineno == 1 && startswith(s, "\xef\xbb\xbf"))
		s += 3;		/* inih skips a UTF-8 byte order mark */
	s += strspn(s, " \t\r\n");
	if (*s != '[')
		return true;
	end = strchr(s, ']');
	if (!end)
		return true;	/* inih calls it a syntax error */
	*end = '\0';
	if (conf_section(p, s + 1) < 0)
		return false;
	*end = ']';
	end++;
	end += strspn(end, " \t\r\n");
	if (*end && *end != ';' && *end != '#') {
		conf_error(p, "text after %s", p->section_name);
		return false;
	}
	return true;
}

/* inih's fgets(): the current line, in pieces of at most size - 1. */
static char *conf_reader(char *str, int size, void *userdata)
{
	struct parser *p = userdata;
	size_t n;

	if (p->r < 0 || size < 2)
		return NULL;
	if (p->line_pos >= p->line_len && !conf_next_line(p))
		return NULL;

	n = MIN(p->line_len - p->line_pos, (size_t)size - 1);
	memcpy(str, p->line + p->line_pos, n);
	str[n] = '\0';
	p->line_pos += n;
	return str;
}

static const struct conf_key *find_key(const struct conf_key *keys,
				       size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static int conf_handler(void *userdata, const char *section, const char *name,
			const char *value)
{
	struct parser *p = userdata;
	const struct conf_key *keys, *k;
	unsigned int *lines;
	void *base;
	size_t n;
	int r;

	switch (p->section) {
	case SECTION_PODCAMD:
		keys = podcamd_keys;
		n = ELEMENTSOF(podcamd_keys);
		lines = p->podcamd_key_line;
		base = p->c;
		break;
	case SECTION_CAMERA:
		keys = camera_keys;
		n = ELEMENTSOF(camera_keys);
		lines = p->camera_key_line[p->camera - p->c->cameras];
		base = p->camera;
		break;
	case SECTION_UPLOAD:
		keys = upload_keys;
		n = ELEMENTSOF(upload_keys);
		lines = p->upload_key_line;
		base = &p->c->upload;
		break;
	default:
		conf_error(p, "%s= outside of a section", name);
		return 0;
	}

	k = find_key(keys, n, name);
	if (!k) {
		conf_error(p, "unknown key '%s' in %s", name, p->section_name);
		return 0;
	}
	if (lines[k - keys] > 0 && !k->repeatable) {
		conf_error(p, "duplicate key '%s' in %s (first on line %u)",
			   name, p->section_name, lines[k - keys]);
		return 0;
	}
	if (!*value && !k->empty_ok) {
		conf_error(p, "%s=: a value is required", name);
		return 0;
	}

	r = k->parse(p, k, value, (uint8_t *)base + k->offset, base);
	if (r < 0) {
		conf_fail(p, r);
		return 0;
	}
	lines[k - keys] = p->lineno;
	return 1;
}

static unsigned int key_line(const struct conf_key *keys, size_t n,
			     const unsigned int *lines, const char *name)
{
	const struct conf_key *k = find_key(keys, n, name);

	return k ? lines[k - keys] : 0;
}

/* Where a key was set in the file; 0: not set. */
static unsigned int camera_key(const struct parser *p, unsigned int i,
			       const char *name)
{
	return key_line(camera_keys, ELEMENTSOF(camera_keys),
			p->camera_key_line[i], name);
}

static unsigned int upload_key(const struct parser *p, const char *name)
{
	return key_line(upload_keys, ELEMENTSOF(upload_keys),
			p->upload_key_line, name);
}

static unsigned int podcamd_key(const struct parser *p, const char *name)
{
	return key_line(podcamd_keys, ELEMENTSOF(podcamd_keys),
			p->podcamd_key_line, name);
}

static int camera_finish(struct parser *p, unsigned int i)
{
	static const char *const trigger_keys[] = {
		"TriggerMode", "TriggerEdge", "DebounceMs", "SettleMs",
		"HoldSec",
	};
	struct camera_config *cam = &p->c->cameras[i];
	unsigned int line, ring_ms;
	const char *role = cam->role;

	if (!cam->device &&
	    asprintf(&cam->device, "/dev/podcam/%s", role) < 0) {
		cam->device = NULL;
		return -ENOMEM;
	}
	if (!cam->gpio_chip &&
	    asprintf(&cam->gpio_chip, "podcam-%s", role) < 0) {
		cam->gpio_chip = NULL;
		return -ENOMEM;
	}
	if (!camera_key(p, i, "Quality"))
		cam->quality = p->c->quality;
	if (!camera_key(p, i, "PostRollMs"))
		cam->post_roll_ms = (1000 + cam->fps - 1) / cam->fps;

	if (cam->libcamera_id && cam->backend == CAPTURE_BACKEND_V4L2) {
		conf_error_at(p, camera_key(p, i, "LibcameraId"),
			      "LibcameraId= needs Backend=libcamera or auto "
			      "in [camera %s]", role);
		return -EINVAL;
	}

	if (!cam->trigger_line) {
		for (size_t j = 0; j < ELEMENTSOF(trigger_keys); j++) {
			line = camera_key(p, i, trigger_keys[j]);
			if (!line)
				continue;
			conf_error_at(p, line, "%s= needs TriggerLine= in "
				      "[camera %s]", trigger_keys[j], role);
			return -EINVAL;
		}
	} else if (!camera_key(p, i, "TriggerMode")) {
		cam->trigger_mode = GPIO_TRIGGER_DOORBELL;
	}
	if (cam->trigger_mode == GPIO_TRIGGER_DOORBELL) {
		line = camera_key(p, i, "SettleMs") ?:
			camera_key(p, i, "HoldSec");
		if (line) {
			conf_error_at(p, line,
				      "SettleMs= and HoldSec= only apply to "
				      "TriggerMode=stop in [camera %s]", role);
			return -EINVAL;
		}
	}
	line = camera_key(p, i, "FlashLeadMs");
	if (line && !cam->flash_line) {
		conf_error_at(p, line, "FlashLeadMs= needs FlashLine= in "
			      "[camera %s]", role);
		return -EINVAL;
	}

	/* The ring keeps Buffers= less those queued to the driver. */
	ring_ms = (cam->buffers - DRIVER_QUEUED) * 1000 / cam->fps;
	if (cam->pre_roll_ms > ring_ms) {
		conf_error_at(p, camera_key(p, i, "PreRollMs"),
			      "PreRollMs=%u: longer than the %u ms that "
			      "Buffers=%u hold at FrameRate=%u in [camera %s]",
			      cam->pre_roll_ms, ring_ms, cam->buffers,
			      cam->fps, role);
		return -EINVAL;
	}

	for (unsigned int m = 0; m < cam->n_masks; m++) {
		const struct mask_rect *r = &cam->masks[m];

		if (r->x + r->width <= cam->width &&
		    r->y + r->height <= cam->height)
			continue;
		conf_error_at(p, p->mask_line[i][m],
			      "PrivacyMask=%u,%u,%ux%u: outside the %ux%u "
			      "frame of [camera %s]", r->x, r->y, r->width,
			      r->height, cam->width, cam->height, role);
		return -EINVAL;
	}
	return 0;
}

static int upload_finish(struct parser *p)
{
	static const char *const s3_keys[] = {
		"Bucket", "Region", "CredentialsFile", "PathStyle",
	};
	struct upload_config *u = &p->c->upload;
	unsigned int line;

	if (u->mode == UPLOAD_MODE_S3) {
		line = upload_key(p, "Mode");
		if (!u->bucket || !u->credentials_file) {
			conf_error_at(p, line, "Mode=s3 needs %s= in [upload]",
				      u->bucket ? "CredentialsFile" : "Bucket");
			return -EINVAL;
		}
		line = upload_key(p, "TokenFile");
		if (line) {
			conf_error_at(p, line, "TokenFile= only applies to "
				      "Mode=http in [upload]");
			return -EINVAL;
		}
		if (!u->endpoint &&
		    asprintf(&u->endpoint, "https://s3.%s.amazonaws.com",
			     u->region) < 0) {
			u->endpoint = NULL;
			return -ENOMEM;
		}
	} else {
		for (size_t j = 0; j < ELEMENTSOF(s3_keys); j++) {
			line = upload_key(p, s3_keys[j]);
			if (!line)
				continue;
			conf_error_at(p, line, "%s= only applies to Mode=s3 "
				      "in [upload]", s3_keys[j]);
			return -EINVAL;
		}
	}

	line = upload_key(p, "ClientKey");
	if (u->client_key && !u->client_cert) {
		conf_error_at(p, line, "ClientKey= needs ClientCertificate= "
			      "in [upload]");
		return -EINVAL;
	}
	if ((uint64_t)u->retry_initial_ms > (uint64_t)u->retry_max_sec * 1000) {
		conf_error_at(p, upload_key(p, "RetryInitialMs") ?:
				      upload_key(p, "RetryMaxSec"),
			      "RetryInitialMs=%u is more than RetryMaxSec=%u",
			      u->retry_initial_ms, u->retry_max_sec);
		return -EINVAL;
	}
	return 0;
}

static bool path_is_below(const char *path, const char *dir)
{
	const char *rest = startswith(path, dir);

	if (streq(dir, "/"))
		return true;
	return rest && (!*rest || *rest == '/');
}

static int conf_finish(struct parser *p)
{
	struct podcam_config *c = p->c;
	sd_id128_t id;
	int r;

	if (path_is_below(c->testshot_dir, c->spool_dir)) {
		conf_error_at(p, podcamd_key(p, "TestShotDir") ?:
				      podcamd_key(p, "SpoolDir"),
			      "TestShotDir=%s must not be inside SpoolDir=%s",
			      c->testshot_dir, c->spool_dir);
		return -EINVAL;
	}

	if (!c->device_id) {
		r = sd_id128_get_machine_app_specific(PODCAM_APP_ID, &id);
		if (r < 0) {
			conf_error_at(p, 0, "DeviceId= is not set and there "
				      "is no machine id to derive it from "
				      "(/etc/machine-id: %s)", strerror(-r));
			return -EINVAL;
		}
		c->device_id = malloc(SD_ID128_STRING_MAX);
		if (!c->device_id)
			return -ENOMEM;
		sd_id128_to_string(id, c->device_id);
	}

	for (unsigned int i = 0; i < c->n_cameras; i++) {
		r = camera_finish(p, i);
		if (r < 0)
			return r;
	}
	return upload_finish(p);
}

int conf_load(const char *path, struct podcam_config **ret, char **ret_error)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct parser *p;
	int r, line;

	c = calloc(1, sizeof(*c));
	p = calloc(1, sizeof(*p));
	if (!c || !p) {
		free(p);
		return -ENOMEM;
	}
	p->path = path;
	p->c = c;

	r = config_defaults(c);
	if (r < 0)
		goto finish;

	f = fopen(path, "re");
	if (!f && errno != ENOENT) {
		r = negative_errno();
		goto finish;
	}
	if (f) {
		/* Debian's inih has these as run-time settings. */
		ini_use_stack = false;
		ini_allow_realloc = true;
		ini_max_line = CONF_LINE_MAX + 3;
		ini_allow_multiline = false;
		ini_stop_on_first_error = true;

		p->f = f;
		line = ini_parse_stream(conf_reader, p, conf_handler, p);
		if (p->r >= 0 && line == -2)
			conf_fail(p, -ENOMEM);
		else if (p->r >= 0 && line != 0)
			conf_error_at(p, line, "syntax error (expected "
				      "[section], Key=Value or a comment)");
	}
	if (p->r >= 0)
		conf_fail(p, conf_finish(p));

	r = p->r;
	if (r >= 0) {
		*ret = TAKE_PTR(c);
		r = 0;
	} else if (r == -EINVAL && ret_error) {
		*ret_error = TAKE_PTR(p->error);
	}
finish:
	free(p->line);
	free(p->error);
	free(p);
	return r;
}

static void camera_free(struct camera_config *cam)
{
	free(cam->role);
	free(cam->device);
	free(cam->libcamera_id);
	free(cam->gpio_chip);
	free(cam->trigger_line);
	free(cam->flash_line);
}

struct podcam_config *conf_free(struct podcam_config *c)
{
	if (!c)
		return NULL;
	for (unsigned int i = 0; i < c->n_cameras; i++)
		camera_free(&c->cameras[i]);
	free(c->device_id);
	free(c->spool_dir);
	free(c->testshot_dir);
	free(c->make);
	free(c->model);
	free(c->upload.endpoint);
	free(c->upload.token_file);
	free(c->upload.client_cert);
	free(c->upload.client_key);
	free(c->upload.ca_file);
	free(c->upload.bucket);
	free(c->upload.region);
	free(c->upload.credentials_file);
	free(c);
	return NULL;
}

const struct camera_config *conf_find_camera(const struct podcam_config *c,
					     const char *role)
{
	for (unsigned int i = 0; c && role && i < c->n_cameras; i++)
		if (streq(c->cameras[i].role, role))
			return &c->cameras[i];
	return NULL;
}
