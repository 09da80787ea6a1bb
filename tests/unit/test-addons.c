/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The addons phase's pieces that decide (supervisor/addons-*.c, lib/manifest-objects.c):
 * the manifest reader (which workloads a manifest defines, in which namespace), the plan
 * of a baked addon, the wait's verdict on real `kubectl get -o json` answers, the
 * record of what was applied, the step table, and image.json's addons list.
 *
 * The manifests are tests/unit/data/cluster/addon/, and the answers the ones a real
 * kube-apiserver gave for them (make-fixtures.sh there: "pending" with the controllers'
 * own statuses, "available" and "stuck" as the controllers write them once the pods ran,
 * failed or timed out). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons-plan.h"
#include "addons-record.h"
#include "addons-table.h"
#include "addons-wait.h"
#include "cluster-fixtures.h"
#include "fileio.h"
#include "image-info.h"
#include "json-util.h"
#include "manifest-objects.h"
#include "strv.h"
#include "tap.h"
#include "tmpdir-files.h"

/* "Kind namespace/name" of each target, comma-separated. */
static char *targets_text(const AddonTarget *t, size_t n) {
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);

	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%s%s %s/%s", i ? ", " : "", t[i].kind, t[i].namespace, t[i].name);
	if (f)
		fclose(f);
	return s;
}

static void test_objects(void) {
	ManifestObject *o = NULL;
	_cleanup_free_ char *error = NULL;
	size_t n = 0;

	/* Two documents, the second a typed list whose items carry no kind. */
	const char *text = "# c\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\n---\n"
			   "kind: PodList\nitems:\n- metadata: {name: p}\n- metadata: {name: q}\n  apiVersion: v1\n";
	is_int(manifest_objects_parse(text, strlen(text), "t.yaml", &o, &n, &error), 0, "objects: parses");
	is_int(n, 3, "the ConfigMap and the PodList's two items; empty documents skipped");
	ok(n == 3 && streq(o[0].kind, "ConfigMap") && streq(o[0].api_version, "v1") && streq(o[0].name, "a") &&
	   streq(o[0].namespace, "x") && o[0].line == 3, "ConfigMap x/a, apiVersion v1, line 3");
	ok(n == 3 && streq(o[1].kind, "Pod") && !o[1].api_version && streq(o[1].name, "p") && !o[1].namespace,
	   "a typed list's item is of the list's item kind, without apiVersion or namespace");
	ok(n == 3 && manifest_object_is(&o[1], "", "Pod") && manifest_object_is(&o[2], "", "Pod") &&
	   !manifest_object_is(&o[0], "apps", "ConfigMap"), "manifest_object_is() checks group and kind");
	manifest_objects_free(o, n);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "kind: Deployment\nmetadata: [a]\n", "t.yaml:2:11: Deployment: metadata is not a mapping" },
		{ "kind: Deployment\nmetadata: {name: 12}\n", "t.yaml:2:18: metadata.name is not a string" },
		{ "kind: Deployment\nmetadata: {name: a, namespace: true}\n", "metadata.namespace is not a string" },
		{ "metadata: {name: a}\n", "t.yaml:1:1: object without a kind" },
		{ "kind: List\nitems: [3]\n", "t.yaml:2:9: List item is not a mapping" },
		{ "kind: x\n  y: z\n", "t.yaml:2:4: YAML syntax error" },
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		error = mfree_str(error);
		o = NULL;
		n = 0;
		int r = manifest_objects_parse(bad[i].text, strlen(bad[i].text), "t.yaml", &o, &n, &error);
		ok(r == -EBADMSG && error && strstr(error, bad[i].want) && !o, "refused: %s (%s)", bad[i].want, error ?: "no error");
	}
}

