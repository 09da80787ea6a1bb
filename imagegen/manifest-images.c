/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which container images Kubernetes manifests and containerd's config name. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-images.h"
#include "manifest-objects.h"
#include "strv.h"

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

static int collect_containers(ManifestWalk *w, char ***images, const yaml_node_t *spec, const char *field) {
	const yaml_node_t *list = manifest_lookup(w, spec, field, strlen(field));

	if (manifest_is_null(list) || !manifest_visit(w, list))
		return 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return manifest_fail(w, list->start_mark, "%s is not a list", field);
	for (yaml_node_item_t *i = list->data.sequence.items.start; i < list->data.sequence.items.top; i++) {
		const yaml_node_t *ctr = manifest_node(w, *i), *image;
		size_t idx = i - list->data.sequence.items.start;
		const char *s;
		int r;

		if (ctr->type != YAML_MAPPING_NODE)
			return manifest_fail(w, ctr->start_mark, "%s[%zu] is not a mapping", field, idx);
		if (!manifest_visit(w, ctr))
			continue;
		image = manifest_lookup(w, ctr, "image", STRLEN("image"));
		if (!image)
			return manifest_fail(w, ctr->start_mark, "%s[%zu]: container without an image", field, idx);
		s = manifest_string(image);
		if (isempty(s) || s[strcspn(s, " \t\n\v\f\r")])
			return manifest_fail(w, image->start_mark,
					     "%s[%zu].image is not a non-empty string without whitespace", field, idx);
		r = strv_extend(images, s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Walk a dotted path of keys from obj to the pod spec; each step must be a mapping. */
static int follow(ManifestWalk *w, const yaml_node_t *obj, const char *kind, const char *path,
		  const yaml_node_t **ret) {
	const yaml_node_t *n = obj;

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "."), upto = p + len - path;
		const yaml_node_t *next = manifest_lookup(w, n, p, len);

		if (manifest_is_null(next))
			return manifest_fail(w, n->start_mark, "%s without %.*s", kind, (int) upto, path);
		if (next->type != YAML_MAPPING_NODE)
			return manifest_fail(w, next->start_mark, "%s: %.*s is not a mapping", kind, (int) upto, path);
		n = next;
		p += len + (p[len] == '.');
	}
	*ret = n;
	return 0;
}

static int collect_object(ManifestWalk *w, const yaml_node_t *obj, const char *kind, void *userdata) {
	const yaml_node_t *spec = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(pod_spec_paths); i++) {
		if (!streq(kind, pod_spec_paths[i].kind) ||
		    !manifest_group_is(manifest_lookup(w, obj, "apiVersion", STRLEN("apiVersion")), pod_spec_paths[i].group))
			continue;
		r = follow(w, obj, kind, pod_spec_paths[i].path, &spec);
		if (r < 0 || !manifest_visit(w, spec))
			return r;
		for (size_t f = 0; f < ELEMENTSOF(container_fields); f++) {
			r = collect_containers(w, userdata, spec, container_fields[f]);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return 0;   /* ConfigMap, Service, custom resources...: no pods of their own */
}

int manifest_collect_images(const char *text, size_t size, const char *name, char ***images, char **ret_error) {
	_cleanup_strv_free_ char **found = NULL;
	size_t n, m;
	char **l;
	int r;

	r = manifest_walk(text, size, name, collect_object, &found, ret_error);
	if (r < 0)
		return r;

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
