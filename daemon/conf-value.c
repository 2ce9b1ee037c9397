// SPDX-License-Identifier: GPL-2.0
/*
 * The value types of podcam.conf (conf-value.h; docs/config.md "Values"):
 * numbers, sizes, booleans, names, paths, users, frame sizes, masks, URLs.
 */

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/videodev2.h>
#include <pwd.h>
#include <stdarg.h>

#include "conf-value.h"
#include "conf.h"
#include "util.h"

/* Writes why a value is wrong; returns -EINVAL. */
static int conf_why(char *why, const char *fmt, ...) _printf_(2, 3);
static int conf_why(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, CONF_WHY_MAX, fmt, ap);
	va_end(ap);
	return -EINVAL;
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

int conf_parse_uint(const struct conf_key *k, const char *value, void *field,
		    void *base, char *why)
{
	const char *end;
	uint64_t v;
	int r;

	r = safe_atou64(value, &end, &v);
	if (r == -EINVAL || (r == 0 && *end))
		return conf_why(why, "not a number");
	if (r < 0 || v < k->min || v > k->max)
		return conf_why(why, "must be %" PRIu64 "..%" PRIu64, k->min,
				k->max);
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

int conf_parse_bytes(const struct conf_key *k, const char *value, void *field,
		     void *base, char *why)
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

		return conf_why(why, "must be %s..%s",
				format_bytes(lo, sizeof(lo), k->min),
				format_bytes(hi, sizeof(hi), k->max));
	}
	*(uint64_t *)field = v * unit;
	return 0;
bad:
	return conf_why(why,
			"not a size (bytes, or a number with K, M, G or T)");
}

int conf_parse_boolean(const struct conf_key *k, const char *value, void *field,
		    void *base, char *why)
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
	return conf_why(why,
			"not a boolean (yes, no, true, false, on, off, 1, 0)");
}

int conf_parse_enum(const struct conf_key *k, const char *value, void *field,
		    void *base, char *why)
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
	return conf_why(why, "must be %s", choices);
}

int conf_parse_path(const struct conf_key *k, const char *value, void *field,
		    void *base, char *why)
{
	const char *s;

	if (!*value)
		return clear_string(field);
	if (value[0] != '/' || !is_printable(value) ||
	    strlen(value) >= PATH_MAX)
		return conf_why(why, "must be an absolute path");
	for (s = value; (s = strstr(s, "/..")); s += 3)
		if (s[3] == '/' || !s[3])
			return conf_why(why, "must not contain '..'");
	return set_string(field, value);
}

int conf_parse_text(const struct conf_key *k, const char *value, void *field,
		    void *base, char *why)
{
	if (!*value)
		return clear_string(field);
	if (strlen(value) < k->min || strlen(value) > k->max ||
	    !is_printable(value))
		return conf_why(why,
				"must be %" PRIu64 "..%" PRIu64
				" printable ASCII characters",
				k->min, k->max);
	return set_string(field, value);
}

int conf_parse_device_id(const struct conf_key *k, const char *value,
			 void *field, void *base, char *why)
{
	size_t n = strlen(value);

	if (n < k->min || n > k->max || !isalnum((unsigned char)value[0]) ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return conf_why(why,
				"must be 1..%" PRIu64 " characters of "
				"A-Z a-z 0-9 . _ -, starting with a "
				"letter or digit",
				k->max);
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
int conf_parse_users(const struct conf_key *k, const char *value, void *field,
		     void *base, char *why)
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
			return conf_why(why, "user name too long");
		memcpy(user, s, n);
		user[n] = '\0';
		s += n;

		r = safe_atou64(user, &end, &v);
		if (r != -EINVAL && !*end) {
			if (r < 0 || v >= (uid_t)-1)
				return conf_why(why, "uid %s out of range",
						user);
			uid = (uid_t)v;
		} else {
			r = lookup_user(user, &uid);
			if (r == -ESRCH)
				return conf_why(why, "unknown user '%s'", user);
			if (r < 0)
				return conf_why(why, "cannot look up '%s': %s",
						user, strerror(-r));
		}

		for (unsigned int i = 0; i < c->n_delivery_uids; i++)
			seen = seen || c->delivery_uids[i] == uid;
		if (seen)
			continue;
		if (c->n_delivery_uids >= PODCAM_MAX_USERS)
			return conf_why(why, "more than %d users",
					PODCAM_MAX_USERS - 1);
		c->delivery_uids[c->n_delivery_uids++] = uid;
	}
	return 0;
}

int conf_parse_format(const struct conf_key *k, const char *value, void *field,
		      void *base, char *why)
{
	if (streq(value, "NV12"))
		*(uint32_t *)field = V4L2_PIX_FMT_NV12;
	else if (streq(value, "YUYV"))
		*(uint32_t *)field = V4L2_PIX_FMT_YUYV;
	else
		return conf_why(why, "must be NV12 or YUYV");
	return 0;
}

/* "WxH", both even and 2..8192. */
static int parse_wh(const char *s, const char **ret_end, unsigned int *ret_w,
		    unsigned int *ret_h)
{
	unsigned int w, h;

	if (atou_range(s, &s, CONF_SIZE_MAX_PIXELS, &w) < 0 || *s++ != 'x' ||
	    atou_range(s, &s, CONF_SIZE_MAX_PIXELS, &h) < 0 || w == 0 || h == 0)
		return -EINVAL;
	*ret_end = s;
	*ret_w = w;
	*ret_h = h;
	return 0;
}