static void test_reader(void) {
	static const char *const files[] = { "01-app.yaml", "02-agent.yaml", "03-migrate.json" };
	_cleanup_free_ char *got = NULL, *error = NULL;
	AddonTarget *t = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(files) && r >= 0; i++) {
		char name[128];
		snprintf(name, sizeof name, "addon/01-kiln-test-app/%s", files[i]);
		_cleanup_free_ char *text = fixture(name);
		r = addon_targets_read(text, strlen(text), files[i], "kiln-addon", &t, &n, &error);
	}
	is_int(r, 0, "the fixture addon's three manifests read");
	got = targets_text(t, n);
	is_str(got, "Deployment kiln-addon/app, DaemonSet kiln-addon/agent, StatefulSet kiln-addon/db, Job kiln-addon/migrate",
	       "its workloads in order: Services left out, a List's StatefulSet found, the JSON Job found, "
	       "namespaces the addon's unless given");

	/* What is not a workload to wait for. */
	const char *other = "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: vc}\n---\n"
			    "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\n---\n"
			    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\n---\n"
			    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: elsewhere, namespace: other}\n";
	r = addon_targets_read(other, strlen(other), "other.yaml", "kiln-addon", &t, &n, &error);
	is_int(r, 0, "a manifest of other kinds reads");
	ok(n == 5 && streq(t[4].name, "elsewhere") && streq(t[4].namespace, "other"),
	   "only the apps/v1 Deployment is added, in its own namespace (a custom Job, a ReplicaSet, a CronJob are not)");

	/* Failures leave the list as it was. */
	const char *noname = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {generateName: x-}\n";
	r = addon_targets_read(noname, strlen(noname), "noname.yaml", "kiln-addon", &t, &n, &error);
	ok(r == -EBADMSG && n == 5 && error && streq(error, "noname.yaml:1:1: DaemonSet without metadata.name"),
	   "a workload without a name: -EBADMSG, said so (%s), nothing added", error ?: "");
	error = mfree_str(error);
	r = addon_targets_read("kind: [", 7, "broken.yaml", "kiln-addon", &t, &n, &error);
	ok(r == -EBADMSG && n == 5 && error && strneq(error, "broken.yaml:", 12), "not YAML: -EBADMSG with the place");
	is_int(addon_targets_read("", 0, "empty.yaml", "kiln-addon", &t, &n, NULL), 0, "an empty manifest: nothing");
	is_int(n, 5, "nothing added");
	addon_targets_free(t, n);
}

static void test_plan(void) {
	_cleanup_free_ char *root = NULL, *problem = NULL, *d1 = NULL;
	char *manifests[] = { (char *) "/usr/lib/kiln/addons/01-a/01-app.yaml", (char *) "/usr/lib/kiln/addons/01-a/02-job.yaml",
			      NULL };
	ImageInfoAddon ia = { .name = (char *) "a", .version = (char *) "1", .namespace = (char *) "ns",
			      .directory = (char *) "/usr/lib/kiln/addons/01-a", .manifests = manifests };
	AddonPlan p = {};

	root = strdup(T);
	mkdir(P("usr"), 0755);
	mkdir(P("usr/lib"), 0755);
	mkdir(P("usr/lib/kiln"), 0755);
	mkdir(P("usr/lib/kiln/addons"), 0755);
	mkdir(P("usr/lib/kiln/addons/01-a"), 0755);
	put(P("usr/lib/kiln/addons/01-a/01-app.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n");
	put(P("usr/lib/kiln/addons/01-a/02-job.yaml"), "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n");
	is_int(addon_plan_load(root, &ia, &p, &problem), 0, "plan: loads");
	ok(p.directory && streq(p.directory, P("usr/lib/kiln/addons/01-a")), "the directory is below the root");
	ok(p.n_targets == 2 && streq(p.targets[1].kind, "Job") && streq(p.targets[1].namespace, "ns"), "two targets");
	ok(p.digest && strneq(p.digest, "sha256:", 7) && strlen(p.digest) == 7 + 64, "a sha256 digest: %s", p.digest ?: "");
	d1 = p.digest ? strdup(p.digest) : NULL;
	addon_plan_done(&p);
	is_int(addon_plan_load(root, &ia, &p, &problem), 0, "loads again");
	ok(d1 && p.digest && streq(d1, p.digest), "the same manifests: the same digest");
	addon_plan_done(&p);
	put(P("usr/lib/kiln/addons/01-a/02-job.yaml"), "apiVersion: batch/v1\nkind: Job\nmetadata: {name: k}\n");
	is_int(addon_plan_load(root, &ia, &p, &problem), 0, "a changed manifest loads");
	ok(d1 && p.digest && !streq(d1, p.digest), "another digest");
	addon_plan_done(&p);
	unlink(P("usr/lib/kiln/addons/01-a/02-job.yaml"));
	is_int(addon_plan_load(root, &ia, &p, &problem), -ENOENT, "a missing manifest: -ENOENT");
	ok(problem && strstr(problem, "02-job.yaml") && strstr(problem, "No such file"), "said which: %s", problem ?: "");
	problem = mfree_str(problem);
	put(P("usr/lib/kiln/addons/01-a/02-job.yaml"), "kind: Job\n  x: [\n");
	is_int(addon_plan_load(root, &ia, &p, &problem), -EBADMSG, "a manifest that is not YAML: -EBADMSG");
	ok(problem && strstr(problem, "/usr/lib/kiln/addons/01-a/02-job.yaml:2:"), "with its place: %s", problem ?: "");
}

static AddonTarget *targets_of(const char *kinds_names, const char *ns, size_t *ret_n) {
	_cleanup_free_ char *copy = strdup(kinds_names);
	AddonTarget *t = calloc(16, sizeof *t);
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(copy, " ", &save); w && n < 16; w = strtok_r(NULL, " ", &save)) {
		char *slash = strchr(w, '/');
		*slash = '\0';
		t[n].kind = strdup(w);
		t[n].name = strdup(slash + 1);
		t[n].namespace = strdup(ns);
		n++;
	}
	*ret_n = n;
	return t;
}

