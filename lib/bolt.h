/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* bbolt database files (go.etcd.io/bbolt), the format containerd keeps its metadata in
 * (io.containerd.metadata.v1.bolt/meta.db, the overlayfs snapshotter's metadata.db).
 *
 * Why kiln looks at them at all: containerd opens a missing or empty file as a new, empty
 * database, and its garbage collector then removes every content blob and snapshot that
 * database does not know, so a damaged file must be noticed before containerd starts
 * (kiln-store-check(8)). */

/* Is the open bbolt file fd usable, as bbolt itself decides when it opens one? 0 when it
 * is; -EBADMSG when it is not (empty, truncated, neither meta page valid), with the reason
 * in *ret_error (malloc'd; ret_error may be NULL); other -errno when it cannot be read.
 * Reads through pread(2): fd's file position is not used. */
int bolt_verify(int fd, char **ret_error);
