/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/bolt: the tree, the writer and reader against each other and against bbolt's own
 * layout, Go times, determinism, and databases written by the real containerd 1.6
 * (tests/unit/data/bolt/, made by tests/integration/test-bolt-containerd.sh with
 * KILN_BOLT_SAVE). Rejections of broken files are in test-bolt-verify.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt-test.h"
#include "fd-util.h"
#include "tap.h"

#define PS BOLT_PAGE_SIZE_DEFAULT
#define EPOCH INT64_C(1700000000)
/* time.Unix(1700000000, 0).UTC().MarshalBinary() */
static const uint8_t EPOCH_GO[15] = { 1, 0, 0, 0, 0x0e, 0xdc, 0xe5, 0xe8, 0, 0, 0, 0, 0, 0xff, 0xff };

static char *const time_keys[] = { (char *) "createdat", (char *) "updatedat", NULL };

static const char *strnull(const char *s) {
	return s ? s : "(null)";
}

static void test_tree(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *b = bolt_bucket_new();
	BoltBucket *child = (BoltBucket *) 0x1;

	ok(b, "new bucket");
	is_int(bolt_put_str(b, "b", "2"), 0, "put b");
	is_int(bolt_put_str(b, "a", "1"), 0, "put a before it");
	is_int(bolt_put_str(b, "c", "3"), 0, "put c");
	is_int(bolt_put_str(b, "a", "x"), -EEXIST, "a again: -EEXIST");
	is_int(bolt_bucket_put(b, "", 0, "v", 1), -EINVAL, "empty key: -EINVAL");
	is_int(bolt_bucket_add_bucket(b, "b", 1, &child), -EEXIST, "a bucket over a value: -EEXIST");
	ok(child == (BoltBucket *) 0x1, "ret_child untouched on failure");
	is_int(bolt_bucket_put(b, "e", 1, NULL, 0), 0, "an empty value");
	ok(b->n_items == 4 && b->items[0].key[0] == 'a' && b->items[1].key[0] == 'b' &&
	   b->items[2].key[0] == 'c' && b->items[3].key[0] == 'e', "kept in key order");
	BoltItem *it = bolt_bucket_find(b, "b", 1);
	ok(it && it->value_size == 1 && it->value[0] == '2' && !it->bucket, "find b");
	ok(!bolt_bucket_find(b, "d", 1) && !bolt_bucket_find(b, "bb", 2), "no d, no bb");
	ok(b->items[3].value && b->items[3].value_size == 0, "the empty value is a value, not a bucket");
	is_int(bolt_bucket_add_bucket(b, "d", 1, &child), 0, "bucket d");
	ok(child && bolt_bucket_find(b, "d", 1)->bucket == child && b->items[3].bucket == child, "d sits between c and e");
}

/* What bbolt's db.init() writes for a new file (db.go): metas with txid 0 and 1 on pages
 * 0 and 1, freelist on 2, root leaf on 3, high-water mark 4, every other byte zero. */
static uint8_t *bbolt_init_image(uint32_t ps) {
	uint8_t *buf = calloc(4, ps);
	if (!buf)
		return NULL;
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *p = buf + i * ps, *m = p + 16;
		bolt_put64(p, i);
		bolt_put16(p + 8, 0x04);
		bolt_put32(m, 0xED0CDAED);
		bolt_put32(m + 4, 2);
		bolt_put32(m + 8, ps);
		bolt_put64(m + 16, 3);          /* root bucket {3, 0} */
		bolt_put64(m + 32, 2);          /* freelist */
		bolt_put64(m + 40, 4);          /* pgid */
		bolt_put64(m + 48, i);          /* txid */
		bolt_put64(m + 56, bolt_fnv1a64(m, 56));
	}
	bolt_put64(buf + 2 * ps, 2);
	bolt_put16(buf + 2 * ps + 8, 0x10);
	bolt_put64(buf + 3 * ps, 3);
	bolt_put16(buf + 3 * ps + 8, 0x02);
	return buf;
}

