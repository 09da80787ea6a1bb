/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FAT images from a directory of the work directory, without mounting anything (the
 * build host may not even have a vfat driver): mkfs.vfat makes the empty file system,
 * mmd and mcopy fill it, all from the tools tree. Reproducible: the serial is given,
 * --invariant fixes the rest, directories and files go in sorted order, and mcopy -m
 * keeps the (clamped) modification times. The disk's ESP and the ISO's El Torito UEFI
 * image are made this way. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "fat-image.h"
#include "log.h"
#include "strv.h"

/* Sorted lists of the tree's directories and files (relative), so that the FAT
 * directory entries are created in the same order every time. */
static int tree_list(const char *root, const char *rel, char ***dirs, char ***files) {
	_cleanup_free_ char *path = NULL;
	struct dirent **names = NULL;
	int n, r = 0;

	if (asprintf(&path, "%s%s%s", root, rel[0] ? "/" : "", rel) < 0)
		return -ENOMEM;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *child = NULL;
		const char *name = names[i]->d_name;
		if (r >= 0 && !streq(name, ".") && !streq(name, "..")) {
			if (asprintf(&child, "%s%s%s", rel, rel[0] ? "/" : "", name) < 0)
				r = -ENOMEM;
			else if (names[i]->d_type == DT_DIR) {
				if ((r = strv_extend(dirs, child)) >= 0)
					r = tree_list(root, child, dirs, files);
			} else
				r = strv_extend(files, child);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int fat_image_make(Build *b, const FatImage *f) {
	_cleanup_strv_free_ char **dirs = NULL, **files = NULL;
	_cleanup_free_ char *tree = NULL, *tree_in = NULL, *img = NULL, *img_in = NULL, *serial = NULL, *kib = NULL,
			    *what = NULL, *bits = NULL;
	int r;

	if (!(tree = build_work_path(b, f->tree)) || !(tree_in = build_tools_path(b, f->tree)) ||
	    !(img = build_work_path(b, f->image)) || !(img_in = build_tools_path(b, f->image)) ||
	    asprintf(&serial, "%08x", f->serial) < 0 || asprintf(&bits, "%u", f->fat_bits ?: 32) < 0 ||
	    asprintf(&kib, "%llu", (unsigned long long) (f->size / 1024)) < 0 ||
	    asprintf(&what, "mkfs.vfat (%s)", f->what) < 0)
		return log_oom();

	/* --invariant first: it resets the volume ID, which -i then sets. */
	const char *mkfs[] = { "mkfs.vfat", "--invariant", "-C", "-F", bits, "-i", serial, "-n", f->label, img_in, kib, NULL };
	r = build_exec_tools(b, what, mkfs, BUILD_TIMEOUT_MKFS);
	if (r < 0 || (r = build_expect_output(b, "mkfs.vfat", img)) < 0)
		return r;

	r = tree_list(tree, "", &dirs, &files);
	if (r < 0)
		return log_error_errno(r, "Cannot list %s: %m", tree);
	STRV_FOREACH(d, dirs) {
		_cleanup_free_ char *target = NULL;
		if (asprintf(&target, "::/%s", *d) < 0)
			return log_oom();
		const char *argv[] = { "mmd", "-i", img_in, target, NULL };
		if ((r = build_exec_tools(b, "mmd", argv, BUILD_TIMEOUT_QUICK)) < 0)
			return r;
	}
	STRV_FOREACH(file, files) {
		_cleanup_free_ char *src = NULL, *target = NULL;
		if (asprintf(&src, "%s/%s", tree_in, *file) < 0 || asprintf(&target, "::/%s", *file) < 0)
			return log_oom();
		/* -m keeps the (clamped) modification time instead of "now". */
		const char *argv[] = { "mcopy", "-m", "-i", img_in, src, target, NULL };
		if ((r = build_exec_tools(b, "mcopy", argv, BUILD_TIMEOUT_QUICK)) < 0)
			return r;
	}
	return 0;
}
