/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phases that talk to systemd: runtime (start containerd, wait until it answers) and
 * watch (restart containerd, and kubelet on a cluster node, when they fail; look at the
 * cluster through cluster-watch.c). Both are asynchronous: systemd's jobs end
 * with a signal on the bus, and the loop must keep serving the watchdog and the status
 * socket meanwhile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-phase.h"
#include "log.h"
#include "node-phases.h"
#include "runtime.h"

/* ---- runtime ---- */

static int on_cri_poll(sd_event_source *s, uint64_t usec, void *userdata) {
	Node *n = userdata;
	_cleanup_(runtime_version_done) RuntimeVersion version = {};
	_cleanup_free_ char *detail = NULL;
	int k;

	/* Blocks for at most RUNTIME_CRI_TIMEOUT_USEC, well inside the watchdog's interval. */
	k = runtime_version(RUNTIME_CONTAINERD_SOCKET, RUNTIME_CRI_TIMEOUT_USEC, &version);
	if (k >= 0) {
		if (n->runtime_started > 0)
			n->containerd_wait += now(CLOCK_MONOTONIC) - n->runtime_started;
		(void) runtime_describe(&version, &detail);
		(void) phase_done(n->runner, detail ?: "containerd answers");
		return 0;
	}
	if (now(CLOCK_MONOTONIC) >= n->cri_deadline) {
		(void) phase_failed(n->runner, k, "containerd did not answer on %s within %llu s: %s",
				    RUNTIME_CONTAINERD_SOCKET,
				    (unsigned long long) (NODE_CRI_TIMEOUT_USEC / USEC_PER_SEC), strerror(-k));
		return 0;
	}
	k = sd_event_source_set_time_relative(s, NODE_CRI_POLL_USEC);
	if (k >= 0)
		k = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (k < 0)
		(void) phase_failed(n->runner, k, "cannot schedule the next probe of containerd: %s", strerror(-k));
	return 0;
}

static void on_containerd_started(const char *unit, int result, const char *job_result, void *userdata) {
	Node *n = userdata;
	int k;

	if (result < 0) {
		(void) phase_failed(n->runner, result, "the start job of %s ended with \"%s\"", unit,
				    job_result ?: "?");
		return;
	}
	(void) phase_note(n->runner, "containerd.service started, waiting for it to answer");
	n->cri_deadline = usec_add(now(CLOCK_MONOTONIC), NODE_CRI_TIMEOUT_USEC);
	n->cri_poll = sd_event_source_disable_unref(n->cri_poll);
	/* The first probe at once: a Type=notify containerd is usually serving already. */
	k = sd_event_add_time_relative(n->event, &n->cri_poll, CLOCK_MONOTONIC, 0, 0, on_cri_poll, n);
	if (k < 0) {
		(void) phase_failed(n->runner, k, "cannot poll containerd's socket: %s", strerror(-k));
		return;
	}
	(void) sd_event_source_set_description(n->cri_poll, "cri-poll");
}

int node_phase_runtime(PhaseRunner *r, void *userdata) {
	Node *n = userdata;

	if (!n->systemd)
		return -ENOTCONN;
	n->runtime_started = now(CLOCK_MONOTONIC);
	return systemd_unit_job(n->systemd, NODE_CONTAINERD_UNIT, UNIT_START, on_containerd_started, n);
}

int node_check_runtime(PhaseRunner *r, void *userdata, char **ret_detail) {
	_cleanup_(runtime_version_done) RuntimeVersion version = {};

	if (runtime_version(RUNTIME_CONTAINERD_SOCKET, RUNTIME_CRI_TIMEOUT_USEC, &version) < 0)
		return 0;
	if (runtime_describe(&version, ret_detail) < 0)
		*ret_detail = NULL;
	return 1;
}

/* ---- watch ---- */

static void watch_note(Node *n) {
	_cleanup_free_ char *detail = NULL;
	char units[128] = "";

	for (size_t i = 0; i < n->n_watched; i++)
		snprintf(units + strlen(units), sizeof units - strlen(units), "%s%s", i == 0 ? "" : " and ",
			 n->watched[i].unit);
	if (asprintf(&detail, "ready; watching %s, %u repairs%s%s%s%s", units, phase_runner_state(n->runner)->repairs,
		     n->cluster_summary ? "; " : "", n->cluster_summary ?: "", n->audit_summary ? "; " : "",
		     n->audit_summary ?: "") < 0) {
		detail = NULL;
		return;
	}
	(void) phase_note(n->runner, detail);
}

static void watch_repair(UnitRepair *u);

static int on_repair_retry(sd_event_source *s, uint64_t usec, void *userdata) {
	UnitRepair *u = userdata;

	u->retry = sd_event_source_disable_unref(u->retry);
	if (u->down)
		watch_repair(u);
	return 0;
}

