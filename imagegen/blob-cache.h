/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Content-addressed blobs at <cache>/blobs/<algo>/<hex>.
 *
 * A blob appears only complete and verified: it is written under
 * <cache>/blobs/.partial/<algo>-<hex>, checked, fsync()ed and renamed in, and the
 * directory fsync()ed. Readers therefore trust what they find (no re-hashing on every
 * use); only the fetchers below write here. Partial downloads stay in .partial so a later
 * attempt can resume them, and a lock on each partial file keeps two processes from
 * writing the same blob at once. */

#include <stdbool.h>
#include <stdint.h>

#include "hash.h"

/* "sha256:<64 hex>" or "sha512:<128 hex>", lower case (the OCI spec's canonical form).
 * Anything else: -EINVAL. *ret_hex points into digest. Either output may be NULL. */
int blob_digest_parse(const char *digest, HashType *ret_type, const char **ret_hex);
/* "<algo>:<hex>" of a raw digest. */
int blob_digest_format(HashType type, const uint8_t *md, size_t len, char **ret_digest);
/* The digest of a buffer, as "sha256:<hex>" (or sha512). */
int blob_digest_buffer(HashType type, const void *p, size_t n, char **ret_digest);

/* <cache>/blobs/<algo>/<hex>; -EINVAL for a malformed digest. */
int blob_cache_path(const char *cache_dir, const char *digest, char **ret_path);
/* A regular file is there for the digest (false for a malformed digest). */
bool blob_cache_has(const char *cache_dir, const char *digest);
/* O_RDONLY|O_CLOEXEC fd of the blob, or -errno (-ENOENT: not cached). */
int blob_cache_open(const char *cache_dir, const char *digest);
/* Read a small cached blob (a manifest, a config) whole; more than max bytes: -EFBIG. */
int blob_cache_read(const char *cache_dir, const char *digest, size_t max, char **ret_data, size_t *ret_size);
/* Store data under digest, verifying it first (-EBADMSG if it does not match). */
int blob_cache_write(const char *cache_dir, const char *digest, const void *data, size_t size);

/* A partial blob being written: the fd is open read-write and locked. */
typedef struct BlobPartial {
	char *path;
	int fd;
} BlobPartial;
#define BLOB_PARTIAL_NULL ((BlobPartial) { .fd = -EBADF })

/* Open (creating if needed, never truncating) <cache>/blobs/.partial/<name> and lock it,
 * waiting while another process holds the lock. name is "<algo>-<hex>" for a known digest
 * or any other file name without a slash. The fd is positioned at the end. */
int blob_partial_open(const char *cache_dir, const char *name, BlobPartial *ret);
/* The .partial name for a digest: "<algo>-<hex>". */
int blob_partial_name(const char *digest, char **ret_name);
/* fsync the partial, rename it to the blob's place, fsync the directory; p is then done.
 * The content must have been verified against digest by the caller. */
int blob_partial_commit(BlobPartial *p, const char *cache_dir, const char *digest);
/* Delete the partial file and close it (a download that must not be resumed). */
void blob_partial_discard(BlobPartial *p);
/* Close, keeping the file for a later resume. */
void blob_partial_done(BlobPartial *p);
