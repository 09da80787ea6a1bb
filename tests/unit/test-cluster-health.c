/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the supervisor reads out of kubectl's answers (supervisor/cluster-health.c,
 * cluster-corefile.c), on real answers: tests/unit/data/cluster holds the output of
 * kubectl v1.37.2 against a real kube-apiserver, with the objects kubeadm's own init
 * phases created (make-fixtures.sh there says how, and which statuses were written the
 * way a kubelet writes them). Three moments: "forming" (right after init: the node not
 * Ready, CoreDNS unschedulable, kube-proxy pending), "ready", "degraded" (one CoreDNS pod
 * in CrashLoopBackOff), and kubectl's failures (/readyz with etcd down, the API refusing
 * connections, no kubeconfig). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-corefile.h"
#include "cluster-health.h"
#include "cluster-fixtures.h"
#include "fileio.h"
#include "json-util.h"
#include "tap.h"

static int fixture_rc(const char *name) {
	char rc[128];
	_cleanup_free_ char *t = NULL;

	snprintf(rc, sizeof rc, "%s.rc", name);
	t = fixture(rc);
	return atoi(t);
}

static void test_readyz(void) {
	_cleanup_free_ char *ok_out = fixture("readyz.txt"), *down = fixture("readyz-etcd-down.txt.err"),
			    *refused = fixture("readyz-refused.txt.err"), *nokc = fixture("no-kubeconfig.txt.err");
	char *d = NULL;

	is_int(cluster_readyz_parse(fixture_rc("readyz.txt"), ok_out, "", &d), 1, "/readyz: ok (exit 0, \"ok\")");
	ok(d == NULL, "no detail when ok");
	is_int(cluster_readyz_parse(fixture_rc("readyz-etcd-down.txt"), "", down, &d), 0, "etcd down: not ready");
	is_str(d, "/readyz: etcd, etcd-readiness failed", "the failing checks, named from the 500's body");
	d = mfree_str(d);
	is_int(cluster_readyz_parse(fixture_rc("readyz-refused.txt"), "", refused, &d), 0, "API down: not ready");
	is_str(d, "The connection to the server 127.0.0.1:36443 was refused - did you specify the right host or port?",
	       "kubectl's own words");
	d = mfree_str(d);
	is_int(cluster_readyz_parse(fixture_rc("no-kubeconfig.txt"), "", nokc, &d), 0, "no kubeconfig: not ready");
	is_str(d, "error: stat /tmp/kiln-fixtures/missing.conf: no such file or directory", "kubectl's line");
	d = mfree_str(d);
	is_int(cluster_readyz_parse(0, "okay", "", &d), 0, "exit 0 but not \"ok\": not ready");
	is_str(d, "/readyz did not say ok", "said so");
	d = mfree_str(d);
	is_int(cluster_readyz_parse(-ETIMEDOUT, "", "", &d), 0, "a kubectl killed at its deadline");
	ok(d && strstr(d, "status"), "its status is named: %s", d ?: "(null)");
	free(d);
}

static void test_node(void) {
	_cleanup_free_ char *forming = fixture("forming-nodes.json"), *ready = fixture("ready-nodes.json");
	char *d = NULL;
	int r = -1;

	is_int(cluster_node_parse(forming, "kiln-node-1", &r, &d), 0, "forming: the node is found");
	is_int(r, 0, "and not Ready");
	is_str(d, "KubeletNotReady: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
	       "message:Network plugin returns error: cni plugin not initialized", "the Ready condition's reason and message");
	d = mfree_str(d);
	is_int(cluster_node_parse(ready, "kiln-node-1", &r, &d), 0, "ready: found");
	is_int(r, 1, "and Ready");
	is_str(d, "KubeletReady: kubelet is posting ready status", "its reason");
	d = mfree_str(d);
	r = 7;
	is_int(cluster_node_parse(ready, "other-node", &r, &d), -ENOENT, "another node's name: -ENOENT");
	ok(r == 7 && !d, "outputs untouched");
	is_int(cluster_node_parse("{\"kind\": \"Status\"}", "kiln-node-1", &r, &d), -EBADMSG, "not a list: -EBADMSG");
	is_int(cluster_node_parse("not json", "kiln-node-1", &r, &d), -EBADMSG, "not JSON: -EBADMSG");
	is_int(cluster_node_parse("{\"items\": [{\"metadata\": {\"name\": \"n\"}}]}", "n", &r, &d), 0,
	       "a node without status");
	ok(r == 0 && d && streq(d, "no Ready condition yet"), "is not Ready, and says why");
	free(d);
}

