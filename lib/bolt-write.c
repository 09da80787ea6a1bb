/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing a bbolt database from its logical content alone: one pass over the tree, pages
 * numbered in the order they are written, the split and inline rules of bbolt itself, so
 * the same tree always gives the same bytes and bbolt takes the file as its own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bolt-format.h"
#include "bolt.h"

/* bbolt's minimum number of keys on each side of a split (MinKeysPerPage). */
#define MIN_KEYS_PER_PAGE 2u

/* A key as it goes onto a page: a leaf's value (or bucket value), a branch's child. */
typedef struct Inode {
	uint32_t flags;
	const uint8_t *key, *value;
	size_t key_size, value_size;
	uint64_t pgid;
} Inode;

typedef struct Writer {
	uint8_t *buf;
	size_t n_pages, n_allocated;   /* in pages */
	uint32_t page_size;
} Writer;

/* n zeroed pages at the end of the file; the pointer is good until the next call. */
static int pages_alloc(Writer *w, size_t n, uint64_t *ret_pgid, uint8_t **ret_page) {
	size_t need = w->n_pages + n;

	if (need < w->n_pages || need > BOLT_FILE_MAX / w->page_size)
		return -EFBIG;
	if (need > w->n_allocated) {
		size_t a = MAX(need, w->n_allocated * 2);
		uint8_t *b = realloc(w->buf, a * w->page_size);
		if (!b)
			return -ENOMEM;
		memset(b + w->n_allocated * w->page_size, 0, (a - w->n_allocated) * w->page_size);
		w->buf = b;
		w->n_allocated = a;
	}
	*ret_pgid = w->n_pages;
	*ret_page = w->buf + w->n_pages * w->page_size;
	w->n_pages = need;
	return 0;
}

static size_t element_size(const Inode *in) {
	return BOLT_ELEMENT_SIZE + in->key_size + in->value_size;
}

static size_t node_size(const Inode *in, size_t n) {
	size_t sz = BOLT_PAGE_HEADER_SIZE;
	for (size_t i = 0; i < n; i++)
		sz += element_size(&in[i]);
	return sz;
}

/* A node onto zeroed memory p: elements first, then each key and value in turn (what
 * bbolt's WriteInodeToPage does). Sizes were checked against 32 bits by the caller. */
static void node_write(uint8_t *p, uint64_t id, bool leaf, const Inode *in, size_t n, uint32_t overflow) {
	size_t data = BOLT_PAGE_HEADER_SIZE + n * BOLT_ELEMENT_SIZE;

	bolt_put_page_header(p, id, leaf ? BOLT_PAGE_LEAF : BOLT_PAGE_BRANCH, (uint16_t) n, overflow);
	for (size_t i = 0; i < n; i++) {
		size_t at = BOLT_PAGE_HEADER_SIZE + i * BOLT_ELEMENT_SIZE;
		uint8_t *e = p + at;
		if (leaf) {
			bolt_put32(e, in[i].flags);
			bolt_put32(e + 4, (uint32_t) (data - at));
			bolt_put32(e + 8, (uint32_t) in[i].key_size);
			bolt_put32(e + 12, (uint32_t) in[i].value_size);
		} else {
			bolt_put32(e, (uint32_t) (data - at));
			bolt_put32(e + 4, (uint32_t) in[i].key_size);
			bolt_put64(e + 8, in[i].pgid);
		}
		memcpy(p + data, in[i].key, in[i].key_size);
		data += in[i].key_size;
		if (in[i].value_size > 0)
			memcpy(p + data, in[i].value, in[i].value_size);
		data += in[i].value_size;
	}
}

/* Whether in[0..n) is smaller than a page, without summing more than a page's worth
 * (bbolt's node.sizeLessThan): keeps splitting a long level linear. */
static bool size_less_than(const Inode *in, size_t n, size_t limit) {
	size_t sz = BOLT_PAGE_HEADER_SIZE;
	for (size_t i = 0; i < n; i++) {
		sz += element_size(&in[i]);
		if (sz >= limit)
			return false;
	}
	return sz < limit;
}

