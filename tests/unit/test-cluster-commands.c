/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cluster phase's commands on a real sd-event loop (supervisor/cluster-child.c,
 * cluster-kubeadm.c, cluster-kubectl.c, cluster-probe.c, cluster-corefile.c):
 *
 *   - a child's lines, stream by stream, as they come; its exit status or signal; its
 *     deadline, which kills its whole process group; a child freed while it runs;
 *   - kubeadm's lines: priorities, and the error lines kept for lastError, on the real
 *     text of kubeadm v1.37.2's failing preflight (seen on this project's machines);
 *   - the probes and the Corefile step against a stand-in kubectl: a shell script that
 *     checks the exact arguments it gets and answers with the real kubectl output of
 *     tests/unit/data/cluster (anything else it is asked is a failure of the test). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster-child.h"
#include "cluster-corefile.h"
#include "cluster-kubeadm.h"
#include "cluster-probe.h"
#include "fileio.h"
#include "log.h"
#include "helper-security.h"
#include "tap.h"
#include "tmpdir-files.h"

static sd_event *event;
static bool finished;

static bool spin(usec_t max) {
	usec_t deadline = now(CLOCK_MONOTONIC) + max;

	finished = false;
	while (!finished && now(CLOCK_MONOTONIC) < deadline)
		if (sd_event_run(event, 10 * USEC_PER_MSEC) < 0)
			return false;
	return finished;
}

static void script(const char *name, const char *body) {
	char text[8192];

	snprintf(text, sizeof text, "#!/bin/sh\n%s", body);
	put(P(name), text);
	(void) chmod(P(name), 0755);
}

/* ---- the child ---- */

typedef struct Seen {
	char out[8192], err[8192];
	unsigned n_out, n_err;
	int status;
} Seen;

static void on_line(ClusterChild *c, ClusterStream s, const char *line, void *userdata) {
	Seen *seen = userdata;
	char *buf = s == CLUSTER_STDOUT ? seen->out : seen->err;

	if (s == CLUSTER_STDOUT)
		seen->n_out++;
	else
		seen->n_err++;
	snprintf(buf + strlen(buf), sizeof seen->out - strlen(buf), "[%s]", line);
}

static void on_done(ClusterChild *c, int status, void *userdata) {
	Seen *seen = userdata;

	seen->status = status;
	finished = true;
}

static int run_child(const char *const *argv, usec_t timeout, bool capture, Seen *seen, ClusterChild **ret) {
	ClusterChildOptions o = { .timeout = timeout, .capture_stdout = capture, .on_line = on_line, .on_done = on_done,
				  .userdata = seen, .security = "kubectl" };
	*seen = (Seen) { .status = 4242 };
	int r = cluster_child_start(event, argv, &o, ret);
	if (r < 0)
		return r;
	return spin(10 * USEC_PER_SEC) ? 0 : -ETIME;
}

