// SPDX-License-Identifier: GPL-2.0
/*
 * EXIF blocks read back with libexif (and exiftool when installed): every
 * tag podcam writes, GPS only with a fix, bad metadata refused.
 */
#include <errno.h>
#include <json-c/json.h>
#include <linux/videodev2.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "encode.h"
#include "exif.h"
#include "frames.h"
#include "tap.h"
#include "util.h"
#include "yuv.h"

/* After util.h: libexif #undefs and redefines MIN and MAX the same way. */
#include <libexif/exif-data.h>

#define PHOTO_ID "018e0e4a7f3b7c1d9a2b3c4d5e6f7081"

/* 2024-03-05 14:07:09.123456 UTC */
#define CAPTURED_USEC 1709647629123456ull

static struct photo_meta meta_with_fix(void)
{
	return (struct photo_meta){
		.photo_id = PHOTO_ID,
		.captured_usec = CAPTURED_USEC,
		.utc_offset_sec = 3600,
		.width = 640,
		.height = 480,
		.make = "podcam",
		.model = "podcam-v1 doorbell",
		.has_gps = true,
		.gps = { 47.6101234, -122.3456789, 4.5 },
	};
}

static void exif_data_unrefp(ExifData **ed)
{
	if (*ed)
		exif_data_unref(*ed);
}

#define _cleanup_exif_ _cleanup_(exif_data_unrefp)

/*
 * Loads EXIF (an APP1 payload or a whole JPEG) as it is: without libexif's
 * "fixing", which would add entries that are not in the file.
 */
static ExifData *exif_load(const uint8_t *data, size_t size)
{
	ExifData *ed = exif_data_new();

	if (!ed)
		return NULL;
	exif_data_unset_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
	exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
	exif_data_load_data(ed, data, (unsigned int)size);
	return ed;
}

static ExifEntry *entry(ExifData *ed, ExifIfd ifd, unsigned int tag)
{
	return exif_content_get_entry(ed->ifd[ifd], (ExifTag)tag);
}

/* An ASCII entry's string, or NULL if missing or malformed. */
static const char *ascii(ExifData *ed, ExifIfd ifd, unsigned int tag)
{
	ExifEntry *e = entry(ed, ifd, tag);

	if (!e || e->format != EXIF_FORMAT_ASCII || e->size == 0 ||
	    e->data[e->size - 1] != '\0' || e->components != e->size)
		return NULL;
	return (const char *)e->data;
}

static double rational(ExifData *ed, ExifEntry *e, unsigned int i)
{
	ExifRational r = exif_get_rational(e->data + 8 * i,
					   exif_data_get_byte_order(ed));

	return r.denominator ? (double)r.numerator / r.denominator : NAN;
}

/* Signed degrees from a GPS coordinate and its reference, NAN if bad. */
static double gps_degrees(ExifData *ed, unsigned int tag, unsigned int ref_tag,
			  const char *negative)
{
	ExifEntry *e = entry(ed, EXIF_IFD_GPS, tag);
	const char *ref = ascii(ed, EXIF_IFD_GPS, ref_tag);
	double v;

	if (!e || !ref || e->format != EXIF_FORMAT_RATIONAL ||
	    e->components != 3)
		return NAN;
	v = rational(ed, e, 0) + rational(ed, e, 1) / 60 +
	    rational(ed, e, 2) / 3600;
	return streq(ref, negative) ? -v : v;
}

static long get_long(ExifData *ed, ExifIfd ifd, unsigned int tag)
{
	ExifEntry *e = entry(ed, ifd, tag);

	if (!e || e->components != 1)
		return -1;
	if (e->format == EXIF_FORMAT_LONG)
		return exif_get_long(e->data, exif_data_get_byte_order(ed));
	if (e->format == EXIF_FORMAT_SHORT)
		return exif_get_short(e->data, exif_data_get_byte_order(ed));
	return -1;
}

/* Builds the EXIF block of m and loads it back. */
static ExifData *build_and_load(const struct photo_meta *m)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size = 0;
	int r;

	r = exif_build(m, &data, &size);
	if (r < 0) {
		tap_diag("exif_build: %s", strerror(-r));
		return NULL;
	}
	return exif_load(data, size);
}

