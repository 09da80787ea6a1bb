/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-lock.h"
#include "cache.h"
#include "cache-inventory.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "rm-rf.h"
#include "strv.h"

void cache_key_done(CacheKey *k) {
	free(k->text);
	*k = (CacheKey) {};
}

int cache_key_add(CacheKey *k, const char *name, const char *value) {
	char *line = NULL;
	int n = asprintf(&line, "%s=%s\n", name, value ?: "");
	if (n < 0)
		return -ENOMEM;
	char *m = realloc(k->text, k->size + (size_t) n + 1);
	if (!m) {
		free(line);
		return -ENOMEM;
	}
	memcpy(m + k->size, line, (size_t) n + 1);
	k->text = m;
	k->size += (size_t) n;
	free(line);
	return 0;
}

int cache_key_add_tree(CacheKey *k, const char *name, const char *dir) {
	char digest[65];
	struct stat st;
	int r;

	if (stat(dir, &st) < 0)
		return errno == ENOENT ? cache_key_add(k, name, "absent") : -errno;
	r = inventory_content_digest(dir, digest);
	if (r < 0)
		return r;
	return cache_key_add(k, name, digest);
}

int cache_key_digest(const CacheKey *k, char ret[static 65]) {
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r = hash_buffer(HASH_SHA256, k->text ?: "", k->size, md, &len);
	if (r < 0)
		return r;
	return hexmem_buf(md, len, ret, 65);
}

int cache_path(const char *cache_dir, const char *kind, const char *digest, const char *suffix,
	       char **ret_path) {
	_cleanup_free_ char *dir = NULL;
	char *p = NULL;
	int r;

	if (asprintf(&dir, "%s/%s", cache_dir, kind) < 0)
		return -ENOMEM;
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	if (asprintf(&p, "%s/%s%s", dir, digest, suffix ?: "") < 0)
		return -ENOMEM;
	*ret_path = p;
	return 0;
}

bool cache_exists(const char *path) {
	return access(path, F_OK) == 0;
}

static int add_usage(int dir_fd, const char *name, const struct stat *st, void *userdata) {
	*(uint64_t *) userdata += (uint64_t) st->st_blocks * 512 + 4096;
	return 0;
}

int cache_tree_usage(const char *dir, uint64_t *ret) {
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t total = 0;
	if (fd < 0)
		return -errno;
	int r = dir_walk(fd, add_usage, NULL, &total);
	if (r < 0)
		return r;
	*ret = total;
	return 0;
}

/* fd is locked: is it still the file at path (a sweep may have removed it meanwhile)? */
static bool fd_is_path(int fd, const char *path) {
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int cache_scratch_new(const char *parent, const char *prefix, char **ret_dir, int *ret_lock) {
	int r = mkdir_p(parent, 0755);
	if (r < 0)
		return r;
	for (unsigned attempt = 0; attempt < 16; attempt++) {
		_cleanup_free_ char *lock = NULL, *dir = NULL;
		_cleanup_close_ int fd = -EBADF;

		if (asprintf(&lock, "%s/%sXXXXXX.lock", parent, prefix) < 0)
			return -ENOMEM;
		fd = mkostemps(lock, strlen(".lock"), O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX) < 0)
			return -errno;
		if (!fd_is_path(fd, lock))
			continue;       /* swept between creation and locking: try another name */
		dir = strndup(lock, strlen(lock) - strlen(".lock"));
		if (!dir)
			return -ENOMEM;
		if (mkdir(dir, 0755) < 0) {
			r = -errno;
			(void) unlink(lock);
			return r;
		}
		*ret_dir = TAKE_PTR(dir);
		*ret_lock = TAKE_FD(fd);
		return 0;
	}
	return -EBUSY;
}

void cache_scratch_remove(const char *dir, int lock_fd) {
	_cleanup_free_ char *lock = NULL;

	if (!dir)
		return;
	(void) rm_rf_path(dir, REMOVE_ROOT | REMOVE_MISSING_OK);
	if (asprintf(&lock, "%s.lock", dir) >= 0)
		(void) unlink(lock);
	safe_close(lock_fd);
}

/* name is "<prefix>" and six more characters, or that and ".lock". */
static bool scratch_name(const char *name, const char *prefix, bool *ret_is_lock) {
	size_t p = strlen(prefix), n = strlen(name);
	if (!strneq(name, prefix, p))
		return false;
	*ret_is_lock = n == p + 6 + 5 && streq(name + p + 6, ".lock");
	return n == p + 6 || *ret_is_lock;
}

