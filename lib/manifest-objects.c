/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The objects of a Kubernetes manifest: documents and List items, as kubectl apply reads
 * them. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-objects.h"
#include "parse-util.h"

struct ManifestWalk {
	const char *name;
	yaml_document_t *doc;
	uint8_t *visited;           /* per node of the document */
	char **error;               /* where the message goes; NULL when the caller wants none */
	ManifestObjectFn fn;
	void *userdata;
};

int manifest_fail(ManifestWalk *w, yaml_mark_t mark, const char *fmt, ...) {
	_cleanup_free_ char *msg = NULL;
	char *s;
	va_list ap;
	int r;

	if (!w->error)
		return -EBADMSG;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	/* libyaml counts from 0, editors and compilers from 1. */
	if (r < 0 || asprintf(&s, "%s:%zu:%zu: %s", w->name, mark.line + 1, mark.column + 1, msg) < 0)
		return -ENOMEM;
	free(*w->error);
	*w->error = s;
	return -EBADMSG;
}

bool manifest_visit(ManifestWalk *w, const yaml_node_t *n) {
	size_t i = n - w->doc->nodes.start;

	if (w->visited[i])
		return false;
	w->visited[i] = 1;
	return true;
}

bool manifest_is_null(const yaml_node_t *n) {
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
		if (streq((const char *) n->data.scalar.value, nulls[i]))
			return true;
	return false;
}

/* libyaml tags every untagged scalar as a string, so plain ones are resolved here:
 * nulls, booleans (with YAML 1.1's yes/no, which Kubernetes' YAML reader follows) and
 * numbers are not strings. */
const char *manifest_string(const yaml_node_t *n) {
	const char *s, *d;
	char *end;
	bool b;

	if (!n || n->type != YAML_SCALAR_NODE || !streq((const char *) n->tag, YAML_STR_TAG))
		return NULL;
	s = (const char *) n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length)
		return NULL;    /* an escaped NUL would cut the value short */
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return s;
	if (manifest_is_null(n) || parse_boolean(s, &b) == 0 || boolean_is_yaml11(s))
		return NULL;
	d = s + (*s == '-' || *s == '+');
	if ((isdigit((unsigned char) *d) || *d == '.') && (strtod(d, &end), *end == '\0'))
		return NULL;
	return s;
}

yaml_node_t *manifest_lookup(ManifestWalk *w, const yaml_node_t *map, const char *key, size_t len) {
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		if (k->type == YAML_SCALAR_NODE && k->data.scalar.length == len && memcmp(k->data.scalar.value, key, len) == 0)
			return yaml_document_get_node(w->doc, p->value);
	}
	return NULL;
}

yaml_node_t *manifest_node(ManifestWalk *w, yaml_node_item_t item) {
	return yaml_document_get_node(w->doc, item);
}

static bool group_match(const char *api_version, const char *group) {
	const char *slash;

	if (!api_version)
		return true;
	slash = strchr(api_version, '/');
	return slash ? (size_t) (slash - api_version) == strlen(group) && strneq(api_version, group, slash - api_version)
		     : isempty(group);
}

bool manifest_group_is(const yaml_node_t *api_version, const char *group) {
	const char *v = manifest_string(api_version);

	if (manifest_is_null(api_version))
		return true;
	return v && group_match(v, group);
}

bool manifest_object_is(const ManifestObject *o, const char *group, const char *kind) {
	return o && streq(o->kind, kind) && group_match(o->api_version, group);
}

