/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One addon in the addons phase, as a state machine: table[step][event] = the next step.
 * The driver (addons-phase.c) runs what each step does (the step is the action); its
 * outcome comes back from the loop as the next event. Nothing else decides.
 *
 *   pending     not started (a failed addon stops the ones after it here)
 *   looking     recorded as applied with these manifests (addons-record.h): are its
 *               workloads there and available? -> available; missing -> apply again
 *   namespace   kubectl create namespace (already there is fine)
 *   pod-security  kubectl patch namespace: its Pod Security labels (enforce, audit and
 *               warn at the addon's level) and the reason as an annotation, at every
 *               apply: a merge patch of the same values changes nothing
 *   applying    kubectl apply --server-side --force-conflicts --field-manager=kiln
 *               -n NAMESPACE -f DIRECTORY
 *   waiting     kubectl get, every CLUSTER_POLL_USEC, until every workload the manifests
 *               define is available
 *   available   recorded; the next addon starts
 *   failed      a command failed, a Job failed, or the addon's deadline passed: the
 *               phase fails naming it, and is retried with the runner's backoff */

#include "macro.h"

typedef enum AddonStep {
	ADDON_PENDING,
	ADDON_LOOKING,
	ADDON_NAMESPACE,
	ADDON_POD_SECURITY,
	ADDON_APPLYING,
	ADDON_WAITING,
	ADDON_DONE,
	ADDON_BROKEN,
	_ADDON_STEP_MAX,
	_ADDON_STEP_INVALID = -EINVAL,
} AddonStep;

typedef enum AddonEvent {
	ADDON_EV_START,            /* its turn; not recorded with these manifests */
	ADDON_EV_START_RECORDED,   /* its turn; recorded as applied with these manifests */
	ADDON_EV_OK,               /* the command succeeded; or every workload is available */
	ADDON_EV_NOT_YET,          /* looked: not available yet, or kubectl could not ask */
	ADDON_EV_MISSING,          /* looked: a workload is not there at all */
	ADDON_EV_FAILED,           /* a command failed; a Job failed */
	ADDON_EV_TIMEOUT,          /* the addon's deadline passed */
	_ADDON_EVENT_MAX,
	_ADDON_EVENT_INVALID = -EINVAL,
} AddonEvent;

/* 0 with the next step, or -ESTALE when the event cannot happen in that step (a late
 * callback: nothing changes); -EINVAL for values out of range. */
int addon_transition(AddonStep step, AddonEvent event, AddonStep *ret_next);

const char *addon_step_to_string(AddonStep s);
const char *addon_event_to_string(AddonEvent e);
