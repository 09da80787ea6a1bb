/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "uuid-util.h"

/* A plain FIPS 180-4 SHA-256. libcrypto's EVP interface (hash.h) allocates a context and
 * may fail to load a provider, and uuid_derive() must not be able to fail: its callers
 * compute UUIDs while laying out an image, where a missing UUID has no sensible fallback.
 * The unit test checks this against libcrypto on many inputs. */

typedef struct Sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t fill;         /* bytes in block */
	uint64_t total;      /* bytes hashed so far */
} Sha256;

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned n) {
	return (x >> n) | (x << (32 - n));
}

static void sha256_init(Sha256 *s) {
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(s->h, iv, sizeof(iv));
	s->fill = 0;
	s->total = 0;
}

static void sha256_compress(Sha256 *s, const uint8_t p[static 64]) {
	uint32_t w[64], v[8];

	for (unsigned i = 0; i < 16; i++)
		w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
		       (uint32_t) p[4 * i + 2] << 8 | (uint32_t) p[4 * i + 3];
	for (unsigned i = 16; i < 64; i++) {
		uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}

	memcpy(v, s->h, sizeof(v));
	for (unsigned i = 0; i < 64; i++) {
		uint32_t S1 = ror32(v[4], 6) ^ ror32(v[4], 11) ^ ror32(v[4], 25);
		uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
		uint32_t t1 = v[7] + S1 + ch + sha256_k[i] + w[i];
		uint32_t S0 = ror32(v[0], 2) ^ ror32(v[0], 13) ^ ror32(v[0], 22);
		uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
		uint32_t t2 = S0 + maj;

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (unsigned i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void sha256_update(Sha256 *s, const void *data, size_t n) {
	const uint8_t *p = data;

	s->total += n;
	while (n > 0) {
		size_t k = MIN(n, sizeof(s->block) - s->fill);
		memcpy(s->block + s->fill, p, k);
		s->fill += k;
		p += k;
		n -= k;
		if (s->fill == sizeof(s->block)) {
			sha256_compress(s, s->block);
			s->fill = 0;
		}
	}
}

static void sha256_final(Sha256 *s, uint8_t ret[static 32]) {
	uint64_t bits = s->total * 8;
	uint8_t len[8];

	for (unsigned i = 0; i < 8; i++)
		len[i] = (uint8_t) (bits >> (56 - 8 * i));

	/* 0x80, zeros up to 56 mod 64, then the 64-bit big-endian bit count. */
	sha256_update(s, (const uint8_t[]) { 0x80 }, 1);
	while (s->fill != 56)
		sha256_update(s, (const uint8_t[]) { 0 }, 1);
	sha256_update(s, len, sizeof(len));

	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 4; j++)
			ret[4 * i + j] = (uint8_t) (s->h[i] >> (24 - 8 * j));
}

static void uuid_digest(const char *namespace_str, const char *name, uint8_t ret[static 32]) {
	Sha256 s;

	sha256_init(&s);
	sha256_update(&s, namespace_str, strlen(namespace_str));
	sha256_update(&s, "", 1);   /* the 0x00 separator */
	sha256_update(&s, name, strlen(name));
	sha256_final(&s, ret);
}

void uuid_derive(const char *namespace_str, const char *name, Uuid *ret) {
	uint8_t d[32];

	uuid_digest(namespace_str, name, d);
	memcpy(ret->bytes, d, sizeof(ret->bytes));
	ret->bytes[6] = (uint8_t) ((ret->bytes[6] & 0x0f) | 0x80);
	ret->bytes[8] = (uint8_t) ((ret->bytes[8] & 0x3f) | 0x80);
}

uint32_t uuid_derive_u32(const char *namespace_str, const char *name) {
	uint8_t d[32];

	uuid_digest(namespace_str, name, d);
	return (uint32_t) d[0] << 24 | (uint32_t) d[1] << 16 | (uint32_t) d[2] << 8 | (uint32_t) d[3];
}

/* Where the dashes go in the string form; every other position is a hex digit. */
static inline int is_dash_position(size_t i) {
	return i == 8 || i == 13 || i == 18 || i == 23;
}

static int unhex(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

int uuid_from_string(const char *s, Uuid *ret) {
	Uuid u;
	size_t j = 0;

	if (!s || strnlen(s, UUID_STRING_LEN + 1) != UUID_STRING_LEN)
		return -EINVAL;

	for (size_t i = 0; i < UUID_STRING_LEN; i++) {
		if (is_dash_position(i)) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		/* Groups have even lengths, so a digit pair never straddles a dash. */
		int hi = unhex(s[i]), lo = unhex(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u.bytes[j++] = (uint8_t) (hi << 4 | lo);
		i++;
	}

	*ret = u;
	return 0;
}

void uuid_to_string(const Uuid *u, char ret[static UUID_STRING_LEN + 1]) {
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;

	for (size_t i = 0; i < ELEMENTSOF(u->bytes); i++) {
		if (is_dash_position(j))
			ret[j++] = '-';
		ret[j++] = hex[u->bytes[i] >> 4];
		ret[j++] = hex[u->bytes[i] & 0xf];
	}
	ret[j] = '\0';
}
