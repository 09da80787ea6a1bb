/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading protocol buffers' wire format (https://protobuf.dev/programming-guides/encoding/),
 * enough to take the few fields kiln needs out of containerd's CRI answers: a message is
 * a sequence of (field number, wire type, value) records; nested messages and strings
 * are both length-delimited bytes. Unknown fields are skipped by the caller simply not
 * looking at them, which is what protobuf's compatibility rules ask of a reader.
 *
 *	ProtoReader r = proto_reader(buf, len);
 *	ProtoField f;
 *	while ((k = proto_next(&r, &f)) > 0)
 *		if (f.number == 1 && f.wire_type == PROTO_WIRE_LEN) ... f.data, f.size
 *	if (k < 0) ... malformed
 *
 * Nothing is copied: fields point into the buffer. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ProtoWireType {
	PROTO_WIRE_VARINT = 0,
	PROTO_WIRE_I64    = 1,
	PROTO_WIRE_LEN    = 2,
	/* 3 and 4 are the deprecated groups: refused. */
	PROTO_WIRE_I32    = 5,
} ProtoWireType;

typedef struct ProtoReader {
	const uint8_t *p, *end;
} ProtoReader;

typedef struct ProtoField {
	uint32_t number;
	ProtoWireType wire_type;
	uint64_t value;          /* VARINT, I64, I32 */
	const uint8_t *data;     /* LEN */
	size_t size;             /* LEN */
} ProtoField;

static inline ProtoReader proto_reader(const void *data, size_t size) {
	/* An empty message may come as NULL (an empty gRPC reply): NULL + 0 is undefined. */
	return (ProtoReader) { .p = data, .end = data ? (const uint8_t *) data + size : data };
}

/* 1 with the next field in *ret, 0 at the end of the message, -EBADMSG when the bytes
 * are not a well-formed message (a truncated value, a length past the end, field number
 * 0, a varint longer than 10 bytes, a group or an unknown wire type). */
int proto_next(ProtoReader *r, ProtoField *ret);

/* A LEN field as a NUL-terminated copy in *ret: -EBADMSG if it is not a LEN field or holds
 * a NUL byte, -ENOMEM. */
int proto_field_strdup(const ProtoField *f, char **ret);

/* Writing: the one request shape kiln sends to containerd's own services, a message of a
 * single string field (GetContainerRequest { id = 1 }, ListPidsRequest { container_id = 1 }).
 * 0 with the encoded message in *ret (malloc'd) and its size; -EINVAL for field number 0
 * or above 2^29-1, -ENOMEM. */
int proto_encode_string_field(uint32_t number, const char *value, uint8_t **ret, size_t *ret_size);

/* A string field's value as a copy in *slot, replacing (and freeing) an earlier one: the
 * last of a repeated scalar wins, as protobuf says. The errors of proto_field_strdup(). */
int proto_field_take_string(const ProtoField *f, char **slot);

/* One entry of a map<string, string> field (a LEN field holding { 1 key, 2 value }) added
 * to *pairs, a strv of key, value, key, value ...: a key already there gets the new value
 * (the last wins); an absent key or value is the empty string, protobuf's default.
 * -EBADMSG for a malformed entry, -ENOMEM. */
int proto_string_map_add(const ProtoField *entry, char ***pairs);
