/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fd-util.h"
#include "hash.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(EVP_MD_CTX *, EVP_MD_CTX_free);

_Static_assert(HASH_SIZE_MAX >= EVP_MAX_MD_SIZE, "HASH_SIZE_MAX too small for libcrypto digests");

/* Large enough that a big file costs few read() calls, small enough for the heap. */
#define HASH_READ_BUFFER_SIZE (64U * 1024U)

static const EVP_MD *hash_md(HashType t) {
	switch (t) {
	case HASH_SHA256:
		return EVP_sha256();
	case HASH_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

size_t hash_size(HashType t) {
	switch (t) {
	case HASH_SHA256:
		return 32;
	case HASH_SHA512:
		return 64;
	default:
		return 0;
	}
}

const char *hash_type_to_string(HashType t) {
	static const char *const names[_HASH_TYPE_MAX] = {
		[HASH_SHA256] = "sha256",
		[HASH_SHA512] = "sha512",
	};
	return (unsigned) t < _HASH_TYPE_MAX ? names[t] : NULL;
}

/* libcrypto reports failures through its own error queue, not errno: the only cause we
 * can tell apart is allocation failure in EVP_MD_CTX_new(); everything else is -EIO. */
static int hash_begin(HashType t, EVP_MD_CTX **ret) {
	const EVP_MD *md = hash_md(t);
	EVP_MD_CTX *ctx;

	if (!md)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	*ret = ctx;
	return 0;
}

static int hash_end(EVP_MD_CTX *ctx, uint8_t *ret, size_t *ret_len) {
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	/* Into a local buffer first, so ret stays untouched on failure. */
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1)
		return -EIO;
	memcpy(ret, md, len);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int hash_buffer(HashType t, const void *p, size_t n, uint8_t *ret, size_t *ret_len) {
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	int r;

	if ((!p && n > 0) || !ret)
		return -EINVAL;
	r = hash_begin(t, &ctx);
	if (r < 0)
		return r;
	if (n > 0 && EVP_DigestUpdate(ctx, p, n) != 1)
		return -EIO;
	return hash_end(ctx, ret, ret_len);
}

int hash_fd(HashType t, int fd, uint8_t *ret, size_t *ret_len) {
	_cleanup_(hash_context_freep) HashContext *c = NULL;
	int r;

	if (fd < 0 || !ret)
		return -EINVAL;
	if ((r = hash_context_new(t, &c)) < 0 || (r = hash_context_update_fd(c, fd)) < 0)
		return r;
	return hash_context_final(c, ret, ret_len);
}

int hash_file(HashType t, const char *path, char **ret_hex) {
	_cleanup_close_ int fd = -EBADF;
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r;

	if (!path || !ret_hex)
		return -EINVAL;
	/* Checked before open() so an unknown type does not depend on the file existing. */
	if (!hash_md(t))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	r = hash_fd(t, fd, md, &len);
	if (r < 0)
		return r;
	return hexmem(md, len, ret_hex);
}

int hexmem_buf(const void *p, size_t n, char *ret, size_t ret_size) {
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;

	if ((!p && n > 0) || !ret)
		return -EINVAL;
	if (n > (SIZE_MAX - 1) / 2 || ret_size < 2 * n + 1)
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++) {
		ret[2 * i] = digits[b[i] >> 4];
		ret[2 * i + 1] = digits[b[i] & 0xf];
	}
	ret[2 * n] = '\0';
	return 0;
}

int hexmem(const void *p, size_t n, char **ret) {
	_cleanup_free_ char *s = NULL;
	int r;

	if (!ret || (!p && n > 0))
		return -EINVAL;
	if (n > (SIZE_MAX - 1) / 2)
		return -ENOMEM;
	s = malloc(2 * n + 1);
	if (!s)
		return -ENOMEM;
	r = hexmem_buf(p, n, s, 2 * n + 1);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

struct HashContext {
	HashType type;
	EVP_MD_CTX *ctx;
	bool finalized;
};

int hash_context_new(HashType t, HashContext **ret) {
	_cleanup_free_ HashContext *c = NULL;
	int r;

	if (!ret)
		return -EINVAL;
	c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	r = hash_begin(t, &c->ctx);
	if (r < 0)
		return r;
	c->type = t;
	*ret = TAKE_PTR(c);
	return 0;
}

int hash_context_update(HashContext *c, const void *p, size_t n) {
	if (!c || c->finalized || (!p && n > 0))
		return -EINVAL;
	if (n > 0 && EVP_DigestUpdate(c->ctx, p, n) != 1)
		return -EIO;
	return 0;
}

int hash_context_update_fd(HashContext *c, int fd) {
	_cleanup_free_ uint8_t *buf = NULL;

	if (!c || c->finalized || fd < 0)
		return -EINVAL;
	buf = malloc(HASH_READ_BUFFER_SIZE);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k = read(fd, buf, HASH_READ_BUFFER_SIZE);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			return 0;
		if (EVP_DigestUpdate(c->ctx, buf, (size_t) k) != 1)
			return -EIO;
	}
}

int hash_context_final(HashContext *c, uint8_t *ret, size_t *ret_len) {
	int r;

	if (!c || c->finalized || !ret)
		return -EINVAL;
	r = hash_end(c->ctx, ret, ret_len);
	/* EVP contexts cannot be finalized twice; either way this one is spent. */
	c->finalized = true;
	return r;
}

HashType hash_context_type(const HashContext *c) {
	return c ? c->type : _HASH_TYPE_MAX;
}

HashContext *hash_context_free(HashContext *c) {
	if (c) {
		EVP_MD_CTX_free(c->ctx);
		free(c);
	}
	return NULL;
}