int conf_parse_frame_size(const struct conf_key *k, const char *value,
			  void *field, void *base, char *why)
{
	struct camera_config *cam = base;
	unsigned int w, h;
	const char *end;

	if (parse_wh(value, &end, &w, &h) < 0 || *end || w % 2 || h % 2 ||
	    w < 64 || h < 64)
		return conf_why(why,
				"must be WIDTHxHEIGHT, even numbers "
				"from 64 to %d",
				CONF_SIZE_MAX_PIXELS);
	cam->width = w;
	cam->height = h;
	return 0;
}

int conf_parse_mask(const struct conf_key *k, const char *value, void *field,
		    void *base, char *why)
{
	struct camera_config *cam = base;
	unsigned int x, y, w, h;
	const char *s = value;

	if (atou_range(s, &s, CONF_SIZE_MAX_PIXELS, &x) < 0 || *s++ != ',' ||
	    atou_range(s, &s, CONF_SIZE_MAX_PIXELS, &y) < 0 || *s++ != ',' ||
	    parse_wh(s, &s, &w, &h) < 0 || *s)
		return conf_why(why, "must be X,Y,WIDTHxHEIGHT in pixels");
	if (cam->n_masks >= PODCAM_MAX_MASKS)
		return conf_why(why, "more than %d masks", PODCAM_MAX_MASKS);
	cam->masks[cam->n_masks++] = (struct mask_rect){ x, y, w, h };
	return 0;
}

#define URL_DIGITS "0123456789"
#define URL_LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define URL_NOT_A_URL "not a URL with a host (https://HOST[:PORT][/PATH])"

/*
 * What is wrong with an endpoint, or NULL: http or https (any case), then
 * "://", a host (a DNS name or IPv4 address: letters, digits, '-', '.',
 * '_'; or an IPv6 address in brackets), an optional port 1..65535, an
 * optional path; no credentials, query or fragment. Checked by hand, not
 * by libcurl's parser: podcamd reads this file too and links no network
 * library at all (docs/config.md).
 */
static const char *endpoint_problem(const char *url)
{
	const char *sep = strstr(url, "://"), *host, *end, *p;
	size_t scheme = sep ? (size_t)(sep - url) : 0;
	unsigned long port;

	if (!is_printable(url) || strchr(url, ' ') || !sep || scheme == 0 ||
	    strspn(url, URL_LETTERS URL_DIGITS "+-.") != scheme)
		return URL_NOT_A_URL;
	if (!((scheme == 4 && !strncasecmp(url, "http", 4)) ||
	      (scheme == 5 && !strncasecmp(url, "https", 5))))
		return "must be an http(s) URL";

	host = sep + 3;
	end = host + strcspn(host, "/?#");	/* the authority's end */
	if (memchr(host, '@', (size_t)(end - host)))
		return "must not contain credentials; use TokenFile= or "
		       "ClientCertificate=";
	if (*host == '[') {
		p = host + 1 + strspn(host + 1, URL_DIGITS "abcdefABCDEF:.");
		if (p == host + 1 || p >= end || *p != ']')
			return URL_NOT_A_URL;
		p++;
	} else {
		p = host + strspn(host, URL_LETTERS URL_DIGITS "-._");
		if (p == host)
			return URL_NOT_A_URL;
	}
	if (p < end) {
		if (*p != ':' || end - p < 2 || end - p > 6 ||
		    strspn(p + 1, URL_DIGITS) != (size_t)(end - p - 1))
			return URL_NOT_A_URL;
		port = strtoul(p + 1, NULL, 10);
		if (port == 0 || port > 65535)
			return URL_NOT_A_URL;
	}
	if (strpbrk(end, "?#"))
		return "must not have a ?query or #fragment";
	return NULL;
}

int conf_parse_url(const struct conf_key *k, const char *value, void *field,
		   void *base, char *why)
{
	_cleanup_free_ char *url = NULL;
	const char *problem;

	if (!*value)
		return clear_string(field);
	problem = endpoint_problem(value);
	if (problem)
		return conf_why(why, "%s", problem);

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

int conf_parse_bucket(const struct conf_key *k, const char *value, void *field,
		      void *base, char *why)
{
	size_t n = strlen(value);

	/* S3's bucket naming rules, less the ones about IP-like names. */
	if (n < 3 || n > 63 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n ||
	    !isalnum((unsigned char)value[0]) ||
	    !isalnum((unsigned char)value[n - 1]) || strstr(value, ".."))
		return conf_why(why, "not an S3 bucket name (3..63 of a-z "
				     "0-9 . -, starting and ending with a "
				     "letter or digit)");
	return set_string(field, value);
}

int conf_parse_region(const struct conf_key *k, const char *value, void *field,
		      void *base, char *why)
{
	size_t n = strlen(value);

	if (n < 1 || n > 32 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return conf_why(why, "must be 1..32 of a-z 0-9 -");
	return set_string(field, value);
}

bool conf_role_is_valid(const char *role)
{
	size_t n = strlen(role);

	return n >= 1 && n <= CONF_ROLE_MAX &&
	       isalnum((unsigned char)role[0]) &&
	       strspn(role, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}
