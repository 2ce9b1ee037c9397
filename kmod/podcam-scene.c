// SPDX-License-Identifier: GPL-2.0
/*
 * podcam: the scene a camera sees.
 *
 * The source is either the synthetic doorstep (a package on a textured
 * doorstep in front of a door, plus a moving ball) or a still image loaded
 * through debugfs. The static part is rendered once per format, size, blur
 * strength and source into a frame template; each frame is a copy of the
 * template, brightened when the flash is on, with the ball drawn on top.
 *
 * Colour: sources are 8-bit sRGB, converted with the integer BT.601
 * limited-range matrix
 *	Y  = ((  66 R + 129 G +  25 B + 128) >> 8) +  16
 *	Cb = (( -38 R -  74 G + 112 B + 128) >> 8) + 128
 *	Cr = (( 112 R -  94 G -  18 B + 128) >> 8) + 128
 * (">>" rounds towards minus infinity) into full-resolution planes, then
 * blurred, then subsampled by rounded averages: 2x2 for NV12, 2x1 for YUYV.
 */

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "podcam.h"

#define PODCAM_IMAGE_MAX_WIDTH	2592
#define PODCAM_IMAGE_MAX_HEIGHT	1944
#define PODCAM_PPM_HEADER_MAX	512

/* The moving ball crosses the ground and back every 4 s. */
#define PODCAM_BALL_PERIOD_MS	4000

static inline u8 podcam_clamp(int v)
{
	return clamp(v, 0, 255);
}

static inline u8 podcam_rgb_y(int r, int g, int b)
{
	return ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16;
}

static inline u8 podcam_rgb_cb(int r, int g, int b)
{
	return ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
}

static inline u8 podcam_rgb_cr(int r, int g, int b)
{
	return ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
}

/* The flash lifts luma 3/8 of the way to white. */
static inline u8 podcam_flash_y(u8 y)
{
	return y < 235 ? y + (((235 - y) * 3) >> 3) : y;
}

