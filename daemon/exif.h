/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The EXIF block of a podcam photo, built with libexif from the photo's
 * metadata (docs/image-path.md lists every tag):
 *
 *	IFD0	Make, Model (when set), DateTime, X/YResolution,
 *		ResolutionUnit, YCbCrPositioning
 *	Exif	ExifVersion 0232, DateTimeOriginal, SubSecTimeOriginal,
 *		OffsetTime, OffsetTimeOriginal (tag 0x9011), ImageUniqueID =
 *		photo id, PixelXDimension, PixelYDimension,
 *		ComponentsConfiguration, FlashpixVersion, ColorSpace
 *	GPS	only when the photo has a fix: GPSVersionID 2.3.0.0,
 *		GPSLatitudeRef/GPSLatitude, GPSLongitudeRef/GPSLongitude,
 *		GPSHPositioningError when the accuracy is known
 *
 * Times are local: captured_usec shifted by utc_offset_sec (whole minutes),
 * which OffsetTime* states as "+HH:MM".
 */
#ifndef PODCAM_EXIF_H
#define PODCAM_EXIF_H

#include <stddef.h>
#include <stdint.h>

#include "photo.h"

/* The most an APP1 segment can carry after its length field. */
#define EXIF_PAYLOAD_MAX 65533

/*
 * Builds the APP1 payload ("Exif\0\0" and the TIFF structure) for m into a
 * new buffer (free() it). Uses m's photo_id, captured_usec, utc_offset_sec,
 * width, height, make, model, has_gps and gps. Returns 0, -EINVAL for a
 * photo id that is not 32 hex digits, a size of 0, an offset of a day or
 * more, a time past year 9999 or a GPS fix out of range (latitude beyond
 * +-90, longitude beyond +-180, anything not finite), -E2BIG when the
 * result does not fit an APP1 segment, -ENOMEM.
 */
int exif_build(const struct photo_meta *m, uint8_t **ret, size_t *ret_size);

/*
 * A copy of the JPEG file jpeg with its EXIF APP1 segment (right after
 * SOI, as the encoder writes it; added when there is none) rebuilt for m:
 * a held van-stop photo gets the GPS fix of its Delivered. Returns 0, the
 * errors of exif_build(), -EBADMSG for data that is no such JPEG, -ENOMEM.
 */
int exif_replace(const uint8_t *jpeg, size_t size, const struct photo_meta *m,
		 uint8_t **ret, size_t *ret_size);

#endif
