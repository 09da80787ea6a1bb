/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The status socket end to end in one process tree: the supervisor's side
 * (supervisor/status-server.c) on an sd-event loop in the parent, kilnctl's side
 * (status-client.c) in forked children; the document's shape and the table. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "phases.h"
#include "state.h"
#include "status-client.h"
#include "status-server.h"
#include "tap.h"
#include "tmpdir-files.h"

static sd_event *event;
static const char *const names[] = { "preflight", "runtime", "cluster", "ready" };

static int run_nothing(PhaseRunner *r, void *u) {
	return 0;
}

static const Phase table[] = {
	{ "preflight", PHASE_SCOPE_BOOT,    false, run_nothing, NULL },
	{ "runtime",   PHASE_SCOPE_BOOT,    false, run_nothing, NULL },
	{ "cluster",   PHASE_SCOPE_NODE,    false, run_nothing, NULL },
	{ "ready",     PHASE_SCOPE_PROCESS, false, run_nothing, NULL },
};

static PhaseRunner *make_runner(bool ready) {
	NodeState *s = NULL;
	PhaseRunner *r = NULL;

	if (node_state_new(names, ELEMENTSOF(names), &s) < 0)
		return NULL;
	s->repairs = 2;
	s->phases[0] = (PhaseState) { .name = names[0], .status = PHASE_DONE, .attempts = 3,
				      .started_usec = 1000000, .finished_usec = 2500000 };
	(void) phase_state_set_text(&s->phases[0].last_error, "failed checks: port-10250");
	(void) phase_state_set_text(&s->phases[0].detail, "12 passed");
	s->phases[1] = (PhaseState) { .name = names[1], .status = PHASE_FAILED, .attempts = 1,
				      .started_usec = 3000000, .finished_usec = 3000500 };
	(void) phase_state_set_text(&s->phases[1].last_error, "containerd did not answer");
	s->phases[2].status = PHASE_SKIPPED;
	(void) phase_state_set_text(&s->phases[2].detail, "not installed");
	s->phases[3].status = ready ? PHASE_DONE : PHASE_PENDING;
	PhaseRunnerOptions opts = { .state_path = P("unused/state.json") };
	if (phase_runner_new(event, table, ELEMENTSOF(table), s, STATE_LOADED, &opts, &r) < 0)
		return NULL;
	return r;
}

static int build_doc(void *userdata, char **ret) {
	return status_document(userdata, NULL, NULL, 4000000, ret);
}

static int build_fails(void *userdata, char **ret) {
	return -EIO;
}

static int build_garbage(void *userdata, char **ret) {
	*ret = strdup("this is not JSON");
	return *ret ? 0 : -ENOMEM;
}

/* Fetch from path in a child while the parent's loop serves; the child's result code and
 * the document it got. */
static int fetch(const char *path, usec_t timeout, char **ret_doc) {
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *doc = NULL;
		int r = status_fetch(path, timeout, &doc);
		if (r >= 0 && write(pipefd[1], doc, strlen(doc)) < 0)
			r = -errno;
		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	close(pipefd[1]);
	int status = 0;
	usec_t deadline = now(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (now(CLOCK_MONOTONIC) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pipefd[0]);
			return -ETIME;
		}
		(void) sd_event_run(event, USEC_PER_MSEC);
	}
	char buf[16384];
	ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
	close(pipefd[0]);
	buf[n > 0 ? n : 0] = '\0';
	if (ret_doc)
		*ret_doc = strdup(buf);
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
}

