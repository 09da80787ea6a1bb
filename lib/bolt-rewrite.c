/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rewriting a bbolt database from its logical content, with Go times clamped to a build
 * epoch: what makes containerd's seeded store reproducible. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bolt.h"
#include "io-util.h"

/* Go's time.Time counts seconds from January 1 of year 1; Unix time from 1970. */
#define GO_UNIX_TO_INTERNAL INT64_C(62135596800)
#define GO_TIME_V1_SIZE 15u
#define GO_TIME_V2_SIZE 16u
#define NSEC_PER_SEC 1000000000u

static uint64_t get_be(const uint8_t *p, unsigned n) {
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int bolt_go_time_decode(const uint8_t *v, size_t n, int64_t *ret_unix, uint32_t *ret_nsec) {
	/* Byte 0 is the version: 1 has 15 bytes; 2 (a zone offset with seconds) has 16. */
	if (!v || !((n == GO_TIME_V1_SIZE && v[0] == 1) || (n == GO_TIME_V2_SIZE && v[0] == 2)))
		return -EBADMSG;
	int64_t sec = (int64_t) get_be(v + 1, 8);
	uint32_t nsec = (uint32_t) get_be(v + 9, 4);
	if (nsec >= NSEC_PER_SEC || sec < INT64_MIN + GO_UNIX_TO_INTERNAL)
		return -EBADMSG;
	/* Bytes 13-14 (and 15) are the zone: they change how Go prints the time, not when it
	 * is, and the seconds are UTC whatever the zone. */
	if (ret_unix)
		*ret_unix = sec - GO_UNIX_TO_INTERNAL;
	if (ret_nsec)
		*ret_nsec = nsec;
	return 0;
}

/* What time.Unix(unix, 0).UTC().MarshalBinary() returns. */
static void go_time_encode_utc(int64_t unix_sec, uint8_t out[static GO_TIME_V1_SIZE]) {
	uint64_t sec = (uint64_t) unix_sec + (uint64_t) GO_UNIX_TO_INTERNAL;

	out[0] = 1;
	for (unsigned i = 0; i < 8; i++)
		out[1 + i] = (uint8_t) (sec >> (56 - 8 * i));
	memset(out + 9, 0, 4);          /* nanoseconds */
	out[13] = out[14] = 0xff;       /* offset -1: UTC */
}

static bool is_time_key(const BoltItem *it, char *const *keys) {
	for (char *const *k = keys; *k; k++)
		if (strlen(*k) == it->key_size && memcmp(*k, it->key, it->key_size) == 0)
			return true;
	return false;
}

static int clamp_bucket(BoltBucket *b, const BoltRewriteOptions *o) {
	int n = 0, k;

	for (size_t i = 0; i < b->n_items; i++) {
		BoltItem *it = &b->items[i];
		int64_t sec;
		uint32_t nsec;

		if (it->bucket) {
			if ((k = clamp_bucket(it->bucket, o)) < 0)
				return k;
			n += k;
			continue;
		}
		if (!is_time_key(it, o->time_keys) || bolt_go_time_decode(it->value, it->value_size, &sec, &nsec) < 0)
			continue;
		/* The instant (seconds, then nanoseconds) against the clamp; with the clamp
		 * too big to encode, no time can be later than it. */
		if (sec < o->clamp_seconds || (sec == o->clamp_seconds && nsec == 0))
			continue;
		uint8_t *v = realloc(it->value, GO_TIME_V1_SIZE);
		if (!v)
			return -ENOMEM;
		go_time_encode_utc(o->clamp_seconds, v);
		it->value = v;
		it->value_size = GO_TIME_V1_SIZE;
		n++;
	}
	return n;
}

int bolt_clamp_times(BoltBucket *root, const BoltRewriteOptions *o) {
	if (!root)
		return -EINVAL;
	if (!o || !o->time_keys)
		return 0;
	return clamp_bucket(root, o);
}

int bolt_rewrite(int src_fd, int dst_fd, const BoltRewriteOptions *o, char **ret_error) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	size_t size = 0;
	struct stat st;
	int k;

	if (src_fd < 0 || dst_fd < 0)
		return -EBADF;
	if (fstat(dst_fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && st.st_size != 0)
		return -EINVAL;
	if ((k = bolt_load(src_fd, &root, ret_error)) < 0)
		return k;
	if ((k = bolt_clamp_times(root, o)) < 0)
		return k;
	if ((k = bolt_serialize(root, BOLT_PAGE_SIZE_DEFAULT, &data, &size)) < 0)
		return k;
	return loop_write(dst_fd, data, size);
}
