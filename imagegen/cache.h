/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A content-addressed build cache: each stage's output lives under
 * <cache>/<kind>/<key>, where key is the SHA-256 of everything the output depends on.
 * Outputs appear atomically (written under a temporary name, then renamed), and a
 * per-key lock keeps two builds from making the same output at once. */

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

typedef struct CacheKey {
	char *text;        /* the inputs, one "name=value" per line: kept next to the output */
	size_t size;
} CacheKey;

void cache_key_done(CacheKey *k);
int cache_key_add(CacheKey *k, const char *name, const char *value);
/* Add the digest of a directory tree: relative paths, types, modes, symlink targets and
 * file contents, in sorted order. A missing directory adds "absent". */
int cache_key_add_tree(CacheKey *k, const char *name, const char *dir);
/* The key's hex SHA-256. */
int cache_key_digest(const CacheKey *k, char ret[static 65]);

/* <cache>/<kind>/<digest><suffix>; creates <cache>/<kind>. */
int cache_path(const char *cache_dir, const char *kind, const char *digest, const char *suffix,
	       char **ret_path);
bool cache_exists(const char *path);

/* Scratch directories: what one build writes and nobody keeps (a work tree, mmdebstrap's
 * chroot and tarball, a tree being unpacked). <parent>/<prefix>XXXXXX is made only once
 * its lock file <parent>/<prefix>XXXXXX.lock exists and is locked, and the lock is held
 * while the directory is in use; so a scratch directory whose lock nobody holds belongs
 * to a build that was interrupted or killed, and cache_sweep() may remove it. */
int cache_scratch_new(const char *parent, const char *prefix, char **ret_dir, int *ret_lock);
/* Remove a scratch directory, then its lock file (the lock is released last). */
void cache_scratch_remove(const char *dir, int lock_fd);
/* Remove the stale scratch directories <prefix>* under parent (and lock files left
 * without one). Each removal is added to *ret_removed as "PATH (N MiB)". */
int cache_sweep(const char *parent, const char *prefix, char ***ret_removed);
/* What kiln before scratch directories left in the cache when it was interrupted: a
 * stage's tarball or half-unpacked tree next to it (removed when the stage's lock is
 * free), mmdebstrap's chroots in the cache's top directory (when no root file system is
 * being made). Added to *ret_removed like cache_sweep(). */
int cache_sweep_legacy(const char *cache_dir, char ***ret_removed);
/* Bytes a tree takes on disk: allocated blocks plus one block per inode. */
int cache_tree_usage(const char *dir, uint64_t *ret);
