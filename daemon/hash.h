/* SPDX-License-Identifier: GPL-2.0 */
/* SHA-256 as lowercase hex (libcrypto), for spool metadata and uploads. */
#ifndef PODCAM_HASH_H
#define PODCAM_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64
#define SHA256_LEN 32

void sha256(const void *buf, size_t len, uint8_t ret[SHA256_LEN]);
/* ret gets 64 hex digits and a NUL. */
void sha256_hex(const void *buf, size_t len, char ret[SHA256_HEX_LEN + 1]);
void hex_encode(const uint8_t *in, size_t len, char *ret);

#endif