static inline u32 podcam_hash(u32 x, u32 y)
{
	u32 h = x * 0x9e3779b1u ^ (y + 0x7f4a7c15u) * 0x85ebca77u;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

/* Positions of the synthetic scene's parts, in pixels for one size. */
struct podcam_synth {
	u32 w, h;
	u32 line;		/* thin lines: shadows, mortar, bevels */
	u32 wall_b;		/* bottom of the wall, top of the step */
	u32 step_b;		/* bottom of the step, top of the ground */
	u32 board;		/* siding board height */
	u32 door_l, door_r, door_t, frame;
	u32 slot_l, slot_r, slot_t, slot_b;
	u32 knob_l, knob_r, knob_t, knob_b;
	u32 mat_l, mat_r, mat_t, mat_b;
	u32 box_l, box_r, box_t, box_b;	/* front face */
	u32 lid;		/* height of the top face */
	u32 side;		/* width of the right face */
	u32 tape_l, tape_r;
	u32 label_l, label_r, label_t, label_b, code_t;
	u32 module;		/* barcode module width */
	u32 brick_w, brick_h;
};

#define PODCAM_AT(len, permille) ((len) * (permille) / 1000)

static void podcam_synth_init(struct podcam_synth *s, u32 w, u32 h)
{
	s->w = w;
	s->h = h;
	s->line = max(1u, h / 400);
	s->wall_b = PODCAM_AT(h, 560);
	s->step_b = PODCAM_AT(h, 630);
	s->board = max(4u, h / 22);

	s->door_l = PODCAM_AT(w, 420);
	s->door_r = PODCAM_AT(w, 620);
	s->door_t = PODCAM_AT(h, 90);
	s->frame = max(2u, w / 90);
	s->slot_l = PODCAM_AT(w, 470);
	s->slot_r = PODCAM_AT(w, 570);
	s->slot_t = PODCAM_AT(h, 300);
	s->slot_b = PODCAM_AT(h, 318);
	s->knob_l = PODCAM_AT(w, 590);
	s->knob_r = PODCAM_AT(w, 603);
	s->knob_t = PODCAM_AT(h, 340);
	s->knob_b = PODCAM_AT(h, 370);

	s->mat_l = PODCAM_AT(w, 400);
	s->mat_r = PODCAM_AT(w, 640);
	s->mat_t = PODCAM_AT(h, 566);
	s->mat_b = PODCAM_AT(h, 622);

	s->box_l = PODCAM_AT(w, 120);
	s->box_r = PODCAM_AT(w, 320);
	s->box_t = PODCAM_AT(h, 520);
	s->box_b = PODCAM_AT(h, 760);
	s->lid = PODCAM_AT(h, 50);
	s->side = PODCAM_AT(w, 30);
	s->tape_l = PODCAM_AT(w, 205);
	s->tape_r = PODCAM_AT(w, 235);
	s->label_l = PODCAM_AT(w, 245);
	s->label_r = PODCAM_AT(w, 305);
	s->label_t = PODCAM_AT(h, 560);
	s->label_b = PODCAM_AT(h, 680);
	s->code_t = PODCAM_AT(h, 625);
	s->module = max(1u, w / 640);

	s->brick_w = max(8u, w / 11);
	s->brick_h = max(4u, h / 19);
}

static bool podcam_in(u32 v, u32 lo, u32 hi)
{
	return v >= lo && v < hi;
}

/* The package: front face with tape and a label, top face, right face. */
static bool podcam_synth_box(const struct podcam_synth *s, u32 x, u32 y,
			     u32 n, int *c)
{
	int d = (int)(n & 15) - 8;
	u32 lift;

	if (podcam_in(x, s->box_l, s->box_r) &&
	    podcam_in(y, s->box_t, s->box_b)) {
		if (podcam_in(x, s->label_l, s->label_r) &&
		    podcam_in(y, s->label_t, s->label_b)) {
			bool ink;

			if (y >= s->code_t)
				ink = podcam_hash(x / s->module, 7) & 1;
			else
				ink = ((y - s->label_t) / (2 * s->line)) % 3 == 1 &&
				      (podcam_hash(x / (3 * s->module),
						   y / (6 * s->line)) & 3);
			c[0] = ink ? 24 : 238 + (d >> 2);
			c[1] = c[0];
			c[2] = c[0];
			return true;
		}
		if (podcam_in(x, s->tape_l, s->tape_r)) {
			c[0] = 210 + (d >> 1);
			c[1] = 188 + (d >> 1);
			c[2] = 140 + (d >> 1);
		} else {
			c[0] = 176 + d;
			c[1] = 132 + d;
			c[2] = 84 + d;
		}
		if (x - s->box_l < s->line || y - s->box_t < s->line) {
			c[0] += 30;
			c[1] += 30;
			c[2] += 30;
		}
		return true;
	}

	/* Top face: rows above the front, shifted right as they recede. */
	if (podcam_in(y, s->box_t - s->lid, s->box_t)) {
		lift = (s->box_t - y) * s->side / s->lid;
		if (podcam_in(x, s->box_l + lift, s->box_r + lift)) {
			bool tape = podcam_in(x - lift, s->tape_l, s->tape_r);

			c[0] = (tape ? 222 : 204) + d;
			c[1] = (tape ? 202 : 162) + d;
			c[2] = (tape ? 156 : 108) + d;
			return true;
		}
	}

	/* Right face: columns right of the front, raised as they recede. */
	if (podcam_in(x, s->box_r, s->box_r + s->side)) {
		lift = (x - s->box_r) * s->lid / s->side;
		if (podcam_in(y + lift, s->box_t, s->box_b)) {
			c[0] = 128 + d;
			c[1] = 94 + d;
			c[2] = 58 + d;
			return true;
		}
	}
	return false;
}

static void podcam_synth_door(const struct podcam_synth *s, u32 x, u32 y,
			      u32 n, int *c)
{
	u32 w = s->door_r - s->door_l, h = s->wall_b - s->door_t;
	u32 px, py, pw, ph, col, row;
	int d;

	if (x < s->door_l || x >= s->door_r || y < s->door_t) {
		d = (int)(n & 7) - 4;
		c[0] = 232 + d;
		c[1] = 230 + d;
		c[2] = 222 + d;
		return;
	}

	if (podcam_in(x, s->slot_l, s->slot_r) &&
	    podcam_in(y, s->slot_t, s->slot_b)) {
		bool rim = x - s->slot_l < 2 * s->line ||
			   s->slot_r - x <= 2 * s->line ||
			   y - s->slot_t < 2 * s->line ||
			   s->slot_b - y <= 2 * s->line;

		c[0] = rim ? 190 + (int)(n & 31) : 12;
		c[1] = c[0];
		c[2] = c[0];
		return;
	}
	if (podcam_in(x, s->knob_l, s->knob_r) &&
	    podcam_in(y, s->knob_t, s->knob_b)) {
		d = (int)(n & 31) - 16;
		c[0] = 198 + d;
		c[1] = 160 + d;
		c[2] = 70 + d;
		return;
	}

	/* Green wood with vertical grain and four recessed panels. */
	d = (int)(podcam_hash(x, y / 8) & 15) - 8 + (int)(n & 7) - 4;
	c[0] = 36 + d;
	c[1] = 86 + d;
	c[2] = 64 + d;

	pw = w * 3 / 8;
	ph = h * 3 / 8;
	col = (x - s->door_l) < w / 2 ? 0 : 1;
	row = (y - s->door_t) < h / 2 ? 0 : 1;
	px = s->door_l + w / 12 + col * (w / 2);
	py = s->door_t + h / 14 + row * (h / 2);
	if (podcam_in(x, px, px + pw) && podcam_in(y, py, py + ph)) {
		u32 b = 3 * s->line;

		int e = 0;

		if (x - px < b || y - py < b)
			e = -30;
		else if (px + pw - x <= b || py + ph - y <= b)
			e = 45;
		c[0] += e;
		c[1] += e;
		c[2] += e;
	}
}

static void podcam_synth_wall(const struct podcam_synth *s, u32 x, u32 y,
			      u32 n, int *c)
{
	u32 board = y / s->board;
	int d = (int)(podcam_hash(board, 99) & 15) - 8 +
		(int)(podcam_hash(x / 4, y) & 15) - 8 + (int)(n & 7) - 4;

	if (y % s->board < s->line)
		d -= 60;
	c[0] = 206 + d;
	c[1] = 196 + d;
	c[2] = 176 + d;
}

static void podcam_synth_step(const struct podcam_synth *s, u32 x, u32 y,
			      u32 n, int *c)
{
	int d = (int)(n & 63) - 32;

	if (!((n >> 8) & 63))
		d -= 50;
	if (y - s->wall_b < 2 * s->line)
		d += 30;
	else if (s->step_b - y <= s->line)
		d -= 70;

	if (podcam_in(x, s->mat_l, s->mat_r) &&
	    podcam_in(y, s->mat_t, s->mat_b)) {
		u32 b = 3 * s->line;
		bool edge = x - s->mat_l < b || s->mat_r - x <= b ||
			    y - s->mat_t < b || s->mat_b - y <= b;

		d = (x & 1 ? 14 : -14) + (int)(n & 31) - 16;
		c[0] = (edge ? 60 : 128) + d;
		c[1] = (edge ? 40 : 92) + d;
		c[2] = (edge ? 25 : 54) + d;
		return;
	}
	c[0] = 158 + d;
	c[1] = 156 + d;
	c[2] = 150 + d;
}

/* Pavers in running bond, with mortar joints and the package's shadow. */
static void podcam_synth_ground(const struct podcam_synth *s, u32 x, u32 y,
				u32 n, int *c)
{
	static const u8 tones[4][3] = {
		{ 150, 78, 58 }, { 122, 62, 48 },
		{ 140, 110, 90 }, { 164, 96, 70 },
	};
	u32 gy = y - s->step_b, row = gy / s->brick_h;
	u32 gx = x + (row & 1 ? s->brick_w / 2 : 0), col = gx / s->brick_w;
	int d = (int)(n & 31) - 16 + (int)((n >> 5) & 7) - 4;
	const u8 *t;

	if (gy % s->brick_h < s->line || gx % s->brick_w < s->line) {
		d >>= 1;
		c[0] = 172 + d;
		c[1] = 166 + d;
		c[2] = 156 + d;
	} else {
		t = tones[podcam_hash(col, row) & 3];
		c[0] = t[0] + d;
		c[1] = t[1] + d;
		c[2] = t[2] + d;
	}

	if (podcam_in(x, s->box_r, s->box_r + 3 * s->side) &&
	    podcam_in(y, s->step_b, s->box_b + s->lid / 2) &&
	    x - s->box_r < (s->box_b + s->lid / 2 - y) * 3 * s->side /
			   (s->box_b + s->lid / 2 - s->step_b) + s->side) {
		c[0] = c[0] * 3 / 5;
		c[1] = c[1] * 3 / 5;
		c[2] = c[2] * 3 / 5;
	}
}

static void podcam_synth_row(const struct podcam_synth *s, u32 y, u8 *rgb)
{
	u32 x;
	int c[3];

	for (x = 0; x < s->w; x++, rgb += 3) {
		u32 n = podcam_hash(x, y);

		if (podcam_synth_box(s, x, y, n, c))
			;
		else if (y < s->wall_b && x + s->frame >= s->door_l &&
			 x < s->door_r + s->frame && y + s->frame >= s->door_t)
			podcam_synth_door(s, x, y, n, c);
		else if (y < s->wall_b)
			podcam_synth_wall(s, x, y, n, c);
		else if (y < s->step_b)
			podcam_synth_step(s, x, y, n, c);
		else
			podcam_synth_ground(s, x, y, n, c);

		rgb[0] = podcam_clamp(c[0]);
		rgb[1] = podcam_clamp(c[1]);
		rgb[2] = podcam_clamp(c[2]);
	}
}

/* Nearest-neighbour scaling: output pixel x samples (2x + 1) * iw / 2w. */
static u32 podcam_sample(u32 x, u32 out, u32 in)
{
	return (u32)div_u64((u64)(2 * x + 1) * in, 2 * out);
}

static inline u32 podcam_edge(int v, u32 len)
{
	return clamp(v, 0, (int)len - 1);
}

/*
 * Motion blur: the mean of 2 * radius + 1 pixels along the diagonal
 * through each pixel (a camera shaking down and to the right), edges
 * repeated. Running sums: the sum at (x, y) is the one at (x - 1, y - 1)
 * plus the pixel entering the window minus the one leaving it.
 */
static void podcam_blur_plane(const u8 *src, u8 *dst, u32 w, u32 h,
			      u32 radius, u32 *prev, u32 *cur)
{
	u32 n = 2 * radius + 1, inv = (65536 + n / 2) / n, x, y;
	int r = radius, k;

	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			u32 sum = 0;

			if (!x || !y) {
				for (k = -r; k <= r; k++)
					sum += src[podcam_edge(y + k, h) * w +
						   podcam_edge(x + k, w)];
			} else {
				sum = prev[x - 1] +
				      src[podcam_edge(y + r, h) * w +
					  podcam_edge(x + r, w)] -
				      src[podcam_edge(y - 1 - r, h) * w +
					  podcam_edge(x - 1 - r, w)];
			}
			cur[x] = sum;
			dst[y * w + x] = min((sum * inv + 32768) >> 16, 255u);
		}
		swap(prev, cur);
	}
}