static void on_repaired(const char *unit, int result, const char *job_result, void *userdata) {
	UnitRepair *u = userdata;
	Node *n = u->node;

	u->repairing = false;
	if (result >= 0) {
		u->failures = 0;
		(void) phase_runner_count_repair(n->runner);
		log_struct(LOG_NOTICE, 0, LOG_FIELDS({ "KILN_PHASE", "watch" }, { "KILN_UNIT", unit }),
			   "Restarted %s; it is running again.", unit);
		watch_note(n);
		return;
	}

	/* Restarting at once again would spin if the unit cannot start at all. */
	usec_t delay = phase_retry_delay(++u->failures, USEC_PER_SEC, 5 * 60 * USEC_PER_SEC);
	log_struct(LOG_ERR, result, LOG_FIELDS({ "KILN_PHASE", "watch" }, { "KILN_UNIT", unit }),
		   "Restarting %s failed (%s), trying again in %llu s: %m", unit, job_result ?: "?",
		   (unsigned long long) (delay / USEC_PER_SEC));
	u->retry = sd_event_source_disable_unref(u->retry);
	int k = sd_event_add_time_relative(n->event, &u->retry, CLOCK_MONOTONIC, delay, 0, on_repair_retry, u);
	if (k < 0)
		log_error_errno(k, "Failed to schedule the next restart of %s: %m", unit);
}

static void watch_repair(UnitRepair *u) {
	char note[128];
	int k;

	if (u->repairing || u->retry)
		return;
	k = systemd_unit_job(u->node->systemd, u->unit, UNIT_RESTART, on_repaired, u);
	if (k < 0) {
		on_repaired(u->unit, k, "not queued", u);
		return;
	}
	u->repairing = true;
	snprintf(note, sizeof note, "repairing %s", u->unit);
	(void) phase_note(u->node->runner, note);
}

static void on_unit_state(const char *unit, const char *active_state, const char *sub_state, void *userdata) {
	UnitRepair *u = userdata;

	if (!active_state) {
		/* The watch could not be set up and has ended: the phase fails and its retry
		 * sets up a new one. */
		(void) phase_failed(u->node->runner, -EIO, "cannot watch %s: %s", unit, sub_state ?: "?");
		return;
	}
	/* A unit with Restart= waits out its RestartSec= in "auto-restart" (ActiveState
	 * "activating"): a restart job cuts that short, a start job would wait for it. */
	u->down = streq(active_state, "failed") || streq(active_state, "inactive") ||
		  (sub_state && streq(sub_state, "auto-restart"));
	if (!u->down)
		return;
	log_struct(LOG_WARNING, 0,
		   LOG_FIELDS({ "KILN_PHASE", "watch" }, { "KILN_UNIT", unit },
			      { "KILN_UNIT_STATE", active_state }, { "KILN_UNIT_SUBSTATE", sub_state }),
		   "%s is %s (%s); restarting it.", unit, active_state, sub_state ?: "?");
	watch_repair(u);
}

static void on_cluster_look(Cluster *c, const char *summary, bool healthy, bool changed, void *userdata) {
	Node *n = userdata;

	if (!changed)
		return;
	free(n->cluster_summary);
	n->cluster_summary = summary ? strdup(summary) : NULL;
	watch_note(n);
}

static void on_audit(AuditWatch *w, const char *summary, bool changed, void *userdata) {
	Node *n = userdata;

	if (!changed)
		return;
	free(n->audit_summary);
	n->audit_summary = strdup(summary);
	watch_note(n);
}

/* The cluster is watched when the cluster phase formed it (in this boot, maybe in an
 * earlier process). */
static bool watch_cluster(Node *n) {
	const PhaseState *p = node_state_find(phase_runner_state(n->runner), "cluster");
	return p && p->status == PHASE_DONE;
}

int node_phase_watch(PhaseRunner *r, void *userdata) {
	Node *n = userdata;
	_cleanup_free_ char *problem = NULL;
	int k;

	if (!n->systemd)
		return -ENOTCONN;
	/* A new run after a failed watch starts from scratch. */
	for (size_t i = 0; i < n->n_watched; i++)
		n->watched[i].retry = sd_event_source_disable_unref(n->watched[i].retry);
	n->n_watched = 0;
	n->watched[n->n_watched++] = (UnitRepair) { .node = n, .unit = NODE_CONTAINERD_UNIT };
	if (watch_cluster(n)) {
		k = node_cluster(n, &problem);
		if (k < 0)
			return phase_failed(r, k, "cannot watch the cluster: %s", problem ?: strerror(-k));
		n->watched[n->n_watched++] = (UnitRepair) { .node = n, .unit = CLUSTER_KUBELET_UNIT };
	}
	/* The callback runs once at once with the current state: a unit that died while no
	 * supervisor ran is repaired right away. */
	for (size_t i = 0; i < n->n_watched; i++) {
		k = systemd_unit_watch(n->systemd, n->watched[i].unit, on_unit_state, &n->watched[i]);
		if (k < 0)
			return k;
	}
	if (n->n_watched > 1) {
		k = cluster_watch_start(n->cluster, on_cluster_look, n);
		if (k < 0)
			return k;
	}
	/* The node's confinement, as the kernel shows it, is part of its health. */
	n->audit = audit_watch_free(n->audit);
	n->audit_summary = mfree_str(n->audit_summary);
	k = audit_watch_start(n->event, AUDIT_WATCH_KILNCTL, n->audit_interval ?: AUDIT_WATCH_INTERVAL_USEC, on_audit, n,
			      &n->audit);
	if (k < 0)
		return k;
	watch_note(n);
	return 0;
}
