/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test driver for lib/bolt.c against databases written by the real containerd
 * (test-bolt-containerd.sh):
 *
 *   bolt-driver verify FILE            "ok", exit 0; or "invalid: REASON", exit 1
 *   bolt-driver rewrite SRC DST EPOCH  bolt_rewrite() into the new file DST, containerd's
 *                                      time keys clamped to EPOCH (Unix seconds)
 *   bolt-driver dump FILE              the logical content, one line each, in tree order:
 *                                        R SEQUENCE                     the root bucket
 *                                        B PATH SEQUENCE                a bucket
 *                                        K PATH KEY VALUE               a key
 *                                      PATH is the hex names of the buckets from the root,
 *                                      joined by '/' ('-' at the root); KEY, VALUE in hex
 *                                      ('-' for an empty value). Keys are in bytewise order
 *                                      within their bucket, so the lines are sorted per
 *                                      bucket the way bbolt iterates them.
 * Exit status 2: bad usage or an I/O error. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt.h"
#include "fd-util.h"
#include "hash.h"
#include "log.h"

/* The keys under which containerd stores Go times, in the metadata store's records
 * (images, containers, content, leases, snapshots) and in the snapshotter's storage
 * alike. The test checks that no time is left unclamped in either database. */
static char *const containerd_time_keys[] = {
	(char *) "createdat", (char *) "updatedat", NULL,
};

static int print_hex(const uint8_t *p, size_t n) {
	_cleanup_free_ char *hex = NULL;
	int r;

	if (n == 0)
		return fputs("-", stdout) < 0 ? -EIO : 0;
	if ((r = hexmem(p, n, &hex)) < 0)
		return r;
	return fputs(hex, stdout) < 0 ? -EIO : 0;
}

static int dump_bucket(const BoltBucket *b, const char *path) {
	int r;

	for (size_t i = 0; i < b->n_items; i++) {
		const BoltItem *it = &b->items[i];
		_cleanup_free_ char *hex = NULL, *child = NULL;

		if ((r = hexmem(it->key, it->key_size, &hex)) < 0)
			return r;
		if (it->bucket) {
			if (asprintf(&child, "%s%s%s", streq(path, "-") ? "" : path, streq(path, "-") ? "" : "/", hex) < 0)
				return -ENOMEM;
			printf("B %s %" PRIu64 "\n", child, it->bucket->sequence);
			if ((r = dump_bucket(it->bucket, child)) < 0)
				return r;
			continue;
		}
		printf("K %s %s ", path, hex);
		if ((r = print_hex(it->value, it->value_size)) < 0)
			return r;
		putchar('\n');
	}
	return 0;
}

static int verb_verify(const char *path) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *error = NULL;

	if (fd < 0)
		return log_error_errno(errno, "Failed to open %s: %m", path), 2;
	int r = bolt_verify(fd, &error);
	if (r == -EBADMSG) {
		printf("invalid: %s\n", error);
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to read %s: %m", path), 2;
	printf("ok\n");
	return 0;
}

static int verb_rewrite(const char *src, const char *dst, const char *epoch) {
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	_cleanup_free_ char *error = NULL;
	int64_t clamp;
	char *end;

	errno = 0;
	clamp = strtoll(epoch, &end, 10);
	if (errno != 0 || end == epoch || *end)
		return log_error("Invalid epoch: %s", epoch), 2;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return log_error_errno(errno, "Failed to open %s: %m", src), 2;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return log_error_errno(errno, "Failed to create %s: %m", dst), 2;
	int r = bolt_rewrite(in, out, &(BoltRewriteOptions) {
			.time_keys = containerd_time_keys,
			.clamp_seconds = clamp,
		}, &error);
	if (r == -EBADMSG) {
		printf("invalid: %s\n", error);
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to rewrite %s to %s: %m", src, dst), 2;
	return 0;
}

static int verb_dump(const char *path) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_bolt_bucket_free_ BoltBucket *root = NULL;
	_cleanup_free_ char *error = NULL;
	int r;

	if (fd < 0)
		return log_error_errno(errno, "Failed to open %s: %m", path), 2;
	r = bolt_load(fd, &root, &error);
	if (r == -EBADMSG) {
		printf("invalid: %s\n", error);
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to read %s: %m", path), 2;
	printf("R %" PRIu64 "\n", root->sequence);
	if ((r = dump_bucket(root, "-")) < 0 || fflush(stdout) != 0)
		return log_error_errno(r < 0 ? r : -EIO, "Failed to print: %m"), 2;
	return 0;
}

int main(int argc, char **argv) {
	log_setup();
	if (argc == 3 && streq(argv[1], "verify"))
		return verb_verify(argv[2]);
	if (argc == 5 && streq(argv[1], "rewrite"))
		return verb_rewrite(argv[2], argv[3], argv[4]);
	if (argc == 3 && streq(argv[1], "dump"))
		return verb_dump(argv[2]);
	fprintf(stderr, "Usage: %s verify FILE | rewrite SRC DST EPOCH | dump FILE\n", argv[0]);
	return 2;
}
