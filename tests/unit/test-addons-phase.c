/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The addons phase on a real sd-event loop and phase runner (supervisor/addons-phase.c),
 * against a stand-in kubectl: a shell script that checks the exact arguments it gets and
 * answers with the real kubectl v1.37.2 output of tests/unit/data/cluster (the addon-*
 * files; anything else it is asked fails the test). The baked addons are the manifests
 * of tests/unit/data/cluster/addon, laid out below a temporary root as kiln-imagegen
 * bakes them.
 *
 *   - a first run: namespace, apply, look; recorded; the phase done
 *   - a later run (a reboot): only a look, no apply
 *   - a recorded addon whose workloads are gone: applied again
 *   - never available: the phase fails at the addon's deadline naming the workload and
 *     its conditions, and the addon after it is not started
 *   - kubectl apply refused, a Job failed: the phase fails at once with the words */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addons-phase.h"
#include "addons-record.h"
#include "fileio.h"
#include "image-info.h"
#include "json-util.h"
#include "log.h"
#include "phases.h"
#include "state.h"
#include "helper-security.h"
#include "tap.h"
#include "tmpdir-files.h"

static sd_event *event;
static Addons *addons;

static const char kubectl_body[] =
	"#!/bin/sh\n"
	"printf '%s\\n' \"$*\" >>\"$KILN_TEST_DIR/kubectl.log\"\n"
	"[ \"$1 $2 $3\" = \"--kubeconfig=/etc/kubernetes/admin.conf --cache-dir=$KILN_TEST_DIR/cache --request-timeout=10s\" ] || "
	"{ echo \"unexpected global flags: $*\" >&2; exit 99; }\n"
	"shift 3\n"
	"D=$KILN_TEST_FIXTURES; M=$(cat \"$KILN_TEST_DIR/mode\"); A=$KILN_TEST_DIR/root/usr/lib/kiln/addons\n"
	"case \"$*\" in\n"
	"'create namespace kiln-addon'|'create namespace kiln-stuck')\n"
	"  [ -e \"$KILN_TEST_DIR/ns-$3\" ] && { cat $D/addon-namespace-again.txt.err | sed \"s/kiln-addon/$3/\" >&2; exit 1; }\n"
	"  touch \"$KILN_TEST_DIR/ns-$3\"; echo \"namespace/$3 created\" ;;\n"
	"\"patch namespace kiln-addon --type merge -p \"*|\"patch namespace kiln-stuck --type merge -p \"*)\n"
	"  [ \"$M\" = patch-refused ] && { echo 'Error from server (Forbidden): namespaces \"kiln-addon\" is forbidden' >&2; exit 1; }\n"
	"  echo \"namespace/$3 patched\" ;;\n"
	"\"apply --server-side --force-conflicts --field-manager=kiln -n kiln-addon -f $A/01-kiln-test-app\")\n"
	"  [ \"$M\" = apply-wrong ] && { cat $D/addon-apply-wrong-namespace.txt.err >&2; exit 1; }\n"
	"  touch \"$KILN_TEST_DIR/applied\"; cat $D/addon-apply.txt ;;\n"
	"\"apply --server-side --force-conflicts --field-manager=kiln -n kiln-stuck -f $A/02-kiln-stuck\")\n"
	"  echo deployment.apps/stuck serverside-applied; echo job.batch/broken serverside-applied ;;\n"
	"'get deployments.apps,daemonsets.apps,statefulsets.apps,jobs.batch -n kiln-addon -o json')\n"
	"  [ \"$M\" = gone ] && [ ! -e \"$KILN_TEST_DIR/applied\" ] && { cat $D/addon-none.json; exit 0; }\n"
	"  [ \"$M\" = pending ] && { cat $D/addon-pending.json; exit 0; }\n"
	"  cat $D/addon-available.json ;;\n"
	"'get deployments.apps,daemonsets.apps,statefulsets.apps,jobs.batch -n kiln-stuck -o json') cat $D/addon-stuck.json ;;\n"
	"*) echo \"unexpected: $*\" >&2; exit 99 ;;\n"
	"esac\n";

