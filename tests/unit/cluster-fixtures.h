/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The real kubectl answers of tests/unit/data/cluster (make-fixtures.sh there). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "tap.h"

/* The fixture's text, or "" (and a diagnostic) when it cannot be read; the caller frees. */
static inline char *fixture(const char *name) {
	char path[4096];
	char *text = NULL;

	snprintf(path, sizeof path, "%s/tests/unit/data/cluster/%s", tap_srcdir(), name);
	if (read_full_file(path, &text, NULL) < 0) {
		diag("cannot read the fixture %s", path);
		return strdup("");
	}
	return text;
}
