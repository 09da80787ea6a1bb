/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The cluster phase as a state machine: table[state][event] = { next state, action }.
 * The driver (cluster-phase.c) runs the action of each transition; an action's outcome
 * comes back later, from the loop, as the next event. Nothing else decides what happens.
 *
 * Every run of the phase starts over at enabling kubelet.service (for this boot) and
 * inspecting what kubeadm left on disk, so the phase is resumable at any point: a reboot,
 * a crash or a kill -9 of the supervisor (or of kubeadm) lands in one of
 *
 *   fresh      none of kubeadm's files                     -> kubeadm init
 *   formed     kiln's stamp: init finished once             -> start kubelet, wait; never
 *                                                              init or reset again
 *   adoptable  no stamp, but admin.conf, the API server's     -> start kubelet, and ask the
 *              and etcd's manifests and etcd's data            API whether init finished
 *              (a power cut between init's success and the     (kubeadm-config and both
 *              stamp looks like this)                           addons): stamp it, else reset
 *   partial    some of kubeadm's files, no stamp            -> kubeadm reset, then init
 *
 * Reset and the removal of leftovers are reachable only from an inspection that found no
 * stamp; the disk code guards them once more (cluster-disk.h). */

#include "macro.h"

typedef enum ClusterState {
	CLUSTER_IDLE,              /* the phase has not run in this process */
	CLUSTER_ENABLING,          /* kubelet.service enabled for this boot */
	CLUSTER_INSPECTING,        /* what kubeadm left on disk */
	CLUSTER_RESETTING,         /* kubeadm reset --force: an init cut short */
	CLUSTER_CLEANING,          /* what reset left of kubeadm's files */
	CLUSTER_INITIALIZING,      /* kubeadm init --config */
	CLUSTER_STAMPING,          /* writing the stamp: the cluster is formed */
	CLUSTER_STARTING,          /* kubelet.service started: a formed cluster */
	CLUSTER_ADOPT_STARTING,    /* kubelet.service started: an init that may have finished */
	CLUSTER_ADOPTING,          /* did it? kubeadm-config and the addons in the API */
	CLUSTER_WAITING_API,       /* /readyz */
	CLUSTER_CONFIGURING,       /* CoreDNS's Corefile as the image has it */
	CLUSTER_WAITING_READY,     /* node Ready, every kube-system workload available */
	CLUSTER_DONE,
	CLUSTER_FAILED,
	_CLUSTER_STATE_MAX,
	_CLUSTER_STATE_INVALID = -EINVAL,
} ClusterState;

typedef enum ClusterEvent {
	CLUSTER_EV_START,          /* the phase runs */
	CLUSTER_EV_OK,             /* the action succeeded */
	CLUSTER_EV_FAILED,         /* the action failed */
	CLUSTER_EV_TIMEOUT,        /* the state's deadline passed (or the command's) */
	CLUSTER_EV_NOT_YET,        /* a probe: no answer, or not there yet; ask again later */
	CLUSTER_EV_FRESH,          /* inspection results */
	CLUSTER_EV_PARTIAL,
	CLUSTER_EV_ADOPTABLE,
	CLUSTER_EV_FORMED,
	CLUSTER_EV_COMPLETE,       /* adoption: init had finished */
	CLUSTER_EV_INCOMPLETE,     /* adoption: the API answers, init had not finished */
	_CLUSTER_EVENT_MAX,
	_CLUSTER_EVENT_INVALID = -EINVAL,
} ClusterEvent;

typedef enum ClusterAction {
	CLUSTER_ACT_ENABLE_KUBELET,
	CLUSTER_ACT_INSPECT,
	CLUSTER_ACT_RESET,
	CLUSTER_ACT_CLEAN,
	CLUSTER_ACT_INIT,
	CLUSTER_ACT_STAMP,
	CLUSTER_ACT_START_KUBELET,
	CLUSTER_ACT_PROBE_ADOPT,
	CLUSTER_ACT_PROBE_API,
	CLUSTER_ACT_COREFILE,
	CLUSTER_ACT_PROBE_READY,
	CLUSTER_ACT_FINISH,        /* phase_done() */
	CLUSTER_ACT_FAIL,          /* phase_failed(), with what the failing action said */
	_CLUSTER_ACTION_MAX,
	_CLUSTER_ACTION_INVALID = -EINVAL,
} ClusterAction;

/* The transition of state on event: 0 with the next state and the action to run, or
 * -ESTALE when the event cannot happen in that state (a late callback), which changes
 * nothing. -EINVAL for values out of range. */
int cluster_transition(ClusterState state, ClusterEvent event, ClusterState *ret_next, ClusterAction *ret_action);

const char *cluster_state_to_string(ClusterState s);
const char *cluster_event_to_string(ClusterEvent e);
const char *cluster_action_to_string(ClusterAction a);
