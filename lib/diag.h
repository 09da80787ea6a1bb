/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Problems found in an input file, each at a position, to be shown to a person as
 *
 *     file:line:column: what is wrong (what was expected)
 *
 * The list is data: library code fills it, the program at the edge prints it. */

#include <stddef.h>

#include "macro.h"

typedef struct Diagnostic {
	char *file;
	unsigned line, column;  /* 1-based */
	char *message;          /* what is wrong */
	char *expected;         /* what was expected; NULL when there is nothing useful to add */
	size_t seq;             /* insertion order, keeps sorting stable */
} Diagnostic;

typedef struct DiagList {
	Diagnostic *items;
	size_t n, n_allocated;
	size_t n_added;
} DiagList;

/* Append a problem. Returns 0 or -ENOMEM (the list is unchanged then). */
_printf_(6, 7) int diag_add(DiagList *l, const char *file, unsigned line, unsigned column,
			    const char *expected, const char *fmt, ...);

/* Order by file, line, column (then insertion order) and drop exact repeats. */
void diag_list_sort_unique(DiagList *l);

/* "file:line:column: message (expected)" in a new string, without a newline. */
int diag_format(const Diagnostic *d, char **ret);

/* Free the entries and reset the list so it can be reused. Use as
 * _cleanup_(diag_list_done) DiagList diags = {}; */
void diag_list_done(DiagList *l);
