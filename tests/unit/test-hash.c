/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "hash.h"
#include "tap.h"

/* FIPS 180-2 test vectors. */
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define SHA512_EMPTY "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
		     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
#define SHA512_ABC   "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
		     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

/* Hash a buffer and render it, or return NULL. */
static char *hex_of(HashType t, const void *p, size_t n, size_t *ret_len) {
	uint8_t md[HASH_SIZE_MAX];
	char *hex = NULL;
	if (hash_buffer(t, p, n, md, ret_len) < 0 || hexmem(md, *ret_len, &hex) < 0)
		return NULL;
	return hex;
}

static void test_vectors(void) {
	static const struct {
		HashType t;
		const char *in, *want;
	} v[] = {
		{ HASH_SHA256, "", SHA256_EMPTY },
		{ HASH_SHA256, "abc", SHA256_ABC },
		{ HASH_SHA512, "", SHA512_EMPTY },
		{ HASH_SHA512, "abc", SHA512_ABC },
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		size_t len = 0;
		_cleanup_free_ char *hex = hex_of(v[i].t, v[i].in, strlen(v[i].in), &len);
		is_str(hex, v[i].want, "known vector");
		is_int(len, hash_size(v[i].t), "digest length matches hash_size()");
	}
	_cleanup_free_ char *null_empty = NULL;
	size_t len = 0;
	null_empty = hex_of(HASH_SHA256, NULL, 0, &len);
	is_str(null_empty, SHA256_EMPTY, "NULL with length 0 is the empty message");

	is_int(hash_size(HASH_SHA256), 32, "sha256 is 32 bytes");
	is_int(hash_size(HASH_SHA512), 64, "sha512 is 64 bytes");
	is_int(hash_size(_HASH_TYPE_MAX), 0, "unknown type has no size");
	is_str(hash_type_to_string(HASH_SHA512), "sha512", "type name");
	ok(!hash_type_to_string((HashType) -1), "no name for an invalid type");

	uint8_t md[HASH_SIZE_MAX];
	memset(md, 0xaa, sizeof md);
	len = 4711;
	is_int(hash_buffer(_HASH_TYPE_MAX, "abc", 3, md, &len), -EINVAL, "unknown type: -EINVAL");
	ok(md[0] == 0xaa && len == 4711, "outputs untouched on failure");
	is_int(hash_buffer(HASH_SHA256, NULL, 3, md, &len), -EINVAL, "NULL with a length: -EINVAL");
}

static void test_hexmem(void) {
	static const uint8_t b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	_cleanup_free_ char *s = NULL, *empty = NULL;
	char buf[13], small[12];

	is_int(hexmem(b, sizeof b, &s), 0, "hexmem");
	is_str(s, "00017f80abff", "lower case, two digits per byte, high nibble first");
	is_int(hexmem(NULL, 0, &empty), 0, "hexmem of nothing");
	is_str(empty, "", "empty string");
	is_int(hexmem_buf(b, sizeof b, buf, sizeof buf), 0, "hexmem_buf with exactly 2n+1 bytes");
	is_str(buf, "00017f80abff", "same text");
	memset(small, 'x', sizeof small);
	is_int(hexmem_buf(b, sizeof b, small, sizeof small), -ENOBUFS, "one byte short: -ENOBUFS");
	ok(small[0] == 'x' && small[11] == 'x', "short buffer untouched");
}

static int write_file(const char *path, const void *p, size_t n) {
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	return fd >= 0 && write(fd, p, n) == (ssize_t) n ? 0 : -1;
}

static void test_files(const char *tmp) {
	_cleanup_free_ char *big = NULL, *million = NULL, *hex = NULL, *want = NULL, *mhex = NULL;
	_cleanup_free_ uint8_t *data = malloc(1024 * 1024 + 123);
	_cleanup_free_ char *as = malloc(1000000);
	char *untouched = (char *) "sentinel";
	size_t len = 0;

	ok(data && as && asprintf(&big, "%s/big", tmp) > 0 && asprintf(&million, "%s/million", tmp) > 0, "setup");
	/* Not a multiple of the read buffer, and not periodic in it either. */
	for (size_t i = 0; i < 1024 * 1024 + 123; i++)
		data[i] = (uint8_t) (i * 2654435761U >> 13);
	memset(as, 'a', 1000000);
	ok(write_file(big, data, 1024 * 1024 + 123) == 0 && write_file(million, as, 1000000) == 0, "files written");

	want = hex_of(HASH_SHA512, data, 1024 * 1024 + 123, &len);
	is_int(hash_file(HASH_SHA512, big, &hex), 0, "hash_file of 1 MiB + 123 bytes");
	ok(hex && want && streq(hex, want), "file digest equals buffer digest");
	is_int(hash_file(HASH_SHA256, million, &mhex), 0, "hash_file of a million 'a'");
	is_str(mhex, SHA256_MILLION_A, "FIPS 180-2 long message vector");

	is_int(hash_file(HASH_SHA256, "/nonexistent/kiln-file", &untouched), -ENOENT, "missing file: -ENOENT");
	is_int(hash_file(HASH_SHA256, tmp, &untouched), -EISDIR, "directory: -EISDIR");
	is_int(hash_file(_HASH_TYPE_MAX, million, &untouched), -EINVAL, "unknown type: -EINVAL");
	is_str(untouched, "sentinel", "ret_hex untouched on failure");
}

