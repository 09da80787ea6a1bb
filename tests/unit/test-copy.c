/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "copy.h"
#include "fd-util.h"
#include "tap.h"

#define KiB ((off_t) 1024)
#define MiB (1024 * KiB)

static char *tmpdir;

static char *path_in_tmp(const char *name) {
	static char buf[4][512];
	static unsigned i;
	char *p = buf[i++ % ELEMENTSOF(buf)];
	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

typedef struct Extent {
	off_t off, len;
} Extent;

/* A file of `size` bytes that is a hole except for the extents, filled with a pattern
 * that differs per position, so misplaced bytes show. */
static int make_sparse(const char *name, off_t size, const Extent *e, size_t n) {
	int fd = open(path_in_tmp(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, size) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *buf = malloc((size_t) e[i].len);
		for (off_t j = 0; buf && j < e[i].len; j++)
			buf[j] = (char) (((e[i].off + j) * 131 + 7) % 251 + 1);
		if (!buf || pwrite(fd, buf, (size_t) e[i].len, e[i].off) != e[i].len)
			return -1;
	}
	return fd;
}

static int make_filled(const char *name, off_t size, int byte) {
	_cleanup_free_ char *buf = malloc((size_t) size);
	int fd = open(path_in_tmp(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (!buf || fd < 0)
		return -1;
	memset(buf, byte, (size_t) size);
	if (pwrite(fd, buf, (size_t) size, 0) != size)
		return -1;
	return fd;
}

/* Byte-compare [a_off, a_off + len) of fd a with [b_off, ...) of fd b. */
static bool ranges_equal(int a, off_t a_off, int b, off_t b_off, off_t len) {
	static char x[64 * 1024], y[64 * 1024];
	while (len > 0) {
		size_t n = (size_t) MIN(len, (off_t) sizeof(x));
		if (pread(a, x, n, a_off) != (ssize_t) n || pread(b, y, n, b_off) != (ssize_t) n)
			return false;
		if (memcmp(x, y, n) != 0)
			return false;
		a_off += (off_t) n, b_off += (off_t) n, len -= (off_t) n;
	}
	return true;
}

static bool range_is(int fd, off_t off, off_t len, int byte) {
	static char x[64 * 1024];
	while (len > 0) {
		size_t n = (size_t) MIN(len, (off_t) sizeof(x));
		if (pread(fd, x, n, off) != (ssize_t) n)
			return false;
		for (size_t i = 0; i < n; i++)
			if (x[i] != (char) byte)
				return false;
		off += (off_t) n, len -= (off_t) n;
	}
	return true;
}

static off_t file_size(int fd) {
	struct stat st;
	return fstat(fd, &st) < 0 ? -1 : st.st_size;
}

static off_t allocated(int fd) {
	struct stat st;
	return fstat(fd, &st) < 0 ? -1 : (off_t) st.st_blocks * 512;
}

static const char *mode_name(bool cfr) {
	return cfr ? "copy_file_range" : "pread/pwrite";
}

static void test_into_sparse_image(bool cfr) {
	static const Extent e[] = {
		{ 0, 4 * KiB }, { 1 * MiB, 100 * KiB }, { 5 * MiB + 123, 10 }, { 8 * MiB - 4 * KiB, 4 * KiB },
	};
	copy_set_copy_file_range(cfr);
	_cleanup_close_ int src = make_sparse("src", 8 * MiB, e, ELEMENTSOF(e));
	_cleanup_close_ int dst = make_sparse("image", 64 * MiB, NULL, 0);
	uint64_t n = 0;

	int r = copy_file_to_offset(src, dst, 16 * MiB, &n);
	ok(r == 0, "%s: copy into the middle of a sparse image (%d)", mode_name(cfr), r);
	is_int(n, 8 * MiB, "reports the source size");
	is_int(file_size(dst), 64 * MiB, "image size unchanged");
	ok(ranges_equal(src, 0, dst, 16 * MiB, 8 * MiB), "copied bytes are identical");
	ok(range_is(dst, 0, 16 * MiB, 0) && range_is(dst, 24 * MiB, 40 * MiB, 0), "nothing outside the range written");
	off_t data = lseek(dst, 0, SEEK_DATA);
	ok(data >= 16 * MiB, "first data in the image is inside the range (%jd)", (intmax_t) data);
	ok(allocated(dst) < 512 * KiB, "image stays sparse (%jd bytes allocated)", (intmax_t) allocated(dst));
}

/* Zeros written as data are copied as holes by the pread/pwrite path. */
static void test_zero_blocks_skipped(void) {
	copy_set_copy_file_range(false);
	_cleanup_close_ int src = make_filled("zeros", 2 * MiB, 0);
	_cleanup_close_ int dst = make_sparse("image", 4 * MiB, NULL, 0);
	ok(src >= 0 && pwrite(src, "data", 4, 1 * MiB + 5) == 4, "source: 2 MiB of written zeros and 4 bytes");
	ok(allocated(src) >= 2 * MiB, "source zeros are allocated (%jd)", (intmax_t) allocated(src));

	is_int(copy_file_to_offset(src, dst, 1 * MiB, NULL), 0, "copy zeros with pread/pwrite");
	ok(ranges_equal(src, 0, dst, 1 * MiB, 2 * MiB), "bytes identical");
	ok(allocated(dst) <= 128 * KiB, "only the non-zero block is allocated (%jd)", (intmax_t) allocated(dst));
}

/* Old content in the range must not show through holes of the source. */
static void test_overwrite(bool cfr) {
	static const Extent e[] = { { 0, 64 * KiB }, { 1536 * KiB, 512 * KiB } };
	copy_set_copy_file_range(cfr);
	_cleanup_close_ int src = make_sparse("src", 2 * MiB, e, ELEMENTSOF(e));
	_cleanup_close_ int dst = make_filled("old", 4 * MiB, 0xff);

	int r = copy_file_to_offset(src, dst, 1 * MiB, NULL);
	ok(r == 0, "%s: copy over old data (%d)", mode_name(cfr), r);
	ok(ranges_equal(src, 0, dst, 1 * MiB, 2 * MiB), "range equals the source, holes read as zeros");
	ok(range_is(dst, 0, 1 * MiB, 0xff) && range_is(dst, 3 * MiB, 1 * MiB, 0xff), "data outside the range kept");
	ok(allocated(dst) < 3 * MiB + 512 * KiB, "source holes are holes in dst (%jd)", (intmax_t) allocated(dst));
}

static void test_sizes(void) {
	copy_set_copy_file_range(true);
	_cleanup_close_ int empty = make_sparse("empty", 0, NULL, 0);
	_cleanup_close_ int dst = make_filled("dst", 8 * KiB, 'A');
	uint64_t n = 4711;

	is_int(copy_file_to_offset(empty, dst, 4 * KiB, &n), 0, "empty source");
	is_int(n, 0, "reports 0 bytes");
	ok(file_size(dst) == 8 * KiB && range_is(dst, 0, 8 * KiB, 'A'), "empty source changes nothing");
	is_int(copy_file_to_offset(empty, dst, 1 * MiB, NULL), 0, "empty source past the end");
	is_int(file_size(dst), 1 * MiB, "dst extended to the offset, not beyond");

	/* Past the end, with a hole at the end of the source. */
	static const Extent e[] = { { 0, 100 * KiB } };
	_cleanup_close_ int src = make_sparse("tailhole", 1 * MiB, e, ELEMENTSOF(e));
	_cleanup_close_ int small = make_filled("small", 4 * KiB, 'B');
	is_int(copy_file_to_offset(src, small, 10 * MiB, NULL), 0, "offset beyond dst's size");
	is_int(file_size(small), 11 * MiB, "dst is exactly offset + source size");
	ok(range_is(small, 0, 4 * KiB, 'B') && range_is(small, 4 * KiB, 10 * MiB - 4 * KiB, 0),
	   "old bytes kept, gap reads as zeros");
	ok(ranges_equal(src, 0, small, 10 * MiB, 1 * MiB), "copied bytes identical");
}

static void test_errors(void) {
	_cleanup_close_ int src = make_filled("e-src", 4 * KiB, 'S');
	_cleanup_close_ int dst = make_filled("e-dst", 4 * KiB, 'D');
	_cleanup_close_ int ro = open(path_in_tmp("e-dst"), O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int wo = open(path_in_tmp("e-src"), O_WRONLY | O_CLOEXEC);
	_cleanup_close_ int app = open(path_in_tmp("e-dst"), O_WRONLY | O_APPEND | O_CLOEXEC);
	_cleanup_close_ int dir = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int pipefd[2] = { -1, -1 };
	uint64_t n = 4711;

	is_int(copy_file_to_offset(-1, dst, 0, &n), -EBADF, "negative src fd");
	is_int(copy_file_to_offset(src, -EBADF, 0, &n), -EBADF, "negative dst fd");
	int closed = dup(src);
	safe_close(closed);
	is_int(copy_file_to_offset(closed, dst, 0, &n), -EBADF, "closed src fd");
	is_int(copy_file_to_offset(src, ro, 0, &n), -EBADF, "dst opened O_RDONLY");
	ok(range_is(dst, 0, 4 * KiB, 'D') && file_size(dst) == 4 * KiB, "read-only dst untouched");
	is_int(copy_file_to_offset(wo, dst, 0, &n), -EBADF, "src opened O_WRONLY");
	is_int(copy_file_to_offset(src, app, 0, &n), -EINVAL, "dst opened O_APPEND");
	is_int(copy_file_to_offset(src, src, 0, &n), -EINVAL, "same file");
	is_int(copy_file_to_offset(dir, dst, 0, &n), -EISDIR, "directory source");
	ok(pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
	is_int(copy_file_to_offset(pipefd[0], dst, 0, &n), -EINVAL, "pipe source");
	is_int(copy_file_to_offset(src, dst, UINT64_MAX - 10, &n), -EFBIG, "range beyond off_t");
	is_int(n, 4711, "ret_bytes untouched on failure");
	safe_close(pipefd[0]), safe_close(pipefd[1]);
}

/* A write fails halfway: RLIMIT_FSIZE makes writes at or past 4 MiB fail with EFBIG,
 * after the first extent has landed below it. Run in a child, the limit is per process. */
static void test_partial_failure(bool cfr) {
	static const Extent e[] = { { 0, 64 * KiB }, { 3 * MiB, 2 * MiB } };
	_cleanup_close_ int src = make_sparse("f-src", 5 * MiB, e, ELEMENTSOF(e));
	_cleanup_close_ int dst = make_sparse("f-dst", 16 * MiB, NULL, 0);

	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = 4 * MiB, .rlim_max = RLIM_INFINITY };
		if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(100);
		copy_set_copy_file_range(cfr);
		int r = copy_file_to_offset(src, dst, 1 * MiB, NULL);
		_exit(r == -EFBIG ? 0 : r < 0 ? -r : 101);
	}
	int status = -1;
	pid_t w = pid > 0 ? waitpid(pid, &status, 0) : -1;
	ok(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: the error of a failing write is returned (child status %d)", mode_name(cfr), status);
	ok(ranges_equal(src, 0, dst, 1 * MiB, 64 * KiB), "the part copied before the failure stays");
}

static unsigned count_entries(const char *dir) {
	DIR *d = opendir(dir);
	unsigned n = 0;
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));)
		n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
	closedir(d);
	return n;
}

static void test_copy_file_sparse(void) {
	static const Extent e[] = { { 2 * MiB, 8 * KiB } };
	_cleanup_close_ int src = make_sparse("s-src", 8 * MiB, e, ELEMENTSOF(e));
	_cleanup_free_ char *src_path = strdup(path_in_tmp("s-src")), *dst_path = strdup(path_in_tmp("s-dst"));
	_cleanup_free_ char *victim = strdup(path_in_tmp("victim"));
	struct stat st;
	mode_t old_umask = umask(077);

	copy_set_copy_file_range(true);
	ok(src >= 0 && src_path && dst_path && victim, "setup");
	unsigned before = count_entries(tmpdir);
	is_int(copy_file_sparse(src_path, dst_path, 0604), 0, "copy_file_sparse to a new file");
	_cleanup_close_ int dst = open(dst_path, O_RDONLY | O_CLOEXEC);
	ok(dst >= 0 && fstat(dst, &st) == 0 && (st.st_mode & 07777) == 0604, "exact mode, umask ignored");
	ok(file_size(dst) == 8 * MiB && ranges_equal(src, 0, dst, 0, 8 * MiB), "content identical");
	ok(allocated(dst) < 256 * KiB, "copy is sparse (%jd)", (intmax_t) allocated(dst));
	is_int(count_entries(tmpdir), before + 1, "no temporary file left behind");

	/* An existing symlink at dst is replaced, its target left alone. */
	_cleanup_close_ int v = make_filled("victim", 16, 'V');
	ok(v >= 0 && unlink(dst_path) == 0 && symlink(victim, dst_path) == 0, "dst is a symlink");
	is_int(copy_file_sparse(src_path, dst_path, 0600), 0, "copy over a symlink");
	ok(lstat(dst_path, &st) == 0 && S_ISREG(st.st_mode), "symlink replaced by the copy");
	ok(file_size(v) == 16 && range_is(v, 0, 16, 'V'), "symlink target untouched");

	/* The temporary file goes next to dst: for dst "adir" that is tmpdir. */
	ok(mkdir(path_in_tmp("adir"), 0755) == 0, "a directory as dst");
	before = count_entries(tmpdir);
	is_int(copy_file_sparse(path_in_tmp("missing"), dst_path, 0600), -ENOENT, "missing source");
	is_int(copy_file_sparse(src_path, path_in_tmp("adir"), 0600), -EISDIR, "dst is a directory");
	is_int(count_entries(tmpdir), before, "no temporary file left after failures");
	is_int(copy_file_sparse(src_path, dst_path, 01000000), -EINVAL, "mode beyond 07777");
	_cleanup_free_ char *slashed = NULL;
	ok(asprintf(&slashed, "%s/", dst_path) > 0, "path with a trailing slash");
	is_int(copy_file_sparse(src_path, slashed, 0600), -EISDIR, "dst with a trailing slash");
	umask(old_umask);
}

int main(void) {
	tmpdir = tap_mkdtemp();
	if (!tmpdir)
		skip_all("cannot create a temporary directory");

	/* Holes need filesystem support; tmpfs and ext4 have it, some others do not. */
	_cleanup_close_ int probe = make_sparse("probe", 1 * MiB, NULL, 0);
	if (probe < 0 || allocated(probe) != 0) {
		(void) rm_rf(tmpdir);
		skip_all("%s does not support sparse files", tmpdir);
	}

	for (int cfr = 1; cfr >= 0; cfr--) {
		test_into_sparse_image(cfr);
		test_overwrite(cfr);
		test_partial_failure(cfr);
	}
	test_zero_blocks_skipped();
	test_sizes();
	test_errors();
	test_copy_file_sparse();

	(void) rm_rf(tmpdir);
	free(tmpdir);
	return done_testing();
}
