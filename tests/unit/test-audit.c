/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The auditor's parts that need no running node (supervisor/audit*.c, lib/proc-status.c,
 * supervisor/containerd-tasks.c):
 *   - /proc/PID/status as the kernel prints it, this process's own, and damaged copies
 *   - containerd's namespace, task, pid and container replies, encoded here by hand
 *   - the exceptions file: valid, and refused with file:line:column
 *   - each verdict: as declared, capabilities beyond each set, NoNewPrivs, Seccomp
 *     disabled with and without an exception, too few filters, undeclared
 *   - the table, JSON and TAP output of one audit.
 * The same against a real containerd and runc is tests/integration/test-audit.sh; against
 * the supervisor in a booted machine, test-supervisor.sh; on a Kubernetes node,
 * tests/real/test-real-cluster.sh. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc-util.h"
#include "audit-exceptions.h"
#include "audit.h"
#include "audit-watch.h"
#include "containerd-tasks.h"
#include "pb-writer.h"
#include "proc-status.h"
#include "protowire.h"
#include "strv.h"
#include "tap.h"

/* What Linux 6.1 prints for a process of a systemd service (lines cut). */
static const char status_text[] =
	"Name:\tkiln-supervisor\n"
	"Umask:\t0022\n"
	"State:\tS (sleeping)\n"
	"Tgid:\t412\n"
	"Pid:\t412\n"
	"PPid:\t1\n"
	"Uid:\t0\t0\t0\t0\n"
	"Gid:\t0\t0\t0\t0\n"
	"CapInh:\t0000000000000000\n"
	"CapPrm:\t00000000000800c3\n"
	"CapEff:\t00000000000800c3\n"
	"CapBnd:\t00000000000801c3\n"
	"CapAmb:\t0000000000000000\n"
	"NoNewPrivs:\t1\n"
	"Seccomp:\t2\n"
	"Seccomp_filters:\t1\n"
	"Speculation_Store_Bypass:\tthread vulnerable\n";

static char *replace(const char *text, const char *from, const char *to) {
	const char *at = strstr(text, from);
	char *s = NULL;
	if (!at || asprintf(&s, "%.*s%s%s", (int) (at - text), text, to, at + strlen(from)) < 0)
		abort();
	return s;
}