/* image.json's addons, as kiln-imagegen writes them for the fixture's addons. */
#define APP "{\"name\": \"kiln-test-app\", \"version\": \"1\", \"namespace\": \"kiln-addon\", \"dependsOn\": []," \
	" \"directory\": \"/usr/lib/kiln/addons/01-kiln-test-app\", \"manifests\": [" \
	"\"/usr/lib/kiln/addons/01-kiln-test-app/01-app.yaml\", \"/usr/lib/kiln/addons/01-kiln-test-app/02-agent.yaml\"," \
	" \"/usr/lib/kiln/addons/01-kiln-test-app/03-migrate.json\"]}"
#define STUCK "{\"name\": \"kiln-stuck\", \"version\": \"1\", \"namespace\": \"kiln-stuck\", \"dependsOn\": [\"kiln-test-app\"]," \
	" \"directory\": \"/usr/lib/kiln/addons/02-kiln-stuck\", \"manifests\": [\"/usr/lib/kiln/addons/02-kiln-stuck/01-stuck.yaml\"]," \
	" \"podSecurity\": {\"level\": \"privileged\", \"reason\": \"reads the host's /proc\"}}"
/* The test app, as if installed into kube-system. */
#define SYSTEM_APP "{\"name\": \"kiln-test-app\", \"version\": \"1\", \"namespace\": \"kube-system\", \"dependsOn\": []," \
	" \"directory\": \"/usr/lib/kiln/addons/01-kiln-test-app\", \"manifests\": [" \
	"\"/usr/lib/kiln/addons/01-kiln-test-app/01-app.yaml\"]}"
/* The merge patches of the namespaces' Pod Security labels, as kubectl gets them. */
#define PSA_LABELS(level) "\"labels\":{\"pod-security.kubernetes.io/audit\":\"" level "\"," \
	"\"pod-security.kubernetes.io/audit-version\":\"latest\",\"pod-security.kubernetes.io/enforce\":\"" level "\"," \
	"\"pod-security.kubernetes.io/enforce-version\":\"latest\",\"pod-security.kubernetes.io/warn\":\"" level "\"," \
	"\"pod-security.kubernetes.io/warn-version\":\"latest\"}"
#define PSA_RESTRICTED "{\"metadata\":{\"annotations\":{\"kiln.io/pod-security-reason\":null}," PSA_LABELS("restricted") "}}"
#define PSA_PRIVILEGED "{\"metadata\":{\"annotations\":{\"kiln.io/pod-security-reason\":\"reads the host's /proc\"}," \
	PSA_LABELS("privileged") "}}"

static int run_addons(PhaseRunner *r, void *userdata) {
	return addons_run(addons, r);
}

static const Phase table[] = { { "addons", PHASE_SCOPE_BOOT, false, run_addons, NULL } };

static void mode(const char *m) {
	put(P("mode"), m);
	(void) unlink(P("kubectl.log"));
	(void) unlink(P("applied"));
}

static void copy_fixture(const char *dir, const char *file) {
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *src = NULL, *dst = NULL;

	if (asprintf(&src, "%s/tests/unit/data/cluster/addon/%s/%s", tap_srcdir(), dir, file) < 0 ||
	    asprintf(&dst, "root/usr/lib/kiln/addons/%s/%s", dir, file) < 0)
		return (void) diag("out of memory");
	if (read_full_file(src, &text, NULL) < 0 || mkdir_parents(P(dst), 0755) < 0)
		diag("cannot copy %s", src);
	put(P(dst), text ?: "");
}

/* Run the phase once, with a fresh runner: the phase's status, detail and last error. */
typedef struct Outcome {
	PhaseStatus status;
	char detail[1024], error[1024];
	char *status_json;
} Outcome;

