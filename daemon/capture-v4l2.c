// SPDX-License-Identifier: GPL-2.0
/*
 * V4L2 capture backend: mmap streaming on the sd-event loop. Only a few
 * buffers stay queued to the driver; every dequeued buffer is handed to the
 * camera, which holds it in its ring of recent frames until it gives it
 * back. No frame is copied.
 */

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "capture.h"
#include "util.h"

#define V4L2_MAX_BUFFERS 32
/* Buffers kept with the driver ("2 or 3", SPEC section 4). */
#define V4L2_QUEUED 3

struct v4l2_buf {
	uint8_t *start;
	size_t length;
	bool queued;		/* with the driver */
	bool held;		/* with the camera's ring */
};

struct capture_v4l2 {
	struct capture base;
	int fd;
	sd_event *event;
	sd_event_source *io;
	sd_event_source *defer_lost;
	int lost_error;
	const struct capture_callbacks *cb;
	void *userdata;

	struct v4l2_buf bufs[V4L2_MAX_BUFFERS];
	unsigned int n_bufs, n_queued;

	uint32_t pixelformat;
	unsigned int width, height, stride, period_usec;
	char format[64];

	uint32_t dropped_ctrl;	/* podcam's "Frames Dropped", 0 if none */
	uint64_t gaps;		/* frames missing between sequence numbers */
	uint32_t last_sequence;
	bool have_sequence;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? negative_errno() : r;
}

static struct capture_v4l2 *to_v4l2(struct capture *c)
{
	return (struct capture_v4l2 *)c;
}

static void fourcc_str(uint32_t f, char s[5])
{
	for (int i = 0; i < 4; i++)
		s[i] = (char)((f >> (8 * i)) & 0xff);
	s[4] = '\0';
}

static uint64_t clock_usec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int queue_buffer(struct capture_v4l2 *v, unsigned int i)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
		.index = i,
	};
	int r;

	r = xioctl(v->fd, VIDIOC_QBUF, &b);
	if (r < 0)
		return r;
	v->bufs[i].queued = true;
	v->n_queued++;
	return 0;
}

/* Report a lost device from the loop, never from inside a caller. */
static int on_defer_lost(sd_event_source *s, void *userdata)
{
	struct capture_v4l2 *v = userdata;

	v->cb->lost(v->userdata, v->lost_error);
	return 0;
}

static void schedule_lost(struct capture_v4l2 *v, int error)
{
	if (v->defer_lost)
		return;
	v->lost_error = error;
	v->io = sd_event_source_disable_unref(v->io);
	if (sd_event_add_defer(v->event, &v->defer_lost, on_defer_lost, v) < 0)
		v->cb->lost(v->userdata, error);
}

/* Keeps V4L2_QUEUED buffers with the driver from those nobody holds. */
static int refill(struct capture_v4l2 *v)
{
	for (unsigned int i = 0; i < v->n_bufs && v->n_queued < V4L2_QUEUED;
	     i++) {
		int r;

		if (v->bufs[i].queued || v->bufs[i].held)
			continue;
		r = queue_buffer(v, i);
		if (r < 0)
			return r;
	}
	return 0;
}

static void v4l2_release(struct capture *c, unsigned int id)
{
	struct capture_v4l2 *v = to_v4l2(c);
	int r;

	if (id >= v->n_bufs || !v->bufs[id].held)
		return;
	v->bufs[id].held = false;
	r = refill(v);
	if (r < 0)
		schedule_lost(v, r);
}

/*
 * One buffer per wakeup: the watch is level-triggered, so when more are
 * done the loop comes straight back, and a frame costs one DQBUF, not a
 * second one that only says EAGAIN.
 */
