// SPDX-License-Identifier: GPL-2.0
/*
 * EXIF for podcam photos with libexif (see exif.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exif.h"
#include "util.h"

/* After util.h: libexif #undefs and redefines MIN and MAX the same way. */
#include <libexif/exif-data.h>

#define TAG_OFFSET_TIME 0x9010
#define TAG_OFFSET_TIME_ORIGINAL 0x9011 /* not in every libexif */

/* Seconds of arc are written in units of 1/10000 (about 3 mm). */
#define ARCSEC_DENOM 10000

static void exif_data_unrefp(ExifData **ed)
{
	if (*ed)
		exif_data_unref(*ed);
}

static void exif_mem_unrefp(ExifMem **mem)
{
	if (*mem)
		exif_mem_unref(*mem);
}

/*
 * Adds an entry by tag number with room for its value, zeroed, and returns
 * it (owned by the IFD), or NULL when out of memory.
 */
static ExifEntry *entry_add(ExifData *ed, ExifMem *mem, ExifIfd ifd,
			    unsigned int tag, ExifFormat format,
			    unsigned int components)
{
	ExifEntry *e;
	size_t size = (size_t)exif_format_get_size(format) * components;

	e = exif_entry_new_mem(mem);
	if (!e)
		return NULL;
	e->data = exif_mem_alloc(mem, size);
	if (!e->data) {
		exif_entry_unref(e);
		return NULL;
	}
	e->tag = tag;
	e->format = format;
	e->components = components;
	e->size = size;
	exif_content_add_entry(ed->ifd[ifd], e);
	exif_entry_unref(e); /* the IFD holds it now */
	return e;
}

/* ASCII values count their terminating NUL. */
static int add_ascii(ExifData *ed, ExifMem *mem, ExifIfd ifd, unsigned int tag,
		     const char *s)
{
	ExifEntry *e =
		entry_add(ed, mem, ifd, tag, EXIF_FORMAT_ASCII, strlen(s) + 1);

	if (!e)
		return -ENOMEM;
	memcpy(e->data, s, e->size);
	return 0;
}

/* UNDEFINED and BYTE values: raw bytes. */
static int add_bytes(ExifData *ed, ExifMem *mem, ExifIfd ifd, unsigned int tag,
		     ExifFormat format, const void *bytes, unsigned int n)
{
	ExifEntry *e = entry_add(ed, mem, ifd, tag, format, n);

	if (!e)
		return -ENOMEM;
	memcpy(e->data, bytes, n);
	return 0;
}

static int add_short(ExifData *ed, ExifMem *mem, ExifIfd ifd, unsigned int tag,
		     uint16_t v)
{
	ExifEntry *e = entry_add(ed, mem, ifd, tag, EXIF_FORMAT_SHORT, 1);

	if (!e)
		return -ENOMEM;
	exif_set_short(e->data, exif_data_get_byte_order(ed), v);
	return 0;
}

static int add_long(ExifData *ed, ExifMem *mem, ExifIfd ifd, unsigned int tag,
		    uint32_t v)
{
	ExifEntry *e = entry_add(ed, mem, ifd, tag, EXIF_FORMAT_LONG, 1);

	if (!e)
		return -ENOMEM;
	exif_set_long(e->data, exif_data_get_byte_order(ed), v);
	return 0;
}

static int add_rationals(ExifData *ed, ExifMem *mem, ExifIfd ifd,
			 unsigned int tag, const ExifRational *v,
			 unsigned int n)
{
	ExifEntry *e = entry_add(ed, mem, ifd, tag, EXIF_FORMAT_RATIONAL, n);

	if (!e)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++)
		exif_set_rational(e->data + 8 * i, exif_data_get_byte_order(ed),
				  v[i]);
	return 0;
}

static bool photo_id_valid(const char *id)
{
	if (strlen(id) != PHOTO_ID_LEN)
		return false;
	return strspn(id, "0123456789abcdef") == PHOTO_ID_LEN;
}

/* "YYYY:MM:DD HH:MM:SS", SubSec digits and "+HH:MM" of the capture. */
struct exif_times {
	char datetime[20];
	char subsec[7];
	char offset[7];
};

static int format_times(uint64_t usec, long utc_offset_sec,
			struct exif_times *ret)
{
	long off_min = utc_offset_sec / 60; /* whole minutes, as stated */
	time_t t;
	struct tm tm;
	int n;

