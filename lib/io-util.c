/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "io-util.h"

static io_write_fn write_hook = write;
static io_read_fn read_hook = read;
static io_fsync_fn fsync_hook = fsync;

void io_set_write_hook(io_write_fn fn) {
	write_hook = fn ?: write;
}

void io_set_read_hook(io_read_fn fn) {
	read_hook = fn ?: read;
}

void io_set_fsync_hook(io_fsync_fn fn) {
	fsync_hook = fn ?: fsync;
}

int loop_write(int fd, const void *buf, size_t n) {
	const uint8_t *p = buf;

	while (n > 0) {
		/* A single write(2) larger than SSIZE_MAX is undefined; chunk it. */
		ssize_t k = write_hook(fd, p, MIN(n, (size_t) SSIZE_MAX));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			return -EIO;
		if ((size_t) k > n)   /* a broken hook or driver; never walk past the buffer */
			return -EIO;
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

ssize_t loop_read(int fd, void *buf, size_t n) {
	uint8_t *p = buf;
	size_t done = 0;

	/* The return value must fit in ssize_t. */
	if (n > (size_t) SSIZE_MAX)
		return -EINVAL;

	while (done < n) {
		ssize_t k = read_hook(fd, p + done, n - done);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		if ((size_t) k > n - done)
			return -EIO;
		done += (size_t) k;
	}
	return (ssize_t) done;
}

int loop_read_exact(int fd, void *buf, size_t n) {
	ssize_t k = loop_read(fd, buf, n);
	if (k < 0)
		return (int) k;
	return (size_t) k == n ? 0 : -EIO;
}

int io_fsync(int fd) {
	for (;;) {
		if (fsync_hook(fd) >= 0)
			return 0;
		/* Only EINTR is retried: after EIO the kernel may already have dropped the dirty
		 * pages, so a second fsync(2) that succeeds would be a lie. */
		if (errno != EINTR)
			return negative_errno();
	}
}