static void check_all_tags(ExifData *ed, const struct photo_meta *m)
{
	ExifEntry *e;

	CHECK_STREQ(ascii(ed, EXIF_IFD_0, EXIF_TAG_MAKE), m->make);
	CHECK_STREQ(ascii(ed, EXIF_IFD_0, EXIF_TAG_MODEL), m->model);
	CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL),
		    "2024:03:05 15:07:09");
	CHECK_STREQ(ascii(ed, EXIF_IFD_0, EXIF_TAG_DATE_TIME),
		    "2024:03:05 15:07:09");
	CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_SUB_SEC_TIME_ORIGINAL),
		    "123456");
	CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, 0x9011), "+01:00");
	CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, 0x9010), "+01:00");
	CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_IMAGE_UNIQUE_ID),
		    PHOTO_ID);
	CHECK_EQ_INT(get_long(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION),
		     m->width);
	CHECK_EQ_INT(get_long(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION),
		     m->height);
	e = entry(ed, EXIF_IFD_EXIF, EXIF_TAG_EXIF_VERSION);
	CHECK(e && e->size == 4 && memcmp(e->data, "0232", 4) == 0);

	e = entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_VERSION_ID);
	REQUIRE(e && e->format == EXIF_FORMAT_BYTE && e->components == 4);
	CHECK(memcmp(e->data, "\2\3\0\0", 4) == 0);
	CHECK(fabs(gps_degrees(ed, EXIF_TAG_GPS_LATITUDE,
			       EXIF_TAG_GPS_LATITUDE_REF, "S") -
		   m->gps.latitude) < 1e-7);
	CHECK(fabs(gps_degrees(ed, EXIF_TAG_GPS_LONGITUDE,
			       EXIF_TAG_GPS_LONGITUDE_REF, "W") -
		   m->gps.longitude) < 1e-7);
	e = entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_H_POSITIONING_ERROR);
	REQUIRE(e && e->format == EXIF_FORMAT_RATIONAL && e->components == 1);
	CHECK(fabs(rational(ed, e, 0) - m->gps.accuracy_m) < 0.01);
}

TEST(every_tag_reads_back)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = build_and_load(&m);

	REQUIRE(ed);
	CHECK_STREQ(ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE_REF), "N");
	CHECK_STREQ(ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE_REF), "W");
	check_all_tags(ed, &m);
}

TEST(south_east_and_carry)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = NULL;
	ExifEntry *e;

	/* 10.99999999999 degrees rounds up to 11 0 0, not 10 59 60. */
	m.gps.latitude = -10.99999999999;
	m.gps.longitude = 151.2093;
	ed = build_and_load(&m);
	REQUIRE(ed);
	CHECK_STREQ(ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE_REF), "S");
	CHECK_STREQ(ascii(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LONGITUDE_REF), "E");
	e = entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE);
	REQUIRE(e && e->components == 3);
	CHECK(rational(ed, e, 0) == 11);
	CHECK(rational(ed, e, 1) == 0);
	CHECK(rational(ed, e, 2) == 0);
	CHECK(fabs(gps_degrees(ed, EXIF_TAG_GPS_LONGITUDE,
			       EXIF_TAG_GPS_LONGITUDE_REF, "W") -
		   151.2093) < 1e-7);
}

TEST(offsets_and_local_time)
{
	static const struct {
		long offset;
		const char *text, *datetime;
	} cases[] = {
		{ 0, "+00:00", "2024:03:05 14:07:09" },
		{ -(5 * 3600 + 1800), "-05:30", "2024:03:05 08:37:09" },
		{ 5 * 3600 + 45 * 60, "+05:45", "2024:03:05 19:52:09" },
		{ 14 * 3600, "+14:00", "2024:03:06 04:07:09" },
		/* Seconds of an offset are dropped, in both places. */
		{ 3600 + 59, "+01:00", "2024:03:05 15:07:09" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct photo_meta m = meta_with_fix();
		_cleanup_exif_ ExifData *ed = NULL;

		m.utc_offset_sec = cases[i].offset;
		ed = build_and_load(&m);
		REQUIRE(ed);
		CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, 0x9011), cases[i].text);
		CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF,
				  EXIF_TAG_DATE_TIME_ORIGINAL),
			    cases[i].datetime);
	}
}

TEST(no_fix_no_gps_ifd)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = NULL;

	m.has_gps = false;
	ed = build_and_load(&m);
	REQUIRE(ed);
	CHECK_EQ_INT(ed->ifd[EXIF_IFD_GPS]->count, 0);
	CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_IMAGE_UNIQUE_ID),
		    PHOTO_ID);
}

TEST(unknown_accuracy_no_positioning_error)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = NULL;

	m.gps.accuracy_m = -1;
	ed = build_and_load(&m);
	REQUIRE(ed);
	CHECK(!entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_H_POSITIONING_ERROR));
	CHECK(entry(ed, EXIF_IFD_GPS, EXIF_TAG_GPS_LATITUDE));
}

TEST(no_make_no_model)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = NULL;

	m.make = NULL;
	m.model = "";
	ed = build_and_load(&m);
	REQUIRE(ed);
	CHECK(!entry(ed, EXIF_IFD_0, EXIF_TAG_MAKE));
	CHECK(!entry(ed, EXIF_IFD_0, EXIF_TAG_MODEL));
}

