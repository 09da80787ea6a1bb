/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dir-util.h"
#include "fd-util.h"
#include "macro.h"
#include "strv.h"


static int opendir_at(int dir_fd, const char *name, DIR **ret) {
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		safe_close(fd);
		return -errno;
	}
	*ret = d;
	return 0;
}

static bool dot_or_dotdot(const char *n) {
	return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

int dir_list_sorted(int dir_fd, char ***ret_names) {
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	int r = opendir_at(dir_fd, ".", &d);
	if (r < 0)
		return r;

	errno = 0;
	while ((de = readdir(d))) {
		if (!dot_or_dotdot(de->d_name) && strv_extend(&names, de->d_name) < 0)
			return -ENOMEM;
		errno = 0;
	}
	if (errno != 0)
		return -errno;
	strv_sort_unique(names);
	*ret_names = TAKE_PTR(names);
	return 0;
}

static int walk(DIR *d, DirWalkFn enter, DirWalkFn leave, void *userdata, unsigned depth) {
	struct dirent *de;
	int r;

	/* Deeper than any real tree: a loop or a hostile input, not something to follow. */
	if (depth > 256)
		return -ELOOP;
	while ((de = readdir(d))) {
		struct stat st;
		if (dot_or_dotdot(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		r = enter ? enter(dirfd(d), de->d_name, &st, userdata) : 0;
		if (r < 0)
			return r;
		if (S_ISDIR(st.st_mode) && r == 0) {
			_cleanup_(closedirp) DIR *sub = NULL;
			if ((r = opendir_at(dirfd(d), de->d_name, &sub)) < 0 ||
			    (r = walk(sub, enter, leave, userdata, depth + 1)) < 0)
				return r;
		}
		if (leave && (r = leave(dirfd(d), de->d_name, &st, userdata)) < 0)
			return r;
	}
	return 0;
}

int dir_walk(int dir_fd, DirWalkFn enter, DirWalkFn leave, void *userdata) {
	_cleanup_(closedirp) DIR *d = NULL;
	int r = opendir_at(dir_fd, ".", &d);
	if (r < 0)
		return r;
	return walk(d, enter, leave, userdata, 0);
}
