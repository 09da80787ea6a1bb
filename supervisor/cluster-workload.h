/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether a workload is available, from its status as `kubectl get ... -o json` serves
 * it (tests/unit/data/cluster has real ones), by the rules kubectl rollout status and
 * kubectl wait apply:
 *
 *   Deployment   the status is of the current spec (observedGeneration), every replica
 *                is updated, no old one is left, the updated ones are available: so
 *                availableReplicas == spec.replicas (default 1)
 *   DaemonSet    the status is current, every scheduled pod is updated, numberAvailable
 *                == desiredNumberScheduled
 *   StatefulSet  the status is current, readyReplicas == spec.replicas (default 1), and
 *                the rollout is done: currentRevision == updateRevision (with a
 *                partition: updatedReplicas covers the replicas above it; OnDelete:
 *                readiness only)
 *   Job          the Complete condition is True (succeeded); Failed True is final
 *
 * Other kinds in the answer are left out. */

#include <stdbool.h>
#include <stddef.h>

typedef struct ClusterWorkload {
	char *kind;                 /* "Deployment", "DaemonSet", "StatefulSet", "Job" */
	char *namespace;            /* NULL when the answer had none */
	char *name;
	long desired;               /* spec.replicas; desiredNumberScheduled; spec.completions */
	long available;             /* availableReplicas; numberAvailable; readyReplicas; succeeded */
	bool available_all;         /* available (a Job: complete), by the rules above */
	bool failed;                /* a Job whose Failed condition is True: waiting will not help */
	char *conditions;           /* status.conditions, "Type=Status Reason: message; ...";
				     * NULL when there are none */
} ClusterWorkload;

/* Every Deployment, DaemonSet, StatefulSet and Job of a list, in its order. -EBADMSG
 * when json is not a list, or an item has no kind or name. */
int cluster_workloads_parse(const char *json, ClusterWorkload **ret, size_t *ret_n);
void cluster_workloads_free(ClusterWorkload *w, size_t n);
