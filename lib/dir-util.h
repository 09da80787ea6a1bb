/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Walking directory trees without following symlinks. */

#include <dirent.h>
#include <sys/stat.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(DIR *, closedir);

/* The entries of the directory open at dir_fd (not consumed), without "." and "..",
 * sorted by strcmp(): for anything whose output must not depend on readdir() order. */
int dir_list_sorted(int dir_fd, char ***ret_names);

/* Called for each entry below the walk's root, with the directory it is in and its
 * lstat(). The "enter" callback runs before a directory's entries, "leave" after them
 * (both may be NULL). A negative return stops the walk with that error; 1 from enter
 * skips the directory's contents. */
typedef int (*DirWalkFn)(int dir_fd, const char *name, const struct stat *st, void *userdata);
int dir_walk(int dir_fd, DirWalkFn enter, DirWalkFn leave, void *userdata);
