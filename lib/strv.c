/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
	if (l) {
		for (char **p = l; *p; p++)
			free(*p);
		free(l);
	}
	return NULL;
}

size_t strv_length(char *const *l) {
	size_t n = 0;

	if (l)
		while (l[n])
			n++;
	return n;
}

bool strv_contains(char *const *l, const char *s) {
	if (l)
		for (; *l; l++)
			if (streq(*l, s))
				return true;
	return false;
}

int strv_extend_many(char ***l, ...) {
	va_list ap;
	int r = 0;

	va_start(ap, l);
	for (const char *s; r >= 0 && (s = va_arg(ap, const char *)); )
		r = strv_extend(l, s);
	va_end(ap);
	return r;
}

int strv_extend(char ***l, const char *s) {
	size_t n = strv_length(*l);
	_cleanup_free_ char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;

	char **m = reallocarray(*l, n + 2, sizeof(char *));
	if (!m)
		return -ENOMEM;
	m[n] = TAKE_PTR(copy);
	m[n + 1] = NULL;
	*l = m;
	return 0;
}

int strv_extendf(char ***l, const char *fmt, ...) {
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	int k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	return strv_consume(l, s);
}

int strv_consume(char ***l, char *s) {
	size_t n = strv_length(*l);

	char **m = reallocarray(*l, n + 2, sizeof(char *));
	if (!m) {
		free(s);
		return -ENOMEM;
	}
	m[n] = s;
	m[n + 1] = NULL;
	*l = m;
	return 0;
}

static int cmp_str(const void *a, const void *b) {
	return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort_unique(char **l) {
	size_t n = strv_length(l), k = 0;

	if (n == 0)
		return;
	qsort(l, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && streq(l[k - 1], l[i])) {
			free(l[i]);
			continue;
		}
		l[k++] = l[i];
	}
	l[k] = NULL;
}

char *strv_join(char *const *l, const char *separator) {
	size_t n = 0, k = strlen(separator);

	STRV_FOREACH(s, l)
		n += strlen(*s) + k;
	char *r = malloc(n + 1), *e = r;
	if (!r)
		return NULL;
	STRV_FOREACH(s, l) {
		if (e != r)
			e = stpcpy(e, separator);
		e = stpcpy(e, *s);
	}
	*e = '\0';
	return r;
}