static void test_empty(void) {
	static const uint32_t sizes[] = { 512, 4096, 65536 };
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new(), *back = NULL;
		_cleanup_free_ uint8_t *want = bbolt_init_image(sizes[i]), *d = NULL;
		size_t n = 0;

		d = bolt_test_serialize(root, sizes[i], &n);
		ok(d && want && n == 4 * (size_t) sizes[i] && memcmp(d, want, n) == 0,
		   "empty database, %" PRIu32 "-byte pages: byte for byte what bbolt's init writes", sizes[i]);
		is_int(bolt_load_buffer(d, n, &back, NULL), 0, "and it loads");
		ok(back && back->n_items == 0 && back->sequence == 0, "with nothing in it");
	}
	uint8_t *d = (uint8_t *) 0x1;
	size_t n = 7;
	_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new();
	is_int(bolt_serialize(root, 3000, &d, &n), -EINVAL, "page size not a power of two: -EINVAL");
	is_int(bolt_serialize(root, 256, &d, &n), -EINVAL, "page size below 512: -EINVAL");
	ok(d == (uint8_t *) 0x1 && n == 7, "outputs untouched on failure");
}

/* containerd's shape: v1 / namespace / images / name / {createdat, labels, target...}. */
static BoltBucket *containerd_like(void) {
	BoltBucket *root = bolt_bucket_new();
	BoltBucket *v1, *ns, *images, *img, *labels, *target;

	if (!root || !(v1 = bolt_add_str(root, "v1")) || !(ns = bolt_add_str(v1, "k8s.io")) ||
	    !(images = bolt_add_str(ns, "images")) || !(img = bolt_add_str(images, "example.com/kiln/tiny:1")) ||
	    !(labels = bolt_add_str(img, "labels")) || !(target = bolt_add_str(img, "target")) ||
	    bolt_put_str(labels, "io.cri-containerd.pinned", "pinned") < 0 ||
	    bolt_put_str(target, "digest", "sha256:88569e1c0046e0da5f5953a2d2add0f87ec3cb327b3c7246b649e15e14bd1ba7") < 0 ||
	    bolt_bucket_put(img, "createdat", 9, EPOCH_GO, sizeof EPOCH_GO) < 0 ||
	    bolt_put_str(v1, "version", "\x06") < 0 || !bolt_add_str(ns, "leases"))
		return bolt_bucket_free(root);
	root->sequence = 7;
	ns->sequence = 42;
	images->sequence = UINT64_MAX;
	return root;
}

static void test_nested(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = containerd_like(), *back = NULL;
	_cleanup_free_ uint8_t *d = NULL;
	_cleanup_free_ char *error = NULL;
	size_t n = 0;

	d = bolt_test_serialize(root, PS, &n);
	ok(root && d, "nested buckets written");
	is_int(bolt_verify_buffer(d, n, &error), 0, "verify accepts it");
	ok(!error, "no error on success");
	is_int(bolt_load_buffer(d, n, &back, &error), 0, "loaded back");
	ok(bolt_tree_equal(root, back), "same buckets, keys, values and sequences (root 7, k8s.io 42, images 2^64-1)");
	/* Buckets with nested buckets get pages (v1, k8s.io, images, the image); leaf-only
	 * small ones (labels, target, leases) are inline; then the root leaf. */
	is_int(n / PS, 3 + 4 + 1, "4 bucket pages and the root: labels, target, leases inline");
	is_int(bolt_meta_get(d, PS, 0, META_HWM), n / PS, "the high-water mark is the file");
	is_int(bolt_meta_get(d, PS, 0, META_ROOT), n / PS - 1, "the root page is written last");

	/* bbolt's threshold: a quarter page, header and elements included. */
	for (unsigned extra = 0; extra < 2; extra++) {
		_cleanup_bolt_bucket_free_ BoltBucket *r = bolt_bucket_new();
		_cleanup_free_ uint8_t *x = NULL, *big = calloc(1, 2000);
		BoltBucket *b = r ? bolt_add_str(r, "b") : NULL;
		size_t m = 0;
		/* 16 page header + 16 element + 1 key + 991 value = 1024 = 4096 / 4 */
		ok(big && b && bolt_bucket_put(b, "k", 1, big, 991 + extra) == 0 && (x = bolt_test_serialize(r, PS, &m)),
		   "bucket of %u bytes", 1024 + extra);
		is_int(m / PS, extra ? 5 : 4, extra ? "one byte over a quarter page: a page of its own" : "a quarter page: inline");
		is_int(bolt_verify_buffer(x, m, NULL), 0, "verifies");
	}
}