static Outcome run_phase(const char *addons_json, usec_t wait) {
	_cleanup_(image_info_freep) ImageInfo *image = NULL;
	_cleanup_free_ char *doc = NULL, *problem = NULL;
	NodeState *state = NULL;
	PhaseRunner *r = NULL;
	Outcome o = { .status = PHASE_PENDING };
	const char *names[] = { "addons" };
	ClusterKubectlSetup kubectl = { .kubectl = P("kubectl"), .kubeconfig = "/etc/kubernetes/admin.conf",
					.cache_dir = P("cache") };

	if (asprintf(&doc, "{\"kubernetes\": {\"present\": true}, \"addons\": [%s]}", addons_json) < 0 ||
	    image_info_parse(doc, strlen(doc), &image) < 0) {
		diag("image.json does not parse: %s", doc ?: "");
		return o;
	}
	AddonsSetup setup = { .event = event, .kubectl = &kubectl, .root = P("root"), .state_dir = P("state"),
			      .image = image, .wait = wait };
	if (addons_new(&setup, &addons, &problem) < 0) {
		diag("addons_new: %s", problem ?: "?");
		return o;
	}
	PhaseRunnerOptions opts = { .state_path = P("state/state.json"), .retry_min_usec = 3600 * USEC_PER_SEC };
	if (node_state_new(names, 1, &state) < 0 ||
	    phase_runner_new(event, table, 1, state, STATE_MISSING, &opts, &r) < 0 || phase_runner_start(r) < 0) {
		diag("no runner");
		return o;
	}
	const PhaseState *p = node_state_find(phase_runner_state(r), "addons");
	usec_t deadline = now(CLOCK_MONOTONIC) + 30 * USEC_PER_SEC;
	while (now(CLOCK_MONOTONIC) < deadline && (p->status == PHASE_PENDING || p->status == PHASE_RUNNING))
		if (sd_event_run(event, 50 * USEC_PER_MSEC) < 0)
			break;
	o.status = p->status;
	snprintf(o.detail, sizeof o.detail, "%s", p->detail ?: "");
	snprintf(o.error, sizeof o.error, "%s", p->last_error ?: "");
	_cleanup_json_ json_t *j = addons_status_json(addons);
	o.status_json = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	phase_runner_free(r);
	addons = addons_free(addons);
	return o;
}

static const char *log_text(void) {
	return get(P("kubectl.log"));
}

static int log_lines(void) {
	int n = 0;
	for (const char *t = log_text(); *t; t++)
		n += *t == '\n';
	return n;
}