static volatile sig_atomic_t n_alarms;
static void on_alarm(int sig) {
	n_alarms++;
}

/* hash_fd over a slowly fed pipe while a timer interrupts read() (no SA_RESTART): short
 * reads and EINTR must both be absorbed. */
static void test_fd_eintr(void) {
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval every_ms = { .it_interval = { 0, 1000 }, .it_value = { 0, 1000 } }, off = {};
	uint8_t md[HASH_SIZE_MAX];
	_cleanup_free_ char *hex = NULL;
	size_t len = 0;
	int p[2], st = -1;

	ok(pipe2(p, O_CLOEXEC) == 0, "pipe");
	pid_t writer = fork();
	if (writer == 0) {
		static char chunk[5000];
		memset(chunk, 'a', sizeof chunk);
		close(p[0]);
		signal(SIGALRM, SIG_IGN);
		for (int i = 0; i < 200; i++) {
			if (write(p[1], chunk, sizeof chunk) != (ssize_t) sizeof chunk)
				_exit(1);
			usleep(2000);
		}
		_exit(0);
	}
	safe_close(p[1]);
	ok(sigaction(SIGALRM, &sa, &old) == 0 && setitimer(ITIMER_REAL, &every_ms, NULL) == 0, "1 ms timer");
	int r = hash_fd(HASH_SHA256, p[0], md, &len);
	(void) setitimer(ITIMER_REAL, &off, NULL);
	(void) sigaction(SIGALRM, &old, NULL);
	safe_close(p[0]);

	is_int(r, 0, "hash_fd of a pipe under a signal storm");
	ok(hexmem(md, len, &hex) == 0 && hex && streq(hex, SHA256_MILLION_A), "digest of the streamed million 'a'");
	ok(n_alarms > 10, "reads were interrupted (%d signals)", (int) n_alarms);
	ok(waitpid(writer, &st, 0) == writer && st == 0, "writer done");
	is_int(hash_fd(HASH_SHA256, -1, md, &len), -EINVAL, "invalid fd: -EINVAL");
}

/* The incremental API must give the one-shot digest however the data is split. */
static void test_context(const char *tmp) {
	static const char text[] = "The quick brown fox jumps over the lazy dog";
	uint8_t md[HASH_SIZE_MAX], whole[HASH_SIZE_MAX];
	size_t len = 0, wlen = 0;
	bool same = true;

	ok(hash_buffer(HASH_SHA512, text, strlen(text), whole, &wlen) == 0, "one-shot digest");
	for (size_t split = 0; split <= strlen(text); split++) {
		_cleanup_(hash_context_freep) HashContext *c = NULL;
		if (hash_context_new(HASH_SHA512, &c) < 0 || hash_context_update(c, text, split) < 0 ||
		    hash_context_update(c, text + split, strlen(text) - split) < 0 ||
		    hash_context_final(c, md, &len) < 0 || len != wlen || memcmp(md, whole, len) != 0)
			same = false;
	}
	ok(same, "every split of the input gives the one-shot digest");

	_cleanup_(hash_context_freep) HashContext *c = NULL;
	_cleanup_free_ char *path = NULL, *hex = NULL;
	_cleanup_close_ int fd = -EBADF;
	ok(asprintf(&path, "%s/ctx", tmp) > 0 && write_file(path, "bc", 2) == 0, "file with \"bc\"");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	is_int(hash_context_new(HASH_SHA256, &c), 0, "context");
	is_int(hash_context_type(c), HASH_SHA256, "its type");
	is_int(hash_context_update(c, "a", 1), 0, "update with \"a\"");
	is_int(hash_context_update_fd(c, fd), 0, "update with the file");
	is_int(hash_context_final(c, md, &len), 0, "final");
	ok(hexmem(md, len, &hex) == 0 && streq(hex, SHA256_ABC), "buffer then file = sha256(\"abc\")");
	is_int(hash_context_final(c, md, &len), -EINVAL, "a second final: -EINVAL");
	is_int(hash_context_update(c, "x", 1), -EINVAL, "update after final: -EINVAL");
	is_int(hash_context_new(_HASH_TYPE_MAX, &c), -EINVAL, "unknown type: -EINVAL");
	ok(c != NULL, "ret untouched on failure");
	ok(hash_context_free(NULL) == NULL, "free(NULL)");
}

int main(void) {
	_cleanup_free_ char *tmp = tap_mkdtemp();
	if (!tmp)
		skip_all("cannot create a temporary directory");

	test_vectors();
	test_hexmem();
	test_files(tmp);
	test_fd_eintr();
	test_context(tmp);
	(void) rm_rf(tmp);
	return done_testing();
}