/* One row of the source, as 8-bit R, G, B. */
static void podcam_source_row(const struct podcam_image *img,
			      const struct podcam_synth *s, const u32 *xmap,
			      u32 w, u32 h, u32 y, u8 *rgb)
{
	const u8 *src;
	u32 x;

	if (!img) {
		podcam_synth_row(s, y, rgb);
		return;
	}
	src = img->rgb + (size_t)podcam_sample(y, h, img->height) *
			 img->width * 3;
	for (x = 0; x < w; x++, rgb += 3)
		memcpy(rgb, src + xmap[x] * 3, 3);
}

/* Full-resolution Y, Cb, Cr planes into the template's format. */
static void podcam_pack(struct podcam_tpl *tpl, u8 *const plane[3])
{
	u32 w = tpl->width, h = tpl->height, x, y;
	const u8 *cb = plane[1], *cr = plane[2];

	if (tpl->fourcc == V4L2_PIX_FMT_NV12) {
		u8 *uv = tpl->data + (size_t)w * h;

		memcpy(tpl->data, plane[0], (size_t)w * h);
		for (y = 0; y < h; y += 2, cb += 2 * w, cr += 2 * w) {
			for (x = 0; x < w; x += 2, uv += 2) {
				uv[0] = (cb[x] + cb[x + 1] + cb[w + x] +
					 cb[w + x + 1] + 2) >> 2;
				uv[1] = (cr[x] + cr[x + 1] + cr[w + x] +
					 cr[w + x + 1] + 2) >> 2;
			}
		}
		return;
	}

	for (y = 0; y < h; y++) {
		const u8 *luma = plane[0] + (size_t)y * w;
		u8 *p = tpl->data + (size_t)y * w * 2;

		for (x = 0; x < w; x += 2, p += 4) {
			p[0] = luma[x];
			p[1] = (cb[x] + cb[x + 1] + 1) >> 1;
			p[2] = luma[x + 1];
			p[3] = (cr[x] + cr[x + 1] + 1) >> 1;
		}
		cb += w;
		cr += w;
	}
}

