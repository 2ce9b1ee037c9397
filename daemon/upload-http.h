/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTPS PUTs for podcam-upload: libcurl's multi interface driven from the
 * one sd-event loop (curl_multi_socket_action on io and timer sources; no
 * threads, no polling). One multi handle keeps the connections for reuse.
 */
#ifndef PODCAM_UPLOAD_HTTP_H
#define PODCAM_UPLOAD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "upload-policy.h"

#define UPLOAD_ERROR_MAX 512

struct upload_http;

/* What a finished PUT came to. */
struct upload_result {
	int curl_code; /* CURLcode, 0 when an answer came */
	long status; /* HTTP status, 0 when none */
	int64_t retry_after_sec; /* Retry-After, -1 when absent */
	char error[UPLOAD_ERROR_MAX]; /* curl's detail when curl_code */
	char body_line[256]; /* first line of the response body */
	char location[256]; /* Location of a 3xx, not followed */
};

/* Credentials as read for this attempt (see upload_target_load). */
struct upload_target {
	const struct upload_config *config;
	char *token; /* bearer token, NULL when none */
	struct s3_credentials s3;
};

/*
 * Reads TokenFile= or CredentialsFile= afresh, so that a fixed file is
 * picked up without a restart. On failure *ret_error says which file and
 * why (caller frees).
 */
int upload_target_load(struct upload_target *t, const struct upload_config *c,
		       char **ret_error);
void upload_target_done(struct upload_target *t);

struct upload_put {
	const char *url;
	const void *body; /* kept alive by the caller until done */
	size_t len;
	const char *content_type;
	const char *sha256_hex; /* of body */
};

typedef void (*upload_done_t)(const struct upload_result *r, void *userdata);

int upload_http_new(sd_event *e, struct upload_http **ret);
/* Aborts every transfer still running, without calling their done. */
struct upload_http *upload_http_free(struct upload_http *h);

/*
 * Starts one PUT; done is called once from the event loop when it has
 * finished, whatever the outcome. Returns 0 or negative errno (then done
 * is never called).
 */
int upload_http_put(struct upload_http *h, const struct upload_target *t,
		    const struct upload_put *put, upload_done_t done,
		    void *userdata);

/* Transfers running now. */
unsigned int upload_http_running(const struct upload_http *h);

static inline void upload_http_freep(struct upload_http **h)
{
	upload_http_free(*h);
}

#endif