static void test_proc_status(void) {
	ProcStatus st = {};

	is_int(proc_status_parse(status_text, &st), 0, "a service's /proc status parses");
	is_str(st.name, "kiln-supervisor", "Name");
	ok(st.ppid == 1 && st.euid == 0, "PPid 1, effective uid 0");
	ok(st.cap_permitted == 0x800c3 && st.cap_effective == 0x800c3 && st.cap_bounding == 0x801c3 &&
	   st.cap_ambient == 0, "the four capability sets");
	ok(st.no_new_privs && st.seccomp == PROC_SECCOMP_FILTER && st.seccomp_filters == 1,
	   "NoNewPrivs 1, Seccomp 2 with 1 filter");

	static const struct { const char *from, *to, *what; } bad[] = {
		{ "Seccomp:\t2\n", "", "no Seccomp line" },
		{ "CapEff:\t00000000000800c3\n", "", "no CapEff line" },
		{ "CapEff:\t00000000000800c3", "CapEff:\t800c3", "a capability set not in 16 digits" },
		{ "CapBnd:\t00000000000801c3", "CapBnd:\t0000000000080xc3", "a capability set not in hex" },
		{ "NoNewPrivs:\t1", "NoNewPrivs:\t2", "NoNewPrivs 2" },
		{ "Seccomp:\t2", "Seccomp:\t3", "Seccomp 3" },
		{ "Uid:\t0\t0\t0\t0", "Uid:\tx", "a Uid line without numbers" },
		{ "PPid:\t1", "PPid:\t-1", "a negative PPid" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		_cleanup_free_ char *t = replace(status_text, bad[i].from, bad[i].to);
		is_int(proc_status_parse(t, &st), -EBADMSG, bad[i].what);
	}
	/* Kernels before 5.9 have no Seccomp_filters line. */
	_cleanup_free_ char *old = replace(status_text, "Seccomp_filters:\t1\n", "");
	is_int(proc_status_parse(old, &st), 0, "no Seccomp_filters line (Linux < 5.9) parses");
	is_int(st.seccomp_filters, 0, "with 0 filters reported");

	is_int(proc_status_read(NULL, getpid(), &st), 0, "this process's own status reads");
	ok(st.ppid == getppid(), "its PPid is our parent");
	is_int(proc_status_read(NULL, 0x7ffffff0, &st), -ESRCH, "a pid that does not exist: -ESRCH");
	is_str(proc_seccomp_to_string(PROC_SECCOMP_DISABLED), "disabled", "Seccomp 0 is \"disabled\"");
}

/* ---- containerd's replies ---- */

static void task(Pb *out, const char *container_id, const char *id, uint64_t pid, uint64_t status) {
	Pb t = {}, ts = {};
	if (container_id)
		pb_str(&t, 1, container_id);
	if (id)
		pb_str(&t, 2, id);
	pb_int(&t, 3, pid);
	pb_int(&t, 4, status);
	pb_str(&t, 5, "/run/containerd/fifo/stdin");
	pb_int(&ts, 1, 1700000000);
	pb_msg(&t, 10, &ts);
	pb_msg(out, 1, &t);
}

static void test_containerd_replies(void) {
	_cleanup_strv_free_ char **namespaces = NULL;
	ContainerdTask *tasks = NULL;
	pid_t *pids = NULL;
	size_t n = 0;
	Pb r = {}, ns1 = {}, ns2 = {};

	pb_str(&ns1, 1, "k8s.io");
	pb_str(&ns2, 1, "default");
	Pb lbl = {};
	pb_str(&lbl, 1, "containerd.io/gc.root");
	pb_str(&lbl, 2, "x");
	pb_msg(&ns2, 2, &lbl);
	pb_msg(&r, 1, &ns1);
	pb_msg(&r, 1, &ns2);
	is_int(containerd_parse_namespaces_reply(r.data, r.n, &namespaces), 0, "a namespace list parses");
	ok(strv_length(namespaces) == 2 && streq(namespaces[0], "k8s.io") && streq(namespaces[1], "default"),
	   "two namespaces, in order, labels skipped");
	namespaces = strv_free(namespaces);
	is_int(containerd_parse_namespaces_reply(NULL, 0, &namespaces), 0, "an empty reply parses");
	ok(!namespaces, "to no namespace");
	Pb noname = {}, empty = {};
	pb_msg(&noname, 1, &empty);
	is_int(containerd_parse_namespaces_reply(noname.data, noname.n, &namespaces), -EBADMSG,
	       "a namespace without a name is refused");

	/* Tasks/List names each task by its process id, container_id left empty. */
	Pb t = {};
	task(&t, NULL, "coredns-abc", 4242, CONTAINERD_TASK_RUNNING);
	task(&t, "sandbox-1", "sandbox-1", 17, CONTAINERD_TASK_PAUSED);
	task(&t, NULL, "created", 0, CONTAINERD_TASK_CREATED);
	task(&t, NULL, "future", 99, 42);
	is_int(containerd_parse_tasks_reply(t.data, t.n, &tasks, &n), 0, "a task list parses");
	is_int(n, 4, "four tasks");
	ok(tasks && streq(tasks[0].container_id, "coredns-abc") && tasks[0].pid == 4242 &&
	   tasks[0].status == CONTAINERD_TASK_RUNNING, "the first: its id, pid and status");
	ok(tasks && streq(tasks[1].container_id, "sandbox-1") && tasks[1].status == CONTAINERD_TASK_PAUSED,
	   "container_id, when given, names the task");
	ok(tasks && tasks[2].pid == 0, "a task not started has pid 0");
	ok(tasks && tasks[3].status == CONTAINERD_TASK_UNKNOWN, "a status this version does not know: unknown");
	containerd_tasks_free(tasks, n);
	tasks = NULL;

	Pb anon = {};
	task(&anon, NULL, NULL, 5, CONTAINERD_TASK_RUNNING);
	is_int(containerd_parse_tasks_reply(anon.data, anon.n, &tasks, &n), -EBADMSG, "a task without an id is refused");
	Pb badpid = {}, bt = {};
	pb_str(&bt, 2, "x");
	pb_str(&bt, 3, "12");
	pb_msg(&badpid, 1, &bt);
	is_int(containerd_parse_tasks_reply(badpid.data, badpid.n, &tasks, &n), -EBADMSG,
	       "a pid of the wrong wire type is refused");

	Pb p = {}, p1 = {}, p2 = {}, any = {};
	pb_int(&p1, 1, 4242);
	pb_str(&any, 1, "types.containerd.io/opencontainers/runtime-spec/1/Process");
	pb_msg(&p1, 2, &any);
	pb_int(&p2, 1, 4300);
	pb_msg(&p, 1, &p1);
	pb_msg(&p, 1, &p2);
	is_int(containerd_parse_pids_reply(p.data, p.n, &pids, &n), 0, "a pid list parses");
	ok(n == 2 && pids[0] == 4242 && pids[1] == 4300, "two pids, info skipped");
	free(pids);
	pids = NULL;
	Pb zero = {}, z = {};
	pb_int(&z, 1, 0);
	pb_msg(&zero, 1, &z);
	is_int(containerd_parse_pids_reply(zero.data, zero.n, &pids, &n), -EBADMSG, "pid 0 is refused");
	Pb big = {}, bg = {};
	pb_int(&bg, 1, UINT64_C(1) << 32);
	pb_msg(&big, 1, &bg);
	is_int(containerd_parse_pids_reply(big.data, big.n, &pids, &n), -EBADMSG, "a pid beyond pid_t is refused");

	ContainerdContainer c = {};
	Pb g = {}, cont = {}, spec = {}, l1 = {};
	pb_str(&cont, 1, "coredns-abc");
	pb_str(&l1, 1, "io.kubernetes.pod.namespace");
	pb_str(&l1, 2, "kube-system");
	pb_msg(&cont, 2, &l1);
	pb_str(&cont, 3, "registry.k8s.io/coredns/coredns:v1.12.0");
	pb_str(&spec, 1, "types.containerd.io/opencontainers/runtime-spec/1/Spec");
	pb_str(&spec, 2, "{\"ociVersion\":\"1.2.0\"}");
	pb_msg(&cont, 5, &spec);
	pb_msg(&g, 1, &cont);
	is_int(containerd_parse_container_reply(g.data, g.n, &c), 0, "a container record parses");
	is_str(c.id, "coredns-abc", "its id");
	is_str(containerd_container_label(&c, "io.kubernetes.pod.namespace"), "kube-system", "its label");
	is_str(c.spec, "{\"ociVersion\":\"1.2.0\"}", "its spec, as JSON");
	is_str(c.spec_type_url, "types.containerd.io/opencontainers/runtime-spec/1/Spec", "the spec's type");
	containerd_container_done(&c);
	is_int(containerd_parse_container_reply(NULL, 0, &c), -EBADMSG, "an empty reply is no container");

	uint8_t *req = NULL;
	size_t req_size = 0;
	is_int(proto_encode_string_field(1, "coredns-abc", &req, &req_size), 0, "a request encodes");
	ok(req_size == 13 && req[0] == 0x0a && req[1] == 11 && memcmp(req + 2, "coredns-abc", 11) == 0,
	   "as 0a 0b \"coredns-abc\"");
	ProtoReader rd = proto_reader(req, req_size);
	ProtoField f;
	ok(proto_next(&rd, &f) == 1 && f.number == 1 && f.size == 11 && proto_next(&rd, &f) == 0,
	   "and reads back as one field");
	free(req);
	is_int(proto_encode_string_field(0, "x", &req, &req_size), -EINVAL, "field 0 cannot be encoded");
}

/* ---- the exceptions file ---- */

static void test_exceptions(void) {
	static const char good[] =
		"unconfined:\n"
		"  - container: \"k8s.io/kube-system/kube-proxy-*/kube-proxy\"\n"
		"    reason: \"privileged: programs iptables\"\n";
	static const char no_reason[] =
		"unconfined:\n"
		"  - container: \"k8s.io/kube-system/kube-proxy-*/kube-proxy\"\n";
	static const char everything[] =
		"unconfined:\n"
		"  - container: \"*\"\n"
		"    reason: \"all of them\"\n";
	static const char unknown[] = "unconfined: []\nallow: everything\n";
	_cleanup_(diag_list_done) DiagList diags = {};
	AuditExceptions e = {};

	is_int(audit_exceptions_load_buffer("ex.yaml", good, strlen(good), &e, &diags), 0, "an exception list loads");
	is_str(audit_exceptions_unconfined(&e, "k8s.io/kube-system/kube-proxy-x7f2q/kube-proxy"),
	       "privileged: programs iptables", "it excuses kube-proxy, with its reason");
	ok(!audit_exceptions_unconfined(&e, "k8s.io/kube-system/coredns-1/coredns"), "and not coredns");
	ok(!audit_exceptions_unconfined(&e, "k8s.io/default/kube-proxy-x/kube-proxy"),
	   "nor a kube-proxy in another namespace");
	audit_exceptions_done(&e);

	static const struct { const char *text, *where, *what; } bad[] = {
		{ no_reason, "ex.yaml:2:5", "an exception without its reason" },
		{ everything, "ex.yaml:2:16", "a pattern without a namespace (\"*\")" },
		{ unknown, "ex.yaml:2:1", "an unknown key" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		diag_list_done(&diags);
		is_int(audit_exceptions_load_buffer("ex.yaml", bad[i].text, strlen(bad[i].text), &e, &diags), -EBADMSG,
		       bad[i].what);
		_cleanup_free_ char *line = NULL;
		if (diags.n < 1 || diag_format(&diags.items[0], &line) < 0)
			line = NULL;
		ok(line && strstr(line, bad[i].where), "reported at %s: %s", bad[i].where, line ?: "(nothing)");
	}
	diag_list_done(&diags);
	is_int(audit_exceptions_load_file("/nonexistent/audit-exceptions.yaml", &e, &diags), -ENOENT,
	       "no file: -ENOENT (no exceptions)");
}

/* ---- verdicts ---- */

static AuditEntry entry(uint64_t caps, bool nnp, ProcSeccomp seccomp, unsigned filters) {
	return (AuditEntry) {
		.kind = AUDIT_HELPER,
		.pid = 100,
		.seen = { .cap_effective = caps, .cap_permitted = caps, .cap_bounding = caps, .no_new_privs = nnp,
			  .seccomp = seccomp, .seccomp_filters = filters },
		.declared_known = true,
		.declared = { .source = (char *) "modprobe.yaml", .cap_bounding = 1 << 16, .cap_permitted = 1 << 16,
			      .cap_effective = 1 << 16, .no_new_privs = true, .seccomp = true, .min_filters = 2 },
	};
}

static bool finding(const AuditEntry *e, const char *needle) {
	for (char **l = e->findings; l && *l; l++)
		if (strstr(*l, needle))
			return true;
	return false;
}

static void test_verdicts(void) {
	AuditEntry e = entry(1 << 16, true, PROC_SECCOMP_FILTER, 2);

	is_int(audit_entry_check(&e), 0, "a helper as declared is checked");
	ok(strv_length(e.findings) == 0, "with no finding");

	e = entry(1 << 16 | 1 << 21, true, PROC_SECCOMP_FILTER, 2);
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 3 && finding(&e, "CapEff holds cap_sys_admin beyond the declared set") &&
	   finding(&e, "CapPrm holds cap_sys_admin") && finding(&e, "CapBnd holds cap_sys_admin"),
	   "CAP_SYS_ADMIN beyond the profile: one finding per set (%zu)", strv_length(e.findings));
	ok(finding(&e, "(modprobe.yaml)"), "each names where the declaration was read");
	e.findings = strv_free(e.findings);

	e = entry(0, true, PROC_SECCOMP_FILTER, 2);
	e.seen.cap_ambient = 1 << 12;
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 1 && finding(&e, "CapAmb holds cap_net_admin"), "an ambient capability not declared");
	e.findings = strv_free(e.findings);

	e = entry(1 << 16, false, PROC_SECCOMP_FILTER, 2);
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 1 && finding(&e, "NoNewPrivs is 0, declared 1"), "no_new_privs missing");
	e.findings = strv_free(e.findings);

	e = entry(1 << 16, true, PROC_SECCOMP_DISABLED, 0);
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 1 && finding(&e, "Seccomp is disabled, a filter is declared"),
	   "no filter where the profile declares one");
	e.findings = strv_free(e.findings);

	e = entry(1 << 16, true, PROC_SECCOMP_FILTER, 1);
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 1 && finding(&e, "Seccomp_filters is 1, at least 2 declared"),
	   "the inherited filter only, its own missing");
	e.findings = strv_free(e.findings);

	e = entry(0, false, PROC_SECCOMP_DISABLED, 0);
	e.kind = AUDIT_CONTAINER;
	e.declared.seccomp = false;
	e.declared.no_new_privs = false;
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 1 && finding(&e, "unconfined), and no exception declares it"),
	   "a container its spec leaves unconfined, without an exception: a violation");
	e.findings = strv_free(e.findings);
	e.declared.unconfined_reason = (char *) "privileged";
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 0, "with an exception: none");
	e.seen.cap_effective = 1 << 21;
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 1 && finding(&e, "CapEff holds cap_sys_admin"),
	   "an exception allows no capability beyond the spec");
	e.findings = strv_free(e.findings);

	e = entry(0, false, PROC_SECCOMP_FILTER, 1);
	e.declared_known = false;
	audit_entry_check(&e);
	ok(strv_length(e.findings) == 1 && finding(&e, "nothing declares"), "a process nothing declares");
	e.findings = strv_free(e.findings);
}

