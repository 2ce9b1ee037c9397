// SPDX-License-Identifier: GPL-2.0
/* podcam.conf: defaults, every kind of value, errors with their lines. */

#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/stat.h>

#include "conf.h"
#include "fs-util.h"
#include "tap.h"
#include "util.h"

static char conf_path[] = "/tmp/test-conf-XXXXXX/podcam.conf";

/* Writes len bytes of text to a fresh podcam.conf. */
static void write_conf(const char *text, size_t len)
{
	static bool made;
	int fd;

	if (!made) {
		char *slash = strrchr(conf_path, '/');

		*slash = '\0';
		if (!mkdtemp(conf_path))
			abort();
		*slash = '/';
		made = true;
	}
	(void)unlink(conf_path);
	fd = open(conf_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_full(fd, text, len) < 0)
		abort();
	close(fd);
}

/* Writes text to a fresh podcam.conf and loads it. */
static int load(const char *text, struct podcam_config **ret, char **ret_err)
{
	write_conf(text, strlen(text));
	*ret_err = NULL;
	return conf_load(conf_path, ret, ret_err);
}

/* Removes the directory load() made, after the last test. */
static void __attribute__((destructor)) remove_conf_dir(void)
{
	char *slash = strrchr(conf_path, '/');

	if (strstr(conf_path, "XXXXXX"))
		return;		/* never made */
	*slash = '\0';
	(void)rm_rf_at(AT_FDCWD, conf_path);
}

/* Loads text and checks that it fails with "PATH:" + want. */
static void check_error(const char *text, const char *want, int line)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	_cleanup_free_ char *err = NULL, *full = NULL;
	int r;

	r = load(text, &c, &err);
	if (asprintf(&full, "%s:%s", conf_path, want) < 0)
		abort();
	if (r != -EINVAL || !err || !streq(err, full)) {
		tap_failed = true;
		tap_diag("line %d: got %d \"%s\", expected \"%s\"", line, r,
			 err ? err : "(null)", full);
	}
	CHECK(!c);
}

#define CHECK_ERROR(text, want) check_error(text, want, __LINE__)

/* Loads text, which must be fine. */
static struct podcam_config *load_ok(const char *text, int line)
{
	_cleanup_free_ char *err = NULL;
	struct podcam_config *c = NULL;
	int r;

	r = load(text, &c, &err);
	if (r < 0) {
		tap_failed = true;
		tap_diag("line %d: conf_load: %d %s", line, r,
			 err ? err : "");
	}
	return c;
}

#define LOAD_OK(text) load_ok(text, __LINE__)

TEST(missing_file_gives_defaults)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	char *err = NULL;

	REQUIRE(conf_load("/nonexistent/podcam.conf", &c, &err) == 0);
	CHECK(!err);
	CHECK_EQ_INT(c->n_cameras, 0);
	CHECK_STREQ(c->spool_dir, "/var/lib/podcam/spool");
	CHECK_STREQ(c->testshot_dir, "/var/lib/podcam/testshots");
	CHECK(c->spool_max_bytes == UINT64_C(1) << 30);
	CHECK(c->spool_reserve_bytes == UINT64_C(64) << 20);
	CHECK_EQ_INT(c->n_delivery_uids, 1);
	CHECK_EQ_INT(c->delivery_uids[0], 0);
	CHECK_EQ_INT(c->quality, 85);
	CHECK_STREQ(c->make, "podcam");
	CHECK_STREQ(c->model, "podcam");
	CHECK_EQ_INT(c->upload.mode, UPLOAD_MODE_HTTP);
	CHECK(!c->upload.endpoint);
	CHECK_STREQ(c->upload.region, "us-east-1");
	CHECK(c->upload.path_style);
	CHECK_EQ_INT(c->upload.concurrency, 2);
	CHECK_EQ_INT(c->upload.connect_timeout_sec, 10);
	CHECK_EQ_INT(c->upload.stall_timeout_sec, 30);
	CHECK_EQ_INT(c->upload.retry_initial_ms, 1000);
	CHECK_EQ_INT(c->upload.retry_max_sec, 300);
	CHECK_EQ_INT(c->upload.rescan_sec, 60);
	CHECK(!conf_find_camera(c, "doorbell"));
}