/* The verdict and the detail for the targets on the fixture's answer. */
static void expect_verdict(const char *file, const char *targets, const char *ns, AddonVerdict want,
			   const char *want_detail) {
	_cleanup_free_ char *json = fixture(file), *detail = NULL;
	AddonSeen *s = NULL;
	AddonVerdict v = _ADDON_VERDICT_MAX;
	size_t n = 0;
	AddonTarget *t = targets_of(targets, ns, &n);
	int r = addons_wait_read(json, t, n, &s);

	if (r >= 0)
		r = addons_wait_verdict(s, n, &v, &detail);
	ok(r == 0 && v == want && (want_detail ? detail && strstr(detail, want_detail) : !detail),
	   "%s, %s: verdict %d (want %d), detail \"%s\"", file, targets, (int) v, (int) want, detail ?: "(none)");
	addons_seen_free(s, n);
	addon_targets_free(t, n);
}

static void test_wait(void) {
	const char *all = "Deployment/app DaemonSet/agent StatefulSet/db Job/migrate";

	expect_verdict("addon-pending.json", all, "kiln-addon", ADDON_VERDICT_WAITING,
		       "Deployment kiln-addon/app: 0/2 available (Available=False MinimumReplicasUnavailable: Deployment does "
		       "not have minimum availability.; Progressing=True ReplicaSetUpdated: ReplicaSet \"app-");
	expect_verdict("addon-pending.json", all, "kiln-addon", ADDON_VERDICT_WAITING, "(and 3 more)");
	expect_verdict("addon-pending.json", "DaemonSet/agent", "kiln-addon", ADDON_VERDICT_WAITING,
		       "DaemonSet kiln-addon/agent: 0/1 available");
	expect_verdict("addon-pending.json", "StatefulSet/db", "kiln-addon", ADDON_VERDICT_WAITING,
		       "StatefulSet kiln-addon/db: 0/1 ready");
	expect_verdict("addon-pending.json", "Job/migrate", "kiln-addon", ADDON_VERDICT_WAITING,
		       "Job kiln-addon/migrate: 0/1 succeeded");
	expect_verdict("addon-available.json", all, "kiln-addon", ADDON_VERDICT_AVAILABLE, NULL);
	expect_verdict("addon-available.json", "Deployment/app Deployment/gone", "kiln-addon", ADDON_VERDICT_MISSING,
		       "Deployment kiln-addon/gone: not found");
	expect_verdict("addon-available.json", "Deployment/app", "other", ADDON_VERDICT_MISSING,
		       "Deployment other/app: not found");
	expect_verdict("addon-none.json", "Job/migrate", "kiln-addon", ADDON_VERDICT_MISSING, "not found");
	expect_verdict("addon-none.json", "", "kiln-addon", ADDON_VERDICT_AVAILABLE, NULL);
	expect_verdict("addon-stuck.json", "Deployment/stuck", "kiln-stuck", ADDON_VERDICT_WAITING,
		       "Deployment kiln-stuck/stuck: 0/1 available (Available=False MinimumReplicasUnavailable: Deployment "
		       "does not have minimum availability.; Progressing=False ProgressDeadlineExceeded: ReplicaSet \"stuck-");
	expect_verdict("addon-stuck.json", "Deployment/stuck Job/broken", "kiln-stuck", ADDON_VERDICT_FAILED,
		       "Job kiln-stuck/broken: failed, 0/1 succeeded (FailureTarget=True BackoffLimitExceeded: Job has reached "
		       "the specified backoff limit; Failed=True BackoffLimitExceeded: Job has reached the specified backoff limit) "
		       "(and 1 more)");

	AddonSeen *s = NULL;
	is_int(addons_wait_read("{\"kind\": \"Status\"}", NULL, 0, &s), -EBADMSG, "not a list: -EBADMSG");
	is_int(addons_wait_read("", NULL, 0, &s), -EBADMSG, "nothing: -EBADMSG");

	/* The status document's view. */
	_cleanup_free_ char *json = fixture("addon-available.json");
	size_t n = 0;
	AddonTarget *t = targets_of("Deployment/app Job/nope", "kiln-addon", &n);
	ok(addons_wait_read(json, t, n, &s) == 0, "read for the status");
	_cleanup_json_ json_t *j = s ? addons_seen_to_json(s, n) : NULL;
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	ok(text && strstr(text, "{\"available\": 2") == NULL && strstr(text, "\"available\":2,") &&
	   strstr(text, "\"found\":false") && strstr(text, "\"kind\":\"Job\""), "each workload, found or not: %s",
	   text ?: "");
	addons_seen_free(s, n);
	addon_targets_free(t, n);
}

