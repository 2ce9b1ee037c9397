// SPDX-License-Identifier: GPL-2.0
/* podcam-upload's pure decisions: outcomes, backoff, URLs, secrets. */

#include "tap.h"
#include "upload-policy.h"
#include "util.h"

TEST(classify_statuses)
{
	CHECK_EQ_INT(upload_classify(0, 200), UPLOAD_DONE);
	CHECK_EQ_INT(upload_classify(0, 201), UPLOAD_DONE);
	CHECK_EQ_INT(upload_classify(0, 204), UPLOAD_DONE);
	CHECK_EQ_INT(upload_classify(0, 412), UPLOAD_DONE);
	CHECK_EQ_INT(upload_classify(0, 408), UPLOAD_RETRY);
	CHECK_EQ_INT(upload_classify(0, 429), UPLOAD_RETRY);
	CHECK_EQ_INT(upload_classify(0, 500), UPLOAD_RETRY);
	CHECK_EQ_INT(upload_classify(0, 503), UPLOAD_RETRY);
	CHECK_EQ_INT(upload_classify(0, 301), UPLOAD_RETRY);
	CHECK_EQ_INT(upload_classify(0, 400), UPLOAD_REFUSED);
	CHECK_EQ_INT(upload_classify(0, 401), UPLOAD_REFUSED);
	CHECK_EQ_INT(upload_classify(0, 403), UPLOAD_REFUSED);
	CHECK_EQ_INT(upload_classify(0, 404), UPLOAD_REFUSED);
	CHECK_EQ_INT(upload_classify(0, 413), UPLOAD_REFUSED);
}

TEST(classify_transport_errors_retry)
{
	/* 28 timeout, 56 recv error (reset), 60 peer verification. */
	CHECK_EQ_INT(upload_classify(28, 0), UPLOAD_RETRY);
	CHECK_EQ_INT(upload_classify(56, 0), UPLOAD_RETRY);
	CHECK_EQ_INT(upload_classify(60, 0), UPLOAD_RETRY);
	/* An answer cut short is no confirmation, even a 201. */
	CHECK_EQ_INT(upload_classify(18, 201), UPLOAD_RETRY);
}

TEST(backoff_ceiling_doubles_and_caps)
{
	CHECK_EQ_INT(upload_backoff_ceiling_usec(1, 1000, 300000000), 1000);
	CHECK_EQ_INT(upload_backoff_ceiling_usec(2, 1000, 300000000), 2000);
	CHECK_EQ_INT(upload_backoff_ceiling_usec(5, 1000, 300000000), 16000);
	CHECK_EQ_INT(upload_backoff_ceiling_usec(40, 1000000, 300000000),
		     300000000);
	CHECK_EQ_INT(upload_backoff_ceiling_usec(10000, 1000000, 300000000),
		     300000000);
}

TEST(full_jitter_within_bounds)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (uint64_t i = 0; i < 10000; i++) {
		uint64_t rnd = i * 0x9e3779b97f4a7c15ull;
		uint64_t d =
			upload_retry_delay_usec(3, 200000, 5000000, -1, rnd);

		lo = MIN(lo, d);
		hi = MAX(hi, d);
		if (d > 800000) {
			CHECK(d <= 800000);
			break;
		}
	}
	/* Full jitter spreads over the whole range, not just its top. */
	CHECK(lo < 80000);
	CHECK(hi > 720000);
}

TEST(retry_after_is_a_floor_and_capped)
{
	/* The server's wish wins over a smaller jitter... */
	CHECK_EQ_INT(upload_retry_delay_usec(1, 200000, 5000000, 2, 0),
		     2000000);
	/* ...a larger jitter wins over it... */
	CHECK_EQ_INT(upload_retry_delay_usec(6, 200000, 5000000, 1, 3000000),
		     3000000);
	/* ...and RetryMaxSec caps both. */
	CHECK_EQ_INT(upload_retry_delay_usec(1, 200000, 5000000, 3600, 0),
		     5000000);
	CHECK_EQ_INT(upload_retry_delay_usec(1, 200000, 5000000, INT64_MAX, 0),
		     5000000);
}

TEST(device_ids)
{
	CHECK(device_id_valid("van-17.a_b"));
	CHECK(!device_id_valid(""));
	CHECK(!device_id_valid(".hidden"));
	CHECK(!device_id_valid("a/b"));
	CHECK(!device_id_valid("a b"));
}

static struct upload_config http_config(const char *endpoint)
{
	return (struct upload_config){
		.mode = UPLOAD_MODE_HTTP,
		.endpoint = (char *)endpoint,
		.concurrency = 2,
	};
}

