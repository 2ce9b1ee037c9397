// SPDX-License-Identifier: GPL-2.0
/*
 * podcam: the V4L2 capture node: formats, ioctls, controls, the vb2 queue
 * and frame production.
 *
 * While streaming, an hrtimer expires once per frame period and queues the
 * frame work, which takes the oldest queued buffer, fills it from the scene
 * and returns it. A frame period that finds no queued buffer, or that the
 * work could not keep up with, is a dropped frame.
 */

#include <linux/ktime.h>
#include <linux/math64.h>
#include <media/v4l2-common.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-vmalloc.h>

#include "podcam.h"

struct podcam_size {
	u32 width;
	u32 height;
};

/*
 * YUYV first and the default: Debian 12's v4l2-compliance (v4l-utils
 * 1.22.1) expects the NV12 description of older kernels ("Y/CbCr 4:2:0",
 * 6.1 says "Y/UV 4:2:0"), fails the format enumeration there and then
 * every format test of an NV12 current format. With YUYV first and
 * current, that one check fails and everything else is tested.
 */
#define PODCAM_DEFAULT_FOURCC	V4L2_PIX_FMT_YUYV

static const u32 podcam_formats[] = {
	V4L2_PIX_FMT_YUYV,
	V4L2_PIX_FMT_NV12,
};

static const struct podcam_size podcam_sizes[] = {
	{ 640, 480 },
	{ 1280, 720 },
	{ 1920, 1080 },
	{ 2592, 1944 },
};

static const struct v4l2_fract podcam_intervals[] = {
	{ 1, 30 },
	{ 1, 15 },
	{ 1, 5 },
};

static bool podcam_format_valid(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(podcam_formats); i++)
		if (podcam_formats[i] == fourcc)
			return true;
	return false;
}

static bool podcam_size_valid(u32 width, u32 height)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(podcam_sizes); i++)
		if (podcam_sizes[i].width == width &&
		    podcam_sizes[i].height == height)
			return true;
	return false;
}

static u64 podcam_period_ns(unsigned int interval)
{
	const struct v4l2_fract *f = &podcam_intervals[interval];

	return div_u64((u64)f->numerator * NSEC_PER_SEC, f->denominator);
}

static void podcam_fill_pix(struct v4l2_pix_format *pix, u32 fourcc,
			    u32 width, u32 height)
{
	pix->pixelformat = fourcc;
	pix->width = width;
	pix->height = height;
	pix->field = V4L2_FIELD_NONE;
	if (fourcc == V4L2_PIX_FMT_YUYV) {
		pix->bytesperline = width * 2;
		pix->sizeimage = width * height * 2;
	} else {
		pix->bytesperline = width;
		pix->sizeimage = width * height * 3 / 2;
	}
	pix->colorspace = V4L2_COLORSPACE_SRGB;
	pix->xfer_func = V4L2_XFER_FUNC_SRGB;
	pix->ycbcr_enc = V4L2_YCBCR_ENC_601;
	pix->quantization = V4L2_QUANTIZATION_LIM_RANGE;
	pix->flags = 0;
}

static int podcam_querycap(struct file *file, void *priv,
			   struct v4l2_capability *cap)
{
	struct podcam_dev *dev = video_drvdata(file);

	strscpy(cap->driver, PODCAM_NAME, sizeof(cap->driver));
	snprintf(cap->card, sizeof(cap->card), "podcam %s", dev->role);
	snprintf(cap->bus_info, sizeof(cap->bus_info), "platform:podcam-%u",
		 dev->id);
	return 0;
}

static int podcam_enum_fmt(struct file *file, void *priv,
			   struct v4l2_fmtdesc *f)
{
	if (f->index >= ARRAY_SIZE(podcam_formats))
		return -EINVAL;
	f->pixelformat = podcam_formats[f->index];
	return 0;
}

static int podcam_g_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct podcam_dev *dev = video_drvdata(file);

	f->fmt.pix = dev->fmt;
	return 0;
}

