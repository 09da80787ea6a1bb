/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The walk: a loaded YAML document against a schema table, filling the destination
 * struct, applying defaults, and reporting every problem without stopping. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "schema-value.h"
#include "schema-walk.h"

#define PATH_MAX_LEN 256
/* Setting names made of these are shown bare in paths; others are quoted. */
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/"

bool walker_enter(Walker *w, const yaml_node_t *n) {
	size_t i = n - w->doc.nodes.start;
	if (w->visited[i])
		return false;
	w->visited[i] = 1;
	return true;
}

static const char *scalar_text(const yaml_node_t *n) {
	return (const char *) n->data.scalar.value;
}

bool yaml_node_is_null(const yaml_node_t *n) {
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
		if (streq(scalar_text(n), nulls[i]))
			return true;
	return false;
}

/* Null, or an empty quoted string: both mean "not set". */
static bool scalar_is_unset(const yaml_node_t *n) {
	return yaml_node_is_null(n) || (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0);
}

const char *yaml_node_kind(const yaml_node_t *n) {
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? "a scalar" : "a quoted string";
	}
}

/* snprintf() for messages and paths where cutting a long value short is fine. */
_printf_(3, 4) static void format_into(char *buf, size_t size, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	(void) vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void join_path(char buf[static PATH_MAX_LEN], const char *parent, const char *key) {
	format_into(buf, PATH_MAX_LEN, "%s%s%s", parent, *parent ? "." : "", key);
}


static int apply_default(const SchemaField *f, void *base) {
	uint8_t *dest = (uint8_t *) base + f->offset;

	if (f->flags & SCHEMA_LIST || f->type == SCHEMA_SETTINGS) {
		if (!(f->flags & SCHEMA_LIST) || !f->def)
			return 0;
		/* A list default is one entry, stored like any list (NULL-terminated). */
		uint8_t *items = calloc(2, schema_value_size(f));
		if (!items)
			return -ENOMEM;
		int r = schema_value_parse(f, f->key, f->def, f->type != SCHEMA_STRING, items, NULL);
		if (r < 0) {
			free(items);
			return r;
		}
		*(void **) dest = items;
		*(size_t *) ((uint8_t *) base + f->offset_n) = 1;
		return 0;
	}
	if (f->type == SCHEMA_MAPPING)
		return schema_apply_defaults(f->child, dest);
	schema_value_unset(f, dest);
	if (!f->def)
		return 0;
	return schema_value_parse(f, f->key, f->def, f->type != SCHEMA_STRING, dest, NULL);
}

int schema_apply_defaults(const SchemaTable *t, void *dest) {
	for (size_t i = 0; i < t->n_fields; i++) {
		int r = apply_default(&t->fields[i], dest);
		if (r < 0)
			return r;
	}
	return 0;
}

static int report_wrong_type(Walker *w, const SchemaField *f, const yaml_node_t *n, const char *path) {
	char e[512], expected[600];

	schema_field_expected(f, e, sizeof e);
	if (f->flags & SCHEMA_LIST)
		format_into(expected, sizeof expected, "a list, each entry %s", e);
	else
		format_into(expected, sizeof expected, "%s", f->type == SCHEMA_MAPPING ? "a mapping" : e);
	return walker_report(w, n->start_mark, expected, "%s: wrong type, found %s", path, yaml_node_kind(n));
}


/* One value (a field's, or a list entry's) of a scalar type or a mapping. Returns 0 when
 * stored, -EINVAL when reported, other -errno on failure. */
static int walk_value(Walker *w, const SchemaField *f, const yaml_node_t *n, void *dest, const char *path) {
	if (f->type == SCHEMA_MAPPING) {
		if (n->type != YAML_MAPPING_NODE && !yaml_node_is_null(n))
			return report_wrong_type(w, f, n, path);
		return schema_walk_mapping(w, f->child, n, dest, path);
	}
	if (n->type != YAML_SCALAR_NODE)
		return report_wrong_type(w, f, n, path);
	if (strlen(scalar_text(n)) != n->data.scalar.length)
		return walker_report(w, n->start_mark, "text without NUL characters", "%s: contains a NUL character", path);

	SchemaReport rep = { w->diags, w->file, n->start_mark.line + 1, n->start_mark.column + 1 };
	int r = schema_value_parse(f, path, scalar_text(n), n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, dest, &rep);
	if (r < 0)
		return r;
	return walker_record(w, dest, n, false, false);
}

static const yaml_node_t *mapping_lookup(Walker *w, const yaml_node_t *map, const char *key) {
	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&w->doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && streq(scalar_text(k), key))
			return yaml_document_get_node(&w->doc, p->value);
	}
	return NULL;
}

