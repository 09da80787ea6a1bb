/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File helpers for the fileio tests. They use plain syscalls on purpose, never the code
 * under test. Paths are relative to T, the run's temporary directory (set by main). */

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "tap.h"

static char *T;

/* T/name, in one of 8 rotating static buffers, so a few can be used in one expression. */
static inline char *P(const char *name) {
	static char buf[8][PATH_MAX];
	static unsigned i;
	char *p = buf[i++ % ELEMENTSOF(buf)];
	(void) snprintf(p, PATH_MAX, "%s/%s", T, name);
	return p;
}

static inline void put(const char *path, const char *s) {
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t) strlen(s))
		diag("could not create %s", path);
}

/* The file's content (up to 4 KiB) in a static buffer, or "(missing)". */
static inline const char *get(const char *path) {
	static char buf[4096];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "(missing)";
	ssize_t k = read(fd, buf, sizeof buf - 1);
	buf[k > 0 ? k : 0] = '\0';
	return buf;
}

static inline mode_t mode_of(const char *path) {
	struct stat st;
	return lstat(path, &st) < 0 ? (mode_t) -1 : st.st_mode;
}

/* Number of entries in dir whose name starts with prefix ("" counts all), -1 on error. */
static inline int count_entries(const char *dir, const char *prefix) {
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *de; (de = readdir(d));)
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
		    strneq(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

/* An empty directory T/name. */
static inline void fresh_dir(const char *name) {
	(void) rm_rf(P(name));
	if (mkdir(P(name), 0755) < 0)
		diag("mkdir %s: %m", name);
}
