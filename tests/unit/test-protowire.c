/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/protowire: the protobuf wire reader, on hand-made bytes (the examples of
 * protobuf.dev's encoding guide) and on every kind of malformed input. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "protowire.h"
#include "tap.h"

#define READER(...) ({ static const uint8_t _b[] = { __VA_ARGS__ }; proto_reader(_b, sizeof _b); })

static int first(ProtoReader r, ProtoField *f) {
	return proto_next(&r, f);
}

static void test_valid(void) {
	ProtoField f;
	ProtoReader r = proto_reader(NULL, 0);

	is_int(proto_next(&r, &f), 0, "an empty message has no fields");

	is_int(first(READER(0x08, 0x96, 0x01), &f), 1, "varint field");
	ok(f.number == 1 && f.wire_type == PROTO_WIRE_VARINT && f.value == 150, "field 1 = 150 (08 96 01)");

	is_int(first(READER(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), &f), 1,
	       "a ten-byte varint");
	ok(f.value == UINT64_MAX, "holds 2^64 - 1");

	is_int(first(READER(0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'), &f), 1, "length-delimited field");
	ok(f.number == 2 && f.wire_type == PROTO_WIRE_LEN && f.size == 7 && memcmp(f.data, "testing", 7) == 0,
	   "field 2 = \"testing\", pointing into the buffer");

	is_int(first(READER(0x19, 1, 2, 3, 4, 5, 6, 7, 8), &f), 1, "fixed64 field");
	ok(f.number == 3 && f.wire_type == PROTO_WIRE_I64 && f.value == 0x0807060504030201ULL, "little endian");
	is_int(first(READER(0x25, 1, 2, 3, 4), &f), 1, "fixed32 field");
	ok(f.number == 4 && f.wire_type == PROTO_WIRE_I32 && f.value == 0x04030201, "little endian");

	/* Field number 2^29 - 1, the largest: key = (2^29 - 1) << 3 | 0. */
	is_int(first(READER(0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00), &f), 1, "the largest field number");
	is_int(f.number, 0x1fffffff, "2^29 - 1");

	r = READER(0x08, 0x01, 0x12, 0x00, 0x08, 0x02);
	int n = 0, k;
	while ((k = proto_next(&r, &f)) > 0)
		n++;
	ok(n == 3 && k == 0, "three fields in a row, then the end (%d, %d)", n, k);

	char *s = NULL;
	ok(first(READER(0x12, 0x00), &f) == 1 && proto_field_strdup(&f, &s) == 0 && s && s[0] == 0,
	   "an empty string is a valid copy");
	free(s);
	s = NULL;
	ok(first(READER(0x0a, 0x02, 'h', 'i'), &f) == 1 && proto_field_strdup(&f, &s) == 0 && s && strcmp(s, "hi") == 0,
	   "proto_field_strdup copies and terminates");
	free(s);
}

static void test_malformed(void) {
	ProtoField f;
	char *s = NULL;

	is_int(first(READER(0x08), &f), -EBADMSG, "a key without its value");
	is_int(first(READER(0x08, 0x96), &f), -EBADMSG, "a truncated varint");
	is_int(first(READER(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), &f), -EBADMSG,
	       "an eleven-byte varint");
	is_int(first(READER(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), &f), -EBADMSG,
	       "a varint beyond 64 bits");
	is_int(first(READER(0x12, 0x08, 't', 'e', 's', 't'), &f), -EBADMSG, "a length past the end");
	is_int(first(READER(0x12, 0xff, 0xff, 0xff, 0xff, 0x0f), &f), -EBADMSG, "a huge length");
	is_int(first(READER(0x00, 0x01), &f), -EBADMSG, "field number 0");
	is_int(first(READER(0x80, 0x80, 0x80, 0x80, 0x10, 0x00), &f), -EBADMSG, "field number 2^29");
	is_int(first(READER(0x0b), &f), -EBADMSG, "a group start (wire type 3)");
	is_int(first(READER(0x0c), &f), -EBADMSG, "a group end (wire type 4)");
	is_int(first(READER(0x0e, 0x00), &f), -EBADMSG, "wire type 6");
	is_int(first(READER(0x0f, 0x00), &f), -EBADMSG, "wire type 7");
	is_int(first(READER(0x19, 1, 2, 3), &f), -EBADMSG, "a truncated fixed64");
	is_int(first(READER(0x25, 1, 2), &f), -EBADMSG, "a truncated fixed32");

	ok(first(READER(0x12, 0x03, 'a', 0, 'b'), &f) == 1, "a string with a NUL byte reads as bytes");
	is_int(proto_field_strdup(&f, &s), -EBADMSG, "but is not a C string");
	ok(first(READER(0x08, 0x01), &f) == 1, "a varint");
	is_int(proto_field_strdup(&f, &s), -EBADMSG, "is not a string");
	ok(!s, "nothing was returned");
	is_int(proto_next(NULL, &f), -EINVAL, "no reader");
}

int main(void) {
	test_valid();
	test_malformed();
	return done_testing();
}