/* Whether two scalars hold the same valid value of cf ("52:54:00:AA:00:01" is
 * "52:54:00:aa:00:01"). Invalid values are reported elsewhere and equal nothing. */
static bool scalars_equal(const SchemaField *cf, const yaml_node_t *a, const yaml_node_t *b) {
	uint8_t x[64] = {}, y[64] = {};
	bool same;

	assert(schema_value_size(cf) <= sizeof x);
	if (a->type != YAML_SCALAR_NODE || b->type != YAML_SCALAR_NODE ||
	    schema_value_parse(cf, cf->key, scalar_text(a), true, x, NULL) < 0)
		return false;
	if (schema_value_parse(cf, cf->key, scalar_text(b), true, y, NULL) < 0) {
		schema_value_done(cf, x);
		return false;
	}
	same = schema_value_equal(cf, x, y);
	schema_value_done(cf, x);
	schema_value_done(cf, y);
	return same;
}

/* Fields marked unique inside a list of mappings: no two entries may share the value. */
static int check_unique_fields(Walker *w, const SchemaField *f, const yaml_node_t **nodes,
			       size_t n, const char *path) {
	const SchemaTable *t = f->child;
	char q[SCHEMA_QUOTE_MAX], expected[128];
	int r;

	for (size_t c = 0; c < t->n_fields; c++) {
		const SchemaField *cf = &t->fields[c];
		if (!(cf->flags & SCHEMA_UNIQUE) || cf->flags & SCHEMA_LIST)
			continue;
		format_into(expected, sizeof expected, "a different %s in each entry of %s", cf->key, path);
		for (size_t i = 1; i < n; i++) {
			const yaml_node_t *vi = mapping_lookup(w, nodes[i], cf->key);
			if (!vi || vi->type != YAML_SCALAR_NODE)
				continue;
			for (size_t j = 0; j < i; j++) {
				const yaml_node_t *vj = mapping_lookup(w, nodes[j], cf->key);
				if (!vj || !scalars_equal(cf, vi, vj))
					continue;
				r = walker_report(w, vi->start_mark, expected, "%s[%zu].%s: duplicate %s %s, also in %s[%zu] at line %zu",
					   path, i, cf->key, cf->key, schema_quote(scalar_text(vi), q), path, j,
					   vj->start_mark.line + 1);
				if (r == -ENOMEM)
					return r;
				break;
			}
		}
	}
	return 0;
}

static int walk_list(Walker *w, const SchemaField *f, const yaml_node_t *n, void *base, const char *path) {
	void **dest = (void **) ((uint8_t *) base + f->offset);
	size_t *dest_n = (size_t *) ((uint8_t *) base + f->offset_n);
	size_t count, esz = schema_value_size(f);
	char q[SCHEMA_QUOTE_MAX], e[512];
	int r;

	if (n->type != YAML_SEQUENCE_NODE) {
		r = report_wrong_type(w, f, n, path);
		return r == -ENOMEM ? r : apply_default(f, base);
	}
	r = walker_record(w, dest, n, false, false);
	if (r < 0)
		return r;
	count = n->data.sequence.items.top - n->data.sequence.items.start;
	if (count > SCHEMA_LIST_MAX)
		return walker_report(w, n->start_mark, NULL, "%s: %zu entries, more than %d", path, count, SCHEMA_LIST_MAX);
	if (count == 0 && f->flags & SCHEMA_NONEMPTY)
		return walker_report(w, n->start_mark, schema_field_expected(f, e, sizeof e), "%s: empty list", path);
	if (count == 0)
		return 0;

	uint8_t *items = calloc(count + 1, esz);
	_cleanup_free_ const yaml_node_t **nodes = calloc(count, sizeof(yaml_node_t *));
	if (!items || !nodes) {
		free(items);
		return -ENOMEM;
	}
	/* Owned by base from here on, so that schema_done() frees whatever was stored. */
	*dest = items;
	*dest_n = 0;

	for (size_t i = 0; i < count; i++) {
		yaml_node_t *item = yaml_document_get_node(&w->doc, n->data.sequence.items.start[i]);
		char ipath[PATH_MAX_LEN];
		uint8_t *slot = items + *dest_n * esz;

		if (!item || !walker_enter(w, item))
			continue;
		format_into(ipath, sizeof ipath, "%s[%zu]", path, i);
		if (f->type != SCHEMA_MAPPING && scalar_is_unset(item)) {
			r = walker_report(w, item->start_mark, schema_field_expected(f, e, sizeof e), "%s: empty entry", ipath);
			if (r == -ENOMEM)
				return r;
			continue;
		}
		if (f->type == SCHEMA_MAPPING) {
			if (item->type != YAML_MAPPING_NODE && !yaml_node_is_null(item)) {
				r = walker_report(w, item->start_mark, "a mapping", "%s: wrong type, found %s", ipath, yaml_node_kind(item));
				if (r == -ENOMEM)
					return r;
				continue;
			}
			(*dest_n)++;   /* a partly filled entry must still be freed */
			r = schema_walk_mapping(w, f->child, item, slot, ipath);
			if (r < 0 && r != -EINVAL)
				return r;
			nodes[*dest_n - 1] = item;
			continue;
		}

		r = walk_value(w, f, item, slot, ipath);
		if (r == -EINVAL)
			continue;
		if (r < 0)
			return r;
		for (size_t j = 0; f->flags & SCHEMA_UNIQUE && j < *dest_n; j++)
			if (schema_value_equal(f, items + j * esz, slot)) {
				r = walker_report(w, item->start_mark, "unique entries", "%s: duplicate entry %s, also at line %zu",
					   ipath, schema_quote(scalar_text(item), q), nodes[j]->start_mark.line + 1);
				if (r == -ENOMEM)
					return r;
				break;
			}
		nodes[(*dest_n)++] = item;
	}

	if (f->type == SCHEMA_MAPPING)
		return check_unique_fields(w, f, nodes, *dest_n, path);
	return 0;
}