static const ClusterWorkload *find(ClusterWorkload *w, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (streq(w[i].name, name))
			return &w[i];
	return NULL;
}

static void test_workloads(void) {
	static const struct {
		const char *file;
		bool dns_ok, proxy_ok;
		long dns_available, proxy_available;
	} cases[] = {
		{ "forming-workloads.json",  false, false, 0, 0 },
		{ "ready-workloads.json",    true,  true,  2, 1 },
		{ "degraded-workloads.json", false, true,  1, 1 },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *json = fixture(cases[i].file);
		ClusterWorkload *w = NULL;
		size_t n = 0;

		ok(cluster_workloads_parse(json, &w, &n) == 0, "%s parses", cases[i].file);
		ok(n == 2, "%s: a Deployment and a DaemonSet", cases[i].file);
		const ClusterWorkload *dns = find(w, n, "coredns"), *proxy = find(w, n, "kube-proxy");
		ok(dns && streq(dns->kind, "Deployment") && dns->desired == 2 && dns->available == cases[i].dns_available &&
		   dns->available_all == cases[i].dns_ok,
		   "%s: coredns %ld/%ld, %s", cases[i].file, dns ? dns->available : -1, dns ? dns->desired : -1,
		   cases[i].dns_ok ? "available" : "not available");
		ok(proxy && streq(proxy->kind, "DaemonSet") && proxy->desired == 1 &&
		   proxy->available == cases[i].proxy_available && proxy->available_all == cases[i].proxy_ok,
		   "%s: kube-proxy %ld/%ld", cases[i].file, proxy ? proxy->available : -1, proxy ? proxy->desired : -1);
		cluster_workloads_free(w, n);
	}

	/* A rollout in progress (rollout restart): the status is of an older generation, or
	 * old replicas are still there: not available, whatever availableReplicas says. */
	ClusterWorkload *w = NULL;
	size_t n = 0;
	is_int(cluster_workloads_parse("{\"items\": [{\"kind\": \"Deployment\", \"metadata\": {\"name\": \"coredns\", \"generation\": 3},"
				       " \"spec\": {\"replicas\": 2}, \"status\": {\"observedGeneration\": 2, \"replicas\": 2,"
				       " \"updatedReplicas\": 2, \"availableReplicas\": 2}},"
				       " {\"kind\": \"Deployment\", \"metadata\": {\"name\": \"surge\", \"generation\": 3},"
				       " \"spec\": {\"replicas\": 2}, \"status\": {\"observedGeneration\": 3, \"replicas\": 3,"
				       " \"updatedReplicas\": 2, \"availableReplicas\": 2}},"
				       " {\"kind\": \"Deployment\", \"metadata\": {\"name\": \"one\", \"generation\": 1},"
				       " \"spec\": {}, \"status\": {\"observedGeneration\": 1, \"replicas\": 1,"
				       " \"updatedReplicas\": 1, \"availableReplicas\": 1}},"
				       " {\"kind\": \"ReplicaSet\", \"metadata\": {\"name\": \"x\"}}]}", &w, &n), 0,
	       "hand-made rollouts parse");
	is_int(n, 3, "kinds that were not asked for are left out");
	ok(n == 3 && !w[0].available_all, "a status of an older generation is not trusted");
	ok(n == 3 && !w[1].available_all, "an old replica still there: not rolled out");
	ok(n == 3 && w[2].available_all && w[2].desired == 1, "spec.replicas defaults to 1");
	cluster_workloads_free(w, n);
	is_int(cluster_workloads_parse("{\"items\": [{\"metadata\": {\"name\": \"x\"}}]}", &w, &n), -EBADMSG,
	       "an item without a kind: -EBADMSG");
}