static void test_child(void) {
	ClusterChild *c = NULL;
	Seen seen;

	script("lines", "echo one; echo two >&2; printf 'three\\n\\nfour'; printf 'no newline' >&2; exit 3\n");
	is_int(run_child((const char *const[]) { P("lines"), NULL }, USEC_INFINITY, false, &seen, &c), 0, "a child ran");
	is_int(seen.status, 3, "its exit status");
	is_str(seen.out, "[one][three][][four]", "stdout line by line; a last line without newline too");
	is_str(seen.err, "[two][no newline]", "stderr apart");
	c = cluster_child_free(c);

	script("signal", "kill -TERM $$\n");
	is_int(run_child((const char *const[]) { P("signal"), NULL }, USEC_INFINITY, false, &seen, &c), 0, "a child ran");
	is_int(seen.status, 128 + SIGTERM, "killed by a signal: 128+N");
	c = cluster_child_free(c);

	/* The deadline kills the whole group: the child and what it started. */
	script("hang", "sleep 60 & echo $! >\"$1\"; echo started; wait\n");
	(void) unlink(P("hang.pid"));
	usec_t t0 = now(CLOCK_MONOTONIC);
	is_int(run_child((const char *const[]) { P("hang"), P("hang.pid"), NULL }, 300 * USEC_PER_MSEC, false, &seen, &c),
	       0, "a hanging child ended");
	is_int(seen.status, -ETIMEDOUT, "at its deadline: -ETIMEDOUT");
	ok(now(CLOCK_MONOTONIC) - t0 < 5 * USEC_PER_SEC, "within the deadline's time");
	is_str(seen.out, "[started]", "what it printed before is there");
	pid_t grandchild = atoi(get(P("hang.pid")));
	usec_t deadline = now(CLOCK_MONOTONIC) + 2 * USEC_PER_SEC;
	while (grandchild > 0 && kill(grandchild, 0) == 0 && now(CLOCK_MONOTONIC) < deadline)
		(void) sd_event_run(event, 10 * USEC_PER_MSEC);
	ok(grandchild > 0 && kill(grandchild, 0) < 0, "its own child (sleep %d) was killed too", (int) grandchild);
	c = cluster_child_free(c);

	/* Captured stdout, bigger than a pipe's buffer; a long stderr line in pieces. */
	script("big", "head -c 200000 /dev/zero | tr '\\0' x; head -c 5000 /dev/zero | tr '\\0' y >&2\n");
	is_int(run_child((const char *const[]) { P("big"), NULL }, USEC_INFINITY, true, &seen, &c), 0, "a big output");
	size_t size = 0;
	const char *out = cluster_child_stdout(c, &size);
	ok(seen.status == 0 && size == 200000 && strspn(out, "x") == 200000 && out[size] == '\0',
	   "200000 bytes captured, NUL-terminated (%zu)", size);
	is_int(seen.n_out, 0, "captured stdout is not handed out as lines");
	is_int(seen.n_err, 2, "a 5000-byte line comes in two pieces");
	c = cluster_child_free(c);

	ClusterChildOptions o = { .timeout = USEC_INFINITY, .on_done = on_done, .userdata = &seen, .security = "kubectl" };
	is_int(cluster_child_start(event, (const char *const[]) { P("no-such-program"), NULL }, &o, &c), -ENOENT,
	       "a missing program: -ENOENT at once");
	ok(c == NULL, "nothing returned");

	/* Freed while it runs: killed and reaped, and never called back. */
	(void) unlink(P("hang.pid"));
	seen = (Seen) { .status = 4242 };
	is_int(cluster_child_start(event, (const char *const[]) { P("hang"), P("hang.pid"), NULL }, &o, &c), 0, "started");
	deadline = now(CLOCK_MONOTONIC) + 2 * USEC_PER_SEC;
	while (mode_of(P("hang.pid")) == (mode_t) -1 && now(CLOCK_MONOTONIC) < deadline)
		(void) sd_event_run(event, 10 * USEC_PER_MSEC);
	pid_t pid = cluster_child_pid(c);
	c = cluster_child_free(c);
	ok(pid > 0 && kill(pid, 0) < 0, "freed while running: the child is gone (reaped, not a zombie)");
	(void) sd_event_run(event, 50 * USEC_PER_MSEC);
	is_int(seen.status, 4242, "and no callback came");
}

/* ---- kubeadm ---- */

static void on_kubeadm(ClusterKubeadm *k, int status, void *userdata) {
	*(int *) userdata = status;
	finished = true;
}

/* The profile the systemd-run stand-in last ran kubeadm under, as it noted it. */
static const char *profile_used(void) {
	static char buf[64];
	_cleanup_free_ char *text = NULL;

	if (read_full_file(P("kubeadm-profile"), &text, NULL) < 0)
		return "(none)";
	snprintf(buf, sizeof buf, "%s", text);
	(void) unlink(P("kubeadm-profile"));
	return buf;
}

