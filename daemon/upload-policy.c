// SPDX-License-Identifier: GPL-2.0
/* podcam-upload's pure decisions: outcomes, backoff, URLs, credentials. */

#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>

#include "upload-policy.h"
#include "util.h"

enum upload_outcome upload_classify(int curl_code, long status)
{
	/*
	 * No answer, or one cut short: timeouts, resets, TLS failures, a
	 * refused connection. Nothing says the photo is at fault, so it
	 * stays queued; a second PUT of the same object is harmless.
	 */
	if (curl_code != CURLE_OK)
		return UPLOAD_RETRY;
	if (status >= 200 && status < 300)
		return UPLOAD_DONE;
	if (status == 412) /* If-None-Match: * found the object */
		return UPLOAD_DONE;
	if (status == 408 || status == 429)
		return UPLOAD_RETRY;
	if (status >= 400 && status < 500)
		return UPLOAD_REFUSED;
	/* 5xx, redirects (never followed) and anything odd. */
	return UPLOAD_RETRY;
}

const char *upload_outcome_to_string(enum upload_outcome o)
{
	switch (o) {
	case UPLOAD_DONE:
		return "done";
	case UPLOAD_RETRY:
		return "retry";
	case UPLOAD_REFUSED:
		return "refused";
	}
	return "unknown";
}

uint64_t upload_backoff_ceiling_usec(unsigned int attempt,
				     uint64_t initial_usec, uint64_t max_usec)
{
	uint64_t c = initial_usec;

	if (attempt == 0)
		return 0;
	for (unsigned int i = 1; i < attempt && c < max_usec; i++)
		c = c > UINT64_MAX / 2 ? UINT64_MAX : c * 2;
	return MIN(c, max_usec);
}

uint64_t upload_retry_delay_usec(unsigned int attempt, uint64_t initial_usec,
				 uint64_t max_usec, int64_t retry_after_sec,
				 uint64_t rnd)
{
	uint64_t ceiling, d;

	ceiling = upload_backoff_ceiling_usec(attempt, initial_usec, max_usec);
	d = ceiling == UINT64_MAX ? rnd : rnd % (ceiling + 1);
	if (retry_after_sec >= 0) {
		uint64_t ra = (uint64_t)retry_after_sec > UINT64_MAX / 1000000 ?
				      UINT64_MAX :
				      (uint64_t)retry_after_sec * 1000000;

		d = MAX(d, ra);
	}
	return MIN(d, max_usec);
}

int upload_errorf(char **ret, int error, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return error;
}

static bool bucket_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 63 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && !strchr(".-", s[i]))
			return false;
	return true;
}

static void curl_url_cleanupp(CURLU **u)
{
	if (*u)
		curl_url_cleanup(*u);
}

static bool url_has_part(CURLU *u, CURLUPart part)
{
	char *v = NULL;
	bool has;

	has = curl_url_get(u, part, &v, 0) == CURLUE_OK && v && *v;
	curl_free(v);
	return has;
}

static int check_endpoint(const char *endpoint, char **ret_error)
{
	_cleanup_(curl_url_cleanupp) CURLU *u = NULL;
	char *scheme = NULL;
	bool https;

	if (!endpoint || !*endpoint)
		return upload_errorf(ret_error, -EINVAL,
				     "Endpoint= is not set");
	u = curl_url();
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK)
		return upload_errorf(ret_error, -EINVAL,
				     "Endpoint=%s is not a valid URL",
				     endpoint);
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		return -EINVAL;
	https = streq(scheme, "https");
	curl_free(scheme);
	if (!https)
		return upload_errorf(ret_error, -EINVAL,
				     "Endpoint=%s: only https:// is allowed",
				     endpoint);
	if (url_has_part(u, CURLUPART_USER) ||
	    url_has_part(u, CURLUPART_PASSWORD) ||
	    url_has_part(u, CURLUPART_QUERY) ||
	    url_has_part(u, CURLUPART_FRAGMENT))
		return upload_errorf(ret_error, -EINVAL,
				     "Endpoint=%s: no user, password, query "
				     "or fragment allowed",
				     endpoint);
	return 0;
}

int upload_config_check(const struct upload_config *c, char **ret_error)
{
	int r;

	r = check_endpoint(c->endpoint, ret_error);
	if (r < 0)
		return r;
	if (c->mode == UPLOAD_MODE_S3) {
		if (!c->bucket || !bucket_valid(c->bucket))
			return upload_errorf(
				ret_error, -EINVAL,
				"Bucket=%s: S3 mode needs a bucket "
				"name of 3 to 63 of [a-z0-9.-]",
				strempty(c->bucket));
		if (!c->credentials_file || !*c->credentials_file)
			return upload_errorf(ret_error, -EINVAL,
					     "CredentialsFile= is required in "
					     "S3 mode");
		if (!c->region || !*c->region || strchr(c->region, ':'))
			return upload_errorf(ret_error, -EINVAL,
					     "Region=%s is not valid",
					     strempty(c->region));
	}
	if (c->client_key && *c->client_key &&
	    !(c->client_cert && *c->client_cert))
		return upload_errorf(ret_error, -EINVAL,
				     "ClientKey= needs ClientCertificate=");
	if (c->concurrency < 1)
		return upload_errorf(ret_error, -EINVAL,
				     "Concurrency= must be at least 1");
	return 0;
}

