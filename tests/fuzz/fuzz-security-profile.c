/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the security-profile loader: YAML, the schema walk, the checks across fields and the
 * syscall groups they resolve. Loading is valid exactly when nothing is reported, every
 * problem is one line at a 1-based position, and a profile that loads dumps to text that
 * loads again to the same dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fuzz.h"
#include "security-profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	int r;

	r = security_profile_load_buffer("fuzz.yaml", data, size, &p, &diags);
	if (r < 0 && r != -EBADMSG && r != -ENOMEM)
		abort();   /* only "invalid" is an expected failure for a buffer */
	if ((r == 0) != (diags.n == 0))
		abort();   /* valid exactly when there is nothing to report */
	for (size_t i = 0; i < diags.n; i++) {
		_cleanup_free_ char *line = NULL;
		const Diagnostic *d = &diags.items[i];
		if (d->line == 0 || d->column == 0)
			abort();
		if (diag_format(d, &line) == 0 && strchr(line, '\n'))
			abort();   /* one line per problem, whatever the input held */
	}
	if (!p)
		return 0;

	/* Round trip: the dump loads again to the same dump. */
	_cleanup_free_ char *first = NULL, *second = NULL;
	_cleanup_(diag_list_done) DiagList again_diags = {};
	_cleanup_(security_profile_freep) SecurityProfile *again = NULL;
	if (schema_dump(&security_profile_schema, p, &first) < 0)
		return 0;
	if (security_profile_load_buffer("dump.yaml", first, strlen(first), &again, &again_diags) < 0) {
		fprintf(stderr, "--- dump that did not load:\n%s", first);
		abort();
	}
	if (schema_dump(&security_profile_schema, again, &second) < 0)
		return 0;
	if (!streq(first, second))
		abort();
	return 0;
}
