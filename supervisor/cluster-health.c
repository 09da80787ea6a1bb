/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-health.h"
#include "cluster-json.h"
#include "json-util.h"
#include "status-server.h"

/* A workload kind init installs, and its name. */
#define DNS_KIND "Deployment"
#define DNS_NAME "coredns"
#define PROXY_KIND "DaemonSet"
#define PROXY_NAME "kube-proxy"

static void free_text(char **p) {
	*p = mfree_str(*p);
}

void cluster_pods_free(ClusterPod *p, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].phase);
		free(p[i].reason);
	}
	free(p);
}

void cluster_health_reset(ClusterHealth *h) {
	h->api = -1;
	free_text(&h->api_detail);
	h->node_ready = -1;
	free_text(&h->node_detail);
	cluster_workloads_free(h->workloads, h->n_workloads);
	h->workloads = NULL;
	h->n_workloads = 0;
	h->workloads_known = false;
	cluster_pods_free(h->pods, h->n_pods);
	h->pods = NULL;
	h->n_pods = 0;
	h->n_pods_total = 0;
	h->pods_known = false;
}

void cluster_health_done(ClusterHealth *h) {
	if (!h)
		return;
	cluster_health_reset(h);
	free_text(&h->node_name);
	h->checked = 0;
}

int cluster_readyz_parse(int status, const char *out, const char *err, char **ret_detail) {
	const char *p;
	char *d = NULL;

	if (status == 0 && out && strneq(out, "ok", 2) && strspn(out + 2, "\n") == strlen(out + 2))
		return 1;
	/* A 500: "... an error on the server (\"[+]ping ok\\n[-]etcd failed: reason withheld..."
	 * names each failing check after "[-]". */
	for (p = err ? strstr(err, "[-]") : NULL; p; p = strstr(p + 3, "[-]")) {
		size_t n = strcspn(p + 3, " \\\n\"");
		char *j;
		if (asprintf(&j, "%s%s%.*s", d ?: "", d ? ", " : "", (int) n, p + 3) < 0) {
			free(d);
			return -ENOMEM;
		}
		free(d);
		d = j;
	}
	if (d) {
		char *j;
		int k = asprintf(&j, "/readyz: %s failed", d);
		free(d);
		if (k < 0)
			return -ENOMEM;
		*ret_detail = j;
		return 0;
	}
	if (!isempty(err))
		d = cluster_text_line(err);
	else if (status == 0)
		d = strdup("/readyz did not say ok");
	else if (asprintf(&d, "kubectl exited with status %d", status) < 0)
		d = NULL;
	if (!d)
		return -ENOMEM;
	*ret_detail = d;
	return 0;
}

int cluster_node_parse(const char *json, const char *name, int *ret_ready, char **ret_detail) {
	_cleanup_json_ json_t *doc = NULL;
	json_t *items, *item, *cond;
	size_t i, j;
	int r = cluster_json_items(json, &doc, &items);

	if (r < 0)
		return r;
	json_array_foreach(items, i, item) {
		if (!name || !streq(cluster_json_str(item, "metadata", "name", NULL) ?: "", name))
			continue;
		json_array_foreach(json_object_get(json_object_get(item, "status"), "conditions"), j, cond) {
			if (!streq(cluster_json_str(cond, "type", NULL, NULL) ?: "", "Ready"))
				continue;
			const char *status = cluster_json_str(cond, "status", NULL, NULL) ?: "Unknown";
			const char *reason = cluster_json_str(cond, "reason", NULL, NULL);
			const char *message = cluster_json_str(cond, "message", NULL, NULL);
			_cleanup_free_ char *text = NULL;
			if (asprintf(&text, "%s%s%s", reason ?: status, message ? ": " : "", message ?: "") < 0) {
				text = NULL;
				return -ENOMEM;
			}
			char *d = cluster_text_line(text);
			if (!d)
				return -ENOMEM;
			*ret_ready = streq(status, "True");
			*ret_detail = d;
			return 0;
		}
		/* Registered, no status posted yet. */
		char *d = strdup("no Ready condition yet");
		if (!d)
			return -ENOMEM;
		*ret_ready = 0;
		*ret_detail = d;
		return 0;
	}
	return -ENOENT;
}

/* Why a pod is not running and ready, in the words of its status, most telling first: a
 * container waiting or terminated ("CrashLoopBackOff: back-off 2m40s ..."), the
 * scheduler's "Unschedulable: 0/1 nodes are available ...", the Ready condition, the
 * pod's own reason (Evicted), its phase. */