static void test_pods(void) {
	_cleanup_free_ char *forming = fixture("forming-pods.json"), *ready = fixture("ready-pods.json"),
			    *degraded = fixture("degraded-pods.json");
	ClusterPod *p = NULL;
	size_t n = 0, total = 0;

	is_int(cluster_pods_parse(ready, &p, &n, &total), 0, "ready pods parse");
	ok(n == 0 && total == 3, "ready: none of the 3 is listed (%zu of %zu)", n, total);
	cluster_pods_free(p, n);

	is_int(cluster_pods_parse(forming, &p, &n, &total), 0, "forming pods parse");
	is_int(n, 3, "forming: all three are not running");
	for (size_t i = 0; i < n; i++) {
		bool dns = strneq(p[i].name, "coredns-", 8);
		ok(streq(p[i].phase, "Pending") &&
		   (dns ? strneq(p[i].reason, "Unschedulable: 0/1 nodes are available: 1 node(s) had untolerated taint",
				 strlen("Unschedulable: 0/1 nodes are available: 1 node(s) had untolerated taint"))
			: streq(p[i].reason, "Pending")),
		   "%s: %s, %s", p[i].name, p[i].phase, p[i].reason);
	}
	cluster_pods_free(p, n);

	is_int(cluster_pods_parse(degraded, &p, &n, &total), 0, "degraded pods parse");
	is_int(n, 1, "degraded: one pod listed");
	ok(n == 1 && strneq(p[0].name, "coredns-", 8) && streq(p[0].phase, "Running") &&
	   strneq(p[0].reason, "CrashLoopBackOff: back-off 2m40s restarting failed container=coredns", 68),
	   "the crashing CoreDNS pod: Running, and why it is not ready: %s", n ? p[0].reason : "");
	cluster_pods_free(p, n);

	is_int(cluster_pods_parse("{\"items\": [{\"metadata\": {\"name\": \"job\"}, \"status\": {\"phase\": \"Succeeded\"}},"
				  " {\"metadata\": {\"name\": \"evicted\"}, \"status\": {\"phase\": \"Failed\", \"reason\": \"Evicted\","
				  " \"message\": \"The node was low on resource: memory.\"}}]}", &p, &n, &total), 0,
	       "hand-made pods parse");
	ok(n == 1 && streq(p[0].name, "evicted") && streq(p[0].reason, "Evicted: The node was low on resource: memory."),
	   "a finished pod is fine; an evicted one says so");
	cluster_pods_free(p, n);
}

/* The answers of one moment; the degraded one has the ready node. */
static void fill(ClusterHealth *h, const char *moment) {
	char name[64];
	_cleanup_free_ char *nodes = NULL, *workloads = NULL, *pods = NULL;

	h->checked = 1700000000ULL * USEC_PER_SEC;
	h->api = 1;
	h->api_detail = strdup("ok");
	snprintf(name, sizeof name, "%s-nodes.json", streq(moment, "degraded") ? "ready" : moment);
	nodes = fixture(name);
	(void) cluster_node_parse(nodes, h->node_name, &h->node_ready, &h->node_detail);
	snprintf(name, sizeof name, "%s-workloads.json", moment);
	workloads = fixture(name);
	h->workloads_known = cluster_workloads_parse(workloads, &h->workloads, &h->n_workloads) >= 0;
	snprintf(name, sizeof name, "%s-pods.json", moment);
	pods = fixture(name);
	h->pods_known = cluster_pods_parse(pods, &h->pods, &h->n_pods, &h->n_pods_total) >= 0;
}

