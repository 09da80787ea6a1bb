/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a bbolt database, trusting nothing: every offset, size and page id is checked
 * before it is followed, so a corrupt or hostile file ends in -EBADMSG and a reason, never
 * in a read outside the buffer. The checks are bbolt's Tx.Check plus what bbolt itself
 * asserts while reading (page ids match, one type flag per page, no empty keys). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt-format.h"
#include "bolt.h"

/* Buckets and B+tree levels together: real databases use a handful; the bound keeps a
 * crafted chain of pages from exhausting the stack. */
#define DEPTH_MAX 128u

enum {
	PAGE_UNSEEN = 0,
	PAGE_REACHABLE,
	PAGE_FREE,
};

typedef struct Meta {
	uint32_t page_size;
	uint64_t root, sequence, freelist, hwm, txid;
} Meta;

typedef struct Reader {
	const uint8_t *data;
	size_t size;
	uint32_t page_size;
	uint64_t hwm;
	uint8_t *state;          /* PAGE_* for each page below hwm */
	unsigned depth;
	char *error;
} Reader;

/* A key range [lo, hi) that a subtree must stay in; NULL ends are open. */
typedef struct Range {
	const uint8_t *lo, *hi;
	size_t lo_size, hi_size;
} Range;

_printf_(2, 3) static int fail(Reader *r, const char *fmt, ...) {
	va_list ap;

	free(r->error);
	va_start(ap, fmt);
	int k = vasprintf(&r->error, fmt, ap);
	va_end(ap);
	if (k < 0) {
		r->error = NULL;
		return -ENOMEM;
	}
	return -EBADMSG;
}

/* NULL if the meta at p (avail bytes of file from there) is valid, else why not. */
static const char *meta_parse(const uint8_t *p, size_t avail, Meta *ret) {
	if (avail < BOLT_PAGE_HEADER_SIZE + BOLT_META_SIZE)
		return "truncated";
	const uint8_t *m = p + BOLT_PAGE_HEADER_SIZE;
	if (bolt_get32(m) != BOLT_MAGIC)
		return "bad magic";
	if (bolt_get32(m + 4) != BOLT_VERSION)
		return "unsupported version";
	if (bolt_get64(m + BOLT_META_CHECKSUM_AT) != bolt_fnv1a64(m, BOLT_META_CHECKSUM_AT))
		return "bad checksum";
	uint32_t ps = bolt_get32(m + 8);
	if (ps < BOLT_PAGE_SIZE_MIN || ps > BOLT_PAGE_SIZE_MAX || (ps & (ps - 1)) != 0)
		return "invalid page size";
	*ret = (Meta) {
		.page_size = ps,
		.root = bolt_get64(m + 16),
		.sequence = bolt_get64(m + 24),
		.freelist = bolt_get64(m + 32),
		.hwm = bolt_get64(m + 40),
		.txid = bolt_get64(m + 48),
	};
	return NULL;
}

static int meta_error_rank(const char *e) {
	return streq(e, "truncated") ? 0 : streq(e, "bad magic") ? 1 : 2;
}

/* Both metas, the current one in *ret: the valid one with the higher txid. The second
 * meta sits one page in; when the first cannot tell the page size, bbolt probes every
 * size it supports, and so do we. */
static int metas_parse(Reader *r, Meta *ret) {
	Meta m0 = {}, m1 = {};
	const char *e0, *e1 = "truncated";

	e0 = meta_parse(r->data, r->size, &m0);
	if (!e0) {
		if (m0.page_size < r->size)
			e1 = meta_parse(r->data + m0.page_size, r->size - m0.page_size, &m1);
		if (!e1 && m1.page_size != m0.page_size)
			return fail(r, "meta pages disagree on the page size (%" PRIu32 ", %" PRIu32 ")",
				    m0.page_size, m1.page_size);
	} else {
		for (uint32_t ps = BOLT_PAGE_SIZE_MIN; ps <= BOLT_PAGE_SIZE_MAX && ps < r->size; ps <<= 1) {
			const char *e = meta_parse(r->data + ps, r->size - ps, &m1);
			if (!e && m1.page_size != ps)
				e = "page size does not match its position";
			if (!e) {
				e1 = NULL;
				break;
			}
			/* Tell of the probe that came closest: a meta with a flaw says more
			 * than the bad magic of pages that are no meta at all. */
			if (meta_error_rank(e) > meta_error_rank(e1))
				e1 = e;
		}
	}
	if (e0 && e1)
		return fail(r, "no valid meta page (page 0: %s; page 1: %s)", e0, e1);
	if (e0 || (!e1 && m1.txid > m0.txid))
		*ret = m1;
	else
		*ret = m0;
	return 0;
}