static int put_numbered(BoltBucket *b, unsigned i, size_t value_size) {
	char key[16], value[4096];
	snprintf(key, sizeof key, "key%05u", i);
	memset(value, 'a' + i % 26, sizeof value);
	snprintf(value, sizeof value, "val%05u", i);
	return bolt_bucket_put(b, key, strlen(key), value, value_size > 8 ? MIN(value_size, sizeof value) : 8);
}

static void test_many_keys(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new(), *back = NULL, *back512 = NULL;
	_cleanup_free_ uint8_t *d = NULL, *d512 = NULL;
	size_t n = 0, n512 = 0;
	bool all = root != NULL;

	for (unsigned i = 0; all && i < 10000; i++)
		all = put_numbered(root, i, 8) == 0;
	ok(all, "10000 keys");
	d = bolt_test_serialize(root, PS, &n);
	/* 32 bytes an element: (4096 - 16) / 32 = 127 a leaf, 78 full leaves and one of 94,
	 * then one branch of 79 (24 bytes an element). */
	is_int(n / PS, 3 + 79 + 1, "83 pages: pages filled as full as they go");
	uint64_t rootpg = d ? bolt_meta_get(d, PS, 0, META_ROOT) : 0;
	ok(d && bolt_page_header(bolt_page(d, PS, rootpg)).flags == BOLT_PAGE_BRANCH &&
	   bolt_page_header(bolt_page(d, PS, rootpg)).count == 79, "the root is a branch of 79 leaves");
	bool full = d != NULL;
	for (uint64_t p = 3; full && p < 3 + 78; p++)
		full = bolt_page_header(bolt_page(d, PS, p)).count == 127;
	ok(full && bolt_page_header(bolt_page(d, PS, 81)).count == 94, "127 keys a leaf, 94 in the last");
	is_int(bolt_verify_buffer(d, n, NULL), 0, "verifies");
	is_int(bolt_load_buffer(d, n, &back, NULL), 0, "loads");
	ok(bolt_tree_equal(root, back), "all 10000 keys back in order");

	/* Small pages: three levels. */
	d512 = bolt_test_serialize(root, 512, &n512);
	uint64_t r512 = d512 ? bolt_meta_get(d512, 512, 0, META_ROOT) : 0;
	uint8_t *rp = d512 ? bolt_page(d512, 512, r512) : NULL;
	ok(rp && bolt_page_header(rp).flags == BOLT_PAGE_BRANCH &&
	   bolt_page_header(bolt_page(d512, 512, bolt_get64(bolt_element(rp, 0) + 8))).flags == BOLT_PAGE_BRANCH,
	   "512-byte pages: a branch over branches");
	is_int(bolt_verify_buffer(d512, n512, NULL), 0, "verifies");
	is_int(bolt_load_buffer(d512, n512, &back512, NULL), 0, "loads");
	ok(bolt_tree_equal(root, back512), "same content");
}

/* bbolt's invariants for a later writer: every node of a split has two keys or more. */
static void test_split_invariants(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new(), *back = NULL;
	_cleanup_free_ uint8_t *d = NULL;
	uint32_t seed = 12345;
	size_t n = 0;
	bool all = root != NULL;

	for (unsigned i = 0; all && i < 3000; i++) {
		seed = seed * 1103515245 + 12345;
		all = put_numbered(root, i, (seed >> 16) % 3000) == 0;
	}
	ok(all, "3000 keys of 8 to 3000 bytes");
	d = bolt_test_serialize(root, PS, &n);
	ok(d, "written");
	uint64_t hwm = d ? bolt_meta_get(d, PS, 0, META_HWM) : 0, pages = 0, lonely = 0, overflow = 0;
	for (uint64_t p = 3; p < hwm;) {
		BoltPageHeader h = bolt_page_header(bolt_page(d, PS, p));
		pages++;
		lonely += h.count < 2;
		overflow += h.overflow > 0;
		p += 1 + h.overflow;
	}
	ok(pages > 100 && lonely == 0, "%" PRIu64 " nodes, none with fewer than two keys", pages);
	ok(overflow > 0, "%" PRIu64 " nodes took overflow pages", overflow);
	is_int(bolt_verify_buffer(d, n, NULL), 0, "verifies");
	is_int(bolt_load_buffer(d, n, &back, NULL), 0, "loads");
	ok(bolt_tree_equal(root, back), "same content");
}

