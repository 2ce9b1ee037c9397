/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /etc/podcam/podcam.conf, shared by podcamd and podcam-upload: one file,
 * read with inih, every section and key known (unknown ones are errors with
 * their line number). docs/config.md documents every key.
 *
 *	[podcamd]		device-wide settings
 *	[camera ROLE]		one per camera, ROLE as in /dev/podcam/ROLE
 *	[upload]		podcam-upload
 */
#ifndef PODCAM_CONF_H
#define PODCAM_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PODCAM_CONF_FILE "/etc/podcam/podcam.conf"
#define PODCAM_MAX_CAMERAS 8
#define PODCAM_MAX_MASKS 8
#define PODCAM_MAX_USERS 16

enum capture_backend {
	CAPTURE_BACKEND_V4L2,
	CAPTURE_BACKEND_LIBCAMERA,
	CAPTURE_BACKEND_AUTO,
};

enum gpio_trigger_mode {
	GPIO_TRIGGER_NONE,
	GPIO_TRIGGER_DOORBELL,	/* capture at once, trigger "gpio" */
	GPIO_TRIGGER_STOP,	/* capture after SettleMs and hold, "stop" */
};

enum gpio_edge {
	GPIO_EDGE_RISING,
	GPIO_EDGE_FALLING,
	GPIO_EDGE_BOTH,
};

enum upload_mode {
	UPLOAD_MODE_HTTP,
	UPLOAD_MODE_S3,
};

struct mask_rect {
	unsigned int x, y, width, height;
};

struct camera_config {
	char *role;			/* [camera ROLE] */
	char *device;			/* Device=, default /dev/podcam/ROLE */
	enum capture_backend backend;	/* Backend=v4l2|libcamera|auto */
	char *libcamera_id;		/* LibcameraId= */
	uint32_t pixelformat;		/* Format=NV12|YUYV (V4L2 fourcc) */
	unsigned int width, height;	/* Size=1920x1080 */
	unsigned int fps;		/* FrameRate=30 */
	unsigned int buffers;		/* Buffers=8, ring plus driver queue */
	unsigned int pre_roll_ms;	/* PreRollMs=0 */
	unsigned int post_roll_ms;	/* PostRollMs=, default one frame period */
	bool delivery_capture;		/* DeliveryCapture=yes */
	unsigned int quality;		/* Quality=, default [podcamd] Quality= */
	struct mask_rect masks[PODCAM_MAX_MASKS];	/* PrivacyMask=X,Y,WxH */
	unsigned int n_masks;
	unsigned int queue_depth;	/* QueueDepth=4, pending triggers */
	unsigned int rate_burst;	/* RateLimitBurst=10 triggers ... */
	unsigned int rate_interval_sec;	/* RateLimitIntervalSec=60 ... per */

	char *gpio_chip;		/* GpioChip=, default label podcam-ROLE */
	char *trigger_line;		/* TriggerLine=, empty: no GPIO trigger */
	enum gpio_trigger_mode trigger_mode;	/* TriggerMode=doorbell|stop */
	enum gpio_edge trigger_edge;	/* TriggerEdge=rising|falling|both */
	unsigned int debounce_ms;	/* DebounceMs=50 */
	unsigned int settle_ms;		/* SettleMs=1000, van stop */
	unsigned int hold_sec;		/* HoldSec=300, van stop */
	char *flash_line;		/* FlashLine=, empty: no flash */
	unsigned int flash_lead_ms;	/* FlashLeadMs=, flash on before */
};

struct upload_config {
	enum upload_mode mode;		/* Mode=http|s3 */
	char *endpoint;			/* Endpoint=https://host[:port][/path] */
	char *token_file;		/* TokenFile=, bearer token */
	char *client_cert;		/* ClientCertificate=, PEM */
	char *client_key;		/* ClientKey=, PEM */
	char *ca_file;			/* CAFile=, default: system CAs */
	char *bucket;			/* Bucket=, S3 */
	char *region;			/* Region=us-east-1, S3 */
	char *credentials_file;		/* CredentialsFile=, S3 keys */
	bool path_style;		/* PathStyle=yes, S3 addressing */
	unsigned int concurrency;	/* Concurrency=2 */
	unsigned int connect_timeout_sec;	/* ConnectTimeoutSec=10 */
	unsigned int stall_timeout_sec;	/* StallTimeoutSec=30 */
	unsigned int retry_initial_ms;	/* RetryInitialMs=1000 */
	unsigned int retry_max_sec;	/* RetryMaxSec=300 */
	unsigned int rescan_sec;	/* RescanSec=60 */
};

struct podcam_config {
	char *device_id;		/* DeviceId=, default from machine-id */
	char *spool_dir;		/* SpoolDir=/var/lib/podcam/spool */
	char *testshot_dir;		/* TestShotDir=/var/lib/podcam/testshots */
	uint64_t spool_max_bytes;	/* SpoolMaxBytes=1G */
	uint64_t spool_reserve_bytes;	/* SpoolReserveBytes=64M */
	uid_t delivery_uids[PODCAM_MAX_USERS];	/* DeliveryUsers=, + root */
	unsigned int n_delivery_uids;
	unsigned int quality;		/* Quality=85 */
	char *make;			/* Make=podcam, EXIF */
	char *model;			/* Model=, EXIF */

	struct camera_config cameras[PODCAM_MAX_CAMERAS];
	unsigned int n_cameras;

	struct upload_config upload;
};

/*
 * Reads path into a new config. A missing file gives the defaults (no
 * cameras). On a syntax or value error returns -EINVAL and, when ret_error
 * is not NULL, a message "PATH:LINE: what is wrong" in *ret_error (to be
 * freed by the caller). Other failures return negative errno.
 */
int conf_load(const char *path, struct podcam_config **ret, char **ret_error);
struct podcam_config *conf_free(struct podcam_config *c);
const struct camera_config *conf_find_camera(const struct podcam_config *c,
					     const char *role);

static inline void conf_freep(struct podcam_config **c)
{
	conf_free(*c);
}

#endif