TEST(bad_metadata_refused)
{
	static const struct {
		const char *what;
		double lat, lon, acc;
	} fixes[] = {
		{ "latitude > 90", 90.5, 0, 1 },
		{ "longitude < -180", 0, -180.01, 1 },
		{ "latitude NaN", NAN, 0, 1 },
		{ "longitude inf", 0, INFINITY, 1 },
		{ "accuracy NaN", 0, 0, NAN },
		{ "accuracy inf", 0, 0, INFINITY },
	};
	static const char *const ids[] = {
		"",
		"018e0e4a",
		"018e0e4a7f3b7c1d9a2b3c4d5e6f708",
		"018E0E4A7F3B7C1D9A2B3C4D5E6F7081",
		"018e0e4a7f3b7c1d9a2b3c4d5e6f708g",
	};
	uint8_t *data = (uint8_t *)"untouched";
	size_t size = 42;

	for (size_t i = 0; i < ELEMENTSOF(fixes); i++) {
		struct photo_meta m = meta_with_fix();

		m.gps = (struct gps_fix){ fixes[i].lat, fixes[i].lon,
					  fixes[i].acc };
		if (exif_build(&m, &data, &size) != -EINVAL) {
			tap_diag("%s accepted", fixes[i].what);
			CHECK(false);
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
		struct photo_meta m = meta_with_fix();

		snprintf(m.photo_id, sizeof(m.photo_id), "%s", ids[i]);
		if (exif_build(&m, &data, &size) != -EINVAL) {
			tap_diag("photo id \"%s\" accepted", ids[i]);
			CHECK(false);
		}
	}

	{
		struct photo_meta m = meta_with_fix();

		m.utc_offset_sec = 24 * 3600;
		CHECK_EQ_INT(exif_build(&m, &data, &size), -EINVAL);
		m = meta_with_fix();
		m.width = 0;
		CHECK_EQ_INT(exif_build(&m, &data, &size), -EINVAL);
		/* Year 10000 does not fit DateTimeOriginal. */
		m = meta_with_fix();
		m.captured_usec = 253402300800ull * 1000000;
		CHECK_EQ_INT(exif_build(&m, &data, &size), -EINVAL);
	}
	CHECK_STREQ((const char *)data, "untouched");
	CHECK_EQ_INT(size, 42);
}

/* A whole photo: encode a frame with metadata, read the JPEG back. */
static int encode_photo(const struct photo_meta *m, uint8_t **ret,
			size_t *ret_size)
{
	_cleanup_(encoder_freep) struct encoder *enc = NULL;
	_cleanup_frame_ struct frame_view f = {};
	struct encode_params p = { .quality = 85, .meta = m };
	int r;

	r = encoder_new(m->width, m->height, &enc);
	if (r < 0)
		return r;
	r = scene(V4L2_PIX_FMT_NV12, m->width, m->height, 3, &f);
	if (r < 0)
		return r;
	return encode_copy(enc, &f, &p, ret, ret_size);
}

TEST(jpeg_reads_back)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = NULL, *ed_default = NULL;
	_cleanup_free_ uint8_t *jpeg = NULL;
	size_t size;

	REQUIRE(encode_photo(&m, &jpeg, &size) == 0);
	ed = exif_load(jpeg, size);
	REQUIRE(ed);
	check_all_tags(ed, &m);

	/* libexif's everyday loader (which "fixes" data) agrees. */
	ed_default = exif_data_new_from_data(jpeg, (unsigned int)size);
	REQUIRE(ed_default);
	CHECK_STREQ(ascii(ed_default, EXIF_IFD_EXIF, EXIF_TAG_IMAGE_UNIQUE_ID),
		    PHOTO_ID);
	CHECK_STREQ(ascii(ed_default, EXIF_IFD_EXIF, 0x9011), "+01:00");
}

TEST(jpeg_without_fix_has_no_gps)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = NULL;
	_cleanup_free_ uint8_t *jpeg = NULL;
	size_t size;

	m.has_gps = false;
	REQUIRE(encode_photo(&m, &jpeg, &size) == 0);
	ed = exif_data_new_from_data(jpeg, (unsigned int)size);
	REQUIRE(ed);
	CHECK_EQ_INT(ed->ifd[EXIF_IFD_GPS]->count, 0);
	CHECK_STREQ(ascii(ed, EXIF_IFD_EXIF, EXIF_TAG_IMAGE_UNIQUE_ID),
		    PHOTO_ID);
}