/* Unsupported formats and sizes are adjusted, never refused. */
static int podcam_try_fmt(struct file *file, void *priv,
			  struct v4l2_format *f)
{
	struct v4l2_pix_format *pix = &f->fmt.pix;
	const struct podcam_size *size;
	u32 fourcc = pix->pixelformat;

	if (!podcam_format_valid(fourcc))
		fourcc = PODCAM_DEFAULT_FOURCC;
	size = v4l2_find_nearest_size(podcam_sizes, ARRAY_SIZE(podcam_sizes),
				      width, height, pix->width, pix->height);
	podcam_fill_pix(pix, fourcc, size->width, size->height);
	return 0;
}

static int podcam_s_fmt(struct file *file, void *priv, struct v4l2_format *f)
{
	struct podcam_dev *dev = video_drvdata(file);

	podcam_try_fmt(file, priv, f);
	if (vb2_is_busy(&dev->queue))
		return -EBUSY;
	dev->fmt = f->fmt.pix;
	return 0;
}

static int podcam_enum_framesizes(struct file *file, void *priv,
				  struct v4l2_frmsizeenum *fsize)
{
	if (fsize->index >= ARRAY_SIZE(podcam_sizes) ||
	    !podcam_format_valid(fsize->pixel_format))
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_DISCRETE;
	fsize->discrete.width = podcam_sizes[fsize->index].width;
	fsize->discrete.height = podcam_sizes[fsize->index].height;
	return 0;
}

static int podcam_enum_frameintervals(struct file *file, void *priv,
				      struct v4l2_frmivalenum *fival)
{
	if (fival->index >= ARRAY_SIZE(podcam_intervals) ||
	    !podcam_format_valid(fival->pixel_format) ||
	    !podcam_size_valid(fival->width, fival->height))
		return -EINVAL;
	fival->type = V4L2_FRMIVAL_TYPE_DISCRETE;
	fival->discrete = podcam_intervals[fival->index];
	return 0;
}

static int podcam_g_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *parm)
{
	struct podcam_dev *dev = video_drvdata(file);

	if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	parm->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
	parm->parm.capture.timeperframe = podcam_intervals[dev->interval];
	parm->parm.capture.readbuffers = 2;
	return 0;
}

/* The nearest supported interval; 0/0 or x/0 asks for the default. */
static int podcam_s_parm(struct file *file, void *priv,
			 struct v4l2_streamparm *parm)
{
	struct podcam_dev *dev = video_drvdata(file);
	struct v4l2_fract *tpf = &parm->parm.capture.timeperframe;
	unsigned int i, best = 0;
	u64 want, diff, best_diff = U64_MAX;

