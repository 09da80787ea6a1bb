/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
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

static int tree_lines(int dir_fd, const char *rel, char ***lines) {
	_cleanup_close_ int fd = openat(dir_fd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	int r;

	if (fd < 0)
		return -errno;
	r = dir_list_sorted(fd, &names);
	if (r < 0)
		return r;

	STRV_FOREACH(name, names) {
		_cleanup_free_ char *path = NULL, *line = NULL;
		struct stat st;
		if (asprintf(&path, "%s%s%s", rel, rel[0] ? "/" : "", *name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (fstatat(fd, *name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			r = asprintf(&line, "d %04o %s", st.st_mode & 07777, path) < 0 ? -ENOMEM : 0;
			if (r == 0 && (r = strv_consume(lines, TAKE_PTR(line))) == 0)
				r = tree_lines(dir_fd, path, lines);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(fd, *name, target, sizeof target - 1);
			if (n < 0) {
				r = -errno;
				break;
			}
			target[n] = '\0';
			r = asprintf(&line, "l %s -> %s", path, target) < 0 ? -ENOMEM : strv_consume(lines, TAKE_PTR(line));
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_close_ int f = openat(fd, *name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			uint8_t md[HASH_SIZE_MAX];
			char hex[2 * HASH_SIZE_MAX + 1];
			size_t len;
			if (f < 0 || hash_fd(HASH_SHA256, f, md, &len) < 0 || hexmem_buf(md, len, hex, sizeof hex) < 0) {
				r = f < 0 ? -errno : -EIO;
				break;
			}
			r = asprintf(&line, "f %04o %s %s", st.st_mode & 07777, path, hex) < 0 ? -ENOMEM
				: strv_consume(lines, TAKE_PTR(line));
		} else
			r = -EBADFD;   /* devices and fifos have no business in kiln's data */
		if (r < 0)
			break;
	}
	return r;
}

int cache_key_add_tree(CacheKey *k, const char *name, const char *dir) {
	_cleanup_strv_free_ char **lines = NULL;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char digest[2 * HASH_SIZE_MAX + 1];
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r;

	if (fd < 0)
		return errno == ENOENT ? cache_key_add(k, name, "absent") : -errno;
	r = tree_lines(fd, "", &lines);
	if (r < 0)
		return r;

	/* Hash the listing: one line per entry, in order. */
	CacheKey listing = {};
	STRV_FOREACH(l, lines)
		if ((r = cache_key_add(&listing, "", *l)) < 0) {
			cache_key_done(&listing);
			return r;
		}
	r = hash_buffer(HASH_SHA256, listing.text ?: "", listing.size, md, &len);
	cache_key_done(&listing);
	if (r < 0 || (r = hexmem_buf(md, len, digest, sizeof digest)) < 0)
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

int cache_lock(const char *path) {
	_cleanup_free_ char *lock = NULL;
	if (asprintf(&lock, "%s.lock", path) < 0)
		return -ENOMEM;
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			safe_close(fd);
			return -errno;
		}
	return fd;
}

bool cache_exists(const char *path) {
	return access(path, F_OK) == 0;
}