static void test_overflow(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new(), *back = NULL;
	_cleanup_free_ uint8_t *d = NULL, *big = malloc(100000);
	size_t n = 0;

	ok(root && big, "setup");
	for (size_t i = 0; big && i < 100000; i++)
		big[i] = (uint8_t) (i * 31 + 7);
	ok(bolt_bucket_put(root, "a", 1, big, 10000) == 0 && bolt_bucket_put(root, "b", 1, big + 1, 10000) == 0 &&
	   bolt_bucket_put(root, "c", 1, big + 2, 10000) == 0, "three values of 10000 bytes");
	d = bolt_test_serialize(root, PS, &n);
	/* 16 + 3 * (16 + 1 + 10000) = 30067 bytes: one node (three keys never split), 8 pages */
	ok(d && n == 11 * PS && bolt_meta_get(d, PS, 0, META_ROOT) == 3 &&
	   bolt_page_header(bolt_page(d, PS, 3)).overflow == 7, "one leaf on page 3 with 7 overflow pages");
	is_int(bolt_verify_buffer(d, n, NULL), 0, "verifies");
	is_int(bolt_load_buffer(d, n, &back, NULL), 0, "loads");
	ok(bolt_tree_equal(root, back), "the values read back across page boundaries");

	_cleanup_bolt_bucket_free_ BoltBucket *r2 = bolt_bucket_new(), *back2 = NULL;
	_cleanup_free_ uint8_t *d2 = NULL;
	BoltBucket *nested = r2 ? bolt_add_str(r2, "nested") : NULL;
	ok(nested && bolt_bucket_put(nested, "blob", 4, big, 100000) == 0, "100000 bytes in a nested bucket");
	d2 = bolt_test_serialize(r2, PS, &n);
	is_int(bolt_verify_buffer(d2, n, NULL), 0, "verifies");
	is_int(bolt_load_buffer(d2, n, &back2, NULL), 0, "loads");
	ok(bolt_tree_equal(r2, back2), "same content");
}

static void test_go_time(void) {
	/* Written by containerd 1.6 (Go) into meta.db on 2026-11-22 at 08:06:31.894 UTC. */
	static const uint8_t go[] = { 1, 0, 0, 0, 0x0e, 0xe2, 0x94, 0x99, 0x87, 0x35, 0x4c, 0x57, 0xb0, 0xff, 0xff };
	int64_t sec = 0;
	uint32_t nsec = 0;

	is_int(bolt_go_time_decode(go, sizeof go, &sec, &nsec), 0, "a time containerd wrote");
	ok(sec == 1795334791 && nsec == 894195632, "2026-11-22T08:06:31.894195632Z (%" PRId64 ".%09" PRIu32 ")", sec, nsec);
	is_int(bolt_go_time_decode(EPOCH_GO, sizeof EPOCH_GO, &sec, &nsec), 0, "the epoch's encoding");
	ok(sec == EPOCH && nsec == 0, "decodes to the epoch");

	uint8_t v2[16];
	memcpy(v2, go, 15);
	v2[0] = 2;
	v2[13] = 0x01, v2[14] = 0x4a, v2[15] = 0x0f;     /* +5:30:15 */
	is_int(bolt_go_time_decode(v2, 16, &sec, &nsec), 0, "version 2 (offset with seconds)");
	ok(sec == 1795334791, "the zone does not move the instant");
	is_int(bolt_go_time_decode(go, 14, NULL, NULL), -EBADMSG, "14 bytes: not a time");
	is_int(bolt_go_time_decode(v2, 15, NULL, NULL), -EBADMSG, "version 2 in 15 bytes: not a time");
	uint8_t v1long[16];
	memcpy(v1long, go, 15);
	v1long[15] = 0;
	is_int(bolt_go_time_decode(v1long, 16, NULL, NULL), -EBADMSG, "version 1 in 16 bytes: not a time");
	uint8_t bad[15];
	memcpy(bad, go, 15);
	bad[0] = 3;
	is_int(bolt_go_time_decode(bad, 15, NULL, NULL), -EBADMSG, "version 3: not a time");
	memcpy(bad, go, 15);
	bad[9] = 0x3b, bad[10] = 0x9a, bad[11] = 0xca, bad[12] = 0x00;  /* 1e9 ns */
	is_int(bolt_go_time_decode(bad, 15, NULL, NULL), -EBADMSG, "a billion nanoseconds: not a time");
}

