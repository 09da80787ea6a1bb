/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "rm-rf.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(DIR *, closedir);

/* Remove everything below the directory open at fd (which it consumes). dev is the file
 * system the removal started on; directories on others are left alone (-EXDEV). */
static int rm_contents(int fd, dev_t dev) {
	_cleanup_(closedirp) DIR *d = fdopendir(fd);
	int r = 0;

	if (!d) {
		safe_close(fd);
		return negative_errno();
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno != 0 && r == 0)
				r = -errno;
			break;
		}
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;

		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT && r == 0)
				r = -errno;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != dev) {
				if (r == 0)
					r = -EXDEV;
				continue;
			}
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				if (errno != ENOENT && r == 0)
					r = -errno;
				continue;
			}
			int q = rm_contents(sub, dev);
			if (q < 0 && r == 0)
				r = q;
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
				r = -errno;
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	return r;
}

int rm_rf_at(int dir_fd, const char *path, RemoveFlags flags) {
	struct stat st;

	if (fstatat(dir_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT && (flags & REMOVE_MISSING_OK))
			return 0;
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (!(flags & REMOVE_ROOT))
			return -ENOTDIR;
		return unlinkat(dir_fd, path, 0) < 0 ? -errno : 0;
	}

	int fd = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = rm_contents(fd, st.st_dev);
	if (r < 0)
		return r;
	if ((flags & REMOVE_ROOT) && unlinkat(dir_fd, path, AT_REMOVEDIR) < 0)
		return -errno;
	return 0;
}

int rm_rf_path(const char *path, RemoveFlags flags) {
	return rm_rf_at(AT_FDCWD, path, flags);
}
