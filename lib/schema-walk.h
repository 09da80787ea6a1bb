/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The walk of a loaded YAML document against a schema table (schema-walk.c), and what
 * it shares with the loader (schema.c). Internal to the schema code. */

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "diag.h"
#include "macro.h"
#include "schema.h"

typedef struct Walker {
	const char *file;
	const uint8_t *buf;
	size_t size;
	yaml_document_t doc;
	DiagList *diags;
	SchemaPositions *positions;
	uint8_t *visited;       /* per node: aliases make a node reachable more than once */
} Walker;

/* Add a problem at mark. Returns -EINVAL (reported) or -ENOMEM. */
_printf_(4, 5) int walker_report(Walker *w, yaml_mark_t mark, const char *expected, const char *fmt, ...);
/* Remember where the value stored at addr came from (no-op without w->positions). */
int walker_record(Walker *w, const void *addr, const yaml_node_t *n, bool container, bool invalid);

/* Mark n as walked; false when it already was (it is reachable through an alias). */
bool walker_enter(Walker *w, const yaml_node_t *n);
bool yaml_node_is_null(const yaml_node_t *n);
/* "a mapping", "a list", "a scalar", "a quoted string". */
const char *yaml_node_kind(const yaml_node_t *n);

/* Fill every field of t in dest with its default. */
int schema_apply_defaults(const SchemaTable *t, void *dest);
/* Walk the mapping n (or a null scalar, taken as an empty mapping) into dest. */
int schema_walk_mapping(Walker *w, const SchemaTable *t, const yaml_node_t *n, void *dest, const char *path);
