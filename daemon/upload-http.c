// SPDX-License-Identifier: GPL-2.0
/*
 * libcurl's multi interface on sd-event: curl tells us which sockets to
 * watch (CURLMOPT_SOCKETFUNCTION) and when to wake it (CURLMOPT_TIMERFUNCTION);
 * io and timer sources hand the events back through
 * curl_multi_socket_action(). Finished transfers are collected with
 * curl_multi_info_read() and reported through their done callback.
 */

#include <curl/curl.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <time.h>

#include "fs-util.h"
#include "hash.h"
#include "upload-http.h"
#include "util.h"

#define RESPONSE_KEEP 1024 /* bytes of a response body kept */

struct transfer {
	struct upload_http *http;
	struct transfer *prev, *next;
	CURL *easy;
	struct curl_slist *headers;
	bool headers_failed;
	char errbuf[CURL_ERROR_SIZE];
	char response[RESPONSE_KEEP];
	size_t response_len;
	/* Stall detection: when the byte counts last moved. */
	curl_off_t last_up, last_down;
	uint64_t last_progress_usec, stall_usec;
	bool stalled;
	upload_done_t done;
	void *userdata;
};

struct upload_http {
	sd_event *event;
	sd_event_source *timer;
	CURLM *multi;
	CURLSH *share;
	struct transfer *transfers;
	unsigned int n_transfers;
};

static void transfer_free(struct transfer *t)
{
	if (!t)
		return;
	if (t->easy) {
		curl_multi_remove_handle(t->http->multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	curl_slist_free_all(t->headers);
	if (t->prev)
		t->prev->next = t->next;
	else if (t->http->transfers == t)
		t->http->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->http->n_transfers--;
	free(t);
}

static void check_done(struct upload_http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		struct upload_result r = { .retry_after_sec = -1 };
		struct transfer *t = NULL;
		curl_off_t ra = -1;
		char *loc = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
		r.curl_code = m->data.result;
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
		/* Both stay as they are (-1, NULL) when libcurl has none. */
		(void)curl_easy_getinfo(t->easy, CURLINFO_RETRY_AFTER, &ra);
		(void)curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc);
		if (ra > 0)
			r.retry_after_sec = ra;
		if (r.status >= 300 && r.status < 400 && loc)
			upload_first_line(loc, strlen(loc), r.location,
					  sizeof(r.location));
		if (t->stalled)
			snprintf(r.error, sizeof(r.error),
				 "stalled: no progress for %" PRIu64 " s",
				 t->stall_usec / 1000000);
		else if (r.curl_code != CURLE_OK)
			snprintf(r.error, sizeof(r.error), "%.200s%s%.255s",
				 curl_easy_strerror(r.curl_code),
				 t->errbuf[0] ? ": " : "", t->errbuf);
		upload_first_line(t->response, t->response_len, r.body_line,
				  sizeof(r.body_line));

		/* The callback may start new transfers; t is ours to free. */
		curl_multi_remove_handle(h->multi, t->easy);
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
		t->done(&r, t->userdata);
		transfer_free(t);
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct upload_http *h = userdata;
	int flags = 0, running;

	if (revents & (EPOLLIN | EPOLLHUP))
		flags |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	check_done(h);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct upload_http *h = userdata;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
	return 0;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct upload_http *h = userp;
	sd_event_source *s = socketp;
	uint32_t events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			sd_event_source_disable_unref(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (s) {
		if (sd_event_source_set_io_events(s, events) < 0 ||
		    sd_event_source_set_enabled(s, SD_EVENT_ON) < 0)
			return -1;
		return 0;
	}
	if (sd_event_add_io(h->event, &s, fd, events, on_io, h) < 0)
		return -1;
	(void)sd_event_source_set_description(s, "curl-socket");
	curl_multi_assign(h->multi, fd, s);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct upload_http *h = userp;
	uint64_t now;

	if (timeout_ms < 0) {
		if (sd_event_source_set_enabled(h->timer, SD_EVENT_OFF) < 0)
			return -1;
		return 0;
	}
	if (sd_event_now(h->event, CLOCK_MONOTONIC, &now) < 0)
		return -1;
	if (sd_event_source_set_time(h->timer,
				     now + (uint64_t)timeout_ms * 1000) < 0 ||
	    sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT) < 0)
		return -1;
	return 0;
}

struct upload_http *upload_http_free(struct upload_http *h)
{
	if (!h)
		return NULL;
	while (h->transfers)
		transfer_free(h->transfers);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->share)
		curl_share_cleanup(h->share);
	sd_event_source_disable_unref(h->timer);
	sd_event_unref(h->event);
	free(h);
	curl_global_cleanup();
	return NULL;
}