TEST(device_id_default_is_stable_hex)
{
	_cleanup_(conf_freep) struct podcam_config *a = NULL, *b = NULL;
	_cleanup_free_ char *machine = NULL;
	char *err = NULL;

	if (read_full_file_at(AT_FDCWD, "/etc/machine-id", 64, &machine,
			      NULL) < 0)
		SKIP("no /etc/machine-id on this machine");
	REQUIRE(conf_load("/nonexistent", &a, &err) == 0);
	REQUIRE(conf_load("/nonexistent", &b, &err) == 0);
	CHECK_EQ_INT(strlen(a->device_id), 32);
	CHECK_EQ_INT(strspn(a->device_id, "0123456789abcdef"), 32);
	CHECK_STREQ(a->device_id, b->device_id);
	/* derived from the machine id, but not the machine id itself */
	CHECK(strncmp(a->device_id, machine, 32) != 0);
}

TEST(unreadable_file_is_an_error)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	char *err = NULL;
	int r;

	/* A directory where the file should be (root reads anything else). */
	r = conf_load("/tmp", &c, &err);
	CHECK_EQ_INT(r, -EISDIR);
	CHECK(!c);
	CHECK(!err);
}

TEST(shipped_config_parses)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	_cleanup_free_ char *path = NULL, *err = NULL;
	const struct camera_config *d, *v;
	const char *src = getenv("PODCAM_SRCDIR");
	int r;

	REQUIRE(asprintf(&path, "%s/daemon/podcam.conf", src ?: ".") > 0);
	r = conf_load(path, &c, &err);
	if (r < 0)
		tap_diag("%s: %d %s", path, r, err ? err : "");
	REQUIRE(r == 0);
	CHECK(access(path, R_OK) == 0);
	CHECK_EQ_INT(c->n_cameras, 2);
	d = conf_find_camera(c, "doorbell");
	v = conf_find_camera(c, "van-curb");
	REQUIRE(d && v);
	CHECK_STREQ(d->trigger_line, "podcam-trigger");
	CHECK_STREQ(d->flash_line, "podcam-flash");
	CHECK_EQ_INT(d->trigger_mode, GPIO_TRIGGER_DOORBELL);
	CHECK_EQ_INT(v->trigger_mode, GPIO_TRIGGER_STOP);
	CHECK_STREQ(d->device, "/dev/podcam/doorbell");
	CHECK_STREQ(v->device, "/dev/podcam/van-curb");
}

TEST(camera_defaults)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	const struct camera_config *cam;

	c = LOAD_OK("[podcamd]\nQuality=70\n[camera front]\n");
	REQUIRE(c);
	CHECK_EQ_INT(c->n_cameras, 1);
	cam = conf_find_camera(c, "front");
	REQUIRE(cam);
	CHECK_STREQ(cam->role, "front");
	CHECK_STREQ(cam->device, "/dev/podcam/front");
	CHECK_STREQ(cam->gpio_chip, "podcam-front");
	CHECK_EQ_INT(cam->backend, CAPTURE_BACKEND_V4L2);
	CHECK_EQ_INT(cam->pixelformat, V4L2_PIX_FMT_NV12);
	CHECK_EQ_INT(cam->width, 1920);
	CHECK_EQ_INT(cam->height, 1080);
	CHECK_EQ_INT(cam->fps, 30);
	CHECK_EQ_INT(cam->buffers, 8);
	CHECK_EQ_INT(cam->pre_roll_ms, 34);	/* one frame at 30 fps */
	CHECK_EQ_INT(cam->post_roll_ms, 0);
	CHECK(cam->delivery_capture);
	CHECK_EQ_INT(cam->quality, 70);		/* from [podcamd] */
	CHECK_EQ_INT(cam->n_masks, 0);
	CHECK_EQ_INT(cam->queue_depth, 4);
	CHECK_EQ_INT(cam->rate_burst, 10);
	CHECK_EQ_INT(cam->rate_interval_sec, 60);
	CHECK(!cam->trigger_line);
	CHECK_EQ_INT(cam->trigger_mode, GPIO_TRIGGER_NONE);
	CHECK_EQ_INT(cam->trigger_edge, GPIO_EDGE_RISING);
	CHECK_EQ_INT(cam->debounce_ms, 50);
	CHECK_EQ_INT(cam->settle_ms, 1000);
	CHECK_EQ_INT(cam->hold_sec, 300);
	CHECK(!cam->flash_line);
	CHECK_EQ_INT(cam->flash_lead_ms, 0);
}