static int walk_settings(Walker *w, const SchemaField *f, const yaml_node_t *n, void *base, const char *path) {
	SchemaSetting **dest = (SchemaSetting **) ((uint8_t *) base + f->offset);
	size_t *dest_n = (size_t *) ((uint8_t *) base + f->offset_n);
	const char *expected = "a scalar or a list of scalars";
	char q[SCHEMA_QUOTE_MAX];
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return report_wrong_type(w, f, n, path);
	size_t count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
	if (count > SCHEMA_LIST_MAX)
		return walker_report(w, n->start_mark, NULL, "%s: %zu entries, more than %d", path, count, SCHEMA_LIST_MAX);
	if (count == 0)
		return 0;
	SchemaSetting *items = calloc(count, sizeof(SchemaSetting));
	if (!items)
		return -ENOMEM;
	*dest = items;
	*dest_n = 0;

	for (size_t i = 0; i < count; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		yaml_node_t *k = yaml_document_get_node(&w->doc, p->key), *v = yaml_document_get_node(&w->doc, p->value);
		bool bad = false;

		if (!k || !v || !walker_enter(w, v))
			continue;
		if (k->type != YAML_SCALAR_NODE || scalar_is_unset(k) || strlen(scalar_text(k)) != k->data.scalar.length) {
			r = walker_report(w, k->start_mark, "a name", "%s: setting names must be non-empty scalars", path);
			if (r == -ENOMEM)
				return r;
			continue;
		}
		const char *key = scalar_text(k);
		char kpath[PATH_MAX_LEN];
		if (strlen(key) <= 64 && strspn(key, NAME_CHARS) == strlen(key))
			format_into(kpath, sizeof kpath, "%s.%s", path, key);
		else
			format_into(kpath, sizeof kpath, "%s.%s", path, schema_quote(key, q));
		for (size_t j = 0; j < *dest_n; j++)
			if (streq(items[j].key, key)) {
				r = walker_report(w, k->start_mark, "each key once", "%s: duplicate key", kpath);
				if (r == -ENOMEM)
					return r;
				bad = true;
				break;
			}
		if (bad)
			continue;

		/* Gather the scalars: the value itself, or every entry of a list. */
		const yaml_node_t *one[1] = { v };
		const yaml_node_t **scalars = one;
		size_t n_scalars = 1;
		if (v->type == YAML_SEQUENCE_NODE) {
			n_scalars = v->data.sequence.items.top - v->data.sequence.items.start;
			scalars = NULL;
		}
		SchemaSetting *s = &items[*dest_n];
		for (size_t j = 0; j < n_scalars && !bad; j++) {
			const yaml_node_t *x = scalars ? scalars[j] :
				yaml_document_get_node(&w->doc, v->data.sequence.items.start[j]);
			if (!x || x->type != YAML_SCALAR_NODE || yaml_node_is_null(x) ||
			    strlen(scalar_text(x)) != x->data.scalar.length) {
				r = walker_report(w, x ? x->start_mark : v->start_mark, expected, "%s: wrong type, found %s",
					   kpath, !x ? "nothing" : yaml_node_is_null(x) ? "null" :
					   x->type == YAML_SCALAR_NODE ? "a NUL character" : yaml_node_kind(x));
				if (r == -ENOMEM)
					return r;
				bad = true;
			}
		}
		if (bad)
			continue;

		s->key = strdup(key);
		s->values = calloc(n_scalars + 1, sizeof(char *));
		if (!s->key || !s->values) {
			schema_value_done(f, s);
			return -ENOMEM;
		}
		(*dest_n)++;
		s->is_list = !scalars;
		for (size_t j = 0; j < n_scalars; j++) {
			const yaml_node_t *x = scalars ? scalars[j] :
				yaml_document_get_node(&w->doc, v->data.sequence.items.start[j]);
			s->values[j] = strdup(scalar_text(x));
			if (!s->values[j])
				return -ENOMEM;
			s->n_values++;
		}
		r = walker_record(w, s, v, false, false);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A field of a mapping; n is its value node, NULL when the key is absent. */
static int walk_field(Walker *w, const SchemaField *f, const yaml_node_t *n, void *base, const char *path) {
	void *dest = (uint8_t *) base + f->offset;
	int r;

	if (!n || !walker_enter(w, n))
		return apply_default(f, base);
	if (scalar_is_unset(n)) {
		if (f->flags & SCHEMA_REQUIRED) {
			r = walker_report(w, n->start_mark, f->help, "%s: missing value", path);
			if (r == -ENOMEM)
				return r;
		}
		return apply_default(f, base);
	}
	if (f->flags & SCHEMA_LIST)
		return walk_list(w, f, n, base, path);
	if (f->type == SCHEMA_SETTINGS)
		return walk_settings(w, f, n, base, path);

	r = walk_value(w, f, n, dest, path);
	if (r != -EINVAL)
		return r;
	/* Invalid: fall back to the default, and remember that the value was bad so that
	 * checks across fields do not pile consequences on top of the report. */
	r = walker_record(w, dest, n, false, true);
	if (r < 0)
		return r;
	return apply_default(f, base);
}

int schema_walk_mapping(Walker *w, const SchemaTable *t, const yaml_node_t *n, void *dest, const char *path) {
	const yaml_node_pair_t *seen[t->n_fields];
	const char *keys[t->n_fields];
	char q[SCHEMA_QUOTE_MAX], e[1024];
	int r;

	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < t->n_fields; i++)
		keys[i] = t->fields[i].key;
	r = walker_record(w, dest, n, true, false);
	if (r < 0)
		return r;

	for (yaml_node_pair_t *p = n->type == YAML_MAPPING_NODE ? n->data.mapping.pairs.start : NULL;
	     p && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&w->doc, p->key);
		size_t i;

		if (!k)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			r = walker_report(w, k->start_mark, "a key name", "%s%skey is %s", path, *path ? ": " : "", yaml_node_kind(k));
			if (r == -ENOMEM)
				return r;
			continue;
		}
		const char *key = scalar_text(k);
		for (i = 0; i < t->n_fields; i++)
			if (streq(key, keys[i]) && strlen(key) == k->data.scalar.length)
				break;
		if (i == t->n_fields) {
			const char *hint = schema_closest(key, keys, t->n_fields);
			size_t m = snprintf(e, sizeof e, "one of: ");
			for (size_t j = 0; j < t->n_fields && m < sizeof e; j++)
				m += snprintf(e + m, sizeof e - m, "%s%s", j > 0 ? ", " : "", keys[j]);
			if (streq(key, "<<"))
				r = walker_report(w, k->start_mark, e, "YAML merge keys are not supported");
			else
				r = walker_report(w, k->start_mark, e, "unknown key %s%s%s%s%s%s", schema_quote(key, q),
					   *path ? " in " : "", path, hint ? "; did you mean '" : "", hint ?: "",
					   hint ? "'?" : "");
		} else if (seen[i]) {
			const yaml_node_t *first = yaml_document_get_node(&w->doc, seen[i]->key);
			r = walker_report(w, k->start_mark, "each key once", "duplicate key %s%s%s, first at line %zu",
				   schema_quote(key, q), *path ? " in " : "", path, first->start_mark.line + 1);
		} else if (t->fields[i].flags & SCHEMA_NOT_YET)
			r = walker_report(w, k->start_mark, "no such key in this version",
					  "%s%s%s: not implemented yet (%s); remove it", path, *path ? "." : "", key,
					  t->fields[i].help);
		else
			seen[i] = p;
		if (r == -ENOMEM)
			return r;
	}

	for (size_t i = 0; i < t->n_fields; i++) {
		const SchemaField *f = &t->fields[i];
		const yaml_node_t *v = seen[i] ? yaml_document_get_node(&w->doc, seen[i]->value) : NULL;
		char fpath[PATH_MAX_LEN];

		join_path(fpath, path, f->key);
		if (!seen[i] && f->flags & SCHEMA_REQUIRED) {
			r = walker_report(w, n->start_mark, f->help, "missing required key '%s'%s%s", f->key,
				   *path ? " in " : "", path);
			if (r == -ENOMEM)
				return r;
		}
		r = walk_field(w, f, v, dest, fpath);
		if (r < 0 && r != -EINVAL)
			return r;
	}
	return 0;
}

