/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bolt_verify(): a good database, then one corruption at a time, each refused with the
 * reason that names it (or, where bbolt itself would recover, accepted). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt-test.h"
#include "tap.h"

#define PS BOLT_PAGE_SIZE_DEFAULT

static uint8_t *good;
static size_t good_size;
static uint64_t hwm, root_pg, a_pg, b_pg, c_pg;

/* Root: buckets a and b (40 keys of 40 bytes: a page each), c (1000 keys: leaves under a
 * branch), d (empty: inline). */
static BoltBucket *base(void) {
	BoltBucket *root = bolt_bucket_new(), *a, *b, *c;
	char key[16], value[41];

	if (!root || !(a = bolt_add_str(root, "a")) || !(b = bolt_add_str(root, "b")) ||
	    !(c = bolt_add_str(root, "c")) || !bolt_add_str(root, "d"))
		return bolt_bucket_free(root);
	for (unsigned i = 0; i < 40; i++) {
		snprintf(key, sizeof key, "key%03u", i);
		snprintf(value, sizeof value, "%040u", i);
		if (bolt_put_str(a, key, value) < 0 || bolt_put_str(b, key, value) < 0)
			return bolt_bucket_free(root);
	}
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "key%04u", i);
		if (bolt_put_str(c, key, "valuevalue") < 0)
			return bolt_bucket_free(root);
	}
	return root;
}

static uint8_t *copy(void) {
	uint8_t *d = malloc(good_size + PS);
	if (!d)
		abort();
	memcpy(d, good, good_size);
	memset(d + good_size, 0, PS);   /* room for a page more */
	return d;
}

static uint8_t *root_element(uint8_t *d, const char *key) {
	return bolt_leaf_element(bolt_page(d, PS, root_pg), key);
}

/* Verify d and compare with the expectation: 0, or -EBADMSG with want in the reason. */
static void expect(uint8_t *d, size_t n, const char *want, const char *what) {
	_cleanup_free_ char *error = NULL;
	int r = bolt_verify_buffer(d, n, &error);

	if (!want)
		ok(r == 0 && !error, "%s: accepted", what);
	else if (!ok(r == -EBADMSG && error && strstr(error, want), "%s: refused (%s)", what, error ? error : "no reason"))
		diag("got %d, wanted a reason with '%s'", r, want);
	free(d);
}