static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct capture_v4l2 *v = userdata;
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct capture_frame f;
	uint64_t ts, now_mono, now_real;
	int r;

	r = xioctl(v->fd, VIDIOC_DQBUF, &b);
	if (r == -EAGAIN && !(revents & (EPOLLERR | EPOLLHUP)))
		return 0;
	if (r < 0) {
		/* Unplugged (ENODEV) or broken: the camera decides. */
		schedule_lost(v, r == -EAGAIN ? -ENODEV : r);
		return 0;
	}
	if (b.index >= v->n_bufs || !v->bufs[b.index].queued) {
		schedule_lost(v, -EIO);
		return 0;
	}
	v->bufs[b.index].queued = false;
	v->n_queued--;

	if (b.flags & V4L2_BUF_FLAG_ERROR || b.bytesused == 0) {
		/* A corrupt frame: straight back to the driver. */
		r = refill(v);
		if (r < 0)
			schedule_lost(v, r);
		return 0;
	}

	if (v->have_sequence && b.sequence > v->last_sequence + 1)
		v->gaps += b.sequence - v->last_sequence - 1;
	v->last_sequence = b.sequence;
	v->have_sequence = true;

	ts = (uint64_t)b.timestamp.tv_sec * 1000000 +
	     (uint64_t)b.timestamp.tv_usec;
	now_mono = clock_usec(CLOCK_MONOTONIC);
	now_real = clock_usec(CLOCK_REALTIME);
	f = (struct capture_frame){
		.id = b.index,
		.view = {
			.data = v->bufs[b.index].start,
			.bytesused = b.bytesused,
			.pixelformat = v->pixelformat,
			.width = v->width,
			.height = v->height,
			.bytesperline = v->stride,
		},
		.mono_usec = ts,
		.realtime_usec = now_real - MIN(now_real,
						now_mono - MIN(ts, now_mono)),
		.sequence = b.sequence,
	};
	v->bufs[b.index].held = true;

	/* Feed the driver first, so it never starves while we work. */
	r = refill(v);
	if (r < 0) {
		schedule_lost(v, r);
		return 0;
	}
	v->cb->frame(v->userdata, &f);
	return 0;
}

static const char *v4l2_format(struct capture *c)
{
	return to_v4l2(c)->format;
}

static uint64_t v4l2_dropped(struct capture *c)
{
	struct capture_v4l2 *v = to_v4l2(c);
	struct v4l2_ext_control ctrl = { .id = v->dropped_ctrl };
	struct v4l2_ext_controls ctrls = {
		.which = V4L2_CTRL_WHICH_CUR_VAL,
		.count = 1,
		.controls = &ctrl,
	};

	if (v->dropped_ctrl && xioctl(v->fd, VIDIOC_G_EXT_CTRLS, &ctrls) >= 0)
		return v->gaps + (uint64_t)ctrl.value64;
	return v->gaps;
}

static unsigned int v4l2_ring_size(struct capture *c)
{
	struct capture_v4l2 *v = to_v4l2(c);

	return v->n_bufs - V4L2_QUEUED;
}

static unsigned int v4l2_frame_period(struct capture *c)
{
	return to_v4l2(c)->period_usec;
}

static void v4l2_close(struct capture *c)
{
	struct capture_v4l2 *v = to_v4l2(c);
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	v->io = sd_event_source_disable_unref(v->io);
	v->defer_lost = sd_event_source_disable_unref(v->defer_lost);
	if (v->fd >= 0)
		(void)xioctl(v->fd, VIDIOC_STREAMOFF, &type);
	for (unsigned int i = 0; i < v->n_bufs; i++)
		if (v->bufs[i].start)
			munmap(v->bufs[i].start, v->bufs[i].length);
	safe_close(v->fd);
	free(v);
}

/* Finds a driver's dropped-frame counter by name (podcam.ko has one). */
static uint32_t find_dropped_control(int fd)
{
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };

	while (xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q) >= 0) {
		if (q.type == V4L2_CTRL_TYPE_INTEGER64 &&
		    streq(q.name, "Frames Dropped"))
			return q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return 0;
}

static int set_format(struct capture_v4l2 *v, const struct camera_config *cfg,
		      char **ret_error)
{
	struct v4l2_format fmt = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_streamparm parm = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	char want[5], got[5];
	int r;

	fmt.fmt.pix.pixelformat = cfg->pixelformat;
	fmt.fmt.pix.width = cfg->width;
	fmt.fmt.pix.height = cfg->height;
	fmt.fmt.pix.field = V4L2_FIELD_NONE;
	r = xioctl(v->fd, VIDIOC_S_FMT, &fmt);
	if (r < 0) {
		*ret_error = strdup_printf("VIDIOC_S_FMT failed: %s", strerror(-r));
		return r;
	}
	fourcc_str(cfg->pixelformat, want);
	fourcc_str(fmt.fmt.pix.pixelformat, got);
	if (fmt.fmt.pix.pixelformat != cfg->pixelformat) {
		*ret_error = strdup_printf("%s cannot give %s (it offers %s)",
			 cfg->device, want, got);
		return -EMEDIUMTYPE;
	}
	if (fmt.fmt.pix.field != V4L2_FIELD_NONE ||
	    fmt.fmt.pix.width % 2 || fmt.fmt.pix.height % 2) {
		*ret_error = strdup_printf("%s gives an unusable %ux%u field %u",
			 cfg->device, fmt.fmt.pix.width, fmt.fmt.pix.height,
			 fmt.fmt.pix.field);
		return -EMEDIUMTYPE;
	}
	v->pixelformat = fmt.fmt.pix.pixelformat;
	v->width = fmt.fmt.pix.width;
	v->height = fmt.fmt.pix.height;
	v->stride = fmt.fmt.pix.bytesperline;

	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = cfg->fps;
	if (xioctl(v->fd, VIDIOC_S_PARM, &parm) >= 0 &&
	    parm.parm.capture.timeperframe.denominator > 0)
		v->period_usec = (unsigned int)(
			1000000ULL * parm.parm.capture.timeperframe.numerator /
			parm.parm.capture.timeperframe.denominator);
	else
		v->period_usec = 1000000 / cfg->fps;

	snprintf(v->format, sizeof(v->format), "%s %ux%u %ufps", got,
		 v->width, v->height,
		 (1000000 + v->period_usec / 2) / MAX(v->period_usec, 1u));
	return 0;
}