static void podcam_tpl_free(struct podcam_tpl *tpl)
{
	if (!tpl)
		return;
	vfree(tpl->data);
	kfree(tpl);
}

/*
 * Renders the static scene: the source as full-resolution Y, Cb and Cr
 * planes, blurred, then subsampled into the format.
 */
static struct podcam_tpl *podcam_tpl_render(const struct v4l2_pix_format *fmt,
					    const struct podcam_image *img,
					    u32 blur, u64 gen)
{
	u32 w = fmt->width, h = fmt->height, x, y, i;
	size_t area = (size_t)w * h;
	struct podcam_synth synth;
	struct podcam_tpl *tpl;
	u8 *planes, *plane[4];
	u32 *rowbuf, *xmap;
	u8 *rgb;

	tpl = kzalloc(sizeof(*tpl), GFP_KERNEL);
	if (!tpl)
		return ERR_PTR(-ENOMEM);
	tpl->fourcc = fmt->pixelformat;
	tpl->width = w;
	tpl->height = h;
	tpl->blur = blur;
	tpl->gen = gen;
	tpl->synthetic = !img;
	tpl->size = fmt->sizeimage;
	tpl->data = vmalloc(tpl->size);
	if (!tpl->data)
		goto err_free_tpl;

	/* Y, Cb, Cr and the blur's output plane. */
	planes = vmalloc(array_size(area, blur ? 4 : 3));
	if (!planes)
		goto err_free_tpl;
	for (i = 0; i < 4; i++)
		plane[i] = planes + i * area;

	/* The x map, two rows of blur sums, then one RGB row. */
	rowbuf = kvmalloc_array(w, 3 * sizeof(u32) + 3, GFP_KERNEL);
	if (!rowbuf)
		goto err_free_planes;
	xmap = rowbuf;
	rgb = (u8 *)(rowbuf + 3 * w);

	if (img) {
		for (x = 0; x < w; x++)
			xmap[x] = podcam_sample(x, w, img->width);
	} else {
		podcam_synth_init(&synth, w, h);
	}

	for (y = 0; y < h; y++) {
		size_t row = (size_t)y * w;
		const u8 *p = rgb;

		podcam_source_row(img, &synth, xmap, w, h, y, rgb);
		for (x = 0; x < w; x++, p += 3) {
			plane[0][row + x] = podcam_rgb_y(p[0], p[1], p[2]);
			plane[1][row + x] = podcam_rgb_cb(p[0], p[1], p[2]);
			plane[2][row + x] = podcam_rgb_cr(p[0], p[1], p[2]);
		}
		cond_resched();
	}

	for (i = 0; blur && i < 3; i++) {
		podcam_blur_plane(plane[i], plane[3], w, h, blur, rowbuf + w,
				  rowbuf + 2 * w);
		swap(plane[i], plane[3]);
		cond_resched();
	}

	podcam_pack(tpl, plane);
	kvfree(rowbuf);
	vfree(planes);
	return tpl;

err_free_planes:
	vfree(planes);
err_free_tpl:
	podcam_tpl_free(tpl);
	return ERR_PTR(-ENOMEM);
}

