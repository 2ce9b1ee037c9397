// SPDX-License-Identifier: GPL-2.0
/*
 * podcam.conf (conf.h is the contract, docs/config.md the manual).
 *
 * inih splits the lines into sections and Key=Value pairs; every key has an
 * entry in one of three tables below saying where it goes and which parser
 * of conf-value.c checks its value. The lines are fed to inih by our own
 * reader so that we know the line number of every key (Debian's inih calls
 * the handler without it) and see every section header, also one with no
 * keys. Whatever involves more than one key is checked once the whole file
 * is read.
 */

#include <ini.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <stddef.h>
#include <systemd/sd-id128.h>

#include "conf-value.h"
#include "conf.h"
#include "util.h"

#define CONF_LINE_MAX 4096	/* characters on one line */
#define NAME_MAX_LEN 64		/* DeviceId= */
#define SHOWN_VALUE_MAX 64	/* of a bad value, in a message */
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

/*
 * One table entry: KEY("Quality", uint, struct podcam_config, quality, 1,
 * 100, false) checks Quality= with conf_parse_uint() against 1..100 and
 * stores it in quality. opt: "Key=" is allowed (none, or the default).
 */
#define KEY(n, fn, type, member, lo, hi, opt)                              \
	{ .name = n, .parse = conf_parse_##fn,                             \
	  .offset = offsetof(type, member), .min = lo, .max = hi,          \
	  .empty_ok = opt }
#define D(n, fn, member, lo, hi, opt) \
	KEY(n, fn, struct podcam_config, member, lo, hi, opt)
#define C(n, fn, member, lo, hi, opt) \
	KEY(n, fn, struct camera_config, member, lo, hi, opt)
#define U(n, fn, member, lo, hi, opt) \
	KEY(n, fn, struct upload_config, member, lo, hi, opt)
#define ENUM(n, type, member, e)                                       \
	{ .name = n, .parse = conf_parse_enum,                         \
	  .offset = offsetof(type, member), .enums = e }

#define MiB (UINT64_C(1) << 20)
#define PiB (UINT64_C(1) << 50)

static const struct conf_key podcamd_keys[] = {
	D("DeviceId", device_id, device_id, 1, NAME_MAX_LEN, false),
	D("SpoolDir", path, spool_dir, 0, 0, false),
	D("TestShotDir", path, testshot_dir, 0, 0, false),
	D("SpoolMaxBytes", bytes, spool_max_bytes, MiB, PiB, false),
	D("SpoolReserveBytes", bytes, spool_reserve_bytes, 0, PiB, false),
	D("DeliveryUsers", users, delivery_uids, 0, 0, true),
	D("Quality", uint, quality, 1, 100, false),
	D("Make", text, make, 1, 63, false),
	D("Model", text, model, 1, 63, false),
};

static const struct conf_key camera_keys[] = {
	C("Device", path, device, 0, 0, true),
	ENUM("Backend", struct camera_config, backend, backend_enums),
	C("LibcameraId", text, libcamera_id, 1, 255, true),
	C("Format", format, pixelformat, 0, 0, false),
	C("Size", frame_size, width, 0, 0, false),
	C("FrameRate", uint, fps, 1, 120, false),
	C("Buffers", uint, buffers, 4, 32, false),
	C("PreRollMs", uint, pre_roll_ms, 0, 5000, false),
	C("PostRollMs", uint, post_roll_ms, 0, 5000, false),
	C("DeliveryCapture", boolean, delivery_capture, 0, 0, false),
	C("Quality", uint, quality, 1, 100, false),
	{ .name = "PrivacyMask", .parse = conf_parse_mask,
	  .offset = offsetof(struct camera_config, masks),
	  .repeatable = true },
	C("QueueDepth", uint, queue_depth, 1, 64, false),
	C("RateLimitBurst", uint, rate_burst, 1, 1000, false),
	C("RateLimitIntervalSec", uint, rate_interval_sec, 1, 86400, false),
	C("GpioChip", text, gpio_chip, 1, 31, true),
	C("TriggerLine", text, trigger_line, 1, 31, true),
	ENUM("TriggerMode", struct camera_config, trigger_mode,
	     trigger_mode_enums),
	ENUM("TriggerEdge", struct camera_config, trigger_edge, edge_enums),
	C("DebounceMs", uint, debounce_ms, 0, 1000, false),
	C("SettleMs", uint, settle_ms, 0, 60000, false),
	C("HoldSec", uint, hold_sec, 1, 86400, false),
	C("FlashLine", text, flash_line, 1, 31, true),
	C("FlashLeadMs", uint, flash_lead_ms, 0, 2000, false),
};

static const struct conf_key upload_keys[] = {
	ENUM("Mode", struct upload_config, mode, mode_enums),
	U("Endpoint", url, endpoint, 0, 0, true),
	U("TokenFile", path, token_file, 0, 0, true),
	U("ClientCertificate", path, client_cert, 0, 0, true),
	U("ClientKey", path, client_key, 0, 0, true),
	U("CAFile", path, ca_file, 0, 0, true),
	U("Bucket", bucket, bucket, 0, 0, false),
	U("Region", region, region, 0, 0, false),
	U("CredentialsFile", path, credentials_file, 0, 0, true),
	U("PathStyle", boolean, path_style, 0, 0, false),
	U("Concurrency", uint, concurrency, 1, 16, false),
	U("ConnectTimeoutSec", uint, connect_timeout_sec, 1, 300, false),
	U("StallTimeoutSec", uint, stall_timeout_sec, 1, 3600, false),
	U("RetryInitialMs", uint, retry_initial_ms, 10, 3600 * 1000, false),
	U("RetryMaxSec", uint, retry_max_sec, 1, 86400, false),
	U("RescanSec", uint, rescan_sec, 1, 86400, false),
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
		if (!conf_role_is_valid(role))
			return conf_error(p, "[camera %.*s]: the role must be "
					  "1..%d of a-z 0-9 -, starting with "
					  "a letter or digit", SHOWN_VALUE_MAX,
					  role, CONF_ROLE_MAX);
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
	char why[CONF_WHY_MAX];
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

	r = k->parse(k, value, (uint8_t *)base + k->offset, base, why);
	if (r == -EINVAL) {
		/* "Key=Value: why", an overlong value cut short */
		conf_error(p, "%s=%.*s%s: %s", name, SHOWN_VALUE_MAX, value,
			   strlen(value) > SHOWN_VALUE_MAX ? "..." : "", why);
		return 0;
	}
	if (r < 0) {
		conf_fail(p, r);
		return 0;
	}
	lines[k - keys] = p->lineno;
	if (k->parse == conf_parse_mask) {
		unsigned int i = p->camera - p->c->cameras;

		p->mask_line[i][p->camera->n_masks - 1] = p->lineno;
	}
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
	/* The newest frame: a photo at most one frame period old, at once. */
	if (!camera_key(p, i, "PreRollMs"))
		cam->pre_roll_ms = (1000 + cam->fps - 1) / cam->fps;

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
	if (camera_key(p, i, "PreRollMs") && cam->pre_roll_ms > ring_ms) {
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