static int page_get(Reader *r, uint64_t pgid, const char *what, const uint8_t **ret_page, BoltPageHeader *ret_h) {
	if (pgid < 2)
		return fail(r, "page %" PRIu64 ": a meta page referenced as a %s page", pgid, what);
	if (pgid >= r->hwm)
		return fail(r, "page %" PRIu64 ": %s page beyond the high-water mark %" PRIu64, pgid, what, r->hwm);
	const uint8_t *p = r->data + pgid * r->page_size;
	BoltPageHeader h = bolt_page_header(p);
	if (h.id != pgid)
		return fail(r, "page %" PRIu64 ": header says page %" PRIu64, pgid, h.id);
	if (h.overflow >= r->hwm - pgid)
		return fail(r, "page %" PRIu64 ": %" PRIu32 " overflow pages run past the high-water mark %" PRIu64,
			    pgid, h.overflow, r->hwm);
	for (uint64_t i = pgid; i <= pgid + h.overflow; i++) {
		if (r->state[i] != PAGE_UNSEEN)
			return fail(r, "page %" PRIu64 ": reachable twice (again from page %" PRIu64 ")", i, pgid);
		r->state[i] = PAGE_REACHABLE;
	}
	*ret_page = p;
	*ret_h = h;
	return 0;
}

static bool in_range(const Range *range, const uint8_t *k, size_t n) {
	if (range->lo && bolt_key_compare(k, n, range->lo, range->lo_size) < 0)
		return false;
	if (range->hi && bolt_key_compare(k, n, range->hi, range->hi_size) >= 0)
		return false;
	return true;
}


static int walk_page(Reader *r, uint64_t pgid, const Range *range, BoltBucket *into);

/* A nested bucket's value: its header, then either its root page or its inline page. */
static int walk_bucket(Reader *r, uint64_t where, const uint8_t *v, size_t n, BoltBucket *into);

/* Leaf elements: keys strictly increasing and inside range, key and value inside the
 * page; values with the bucket flag are walked as nested buckets. */
static int walk_leaf(Reader *r, uint64_t where, const char *kind, const uint8_t *p, size_t span,
		     uint16_t count, const Range *range, BoltBucket *into) {
	const uint8_t *prev = NULL;
	size_t prev_size = 0;
	int k;

	if ((size_t) count * BOLT_ELEMENT_SIZE > span - BOLT_PAGE_HEADER_SIZE)
		return fail(r, "page %" PRIu64 ": %" PRIu16 " %s elements do not fit", where, count, kind);
	for (uint16_t i = 0; i < count; i++) {
		size_t at = BOLT_PAGE_HEADER_SIZE + (size_t) i * BOLT_ELEMENT_SIZE;
		const uint8_t *e = p + at;
		uint32_t flags = bolt_get32(e), pos = bolt_get32(e + 4);
		uint32_t ksize = bolt_get32(e + 8), vsize = bolt_get32(e + 12);

		if (flags & ~BOLT_ELEMENT_BUCKET)
			return fail(r, "page %" PRIu64 ": %s element %" PRIu16 " has unknown flags 0x%" PRIx32,
				    where, kind, i, flags);
		if (ksize == 0)
			return fail(r, "page %" PRIu64 ": %s element %" PRIu16 " has an empty key", where, kind, i);
		if ((uint64_t) at + pos + ksize + vsize > span)
			return fail(r, "page %" PRIu64 ": %s element %" PRIu16 " runs past the end of its page",
				    where, kind, i);
		const uint8_t *key = e + pos, *value = key + ksize;
		if (prev && bolt_key_compare(prev, prev_size, key, ksize) >= 0)
			return fail(r, "page %" PRIu64 ": %s key out of order (element %" PRIu16 ")", where, kind, i);
		if (!in_range(range, key, ksize))
			return fail(r, "page %" PRIu64 ": %s key outside its parent's range (element %" PRIu16 ")",
				    where, kind, i);
		prev = key;
		prev_size = ksize;

		if (flags & BOLT_ELEMENT_BUCKET) {
			BoltBucket *child = NULL;
			if (into && (k = bolt_bucket_add_bucket(into, key, ksize, &child)) < 0)
				return k;
			k = walk_bucket(r, where, value, vsize, child);
		} else
			k = into ? bolt_bucket_put(into, key, ksize, value, vsize) : 0;
		if (k < 0)
			return k;
	}
	return 0;
}