static void test_kubeadm(void) {
	ClusterKubeadm *k = NULL;
	int status = 4242;

	is_int(cluster_kubeadm_line_priority(CLUSTER_STDOUT, "[init] Using Kubernetes version: v1.37.2"), LOG_INFO, "progress: info");
	is_int(cluster_kubeadm_line_priority(CLUSTER_STDERR, "\t[WARNING Hostname]: hostname \"node1\" could not be reached"),
	       LOG_WARNING, "a preflight warning: warning");
	is_int(cluster_kubeadm_line_priority(CLUSTER_STDERR, "\t[ERROR Port-6443]: Port 6443 is in use"), LOG_ERR, "[ERROR: error");
	is_int(cluster_kubeadm_line_priority(CLUSTER_STDERR, "error: error execution phase preflight: preflight checks failed"),
	       LOG_ERR, "error: error");
	is_int(cluster_kubeadm_line_priority(CLUSTER_STDERR, "W1206 14:21:50.145490    2735 initconfiguration.go:334] x"),
	       LOG_WARNING, "klog W: warning");
	is_int(cluster_kubeadm_line_priority(CLUSTER_STDERR, "E1206 14:21:50.145490    2735 x.go:1] y"), LOG_ERR, "klog E: error");
	is_int(cluster_kubeadm_line_priority(CLUSTER_STDERR, "I1206 14:21:50.145490    2735 x.go:1] y"), LOG_INFO, "klog I: info");
	is_int(cluster_kubeadm_line_priority(CLUSTER_STDERR, "[preflight] Some fatal errors occurred:"), LOG_NOTICE,
	       "other stderr: notice");
	ok(cluster_kubeadm_line_is_hint("To see the stack trace of this error execute with --v=5 or higher"), "the --v=5 hint");

	/* kubeadm v1.37.2's own output when two ports are taken (stdout, then stderr). */
	script("kubeadm",
	       "[ \"$*\" = \"init --config /usr/lib/kiln/kubeadm/n1.yaml --skip-token-print\" ] || "
	       "{ echo \"unexpected: $*\" >&2; exit 99; }\n"
	       "echo '[init] Using Kubernetes version: v1.37.2'\n"
	       "echo '[preflight] Running pre-flight checks'\n"
	       "printf '\\t[WARNING Service-kubelet]: kubelet service is not enabled, please run '\"'\"'systemctl enable kubelet.service'\"'\"'\\n' >&2\n"
	       "echo '[preflight] Some fatal errors occurred:' >&2\n"
	       "printf '\\t[ERROR Port-2379]: Port 2379 is in use\\n\\t[ERROR Port-2380]: Port 2380 is in use\\n' >&2\n"
	       "echo '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`' >&2\n"
	       "echo 'error: error execution phase preflight: preflight checks failed' >&2\n"
	       "echo 'To see the stack trace of this error execute with --v=5 or higher' >&2\n"
	       "exit 1\n");
	/* kubeadm runs as a transient unit of systemd's (systemd-run --pipe --wait) under
	 * kiln-confine: this stand-in checks the words kiln passes to both, notes the profile
	 * and runs what follows kiln-confine's "--", as systemd-run does with the unit's output
	 * connected to ours. */
	script("systemd-run",
	       "[ \"$1 $2 $3 $4 $5 $6 $7\" = \"--quiet --pipe --wait --collect --service-type=exec --unit=kiln-kubeadm "
	       "--description=kiln: kubeadm, for the cluster phase of kiln-supervisor\" ] || { echo \"unexpected: $*\" >&2; exit 98; }\n"
	       "shift 7\nsandbox=\n"
	       "while [ \"$1\" != -- ]; do case $1 in --property=*) sandbox=\"$sandbox|${1#--property=}\";; "
	       "*) echo \"unexpected: $1\" >&2; exit 96;; esac; shift; done\nshift\n"
	       /* The unit's sandbox: the profile's bounding set (and CAP_SETPCAP for
		* kiln-confine), the deadline, no new privileges. */
	       "case $sandbox in '|CapabilityBoundingSet=CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_KILL "
	       "CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_SYS_ADMIN|RuntimeMaxSec=10|NoNewPrivileges=yes|'*) ;; "
	       "*) echo \"unexpected sandbox: $sandbox\" >&2; exit 95;; esac\n"
	       "case \"$1 $2 $3 $5\" in \"/usr/bin/kiln-confine --profile-dir=$KILN_TEST_SECURITY_DIR run --\") ;; "
	       "*) echo \"unexpected confinement: $*\" >&2; exit 94;; esac\n"
	       "echo \"$4\" >\"$KILN_TEST_DIR/kubeadm-profile\"\nshift 5\n"
	       "exec \"$@\"\n");
	ClusterKubeadmOptions o = { .kubeadm = P("kubeadm"), .systemd_run = P("systemd-run"), .verb = CLUSTER_KUBEADM_INIT,
				    .config = "/usr/lib/kiln/kubeadm/n1.yaml", .timeout = 10 * USEC_PER_SEC,
				    .done = on_kubeadm, .userdata = &status };
	/* The lines go to stderr here (the test's log target): that is fine. */
	is_int(cluster_kubeadm_start(event, &o, &k), 0, "kubeadm init started");
	ok(spin(10 * USEC_PER_SEC), "and ended");
	is_int(status, 1, "exit status 1");
	is_str(profile_used(), "kubeadm-init\n", "init ran under kiln-confine with the kubeadm-init profile");
	is_str(cluster_kubeadm_errors(k),
	       "error execution phase preflight: preflight checks failed; [ERROR Port-2379]: Port 2379 is in use; "
	       "[ERROR Port-2380]: Port 2380 is in use",
	       "lastError: kubeadm's final error first, then its [ERROR] lines; no hint, no warning");
	k = cluster_kubeadm_free(k);

	script("kubeadm", "[ \"$*\" = \"reset --force\" ] || exit 99\necho '[reset] Deleted contents of the etcd data directory: /var/lib/etcd'\n");
	o.verb = CLUSTER_KUBEADM_RESET;
	o.config = NULL;
	is_int(cluster_kubeadm_start(event, &o, &k), 0, "kubeadm reset started");
	ok(spin(10 * USEC_PER_SEC), "and ended");
	is_int(status, 0, "reset --force, exactly");
	is_str(profile_used(), "kubeadm-reset\n", "reset under the kubeadm-reset profile");
	ok(cluster_kubeadm_errors(k) == NULL, "no error lines");
	k = cluster_kubeadm_free(k);
}