static void test_phase(void) {
	Outcome o;
	char dir[4096];

	snprintf(dir, sizeof dir, "%s/usr/lib/kiln/addons/01-kiln-test-app", P("root"));

	/* First boot: applied and available. */
	mode("available");
	o = run_phase(APP, 0);
	is_int(o.status, PHASE_DONE, "first run: done");
	is_str(o.detail, "1 available: kiln-test-app (1 applied now, 0 at an earlier boot)", "its detail");
	char want[8192];
	snprintf(want, sizeof want, "--kubeconfig=/etc/kubernetes/admin.conf --cache-dir=%s --request-timeout=10s create namespace kiln-addon\n"
		 "--kubeconfig=/etc/kubernetes/admin.conf --cache-dir=%s --request-timeout=10s patch namespace kiln-addon --type merge "
		 "-p " PSA_RESTRICTED "\n"
		 "--kubeconfig=/etc/kubernetes/admin.conf --cache-dir=%s --request-timeout=10s apply --server-side --force-conflicts "
		 "--field-manager=kiln -n kiln-addon -f %s\n"
		 "--kubeconfig=/etc/kubernetes/admin.conf --cache-dir=%s --request-timeout=10s get "
		 "deployments.apps,daemonsets.apps,statefulsets.apps,jobs.batch -n kiln-addon -o json\n",
		 P("cache"), P("cache"), P("cache"), dir, P("cache"));
	is_str(log_text(), want, "kubectl: the namespace, its Pod Security labels (restricted), the apply of the baked directory, one look");
	ok(strstr(get(P("state/" ADDONS_RECORD_FILE)), "\"kiln-test-app\"") != NULL, "recorded as applied");
	ok(o.status_json && strstr(o.status_json, "\"step\":\"available\"") && strstr(o.status_json, "\"applied\":true"),
	   "the status: available, applied now");
	free(o.status_json);

	/* A reboot: recorded with these manifests, so only looked at. */
	mode("available");
	o = run_phase(APP, 0);
	is_int(o.status, PHASE_DONE, "second run: done");
	is_str(o.detail, "1 available: kiln-test-app (0 applied now, 1 at an earlier boot)", "found applied");
	ok(!strstr(log_text(), " apply ") && !strstr(log_text(), "create namespace") && log_lines() == 1,
	   "no namespace, no apply: one look (%d kubectl commands)", log_lines());
	free(o.status_json);

	/* Recorded, but its workloads are gone: applied again (the namespace is there now). */
	mode("gone");
	o = run_phase(APP, 0);
	is_int(o.status, PHASE_DONE, "workloads gone: done");
	ok(strstr(log_text(), " apply --server-side") && strstr(log_text(), "create namespace kiln-addon") &&
	   strstr(log_text(), "patch namespace kiln-addon") && log_lines() == 5,
	   "applied again: a look, the namespace, its labels, the apply, a look (%d kubectl commands)", log_lines());
	free(o.status_json);

	/* Never available: the deadline (1 s here) fails the phase, naming the workload. */
	(void) unlink(P("state/" ADDONS_RECORD_FILE));
	mode("pending");
	o = run_phase(APP "," STUCK, USEC_PER_SEC);
	is_int(o.status, PHASE_FAILED, "never available: failed");
	ok(strneq(o.error, "addon kiln-test-app: not available after 1s: Deployment kiln-addon/app: 0/2 available "
		  "(Available=False MinimumReplicasUnavailable: Deployment does not have minimum availability.; Progressing=True "
		  "ReplicaSetUpdated: ReplicaSet \"app-", 176) && strstr(o.error, "(and 3 more)"),
	   "lastError names the addon, the wait, the workload and its conditions: %s", o.error);
	ok(!strstr(log_text(), "kiln-stuck"), "the addon after it was not started");
	ok(o.status_json && strstr(o.status_json, "\"name\":\"kiln-stuck\"") &&
	   strstr(o.status_json, "\"step\":\"pending\"") && strstr(o.status_json, "\"step\":\"failed\""),
	   "the status: the first failed, the second pending");
	ok(!strstr(get(P("state/" ADDONS_RECORD_FILE)), "kiln-test-app"), "not recorded");
	free(o.status_json);

	/* The second addon's Job failed: the phase fails at once, the first recorded. */
	mode("available");
	o = run_phase(APP "," STUCK, 0);
	is_int(o.status, PHASE_FAILED, "a failed Job: failed");
	ok(strneq(o.error, "addon kiln-stuck: Job kiln-stuck/broken: failed, 0/1 succeeded (FailureTarget=True "
		  "BackoffLimitExceeded", 90), "named: %s", o.error);
	ok(strstr(get(P("state/" ADDONS_RECORD_FILE)), "\"kiln-test-app\"") && !strstr(get(P("state/" ADDONS_RECORD_FILE)),
	   "\"kiln-stuck\""), "the first addon recorded, not the second");
	ok(strstr(log_text(), " patch namespace kiln-stuck --type merge -p " PSA_PRIVILEGED "\n") != NULL,
	   "the second addon's namespace labelled privileged, with the profile's reason as its annotation");
	free(o.status_json);

	/* kubectl apply refused: kubectl's words. */
	(void) unlink(P("state/" ADDONS_RECORD_FILE));
	mode("apply-wrong");
	o = run_phase(APP, 0);
	is_int(o.status, PHASE_FAILED, "apply refused: failed");
	snprintf(want, sizeof want, "addon kiln-test-app: kubectl apply -f %s failed (exit status 1): error: the namespace "
		 "from the provided object \"default\" does not match the namespace \"kiln-addon\". You must pass "
		 "'--namespace=default' to perform this operation.", dir);
	is_str(o.error, want, "lastError is kubectl's error line");
	free(o.status_json);

	/* The labels refused: the phase fails before anything of the addon is applied. */
	(void) unlink(P("state/" ADDONS_RECORD_FILE));
	mode("patch-refused");
	o = run_phase(APP, 0);
	is_int(o.status, PHASE_FAILED, "labels refused: failed");
	is_str(o.error, "addon kiln-test-app: kubectl patch namespace kiln-addon (Pod Security labels): Error from server "
	       "(Forbidden): namespaces \"kiln-addon\" is forbidden", "lastError names the step and kubectl's words");
	ok(!strstr(log_text(), " apply "), "nothing applied");
	free(o.status_json);

	/* An addon in kube-system: exempt, so its namespace is not labelled. */
	(void) unlink(P("state/" ADDONS_RECORD_FILE));
	mode("available");
	o = run_phase(SYSTEM_APP, 0);
	ok(!strstr(log_text(), "patch namespace"), "kube-system is not labelled");
	free(o.status_json);

	/* A manifest that cannot be read: said before anything runs. */
	unlink(P("root/usr/lib/kiln/addons/02-kiln-stuck/01-stuck.yaml"));
	_cleanup_(image_info_freep) ImageInfo *image = NULL;
	_cleanup_free_ char *problem = NULL;
	const char *doc = "{\"kubernetes\": {\"present\": true}, \"addons\": [" APP "," STUCK "]}";
	ClusterKubectlSetup kubectl = { .kubectl = P("kubectl"), .kubeconfig = "/etc/kubernetes/admin.conf" };
	ok(image_info_parse(doc, strlen(doc), &image) == 0, "an image whose manifest is gone");
	AddonsSetup setup = { .event = event, .kubectl = &kubectl, .root = P("root"), .state_dir = P("state"), .image = image };
	is_int(addons_new(&setup, &addons, &problem), -ENOENT, "addons_new: -ENOENT");
	ok(problem && strstr(problem, "02-kiln-stuck/01-stuck.yaml: No such file or directory"), "said which: %s",
	   problem ?: "");
}