static uint8_t *time_at(int64_t unix_sec, uint32_t nsec, int16_t offset_min, uint8_t out[static 15]) {
	uint64_t s = (uint64_t) unix_sec + UINT64_C(62135596800);
	out[0] = 1;
	for (unsigned i = 0; i < 8; i++)
		out[1 + i] = (uint8_t) (s >> (56 - 8 * i));
	for (unsigned i = 0; i < 4; i++)
		out[9 + i] = (uint8_t) (nsec >> (24 - 8 * i));
	out[13] = (uint8_t) ((uint16_t) offset_min >> 8);
	out[14] = (uint8_t) offset_min;
	return out;
}

static bool value_is(const BoltBucket *b, const char *key, const uint8_t *want, size_t n) {
	const BoltItem *it = bolt_bucket_find(b, key, strlen(key));
	return it && !it->bucket && it->value_size == n && memcmp(it->value, want, n) == 0;
}

static void test_clamp(void) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new();
	BoltBucket *a = root ? bolt_add_str(root, "a") : NULL, *deep = NULL, *m = NULL;
	uint8_t after[15], before[15], at[15], at1[15], v2[16], shortv[14], v3[15], notkey[15], nsbad[15];

	deep = a ? bolt_add_str(bolt_add_str(a, "x"), "y") : NULL;
	m = root ? bolt_add_str(root, "malformed") : NULL;
	time_at(EPOCH + 86400, 5, -1, after);
	time_at(EPOCH - 86400, 5, 60, before);      /* UTC+1: kept as it is */
	time_at(EPOCH, 0, 120, at);                 /* exactly the epoch, another zone */
	time_at(EPOCH, 1, -1, at1);                 /* a nanosecond later */
	time_at(EPOCH + 1, 0, 330, v2);
	v2[0] = 2, v2[15] = 15;                     /* UTC+5:30:15, version 2 */
	memcpy(shortv, after, 14);
	memcpy(v3, after, 15), v3[0] = 3;
	memcpy(notkey, after, 15);
	memcpy(nsbad, after, 15), nsbad[9] = 0xff;

	ok(a && deep && m &&
	   bolt_bucket_put(a, "createdat", 9, after, 15) == 0 &&
	   bolt_bucket_put(a, "updatedat", 9, before, 15) == 0 &&
	   bolt_bucket_put(a, "created", 7, notkey, 15) == 0 &&
	   bolt_bucket_put(deep, "createdat", 9, v2, 16) == 0 &&
	   bolt_bucket_put(deep, "updatedat", 9, at, 15) == 0 &&
	   bolt_bucket_put(root, "updatedat", 9, at1, 15) == 0 &&
	   bolt_bucket_put(m, "createdat", 9, shortv, 14) == 0 &&
	   bolt_bucket_put(m, "updatedat", 9, v3, 15) == 0 &&
	   bolt_add_str(bolt_add_str(m, "b"), "createdat") &&
	   bolt_bucket_put(bolt_add_str(m, "n"), "createdat", 9, nsbad, 15) == 0, "times under time keys and others");

	BoltRewriteOptions o = { .time_keys = time_keys, .clamp_seconds = EPOCH };
	is_int(bolt_clamp_times(root, &o), 3, "three times are after the epoch");
	ok(value_is(a, "createdat", EPOCH_GO, 15), "a day later: the epoch, in UTC (Go's own bytes for it)");
	ok(value_is(a, "updatedat", before, 15), "a day earlier: untouched, zone and all");
	ok(value_is(a, "created", notkey, 15), "not a time key: untouched");
	ok(value_is(deep, "createdat", EPOCH_GO, 15), "version 2, 3 levels down: the epoch, 15 bytes");
	ok(value_is(deep, "updatedat", at, 15), "exactly the epoch in another zone: untouched");
	ok(value_is(root, "updatedat", EPOCH_GO, 15), "a nanosecond after: the epoch");
	ok(value_is(m, "createdat", shortv, 14) && value_is(m, "updatedat", v3, 15) &&
	   value_is(bolt_bucket_find(m, "n", 1)->bucket, "createdat", nsbad, 15),
	   "malformed (14 bytes, version 3, nanoseconds out of range): untouched");
	is_int(bolt_clamp_times(root, &o), 0, "clamping again changes nothing");
	is_int(bolt_clamp_times(root, NULL), 0, "no options: nothing");
	is_int(bolt_clamp_times(root, &(BoltRewriteOptions) { .clamp_seconds = 0 }), 0, "no keys: nothing");
	is_int(bolt_clamp_times(root, &(BoltRewriteOptions) { .time_keys = time_keys, .clamp_seconds = INT64_MAX }), 0,
	       "a clamp after every representable time: nothing");
	is_int(bolt_clamp_times(NULL, &o), -EINVAL, "no tree: -EINVAL");

	/* Before 1970: the same arithmetic. */
	uint8_t minus1[15];
	time_at(-1, 0, -1, minus1);
	is_int(bolt_clamp_times(root, &(BoltRewriteOptions) { .time_keys = time_keys, .clamp_seconds = -1 }), 5,
	       "a clamp of -1 catches the five well-formed times, all after 1970");
	ok(value_is(a, "updatedat", minus1, 15) && value_is(deep, "updatedat", minus1, 15), "now 1969-12-31T23:59:59Z");
}

