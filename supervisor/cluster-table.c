/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "cluster-table.h"

typedef struct Step {
	uint8_t next;              /* the next state plus one; 0: the event cannot happen here */
	uint8_t action;
} Step;

#define GO(s, a) { (s) + 1, (a) }
/* Every state that runs something can fail; the phase then fails with what it said. */
#define FAILS [CLUSTER_EV_FAILED] = GO(CLUSTER_FAILED, CLUSTER_ACT_FAIL)
/* A new run of the phase (the first one, or after a failure's backoff, or a re-check that
 * found the work gone) always starts at the beginning. */
#define STARTS [CLUSTER_EV_START] = GO(CLUSTER_ENABLING, CLUSTER_ACT_ENABLE_KUBELET)

static const Step table[_CLUSTER_STATE_MAX][_CLUSTER_EVENT_MAX] = {
	[CLUSTER_IDLE]   = { STARTS },
	[CLUSTER_DONE]   = { STARTS },
	[CLUSTER_FAILED] = { STARTS },
	[CLUSTER_ENABLING] = {
		[CLUSTER_EV_OK] = GO(CLUSTER_INSPECTING, CLUSTER_ACT_INSPECT), FAILS },
	[CLUSTER_INSPECTING] = {
		[CLUSTER_EV_FRESH]     = GO(CLUSTER_INITIALIZING, CLUSTER_ACT_INIT),
		[CLUSTER_EV_PARTIAL]   = GO(CLUSTER_RESETTING, CLUSTER_ACT_RESET),
		[CLUSTER_EV_ADOPTABLE] = GO(CLUSTER_ADOPT_STARTING, CLUSTER_ACT_START_KUBELET),
		/* Formed: never init, never reset, whatever happens later. */
		[CLUSTER_EV_FORMED]    = GO(CLUSTER_STARTING, CLUSTER_ACT_START_KUBELET),
		FAILS },
	[CLUSTER_RESETTING] = {
		[CLUSTER_EV_OK]      = GO(CLUSTER_CLEANING, CLUSTER_ACT_CLEAN),
		[CLUSTER_EV_TIMEOUT] = GO(CLUSTER_FAILED, CLUSTER_ACT_FAIL),
		FAILS },
	/* Straight to init, not back to the inspection: what remains after this is not
	 * kubeadm's to clean, and inspecting again could only loop. */
	[CLUSTER_CLEANING] = {
		[CLUSTER_EV_OK] = GO(CLUSTER_INITIALIZING, CLUSTER_ACT_INIT), FAILS },
	[CLUSTER_INITIALIZING] = {
		[CLUSTER_EV_OK]      = GO(CLUSTER_STAMPING, CLUSTER_ACT_STAMP),
		[CLUSTER_EV_TIMEOUT] = GO(CLUSTER_FAILED, CLUSTER_ACT_FAIL),
		FAILS },
	/* A stamp that cannot be written fails the phase; the retry finds the cluster
	 * adoptable and stamps it then. */
	[CLUSTER_STAMPING] = {
		[CLUSTER_EV_OK] = GO(CLUSTER_STARTING, CLUSTER_ACT_START_KUBELET), FAILS },
	[CLUSTER_STARTING] = {
		[CLUSTER_EV_OK] = GO(CLUSTER_WAITING_API, CLUSTER_ACT_PROBE_API), FAILS },
	[CLUSTER_ADOPT_STARTING] = {
		[CLUSTER_EV_OK] = GO(CLUSTER_ADOPTING, CLUSTER_ACT_PROBE_ADOPT), FAILS },
	[CLUSTER_ADOPTING] = {
		[CLUSTER_EV_COMPLETE]   = GO(CLUSTER_STAMPING, CLUSTER_ACT_STAMP),
		[CLUSTER_EV_INCOMPLETE] = GO(CLUSTER_RESETTING, CLUSTER_ACT_RESET),
		[CLUSTER_EV_NOT_YET]    = GO(CLUSTER_ADOPTING, CLUSTER_ACT_PROBE_ADOPT),
		/* The API never answered: nothing shows that init finished, so it is treated
		 * as cut short. (A stamped cluster never gets here.) */
		[CLUSTER_EV_TIMEOUT]    = GO(CLUSTER_RESETTING, CLUSTER_ACT_RESET),
		FAILS },
	[CLUSTER_WAITING_API] = {
		[CLUSTER_EV_OK]      = GO(CLUSTER_CONFIGURING, CLUSTER_ACT_COREFILE),
		[CLUSTER_EV_NOT_YET] = GO(CLUSTER_WAITING_API, CLUSTER_ACT_PROBE_API),
		[CLUSTER_EV_TIMEOUT] = GO(CLUSTER_FAILED, CLUSTER_ACT_FAIL),
		FAILS },
	[CLUSTER_CONFIGURING] = {
		[CLUSTER_EV_OK]      = GO(CLUSTER_WAITING_READY, CLUSTER_ACT_PROBE_READY),
		[CLUSTER_EV_NOT_YET] = GO(CLUSTER_CONFIGURING, CLUSTER_ACT_COREFILE),
		[CLUSTER_EV_TIMEOUT] = GO(CLUSTER_FAILED, CLUSTER_ACT_FAIL),
		FAILS },
	[CLUSTER_WAITING_READY] = {
		[CLUSTER_EV_OK]      = GO(CLUSTER_DONE, CLUSTER_ACT_FINISH),
		[CLUSTER_EV_NOT_YET] = GO(CLUSTER_WAITING_READY, CLUSTER_ACT_PROBE_READY),
		[CLUSTER_EV_TIMEOUT] = GO(CLUSTER_FAILED, CLUSTER_ACT_FAIL),
		FAILS },
};

