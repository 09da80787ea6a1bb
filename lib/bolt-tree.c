/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The logical content of a bbolt database: buckets of ordered keys, in memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc-util.h"
#include "bolt-format.h"
#include "bolt.h"

BoltBucket *bolt_bucket_new(void) {
	return calloc(1, sizeof(BoltBucket));
}

BoltBucket *bolt_bucket_free(BoltBucket *b) {
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->n_items; i++) {
		free(b->items[i].key);
		free(b->items[i].value);
		bolt_bucket_free(b->items[i].bucket);
	}
	free(b->items);
	free(b);
	return NULL;
}

/* Where key is, or would go: the first index whose key is not below it. */
static size_t lower_bound(const BoltBucket *b, const uint8_t *key, size_t key_size) {
	size_t lo = 0, hi = b->n_items;

	/* Loading and building append in order: answer that case without a search. */
	if (hi > 0 && bolt_key_compare(b->items[hi - 1].key, b->items[hi - 1].key_size, key, key_size) < 0)
		return hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bolt_key_compare(b->items[mid].key, b->items[mid].key_size, key, key_size) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

BoltItem *bolt_bucket_find(const BoltBucket *b, const void *key, size_t key_size) {
	if (!b || (!key && key_size > 0))
		return NULL;
	size_t i = lower_bound(b, key, key_size);
	if (i < b->n_items && bolt_key_compare(b->items[i].key, b->items[i].key_size, key, key_size) == 0)
		return &b->items[i];
	return NULL;
}

/* Make room for an item at its place; fills in a copy of the key. */
static int insert_slot(BoltBucket *b, const void *key, size_t key_size, BoltItem **ret) {
	_cleanup_free_ uint8_t *k = NULL;

	if (!b || !key || key_size == 0)
		return -EINVAL;
	size_t i = lower_bound(b, key, key_size);
	if (i < b->n_items && bolt_key_compare(b->items[i].key, b->items[i].key_size, key, key_size) == 0)
		return -EEXIST;
	k = malloc(key_size);
	if (!k || !GREEDY_REALLOC(b->items, b->n_allocated, b->n_items + 1))
		return -ENOMEM;
	memcpy(k, key, key_size);
	memmove(b->items + i + 1, b->items + i, (b->n_items - i) * sizeof(BoltItem));
	b->items[i] = (BoltItem) { .key = TAKE_PTR(k), .key_size = key_size };
	b->n_items++;
	*ret = &b->items[i];
	return 0;
}

int bolt_bucket_put(BoltBucket *b, const void *key, size_t key_size, const void *value, size_t value_size) {
	_cleanup_free_ uint8_t *v = NULL;
	BoltItem *item;
	int r;

	if (!value && value_size > 0)
		return -EINVAL;
	/* Always an allocation, even for an empty value, so that value != NULL. */
	v = malloc(value_size > 0 ? value_size : 1);
	if (!v)
		return -ENOMEM;
	if (value_size > 0)
		memcpy(v, value, value_size);
	r = insert_slot(b, key, key_size, &item);
	if (r < 0)
		return r;
	item->value = TAKE_PTR(v);
	item->value_size = value_size;
	return 0;
}

int bolt_bucket_add_bucket(BoltBucket *b, const void *key, size_t key_size, BoltBucket **ret_child) {
	_cleanup_bolt_bucket_free_ BoltBucket *child = bolt_bucket_new();
	BoltItem *item;
	int r;

	if (!child)
		return -ENOMEM;
	r = insert_slot(b, key, key_size, &item);
	if (r < 0)
		return r;
	item->bucket = TAKE_PTR(child);
	if (ret_child)
		*ret_child = item->bucket;
	return 0;
}
