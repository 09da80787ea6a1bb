/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

/* Our flag names live in libarchive's ARCHIVE_EXTRACT_ namespace (see archive-util.h):
 * should a libarchive release claim one, fail here rather than confuse the two. */
#if defined(ARCHIVE_EXTRACT_KEEP_PERMS) || defined(ARCHIVE_EXTRACT_KEEP_OWNER) ||   \
	defined(ARCHIVE_EXTRACT_KEEP_TIME) || defined(ARCHIVE_EXTRACT_KEEP_XATTRS) || \
	defined(ARCHIVE_EXTRACT_KEEP_ACLS) || defined(ARCHIVE_EXTRACT_KEEP_FFLAGS) || \
	defined(ARCHIVE_EXTRACT_NO_DEVICES)
#error "libarchive defines a name used by ArchiveExtractFlags"
#endif

#include "archive-cleanup.h"
#include "archive-util.h"
#include "fd-util.h"
#include "macro.h"


/* Read size per read(2) of the input fd. */
#define ARCHIVE_READ_BLOCK_SIZE (64U * 1024U)

/* Which libarchive restore option each of our flags turns on: policy as data. */
static const struct {
	ArchiveExtractFlags flag;
	int option;
} extract_options[] = {
	{ ARCHIVE_EXTRACT_KEEP_PERMS,  ARCHIVE_EXTRACT_PERM },
	{ ARCHIVE_EXTRACT_KEEP_OWNER,  ARCHIVE_EXTRACT_OWNER },
	{ ARCHIVE_EXTRACT_KEEP_TIME,   ARCHIVE_EXTRACT_TIME },
	{ ARCHIVE_EXTRACT_KEEP_XATTRS, ARCHIVE_EXTRACT_XATTR },
	{ ARCHIVE_EXTRACT_KEEP_ACLS,   ARCHIVE_EXTRACT_ACL },
	{ ARCHIVE_EXTRACT_KEEP_FFLAGS, ARCHIVE_EXTRACT_FFLAGS },
};

static int disk_options(ArchiveExtractFlags flags) {
	/* Always on. Never ARCHIVE_EXTRACT_UNLINK: with it, SECURE_SYMLINKS removes a symlink
	 * in the way instead of refusing the entry. NOABSOLUTEPATHS: see archive-util.h. */
	int options = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;

	for (size_t i = 0; i < ELEMENTSOF(extract_options); i++)
		if (flags & extract_options[i].flag)
			options |= extract_options[i].option;
	return options;
}

/* libarchive reports a malformed stream with ARCHIVE_ERRNO_FILE_FORMAT (EILSEQ on Linux;
 * the name is in libarchive's private headers only), ARCHIVE_ERRNO_MISC (-1) or no errno
 * at all, depending on the format and filter; only a failing read(2) or allocation
 * carries a real errno. */
static int read_error(struct archive *a) {
	int e = archive_errno(a);

	if (e <= 0 || e == EILSEQ)
		return -EBADMSG;
	return -e;
}

/* Failing system calls carry their errno. Where libarchive reports none, fallback says
 * what the failure must have been at that stage: when writing a header, a refused path
 * (our own checks run first, so libarchive caught an entry they let through: still a
 * rejected entry); when finishing an entry, xattrs or ACLs it could not restore. */
static int write_error(struct archive *a, int fallback) {
	int e = archive_errno(a);

	return e > 0 ? -e : fallback;
}

/* Check a path as stored in the archive (an entry's own or its hard link target):
 * relative, no ".." component, and no symlink among the leading components that already
 * exist below root_fd. The last component may be a symlink: libarchive replaces it, it
 * does not write through it. */
static int check_path(int root_fd, const char *path) {
	_cleanup_free_ char *p = NULL;
	bool exists = true;

	if (isempty(path))
		return -EBADMSG;
	if (path[0] == '/')
		return -EPERM;

	p = strdup(path);
	if (!p)
		return -ENOMEM;

	for (char *c = p;; ) {
		char *end = strchrnul(c, '/');
		size_t len = (size_t) (end - c);
		bool last = end[strspn(end, "/")] == '\0';

		if (len == 2 && c[0] == '.' && c[1] == '.')
			return -EPERM;
		if (!last && exists && len > 0 && !(len == 1 && c[0] == '.')) {
			struct stat st;
			char saved = *end;

			*end = '\0';
			if (fstatat(root_fd, p, &st, AT_SYMLINK_NOFOLLOW) < 0)
				exists = false;   /* libarchive creates it, or fails itself */
			else if (S_ISLNK(st.st_mode))
				return -EPERM;
			*end = saved;
		}
		if (*end == '\0')
			break;
		c = end + 1;
	}
	return 0;
}