static void test_document(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = make_runner(false);
	_cleanup_free_ char *text = NULL;
	json_t *doc, *p;

	if (!r)
		return (void) ok(false, "runner for the document");
	is_int(status_document(r, NULL, NULL, 4000000, &text), 0, "status_document");
	doc = text ? json_loads(text, 0, NULL) : NULL;
	ok(json_is_object(doc), "the document is a JSON object");
	is_str(json_string_value(json_object_get(doc, "phase")), "runtime", "phase: the first unfinished one");
	ok(json_is_false(json_object_get(doc, "ready")), "ready: false while the ready phase is not done");
	ok(json_integer_value(json_object_get(doc, "repairs")) == 2, "repairs");
	ok(json_is_string(json_object_get(doc, "version")), "version");
	p = json_array_get(json_object_get(doc, "phases"), 0);
	is_str(json_string_value(json_object_get(p, "name")), "preflight", "phases[0].name");
	is_str(json_string_value(json_object_get(p, "status")), "done", "phases[0].status");
	is_str(json_string_value(json_object_get(p, "started")), "1970-01-01T00:00:01.000Z", "started in RFC 3339 UTC");
	is_str(json_string_value(json_object_get(p, "finished")), "1970-01-01T00:00:02.500Z", "finished, with milliseconds");
	ok(json_integer_value(json_object_get(p, "durationMs")) == 1500, "durationMs = finished - started");
	ok(json_integer_value(json_object_get(p, "attempts")) == 3, "attempts");
	is_str(json_string_value(json_object_get(p, "lastError")), "failed checks: port-10250", "lastError");
	p = json_array_get(json_object_get(doc, "phases"), 2);
	ok(json_is_null(json_object_get(p, "started")) && json_is_null(json_object_get(p, "durationMs")) &&
	   json_is_null(json_object_get(p, "lastError")), "never started: null times, duration and error");
	is_str(json_string_value(json_object_get(p, "detail")), "not installed", "detail");
	json_decref(doc);

	_cleanup_(phase_runner_freep) PhaseRunner *r2 = make_runner(true);
	_cleanup_free_ char *t2 = NULL;
	ok(r2 && status_document(r2, NULL, NULL, 4000000, &t2) >= 0 && strstr(t2, "\"ready\":true"),
	   "ready: true once the ready phase is done");

	_cleanup_free_ char *table_text = NULL;
	is_int(status_format_table(text, &table_text), 0, "status_format_table");
	ok(table_text && strstr(table_text, "not ready, phase runtime, 2 repairs"), "summary line");
	ok(table_text && strstr(table_text, "PHASE      STATUS    DURATION  ATTEMPTS  DETAIL         LAST ERROR\n"), "header");
	ok(table_text && strstr(table_text, "preflight  done         1.5 s         3  12 passed      failed checks: port-10250\n"),
	   "a done row: duration, attempts, detail, last error");
	ok(table_text && strstr(table_text, "runtime    failed        0 ms         1  -              containerd did not answer\n"),
	   "a failed row");
	ok(table_text && strstr(table_text, "cluster    skipped          -         0  not installed  -\n"),
	   "a skipped row: no duration, no error");
	for (const char *l = table_text; l && *l; ) {
		size_t n = strcspn(l, "\n");
		diag("%.*s", (int) n, l);
		l += n + (l[n] == '\n');
	}

	ok(table_text && !strstr(table_text, "Cluster"), "no cluster section while nothing was checked (cluster: null)");

	/* The document's cluster object, as cluster_health_to_json() writes it after a look. */
	json_t *cluster = json_pack("{s:s, s:{s:b, s:s}, s:{s:s, s:b, s:s}, s:[{s:s, s:s, s:i, s:i, s:b}, {s:s, s:s, s:i, s:i, s:b}],"
				    " s:[{s:s, s:s, s:s}], s:i}",
				    "checked", "2026-12-06T14:39:36.000Z",
				    "apiServer", "ok", 1, "detail", "ok",
				    "node", "name", "kiln-node-1", "ready", 1, "detail", "KubeletReady: kubelet is posting ready status",
				    "workloads", "kind", "Deployment", "name", "coredns", "desired", 2, "available", 1, "ok", 0,
				    "kind", "DaemonSet", "name", "kube-proxy", "desired", 1, "available", 1, "ok", 1,
				    "podsNotReady", "name", "coredns-559f6c778d-q2hd8", "phase", "Running",
				    "reason", "CrashLoopBackOff: back-off 2m40s restarting failed container=coredns",
				    "podsTotal", 3);
	_cleanup_free_ char *t3 = NULL, *table3 = NULL;
	ok(cluster && status_document(r, cluster, NULL, 4000000, &t3) >= 0 && strstr(t3, "\"podsTotal\":3"),
	   "the cluster object goes into the document");
	json_decref(cluster);
	is_int(status_format_table(t3, &table3), 0, "and is formatted");
	ok(table3 && strstr(table3, "\nCluster, as last checked 2026-12-06T14:39:36.000Z:\n"
			    "  API server   ok\n"
			    "  Node         kiln-node-1 Ready (KubeletReady: kubelet is posting ready status)\n"
			    "  kube-system  1/2 workloads available; Deployment coredns 1/2\n"
			    "  Pods         1 of 3 kube-system pods not running and ready:\n"
			    "    coredns-559f6c778d-q2hd8  Running  CrashLoopBackOff: back-off 2m40s restarting failed container=coredns\n"),
	   "the cluster section: API, node, workloads, pods not ready");
	for (const char *l = table3 ? strstr(table3, "Cluster") : NULL; l && *l; ) {
		size_t n = strcspn(l, "\n");
		diag("%.*s", (int) n, l);
		l += n + (l[n] == '\n');
	}

	/* The document's addons, as addons_status_json() writes them mid-phase: the first
	 * available, the second waiting for a workload, the third not started. */
	json_t *addons = json_pack("[{s:s, s:s, s:s, s:s, s:b, s:n, s:[{s:s}]},"
				   " {s:s, s:n, s:s, s:s, s:b, s:s, s:[]}, {s:s, s:n, s:s, s:s, s:b, s:n, s:n}]",
				   "name", "cni", "version", "1", "namespace", "kube-system", "step", "available",
				   "applied", 1, "detail", "workloads", "kind", "DaemonSet",
				   "name", "metallb", "version", "namespace", "metallb-system", "step", "waiting", "applied", 1,
				   "detail", "Deployment metallb-system/controller: 0/1 available (Available=False "
				   "MinimumReplicasUnavailable: Deployment does not have minimum availability.)", "workloads",
				   "name", "dashboards", "version", "namespace", "monitoring", "step", "pending", "applied", 0,
				   "detail", "workloads");
	_cleanup_free_ char *t4 = NULL, *table4 = NULL;
	ok(addons && status_document(r, NULL, addons, 4000000, &t4) >= 0 && strstr(t4, "\"addons\":[{"),
	   "the addons go into the document");
	json_decref(addons);
	is_int(status_format_table(t4, &table4), 0, "and are formatted");
	ok(table4 && strstr(table4, "\nAddons, in the order they are applied:\n"
			    "  cni         available  1 workloads available in kube-system, applied now\n"
			    "  metallb     waiting    Deployment metallb-system/controller: 0/1 available (Available=False "
			    "MinimumReplicasUnavailable: Deployment does not have minimum availability.)\n"
			    "  dashboards  pending    after the addons before it\n"),
	   "the addons section: each addon's step, and what it waits for");
	for (const char *l = table4 ? strstr(table4, "Addons") : NULL; l && *l; ) {
		size_t n = strcspn(l, "\n");
		diag("%.*s", (int) n, l);
		l += n + (l[n] == '\n');
	}
	ok(table_text && !strstr(table_text, "Addons"), "no addons section while the phase has not run (addons: null)");

	char *x = NULL;
	is_int(status_format_table("[1]", &x), -EBADMSG, "an array is not a status document");
	is_int(status_format_table("{\"phases\": 3}", &x), -EBADMSG, "phases must be an array");
	is_int(status_format_table("{\"phases\": [{\"name\": 1}]}", &x), -EBADMSG, "a phase needs a name");
	is_int(status_format_table("{\"error\": \"Input/output error\"}", &x), -EPROTO, "the server's error document: -EPROTO");
	ok(x == NULL, "ret untouched on failure");
}