/* Branch elements: keys strictly increasing and inside range; child i holds the keys
 * from key i up to (not including) key i + 1, the last one up to the end of range. */
static int walk_branch(Reader *r, uint64_t pgid, const uint8_t *p, size_t span, uint16_t count,
		       const Range *range, BoltBucket *into) {
	const uint8_t *prev = NULL;
	size_t prev_size = 0;
	int k;

	if (count == 0)
		return fail(r, "page %" PRIu64 ": branch page without elements", pgid);
	if ((size_t) count * BOLT_ELEMENT_SIZE > span - BOLT_PAGE_HEADER_SIZE)
		return fail(r, "page %" PRIu64 ": %" PRIu16 " branch elements do not fit", pgid, count);
	for (uint16_t i = 0; i < count; i++) {
		size_t at = BOLT_PAGE_HEADER_SIZE + (size_t) i * BOLT_ELEMENT_SIZE;
		uint32_t pos = bolt_get32(p + at), ksize = bolt_get32(p + at + 4);

		if (ksize == 0)
			return fail(r, "page %" PRIu64 ": branch element %" PRIu16 " has an empty key", pgid, i);
		if ((uint64_t) at + pos + ksize > span)
			return fail(r, "page %" PRIu64 ": branch element %" PRIu16 " runs past the end of its page",
				    pgid, i);
		const uint8_t *key = p + at + pos;
		if (prev && bolt_key_compare(prev, prev_size, key, ksize) >= 0)
			return fail(r, "page %" PRIu64 ": branch key out of order (element %" PRIu16 ")", pgid, i);
		if (!in_range(range, key, ksize))
			return fail(r, "page %" PRIu64 ": branch key outside its parent's range (element %" PRIu16 ")",
				    pgid, i);
		prev = key;
		prev_size = ksize;
	}
	/* All keys are known good: now the children, each with its range. */
	for (uint16_t i = 0; i < count; i++) {
		const uint8_t *e = p + BOLT_PAGE_HEADER_SIZE + (size_t) i * BOLT_ELEMENT_SIZE;
		Range child = {
			.lo = e + bolt_get32(e),
			.lo_size = bolt_get32(e + 4),
			.hi = range->hi,
			.hi_size = range->hi_size,
		};
		if (i + 1 < count) {
			const uint8_t *next = e + BOLT_ELEMENT_SIZE;
			child.hi = next + bolt_get32(next);
			child.hi_size = bolt_get32(next + 4);
		}
		if ((k = walk_page(r, bolt_get64(e + 8), &child, into)) < 0)
			return k;
	}
	return 0;
}

static int walk_page(Reader *r, uint64_t pgid, const Range *range, BoltBucket *into) {
	const uint8_t *p;
	BoltPageHeader h;
	int k;

	if (r->depth >= DEPTH_MAX)
		return fail(r, "page %" PRIu64 ": nested more than %u levels deep", pgid, DEPTH_MAX);
	if ((k = page_get(r, pgid, "leaf or branch", &p, &h)) < 0)
		return k;
	size_t span = ((size_t) h.overflow + 1) * r->page_size;
	r->depth++;
	if (h.flags == BOLT_PAGE_LEAF)
		k = walk_leaf(r, pgid, "leaf", p, span, h.count, range, into);
	else if (h.flags == BOLT_PAGE_BRANCH)
		k = walk_branch(r, pgid, p, span, h.count, range, into);
	else
		k = fail(r, "page %" PRIu64 ": expected a leaf or branch page, found flags 0x%" PRIx16, pgid, h.flags);
	r->depth--;
	return k;
}

