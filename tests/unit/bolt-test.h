/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by test-bolt.c and test-bolt-verify.c: trees compared, databases made in
 * memory, pages and elements found in the raw bytes (bolt-format.h's layout). */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt-format.h"
#include "bolt.h"

static inline bool bolt_tree_equal(const BoltBucket *a, const BoltBucket *b) {
	if (!a || !b || a->sequence != b->sequence || a->n_items != b->n_items)
		return false;
	for (size_t i = 0; i < a->n_items; i++) {
		const BoltItem *x = &a->items[i], *y = &b->items[i];
		if (x->key_size != y->key_size || memcmp(x->key, y->key, x->key_size) != 0)
			return false;
		if (!!x->bucket != !!y->bucket)
			return false;
		if (x->bucket ? !bolt_tree_equal(x->bucket, y->bucket)
			      : x->value_size != y->value_size ||
				(x->value_size > 0 && memcmp(x->value, y->value, x->value_size) != 0))
			return false;
	}
	return true;
}

/* The database for root, or NULL. */
static inline uint8_t *bolt_test_serialize(const BoltBucket *root, uint32_t page_size, size_t *ret_size) {
	uint8_t *d = NULL;
	if (bolt_serialize(root, page_size, &d, ret_size) < 0)
		return NULL;
	return d;
}

/* Put "KEY" = "VALUE" strings. */
static inline int bolt_put_str(BoltBucket *b, const char *key, const char *value) {
	return bolt_bucket_put(b, key, strlen(key), value, strlen(value));
}

static inline BoltBucket *bolt_add_str(BoltBucket *b, const char *key) {
	BoltBucket *child = NULL;
	return bolt_bucket_add_bucket(b, key, strlen(key), &child) < 0 ? NULL : child;
}

/* Fields of the meta in page `which` (0 or 1), by offset inside the meta. */
#define META_ROOT     16u
#define META_FREELIST 32u
#define META_HWM      40u
#define META_TXID     48u

static inline uint8_t *bolt_meta(uint8_t *d, uint32_t page_size, unsigned which) {
	return d + (size_t) which * page_size + BOLT_PAGE_HEADER_SIZE;
}

static inline void bolt_meta_set(uint8_t *d, uint32_t page_size, unsigned which, unsigned field, uint64_t v) {
	uint8_t *m = bolt_meta(d, page_size, which);
	bolt_put64(m + field, v);
	bolt_put64(m + BOLT_META_CHECKSUM_AT, bolt_fnv1a64(m, BOLT_META_CHECKSUM_AT));
}

static inline uint64_t bolt_meta_get(uint8_t *d, uint32_t page_size, unsigned which, unsigned field) {
	return bolt_get64(bolt_meta(d, page_size, which) + field);
}

static inline uint8_t *bolt_page(uint8_t *d, uint32_t page_size, uint64_t id) {
	return d + id * page_size;
}

static inline uint8_t *bolt_element(uint8_t *page, unsigned i) {
	return page + BOLT_PAGE_HEADER_SIZE + i * BOLT_ELEMENT_SIZE;
}

/* In leaf page p, the element whose key is key (NULL if none). */
static inline uint8_t *bolt_leaf_element(uint8_t *p, const char *key) {
	BoltPageHeader h = bolt_page_header(p);
	for (unsigned i = 0; i < h.count; i++) {
		uint8_t *e = bolt_element(p, i);
		if (bolt_get32(e + 8) == strlen(key) && memcmp(e + bolt_get32(e + 4), key, strlen(key)) == 0)
			return e;
	}
	return NULL;
}

static inline uint8_t *bolt_leaf_value(uint8_t *e) {
	return e + bolt_get32(e + 4) + bolt_get32(e + 8);
}