static int check_entry(struct archive_entry *e, int root_fd, ArchiveExtractFlags flags) {
	mode_t type = archive_entry_filetype(e);
	const char *hardlink = archive_entry_hardlink(e);
	int r;

	r = check_path(root_fd, archive_entry_pathname(e));
	if (r < 0)
		return r;
	if (hardlink) {
		r = check_path(root_fd, hardlink);
		if (r < 0)
			return r;
	}
	if ((flags & ARCHIVE_EXTRACT_NO_DEVICES) && (type == AE_IFCHR || type == AE_IFBLK))
		return -EPERM;
	return 0;
}

/* Point the entry (and its hard link target) below root, which is canonical. */
static int rewrite_entry(struct archive_entry *e, const char *root) {
	const char *sep = streq(root, "/") ? "" : "/";
	const char *hardlink = archive_entry_hardlink(e);
	_cleanup_free_ char *p = NULL, *l = NULL;

	if (asprintf(&p, "%s%s%s", root, sep, archive_entry_pathname(e)) < 0) {
		p = NULL;
		return -ENOMEM;
	}
	if (hardlink && asprintf(&l, "%s%s%s", root, sep, hardlink) < 0) {
		l = NULL;
		return -ENOMEM;
	}
	archive_entry_set_pathname(e, p);
	if (l)
		archive_entry_set_hardlink(e, l);
	return 0;
}

static int copy_data(struct archive *in, struct archive *out) {
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t offset;
		la_ssize_t k;
		int r;

		r = archive_read_data_block(in, &buf, &size, &offset);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return read_error(in);
		k = archive_write_data_block(out, buf, size, offset);
		if (k == ARCHIVE_WARN)   /* more data than the header's size: a broken archive */
			return -EBADMSG;
		if (k < ARCHIVE_OK)
			return write_error(out, -EIO);
	}
}

static int extract_entry(struct archive *in, struct archive *out, struct archive_entry *e,
			 const char *root, int root_fd, ArchiveExtractFlags flags,
			 ArchiveEntryCallback cb, void *userdata) {
	int r;

	if (!archive_entry_pathname(e))   /* a name not representable here */
		return -EBADMSG;

	if (cb) {
		la_int64_t size = archive_entry_size(e);
		ArchiveEntryInfo info = {
			.path = archive_entry_pathname(e),
			.type = archive_entry_filetype(e),
			.mode = archive_entry_perm(e) & 07777,
			.size = size > 0 ? (uint64_t) size : 0,
			.symlink = archive_entry_symlink(e),
			.hardlink = archive_entry_hardlink(e),
		};
		r = cb(&info, userdata);
		if (r < 0)
			return r;
	}

	r = check_entry(e, root_fd, flags);
	if (r < 0)
		return r;
	r = rewrite_entry(e, root);
	if (r < 0)
		return r;

	/* Warnings count as failures here: they mean a mode, owner, time or xattr the
	 * archive asked for is missing, and the tree would silently differ from it. */
	if (archive_write_header(out, e) != ARCHIVE_OK)
		return write_error(out, -EPERM);
	r = copy_data(in, out);
	if (r < 0)
		return r;
	if (archive_write_finish_entry(out) != ARCHIVE_OK)
		return write_error(out, -EOPNOTSUPP);
	return 0;
}

int archive_extract_fd(int fd, const char *dest_dir, ArchiveExtractFlags flags,
		       ArchiveEntryCallback cb, void *userdata) {
	_cleanup_(archive_read_freep) struct archive *in = NULL;
	_cleanup_(archive_write_freep) struct archive *out = NULL;
	_cleanup_free_ char *root = NULL;
	_cleanup_close_ int root_fd = -EBADF;
	int r;

	if (fd < 0)
		return -EBADF;
	if (!dest_dir || (flags & ~_ARCHIVE_EXTRACT_FLAGS_ALL))
		return -EINVAL;

	root = realpath(dest_dir, NULL);
	if (!root)
		return negative_errno();
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return negative_errno();

	in = archive_read_new();
	out = archive_write_disk_new();
	if (!in || !out)
		return -ENOMEM;
	if (archive_read_support_filter_all(in) != ARCHIVE_OK ||
	    archive_read_support_format_tar(in) != ARCHIVE_OK ||
	    archive_write_disk_set_options(out, disk_options(flags)) != ARCHIVE_OK)
		return -ENOMEM;   /* registration only fails on allocation */
	/* No archive_write_disk_set_standard_lookup(): ids stay numeric (see the header). */

	if (archive_read_open_fd(in, fd, ARCHIVE_READ_BLOCK_SIZE) != ARCHIVE_OK)
		return read_error(in);

	for (;;) {
		struct archive_entry *e;

		r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)   /* ARCHIVE_RETRY too: no resyncing past damage */
			return read_error(in);

		r = extract_entry(in, out, e, root, root_fd, flags, cb, userdata);
		if (r < 0)
			return r;
	}

	/* Directory modes and times are applied here, after their contents were written. */
	if (archive_write_close(out) != ARCHIVE_OK)
		return write_error(out, -EOPNOTSUPP);
	return 0;
}