TEST(every_camera_key)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	const struct camera_config *cam;

	c = LOAD_OK("[camera van-curb]\n"
		    "Device=/dev/video7\n"
		    "Backend=auto\n"
		    "LibcameraId=/base/platform/podcam.0\n"
		    "Format=YUYV\n"
		    "Size=1280x720\n"
		    "FrameRate=5\n"
		    "Buffers=12\n"
		    "PreRollMs=400\n"
		    "DeliveryCapture=off\n"
		    "Quality=90\n"
		    "PrivacyMask=0,0,100x50\n"
		    "PrivacyMask = 1180,670,100x50 ; the neighbour's window\n"
		    "QueueDepth=2\n"
		    "RateLimitBurst=3\n"
		    "RateLimitIntervalSec=10\n"
		    "GpioChip=gpiochip3\n"
		    "TriggerLine=van-stopped\n"
		    "TriggerMode=stop\n"
		    "TriggerEdge=both\n"
		    "DebounceMs=0\n"
		    "SettleMs=2500\n"
		    "HoldSec=600\n"
		    "FlashLine=podcam-flash\n"
		    "FlashLeadMs=20\n");
	REQUIRE(c);
	cam = &c->cameras[0];
	CHECK_STREQ(cam->device, "/dev/video7");
	CHECK_EQ_INT(cam->backend, CAPTURE_BACKEND_AUTO);
	CHECK_STREQ(cam->libcamera_id, "/base/platform/podcam.0");
	CHECK_EQ_INT(cam->pixelformat, V4L2_PIX_FMT_YUYV);
	CHECK_EQ_INT(cam->width, 1280);
	CHECK_EQ_INT(cam->height, 720);
	CHECK_EQ_INT(cam->fps, 5);
	CHECK_EQ_INT(cam->buffers, 12);
	CHECK_EQ_INT(cam->pre_roll_ms, 400);
	CHECK_EQ_INT(cam->post_roll_ms, 0);
	CHECK(!cam->delivery_capture);
	CHECK_EQ_INT(cam->quality, 90);
	REQUIRE(cam->n_masks == 2);
	CHECK(cam->masks[1].x == 1180 && cam->masks[1].y == 670 &&
	      cam->masks[1].width == 100 && cam->masks[1].height == 50);
	CHECK_EQ_INT(cam->queue_depth, 2);
	CHECK_EQ_INT(cam->rate_burst, 3);
	CHECK_EQ_INT(cam->rate_interval_sec, 10);
	CHECK_STREQ(cam->gpio_chip, "gpiochip3");
	CHECK_STREQ(cam->trigger_line, "van-stopped");
	CHECK_EQ_INT(cam->trigger_mode, GPIO_TRIGGER_STOP);
	CHECK_EQ_INT(cam->trigger_edge, GPIO_EDGE_BOTH);
	CHECK_EQ_INT(cam->debounce_ms, 0);
	CHECK_EQ_INT(cam->settle_ms, 2500);
	CHECK_EQ_INT(cam->hold_sec, 600);
	CHECK_STREQ(cam->flash_line, "podcam-flash");
	CHECK_EQ_INT(cam->flash_lead_ms, 20);
}