	if (parm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;

	if (tpf->numerator && tpf->denominator) {
		want = div_u64((u64)tpf->numerator * NSEC_PER_SEC,
			       tpf->denominator);
		for (i = 0; i < ARRAY_SIZE(podcam_intervals); i++) {
			u64 period = podcam_period_ns(i);

			diff = period > want ? period - want : want - period;
			if (diff < best_diff) {
				best_diff = diff;
				best = i;
			}
		}
	}
	dev->interval = best;
	WRITE_ONCE(dev->period_ns, podcam_period_ns(best));
	return podcam_g_parm(file, priv, parm);
}

static int podcam_enum_input(struct file *file, void *priv,
			     struct v4l2_input *inp)
{
	if (inp->index)
		return -EINVAL;
	inp->type = V4L2_INPUT_TYPE_CAMERA;
	strscpy(inp->name, "Camera", sizeof(inp->name));
	return 0;
}

static int podcam_g_input(struct file *file, void *priv, unsigned int *i)
{
	*i = 0;
	return 0;
}

static int podcam_s_input(struct file *file, void *priv, unsigned int i)
{
	return i ? -EINVAL : 0;
}

static const struct v4l2_ioctl_ops podcam_ioctl_ops = {
	.vidioc_querycap = podcam_querycap,
	.vidioc_enum_fmt_vid_cap = podcam_enum_fmt,
	.vidioc_g_fmt_vid_cap = podcam_g_fmt,
	.vidioc_try_fmt_vid_cap = podcam_try_fmt,
	.vidioc_s_fmt_vid_cap = podcam_s_fmt,
	.vidioc_enum_framesizes = podcam_enum_framesizes,
	.vidioc_enum_frameintervals = podcam_enum_frameintervals,
	.vidioc_g_parm = podcam_g_parm,
	.vidioc_s_parm = podcam_s_parm,

	.vidioc_enum_input = podcam_enum_input,
	.vidioc_g_input = podcam_g_input,
	.vidioc_s_input = podcam_s_input,

	.vidioc_reqbufs = vb2_ioctl_reqbufs,
	.vidioc_create_bufs = vb2_ioctl_create_bufs,
	.vidioc_prepare_buf = vb2_ioctl_prepare_buf,
	.vidioc_querybuf = vb2_ioctl_querybuf,
	.vidioc_qbuf = vb2_ioctl_qbuf,
	.vidioc_dqbuf = vb2_ioctl_dqbuf,
	.vidioc_expbuf = vb2_ioctl_expbuf,
	.vidioc_streamon = vb2_ioctl_streamon,
	.vidioc_streamoff = vb2_ioctl_streamoff,

	.vidioc_log_status = v4l2_ctrl_log_status,
	.vidioc_subscribe_event = v4l2_ctrl_subscribe_event,
	.vidioc_unsubscribe_event = v4l2_event_unsubscribe,
};

static const struct v4l2_file_operations podcam_fops = {
	.owner = THIS_MODULE,
	.open = v4l2_fh_open,
	.release = vb2_fop_release,
	.read = vb2_fop_read,
	.poll = vb2_fop_poll,
	.mmap = vb2_fop_mmap,
	.unlocked_ioctl = video_ioctl2,
};

static int podcam_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
			      unsigned int *nplanes, unsigned int sizes[],
			      struct device *alloc_devs[])
{
	struct podcam_dev *dev = vb2_get_drv_priv(vq);
	unsigned int size = dev->fmt.sizeimage;

	if (*nplanes)
		return sizes[0] < size ? -EINVAL : 0;
	*nplanes = 1;
	sizes[0] = size;
	return 0;
}

static int podcam_buf_prepare(struct vb2_buffer *vb)
{
	struct podcam_dev *dev = vb2_get_drv_priv(vb->vb2_queue);
	unsigned int size = dev->fmt.sizeimage;

	if (vb2_plane_size(vb, 0) < size)
		return -EINVAL;
	vb2_set_plane_payload(vb, 0, size);
	return 0;
}

static void podcam_buf_queue(struct vb2_buffer *vb)
{
	struct podcam_dev *dev = vb2_get_drv_priv(vb->vb2_queue);
	struct vb2_v4l2_buffer *vbuf = to_vb2_v4l2_buffer(vb);
	struct podcam_buffer *buf = container_of(vbuf, struct podcam_buffer,
						 vb);
	unsigned long flags;

	spin_lock_irqsave(&dev->qlock, flags);
	list_add_tail(&buf->list, &dev->buf_list);
	spin_unlock_irqrestore(&dev->qlock, flags);
}

static void podcam_return_buffers(struct podcam_dev *dev,
				  enum vb2_buffer_state state)
{
	struct podcam_buffer *buf, *tmp;
	unsigned long flags;

	spin_lock_irqsave(&dev->qlock, flags);
	list_for_each_entry_safe(buf, tmp, &dev->buf_list, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, state);
	}
	spin_unlock_irqrestore(&dev->qlock, flags);
}

static int podcam_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	struct podcam_dev *dev = vb2_get_drv_priv(vq);
	int ret;

	ret = podcam_fail_streamon(dev, PODCAM_FAIL_SCENE) ?:
	      podcam_scene_prepare(dev);
	if (ret)
		goto err_return_buffers;

	ret = podcam_fail_streamon(dev, PODCAM_FAIL_START);
	if (ret)
		goto err_return_buffers;

	dev->sequence = 0;
	atomic64_set(&dev->dropped, 0);
	atomic_set(&dev->periods, 0);
	hrtimer_start(&dev->timer, ns_to_ktime(dev->period_ns),
		      HRTIMER_MODE_REL);
	return 0;

