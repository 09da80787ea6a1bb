/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The addons phase's driver: runs what each step of addons-table.c does, one addon after
 * the other, and turns each command's outcome into the next event. Part of the phase
 * runner's edge: each addon's story is logged once, with KILN_PHASE=addons and
 * KILN_ADDON=. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons-phase.h"
#include "addons-plan.h"
#include "addons-record.h"
#include "addons-table.h"
#include "addons-wait.h"
#include "cluster-json.h"
#include "cluster-phase.h"
#include "json-util.h"
#include "log.h"
#include "parse-util.h"
#include "profile.h"

typedef struct AddonRun {
	AddonStep step;
	AddonSeen *seen;               /* the last look at its workloads */
	size_t n_seen;
	char *detail;                  /* what it waits for, or why it failed */
	bool applied;                  /* applied by this run (not found recorded) */
} AddonRun;

struct Addons {
	sd_event *event;
	PhaseRunner *runner;           /* not owned; set while the phase runs */
	ClusterKubectlSetup kubectl;   /* points to the strings below */
	char *kubectl_path, *kubeconfig, *cache_dir;
	char *record_path;
	usec_t wait;
	AddonPlan *plans;
	AddonRun *runs;
	size_t n;

	size_t current;                /* the addon at work */
	ClusterKubectl *call;
	sd_event_source *poll;         /* the next look, after a "not yet" */
	sd_event_source *deadline;     /* of the current addon */
	json_t *record;
	int error;                     /* -errno to fail with, 0 when none */
	char *note;                    /* the phase's last published detail */
	char *summary;                 /* the detail of the last run that found all available */
};

static void addon_event(Addons *a, AddonEvent ev);

static void log_addon(Addons *a, int level, int error, const char *fmt, ...) _printf_(4, 5);
static void log_addon(Addons *a, int level, int error, const char *fmt, ...) {
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return (void) log_oom();
	log_struct(level, error, LOG_FIELDS({ "KILN_PHASE", "addons" }, { "KILN_ADDON", a->plans[a->current].name }),
		   "Addon %s: %s", a->plans[a->current].name, msg);
}

/* What the next FAILED or TIMEOUT says, and what the status shows meanwhile. */
static void addon_detail(Addons *a, int error, const char *fmt, ...) _printf_(3, 4);
static void addon_detail(Addons *a, int error, const char *fmt, ...) {
	AddonRun *run = &a->runs[a->current];
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text) {
		free(run->detail);
		run->detail = text;
	}
	a->error = error;
}

/* The phase's detail, published only when it changes (each one is a state file write). */
static void addons_note(Addons *a, const char *what) {
	_cleanup_free_ char *text = NULL;

	if (asprintf(&text, "addon %zu/%zu %s: %s", a->current + 1, a->n, a->plans[a->current].name, what) < 0 ||
	    (a->note && streq(a->note, text)))
		return;
	free(a->note);
	a->note = TAKE_PTR(text);
	if (a->runner)
		(void) phase_note(a->runner, a->note);
}

static void addons_cancel(Addons *a) {
	a->call = cluster_kubectl_free(a->call);
	a->poll = sd_event_source_disable_unref(a->poll);
	a->deadline = sd_event_source_disable_unref(a->deadline);
}

