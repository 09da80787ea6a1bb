/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "macro.h"
#include "output-dir.h"
#include "strv.h"

/* Every path a build writes into OUTDIR, as fnmatch(3) patterns; a directory's ends in
 * "/". Nothing else may be there for kiln to replace it. New output formats add theirs. */
static const char *const output_paths[] = {
	OUTPUT_STAMP,
	"disk.qcow2",
	"disk.raw",
	"kiln.box",
	"kiln.iso",
	"manifest.json",
	/* The PXE set (step-pxe.c): boot files and the install payload's files. */
	"pxe/",
	"pxe/boot.ipxe",
	"pxe/initrd.img",
	"pxe/install.list",
	"pxe/ldlinux.c32",
	"pxe/pxelinux.0",
	"pxe/pxelinux.cfg/",
	"pxe/pxelinux.cfg/default",
	"pxe/vmlinuz",
	"pxe/*.zst",
};

static bool is_output_path(const char *path) {
	for (size_t i = 0; i < ELEMENTSOF(output_paths); i++)
		if (fnmatch(output_paths[i], path, FNM_PATHNAME | FNM_PERIOD) == 0)
			return true;
	return false;
}

/* Each entry under dir_fd (at prefix in OUTDIR) is a path kiln writes: a regular file,
 * or a directory whose entries are too. Else -EEXIST, *ret_foreign naming it. With
 * remove, the entries are then removed, depth first: only call it so once a walk
 * without it found nothing foreign. */
static int check_entries(int dir_fd, const char *prefix, bool remove, char **ret_foreign) {
	_cleanup_strv_free_ char **names = NULL;
	int r;

	r = dir_list_sorted(dir_fd, &names);
	if (r < 0)
		return r;
	STRV_FOREACH(n, names) {
		_cleanup_free_ char *path = NULL;
		struct stat st;
		if (fstatat(dir_fd, *n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		bool dir = S_ISDIR(st.st_mode);
		if (asprintf(&path, "%s%s%s", prefix, *n, dir ? "/" : "") < 0)
			return -ENOMEM;
		if (!(dir || S_ISREG(st.st_mode)) || !is_output_path(path)) {
			if (ret_foreign) {
				if (dir)
					path[strlen(path) - 1] = '\0';  /* named as the user knows it */
				*ret_foreign = TAKE_PTR(path);
			}
			return -EEXIST;
		}
		if (dir) {
			_cleanup_close_ int sub = openat(dir_fd, *n, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub < 0)
				return -errno;
			r = check_entries(sub, path, remove, ret_foreign);
			if (r < 0)
				return r;
		}
		if (remove && unlinkat(dir_fd, *n, dir ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

static const char stamp_text[] =
	"This directory is the output of \"kiln-imagegen build\": a later build with the same -o\n"
	"replaces it as a whole. Anything else put here stops that.\n";

/* manifest.json as kiln writes it: a JSON object with manifestVersion and kilnVersion. */
static bool is_kiln_manifest(int dir_fd) {
	_cleanup_close_ int fd = openat(dir_fd, "manifest.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *text = NULL;
	bool ours;

	if (fd < 0 || read_full_fd(fd, &text, NULL) < 0)
		return false;
	json_t *m = json_loads(text, 0, NULL);
	ours = json_is_object(m) && json_is_integer(json_object_get(m, "manifestVersion")) &&
	       json_is_string(json_object_get(m, "kilnVersion"));
	json_decref(m);
	return ours;
}

static bool is_mount_point(const char *path) {
	struct statx sx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) < 0)
		return false;
	return (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int output_dir_classify(const char *path, OutputKind *ret, char **ret_reason) {
	_cleanup_close_ int fd = -EBADF;
	_cleanup_strv_free_ char **names = NULL;
	struct stat st;
	int r;

	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret = OUTPUT_ABSENT;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (ret_reason)
			*ret_reason = strdup(S_ISLNK(st.st_mode) ? "it is a symbolic link" : "it is not a directory");
		return -ENOTDIR;
	}
	if (is_mount_point(path)) {
		if (ret_reason)
			*ret_reason = strdup("it is a mount point, which a build cannot replace; name a directory inside it");
		return -EBUSY;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	r = dir_list_sorted(fd, &names);
	if (r < 0)
		return r;
	if (!names || !names[0]) {
		*ret = OUTPUT_EMPTY;
		return 0;
	}

	bool stamped = strv_contains(names, OUTPUT_STAMP), manifest = strv_contains(names, "manifest.json");
	_cleanup_free_ char *foreign = NULL;
	r = check_entries(fd, "", false, &foreign);
	if (r == -EEXIST) {
		if (ret_reason && asprintf(ret_reason, "it holds \"%s\", which kiln did not write", foreign) < 0)
			*ret_reason = NULL;
		return -EEXIST;
	}
	if (r < 0)
		return r;
	if (!stamped && !(manifest && is_kiln_manifest(fd))) {
		if (ret_reason)
			*ret_reason = strdup(manifest ? "its manifest.json is not one kiln wrote"
						      : "it has neither kiln's stamp nor kiln's manifest.json");
		return -EEXIST;
	}
	*ret = OUTPUT_KILN;
	return 0;
}

int output_dir_stamp(const char *dir) {
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/" OUTPUT_STAMP, dir) < 0)
		return -ENOMEM;
	return write_file_atomic(path, stamp_text, strlen(stamp_text), 0644, 0);
}

int output_dir_remove(const char *dir, char **ret_foreign) {
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* All or nothing: look at every entry before removing any. */
	r = check_entries(fd, "", false, ret_foreign);
	if (r == -EEXIST)
		return -ENOTEMPTY;
	if (r < 0)
		return r;
	r = check_entries(fd, "", true, NULL);
	if (r < 0)
		return r;
	if (rmdir(dir) < 0)
		return -errno;
	return 0;
}

bool output_dir_is_staging_name(const char *name, const char *outdir_name) {
	size_t n = strlen(outdir_name);
	return strneq(name, outdir_name, n) && strneq(name + n, ".partial-", 9) && strlen(name + n + 9) == 6;
}