TEST(podcamd_and_upload_keys)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;

	c = LOAD_OK("; comment\n"
		    "# comment\n"
		    "[podcamd]\n"
		    "DeviceId=Van-0042.east_1\n"
		    "SpoolDir=/srv/spool\n"
		    "TestShotDir=/srv/testshots\n"
		    "SpoolMaxBytes=512M\n"
		    "SpoolReserveBytes=0\n"
		    "DeliveryUsers=nobody 1234 root nobody\n"
		    "Quality=60\n"
		    "Make=ACME Corp\n"
		    "Model=Doorcam 2\n"
		    "[upload]\n"
		    "Mode=s3\n"
		    "Bucket=pod-photos.eu\n"
		    "Region=eu-central-1\n"
		    "CredentialsFile=/etc/podcam/s3.key\n"
		    "PathStyle=no\n"
		    "CAFile=/etc/podcam/ca.pem\n"
		    "ClientCertificate=/etc/podcam/client.pem\n"
		    "Concurrency=4\n"
		    "ConnectTimeoutSec=5\n"
		    "StallTimeoutSec=60\n"
		    "RetryInitialMs=250\n"
		    "RetryMaxSec=900\n"
		    "RescanSec=30\n");
	REQUIRE(c);
	CHECK_STREQ(c->device_id, "Van-0042.east_1");
	CHECK_STREQ(c->spool_dir, "/srv/spool");
	CHECK_STREQ(c->testshot_dir, "/srv/testshots");
	CHECK(c->spool_max_bytes == UINT64_C(512) << 20);
	CHECK(c->spool_reserve_bytes == 0);
	REQUIRE(c->n_delivery_uids == 3);
	CHECK_EQ_INT(c->delivery_uids[0], 0);
	CHECK_EQ_INT(c->delivery_uids[1], 65534);
	CHECK_EQ_INT(c->delivery_uids[2], 1234);
	CHECK_EQ_INT(c->quality, 60);
	CHECK_STREQ(c->make, "ACME Corp");
	CHECK_STREQ(c->model, "Doorcam 2");
	CHECK_EQ_INT(c->upload.mode, UPLOAD_MODE_S3);
	CHECK_STREQ(c->upload.bucket, "pod-photos.eu");
	CHECK_STREQ(c->upload.region, "eu-central-1");
	/* S3 without Endpoint=: AWS's endpoint for the region */
	CHECK_STREQ(c->upload.endpoint,
		    "https://s3.eu-central-1.amazonaws.com");
	CHECK_STREQ(c->upload.credentials_file, "/etc/podcam/s3.key");
	CHECK(!c->upload.path_style);
	CHECK_STREQ(c->upload.ca_file, "/etc/podcam/ca.pem");
	CHECK_STREQ(c->upload.client_cert, "/etc/podcam/client.pem");
	CHECK(!c->upload.client_key);
	CHECK(!c->upload.token_file);
	CHECK_EQ_INT(c->upload.concurrency, 4);
	CHECK_EQ_INT(c->upload.connect_timeout_sec, 5);
	CHECK_EQ_INT(c->upload.stall_timeout_sec, 60);
	CHECK_EQ_INT(c->upload.retry_initial_ms, 250);
	CHECK_EQ_INT(c->upload.retry_max_sec, 900);
	CHECK_EQ_INT(c->upload.rescan_sec, 30);
}

TEST(sizes_and_booleans)
{
	static const struct {
		const char *value;
		uint64_t bytes;
	} sizes[] = {
		{ "1048576", UINT64_C(1) << 20 },
		{ "1024K", UINT64_C(1) << 20 },
		{ "3G", UINT64_C(3) << 30 },
		{ "2T", UINT64_C(2) << 40 },
	};
	static const char *const yes[] = { "yes", "true", "1", "on", "YES" };
	static const char *const no[] = { "no", "false", "0", "off", "Off" };
	char text[128];

	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		_cleanup_(conf_freep) struct podcam_config *c = NULL;

		snprintf(text, sizeof(text), "[podcamd]\nSpoolMaxBytes=%s\n",
			 sizes[i].value);
		c = LOAD_OK(text);
		CHECK(c && c->spool_max_bytes == sizes[i].bytes);
	}
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		_cleanup_(conf_freep) struct podcam_config *c = NULL,
							    *d = NULL;

		snprintf(text, sizeof(text),
			 "[camera a]\nDeliveryCapture=%s\n", yes[i]);
		c = LOAD_OK(text);
		CHECK(c && c->cameras[0].delivery_capture);
		snprintf(text, sizeof(text),
			 "[camera a]\nDeliveryCapture=%s\n", no[i]);
		d = LOAD_OK(text);
		CHECK(d && !d->cameras[0].delivery_capture);
	}
}

