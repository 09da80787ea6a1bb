/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whole-file reads, atomic whole-file writes, mkdir -p, and state files.
 *
 * Every state file is written atomically: temp file in the same directory, write, fchmod,
 * fsync, rename(2) over the target, fsync the directory. Readers therefore see either the
 * old content or the new content, never a mix, even across a power cut. */

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

typedef enum WriteFileFlags {
	/* Create missing parent directories with mode 0755 (minus umask) first. */
	WRITE_FILE_MKDIR_PARENTS = 1 << 0,
} WriteFileFlags;

/* Replace path with exactly size bytes of data, atomically and durably.
 *
 * - The file ends up with exactly `mode` (07777 at most, else -EINVAL): it is fchmod()ed,
 *   so the umask does not apply. It is owned by the caller; the old file's owner, ACLs and
 *   xattrs are not carried over, and hard links to the old file keep the old content.
 * - rename(2) semantics: if path is a symlink, the symlink itself is replaced by a regular
 *   file and the file it pointed to is left alone. If path is a directory: -EISDIR.
 *   A path that ends in '/' names a directory: -EISDIR.
 * - Missing parent directories: -ENOENT, unless WRITE_FILE_MKDIR_PARENTS.
 * - The temp file is an O_TMPFILE (nothing to clean up after a crash) where the filesystem
 *   supports it, else ".#<name>.<random>" created with O_EXCL. Either way it is gone on
 *   failure, and the old content of path is intact.
 * - The directory is always fsync()ed after the rename; there is no flag to skip it
 *   because the rename is not durable without it. If only that last fsync fails, the new
 *   content is already in place (visible, but maybe not on disk) and the error is still
 *   returned: the caller asked for durability and did not get it.
 * Returns 0 or -errno. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode,
		      WriteFileFlags flags);
/* Same, with a relative name resolved against dir_fd (or AT_FDCWD). name may contain
 * slashes; dir_fd may be an O_PATH fd. */
int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size,
			 mode_t mode, WriteFileFlags flags);

/* Test seam: false makes write_file_atomic*() skip O_TMPFILE and use a named temp file,
 * so both paths can be tested on one filesystem. Not for production code. */
void fileio_set_o_tmpfile(bool enabled);

/* Default limit of read_full_*(): kiln only reads small configuration and state files,
 * so anything larger is a mistake (or /dev/zero) and must not exhaust memory. */
#define READ_FULL_MAX ((size_t) 64 * 1024 * 1024)

/* Read the rest of fd (from its current offset) until EOF into a new NUL-terminated
 * buffer; *ret_size (optional) excludes the NUL. Works for pipes and for /proc and /sys
 * files whose st_size is 0 or wrong. More than max_size bytes: -EFBIG. A directory:
 * -EISDIR. The ret_* parameters are untouched on failure. */
int read_full_fd_max(int fd, size_t max_size, char **ret_data, size_t *ret_size);
int read_full_fd(int fd, char **ret_data, size_t *ret_size);
int read_full_file_max(const char *path, size_t max_size, char **ret_data, size_t *ret_size);
int read_full_file(const char *path, char **ret_data, size_t *ret_size);

/* Create every missing directory above path (not path itself) with mode (minus umask).
 * Existing directories, and symlinks to directories, are fine. A component that exists
 * and is not a directory: -ENOTDIR. Trailing and repeated slashes are ignored. */
int mkdir_parents(const char *path, mode_t mode);
int mkdir_parents_at(int dir_fd, const char *path, mode_t mode);
/* Same, and path itself; path existing as a directory is fine, as anything else -ENOTDIR. */
int mkdir_p(const char *path, mode_t mode);
int mkdir_p_at(int dir_fd, const char *path, mode_t mode);

/* fsync the directory that contains path, making a rename or unlink in it durable. */
int fsync_directory_of(const char *path);

/* A state file validator: return >= 0 to accept data, < 0 to reject it. -ENOMEM means
 * "could not decide" and is passed back to the caller without touching the file, so
 * memory pressure never throws state away. data is NUL-terminated; size excludes the NUL. */
typedef int (*state_validate_fn)(const char *data, size_t size, void *userdata);

/* Read a state file that kiln itself wrote with write_file_atomic().
 *
 * A corrupt or empty state file is moved aside and rebuilt, never trusted, never fatal.
 *
 * - Missing (or a dangling symlink): -ENOENT; the caller builds the state from scratch.
 * - Not a regular file, empty, larger than READ_FULL_MAX, unreadable with -EIO, or
 *   rejected by validate (which may be NULL): the file is renamed to
 *   "<path>.corrupt-<unix-usec>" for a human to look at, and -EBADMSG is returned; the
 *   caller rebuilds the state from the system. Moving aside is best effort: if the
 *   rename fails it is still -EBADMSG, and the next atomic write replaces the file.
 * - Other errors (-EACCES, -ENOMEM, ...) say nothing about the content: returned as is,
 *   file left in place.
 * - Valid: 0, with the NUL-terminated content in *ret_data and *ret_size (optional). */
int read_state_file(const char *path, state_validate_fn validate, void *userdata,
		    char **ret_data, size_t *ret_size);
