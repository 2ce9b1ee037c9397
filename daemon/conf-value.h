/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The value types of podcam.conf, for conf.c's key tables: each parser
 * checks the value of one Key=Value line against its table entry k and
 * stores it at field (base + k->offset; base is the section's struct, for
 * the keys that fill more than one field). A bad value gives -EINVAL and
 * the reason in why ("must be 1..100"); other failures negative errno.
 * An empty value reaches only parsers of keys with empty_ok; the string
 * ones then clear the field.
 */
#ifndef PODCAM_CONF_VALUE_H
#define PODCAM_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_WHY_MAX 256
#define CONF_SIZE_MAX_PIXELS 8192
#define CONF_ROLE_MAX 31

struct conf_key;

typedef int (*conf_parse_fn)(const struct conf_key *k, const char *value,
			     void *field, void *base, char *why);

struct conf_enum {
	const char *name;
	int value;
};

struct conf_key {
	const char *name;
	conf_parse_fn parse;
	size_t offset;
	uint64_t min, max;		/* numbers, sizes, string lengths */
	const struct conf_enum *enums;	/* NULL-terminated */
	bool empty_ok;			/* "Key=" allowed: none, or default */
	bool repeatable;
};

/* unsigned int in min..max */
int conf_parse_uint(const struct conf_key *k, const char *value,
		    void *field, void *base, char *why);
/* uint64_t bytes with K, M, G, T, in min..max */
int conf_parse_bytes(const struct conf_key *k, const char *value,
		     void *field, void *base, char *why);
/* bool */
int conf_parse_boolean(const struct conf_key *k, const char *value,
		    void *field, void *base, char *why);
/* an enum (int) named in k->enums */
int conf_parse_enum(const struct conf_key *k, const char *value,
		    void *field, void *base, char *why);
/* char *: an absolute path without ".." */
int conf_parse_path(const struct conf_key *k, const char *value,
		    void *field, void *base, char *why);
/* char *: min..max printable ASCII characters */
int conf_parse_text(const struct conf_key *k, const char *value,
		    void *field, void *base, char *why);
/* char *: min..max of A-Z a-z 0-9 . _ -, first a letter or digit */
int conf_parse_device_id(const struct conf_key *k, const char *value,
			 void *field, void *base, char *why);
/* podcam_config's delivery_uids: root, then names and uids */
int conf_parse_users(const struct conf_key *k, const char *value,
		     void *field, void *base, char *why);
/* uint32_t V4L2 fourcc: NV12 or YUYV */
int conf_parse_format(const struct conf_key *k, const char *value,
		      void *field, void *base, char *why);
/* camera_config's width and height: even WxH, 64..8192 */
int conf_parse_frame_size(const struct conf_key *k, const char *value,
			  void *field, void *base, char *why);
/* appends X,Y,WxH to camera_config's masks */
int conf_parse_mask(const struct conf_key *k, const char *value,
		    void *field, void *base, char *why);
/* char *: an http(s) URL with a host, without a trailing slash */
int conf_parse_url(const struct conf_key *k, const char *value,
		   void *field, void *base, char *why);
/* char *: an S3 bucket name */
int conf_parse_bucket(const struct conf_key *k, const char *value,
		      void *field, void *base, char *why);
/* char *: an S3 region name */
int conf_parse_region(const struct conf_key *k, const char *value,
		      void *field, void *base, char *why);

/* [camera ROLE]: 1..31 of a-z 0-9 -, first a letter or digit */
bool conf_role_is_valid(const char *role);

#endif
