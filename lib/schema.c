/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading: the input checks, a pass over the YAML events for what the loaded document
 * forgets (positions of anchors, aliases and tags; nesting), then libyaml's loader and
 * the walk (schema-walk.c). Also freeing, and the table of positions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "alloc-util.h"
#include "schema-value.h"
#include "schema-walk.h"
#include "schema.h"

static const char *const core_tags[] = {
	YAML_STR_TAG, YAML_INT_TAG, YAML_BOOL_TAG, YAML_NULL_TAG, YAML_FLOAT_TAG, YAML_SEQ_TAG, YAML_MAP_TAG,
};

int walker_record(Walker *w, const void *addr, const yaml_node_t *n, bool container, bool invalid) {
	SchemaPositions *p = w->positions;

	if (!p)
		return 0;
	if (!GREEDY_REALLOC(p->items, p->n_allocated, p->n + 1))
		return -ENOMEM;
	p->items[p->n++] = (SchemaPosition) {
		.addr = addr,
		.line = n->start_mark.line + 1,
		.column = n->start_mark.column + 1,
		.container = container,
		.invalid = invalid,
	};
	p->sorted = false;
	return 0;
}

int walker_report(Walker *w, yaml_mark_t mark, const char *expected, const char *fmt, ...) {
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = diag_add(w->diags, w->file, mark.line + 1, mark.column + 1, expected, "%s", msg);
	return r < 0 ? r : -EINVAL;
}

static int report_parser_error(Walker *w, const yaml_parser_t *parser) {
	yaml_mark_t mark = parser->problem_mark;

	if (parser->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (parser->error == YAML_READER_ERROR) {
		/* Encoding problems carry a byte offset rather than a mark. */
		mark = (yaml_mark_t) {};
		for (size_t i = 0; i < parser->problem_offset && i < w->size; i++)
			if (w->buf[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else
				mark.column++;
	}
	if (parser->context)
		return walker_report(w, mark, NULL, "YAML syntax error: %s, %s that started at line %zu, column %zu",
			      parser->problem ?: "unknown problem", parser->context,
			      parser->context_mark.line + 1, parser->context_mark.column + 1);
	return walker_report(w, mark, NULL, "YAML syntax error: %s", parser->problem ?: "unknown problem");
}

static int check_event(Walker *w, const yaml_event_t *e, unsigned *depth, unsigned *documents) {
	const yaml_char_t *anchor = NULL, *tag = NULL;
	int r = 0;

	switch (e->type) {
	case YAML_ALIAS_EVENT:
		return walker_report(w, e->start_mark, "the value written out in full", "YAML aliases are not supported");
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents == 2)
			return walker_report(w, e->start_mark, "a single profile document", "more than one YAML document");
		return 0;
	case YAML_SCALAR_EVENT:
		anchor = e->data.scalar.anchor, tag = e->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		anchor = e->type == YAML_SEQUENCE_START_EVENT ? e->data.sequence_start.anchor : e->data.mapping_start.anchor;
		tag = e->type == YAML_SEQUENCE_START_EVENT ? e->data.sequence_start.tag : e->data.mapping_start.tag;
		if (++*depth > SCHEMA_DEPTH_MAX)
			return walker_report(w, e->start_mark, NULL, "YAML nesting deeper than %d levels", SCHEMA_DEPTH_MAX);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		--*depth;
		return 0;
	default:
		return 0;
	}

	if (anchor)
		r = walker_report(w, e->start_mark, "the value written out in full", "YAML anchors are not supported");
	if (tag && !streq((const char *) tag, "!")) {
		size_t i;
		for (i = 0; i < ELEMENTSOF(core_tags); i++)
			if (streq((const char *) tag, core_tags[i]))
				break;
		if (i == ELEMENTSOF(core_tags)) {
			char q[SCHEMA_QUOTE_MAX];
			int k = walker_report(w, e->start_mark, "no tag, or a core tag such as !!str",
				       "unsupported YAML tag %s", schema_quote((const char *) tag, q));
			if (r == 0 || k == -ENOMEM)
				r = k;
		}
	}
	return r;
}

/* A pass over the event stream before loading: syntax errors, anchors, aliases, tags and
 * nesting are reported with their exact positions (the loaded document forgets them).
 * Returns 1 when the document can be loaded and walked, 0 when not, or -ENOMEM. */
static int prescan(Walker *w) {
	yaml_parser_t parser;
	unsigned depth = 0, documents = 0;
	int r = 1;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, w->buf, w->size);
	for (;;) {
		yaml_event_t e;
		if (!yaml_parser_parse(&parser, &e)) {
			int k = report_parser_error(w, &parser);
			r = k == -ENOMEM ? k : 0;
			break;
		}
		bool end = e.type == YAML_STREAM_END_EVENT;
		int k = check_event(w, &e, &depth, &documents);
		yaml_event_delete(&e);
		if (k == -ENOMEM || depth > SCHEMA_DEPTH_MAX) {
			r = k == -ENOMEM ? k : 0;
			break;
		}
		if (end)
			break;
	}
	yaml_parser_delete(&parser);
	return r;
}

int schema_load(const SchemaTable *table, const char *file, const void *buf, size_t size,
		void *dest, SchemaPositions *positions, DiagList *diags) {
	Walker w = { .file = file, .buf = buf, .size = size, .diags = diags, .positions = positions };
	yaml_parser_t parser;
	int r;

	/* Zero is a state schema_done() can free; every path below fills in the defaults. */
	memset(dest, 0, table->size);

	if (size > SCHEMA_INPUT_MAX) {
		r = walker_report(&w, (yaml_mark_t) {}, NULL, "input is larger than %d bytes", SCHEMA_INPUT_MAX);
		return r == -ENOMEM ? r : schema_apply_defaults(table, dest);
	}

	r = prescan(&w);
	if (r <= 0)
		return r < 0 ? r : schema_apply_defaults(table, dest);

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, buf, size);
	if (!yaml_parser_load(&parser, &w.doc)) {
		r = report_parser_error(&w, &parser);
		yaml_parser_delete(&parser);
		return r == -ENOMEM ? r : schema_apply_defaults(table, dest);
	}
	yaml_parser_delete(&parser);

	yaml_node_t *root = yaml_document_get_root_node(&w.doc);
	size_t n_nodes = w.doc.nodes.top - w.doc.nodes.start;
	w.visited = calloc(MAX(n_nodes, (size_t) 1), 1);
	if (!w.visited)
		r = -ENOMEM;
	else if (!root || yaml_node_is_null(root)) {
		r = walker_report(&w, root ? root->start_mark : (yaml_mark_t) {}, "a mapping with at least the required keys",
			   "empty document");
		r = r == -ENOMEM ? r : schema_apply_defaults(table, dest);
	} else if (root->type != YAML_MAPPING_NODE) {
		r = walker_report(&w, root->start_mark, "a mapping", "wrong type, found %s at the top", yaml_node_kind(root));
		r = r == -ENOMEM ? r : schema_apply_defaults(table, dest);
	} else {
		(void) walker_enter(&w, root);
		r = schema_walk_mapping(&w, table, root, dest, "");
		if (r == -EINVAL)
			r = 0;
	}

	free(w.visited);
	yaml_document_delete(&w.doc);
	return r < 0 ? r : 0;
}