/* kubectl's complaint on one line: its lines joined, cut for the status. */
static char *command_error(int status, const char *err, usec_t timeout) {
	_cleanup_free_ char *joined = NULL;
	char *d = NULL;

	char t[FORMAT_SIZE_MAX];

	if (status == -ETIMEDOUT) {
		if (asprintf(&d, "did not finish within %s and was stopped", format_duration(timeout / USEC_PER_SEC, t)) < 0)
			d = NULL;
		return d;
	}
	if (status < 0)
		return strdup(strerror(-status));   /* -EFBIG: more output than any answer has */
	if (isempty(err)) {
		if (asprintf(&d, "exit status %d, no error line", status) < 0)
			d = NULL;
		return d;
	}
	joined = strdup(err);
	if (!joined)
		return NULL;
	size_t n = strlen(joined);
	while (n > 0 && joined[n - 1] == '\n')
		joined[--n] = '\0';
	for (char *p = joined; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return cluster_text_line(joined);
}

/* ---- the steps ---- */

static void on_namespace(ClusterKubectl *k, int status, const char *out, const char *err, void *userdata) {
	Addons *a = userdata;
	const AddonPlan *p = &a->plans[a->current];
	_cleanup_free_ char *why = NULL;

	a->call = NULL;
	/* Created, or there already: both leave the namespace the addon needs. */
	if (status == 0 || (err && strstr(err, "Error from server (AlreadyExists)"))) {
		if (status == 0)
			log_addon(a, LOG_INFO, 0, "created the namespace %s.", p->namespace);
		cluster_kubectl_free(k);
		addon_event(a, ADDON_EV_OK);
		return;
	}
	why = command_error(status, err, CLUSTER_KUBECTL_TIMEOUT_USEC);
	addon_detail(a, status == -ETIMEDOUT ? -ETIMEDOUT : 0, "kubectl create namespace %s: %s", p->namespace,
		     why ?: "failed");
	cluster_kubectl_free(k);
	addon_event(a, status == -ETIMEDOUT ? ADDON_EV_TIMEOUT : ADDON_EV_FAILED);
}

static void on_pod_security(ClusterKubectl *k, int status, const char *out, const char *err, void *userdata) {
	Addons *a = userdata;
	const AddonPlan *p = &a->plans[a->current];
	_cleanup_free_ char *why = NULL;

	a->call = NULL;
	if (status == 0) {
		/* "patched (no change)" at every apply but the first: nothing to say then. */
		if (!out || !strstr(out, "(no change)"))
			log_addon(a, LOG_INFO, 0, "namespace %s: Pod Security %s%s%s.", p->namespace, p->pod_security_level,
				  p->pod_security_reason ? ": " : "", p->pod_security_reason ?: "");
		cluster_kubectl_free(k);
		addon_event(a, ADDON_EV_OK);
		return;
	}
	why = command_error(status, err, CLUSTER_KUBECTL_TIMEOUT_USEC);
	cluster_kubectl_free(k);
	addon_detail(a, status == -ETIMEDOUT ? -ETIMEDOUT : 0, "kubectl patch namespace %s (Pod Security labels): %s",
		     p->namespace, why ?: "failed");
	addon_event(a, status == -ETIMEDOUT ? ADDON_EV_TIMEOUT : ADDON_EV_FAILED);
}

static void on_apply(ClusterKubectl *k, int status, const char *out, const char *err, void *userdata) {
	Addons *a = userdata;
	const AddonPlan *p = &a->plans[a->current];
	_cleanup_free_ char *why = NULL;
	size_t objects = 0;

	a->call = NULL;
	/* "deployment.apps/app serverside-applied": one line per object, into the journal. */
	const char *l = out ?: "";
	while (*l != '\0') {
		size_t n = strcspn(l, "\n");
		if (n > 0) {
			objects++;
			log_struct(LOG_INFO, 0,
				   LOG_FIELDS({ "KILN_PHASE", "addons" }, { "KILN_ADDON", p->name },
					      { "KILN_COMMAND", "kubectl-apply" }),
				   "Addon %s: kubectl apply: %.*s", p->name, (int) n, l);
		}
		l += n;
		if (*l == '\n')
			l++;
	}
	if (status == 0) {
		log_addon(a, LOG_NOTICE, 0, "applied %s (%zu objects).", p->directory, objects);
		a->runs[a->current].applied = true;
		cluster_kubectl_free(k);
		addon_event(a, ADDON_EV_OK);
		return;
	}
	why = command_error(status, err, ADDONS_APPLY_TIMEOUT_USEC);
	if (status > 0)
		addon_detail(a, 0, "kubectl apply -f %s failed (exit status %d): %s", p->directory, status, why ?: "?");
	else
		addon_detail(a, status, "kubectl apply -f %s %s", p->directory, why ?: "failed");
	cluster_kubectl_free(k);
	addon_event(a, status == -ETIMEDOUT ? ADDON_EV_TIMEOUT : ADDON_EV_FAILED);
}

static void on_get(ClusterKubectl *k, int status, const char *out, const char *err, void *userdata) {
	Addons *a = userdata;
	const AddonPlan *p = &a->plans[a->current];
	AddonRun *run = &a->runs[a->current];
	_cleanup_free_ char *why = NULL, *detail = NULL;
	AddonSeen *seen = NULL;
	AddonVerdict v;
	int r;

	a->call = NULL;
	if (status != 0) {
		/* The API did not answer this time: asked again until the deadline. */
		why = command_error(status, err, CLUSTER_KUBECTL_TIMEOUT_USEC);
		addon_detail(a, 0, "kubectl get: %s", why ?: "failed");
		cluster_kubectl_free(k);
		addon_event(a, ADDON_EV_NOT_YET);
		return;
	}
	r = addons_wait_read(out, p->targets, p->n_targets, &seen);
	cluster_kubectl_free(k);
	if (r < 0) {
		addon_detail(a, r == -EBADMSG ? 0 : r, "kubectl get %s: %s", ADDONS_WORKLOAD_RESOURCES,
			     r == -EBADMSG ? "not a list of workloads" : strerror(-r));
		addon_event(a, r == -EBADMSG ? ADDON_EV_NOT_YET : ADDON_EV_FAILED);
		return;
	}
	addons_seen_free(run->seen, run->n_seen);
	run->seen = seen;
	run->n_seen = p->n_targets;
	r = addons_wait_verdict(run->seen, run->n_seen, &v, &detail);
	if (r < 0) {
		addon_detail(a, r, "cannot tell whether its workloads are available: %s", strerror(-r));
		addon_event(a, ADDON_EV_FAILED);
		return;
	}
	if (detail)
		addon_detail(a, 0, "%s", detail);
	static const AddonEvent events[_ADDON_VERDICT_MAX] = {
		[ADDON_VERDICT_AVAILABLE] = ADDON_EV_OK, [ADDON_VERDICT_WAITING] = ADDON_EV_NOT_YET,
		[ADDON_VERDICT_MISSING] = ADDON_EV_MISSING, [ADDON_VERDICT_FAILED] = ADDON_EV_FAILED,
	};
	addon_event(a, events[v]);
}

static void ask(Addons *a) {
	const AddonPlan *p = &a->plans[a->current];
	const char *const args[] = { "get", ADDONS_WORKLOAD_RESOURCES, "-n", p->namespace, "-o", "json", NULL };
	int r;

	/* Nothing that runs (ConfigMaps, CRDs, RBAC only): applied is all there is. */
	if (p->n_targets == 0) {
		addon_event(a, ADDON_EV_OK);
		return;
	}
	r = cluster_kubectl_start(a->event, &a->kubectl, args, on_get, a, &a->call);
	if (r < 0) {
		addon_detail(a, r, "cannot run %s: %s", a->kubectl.kubectl, strerror(-r));
		addon_event(a, ADDON_EV_FAILED);
	}
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
	Addons *a = userdata;

	a->poll = sd_event_source_disable_unref(a->poll);
	ask(a);
	return 0;
}

static void act_look(Addons *a, AddonEvent ev) {
	AddonRun *run = &a->runs[a->current];
	_cleanup_free_ char *what = NULL;
	int r;

	if (ev != ADDON_EV_NOT_YET && ev != ADDON_EV_MISSING) {
		addons_note(a, run->step == ADDON_LOOKING ? "looking at its workloads (applied at an earlier boot)"
			    : "waiting for its workloads");
		ask(a);
		return;
	}
	if (asprintf(&what, "waiting: %s", run->detail ?: "?") >= 0)
		addons_note(a, what);
	r = sd_event_add_time_relative(a->event, &a->poll, CLOCK_MONOTONIC, CLUSTER_POLL_USEC, 0, on_poll, a);
	if (r < 0) {
		addon_detail(a, r, "cannot schedule the next look: %s", strerror(-r));
		addon_event(a, ADDON_EV_FAILED);
	}
}

static void act_namespace(Addons *a) {
	const AddonPlan *p = &a->plans[a->current];
	const char *const args[] = { "create", "namespace", p->namespace, NULL };
	int r;

	addons_note(a, "creating its namespace");
	r = cluster_kubectl_start(a->event, &a->kubectl, args, on_namespace, a, &a->call);
	if (r < 0) {
		addon_detail(a, r, "cannot run %s: %s", a->kubectl.kubectl, strerror(-r));
		addon_event(a, ADDON_EV_FAILED);
	}
}

/* The labels Pod Security Admission reads, the same level for its three modes (refused,
 * audited, warned about: one level, one meaning), at the policy of the API server's
 * release; and the reason next to them. A merge patch: labels of others stay, a reason
 * no longer given is removed (null). */
static char *pod_security_patch(const AddonPlan *p) {
	_cleanup_json_ json_t *labels = json_object(), *patch = NULL;
	static const char *const modes[] = { "enforce", "audit", "warn" };

	if (!labels)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
		char key[80], version_key[96];
		snprintf(key, sizeof key, ADDONS_POD_SECURITY_LABEL_PREFIX "%s", modes[i]);
		snprintf(version_key, sizeof version_key, "%s-version", key);
		if (json_object_set_new(labels, key, json_string(p->pod_security_level)) < 0 ||
		    json_object_set_new(labels, version_key, json_string("latest")) < 0)
			return NULL;
	}
	patch = json_pack("{s:{s:O, s:{s:o}}}", "metadata", "labels", labels, "annotations",
			  ADDONS_POD_SECURITY_REASON_ANNOTATION,
			  p->pod_security_reason ? json_string(p->pod_security_reason) : json_null());
	return patch ? json_dumps(patch, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

static void act_pod_security(Addons *a) {
	const AddonPlan *p = &a->plans[a->current];
	_cleanup_free_ char *patch = NULL;
	int r;

	/* Exempt by the API server's admission configuration: labels would say nothing. */
	if (streq(p->namespace, POD_SECURITY_EXEMPT_NAMESPACE)) {
		addon_event(a, ADDON_EV_OK);
		return;
	}
	patch = pod_security_patch(p);
	if (!patch) {
		addon_detail(a, -ENOMEM, "cannot write its namespace's Pod Security labels: %s", strerror(ENOMEM));
		addon_event(a, ADDON_EV_FAILED);
		return;
	}
	const char *const args[] = { "patch", "namespace", p->namespace, "--type", "merge", "-p", patch, NULL };
	addons_note(a, "labelling its namespace for Pod Security");
	r = cluster_kubectl_start(a->event, &a->kubectl, args, on_pod_security, a, &a->call);
	if (r < 0) {
		addon_detail(a, r, "cannot run %s: %s", a->kubectl.kubectl, strerror(-r));
		addon_event(a, ADDON_EV_FAILED);
	}
}

static void act_apply(Addons *a) {
	const AddonPlan *p = &a->plans[a->current];
	/* Server-side, as kiln: the API server merges what kiln's manifests set and keeps
	 * what others own; --force-conflicts takes back fields another manager changed,
	 * since the manifests are what this node is meant to run. */
	const char *const args[] = { "apply", "--server-side", "--force-conflicts", "--field-manager=kiln",
				     "-n", p->namespace, "-f", p->directory, NULL };
	ClusterKubectlSetup setup = a->kubectl;
	int r;

	addons_note(a, "applying its manifests");
	setup.timeout = ADDONS_APPLY_TIMEOUT_USEC;
	r = cluster_kubectl_start(a->event, &setup, args, on_apply, a, &a->call);
	if (r < 0) {
		addon_detail(a, r, "cannot run %s: %s", a->kubectl.kubectl, strerror(-r));
		addon_event(a, ADDON_EV_FAILED);
	}
}

static void addons_finish(Addons *a);
static void addon_start(Addons *a);

static void act_done(Addons *a) {
	const AddonPlan *p = &a->plans[a->current];
	AddonRun *run = &a->runs[a->current];
	int r;

	a->deadline = sd_event_source_disable_unref(a->deadline);
	run->detail = mfree_str(run->detail);
	r = addons_record_put(a->record, a->record_path, p->name, p->digest, now(CLOCK_REALTIME));
	if (r < 0)
		/* The record only spares the next boot an apply: it goes on without. */
		log_addon(a, LOG_WARNING, r, "cannot record it in %s, continuing: %m", a->record_path);
	log_addon(a, LOG_NOTICE, 0, "available (%zu workloads%s).", p->n_targets,
		  run->applied ? ", applied now" : ", applied at an earlier boot");
	a->current++;
	addon_start(a);
}

static void act_fail(Addons *a) {
	const AddonPlan *p = &a->plans[a->current];
	AddonRun *run = &a->runs[a->current];
	PhaseRunner *r = TAKE_PTR(a->runner);

	addons_cancel(a);
	free(a->note);
	a->note = NULL;
	(void) phase_failed(r, a->error, "addon %s: %s", p->name, run->detail ?: "failed");
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
	Addons *a = userdata;
	AddonRun *run = &a->runs[a->current];
	_cleanup_free_ char *last = TAKE_PTR(run->detail);
	char d[FORMAT_SIZE_MAX];

	a->deadline = sd_event_source_disable_unref(a->deadline);
	/* Whatever was asking stops: its answer would come too late. */
	a->call = cluster_kubectl_free(a->call);
	a->poll = sd_event_source_disable_unref(a->poll);
	/* As the --addon-timeout= it may have come from is written: "20s", "10m". */
	addon_detail(a, -ETIMEDOUT, "not available after %s: %s", format_duration(a->wait / USEC_PER_SEC, d),
		     last ?: "no answer from the API server");
	addon_event(a, ADDON_EV_TIMEOUT);
	return 0;
}

static void addon_event(Addons *a, AddonEvent ev) {
	AddonRun *run = &a->runs[a->current];
	AddonStep prev = run->step, next;

	if (addon_transition(prev, ev, &next) < 0) {
		log_addon(a, LOG_DEBUG, 0, "event '%s' in step '%s' ignored.", addon_event_to_string(ev),
			  addon_step_to_string(prev));
		return;
	}
	run->step = next;
	if (next != prev)
		log_addon(a, LOG_DEBUG, 0, "%s -> %s (%s).", addon_step_to_string(prev), addon_step_to_string(next),
			  addon_event_to_string(ev));
	switch (next) {
	case ADDON_LOOKING:
	case ADDON_WAITING:   act_look(a, ev); break;
	case ADDON_NAMESPACE:
		if (prev == ADDON_LOOKING)
			log_addon(a, LOG_NOTICE, 0, "%s; applying its manifests again.", run->detail ?: "a workload is gone");
		act_namespace(a);
		break;
	case ADDON_POD_SECURITY: act_pod_security(a); break;
	case ADDON_APPLYING:  act_apply(a); break;
	case ADDON_DONE:      act_done(a); break;
	case ADDON_BROKEN:    act_fail(a); break;
	default:              abort();
	}
}

static void addon_start(Addons *a) {
	int r;

	if (a->current == a->n) {
		addons_finish(a);
		return;
	}
	const AddonPlan *p = &a->plans[a->current];
	bool recorded = addons_record_has(a->record, p->name, p->digest);
	log_addon(a, LOG_INFO, 0, "%s (%zu of %zu, namespace %s, %zu workloads to wait for).",
		  recorded ? "applied at an earlier boot with these manifests: looking at its workloads" : "applying",
		  a->current + 1, a->n, p->namespace, p->n_targets);
	r = sd_event_add_time_relative(a->event, &a->deadline, CLOCK_MONOTONIC, a->wait, USEC_PER_SEC, on_deadline, a);
	if (r < 0) {
		addon_detail(a, r, "cannot set its deadline: %s", strerror(-r));
		a->runs[a->current].step = ADDON_BROKEN;
		act_fail(a);
		return;
	}
	addon_event(a, recorded ? ADDON_EV_START_RECORDED : ADDON_EV_START);
}

static void addons_finish(Addons *a) {
	_cleanup_free_ char *names = NULL;
	size_t applied = 0;
	FILE *f;
	size_t size = 0;

	addons_cancel(a);
	f = open_memstream(&names, &size);
	if (f) {
		for (size_t i = 0; i < a->n; i++) {
			fprintf(f, "%s%s", i > 0 ? ", " : "", a->plans[i].name);
			applied += a->runs[i].applied;
		}
		if (fclose(f) != 0)
			names = NULL;
	}
	free(a->summary);
	if (asprintf(&a->summary, "%zu available: %s (%zu applied now, %zu at an earlier boot)", a->n, names ?: "?",
		     applied, a->n - applied) < 0)
		a->summary = NULL;
	free(a->note);
	a->note = NULL;
	PhaseRunner *r = TAKE_PTR(a->runner);
	(void) phase_done(r, a->summary ?: "available");
}

/* ---- the object ---- */

int addons_new(const AddonsSetup *setup, Addons **ret, char **ret_problem) {
	_cleanup_(addons_freep) Addons *a = NULL;
	int r;

	if (!setup || !setup->event || !setup->kubectl || !setup->kubectl->kubectl || !setup->kubectl->kubeconfig ||
	    isempty(setup->root) || isempty(setup->state_dir) || !setup->image || !ret)
		return -EINVAL;
	a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	a->event = sd_event_ref(setup->event);
	a->wait = setup->wait ?: ADDONS_WAIT_USEC;
	if (!(a->kubectl_path = strdup(setup->kubectl->kubectl)) || !(a->kubeconfig = strdup(setup->kubectl->kubeconfig)) ||
	    (setup->kubectl->cache_dir && !(a->cache_dir = strdup(setup->kubectl->cache_dir))) ||
	    asprintf(&a->record_path, "%s/%s", setup->state_dir, ADDONS_RECORD_FILE) < 0)
		return -ENOMEM;
	a->kubectl = (ClusterKubectlSetup) { .kubectl = a->kubectl_path, .kubeconfig = a->kubeconfig, .cache_dir = a->cache_dir };

	a->plans = calloc(setup->image->n_addons + 1, sizeof *a->plans);
	a->runs = calloc(setup->image->n_addons + 1, sizeof *a->runs);
	if (!a->plans || !a->runs)
		return -ENOMEM;
	for (size_t i = 0; i < setup->image->n_addons; i++) {
		const ImageInfoAddon *ia = &setup->image->addons[i];
		r = addon_plan_load(setup->root, ia, &a->plans[i], ret_problem);
		if (r < 0)
			return r;
		a->n++;
		for (size_t t = 0; t < a->plans[i].n_targets; t++)
			if (!streq(a->plans[i].targets[t].namespace, ia->namespace)) {
				/* kubectl apply -n would refuse it; kiln-imagegen refuses to bake it. */
				if (ret_problem && asprintf(ret_problem, "addon %s: %s %s is in namespace %s, not the addon's %s",
							    ia->name, a->plans[i].targets[t].kind, a->plans[i].targets[t].name,
							    a->plans[i].targets[t].namespace, ia->namespace) < 0)
					*ret_problem = NULL;
				return -EBADMSG;
			}
	}
	*ret = TAKE_PTR(a);
	return 0;
}

static void runs_reset(Addons *a) {
	for (size_t i = 0; i < a->n; i++) {
		addons_seen_free(a->runs[i].seen, a->runs[i].n_seen);
		free(a->runs[i].detail);
		a->runs[i] = (AddonRun) { .step = ADDON_PENDING };
	}
}

Addons *addons_free(Addons *a) {
	if (!a)
		return NULL;
	addons_cancel(a);
	runs_reset(a);
	for (size_t i = 0; i < a->n; i++)
		addon_plan_done(&a->plans[i]);
	free(a->plans);
	free(a->runs);
	json_decref(a->record);
	sd_event_unref(a->event);
	free(a->kubectl_path);
	free(a->kubeconfig);
	free(a->cache_dir);
	free(a->record_path);
	free(a->note);
	free(a->summary);
	free(a);
	return NULL;
}

int addons_run(Addons *a, PhaseRunner *r) {
	int k;

	if (!a || !r)
		return -EINVAL;
	addons_cancel(a);
	runs_reset(a);
	a->runner = r;
	a->current = 0;
	a->error = 0;
	a->summary = mfree_str(a->summary);
	a->note = mfree_str(a->note);
	json_decref(a->record);
	a->record = NULL;
	k = addons_record_load(a->record_path, &a->record);
	if (k < 0) {
		log_struct(LOG_WARNING, k, LOG_FIELDS({ "KILN_PHASE", "addons" }),
			   "Cannot read %s, applying every addon: %m", a->record_path);
		a->record = json_pack("{s:{}}", "addons");
		if (!a->record)
			return -ENOMEM;
	}
	addon_start(a);
	return 0;
}

int addons_check(Addons *a, char **ret_detail) {
	if (!a || !a->summary)
		return -EOPNOTSUPP;
	if (ret_detail && !(*ret_detail = strdup(a->summary)))
		return -ENOMEM;
	return 1;
}

json_t *addons_status_json(Addons *a) {
	json_t *list;

	if (!a)
		return json_null();
	list = json_array();
	for (size_t i = 0; list && i < a->n; i++) {
		const AddonPlan *p = &a->plans[i];
		const AddonRun *run = &a->runs[i];
		json_t *seen = run->seen ? addons_seen_to_json(run->seen, run->n_seen) : json_null();
		if (!seen || json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:s, s:b, s:o, s:o}", "name", p->name,
								   "version", p->version ? json_string(p->version) : json_null(),
								   "namespace", p->namespace, "step", addon_step_to_string(run->step),
								   "applied", run->applied,
								   "detail", run->detail ? json_string(run->detail) : json_null(),
								   "workloads", seen)) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}
