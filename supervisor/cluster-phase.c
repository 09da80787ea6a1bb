/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cluster phase's driver: runs the action of each transition of cluster-table.c and
 * turns its outcome into the next event. Part of the phase runner's edge: each transition
 * is logged once, with KILN_PHASE=cluster and KILN_CLUSTER_STATE=. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cluster-internal.h"
#include "fileio.h"
#include "json-util.h"
#include "log.h"

static void cluster_event(Cluster *c, ClusterEvent ev);

static usec_t cpu_time(void) {
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (usec_t) ru.ru_utime.tv_sec * USEC_PER_SEC + (usec_t) ru.ru_utime.tv_usec +
	       (usec_t) ru.ru_stime.tv_sec * USEC_PER_SEC + (usec_t) ru.ru_stime.tv_usec;
}

static const char *delay_text(usec_t u, char buf[static 32]) {
	if (u % USEC_PER_MINUTE == 0)
		snprintf(buf, 32, "%llu min", (unsigned long long) (u / USEC_PER_MINUTE));
	else
		snprintf(buf, 32, "%llu s", (unsigned long long) (u / USEC_PER_SEC));
	return buf;
}

/* What the next FAILED or TIMEOUT will say. */
static void cluster_problem(Cluster *c, int error, const char *fmt, ...) _printf_(3, 4);
static void cluster_problem(Cluster *c, int error, const char *fmt, ...) {
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text) {
		free(c->problem);
		c->problem = text;
	}
	c->error = error;
}

/* The phase's detail, published only when it changes (each one is a state file write). */
static void cluster_note(Cluster *c, const char *text) {
	char *copy;

	if (!text || (c->note && streq(c->note, text)) || !(copy = strdup(text)))
		return;
	free(c->note);
	c->note = copy;
	if (c->runner)
		(void) phase_note(c->runner, text);
}

/* Stop whatever runs: the phase is over, or starts over. */
static void cluster_cancel(Cluster *c) {
	c->kubeadm = cluster_kubeadm_free(c->kubeadm);
	c->probe = cluster_probe_free(c->probe);
	c->corefile = cluster_corefile_free(c->corefile);
	c->enable_slot = sd_bus_slot_unref(c->enable_slot);
	c->poll = sd_event_source_disable_unref(c->poll);
	c->deadline = sd_event_source_disable_unref(c->deadline);
	c->waiting_for = _CLUSTER_ACTION_INVALID;
}

/* ---- the actions ---- */

/* The end of a step on kubelet.service (enabling it, starting it): the next event, and
 * when it failed, what to fail with. */
static void kubelet_step_done(Cluster *c, ClusterAction step, int result, const char *problem) {
	if (c->waiting_for != step)
		return;
	if (result < 0)
		cluster_problem(c, result, "%s", problem);
	cluster_event(c, result < 0 ? CLUSTER_EV_FAILED : CLUSTER_EV_OK);
}

static void on_kubelet_enabled(const char *unit, int result, const char *message, void *userdata) {
	Cluster *c = userdata;
	char problem[256];

	c->enable_slot = sd_bus_slot_unref(c->enable_slot);
	snprintf(problem, sizeof problem, "cannot enable %s for this boot: %s", unit, message ?: "?");
	kubelet_step_done(c, CLUSTER_ACT_ENABLE_KUBELET, result, problem);
}

