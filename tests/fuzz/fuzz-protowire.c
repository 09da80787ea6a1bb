/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the protobuf wire reader (lib/protowire.c), which reads what a container runtime
 * answers over its socket: every field it returns lies inside the input, the reader always
 * moves forward, and a length-delimited field read again as a nested message (as the CRI
 * replies are) obeys the same rules, to a bounded depth. */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "protowire.h"

static void walk(const uint8_t *data, size_t size, unsigned depth) {
	ProtoReader r = proto_reader(data, size);
	ProtoField f;
	int k;

	for (;;) {
		const uint8_t *before = r.p;
		k = proto_next(&r, &f);
		if (k <= 0)
			break;
		if (r.p <= before || r.p > data + size)
			abort();   /* no progress, or past the end */
		if (f.number == 0 || f.number > 0x1fffffff)
			abort();
		if (f.wire_type == PROTO_WIRE_LEN) {
			if (f.data < data || f.size > size || f.data + f.size > data + size)
				abort();
			if (depth < 8)
				walk(f.data, f.size, depth + 1);
			char *s = NULL;
			if (proto_field_strdup(&f, &s) == 0)
				free(s);
		}
	}
	if (k < 0 && k != -EBADMSG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	walk(data, size, 0);
	return 0;
}
