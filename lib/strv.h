/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated vectors of allocated strings. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Free every string and the vector; accepts NULL, returns NULL. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Append a copy of s; on failure *l is unchanged. */
int strv_extend(char ***l, const char *s);
/* Append s itself (taking ownership); on failure s is freed and *l is unchanged. */
int strv_consume(char ***l, char *s);
/* Append copies of each argument up to the NULL that ends the list; on failure some may
 * have been appended. */
int strv_extend_many(char ***l, ...) _sentinel_;
/* Append a formatted string. */
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
/* The strings one after another, separator between them ("" for an empty or NULL
 * vector); NULL when out of memory. */
char *strv_join(char *const *l, const char *separator);
/* Sort in place (strcmp order) and drop repeats. */
void strv_sort_unique(char **l);

#define STRV_FOREACH(s, l) for (__typeof__(*(l)) *s = (l); s && *s; s++)