int cluster_transition(ClusterState state, ClusterEvent event, ClusterState *ret_next, ClusterAction *ret_action) {
	if (state < 0 || state >= _CLUSTER_STATE_MAX || event < 0 || event >= _CLUSTER_EVENT_MAX)
		return -EINVAL;
	Step s = table[state][event];
	if (s.next == 0)
		return -ESTALE;
	if (ret_next)
		*ret_next = (ClusterState) (s.next - 1);
	if (ret_action)
		*ret_action = (ClusterAction) s.action;
	return 0;
}

static const char *const state_names[_CLUSTER_STATE_MAX] = {
	[CLUSTER_IDLE] = "idle",
	[CLUSTER_ENABLING] = "enabling",
	[CLUSTER_INSPECTING] = "inspecting",
	[CLUSTER_RESETTING] = "resetting",
	[CLUSTER_CLEANING] = "cleaning",
	[CLUSTER_INITIALIZING] = "initializing",
	[CLUSTER_STAMPING] = "stamping",
	[CLUSTER_STARTING] = "starting",
	[CLUSTER_ADOPT_STARTING] = "adopt-starting",
	[CLUSTER_ADOPTING] = "adopting",
	[CLUSTER_WAITING_API] = "waiting-api",
	[CLUSTER_CONFIGURING] = "configuring",
	[CLUSTER_WAITING_READY] = "waiting-ready",
	[CLUSTER_DONE] = "done",
	[CLUSTER_FAILED] = "failed",
};

static const char *const event_names[_CLUSTER_EVENT_MAX] = {
	[CLUSTER_EV_START] = "start",
	[CLUSTER_EV_OK] = "ok",
	[CLUSTER_EV_FAILED] = "failed",
	[CLUSTER_EV_TIMEOUT] = "timeout",
	[CLUSTER_EV_NOT_YET] = "not-yet",
	[CLUSTER_EV_FRESH] = "fresh",
	[CLUSTER_EV_PARTIAL] = "partial",
	[CLUSTER_EV_ADOPTABLE] = "adoptable",
	[CLUSTER_EV_FORMED] = "formed",
	[CLUSTER_EV_COMPLETE] = "complete",
	[CLUSTER_EV_INCOMPLETE] = "incomplete",
};

static const char *const action_names[_CLUSTER_ACTION_MAX] = {
	[CLUSTER_ACT_ENABLE_KUBELET] = "enable-kubelet",
	[CLUSTER_ACT_INSPECT] = "inspect",
	[CLUSTER_ACT_RESET] = "reset",
	[CLUSTER_ACT_CLEAN] = "clean",
	[CLUSTER_ACT_INIT] = "init",
	[CLUSTER_ACT_STAMP] = "stamp",
	[CLUSTER_ACT_START_KUBELET] = "start-kubelet",
	[CLUSTER_ACT_PROBE_ADOPT] = "probe-adopt",
	[CLUSTER_ACT_PROBE_API] = "probe-api",
	[CLUSTER_ACT_COREFILE] = "corefile",
	[CLUSTER_ACT_PROBE_READY] = "probe-ready",
	[CLUSTER_ACT_FINISH] = "finish",
	[CLUSTER_ACT_FAIL] = "fail",
};

const char *cluster_state_to_string(ClusterState s) {
	return s >= 0 && s < _CLUSTER_STATE_MAX ? state_names[s] : NULL;
}

const char *cluster_event_to_string(ClusterEvent e) {
	return e >= 0 && e < _CLUSTER_EVENT_MAX ? event_names[e] : NULL;
}

const char *cluster_action_to_string(ClusterAction a) {
	return a >= 0 && a < _CLUSTER_ACTION_MAX ? action_names[a] : NULL;
}