static int walk_object(ManifestWalk *w, const yaml_node_t *obj, const char *what, const char *default_kind,
		       unsigned depth) {
	const yaml_node_t *k, *items;
	const char *kind;
	size_t len;
	int r;

	if (obj->type != YAML_MAPPING_NODE)
		return manifest_fail(w, obj->start_mark, "%s is not a mapping", what);
	if (!manifest_visit(w, obj))
		return 0;
	k = manifest_lookup(w, obj, "kind", STRLEN("kind"));
	kind = k ? manifest_string(k) : default_kind;
	if (isempty(kind))
		return manifest_fail(w, (k ?: obj)->start_mark, "%s",
				     k ? "kind is not a non-empty string" : "object without a kind");

	len = strlen(kind);
	if (len < STRLEN("List") || !streq(kind + len - STRLEN("List"), "List"))
		return w->fn(w, obj, kind, w->userdata);

	_cleanup_free_ char *item_kind = NULL;
	if (depth >= MANIFEST_LIST_DEPTH_MAX)
		return manifest_fail(w, obj->start_mark, "Lists nested more than %d deep", MANIFEST_LIST_DEPTH_MAX);
	items = manifest_lookup(w, obj, "items", STRLEN("items"));
	if (manifest_is_null(items) || !manifest_visit(w, items))
		return 0;
	if (items->type != YAML_SEQUENCE_NODE)
		return manifest_fail(w, items->start_mark, "%s: items is not a list", kind);
	/* The API server leaves kind out of a typed list's items (PodList -> Pod). */
	if (len > STRLEN("List") && !(item_kind = strndup(kind, len - STRLEN("List"))))
		return -ENOMEM;
	for (yaml_node_item_t *i = items->data.sequence.items.start; i < items->data.sequence.items.top; i++) {
		r = walk_object(w, yaml_document_get_node(w->doc, *i), "List item", item_kind, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int syntax_error(ManifestWalk *w, const yaml_parser_t *p, const char *text, size_t size) {
	yaml_mark_t mark = p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		/* Encoding errors carry a byte offset rather than a mark. */
		mark = (yaml_mark_t) {};
		for (size_t i = 0; i < p->problem_offset && i < size; i++)
			if (text[i] == '\n') {
				mark.line++;
				mark.column = 0;
			} else
				mark.column++;
	}
	return manifest_fail(w, mark, "YAML syntax error: %s%s%s", p->problem ?: "unknown problem",
			     p->context ? ", " : "", p->context ?: "");
}

int manifest_walk(const char *text, size_t size, const char *name, ManifestObjectFn fn, void *userdata,
		  char **ret_error) {
	_cleanup_free_ char *error = NULL;
	ManifestWalk w = { .name = name ?: "(input)", .error = ret_error ? &error : NULL, .fn = fn,
			   .userdata = userdata };
	yaml_parser_t parser;
	int r = 0;

	if (!text || !fn)
		return -EINVAL;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, size);
	while (r >= 0) {
		yaml_document_t doc;
		const yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			r = syntax_error(&w, &parser, text, size);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {    /* only at the end of the stream: an empty document is a null scalar */
			yaml_document_delete(&doc);
			break;
		}
		w.doc = &doc;
		w.visited = calloc(doc.nodes.top - doc.nodes.start, 1);
		if (!w.visited)
			r = -ENOMEM;
		else if (!manifest_is_null(root))
			r = walk_object(&w, root, "document", NULL, 0);
		free(w.visited);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (r == -EBADMSG && ret_error && error)
		*ret_error = TAKE_PTR(error);
	return r < 0 ? r : 0;
}

/* ---- the list of objects ---- */

typedef struct ObjectList {
	ManifestObject *objects;
	size_t n;
} ObjectList;

void manifest_objects_free(ManifestObject *o, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(o[i].api_version);
		free(o[i].kind);
		free(o[i].name);
		free(o[i].namespace);
	}
	free(o);
}

/* A string field, or NULL when it is not there; -EBADMSG when it is something else. */
static int string_field(ManifestWalk *w, const yaml_node_t *map, const char *key, const char *where, char **ret) {
	const yaml_node_t *v = map ? manifest_lookup(w, map, key, strlen(key)) : NULL;
	const char *s;

	*ret = NULL;
	if (manifest_is_null(v))
		return 0;
	s = manifest_string(v);
	if (!s)
		return manifest_fail(w, v->start_mark, "%s%s is not a string", where, key);
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int add_object(ManifestWalk *w, const yaml_node_t *obj, const char *kind, void *userdata) {
	ObjectList *l = userdata;
	ManifestObject o = { .line = (unsigned) obj->start_mark.line + 1 };
	const yaml_node_t *meta = manifest_lookup(w, obj, "metadata", STRLEN("metadata"));
	int r;

	if (!manifest_is_null(meta) && meta->type != YAML_MAPPING_NODE)
		return manifest_fail(w, meta->start_mark, "%s: metadata is not a mapping", kind);
	if (manifest_is_null(meta))
		meta = NULL;
	ManifestObject *grown = reallocarray(l->objects, l->n + 1, sizeof *grown);
	if (!grown)
		return -ENOMEM;
	l->objects = grown;
	if ((r = string_field(w, obj, "apiVersion", "", &o.api_version)) < 0 ||
	    (r = string_field(w, meta, "name", "metadata.", &o.name)) < 0 ||
	    (r = string_field(w, meta, "namespace", "metadata.", &o.namespace)) < 0 ||
	    !(o.kind = strdup(kind))) {
		free(o.api_version);
		free(o.name);
		free(o.namespace);
		free(o.kind);
		return r < 0 ? r : -ENOMEM;
	}
	l->objects[l->n++] = o;
	return 0;
}

int manifest_objects_parse(const char *text, size_t size, const char *name, ManifestObject **ret, size_t *ret_n,
			   char **ret_error) {
	ObjectList l = {};
	int r;

	if (!ret || !ret_n)
		return -EINVAL;
	r = manifest_walk(text, size, name, add_object, &l, ret_error);
	if (r < 0) {
		manifest_objects_free(l.objects, l.n);
		return r;
	}
	*ret = l.objects;
	*ret_n = l.n;
	return 0;
}
