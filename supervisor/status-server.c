/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fd-util.h"
#include "fileio.h"
#include "json-util.h"
#include "status-server.h"

typedef struct Connection Connection;
struct Connection {
	StatusServer *server;
	int fd;
	sd_event_source *io;
	char *data;
	size_t size, written;
	Connection *prev, *next;
};

struct StatusServer {
	sd_event *event;
	char *path;
	int fd;
	sd_event_source *io;
	StatusBuildFn build;
	void *userdata;
	Connection *connections;
	unsigned n_connections;
};

static Connection *connection_free(Connection *c) {
	if (!c)
		return NULL;
	if (c->server) {
		if (c->prev)
			c->prev->next = c->next;
		else
			c->server->connections = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->server->n_connections--;
	}
	sd_event_source_disable_unref(c->io);
	safe_close(c->fd);
	free(c->data);
	free(c);
	return NULL;
}

/* 1 when everything is written, 0 when the client must drain its buffer first. */
static int connection_flush(Connection *c) {
	while (c->written < c->size) {
		ssize_t n = send(c->fd, c->data + c->written, c->size - c->written, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		c->written += (size_t) n;
	}
	return 1;
}

static int on_connection_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	Connection *c = userdata;

	/* A client that went away (EPOLLHUP/ERR) or a write error: nothing more to do. */
	if (connection_flush(c) != 0)
		connection_free(c);
	return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	StatusServer *server = userdata;
	_cleanup_close_ int cfd = -EBADF;
	Connection *c;
	int k;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return 0;   /* EAGAIN, or a client that gave up: nothing to serve */
	if (server->n_connections >= STATUS_CONNECTIONS_MAX)
		return 0;

	c = calloc(1, sizeof *c);
	if (!c)
		return 0;
	c->fd = TAKE_FD(cfd);
	c->server = server;
	c->next = server->connections;
	if (c->next)
		c->next->prev = c;
	server->connections = c;
	server->n_connections++;

	k = server->build(server->userdata, &c->data);
	if (k < 0) {
		/* Still one JSON document, so that clients need only one code path. */
		if (asprintf(&c->data, "{\"error\":\"%s\"}\n", strerror(-k)) < 0)
			c->data = NULL;
	}
	if (!c->data) {
		connection_free(c);
		return 0;
	}
	c->size = strlen(c->data);
	k = connection_flush(c);
	if (k != 0 || sd_event_add_io(server->event, &c->io, c->fd, EPOLLOUT, on_connection_writable, c) < 0)
		connection_free(c);
	return 0;
}

static int socket_prepare_dir(const char *path, gid_t gid) {
	_cleanup_free_ char *dir = strdup(path);
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;   /* a socket in "/" or the working directory: not ours to change */
	*slash = '\0';
	int k = mkdir_p(dir, 0750);
	if (k < 0)
		return k;
	/* RuntimeDirectory= made it root:root; the group may read the status. */
	if ((gid != getegid() && chown(dir, (uid_t) -1, gid) < 0) || chmod(dir, 0750) < 0)
		return -errno;
	return 0;
}