TEST(value_errors_name_file_and_line)
{
	CHECK_ERROR("[podcamd]\nQualty=80\n",
		    "2: unknown key 'Qualty' in [podcamd]");
	CHECK_ERROR("\n\n[podcamd]\n\n\n\nQuality=150\n",
		    "7: Quality=150: must be 1..100");
	CHECK_ERROR("[podcamd]\nQuality=0\n", "2: Quality=0: must be 1..100");
	CHECK_ERROR("[podcamd]\nQuality=-5\n", "2: Quality=-5: not a number");
	CHECK_ERROR("[podcamd]\nQuality=8O\n", "2: Quality=8O: not a number");
	CHECK_ERROR("[podcamd]\nQuality=99999999999999999999999\n",
		    "2: Quality=99999999999999999999999: must be 1..100");
	CHECK_ERROR("[podcamd]\nQuality=\n",
		    "2: Quality=: a value is required");
	CHECK_ERROR("[podcamd]\nSpoolMaxBytes=1X\n",
		    "2: SpoolMaxBytes=1X: not a size (bytes, or a number with "
		    "K, M, G or T)");
	CHECK_ERROR("[podcamd]\nSpoolMaxBytes=1MB\n",
		    "2: SpoolMaxBytes=1MB: not a size (bytes, or a number "
		    "with K, M, G or T)");
	CHECK_ERROR("[podcamd]\nSpoolMaxBytes=100K\n",
		    "2: SpoolMaxBytes=100K: must be 1M..1P");
	CHECK_ERROR("[podcamd]\nSpoolMaxBytes=99999999999T\n",
		    "2: SpoolMaxBytes=99999999999T: must be 1M..1P");
	CHECK_ERROR("[podcamd]\nSpoolDir=var/spool\n",
		    "2: SpoolDir=var/spool: must be an absolute path");
	CHECK_ERROR("[podcamd]\nSpoolDir=/var/../etc\n",
		    "2: SpoolDir=/var/../etc: must not contain '..'");
	CHECK_ERROR("[podcamd]\nSpoolDir=\n",
		    "2: SpoolDir=: a value is required");
	CHECK_ERROR("[podcamd]\nDeviceId=../etc\n",
		    "2: DeviceId=../etc: must be 1..64 characters of A-Z a-z "
		    "0-9 . _ -, starting with a letter or digit");
	CHECK_ERROR("[podcamd]\nDeliveryUsers=root no-such-user-here\n",
		    "2: DeliveryUsers=root no-such-user-here: unknown user "
		    "'no-such-user-here'");
	CHECK_ERROR("[podcamd]\nDeliveryUsers=4294967295\n",
		    "2: DeliveryUsers=4294967295: uid 4294967295 out of range");
	CHECK_ERROR("[podcamd]\nMake=caf\xc3\xa9\n",
		    "2: Make=caf\xc3\xa9: must be 1..63 printable ASCII "
		    "characters");
	CHECK_ERROR("[podcamd]\nTestShotDir=/var/lib/podcam/spool/shots\n",
		    "2: TestShotDir=/var/lib/podcam/spool/shots must not be "
		    "inside SpoolDir=/var/lib/podcam/spool");
	CHECK_ERROR("[camera a]\nDeliveryCapture=maybe\n",
		    "2: DeliveryCapture=maybe: not a boolean (yes, no, true, "
		    "false, on, off, 1, 0)");
	CHECK_ERROR("[camera a]\nBackend=gstreamer\n",
		    "2: Backend=gstreamer: must be v4l2, libcamera or auto");
	CHECK_ERROR("[camera a]\nFormat=MJPG\n",
		    "2: Format=MJPG: must be NV12 or YUYV");
	CHECK_ERROR("[camera a]\nTriggerEdge=up\n",
		    "2: TriggerEdge=up: must be rising, falling or both");
	CHECK_ERROR("[upload]\nMode=ftp\n", "2: Mode=ftp: must be http or s3");
	CHECK_ERROR("[camera a]\nFrameRate=0\n",
		    "2: FrameRate=0: must be 1..120");
	CHECK_ERROR("[camera a]\nBuffers=3\n", "2: Buffers=3: must be 4..32");
}

