/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-probe.h"

typedef enum Step { STEP_READYZ, STEP_NODES, STEP_WORKLOADS, STEP_PODS, STEP_NAMES, STEP_END } Step;

static const Step plans[_CLUSTER_PROBE_KIND_MAX][5] = {
	[CLUSTER_PROBE_API]    = { STEP_READYZ, STEP_END },
	[CLUSTER_PROBE_HEALTH] = { STEP_READYZ, STEP_NODES, STEP_WORKLOADS, STEP_PODS, STEP_END },
	[CLUSTER_PROBE_ADOPT]  = { STEP_READYZ, STEP_NAMES, STEP_END },
};

static const char *const *step_args(Step s) {
	static const char *const readyz[] = { "get", "--raw", "/readyz", NULL };
	static const char *const nodes[] = { "get", "nodes", "-o", "json", NULL };
	static const char *const workloads[] = { "get", "deployments,daemonsets", "-n", "kube-system", "-o", "json", NULL };
	static const char *const pods[] = { "get", "pods", "-n", "kube-system", "-o", "json", NULL };
	/* What kubeadm init creates last: its configuration (upload-config), then the two
	 * addons (its last phase that writes to the cluster). */
	static const char *const names[] = { "get", "-n", "kube-system", "configmap/kubeadm-config",
					     "deployment/coredns", "daemonset/kube-proxy", "-o", "name",
					     "--ignore-not-found", NULL };
	switch (s) {
	case STEP_READYZ:    return readyz;
	case STEP_NODES:     return nodes;
	case STEP_WORKLOADS: return workloads;
	case STEP_PODS:      return pods;
	case STEP_NAMES:     return names;
	default:             return NULL;
	}
}

struct ClusterProbe {
	sd_event *event;
	ClusterKubectlSetup setup;
	ClusterProbeOptions opts;
	size_t step;
	ClusterKubectl *call;
	char *detail;
	/* This look's answers, moved into opts.health when it ends: the status document
	 * always shows a whole look, never one half asked. */
	ClusterHealth scratch;
};

static void probe_finish(ClusterProbe *p, int result, char *detail) {
	ClusterProbeDoneFn done = TAKE_PTR(p->opts.done);

	if (p->scratch.checked > 0) {
		cluster_health_done(p->opts.health);
		*p->opts.health = p->scratch;
		p->scratch = (ClusterHealth) CLUSTER_HEALTH_INIT;
	}
	free(p->detail);
	p->detail = detail;
	if (p->opts.kind != CLUSTER_PROBE_ADOPT && result >= 0 && !detail) {
		/* The health itself says what holds. */
		if (p->opts.kind == CLUSTER_PROBE_API)
			result = p->opts.health->api == 1;
		else {
			result = cluster_health_ready(p->opts.health, p->opts.want_dns, p->opts.want_proxy, &p->detail);
			if (result < 0)
				p->detail = NULL;
		}
	}
	if (done)
		done(p, result, p->detail, p->opts.userdata);
}

/* The first line of kubectl's complaint, or how it ended. */
static char *command_error(int status, const char *err) {
	char *d = NULL;

	if (!isempty(err))
		d = strndup(err, strcspn(err, "\n"));
	else if (status == -ETIMEDOUT)
		d = strdup("kubectl did not finish in time");
	else if (asprintf(&d, "kubectl exited with status %d", status) < 0)
		d = NULL;
	return d;
}

static int probe_next(ClusterProbe *p);

static void on_kubectl(ClusterKubectl *k, int status, const char *out, const char *err, void *userdata) {
	ClusterProbe *p = userdata;
	ClusterHealth *h = &p->scratch;
	Step s = plans[p->opts.kind][p->step];
	char *detail = NULL;
	int r = 0;

	if (s == STEP_READYZ) {
		h->checked = now(CLOCK_REALTIME);
		r = cluster_readyz_parse(status, out, err, &detail);
		if (r >= 0) {
			h->api = r;
			free(h->api_detail);
			h->api_detail = r > 0 ? strdup("ok") : detail;
			detail = r > 0 ? NULL : strdup(detail);
			r = r > 0 ? 0 : -EAGAIN;
		}
	} else if (status != 0) {
		r = -EAGAIN;
		detail = command_error(status, err);
	} else if (s == STEP_NODES) {
		int ready = -1;
		char *d = NULL;
		r = cluster_node_parse(out, h->node_name, &ready, &d);
		if (r == -ENOENT) {
			/* Not registered (yet): the kubelet has not reached the API. */
			h->node_ready = 0;
			h->node_detail = strdup("not registered yet");
			r = 0;
		} else if (r >= 0) {
			h->node_ready = ready;
			h->node_detail = d;
		} else
			detail = strdup("kubectl get nodes: not a node list");
	} else if (s == STEP_WORKLOADS) {
		r = cluster_workloads_parse(out, &h->workloads, &h->n_workloads);
		h->workloads_known = r >= 0;
		if (r < 0)
			detail = strdup("kubectl get deployments,daemonsets: not a list");
	} else if (s == STEP_PODS) {
		r = cluster_pods_parse(out, &h->pods, &h->n_pods, &h->n_pods_total);
		h->pods_known = r >= 0;
		if (r < 0)
			detail = strdup("kubectl get pods: not a list");
	} else if (s == STEP_NAMES) {
		r = cluster_adopt_parse(out, p->opts.want_dns, p->opts.want_proxy, &detail);
		p->call = cluster_kubectl_free(p->call);
		probe_finish(p, r, detail);
		return;
	}

	p->call = cluster_kubectl_free(p->call);
	if (r < 0) {
		probe_finish(p, r == -EBADMSG ? -EAGAIN : r, detail);
		return;
	}
	free(detail);
	p->step++;
	r = probe_next(p);
	if (r < 0)
		probe_finish(p, r, NULL);
}

static int probe_next(ClusterProbe *p) {
	Step s = plans[p->opts.kind][p->step];

	if (s == STEP_END) {
		probe_finish(p, 0, NULL);
		return 0;
	}
	return cluster_kubectl_start(p->event, &p->setup, step_args(s), on_kubectl, p, &p->call);
}

int cluster_probe_start(sd_event *e, const ClusterKubectlSetup *setup, const ClusterProbeOptions *opts,
			ClusterProbe **ret) {
	_cleanup_(cluster_probe_freep) ClusterProbe *p = NULL;
	int r;

	if (!e || !setup || !opts || !opts->health || !opts->done || opts->kind < 0 ||
	    opts->kind >= _CLUSTER_PROBE_KIND_MAX || !ret)
		return -EINVAL;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->event = sd_event_ref(e);
	p->setup = *setup;
	p->opts = *opts;
	p->scratch = (ClusterHealth) CLUSTER_HEALTH_INIT;
	if (opts->health->node_name && !(p->scratch.node_name = strdup(opts->health->node_name)))
		return -ENOMEM;
	r = cluster_kubectl_start(e, &p->setup, step_args(STEP_READYZ), on_kubectl, p, &p->call);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

ClusterProbe *cluster_probe_free(ClusterProbe *p) {
	if (!p)
		return NULL;
	cluster_kubectl_free(p->call);
	sd_event_unref(p->event);
	cluster_health_done(&p->scratch);
	free(p->detail);
	free(p);
	return NULL;
}
