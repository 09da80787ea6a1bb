/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the kiln.lock parser (imagegen/lockfile.c): no crash, no leak; an error is -EBADMSG
 * with one "fuzz.lock:LINE: ..." line; what parses formats to a text that parses again to
 * the same text (format is stable). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lockfile.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	_cleanup_(lock_file_freep) LockFile *l = NULL, *again = NULL;
	_cleanup_free_ char *text = NULL, *error = NULL, *formatted = NULL, *formatted2 = NULL;
	int r;

	/* The parser takes a C string, as lock_file_load() hands it one. */
	text = strndup((const char *) data, size);
	if (!text)
		return 0;
	r = lock_file_parse(text, "fuzz.lock", &l, &error);
	if (r < 0 && r != -EBADMSG && r != -ENOMEM)
		abort();
	if (r == -EBADMSG && (!error || strncmp(error, "fuzz.lock:", 10) != 0 || strchr(error, '\n') || l))
		abort();
	if (r < 0)
		return 0;
	if (!l || !l->platform)
		abort();
	if (lock_file_format(l, &formatted) < 0)
		return 0;
	r = lock_file_parse(formatted, "again", &again, NULL);
	if (r == -ENOMEM)
		return 0;
	if (r < 0 || again->n_entries != l->n_entries)
		abort();
	if (lock_file_format(again, &formatted2) < 0)
		return 0;
	if (strcmp(formatted, formatted2) != 0)
		abort();
	return 0;
}
