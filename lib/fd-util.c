/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"

int safe_close(int fd) {
	if (fd >= 0) {
		PROTECT_ERRNO;
		/* Linux always releases the fd, even when close() reports EINTR: never retry. */
		(void) close(fd);
	}
	return -EBADF;
}

static int cmp_int(const void *a, const void *b) {
	int x = *(const int *) a, y = *(const int *) b;
	return (x > y) - (x < y);
}

int close_all_fds_except(const int *except, size_t n_except) {
	int sorted[n_except > 0 ? n_except : 1];
	unsigned start = 3;

	memcpy(sorted, except, n_except * sizeof(int));
	qsort(sorted, n_except, sizeof(int), cmp_int);

	/* close_range() covers the gaps between kept fds without allocating, which
	 * matters because this runs in a freshly forked child. */
	for (size_t i = 0; i < n_except; i++) {
		if (sorted[i] < (int) start)
			continue;
		if ((unsigned) sorted[i] > start && close_range(start, sorted[i] - 1, 0) < 0)
			return negative_errno();
		start = sorted[i] + 1;
	}
	if (close_range(start, ~0U, 0) < 0)
		return negative_errno();
	return 0;
}

int fd_set_cloexec(int fd, int cloexec) {
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return negative_errno();
	int nflags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
	if (nflags != flags && fcntl(fd, F_SETFD, nflags) < 0)
		return negative_errno();
	return 0;
}

int fd_set_nonblock(int fd, int nonblock) {
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return negative_errno();
	int nflags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (nflags != flags && fcntl(fd, F_SETFL, nflags) < 0)
		return negative_errno();
	return 0;
}

int open_parent_dir(const char *path) {
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;

	char *slash = strrchr(copy, '/');
	const char *dir;
	if (!slash)
		dir = ".";
	else if (slash == copy)
		dir = "/";
	else {
		*slash = '\0';
		dir = copy;
	}

	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? negative_errno() : fd;
}