/* The kinds' rules beyond what the fixtures show: rollouts under way, partitions. */
static void test_rules(void) {
	ClusterWorkload *w = NULL;
	size_t n = 0;
	const char *json = "{\"kind\": \"List\", \"items\": ["
		/* a template change not yet rolled out to every pod */
		"{\"kind\": \"StatefulSet\", \"metadata\": {\"name\": \"rev\", \"generation\": 2},"
		" \"spec\": {\"replicas\": 2}, \"status\": {\"observedGeneration\": 2, \"readyReplicas\": 2,"
		" \"updatedReplicas\": 1, \"currentRevision\": \"rev-1\", \"updateRevision\": \"rev-2\"}},"
		/* a partition: the pods below it keep the old revision */
		"{\"kind\": \"StatefulSet\", \"metadata\": {\"name\": \"part\", \"generation\": 2},"
		" \"spec\": {\"replicas\": 3, \"updateStrategy\": {\"type\": \"RollingUpdate\", \"rollingUpdate\": {\"partition\": 2}}},"
		" \"status\": {\"observedGeneration\": 2, \"readyReplicas\": 3, \"updatedReplicas\": 1,"
		" \"currentRevision\": \"p-1\", \"updateRevision\": \"p-2\"}},"
		/* OnDelete: readiness is all there is */
		"{\"kind\": \"StatefulSet\", \"metadata\": {\"name\": \"ondelete\", \"generation\": 1},"
		" \"spec\": {\"updateStrategy\": {\"type\": \"OnDelete\"}}, \"status\": {\"observedGeneration\": 1, \"readyReplicas\": 1}},"
		/* an older generation's status */
		"{\"kind\": \"DaemonSet\", \"metadata\": {\"name\": \"old\", \"generation\": 2},"
		" \"status\": {\"observedGeneration\": 1, \"desiredNumberScheduled\": 1, \"updatedNumberScheduled\": 1, \"numberAvailable\": 1}},"
		/* a Job of 3 completions, 2 so far */
		"{\"kind\": \"Job\", \"metadata\": {\"name\": \"j\", \"namespace\": \"x\"}, \"spec\": {\"completions\": 3},"
		" \"status\": {\"succeeded\": 2}}]}";

	is_int(cluster_workloads_parse(json, &w, &n), 0, "hand-made workloads parse");
	is_int(n, 5, "all five");
	ok(n == 5 && !w[0].available_all && w[0].available == 2, "a StatefulSet still rolling out: not available");
	ok(n == 5 && w[1].available_all, "a partitioned one whose pods above the partition are updated: available");
	ok(n == 5 && w[2].available_all && w[2].desired == 1, "OnDelete, ready: available (replicas default 1)");
	ok(n == 5 && !w[3].available_all, "a DaemonSet status of an older generation: not trusted");
	ok(n == 5 && !w[4].available_all && !w[4].failed && w[4].desired == 3 && w[4].available == 2 &&
	   streq(w[4].namespace, "x") && !w[4].conditions, "a Job 2/3 succeeded, no conditions: not complete, not failed");
	cluster_workloads_free(w, n);
}