static int map_buffers(struct capture_v4l2 *v, unsigned int count)
{
	struct v4l2_requestbuffers req = {
		.count = MIN(count, (unsigned int)V4L2_MAX_BUFFERS),
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	int r;

	r = xioctl(v->fd, VIDIOC_REQBUFS, &req);
	if (r < 0)
		return r;
	if (req.count <= V4L2_QUEUED)
		return -ENOBUFS;

	for (unsigned int i = 0; i < req.count; i++) {
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
			.index = i,
		};
		void *p;

		r = xioctl(v->fd, VIDIOC_QUERYBUF, &b);
		if (r < 0)
			return r;
		p = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED,
			 v->fd, b.m.offset);
		if (p == MAP_FAILED)
			return negative_errno();
		v->bufs[i].start = p;
		v->bufs[i].length = b.length;
		v->n_bufs = i + 1;
	}
	return 0;
}

static int v4l2_open(const struct camera_config *cfg, sd_event *event,
		     const struct capture_callbacks *cb, void *userdata,
		     struct capture **ret, char **ret_error)
{
	struct capture_v4l2 *v;
	struct v4l2_capability cap = {};
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	_cleanup_free_ char *error = NULL;
	uint32_t caps;
	int r;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->base.ops = &capture_v4l2_ops;
	v->event = event;
	v->cb = cb;
	v->userdata = userdata;

	v->fd = open(cfg->device, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (v->fd < 0) {
		r = negative_errno();
		error = strdup_printf("cannot open %s: %s", cfg->device,
			 strerror(-r));
		goto fail;
	}
	r = xioctl(v->fd, VIDIOC_QUERYCAP, &cap);
	if (r < 0) {
		error = strdup_printf("%s is not a V4L2 device", cfg->device);
		goto fail;
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
							 cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		error = strdup_printf("%s cannot stream video capture",
			 cfg->device);
		r = -EMEDIUMTYPE;
		goto fail;
	}

	r = set_format(v, cfg, &error);
	if (r < 0)
		goto fail;
	r = map_buffers(v, cfg->buffers);
	if (r < 0) {
		error = strdup_printf("cannot map %u buffers of %s: %s",
			 cfg->buffers, cfg->device, strerror(-r));
		goto fail;
	}
	v->dropped_ctrl = find_dropped_control(v->fd);

	r = refill(v);
	if (r >= 0)
		r = xioctl(v->fd, VIDIOC_STREAMON, &type);
	if (r < 0) {
		error = strdup_printf("cannot start streaming on %s: %s",
			 cfg->device, strerror(-r));
		goto fail;
	}
	r = sd_event_add_io(event, &v->io, v->fd, EPOLLIN, on_io, v);
	if (r < 0) {
		error = strdup_printf("cannot watch %s: %s", cfg->device,
			 strerror(-r));
		goto fail;
	}
	*ret = &v->base;
	return 0;

fail:
	v4l2_close(&v->base);
	if (ret_error)
		*ret_error = TAKE_PTR(error);
	return r;
}

const struct capture_ops capture_v4l2_ops = {
	.name = "v4l2",
	.open = v4l2_open,
	.release = v4l2_release,
	.format = v4l2_format,
	.dropped = v4l2_dropped,
	.ring_size = v4l2_ring_size,
	.frame_period_usec = v4l2_frame_period,
	.close = v4l2_close,
};
