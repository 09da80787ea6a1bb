/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fd-util.h"
#include "process-util.h"
#include "runtime.h"

/* Lines of a "ctr version" section are indented below their header:
 *   Server:
 *     Version:  1.7.24~ds1
 *     Revision: ...        */
int runtime_parse_ctr_version(const char *output, char **ret_version) {
	bool in_server = false, seen_server = false;
	const char *p = output;

	if (!output)
		return -EINVAL;

	while (*p) {
		size_t len = strcspn(p, "\n");
		const char *line = p, *value;

		p += len + (p[len] == '\n');
		/* Trailing blanks (and a "\r") carry no meaning. */
		while (len > 0 && strchr(" \t\r", line[len - 1]))
			len--;

		if (len > 0 && !strchr(" \t", line[0])) {
			/* A new section header. */
			in_server = len == STRLEN("Server:") && strneq(line, "Server:", len);
			seen_server = seen_server || in_server;
			continue;
		}
		if (!in_server)
			continue;
		value = line + strspn(line, " \t");
		if ((size_t) (value - line) >= len || !strneq(value, "Version:", STRLEN("Version:")))
			continue;
		value += STRLEN("Version:");
		value += strspn(value, " \t");
		if (value >= line + len)
			return -EBADMSG;
		if (ret_version) {
			char *v = strndup(value, (size_t) (line + len - value));
			if (!v)
				return -ENOMEM;
			*ret_version = v;
		}
		return 0;
	}
	return seen_server ? -EBADMSG : -ENODATA;
}

/* connect(2) gives the crisp answers (no socket, nobody listening) that ctr would only
 * report as a timeout after retrying for its whole connect timeout. */
static int probe_socket(const char *path) {
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;

	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *) &sa, sizeof sa) < 0) {
		/* A full backlog means a listener that is busy, not absent: let ctr decide. */
		if (errno == EAGAIN)
			return 0;
		return -errno;
	}
	return 0;
}

int runtime_containerd_version(const char *socket_path, usec_t timeout_usec, char **ret_version) {
	_cleanup_free_ char *out = NULL;
	char connect_timeout[32];
	int r, status;

	if (!socket_path)
		socket_path = RUNTIME_CONTAINERD_SOCKET;
	if (timeout_usec == 0 || timeout_usec == USEC_INFINITY)
		return -EINVAL;

	r = probe_socket(socket_path);
	if (r < 0)
		return r;

	/* Half the budget for ctr's dialing, the rest for its start and the call, so ctr
	 * gives up on its own and we rarely have to kill it. */
	(void) snprintf(connect_timeout, sizeof connect_timeout, "%" PRIu64 "ms",
			MAX(timeout_usec / 2 / USEC_PER_MSEC, (usec_t) 1));
	const char *const argv[] = {
		"ctr", "--address", socket_path, "--connect-timeout", connect_timeout, "version", NULL,
	};
	/* ctr's complaints go nowhere: the caller reports the -errno once. */
	const SpawnOptions opts = {
		.stdio[STDERR_FILENO] = { .mode = SPAWN_STDIO_NULL },
		.pdeathsig = true,
	};
	r = capture_command_full(argv, &opts, timeout_usec, 64 * 1024, &out, NULL, &status);
	if (r == -ENOENT)
		return -ENOPKG;
	if (r < 0)
		return r;
	/* The socket accepted our connection, so a ctr that did not get an answer met a
	 * containerd that did not serve in time. */
	if (status != 0)
		return -ETIMEDOUT;
	r = runtime_parse_ctr_version(out, ret_version);
	return r == -ENODATA ? -ETIMEDOUT : r;
}

int runtime_cri_ready(const char *socket_path) {
	return runtime_containerd_version(socket_path, RUNTIME_CTR_TIMEOUT_USEC, NULL);
}
