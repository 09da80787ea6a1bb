/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A table-driven YAML loader. A schema is a static table of fields (key, type, flags,
 * default, help, offsetof() into a C struct); schema_load() parses a YAML document with
 * libyaml and walks it against the table, filling the struct directly and recording every
 * problem, with its position, in a DiagList. It does not stop at the first problem.
 *
 * Decisions that hold for every schema:
 *  - One document per input. Anchors, aliases, merge keys and custom tags are rejected
 *    (a profile is read by people and diffed; sharing by reference hides values), and a
 *    node reached twice is walked once, so alias loops and "billion laughs" cost nothing.
 *  - Nesting deeper than SCHEMA_DEPTH_MAX, inputs over SCHEMA_INPUT_MAX bytes and lists
 *    over SCHEMA_LIST_MAX entries are refused.
 *  - A null value (empty, ~, null) and an empty string mean "not set": the default
 *    applies, and a required key counts as missing.
 *  - Integers and booleans must be plain (unquoted) scalars; a plain scalar that YAML
 *    reads as a float (1.20) is refused where a string is expected, because other YAML
 *    tools would turn it into 1.2. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "macro.h"

#define SCHEMA_INPUT_MAX (1024 * 1024)
#define SCHEMA_DEPTH_MAX 64
#define SCHEMA_LIST_MAX 4096

typedef enum SchemaType {
	SCHEMA_STRING,    /* char *, checked by .check when set; NULL when not set */
	SCHEMA_INT,       /* int, within .min .. .max */
	SCHEMA_BOOL,      /* bool */
	SCHEMA_ENUM,      /* int: index into .values; -1 when not set and without default */
	SCHEMA_SIZE,      /* uint64_t bytes, within .min .. .max when .max > 0 */
	SCHEMA_DURATION,  /* uint64_t seconds, within .min .. .max when .max > 0 */
	SCHEMA_CIDR,      /* IpPrefix, a subnet: host bits clear */
	SCHEMA_IP_PREFIX, /* IpPrefix, an interface address: 192.168.1.10/24 */
	SCHEMA_IP,        /* IpAddress; family AF_UNSPEC when not set */
	SCHEMA_MAC,       /* MacAddress */
	SCHEMA_VERSION,   /* KubernetesVersion */
	SCHEMA_MAPPING,   /* a nested struct described by .child */
	SCHEMA_SETTINGS,  /* free-form: SchemaSetting array at .offset, count at .offset_n */
	_SCHEMA_TYPE_MAX,
} SchemaType;

enum {
	SCHEMA_REQUIRED = 1u << 0,  /* must be present and set */
	SCHEMA_LIST     = 1u << 1,  /* a YAML sequence of .type: array at .offset, size_t count
				     * at .offset_n; arrays of strings are also NULL-terminated */
	SCHEMA_UNIQUE   = 1u << 2,  /* on a list: no two equal entries; on a field of a list of
				     * mappings: no two entries with the same value */
	SCHEMA_NONEMPTY = 1u << 3,  /* on a list: at least one entry */
	SCHEMA_NOT_YET  = 1u << 4,  /* known, not implemented in this version: refused where it is
				     * written (never silently ignored), left out of dumps */
};

/* A validator for a string that stays a string (host name, image reference ...). */
typedef struct SchemaCheck {
	const char *what;       /* "host name", as in "invalid host name 'x'" */
	const char *expected;   /* what a valid value looks like, for the diagnostic */
	bool (*is_valid)(const char *s);
} SchemaCheck;

typedef struct SchemaTable SchemaTable;

typedef struct SchemaField {
	const char *key;
	SchemaType type;
	unsigned flags;
	size_t offset;
	size_t offset_n;                /* SCHEMA_LIST and SCHEMA_SETTINGS: the size_t count */
	const char *def;                /* default, written as in YAML (for a list: one entry) */
	const char *help;               /* one line for people: diagnostics and the man page */
	int64_t min, max;               /* SCHEMA_INT, SCHEMA_SIZE, SCHEMA_DURATION */
	const char *const *values;      /* SCHEMA_ENUM: NULL-terminated allowed words */
	const SchemaCheck *check;       /* SCHEMA_STRING: NULL accepts any single-line string */
	const SchemaTable *child;       /* SCHEMA_MAPPING */
} SchemaField;

struct SchemaTable {
	size_t size;                    /* sizeof the struct the offsets point into */
	const SchemaField *fields;
	size_t n_fields;
};

/* A field's key, type and place in the struct st; a list's count is n_<member>. */
#define SCHEMA_KEY(k, t, st, member) .key = k, .type = t, .offset = offsetof(st, member)
#define SCHEMA_LIST_KEY(k, t, st, member) SCHEMA_KEY(k, t, st, member), .offset_n = offsetof(st, n_##member)

#define SCHEMA_TABLE(type, array) { .size = sizeof(type), .fields = (array), .n_fields = ELEMENTSOF(array) }

/* One entry of a SCHEMA_SETTINGS mapping: a key and a scalar or a list of scalars, kept as
 * text for whoever understands them (an addon definition). */
typedef struct SchemaSetting {
	char *key;
	char **values;                  /* NULL-terminated; one entry for a scalar */
	size_t n_values;
	bool is_list;
} SchemaSetting;

/* Where each value came from, by the address it was stored at, so that checks run after
 * the walk can point at the offending node. A mapping and its first field share an
 * address; the mapping is recorded as a container. (A mapping whose first field is itself
 * a mapping shares its container address with it: look such values up by a scalar.) */
typedef struct SchemaPosition {
	const void *addr;
	unsigned line, column;
	bool container;
	bool invalid;                   /* the input had a value here, but it was rejected */
} SchemaPosition;

typedef struct SchemaPositions {
	SchemaPosition *items;
	size_t n, n_allocated;
	bool sorted;
} SchemaPositions;

/* Parse buf as one YAML document and fill dest (table->size bytes; zeroed first) by the
 * table. Problems go to diags under the name file; positions (may be NULL) receives where
 * every stored value came from. Returns 0 when the input was walked: diags says whether it
 * is valid. Returns -ENOMEM, or -EINVAL when a default in the table does not parse (a bug).
 * In every case dest is left in a state schema_done() can free. */
int schema_load(const SchemaTable *table, const char *file, const void *buf, size_t size,
		void *dest, SchemaPositions *positions, DiagList *diags);

/* The struct as YAML, by the same table: every key with its effective value, defaults
 * included, unset values left out. Loading the text gives an equal struct. */
int schema_dump(const SchemaTable *table, const void *src, char **ret);

/* Free everything schema_load() allocated inside dest (not dest itself). */
void schema_done(const SchemaTable *table, void *dest);

/* Find where the value stored at addr came from. Returns 0, or -ENOENT when it was not in
 * the input (a default, or never set). */
int schema_position_find(SchemaPositions *p, const void *addr, bool container,
			 unsigned *ret_line, unsigned *ret_column);
/* True when the input had a value for addr that was rejected (and replaced by the default):
 * checks across fields skip such values rather than report consequences of the first error. */
bool schema_value_was_invalid(SchemaPositions *p, const void *addr);
void schema_positions_done(SchemaPositions *p);

/* Human text for what a field accepts ("an integer from 1 to 65535", "one of: a, b"). */
const char *schema_field_expected(const SchemaField *f, char *buf, size_t size);
