/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child-test.h"
#include "fd-util.h"
#include "process-util.h"
#include "tap.h"

#define SEC (5 * USEC_PER_SEC)

/* True when every child we ever had is reaped: no zombie, nothing running. */
static bool no_children_left(void) {
	errno = 0;
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

/* Capture argv's stdout with opts; returns the text or NULL (and diagnoses why). */
static char *run_capture(const char *const *argv, const SpawnOptions *opts, int *ret_status) {
	char *out = NULL;
	int r = capture_command_full(argv, opts, SEC, CAPTURE_SIZE_MAX, &out, NULL, ret_status);
	if (r < 0)
		diag("capture of %s failed: %s", argv[0], strerror(-r));
	return out;
}

static void test_exit_status(void) {
	pid_t pid = -1;
	int st = -1;

	is_int(spawn(ARGV("/bin/true"), NULL, &pid), 0, "spawn /bin/true");
	ok(pid > 0, "spawn returns a pid");
	is_int(wait_for_exit(pid, SEC, &st), 0, "wait_for_exit /bin/true");
	is_int(st, 0, "/bin/true exits 0");
	st = -1;
	is_int(run_command(ARGV("false"), SEC, &st), 0, "run_command false (found in $PATH)");
	is_int(st, 1, "false exits 1");
	is_int(run_command(ARGV("sh", "-c", "exit 42"), SEC, &st), 0, "run_command sh -c 'exit 42'");
	is_int(st, 42, "exit status 42 reported");
	is_int(run_command(ARGV("sh", "-c", "kill -9 $$"), SEC, &st), 0, "run_command of a self-killing shell");
	is_int(st, 128 + SIGKILL, "killed by SIGKILL reports 137");
	is_int(run_command(ARGV("sh", "-c", "kill -TERM $$"), SEC, &st), 0, "run_command of a SIGTERM'd shell");
	is_int(st, 128 + SIGTERM, "killed by SIGTERM reports 143");
	ok(no_children_left(), "all children reaped");
}

static void test_spawn_failures(const char *tmp) {
	_cleanup_free_ char *noexec = NULL, *garbage = NULL;
	_cleanup_close_ int closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid = -4711;
	int st = -4711;

	is_int(spawn(ARGV("kiln-no-such-binary"), NULL, &pid), -ENOENT, "missing binary in $PATH: -ENOENT");
	is_int(spawn(ARGV("/nonexistent/kiln-bin"), NULL, &pid), -ENOENT,
	       "missing absolute path (execve in the child): -ENOENT");
	is_int(pid, -4711, "ret_pid untouched on failure");
	ok(no_children_left(), "failed exec leaves no zombie");

	ok(asprintf(&noexec, "%s/noexec", tmp) > 0 && asprintf(&garbage, "%s/garbage", tmp) > 0, "paths");
	int fd = open(noexec, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ok(fd >= 0 && write(fd, "#!/bin/sh\n", 10) == 10, "write a script without x bits");
	safe_close(fd);
	is_int(spawn(ARGV(noexec), NULL, &pid), -EACCES, "file without x bits: -EACCES from the child");
	fd = open(garbage, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	ok(fd >= 0 && write(fd, "\x01\x02garbage\n", 10) == 10, "write an executable without #! or ELF header");
	safe_close(fd);
	is_int(spawn(ARGV(garbage), NULL, &pid), -ENOEXEC, "no shell fallback: -ENOEXEC");
	is_int(spawn(ARGV("/bin/true"), &(SpawnOptions) { .cwd = "/nonexistent-kiln" }, &pid), -ENOENT,
	       "missing cwd: chdir failure in the child is reported");
	is_int(pid, -4711, "ret_pid still untouched");
	ok(no_children_left(), "children of failed spawns are reaped");

	is_int(run_command(ARGV("kiln-no-such-binary"), SEC, &st), -ENOENT, "run_command of a missing binary");
	is_int(st, -4711, "ret_status untouched on failure");
	is_int(spawn(ARGV(NULL), NULL, &pid), -EINVAL, "empty argv: -EINVAL");
	is_int(spawn(ARGV("true"), NULL, NULL), -EINVAL, "no ret_pid: -EINVAL");
	is_int(spawn(ARGV("true"), &(SpawnOptions) { .keep_fds = (int[]) { 1 }, .n_keep_fds = 1 }, &pid),
	       -EINVAL, "keeping a stdio fd: -EINVAL");
	int dead = closed;
	closed = safe_close(closed);
	is_int(spawn(ARGV("true"), &(SpawnOptions) { .keep_fds = &dead, .n_keep_fds = 1 }, &pid),
	       -EBADF, "keeping a closed fd: -EBADF");
	is_int(spawn(ARGV("true"), &(SpawnOptions) { .stdio[1] = SPAWN_STDIO_FROM_FD(dead) }, &pid),
	       -EBADF, "stdout from a closed fd: -EBADF");
	ok(no_children_left(), "still no children");
}

static void test_timeouts(void) {
	usec_t t0 = now(CLOCK_MONOTONIC), dt;
	pid_t pid;
	int st = -4711;

	is_int(run_command(ARGV("sleep", "10"), 200 * USEC_PER_MSEC, &st), -ETIMEDOUT,
	       "sleep 10 with a 200 ms timeout: -ETIMEDOUT");
	dt = now(CLOCK_MONOTONIC) - t0;
	ok(dt >= 200 * USEC_PER_MSEC && dt < USEC_PER_SEC, "timed out after 200 ms..1 s (%llu ms)",
	   (unsigned long long) (dt / USEC_PER_MSEC));
	is_int(st, -4711, "ret_status untouched on timeout");
	ok(no_children_left(), "timed out child was killed and reaped");

	ok(spawn(ARGV("sleep", "10"), NULL, &pid) == 0, "spawn sleep 10");
	is_int(wait_for_exit(pid, 100 * USEC_PER_MSEC, &st), -ETIMEDOUT, "wait_for_exit times out");
	is_int(wait_for_exit(pid, 0, &st), -ETIMEDOUT, "zero timeout only polls");
	ok(kill(pid, 0) == 0, "wait_for_exit neither kills nor reaps on timeout");
	is_int(kill_and_reap(pid, SIGKILL), 0, "kill_and_reap");
	ok(no_children_left(), "kill_and_reap leaves no zombie");
	is_int(wait_for_exit(pid, 0, &st), -ECHILD, "waiting for a reaped pid: -ECHILD");
	is_int(wait_for_exit(0, 0, &st), -EINVAL, "pid 0 is rejected, not 'any child'");
	is_int(st, -4711, "ret_status untouched by failed waits");

	t0 = now(CLOCK_MONOTONIC);
	ok(spawn(ARGV("sh", "-c", "sleep 0.2; exit 5"), NULL, &pid) == 0, "spawn a 200 ms child");
	is_int(wait_for_exit(pid, 10 * SEC, &st), 0, "wait_for_exit returns on exit, long before the timeout");
	dt = now(CLOCK_MONOTONIC) - t0;
	ok(st == 5 && dt < 2 * USEC_PER_SEC, "status 5 after %llu ms", (unsigned long long) (dt / USEC_PER_MSEC));
}

static void test_wait_without_pidfd(void) {
	pid_t helper = fork();
	if (helper == 0) {
		int st = -1;
		if (child_block_pidfd_open() < 0)
			_exit(77);
		if (syscall(SYS_pidfd_open, getpid(), 0) >= 0 || errno != ENOSYS)
			_exit(10);
		usec_t t0 = now(CLOCK_MONOTONIC);
		if (run_command(ARGV("sleep", "10"), 200 * USEC_PER_MSEC, &st) != -ETIMEDOUT)
			_exit(11);
		if (now(CLOCK_MONOTONIC) - t0 > USEC_PER_SEC)
			_exit(12);
		t0 = now(CLOCK_MONOTONIC);
		if (run_command(ARGV("sh", "-c", "sleep 0.1; exit 7"), SEC, &st) < 0 || st != 7)
			_exit(13);
		if (now(CLOCK_MONOTONIC) - t0 > USEC_PER_SEC / 2)     /* noticed soon, not at the timeout */
			_exit(15);
		_exit(no_children_left() ? 0 : 14);
	}
	int st = -1;
	pid_t w = helper > 0 ? waitpid(helper, &st, 0) : -1;
	ok(w == helper && WIFEXITED(st), "helper without pidfd_open ran");
	if (WEXITSTATUS(st) == 77)
		skip(1, "cannot install a seccomp filter here");
	else
		ok(WEXITSTATUS(st) == 0, "polling fallback: timeout and exit status work (helper exit %d)",
		   WEXITSTATUS(st));
}

static void test_fd_hygiene(void) {
	int leak = open("/dev/null", O_RDONLY), high = dup2(leak, 100), st = -1;
	_cleanup_free_ char *out = NULL, *kept = NULL;

	ok(leak >= 3 && high == 100 && fcntl(leak, F_GETFD) == 0 && fcntl(high, F_GETFD) == 0,
	   "fds %d and 100 are open without O_CLOEXEC", leak);
	/* ls runs as a child of the shell so that listing the shell's fds opens none in it;
	 * the trailing ":" stops dash from exec'ing its last command in place. */
	out = run_capture(ARGV("sh", "-c", "LC_ALL=C ls /proc/$$/fd; :"), NULL, &st);
	is_str(out, "0\n1\n2\n", "child has exactly stdin, stdout and stderr");
	kept = run_capture(ARGV("sh", "-c", "LC_ALL=C ls /proc/$$/fd; :"),
			   &(SpawnOptions) { .keep_fds = &high, .n_keep_fds = 1 }, &st);
	is_str(kept, "0\n1\n100\n2\n", "an fd in keep_fds is inherited under its number");
	safe_close(leak);
	safe_close(high);
}

static uint64_t status_mask(const char *status, const char *key) {
	const char *p = status ? strstr(status, key) : NULL;
	return p ? strtoull(p + strlen(key), NULL, 16) : UINT64_MAX;
}

static uint64_t sigbit(int sig) {
	return UINT64_C(1) << (sig - 1);
}

static void test_signals(void) {
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_term;
	sigset_t usr1, old_mask, cur;
	_cleanup_free_ char *child = NULL;
	char buf[8192] = "";
	int st = -1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ok(sigaction(SIGTERM, &ign, &old_term) == 0 && sigprocmask(SIG_BLOCK, &usr1, &old_mask) == 0,
	   "ignore SIGTERM, block SIGUSR1 in the parent");
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	safe_close(fd);
	ok(n > 0 && (status_mask(buf, "SigIgn:") & sigbit(SIGTERM)) && (status_mask(buf, "SigBlk:") & sigbit(SIGUSR1)),
	   "precondition: the parent's /proc status shows them");

	child = run_capture(ARGV("cat", "/proc/self/status"), NULL, &st);
	is_int(status_mask(child, "SigIgn:"), 0, "nothing ignored in the child");
	is_int(status_mask(child, "SigBlk:"), 0, "nothing blocked in the child");

	ok(sigprocmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGINT) &&
	   !sigismember(&cur, SIGCHLD), "the parent's mask is restored after spawn");
	sigaction(SIGTERM, &old_term, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
}

static void test_capture(void) {
	char *out = NULL;
	size_t size = 0;
	int st = -1;
	usec_t t0;

	is_int(capture_command(ARGV("printf", "a\\000b\\nc"), SEC, &out, &size, &st), 0, "capture printf");
	ok(out && size == 5 && memcmp(out, "a\0b\nc", 5) == 0 && out[5] == '\0' && st == 0,
	   "exact bytes including an embedded NUL, NUL-terminated (size %zu)", size);
	free(out);
	out = NULL;
	is_int(capture_command(ARGV("true"), SEC, &out, &size, &st), 0, "capture of no output");
	ok(out && out[0] == '\0' && size == 0, "empty, allocated string");
	free(out);
	out = run_capture(ARGV("sh", "-c", "printf x; exit 3"), NULL, &st);
	ok(out && streq(out, "x") && st == 3, "output and exit status 3 together");
	free(out);
	out = NULL;

	is_int(capture_command_full(ARGV("head", "-c", "1000000", "/dev/zero"), NULL, SEC, 1000000,
				    &out, &size, &st), 0, "capture exactly max_size bytes");
	ok(out && size == 1000000 && out[0] == 0 && out[999999] == 0 && out[1000000] == 0, "1000000 bytes");
	free(out);
	out = NULL;
	is_int(capture_command_full(ARGV("head", "-c", "1000001", "/dev/zero"), NULL, SEC, 1000000,
				    &out, &size, &st), -EFBIG, "one byte over max_size: -EFBIG");
	ok(!out && no_children_left(), "nothing returned, child reaped");

	t0 = now(CLOCK_MONOTONIC);
	is_int(capture_command(ARGV("sh", "-c", "echo hi; exec sleep 10"), 200 * USEC_PER_MSEC, &out, &size, &st),
	       -ETIMEDOUT, "capture of a hanging command: -ETIMEDOUT");
	ok(!out && now(CLOCK_MONOTONIC) - t0 < USEC_PER_SEC && no_children_left(),
	   "within 1 s, nothing returned, child reaped");
	is_int(capture_command(ARGV("true"), SEC, NULL, NULL, NULL), 0, "all outputs optional");
}

static void test_options(const char *tmp) {
	_cleanup_free_ char *env = NULL, *inherited = NULL, *root = NULL, *cwd = NULL, *real = NULL;
	_cleanup_free_ char *stdin_null = NULL, *piped = NULL, *sid = NULL, *nosid = NULL;
	int st = -1, p[2];

	env = run_capture(ARGV("sh", "-c", "echo \"$KILN_A:${KILN_B-unset}:${HOME-none}\""),
			  &(SpawnOptions) { .env = ARGV("KILN_A=1") }, &st);
	is_str(env, "1:unset:none\n", "env replaces the environment");
	setenv("KILN_TEST_INHERIT", "yes", 1);
	inherited = run_capture(ARGV("sh", "-c", "echo $KILN_TEST_INHERIT"), NULL, &st);
	is_str(inherited, "yes\n", "env NULL inherits the parent's environment");

	root = run_capture(ARGV("pwd"), &(SpawnOptions) { .cwd = "/" }, &st);
	is_str(root, "/\n", "cwd /");
	real = realpath(tmp, NULL);
	cwd = run_capture(ARGV("pwd"), &(SpawnOptions) { .cwd = tmp }, &st);
	ok(real && cwd && strneq(cwd, real, strlen(real)) && streq(cwd + strlen(real), "\n"), "cwd %s", tmp);

	/* Our own stdin may already be /dev/null (it is under meson): make it a pipe for the
	 * moment, so that only the default can produce /dev/null in the child. */
	int saved_stdin = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	ok(saved_stdin >= 0 && pipe2(p, O_CLOEXEC) == 0 && dup2(p[0], STDIN_FILENO) == STDIN_FILENO,
	   "our stdin is a pipe");
	stdin_null = run_capture(ARGV("readlink", "/proc/self/fd/0"), NULL, &st);
	ok(dup2(saved_stdin, STDIN_FILENO) == STDIN_FILENO, "stdin restored");
	safe_close(saved_stdin), safe_close(p[0]), safe_close(p[1]);
	is_str(stdin_null, "/dev/null\n", "stdin defaults to /dev/null");
	ok(pipe2(p, O_CLOEXEC) == 0 && write(p[1], "hello", 5) == 5, "pipe with input");
	p[1] = safe_close(p[1]);
	piped = run_capture(ARGV("cat"), &(SpawnOptions) { .stdio[0] = SPAWN_STDIO_FROM_FD(p[0]) }, &st);
	is_str(piped, "hello", "stdin from an fd");
	safe_close(p[0]);

	sid = run_capture(ARGV("sh", "-c", "cut -d' ' -f6 /proc/$$/stat; echo $$"),
			  &(SpawnOptions) { .new_session = true }, &st);
	const char *nl = sid ? strchr(sid, '\n') : NULL;
	ok(nl && atol(sid) > 0 && atol(sid) == atol(nl + 1) && atol(sid) != getsid(0),
	   "new_session: the child's session id is its own pid");
	nosid = run_capture(ARGV("sh", "-c", "cut -d' ' -f6 /proc/$$/stat"), NULL, &st);
	ok(nosid && atol(nosid) == getsid(0), "without it the child stays in our session");
}

/* Redirections the child must untangle: stdout to our fd 2 and stderr to our fd 1 (both
 * below 3), and stdout to /dev/null. Done in a helper so our own stdio stays intact. */
static void test_stdio_swap(void) {
	int a[2], b[2];
	char bufa[64] = "", bufb[64] = "";

	ok(pipe(a) == 0 && pipe(b) == 0, "pipes");
	pid_t helper = fork();
	if (helper == 0) {
		pid_t pid;
		int st = -1;
		if (dup2(a[1], STDOUT_FILENO) < 0 || dup2(b[1], STDERR_FILENO) < 0)
			_exit(10);
		SpawnOptions o = {
			.stdio[1] = SPAWN_STDIO_FROM_FD(STDERR_FILENO),
			.stdio[2] = SPAWN_STDIO_FROM_FD(STDOUT_FILENO),
		};
		if (spawn(ARGV("sh", "-c", "echo out; echo err >&2"), &o, &pid) < 0 ||
		    wait_for_exit(pid, SEC, &st) < 0 || st != 0)
			_exit(11);
		/* dash applies "cmd >&2" in the shell itself, so look at the shell's fd 1 from
		 * a command substitution, which has no redirection of its own. */
		o = (SpawnOptions) { .stdio[1] = { .mode = SPAWN_STDIO_NULL } };
		if (spawn(ARGV("sh", "-c", "echo hidden; t=$(readlink /proc/$$/fd/1); echo $t >&2"), &o, &pid) < 0 ||
		    wait_for_exit(pid, SEC, &st) < 0 || st != 0)
			_exit(12);
		_exit(0);
	}
	safe_close(a[1]);
	safe_close(b[1]);
	int st = -1;
	pid_t w = waitpid(helper, &st, 0);
	ok(w == helper && WIFEXITED(st) && WEXITSTATUS(st) == 0, "helper ran (status 0x%x)", st);
	ok(read(a[0], bufa, sizeof bufa - 1) >= 0 && read(b[0], bufb, sizeof bufb - 1) >= 0, "read both");
	is_str(bufa, "err\n", "stderr went to the fd given (the parent's stdout)");
	is_str(bufb, "out\n/dev/null\n", "stdout went to the parent's stderr; SPAWN_STDIO_NULL is /dev/null");
	safe_close(a[0]);
	safe_close(b[0]);
}

/* With our stdio closed, pipe2() and open() hand out 0..2: our internal pipes must not
 * turn into the child's inherited stdio (had the error pipe leaked into the child, spawn()
 * would only return when the child exits), nor may /dev/null sit on a number that a
 * later redirection overwrites. */
static void test_closed_stdio(void) {
	pid_t helper = fork();
	if (helper == 0) {
		SpawnOptions inherit = { .stdio[0].mode = SPAWN_STDIO_INHERIT, .stdio[1].mode = SPAWN_STDIO_INHERIT };
		char *out = NULL;
		pid_t pid;
		int st;

		close(STDIN_FILENO);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		usec_t t0 = now(CLOCK_MONOTONIC);
		if (spawn(ARGV("sleep", "1"), &inherit, &pid) < 0)
			_exit(10);
		if (now(CLOCK_MONOTONIC) - t0 > 500 * USEC_PER_MSEC)
			_exit(11);
		if (kill_and_reap(pid, SIGKILL) < 0)
			_exit(12);
		inherit.stdio[2].mode = SPAWN_STDIO_NULL;
		if (capture_command_full(ARGV("sh", "-c", "[ -e /proc/$$/fd/0 ] && echo stdin; echo out; echo err >&2"),
					 &inherit, SEC, 100, &out, NULL, &st) < 0)
			_exit(13);
		_exit(out && streq(out, "out\n") ? 0 : 14);
	}
	int st = -1;
	pid_t w = waitpid(helper, &st, 0);
	ok(w == helper && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "closed stdio: stays closed, /dev/null where asked, spawn does not hang (status 0x%x)", st);
}

/* pdeathsig: the spawner exits, the child gets SIGTERM. We become a subreaper so that the
 * orphan is reparented to us and its fate can be read. */
static void test_pdeathsig(bool deathsig) {
	int p[2], st = -1;
	pid_t child = -1;

	ok(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 && pipe2(p, O_CLOEXEC) == 0, "subreaper and pipe");
	pid_t helper = fork();
	if (helper == 0) {
		pid_t pid = -1;
		int r = spawn(ARGV("sleep", "10"), &(SpawnOptions) { .pdeath_signal = deathsig ? SIGTERM : 0 }, &pid);
		_exit(r < 0 || write(p[1], &pid, sizeof pid) != (ssize_t) sizeof pid);
	}
	safe_close(p[1]);
	bool spawned = waitpid(helper, &st, 0) == helper && st == 0 &&
		       read(p[0], &child, sizeof child) == (ssize_t) sizeof child;
	ok(spawned && child > 0, "helper spawned sleep (pid %d) and exited", (int) child);
	safe_close(p[0]);
	if (deathsig) {
		is_int(wait_for_exit(child, SEC, &st), 0, "orphan with pdeathsig exits");
		is_int(st, 128 + SIGTERM, "... killed by SIGTERM");
	} else {
		is_int(wait_for_exit(child, 300 * USEC_PER_MSEC, &st), -ETIMEDOUT, "orphan without pdeathsig lives on");
		is_int(kill_and_reap(child, SIGKILL), 0, "kill it");
	}
	(void) prctl(PR_SET_CHILD_SUBREAPER, 0);
	ok(no_children_left(), "no children left");
}

int main(void) {
	_cleanup_free_ char *tmp = tap_mkdtemp();
	if (!tmp)
		skip_all("cannot create a temporary directory");

	test_exit_status();
	test_spawn_failures(tmp);
	test_timeouts();
	test_wait_without_pidfd();
	test_fd_hygiene();
	test_signals();
	test_capture();
	test_options(tmp);
	test_stdio_swap();
	test_closed_stdio();
	test_pdeathsig(true);
	test_pdeathsig(false);
	(void) rm_rf(tmp);
	return done_testing();
}
