/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rm-rf.h"
#include "tap.h"

static char *base;

/* Rotating buffers, so that two paths can appear in one call. */
static char *path(const char *rel) {
	static char buf[4][4096];
	static unsigned i;
	char *b = buf[i++ % ELEMENTSOF(buf)];
	snprintf(b, sizeof buf[0], "%s/%s", base, rel);
	return b;
}

static void touch(const char *rel) {
	int fd = open(path(rel), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		abort();
	close(fd);
}

static bool exists(const char *rel) {
	struct stat st;
	return lstat(path(rel), &st) == 0;
}

int main(void) {
	base = tap_mkdtemp();

	/* victim/ must survive: a symlink into it from the tree being removed. */
	mkdir(path("victim"), 0755);
	touch("victim/keep");
	mkdir(path("t"), 0755);
	mkdir(path("t/a"), 0755);
	mkdir(path("t/a/b"), 0700);
	touch("t/a/b/file");
	touch("t/top");
	if (symlink(path("victim"), path("t/a/link-to-victim")) < 0 || symlink("/", path("t/root-link")) < 0)
		abort();
	chmod(path("t/a/b"), 0);   /* no permissions: root still removes it */

	is_int(rm_rf_path(path("t"), 0), 0, "remove the contents of a tree");
	ok(exists("t") && !exists("t/a") && !exists("t/top"), "contents gone, the directory itself kept");
	ok(exists("victim/keep"), "symlinks are removed, never followed");

	is_int(rm_rf_path(path("t"), REMOVE_ROOT), 0, "REMOVE_ROOT removes the directory too");
	ok(!exists("t"), "directory gone");

	is_int(rm_rf_path(path("t"), 0), -ENOENT, "a missing path is -ENOENT");
	is_int(rm_rf_path(path("t"), REMOVE_MISSING_OK), 0, "... and success with REMOVE_MISSING_OK");

	is_int(rm_rf_path(path("victim/keep"), 0), -ENOTDIR, "a file without REMOVE_ROOT is -ENOTDIR");
	is_int(rm_rf_path(path("victim/keep"), REMOVE_ROOT), 0, "a file with REMOVE_ROOT is removed");
	ok(!exists("victim/keep"), "file gone");

	/* A mount point inside the tree: its contents must survive (-EXDEV). Needs a private
	 * mount namespace, so it runs in a child. */
	mkdir(path("m"), 0755);
	mkdir(path("m/mnt"), 0755);
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(77);
		if (mount("tmpfs", path("m/mnt"), "tmpfs", 0, "size=1m") < 0)
			_exit(77);
		touch("m/mnt/precious");
		touch("m/other");
		int r = rm_rf_path(path("m"), REMOVE_ROOT);
		_exit(r == -EXDEV && exists("m/mnt/precious") && !exists("m/other") ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
		skip(1, "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)");
	else
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "a mount point below the tree is not crossed (-EXDEV, its contents intact)");

	rm_rf(base);
	free(base);
	return done_testing();
}
