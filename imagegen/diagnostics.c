/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "diag.h"
#include "imagegen.h"
#include "log.h"

/* The exact "file:line:column: problem (expectation)" lines, without the program name
 * log_error() would add, so that editors can jump to them. */
int print_diagnostics(const DiagList *diags) {
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags->items[i], &line) < 0)
			return log_oom();
		fprintf(stderr, "%s\n", line);
	}
	return 0;
}
