/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The cluster's health as the supervisor last saw it, from the answers of kubectl (run as
 * children by cluster-probe.c): the API server's /readyz, this node's Ready condition,
 * kube-system's Deployments and DaemonSets, and the kube-system pods that are not running
 * and ready. Parsed with jansson from `kubectl get ... -o json` (kind List, items as the
 * API serves them; tests/unit/data/cluster has real ones). This is what kilnctl status
 * shows: nothing in it is made up, a field nobody checked says so. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cluster-workload.h"
#include "macro.h"
#include "time-util.h"

typedef struct ClusterPod {
	char *name;
	char *phase;                /* status.phase: Pending, Running, Failed, Unknown */
	char *reason;               /* why not running and ready, as the pod says */
} ClusterPod;

typedef struct ClusterHealth {
	usec_t checked;             /* CLOCK_REALTIME of the last check; 0: none yet */
	int api;                    /* 1 /readyz said ok, 0 it did not (api_detail says why), -1 not asked */
	char *api_detail;
	char *node_name;
	int node_ready;             /* 1 Ready, 0 not, -1 unknown (not asked, or no such Node) */
	char *node_detail;          /* the Ready condition's reason and message */
	bool workloads_known;
	ClusterWorkload *workloads;
	size_t n_workloads;
	bool pods_known;
	ClusterPod *pods;           /* only those not running and ready */
	size_t n_pods;
	size_t n_pods_total;
} ClusterHealth;

#define CLUSTER_HEALTH_INIT { .api = -1, .node_ready = -1 }

void cluster_health_done(ClusterHealth *h);
/* Forget the answers (the API is not answering): api -1, node unknown, lists unknown. */
void cluster_health_reset(ClusterHealth *h);

/* kubectl get --raw /readyz: status is its exit status, out its stdout, err its stderr.
 * 1 when the API server said ok; 0 with *ret_detail saying why not: the failing checks of
 * a 500 ("etcd, etcd-readiness failed"), or kubectl's own first line ("The connection to
 * the server 10.0.2.15:6443 was refused ..."). */
int cluster_readyz_parse(int status, const char *out, const char *err, char **ret_detail);

/* kubectl get nodes -o json: the Ready condition of the node called name. 0 with *ret_ready
 * 1/0 and the condition's "reason: message"; -ENOENT when there is no such node (yet);
 * -EBADMSG when the text is not a node list. */
int cluster_node_parse(const char *json, const char *name, int *ret_ready, char **ret_detail);

/* kubectl get deploy,ds -n kube-system -o json: each workload, cluster_workloads_parse()
 * (cluster-workload.h). */

/* kubectl get pods -n kube-system -o json: the pods not running and ready (Succeeded
 * counts as fine), and how many there are in all. */
int cluster_pods_parse(const char *json, ClusterPod **ret, size_t *ret_n, size_t *ret_total);
void cluster_pods_free(ClusterPod *p, size_t n);

/* The phase's "done": /readyz ok, the node Ready, the workloads known and each available,
 * and among them the addons init installs unless disabled (CoreDNS's Deployment
 * "coredns", kube-proxy's DaemonSet "kube-proxy"). 1, or 0 with what is missing in
 * *ret_missing. */
int cluster_health_ready(const ClusterHealth *h, bool want_dns, bool want_proxy, char **ret_missing);

/* One line for STATUS= and the phase's detail: "API ok, node n1 Ready, kube-system 2/2
 * workloads available, 0/3 pods not ready". */
int cluster_health_summary(const ClusterHealth *h, char **ret);

/* For the status document: {"checked", "apiServer": {"ok", "detail"}, "node": {"name",
 * "ready", "detail"}, "workloads": [{"kind", "name", "desired", "available", "ok"}] or
 * null, "podsNotReady": [{"name", "phase", "reason"}] or null, "podsTotal"}; null when
 * nothing was checked yet. */
json_t *cluster_health_to_json(const ClusterHealth *h);

/* `kubectl get ... -o name --ignore-not-found` of kubeadm-config and the addons: 1 when
 * every one wanted is there, else 0 with the missing ones in *ret_missing. */
int cluster_adopt_parse(const char *names, bool want_dns, bool want_proxy, char **ret_missing);