static void test_socket(void) {
	_cleanup_(phase_runner_freep) PhaseRunner *r = make_runner(true);
	_cleanup_free_ char *doc = NULL, *want = NULL;
	StatusServer *s = NULL;
	const char *path = P("run/kiln/status.sock");
	struct stat st;

	if (!r)
		return (void) ok(false, "runner for the socket");
	is_int(status_server_new(event, path, getegid(), build_doc, r, &s), 0, "status_server_new");
	ok(stat(P("run/kiln"), &st) >= 0 && (st.st_mode & 07777) == 0750, "the socket's directory is created 0750");
	ok(stat(path, &st) >= 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660, "the socket is 0660");

	(void) status_document(r, NULL, NULL, 4000000, &want);
	for (int i = 0; i < 3; i++) {
		free(doc);
		doc = NULL;
		is_int(fetch(path, 2 * USEC_PER_SEC, &doc), 0, "a client gets a document");
	}
	is_str(doc, want, "the third client got exactly the document");

	/* Another server on the same path: the old socket is replaced (as after kill -9). */
	StatusServer *s2 = NULL;
	is_int(status_server_new(event, path, getegid(), build_fails, r, &s2), 0, "a stale socket is replaced");
	free(doc);
	doc = NULL;
	is_int(fetch(path, 2 * USEC_PER_SEC, &doc), 0, "a document even when building it failed");
	is_str(doc, "{\"error\":\"Input/output error\"}\n", "it carries the error");
	status_server_free(s2);
	ok(access(path, F_OK) < 0, "freeing the server removes its socket");
	status_server_free(s);   /* its socket file is gone already: nothing else is removed */

	put(P("run/kiln/status.sock"), "a file");
	is_int(status_server_new(event, path, getegid(), build_doc, r, &s), -EEXIST,
	       "a non-socket in the way is not deleted: -EEXIST");
	is_str(get(path), "a file", "and stays as it was");
	(void) unlink(path);

	is_int(status_server_new(event, path, getegid(), build_garbage, r, &s), 0, "a server that sends garbage");
	is_int(fetch(path, 2 * USEC_PER_SEC, NULL), -EBADMSG, "the client rejects a non-JSON answer: -EBADMSG");
	s = status_server_free(s);
}