static void test_metas(void) {
	uint8_t *d;

	expect(copy(), good_size, NULL, "the good database");

	d = copy();
	bolt_put32(bolt_meta(d, PS, 0), 0x12345678);
	expect(d, good_size, NULL, "bad magic on page 0 only (page 1 is found by probing)");
	d = copy();
	bolt_put32(bolt_meta(d, PS, 0), 0x12345678);
	bolt_put32(bolt_meta(d, PS, 1), 0x12345678);
	expect(d, good_size, "no valid meta page (page 0: bad magic; page 1: bad magic)", "bad magic on both metas");

	d = copy();
	bolt_meta(d, PS, 1)[BOLT_META_CHECKSUM_AT] ^= 1;
	expect(d, good_size, NULL, "bad checksum on page 1 only");
	d = copy();
	bolt_meta(d, PS, 0)[BOLT_META_CHECKSUM_AT] ^= 1;
	bolt_meta(d, PS, 1)[META_HWM] ^= 1;   /* a flipped bit: the checksum no longer matches */
	expect(d, good_size, "page 0: bad checksum; page 1: bad checksum", "bad checksum on both metas");

	d = copy();
	bolt_put32(bolt_meta(d, PS, 0) + 4, 1);
	bolt_put32(bolt_meta(d, PS, 1) + 4, 1);
	expect(d, good_size, "unsupported version", "version 1 on both metas");

	/* The current meta is the valid one with the higher txid (page 1 here). */
	d = copy();
	bolt_meta_set(d, PS, 1, META_ROOT, hwm + 10);
	expect(d, good_size, "beyond the high-water mark", "the current meta (txid 1) points past the end");
	d = copy();
	bolt_meta_set(d, PS, 1, META_ROOT, hwm + 10);
	bolt_meta(d, PS, 1)[BOLT_META_CHECKSUM_AT] ^= 1;
	expect(d, good_size, NULL, "the same meta torn: the older one is used");
	d = copy();
	bolt_meta_set(d, PS, 1, META_ROOT, hwm + 10);
	bolt_meta_set(d, PS, 1, META_TXID, 0);
	expect(d, good_size, NULL, "equal txids: page 0 wins, as in bbolt");
	d = copy();
	bolt_meta_set(d, PS, 0, META_ROOT, 1);
	bolt_meta_set(d, PS, 1, META_ROOT, 1);
	expect(d, good_size, "page 1: a meta page referenced", "the root bucket on a meta page");

	d = copy();
	bolt_put32(bolt_meta(d, PS, 0) + 8, 3000);
	bolt_put64(bolt_meta(d, PS, 0) + BOLT_META_CHECKSUM_AT, bolt_fnv1a64(bolt_meta(d, PS, 0), 56));
	bolt_put32(bolt_meta(d, PS, 1) + 8, 3000);
	bolt_put64(bolt_meta(d, PS, 1) + BOLT_META_CHECKSUM_AT, bolt_fnv1a64(bolt_meta(d, PS, 1), 56));
	expect(d, good_size, "invalid page size", "a page size of 3000");
	d = copy();
	bolt_put32(bolt_meta(d, PS, 1) + 8, 8192);
	bolt_put64(bolt_meta(d, PS, 1) + BOLT_META_CHECKSUM_AT, bolt_fnv1a64(bolt_meta(d, PS, 1), 56));
	expect(d, good_size, "disagree on the page size", "metas with different page sizes");

	d = copy();
	bolt_meta_set(d, PS, 0, META_HWM, 2);
	bolt_meta_set(d, PS, 1, META_HWM, 2);
	expect(d, good_size, "leaves no room", "a high-water mark of 2");

	/* Truncations. */
	expect(copy(), good_size - 1, "beyond the end of the file", "one byte short");
	expect(copy(), 2 * PS + 100, "beyond the end of the file", "two pages and a bit");
	expect(copy(), 100, "beyond the end of the file (0 pages)", "100 bytes: a valid meta, no pages");
	expect(copy(), 79, "no valid meta page (page 0: truncated; page 1: truncated)", "79 bytes: not even a meta");
	expect(copy(), 0, "no valid meta page (page 0: truncated; page 1: truncated)", "an empty file");
}