/* dev->lock held: replaces the template. */
static int podcam_scene_render(struct podcam_dev *dev,
			       const struct podcam_image *img, u32 blur,
			       u64 gen)
{
	struct podcam_tpl *tpl, *old;

	tpl = podcam_tpl_render(&dev->fmt, img, blur, gen);
	if (IS_ERR(tpl))
		return PTR_ERR(tpl);

	mutex_lock(&dev->scene_lock);
	old = dev->tpl;
	dev->tpl = tpl;
	mutex_unlock(&dev->scene_lock);
	podcam_tpl_free(old);
	return 0;
}

/* dev->lock held: make the template match the format and the scene. */
int podcam_scene_prepare(struct podcam_dev *dev)
{
	const struct podcam_tpl *tpl = dev->tpl;

	if (tpl && tpl->fourcc == dev->fmt.pixelformat &&
	    tpl->width == dev->fmt.width && tpl->height == dev->fmt.height &&
	    tpl->blur == dev->blur && tpl->gen == dev->scene_gen)
		return 0;
	return podcam_scene_render(dev, dev->image, dev->blur,
				   dev->scene_gen);
}

/*
 * From the control handler, under the control ioctl's dev->lock; a stream
 * sees the change from the next frame on.
 */
int podcam_scene_set_blur(struct podcam_dev *dev, u32 blur)
{
	int ret;

	lockdep_assert_held(&dev->lock);

	if (vb2_is_streaming(&dev->queue)) {
		ret = podcam_scene_render(dev, dev->image, blur,
					  dev->scene_gen);
		if (ret)
			return ret;
	}
	dev->blur = blur;
	return 0;
}