/* ---- output ---- */

static void add(Audit *a, AuditKind kind, pid_t pid, const char *name, AuditEntry proto) {
	AuditEntry *e = audit_add(a, kind, pid);
	proto.kind = kind;
	proto.pid = pid;
	proto.name = strdup(name);
	proto.declared.source = strdup(proto.declared.source);
	if (proto.declared.unconfined_reason)
		proto.declared.unconfined_reason = strdup(proto.declared.unconfined_reason);
	*e = proto;
	audit_entry_check(e);
	if (e->findings)
		a->n_violations++;
}

static void test_output(void) {
	_cleanup_(audit_done) Audit a = {};
	_cleanup_free_ char *table = NULL, *json = NULL, *tap = NULL;

	add(&a, AUDIT_HELPER, 201, "modprobe", entry(1 << 16, true, PROC_SECCOMP_FILTER, 2));
	add(&a, AUDIT_HELPER, 202, "kubectl", entry(1 << 21 | 1 << 16, true, PROC_SECCOMP_FILTER, 2));
	AuditEntry ex = entry(0, false, PROC_SECCOMP_DISABLED, 0);
	ex.declared.seccomp = false;
	ex.declared.no_new_privs = false;
	ex.declared.unconfined_reason = (char *) "privileged #1";
	add(&a, AUDIT_CONTAINER, 303, "k8s.io/kube-system/kube-proxy-x/kube-proxy", ex);
	audit_add_error(&a, "containerd on %s does not answer", "/run/containerd/containerd.sock");

	is_int(audit_format_table(&a, &table), 0, "the table is made");
	ok(strstr(table, "helper          201  filter         2   1      1  ok         modprobe\n"),
	   "a row: kind, pid, Seccomp, filters, NoNewPrivs, CapEff count, verdict, name");
	ok(strstr(table, "violation  kubectl\n") && strstr(table, "- CapEff holds cap_sys_admin"),
	   "a violation with its findings below");
	ok(strstr(table, "excepted   k8s.io/kube-system/kube-proxy-x/kube-proxy\n") &&
	   strstr(table, "- unconfined by exception: privileged #1"), "an exception with its reason");
	ok(strstr(table, "not audited: containerd on /run/containerd/containerd.sock does not answer"),
	   "what was not audited");
	ok(strstr(table, "3 processes: 1 as declared, 1 unconfined by declared exception, 1 violations; "
			 "1 sources not audited"), "the summary counts");

	is_int(audit_format_tap(&a, &tap), 0, "the TAP is made");
	ok(strstr(tap, "1..4\n") && strstr(tap, "ok 1 - helper modprobe (pid 201)") &&
	   strstr(tap, "not ok 2 - helper kubectl (pid 202)") && strstr(tap, "ok 3 - container k8s.io") &&
	   strstr(tap, "not ok 4 - not audited: "), "one test per process, one per source not audited");
	ok(strstr(tap, "# unconfined by exception: privileged \\#1\n"), "a \"#\" in a reason is escaped");

	is_int(audit_format_json(&a, &json), 0, "the JSON is made");
	json_error_t err;
	json_t *doc = json_loads(json, 0, &err);
	ok(doc, "it parses");
	json_t *p = json_object_get(doc, "processes");
	ok(json_array_size(p) == 3 && json_integer_value(json_object_get(doc, "violations")) == 1 &&
	   json_array_size(json_object_get(doc, "notAudited")) == 1, "3 processes, 1 violation, 1 not audited");
	json_t *k = json_array_get(p, 1);
	ok(streq(json_string_value(json_object_get(k, "verdict")) ?: "", "violation") &&
	   streq(json_string_value(json_object_get(json_object_get(k, "kernel"), "CapEff")) ?: "", "0000000000210000") &&
	   streq(json_string_value(json_object_get(json_object_get(k, "declared"), "effective")) ?: "",
		 "0000000000010000"), "kubectl: the kernel's CapEff next to the declared one, as /proc prints them");
	ok(streq(json_string_value(json_object_get(json_object_get(json_array_get(p, 2), "declared"),
						   "unconfinedReason")) ?: "", "privileged #1"),
	   "the exception's reason");
	json_decref(doc);
}

