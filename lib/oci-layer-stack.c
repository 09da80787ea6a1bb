/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive_entry.h>

#include "macro.h"
#include "oci-layer-internal.h"

/* The image's tree as its layers leave it, one layer after the other (lib/oci-layer.h,
 * "Across layers"). Only the tree's symlinks are kept: they are all that can make a
 * later entry land elsewhere than its name says. Any other type in the way of a later
 * path makes an extractor fail (ENOTDIR) or is replaced, so there is no need to hold
 * every file of every layer. Sorted by path: a lookup is a bsearch(3), and a layer is
 * merged in with one allocation, which makes a push all or nothing. */
typedef struct LinkArray {
	OciLayerLink **links;
	size_t n;
} LinkArray;

struct OciLayerStack {
	LinkArray tree;
	unsigned n_layers;
};

static void link_array_done(LinkArray *a) {
	for (size_t i = 0; i < a->n; i++)
		free(a->links[i]);
	free(a->links);
	*a = (LinkArray) {};
}

int oci_layer_stack_new(OciLayerStack **ret) {
	OciLayerStack *s;

	if (!ret)
		return -EINVAL;
	s = calloc(1, sizeof(OciLayerStack));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

OciLayerStack *oci_layer_stack_free(OciLayerStack *s) {
	if (!s)
		return NULL;
	link_array_done(&s->tree);
	free(s);
	return NULL;
}

unsigned oci_layer_stack_size(const OciLayerStack *s) {
	return s->n_layers;
}

static int link_path_compare(const void *key, const void *element) {
	return strcmp(key, (*(OciLayerLink *const *) element)->path);
}

static int link_compare(const void *a, const void *b) {
	return strcmp((*(OciLayerLink *const *) a)->path, (*(OciLayerLink *const *) b)->path);
}

const OciLayerLink *oci_layer_stack_find(const OciLayerStack *s, const char *path) {
	OciLayerLink **l;

	if (s->tree.n == 0)
		return NULL;
	l = bsearch(path, s->tree.links, s->tree.n, sizeof(OciLayerLink *), link_path_compare);
	return l ? *l : NULL;
}

static OciLayerLink *link_new(const char *path, const char *target, unsigned layer) {
	size_t lp = strlen(path), lt = strlen(target);
	OciLayerLink *l;
	char *p;

	if (lp > SIZE_MAX - sizeof(OciLayerLink) - lt - 2)
		return NULL;
	l = malloc(sizeof(OciLayerLink) + lp + lt + 2);
	if (!l)
		return NULL;
	p = (char *) (l + 1);
	memcpy(p, path, lp + 1);
	memcpy(p + lp + 1, target, lt + 1);
	*l = (OciLayerLink) { .path = p, .target = p + lp + 1, .layer = layer };
	return l;
}

/* Does the layer whose entries are seen take the lower layers' path away? Its whiteouts
 * apply to the layers below only (layer.md), and its entries replace whatever was at
 * their paths: containerd removes the old one unless both are directories, which merge.
 * So path goes when the layer has an entry at path itself or a non-directory at one of
 * its parents, a whiteout of path or of a parent, or an opaque marker in a parent (the
 * root too). Paths in the tree have no component named like a whiteout: such entries
 * are refused. */
static int replaced(void *const *seen, const char *path) {
	size_t len = strlen(path);
	_cleanup_free_ char *buf = NULL;

	if (oci_layer_seen_find(seen, WHITEOUT_OPAQUE))
		return 1;
	buf = malloc(len + STRLEN("/" WHITEOUT_OPAQUE) + 1);
	if (!buf)
		return -ENOMEM;
	/* path[name..end) is one component, path[0..end) the path down to it. */
	for (size_t name = 0, end = strcspn(path, "/");; name = end + 1, end = name + strcspn(path + name, "/")) {
		bool last = path[end] == '\0';
		const Seen *e;

		memcpy(buf, path, end);
		buf[end] = '\0';
		e = oci_layer_seen_find(seen, buf);
		if (e && (last || e->whiteout || e->type != AE_IFDIR))
			return 1;

		/* buf[0..name) is still the parent, with its slash. */
		memcpy(buf + name, WHITEOUT_PREFIX, STRLEN(WHITEOUT_PREFIX));
		memcpy(buf + name + STRLEN(WHITEOUT_PREFIX), path + name, end - name);
		buf[end + STRLEN(WHITEOUT_PREFIX)] = '\0';
		if (oci_layer_seen_find(seen, buf))
			return 1;
		if (last)
			return 0;

		memcpy(buf, path, end);
		memcpy(buf + end, "/" WHITEOUT_OPAQUE, STRLEN("/" WHITEOUT_OPAQUE) + 1);
		if (oci_layer_seen_find(seen, buf))
			return 1;
	}
}

int oci_layer_stack_push(OciLayerStack *s, void *const *seen, const OciLayerLink *add, size_t n_add) {
	_cleanup_(link_array_done) LinkArray added = {};
	_cleanup_free_ OciLayerLink **merged = NULL;
	_cleanup_free_ bool *drop = NULL;
	size_t n_keep = 0, n = 0, i = 0, j = 0;
	int r;

	if (!s || !seen || (n_add > 0 && !add))
		return -EINVAL;

	/* Decide and allocate everything first: s changes only once nothing can fail. */
	drop = calloc(s->tree.n ?: 1, sizeof(bool));
	added.links = calloc(n_add ?: 1, sizeof(OciLayerLink *));
	if (!drop || !added.links)
		return -ENOMEM;
	for (size_t k = 0; k < s->tree.n; k++) {
		r = replaced(seen, s->tree.links[k]->path);
		if (r < 0)
			return r;
		drop[k] = r > 0;
		n_keep += !drop[k];
	}
	for (; added.n < n_add; added.n++) {
		added.links[added.n] = link_new(add[added.n].path, add[added.n].target, s->n_layers + 1);
		if (!added.links[added.n])
			return -ENOMEM;
	}
	qsort(added.links, added.n, sizeof(OciLayerLink *), link_compare);

	merged = calloc((n_keep + added.n) ?: 1, sizeof(OciLayerLink *));
	if (!merged)
		return -ENOMEM;
	while (i < s->tree.n || j < added.n) {
		int c;

		if (i < s->tree.n && drop[i]) {
			i++;
			continue;
		}
		c = i == s->tree.n ? 1 : j == added.n ? -1 : strcmp(s->tree.links[i]->path, added.links[j]->path);
		/* Never equal: a path of the layer replaces the lower one, and its own are distinct. */
		merged[n++] = c <= 0 ? s->tree.links[i++] : added.links[j++];
	}

	for (size_t k = 0; k < s->tree.n; k++)
		if (drop[k])
			free(s->tree.links[k]);
	free(s->tree.links);
	s->tree = (LinkArray) { .links = TAKE_PTR(merged), .n = n };
	added.n = 0;   /* its links belong to the tree now */
	s->n_layers++;
	return 0;
}
