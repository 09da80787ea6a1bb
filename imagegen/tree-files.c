/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Adding kiln's own files to the image tree: written atomically, mtime clamped to the
 * build's epoch, and recorded with their digest for manifest.json. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "copy.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "io-util.h"
#include "log.h"
#include "strv.h"

static int record(Build *b, const char *rel, const void *data, size_t size, mode_t mode) {
	uint8_t md[HASH_SIZE_MAX];
	char hex[2 * HASH_SIZE_MAX + 1];
	size_t len;
	int r;

	if ((r = hash_buffer(HASH_SHA256, data, size, md, &len)) < 0 ||
	    (r = hexmem_buf(md, len, hex, sizeof hex)) < 0)
		return r;
	return tree_record_file(b, rel, hex, size, mode);
}

static int clamp_one(int dir_fd, const char *name, uint64_t epoch) {
	struct stat st;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if ((uint64_t) st.st_mtim.tv_sec < epoch)
		return 0;
	/* A hard link into the build cache (tree_link_copy()): not ours to touch. */
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
		return 0;
	struct timespec ts[2] = { { .tv_sec = (time_t) epoch }, { .tv_sec = (time_t) epoch } };
	return utimensat(dir_fd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int tree_record_file(Build *b, const char *rel, const char *sha256, uint64_t size, mode_t mode) {
	char m[8];
	snprintf(m, sizeof m, "%04o", (unsigned) (mode & 07777));
	json_t *o = json_pack("{s:s, s:I, s:s}", "sha256", sha256, "size", (json_int_t) size, "mode", m);
	if (!o)
		return -ENOMEM;
	return json_object_set_new(b->files, rel, o) < 0 ? -ENOMEM : 0;
}

int tree_add_file(Build *b, const char *rel, const void *data, size_t size, mode_t mode) {
	_cleanup_free_ char *path = NULL;
	int r;

	while (rel[0] == '/')
		rel++;
	if (asprintf(&path, "%s/%s", b->tree_dir, rel) < 0)
		return -ENOMEM;
	r = write_file_atomic(path, data, size, mode, WRITE_FILE_MKDIR_PARENTS);
	if (r < 0)
		return r;
	r = clamp_one(AT_FDCWD, path, b->epoch);
	if (r < 0)
		return r;
	char *slash_rel = NULL;
	if (asprintf(&slash_rel, "/%s", rel) < 0)
		return -ENOMEM;
	r = record(b, slash_rel, data, size, mode);
	free(slash_rel);
	return r;
}

/* Streamed, not read into memory: Kubernetes' binaries are larger than the files
 * read_full_file() takes. Written under a temporary name and renamed, like tree_add_file(). */
int tree_copy_file_digest(Build *b, const char *src, const char *rel, mode_t mode, char ret_sha256[static 65]) {
	_cleanup_(hash_context_freep) HashContext *h = NULL;
	_cleanup_free_ char *path = NULL, *tmp = NULL, *slash_rel = NULL, *buf = NULL;
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	uint8_t md[HASH_SIZE_MAX];
	uint64_t size = 0;
	size_t len;
	int r;

	while (rel[0] == '/')
		rel++;
	if (asprintf(&path, "%s/%s", b->tree_dir, rel) < 0 || asprintf(&tmp, "%s.kiln-XXXXXX", path) < 0 ||
	    asprintf(&slash_rel, "/%s", rel) < 0 || !(buf = malloc(1 << 20)))
		return -ENOMEM;
	if ((r = hash_context_new(HASH_SHA256, &h)) < 0 || (r = mkdir_parents(path, 0755)) < 0)
		return r;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0)
		return -errno;
	for (;;) {
		ssize_t n = loop_read(in, buf, 1 << 20);
		if (n < 0) {
			r = (int) n;
			break;
		}
		if (n == 0)
			break;
		if ((r = hash_context_update(h, buf, (size_t) n)) < 0 || (r = loop_write(out, buf, (size_t) n)) < 0)
			break;
		size += (uint64_t) n;
	}
	if (r >= 0 && fchmod(out, mode) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void) unlink(tmp);
		return r;
	}
	if ((r = clamp_one(AT_FDCWD, path, b->epoch)) < 0 || (r = hash_context_final(h, md, &len)) < 0 ||
	    (r = hexmem_buf(md, len, ret_sha256, 65)) < 0)
		return r;
	return tree_record_file(b, slash_rel, ret_sha256, size, mode);
}

