/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cluster after the ready phase: the same look as the phase's last step (/readyz,
 * the node's Ready condition, kube-system's workloads and pods), every CLUSTER_WATCH_USEC,
 * each command a child of the loop. A change is logged once, with KILN_PHASE=watch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-internal.h"
#include "log.h"

static int on_watch_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void watch_schedule(Cluster *c, usec_t delay) {
	int r;

	c->watch_timer = sd_event_source_disable_unref(c->watch_timer);
	r = sd_event_add_time_relative(c->event, &c->watch_timer, CLOCK_MONOTONIC, delay, USEC_PER_SEC,
				       on_watch_timer, c);
	if (r < 0)
		log_struct(LOG_ERR, r, LOG_FIELDS({ "KILN_PHASE", "watch" }),
			   "Cannot schedule the next look at the cluster, it is not watched any more: %m");
}

/* "coredns-x (CrashLoopBackOff: ...), kube-proxy-y (Pending: ...)": who is not ready. */
static char *pods_text(const ClusterHealth *h) {
	char *text = NULL;

	for (size_t i = 0; i < h->n_pods; i++) {
		char *j;
		if (asprintf(&j, "%s%s%s (%s)", text ?: "", text ? ", " : "", h->pods[i].name, h->pods[i].reason) < 0)
			break;
		free(text);
		text = j;
	}
	return text;
}

static void on_watch_probe(ClusterProbe *p, int result, const char *detail, void *userdata) {
	Cluster *c = userdata;
	_cleanup_free_ char *summary = NULL, *why = detail ? strdup(detail) : NULL, *pods = NULL;
	bool healthy = result > 0, changed;

	c->watch_probe = cluster_probe_free(c->watch_probe);
	if (cluster_health_summary(&c->health, &summary) < 0)
		summary = NULL;
	changed = !c->watch_summary || !summary || !streq(c->watch_summary, summary) || healthy != c->watch_healthy;
	if (changed) {
		pods = pods_text(&c->health);
		log_struct(!healthy ? LOG_WARNING : c->watch_summary && !c->watch_healthy ? LOG_NOTICE : LOG_INFO, 0,
			   LOG_FIELDS({ "KILN_PHASE", "watch" }, { "KILN_UNIT", CLUSTER_KUBELET_UNIT }),
			   "Cluster: %s%s%s%s%s%s.", healthy ? "healthy" : "not healthy", why ? " (" : "", why ?: "",
			   why ? ")" : "", summary ? ": " : "", summary ?: "");
		if (pods)
			log_struct(LOG_WARNING, 0, LOG_FIELDS({ "KILN_PHASE", "watch" }),
				   "Cluster: kube-system pods not running and ready: %s.", pods);
		free(c->watch_summary);
		c->watch_summary = TAKE_PTR(summary);
		c->watch_healthy = healthy;
	}
	if (c->watch_notify)
		c->watch_notify(c, c->watch_summary, healthy, changed, c->watch_userdata);
	watch_schedule(c, CLUSTER_WATCH_USEC);
}

static int on_watch_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	Cluster *c = userdata;
	ClusterProbeOptions o = {
		.kind = CLUSTER_PROBE_HEALTH,
		.health = &c->health,
		.want_dns = cluster_want_dns(c),
		.want_proxy = cluster_want_proxy(c),
		.done = on_watch_probe,
		.userdata = c,
	};
	int r;

	c->watch_timer = sd_event_source_disable_unref(c->watch_timer);
	if (c->watch_probe)
		return 0;
	r = cluster_probe_start(c->event, &c->kubectl, &o, &c->watch_probe);
	if (r < 0) {
		log_struct(LOG_ERR, r, LOG_FIELDS({ "KILN_PHASE", "watch" }),
			   "Cannot run %s to look at the cluster, trying again later: %m", CLUSTER_KUBECTL);
		watch_schedule(c, CLUSTER_WATCH_USEC);
	}
	return 0;
}

int cluster_watch_start(Cluster *c, ClusterWatchFn notify, void *userdata) {
	if (!c)
		return -EINVAL;
	cluster_watch_stop(c);
	c->watch_notify = notify;
	c->watch_userdata = userdata;
	/* The first look at once: the phase's last one may be minutes old (a restart). */
	watch_schedule(c, 0);
	return c->watch_timer ? 0 : -ENOMEM;
}

void cluster_watch_stop(Cluster *c) {
	if (!c)
		return;
	c->watch_probe = cluster_probe_free(c->watch_probe);
	c->watch_timer = sd_event_source_disable_unref(c->watch_timer);
	c->watch_summary = mfree_str(c->watch_summary);
	c->watch_notify = NULL;
}