static void act_enable_kubelet(Cluster *c) {
	int r = c->systemd ? systemd_unit_enable_runtime(c->systemd, CLUSTER_KUBELET_UNIT, on_kubelet_enabled, c,
							 &c->enable_slot) : -ENOTCONN;
	if (r < 0) {
		cluster_problem(c, r, "cannot ask systemd to enable %s: %s", CLUSTER_KUBELET_UNIT, strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
	}
}

static void act_inspect(Cluster *c) {
	static const ClusterEvent events[_CLUSTER_DISK_STATE_MAX] = {
		[CLUSTER_DISK_FRESH] = CLUSTER_EV_FRESH,
		[CLUSTER_DISK_PARTIAL] = CLUSTER_EV_PARTIAL,
		[CLUSTER_DISK_ADOPTABLE] = CLUSTER_EV_ADOPTABLE,
		[CLUSTER_DISK_FORMED] = CLUSTER_EV_FORMED,
	};
	_cleanup_free_ char *found = NULL;
	ClusterDiskState s;
	int r = cluster_disk_inspect(&c->layout, &s, &found);

	if (r < 0) {
		cluster_problem(c, r, "cannot look at kubeadm's files: %s", strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
		return;
	}
	static const char *const meaning[_CLUSTER_DISK_STATE_MAX] = {
		[CLUSTER_DISK_FRESH] = "never initialized: running kubeadm init",
		[CLUSTER_DISK_PARTIAL] = "an init was cut short: cleaning it with kubeadm reset, then init again",
		[CLUSTER_DISK_ADOPTABLE] = "an init without kiln's stamp, maybe finished: asking the API",
		[CLUSTER_DISK_FORMED] = "formed: starting the kubelet, no init",
	};
	log_struct(s == CLUSTER_DISK_PARTIAL ? LOG_WARNING : LOG_INFO, 0,
		   LOG_FIELDS({ "KILN_PHASE", "cluster" }, { "KILN_CLUSTER_DISK", cluster_disk_state_to_string(s) }),
		   "Cluster: %s%s%s%s.", meaning[s], found ? " (found: " : "", found ?: "", found ? ")" : "");
	cluster_event(c, events[s]);
}

static void on_kubeadm_done(ClusterKubeadm *k, int status, void *userdata) {
	Cluster *c = userdata;
	ClusterKubeadmVerb verb = c->waiting_for == CLUSTER_ACT_INIT ? CLUSTER_KUBEADM_INIT : CLUSTER_KUBEADM_RESET;
	const char *name = cluster_kubeadm_verb_to_string(verb);
	char d[32];

	if (status == 0) {
		c->kubeadm = cluster_kubeadm_free(c->kubeadm);
		cluster_event(c, CLUSTER_EV_OK);
		return;
	}
	if (status == -ETIMEDOUT)
		cluster_problem(c, -ETIMEDOUT, "kubeadm %s did not finish within %s and was stopped%s%s", name,
				delay_text(verb == CLUSTER_KUBEADM_INIT ? cluster_config_init_deadline(c->config)
					   : CLUSTER_RESET_TIMEOUT_USEC, d),
				cluster_kubeadm_errors(k) ? ": " : "", cluster_kubeadm_errors(k) ?: "");
	else
		cluster_problem(c, 0, "kubeadm %s failed (exit status %d): %s", name, status,
				cluster_kubeadm_errors(k) ?: "it printed no error line; see journalctl KILN_PHASE=cluster");
	c->kubeadm = cluster_kubeadm_free(c->kubeadm);
	cluster_event(c, status == -ETIMEDOUT ? CLUSTER_EV_TIMEOUT : CLUSTER_EV_FAILED);
}

static void act_kubeadm(Cluster *c, ClusterKubeadmVerb verb) {
	ClusterKubeadmOptions o = {
		.kubeadm = CLUSTER_KUBEADM,
		.verb = verb,
		.config = c->config_path,
		.timeout = verb == CLUSTER_KUBEADM_INIT ? cluster_config_init_deadline(c->config) : CLUSTER_RESET_TIMEOUT_USEC,
		.done = on_kubeadm_done,
		.userdata = c,
	};
	int r;

	if (verb == CLUSTER_KUBEADM_RESET) {
		/* The table never resets a formed node; this says no once more. */
		r = cluster_disk_guard(&c->layout);
		if (r < 0) {
			cluster_problem(c, r, "refusing kubeadm reset: %s", r == -EPERM
					? "the cluster is formed (" CLUSTER_STAMP_FILE " is there), its etcd data stays"
					: "cannot tell whether the cluster is formed");
			cluster_event(c, CLUSTER_EV_FAILED);
			return;
		}
	}
	cluster_note(c, verb == CLUSTER_KUBEADM_INIT ? "kubeadm init running" : "kubeadm reset: cleaning an init cut short");
	r = cluster_kubeadm_start(c->event, &o, &c->kubeadm);
	if (r < 0) {
		cluster_problem(c, r, "cannot run %s: %s", CLUSTER_KUBEADM, strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
		return;
	}
	log_struct(LOG_INFO, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" }),
		   "Cluster: started kubeadm %s (pid %d)%s%s.", cluster_kubeadm_verb_to_string(verb),
		   (int) cluster_kubeadm_pid(c->kubeadm), verb == CLUSTER_KUBEADM_INIT ? " with " : "",
		   verb == CLUSTER_KUBEADM_INIT ? c->config_path : "");
}

static void act_clean(Cluster *c) {
	_cleanup_free_ char *removed = NULL;
	int r = cluster_disk_clean(&c->layout, &removed);

	if (r < 0) {
		cluster_problem(c, r, "cannot remove what kubeadm reset left: %s", strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
		return;
	}
	if (removed)
		log_struct(LOG_NOTICE, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" }),
			   "Cluster: removed what kubeadm reset left of an init cut short: %s.", removed);
	cluster_event(c, CLUSTER_EV_OK);
}

static void act_stamp(Cluster *c) {
	char when[32] = "";
	_cleanup_free_ char *text = NULL;
	time_t t = time(NULL);
	struct tm tm;
	int r;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	_cleanup_json_ json_t *doc = json_pack("{s:s, s:s, s:s}", "formed", when, "configuration", c->config_path,
					       "by", "kiln-supervisor");
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	r = text ? cluster_stamp_write(&c->layout, text) : -ENOMEM;
	if (r < 0) {
		cluster_problem(c, r, "cannot write %s: %s", c->layout.stamp, strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
		return;
	}
	log_struct(LOG_NOTICE, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" }),
		   "Cluster: formed; %s written, kubeadm init will not run on this node again.", c->layout.stamp);
	cluster_event(c, CLUSTER_EV_OK);
}

static void on_kubelet_started(const char *unit, int result, const char *job_result, void *userdata) {
	char problem[256];

	snprintf(problem, sizeof problem, "the start job of %s ended with \"%s\"", unit, job_result ?: "?");
	kubelet_step_done(userdata, CLUSTER_ACT_START_KUBELET, result, problem);
}

static void act_start_kubelet(Cluster *c) {
	int r = c->systemd ? systemd_unit_job(c->systemd, CLUSTER_KUBELET_UNIT, UNIT_START, on_kubelet_started, c)
			   : -ENOTCONN;
	if (r < 0) {
		cluster_problem(c, r, "cannot start %s: %s", CLUSTER_KUBELET_UNIT, strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
		return;
	}
	cluster_note(c, "starting " CLUSTER_KUBELET_UNIT);
}

static void on_probe(ClusterProbe *p, int result, const char *detail, void *userdata) {
	Cluster *c = userdata;
	ClusterAction a = c->waiting_for;
	_cleanup_free_ char *summary = NULL;

	if (detail)
		cluster_problem(c, 0, "%s", detail);
	c->probe = cluster_probe_free(c->probe);   /* detail is gone from here on */
	if (result < 0 && result != -EAGAIN) {
		cluster_problem(c, result, "cannot ask the cluster: %s", strerror(-result));
		cluster_event(c, CLUSTER_EV_FAILED);
		return;
	}
	if (a == CLUSTER_ACT_PROBE_READY && cluster_health_summary(&c->health, &summary) >= 0) {
		_cleanup_free_ char *note = NULL;
		if (asprintf(&note, "waiting: %s", summary) >= 0)
			cluster_note(c, note);
		else
			note = NULL;
	}
	if (a == CLUSTER_ACT_PROBE_ADOPT)
		cluster_event(c, result > 0 ? CLUSTER_EV_COMPLETE : result == 0 ? CLUSTER_EV_INCOMPLETE : CLUSTER_EV_NOT_YET);
	else
		cluster_event(c, result > 0 ? CLUSTER_EV_OK : CLUSTER_EV_NOT_YET);
}

static void probe_start(Cluster *c) {
	static const ClusterProbeKind kinds[_CLUSTER_ACTION_MAX] = {
		[CLUSTER_ACT_PROBE_ADOPT] = CLUSTER_PROBE_ADOPT,
		[CLUSTER_ACT_PROBE_API] = CLUSTER_PROBE_API,
		[CLUSTER_ACT_PROBE_READY] = CLUSTER_PROBE_HEALTH,
	};
	ClusterProbeOptions o = {
		.kind = kinds[c->waiting_for],
		.health = &c->health,
		.want_dns = cluster_want_dns(c),
		.want_proxy = cluster_want_proxy(c),
		.done = on_probe,
		.userdata = c,
	};
	int r = cluster_probe_start(c->event, &c->kubectl, &o, &c->probe);

	if (r < 0) {
		cluster_problem(c, r, "cannot run %s: %s", CLUSTER_KUBECTL, strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
	}
}

static void on_corefile(ClusterCorefile *step, int result, const char *detail, void *userdata) {
	Cluster *c = userdata;

	cluster_problem(c, result == -EAGAIN ? 0 : result, "CoreDNS's Corefile: %s", detail ?: "?");
	c->corefile = cluster_corefile_free(c->corefile);
	if (result >= 0)
		log_struct(result > 0 ? LOG_NOTICE : LOG_INFO, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" }),
			   "Cluster: %s.", c->problem);
	cluster_event(c, result >= 0 ? CLUSTER_EV_OK : result == -EAGAIN ? CLUSTER_EV_NOT_YET : CLUSTER_EV_FAILED);
}

static void corefile_start(Cluster *c) {
	_cleanup_free_ char *text = NULL;
	int r;

	if (!cluster_want_dns(c)) {
		cluster_event(c, CLUSTER_EV_OK);
		return;
	}
	r = read_full_file(c->corefile_path, &text, NULL);
	if (r < 0) {
		cluster_problem(c, r, "cannot read the image's Corefile %s: %s", c->corefile_path, strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
		return;
	}
	r = cluster_corefile_start(c->event, &c->kubectl, text, on_corefile, c, &c->corefile);
	if (r < 0) {
		cluster_problem(c, r, "cannot run %s: %s", CLUSTER_KUBECTL, strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
	}
}

/* Start the waiting action now, or after the poll interval when it said "not yet". */
static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
	Cluster *c = userdata;

	c->poll = sd_event_source_disable_unref(c->poll);
	if (c->waiting_for == CLUSTER_ACT_COREFILE)
		corefile_start(c);
	else
		probe_start(c);
	return 0;
}

static void act_ask(Cluster *c, ClusterEvent ev) {
	int r;

	if (ev != CLUSTER_EV_NOT_YET) {
		(void) on_poll(NULL, 0, c);
		return;
	}
	r = sd_event_add_time_relative(c->event, &c->poll, CLOCK_MONOTONIC, CLUSTER_POLL_USEC, 0, on_poll, c);
	if (r < 0) {
		cluster_problem(c, r, "cannot schedule the next look at the cluster: %s", strerror(-r));
		cluster_event(c, CLUSTER_EV_FAILED);
	}
}

static void act_finish(Cluster *c) {
	_cleanup_free_ char *summary = NULL;
	char own[32];

	cluster_cancel(c);
	/* What the supervisor itself spent, not kubeadm, kubectl or the wait (bench/). */
	snprintf(own, sizeof own, "%llu", (unsigned long long) usec_sub_unsigned(cpu_time(), c->cpu_started));
	log_struct(LOG_INFO, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" }, { "KILN_CLUSTER_OWN_CPU_USEC", own }),
		   "Cluster: ready; the supervisor's own CPU time in this phase: %.1f ms.",
		   (double) usec_sub_unsigned(cpu_time(), c->cpu_started) / USEC_PER_MSEC);
	(void) cluster_health_summary(&c->health, &summary);
	free(c->note);
	c->note = NULL;
	PhaseRunner *r = TAKE_PTR(c->runner);
	(void) phase_done(r, summary ?: "ready");
}

static void act_fail(Cluster *c) {
	cluster_cancel(c);
	free(c->note);
	c->note = NULL;
	PhaseRunner *r = TAKE_PTR(c->runner);
	(void) phase_failed(r, c->error, "%s", c->problem ?: "failed");
}

/* ---- the machine ---- */

static usec_t state_wait(const Cluster *c, ClusterState s) {
	const ClusterTimeouts *t = &c->config->timeouts;
	/* Static pods start with the kubelet: as long as kubeadm itself would wait. */
	usec_t start = MAX(CLUSTER_API_WAIT_MIN_USEC, usec_add(t->kubelet_health, t->control_plane_health));

	switch (s) {
	case CLUSTER_ADOPTING:
	case CLUSTER_WAITING_API:
		return start;
	case CLUSTER_CONFIGURING:
		return CLUSTER_COREFILE_WAIT_USEC;
	case CLUSTER_WAITING_READY:
		return CLUSTER_READY_WAIT_USEC;
	default:
		return USEC_INFINITY;
	}
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
	Cluster *c = userdata;
	char d[32];

	c->deadline = sd_event_source_disable_unref(c->deadline);
	/* Whatever was asking stops: its answer would come too late. */
	c->probe = cluster_probe_free(c->probe);
	c->corefile = cluster_corefile_free(c->corefile);
	c->poll = sd_event_source_disable_unref(c->poll);
	_cleanup_free_ char *last = TAKE_PTR(c->problem);
	cluster_problem(c, -ETIMEDOUT, "%s: not done after %s: %s", cluster_state_to_string(c->state),
			delay_text(state_wait(c, c->state), d), last ?: "no answer");
	cluster_event(c, CLUSTER_EV_TIMEOUT);
	return 0;
}

static void cluster_event(Cluster *c, ClusterEvent ev) {
	ClusterState prev = c->state, next;
	ClusterAction action;
	int r = cluster_transition(prev, ev, &next, &action);

	if (r < 0) {
		log_struct(LOG_DEBUG, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" }),
			   "Cluster: event '%s' in state '%s' ignored.", cluster_event_to_string(ev),
			   cluster_state_to_string(prev));
		return;
	}
	c->state = next;
	c->waiting_for = action;
	if (next != prev) {
		log_struct(LOG_DEBUG, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" },
						    { "KILN_CLUSTER_STATE", cluster_state_to_string(next) }),
			   "Cluster: %s -> %s (%s), %s.", cluster_state_to_string(prev), cluster_state_to_string(next),
			   cluster_event_to_string(ev), cluster_action_to_string(action));
		c->deadline = sd_event_source_disable_unref(c->deadline);
		usec_t wait = state_wait(c, next);
		if (wait != USEC_INFINITY &&
		    (r = sd_event_add_time_relative(c->event, &c->deadline, CLOCK_MONOTONIC, wait, USEC_PER_SEC,
						    on_deadline, c)) < 0) {
			cluster_problem(c, r, "cannot set the deadline of %s: %s", cluster_state_to_string(next), strerror(-r));
			c->state = CLUSTER_FAILED;
			act_fail(c);
			return;
		}
	}

	switch (action) {
	case CLUSTER_ACT_ENABLE_KUBELET: act_enable_kubelet(c); break;
	case CLUSTER_ACT_INSPECT:        act_inspect(c); break;
	case CLUSTER_ACT_RESET:          act_kubeadm(c, CLUSTER_KUBEADM_RESET); break;
	case CLUSTER_ACT_CLEAN:          act_clean(c); break;
	case CLUSTER_ACT_INIT:           act_kubeadm(c, CLUSTER_KUBEADM_INIT); break;
	case CLUSTER_ACT_STAMP:          act_stamp(c); break;
	case CLUSTER_ACT_START_KUBELET:  act_start_kubelet(c); break;
	case CLUSTER_ACT_PROBE_ADOPT:
	case CLUSTER_ACT_PROBE_API:
	case CLUSTER_ACT_PROBE_READY:
	case CLUSTER_ACT_COREFILE:
		if (ev != CLUSTER_EV_NOT_YET)
			cluster_note(c, action == CLUSTER_ACT_PROBE_ADOPT ? "asking the API whether init had finished"
				     : action == CLUSTER_ACT_PROBE_API ? "waiting for the API server"
				     : action == CLUSTER_ACT_COREFILE ? "putting the image's Corefile in place"
				     : "waiting for the node and kube-system");
		act_ask(c, ev);
		break;
	case CLUSTER_ACT_FINISH:         act_finish(c); break;
	case CLUSTER_ACT_FAIL:           act_fail(c); break;
	default:                         abort();
	}
}

/* ---- the object ---- */

int cluster_new(const ClusterSetup *setup, Cluster **ret) {
	_cleanup_(cluster_freep) Cluster *c = NULL;
	size_t len;
	int r;

	if (!setup || !setup->event || isempty(setup->image_root) || isempty(setup->state_dir) ||
	    isempty(setup->name) || !ret)
		return -EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->event = sd_event_ref(setup->event);
	c->systemd = setup->systemd;
	c->state = CLUSTER_IDLE;
	c->waiting_for = _CLUSTER_ACTION_INVALID;
	c->health = (ClusterHealth) CLUSTER_HEALTH_INIT;
	len = strlen(setup->image_root);
	while (len > 0 && setup->image_root[len - 1] == '/')
		len--;
	if (asprintf(&c->config_path, "%.*s%s/%s.yaml", (int) len, setup->image_root, CLUSTER_CONFIG_DIR,
		     setup->name) < 0) {
		c->config_path = NULL;
		return -ENOMEM;
	}
	if (asprintf(&c->corefile_path, "%.*s%s", (int) len, setup->image_root, CLUSTER_COREFILE_PATH) < 0) {
		c->corefile_path = NULL;
		return -ENOMEM;
	}
	if (!(c->name = strdup(setup->name)) || !(c->kubeconfig = strdup(CLUSTER_ADMIN_CONF)))
		return -ENOMEM;
	r = cluster_config_load(c->config_path, &c->config);
	if (r == -EBADMSG) {
		/* Not YAML: kubeadm init will say what is wrong with it, in its own words. */
		log_struct(LOG_WARNING, 0, LOG_FIELDS({ "KILN_PHASE", "cluster" }),
			   "Cluster: %s is not YAML; kubeadm's defaults assumed until kubeadm says more.", c->config_path);
		r = cluster_config_default(&c->config);
	}
	if (r < 0)
		return r;
	r = cluster_layout_init(&c->layout, "/", setup->state_dir, c->config->cert_dir, c->config->etcd_data_dir);
	if (r < 0)
		return r;
	if (!c->config->node_name) {
		/* kubeadm's default: the host name, lower-cased. */
		char host[256] = "";
		if (gethostname(host, sizeof host - 1) >= 0)
			for (char *p = host; *p; p++)
				*p = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		c->config->node_name = strdup(host);
		if (!c->config->node_name)
			return -ENOMEM;
	}
	c->health.node_name = strdup(c->config->node_name);
	if (!c->health.node_name)
		return -ENOMEM;
	c->kubectl = (ClusterKubectlSetup) {
		.kubectl = CLUSTER_KUBECTL,
		.kubeconfig = c->kubeconfig,
		.cache_dir = CLUSTER_KUBECTL_CACHE,
	};
	*ret = TAKE_PTR(c);
	return 0;
}

Cluster *cluster_free(Cluster *c) {
	if (!c)
		return NULL;
	cluster_cancel(c);
	cluster_watch_stop(c);
	cluster_health_done(&c->health);
	cluster_layout_done(&c->layout);
	cluster_config_free(c->config);
	sd_event_unref(c->event);
	free(c->name);
	free(c->config_path);
	free(c->corefile_path);
	free(c->kubeconfig);
	free(c->problem);
	free(c->note);
	free(c);
	return NULL;
}

int cluster_run(Cluster *c, PhaseRunner *r) {
	if (!c || !r)
		return -EINVAL;
	cluster_cancel(c);
	c->runner = r;
	c->cpu_started = cpu_time();
	c->error = 0;
	c->problem = mfree_str(c->problem);
	c->note = mfree_str(c->note);
	cluster_event(c, CLUSTER_EV_START);
	return 0;
}

int cluster_check(Cluster *c, char **ret_detail) {
	_cleanup_free_ char *missing = NULL;
	int r;

	if (!c || c->health.checked == 0)
		return -EOPNOTSUPP;
	r = cluster_stamp_exists(&c->layout);
	if (r <= 0)
		return r;
	r = cluster_health_ready(&c->health, cluster_want_dns(c), cluster_want_proxy(c), &missing);
	if (r <= 0)
		return r;
	if (cluster_health_summary(&c->health, ret_detail) < 0)
		*ret_detail = NULL;
	return 1;
}

const ClusterHealth *cluster_health(Cluster *c) {
	return c ? &c->health : NULL;
}

json_t *cluster_status_json(Cluster *c) {
	return c ? cluster_health_to_json(&c->health) : json_null();
}
