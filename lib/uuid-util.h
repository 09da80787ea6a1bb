/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* UUIDs as 16 bytes in RFC 9562 byte order (the order of the string form), and the
 * derivation that gives every image build the same partition and filesystem UUIDs. */

#include <stdint.h>

typedef struct Uuid {
	uint8_t bytes[16];
} Uuid;

/* Length of the string form without the NUL: 8-4-4-4-12 hex digits. */
#define UUID_STRING_LEN 36

/* Parse exactly 36 characters "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", hex digits in either
 * case, nothing before or after. Braces, "urn:uuid:" and the 32-digit form without dashes
 * are -EINVAL like any other malformed input: UUIDs in profiles are written by humans, and
 * accepting one spelling keeps them greppable. The nil UUID parses fine. */
int uuid_from_string(const char *s, Uuid *ret);

/* Lower-case 8-4-4-4-12 form, NUL-terminated. */
void uuid_to_string(const Uuid *u, char ret[static UUID_STRING_LEN + 1]);

/* The derivation below is part of the image format: changing it changes the UUIDs (and
 * so the bytes) of every image. Do not touch it; add a new function instead.
 *
 *   D = SHA-256( bytes of namespace_str || one 0x00 byte || bytes of name )
 *
 * (the strings' own terminating NULs are not hashed; the 0x00 separator keeps
 * ("ab", "c") and ("a", "bc") apart, since a C string cannot contain 0x00).
 *
 * uuid_derive(): the first 16 bytes of D, then the RFC 9562 version 8 ("custom") and
 * variant fields are set:
 *   bytes[6] = (D[6] & 0x0f) | 0x80     version 8 in the high nibble
 *   bytes[8] = (D[8] & 0x3f) | 0x80     variant 0b10 in the two high bits
 * so the result is never the nil or max UUID, and has 122 bits of the digest.
 *
 * uuid_derive_u32(): D[0..3] as a big-endian number, i.e. the first 8 hex digits of
 * uuid_derive() with the same arguments. Meant for a FAT volume serial number, which
 * blkid and /dev/disk/by-uuid show as "XXXX-XXXX": these same 8 digits, upper-case.
 *
 * Neither can fail: SHA-256 is computed in-process rather than through libcrypto, so
 * there is no allocation and no provider to load. */
void uuid_derive(const char *namespace_str, const char *name, Uuid *ret);
uint32_t uuid_derive_u32(const char *namespace_str, const char *name);
