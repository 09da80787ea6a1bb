/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blob-cache.h"
#include "fd-util.h"
#include "fileio.h"
#include "tap.h"

#define HEX64 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"   /* sha256("abc") */
#define ABC256 "sha256:" HEX64
#define ABC512 "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
	       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static void test_digests(void) {
	HashType t = _HASH_TYPE_MAX;
	const char *hex = NULL;

	is_int(blob_digest_parse(ABC256, &t, &hex), 0, "sha256 digest");
	ok(t == HASH_SHA256 && hex && streq(hex, HEX64), "type and hex");
	is_int(blob_digest_parse(ABC512, &t, NULL), 0, "sha512 digest");
	is_int(t, HASH_SHA512, "sha512 type");
	static const char *const bad[] = {
		"", "sha256:", "sha256:abc", HEX64, "SHA256:" HEX64, "sha256:" HEX64 "0",
		"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		"sha256:g a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
		"sha512:" HEX64, "md5:900150983cd24fb0d6963f7d28e17f72", "sha256:" HEX64 "\n",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		is_int(blob_digest_parse(bad[i], NULL, NULL), -EINVAL, bad[i]);
	is_int(blob_digest_parse(NULL, NULL, NULL), -EINVAL, "NULL");

	_cleanup_free_ char *d = NULL;
	is_int(blob_digest_buffer(HASH_SHA512, "abc", 3, &d), 0, "digest of a buffer");
	is_str(d, ABC512, "as algo:hex");
}

static void test_paths(const char *cache) {
	_cleanup_free_ char *p256 = NULL, *p512 = NULL, *want256 = NULL, *want512 = NULL;
	char *untouched = (char *) "untouched";

	ok(asprintf(&want256, "%s/blobs/sha256/%s", cache, HEX64) > 0 &&
	   asprintf(&want512, "%s/blobs/sha512/%s", cache, &ABC512[7]) > 0, "expected paths");
	is_int(blob_cache_path(cache, ABC256, &p256), 0, "path of a sha256 blob");
	is_str(p256, want256, "<cache>/blobs/sha256/<hex>");
	is_int(blob_cache_path(cache, ABC512, &p512), 0, "path of a sha512 blob");
	is_str(p512, want512, "<cache>/blobs/sha512/<hex>");
	is_int(blob_cache_path(cache, "sha256:../../etc/passwd", &untouched), -EINVAL, "no path for a malformed digest");
	is_str(untouched, "untouched", "ret untouched");
	ok(!blob_cache_has(cache, ABC256), "nothing cached yet");
	ok(!blob_cache_has(cache, "bogus"), "a malformed digest is never cached");
	is_int(blob_cache_open(cache, ABC256), -ENOENT, "open of a missing blob: -ENOENT");
}

static void test_write(const char *cache) {
	_cleanup_free_ char *data = NULL, *partial_dir = NULL, *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t size = 0;
	struct stat st;

	is_int(blob_cache_write(cache, ABC256, "abd", 3), -EBADMSG, "content that does not match: -EBADMSG");
	ok(!blob_cache_has(cache, ABC256), "and nothing cached");
	is_int(blob_cache_write(cache, ABC256, "abc", 3), 0, "matching content is stored");
	ok(blob_cache_has(cache, ABC256), "now cached");
	fd = blob_cache_open(cache, ABC256);
	ok(fd >= 0 && fcntl(fd, F_GETFD) & FD_CLOEXEC, "open gives an O_CLOEXEC fd");
	ok(fd >= 0 && read_full_fd(fd, &data, &size) == 0 && size == 3 && memcmp(data, "abc", 3) == 0, "with the content");
	ok(blob_cache_path(cache, ABC256, &path) == 0 && stat(path, &st) == 0 && (st.st_mode & 0777) == 0444,
	   "cached blobs are read-only");
	is_int(blob_cache_write(cache, ABC256, "abc", 3), 0, "storing it again is fine");
	ok(asprintf(&partial_dir, "%s/blobs/.partial/sha256-%s", cache, HEX64) > 0 && access(partial_dir, F_OK) < 0 &&
	   errno == ENOENT, "no partial file left behind");
}

static void test_partial(const char *cache) {
	BlobPartial p = BLOB_PARTIAL_NULL, q = BLOB_PARTIAL_NULL;
	_cleanup_free_ char *name = NULL;
	struct stat st;

	is_int(blob_partial_name(ABC512, &name), 0, "partial name");
	ok(name && strneq(name, "sha512-ddaf35", 13), "is <algo>-<hex>");
	is_int(blob_partial_open(cache, "../escape", &p), -EINVAL, "a name with a slash: -EINVAL");
	is_int(blob_partial_open(cache, name, &p), 0, "open a partial file");
	ok(p.fd >= 0 && write(p.fd, "ab", 2) == 2, "write a first part");
	blob_partial_done(&p);
	ok(p.fd < 0 && !p.path, "done resets it");

	is_int(blob_partial_open(cache, name, &q), 0, "open it again");
	ok(fstat(q.fd, &st) == 0 && st.st_size == 2 && lseek(q.fd, 0, SEEK_CUR) == 2, "the bytes are kept, fd at the end");

	/* A second process must wait for the lock instead of writing the same file. */
	pid_t pid = fork();
	if (pid == 0) {
		BlobPartial c = BLOB_PARTIAL_NULL;
		alarm(10);
		/* Our copy of the parent's fd shares its lock: let go of it. */
		safe_close(q.fd);
		/* Blocks until the parent commits; the file at the path is then a new one. */
		if (blob_partial_open(cache, name, &c) < 0)
			_exit(2);
		struct stat cs;
		_exit(fstat(c.fd, &cs) == 0 && cs.st_size == 0 ? 0 : 1);
	}
	usleep(200 * 1000);
	int st_child = -1;
	ok(waitpid(pid, &st_child, WNOHANG) == 0, "another opener waits for the lock");
	ok(write(q.fd, "c", 1) == 1, "write the rest");
	is_int(blob_partial_commit(&q, cache, ABC512), 0, "commit");
	ok(blob_cache_has(cache, ABC512), "the blob is in the cache");
	ok(waitpid(pid, &st_child, 0) == pid && WIFEXITED(st_child) && WEXITSTATUS(st_child) == 0,
	   "the waiter then gets a fresh partial file, not the committed blob");

	BlobPartial r = BLOB_PARTIAL_NULL;
	_cleanup_free_ char *path = NULL;
	is_int(blob_partial_open(cache, "url-x", &r), 0, "another partial");
	path = strdup(r.path);
	blob_partial_discard(&r);
	ok(path && access(path, F_OK) < 0 && errno == ENOENT, "discard deletes it");
}

int main(void) {
	_cleanup_free_ char *tmp = tap_mkdtemp();
	if (!tmp)
		skip_all("cannot create a temporary directory");
	test_digests();
	test_paths(tmp);
	test_write(tmp);
	test_partial(tmp);
	(void) rm_rf(tmp);
	return done_testing();
}
