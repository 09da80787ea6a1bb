/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which container images Kubernetes manifests and containerd's config name. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "manifest-images.h"
#include "parse-util.h"
#include "strv.h"

/* Lists of Lists this deep are no manifest anyone wrote; the limit keeps our recursion
 * (one level per List) well inside the stack whatever the input. */
#define LIST_DEPTH_MAX 16

typedef struct Collector {
	const char *name;
	yaml_document_t *doc;
	uint8_t *visited;       /* aliases can reach a node many times, even in a cycle */
	char ***images;
	char **error;           /* where the message goes; NULL when the caller wants none */
} Collector;

/* Where each kind that runs pods keeps its pod spec. The API group tells these apart from
 * custom resources that reuse a name (Volcano's batch.volcano.sh Job, say). */
static const struct {
	const char *group, *kind, *path;
} pod_spec_paths[] = {
	{ "", "Pod", "spec" },
	{ "", "ReplicationController", "spec.template.spec" },
	{ "apps", "Deployment", "spec.template.spec" }, { "apps", "DaemonSet", "spec.template.spec" },
	{ "apps", "StatefulSet", "spec.template.spec" }, { "apps", "ReplicaSet", "spec.template.spec" },
	{ "batch", "Job", "spec.template.spec" }, { "batch", "CronJob", "spec.jobTemplate.spec.template.spec" },
};

static const char *const container_fields[] = { "containers", "initContainers", "ephemeralContainers" };

_printf_(3, 4) static int fail(Collector *c, yaml_mark_t mark, const char *fmt, ...) {
	_cleanup_free_ char *msg = NULL;
	char *s;
	va_list ap;
	int r;

	if (!c->error)
		return -EBADMSG;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	/* libyaml counts from 0, editors and compilers from 1. */
	if (r < 0 || asprintf(&s, "%s:%zu:%zu: %s", c->name, mark.line + 1, mark.column + 1, msg) < 0)
		return -ENOMEM;
	*c->error = s;
	return -EBADMSG;
}

static bool visit(Collector *c, const yaml_node_t *n) {
	size_t i = n - c->doc->nodes.start;

	if (c->visited[i])
		return false;
	c->visited[i] = 1;
	return true;
}

/* A missing value and an explicit null mean the same to Kubernetes. */
static bool is_null(const yaml_node_t *n) {
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

/* The text of a scalar that YAML reads as a string, else NULL. libyaml tags every untagged
 * scalar as a string, so resolve plain ones here: nulls, booleans (with YAML 1.1's yes/no,
 * which Kubernetes' YAML reader follows) and numbers are not strings. */
static const char *scalar_string(const yaml_node_t *n) {
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
	if (is_null(n) || parse_boolean(s, &b) == 0 || boolean_is_yaml11(s))
		return NULL;
	d = s + (*s == '-' || *s == '+');
	if ((isdigit((unsigned char) *d) || *d == '.') && (strtod(d, &end), *end == '\0'))
		return NULL;
	return s;
}

static yaml_node_t *lookup(Collector *c, const yaml_node_t *map, const char *key, size_t len) {
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		if (k->type == YAML_SCALAR_NODE && k->data.scalar.length == len && memcmp(k->data.scalar.value, key, len) == 0)
			return yaml_document_get_node(c->doc, p->value);
	}
	return NULL;
}

/* Whether apiVersion ("apps/v1"; "v1" for the core group) is in group. Items of a typed
 * list carry none: their list's kind vouches for them. */
static bool group_is(const yaml_node_t *api_version, const char *group) {
	const char *v = scalar_string(api_version), *slash;

	if (is_null(api_version))
		return true;
	if (!v)
		return false;
	slash = strchr(v, '/');
	return slash ? (size_t) (slash - v) == strlen(group) && strneq(v, group, slash - v) : isempty(group);
}

