/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "io-fault.h"
#include "io-util.h"
#include "tap.h"

static void fill_pattern(char *buf, size_t n) {
	for (size_t i = 0; i < n; i++)
		buf[i] = (char) ('a' + i * 7 % 26);
}

/* A memfd holding n bytes of the pattern, positioned at 0. */
static int pattern_fd(size_t n) {
	char buf[4096];
	int fd = memfd_create("test-io-util", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	fill_pattern(buf, MIN(n, sizeof buf));
	if (n > 0 && write(fd, buf, n) != (ssize_t) n)
		return -1;
	(void) lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Is the memfd's content exactly n bytes of the pattern? */
static bool fd_has_pattern(int fd, size_t n) {
	char want[4096], got[4096 + 1];
	if (n > sizeof want)
		return false;
	fill_pattern(want, n);
	ssize_t k = pread(fd, got, sizeof got, 0);
	return k == (ssize_t) n && memcmp(got, want, n) == 0;
}

static void test_loop_write(void) {
	char buf[1000];
	fill_pattern(buf, sizeof buf);

	{
		_cleanup_close_ int fd = memfd_create("w", MFD_CLOEXEC);
		is_int(loop_write(fd, buf, sizeof buf), 0, "loop_write: plain write");
		ok(fd_has_pattern(fd, sizeof buf), "loop_write: all 1000 bytes arrived");
	}

	io_set_write_hook(fault_write);

	{
		_cleanup_close_ int fd = memfd_create("w", MFD_CLOEXEC);
		fault_reset();
		F.n_eintr = 3;
		is_int(loop_write(fd, buf, sizeof buf), 0, "loop_write: EINTR x3 is retried");
		is_int(F.calls, 4, "loop_write: 3 interrupted calls + 1 real one");
		ok(fd_has_pattern(fd, sizeof buf), "loop_write: content complete after EINTR");
	}
	{
		_cleanup_close_ int fd = memfd_create("w", MFD_CLOEXEC);
		fault_reset();
		F.chunk = 1;
		is_int(loop_write(fd, buf, sizeof buf), 0, "loop_write: 1-byte short writes");
		is_int(F.calls, sizeof buf, "loop_write: one call per byte");
		ok(fd_has_pattern(fd, sizeof buf), "loop_write: content complete after short writes");
	}
	{
		_cleanup_close_ int fd = memfd_create("w", MFD_CLOEXEC);
		fault_reset();
		F.chunk = 64;
		F.fail_errno = ENOSPC;
		F.fail_after = 128;
		is_int(loop_write(fd, buf, sizeof buf), -ENOSPC, "loop_write: ENOSPC after 128 bytes");
		is_int(F.done, 128, "loop_write: stopped at the failure");
	}
	{
		_cleanup_close_ int fd = memfd_create("w", MFD_CLOEXEC);
		fault_reset();
		F.zero_once = true;
		is_int(loop_write(fd, buf, sizeof buf), -EIO, "loop_write: write returning 0 is -EIO");
		is_int(F.calls, 1, "loop_write: no spinning on a 0-byte write");
	}
	{
		_cleanup_close_ int fd = memfd_create("w", MFD_CLOEXEC);
		fault_reset();
		F.overreport = true;
		is_int(loop_write(fd, buf, 10), -EIO, "loop_write: a count larger than asked for is -EIO");
	}
	{
		fault_reset();
		is_int(loop_write(-1, NULL, 0), 0, "loop_write: 0 bytes is a no-op");
		is_int(F.calls, 0, "loop_write: 0 bytes makes no syscall");
	}

	io_set_write_hook(NULL);
	fault_reset();
	{
		_cleanup_close_ int fd = memfd_create("w", MFD_CLOEXEC);
		is_int(loop_write(fd, buf, 10), 0, "loop_write: hook removed");
		is_int(F.calls, 0, "loop_write: NULL restores write(2)");
	}

	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		is_int(loop_write(fd, buf, sizeof buf), -EBADF, "loop_write: read-only fd gives -EBADF");
	}
	{
		int p[2];
		ok(pipe2(p, O_CLOEXEC) == 0, "pipe");
		safe_close(p[0]);
		is_int(loop_write(p[1], buf, sizeof buf), -EPIPE, "loop_write: closed pipe gives -EPIPE");
		safe_close(p[1]);
	}
}

static void test_loop_read(void) {
	char buf[2000];

	{
		_cleanup_close_ int fd = pattern_fd(1000);
		memset(buf, 0, sizeof buf);
		is_int(loop_read(fd, buf, 1000), 1000, "loop_read: reads all 1000 bytes");
		char want[1000];
		fill_pattern(want, sizeof want);
		ok(memcmp(buf, want, sizeof want) == 0, "loop_read: content matches");
	}
	{
		_cleanup_close_ int fd = pattern_fd(10);
		is_int(loop_read(fd, buf, 100), 10, "loop_read: stops at EOF with a short count");
		is_int(loop_read(fd, buf, 100), 0, "loop_read: 0 at EOF");
	}

	io_set_read_hook(fault_read);
	{
		_cleanup_close_ int fd = pattern_fd(1000);
		fault_reset();
		F.n_eintr = 3;
		is_int(loop_read(fd, buf, 1000), 1000, "loop_read: EINTR x3 is retried");
		ok(F.calls >= 4, "loop_read: the interrupted calls happened (%u calls)", F.calls);
	}
	{
		_cleanup_close_ int fd = pattern_fd(1000);
		char want[1000];
		fill_pattern(want, sizeof want);
		memset(buf, 0, sizeof buf);
		fault_reset();
		F.chunk = 1;
		is_int(loop_read(fd, buf, 1000), 1000, "loop_read: 1-byte short reads are continued");
		is_int(F.calls, 1000, "loop_read: one call per byte, none after n");
		ok(memcmp(buf, want, sizeof want) == 0, "loop_read: content complete after short reads");
	}
	{
		_cleanup_close_ int fd = pattern_fd(1000);
		fault_reset();
		F.chunk = 5;
		F.fail_errno = EIO;
		F.fail_after = 5;
		is_int(loop_read(fd, buf, 1000), -EIO, "loop_read: an error after 5 bytes is still -EIO");
		fault_reset();
		F.overreport = true;
		is_int(loop_read(fd, buf, 10), -EIO, "loop_read: a count larger than asked for is -EIO");
	}
	{
		_cleanup_close_ int fd = pattern_fd(1000);
		fault_reset();
		F.chunk = 7;
		is_int(loop_read_exact(fd, buf, 1000), 0, "loop_read_exact: exact read in 7-byte pieces");
		is_int(loop_read_exact(fd, buf, 1), -EIO, "loop_read_exact: EOF is -EIO");
	}
	{
		_cleanup_close_ int fd = pattern_fd(10);
		fault_reset();
		is_int(loop_read_exact(fd, buf, 11), -EIO, "loop_read_exact: short file is -EIO");
		fault_reset();
		F.fail_errno = ENXIO;
		is_int(loop_read_exact(fd, buf, 1), -ENXIO, "loop_read_exact: read errors pass through");
		fault_reset();
		is_int(loop_read_exact(fd, buf, 0), 0, "loop_read_exact: 0 bytes is fine");
		is_int(F.calls, 0, "loop_read_exact: 0 bytes makes no syscall");
	}
	io_set_read_hook(NULL);

	is_int(loop_read(-1, buf, 1), -EBADF, "loop_read: bad fd gives -EBADF");
	is_int(loop_read(0, buf, (size_t) SSIZE_MAX + 1), -EINVAL, "loop_read: n > SSIZE_MAX is -EINVAL");

	/* A real pipe whose writer pauses: the first read(2) returns short, loop_read continues. */
	int p[2];
	ok(pipe2(p, O_CLOEXEC) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		safe_close(p[0]);
		if (write(p[1], "abc", 3) != 3)
			_exit(1);
		(void) usleep(50 * 1000);
		if (write(p[1], "def", 3) != 3)
			_exit(1);
		_exit(0);
	}
	safe_close(p[1]);
	memset(buf, 0, sizeof buf);
	is_int(loop_read(p[0], buf, 6), 6, "loop_read: pipe with a pausing writer gives all 6 bytes");
	is_str(buf, "abcdef", "loop_read: pipe content");
	safe_close(p[0]);
	int status = -1;
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "pipe writer exited cleanly");
}

