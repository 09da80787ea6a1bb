/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob-cache.h"
#include "fd-util.h"
#include "fileio.h"
#include "io-util.h"

#define BLOB_PARTIAL_DIR "blobs/.partial"

static const struct {
	const char *prefix;
	HashType type;
} digest_algorithms[] = {
	{ "sha256:", HASH_SHA256 },
	{ "sha512:", HASH_SHA512 },
};

int blob_digest_parse(const char *digest, HashType *ret_type, const char **ret_hex) {
	if (!digest)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(digest_algorithms); i++) {
		size_t n = strlen(digest_algorithms[i].prefix);
		const char *hex = digest + n;

		if (!strneq(digest, digest_algorithms[i].prefix, n))
			continue;
		/* Lower case only: the hex is a file name, and two spellings of one digest
		 * would be two cache entries. */
		if (strlen(hex) != 2 * hash_size(digest_algorithms[i].type) ||
		    strspn(hex, "0123456789abcdef") != strlen(hex))
			return -EINVAL;
		if (ret_type)
			*ret_type = digest_algorithms[i].type;
		if (ret_hex)
			*ret_hex = hex;
		return 0;
	}
	return -EINVAL;
}

int blob_digest_format(HashType type, const uint8_t *md, size_t len, char **ret_digest) {
	char hex[2 * HASH_SIZE_MAX + 1];
	const char *name = hash_type_to_string(type);
	int r;

	if (!name || !ret_digest || len != hash_size(type))
		return -EINVAL;
	r = hexmem_buf(md, len, hex, sizeof hex);
	if (r < 0)
		return r;
	return asprintf(ret_digest, "%s:%s", name, hex) < 0 ? -ENOMEM : 0;
}

int blob_digest_buffer(HashType type, const void *p, size_t n, char **ret_digest) {
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r;

	r = hash_buffer(type, p, n, md, &len);
	if (r < 0)
		return r;
	return blob_digest_format(type, md, len, ret_digest);
}

int blob_cache_path(const char *cache_dir, const char *digest, char **ret_path) {
	HashType type;
	const char *hex;
	int r;

	if (!cache_dir || !ret_path)
		return -EINVAL;
	r = blob_digest_parse(digest, &type, &hex);
	if (r < 0)
		return r;
	return asprintf(ret_path, "%s/blobs/%s/%s", cache_dir, hash_type_to_string(type), hex) < 0 ? -ENOMEM : 0;
}

bool blob_cache_has(const char *cache_dir, const char *digest) {
	_cleanup_free_ char *path = NULL;
	struct stat st;

	return blob_cache_path(cache_dir, digest, &path) >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int blob_cache_open(const char *cache_dir, const char *digest) {
	_cleanup_free_ char *path = NULL;
	int r, fd;

	r = blob_cache_path(cache_dir, digest, &path);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd >= 0 ? fd : negative_errno();
}

int blob_cache_read(const char *cache_dir, const char *digest, size_t max, char **ret_data, size_t *ret_size) {
	_cleanup_close_ int fd = blob_cache_open(cache_dir, digest);

	if (fd < 0)
		return fd;
	return read_full_fd_max(fd, max, ret_data, ret_size);
}

int blob_partial_name(const char *digest, char **ret_name) {
	HashType type;
	const char *hex;
	int r;

	if (!ret_name)
		return -EINVAL;
	r = blob_digest_parse(digest, &type, &hex);
	if (r < 0)
		return r;
	return asprintf(ret_name, "%s-%s", hash_type_to_string(type), hex) < 0 ? -ENOMEM : 0;
}

int blob_partial_open(const char *cache_dir, const char *name, BlobPartial *ret) {
	_cleanup_free_ char *path = NULL;
	int r;

	if (!cache_dir || !name || !ret || isempty(name) || strchr(name, '/') || name[0] == '.')
		return -EINVAL;
	if (asprintf(&path, "%s/" BLOB_PARTIAL_DIR "/%s", cache_dir, name) < 0)
		return -ENOMEM;
	r = mkdir_parents(path, 0755);
	if (r < 0)
		return r;

	/* The file we lock must still be the one at path once we hold the lock: whoever held
	 * it before may have renamed it into the cache (writing to it now would change a
	 * cached blob) or deleted it. Then start over with whatever is at path now. */
	for (unsigned attempt = 0; attempt < 16; attempt++) {
		_cleanup_close_ int fd = -EBADF;
		struct stat st_fd, st_path;

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
		if (fd < 0)
			return negative_errno();
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR)
				return negative_errno();
		if (fstat(fd, &st_fd) < 0)
			return negative_errno();
		if (stat(path, &st_path) < 0) {
			if (errno == ENOENT)
				continue;
			return negative_errno();
		}
		if (st_fd.st_dev != st_path.st_dev || st_fd.st_ino != st_path.st_ino)
			continue;
		if (!S_ISREG(st_fd.st_mode))
			return -EBADFD;
		if (lseek(fd, 0, SEEK_END) < 0)
			return negative_errno();
		*ret = (BlobPartial) { .path = TAKE_PTR(path), .fd = TAKE_FD(fd) };
		return 0;
	}
	return -EBUSY;
}