void schema_done(const SchemaTable *table, void *dest) {
	for (size_t i = 0; i < table->n_fields; i++) {
		const SchemaField *f = &table->fields[i];
		uint8_t *p = (uint8_t *) dest + f->offset;

		if (f->flags & SCHEMA_LIST || f->type == SCHEMA_SETTINGS) {
			uint8_t *items = *(void **) p;
			size_t *n = (size_t *) ((uint8_t *) dest + f->offset_n);
			for (size_t j = 0; items && j < *n; j++)
				schema_value_done(f, items + j * schema_value_size(f));
			free(items);
			*(void **) p = NULL;
			*n = 0;
		} else
			schema_value_done(f, p);
	}
}

static int position_compare(const void *x, const void *y) {
	const SchemaPosition *a = x, *b = y;
	if (a->addr != b->addr)
		return (uintptr_t) a->addr < (uintptr_t) b->addr ? -1 : 1;
	return (int) a->container - (int) b->container;
}

static const SchemaPosition *position_lookup(SchemaPositions *p, const void *addr, bool container) {
	if (!p || p->n == 0)
		return NULL;
	if (!p->sorted) {
		qsort(p->items, p->n, sizeof(SchemaPosition), position_compare);
		p->sorted = true;
	}
	SchemaPosition key = { .addr = addr, .container = container };
	return bsearch(&key, p->items, p->n, sizeof(SchemaPosition), position_compare);
}

int schema_position_find(SchemaPositions *p, const void *addr, bool container,
			 unsigned *ret_line, unsigned *ret_column) {
	const SchemaPosition *pos = position_lookup(p, addr, container);
	if (!pos)
		return -ENOENT;
	*ret_line = pos->line;
	*ret_column = pos->column;
	return 0;
}

bool schema_value_was_invalid(SchemaPositions *p, const void *addr) {
	const SchemaPosition *pos = position_lookup(p, addr, false);
	return pos && pos->invalid;
}

void schema_positions_done(SchemaPositions *p) {
	free(p->items);
	*p = (SchemaPositions) {};
}
