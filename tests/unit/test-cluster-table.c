/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cluster phase's state machine (supervisor/cluster-table.c): every state x event,
 * against the table written out here once more as text, so that a change of the table
 * is a change of this test too. Then what the table must never allow, checked over every
 * path: a reset or a removal of kubeadm's files after the inspection found the cluster
 * formed, and an init without an inspection that found nothing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster-table.h"
#include "tap.h"

/* "state event -> next action"; every pair not listed is refused (-ESTALE). */
static const char *const expected[] = {
	"idle start -> enabling enable-kubelet",
	"done start -> enabling enable-kubelet",
	"failed start -> enabling enable-kubelet",
	"enabling ok -> inspecting inspect",
	"enabling failed -> failed fail",
	"inspecting fresh -> initializing init",
	"inspecting partial -> resetting reset",
	"inspecting adoptable -> adopt-starting start-kubelet",
	"inspecting formed -> starting start-kubelet",
	"inspecting failed -> failed fail",
	"resetting ok -> cleaning clean",
	"resetting failed -> failed fail",
	"resetting timeout -> failed fail",
	"cleaning ok -> initializing init",
	"cleaning failed -> failed fail",
	"initializing ok -> stamping stamp",
	"initializing failed -> failed fail",
	"initializing timeout -> failed fail",
	"stamping ok -> starting start-kubelet",
	"stamping failed -> failed fail",
	"starting ok -> waiting-api probe-api",
	"starting failed -> failed fail",
	"adopt-starting ok -> adopting probe-adopt",
	"adopt-starting failed -> failed fail",
	"adopting complete -> stamping stamp",
	"adopting incomplete -> resetting reset",
	"adopting not-yet -> adopting probe-adopt",
	"adopting timeout -> resetting reset",
	"adopting failed -> failed fail",
	"waiting-api ok -> configuring corefile",
	"waiting-api not-yet -> waiting-api probe-api",
	"waiting-api timeout -> failed fail",
	"waiting-api failed -> failed fail",
	"configuring ok -> waiting-ready probe-ready",
	"configuring not-yet -> configuring corefile",
	"configuring timeout -> failed fail",
	"configuring failed -> failed fail",
	"waiting-ready ok -> done finish",
	"waiting-ready not-yet -> waiting-ready probe-ready",
	"waiting-ready timeout -> failed fail",
	"waiting-ready failed -> failed fail",
};

static const char *lookup(ClusterState s, ClusterEvent e) {
	char key[64];

	snprintf(key, sizeof key, "%s %s -> ", cluster_state_to_string(s), cluster_event_to_string(e));
	for (size_t i = 0; i < ELEMENTSOF(expected); i++)
		if (strneq(expected[i], key, strlen(key)))
			return expected[i] + strlen(key);
	return NULL;
}

static void test_every_pair(void) {
	unsigned pairs = 0, defined = 0, wrong = 0;

	for (ClusterState s = 0; s < _CLUSTER_STATE_MAX; s++)
		for (ClusterEvent e = 0; e < _CLUSTER_EVENT_MAX; e++) {
			ClusterState next = _CLUSTER_STATE_INVALID;
			ClusterAction action = _CLUSTER_ACTION_INVALID;
			const char *want = lookup(s, e);
			int r = cluster_transition(s, e, &next, &action);
			char got[64];

			pairs++;
			if (r == 0) {
				defined++;
				snprintf(got, sizeof got, "%s %s", cluster_state_to_string(next), cluster_action_to_string(action));
			} else
				snprintf(got, sizeof got, "refused (%d)", r);
			if (want ? streq(got, want) : r == -ESTALE)
				continue;
			wrong++;
			diag("%s %s: got %s, want %s", cluster_state_to_string(s), cluster_event_to_string(e), got,
			     want ?: "refused (-ESTALE)");
		}
	is_int(pairs, _CLUSTER_STATE_MAX * _CLUSTER_EVENT_MAX, "every state x event was asked");
	is_int(wrong, 0, "each pair gives the expected next state and action, or is refused with -ESTALE");
	is_int(defined, ELEMENTSOF(expected), "as many transitions as listed: none more");
}