/* How many of in[0..n) go into the next node: bbolt's node.splitTwo/splitIndex with a
 * fill percent of 1.0. No split for a node that fits a page or has at most four keys
 * (it takes overflow pages instead); otherwise as many keys as fit a page, at least two,
 * leaving at least two (bbolt leaves three when it never reaches the threshold: the loop
 * stops one key early, and we do the same). Beyond bbolt: never more keys than the
 * page header can count, which bbolt only reaches with huge pages, where it panics. */
static size_t split_count(const Inode *in, size_t n, uint32_t page_size) {
	size_t sz = BOLT_PAGE_HEADER_SIZE, index = 0;

	if (n <= 2 * MIN_KEYS_PER_PAGE || (n < BOLT_COUNT_MAX && size_less_than(in, n, page_size)))
		return n;
	for (size_t i = 0; i < n - MIN_KEYS_PER_PAGE; i++) {
		index = i;
		size_t el = element_size(&in[i]);
		if (i >= MIN_KEYS_PER_PAGE && (sz + el > page_size || i >= BOLT_COUNT_MAX - 1))
			break;
		sz += el;
	}
	return index;
}

/* Write one level of a bucket's tree as nodes; each node's first key and page become the
 * next level up. Returns the number of nodes (1: that is the bucket's root). */
static int level_write(Writer *w, const Inode *in, size_t n, bool leaf, Inode *ret_parents, size_t *ret_n) {
	size_t start = 0, n_out = 0;
	int r;

	do {
		size_t c = split_count(in + start, n - start, w->page_size);
		size_t sz = node_size(in + start, c);
		size_t pages = (sz + w->page_size - 1) / w->page_size;
		uint64_t pgid;
		uint8_t *p;

		if (sz > UINT32_MAX || pages - 1 > UINT32_MAX)
			return -EFBIG;
		if ((r = pages_alloc(w, pages, &pgid, &p)) < 0)
			return r;
		node_write(p, pgid, leaf, in + start, c, (uint32_t) (pages - 1));
		ret_parents[n_out++] = (Inode) {
			.key = c > 0 ? in[start].key : NULL,
			.key_size = c > 0 ? in[start].key_size : 0,
			.pgid = pgid,
		};
		start += c;
	} while (start < n);
	*ret_n = n_out;
	return 0;
}

typedef struct Value {
	uint8_t *data;
	size_t size;
} Value;

static void values_free(Value *v, size_t n) {
	for (size_t i = 0; v && i < n; i++)
		free(v[i].data);
	free(v);
}

/* bbolt's Bucket.inlineable: no nested buckets, and the page no bigger than a quarter of
 * a real one. */
static bool inlineable(const BoltBucket *b, const Inode *in, size_t n, uint32_t page_size) {
	for (size_t i = 0; i < n; i++)
		if (b->items[i].bucket)
			return false;
	return n < BOLT_COUNT_MAX && node_size(in, n) <= page_size / 4;
}

/* Write bucket b: its nested buckets first, then its own pages. The root bucket's root
 * page goes to *ret_root; any other bucket's value (header, maybe the inline page) to
 * *ret_value. */