static void test_pages(void) {
	uint8_t *d, *e;

	d = copy();
	bolt_put64(bolt_element(bolt_page(d, PS, c_pg), 1) + 8, hwm + 3);
	expect(d, good_size, "beyond the high-water mark", "a branch element pointing past the end");
	d = copy();
	bolt_put64(bolt_page(d, PS, a_pg), 99);
	expect(d, good_size, "header says page 99", "a page whose header names another");
	d = copy();
	bolt_put16(bolt_page(d, PS, a_pg) + 8, BOLT_PAGE_FREELIST);
	expect(d, good_size, "expected a leaf or branch page, found flags 0x10", "a bucket page marked freelist");
	d = copy();
	bolt_put16(bolt_page(d, PS, a_pg) + 8, BOLT_PAGE_LEAF | BOLT_PAGE_BRANCH);
	expect(d, good_size, "found flags 0x3", "a page marked leaf and branch");
	d = copy();
	bolt_put32(bolt_page(d, PS, a_pg) + 12, (uint32_t) hwm);
	expect(d, good_size, "overflow pages run past the high-water mark", "overflow past the end");
	d = copy();
	bolt_put16(bolt_page(d, PS, c_pg) + 10, 0);
	expect(d, good_size, "branch page without elements", "an empty branch");

	/* Keys. */
	d = copy();
	e = bolt_element(bolt_page(d, PS, a_pg), 1);
	e[bolt_get32(e + 4)] = 'a';   /* "key001" -> "aey001" < "key000" */
	expect(d, good_size, "leaf key out of order (element 1)", "leaf keys out of order");
	d = copy();
	e = bolt_element(bolt_page(d, PS, a_pg), 1);
	memcpy(e + bolt_get32(e + 4), "key000", 6);
	expect(d, good_size, "leaf key out of order", "a key twice in a leaf");
	d = copy();
	e = bolt_element(bolt_page(d, PS, c_pg), 2);
	e[bolt_get32(e)] = 'a';   /* branch elements: pos first */
	expect(d, good_size, "branch key out of order (element 2)", "branch keys out of order");
	d = copy();
	e = bolt_element(bolt_page(d, PS, c_pg), 1);
	e[bolt_get32(e) + 6] += 1;   /* "key0NNN": last digit up, above its child's first key */
	expect(d, good_size, "outside its parent's range", "a branch key above its child's first key");
	d = copy();
	e = bolt_element(bolt_page(d, PS, a_pg), 0);
	bolt_put32(e + 8, 0);
	expect(d, good_size, "has an empty key", "an empty key");
	d = copy();
	e = bolt_element(bolt_page(d, PS, a_pg), 0);
	bolt_put32(e + 4, 0xffffff00);
	expect(d, good_size, "runs past the end of its page", "a key far past the page");
	d = copy();
	e = bolt_element(bolt_page(d, PS, a_pg), 39);
	bolt_put32(e + 12, PS);
	expect(d, good_size, "runs past the end of its page", "a value past the page");
	d = copy();
	bolt_put16(bolt_page(d, PS, a_pg) + 10, 300);
	expect(d, good_size, "300 leaf elements do not fit", "more elements than the page holds");
	d = copy();
	bolt_put32(bolt_element(bolt_page(d, PS, a_pg), 3), 0x02);
	expect(d, good_size, "unknown flags 0x2", "an element flag bbolt does not know");

	/* Buckets. */
	d = copy();
	bolt_put64(bolt_leaf_value(root_element(d, "b")), a_pg);
	expect(d, good_size, "reachable twice", "bucket b's root is bucket a's page");
	d = copy();
	bolt_put64(bolt_element(bolt_page(d, PS, c_pg), 0) + 8, a_pg);
	expect(d, good_size, "reachable twice", "a branch pointing at another bucket's page");
	d = copy();
	bolt_put32(root_element(d, "a") + 12, 8);
	expect(d, good_size, "bucket value of 8 bytes is too short", "a bucket value cut short");
	d = copy();
	bolt_put16(bolt_leaf_value(root_element(d, "d")) + 16 + 8, BOLT_PAGE_BRANCH);
	expect(d, good_size, "inline bucket is not a leaf", "an inline bucket marked branch");
	d = copy();
	bolt_put16(bolt_leaf_value(root_element(d, "d")) + 16 + 10, 5);
	expect(d, good_size, "5 inline bucket elements do not fit", "an inline bucket counting 5 elements in none");
	d = copy();
	bolt_put32(root_element(d, "d") + 12, 20);
	expect(d, good_size, "inline bucket shorter than a page header", "an inline bucket of 20 bytes");
}