static void podcam_image_free(struct podcam_image *img)
{
	if (!img)
		return;
	vfree(img->rgb);
	kfree(img);
}

/* Takes @img (NULL: the synthetic scene) unless it fails. */
static int podcam_scene_set_image(struct podcam_dev *dev,
				  struct podcam_image *img)
{
	struct podcam_image *old;
	int ret;

	mutex_lock(&dev->lock);
	if (vb2_is_streaming(&dev->queue)) {
		ret = podcam_scene_render(dev, img, dev->blur,
					  dev->scene_gen + 1);
		if (ret) {
			mutex_unlock(&dev->lock);
			return ret;
		}
	}
	old = dev->image;
	dev->image = img;
	dev->scene_gen++;
	mutex_unlock(&dev->lock);

	podcam_image_free(old);
	return 0;
}

void podcam_scene_free(struct podcam_dev *dev)
{
	podcam_tpl_free(dev->tpl);
	dev->tpl = NULL;
	podcam_image_free(dev->image);
	dev->image = NULL;
}

/* A yellow ball rolling along the ground, drawn over a frame. */
static void podcam_draw_ball(const struct podcam_tpl *tpl, u8 *frame,
			     u64 ts_ns, bool flash)
{
	static const int rgb[3] = { 236, 200, 40 };
	u32 w = tpl->width, h = tpl->height, r = h / 24;
	u8 yv = podcam_rgb_y(rgb[0], rgb[1], rgb[2]);
	u8 cb = podcam_rgb_cb(rgb[0], rgb[1], rgb[2]);
	u8 cr = podcam_rgb_cr(rgb[0], rgb[1], rgb[2]);
	u32 ms, pos, cx, cy = PODCAM_AT(h, 870);
	int dy;

	div_u64_rem(div_u64(ts_ns, NSEC_PER_MSEC), PODCAM_BALL_PERIOD_MS, &ms);
	pos = ms < PODCAM_BALL_PERIOD_MS / 2 ? ms : PODCAM_BALL_PERIOD_MS - ms;
	cx = r + (w - 2 * r) * pos / (PODCAM_BALL_PERIOD_MS / 2);
	if (flash)
		yv = podcam_flash_y(yv);

	for (dy = -(int)r; dy <= (int)r; dy++) {
		u32 y = cy + dy, half = int_sqrt(r * r - dy * dy), x;
		u32 x0 = cx > half ? cx - half : 0;
		u32 x1 = min(cx + half, w - 1);

		if (y >= h)
			continue;
		if (tpl->fourcc == V4L2_PIX_FMT_NV12) {
			u8 *uv = frame + (size_t)w * h + (size_t)(y / 2) * w;

			memset(frame + (size_t)y * w + x0, yv, x1 - x0 + 1);
			for (x = x0 & ~1u; x <= x1; x += 2) {
				uv[x] = cb;
				uv[x + 1] = cr;
			}
		} else {
			u8 *p = frame + (size_t)y * w * 2;

			for (x = x0; x <= x1; x++) {
				p[2 * x] = yv;
				p[(x & ~1u) * 2 + 1] = cb;
				p[(x & ~1u) * 2 + 3] = cr;
			}
		}
	}
}

static void podcam_copy_flash(const struct podcam_tpl *tpl, u8 *frame)
{
	const u8 *src = tpl->data;
	size_t i, luma = (size_t)tpl->width * tpl->height;
	u8 lut[256];

	for (i = 0; i < 256; i++)
		lut[i] = podcam_flash_y(i);

	if (tpl->fourcc == V4L2_PIX_FMT_NV12) {
		for (i = 0; i < luma; i++)
			frame[i] = lut[src[i]];
		memcpy(frame + luma, src + luma, tpl->size - luma);
		return;
	}
	for (i = 0; i < tpl->size; i += 2) {
		frame[i] = lut[src[i]];
		frame[i + 1] = src[i + 1];
	}
}

/* The frame work: one frame of @size bytes at time @ts_ns. */
void podcam_scene_fill(struct podcam_dev *dev, u8 *frame, size_t size,
		       u64 ts_ns)
{
	bool flash = READ_ONCE(dev->flash);
	const struct podcam_tpl *tpl;

	mutex_lock(&dev->scene_lock);
	tpl = dev->tpl;
	if (WARN_ON_ONCE(!tpl || tpl->size != size)) {
		mutex_unlock(&dev->scene_lock);
		return;
	}
	if (flash)
		podcam_copy_flash(tpl, frame);
	else
		memcpy(frame, tpl->data, size);
	if (tpl->synthetic)
		podcam_draw_ball(tpl, frame, ts_ns, flash);
	mutex_unlock(&dev->scene_lock);
}