int upload_http_new(sd_event *e, struct upload_http **ret)
{
	_cleanup_(upload_http_freep) struct upload_http *h = NULL;
	int r;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	h = calloc(1, sizeof(*h));
	if (!h) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	h->event = sd_event_ref(e);
	/*
	 * Accuracy 1 us: libcurl asks for "now" (0 ms) all the time, and
	 * sd-event would otherwise move each wake-up within a 1 ms window.
	 */
	r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, UINT64_MAX, 1,
			      on_timer, h);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(h->timer, "curl-timer");
	r = sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
	if (r < 0)
		return r;

	h->multi = curl_multi_init();
	h->share = curl_share_init();
	if (!h->multi || !h->share)
		return -ENOMEM;
	/* TLS sessions and DNS answers shared by every transfer. */
	curl_share_setopt(h->share, CURLSHOPT_SHARE,
			  CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);

	*ret = TAKE_PTR(h);
	return 0;
}

unsigned int upload_http_running(const struct upload_http *h)
{
	return h->n_transfers;
}

void upload_target_done(struct upload_target *t)
{
	if (t->token)
		sodium_memzero(t->token, strlen(t->token));
	free(t->token);
	if (t->s3.secret_access_key)
		sodium_memzero(t->s3.secret_access_key,
			       strlen(t->s3.secret_access_key));
	upload_credentials_done(&t->s3);
	*t = (struct upload_target){};
}

static int read_secret(const char *path, char **ret)
{
	return read_full_file_at(AT_FDCWD, path, 16384, ret, NULL);
}

int upload_target_load(struct upload_target *t, const struct upload_config *c,
		       char **ret_error)
{
	struct upload_target n = { .config = c };
	_cleanup_free_ char *buf = NULL;
	bool s3 = c->mode == UPLOAD_MODE_S3;
	const char *path;
	int r;

	if (s3)
		path = c->credentials_file;
	else
		path = c->token_file && *c->token_file ? c->token_file : NULL;
	if (path) {
		r = read_secret(path, &buf);
		if (r < 0)
			return upload_errorf(
				ret_error, r, "Cannot read %s %s: %s",
				s3 ? "credentials file" : "token file", path,
				strerror(-r));
		if (s3)
			r = upload_parse_credentials(buf, &n.s3);
		else
			r = upload_parse_token(buf, &n.token);
		sodium_memzero(buf, strlen(buf));
		if (r < 0)
			return upload_errorf(
				ret_error, r,
				"%s %s is malformed (%s expected)",
				s3 ? "Credentials file" : "Token file", path,
				s3 ? "AccessKeyId= and "
				     "SecretAccessKey= lines" :
				     "one line of visible ASCII");
	}
	for (unsigned int i = 0; i < 2; i++) {
		const char *f = i == 0 ? c->client_cert : c->client_key;

		if (!f || !*f || access(f, R_OK) == 0)
			continue;
		r = negative_errno();
		upload_target_done(&n);
		return upload_errorf(ret_error, r,
				     "Cannot read client %s %s: %s",
				     i == 0 ? "certificate" : "key", f,
				     strerror(-r));
	}
	*t = n;
	return 0;
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * A transfer is stalled when no byte moved either way for StallTimeoutSec.
 * (libcurl's own low-speed check averages over about five seconds, so
 * after a fast upload it fires that much late; it stays as a backstop and
 * makes libcurl call this at least once a second.)
 */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = userdata;
	uint64_t now = monotonic_usec();

	if (ulnow != t->last_up || dlnow != t->last_down ||
	    t->last_progress_usec == 0) {
		t->last_up = ulnow;
		t->last_down = dlnow;
		t->last_progress_usec = now;
		return 0;
	}
	if (now - t->last_progress_usec < t->stall_usec)
		return 0;
	t->stalled = true;
	return 1; /* CURLE_ABORTED_BY_CALLBACK */
}

static size_t on_write(char *data, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * n, keep;

	keep = MIN(len, sizeof(t->response) - t->response_len);
	memcpy(t->response + t->response_len, data, keep);
	t->response_len += keep;
	return len;
}

/* Appends a header; a failure is remembered in t->headers_failed. */
static void add_header(struct transfer *t, const char *fmt, ...) _printf_(2, 3);
static void add_header(struct transfer *t, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	struct curl_slist *n;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	n = r < 0 ? NULL : curl_slist_append(t->headers, s);
	if (!n) {
		t->headers_failed = true;
		return;
	}
	t->headers = n;
}

