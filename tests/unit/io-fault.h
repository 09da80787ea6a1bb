/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One programmable fault for the io-util test hooks (io_set_{write,read,fsync}_hook), shared
 * by the tests of io-util and fileio. Set fields of F after fault_reset(), install a hook,
 * and the next calls misbehave exactly as asked:
 *   - the first n_eintr calls fail with EINTR;
 *   - once `done` (bytes moved, or fsyncs passed) reaches fail_after, calls fail with
 *     fail_errno (only once if fail_once);
 *   - each call moves at most `chunk` bytes (0: no limit), i.e. short reads and writes;
 *   - zero_once: the first write reports 0 bytes; overreport: claim n + 1 bytes.
 * F.calls counts every call, so a test can tell whether a retry happened. */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

static struct {
	unsigned calls, n_eintr;
	size_t chunk, done, fail_after;
	int fail_errno;
	bool fail_once, zero_once, overreport;
	void (*on_write)(void);   /* called before each write that goes through */
} F;

static inline void fault_reset(void) {
	memset(&F, 0, sizeof F);
}

static inline bool fault_step(size_t *n) {
	F.calls++;
	if (F.n_eintr > 0) {
		F.n_eintr--;
		errno = EINTR;
		return false;
	}
	if (F.fail_errno && F.done >= F.fail_after) {
		errno = F.fail_errno;
		if (F.fail_once)
			F.fail_errno = 0;
		return false;
	}
	if (F.chunk > 0)
		*n = MIN(*n, F.chunk);
	return true;
}

static inline ssize_t fault_write(int fd, const void *buf, size_t n) {
	if (!fault_step(&n))
		return -1;
	if (F.overreport)
		return (ssize_t) n + 1;
	if (F.zero_once) {
		F.zero_once = false;
		return 0;
	}
	if (F.on_write)
		F.on_write();
	ssize_t k = write(fd, buf, n);
	F.done += k > 0 ? (size_t) k : 0;
	return k;
}

static inline ssize_t fault_read(int fd, void *buf, size_t n) {
	if (!fault_step(&n))
		return -1;
	if (F.overreport)
		return (ssize_t) n + 1;
	ssize_t k = read(fd, buf, n);
	F.done += k > 0 ? (size_t) k : 0;
	return k;
}

static inline int fault_fsync(int fd) {
	size_t n = 0;
	if (!fault_step(&n))
		return -1;
	F.done++;
	return fsync(fd);
}