static int write_file(const char *path, const uint8_t *d, size_t n) {
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	return fd >= 0 && write(fd, d, n) == (ssize_t) n ? 0 : -1;
}

static uint8_t *read_file(const char *path, size_t *ret_size) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	uint8_t *d = malloc((size_t) st.st_size + 1);
	if (!d || read(fd, d, (size_t) st.st_size) != st.st_size) {
		free(d);
		return NULL;
	}
	*ret_size = (size_t) st.st_size;
	return d;
}

/* bolt_rewrite() of src into a new file dst; its bytes, or NULL. */
static uint8_t *rewrite_file(const char *src, const char *dst, int64_t epoch, size_t *ret_size, char **ret_error) {
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		return NULL;
	(void) lseek(in, 0, SEEK_END);   /* the source is read from offset 0 regardless */
	if (bolt_rewrite(in, out, &(BoltRewriteOptions) { .time_keys = time_keys, .clamp_seconds = epoch }, ret_error) < 0)
		return NULL;
	return read_file(dst, ret_size);
}

static size_t count_in(const uint8_t *d, size_t n, const char *s) {
	size_t c = 0, l = strlen(s);
	for (size_t i = 0; i + l <= n; i++)
		c += memcmp(d + i, s, l) == 0;
	return c;
}

static size_t count_in_tree(const BoltBucket *b, const char *s) {
	size_t c = 0;
	for (size_t i = 0; i < b->n_items; i++) {
		c += count_in(b->items[i].key, b->items[i].key_size, s);
		c += b->items[i].bucket ? count_in_tree(b->items[i].bucket, s)
					: count_in(b->items[i].value, b->items[i].value_size, s);
	}
	return c;
}

static bool all_times_are(const BoltBucket *b, const uint8_t *want, size_t *n) {
	for (size_t i = 0; i < b->n_items; i++) {
		const BoltItem *it = &b->items[i];
		if (it->bucket) {
			if (!all_times_are(it->bucket, want, n))
				return false;
		} else if ((it->key_size == 9 && memcmp(it->key, "createdat", 9) == 0) ||
			   (it->key_size == 9 && memcmp(it->key, "updatedat", 9) == 0)) {
			if (it->value_size != 15 || memcmp(it->value, want, 15) != 0)
				return false;
			(*n)++;
		}
	}
	return true;
}

