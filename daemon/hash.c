// SPDX-License-Identifier: GPL-2.0
/* SHA-256 helpers on libsodium. */

#include <sodium.h>

#include "hash.h"

void sha256(const void *buf, size_t len, uint8_t ret[SHA256_LEN])
{
	crypto_hash_sha256(ret, buf, len);
}

void hex_encode(const uint8_t *in, size_t len, char *ret)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		ret[2 * i] = digits[in[i] >> 4];
		ret[2 * i + 1] = digits[in[i] & 0xf];
	}
	ret[2 * len] = '\0';
}

void sha256_hex(const void *buf, size_t len, char ret[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];

	sha256(buf, len, d);
	hex_encode(d, sizeof(d), ret);
}
