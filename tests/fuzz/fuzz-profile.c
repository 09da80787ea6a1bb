/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the profile loader: YAML parsing, the schema walk and the checks across fields.
 * Beyond "no crash, no leak", one property: a profile that loads dumps to text that loads
 * again and dumps to the same text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fuzz.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(profile_freep) Profile *p = NULL;
	int r;

	r = profile_load_buffer("fuzz.yaml", data, size, &p, &diags);
	if (r < 0 && r != -EBADMSG && r != -ENOMEM)
		abort();   /* only "invalid" is an expected failure for a buffer */
	if ((r == 0) != (diags.n == 0))
		abort();   /* valid exactly when there is nothing to report */

	for (size_t i = 0; i < diags.n; i++) {
		_cleanup_free_ char *line = NULL;
		const Diagnostic *d = &diags.items[i];
		if (d->line == 0 || d->column == 0 || (i > 0 && d->line < diags.items[i - 1].line))
			abort();   /* 1-based, sorted */
		if (diag_format(d, &line) == 0 && strchr(line, '\n'))
			abort();   /* one line per problem, whatever the input held */
	}

	if (!p)
		return 0;
	_cleanup_free_ char *first = NULL, *second = NULL;
	_cleanup_(diag_list_done) DiagList again_diags = {};
	_cleanup_(profile_freep) Profile *again = NULL;
	if (schema_dump(&profile_schema, p, &first) < 0)
		return 0;
	if (profile_load_buffer("dump.yaml", first, strlen(first), &again, &again_diags) < 0) {
		for (size_t i = 0; i < again_diags.n; i++)
			fprintf(stderr, "%s:%u:%u: %s\n", again_diags.items[i].file, again_diags.items[i].line,
				again_diags.items[i].column, again_diags.items[i].message);
		fprintf(stderr, "--- dump that did not load:\n%s", first);
		abort();
	}
	if (schema_dump(&profile_schema, again, &second) < 0)
		return 0;
	if (!streq(first, second)) {
		fprintf(stderr, "--- first dump:\n%s--- second dump:\n%s", first, second);
		abort();
	}
	return 0;
}