/* ---- kubectl: probes and the Corefile ---- */

static const char kubectl_body[] =
	"printf '%s\\n' \"$*\" >>\"$KILN_TEST_DIR/kubectl.log\"\n"
	"[ \"$1 $2 $3\" = \"--kubeconfig=/etc/kubernetes/admin.conf --cache-dir=$KILN_TEST_DIR/cache --request-timeout=10s\" ] || "
	"{ echo \"unexpected global flags: $*\" >&2; exit 99; }\n"
	"shift 3\n"
	"D=$KILN_TEST_FIXTURES; M=$(cat \"$KILN_TEST_DIR/mode\"); F=$M\n"
	"[ \"$M\" = slow ] && F=ready   # ready, with its last answer a second late\n"
	"case \"$*\" in\n"
	"'get --raw /readyz')\n"
	"  [ \"$M\" = down ] && { cat $D/readyz-refused.txt.err >&2; exit 1; }\n"
	"  [ \"$M\" = etcd-down ] && { cat $D/readyz-etcd-down.txt.err >&2; exit 1; }\n"
	"  cat $D/readyz.txt ;;\n"
	"'get nodes -o json') cat $D/$F-nodes.json ;;\n"
	"'get deployments,daemonsets -n kube-system -o json') cat $D/$F-workloads.json ;;\n"
	"'get pods -n kube-system -o json') [ \"$M\" = slow ] && sleep 1; cat $D/$F-pods.json ;;\n"
	"'get -n kube-system configmap/kubeadm-config deployment/coredns daemonset/kube-proxy -o name --ignore-not-found')\n"
	"  cat $D/adopt-$M.txt ;;\n"
	"'get configmap coredns -n kube-system -o json')\n"
	"  [ \"$M\" = down ] && { cat $D/readyz-refused.txt.err >&2; exit 1; }\n"
	"  [ \"$M\" = no-coredns ] && { echo 'Error from server (NotFound): configmaps \"coredns\" not found' >&2; exit 1; }\n"
	"  cat $D/coredns-configmap.json ;;\n"
	"'patch configmap coredns -n kube-system --type merge -p '*) echo configmap/coredns patched ;;\n"
	"'rollout restart deployment/coredns -n kube-system') echo deployment.apps/coredns restarted ;;\n"
	"*) echo \"unexpected: $*\" >&2; exit 99 ;;\n"
	"esac\n";

static ClusterKubectlSetup setup;

static void mode(const char *m) {
	put(P("mode"), m);
	(void) unlink(P("kubectl.log"));
}

typedef struct Result {
	int result;
	char detail[1024];
} Result;