err_return_buffers:
	podcam_return_buffers(dev, VB2_BUF_STATE_QUEUED);
	return ret;
}

static void podcam_stop_streaming(struct vb2_queue *vq)
{
	struct podcam_dev *dev = vb2_get_drv_priv(vq);

	hrtimer_cancel(&dev->timer);
	cancel_work_sync(&dev->frame_work);
	podcam_return_buffers(dev, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops podcam_qops = {
	.queue_setup = podcam_queue_setup,
	.buf_prepare = podcam_buf_prepare,
	.buf_queue = podcam_buf_queue,
	.start_streaming = podcam_start_streaming,
	.stop_streaming = podcam_stop_streaming,
	.wait_prepare = vb2_ops_wait_prepare,
	.wait_finish = vb2_ops_wait_finish,
};

static enum hrtimer_restart podcam_timer_fn(struct hrtimer *timer)
{
	struct podcam_dev *dev = container_of(timer, struct podcam_dev,
					      timer);
	u64 periods;

	periods = hrtimer_forward_now(timer,
				      ns_to_ktime(READ_ONCE(dev->period_ns)));
	atomic_add(min_t(u64, periods, INT_MAX / 2), &dev->periods);
	queue_work(podcam_wq, &dev->frame_work);
	return HRTIMER_RESTART;
}

static void podcam_frame_work(struct work_struct *work)
{
	struct podcam_dev *dev = container_of(work, struct podcam_dev,
					      frame_work);
	int periods = atomic_xchg(&dev->periods, 0);
	struct podcam_buffer *buf;
	struct vb2_buffer *vb;
	unsigned long flags;

	if (periods <= 0)
		return;

	spin_lock_irqsave(&dev->qlock, flags);
	buf = list_first_entry_or_null(&dev->buf_list, struct podcam_buffer,
				       list);
	if (buf)
		list_del(&buf->list);
	spin_unlock_irqrestore(&dev->qlock, flags);

	if (!buf) {
		atomic64_add(periods, &dev->dropped);
		return;
	}
	if (periods > 1)
		atomic64_add(periods - 1, &dev->dropped);

	vb = &buf->vb.vb2_buf;
	podcam_scene_fill(dev, vb2_plane_vaddr(vb, 0),
			  vb2_get_plane_payload(vb, 0), ktime_get_ns());
	vb->timestamp = ktime_get_ns();
	buf->vb.sequence = dev->sequence++;
	buf->vb.field = V4L2_FIELD_NONE;
	vb2_buffer_done(vb, VB2_BUF_STATE_DONE);
}

static int podcam_s_ctrl(struct v4l2_ctrl *ctrl)
{
	struct podcam_dev *dev = container_of(ctrl->handler, struct podcam_dev,
					      ctrl_handler);

	switch (ctrl->id) {
	case V4L2_CID_ILLUMINATORS_1:
		WRITE_ONCE(dev->flash, ctrl->val);
		return 0;
	case PODCAM_CID_MOTION_BLUR:
		return podcam_scene_set_blur(dev, ctrl->val);
	}
	return -EINVAL;
}

static int podcam_g_volatile_ctrl(struct v4l2_ctrl *ctrl)
{
	struct podcam_dev *dev = container_of(ctrl->handler, struct podcam_dev,
					      ctrl_handler);

	if (ctrl->id != PODCAM_CID_FRAMES_DROPPED)
		return -EINVAL;
	*ctrl->p_new.p_s64 = atomic64_read(&dev->dropped);
	return 0;
}

static const struct v4l2_ctrl_ops podcam_ctrl_ops = {
	.s_ctrl = podcam_s_ctrl,
	.g_volatile_ctrl = podcam_g_volatile_ctrl,
};

static const struct v4l2_ctrl_config podcam_ctrl_blur = {
	.ops = &podcam_ctrl_ops,
	.id = PODCAM_CID_MOTION_BLUR,
	.name = "Motion Blur",
	.type = V4L2_CTRL_TYPE_INTEGER,
	.min = 0,
	.max = PODCAM_MOTION_BLUR_MAX,
	.step = 1,
	.def = 0,
	.flags = V4L2_CTRL_FLAG_SLIDER,
};

static const struct v4l2_ctrl_config podcam_ctrl_dropped = {
	.ops = &podcam_ctrl_ops,
	.id = PODCAM_CID_FRAMES_DROPPED,
	.name = "Frames Dropped",
	.type = V4L2_CTRL_TYPE_INTEGER64,
	.min = 0,
	.max = S64_MAX,
	.step = 1,
	.def = 0,
	.flags = V4L2_CTRL_FLAG_READ_ONLY | V4L2_CTRL_FLAG_VOLATILE,
};

int podcam_ctrls_init(struct podcam_dev *dev)
{
	struct v4l2_ctrl_handler *hdl = &dev->ctrl_handler;
	int ret;

	/*
	 * The handler keeps its own lock: the V4L2 core already holds
	 * dev->lock around the control ioctls, which then take this one.
	 */
	v4l2_ctrl_handler_init(hdl, 3);
	dev->ctrl_flash = v4l2_ctrl_new_std(hdl, &podcam_ctrl_ops,
					    V4L2_CID_ILLUMINATORS_1, 0, 1, 1,
					    0);
	v4l2_ctrl_new_custom(hdl, &podcam_ctrl_blur, NULL);
	v4l2_ctrl_new_custom(hdl, &podcam_ctrl_dropped, NULL);
	if (hdl->error) {
		ret = hdl->error;
		v4l2_ctrl_handler_free(hdl);
		return ret;
	}
	dev->v4l2_dev.ctrl_handler = hdl;
	return 0;
}

/* From the GPIO chip: the flash line drives the control. */
void podcam_video_set_flash(struct podcam_dev *dev, bool on)
{
	v4l2_ctrl_s_ctrl(dev->ctrl_flash, on);
}

int podcam_queue_init(struct podcam_dev *dev)
{
	struct vb2_queue *q = &dev->queue;
	int ret;

	q->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	q->io_modes = VB2_MMAP | VB2_USERPTR | VB2_DMABUF | VB2_READ;
	q->drv_priv = dev;
	q->buf_struct_size = sizeof(struct podcam_buffer);
	q->ops = &podcam_qops;
	q->mem_ops = &vb2_vmalloc_memops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC |
			     V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
	q->min_buffers_needed = 1;
	q->lock = &dev->lock;
	q->dev = &dev->pdev->dev;
	ret = vb2_queue_init(q);
	if (ret)
		return ret;

	podcam_fill_pix(&dev->fmt, PODCAM_DEFAULT_FOURCC,
			podcam_sizes[0].width, podcam_sizes[0].height);
	dev->interval = 0;
	dev->period_ns = podcam_period_ns(0);
	hrtimer_init(&dev->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	dev->timer.function = podcam_timer_fn;
	INIT_WORK(&dev->frame_work, podcam_frame_work);
	return 0;
}

int podcam_video_register(struct podcam_dev *dev)
{
	struct video_device *vdev = &dev->vdev;

	snprintf(vdev->name, sizeof(vdev->name), "podcam %s", dev->role);
	vdev->v4l2_dev = &dev->v4l2_dev;
	vdev->fops = &podcam_fops;
	vdev->ioctl_ops = &podcam_ioctl_ops;
	vdev->release = video_device_release_empty;
	vdev->lock = &dev->lock;
	vdev->queue = &dev->queue;
	vdev->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING |
			    V4L2_CAP_READWRITE;
	video_set_drvdata(vdev, dev);
	return video_register_device(vdev, VFL_TYPE_VIDEO, -1);
}
