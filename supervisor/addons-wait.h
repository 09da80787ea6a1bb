/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether an addon's workloads are available, from one answer of
 *
 *   kubectl get deployments.apps,daemonsets.apps,statefulsets.apps,jobs.batch -n NS -o json
 *
 * (a List; tests/unit/data/cluster/addon-*.json are real ones) for the workloads its
 * manifests define (addons-plan.h), by the rules of cluster-workload.h. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "addons-plan.h"
#include "cluster-workload.h"

#define ADDONS_WORKLOAD_RESOURCES "deployments.apps,daemonsets.apps,statefulsets.apps,jobs.batch"

/* One target and what the answer said of it. */
typedef struct AddonSeen {
	ClusterWorkload w;          /* kind, namespace and name are the target's; the numbers,
				     * conditions and verdict its status' when found */
	bool found;
} AddonSeen;

typedef enum AddonVerdict {
	ADDON_VERDICT_AVAILABLE,            /* every target is available */
	ADDON_VERDICT_WAITING,              /* all there, some not available yet */
	ADDON_VERDICT_MISSING,              /* some not there at all */
	ADDON_VERDICT_FAILED,               /* a Job failed: waiting will not help */
	_ADDON_VERDICT_MAX,
} AddonVerdict;

/* Each of the n targets, in order, as the answer shows it. -EBADMSG when json is not a
 * list of workloads. */
int addons_wait_read(const char *json, const AddonTarget *targets, size_t n, AddonSeen **ret);
void addons_seen_free(AddonSeen *s, size_t n);

/* What the targets add up to (a failed Job first, then one missing, then one waiting);
 * unless available, *ret_detail says which and why, in one line: "Deployment
 * kiln-test/app: 0/2 available (Available=False MinimumReplicasUnavailable: ...)",
 * "... (and 2 more)" when several are not available. */
int addons_wait_verdict(const AddonSeen *s, size_t n, AddonVerdict *ret, char **ret_detail);

/* "Deployment kiln-test/app: 1/2 available" and its conditions, for one workload. */
int addons_seen_describe(const AddonSeen *s, char **ret);

/* The status document's view of the workloads: [{"kind", "namespace", "name", "found",
 * "desired", "available", "ok", "failed", "conditions"}]. */
json_t *addons_seen_to_json(const AddonSeen *s, size_t n);
