/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One look at the cluster through kubectl, one command after the other, each a child of
 * the loop (cluster-kubectl.h); the answers land in a ClusterHealth:
 *
 *   api     /readyz
 *   health  /readyz, this node's Ready condition, kube-system's Deployments and
 *           DaemonSets, kube-system's pods: the cluster phase's "done", and the watch
 *   adopt   /readyz, then whether kubeadm-config and the addons exist: did an init that
 *           left no stamp finish?
 *
 * A command that fails ends the look; what it could not learn stays unknown in the
 * health, with kubectl's words. The health is replaced whole when a look ends, so that
 * whoever reads it meanwhile (the status socket) sees the last whole look. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cluster-health.h"
#include "cluster-kubectl.h"
#include "macro.h"

typedef enum ClusterProbeKind {
	CLUSTER_PROBE_API,
	CLUSTER_PROBE_HEALTH,
	CLUSTER_PROBE_ADOPT,
	_CLUSTER_PROBE_KIND_MAX,
} ClusterProbeKind;

typedef struct ClusterProbe ClusterProbe;

/* result: 1 when what was asked holds (the API answers; the cluster is ready; the init
 * had finished), 0 when the API answered that it does not (detail says what is missing),
 * -EAGAIN when the API did not answer or a command failed (detail says how), -errno for
 * anything else. The callback may free the probe. */
typedef void (*ClusterProbeDoneFn)(ClusterProbe *p, int result, const char *detail, void *userdata);

typedef struct ClusterProbeOptions {
	ClusterProbeKind kind;
	ClusterHealth *health;          /* replaced when the look ends; its node_name says which
	                                 * node to look at */
	bool want_dns, want_proxy;      /* the addons init installs, unless disabled */
	ClusterProbeDoneFn done;
	void *userdata;
} ClusterProbeOptions;

int cluster_probe_start(sd_event *e, const ClusterKubectlSetup *setup, const ClusterProbeOptions *opts,
			ClusterProbe **ret);
/* A probe still running is stopped; done is not called. NULL-safe. */
ClusterProbe *cluster_probe_free(ClusterProbe *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClusterProbe *, cluster_probe_free);