/*
 * The debugfs scene file. Writing a binary PPM (P6, maxval 255, at most
 * 2592x1944) makes it the scene once its last pixel has arrived, however
 * the writes are split; "synthetic" restores the synthetic scene. A bad
 * header or data past the image fail the write with EINVAL and the old
 * scene stays; closing with an incomplete image fails close() with EINVAL.
 * Reading tells the current scene: "synthetic" or "image WxH".
 */
enum podcam_upload_state {
	PODCAM_UPLOAD_HEADER,
	PODCAM_UPLOAD_PIXELS,
	PODCAM_UPLOAD_DONE,
	PODCAM_UPLOAD_FAILED,
};

struct podcam_upload {
	struct mutex lock;	/* serializes writers of one open file */
	enum podcam_upload_state state;
	char hdr[PODCAM_PPM_HEADER_MAX];
	size_t hdr_len;
	struct podcam_image *img;
	size_t got;
	size_t need;
};

/* Whitespace or comments before a header token; at least one. */
static int podcam_ppm_skip(const char *p, size_t len, size_t *pos)
{
	size_t start = *pos;

	while (*pos < len) {
		if (p[*pos] == '#') {
			while (*pos < len && p[*pos] != '\n' && p[*pos] != '\r')
				(*pos)++;
		} else if (isspace(p[*pos])) {
			(*pos)++;
		} else {
			break;
		}
	}
	if (*pos == len)
		return -EAGAIN;
	return *pos == start ? -EINVAL : 0;
}

/* -EAGAIN: a longer prefix might still be a valid header. */
static int podcam_ppm_header(const char *p, size_t len, u32 *width,
			     u32 *height, size_t *hdr_len)
{
	u32 val[3];
	size_t pos;
	int i, ret;

	if (len < 2)
		return len && p[0] != 'P' ? -EINVAL : -EAGAIN;
	if (p[0] != 'P' || p[1] != '6')
		return -EINVAL;

	pos = 2;
	for (i = 0; i < 3; i++) {
		size_t start;

		ret = podcam_ppm_skip(p, len, &pos);
		if (ret)
			return ret;
		start = pos;
		val[i] = 0;
		while (pos < len && isdigit(p[pos])) {
			val[i] = val[i] * 10 + p[pos++] - '0';
			if (val[i] > 99999)
				return -EINVAL;
		}
		if (pos == len)
			return -EAGAIN;
		if (pos == start)
			return -EINVAL;
	}
	/* Exactly one whitespace character ends the header. */
	if (!isspace(p[pos]))
		return -EINVAL;

	if (!val[0] || val[0] > PODCAM_IMAGE_MAX_WIDTH || !val[1] ||
	    val[1] > PODCAM_IMAGE_MAX_HEIGHT || val[2] != 255)
		return -EINVAL;
	*width = val[0];
	*height = val[1];
	*hdr_len = pos + 1;
	return 0;
}

static int podcam_upload_header(struct podcam_upload *up,
				const char __user *ubuf, size_t count,
				size_t *used)
{
	size_t n = min(count, sizeof(up->hdr) - up->hdr_len), hlen, extra;
	struct podcam_image *img;
	u32 w, h;
	int ret;

	if (copy_from_user(up->hdr + up->hdr_len, ubuf, n))
		return -EFAULT;
	up->hdr_len += n;
	*used = n;

	ret = podcam_ppm_header(up->hdr, up->hdr_len, &w, &h, &hlen);
	if (ret == -EAGAIN && up->hdr_len < sizeof(up->hdr))
		return 0;
	if (ret)
		return -EINVAL;

	img = kzalloc(sizeof(*img), GFP_KERNEL);
	if (!img)
		return -ENOMEM;
	img->width = w;
	img->height = h;
	img->rgb = vmalloc(array3_size(w, h, 3));
	if (!img->rgb) {
		kfree(img);
		return -ENOMEM;
	}
	up->img = img;
	up->need = (size_t)w * h * 3;
	up->state = PODCAM_UPLOAD_PIXELS;

	/* Pixels that came with the header. */
	extra = up->hdr_len - hlen;
	if (extra > up->need)
		return -EINVAL;
	memcpy(img->rgb, up->hdr + hlen, extra);
	up->got = extra;
	return 0;
}

