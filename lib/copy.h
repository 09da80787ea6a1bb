/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Sparse-preserving file copies, used to place filesystem images into a disk image.
 *
 * Holes matter here: a disk image is mostly empty space, and a copy that fills it with
 * zeros costs gigabytes of disk and minutes of I/O for no change in content. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Copy the whole of src_fd, a regular file, into dst_fd, a regular file, so that dst bytes
 * [dst_offset, dst_offset + size of src) equal src. Returns 0 and the source size (the
 * length of that range) in *ret_bytes (may be NULL), or -errno.
 *
 * - Sparse: the source's data extents are found with lseek(SEEK_DATA/SEEK_HOLE) and only
 *   they are copied, with copy_file_range(2) (which may share blocks on btrfs/XFS), or
 *   with pread/pwrite where the kernel or filesystem cannot (EXDEV, EINVAL, ENOSYS,
 *   EOPNOTSUPP); the pread/pwrite path also skips all-zero 64 KiB blocks. Holes in the
 *   source are holes in dst.
 * - Exact: skipping is only correct if the range reads as zeros beforehand, so the part
 *   of the range inside dst's current size is emptied first (FALLOC_FL_PUNCH_HOLE, or
 *   zeros written where the filesystem cannot punch). Old content there never shows
 *   through a hole of the source.
 * - dst is extended to dst_offset + size of src if it is shorter, and never beyond;
 *   nothing outside the range is written. A range that does not fit in off_t: -EFBIG.
 *   The caller checks that the source fits where it goes: nothing here knows about
 *   partitions.
 * - src_fd must be open for reading and dst_fd for writing (else -EBADF); dst_fd must not
 *   be O_APPEND, neither may be anything but a regular file, and they must not be the
 *   same file (else -EINVAL). The source is read from offset 0 whatever its file
 *   position, which is left unspecified; dst_fd's file position is not changed.
 * - The source must not change during the copy: one that shrinks may give -EIO, one that
 *   grows is copied up to the size it had when the copy started.
 * - On failure the range holds a partial copy (and dst may already be extended): callers
 *   treat the destination as garbage. Nothing is fsync()ed. */
int copy_file_to_offset(int src_fd, int dst_fd, uint64_t dst_offset, uint64_t *ret_bytes);

/* Copy the regular file src to dst with copy_file_to_offset(), so that dst is as sparse as
 * src. dst ends up with exactly `mode` (07777 at most, else -EINVAL; the umask does not
 * apply) and owned by the caller. The copy is written to a temporary file next to dst and
 * renamed over it, so dst is either the old file or the complete copy, never a partial
 * one; the temporary file is removed on failure. Like rename(2), a symlink at dst is
 * replaced, not followed. Not fsync()ed: the caller syncs once when the image is done.
 * Returns 0 or -errno. */
int copy_file_sparse(const char *src, const char *dst, mode_t mode);

/* Test seam: false makes copy_file_to_offset() skip copy_file_range(2) and use the
 * pread/pwrite path, so both paths can be tested on one filesystem. Not for production
 * code; not thread-safe. */
void copy_set_copy_file_range(bool enabled);