/* The endpoint without trailing slashes. */
static int endpoint_base(const char *endpoint, char **ret)
{
	size_t n = strlen(endpoint);
	char *s;

	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	s = strndup(endpoint, n);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int vhost_base(const char *endpoint, const char *bucket, char **ret)
{
	_cleanup_(curl_url_cleanupp) CURLU *u = NULL;
	_cleanup_free_ char *host = NULL;
	char *h = NULL, *url = NULL;
	int r;

	u = curl_url();
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		return -EINVAL;
	r = asprintf(&host, "%s.%s", bucket, h);
	curl_free(h);
	if (r < 0)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		return -EINVAL;
	r = endpoint_base(url, ret);
	curl_free(url);
	return r;
}

int upload_object_url(const struct upload_config *c, const char *device_id,
		      const char *photo_id, const char *suffix, char **ret)
{
	_cleanup_free_ char *base = NULL;
	char *url;
	int r;

	if (!device_id_valid(device_id) || !photo_id_is_valid(photo_id))
		return -EINVAL;
	if (c->mode == UPLOAD_MODE_S3 && !c->path_style)
		r = vhost_base(c->endpoint, c->bucket, &base);
	else
		r = endpoint_base(c->endpoint, &base);
	if (r < 0)
		return r;
	if (c->mode == UPLOAD_MODE_S3 && c->path_style)
		r = asprintf(&url, "%s/%s/%s/%s%s", base, c->bucket, device_id,
			     photo_id, suffix);
	else
		r = asprintf(&url, "%s/%s/%s%s", base, device_id, photo_id,
			     suffix);
	if (r < 0)
		return -ENOMEM;
	*ret = url;
	return 0;
}

static bool visible(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* Cuts blanks off both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

int upload_parse_token(const char *buf, char **ret)
{
	const char *s = buf;
	size_t n = strlen(buf);
	char *t;

	trim(&s, &n);
	if (n == 0 || n > TOKEN_MAX || !visible(s, n))
		return -EINVAL;
	t = strndup(s, n);
	if (!t)
		return -ENOMEM;
	*ret = t;
	return 0;
}

void upload_credentials_done(struct s3_credentials *c)
{
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	*c = (struct s3_credentials){};
}

static int credentials_line(const char *line, size_t len,
			    struct s3_credentials *c)
{
	const char *eq, *k = line, *v;
	size_t kn, vn;
	char **dst;

	trim(&k, &len);
	if (len == 0 || k[0] == '#')
		return 0;
	eq = memchr(k, '=', len);
	if (!eq)
		return -EINVAL;
	kn = eq - k;
	v = eq + 1;
	vn = len - kn - 1;
	trim(&k, &kn);
	trim(&v, &vn);
	if (kn == strlen("AccessKeyId") && !strncmp(k, "AccessKeyId", kn))
		dst = &c->access_key_id;
	else if (kn == strlen("SecretAccessKey") &&
		 !strncmp(k, "SecretAccessKey", kn))
		dst = &c->secret_access_key;
	else if (kn == strlen("SessionToken") &&
		 !strncmp(k, "SessionToken", kn))
		dst = &c->session_token;
	else
		return -EINVAL;
	/* A ':' would split curl's "key:secret" in the wrong place. */
	if (*dst || vn == 0 || vn > TOKEN_MAX || !visible(v, vn) ||
	    (dst == &c->access_key_id && memchr(v, ':', vn)))
		return -EINVAL;
	*dst = strndup(v, vn);
	return *dst ? 0 : -ENOMEM;
}

int upload_parse_credentials(const char *buf, struct s3_credentials *ret)
{
	struct s3_credentials c = {};
	const char *p = buf;

	while (*p) {
		const char *nl = strchrnul(p, '\n');
		int r = credentials_line(p, nl - p, &c);

		if (r < 0) {
			upload_credentials_done(&c);
			return r;
		}
		p = *nl ? nl + 1 : nl;
	}
	if (!c.access_key_id || !c.secret_access_key) {
		upload_credentials_done(&c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
}

void upload_first_line(const char *body, size_t len, char *ret, size_t max)
{
	size_t i, n = 0;

	if (max == 0)
		return;
	for (i = 0; i < len && (body[i] == '\r' || body[i] == '\n'); i++)
		;
	for (; i < len && n + 1 < max; i++) {
		if (body[i] == '\r' || body[i] == '\n')
			break;
		ret[n++] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : '?';
	}
	ret[n] = '\0';
}
