/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cheap sharpness score for every captured frame, so that a trigger can
 * pick the sharpest frame of its window (docs/image-path.md).
 *
 * The score is the variance of the Laplacian (4c - n - s - e - w, taken
 * between neighbouring pixels) of the luma, sampled on every
 * sharpness_step()-th row and column, in integer arithmetic and one pass:
 * every 4th up to about 0.1 megapixels, then sparser, so that a frame of
 * any size costs about SHARPNESS_SAMPLES samples.
 * Blur (motion, focus) removes the fine detail the Laplacian responds to,
 * so a blurred frame scores lower than a sharp one of the same scene; a
 * flat frame scores 0. NV12 and YUYV frames of one picture score the same;
 * for RGB frames luma is approximated as (R + 2G + B) / 4. Scores compare
 * frames of one camera at one size; they carry no absolute meaning.
 */
#ifndef PODCAM_SHARPNESS_H
#define PODCAM_SHARPNESS_H

#include "yuv.h"

/* The densest grid, and the samples a large frame is scored on. */
#define SHARPNESS_MIN_STEP 4
#define SHARPNESS_SAMPLES 8192

/* The grid step for a width x height frame: >= SHARPNESS_MIN_STEP. */
unsigned int sharpness_step(unsigned int width, unsigned int height);

/*
 * Scores f into *ret. Only reads the frame. Returns 0 or the errors of
 * frame_check() (-EINVAL, -EOPNOTSUPP, -EBADMSG); *ret is untouched then.
 */
int sharpness_score(const struct frame_view *f, double *ret);

#endif