int tree_copy_file(Build *b, const char *src, const char *rel, mode_t mode) {
	char sha256[65];
	return tree_copy_file_digest(b, src, rel, mode, sha256);
}

/* Copy a directory of kiln's data (regular files, directories and symlinks) over the
 * tree, keeping each file's permission bits. */
int tree_copy_dir(Build *b, const char *src_dir, const char *rel_dir) {
	_cleanup_close_ int fd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	int r;

	if (fd < 0)
		return -errno;
	r = dir_list_sorted(fd, &names);
	if (r < 0)
		return r;

	STRV_FOREACH(name, names) {
		_cleanup_free_ char *src = NULL, *rel = NULL;
		struct stat st;
		if (asprintf(&src, "%s/%s", src_dir, *name) < 0 ||
		    asprintf(&rel, "%s/%s", rel_dir, *name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (lstat(src, &st) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = tree_copy_dir(b, src, rel);
		else if (S_ISREG(st.st_mode))
			r = tree_copy_file(b, src, rel, st.st_mode & 07777);
		else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			_cleanup_free_ char *dst = NULL;
			ssize_t n = readlink(src, target, sizeof target - 1);
			if (n < 0 || asprintf(&dst, "%s/%s", b->tree_dir, rel) < 0) {
				r = n < 0 ? -errno : -ENOMEM;
				break;
			}
			target[n] = '\0';
			(void) unlink(dst);
			if ((r = mkdir_parents(dst, 0755)) >= 0 && symlink(target, dst) < 0)
				r = -errno;
			if (r >= 0)
				r = clamp_one(AT_FDCWD, dst, b->epoch);
		} else
			r = -EBADFD;
	}
	return r;
}

/* Walk the tree and bring every mtime later than the epoch back to it: directories kiln
 * wrote into got the current time. */
static int clamp_entry(int dir_fd, const char *name, const struct stat *st, void *userdata) {
	return clamp_one(dir_fd, name, *(const uint64_t *) userdata);
}

int tree_clamp_mtimes(const char *dir, uint64_t epoch) {
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = dir_walk(fd, clamp_entry, NULL, &epoch);
	if (r < 0)
		return r;
	return clamp_one(AT_FDCWD, dir, epoch);
}

/* Make dst a copy of the directory tree src in which every non-directory is a hard link
 * to the original: 0.3 s instead of 12 s for unpacking a root file system. Safe because
 * the build never writes a file in place (write_file_atomic() renames a new inode over
 * it) and tree_clamp_mtimes() leaves shared inodes alone. */
static int link_dir(int src_fd, int dst_fd) {
	DIR *d = fdopendir(src_fd);
	if (!d) {
		safe_close(src_fd);
		return -errno;
	}
	struct dirent *de;
	int r = 0;
	while ((de = readdir(d))) {
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (linkat(dirfd(d), de->d_name, dst_fd, de->d_name, 0) < 0) {
				r = -errno;
				break;
			}
			continue;
		}
		if (mkdirat(dst_fd, de->d_name, 0700) < 0) {
			r = -errno;
			break;
		}
		int s = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int t = openat(dst_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || t < 0) {
			r = -errno;
			safe_close(s);
			break;
		}
		r = link_dir(s, t);
		if (r < 0)
			break;
		/* Ownership, mode and times last: the mode may forbid writing, the entries
		 * just added moved the time. */
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		if (fchown(t, st.st_uid, st.st_gid) < 0 || fchmod(t, st.st_mode & 07777) < 0 ||
		    futimens(t, ts) < 0) {
			r = -errno;
			break;
		}
	}
	closedir(d);
	return r;
}

int tree_link_copy(const char *src, const char *dst) {
	struct stat st;
	int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s < 0)
		return -errno;
	if (fstat(s, &st) < 0 || mkdir(dst, 0700) < 0) {
		safe_close(s);
		return -errno;
	}
	_cleanup_close_ int t = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t < 0) {
		safe_close(s);
		return -errno;
	}
	int r = link_dir(s, t);
	if (r < 0)
		return r;
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	if (fchown(t, st.st_uid, st.st_gid) < 0 || fchmod(t, st.st_mode & 07777) < 0 || futimens(t, ts) < 0)
		return -errno;
	return 0;
}