	if (labs(off_min) >= 24 * 60)
		return -EINVAL;
	t = (time_t)(usec / 1000000) + off_min * 60;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999)
		return -EINVAL;
	n = snprintf(ret->datetime, sizeof(ret->datetime),
		     "%04d:%02d:%02d %02d:%02d:%02d", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec);
	if (n != sizeof(ret->datetime) - 1)
		return -EINVAL;
	snprintf(ret->subsec, sizeof(ret->subsec), "%06u",
		 (unsigned int)(usec % 1000000));
	snprintf(ret->offset, sizeof(ret->offset), "%c%02ld:%02ld",
		 off_min < 0 ? '-' : '+', labs(off_min) / 60,
		 labs(off_min) % 60);
	return 0;
}

/* Degrees as degrees, minutes and seconds of arc. */
static void degrees_to_dms(double v, ExifRational ret[3])
{
	uint64_t t = (uint64_t)llround(fabs(v) * 3600.0 * ARCSEC_DENOM);

	ret[0] = (ExifRational){ t / (3600 * ARCSEC_DENOM), 1 };
	ret[1] = (ExifRational){ t / (60 * ARCSEC_DENOM) % 60, 1 };
	ret[2] = (ExifRational){ t % (60 * ARCSEC_DENOM), ARCSEC_DENOM };
}

static bool gps_valid(const struct gps_fix *g)
{
	if (!isfinite(g->latitude) || fabs(g->latitude) > 90)
		return false;
	if (!isfinite(g->longitude) || fabs(g->longitude) > 180)
		return false;
	/* Negative means unknown; more than the Earth is nonsense. */
	return !isnan(g->accuracy_m) && g->accuracy_m < 4e7;
}

static int add_gps(ExifData *ed, ExifMem *mem, const struct gps_fix *g)
{
	static const uint8_t version[4] = { 2, 3, 0, 0 };
	ExifRational dms[3];
	int r;

	r = add_bytes(ed, mem, EXIF_IFD_GPS, EXIF_TAG_GPS_VERSION_ID,
		      EXIF_FORMAT_BYTE, version, sizeof(version));
	if (r < 0)
		return r;
	r = add_ascii(ed, mem, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE_REF,
		      g->latitude < 0 ? "S" : "N");
	if (r < 0)
		return r;
	degrees_to_dms(g->latitude, dms);
	r = add_rationals(ed, mem, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE, dms, 3);
	if (r < 0)
		return r;
	r = add_ascii(ed, mem, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE_REF,
		      g->longitude < 0 ? "W" : "E");
	if (r < 0)
		return r;
	degrees_to_dms(g->longitude, dms);
	r = add_rationals(ed, mem, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE, dms,
			  3);
	if (r < 0 || g->accuracy_m < 0)
		return r;
	/* Centimetres. */
	dms[0] = (ExifRational){ (ExifLong)llround(g->accuracy_m * 100), 100 };
	return add_rationals(ed, mem, EXIF_IFD_GPS,
			     EXIF_TAG_GPS_H_POSITIONING_ERROR, dms, 1);
}

static int add_ifd0(ExifData *ed, ExifMem *mem, const struct photo_meta *m,
		    const struct exif_times *t)
{
	static const ExifRational dpi = { 72, 1 };
	int r = 0;

	if (m->make && *m->make)
		r = add_ascii(ed, mem, EXIF_IFD_0, EXIF_TAG_MAKE, m->make);
	if (r >= 0 && m->model && *m->model)
		r = add_ascii(ed, mem, EXIF_IFD_0, EXIF_TAG_MODEL, m->model);
	if (r >= 0)
		r = add_rationals(ed, mem, EXIF_IFD_0, EXIF_TAG_X_RESOLUTION,
				  &dpi, 1);
	if (r >= 0)
		r = add_rationals(ed, mem, EXIF_IFD_0, EXIF_TAG_Y_RESOLUTION,
				  &dpi, 1);
	if (r >= 0) /* inches */
		r = add_short(ed, mem, EXIF_IFD_0, EXIF_TAG_RESOLUTION_UNIT, 2);
	if (r >= 0)
		r = add_ascii(ed, mem, EXIF_IFD_0, EXIF_TAG_DATE_TIME,
			      t->datetime);
	if (r >= 0) /* centred */
		r = add_short(ed, mem, EXIF_IFD_0, EXIF_TAG_YCBCR_POSITIONING,
			      1);
	return r;
}