static void test_client_errors(void) {
	char *doc = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	is_int(status_fetch(P("nothing.sock"), USEC_PER_SEC, &doc), -ENOENT, "no socket: -ENOENT");

	/* A socket nobody listens on, as a killed supervisor leaves it. */
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", P("dead.sock"));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok(fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof sa) >= 0, "a bound, not listening socket");
	is_int(status_fetch(P("dead.sock"), USEC_PER_SEC, &doc), -ECONNREFUSED, "nobody listening: -ECONNREFUSED");
	ok(fd >= 0 && listen(fd, 4) >= 0, "listening, never answering");
	usec_t t0 = now(CLOCK_MONOTONIC);
	is_int(status_fetch(P("dead.sock"), 100 * USEC_PER_MSEC, &doc), -ETIMEDOUT, "a silent server: -ETIMEDOUT");
	ok(now(CLOCK_MONOTONIC) - t0 < USEC_PER_SEC, "within the timeout");
	ok(doc == NULL, "ret untouched on failure");
	close(fd);

	setenv(STATUS_SOCKET_ENV, "/x/y.sock", 1);
	is_str(status_socket_path(), "/x/y.sock", "$KILN_STATUS_SOCKET overrides the path");
	setenv(STATUS_SOCKET_ENV, "", 1);
	is_str(status_socket_path(), STATUS_SOCKET_PATH, "an empty one does not");
	unsetenv(STATUS_SOCKET_ENV);
}

int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");
	if (sd_event_new(&event) < 0)
		skip_all("cannot create an sd-event loop");
	test_document();
	test_socket();
	test_client_errors();
	sd_event_unref(event);
	(void) rm_rf(T);
	free(T);
	return done_testing();
}
