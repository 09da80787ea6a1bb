/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "tap.h"

static void test_safe_close(void) {
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ok(fd >= 0, "open /dev/null");
	errno = 4711;
	is_int(safe_close(fd), -EBADF, "safe_close returns -EBADF");
	is_int(errno, 4711, "safe_close keeps errno");
	ok(fcntl(fd, F_GETFD) < 0 && errno == EBADF, "fd is closed");
	is_int(safe_close(-EBADF), -EBADF, "safe_close of an invalid fd is a no-op");
}

static void test_cleanup_close(void) {
	int copy;
	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		copy = fd;
	}
	ok(fcntl(copy, F_GETFD) < 0, "_cleanup_close_ closes at end of scope");

	int kept;
	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		kept = TAKE_FD(fd);
		is_int(fd, -EBADF, "TAKE_FD leaves -EBADF behind");
	}
	ok(fcntl(kept, F_GETFD) >= 0, "TAKE_FD keeps the fd open");
	safe_close(kept);
}

static void test_close_all_except(void) {
	int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY), c = open("/dev/null", O_RDONLY);
	pid_t pid = fork();
	if (pid == 0) {
		int keep[] = { c, a };   /* unsorted on purpose */
		if (close_all_fds_except(keep, 2) < 0)
			_exit(10);
		if (fcntl(a, F_GETFD) < 0 || fcntl(c, F_GETFD) < 0)
			_exit(11);
		if (fcntl(b, F_GETFD) >= 0)
			_exit(12);
		if (fcntl(STDOUT_FILENO, F_GETFD) < 0)
			_exit(13);
		_exit(0);
	}
	int status = -1;
	pid_t w = waitpid(pid, &status, 0);
	ok(w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "close_all_fds_except keeps listed fds and stdio, closes the rest (child status %d)", status);
	safe_close(a), safe_close(b), safe_close(c);
}

static void test_cloexec_nonblock(void) {
	_cleanup_close_ int fd = open("/dev/null", O_RDONLY);
	is_int(fd_set_cloexec(fd, 1), 0, "set cloexec");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "cloexec is set");
	is_int(fd_set_cloexec(fd, 0), 0, "clear cloexec");
	ok(!(fcntl(fd, F_GETFD) & FD_CLOEXEC), "cloexec is clear");
	is_int(fd_set_nonblock(fd, 1), 0, "set nonblock");
	ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "nonblock is set");
	is_int(fd_set_cloexec(-1, 1), -EBADF, "invalid fd gives -EBADF");
}

static void test_open_parent_dir(void) {
	struct stat a, b;
	_cleanup_close_ int fd = open_parent_dir("/etc/hostname");
	ok(fd >= 0 && fstat(fd, &a) == 0 && stat("/etc", &b) == 0 && a.st_ino == b.st_ino,
	   "parent of /etc/hostname is /etc");
	_cleanup_close_ int fd2 = open_parent_dir("/");
	ok(fd2 >= 0, "parent of / is /");
	_cleanup_close_ int fd3 = open_parent_dir("relative-file");
	ok(fd3 >= 0 && fstat(fd3, &a) == 0 && stat(".", &b) == 0 && a.st_ino == b.st_ino,
	   "parent of a bare name is the working directory");
	is_int(open_parent_dir("/nonexistent-dir/x"), -ENOENT, "missing parent gives -ENOENT");
}

int main(void) {
	test_safe_close();
	test_cleanup_close();
	test_close_all_except();
	test_cloexec_nonblock();
	test_open_parent_dir();
	return done_testing();
}