static int bucket_write(Writer *w, const BoltBucket *b, uint64_t *ret_root, Value *ret_value) {
	Value *children = NULL;
	Inode *in = NULL, *up = NULL;
	size_t n = b->n_items, n_up = 0;
	int r;

	children = calloc(MAX(n, (size_t) 1), sizeof(Value));
	in = calloc(MAX(n, (size_t) 1), sizeof(Inode));
	up = calloc(MAX(n, (size_t) 1), sizeof(Inode));
	if (!children || !in || !up) {
		r = -ENOMEM;
		goto finish;
	}
	for (size_t i = 0; i < n; i++) {
		const BoltItem *it = &b->items[i];
		if (it->key_size == 0 || it->key_size > UINT32_MAX) {
			r = -EINVAL;
			goto finish;
		}
		in[i] = (Inode) { .key = it->key, .key_size = it->key_size };
		if (it->bucket) {
			if ((r = bucket_write(w, it->bucket, NULL, &children[i])) < 0)
				goto finish;
			in[i].flags = BOLT_ELEMENT_BUCKET;
			in[i].value = children[i].data;
			in[i].value_size = children[i].size;
		} else {
			in[i].value = it->value;
			in[i].value_size = it->value_size;
		}
		if (in[i].value_size > UINT32_MAX) {
			r = -EFBIG;
			goto finish;
		}
	}

	if (!ret_root && inlineable(b, in, n, w->page_size)) {
		size_t sz = node_size(in, n);
		uint8_t *v = calloc(1, BOLT_BUCKET_HEADER_SIZE + sz);
		if (!v) {
			r = -ENOMEM;
			goto finish;
		}
		bolt_put64(v, 0);
		bolt_put64(v + 8, b->sequence);
		node_write(v + BOLT_BUCKET_HEADER_SIZE, 0, true, in, n, 0);
		*ret_value = (Value) { v, BOLT_BUCKET_HEADER_SIZE + sz };
		r = 0;
		goto finish;
	}

	/* Leaves, then branch levels until one node is left. Each level has fewer nodes than
	 * the one below has keys (every split keeps two keys a node), so up[] is big enough. */
	const Inode *level = in;
	Inode *next = up;
	size_t n_level = n;
	bool leaf = true;
	for (;;) {
		if ((r = level_write(w, level, n_level, leaf, next, &n_up)) < 0)
			goto finish;
		if (n_up == 1)
			break;
		level = next;
		next = next == up ? in : up;
		n_level = n_up;
		leaf = false;
	}
	uint64_t root = next[0].pgid;
	if (ret_root)
		*ret_root = root;
	else {
		uint8_t *v = malloc(BOLT_BUCKET_HEADER_SIZE);
		if (!v) {
			r = -ENOMEM;
			goto finish;
		}
		bolt_put64(v, root);
		bolt_put64(v + 8, b->sequence);
		*ret_value = (Value) { v, BOLT_BUCKET_HEADER_SIZE };
	}
	r = 0;
finish:
	values_free(children, n);
	free(in);
	free(up);
	return r;
}

static void meta_write(uint8_t *p, uint64_t id, uint32_t page_size, uint64_t root, uint64_t sequence,
		       uint64_t freelist, uint64_t hwm) {
	uint8_t *m = p + BOLT_PAGE_HEADER_SIZE;

	bolt_put_page_header(p, id, BOLT_PAGE_META, 0, 0);
	bolt_put32(m, BOLT_MAGIC);
	bolt_put32(m + 4, BOLT_VERSION);
	bolt_put32(m + 8, page_size);
	bolt_put32(m + 12, 0);              /* flags: none defined */
	bolt_put64(m + 16, root);
	bolt_put64(m + 24, sequence);
	bolt_put64(m + 32, freelist);
	bolt_put64(m + 40, hwm);
	bolt_put64(m + 48, id);             /* txid: 0 and 1, each in its own page */
	bolt_put64(m + BOLT_META_CHECKSUM_AT, bolt_fnv1a64(m, BOLT_META_CHECKSUM_AT));
}

int bolt_serialize(const BoltBucket *root, uint32_t page_size, uint8_t **ret_data, size_t *ret_size) {
	Writer w = { .page_size = page_size };
	uint64_t first, root_pgid = 0;
	uint8_t *p;
	int r;

	if (!root || !ret_data || !ret_size)
		return -EINVAL;
	if (page_size < BOLT_PAGE_SIZE_MIN || page_size > BOLT_PAGE_SIZE_MAX || (page_size & (page_size - 1)) != 0)
		return -EINVAL;
	/* Two metas and the freelist, page 2 as bbolt's init puts it. */
	if ((r = pages_alloc(&w, 3, &first, &p)) < 0)
		goto fail;
	bolt_put_page_header(w.buf + 2 * page_size, 2, BOLT_PAGE_FREELIST, 0, 0);
	if ((r = bucket_write(&w, root, &root_pgid, NULL)) < 0)
		goto fail;
	for (uint64_t i = 0; i < 2; i++)
		meta_write(w.buf + i * page_size, i, page_size, root_pgid, root->sequence, 2, w.n_pages);
	*ret_data = w.buf;
	*ret_size = w.n_pages * page_size;
	return 0;
fail:
	free(w.buf);
	return r;
}
