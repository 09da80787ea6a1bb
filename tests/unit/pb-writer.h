/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A protobuf writer for the unit tests, just enough to encode by hand the containerd
 * replies the node programs decode: varints, strings, nested messages. Kept apart from
 * lib/protowire so the tests do not check the reader against a writer it shares code
 * with. */

#include <stdint.h>
#include <string.h>

typedef struct Pb {
	uint8_t data[4096];
	size_t n;
} Pb;

static inline void pb_varint(Pb *b, uint64_t v) {
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		b->data[b->n++] = byte | (v ? 0x80 : 0);
	} while (v);
}

static inline void pb_bytes(Pb *b, uint32_t field, const void *p, size_t n) {
	pb_varint(b, (uint64_t) field << 3 | 2);
	pb_varint(b, n);
	memcpy(b->data + b->n, p, n);
	b->n += n;
}

static inline void pb_str(Pb *b, uint32_t field, const char *s) {
	pb_bytes(b, field, s, strlen(s));
}

static inline void pb_msg(Pb *b, uint32_t field, const Pb *m) {
	pb_bytes(b, field, m->data, m->n);
}

static inline void pb_int(Pb *b, uint32_t field, uint64_t v) {
	pb_varint(b, (uint64_t) field << 3 | 0);
	pb_varint(b, v);
}
