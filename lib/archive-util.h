/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Safe extraction of tar archives (a root filesystem, an OCI layer, a package payload)
 * into a directory, through libarchive.
 *
 * The flag names below share libarchive's ARCHIVE_EXTRACT_ prefix but not its values:
 * pass these to archive_extract_fd(), never libarchive's own. archive.h is kept out of
 * this header; archive-util.c fails to build if libarchive ever defines one of them. */

#include <stdint.h>
#include <sys/types.h>

typedef enum ArchiveExtractFlags {
	/* All mode bits from the archive, setuid/setgid/sticky included, umask ignored.
	 * Without it: mode & ~umask, and no setuid/setgid. */
	ARCHIVE_EXTRACT_KEEP_PERMS  = 1 << 0,
	/* Numeric uid/gid from the archive; user and group *names* in the archive are ignored,
	 * since the host's passwd is not the image's. Needs CAP_CHOWN (root), else the first
	 * entry owned by someone else fails with -EPERM. Without it: owned by the caller. */
	ARCHIVE_EXTRACT_KEEP_OWNER  = 1 << 1,
	ARCHIVE_EXTRACT_KEEP_TIME   = 1 << 2,   /* mtime and atime; else the time of extraction */
	ARCHIVE_EXTRACT_KEEP_XATTRS = 1 << 3,
	ARCHIVE_EXTRACT_KEEP_ACLS   = 1 << 4,
	ARCHIVE_EXTRACT_KEEP_FFLAGS = 1 << 5,   /* chattr flags such as immutable */
	/* Reject character and block device entries with -EPERM (FIFOs are still fine). */
	ARCHIVE_EXTRACT_NO_DEVICES  = 1 << 6,
	_ARCHIVE_EXTRACT_FLAGS_ALL  = (1 << 7) - 1,
} ArchiveExtractFlags;

/* What the entry callback sees. Pointers are valid during the call only. */
typedef struct ArchiveEntryInfo {
	const char *path;       /* as stored, relative to the archive root, e.g. "./etc/hosts" */
	mode_t type;            /* S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO */
	mode_t mode;            /* permission bits as stored (07777) */
	uint64_t size;          /* bytes of data that follow (0 for all but regular files) */
	const char *symlink;    /* symlink target as stored, or NULL */
	const char *hardlink;   /* path of the earlier entry this is a hard link to, or NULL */
} ArchiveEntryInfo;

/* Return >= 0 to let the entry be extracted, < 0 to stop: archive_extract_fd() then
 * returns that value. */
typedef int (*ArchiveEntryCallback)(const ArchiveEntryInfo *entry, void *userdata);

/* Extract the tar archive read from fd (from its current position to the end; any
 * compression libarchive detects by itself, e.g. gzip, xz, zstd, bzip2) into the existing
 * directory dest_dir. Returns 0 or -errno.
 *
 * Every entry must land inside dest_dir. An entry is rejected with -EPERM when its path or
 * hard link target
 *   - is absolute,
 *   - has a ".." component, or
 *   - runs through a symlink (one extracted earlier, or one that was there before): with
 *     "link -> /" extracted, "link/x" is refused rather than written to /x.
 * Symlinks themselves may point anywhere (a root filesystem is full of absolute ones):
 * they are never followed while extracting. The same rules are then enforced a second
 * time by libarchive (ARCHIVE_EXTRACT_SECURE_SYMLINKS and SECURE_NODOTDOT).
 *
 * How paths are resolved: dest_dir is canonicalized once with realpath(3), and each
 * entry's path is rewritten to "<canonical dest_dir>/<path>" before libarchive writes it;
 * the working directory is neither used nor changed, so relative dest_dirs work and
 * threads that rely on their cwd are not disturbed. Canonicalizing matters: libarchive's
 * symlink check inspects every component of the path it is given, so a symlink in
 * dest_dir itself (say /var/tmp -> /tmp) would otherwise refuse everything. For the same
 * reason libarchive's ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS cannot be used (every
 * rewritten path is absolute): the absolute-path rule is checked here on the path as
 * stored, before rewriting.
 *
 * cb (optional) is called for every entry in archive order, before it is checked or
 * written. So when extraction fails with -EPERM or a write error, the last entry cb saw
 * is the one at fault: the caller can name it in its log message, nothing here does.
 *
 * Errors: -EBADMSG for a corrupt, truncated or unrecognized archive (including empty
 * input), -EPERM for a rejected entry, cb's value for a veto, -ENOENT/-ENOTDIR for a bad
 * dest_dir, -EBADF for a bad fd, -EINVAL for unknown flags, and the errno of a failing
 * system call otherwise (-ENOSPC, -EIO, ...). Anything flags ask for that cannot be done
 * (an owner, a time, an xattr) is an error, not a warning: the result would not be what
 * the archive says. libarchive loses the errno of a failed xattr or ACL restore: that is
 * -EOPNOTSUPP. Warnings while *reading* (an unknown pax keyword) are ignored, as bsdtar
 * does.
 *
 * On failure, whatever was extracted before stays in dest_dir, possibly with directory
 * modes and times not yet applied: the caller removes dest_dir. Existing files in
 * dest_dir that the archive names are replaced. */
int archive_extract_fd(int fd, const char *dest_dir, ArchiveExtractFlags flags,
		       ArchiveEntryCallback cb, void *userdata);
