/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "fileio.h"
#include "tap.h"

static char *dir;

static void put(const char *rel, const char *content, mode_t mode) {
	char p[4096];
	snprintf(p, sizeof p, "%s/tree/%s", dir, rel);
	if (write_file_atomic(p, content, strlen(content), mode, WRITE_FILE_MKDIR_PARENTS) < 0)
		abort();
}

static void digest_of_tree(char out[static 65]) {
	char p[4096];
	CacheKey k = {};
	snprintf(p, sizeof p, "%s/tree", dir);
	if (cache_key_add_tree(&k, "t", p) < 0 || cache_key_digest(&k, out) < 0)
		abort();
	cache_key_done(&k);
}

int main(void) {
	char a[65], b[65], c[65];
	CacheKey k1 = {}, k2 = {};

	dir = tap_mkdtemp();

	/* Keys: the same inputs in the same order give the same digest; any change differs. */
	cache_key_add(&k1, "suite", "trixie");
	cache_key_add(&k1, "packages", "a,b");
	cache_key_add(&k2, "suite", "trixie");
	cache_key_add(&k2, "packages", "a,b");
	cache_key_digest(&k1, a);
	cache_key_digest(&k2, b);
	is_str(a, b, "equal inputs, equal keys");
	ok(strlen(a) == 64, "a key is 64 hex digits");
	cache_key_add(&k2, "epoch", "1");
	cache_key_digest(&k2, b);
	ok(strcmp(a, b) != 0, "one more input changes the key");
	cache_key_done(&k1);
	cache_key_done(&k2);

	/* name=value lines cannot be confused by moving text between fields. */
	cache_key_add(&k1, "x", "ab");
	cache_key_add(&k1, "y", "c");
	cache_key_add(&k2, "x", "a");
	cache_key_add(&k2, "y", "bc");
	cache_key_digest(&k1, a);
	cache_key_digest(&k2, b);
	ok(strcmp(a, b) != 0, "values shifted between fields give another key");
	cache_key_done(&k1);
	cache_key_done(&k2);

	/* Tree digests. */
	char missing[65];
	snprintf(c, sizeof c, "%s", "");
	{
		CacheKey k = {};
		char p[4096];
		snprintf(p, sizeof p, "%s/nonexistent", dir);
		is_int(cache_key_add_tree(&k, "t", p), 0, "a missing directory is an input too");
		ok(k.text && strstr(k.text, "t=absent"), "recorded as absent");
		cache_key_digest(&k, missing);
		cache_key_done(&k);
	}

	put("hooks/kiln", "#!/bin/sh\n", 0755);
	put("scripts/local-bottom/kiln-var", "mount\n", 0755);
	put("conf.d/x", "x\n", 0644);
	digest_of_tree(a);
	digest_of_tree(b);
	is_str(a, b, "the same tree twice, the same digest");
	ok(strcmp(a, missing) != 0, "a tree differs from an absent one");

	put("conf.d/x", "y\n", 0644);
	digest_of_tree(b);
	ok(strcmp(a, b) != 0, "changed content changes the digest");
	put("conf.d/x", "x\n", 0644);
	digest_of_tree(b);
	is_str(a, b, "restored content restores the digest (mtimes do not count)");

	char p[4096];
	snprintf(p, sizeof p, "%s/tree/conf.d/x", dir);
	chmod(p, 0600);
	digest_of_tree(b);
	ok(strcmp(a, b) != 0, "a changed mode changes the digest");
	chmod(p, 0644);

	snprintf(p, sizeof p, "%s/tree/link", dir);
	if (symlink("hooks/kiln", p) < 0)
		abort();
	digest_of_tree(b);
	ok(strcmp(a, b) != 0, "a new symlink changes the digest");
	unlink(p);
	if (symlink("scripts", p) < 0)
		abort();
	digest_of_tree(c);
	ok(strcmp(b, c) != 0, "a symlink's target is part of the digest");
	unlink(p);

	snprintf(p, sizeof p, "%s/tree/fifo", dir);
	if (mkfifo(p, 0644) == 0) {
		CacheKey k = {};
		snprintf(p, sizeof p, "%s/tree", dir);
		is_int(cache_key_add_tree(&k, "t", p), -EBADFD, "a fifo in kiln's data is refused");
		cache_key_done(&k);
	} else
		skip(1, "cannot make a fifo here");

	/* Paths and locks. */
	char *path = NULL;
	is_int(cache_path(dir, "rootfs", "abc", ".tree", &path), 0, "cache_path");
	char want[4096];
	snprintf(want, sizeof want, "%s/rootfs/abc.tree", dir);
	is_str(path, want, "cache_path layout is <cache>/<kind>/<digest><suffix>");
	ok(!cache_exists(path), "nothing cached yet");
	int lock = cache_lock(path);
	ok(lock >= 0, "the per-key lock can be taken");
	close(lock);
	free(path);

	rm_rf(dir);
	free(dir);
	return done_testing();
}
