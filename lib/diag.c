/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "diag.h"

static void diagnostic_done(Diagnostic *d) {
	free(d->file);
	free(d->message);
	free(d->expected);
}

int diag_add(DiagList *l, const char *file, unsigned line, unsigned column,
	     const char *expected, const char *fmt, ...) {
	Diagnostic d = { .line = line, .column = column, .seq = l->n_added };
	va_list ap;
	int r;

	if (!GREEDY_REALLOC(l->items, l->n_allocated, l->n + 1))
		return -ENOMEM;

	va_start(ap, fmt);
	r = vasprintf(&d.message, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	d.file = strdup(file);
	d.expected = expected ? strdup(expected) : NULL;
	if (!d.file || (expected && !d.expected)) {
		diagnostic_done(&d);
		return -ENOMEM;
	}

	l->items[l->n++] = d;
	l->n_added++;
	return 0;
}

static int strcmp_null(const char *a, const char *b) {
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int diagnostic_compare(const void *x, const void *y) {
	const Diagnostic *a = x, *b = y;
	int r = strcmp(a->file, b->file);
	if (r != 0)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static bool diagnostic_same(const Diagnostic *a, const Diagnostic *b) {
	return a->line == b->line && a->column == b->column && streq(a->file, b->file) &&
	       streq(a->message, b->message) && strcmp_null(a->expected, b->expected) == 0;
}

void diag_list_sort_unique(DiagList *l) {
	size_t kept = 0;

	if (l->n == 0)
		return;
	qsort(l->items, l->n, sizeof(Diagnostic), diagnostic_compare);

	/* Repeats of one problem need not be adjacent after sorting (another message at the
	 * same position may sit between them), so compare against the whole position group. */
	for (size_t i = 0; i < l->n; i++) {
		bool dup = false;
		for (size_t j = kept; j-- > 0;) {
			if (l->items[j].line != l->items[i].line || l->items[j].column != l->items[i].column ||
			    !streq(l->items[j].file, l->items[i].file))
				break;
			if (diagnostic_same(&l->items[j], &l->items[i])) {
				dup = true;
				break;
			}
		}
		if (dup)
			diagnostic_done(&l->items[i]);
		else
			l->items[kept++] = l->items[i];
	}
	l->n = kept;
}

int diag_format(const Diagnostic *d, char **ret) {
	char *s;
	int r;

	if (d->expected)
		r = asprintf(&s, "%s:%u:%u: %s (%s)", d->file, d->line, d->column, d->message, d->expected);
	else
		r = asprintf(&s, "%s:%u:%u: %s", d->file, d->line, d->column, d->message);
	if (r < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

void diag_list_done(DiagList *l) {
	for (size_t i = 0; i < l->n; i++)
		diagnostic_done(&l->items[i]);
	free(l->items);
	*l = (DiagList) {};
}