static void test_table(void) {
	static const struct {
		AddonStep from;
		AddonEvent ev;
		int r;
		AddonStep to;
	} cases[] = {
		{ ADDON_PENDING,   ADDON_EV_START,          0, ADDON_NAMESPACE },
		{ ADDON_PENDING,   ADDON_EV_START_RECORDED, 0, ADDON_LOOKING },
		{ ADDON_LOOKING,   ADDON_EV_OK,             0, ADDON_DONE },
		{ ADDON_LOOKING,   ADDON_EV_NOT_YET,        0, ADDON_LOOKING },
		{ ADDON_LOOKING,   ADDON_EV_MISSING,        0, ADDON_NAMESPACE },
		{ ADDON_NAMESPACE, ADDON_EV_OK,             0, ADDON_POD_SECURITY },
		{ ADDON_POD_SECURITY, ADDON_EV_OK,          0, ADDON_APPLYING },
		{ ADDON_POD_SECURITY, ADDON_EV_FAILED,      0, ADDON_BROKEN },
		{ ADDON_APPLYING,  ADDON_EV_OK,             0, ADDON_WAITING },
		{ ADDON_APPLYING,  ADDON_EV_FAILED,         0, ADDON_BROKEN },
		{ ADDON_WAITING,   ADDON_EV_MISSING,        0, ADDON_WAITING },
		{ ADDON_WAITING,   ADDON_EV_TIMEOUT,        0, ADDON_BROKEN },
		{ ADDON_WAITING,   ADDON_EV_OK,             0, ADDON_DONE },
		{ ADDON_BROKEN,    ADDON_EV_START,          0, ADDON_NAMESPACE },
		{ ADDON_DONE,      ADDON_EV_START_RECORDED, 0, ADDON_LOOKING },
		{ ADDON_DONE,      ADDON_EV_OK,             -ESTALE, ADDON_DONE },
		{ ADDON_NAMESPACE, ADDON_EV_NOT_YET,        -ESTALE, ADDON_DONE },
		{ ADDON_PENDING,   ADDON_EV_OK,             -ESTALE, ADDON_DONE },
		{ _ADDON_STEP_MAX, ADDON_EV_OK,             -EINVAL, ADDON_DONE },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		AddonStep next = ADDON_DONE;
		int r = addon_transition(cases[i].from, cases[i].ev, &next);
		ok(r == cases[i].r && next == cases[i].to, "%s + %s -> %s (r=%d)", addon_step_to_string(cases[i].from) ?: "?",
		   addon_event_to_string(cases[i].ev), r == 0 ? addon_step_to_string(next) : "unchanged", r);
	}
	/* No step the phase runs in can be stuck: each has a way out on failure and timeout. */
	for (AddonStep s = ADDON_LOOKING; s <= ADDON_WAITING; s++) {
		AddonStep a, b;
		ok(addon_transition(s, ADDON_EV_FAILED, &a) == 0 && a == ADDON_BROKEN &&
		   addon_transition(s, ADDON_EV_TIMEOUT, &b) == 0 && b == ADDON_BROKEN, "%s ends on failure and on timeout",
		   addon_step_to_string(s));
	}
}

static void test_record(void) {
	_cleanup_json_ json_t *rec = NULL, *again = NULL, *fresh = NULL;
	const char *path = P("state/addons-applied.json");

	is_int(addons_record_load(path, &rec), 0, "record: none yet loads empty");
	ok(rec && !addons_record_has(rec, "a", "sha256:1"), "nothing recorded");
	is_int(addons_record_put(rec, path, "a", "sha256:1", 1700000000ULL * USEC_PER_SEC), 0, "put a");
	ok(strstr(get(path), "\"applied\": \"2023-11-14T22:13:20.000Z\"") != NULL, "written with the time");
	is_int(addons_record_load(path, &again), 0, "loads again");
	ok(again && addons_record_has(again, "a", "sha256:1"), "a recorded with its digest");
	ok(again && !addons_record_has(again, "a", "sha256:2") && !addons_record_has(again, "b", "sha256:1"),
	   "another digest or another addon: not recorded");
	put(path, "{\"addons\": [1]}");
	is_int(addons_record_load(path, &fresh), 0, "a corrupt record loads empty");
	ok(fresh && !addons_record_has(fresh, "a", "sha256:1"), "and is not trusted");
	is_int(count_entries(P("state"), "addons-applied.json.corrupt-"), 1, "it was moved aside");
}