TEST(frame_sizes_and_masks)
{
	static const char *const bad_sizes[] = {
		"1921x1080", "1920x1081", "8194x8192", "0x480", "32x32",
		"1920*1080", "1920x", "x1080", "1920x1080x3", " ",
	};
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	char text[128], want[160];

	for (size_t i = 0; i < ELEMENTSOF(bad_sizes); i++) {
		snprintf(text, sizeof(text), "[camera a]\nSize=%s\n",
			 bad_sizes[i]);
		snprintf(want, sizeof(want),
			 "2: Size=%s: must be WIDTHxHEIGHT, even numbers from "
			 "64 to 8192", bad_sizes[i]);
		if (streq(bad_sizes[i], " "))
			snprintf(want, sizeof(want),
				 "2: Size=: a value is required");
		CHECK_ERROR(text, want);
	}
	c = LOAD_OK("[camera a]\nSize=8192x64\n");
	CHECK(c && c->cameras[0].width == 8192 && c->cameras[0].height == 64);

	CHECK_ERROR("[camera a]\nPrivacyMask=1,2,3\n",
		    "2: PrivacyMask=1,2,3: must be X,Y,WIDTHxHEIGHT in pixels");
	CHECK_ERROR("[camera a]\nPrivacyMask=1,2,0x5\n",
		    "2: PrivacyMask=1,2,0x5: must be X,Y,WIDTHxHEIGHT in "
		    "pixels");
	/* checked against Size= even when Size= comes later */
	CHECK_ERROR("[camera a]\nPrivacyMask=0,0,10x10\n"
		    "PrivacyMask=600,400,100x100\nSize=640x480\n",
		    "3: PrivacyMask=600,400,100x100: outside the 640x480 "
		    "frame of [camera a]");
	CHECK_ERROR("[camera a]\n"
		    "PrivacyMask=0,0,1x1\nPrivacyMask=0,0,1x1\n"
		    "PrivacyMask=0,0,1x1\nPrivacyMask=0,0,1x1\n"
		    "PrivacyMask=0,0,1x1\nPrivacyMask=0,0,1x1\n"
		    "PrivacyMask=0,0,1x1\nPrivacyMask=0,0,1x1\n"
		    "PrivacyMask=0,0,1x1\n",
		    "10: PrivacyMask=0,0,1x1: more than 8 masks");
}

TEST(endpoints)
{
	static const struct {
		const char *url, *why;
	} bad[] = {
		{ "ftp://example.com", "must be an http(s) URL" },
		{ "example.com/photos",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://exa mple.com",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://user:secret@example.com",
		  "must not contain credentials; use TokenFile= or "
		  "ClientCertificate=" },
		{ "https://example.com/up?key=1",
		  "must not have a ?query or #fragment" },
		{ "https://example.com:99999/",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://example.com:0/",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://example.com:/",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://example.com:8a/",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://[::1/",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://[]/",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://ex\\ample.com/",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "://example.com",
		  "not a URL with a host (https://HOST[:PORT][/PATH])" },
		{ "https://example.com#top",
		  "must not have a ?query or #fragment" },
		{ "https://@example.com",
		  "must not contain credentials; use TokenFile= or "
		  "ClientCertificate=" },
	};
	_cleanup_(conf_freep) struct podcam_config *c = NULL, *d = NULL;
	char text[256], want[256];

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		snprintf(text, sizeof(text), "[upload]\nEndpoint=%s\n",
			 bad[i].url);
		snprintf(want, sizeof(want), "2: Endpoint=%s: %s", bad[i].url,
			 bad[i].why);
		CHECK_ERROR(text, want);
	}
	c = LOAD_OK("[upload]\nEndpoint=https://up.example.com:8443/pod//\n"
		    "TokenFile=/etc/podcam/token\n");
	CHECK(c && streq(c->upload.endpoint,
			 "https://up.example.com:8443/pod"));
	d = LOAD_OK("[upload]\nEndpoint=http://[::1]:8080\n");
	CHECK(d && streq(d->upload.endpoint, "http://[::1]:8080"));
	conf_free(d);
	d = LOAD_OK("[upload]\nEndpoint=HTTPS://photos.s3.localhost:65535\n");
	CHECK(d && streq(d->upload.endpoint, "HTTPS://photos.s3.localhost:65535"));
}

