/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Profiles written inline in the unit tests: the smallest valid head, and a loader that
 * shows every problem as a TAP diagnostic. Header-only, for the tests. */

#include <string.h>

#include "diag.h"
#include "profile.h"
#include "tap.h"

#define PROFILE_HEAD \
	"schema: 1\n" \
	"name: t\n" \
	"base:\n" \
	"  suite: trixie\n" \
	"kubernetes:\n" \
	"  version: v1.31.4\n"

/* Load text as "test.yaml": the profile (NULL when it does not load) and the loader's
 * return value in *ret_r. */
static inline Profile *profile_from_text(const char *text, int *ret_r) {
	_cleanup_(diag_list_done) DiagList diags = {};
	Profile *p = NULL;
	int r = profile_load_buffer("test.yaml", text, strlen(text), &p, &diags);

	for (size_t i = 0; i < diags.n; i++) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags.items[i], &line) == 0)
			diag("%s", line);
	}
	*ret_r = r;
	return p;
}