static void test_refusals(void) {
	ClusterState next = CLUSTER_DONE;
	ClusterAction action = CLUSTER_ACT_FINISH;

	is_int(cluster_transition(CLUSTER_INITIALIZING, CLUSTER_EV_FORMED, &next, &action), -ESTALE,
	       "a late inspection result while init runs is refused");
	ok(next == CLUSTER_DONE && action == CLUSTER_ACT_FINISH, "a refusal leaves the outputs untouched");
	is_int(cluster_transition(_CLUSTER_STATE_MAX, CLUSTER_EV_OK, NULL, NULL), -EINVAL, "a state out of range");
	is_int(cluster_transition(CLUSTER_IDLE, _CLUSTER_EVENT_MAX, NULL, NULL), -EINVAL, "an event out of range");
	is_int(cluster_transition(CLUSTER_IDLE, -1, NULL, NULL), -EINVAL, "a negative event");
	is_int(cluster_transition(CLUSTER_IDLE, CLUSTER_EV_START, NULL, NULL), 0, "the outputs may be NULL");
	for (int i = 0; i < _CLUSTER_STATE_MAX; i++)
		if (!cluster_state_to_string(i))
			diag("state %d has no name", i);
	ok(cluster_state_to_string(_CLUSTER_STATE_MAX) == NULL && cluster_event_to_string(-1) == NULL &&
	   cluster_action_to_string(_CLUSTER_ACTION_MAX) == NULL, "names out of range are NULL");
}

/* Walk every path from state s without passing through an inspection (which starts a new
 * decision), and tell whether one reaches action `bad`. */
static bool reaches(ClusterState s, ClusterAction bad, bool seen[_CLUSTER_STATE_MAX]) {
	if (seen[s])
		return false;
	seen[s] = true;
	for (ClusterEvent e = 0; e < _CLUSTER_EVENT_MAX; e++) {
		ClusterState next;
		ClusterAction a;
		if (cluster_transition(s, e, &next, &a) < 0)
			continue;
		if (a == bad)
			return true;
		if (next != CLUSTER_INSPECTING && reaches(next, bad, seen))
			return true;
	}
	return false;
}

static void test_formed_is_never_reset(void) {
	ClusterState after_formed;
	ClusterAction a;
	bool seen[_CLUSTER_STATE_MAX] = {};

	ok(cluster_transition(CLUSTER_INSPECTING, CLUSTER_EV_FORMED, &after_formed, &a) == 0 &&
	   a == CLUSTER_ACT_START_KUBELET, "formed: the kubelet is started, nothing else");
	ok(!reaches(after_formed, CLUSTER_ACT_RESET, seen), "from a formed inspection, no path resets (until the next inspection)");
	memset(seen, 0, sizeof seen);
	ok(!reaches(after_formed, CLUSTER_ACT_CLEAN, seen), "... nor removes kubeadm's files");
	memset(seen, 0, sizeof seen);
	ok(!reaches(after_formed, CLUSTER_ACT_INIT, seen), "... nor runs kubeadm init");

	/* A new run always inspects again before anything happens to the disk. */
	for (ClusterState s = 0; s < _CLUSTER_STATE_MAX; s++) {
		ClusterState next;
		if (cluster_transition(s, CLUSTER_EV_START, &next, &a) == 0 &&
		    (next != CLUSTER_ENABLING || a != CLUSTER_ACT_ENABLE_KUBELET))
			diag("start in %s does not begin at enabling", cluster_state_to_string(s));
	}
	ClusterState n1;
	ok(cluster_transition(CLUSTER_ENABLING, CLUSTER_EV_OK, &n1, &a) == 0 && n1 == CLUSTER_INSPECTING,
	   "every run inspects the disk right after enabling the kubelet");

	/* Init runs only after an inspection that found nothing, or a reset and cleaning of an
	 * init cut short. */
	unsigned into_init = 0;
	for (ClusterState s = 0; s < _CLUSTER_STATE_MAX; s++)
		for (ClusterEvent e = 0; e < _CLUSTER_EVENT_MAX; e++) {
			ClusterState next;
			if (cluster_transition(s, e, &next, &a) == 0 && a == CLUSTER_ACT_INIT) {
				into_init++;
				if (!((s == CLUSTER_INSPECTING && e == CLUSTER_EV_FRESH) || (s == CLUSTER_CLEANING && e == CLUSTER_EV_OK)))
					diag("init from %s on %s", cluster_state_to_string(s), cluster_event_to_string(e));
			}
		}
	is_int(into_init, 2, "init follows only a fresh inspection or the cleaning after a reset");
}

static void test_every_state_reaches_an_end(void) {
	/* No state is a trap: from each one the phase can finish or fail (the runner then
	 * retries). */
	for (ClusterState s = 0; s < _CLUSTER_STATE_MAX; s++) {
		bool seen[_CLUSTER_STATE_MAX] = {};
		bool end = s == CLUSTER_DONE || s == CLUSTER_FAILED || s == CLUSTER_IDLE ||
			   reaches(s, CLUSTER_ACT_FAIL, seen);
		if (!end)
			diag("state %s cannot end", cluster_state_to_string(s));
		ok(end, "%s can end (done or failed)", cluster_state_to_string(s));
	}
}

int main(void) {
	test_every_pair();
	test_refusals();
	test_formed_is_never_reset();
	test_every_state_reaches_an_end();
	return done_testing();
}