static int add_exif_ifd(ExifData *ed, ExifMem *mem, const struct photo_meta *m,
			const struct exif_times *t)
{
	static const uint8_t components[4] = { 1, 2, 3, 0 }; /* Y Cb Cr */
	int r;

	r = add_bytes(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_EXIF_VERSION,
		      EXIF_FORMAT_UNDEFINED, "0232", 4);
	if (r >= 0)
		r = add_ascii(ed, mem, EXIF_IFD_EXIF,
			      EXIF_TAG_DATE_TIME_ORIGINAL, t->datetime);
	if (r >= 0)
		r = add_ascii(ed, mem, EXIF_IFD_EXIF, TAG_OFFSET_TIME,
			      t->offset);
	if (r >= 0)
		r = add_ascii(ed, mem, EXIF_IFD_EXIF, TAG_OFFSET_TIME_ORIGINAL,
			      t->offset);
	if (r >= 0)
		r = add_bytes(ed, mem, EXIF_IFD_EXIF,
			      EXIF_TAG_COMPONENTS_CONFIGURATION,
			      EXIF_FORMAT_UNDEFINED, components, 4);
	if (r >= 0)
		r = add_ascii(ed, mem, EXIF_IFD_EXIF,
			      EXIF_TAG_SUB_SEC_TIME_ORIGINAL, t->subsec);
	if (r >= 0)
		r = add_bytes(ed, mem, EXIF_IFD_EXIF,
			      EXIF_TAG_FLASH_PIX_VERSION, EXIF_FORMAT_UNDEFINED,
			      "0100", 4);
	if (r >= 0) /* sRGB */
		r = add_short(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_COLOR_SPACE, 1);
	if (r >= 0)
		r = add_long(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION,
			     m->width);
	if (r >= 0)
		r = add_long(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION,
			     m->height);
	if (r >= 0)
		r = add_ascii(ed, mem, EXIF_IFD_EXIF, EXIF_TAG_IMAGE_UNIQUE_ID,
			      m->photo_id);
	return r;
}

int exif_build(const struct photo_meta *m, uint8_t **ret, size_t *ret_size)
{
	_cleanup_(exif_mem_unrefp) ExifMem *mem = NULL;
	_cleanup_(exif_data_unrefp) ExifData *ed = NULL;
	unsigned char *data = NULL;
	unsigned int size = 0;
	struct exif_times t;
	int r;

	if (!photo_id_valid(m->photo_id) || m->width == 0 || m->height == 0)
		return -EINVAL;
	if (m->has_gps && !gps_valid(&m->gps))
		return -EINVAL;
	r = format_times(m->captured_usec, m->utc_offset_sec, &t);
	if (r < 0)
		return r;

	mem = exif_mem_new_default();
	if (!mem)
		return -ENOMEM;
	ed = exif_data_new_mem(mem);
	if (!ed)
		return -ENOMEM;
	/* Entries are built by hand: no automatic "fixing" of them. */
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_set_data_type(ed, EXIF_DATA_TYPE_COMPRESSED);
	exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);

	r = add_ifd0(ed, mem, m, &t);
	if (r >= 0)
		r = add_exif_ifd(ed, mem, m, &t);
	if (r >= 0 && m->has_gps)
		r = add_gps(ed, mem, &m->gps);
	if (r < 0)
		return r;

	exif_data_save_data(ed, &data, &size);
	if (!data || size == 0)
		return -ENOMEM;
	if (size > EXIF_PAYLOAD_MAX) {
		exif_mem_free(mem, data);
		return -E2BIG;
	}
	/* exif_mem_new_default() allocates with calloc(). */
	*ret = data;
	*ret_size = size;
	return 0;
}

int exif_replace(const uint8_t *jpeg, size_t size, const struct photo_meta *m,
		 uint8_t **ret, size_t *ret_size)
{
	_cleanup_free_ uint8_t *exif = NULL;
	size_t rest = 2, exif_size, out_size;
	uint8_t *out;
	int r;

	if (size < 4 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
		return -EBADMSG;
	if (size >= 2 + 4 + 6 && jpeg[2] == 0xff && jpeg[3] == 0xe1 &&
	    memcmp(jpeg + 6, "Exif\0\0", 6) == 0) {
		size_t len = (size_t)jpeg[4] << 8 | jpeg[5];

		if (len < 2 || 2 + 2 + len > size)
			return -EBADMSG;
		rest = 2 + 2 + len;
	}

	r = exif_build(m, &exif, &exif_size);
	if (r < 0)
		return r;
	out_size = 2 + 2 + 2 + exif_size + (size - rest);
	out = malloc(out_size);
	if (!out)
		return -ENOMEM;
	out[0] = 0xff;	/* SOI */
	out[1] = 0xd8;
	out[2] = 0xff;	/* APP1, its length counting itself */
	out[3] = 0xe1;
	out[4] = (uint8_t)((exif_size + 2) >> 8);
	out[5] = (uint8_t)(exif_size + 2);
	memcpy(out + 6, exif, exif_size);
	memcpy(out + 6 + exif_size, jpeg + rest, size - rest);
	*ret = out;
	*ret_size = out_size;
	return 0;
}
