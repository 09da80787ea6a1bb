/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The addons phase: after the cluster phase, each addon the image bakes (image.json,
 * imagegen/tree-addons.c), in order, through the steps of addons-table.h:
 *
 *   kubectl create namespace NAMESPACE          (already there is fine)
 *   kubectl patch namespace NAMESPACE --type merge -p '{"metadata": {"labels":
 *           {"pod-security.kubernetes.io/enforce": LEVEL, ...}, "annotations":
 *           {"kiln.io/pod-security-reason": REASON}}}'   its Pod Security level (not for
 *                                               kube-system: the API server exempts it)
 *   kubectl apply --server-side --force-conflicts --field-manager=kiln \
 *           -n NAMESPACE -f /usr/lib/kiln/addons/<NN>-<name>
 *   kubectl get deployments.apps,daemonsets.apps,statefulsets.apps,jobs.batch \
 *           -n NAMESPACE -o json               every CLUSTER_POLL_USEC, until each
 *                                               workload the manifests define is
 *                                               available (addons-wait.h)
 *
 * each a child of the loop (cluster-kubectl.h), with the cluster phase's kubectl and
 * admin.conf. An addon has ADDONS_WAIT_USEC (or the supervisor's --addon-timeout=) from
 * its start to be available; then, or when a command or a Job fails, the phase fails
 * naming the addon and the workload and why, and the addons after it wait for the
 * runner's retry.
 *
 * A later boot does not apply again what addons-applied.json records as applied with the
 * same manifests: their workloads are looked at instead (so that an operator's change to
 * a field kiln's manifests set, a kubectl scale say, is not forced back at every boot);
 * one that is gone has the manifests applied again. */

#include <jansson.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cluster-kubectl.h"
#include "image-info.h"
#include "macro.h"
#include "phases.h"
#include "time-util.h"

#define ADDONS_WAIT_USEC (10 * USEC_PER_MINUTE)
/* kubectl apply of a large addon (a CNI's hundred objects) under emulation. */
#define ADDONS_APPLY_TIMEOUT_USEC (5 * USEC_PER_MINUTE)

/* Pod Security Admission's labels (pod-security.kubernetes.io/enforce, -version, audit,
 * warn), and kiln's annotation that says why a namespace is not restricted. */
#define ADDONS_POD_SECURITY_LABEL_PREFIX "pod-security.kubernetes.io/"
#define ADDONS_POD_SECURITY_REASON_ANNOTATION "kiln.io/pod-security-reason"

typedef struct Addons Addons;

typedef struct AddonsSetup {
	sd_event *event;
	const ClusterKubectlSetup *kubectl;   /* copied */
	const char *root;                     /* the image's files are below it: "/" */
	const char *state_dir;                /* addons-applied.json goes there */
	const ImageInfo *image;               /* the baked addons; read now */
	usec_t wait;                          /* per addon; 0: ADDONS_WAIT_USEC */
} AddonsSetup;

/* Read each addon's manifests (addons-plan.h). On failure *ret_problem says what is wrong
 * with which file. */
int addons_new(const AddonsSetup *setup, Addons **ret, char **ret_problem);
Addons *addons_free(Addons *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(Addons *, addons_free);

/* Run the phase on r: it ends with phase_done() or phase_failed(), from the loop. */
int addons_run(Addons *a, PhaseRunner *r);
/* > 0 when the last run in this process found every addon available (*ret_detail says
 * which); -EOPNOTSUPP when none did. */
int addons_check(Addons *a, char **ret_detail);

/* The status document's "addons": [{"name", "version", "namespace", "step", "applied",
 * "detail", "workloads"}] in order, what the phase last saw; null without one. */
json_t *addons_status_json(Addons *a);
