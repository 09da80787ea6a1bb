/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-lock.h"
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

static bool exists(const char *rel) {
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	return access(p, F_OK) == 0;
}

/* Scratch directories: locked while in use, swept when their build is gone. */
static void test_scratch(void) {
	char tmp[4096], *live = NULL, *stale = NULL, **removed = NULL;
	int lock = -1, pipefd[2];

	snprintf(tmp, sizeof tmp, "%s/tmp", dir);
	is_int(cache_scratch_new(tmp, "build-", &live, &lock), 0, "cache_scratch_new");
	ok(live && strlen(live) == strlen(tmp) + strlen("/build-XXXXXX"), "named <parent>/build-XXXXXX (%s)", live);
	ok(access(live, F_OK) == 0 && lock >= 0, "the directory exists and its lock is held");

	/* A build killed while its scratch directory held data: the child makes one, writes
	 * into it and exits without cleaning up, as SIGKILL would leave it. */
	if (pipe(pipefd) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		char *d = NULL, f[4096];
		int l;
		if (cache_scratch_new(tmp, "build-", &d, &l) < 0)
			_exit(1);
		snprintf(f, sizeof f, "%s/chroot/big", d);
		char *data = calloc(1, 3 << 20);
		if (!data || write_file_atomic(f, data, 3 << 20, 0644, WRITE_FILE_MKDIR_PARENTS) < 0)
			_exit(1);
		if (write(pipefd[1], d, strlen(d)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	char buf[4096] = "";
	ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
	close(pipefd[0]);
	int st;
	ok(n > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "a killed build left %s", buf);
	stale = strdup(buf);

	/* Other things in the directory are not scratch directories. */
	char other[4096];
	snprintf(other, sizeof other, "%s/build-abc", tmp);
	(void) mkdir(other, 0755);
	snprintf(other, sizeof other, "%s/orphan-lock", tmp);
	char orphan[4096];
	snprintf(orphan, sizeof orphan, "%s/build-ZZZZZZ.lock", tmp);
	if (write_file_atomic(orphan, "", 0, 0644, 0) < 0)
		abort();

	is_int(cache_sweep(tmp, "build-", &removed), 1, "cache_sweep removes one directory");
	ok(removed && removed[0] && strstr(removed[0], stale) && strstr(removed[0], "(4 MiB)"),
	   "and names it with its size: %s", removed && removed[0] ? removed[0] : "(none)");
	ok(access(stale, F_OK) < 0, "the stale directory is gone");
	ok(access(live, F_OK) == 0, "the live one (its lock held) is left alone");
	ok(exists("tmp/build-abc") , "a directory that is not named like one is left alone");
	ok(access(orphan, F_OK) < 0, "a lock file without its directory is removed");
	char stale_lock[4200];
	snprintf(stale_lock, sizeof stale_lock, "%s.lock", stale);
	ok(access(stale_lock, F_OK) < 0, "and so is the stale directory's lock");

	cache_scratch_remove(live, lock);
	ok(access(live, F_OK) < 0, "cache_scratch_remove removes the directory");
	snprintf(stale_lock, sizeof stale_lock, "%s.lock", live);
	ok(access(stale_lock, F_OK) < 0, "and its lock");
	for (char **r = removed; r && *r; r++)
		free(*r);
	free(removed);
	free(live);
	free(stale);
}

/* Leftovers of kiln before scratch directories, each removed only when its stage's lock
 * is free. */
static void test_sweep_legacy(void) {
	static const char *const files[] = {
		"tools/aaaa.tar", "rootfs/.partial-bbbb.tar", "rootfs/.partial-cccc.tar",
		"mmdebstrap.Xy12/etc/passwd", "rootfs/dddd.tree.partial/usr/bin/x",
	};
	char p[4096], **removed = NULL;

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		if (write_file_atomic(p, "x", 1, 0644, WRITE_FILE_MKDIR_PARENTS) < 0)
			abort();
	}
	/* A build is making cccc's root file system. */
	snprintf(p, sizeof p, "%s/rootfs/cccc.tree.lock", dir);
	int held = build_lock_take(p, "a test lock", false, false);
	ok(held >= 0, "a root file system lock is held");
	is_int(cache_sweep_legacy(dir, &removed), 0, "cache_sweep_legacy");
	ok(!exists("tools/aaaa.tar"), "a tools tarball whose lock is free is removed");
	ok(!exists("rootfs/.partial-bbbb.tar"), "a root file system tarball whose lock is free is removed");
	ok(exists("rootfs/.partial-cccc.tar"), "one whose lock is held is left alone");
	ok(exists("mmdebstrap.Xy12"), "mmdebstrap's chroot is left alone while a root file system is being made");
	ok(!exists("rootfs/dddd.tree.partial"), "a half-unpacked tree is removed");
	close(held);
	is_int(cache_sweep_legacy(dir, &removed), 0, "cache_sweep_legacy once the lock is free");
	ok(!exists("rootfs/.partial-cccc.tar"), "the other tarball is removed now");
	ok(!exists("mmdebstrap.Xy12"), "and mmdebstrap's chroot");
	size_t n = 0;
	for (char **r = removed; r && *r; r++, n++)
		free(*r);
	free(removed);
	is_int(n, 5, "five removals were reported");
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
	free(path);

	test_scratch();
	test_sweep_legacy();

	rm_rf(dir);
	free(dir);
	return done_testing();
}
