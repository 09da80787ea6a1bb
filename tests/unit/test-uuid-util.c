/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "tap.h"
#include "uuid-util.h"

static void test_parse_format(void) {
	static const Uuid want = { .bytes = {
		0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
		0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00,
	} };
	char buf[UUID_STRING_LEN + 1];
	Uuid u;

	is_int(uuid_from_string("123e4567-e89b-12d3-a456-426614174000", &u), 0, "parse lower case");
	ok(memcmp(u.bytes, want.bytes, sizeof(want.bytes)) == 0, "bytes are in string order");
	memset(&u, 0, sizeof(u));
	is_int(uuid_from_string("123E4567-E89B-12D3-A456-426614174000", &u), 0, "parse upper case");
	ok(memcmp(u.bytes, want.bytes, sizeof(want.bytes)) == 0, "upper case gives the same bytes");

	memset(buf, 'x', sizeof(buf));
	uuid_to_string(&u, buf);
	is_str(buf, "123e4567-e89b-12d3-a456-426614174000", "format is lower-case 8-4-4-4-12");

	static const Uuid nil = { .bytes = { 0 } }, max = { .bytes = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	} };
	uuid_to_string(&nil, buf);
	is_str(buf, "00000000-0000-0000-0000-000000000000", "nil UUID");
	uuid_to_string(&max, buf);
	is_str(buf, "ffffffff-ffff-ffff-ffff-ffffffffffff", "max UUID");
	is_int(uuid_from_string("00000000-0000-0000-0000-000000000000", &u), 0, "nil parses");
	ok(memcmp(u.bytes, nil.bytes, sizeof(nil.bytes)) == 0, "nil parses to zero bytes");
}

static void test_parse_invalid(void) {
	static const char *const bad[] = {
		"",
		"123e4567-e89b-12d3-a456-42661417400",          /* one digit short */
		"123e4567-e89b-12d3-a456-4266141740000",        /* one digit long */
		"123e4567-e89b-12d3-a456-426614174000 ",        /* trailing space */
		" 123e4567-e89b-12d3-a456-426614174000",
		"123e4567e89b-12d3-a456-426614174000-",         /* dash moved to the end */
		"123e4567-e89b-12d3-a4564-26614174000",         /* dash one off */
		"123e4567+e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456-42661417400g",
		"123e4567-e89b-12d3-a456-4266141740-0",         /* a dash where a digit belongs */
		"{123e4567-e89b-12d3-a456-426614174000}",
		"123e4567e89b12d3a456426614174000",
		"urn:uuid:123e4567-e89b-12d3-a456-426614174000",
	};
	Uuid u, sentinel;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		u = sentinel;
		is_int(uuid_from_string(bad[i], &u), -EINVAL, bad[i]);
		ok(memcmp(&u, &sentinel, sizeof(u)) == 0, "ret untouched for \"%s\"", bad[i]);
	}
	is_int(uuid_from_string(NULL, &u), -EINVAL, "NULL string");
}

static void test_derive_known_answers(void) {
	/* Computed independently with Python's hashlib; these pin the image format. */
	static const struct {
		const char *ns, *name, *uuid;
		uint32_t u32;
	} v[] = {
		{ "kiln.test", "root", "1ebaf630-3d60-8a19-8996-576828a03ed1", 0x1ebaf630 },
		{ "", "", "6e340b9c-ffb3-8a98-9ca5-44e6bb780a2c", 0x6e340b9c },
		{ "kiln.partition", "esp", "fced3ffe-000d-88fe-a190-ae7c4704235e", 0xfced3ffe },
	};
	char buf[UUID_STRING_LEN + 1];

	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		Uuid u;
		uuid_derive(v[i].ns, v[i].name, &u);
		uuid_to_string(&u, buf);
		is_str(buf, v[i].uuid, "derived UUID matches the documented derivation");
		is_int(uuid_derive_u32(v[i].ns, v[i].name), v[i].u32, "derived u32 is the first 4 digest bytes");
	}
}

static void test_derive_properties(void) {
	char a[UUID_STRING_LEN + 1], b[UUID_STRING_LEN + 1];
	Uuid u, w;

	uuid_derive("kiln.fs", "root", &u);
	uuid_derive("kiln.fs", "root", &w);
	ok(memcmp(&u, &w, sizeof(u)) == 0, "derivation is deterministic");

	uuid_to_string(&u, a);
	ok(a[14] == '8', "version nibble is 8 (%s)", a);
	ok(strchr("89ab", a[19]), "variant bits are 10 (%s)", a);

	uuid_derive("ab", "c", &u);
	uuid_derive("a", "bc", &w);
	ok(memcmp(&u, &w, sizeof(u)) != 0, "the separator keeps (ab,c) and (a,bc) apart");

	uuid_derive("kiln.fs", "root", &u);
	uuid_derive("kiln.fs", "boot", &w);
	uuid_to_string(&u, a);
	uuid_to_string(&w, b);
	ok(!streq(a, b), "different names give different UUIDs (%s, %s)", a, b);

	uint32_t serial = uuid_derive_u32("kiln.fs", "root");
	char digits[9];
	snprintf(digits, sizeof(digits), "%08x", serial);
	ok(strneq(digits, a, 8), "u32 is the UUID's first 8 digits (%s, %s)", digits, a);
}

/* The in-process SHA-256 against libcrypto across the padding boundaries (55, 56, 63, 64
 * bytes and their multiples) and both argument positions. */
static void test_derive_against_libcrypto(void) {
	char ns[300], name[300], msg[601];
	unsigned mismatches = 0, checked = 0;

	for (size_t n = 0; n < 260; n++) {
		for (size_t i = 0; i < n; i++)
			name[i] = (char) ('a' + (i * 7 + n) % 26);
		name[n] = '\0';
		for (size_t m = 0; m < 140; m += 13) {
			for (size_t i = 0; i < m; i++)
				ns[i] = (char) ('A' + (i * 3 + m) % 26);
			ns[m] = '\0';

			memcpy(msg, ns, m);
			msg[m] = '\0';
			memcpy(msg + m + 1, name, n);

			uint8_t d[HASH_SIZE_MAX];
			if (hash_buffer(HASH_SHA256, msg, m + 1 + n, d, NULL) < 0) {
				mismatches++;
				continue;
			}
			d[6] = (uint8_t) ((d[6] & 0x0f) | 0x80);
			d[8] = (uint8_t) ((d[8] & 0x3f) | 0x80);

			Uuid u;
			uuid_derive(ns, name, &u);
			if (memcmp(u.bytes, d, sizeof(u.bytes)) != 0) {
				if (mismatches++ == 0)
					diag("first mismatch: ns length %zu, name length %zu", m, n);
			}
			checked++;
		}
	}
	ok(checked > 2000, "checked %u inputs", checked);
	is_int(mismatches, 0, "uuid_derive agrees with libcrypto SHA-256 on every input");
}

int main(void) {
	test_parse_format();
	test_parse_invalid();
	test_derive_known_answers();
	test_derive_properties();
	test_derive_against_libcrypto();
	return done_testing();
}