/* ---- the supervisor's view of kilnctl audit --json ---- */

static void test_verdict(void) {
	_cleanup_(audit_done) Audit a = {};
	_cleanup_free_ char *json = NULL;
	char *summary = NULL, *findings = NULL;

	add(&a, AUDIT_SUPERVISOR, 100, "kiln-supervisor", entry(1 << 16, true, PROC_SECCOMP_FILTER, 2));
	add(&a, AUDIT_HELPER, 202, "kubectl", entry(1 << 21 | 1 << 16, true, PROC_SECCOMP_FILTER, 2));
	ok(audit_format_json(&a, &json) == 0, "an audit with one violation as JSON");
	is_int(audit_verdict_parse(1, json, &summary, &findings), 0, "its verdict parses");
	is_str(summary, "audit: 1 of 2 processes not as declared", "the summary counts the violation");
	ok(findings && strstr(findings, "kubectl (pid 202): CapEff holds cap_sys_admin beyond the declared set"),
	   "the findings name the process: %s", findings ?: "(none)");
	free(summary);
	free(findings);

	audit_done(&a);
	add(&a, AUDIT_SUPERVISOR, 100, "kiln-supervisor", entry(1 << 16, true, PROC_SECCOMP_FILTER, 2));
	audit_add_error(&a, "containerd on %s does not answer", "/run/containerd/containerd.sock");
	json = mfree_str(json);
	ok(audit_format_json(&a, &json) == 0, "an audit with a source not audited");
	is_int(audit_verdict_parse(1, json, &summary, &findings), 0, "parses");
	is_str(summary, "audit: 1 processes as declared; 1 source not audited", "and says so");
	ok(!findings, "no finding");
	free(summary);

	is_int(audit_verdict_parse(2, "", &summary, &findings), 0, "a usage error");
	is_str(summary, "audit: kilnctl audit failed (exit status 2)", "is a failed audit");
	free(summary);
	is_int(audit_verdict_parse(-ETIMEDOUT, NULL, &summary, &findings), 0, "a timeout");
	is_str(summary, "audit: kilnctl audit failed (timed out)", "is a failed audit");
	free(summary);
	is_int(audit_verdict_parse(0, "{\"processes\": 3}", &summary, &findings), 0, "other JSON");
	is_str(summary, "audit: kilnctl audit failed (its output is not an audit)", "is not taken for an audit");
	free(summary);
}

int main(void) {
	test_proc_status();
	test_containerd_replies();
	test_exceptions();
	test_verdicts();
	test_output();
	test_verdict();
	return done_testing();
}