static void test_containerd(const char *tmp, const char *name, const char *needle, size_t n_times) {
	_cleanup_free_ char *src = NULL, *dst = NULL, *dst2 = NULL, *error = NULL;
	_cleanup_free_ uint8_t *orig = NULL, *out = NULL, *out2 = NULL;
	_cleanup_bolt_bucket_free_ BoltBucket *tree = NULL, *back = NULL;
	size_t n_orig = 0, n_out = 0, n_out2 = 0, n = 0;

	ok(asprintf(&src, "%s/tests/unit/data/bolt/%s", tap_srcdir(), name) > 0 &&
	   asprintf(&dst, "%s/%s.new", tmp, name) > 0 && asprintf(&dst2, "%s/%s.new2", tmp, name) > 0, "paths");
	orig = read_file(src, &n_orig);
	ok(orig, "%s: containerd 1.6 wrote it (%zu bytes)", name, n_orig);
	is_int(bolt_verify_buffer(orig, n_orig, &error), 0, "verifies as containerd left it");
	if (error)
		diag("%s", error);
	ok(bolt_meta_get(orig, PS, 0, META_TXID) > 1, "after %" PRIu64 " transactions", bolt_meta_get(orig, PS, 0, META_TXID));
	is_int(bolt_load_buffer(orig, n_orig, &tree, NULL), 0, "loads");

	out = rewrite_file(src, dst, EPOCH, &n_out, &error);
	ok(out, "rewritten");
	is_int(bolt_verify_buffer(out, n_out, NULL), 0, "the rewrite verifies");
	ok(n_out < n_orig, "and is smaller (%zu bytes)", n_out);
	is_int(bolt_load_buffer(out, n_out, &back, NULL), 0, "the rewrite loads");
	ok(tree && bolt_clamp_times(tree, &(BoltRewriteOptions) { .time_keys = time_keys, .clamp_seconds = EPOCH }) == (int) n_times,
	   "%zu times in the original after the epoch", n_times);
	ok(bolt_tree_equal(tree, back), "same content as the original with its times clamped");
	ok(back && all_times_are(back, EPOCH_GO, &n) && n == n_times, "every createdat/updatedat is the epoch (%zu)", n);

	/* Freed pages kept old copies of records; the rewrite has only the live ones. */
	size_t live = tree ? count_in_tree(tree, needle) : 0;
	ok(count_in(orig, n_orig, needle) > live && count_in(out, n_out, needle) == live,
	   "'%s': %zu times in the original file, %zu in the rewrite, as in the content (%zu)",
	   needle, count_in(orig, n_orig, needle), count_in(out, n_out, needle), live);

	out2 = rewrite_file(dst, dst2, EPOCH, &n_out2, NULL);
	ok(out && out2 && n_out == n_out2 && memcmp(out, out2, n_out) == 0, "rewriting the rewrite gives the same bytes");
}

static void test_determinism(const char *tmp) {
	_cleanup_bolt_bucket_free_ BoltBucket *fwd = bolt_bucket_new(), *rev = bolt_bucket_new(), *back = NULL;
	_cleanup_free_ uint8_t *a = NULL, *b = NULL, *c = NULL, *small = NULL, *re = NULL, *p1 = NULL, *p2 = NULL;
	_cleanup_free_ char *path = NULL, *path2 = NULL;
	size_t na = 0, nb = 0, nc = 0, ns = 0, nr = 0, n1 = 0, n2 = 0;
	bool all = fwd && rev;

	for (unsigned i = 0; all && i < 2000; i++) {
		BoltBucket *x = bolt_add_str(fwd, (char[]) { 'b', (char) ('a' + i % 20), 0 });
		if (!x && !(x = bolt_bucket_find(fwd, (char[]) { 'b', (char) ('a' + i % 20) }, 2)->bucket))
			all = false;
		all = all && put_numbered(x, i, 8 + i % 200) == 0;
	}
	for (unsigned i = 2000; all && i-- > 0;) {
		BoltBucket *x = bolt_add_str(rev, (char[]) { 'b', (char) ('a' + i % 20), 0 });
		if (!x && !(x = bolt_bucket_find(rev, (char[]) { 'b', (char) ('a' + i % 20) }, 2)->bucket))
			all = false;
		all = all && put_numbered(x, i, 8 + i % 200) == 0;
	}
	ok(all, "the same 2000 keys in 20 buckets, inserted forwards and backwards");
	a = bolt_test_serialize(fwd, PS, &na);
	b = bolt_test_serialize(rev, PS, &nb);
	ok(a && b && na == nb && memcmp(a, b, na) == 0, "same content, same bytes (%zu)", na);
	is_int(bolt_load_buffer(a, na, &back, NULL), 0, "loads");
	c = back ? bolt_test_serialize(back, PS, &nc) : NULL;
	ok(c && nc == na && memcmp(a, c, na) == 0, "written again after reading: same bytes");

	/* A different layout of the same content: 512-byte pages, rewritten. */
	small = bolt_test_serialize(fwd, 512, &ns);
	ok(small && asprintf(&path, "%s/small.db", tmp) > 0 && asprintf(&path2, "%s/small.new", tmp) > 0 &&
	   write_file(path, small, ns) == 0, "the same content with 512-byte pages");
	re = rewrite_file(path, path2, EPOCH, &nr, NULL);
	ok(re && nr == na && memcmp(re, a, na) == 0, "rewritten: the same bytes as written directly");

	/* Uninitialised bytes would show up as the allocator's fill pattern. */
	(void) mallopt(M_PERTURB, 0x5a);
	p1 = bolt_test_serialize(fwd, PS, &n1);
	(void) mallopt(M_PERTURB, 0xa5);
	p2 = bolt_test_serialize(fwd, PS, &n2);
	(void) mallopt(M_PERTURB, 0);
	ok(p1 && p2 && n1 == na && n2 == na && memcmp(p1, a, na) == 0 && memcmp(p2, a, na) == 0,
	   "with malloc filling memory with 0x5a or 0xa5: still the same bytes");
}

