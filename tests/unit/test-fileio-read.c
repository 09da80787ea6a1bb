/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* read_full_*() and read_state_file(). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fd-util.h"
#include "fileio.h"
#include "io-fault.h"
#include "io-util.h"
#include "tap.h"
#include "tmpdir-files.h"

static void test_read_full(void) {
	char *data = (char *) "sentinel";
	size_t size = 4711;

	fresh_dir("r");
	ok(write_file_atomic(P("r/f"), "ab\0cd", 5, 0644, 0) == 0, "file with an embedded NUL");
	is_int(read_full_file(P("r/f"), &data, &size), 0, "read_full_file");
	ok(size == 5 && memcmp(data, "ab\0cd", 6) == 0, "size 5, content and terminating NUL");
	free(data);

	is_int(read_full_file(P("r/f"), &data, NULL), 0, "ret_size may be NULL");
	free(data);

	put(P("r/empty"), "");
	is_int(read_full_file(P("r/empty"), &data, &size), 0, "empty file");
	ok(size == 0 && data && data[0] == '\0', "empty file gives \"\" and size 0");
	free(data);

	is_int(read_full_file("/proc/self/status", &data, &size), 0, "/proc/self/status (st_size 0)");
	ok(size > 100 && strlen(data) == size && strneq(data, "Name:", 5) && strstr(data, "\nPid:"),
	   "/proc/self/status is complete (%zu bytes)", size);
	free(data);

	data = (char *) "sentinel", size = 4711;
	is_int(read_full_file(P("r/missing"), &data, &size), -ENOENT, "missing file is -ENOENT");
	is_int(read_full_file(P("r"), &data, &size), -EISDIR, "directory is -EISDIR");
	ok(streq(data, "sentinel") && size == 4711, "ret_* untouched on failure");

	_cleanup_close_ int sparse = open(P("r/sparse"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	ok(ftruncate(sparse, (off_t) READ_FULL_MAX + 1) == 0, "sparse file of READ_FULL_MAX + 1 bytes");
	is_int(read_full_file(P("r/sparse"), &data, &size), -EFBIG, "too large is -EFBIG");

	_cleanup_close_ int fd = open(P("r/f"), O_RDONLY | O_CLOEXEC);
	is_int(read_full_fd_max(fd, 5, &data, &size), 0, "read_full_fd_max: exactly max is fine");
	free(data);
	ok(lseek(fd, 0, SEEK_SET) == 0, "rewind");
	is_int(read_full_fd_max(fd, 4, &data, &size), -EFBIG, "read_full_fd_max: max + 1 is -EFBIG");
	ok(lseek(fd, 3, SEEK_SET) == 3, "seek to 3");
	is_int(read_full_fd_max(fd, 2, &data, &size), 0, "reads from the current offset, within max");
	ok(size == 2 && streq(data, "cd"), "the rest of the file after offset 3");
	free(data);
	is_int(read_full_fd_max(fd, 0, &data, &size), 0, "at EOF nothing is left, so max 0 is enough");
	ok(size == 0 && streq(data, ""), "at EOF: empty result");
	free(data);

	/* A pipe has no size: the buffer must grow, and the limit must still hold. */
	static const size_t sizes[] = { 0, 10, 4096, 4097, 50000 };
	char chunk[50000];
	memset(chunk, 'p', sizeof chunk);
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
		for (int over = 0; over <= (sizes[i] > 0); over++) {
			int q[2];
			if (pipe2(q, O_CLOEXEC) < 0 || write(q[1], chunk, sizes[i]) != (ssize_t) sizes[i])
				diag("pipe setup: %m");
			safe_close(q[1]);
			size_t max = over ? sizes[i] - 1 : sizes[i];
			int r = read_full_fd_max(q[0], max, &data, &size);
			if (over)
				is_int(r, -EFBIG, "pipe: one byte over max is -EFBIG");
			else {
				ok(r == 0 && size == sizes[i] && strspn(data, "p") == size && data[size] == '\0',
				   "pipe of %zu bytes read completely", sizes[i]);
				free(data);
			}
			safe_close(q[0]);
		}

	io_set_read_hook(fault_read);
	fault_reset();
	F.chunk = 1, F.n_eintr = 2;
	is_int(read_full_file(P("r/f"), &data, &size), 0, "1-byte reads after EINTR");
	ok(size == 5 && memcmp(data, "ab\0cd", 5) == 0, "content complete");
	free(data);
	fault_reset();
	F.fail_errno = EIO;
	is_int(read_full_file(P("r/f"), &data, &size), -EIO, "read EIO is returned");
	io_set_read_hook(NULL);
}


static int validate_magic(const char *data, size_t size, void *userdata) {
	int *calls = userdata;
	(*calls)++;
	if (data[size] != '\0')
		return -EFAULT;   /* would make "valid" fail: the data must be NUL-terminated */
	if (streq(data, "enomem"))
		return -ENOMEM;
	return strneq(data, "STATE1\n", 7) ? 0 : -EBADMSG;
}

/* Read a state file and check that it was moved aside to a plausible .corrupt-<usec>. */
static void check_moved_aside(const char *name, int calls_want, const char *what) {
	char *data = (char *) "sentinel";
	int calls = 0;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	uint64_t before = (uint64_t) tv.tv_sec * 1000000 + (uint64_t) tv.tv_usec;
	is_int(read_state_file(P(name), validate_magic, &calls, &data, NULL), -EBADMSG, what);
	gettimeofday(&tv, NULL);
	uint64_t after = (uint64_t) tv.tv_sec * 1000000 + (uint64_t) tv.tv_usec;
	is_int(calls, calls_want, "validator called as expected");
	ok(streq(data, "sentinel"), "ret_data untouched");
	ok(access(P(name), F_OK) < 0 && errno == ENOENT, "the original is gone");

	char prefix[64];
	(void) snprintf(prefix, sizeof prefix, "%s.corrupt-", strrchr(name, '/') + 1);
	is_int(count_entries(P("st"), prefix), 1, "exactly one .corrupt-* file");
	bool found = false;
	for (uint64_t u = before; u <= after + 16 && !found; u++) {
		char aside[PATH_MAX];
		(void) snprintf(aside, sizeof aside, "%s.corrupt-%" PRIu64, P(name), u);
		found = access(aside, F_OK) == 0;
	}
	ok(found, "the .corrupt suffix is the current time in microseconds");
}

static void test_state_file(void) {
	char *data = (char *) "sentinel";
	size_t size = 4711;
	int calls = 0;

	fresh_dir("st");
	is_int(read_state_file(P("st/missing"), validate_magic, &calls, &data, &size), -ENOENT, "missing: -ENOENT");
	ok(calls == 0 && streq(data, "sentinel") && size == 4711, "missing: no validation, ret_* untouched");
	ok(symlink("nowhere", P("st/dangling")) == 0, "dangling symlink");
	is_int(read_state_file(P("st/dangling"), NULL, NULL, &data, &size), -ENOENT, "dangling symlink: -ENOENT");

	ok(write_file_atomic(P("st/good"), "STATE1\nx=1\n", 11, 0600, 0) == 0, "write a valid state file");
	is_int(read_state_file(P("st/good"), validate_magic, &calls, &data, &size), 0, "valid: 0");
	ok(calls == 1 && size == 11 && streq(data, "STATE1\nx=1\n"), "valid: content returned, validated once");
	free(data);
	ok(access(P("st/good"), F_OK) == 0, "valid: the file stays");
	is_int(read_state_file(P("st/good"), NULL, NULL, &data, NULL), 0, "no validator: non-empty is valid");
	free(data);

	put(P("st/empty"), "");
	check_moved_aside("st/empty", 0, "empty: -EBADMSG");
	put(P("st/garbage"), "\x7f" "ELF garbage");
	check_moved_aside("st/garbage", 1, "garbage: -EBADMSG");
	char aside[PATH_MAX] = "";
	DIR *d = opendir(P("st"));
	for (struct dirent *de; d && (de = readdir(d));)
		if (strneq(de->d_name, "garbage.corrupt-", 16))
			(void) snprintf(aside, sizeof aside, "st/%s", de->d_name);
	if (d)
		closedir(d);
	is_str(get(P(aside)), "\x7f" "ELF garbage", "garbage: the moved-aside file keeps the bad content");

	ok(mkdir(P("st/dir"), 0755) == 0, "a directory where the state file should be");
	check_moved_aside("st/dir", 0, "directory: -EBADMSG");
	ok(mkfifo(P("st/fifo"), 0600) == 0, "a FIFO where the state file should be");
	check_moved_aside("st/fifo", 0, "FIFO: -EBADMSG without blocking");

	_cleanup_close_ int fd = open(P("st/huge"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0 && ftruncate(fd, (off_t) READ_FULL_MAX + 1) == 0, "sparse oversized state file");
	check_moved_aside("st/huge", 0, "oversized: -EBADMSG");

	put(P("st/eio"), "STATE1\n");
	io_set_read_hook(fault_read);
	fault_reset();
	F.fail_errno = EIO;
	check_moved_aside("st/eio", 0, "read EIO: -EBADMSG");
	io_set_read_hook(NULL);

	put(P("st/enomem"), "enomem");
	calls = 0;
	is_int(read_state_file(P("st/enomem"), validate_magic, &calls, &data, &size), -ENOMEM,
	       "validator -ENOMEM is passed back");
	ok(access(P("st/enomem"), F_OK) == 0 && count_entries(P("st"), "enomem.corrupt-") == 0,
	   "validator -ENOMEM: the file is kept");

	put(P("st/twice"), "bad1");
	(void) read_state_file(P("st/twice"), validate_magic, &calls, &data, &size);
	put(P("st/twice"), "bad2");
	is_int(read_state_file(P("st/twice"), validate_magic, &calls, &data, &size), -EBADMSG, "second corruption");
	is_int(count_entries(P("st"), "twice.corrupt-"), 2, "two corruptions keep two .corrupt files");

	if (geteuid() == 0)
		skip(2, "root reads files regardless of permissions");
	else {
		put(P("st/noperm"), "STATE1\n");
		(void) chmod(P("st/noperm"), 0);
		is_int(read_state_file(P("st/noperm"), NULL, NULL, &data, &size), -EACCES, "unreadable: -EACCES");
		ok(access(P("st/noperm"), F_OK) == 0, "unreadable: the file is kept");
	}
	is_int(read_state_file("", NULL, NULL, &data, &size), -EINVAL, "empty path is -EINVAL");
}


int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");

	test_read_full();
	test_state_file();

	(void) rm_rf(T);
	free(T);
	return done_testing();
}