static char *pod_reason(json_t *status) {
	json_t *cs, *cond;
	size_t i;
	const char *reason = NULL, *message = NULL;

	json_array_foreach(json_object_get(status, "containerStatuses"), i, cs) {
		if (json_is_true(json_object_get(cs, "ready")))
			continue;
		json_t *state = json_object_get(cs, "state"), *s = json_object_get(state, "waiting");
		if (!s)
			s = json_object_get(state, "terminated");
		reason = cluster_json_str(s, "reason", NULL, NULL);
		message = cluster_json_str(s, "message", NULL, NULL);
		if (reason)
			break;
	}
	if (!reason)
		json_array_foreach(json_object_get(status, "conditions"), i, cond) {
			const char *type = cluster_json_str(cond, "type", NULL, NULL) ?: "";
			if ((streq(type, "PodScheduled") || streq(type, "Ready")) &&
			    !streq(cluster_json_str(cond, "status", NULL, NULL) ?: "", "True") && cluster_json_str(cond, "reason", NULL, NULL)) {
				reason = cluster_json_str(cond, "reason", NULL, NULL);
				message = cluster_json_str(cond, "message", NULL, NULL);
				break;
			}
		}
	if (!reason) {
		reason = cluster_json_str(status, "reason", NULL, NULL) ?: cluster_json_str(status, "phase", NULL, NULL)
			 ?: "no status yet";
		message = cluster_json_str(status, "message", NULL, NULL);
	}
	_cleanup_free_ char *text = NULL;
	if (asprintf(&text, "%s%s%s", reason, message ? ": " : "", message ?: "") < 0) {
		text = NULL;
		return NULL;
	}
	return cluster_text_line(text);
}

static bool pod_fine(json_t *status) {
	const char *phase = cluster_json_str(status, "phase", NULL, NULL) ?: "";
	json_t *cond;
	size_t i;

	if (streq(phase, "Succeeded"))
		return true;
	if (!streq(phase, "Running"))
		return false;
	json_array_foreach(json_object_get(status, "conditions"), i, cond)
		if (streq(cluster_json_str(cond, "type", NULL, NULL) ?: "", "Ready"))
			return streq(cluster_json_str(cond, "status", NULL, NULL) ?: "", "True");
	return false;
}

int cluster_pods_parse(const char *json, ClusterPod **ret, size_t *ret_n, size_t *ret_total) {
	_cleanup_json_ json_t *doc = NULL;
	ClusterPod *p;
	json_t *items, *item;
	size_t i, n = 0;
	int r = cluster_json_items(json, &doc, &items);

	if (r < 0)
		return r;
	p = calloc(json_array_size(items) + 1, sizeof *p);
	if (!p)
		return -ENOMEM;
	json_array_foreach(items, i, item) {
		json_t *status = json_object_get(item, "status");
		const char *name = cluster_json_str(item, "metadata", "name", NULL);
		if (!name) {
			cluster_pods_free(p, n);
			return -EBADMSG;
		}
		if (pod_fine(status))
			continue;
		ClusterPod *x = &p[n++];
		x->name = strdup(name);
		x->phase = strdup(cluster_json_str(status, "phase", NULL, NULL) ?: "Unknown");
		x->reason = pod_reason(status);
		if (!x->name || !x->phase || !x->reason) {
			cluster_pods_free(p, n);
			return -ENOMEM;
		}
	}
	*ret = p;
	*ret_n = n;
	*ret_total = json_array_size(items);
	return 0;
}

static int append(char **list, const char *fmt, ...) _printf_(2, 3);
static int append(char **list, const char *fmt, ...) {
	_cleanup_free_ char *item = NULL;
	char *j;
	va_list ap;

	va_start(ap, fmt);
	int k = vasprintf(&item, fmt, ap);
	va_end(ap);
	if (k < 0) {
		item = NULL;
		return -ENOMEM;
	}
	if (asprintf(&j, "%s%s%s", *list ?: "", *list ? ", " : "", item) < 0)
		return -ENOMEM;
	free(*list);
	*list = j;
	return 0;
}

static const ClusterWorkload *find_workload(const ClusterHealth *h, const char *kind, const char *name) {
	for (size_t i = 0; i < h->n_workloads; i++)
		if (streq(h->workloads[i].kind, kind) && streq(h->workloads[i].name, name))
			return &h->workloads[i];
	return NULL;
}

int cluster_health_ready(const ClusterHealth *h, bool want_dns, bool want_proxy, char **ret_missing) {
	_cleanup_free_ char *missing = NULL;
	int r = 0;

	if (h->api != 1)
		r = append(&missing, "API server: %s", h->api_detail ?: "not asked yet");
	else if (h->node_ready != 1)
		r = append(&missing, "node %s: %s", h->node_name ?: "?", h->node_detail ?: "not registered yet");
	else if (!h->workloads_known)
		r = append(&missing, "kube-system workloads not listed yet");
	else {
		if (want_dns && !find_workload(h, DNS_KIND, DNS_NAME))
			r = append(&missing, "no %s %s", DNS_KIND, DNS_NAME);
		if (r >= 0 && want_proxy && !find_workload(h, PROXY_KIND, PROXY_NAME))
			r = append(&missing, "no %s %s", PROXY_KIND, PROXY_NAME);
		for (size_t i = 0; r >= 0 && i < h->n_workloads; i++)
			if (!h->workloads[i].available_all)
				r = append(&missing, "%s %s %ld/%ld available", h->workloads[i].kind, h->workloads[i].name,
					   h->workloads[i].available, h->workloads[i].desired);
	}
	if (r < 0)
		return r;
	if (!missing)
		return 1;
	if (ret_missing)
		*ret_missing = TAKE_PTR(missing);
	return 0;
}

