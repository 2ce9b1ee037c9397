/* SPDX-License-Identifier: GPL-2.0 */
/*
 * podcam: a virtual delivery camera, one V4L2 capture node and one GPIO
 * chip per instance. Shared definitions of the core, video, scene and
 * GPIO parts.
 */
#ifndef _PODCAM_H
#define _PODCAM_H

#include <linux/atomic.h>
#include <linux/gpio/driver.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-dev.h>
#include <media/v4l2-device.h>
#include <media/videobuf2-v4l2.h>

#include "podcam-uapi.h"

#define PODCAM_NAME		"podcam"
#define PODCAM_MAX_DEVICES	8
#define PODCAM_ROLE_MAX		31

/* GPIO lines of every instance. */
#define PODCAM_LINE_TRIGGER	0
#define PODCAM_LINE_FLASH	1
#define PODCAM_NUM_LINES	2

/*
 * Steps that error injection can fail: the probe steps through the
 * fail_probe module parameter, the start_streaming steps through the
 * fail_streamon debugfs file. Keep podcam_fail_names[] in step.
 */
enum podcam_fail {
	PODCAM_FAIL_NONE,
	PODCAM_FAIL_ALLOC,
	PODCAM_FAIL_V4L2,
	PODCAM_FAIL_CTRLS,
	PODCAM_FAIL_QUEUE,
	PODCAM_FAIL_IRQ,
	PODCAM_FAIL_GPIO,
	PODCAM_FAIL_VIDEO,
	PODCAM_FAIL_SCENE,
	PODCAM_FAIL_START,
	PODCAM_FAIL_COUNT,
};

#define PODCAM_FAIL_FIRST_STREAMON	PODCAM_FAIL_SCENE

extern const char *const podcam_fail_names[PODCAM_FAIL_COUNT];

/**
 * struct podcam_image - a still image loaded as the scene
 * @width: width in pixels
 * @height: height in pixels
 * @rgb: packed 8-bit R, G, B samples, row after row
 */
struct podcam_image {
	u32 width;
	u32 height;
	u8 *rgb;
};

/**
 * struct podcam_tpl - the static scene rendered for one format
 * @fourcc: V4L2_PIX_FMT_NV12 or V4L2_PIX_FMT_YUYV
 * @width: frame width
 * @height: frame height
 * @blur: motion blur strength it was rendered with
 * @gen: scene generation it was rendered from (&podcam_dev.scene_gen)
 * @synthetic: rendered from the synthetic scene (draw the moving element)
 * @size: bytes in @data, the format's sizeimage
 * @data: the frame
 *
 * Every frame is a copy of the template plus the moving element, so that
 * a frame costs about one memcpy.
 */
struct podcam_tpl {
	u32 fourcc;
	u32 width;
	u32 height;
	u32 blur;
	u64 gen;
	bool synthetic;
	size_t size;
	u8 *data;
};

struct podcam_gpio;

/**
 * struct podcam_buffer - a capture buffer
 * @vb: the vb2 buffer, first
 * @list: entry in &podcam_dev.buf_list while queued to the driver
 */
struct podcam_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
};

/**
 * struct podcam_dev - one camera
 * @pdev: the platform device podcam.N
 * @id: N
 * @role: role name, from the roles= parameter
 * @v4l2_dev: V4L2 device; its release callback frees this structure
 * @vdev: the video node
 * @queue: the vb2 capture queue
 * @ctrl_handler: controls
 * @ctrl_flash: V4L2_CID_ILLUMINATORS_1
 * @debugfs: /sys/kernel/debug/podcam/<role>
 * @lock: serializes the ioctls and the vb2 queue (it is the video_device
 *	and vb2_queue lock; the control ioctls hold it too, and then the
 *	control handler's own lock); protects @fmt, @interval, @blur,
 *	@image, @scene_gen and @fail_streamon, and writers of @tpl
 * @fmt: current format
 * @interval: index of the current frame interval
 * @blur: motion blur strength (control value)
 * @image: loaded still image, NULL for the synthetic scene
 * @scene_gen: bumped whenever @image changes
 * @fail_streamon: one-shot injected start_streaming failure
 * @scene_lock: protects @tpl against the frame work; @tpl changes only
 *	with both @lock and @scene_lock held, so holders of @lock may read it
 * @tpl: the frame template of the current scene
 * @qlock: protects @buf_list
 * @buf_list: buffers queued to the driver, oldest first
 * @timer: frame clock, one expiry per frame period while streaming
 * @frame_work: produces a frame; queued by @timer
 * @periods: frame periods not yet handled by @frame_work
 * @period_ns: frame period in ns, written under @lock, read by @timer
 * @sequence: sequence number of the next frame; only @frame_work touches
 *	it while streaming
 * @dropped: frame periods without a delivered frame since STREAMON
 * @flash: flash on (control value), read by the frame work and GPIO
 * @gpio: the GPIO chip's state (podcam-gpio.c), which may outlive this
 */
struct podcam_dev {
	struct platform_device *pdev;
	unsigned int id;
	char role[PODCAM_ROLE_MAX + 1];

	struct v4l2_device v4l2_dev;
	struct video_device vdev;
	struct vb2_queue queue;
	struct v4l2_ctrl_handler ctrl_handler;
	struct v4l2_ctrl *ctrl_flash;
	struct dentry *debugfs;

	struct mutex lock;		/* see above */
	struct v4l2_pix_format fmt;
	unsigned int interval;
	u32 blur;
	struct podcam_image *image;
	u64 scene_gen;
	enum podcam_fail fail_streamon;

	struct mutex scene_lock;	/* see above */
	struct podcam_tpl *tpl;

	spinlock_t qlock;		/* see above */
	struct list_head buf_list;

	struct hrtimer timer;
	struct work_struct frame_work;
	atomic_t periods;
	u64 period_ns;
	u32 sequence;
	atomic64_t dropped;
	bool flash;

	struct podcam_gpio *gpio;
};

/* podcam-core.c */
extern struct workqueue_struct *podcam_wq;
int podcam_fail_streamon(struct podcam_dev *dev, enum podcam_fail step);

/* podcam-video.c */
int podcam_ctrls_init(struct podcam_dev *dev);
int podcam_queue_init(struct podcam_dev *dev);
int podcam_video_register(struct podcam_dev *dev);
void podcam_video_set_flash(struct podcam_dev *dev, bool on);

/* podcam-scene.c */
int podcam_scene_prepare(struct podcam_dev *dev);
int podcam_scene_set_blur(struct podcam_dev *dev, u32 blur);
void podcam_scene_fill(struct podcam_dev *dev, u8 *frame, size_t size,
		       u64 ts_ns);
void podcam_scene_free(struct podcam_dev *dev);
extern const struct file_operations podcam_scene_fops;

/* podcam-gpio.c */
int podcam_gpio_alloc(struct podcam_dev *dev);
void podcam_gpio_put(struct podcam_dev *dev);
int podcam_gpio_add(struct podcam_dev *dev);
void podcam_gpio_remove(struct podcam_dev *dev);
void podcam_gpio_exit(void);
extern const struct file_operations podcam_trigger_fops;

#endif /* _PODCAM_H */