static int walk_bucket(Reader *r, uint64_t where, const uint8_t *v, size_t n, BoltBucket *into) {
	int k;

	if (n < BOLT_BUCKET_HEADER_SIZE)
		return fail(r, "page %" PRIu64 ": bucket value of %zu bytes is too short", where, n);
	uint64_t root = bolt_get64(v);
	if (into)
		into->sequence = bolt_get64(v + 8);
	if (root != 0)
		return walk_page(r, root, &(Range) {}, into);

	/* Inline: the bucket's only page, a leaf, inside the value. Its header's id and
	 * overflow mean nothing (bbolt leaves them 0). */
	const uint8_t *p = v + BOLT_BUCKET_HEADER_SIZE;
	size_t span = n - BOLT_BUCKET_HEADER_SIZE;
	if (span < BOLT_PAGE_HEADER_SIZE)
		return fail(r, "page %" PRIu64 ": inline bucket shorter than a page header", where);
	BoltPageHeader h = bolt_page_header(p);
	if (h.flags != BOLT_PAGE_LEAF)
		return fail(r, "page %" PRIu64 ": inline bucket is not a leaf (flags 0x%" PRIx16 ")", where, h.flags);
	if (r->depth >= DEPTH_MAX)
		return fail(r, "page %" PRIu64 ": nested more than %u levels deep", where, DEPTH_MAX);
	r->depth++;
	k = walk_leaf(r, where, "inline bucket", p, span, h.count, &(Range) {}, into);
	r->depth--;
	return k;
}

/* The freelist page's ids, checked against the walk once it is done. */
static int freelist_get(Reader *r, uint64_t pgid, const uint8_t **ret_ids, uint64_t *ret_count) {
	const uint8_t *p;
	BoltPageHeader h;
	int k;

	if ((k = page_get(r, pgid, "freelist", &p, &h)) < 0)
		return k;
	if (h.flags != BOLT_PAGE_FREELIST)
		return fail(r, "page %" PRIu64 ": expected the freelist, found flags 0x%" PRIx16, pgid, h.flags);
	size_t slots = (((size_t) h.overflow + 1) * r->page_size - BOLT_PAGE_HEADER_SIZE) / 8;
	uint64_t count = h.count, first = 0;
	if (h.count == BOLT_FREELIST_COUNT_IN_DATA) {
		count = slots > 0 ? bolt_get64(p + BOLT_PAGE_HEADER_SIZE) : UINT64_MAX;
		first = 1;
	}
	if (count > slots - first)
		return fail(r, "page %" PRIu64 ": %" PRIu64 " free page ids do not fit", pgid, count);
	*ret_ids = p + BOLT_PAGE_HEADER_SIZE + first * 8;
	*ret_count = count;
	return 0;
}

static int check_free_pages(Reader *r, const uint8_t *ids, uint64_t count) {
	for (uint64_t i = 0; i < count; i++) {
		uint64_t id = bolt_get64(ids + i * 8);
		if (id < 2 || id >= r->hwm)
			return fail(r, "freelist: page %" PRIu64 " out of range (high-water mark %" PRIu64 ")", id, r->hwm);
		if (r->state[id] == PAGE_REACHABLE)
			return fail(r, "page %" PRIu64 ": both free and reachable", id);
		if (r->state[id] == PAGE_FREE)
			return fail(r, "page %" PRIu64 ": freed twice", id);
		r->state[id] = PAGE_FREE;
	}
	/* What bbolt's check calls "unreachable unfreed": a page lost to every writer. */
	for (uint64_t id = 2; id < r->hwm; id++)
		if (r->state[id] == PAGE_UNSEEN)
			return fail(r, "page %" PRIu64 ": neither reachable nor free", id);
	return 0;
}

