/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd-util.h"
#include "json-util.h"
#include "status-client.h"
#include "status-server.h"

const char *status_socket_path(void) {
	const char *e = getenv(STATUS_SOCKET_ENV);
	return isempty(e) ? STATUS_SOCKET_PATH : e;
}

static int validate_document(const char *text, size_t size) {
	_cleanup_json_ json_t *o = NULL;
	json_error_t error;

	o = json_loadb(text, size, 0, &error);
	if (!o)
		return json_error_code(&error) == json_error_out_of_memory ? -ENOMEM : -EBADMSG;
	return json_is_object(o) ? 0 : -EBADMSG;
}

int status_fetch(const char *path, usec_t timeout, char **ret) {
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, allocated = 0;
	usec_t deadline = usec_add(now(CLOCK_MONOTONIC), timeout);
	int k;

	if (isempty(path) || !ret)
		return -EINVAL;
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A unix socket connect does not wait for the server's accept() when the backlog has
	 * room, and fails at once with EAGAIN when it has none: blocking is fine here. */
	if (connect(fd, (const struct sockaddr *) &sa, sizeof sa) < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		usec_t left = usec_sub_unsigned(deadline, now(CLOCK_MONOTONIC));

		if (left == 0)
			return -ETIMEDOUT;
		k = poll(&p, 1, usec_to_poll_timeout(left));
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k <= 0)
			continue;
		if (allocated - size < 4096 + 1) {
			size_t want = MAX(allocated * 2, (size_t) 16384);
			char *nb = realloc(buf, want);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			allocated = want;
		}
		ssize_t n = read(fd, buf + size, allocated - size - 1);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		size += (size_t) n;
		if (size > STATUS_DOCUMENT_MAX)
			return -EFBIG;
	}
	if (!buf)
		return -EBADMSG;   /* closed without a word */
	buf[size] = '\0';
	k = validate_document(buf, size);
	if (k < 0)
		return k;
	*ret = TAKE_PTR(buf);
	return 0;
}

static void format_duration(json_t *ms, char buf[static 32]) {
	if (!json_is_integer(ms)) {
		snprintf(buf, 32, "-");
		return;
	}
	long long v = json_integer_value(ms);
	if (v < 1000)
		snprintf(buf, 32, "%lld ms", v);
	else if (v < 60000)
		snprintf(buf, 32, "%lld.%lld s", v / 1000, v % 1000 / 100);
	else
		snprintf(buf, 32, "%lldmin %llds", v / 60000, v % 60000 / 1000);
}

static const char *text_or_dash(json_t *o, const char *key) {
	const char *s = json_string_value(json_object_get(o, key));
	return isempty(s) ? "-" : s;
}

/* The cluster as the supervisor last saw it: the API server, this node, kube-system's
 * workloads, and each kube-system pod that is not running and ready. */
static void format_cluster(FILE *f, json_t *cluster) {
	json_t *api = json_object_get(cluster, "apiServer"), *node = json_object_get(cluster, "node");
	json_t *workloads = json_object_get(cluster, "workloads"), *pods = json_object_get(cluster, "podsNotReady");
	json_t *ok = json_object_get(api, "ok"), *ready = json_object_get(node, "ready"), *w, *p;
	size_t i, avail = 0;

	fprintf(f, "\nCluster, as last checked %s:\n", text_or_dash(cluster, "checked"));
	fprintf(f, "  API server   %s\n", json_is_true(ok) ? "ok" : json_is_false(ok)
		? text_or_dash(api, "detail") : "not checked");
	fprintf(f, "  Node         %s %s%s%s%s\n", text_or_dash(node, "name"),
		json_is_true(ready) ? "Ready" : json_is_false(ready) ? "NotReady" : "unknown",
		json_is_null(json_object_get(node, "detail")) ? "" : " (",
		json_is_null(json_object_get(node, "detail")) ? "" : text_or_dash(node, "detail"),
		json_is_null(json_object_get(node, "detail")) ? "" : ")");
	if (json_is_array(workloads)) {
		json_array_foreach(workloads, i, w)
			avail += json_is_true(json_object_get(w, "ok"));
		fprintf(f, "  kube-system  %zu/%zu workloads available", avail, json_array_size(workloads));
		json_array_foreach(workloads, i, w)
			if (!json_is_true(json_object_get(w, "ok")))
				fprintf(f, "; %s %s %lld/%lld", text_or_dash(w, "kind"), text_or_dash(w, "name"),
					(long long) json_integer_value(json_object_get(w, "available")),
					(long long) json_integer_value(json_object_get(w, "desired")));
		fputc('\n', f);
	}
	if (json_is_array(pods)) {
		long long total = json_integer_value(json_object_get(cluster, "podsTotal"));
		if (json_array_size(pods) == 0)
			fprintf(f, "  Pods         all %lld kube-system pods running and ready\n", total);
		else
			fprintf(f, "  Pods         %zu of %lld kube-system pods not running and ready:\n",
				json_array_size(pods), total);
		json_array_foreach(pods, i, p)
			fprintf(f, "    %s  %s  %s\n", text_or_dash(p, "name"), text_or_dash(p, "phase"),
				text_or_dash(p, "reason"));
	}
}