int blob_partial_commit(BlobPartial *p, const char *cache_dir, const char *digest) {
	_cleanup_free_ char *path = NULL;
	int r;

	if (!p || p->fd < 0)
		return -EINVAL;
	r = blob_cache_path(cache_dir, digest, &path);
	if (r < 0)
		return r;
	r = mkdir_parents(path, 0755);
	if (r < 0)
		return r;
	/* Read-only in the cache: nothing should ever modify a blob in place. */
	if (fchmod(p->fd, 0444) < 0)
		return negative_errno();
	r = io_fsync(p->fd);
	if (r >= 0 && rename(p->path, path) < 0)
		r = negative_errno();
	if (r < 0) {
		/* Still a partial: keep it writable for the next attempt. */
		(void) fchmod(p->fd, 0644);
		return r;
	}
	/* Both directories changed: the blob's (new entry) and .partial (entry gone). */
	r = fsync_directory_of(path);
	if (r >= 0)
		(void) fsync_directory_of(p->path);
	blob_partial_done(p);
	return r;
}

void blob_partial_discard(BlobPartial *p) {
	if (p && p->path && p->fd >= 0)
		(void) unlink(p->path);
	blob_partial_done(p);
}

void blob_partial_done(BlobPartial *p) {
	if (!p)
		return;
	p->fd = safe_close(p->fd);
	p->path = mfree_str(p->path);
}

int blob_cache_write(const char *cache_dir, const char *digest, const void *data, size_t size) {
	_cleanup_free_ char *name = NULL, *actual = NULL;
	BlobPartial p = BLOB_PARTIAL_NULL;
	HashType type;
	int r;

	r = blob_digest_parse(digest, &type, NULL);
	if (r < 0)
		return r;
	r = blob_digest_buffer(type, data, size, &actual);
	if (r < 0)
		return r;
	if (!streq(actual, digest))
		return -EBADMSG;
	if (blob_cache_has(cache_dir, digest))
		return 0;
	r = blob_partial_name(digest, &name);
	if (r < 0)
		return r;
	r = blob_partial_open(cache_dir, name, &p);
	if (r < 0)
		return r;
	if (blob_cache_has(cache_dir, digest)) {
		/* Another process stored it while we waited for the lock. */
		blob_partial_discard(&p);
		return 0;
	}
	if (ftruncate(p.fd, 0) < 0 || lseek(p.fd, 0, SEEK_SET) < 0)
		r = negative_errno();
	else
		r = loop_write(p.fd, data, size);
	if (r >= 0)
		r = blob_partial_commit(&p, cache_dir, digest);
	if (r < 0)
		blob_partial_discard(&p);
	return r;
}