static void test_io_fsync(void) {
	_cleanup_close_ int fd = pattern_fd(10);

	is_int(io_fsync(fd), 0, "io_fsync: real fsync works");
	is_int(io_fsync(-1), -EBADF, "io_fsync: bad fd gives -EBADF");

	io_set_fsync_hook(fault_fsync);
	fault_reset();
	F.n_eintr = 2;
	is_int(io_fsync(fd), 0, "io_fsync: EINTR is retried");
	is_int(F.calls, 3, "io_fsync: 2 interrupted calls + 1 real one");

	fault_reset();
	F.fail_errno = EIO;
	F.fail_once = true;   /* a retry would succeed, and must not happen */
	is_int(io_fsync(fd), -EIO, "io_fsync: EIO is reported");
	is_int(F.calls, 1, "io_fsync: EIO is not retried");
	io_set_fsync_hook(NULL);

	fault_reset();
	is_int(io_fsync(fd), 0, "io_fsync: hook removed");
	is_int(F.calls, 0, "io_fsync: NULL restores fsync(2)");
}

int main(void) {
	/* loop_write to a closed pipe must see EPIPE, not die of SIGPIPE. */
	(void) signal(SIGPIPE, SIG_IGN);

	test_loop_write();
	test_loop_read();
	test_io_fsync();
	return done_testing();
}