TEST(replace_adds_the_fix_of_a_held_photo)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_exif_ ExifData *ed = NULL;
	_cleanup_free_ uint8_t *jpeg = NULL, *out = NULL, *again = NULL;
	size_t size, out_size, again_size;

	m.has_gps = false;
	REQUIRE(encode_photo(&m, &jpeg, &size) == 0);
	m = meta_with_fix();
	REQUIRE(exif_replace(jpeg, size, &m, &out, &out_size) == 0);
	ed = exif_load(out, out_size);
	REQUIRE(ed);
	check_all_tags(ed, &m);

	/* Only the APP1 segment changed: the rest is the same bytes. */
	CHECK(out_size > size);
	CHECK(memcmp(out + out_size - 1000, jpeg + size - 1000, 1000) == 0);

	/* Replacing again gives the same file; garbage is refused. */
	REQUIRE(exif_replace(out, out_size, &m, &again, &again_size) == 0);
	CHECK_EQ_INT(again_size, out_size);
	CHECK(memcmp(again, out, out_size) == 0);
	free(again);
	again = NULL;
	CHECK_EQ_INT(exif_replace((const uint8_t *)"nope", 4, &m, &again,
				  &again_size), -EBADMSG);
	CHECK(again == NULL);
}

/* Runs exiftool on a file; its JSON output for the file, or NULL. */
static json_object *exiftool(const char *path, const char *args)
{
	_cleanup_free_ char *cmd = NULL, *out = NULL;
	size_t len = 0;
	FILE *p;
	json_object *all, *one;

	if (asprintf(&cmd, "exiftool -j %s '%s' 2>&1", args, path) < 0)
		return NULL;
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	{
		_cleanup_fclose_ FILE *mem = open_memstream(&out, &len);
		char buf[4096];
		size_t n;

		if (!mem) {
			pclose(p);
			return NULL;
		}
		while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
			fwrite(buf, 1, n, mem);
	}
	if (pclose(p) != 0) {
		tap_diag("%s: %s", cmd, strempty(out));
		return NULL;
	}
	all = json_tokener_parse(out);
	if (!all || !json_object_is_type(all, json_type_array) ||
	    json_object_array_length(all) != 1) {
		json_object_put(all);
		return NULL;
	}
	one = json_object_get(json_object_array_get_idx(all, 0));
	json_object_put(all);
	return one;
}

static const char *json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static double json_num(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NAN;
	return json_object_get_double(v);
}

static void json_object_putp(json_object **o)
{
	json_object_put(*o);
}

TEST(exiftool_reads_it)
{
	struct photo_meta m = meta_with_fix();
	_cleanup_(json_object_putp) json_object *tags = NULL, *check = NULL;
	_cleanup_free_ uint8_t *jpeg = NULL;
	char dir[] = "/tmp/test-exif.XXXXXX", path[64];
	const char *warning, *position;
	double lat, lon;
	size_t size;
	FILE *f;

	if (system("exiftool -ver >/dev/null 2>&1") != 0)
		SKIP("exiftool not installed (libimage-exiftool-perl)");
	REQUIRE(encode_photo(&m, &jpeg, &size) == 0);
	REQUIRE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/photo.jpg", dir);
	f = fopen(path, "we");
	REQUIRE(f);
	CHECK(fwrite(jpeg, 1, size, f) == size);
	CHECK(fclose(f) == 0);

	tags = exiftool(path, "-n -DateTimeOriginal -OffsetTimeOriginal "
			      "-OffsetTime -SubSecDateTimeOriginal "
			      "-GPSPosition -GPSHPositioningError "
			      "-ImageUniqueID -Make -Model");
	check = exiftool(path, "-validate -warning -a");
	unlink(path);
	rmdir(dir);
	REQUIRE(tags);
	REQUIRE(check);
	tap_diag("exiftool: %s", json_object_to_json_string(tags));

	CHECK_STREQ(json_str(tags, "DateTimeOriginal"), "2024:03:05 15:07:09");
	CHECK_STREQ(json_str(tags, "OffsetTimeOriginal"), "+01:00");
	CHECK_STREQ(json_str(tags, "OffsetTime"), "+01:00");
	CHECK_STREQ(json_str(tags, "SubSecDateTimeOriginal"),
		    "2024:03:05 15:07:09.123456+01:00");
	CHECK_STREQ(json_str(tags, "ImageUniqueID"), PHOTO_ID);
	CHECK_STREQ(json_str(tags, "Make"), m.make);
	CHECK_STREQ(json_str(tags, "Model"), m.model);
	/* Signed decimal degrees "LAT LON", within the 0.0001" we write. */
	position = json_str(tags, "GPSPosition");
	REQUIRE(position && sscanf(position, "%lf %lf", &lat, &lon) == 2);
	CHECK(fabs(lat - m.gps.latitude) < 1e-7);
	CHECK(fabs(lon - m.gps.longitude) < 1e-7);
	CHECK(fabs(json_num(tags, "GPSHPositioningError") - 4.5) < 1e-9);

	/* exiftool's structure check finds nothing to complain about. */
	warning = json_str(check, "Warning");
	if (warning)
		tap_diag("exiftool -validate: %s", warning);
	CHECK(!warning);
	CHECK_STREQ(json_str(check, "Validate"), "OK");
}