static int parse(const void *data, size_t size, BoltBucket **ret_root, char **ret_error) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = NULL;
	Reader r = { .data = data, .size = size };
	const uint8_t *free_ids = NULL;
	uint64_t n_free = 0;
	Meta m = {};
	int k;

	if (!data && size > 0)
		return -EINVAL;
	if (ret_root && !(root = bolt_bucket_new()))
		return -ENOMEM;
	if ((k = metas_parse(&r, &m)) < 0)
		goto finish;
	r.page_size = m.page_size;
	r.hwm = m.hwm;
	if (m.hwm > size / m.page_size) {
		k = fail(&r, "high-water mark %" PRIu64 " beyond the end of the file (%zu pages)", m.hwm, size / m.page_size);
		goto finish;
	}
	if (m.hwm < 3) {
		k = fail(&r, "high-water mark %" PRIu64 " leaves no room for the root page", m.hwm);
		goto finish;
	}
	r.state = calloc(m.hwm, 1);
	if (!r.state) {
		k = -ENOMEM;
		goto finish;
	}
	r.state[0] = r.state[1] = PAGE_REACHABLE;
	if (m.freelist != BOLT_PGID_NO_FREELIST && (k = freelist_get(&r, m.freelist, &free_ids, &n_free)) < 0)
		goto finish;
	if (root)
		root->sequence = m.sequence;
	if ((k = walk_page(&r, m.root, &(Range) {}, root)) < 0)
		goto finish;
	/* Without a stored freelist bbolt takes every unreachable page as free. */
	if (m.freelist != BOLT_PGID_NO_FREELIST && (k = check_free_pages(&r, free_ids, n_free)) < 0)
		goto finish;
	if (ret_root)
		*ret_root = TAKE_PTR(root);
finish:
	if (k == -EBADMSG && ret_error)
		*ret_error = TAKE_PTR(r.error);
	free(r.error);
	free(r.state);
	return k;
}

int bolt_verify_buffer(const void *data, size_t size, char **ret_error) {
	return parse(data, size, NULL, ret_error);
}

int bolt_load_buffer(const void *data, size_t size, BoltBucket **ret_root, char **ret_error) {
	if (!ret_root)
		return -EINVAL;
	return parse(data, size, ret_root, ret_error);
}

/* The whole file from offset 0, whatever the fd's position. */
static int read_all(int fd, uint8_t **ret, size_t *ret_size) {
	_cleanup_free_ uint8_t *buf = NULL;
	size_t n = 0, allocated;
	struct stat st;

	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && (uint64_t) st.st_size > BOLT_FILE_MAX)
		return -EFBIG;
	/* One byte more than the file, so that its end is seen without growing. */
	allocated = (S_ISREG(st.st_mode) ? (size_t) st.st_size : 0) + 4096;
	if (!(buf = malloc(allocated)))
		return -ENOMEM;
	for (;;) {
		if (n == allocated) {
			if (allocated > BOLT_FILE_MAX)
				return -EFBIG;
			uint8_t *b = realloc(buf, allocated * 2);
			if (!b)
				return -ENOMEM;
			buf = b;
			allocated *= 2;
		}
		ssize_t k = pread(fd, buf + n, allocated - n, (off_t) n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		n += (size_t) k;
	}
	if (n > BOLT_FILE_MAX)
		return -EFBIG;
	*ret = TAKE_PTR(buf);
	*ret_size = n;
	return 0;
}

int bolt_verify(int fd, char **ret_error) {
	_cleanup_free_ uint8_t *data = NULL;
	size_t size = 0;
	int k;

	if ((k = read_all(fd, &data, &size)) < 0)
		return k;
	return bolt_verify_buffer(data, size, ret_error);
}

int bolt_load(int fd, BoltBucket **ret_root, char **ret_error) {
	_cleanup_free_ uint8_t *data = NULL;
	size_t size = 0;
	int k;

	if (!ret_root)
		return -EINVAL;
	if ((k = read_all(fd, &data, &size)) < 0)
		return k;
	return bolt_load_buffer(data, size, ret_root, ret_error);
}
