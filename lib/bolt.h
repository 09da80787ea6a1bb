/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* bbolt databases (go.etcd.io/bbolt), read, checked and written again without Go.
 *
 * containerd keeps its metadata (io.containerd.metadata.v1.bolt/meta.db) and each
 * snapshotter's (e.g. io.containerd.snapshotter.v1.overlayfs/metadata.db) in bbolt files.
 * kiln-imagegen seeds those at build time, and their bytes depend on the transaction
 * history: page layout, freed pages holding deleted keys (leases, ingests), times. To keep
 * the image reproducible the seed step rewrites each file from its logical content:
 *
 *	bolt_rewrite(src_fd, dst_fd, &(BoltRewriteOptions) { keys, epoch }, &error)
 *
 * and the supervisor checks meta.db with bolt_verify() before it starts containerd.
 *
 * The logical content is a tree of buckets: every bucket has a sequence number (Go's
 * Bucket.NextSequence) and keys in bytewise order, each holding either a value or a
 * nested bucket. The top bucket is the database's root bucket, whose keys are the
 * top-level buckets (bbolt's API puts nothing else there; this code does not care).
 *
 * Nothing here logs. Failures: -EBADMSG with a malloc'd reason in *ret_error when the
 * database is not well-formed ("page 7: leaf key out of order"), -ENOMEM, -errno of I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Databases bigger than this are refused with -EFBIG: they are read into memory. */
#define BOLT_FILE_MAX (UINT64_C(1) << 30)

/* The page size bolt_rewrite() writes: the size bbolt picks on amd64. */
#define BOLT_PAGE_SIZE_DEFAULT 4096u

typedef struct BoltBucket BoltBucket;

typedef struct BoltItem {
	uint8_t *key;            /* never empty: bbolt refuses empty keys */
	size_t key_size;
	uint8_t *value;          /* a plain value (may be empty), when bucket is NULL */
	size_t value_size;
	BoltBucket *bucket;      /* or a nested bucket */
} BoltItem;

struct BoltBucket {
	uint64_t sequence;
	BoltItem *items;         /* strictly increasing keys */
	size_t n_items, n_allocated;
};

BoltBucket *bolt_bucket_new(void);
BoltBucket *bolt_bucket_free(BoltBucket *b);   /* and everything below it; NULL-safe */
DEFINE_TRIVIAL_CLEANUP_FUNC(BoltBucket *, bolt_bucket_free);
#define _cleanup_bolt_bucket_free_ _cleanup_(bolt_bucket_freep)

/* Add a copy of key/value, keeping the keys in order: -EEXIST if the key is there,
 * -EINVAL for an empty key. Appending in key order costs O(1). */
int bolt_bucket_put(BoltBucket *b, const void *key, size_t key_size, const void *value, size_t value_size);
/* Add an empty nested bucket under key; *ret_child (optional) points into b's tree. */
int bolt_bucket_add_bucket(BoltBucket *b, const void *key, size_t key_size, BoltBucket **ret_child);
/* The item with this key, or NULL. */
BoltItem *bolt_bucket_find(const BoltBucket *b, const void *key, size_t key_size);

/* Check a database: both meta pages, at least one valid; from the current one every
 * reachable page in bounds, of the expected type and reachable once, keys sorted and
 * within their parent's range, the freelist in bounds, disjoint from the reachable pages,
 * and together with them covering every page below the high-water mark (bbolt's own
 * Tx.Check). 0 if usable; -EBADMSG with a reason otherwise; -errno on I/O errors.
 * Reads fd from offset 0 (pread), whatever its position. */
int bolt_verify(int fd, char **ret_error);
int bolt_verify_buffer(const void *data, size_t size, char **ret_error);

/* bolt_verify(), then the logical content as a tree (the root bucket). */
int bolt_load(int fd, BoltBucket **ret_root, char **ret_error);
int bolt_load_buffer(const void *data, size_t size, BoltBucket **ret_root, char **ret_error);

/* A fresh, compact database holding exactly this tree, in a malloc'd buffer whose bytes
 * depend on nothing else:
 *   - page 0 and 1: metas with txid 0 and 1 (what bbolt's own init writes), page 2: an
 *     empty freelist, then the pages of the tree, depth first in key order: each bucket's
 *     nested buckets before its own pages, its leaves left to right before the branch
 *     levels above them.
 *   - Nodes are split the way bbolt splits them with a fill percent of 1.0 (what
 *     `bbolt compact` asks for): as full as a page allows, at least two keys per node
 *     when a node splits, so a later writer (containerd) finds the invariants its
 *     rebalancing relies on. Oversized nodes take overflow pages.
 *   - A bucket is inlined by bbolt's own rule: no nested buckets and at most a quarter
 *     page. That is what bbolt would write for the same content, it keeps containerd's
 *     many tiny buckets (labels, per-blob records) from taking a page each, and it is
 *     decided by the content alone.
 *   - Every byte is written: page tails and gaps are zeros.
 * page_size: a power of two, BOLT_PAGE_SIZE_MIN .. BOLT_PAGE_SIZE_MAX (-EINVAL). */
int bolt_serialize(const BoltBucket *root, uint32_t page_size, uint8_t **ret_data, size_t *ret_size);

typedef struct BoltRewriteOptions {
	char *const *time_keys;   /* NULL-terminated: keys whose values are Go time.MarshalBinary
				   * encodings (15 bytes version 1, 16 bytes version 2) to clamp */
	int64_t clamp_seconds;    /* Unix seconds: later times become this, in UTC */
} BoltRewriteOptions;

/* Decode a Go time.MarshalBinary value: version 1 (15 bytes) or 2 (16 bytes), seconds
 * since year 1 (big-endian), nanoseconds 0..999999999, zone offset in minutes (-1 = UTC)
 * [and seconds]. 0 with the instant as Unix seconds and nanoseconds; -EBADMSG if it is
 * not such an encoding (then it is some other value that happens to sit under the key). */
int bolt_go_time_decode(const uint8_t *v, size_t n, int64_t *ret_unix, uint32_t *ret_nsec);

/* Clamp every value stored under one of o->time_keys (at any depth) to o->clamp_seconds:
 * min(value, clamp) on the instant. A time after the clamp (even by a nanosecond) becomes
 * exactly clamp_seconds in UTC, encoded as Go encodes UTC (version 1, offset -1); a time
 * at or before it keeps its bytes, zone and all, so clamping twice changes nothing.
 * Values that are not well-formed Go times are left alone. Returns how many values were
 * changed, or -ENOMEM. o may be NULL (nothing to do). */
int bolt_clamp_times(BoltBucket *root, const BoltRewriteOptions *o);

/* Read src (from offset 0), write a fresh compact database to dst_fd (empty, or -EINVAL;
 * written from its current position, not synced: the caller renames and syncs): its
 * bytes are bolt_serialize(load(src) with times clamped by o, BOLT_PAGE_SIZE_DEFAULT).
 * o may be NULL. A source that bolt_verify() refuses is refused the same way. */
int bolt_rewrite(int src_fd, int dst_fd, const BoltRewriteOptions *o, char **ret_error);
