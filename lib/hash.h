/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Message digests through libcrypto's EVP interface, and hex rendering of them. */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

typedef enum HashType {
	HASH_SHA256,
	HASH_SHA512,
	_HASH_TYPE_MAX,
} HashType;

/* Big enough for any digest above: callers can use uint8_t buf[HASH_SIZE_MAX]. */
#define HASH_SIZE_MAX 64

/* Digest length in bytes, 0 for an unknown type. */
size_t hash_size(HashType t);
const char *hash_type_to_string(HashType t);

/* ret needs room for hash_size(t) bytes; the length is stored in *ret_len (may be NULL). */
int hash_buffer(HashType t, const void *p, size_t n, uint8_t *ret, size_t *ret_len);
/* Reads fd from its current position to EOF. */
int hash_fd(HashType t, int fd, uint8_t *ret, size_t *ret_len);
/* Lower-case hex digest of the file's contents. */
int hash_file(HashType t, const char *path, char **ret_hex);

/* Incremental hashing, for data that arrives in pieces (a download written to disk as
 * it comes): new, any number of updates, final once. A context that failed is done. */
typedef struct HashContext HashContext;
int hash_context_new(HashType t, HashContext **ret);
int hash_context_update(HashContext *c, const void *p, size_t n);
/* Feed fd from its current position to EOF. */
int hash_context_update_fd(HashContext *c, int fd);
/* The digest so far; the context cannot be updated afterwards. */
int hash_context_final(HashContext *c, uint8_t *ret, size_t *ret_len);
HashType hash_context_type(const HashContext *c);
HashContext *hash_context_free(HashContext *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(HashContext *, hash_context_free);

/* Lower-case hex, NUL-terminated: ret_size must be at least 2 * n + 1 (else -ENOBUFS). */
int hexmem_buf(const void *p, size_t n, char *ret, size_t ret_size);
int hexmem(const void *p, size_t n, char **ret);
