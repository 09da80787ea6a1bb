/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The cluster phase: form a one-node cluster with kubeadm, unattended, and come back to
 * it at every boot (the table and what decides each step: cluster-table.h). Role
 * "single" only; joining roles fail the phase, saying that joining is not implemented in
 * this version.
 *
 *   kubelet.service  enabled for this boot (the image does not enable it: kubelet must
 *                    not run before the phase has looked at what kubeadm left), started
 *                    through systemd
 *   kubeadm          init --config /usr/lib/kiln/kubeadm/<name>.yaml, reset --force,
 *                    children of the loop (cluster-kubeadm.h)
 *   kubectl          the checks and the Corefile (cluster-probe.h, cluster-corefile.h)
 *
 * Done when /readyz says ok, the node is Ready and every kube-system Deployment and
 * DaemonSet is available. The watch phase then keeps looking (cluster_watch_start()). */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cluster-health.h"
#include "macro.h"
#include "phases.h"
#include "systemd-client.h"

#define CLUSTER_KUBELET_UNIT "kubelet.service"
/* How often a waiting step asks again, and how often the watch looks. */
#define CLUSTER_POLL_USEC (5 * USEC_PER_SEC)
#define CLUSTER_WATCH_USEC (30 * USEC_PER_SEC)
/* Waits of the phase; a wait that ends fails the phase, which is retried with the
 * runner's backoff (a formed cluster is only ever waited for again, never reset). */
#define CLUSTER_API_WAIT_MIN_USEC (10 * USEC_PER_MINUTE)
#define CLUSTER_COREFILE_WAIT_USEC (5 * USEC_PER_MINUTE)
#define CLUSTER_READY_WAIT_USEC (20 * USEC_PER_MINUTE)

typedef struct Cluster Cluster;

typedef struct ClusterSetup {
	sd_event *event;
	SystemdClient *systemd;
	const char *image_root;        /* the image's files (the configuration) below it: "/" */
	const char *state_dir;         /* the stamp goes here */
	const char *name;              /* the configuration's name */
} ClusterSetup;

/* Load the configuration: -ENOENT when the image has none for this name. */
int cluster_new(const ClusterSetup *setup, Cluster **ret);
Cluster *cluster_free(Cluster *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Cluster *, cluster_free);

/* Run the phase on r: it ends with phase_done() or phase_failed(), from the loop. */
int cluster_run(Cluster *c, PhaseRunner *r);
/* The phase's check: > 0 when the cluster is formed and the last look found it ready
 * (*ret_detail says so), 0 when it is not formed or not ready, -EOPNOTSUPP when nothing
 * was looked at in this process. */
int cluster_check(Cluster *c, char **ret_detail);

const ClusterHealth *cluster_health(Cluster *c);
/* The status document's "cluster" object (cluster_health_to_json()); null without a
 * cluster. */
json_t *cluster_status_json(Cluster *c);

/* The watch: look every CLUSTER_WATCH_USEC and call notify after each look with the
 * summary, and whether it changed since the last one (changes are logged here, once). */
typedef void (*ClusterWatchFn)(Cluster *c, const char *summary, bool healthy, bool changed, void *userdata);
int cluster_watch_start(Cluster *c, ClusterWatchFn notify, void *userdata);
void cluster_watch_stop(Cluster *c);