static void test_image_info(void) {
	_cleanup_(image_info_freep) ImageInfo *i = NULL;
	const char *good = "{\"kubernetes\": {\"present\": true}, \"addons\": ["
			   "{\"name\": \"a\", \"version\": \"1\", \"namespace\": \"kube-system\", \"dependsOn\": [],"
			   " \"directory\": \"/usr/lib/kiln/addons/01-a\", \"manifests\": [\"/usr/lib/kiln/addons/01-a/01-x.yaml\"]},"
			   "{\"name\": \"b\", \"namespace\": \"b\", \"dependsOn\": [\"a\"],"
			   " \"directory\": \"/usr/lib/kiln/addons/02-b\", \"manifests\": [\"/usr/lib/kiln/addons/02-b/01-y.yaml\","
			   " \"/usr/lib/kiln/addons/02-b/02-z.json\"], \"podSecurity\": {\"level\": \"privileged\", \"reason\": \"host /proc\"}}]}";

	is_int(image_info_parse(good, strlen(good), &i), 0, "image.json with two addons parses");
	ok(i && i->addons_known && i->n_addons == 2 && streq(i->addons[1].name, "b") && !i->addons[1].version &&
	   strv_length(i->addons[1].depends_on) == 1 && strv_length(i->addons[1].manifests) == 2 &&
	   streq(i->addons[0].directory, "/usr/lib/kiln/addons/01-a"), "in order, with their fields");
	ok(i && i->n_addons == 2 && streq(i->addons[0].pod_security_level, "restricted") && !i->addons[0].pod_security_reason &&
	   streq(i->addons[1].pod_security_level, "privileged") && streq_ptr(i->addons[1].pod_security_reason, "host /proc"),
	   "podSecurity: restricted without one, the level and reason as written");
	i = image_info_free(i);
	const char *none = "{\"kubernetes\": {\"present\": true}}";
	is_int(image_info_parse(none, strlen(none), &i), 0, "without addons");
	ok(i && !i->addons_known && i->n_addons == 0, "not known (an older builder)");
	i = image_info_free(i);

#define ADDON(fields) "{\"kubernetes\": {\"present\": true}, \"addons\": [" fields "]}"
#define OK_A "{\"name\": \"a\", \"namespace\": \"n\", \"directory\": \"/usr/lib/kiln/addons/01-a\", \"manifests\": [\"/usr/lib/kiln/addons/01-a/x.yaml\"]"
	static const char *const bad[] = {
		"{\"kubernetes\": {\"present\": true}, \"addons\": {}}",
		ADDON("3"),
		ADDON(OK_A ", \"dependsOn\": [\"later\"]}"),
		ADDON(OK_A "}, " OK_A "}"),
		ADDON("{\"name\": \"a\", \"namespace\": \"n\", \"directory\": \"/etc\", \"manifests\": [\"/etc/x.yaml\"]}"),
		ADDON("{\"name\": \"a\", \"namespace\": \"n\", \"directory\": \"/usr/lib/kiln/addons/01-a\", \"manifests\": []}"),
		ADDON("{\"name\": \"a\", \"namespace\": \"n\", \"directory\": \"/usr/lib/kiln/addons/01-a\","
		      " \"manifests\": [\"/usr/lib/kiln/addons/01-a/../../../../etc/shadow\"]}"),
		ADDON("{\"name\": \"a\", \"namespace\": \"n\", \"directory\": \"/usr/lib/kiln/addons/..\","
		      " \"manifests\": [\"/usr/lib/kiln/addons/../x.yaml\"]}"),
		ADDON("{\"name\": \"\", \"namespace\": \"n\", \"directory\": \"/usr/lib/kiln/addons/01-a\","
		      " \"manifests\": [\"/usr/lib/kiln/addons/01-a/x.yaml\"]}"),
		ADDON("{\"name\": \"a\", \"directory\": \"/usr/lib/kiln/addons/01-a\", \"manifests\": [\"/usr/lib/kiln/addons/01-a/x.yaml\"]}"),
		ADDON(OK_A ", \"podSecurity\": {\"level\": \"root\"}}"),
		ADDON(OK_A ", \"podSecurity\": {\"reason\": \"no level\"}}"),
		ADDON(OK_A ", \"podSecurity\": \"privileged\"}"),
	};
	for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
		int r = image_info_parse(bad[k], strlen(bad[k]), &i);
		ok(r == -EBADMSG, "refused (%d): %s", r, bad[k]);
		i = image_info_free(i);
	}
}

int main(void) {
	T = tap_mkdtemp();
	test_objects();
	test_reader();
	test_plan();
	test_wait();
	test_rules();
	test_table();
	test_record();
	test_image_info();
	rm_rf(T);
	free(T);
	return tap_done();
}
