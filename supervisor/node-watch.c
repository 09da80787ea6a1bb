/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The phases that talk to systemd: runtime (start containerd, wait until it answers) and
 * watch (restart containerd when it fails). Both are asynchronous: systemd's jobs end
 * with a signal on the bus, and the loop must keep serving the watchdog and the status
 * socket meanwhile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	char detail[128];

	snprintf(detail, sizeof detail, "ready; watching %s, %u repairs", NODE_CONTAINERD_UNIT,
		 phase_runner_state(n->runner)->repairs);
	(void) phase_note(n->runner, detail);
}

static void watch_repair(Node *n);

static int on_repair_retry(sd_event_source *s, uint64_t usec, void *userdata) {
	Node *n = userdata;

	n->repair_retry = sd_event_source_disable_unref(n->repair_retry);
	if (n->containerd_down)
		watch_repair(n);
	return 0;
}

static void on_repaired(const char *unit, int result, const char *job_result, void *userdata) {
	Node *n = userdata;

	n->repairing = false;
	if (result >= 0) {
		n->repair_failures = 0;
		(void) phase_runner_count_repair(n->runner);
		log_struct(LOG_NOTICE, 0, LOG_FIELDS({ "KILN_PHASE", "watch" }, { "KILN_UNIT", unit }),
			   "Restarted %s; it is running again.", unit);
		watch_note(n);
		return;
	}

	/* Restarting at once again would spin if the unit cannot start at all. */
	usec_t delay = phase_retry_delay(++n->repair_failures, USEC_PER_SEC, 5 * 60 * USEC_PER_SEC);
	log_struct(LOG_ERR, result, LOG_FIELDS({ "KILN_PHASE", "watch" }, { "KILN_UNIT", unit }),
		   "Restarting %s failed (%s), trying again in %llu s: %m", unit, job_result ?: "?",
		   (unsigned long long) (delay / USEC_PER_SEC));
	n->repair_retry = sd_event_source_disable_unref(n->repair_retry);
	int k = sd_event_add_time_relative(n->event, &n->repair_retry, CLOCK_MONOTONIC, delay, 0,
					   on_repair_retry, n);
	if (k < 0)
		log_error_errno(k, "Failed to schedule the next restart of %s: %m", unit);
}

static void watch_repair(Node *n) {
	int k;

	if (n->repairing || n->repair_retry)
		return;
	k = systemd_unit_job(n->systemd, NODE_CONTAINERD_UNIT, UNIT_RESTART, on_repaired, n);
	if (k < 0) {
		on_repaired(NODE_CONTAINERD_UNIT, k, "not queued", n);
		return;
	}
	n->repairing = true;
	(void) phase_note(n->runner, "repairing " NODE_CONTAINERD_UNIT);
}

static void on_containerd_state(const char *unit, const char *active_state, const char *sub_state, void *userdata) {
	Node *n = userdata;

	if (!active_state) {
		/* The watch could not be set up and has ended: the phase fails and its retry
		 * sets up a new one. */
		(void) phase_failed(n->runner, -EIO, "cannot watch %s: %s", unit, sub_state ?: "?");
		return;
	}
	/* A unit with Restart= waits out its RestartSec= in "auto-restart" (ActiveState
	 * "activating"): a restart job cuts that short, a start job would wait for it. */
	n->containerd_down = streq(active_state, "failed") || streq(active_state, "inactive") ||
			     (sub_state && streq(sub_state, "auto-restart"));
	if (!n->containerd_down)
		return;
	log_struct(LOG_WARNING, 0,
		   LOG_FIELDS({ "KILN_PHASE", "watch" }, { "KILN_UNIT", unit },
			      { "KILN_UNIT_STATE", active_state }, { "KILN_UNIT_SUBSTATE", sub_state }),
		   "%s is %s (%s); restarting it.", unit, active_state, sub_state ?: "?");
	watch_repair(n);
}

int node_phase_watch(PhaseRunner *r, void *userdata) {
	Node *n = userdata;
	int k;

	if (!n->systemd)
		return -ENOTCONN;
	/* The callback runs once at once with the current state: a containerd that died
	 * while no supervisor ran is repaired right away. */
	k = systemd_unit_watch(n->systemd, NODE_CONTAINERD_UNIT, on_containerd_state, n);
	if (k < 0)
		return k;
	watch_note(n);
	return 0;
}
