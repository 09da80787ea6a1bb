/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "audit-watch.h"
#include "cluster-child.h"
#include "log.h"

/* The findings logged with a violation: enough to say what is wrong, not a flood. */
#define FINDINGS_MAX 5

struct AuditWatch {
	sd_event *event;
	char *kilnctl;
	usec_t interval;
	AuditWatchFn fn;
	void *userdata;
	sd_event_source *timer;
	ClusterChild *child;
	char *summary;
};

static int findings_text(json_t *processes, char **ret) {
	char *text = NULL;
	size_t shown = 0, i;
	json_t *p;

	json_array_foreach(processes, i, p) {
		json_t *f = json_object_get(p, "findings"), *v;
		size_t j;
		json_array_foreach(f, j, v) {
			char *t;
			if (shown++ >= FINDINGS_MAX)
				break;
			if (asprintf(&t, "%s%s%s (pid %lld): %s", text ?: "", text ? "; " : "",
				     json_string_value(json_object_get(p, "name")) ?: "?",
				     (long long) json_integer_value(json_object_get(p, "pid")), json_string_value(v) ?: "?") < 0) {
				free(text);
				return -ENOMEM;
			}
			free(text);
			text = t;
		}
	}
	*ret = text;
	return 0;
}

int audit_verdict_parse(int status, const char *json, char **ret_summary, char **ret_findings) {
	_cleanup_free_ char *findings = NULL;
	json_t *doc = NULL, *processes, *not_audited, *violations;
	int k, r;

	*ret_findings = NULL;
	if (status == 0 || status == 1)
		doc = json_loads(json ?: "", 0, NULL);
	processes = json_object_get(doc, "processes");
	not_audited = json_object_get(doc, "notAudited");
	violations = json_object_get(doc, "violations");
	if (!json_is_array(processes) || !json_is_array(not_audited) || !json_is_integer(violations)) {
		json_decref(doc);
		k = status == -ETIMEDOUT ? asprintf(ret_summary, "audit: kilnctl audit failed (timed out)") :
		    status == 0 || status == 1 ? asprintf(ret_summary, "audit: kilnctl audit failed (its output is not an audit)") :
						 asprintf(ret_summary, "audit: kilnctl audit failed (exit status %d)", status);
		return k < 0 ? -ENOMEM : 0;
	}
	size_t n = json_array_size(processes), n_bad = (size_t) json_integer_value(violations),
	       n_missing = json_array_size(not_audited);
	r = findings_text(processes, &findings);
	if (r < 0) {
		json_decref(doc);
		return r;
	}
	json_decref(doc);
	if (n_bad == 0)
		k = asprintf(ret_summary, "audit: %zu processes as declared", n);
	else
		k = asprintf(ret_summary, "audit: %zu of %zu processes not as declared", n_bad, n);
	if (k >= 0 && n_missing > 0) {
		char *t;
		k = asprintf(&t, "%s; %zu source%s not audited", *ret_summary, n_missing, n_missing == 1 ? "" : "s");
		free(*ret_summary);
		*ret_summary = k < 0 ? NULL : t;
	}
	if (k < 0)
		return -ENOMEM;
	*ret_findings = TAKE_PTR(findings);
	return 0;
}

static void schedule(AuditWatch *w, usec_t delay);

static void on_done(ClusterChild *c, int status, void *userdata) {
	AuditWatch *w = userdata;
	_cleanup_free_ char *summary = NULL, *findings = NULL;
	bool changed;

	if (audit_verdict_parse(status, cluster_child_stdout(c, NULL), &summary, &findings) < 0) {
		log_oom();
		w->child = cluster_child_free(w->child);
		schedule(w, w->interval);
		return;
	}
	w->child = cluster_child_free(w->child);
	changed = !w->summary || !streq(w->summary, summary);
	if (changed) {
		bool bad = findings || status != 0;
		log_struct(bad ? LOG_WARNING : w->summary ? LOG_NOTICE : LOG_INFO, 0,
			   LOG_FIELDS({ "KILN_PHASE", "watch" }), "Confinement %s%s%s.", summary,
			   findings ? ": " : "", findings ?: "");
		free(w->summary);
		w->summary = TAKE_PTR(summary);
	}
	schedule(w, w->interval);
	if (w->fn)
		w->fn(w, w->summary, changed, w->userdata);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
	AuditWatch *w = userdata;
	const char *const argv[] = { w->kilnctl, "audit", "--json", NULL };
	ClusterChildOptions o = {
		.timeout = AUDIT_WATCH_TIMEOUT_USEC,
		.capture_stdout = true,
		.on_done = on_done,
		.userdata = w,
		.security = "kilnctl",
	};
	int r;

	w->timer = sd_event_source_disable_unref(w->timer);
	if (w->child)
		return 0;
	r = cluster_child_start(w->event, argv, &o, &w->child);
	if (r < 0) {
		log_struct(LOG_ERR, r, LOG_FIELDS({ "KILN_PHASE", "watch" }),
			   "Cannot run %s audit, trying again later: %m", w->kilnctl);
		schedule(w, w->interval);
	}
	return 0;
}

static void schedule(AuditWatch *w, usec_t delay) {
	int r;

	w->timer = sd_event_source_disable_unref(w->timer);
	r = sd_event_add_time_relative(w->event, &w->timer, CLOCK_MONOTONIC, delay, USEC_PER_SEC, on_timer, w);
	if (r < 0)
		log_struct(LOG_ERR, r, LOG_FIELDS({ "KILN_PHASE", "watch" }),
			   "Cannot schedule the next audit, the node's confinement is not checked any more: %m");
}

int audit_watch_start(sd_event *e, const char *kilnctl, usec_t interval, AuditWatchFn fn, void *userdata,
		      AuditWatch **ret) {
	_cleanup_(audit_watch_freep) AuditWatch *w = NULL;

	if (!e || !kilnctl || interval == 0 || !ret)
		return -EINVAL;
	w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	*w = (AuditWatch) { .event = sd_event_ref(e), .interval = interval, .fn = fn, .userdata = userdata };
	w->kilnctl = strdup(kilnctl);
	if (!w->kilnctl)
		return -ENOMEM;
	schedule(w, 0);
	if (!w->timer)
		return -ENOMEM;
	*ret = TAKE_PTR(w);
	return 0;
}

AuditWatch *audit_watch_free(AuditWatch *w) {
	if (!w)
		return NULL;
	cluster_child_free(w->child);
	sd_event_source_disable_unref(w->timer);
	sd_event_unref(w->event);
	free(w->kilnctl);
	free(w->summary);
	free(w);
	return NULL;
}
