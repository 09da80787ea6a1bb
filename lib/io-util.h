/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whole-buffer read and write loops over blocking fds, and the fault-injection seam the
 * tests use to make EINTR, short writes and ENOSPC happen on demand.
 *
 * These loops do not poll: on a non-blocking fd EAGAIN is returned like any other error. */

#include <sys/types.h>

#include "macro.h"

/* Write all n bytes. Retries EINTR, continues after short writes. Returns 0, or -errno;
 * -EIO if write(2) reports 0 bytes written, so a broken fd cannot make us spin. */
int loop_write(int fd, const void *buf, size_t n);

/* Read until n bytes have been read or EOF. Retries EINTR. Returns the number of bytes
 * read (less than n only at EOF), or -errno. An error is reported even when some bytes
 * were already read: a failing disk must not look like a shorter file. Those bytes are
 * in buf, but the count is lost, so treat buf as garbage on error. */
ssize_t loop_read(int fd, void *buf, size_t n);

/* Like loop_read(), but anything short of n bytes is -EIO. Returns 0 or -errno. */
int loop_read_exact(int fd, void *buf, size_t n);

/* fsync(2) through the fsync hook below, retrying EINTR. Returns 0 or -errno. */
int io_fsync(int fd);

/* Test seam: replace the write(2), read(2) and fsync(2) calls made by the functions above
 * (and by everything built on them, e.g. fileio.c). The hooks have the libc calling
 * convention: return -1 and set errno on failure. Passing NULL restores the real syscall.
 * The hooks are process-wide and not thread-safe: set them only from single-threaded
 * tests, never from production code. The cost when unused is one indirect call. */
typedef ssize_t (*io_write_fn)(int fd, const void *buf, size_t n);
typedef ssize_t (*io_read_fn)(int fd, void *buf, size_t n);
typedef int (*io_fsync_fn)(int fd);

void io_set_write_hook(io_write_fn fn);
void io_set_read_hook(io_read_fn fn);
void io_set_fsync_hook(io_fsync_fn fn);