int cluster_health_summary(const ClusterHealth *h, char **ret) {
	_cleanup_free_ char *s = NULL;
	size_t avail = 0;
	int r;

	if (h->api < 0)
		r = append(&s, "API not asked yet");
	else
		r = append(&s, "API %s", h->api > 0 ? "ok" : h->api_detail ?: "not ready");
	if (r >= 0 && h->api > 0)
		r = append(&s, "node %s %s", h->node_name ?: "?",
			   h->node_ready > 0 ? "Ready" : h->node_ready == 0 ? "NotReady" : "not registered");
	for (size_t i = 0; i < h->n_workloads; i++)
		avail += h->workloads[i].available_all;
	if (r >= 0 && h->workloads_known)
		r = append(&s, "kube-system %zu/%zu workloads available", avail, h->n_workloads);
	if (r >= 0 && h->pods_known)
		r = append(&s, "%zu/%zu pods not ready", h->n_pods, h->n_pods_total);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

static json_t *text_or_null(const char *s) {
	return s ? json_string(s) : json_null();
}

json_t *cluster_health_to_json(const ClusterHealth *h) {
	_cleanup_json_ json_t *workloads = NULL, *pods = NULL;

	if (!h || h->checked == 0)
		return json_null();
	if (h->workloads_known) {
		workloads = json_array();
		for (size_t i = 0; workloads && i < h->n_workloads; i++) {
			const ClusterWorkload *w = &h->workloads[i];
			if (json_array_append_new(workloads, json_pack("{s:s, s:s, s:I, s:I, s:b}", "kind", w->kind,
								      "name", w->name, "desired", (json_int_t) w->desired,
								      "available", (json_int_t) w->available,
								      "ok", w->available_all)) < 0)
				return NULL;
		}
	}
	if (h->pods_known) {
		pods = json_array();
		for (size_t i = 0; pods && i < h->n_pods; i++)
			if (json_array_append_new(pods, json_pack("{s:s, s:s, s:s}", "name", h->pods[i].name,
								  "phase", h->pods[i].phase, "reason", h->pods[i].reason)) < 0)
				return NULL;
	}
	if ((h->workloads_known && !workloads) || (h->pods_known && !pods))
		return NULL;
	/* "o" steals the reference, also when json_pack() fails; null for unknown fields. */
	return json_pack("{s:o, s:{s:o, s:o}, s:{s:o, s:o, s:o}, s:O, s:O, s:o}",
			 "checked", status_json_time(h->checked),
			 "apiServer", "ok", h->api < 0 ? json_null() : json_boolean(h->api > 0),
				      "detail", text_or_null(h->api_detail),
			 "node", "name", text_or_null(h->node_name),
				 "ready", h->node_ready < 0 ? json_null() : json_boolean(h->node_ready > 0),
				 "detail", text_or_null(h->node_detail),
			 "workloads", workloads ?: json_null(),
			 "podsNotReady", pods ?: json_null(),
			 "podsTotal", h->pods_known ? json_integer((json_int_t) h->n_pods_total) : json_null());
}

int cluster_adopt_parse(const char *names, bool want_dns, bool want_proxy, char **ret_missing) {
	static const struct {
		const char *name;
		int want;              /* 0 always, 1 DNS, 2 proxy */
	} wanted[] = {
		{ "configmap/kubeadm-config",   0 },
		{ "deployment.apps/coredns",    1 },
		{ "daemonset.apps/kube-proxy",  2 },
	};
	_cleanup_free_ char *missing = NULL;

	for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
		if ((wanted[i].want == 1 && !want_dns) || (wanted[i].want == 2 && !want_proxy))
			continue;
		bool found = false;
		size_t n = strlen(wanted[i].name);
		for (const char *p = names ?: ""; *p; p += strcspn(p, "\n"), p += *p == '\n')
			if (strneq(p, wanted[i].name, n) && (p[n] == '\n' || p[n] == '\0'))
				found = true;
		if (!found && append(&missing, "%s", wanted[i].name) < 0)
			return -ENOMEM;
	}
	if (!missing)
		return 1;
	*ret_missing = TAKE_PTR(missing);
	return 0;
}