static void on_probe(ClusterProbe *p, int result, const char *detail, void *userdata) {
	Result *res = userdata;

	res->result = result;
	snprintf(res->detail, sizeof res->detail, "%s", detail ?: "");
	finished = true;
}

static Result probe(ClusterProbeKind kind, ClusterHealth *h) {
	ClusterProbe *p = NULL;
	Result res = { .result = 4242 };
	ClusterProbeOptions o = { .kind = kind, .health = h, .want_dns = true, .want_proxy = true, .done = on_probe,
				  .userdata = &res };

	int k = cluster_probe_start(event, &setup, &o, &p);
	if (k < 0 || !spin(20 * USEC_PER_SEC))
		diag("the probe did not run: %s", k < 0 ? strerror(-k) : "no answer");
	cluster_probe_free(p);
	return res;
}

static void on_corefile(ClusterCorefile *c, int result, const char *detail, void *userdata) {
	Result *res = userdata;

	res->result = result;
	snprintf(res->detail, sizeof res->detail, "%s", detail ?: "");
	finished = true;
}

static Result corefile(const char *text) {
	ClusterCorefile *c = NULL;
	Result res = { .result = 4242 };

	int k = cluster_corefile_start(event, &setup, text, on_corefile, &res, &c);
	if (k < 0 || !spin(20 * USEC_PER_SEC))
		diag("the Corefile step did not run: %s", k < 0 ? strerror(-k) : "no answer");
	cluster_corefile_free(c);
	return res;
}

static int log_lines(void) {
	const char *t = get(P("kubectl.log"));
	int n = 0;
	if (streq(t, "(missing)"))
		return 0;
	for (; *t; t++)
		n += *t == '\n';
	return n;
}