int cache_sweep(const char *parent, const char *prefix, char ***ret_removed) {
	_cleanup_close_ int dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	int r, n = 0;

	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = dir_list_sorted(dfd, &names);
	if (r < 0)
		return r;
	STRV_FOREACH(name, names) {
		_cleanup_free_ char *dir = NULL, *lock = NULL;
		_cleanup_close_ int fd = -EBADF;
		bool is_lock;
		struct stat st;

		if (!scratch_name(*name, prefix, &is_lock))
			continue;
		if (asprintf(&dir, "%s/%.*s", parent, (int) (strlen(prefix) + 6), *name) < 0 ||
		    asprintf(&lock, "%s.lock", dir) < 0)
			return -ENOMEM;
		/* A directory is looked at once, through its own name. */
		if (is_lock && lstat(dir, &st) == 0)
			continue;
		fd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;       /* a running build's */
		if (fd >= 0 && !fd_is_path(fd, lock))
			continue;
		if (fd < 0 && errno != ENOENT)
			continue;

		uint64_t usage = 0;
		if (!is_lock) {
			if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
			(void) cache_tree_usage(dir, &usage);
			r = rm_rf_path(dir, REMOVE_ROOT | REMOVE_MISSING_OK);
			if (r < 0)
				return r;
			if (ret_removed && strv_extendf(ret_removed, "%s (%llu MiB)", dir,
							(unsigned long long) ((usage + (1 << 20) - 1) >> 20)) < 0)
				return -ENOMEM;
			n++;
		}
		if (fd >= 0)
			(void) unlink(lock);
	}
	return n;
}

/* One leftover of the old layout, removed if the lock that guarded it is free. */
static int sweep_one(const char *path, const char *guard, char ***removed) {
	uint64_t usage = 0;
	struct stat st;
	int r;

	if (lstat(path, &st) < 0 || (guard && build_lock_is_held(guard)))
		return 0;
	if (S_ISDIR(st.st_mode)) {
		(void) cache_tree_usage(path, &usage);
		r = rm_rf_path(path, REMOVE_ROOT | REMOVE_MISSING_OK);
	} else {
		usage = (uint64_t) st.st_blocks * 512;
		r = unlink(path) < 0 ? -errno : 0;
	}
	if (r < 0)
		return r;
	return strv_extendf(removed, "%s (%llu MiB)", path, (unsigned long long) ((usage + (1 << 20) - 1) >> 20));
}

int cache_sweep_legacy(const char *cache_dir, char ***ret_removed) {
	static const char *const legacy[] = {
		"tools/*.tar", "tools/*.partial", "rootfs/*.tree.partial", "rootfs/.partial-*.tar",
	};
	bool rootfs_busy = false;
	glob_t g = {};
	int r = 0;

	/* Each guarded by its stage's lock: tools/<key>.tar and .partial by tools/<key>.lock,
	 * rootfs/<key>.tree.partial and rootfs/.partial-<key>.tar by rootfs/<key>.tree.lock. */
	for (size_t i = 0; i < ELEMENTSOF(legacy) && r >= 0; i++) {
		_cleanup_free_ char *pattern = NULL;
		if (asprintf(&pattern, "%s/%s", cache_dir, legacy[i]) < 0)
			return -ENOMEM;
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc && r >= 0; k++) {
			_cleanup_free_ char *guard = NULL;
			const char *p = g.gl_pathv[k], *slash = strrchr(p, '/');
			if (strneq(slash + 1, ".partial-", 9))
				r = asprintf(&guard, "%.*s/%.*s.tree.lock", (int) (slash - p), p,
					     (int) (strlen(slash + 10) - 4), slash + 10) < 0 ? -ENOMEM : 0;
			else
				r = asprintf(&guard, "%.*s.lock", (int) (strrchr(p, '.') - p), p) < 0 ? -ENOMEM : 0;
			if (r >= 0)
				r = sweep_one(p, guard, ret_removed);
		}
		globfree(&g);
	}
	if (r < 0)
		return r;

	/* mmdebstrap made its chroot in TMPDIR, which was the cache itself: only safe to
	 * remove when no root file system is being made. */
	_cleanup_free_ char *locks = NULL, *chroots = NULL;
	if (asprintf(&locks, "%s/rootfs/*.lock", cache_dir) < 0 || asprintf(&chroots, "%s/mmdebstrap.*", cache_dir) < 0)
		return -ENOMEM;
	if (glob(locks, 0, NULL, &g) == 0)
		for (size_t k = 0; k < g.gl_pathc; k++)
			rootfs_busy = rootfs_busy || build_lock_is_held(g.gl_pathv[k]);
	globfree(&g);
	if (!rootfs_busy && glob(chroots, GLOB_ONLYDIR, NULL, &g) == 0)
		for (size_t k = 0; k < g.gl_pathc && r >= 0; k++)
			r = sweep_one(g.gl_pathv[k], NULL, ret_removed);
	globfree(&g);
	return r;
}