static int podcam_scene_open(struct inode *inode, struct file *file)
{
	struct podcam_upload *up;

	up = kzalloc(sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	mutex_init(&up->lock);
	file->private_data = up;
	return 0;
}

/* Only per-open state: the camera may be gone by now. */
static int podcam_scene_release(struct inode *inode, struct file *file)
{
	struct podcam_upload *up = file->private_data;

	podcam_image_free(up->img);
	mutex_destroy(&up->lock);
	kfree(up);
	return 0;
}

static int podcam_scene_flush(struct file *file, fl_owner_t id)
{
	struct podcam_upload *up = file->private_data;
	bool partial;

	mutex_lock(&up->lock);
	partial = up->state == PODCAM_UPLOAD_PIXELS ||
		  (up->state == PODCAM_UPLOAD_HEADER && up->hdr_len);
	mutex_unlock(&up->lock);
	return partial ? -EINVAL : 0;
}

static ssize_t podcam_scene_do_write(struct podcam_dev *dev,
				     struct podcam_upload *up,
				     const char __user *ubuf, size_t count)
{
	size_t used = 0, rest;
	char cmd[16];
	int ret;

	if (up->state == PODCAM_UPLOAD_HEADER && !up->hdr_len &&
	    count < sizeof(cmd)) {
		if (copy_from_user(cmd, ubuf, count))
			return -EFAULT;
		cmd[count] = '\0';
		if (sysfs_streq(cmd, "synthetic")) {
			ret = podcam_scene_set_image(dev, NULL);
			if (ret)
				return ret;
			up->state = PODCAM_UPLOAD_DONE;
			return count;
		}
	}

	if (up->state == PODCAM_UPLOAD_HEADER) {
		ret = podcam_upload_header(up, ubuf, count, &used);
		if (ret)
			return ret;
		if (up->state == PODCAM_UPLOAD_HEADER)
			return used;
	} else if (up->state != PODCAM_UPLOAD_PIXELS) {
		return -EINVAL;
	}

	rest = count - used;
	if (rest > up->need - up->got)
		return -EINVAL;
	if (copy_from_user(up->img->rgb + up->got, ubuf + used, rest))
		return -EFAULT;
	up->got += rest;

	if (up->got == up->need) {
		ret = podcam_scene_set_image(dev, up->img);
		if (ret)
			return ret;
		up->img = NULL;
		up->state = PODCAM_UPLOAD_DONE;
	}
	return count;
}

static ssize_t podcam_scene_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct dentry *dentry = file->f_path.dentry;
	struct podcam_upload *up = file->private_data;
	ssize_t ret;

	ret = debugfs_file_get(dentry);
	if (ret)
		return ret;

	mutex_lock(&up->lock);
	ret = podcam_scene_do_write(file_inode(file)->i_private, up, ubuf,
				    count);
	if (ret < 0) {
		up->state = PODCAM_UPLOAD_FAILED;
		podcam_image_free(up->img);
		up->img = NULL;
	} else {
		*ppos += ret;
	}
	mutex_unlock(&up->lock);

	debugfs_file_put(dentry);
	return ret;
}

static ssize_t podcam_scene_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct dentry *dentry = file->f_path.dentry;
	struct podcam_dev *dev = file_inode(file)->i_private;
	char buf[32];
	ssize_t ret;
	int len;

	ret = debugfs_file_get(dentry);
	if (ret)
		return ret;

	mutex_lock(&dev->lock);
	if (dev->image)
		len = scnprintf(buf, sizeof(buf), "image %ux%u\n",
				dev->image->width, dev->image->height);
	else
		len = scnprintf(buf, sizeof(buf), "synthetic\n");
	mutex_unlock(&dev->lock);

	debugfs_file_put(dentry);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

/*
 * Created with debugfs_create_file_unsafe(): flush (the close-time error
 * for an incomplete image) is not proxied otherwise. Read and write take
 * the debugfs reference themselves; open, flush and release only touch the
 * per-open state.
 */
const struct file_operations podcam_scene_fops = {
	.owner = THIS_MODULE,
	.open = podcam_scene_open,
	.release = podcam_scene_release,
	.flush = podcam_scene_flush,
	.read = podcam_scene_read,
	.write = podcam_scene_write,
	.llseek = no_llseek,
};
