/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A content-addressed build cache: each stage's output lives under
 * <cache>/<kind>/<key>, where key is the SHA-256 of everything the output depends on.
 * Outputs appear atomically (written under a temporary name, then renamed), and a
 * per-key lock keeps two builds from making the same output at once. */

#include <stdbool.h>

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
/* Take the per-key lock (blocks while another build holds it). Returns the lock fd. */
int cache_lock(const char *path);
bool cache_exists(const char *path);
