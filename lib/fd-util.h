/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "macro.h"

/* Close fd if valid, keep errno, return -EBADF so "fd = safe_close(fd);" resets it. */
int safe_close(int fd);

static inline void closep(int *fd) {
	(void) safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
	if (*f)
		(void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Close every fd >= 3 except those listed (sorted or not). Used after fork. */
int close_all_fds_except(const int *except, size_t n_except);

int fd_set_cloexec(int fd, int cloexec);
int fd_set_nonblock(int fd, int nonblock);

/* Open the directory containing path (O_DIRECTORY|O_CLOEXEC). */
int open_parent_dir(const char *path);