int main(void) {
	static const char *const app[] = { "01-app.yaml", "02-agent.yaml", "03-migrate.json" };
	char fixtures[4096];
	sigset_t mask;

	/* The stand-ins are shell scripts: they run under the doubles' profiles. */
	char security_dir[4096];
	(void) snprintf(security_dir, sizeof security_dir, "%s/tests/doubles/security", tap_srcdir());
	helper_security_set_dir(security_dir);
	log_set_max_level(LOG_CRIT);
	T = tap_mkdtemp();
	if (!T)
		skip_all("no temporary directory");
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || sd_event_new(&event) < 0)
		skip_all("no event loop");
	snprintf(fixtures, sizeof fixtures, "%s/tests/unit/data/cluster", tap_srcdir());
	setenv("KILN_TEST_FIXTURES", fixtures, 1);
	setenv("KILN_TEST_DIR", T, 1);
	put(P("kubectl"), kubectl_body);
	(void) chmod(P("kubectl"), 0755);
	mkdir(P("state"), 0755);
	for (size_t i = 0; i < ELEMENTSOF(app); i++)
		copy_fixture("01-kiln-test-app", app[i]);
	copy_fixture("02-kiln-stuck", "01-stuck.yaml");

	test_phase();

	event = sd_event_unref(event);
	(void) rm_rf(T);
	free(T);
	return done_testing();
}
