/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TEMPORARY minimal layer check (see oci-layer.h): absolute paths, ".." components and
 * entries written through an earlier symlink of the layer are refused; hard link targets
 * obey the same path rules. Device nodes, whiteouts and symlink targets are the full
 * implementation's job. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "macro.h"
#include "oci-layer.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(struct archive *, archive_read_free);

static bool has_dotdot(const char *path) {
	for (const char *p = path; p; p = strchr(p, '/'), p = p ? p + 1 : NULL)
		if (strneq(p, "..", 2) && (p[2] == '/' || p[2] == '\0'))
			return true;
	return false;
}

/* "./a//b/" -> "a/b": layers name the same file in several spellings. */
static char *normalize(const char *path) {
	char *s = strdup(path), *w = s;
	if (!s)
		return NULL;
	for (const char *p = path; *p;) {
		if (*p == '/') {
			p++;
			continue;
		}
		if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
			p++;
			continue;
		}
		if (w != s)
			*w++ = '/';
		while (*p && *p != '/')
			*w++ = *p++;
	}
	*w = '\0';
	return s;
}

/* Does path run through one of the symlinks seen so far ("link/x" with "link" a symlink)? */
static const char *through_symlink(char **symlinks, const char *path) {
	STRV_FOREACH(l, symlinks) {
		size_t n = strlen(*l);
		if (strneq(path, *l, n) && path[n] == '/')
			return *l;
	}
	return NULL;
}

static int check_path(char **symlinks, const char *what, const char *path, char **ret_error) {
	_cleanup_free_ char *norm = NULL;
	const char *link;

	if (path[0] == '/')
		return asprintf(ret_error, "%s %s is absolute", what, path) < 0 ? -ENOMEM : -EBADMSG;
	if (has_dotdot(path))
		return asprintf(ret_error, "%s %s has a \"..\" component", what, path) < 0 ? -ENOMEM : -EBADMSG;
	norm = normalize(path);
	if (!norm)
		return -ENOMEM;
	link = through_symlink(symlinks, norm);
	if (link)
		return asprintf(ret_error, "%s %s runs through the symlink %s", what, path, link) < 0 ? -ENOMEM : -EBADMSG;
	return 0;
}

int oci_layer_check_fd(int fd, char **ret_error) {
	_cleanup_(archive_read_freep) struct archive *a = NULL;
	_cleanup_strv_free_ char **symlinks = NULL;
	struct archive_entry *e;
	int r;

	if (fd < 0 || !ret_error)
		return -EINVAL;
	a = archive_read_new();
	if (!a)
		return -ENOMEM;
	if (archive_read_support_filter_all(a) != ARCHIVE_OK || archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(a) != ARCHIVE_OK)
		return -EIO;
	if (archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK)
		goto bad;

	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *path = archive_entry_pathname(e), *hardlink = archive_entry_hardlink(e);
		_cleanup_free_ char *error = NULL;

		if (!path)
			return asprintf(ret_error, "an entry has no path") < 0 ? -ENOMEM : -EBADMSG;
		r = check_path(symlinks, "path", path, &error);
		if (r == 0 && hardlink)
			r = check_path(symlinks, "hard link target", hardlink, &error);
		if (r < 0) {
			if (r == -EBADMSG)
				*ret_error = TAKE_PTR(error);
			return r;
		}
		if (archive_entry_filetype(e) == AE_IFLNK) {
			char *norm = normalize(path);
			if (!norm || strv_consume(&symlinks, norm) < 0)
				return -ENOMEM;
		}
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			goto bad;
	}
	if (r == ARCHIVE_EOF)
		return 0;
bad:
	if (archive_errno(a) > 0 && archive_errno(a) != EILSEQ)
		return -archive_errno(a);
	return asprintf(ret_error, "not a valid tar layer: %s", archive_error_string(a) ?: "unknown error") < 0
		? -ENOMEM : -EBADMSG;
}
