// SPDX-License-Identifier: GPL-2.0
/* SHA-256 against FIPS 180-2's test vectors. */

#include "hash.h"
#include "tap.h"

TEST(fips_180_2_vectors)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex("abc", 3, hex);
	CHECK_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, hex);
	CHECK_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		   hex);
	CHECK_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(hex_encode)
{
	static const uint8_t in[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[9];

	hex_encode(in, sizeof(in), out);
	CHECK_STREQ(out, "000fa5ff");
}
