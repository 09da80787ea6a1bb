/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scalar side of the schema walker: turning one YAML scalar into a typed value, and
 * comparing and freeing such values. Internal to schema.c. */

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "schema.h"

/* Where to report a problem with the value being parsed. */
typedef struct SchemaReport {
	DiagList *diags;
	const char *file;
	unsigned line, column;
} SchemaReport;

/* Values are echoed in diagnostics: keep them on one line and short. */
#define SCHEMA_QUOTE_MAX 80
const char *schema_quote(const char *s, char buf[static SCHEMA_QUOTE_MAX]);

/* The closest candidate to word for "did you mean"; NULL when none is close. */
const char *schema_closest(const char *word, const char *const *candidates, size_t n);

/* Bytes one value of f->type takes in the destination struct (or array). */
size_t schema_value_size(const SchemaField *f);

/* Parse text as one value of f (a scalar type) into dest. plain: the scalar was unquoted.
 * With report NULL (a default is being parsed) nothing is reported. Returns 0, -EINVAL
 * (reported), or -ENOMEM. dest is untouched on failure. */
int schema_value_parse(const SchemaField *f, const char *path, const char *text, bool plain,
		       void *dest, const SchemaReport *report);

/* Store "not set" for f: NULL, 0, AF_UNSPEC, or -1 for an enum. */
void schema_value_unset(const SchemaField *f, void *dest);
bool schema_value_equal(const SchemaField *f, const void *a, const void *b);
void schema_value_done(const SchemaField *f, void *dest);
