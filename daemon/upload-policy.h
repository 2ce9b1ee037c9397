/* SPDX-License-Identifier: GPL-2.0 */
/*
 * podcam-upload's decisions that need no I/O: what an HTTP answer means,
 * how long to wait before the next try, what the object URLs are and what
 * a token or credentials file must look like. Pure functions, unit-tested
 * in tests/unit/test-upload-policy.c.
 */
#ifndef PODCAM_UPLOAD_POLICY_H
#define PODCAM_UPLOAD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "id.h"

#define DEVICE_ID_MAX 64
#define TOKEN_MAX 4096

enum upload_outcome {
	UPLOAD_DONE, /* 2xx, or 412: the object is there */
	UPLOAD_RETRY, /* transient: back off and try again */
	UPLOAD_REFUSED, /* any other 4xx: quarantine */
};

/*
 * curl_code is the transfer's CURLcode (0 when a response arrived), status
 * the HTTP status (0 when none).
 */
enum upload_outcome upload_classify(int curl_code, long status);
const char *upload_outcome_to_string(enum upload_outcome o);

/*
 * The delay before try number attempt + 1 after attempt (>= 1) transient
 * failures in a row: "full jitter", uniform in
 * [0, min(max_usec, initial_usec * 2^(attempt - 1))], drawn from rnd (any
 * 64-bit random value). A Retry-After of retry_after_sec seconds (>= 0;
 * negative when absent) replaces the jitter, still capped at max_usec.
 */
uint64_t upload_backoff_ceiling_usec(unsigned int attempt,
				     uint64_t initial_usec, uint64_t max_usec);
uint64_t upload_retry_delay_usec(unsigned int attempt, uint64_t initial_usec,
				 uint64_t max_usec, int64_t retry_after_sec,
				 uint64_t rnd);

/*
 * Formats a message into *ret (caller frees) and returns error, or -ENOMEM
 * when the message cannot be made: for functions with a ret_error.
 */
int upload_errorf(char **ret, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Checks [upload] beyond what the parser checks: an https endpoint with a
 * host and no query, fragment or credentials, a bucket in S3 mode, a key
 * with a certificate. On -EINVAL *ret_error says what (caller frees).
 */
int upload_config_check(const struct upload_config *c, char **ret_error);

/*
 * A device id in an object key: DeviceId='s rule (conf.c), which is the
 * tracking id's: 1..64 of [A-Za-z0-9._-], the first a letter or digit.
 */
static inline bool device_id_valid(const char *s)
{
	return tracking_id_is_valid(s);
}

/*
 * The URL of <device_id>/<photo_id><suffix> ("suffix" is ".jpg" or ".json"):
 * HTTP: ENDPOINT/KEY; S3 path style: ENDPOINT/BUCKET/KEY; S3 virtual host
 * style: https://BUCKET.HOST[:PORT][/PATH]/KEY.
 */
int upload_object_url(const struct upload_config *c, const char *device_id,
		      const char *photo_id, const char *suffix, char **ret);

/* A bearer token file: one line of visible ASCII, surrounding blanks cut. */
int upload_parse_token(const char *buf, char **ret);

struct s3_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* optional, NULL when absent */
};

/*
 * A credentials file: "AccessKeyId=", "SecretAccessKey=" and optionally
 * "SessionToken=" lines; '#' comments and blank lines allowed.
 */
int upload_parse_credentials(const char *buf, struct s3_credentials *ret);
void upload_credentials_done(struct s3_credentials *c);

/*
 * The first line of a response body, cut to at most max - 1 bytes, with
 * anything that is not printable ASCII replaced by '?'. Never fails.
 */
void upload_first_line(const char *body, size_t len, char *ret, size_t max);

#endif