static void test_freelist(void) {
	uint64_t fl = bolt_meta_get(good, PS, 0, META_FREELIST);
	uint8_t *d;

	d = copy();
	bolt_put16(bolt_page(d, PS, fl) + 10, 1);
	bolt_put64(bolt_page(d, PS, fl) + 16, a_pg);
	expect(d, good_size, "both free and reachable", "a reachable page in the freelist");
	d = copy();
	bolt_put16(bolt_page(d, PS, fl) + 10, 1);
	bolt_put64(bolt_page(d, PS, fl) + 16, 1);
	expect(d, good_size, "freelist: page 1 out of range", "a meta page in the freelist");
	d = copy();
	bolt_put16(bolt_page(d, PS, fl) + 10, 1);
	bolt_put64(bolt_page(d, PS, fl) + 16, hwm);
	expect(d, good_size, "out of range", "the high-water mark in the freelist");
	d = copy();
	bolt_put16(bolt_page(d, PS, fl) + 8, BOLT_PAGE_LEAF);
	expect(d, good_size, "expected the freelist, found flags 0x2", "the freelist page marked leaf");
	d = copy();
	bolt_put16(bolt_page(d, PS, fl) + 10, 0xFFFF);
	bolt_put64(bolt_page(d, PS, fl) + 16, 1000);
	expect(d, good_size, "1000 free page ids do not fit", "a freelist counting 1000 ids in its first one");

	/* One page more below the high-water mark: it must be reachable or free. */
	d = copy();
	bolt_meta_set(d, PS, 0, META_HWM, hwm + 1);
	bolt_meta_set(d, PS, 1, META_HWM, hwm + 1);
	expect(d, good_size + PS, "neither reachable nor free", "a page lost to every writer");
	d = copy();
	bolt_meta_set(d, PS, 0, META_HWM, hwm + 1);
	bolt_meta_set(d, PS, 1, META_HWM, hwm + 1);
	bolt_put16(bolt_page(d, PS, fl) + 10, 1);
	bolt_put64(bolt_page(d, PS, fl) + 16, hwm);
	expect(d, good_size + PS, NULL, "the same page in the freelist");
	d = copy();
	bolt_meta_set(d, PS, 0, META_HWM, hwm + 1);
	bolt_meta_set(d, PS, 1, META_HWM, hwm + 1);
	bolt_put16(bolt_page(d, PS, fl) + 10, 0xFFFF);
	bolt_put64(bolt_page(d, PS, fl) + 16, 1);
	bolt_put64(bolt_page(d, PS, fl) + 24, hwm);
	expect(d, good_size + PS, NULL, "the same with the count in the first id (bbolt's 0xFFFF form)");
	d = copy();
	bolt_meta_set(d, PS, 0, META_HWM, hwm + 1);
	bolt_meta_set(d, PS, 1, META_HWM, hwm + 1);
	bolt_put16(bolt_page(d, PS, fl) + 10, 2);
	bolt_put64(bolt_page(d, PS, fl) + 16, hwm);
	bolt_put64(bolt_page(d, PS, fl) + 24, hwm);
	expect(d, good_size + PS, "freed twice", "a page twice in the freelist");
	d = copy();
	bolt_meta_set(d, PS, 0, META_FREELIST, UINT64_MAX);
	bolt_meta_set(d, PS, 1, META_FREELIST, UINT64_MAX);
	expect(d, good_size, NULL, "no stored freelist (NoFreelistSync): unreachable pages are free");
}

static void test_depth(void) {
	for (unsigned depth = 100; depth <= 200; depth += 100) {
		_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new();
		_cleanup_free_ uint8_t *d = NULL;
		_cleanup_free_ char *error = NULL;
		BoltBucket *b = root;
		size_t n = 0;

		for (unsigned i = 0; b && i < depth; i++)
			b = bolt_add_str(b, "n");
		d = b ? bolt_test_serialize(root, PS, &n) : NULL;
		int r = bolt_verify_buffer(d, n, &error);
		if (depth == 100)
			is_int(r, 0, "buckets nested 100 deep: accepted");
		else
			ok(r == -EBADMSG && error && strstr(error, "nested more than 128 levels deep"),
			   "buckets nested 200 deep: refused (%s)", error ? error : "no reason");
	}
}

static void test_small_pages(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = base();
	size_t n = 0;
	uint8_t *d = root ? bolt_test_serialize(root, 512, &n) : NULL;

	if (!ok(d, "the same content with 512-byte pages"))
		return;
	bolt_put32(bolt_meta(d, 512, 0), 0);
	expect(d, n, NULL, "512-byte pages, page 0 broken: page 1 found by probing sizes");
}

int main(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = base();

	good = root ? bolt_test_serialize(root, PS, &good_size) : NULL;
	if (!good)
		skip_all("cannot build the test database");
	hwm = bolt_meta_get(good, PS, 0, META_HWM);
	root_pg = bolt_meta_get(good, PS, 0, META_ROOT);
	a_pg = bolt_get64(bolt_leaf_value(root_element(good, "a")));
	b_pg = bolt_get64(bolt_leaf_value(root_element(good, "b")));
	c_pg = bolt_get64(bolt_leaf_value(root_element(good, "c")));
	ok(a_pg >= 3 && b_pg > a_pg && c_pg > b_pg && root_pg == hwm - 1 &&
	   bolt_get64(bolt_leaf_value(root_element(good, "d"))) == 0 &&
	   bolt_page_header(bolt_page(good, PS, c_pg)).flags == BOLT_PAGE_BRANCH,
	   "layout: a on %" PRIu64 ", b on %" PRIu64 ", c's branch on %" PRIu64 ", d inline, root on %" PRIu64,
	   a_pg, b_pg, c_pg, root_pg);

	test_metas();
	test_pages();
	test_freelist();
	test_depth();
	test_small_pages();
	free(good);
	return done_testing();
}
