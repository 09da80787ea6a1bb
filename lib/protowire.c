/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protowire.h"

/* Base 128, least significant group first, at most 10 bytes for 64 bits. */
static int read_varint(ProtoReader *r, uint64_t *ret) {
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (r->p >= r->end)
			return -EBADMSG;
		uint8_t b = *r->p++;
		/* The tenth byte may only carry the 64th bit. */
		if (shift == 63 && b > 1)
			return -EBADMSG;
		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EBADMSG;
}

static int read_fixed(ProtoReader *r, size_t n, uint64_t *ret) {
	uint64_t v = 0;

	if ((size_t) (r->end - r->p) < n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t) r->p[i] << (8 * i);   /* little endian */
	r->p += n;
	*ret = v;
	return 0;
}

int proto_next(ProtoReader *r, ProtoField *ret) {
	uint64_t key, len;
	int k;

	if (!r || !ret)
		return -EINVAL;
	if (r->p >= r->end)
		return 0;
	if ((k = read_varint(r, &key)) < 0)
		return k;
	/* Field numbers are 1 .. 2^29 - 1. */
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
		return -EBADMSG;
	*ret = (ProtoField) { .number = (uint32_t) (key >> 3), .wire_type = (ProtoWireType) (key & 7) };

	switch (key & 7) {
	case PROTO_WIRE_VARINT:
		return read_varint(r, &ret->value) < 0 ? -EBADMSG : 1;
	case PROTO_WIRE_I64:
		return read_fixed(r, 8, &ret->value) < 0 ? -EBADMSG : 1;
	case PROTO_WIRE_I32:
		return read_fixed(r, 4, &ret->value) < 0 ? -EBADMSG : 1;
	case PROTO_WIRE_LEN:
		if ((k = read_varint(r, &len)) < 0)
			return k;
		if (len > (uint64_t) (r->end - r->p))
			return -EBADMSG;
		ret->data = r->p;
		ret->size = (size_t) len;
		r->p += len;
		return 1;
	default:
		return -EBADMSG;
	}
}

int proto_field_strdup(const ProtoField *f, char **ret) {
	char *s;

	if (!f || !ret)
		return -EINVAL;
	if (f->wire_type != PROTO_WIRE_LEN || memchr(f->data, 0, f->size))
		return -EBADMSG;
	s = malloc(f->size + 1);
	if (!s)
		return -ENOMEM;
	if (f->size > 0)
		memcpy(s, f->data, f->size);
	s[f->size] = 0;
	*ret = s;
	return 0;
}
