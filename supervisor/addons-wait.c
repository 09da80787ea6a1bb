/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons-wait.h"

void addons_seen_free(AddonSeen *s, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(s[i].w.kind);
		free(s[i].w.namespace);
		free(s[i].w.name);
		free(s[i].w.conditions);
	}
	free(s);
}

int addons_wait_read(const char *json, const AddonTarget *targets, size_t n, AddonSeen **ret) {
	ClusterWorkload *w = NULL;
	AddonSeen *s;
	size_t n_w = 0;
	int r;

	if ((!targets && n > 0) || !ret)
		return -EINVAL;
	r = cluster_workloads_parse(json, &w, &n_w);
	if (r < 0)
		return r;
	s = calloc(n + 1, sizeof *s);
	if (!s) {
		cluster_workloads_free(w, n_w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const AddonTarget *t = &targets[i];
		for (size_t j = 0; j < n_w && !s[i].found; j++) {
			if (!w[j].kind || !streq(w[j].kind, t->kind) || !streq(w[j].name, t->name) ||
			    !streq(w[j].namespace ?: t->namespace, t->namespace))
				continue;
			/* Moved: the numbers and the conditions are this target's now. */
			s[i].w = w[j];
			free(s[i].w.kind);
			free(s[i].w.namespace);
			free(s[i].w.name);
			w[j] = (ClusterWorkload) {};
			s[i].found = true;
		}
		s[i].w.kind = strdup(t->kind);
		s[i].w.namespace = strdup(t->namespace);
		s[i].w.name = strdup(t->name);
		if (!s[i].w.kind || !s[i].w.namespace || !s[i].w.name)
			r = -ENOMEM;
	}
	cluster_workloads_free(w, n_w);
	if (r < 0) {
		addons_seen_free(s, n);
		return r;
	}
	*ret = s;
	return 0;
}

/* What the count is of, in kubectl's words for the kind. */
static const char *count_word(const char *kind) {
	return streq(kind, "Job") ? "succeeded" : streq(kind, "StatefulSet") ? "ready" : "available";
}

int addons_seen_describe(const AddonSeen *s, char **ret) {
	const ClusterWorkload *w = &s->w;
	int k;

	if (!s->found)
		k = asprintf(ret, "%s %s/%s: not found", w->kind, w->namespace, w->name);
	else
		k = asprintf(ret, "%s %s/%s: %s%ld/%ld %s%s%s%s", w->kind, w->namespace, w->name,
			     w->failed ? "failed, " : "", w->available, w->desired, count_word(w->kind),
			     w->conditions ? " (" : "", w->conditions ?: "", w->conditions ? ")" : "");
	if (k < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int addons_wait_verdict(const AddonSeen *s, size_t n, AddonVerdict *ret, char **ret_detail) {
	const AddonSeen *first = NULL;
	AddonVerdict v = ADDON_VERDICT_AVAILABLE;
	size_t others = 0;

	if ((!s && n > 0) || !ret)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		AddonVerdict this = !s[i].found ? ADDON_VERDICT_MISSING : s[i].w.failed ? ADDON_VERDICT_FAILED
				    : s[i].w.available_all ? ADDON_VERDICT_AVAILABLE : ADDON_VERDICT_WAITING;
		if (this == ADDON_VERDICT_AVAILABLE)
			continue;
		others++;
		/* The worst one is named: a failed Job says more than a pod still starting. */
		if (this > v) {
			v = this;
			first = &s[i];
		}
	}
	if (v != ADDON_VERDICT_AVAILABLE && ret_detail) {
		_cleanup_free_ char *one = NULL;
		int r = addons_seen_describe(first, &one);
		if (r < 0)
			return r;
		if (others > 1 ? asprintf(ret_detail, "%s (and %zu more)", one, others - 1) < 0
			       : !(*ret_detail = strdup(one)))
			return -ENOMEM;
	}
	*ret = v;
	return 0;
}

json_t *addons_seen_to_json(const AddonSeen *s, size_t n) {
	json_t *list = json_array();

	for (size_t i = 0; list && i < n; i++) {
		const ClusterWorkload *w = &s[i].w;
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:b, s:b, s:o}", "kind", w->kind,
							  "namespace", w->namespace, "name", w->name, "found", s[i].found,
							  "desired", (json_int_t) w->desired, "available",
							  (json_int_t) w->available, "ok", s[i].found && w->available_all,
							  "failed", w->failed, "conditions",
							  w->conditions ? json_string(w->conditions) : json_null())) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}