static void test_probes(void) {
	ClusterHealth h = CLUSTER_HEALTH_INIT;
	Result r;
	char fixtures[4096];

	snprintf(fixtures, sizeof fixtures, "%s/tests/unit/data/cluster", tap_srcdir());
	setenv("KILN_TEST_FIXTURES", fixtures, 1);
	setenv("KILN_TEST_DIR", T, 1);
	script("kubectl", kubectl_body);
	/* P()'s buffers rotate: the setup keeps its own copies. */
	static char kubectl[PATH_MAX], cache[PATH_MAX];
	snprintf(kubectl, sizeof kubectl, "%s", P("kubectl"));
	snprintf(cache, sizeof cache, "%s", P("cache"));
	setup = (ClusterKubectlSetup) { .kubectl = kubectl, .kubeconfig = "/etc/kubernetes/admin.conf", .cache_dir = cache };
	h.node_name = strdup("kiln-node-1");

	mode("ready");
	r = probe(CLUSTER_PROBE_HEALTH, &h);
	is_int(r.result, 1, "health, ready: 1");
	is_int(log_lines(), 4, "four kubectl commands: readyz, nodes, workloads, pods");
	ok(h.checked > 0 && h.api == 1 && h.node_ready == 1 && h.workloads_known && h.n_workloads == 2 && h.pods_known &&
	   h.n_pods == 0 && h.n_pods_total == 3, "the health is filled in");

	/* While a look is under way, the health is the last whole look. */
	mode("slow");
	usec_t checked = h.checked;
	ClusterProbe *slow = NULL;
	Result rs = { .result = 4242 };
	ClusterProbeOptions so = { .kind = CLUSTER_PROBE_HEALTH, .health = &h, .want_dns = true, .want_proxy = true,
				   .done = on_probe, .userdata = &rs };
	is_int(cluster_probe_start(event, &setup, &so, &slow), 0, "a slow look started");
	usec_t until = now(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
	while (log_lines() < 4 && now(CLOCK_MONOTONIC) < until)
		(void) sd_event_run(event, 10 * USEC_PER_MSEC);
	ok(log_lines() == 4 && rs.result == 4242 && h.checked == checked && h.pods_known && h.workloads_known,
	   "while its last command runs, the health is still the last whole look");
	ok(spin(10 * USEC_PER_SEC) && rs.result == 1 && h.checked > checked, "then it is replaced by the new one");
	slow = cluster_probe_free(slow);

	mode("forming");
	r = probe(CLUSTER_PROBE_HEALTH, &h);
	is_int(r.result, 0, "health, forming: 0");
	ok(strneq(r.detail, "node kiln-node-1: KubeletNotReady", 33), "what is missing: %s", r.detail);
	ok(h.node_ready == 0 && h.n_pods == 3, "node not Ready, 3 pods not ready");

	mode("down");
	r = probe(CLUSTER_PROBE_HEALTH, &h);
	is_int(r.result, -EAGAIN, "health, API refusing: -EAGAIN");
	is_str(r.detail, "The connection to the server 127.0.0.1:36443 was refused - did you specify the right host or port?",
	       "with kubectl's words");
	is_int(log_lines(), 1, "it stopped after /readyz");
	ok(h.api == 0 && h.node_ready == -1 && !h.workloads_known && !h.pods_known && h.api_detail &&
	   strstr(h.api_detail, "was refused"), "what was not asked is unknown again, not left from the last look");

	mode("etcd-down");
	r = probe(CLUSTER_PROBE_API, &h);
	is_int(r.result, -EAGAIN, "api, etcd down: -EAGAIN");
	is_str(r.detail, "/readyz: etcd, etcd-readiness failed", "the failing checks");
	mode("ready");
	r = probe(CLUSTER_PROBE_API, &h);
	is_int(r.result, 1, "api: 1");
	is_int(log_lines(), 1, "one command");

	mode("complete");
	r = probe(CLUSTER_PROBE_ADOPT, &h);
	is_int(r.result, 1, "adopt: kubeadm-config and the addons exist: 1");
	mode("incomplete");
	r = probe(CLUSTER_PROBE_ADOPT, &h);
	is_int(r.result, 0, "adopt: CoreDNS missing: 0");
	is_str(r.detail, "deployment.apps/coredns", "named");
	mode("down");
	r = probe(CLUSTER_PROBE_ADOPT, &h);
	is_int(r.result, -EAGAIN, "adopt, API down: -EAGAIN (ask again, do not conclude)");

	/* The Corefile: kubeadm's is in the fixture; the same text changes nothing. */
	_cleanup_free_ char *cm = NULL, *current = NULL;
	char path[4200];
	snprintf(path, sizeof path, "%s/coredns-configmap.json", fixtures);
	if (read_full_file(path, &cm, NULL) < 0 || cluster_corefile_from_configmap(cm, &current) < 0)
		diag("cannot read the ConfigMap fixture");
	mode("ready");
	r = corefile(current ?: "");
	is_int(r.result, 0, "the same Corefile: 0, nothing done");
	is_int(log_lines(), 1, "only the get");
	mode("ready");
	r = corefile(".:53 {\n    errors\n    kubernetes cluster.local\n}\n");
	is_int(r.result, 1, "another Corefile: replaced and CoreDNS restarted");
	is_int(log_lines(), 3, "get, patch, rollout restart");
	ok(strstr(get(P("kubectl.log")),
		  "patch configmap coredns -n kube-system --type merge -p {\"data\":{\"Corefile\":\".:53 {\\n    errors\\n    kubernetes cluster.local\\n}\\n\"}}"),
	   "the patch carries the Corefile");
	mode("no-coredns");
	r = corefile("x");
	is_int(r.result, -ENOENT, "no coredns ConfigMap: -ENOENT");
	mode("down");
	r = corefile("x");
	is_int(r.result, -EAGAIN, "API down: ask again");
	ok(strstr(r.detail, "was refused"), "with kubectl's words: %s", r.detail);
	cluster_health_done(&h);
}

int main(void) {
	sigset_t mask;

	/* The stand-ins are shell scripts: they run under the doubles' profiles. */
	char security_dir[4096];
	(void) snprintf(security_dir, sizeof security_dir, "%s/tests/doubles/security", tap_srcdir());
	helper_security_set_dir(security_dir);
	log_set_max_level(LOG_CRIT);
	T = tap_mkdtemp();
	if (!T)
		skip_all("no temporary directory");
	setenv("KILN_TEST_DIR", T, 1);
	setenv("KILN_TEST_SECURITY_DIR", security_dir, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || sd_event_new(&event) < 0)
		skip_all("no event loop");
	test_child();
	test_kubeadm();
	test_probes();
	event = sd_event_unref(event);
	(void) rm_rf(T);
	free(T);
	return done_testing();
}