static void test_fds(const char *tmp) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = containerd_like(), *untouched = (BoltBucket *) 0x1;
	_cleanup_free_ char *good = NULL, *bad = NULL, *full = NULL, *empty = NULL, *error = NULL;
	_cleanup_free_ uint8_t *d = NULL;
	_cleanup_close_ int dir = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = 0;

	d = bolt_test_serialize(root, PS, &n);
	ok(d && asprintf(&good, "%s/good.db", tmp) > 0 && asprintf(&bad, "%s/bad.db", tmp) > 0 &&
	   asprintf(&full, "%s/full.db", tmp) > 0 && asprintf(&empty, "%s/empty.db", tmp) > 0 &&
	   write_file(good, d, n) == 0 && write_file(full, (const uint8_t *) "x", 1) == 0 &&
	   write_file(empty, (const uint8_t *) "", 0) == 0, "files");
	d[16] ^= 0xff, d[PS + 16] ^= 0xff;   /* both magics */
	ok(write_file(bad, d, n) == 0, "a file with no valid meta");

	_cleanup_close_ int g = open(good, O_RDONLY | O_CLOEXEC), b = open(bad, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int f = open(full, O_WRONLY | O_CLOEXEC), e = open(empty, O_WRONLY | O_CLOEXEC);
	is_int(bolt_verify(g, NULL), 0, "bolt_verify on a file");
	is_int(bolt_verify(-1, NULL), -EBADF, "a bad fd: -EBADF");
	is_int(bolt_verify(dir, NULL), -EISDIR, "a directory: -EISDIR");
	is_int(bolt_load(b, &untouched, &error), -EBADMSG, "bolt_load of a broken file: -EBADMSG");
	ok(untouched == (BoltBucket *) 0x1, "ret_root untouched on failure");
	untouched = NULL;
	ok(error && strstr(error, "no valid meta page"), "with the reason: %s", strnull(error));
	error = mfree_str(error);
	is_int(bolt_rewrite(g, f, NULL, NULL), -EINVAL, "rewrite into a file that is not empty: -EINVAL");
	is_int(bolt_rewrite(b, e, NULL, &error), -EBADMSG, "rewrite of a broken file: -EBADMSG");
	struct stat st;
	ok(fstat(e, &st) == 0 && st.st_size == 0, "and nothing written");
	ok(error && strstr(error, "no valid meta page"), "with the reason: %s", strnull(error));
	is_int(bolt_rewrite(g, dir, NULL, NULL), -EISDIR, "rewrite into a directory: -EISDIR");
	is_int(bolt_rewrite(g, e, NULL, NULL), 0, "rewrite without options");
	ok(fstat(e, &st) == 0 && (size_t) st.st_size == n, "the same size: no times to clamp, already compact");
}

int main(void) {
	_cleanup_free_ char *tmp = tap_mkdtemp();
	if (!tmp)
		skip_all("cannot create a temporary directory");

	test_tree();
	test_empty();
	test_nested();
	test_many_keys();
	test_split_invariants();
	test_overflow();
	test_go_time();
	test_clamp();
	/* Freed pages keep old copies of records (the image name) and deleted keys (the
	 * active snapshot "k8s.io/1/extract-RANDOM sha256:..." that an import unpacks into). */
	test_containerd(tmp, "containerd-meta.db", "example.com/kiln/bolt:1", 10);
	test_containerd(tmp, "containerd-overlayfs.db", "/extract-", 2);
	test_determinism(tmp);
	test_fds(tmp);
	(void) rm_rf(tmp);
	return done_testing();
}
