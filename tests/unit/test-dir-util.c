/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "strv.h"
#include "tap.h"

static char *base;

static void put(const char *rel) {
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", base, rel);
	if (write_file_atomic(p, "x", 1, 0644, WRITE_FILE_MKDIR_PARENTS) < 0)
		abort();
}

typedef struct Seen {
	char **entered, **left;
} Seen;

static int on_enter(int dir_fd, const char *name, const struct stat *st, void *userdata) {
	Seen *s = userdata;
	if (strv_extend(&s->entered, name) < 0)
		return -ENOMEM;
	return streq(name, "skip") ? 1 : 0;   /* do not descend into "skip" */
}

static int on_leave(int dir_fd, const char *name, const struct stat *st, void *userdata) {
	Seen *s = userdata;
	return strv_extend(&s->left, name);
}

static int fail_on_b(int dir_fd, const char *name, const struct stat *st, void *userdata) {
	return streq(name, "b") ? -EIO : 0;
}

int main(void) {
	char p[4096];
	base = tap_mkdtemp();

	put("c");
	put("a");
	put("b/inner");
	put("skip/hidden");
	snprintf(p, sizeof p, "%s/b/link", base);
	if (symlink("/", p) < 0)
		abort();

	_cleanup_close_ int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	is_int(dir_list_sorted(fd, &names), 0, "dir_list_sorted");
	is_int(strv_length(names), 4, "four entries, no . or ..");
	ok(names && streq(names[0], "a") && streq(names[1], "b") && streq(names[2], "c") && streq(names[3], "skip"),
	   "sorted by name");
	ok(fcntl(fd, F_GETFD) >= 0, "the directory fd is not consumed");

	Seen s = {};
	is_int(dir_walk(fd, on_enter, on_leave, &s), 0, "dir_walk");
	ok(strv_contains(s.entered, "inner"), "entries of subdirectories are visited");
	ok(strv_contains(s.entered, "link"), "symlinks are visited");
	ok(!strv_contains(s.entered, "hidden"), "returning 1 from enter skips a directory's contents");
	ok(strv_contains(s.entered, "skip") && strv_contains(s.left, "skip"), "... but the directory itself is seen");
	is_int(strv_length(s.entered), 6, "every entry once: a, b, c, skip, inner, link");
	strv_free(s.entered);
	strv_free(s.left);

	is_int(dir_walk(fd, fail_on_b, NULL, NULL), -EIO, "an error from the callback stops the walk");
	is_int(dir_walk(-EBADF, on_enter, NULL, &s), -EBADF, "a bad fd is -EBADF");

	rm_rf(base);
	free(base);
	return done_testing();
}