/* Each addon in order: where the addons phase is with it, and what it waits for or why it
 * failed, in the supervisor's words. */
static void format_addons(FILE *f, json_t *addons) {
	json_t *a;
	size_t i;
	/* The step column as wide as its longest word, so that rows line up over time. */
	int w_name = 5, w_step = (int) STRLEN("available");

	json_array_foreach(addons, i, a) {
		w_name = MAX(w_name, (int) strlen(text_or_dash(a, "name")));
	}
	fprintf(f, "\nAddons, in the order they are applied:\n");
	json_array_foreach(addons, i, a) {
		json_t *workloads = json_object_get(a, "workloads");
		const char *step = text_or_dash(a, "step");
		fprintf(f, "  %-*s  %-*s  ", w_name, text_or_dash(a, "name"), w_step, step);
		if (json_is_string(json_object_get(a, "detail")))
			fprintf(f, "%s", text_or_dash(a, "detail"));
		else if (streq(step, "available"))
			fprintf(f, "%zu workloads available in %s, %s", json_array_size(workloads), text_or_dash(a, "namespace"),
				json_is_true(json_object_get(a, "applied")) ? "applied now" : "applied at an earlier boot");
		else if (streq(step, "pending"))
			fprintf(f, "after the addons before it");
		fputc('\n', f);
	}
}

int status_format_table(const char *document, char **ret) {
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_free_ char *out = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t out_size = 0, i;
	int w_name = 5, w_status = 6, w_detail = 6;
	json_t *p;

	if (!document || !ret)
		return -EINVAL;
	doc = json_loads(document, 0, NULL);
	if (!json_is_object(doc))
		return -EBADMSG;
	if (json_is_string(json_object_get(doc, "error")))
		return -EPROTO;   /* the supervisor could not build its document */
	json_t *phases = json_object_get(doc, "phases");
	if (!json_is_array(phases))
		return -EBADMSG;

	json_array_foreach(phases, i, p) {
		if (!json_is_string(json_object_get(p, "name")) || !json_is_string(json_object_get(p, "status")))
			return -EBADMSG;
		w_name = MAX(w_name, (int) strlen(text_or_dash(p, "name")));
		w_status = MAX(w_status, (int) strlen(text_or_dash(p, "status")));
		w_detail = MAX(w_detail, (int) strlen(text_or_dash(p, "detail")));
	}

	f = open_memstream(&out, &out_size);
	if (!f)
		return -ENOMEM;
	json_t *retry = json_object_get(doc, "retryInMs");
	fprintf(f, "kiln %s: %s, phase %s, %lld repairs\n",
		text_or_dash(doc, "version"),
		json_is_true(json_object_get(doc, "ready")) ? "ready" : "not ready",
		text_or_dash(doc, "phase"),
		(long long) json_integer_value(json_object_get(doc, "repairs")));
	fprintf(f, "Status: %s\n", text_or_dash(doc, "status"));
	if (json_is_integer(retry))
		fprintf(f, "Next retry in %lld s\n", (long long) (json_integer_value(retry) + 999) / 1000);
	fprintf(f, "\n%-*s  %-*s  %9s  %8s  %-*s  %s\n", w_name, "PHASE", w_status, "STATUS", "DURATION",
		"ATTEMPTS", w_detail, "DETAIL", "LAST ERROR");
	json_array_foreach(phases, i, p) {
		char duration[32];
		format_duration(json_object_get(p, "durationMs"), duration);
		fprintf(f, "%-*s  %-*s  %9s  %8lld  %-*s  %s\n",
			w_name, text_or_dash(p, "name"), w_status, text_or_dash(p, "status"), duration,
			(long long) json_integer_value(json_object_get(p, "attempts")),
			w_detail, text_or_dash(p, "detail"), text_or_dash(p, "lastError"));
	}
	json_t *cluster = json_object_get(doc, "cluster");
	if (json_is_object(cluster))
		format_cluster(f, cluster);
	json_t *addons = json_object_get(doc, "addons");
	if (json_is_array(addons) && json_array_size(addons) > 0)
		format_addons(f, addons);
	/* out is only complete, and only ours, once the stream is closed. */
	if (fclose(TAKE_PTR(f)) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(out);
	return 0;
}