TEST(sections)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL, *d = NULL;
	_cleanup_free_ char *eight = NULL;

	CHECK_ERROR("Quality=80\n", "1: Quality= outside of a section");
	CHECK_ERROR("[podcamd]\n[podcam]\n", "2: unknown section [podcam]");
	CHECK_ERROR("[camera]\n", "1: unknown section [camera]");
	CHECK_ERROR("[podcamd]\nQuality=80\n[upload]\n[podcamd]\n",
		    "4: duplicate section [podcamd] (first on line 1)");
	CHECK_ERROR("[camera a]\n[camera b]\n[camera a]\n",
		    "3: duplicate section [camera a] (first on line 1)");
	CHECK_ERROR("[camera Door]\n",
		    "1: [camera Door]: the role must be 1..31 of a-z 0-9 -, "
		    "starting with a letter or digit");
	CHECK_ERROR("[camera -door]\n",
		    "1: [camera -door]: the role must be 1..31 of a-z 0-9 -, "
		    "starting with a letter or digit");
	CHECK_ERROR("[camera door/../x]\n",
		    "1: [camera door/../x]: the role must be 1..31 of a-z 0-9 "
		    "-, starting with a letter or digit");
	CHECK_ERROR("[camera abcdefghijklmnopqrstuvwxyz012345]\n",
		    "1: [camera abcdefghijklmnopqrstuvwxyz012345]: the role "
		    "must be 1..31 of a-z 0-9 -, starting with a letter or "
		    "digit");
	CHECK_ERROR("[podcamd] Quality=1\n", "1: text after [podcamd]");
	CHECK_ERROR("[podcamd]\nQuality=80\nQuality=81\n",
		    "3: duplicate key 'Quality' in [podcamd] (first on line "
		    "2)");

	REQUIRE(asprintf(&eight, "[camera a]\n[camera b]\n[camera c]\n"
			 "[camera d]\n[camera e]\n[camera f]\n[camera g]\n"
			 "[camera h]\n") > 0);
	c = LOAD_OK(eight);
	CHECK(c && c->n_cameras == 8 && conf_find_camera(c, "h"));
	CHECK(!conf_find_camera(c, "i"));
	CHECK_ERROR("[camera a]\n[camera b]\n[camera c]\n[camera d]\n"
		    "[camera e]\n[camera f]\n[camera g]\n[camera h]\n"
		    "[camera i]\n",
		    "9: more than 8 cameras");

	/* a 31-character role, a comment after the header, a UTF-8 BOM */
	d = LOAD_OK("\xef\xbb\xbf[camera abcdefghijklmnopqrstuvwxyz01234] "
		    "; comment\nQuality=50\n");
	CHECK(d && d->n_cameras == 1 && d->cameras[0].quality == 50);
}

TEST(lines)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	_cleanup_free_ char *long_ok = NULL, *too_long = NULL, *p = NULL;

	CHECK_ERROR("[podcamd]\nQuality 80\n",
		    "2: syntax error (expected [section], Key=Value or a "
		    "comment)");
	CHECK_ERROR("[podcamd\nQuality=80\n",
		    "1: syntax error (expected [section], Key=Value or a "
		    "comment)");
	/* no continuation lines: an indented line is a line of its own */
	CHECK_ERROR("[podcamd]\nDeliveryUsers=root\n  nobody\n",
		    "3: syntax error (expected [section], Key=Value or a "
		    "comment)");

	/* a line longer than inih's 200-byte default keeps its number */
	REQUIRE(asprintf(&p, "/%0300d", 0) > 0);
	REQUIRE(asprintf(&long_ok, "[podcamd]\nSpoolDir=%s\nQualty=1\n", p) >
		0);
	CHECK_ERROR(long_ok, "3: unknown key 'Qualty' in [podcamd]");
	free(long_ok);
	REQUIRE(asprintf(&long_ok, "[podcamd]\nSpoolDir=%s\n", p) > 0);
	c = LOAD_OK(long_ok);
	CHECK(c && streq(c->spool_dir, p));

	REQUIRE(asprintf(&too_long, "[podcamd]\nSpoolDir=/%05000d\n", 0) > 0);
	CHECK_ERROR(too_long, "2: line longer than 4096 characters");
}

