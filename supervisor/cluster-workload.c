/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-json.h"
#include "cluster-workload.h"
#include "json-util.h"

/* All of a workload's conditions on one line: enough to say why it is not available. */
#define CONDITIONS_MAX 600

void cluster_workloads_free(ClusterWorkload *w, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(w[i].kind);
		free(w[i].namespace);
		free(w[i].name);
		free(w[i].conditions);
	}
	free(w);
}

static bool status_current(json_t *item) {
	return cluster_json_int(item, "status", "observedGeneration", 0) >= cluster_json_int(item, "metadata", "generation", 0);
}

static bool deployment_available(json_t *item, ClusterWorkload *w) {
	long desired = cluster_json_int(item, "spec", "replicas", 1);
	long replicas = cluster_json_int(item, "status", "replicas", 0);
	long updated = cluster_json_int(item, "status", "updatedReplicas", 0);
	long available = cluster_json_int(item, "status", "availableReplicas", 0);

	w->desired = desired;
	w->available = available;
	return status_current(item) && updated >= desired && replicas <= updated && available >= updated;
}

static bool daemonset_available(json_t *item, ClusterWorkload *w) {
	long desired = cluster_json_int(item, "status", "desiredNumberScheduled", 0);
	long updated = cluster_json_int(item, "status", "updatedNumberScheduled", 0);
	long available = cluster_json_int(item, "status", "numberAvailable", 0);

	w->desired = desired;
	w->available = available;
	return status_current(item) && updated >= desired && available >= desired;
}

static bool statefulset_available(json_t *item, ClusterWorkload *w) {
	json_t *strategy = json_object_get(json_object_get(item, "spec"), "updateStrategy");
	long desired = cluster_json_int(item, "spec", "replicas", 1);
	long ready = cluster_json_int(item, "status", "readyReplicas", 0);
	long updated = cluster_json_int(item, "status", "updatedReplicas", 0);
	long partition = cluster_json_int(strategy, "rollingUpdate", "partition", 0);
	const char *type = cluster_json_str(strategy, "type", NULL, NULL) ?: "RollingUpdate";
	const char *current = cluster_json_str(item, "status", "currentRevision", NULL);
	const char *update = cluster_json_str(item, "status", "updateRevision", NULL);

	w->desired = desired;
	w->available = ready;
	if (!status_current(item) || ready < desired)
		return false;
	if (streq(type, "OnDelete"))
		return true;   /* nothing rolls out by itself: readiness is all there is to see */
	if (partition > 0)
		return updated >= desired - partition;
	return current && update && streq(current, update);
}

static bool condition_true(json_t *item, const char *type) {
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(item, "status"), "conditions"), i, c)
		if (streq(cluster_json_str(c, "type", NULL, NULL) ?: "", type))
			return streq(cluster_json_str(c, "status", NULL, NULL) ?: "", "True");
	return false;
}

static bool job_complete(json_t *item, ClusterWorkload *w) {
	w->desired = cluster_json_int(item, "spec", "completions", 1);
	w->available = cluster_json_int(item, "status", "succeeded", 0);
	w->failed = condition_true(item, "Failed");
	return condition_true(item, "Complete");
}

/* "Available=False MinimumReplicasUnavailable: Deployment does not have minimum
 * availability.; Progressing=True ..." */
static int conditions_text(json_t *item, char **ret) {
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	json_t *c;
	size_t i;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return -ENOMEM;
	json_array_foreach(json_object_get(json_object_get(item, "status"), "conditions"), i, c) {
		const char *reason = cluster_json_str(c, "reason", NULL, NULL);
		const char *message = cluster_json_str(c, "message", NULL, NULL);
		_cleanup_free_ char *line = message ? cluster_text_line(message) : NULL;
		fprintf(f, "%s%s=%s%s%s%s%s", i > 0 ? "; " : "", cluster_json_str(c, "type", NULL, NULL) ?: "?",
			cluster_json_str(c, "status", NULL, NULL) ?: "?", reason ? " " : "", reason ?: "",
			line ? ": " : "", line ?: "");
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	if (size > CONDITIONS_MAX) {
		size_t n = CONDITIONS_MAX;
		while (n > 0 && ((unsigned char) text[n] & 0xC0) == 0x80)
			n--;
		text[n] = '\0';
	}
	*ret = size > 0 ? TAKE_PTR(text) : NULL;
	return 0;
}

int cluster_workloads_parse(const char *json, ClusterWorkload **ret, size_t *ret_n) {
	static const struct {
		const char *kind;
		bool (*available)(json_t *item, ClusterWorkload *w);
	} kinds[] = {
		{ "Deployment",  deployment_available  },
		{ "DaemonSet",   daemonset_available   },
		{ "StatefulSet", statefulset_available },
		{ "Job",         job_complete          },
	};
	_cleanup_json_ json_t *doc = NULL;
	ClusterWorkload *w = NULL;
	json_t *items, *item;
	size_t i, n = 0;
	int r = cluster_json_items(json, &doc, &items);

	if (r < 0)
		return r;
	w = calloc(json_array_size(items) + 1, sizeof *w);
	if (!w)
		return -ENOMEM;
	json_array_foreach(items, i, item) {
		const char *kind = cluster_json_str(item, "kind", NULL, NULL), *name = cluster_json_str(item, "metadata", "name", NULL);
		const char *ns = cluster_json_str(item, "metadata", "namespace", NULL);
		ClusterWorkload *x = &w[n];
		size_t k;

		if (!kind || !name) {
			cluster_workloads_free(w, n);
			return -EBADMSG;
		}
		for (k = 0; k < ELEMENTSOF(kinds) && !streq(kinds[k].kind, kind); k++)
			;
		if (k == ELEMENTSOF(kinds))
			continue;   /* not a workload we wait for: nothing to say about it */
		x->available_all = kinds[k].available(item, x);
		n++;
		if (!(x->kind = strdup(kind)) || !(x->name = strdup(name)) || (ns && !(x->namespace = strdup(ns))) ||
		    conditions_text(item, &x->conditions) < 0) {
			cluster_workloads_free(w, n);
			return -ENOMEM;
		}
	}
	*ret = w;
	*ret_n = n;
	return 0;
}