static int collect_containers(Collector *c, const yaml_node_t *spec, const char *field) {
	const yaml_node_t *list = lookup(c, spec, field, strlen(field));

	if (is_null(list) || !visit(c, list))
		return 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return fail(c, list->start_mark, "%s is not a list", field);
	for (yaml_node_item_t *i = list->data.sequence.items.start; i < list->data.sequence.items.top; i++) {
		const yaml_node_t *ctr = yaml_document_get_node(c->doc, *i), *image;
		size_t idx = i - list->data.sequence.items.start;
		const char *s;
		int r;

		if (ctr->type != YAML_MAPPING_NODE)
			return fail(c, ctr->start_mark, "%s[%zu] is not a mapping", field, idx);
		if (!visit(c, ctr))
			continue;
		image = lookup(c, ctr, "image", STRLEN("image"));
		if (!image)
			return fail(c, ctr->start_mark, "%s[%zu]: container without an image", field, idx);
		s = scalar_string(image);
		if (isempty(s) || s[strcspn(s, " \t\n\v\f\r")])
			return fail(c, image->start_mark, "%s[%zu].image is not a non-empty string without whitespace",
				    field, idx);
		r = strv_extend(c->images, s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Walk a dotted path of keys from obj to the pod spec; each step must be a mapping. */
static int follow(Collector *c, const yaml_node_t *obj, const char *kind, const char *path,
		  const yaml_node_t **ret) {
	const yaml_node_t *n = obj;

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "."), upto = p + len - path;
		const yaml_node_t *next = lookup(c, n, p, len);

		if (is_null(next))
			return fail(c, n->start_mark, "%s without %.*s", kind, (int) upto, path);
		if (next->type != YAML_MAPPING_NODE)
			return fail(c, next->start_mark, "%s: %.*s is not a mapping", kind, (int) upto, path);
		n = next;
		p += len + (p[len] == '.');
	}
	*ret = n;
	return 0;
}

static int collect_object(Collector *c, const yaml_node_t *obj, const char *what, const char *default_kind,
			  unsigned depth) {
	const yaml_node_t *k, *items, *spec = NULL;
	const char *kind;
	size_t len;
	int r;

	if (obj->type != YAML_MAPPING_NODE)
		return fail(c, obj->start_mark, "%s is not a mapping", what);
	if (!visit(c, obj))
		return 0;
	k = lookup(c, obj, "kind", STRLEN("kind"));
	kind = k ? scalar_string(k) : default_kind;
	if (isempty(kind))
		return fail(c, (k ?: obj)->start_mark, "%s", k ? "kind is not a non-empty string" : "object without a kind");

	len = strlen(kind);
	if (len >= STRLEN("List") && streq(kind + len - STRLEN("List"), "List")) {
		_cleanup_free_ char *item_kind = NULL;

		if (depth >= LIST_DEPTH_MAX)
			return fail(c, obj->start_mark, "Lists nested more than %d deep", LIST_DEPTH_MAX);
		items = lookup(c, obj, "items", STRLEN("items"));
		if (is_null(items) || !visit(c, items))
			return 0;
		if (items->type != YAML_SEQUENCE_NODE)
			return fail(c, items->start_mark, "%s: items is not a list", kind);
		/* The API server leaves kind out of a typed list's items (PodList -> Pod). */
		if (len > STRLEN("List") && !(item_kind = strndup(kind, len - STRLEN("List"))))
			return -ENOMEM;
		for (yaml_node_item_t *i = items->data.sequence.items.start; i < items->data.sequence.items.top; i++) {
			r = collect_object(c, yaml_document_get_node(c->doc, *i), "List item", item_kind, depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}

	for (size_t i = 0; i < ELEMENTSOF(pod_spec_paths); i++) {
		if (!streq(kind, pod_spec_paths[i].kind) ||
		    !group_is(lookup(c, obj, "apiVersion", STRLEN("apiVersion")), pod_spec_paths[i].group))
			continue;
		r = follow(c, obj, kind, pod_spec_paths[i].path, &spec);
		if (r < 0 || !visit(c, spec))
			return r;
		for (size_t f = 0; f < ELEMENTSOF(container_fields); f++) {
			r = collect_containers(c, spec, container_fields[f]);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return 0;   /* ConfigMap, Service, custom resources...: no pods of their own */
}

static int syntax_error(Collector *c, const yaml_parser_t *p, const char *text, size_t size) {
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
	return fail(c, mark, "YAML syntax error: %s%s%s", p->problem ?: "unknown problem",
		    p->context ? ", " : "", p->context ?: "");
}

int manifest_collect_images(const char *text, size_t size, const char *name, char ***images, char **ret_error) {
	_cleanup_strv_free_ char **found = NULL;
	_cleanup_free_ char *error = NULL;
	Collector c = { .name = name ?: "(input)", .images = &found, .error = ret_error ? &error : NULL };
	yaml_parser_t parser;
	size_t n, m;
	char **l;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, size);
	while (r >= 0) {
		yaml_document_t doc;
		const yaml_node_t *root;

		if (!yaml_parser_load(&parser, &doc)) {
			r = syntax_error(&c, &parser, text, size);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {    /* only at the end of the stream: an empty document is a null scalar */
			yaml_document_delete(&doc);
			break;
		}
		c.doc = &doc;
		c.visited = calloc(doc.nodes.top - doc.nodes.start, 1);
		if (!c.visited)
			r = -ENOMEM;
		else if (!is_null(root))
			r = collect_object(&c, root, "document", NULL, 0);
		free(c.visited);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	if (r < 0) {
		if (r == -EBADMSG && ret_error)
			*ret_error = TAKE_PTR(error);
		return r;
	}

	/* Everything allocated first, so a failure leaves *images as it was. */
	n = strv_length(*images);
	m = strv_length(found);
	l = reallocarray(*images, n + m + 1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	if (m > 0)
		memcpy(l + n, found, m * sizeof(char *));
	l[n + m] = NULL;
	free(TAKE_PTR(found));
	strv_sort_unique(l);
	*images = l;
	return 0;
}

#define CRI_TABLE "plugins.\"io.containerd.grpc.v1.cri\""
#define BARE_KEY_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define BLANKS " \t\r"

/* Whether the "[...]" header at s names the table want. TOML allows blanks around the
 * brackets and dots, so compare with those outside quotes dropped. "[[" never matches. */
static bool header_is(const char *s, const char *want) {
	bool quoted = false;

	for (s++; *s && (quoted || *s != ']'); s++) {
		if (!quoted && strchr(BLANKS, *s))
			continue;
		if (*s == '"')
			quoted = !quoted;
		if (*want++ != *s)
			return false;
	}
	return *s == ']' && *want == '\0';
}

/* The rest of a `key = "value"` line after the key: a basic or literal string, alone but
 * for a comment. Escapes are refused rather than decoded: no image reference needs one. */
static int parse_string_value(char *s, char **ret) {
	size_t len;
	char q, *rest, *v;

	s += strspn(s, BLANKS);
	if (*s++ != '=')
		return -EBADMSG;
	s += strspn(s, BLANKS);
	q = *s++;
	if (q != '"' && q != '\'')
		return -EBADMSG;
	len = strcspn(s, q == '"' ? "\"\\" : "'");
	if (len == 0 || s[len] != q)
		return -EBADMSG;
	s[len] = '\0';
	rest = s + len + 1;
	rest += strspn(rest, BLANKS);
	if (*rest && *rest != '#')
		return -EBADMSG;
	v = strdup(s);
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

int containerd_config_sandbox_image(const char *text, char **ret_image) {
	_cleanup_free_ char *copy = strdup(text), *image = NULL;
	bool in_cri = false;
	int r;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy, *line; (line = strsep(&p, "\n"));) {
		line += strspn(line, BLANKS);
		if (*line == '[')
			in_cri = header_is(line, CRI_TABLE);
		else if (in_cri && strspn(line, BARE_KEY_CHARS) == STRLEN("sandbox_image") &&
			 strneq(line, "sandbox_image", STRLEN("sandbox_image"))) {
			if (image)
				return -EBADMSG;        /* TOML forbids a repeated key; containerd would not start */
			r = parse_string_value(line + STRLEN("sandbox_image"), &image);
			if (r < 0)
				return r;
		}
	}
	if (!image)
		return -ENOENT;
	*ret_image = TAKE_PTR(image);
	return 0;
}

int images_missing(char *const *wanted, char *const *have, char ***ret_missing) {
	_cleanup_strv_free_ char **missing = calloc(1, sizeof(char *));
	int r;

	if (!missing)
		return -ENOMEM;
	STRV_FOREACH(w, wanted)
		if (!strv_contains(have, *w)) {
			r = strv_extend(&missing, *w);
			if (r < 0)
				return r;
		}
	strv_sort_unique(missing);
	*ret_missing = TAKE_PTR(missing);
	return 0;
}