static void test_health(void) {
	ClusterHealth h = CLUSTER_HEALTH_INIT;
	char *missing = NULL, *summary = NULL;

	h.node_name = strdup("kiln-node-1");
	is_int(cluster_health_ready(&h, true, true, &missing), 0, "nothing asked yet: not ready");
	is_str(missing, "API server: not asked yet", "and says so");
	missing = mfree_str(missing);
	ok(json_is_null(cluster_health_to_json(&h)), "nothing checked: the status document says null");

	fill(&h, "forming");
	is_int(cluster_health_ready(&h, true, true, &missing), 0, "forming: not ready");
	ok(missing && strneq(missing, "node kiln-node-1: KubeletNotReady", 33), "the node comes first: %s", missing ?: "");
	missing = mfree_str(missing);
	is_int(cluster_health_summary(&h, &summary), 0, "a summary");
	is_str(summary, "API ok, node kiln-node-1 NotReady, kube-system 0/2 workloads available, 3/3 pods not ready",
	       "forming, in one line");
	summary = mfree_str(summary);
	cluster_health_reset(&h);

	/* The ready node's pods list is the ready one, but the degraded workloads. */
	fill(&h, "ready");
	is_int(cluster_health_ready(&h, true, true, &missing), 1, "ready: ready");
	ok(!missing, "nothing missing");
	is_int(cluster_health_summary(&h, &summary), 0, "a summary");
	is_str(summary, "API ok, node kiln-node-1 Ready, kube-system 2/2 workloads available, 0/3 pods not ready", "ready");
	summary = mfree_str(summary);

	_cleanup_json_ json_t *j = cluster_health_to_json(&h);
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	ok(text && strstr(text, "\"apiServer\":{\"detail\":\"ok\",\"ok\":true}") &&
	   strstr(text, "\"checked\":\"2023-11-14T22:13:20.000Z\"") &&
	   strstr(text, "\"node\":{\"detail\":\"KubeletReady: kubelet is posting ready status\",\"name\":\"kiln-node-1\",\"ready\":true}") &&
	   strstr(text, "\"podsNotReady\":[]") && strstr(text, "\"podsTotal\":3") &&
	   strstr(text, "{\"available\":2,\"desired\":2,\"kind\":\"Deployment\",\"name\":\"coredns\",\"ok\":true}"),
	   "the status document's cluster object: %s", text ?: "(null)");

	is_int(cluster_health_ready(&h, true, true, NULL), 1, "ready again (no output needed)");
	/* Without kube-proxy's DaemonSet in the list, a proxy that is wanted is missing. */
	free(h.workloads[1].name);
	h.workloads[1].name = strdup("something-else");
	is_int(cluster_health_ready(&h, true, true, &missing), 0, "kube-proxy missing: not ready");
	is_str(missing, "no DaemonSet kube-proxy", "named");
	missing = mfree_str(missing);
	is_int(cluster_health_ready(&h, true, false, &missing), 1, "unless the configuration disables the proxy");
	cluster_health_reset(&h);

	fill(&h, "degraded");
	is_int(cluster_health_ready(&h, true, true, &missing), 0, "degraded: not ready");
	is_str(missing, "Deployment coredns 1/2 available", "which workload");
	missing = mfree_str(missing);

	h.api = 0;
	free(h.api_detail);
	h.api_detail = strdup("/readyz: etcd failed");
	is_int(cluster_health_ready(&h, true, true, &missing), 0, "API not ready");
	is_str(missing, "API server: /readyz: etcd failed", "the API comes first");
	free(missing);
	cluster_health_done(&h);
	ok(h.node_name == NULL && h.workloads == NULL && h.api == -1, "done frees and forgets");
}

static void test_adopt(void) {
	_cleanup_free_ char *complete = fixture("adopt-complete.txt"), *incomplete = fixture("adopt-incomplete.txt");
	char *missing = NULL;

	is_int(cluster_adopt_parse(complete, true, true, &missing), 1, "kubeadm-config and both addons: init had finished");
	ok(!missing, "nothing missing");
	is_int(cluster_adopt_parse(incomplete, true, true, &missing), 0, "CoreDNS missing: init had not finished");
	is_str(missing, "deployment.apps/coredns", "named");
	missing = mfree_str(missing);
	is_int(cluster_adopt_parse(incomplete, false, true, &missing), 1, "unless DNS is disabled in the configuration");
	is_int(cluster_adopt_parse("", true, true, &missing), 0, "nothing at all");
	is_str(missing, "configmap/kubeadm-config, deployment.apps/coredns, daemonset.apps/kube-proxy", "all three named");
	missing = mfree_str(missing);
	is_int(cluster_adopt_parse("configmap/kubeadm-config-old\ndeployment.apps/coredns\ndaemonset.apps/kube-proxy", true,
				   true, &missing), 0, "a name is matched whole");
	free(missing);
}

static void test_corefile(void) {
	_cleanup_free_ char *cm = fixture("coredns-configmap.json"), *current = NULL, *patch = NULL;

	is_int(cluster_corefile_from_configmap(cm, &current), 0, "kubeadm's coredns ConfigMap has a Corefile");
	ok(current && strstr(current, "forward . /etc/resolv.conf"), "kubeadm's own forwards to the node's resolvers");
	is_int(cluster_corefile_from_configmap("{\"kind\": \"ConfigMap\", \"data\": {}}", &current), -ENOENT,
	       "a ConfigMap without one: -ENOENT");
	is_int(cluster_corefile_from_configmap("{\"kind\": \"Status\"}", &current), -EBADMSG, "not a ConfigMap: -EBADMSG");
	is_int(cluster_corefile_patch(".:53 {\n    errors\n}\n", &patch), 0, "the patch");
	is_str(patch, "{\"data\":{\"Corefile\":\".:53 {\\n    errors\\n}\\n\"}}", "a merge patch of data.Corefile, JSON-escaped");
}

int main(void) {
	test_readyz();
	test_node();
	test_workloads();
	test_pods();
	test_health();
	test_adopt();
	test_corefile();
	return done_testing();
}
