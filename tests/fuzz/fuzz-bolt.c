/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the bbolt reader and rewriter (lib/bolt-*.c), which read databases a crashed or
 * tampered node may hold: bolt_verify_buffer() and bolt_load_buffer() agree and never
 * touch memory outside the input, a refusal always has a reason, and whatever is
 * accepted goes through bolt_rewrite() (real fds, memfds) into a database that verifies,
 * holds the same content with its times clamped, and is a fixed point of the rewrite. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../unit/bolt-test.h"
#include "fd-util.h"
#include "fuzz.h"
#include "io-util.h"

static char *const time_keys[] = { (char *) "createdat", (char *) "updatedat", NULL };
static const BoltRewriteOptions options = { .time_keys = time_keys, .clamp_seconds = 1700000000 };

static int memfd_with(const uint8_t *data, size_t size) {
	int fd = memfd_create("fuzz-bolt", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size > 0 && loop_write(fd, data, size) < 0)
		abort();
	return fd;
}

static uint8_t *memfd_contents(int fd, size_t *ret_size) {
	off_t n = lseek(fd, 0, SEEK_END);
	uint8_t *d = malloc(n > 0 ? (size_t) n : 1);
	if (n < 0 || !d || pread(fd, d, (size_t) n, 0) != n)
		abort();
	*ret_size = (size_t) n;
	return d;
}

static void check(const uint8_t *data, size_t size) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = NULL, *back = NULL;
	_cleanup_free_ uint8_t *out = NULL, *again = NULL;
	_cleanup_free_ char *error = NULL;
	size_t n_out = 0, n_again = 0;

	int v = bolt_verify_buffer(data, size, &error);
	if (v == -EBADMSG && !error)
		abort();   /* a refusal without a reason */
	if (v < 0 && v != -EBADMSG && v != -ENOMEM)
		abort();
	int l = bolt_load_buffer(data, size, &root, NULL);
	if ((v == 0) != (l == 0) || (l == 0) != (root != NULL))
		abort();   /* verify and load disagree */
	if (l < 0)
		return;

	_cleanup_close_ int src = memfd_with(data, size), dst = memfd_with(NULL, 0);
	if (bolt_rewrite(src, dst, &options, NULL) < 0)
		abort();
	out = memfd_contents(dst, &n_out);
	if (bolt_verify_buffer(out, n_out, NULL) != 0 || bolt_load_buffer(out, n_out, &back, NULL) != 0)
		abort();   /* the rewrite is not a good database */
	if (bolt_clamp_times(root, &options) < 0 || !bolt_tree_equal(root, back))
		abort();   /* the rewrite lost or changed content */
	if (bolt_serialize(back, BOLT_PAGE_SIZE_DEFAULT, &again, &n_again) < 0 ||
	    n_again != n_out || memcmp(again, out, n_out) != 0)
		abort();   /* not a fixed point */
}

/* Random mutations of a meta almost never keep its checksum right, which would keep the
 * fuzzer away from the root, freelist and high-water mark fields: a second pass sees the
 * input with both checksums made right (meta 1 where meta 0's page size puts it). */
static bool fix_checksums(uint8_t *d, size_t size) {
	uint32_t ps = size >= 28 ? bolt_get32(d + BOLT_PAGE_HEADER_SIZE + 8) : 0;
	size_t at[2] = { 0, ps };
	bool changed = false;

	for (unsigned i = 0; i < (ps > 0 ? 2u : 1u); i++) {
		if (at[i] > size || size - at[i] < BOLT_PAGE_HEADER_SIZE + BOLT_META_SIZE)
			continue;
		uint8_t *m = d + at[i] + BOLT_PAGE_HEADER_SIZE;
		uint64_t sum = bolt_fnv1a64(m, BOLT_META_CHECKSUM_AT);
		if (bolt_get64(m + BOLT_META_CHECKSUM_AT) != sum) {
			bolt_put64(m + BOLT_META_CHECKSUM_AT, sum);
			changed = true;
		}
	}
	return changed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	check(data, size);

	_cleanup_free_ uint8_t *fixed = malloc(size > 0 ? size : 1);
	if (!fixed)
		abort();
	memcpy(fixed, data, size);
	if (fix_checksums(fixed, size))
		check(fixed, size);
	return 0;
}