TEST(object_urls)
{
	struct upload_config c = http_config("https://up.example/base/");
	const char *id = "0123456789abcdef0123456789abcdef";
	char *u = NULL;

	REQUIRE(upload_object_url(&c, "dev-1", id, ".jpg", &u) == 0);
	CHECK_STREQ(u, "https://up.example/base/dev-1/"
		       "0123456789abcdef0123456789abcdef.jpg");
	free(u);

	c.mode = UPLOAD_MODE_S3;
	c.bucket = (char *)"photos";
	c.endpoint = (char *)"https://s3.localhost:4568";
	c.path_style = true;
	REQUIRE(upload_object_url(&c, "dev-1", id, ".json", &u) == 0);
	CHECK_STREQ(u, "https://s3.localhost:4568/photos/dev-1/"
		       "0123456789abcdef0123456789abcdef.json");
	free(u);

	c.path_style = false;
	REQUIRE(upload_object_url(&c, "dev-1", id, ".jpg", &u) == 0);
	CHECK_STREQ(u, "https://photos.s3.localhost:4568/dev-1/"
		       "0123456789abcdef0123456789abcdef.jpg");
	free(u);

	CHECK_EQ_INT(upload_object_url(&c, "../x", id, ".jpg", &u), -EINVAL);
}

TEST(config_check)
{
	struct upload_config c = http_config("https://up.example:8443/p");
	char *err = NULL;

	CHECK_EQ_INT(upload_config_check(&c, &err), 0);
	c.endpoint = (char *)"http://up.example/p";
	CHECK_EQ_INT(upload_config_check(&c, &err), -EINVAL);
	CHECK(err && strstr(err, "https"));
	free(err);
	err = NULL;
	c.endpoint = (char *)"https://user:pw@up.example/p";
	CHECK_EQ_INT(upload_config_check(&c, &err), -EINVAL);
	free(err);
	err = NULL;
	c.endpoint = (char *)"not a url";
	CHECK_EQ_INT(upload_config_check(&c, &err), -EINVAL);
	free(err);
	err = NULL;
	c.endpoint = (char *)"https://s3.example";
	c.mode = UPLOAD_MODE_S3;
	CHECK_EQ_INT(upload_config_check(&c, &err), -EINVAL); /* bucket */
	free(err);
	err = NULL;
	c.bucket = (char *)"photos";
	c.credentials_file = (char *)"/etc/podcam/s3";
	c.region = (char *)"eu-west-1";
	CHECK_EQ_INT(upload_config_check(&c, &err), 0);
}

TEST(token)
{
	char *t = NULL;

	REQUIRE(upload_parse_token("  abc.DEF-123=\n", &t) == 0);
	CHECK_STREQ(t, "abc.DEF-123=");
	free(t);
	CHECK_EQ_INT(upload_parse_token("\n\n", &t), -EINVAL);
	CHECK_EQ_INT(upload_parse_token("two words", &t), -EINVAL);
	/* No header injection through a second line. */
	CHECK_EQ_INT(upload_parse_token("abc\r\nX-Evil: 1\n", &t), -EINVAL);
}

TEST(credentials)
{
	struct s3_credentials c;

	REQUIRE(upload_parse_credentials("# keys\nAccessKeyId = AK\n"
					 "SecretAccessKey=s/e+c\n",
					 &c) == 0);
	CHECK_STREQ(c.access_key_id, "AK");
	CHECK_STREQ(c.secret_access_key, "s/e+c");
	CHECK(c.session_token == NULL);
	upload_credentials_done(&c);
	CHECK_EQ_INT(upload_parse_credentials("AccessKeyId=AK\n", &c), -EINVAL);
	CHECK_EQ_INT(upload_parse_credentials("AccessKeyId=A:K\n"
					      "SecretAccessKey=s\n",
					      &c),
		     -EINVAL);
	CHECK_EQ_INT(upload_parse_credentials("AccessKeyId=AK\nFoo=1\n"
					      "SecretAccessKey=s\n",
					      &c),
		     -EINVAL);
}

TEST(first_line)
{
	char b[16];

	upload_first_line("\r\nForbidden\r\nmore", 17, b, sizeof(b));
	CHECK_STREQ(b, "Forbidden");
	upload_first_line("a\x01z", 3, b, sizeof(b));
	CHECK_STREQ(b, "a?z");
	upload_first_line("0123456789abcdefghij", 20, b, sizeof(b));
	CHECK_STREQ(b, "0123456789abcde");
}
