/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "macro.h"
#include "protowire.h"
#include "strv.h"

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

static size_t put_varint(uint8_t *p, uint64_t v) {
	size_t n = 0;
	do {
		p[n++] = (uint8_t) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

int proto_encode_string_field(uint32_t number, const char *value, uint8_t **ret, size_t *ret_size) {
	if (number == 0 || number > (UINT32_C(1) << 29) - 1 || !value || !ret || !ret_size)
		return -EINVAL;
	size_t len = strlen(value);
	/* tag and length: at most 10 bytes each */
	uint8_t *buf = malloc(20 + len);
	if (!buf)
		return -ENOMEM;
	size_t n = put_varint(buf, (uint64_t) number << 3 | PROTO_WIRE_LEN);
	n += put_varint(buf + n, len);
	memcpy(buf + n, value, len);
	*ret = buf;
	*ret_size = n + len;
	return 0;
}

int proto_field_take_string(const ProtoField *f, char **slot) {
	char *s = NULL;
	int r = proto_field_strdup(f, &s);
	if (r < 0)
		return r;
	free(*slot);
	*slot = s;
	return 0;
}

int proto_string_map_add(const ProtoField *entry, char ***pairs) {
	enum { MAP_ENTRY_KEY = 1, MAP_ENTRY_VALUE = 2 };
	_cleanup_free_ char *key = NULL, *value = NULL;
	ProtoReader r;
	ProtoField f;
	int k;

	if (!entry || !pairs)
		return -EINVAL;
	if (entry->wire_type != PROTO_WIRE_LEN)
		return -EBADMSG;
	r = proto_reader(entry->data, entry->size);
	while ((k = proto_next(&r, &f)) > 0) {
		char **slot = f.number == MAP_ENTRY_KEY ? &key : f.number == MAP_ENTRY_VALUE ? &value : NULL;
		if (slot && (k = proto_field_take_string(&f, slot)) < 0)
			return k;
	}
	if (k < 0)
		return k;
	if ((!key && !(key = strdup(""))) || (!value && !(value = strdup(""))))
		return -ENOMEM;
	for (char **l = *pairs; l && l[0] && l[1]; l += 2)
		if (streq(l[0], key)) {
			free(l[1]);
			l[1] = TAKE_PTR(value);
			return 0;
		}
	if ((k = strv_consume(pairs, TAKE_PTR(key))) < 0 || (k = strv_consume(pairs, TAKE_PTR(value))) < 0)
		return k;
	return 0;
}