TEST(nul_byte)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL;
	static const char text[] = "[podcamd]\nMake=a\0b\n";
	_cleanup_free_ char *err = NULL, *want = NULL;

	write_conf(text, sizeof(text) - 1);
	CHECK_EQ_INT(conf_load(conf_path, &c, &err), -EINVAL);
	REQUIRE(asprintf(&want, "%s:2: NUL byte in line", conf_path) > 0);
	CHECK_STREQ(err, want);
}

TEST(cross_checks)
{
	_cleanup_(conf_freep) struct podcam_config *c = NULL, *d = NULL;

	CHECK_ERROR("[upload]\nMode=s3\nCredentialsFile=/k\n",
		    "2: Mode=s3 needs Bucket= in [upload]");
	CHECK_ERROR("[upload]\nBucket=abc\nMode=s3\n",
		    "3: Mode=s3 needs CredentialsFile= in [upload]");
	CHECK_ERROR("[upload]\nMode=s3\nBucket=abc\nCredentialsFile=/k\n"
		    "TokenFile=/t\n",
		    "5: TokenFile= only applies to Mode=http in [upload]");
	CHECK_ERROR("[upload]\nBucket=abc\n",
		    "2: Bucket= only applies to Mode=s3 in [upload]");
	CHECK_ERROR("[upload]\nBucket=Abc\n",
		    "2: Bucket=Abc: not an S3 bucket name (3..63 of a-z 0-9 . "
		    "-, starting and ending with a letter or digit)");
	CHECK_ERROR("[upload]\nClientKey=/k.pem\n",
		    "2: ClientKey= needs ClientCertificate= in [upload]");
	CHECK_ERROR("[upload]\nRetryInitialMs=5000\nRetryMaxSec=2\n",
		    "2: RetryInitialMs=5000 is more than RetryMaxSec=2");
	CHECK_ERROR("[camera a]\nTriggerMode=stop\n",
		    "2: TriggerMode= needs TriggerLine= in [camera a]");
	CHECK_ERROR("[camera a]\nQuality=80\nHoldSec=10\n",
		    "3: HoldSec= needs TriggerLine= in [camera a]");
	CHECK_ERROR("[camera a]\nTriggerLine=btn\nSettleMs=10\n",
		    "3: SettleMs= and HoldSec= only apply to TriggerMode=stop "
		    "in [camera a]");
	CHECK_ERROR("[camera a]\nFlashLeadMs=10\n",
		    "2: FlashLeadMs= needs FlashLine= in [camera a]");
	CHECK_ERROR("[camera a]\nLibcameraId=x\n",
		    "2: LibcameraId= needs Backend=libcamera or auto in "
		    "[camera a]");
	CHECK_ERROR("[camera a]\nPreRollMs=200\n",
		    "2: PreRollMs=200: longer than the 166 ms that Buffers=8 "
		    "hold at FrameRate=30 in [camera a]");

	c = LOAD_OK("[camera a]\nTriggerLine=podcam-trigger\n");
	CHECK(c && c->cameras[0].trigger_mode == GPIO_TRIGGER_DOORBELL);
	d = LOAD_OK("[camera a]\nPreRollMs=200\nBuffers=10\n"
		    "TriggerLine=\nFlashLine=\n");
	CHECK(d && d->cameras[0].pre_roll_ms == 200 &&
	      !d->cameras[0].trigger_line);
}

TEST(free_is_null_safe)
{
	CHECK(conf_free(NULL) == NULL);
	CHECK(!conf_find_camera(NULL, "a"));
}