int status_server_new(sd_event *e, const char *path, gid_t gid, StatusBuildFn build, void *userdata,
		      StatusServer **ret) {
	_cleanup_(status_server_freep) StatusServer *s = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int k;

	if (!e || isempty(path) || !build || !ret)
		return -EINVAL;
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->fd = -EBADF;
	s->event = sd_event_ref(e);
	s->build = build;
	s->userdata = userdata;

	k = socket_prepare_dir(path, gid);
	if (k < 0)
		return k;
	/* A socket left by an earlier supervisor (kill -9 leaves it); anything else there is
	 * not ours to delete. */
	if (lstat(path, &st) >= 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	/* Created 0600 whatever the umask, then opened up to the group: no window in which
	 * anybody else may connect. */
	mode_t old = umask(0177);
	k = bind(s->fd, (const struct sockaddr *) &sa, sizeof sa);
	umask(old);
	if (k < 0)
		return -errno;
	s->path = strdup(path);
	if (!s->path)
		return -ENOMEM;
	if ((gid != getegid() && chown(path, (uid_t) -1, gid) < 0) || chmod(path, 0660) < 0)
		return -errno;
	if (listen(s->fd, 16) < 0)
		return -errno;
	k = sd_event_add_io(e, &s->io, s->fd, EPOLLIN, on_accept, s);
	if (k < 0)
		return k;
	(void) sd_event_source_set_description(s->io, "status-socket");
	*ret = TAKE_PTR(s);
	return 0;
}

StatusServer *status_server_free(StatusServer *s) {
	if (!s)
		return NULL;
	while (s->connections)
		connection_free(s->connections);
	sd_event_source_disable_unref(s->io);
	if (s->fd >= 0 && s->path)
		(void) unlink(s->path);
	safe_close(s->fd);
	sd_event_unref(s->event);
	free(s->path);
	free(s);
	return NULL;
}

/* ---- the document ---- */

json_t *status_json_time(usec_t u) {
	char buf[sizeof "2026-11-22T03:44:01.123Z"];
	struct tm tm;
	time_t t = (time_t) (u / USEC_PER_SEC);

	if (u == 0 || !gmtime_r(&t, &tm))
		return json_null();
	size_t n = strftime(buf, sizeof buf - 5, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof buf - n, ".%03uZ", (unsigned) (u % USEC_PER_SEC / USEC_PER_MSEC));
	return json_string(buf);
}

static json_t *json_text(const char *s) {
	return s ? json_string(s) : json_null();
}

static json_t *phase_json(const PhaseState *p, usec_t now_usec) {
	json_t *duration = json_null();

	if (p->started_usec > 0 && p->finished_usec >= p->started_usec)
		duration = json_integer((json_int_t) ((p->finished_usec - p->started_usec) / USEC_PER_MSEC));
	else if (p->started_usec > 0 && p->status == PHASE_RUNNING)
		duration = json_integer((json_int_t) (usec_sub_unsigned(now_usec, p->started_usec) / USEC_PER_MSEC));

	/* The "o" format steals the reference, also on failure; a NULL argument fails it. */
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:o, s:o}",
			 "name", p->name,
			 "status", phase_status_to_string(p->status),
			 "started", status_json_time(p->started_usec),
			 "finished", status_json_time(p->finished_usec),
			 "durationMs", duration,
			 "attempts", (json_int_t) p->attempts,
			 "lastError", json_text(p->last_error),
			 "detail", json_text(p->detail));
}

int status_document(PhaseRunner *r, json_t *cluster, json_t *addons, usec_t now_usec, char **ret) {
	_cleanup_json_ json_t *doc = NULL, *phases = json_array();
	NodeState *s = phase_runner_state(r);
	char boot[SD_ID128_STRING_MAX];
	char *text;

	if (!s || !ret)
		return -EINVAL;
	if (!phases)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_phases; i++)
		if (json_array_append_new(phases, phase_json(&s->phases[i], now_usec)) < 0)
			return -ENOMEM;

	const PhaseState *ready = node_state_find(s, "ready");
	usec_t retry_at = phase_runner_retry_at(r);
	json_t *retry = retry_at == USEC_INFINITY ? json_null()
		: json_integer((json_int_t) (usec_sub_unsigned(retry_at, now(CLOCK_MONOTONIC)) / USEC_PER_MSEC));
	doc = json_pack("{s:s, s:o, s:b, s:o, s:s, s:I, s:o, s:O, s:O, s:O}",
			"version", KILN_VERSION,
			"phase", json_text(phase_runner_current(r)),
			"ready", ready && ready->status == PHASE_DONE,
			"status", json_text(phase_runner_status_text(r)),
			"bootId", sd_id128_to_string(s->boot_id, boot),
			"repairs", (json_int_t) s->repairs,
			"retryInMs", retry,
			"phases", phases,
			"cluster", cluster ?: json_null(),
			"addons", addons ?: json_null());
	if (!doc)
		return -ENOMEM;
	text = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	*ret = text;
	return 0;
}