static int build_headers(struct transfer *t, const struct upload_target *tg,
			 const struct upload_put *put)
{
	const struct upload_config *c = tg->config;
	char b64[sodium_base64_ENCODED_LEN(SHA256_LEN,
					   sodium_base64_VARIANT_ORIGINAL)];
	uint8_t d[SHA256_LEN];

	add_header(t, "Content-Type: %s", put->content_type);
	add_header(t, "If-None-Match: *");
	if (c->mode == UPLOAD_MODE_HTTP) {
		/* The body goes at once: no 100-continue round trip. */
		add_header(t, "Expect:");
		add_header(t, "X-Podcam-Sha256: %s", put->sha256_hex);
		if (tg->token)
			add_header(t, "Authorization: Bearer %s", tg->token);
		return t->headers_failed ? -ENOMEM : 0;
	}

	if (sodium_hex2bin(d, sizeof(d), put->sha256_hex, SHA256_HEX_LEN, NULL,
			   NULL, NULL) < 0)
		return -EINVAL;
	sodium_bin2base64(b64, sizeof(b64), d, sizeof(d),
			  sodium_base64_VARIANT_ORIGINAL);
	/* Signed by SigV4 as the payload hash. */
	add_header(t, "x-amz-content-sha256: %s", put->sha256_hex);
	add_header(t, "x-amz-checksum-sha256: %s", b64);
	if (tg->s3.session_token)
		add_header(t, "x-amz-security-token: %s", tg->s3.session_token);
	return t->headers_failed ? -ENOMEM : 0;
}

static int setup_easy(struct transfer *t, const struct upload_target *tg,
		      const struct upload_put *put)
{
	const struct upload_config *c = tg->config;
	_cleanup_free_ char *sigv4 = NULL;
	CURL *e = t->easy;
	CURLcode k = CURLE_OK;

#define SET(opt, val) (k = k ?: curl_easy_setopt(e, opt, val))
	SET(CURLOPT_PRIVATE, t);
	SET(CURLOPT_URL, put->url);
	SET(CURLOPT_SHARE, t->http->share);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, t->errbuf);
	SET(CURLOPT_USERAGENT, "podcam-upload/" PODCAM_VERSION);
	/* https only, redirects reported but never followed. */
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file && *c->ca_file)
		SET(CURLOPT_CAINFO, c->ca_file);
	if (c->client_cert && *c->client_cert) {
		SET(CURLOPT_SSLCERT, c->client_cert);
		/* Without ClientKey= the key is in the certificate's file. */
		if (c->client_key && *c->client_key)
			SET(CURLOPT_SSLKEY, c->client_key);
	}
	SET(CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout_sec);
	/* Stalled: nothing moved for StallTimeoutSec (on_progress). */
	t->stall_usec = (uint64_t)c->stall_timeout_sec * 1000000;
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, t);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, (long)c->stall_timeout_sec);
	/* And a trickle is not allowed to hold a slot for ever. */
	SET(CURLOPT_TIMEOUT,
	    (long)(c->connect_timeout_sec + 4 * c->stall_timeout_sec));
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_CUSTOMREQUEST, "PUT");
	SET(CURLOPT_POSTFIELDS, put->body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)put->len);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, t);
	if (c->mode == UPLOAD_MODE_S3) {
		/*
		 * libcurl 7.88 signs every header it is given, also an empty
		 * "Expect:" that only removes its own and is never sent, which
		 * S3 would refuse (SignatureDoesNotMatch). Instead, for bodies
		 * over 1 MB, where libcurl adds "Expect: 100-continue"
		 * (unsigned, which S3 allows), it does not wait for the 100.
		 */
		SET(CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
		if (asprintf(&sigv4, "aws:amz:%s:s3", c->region) < 0)
			return -ENOMEM;
		SET(CURLOPT_AWS_SIGV4, sigv4);
		SET(CURLOPT_USERNAME, tg->s3.access_key_id);
		SET(CURLOPT_PASSWORD, tg->s3.secret_access_key);
	}
	SET(CURLOPT_HTTPHEADER, t->headers);
#undef SET
	return k == CURLE_OK ? 0 : -EINVAL;
}

int upload_http_put(struct upload_http *h, const struct upload_target *tg,
		    const struct upload_put *put, upload_done_t done,
		    void *userdata)
{
	struct transfer *t;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->http = h;
	t->done = done;
	t->userdata = userdata;
	t->next = h->transfers;
	if (t->next)
		t->next->prev = t;
	h->transfers = t;
	h->n_transfers++;

	t->easy = curl_easy_init();
	if (!t->easy) {
		r = -ENOMEM;
		goto fail;
	}
	r = build_headers(t, tg, put);
	if (r < 0)
		goto fail;
	r = setup_easy(t, tg, put);
	if (r < 0)
		goto fail;
	if (curl_multi_add_handle(h->multi, t->easy) != CURLM_OK) {
		r = -EIO;
		goto fail;
	}
	return 0;

fail:
	curl_easy_cleanup(t->easy);
	t->easy = NULL;
	transfer_free(t);
	return r;
}
