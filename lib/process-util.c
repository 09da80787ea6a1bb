/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "process-util.h"

/* What a shell reports for a command it could not run; the parent reaps such a child
 * itself and reports the errno, so this number is only seen by tracers. */
#define EXIT_SPAWN_FAILED 127

/* Resolve argv[0] in the parent, so the child does not have to allocate, and so a missing
 * binary is reported without forking at all. Empty $PATH elements mean the working
 * directory to execvp(); we skip them, running whatever lies in the cwd is not wanted. */
static int find_executable(const char *name, char **ret) {
	const char *path = getenv("PATH") ?: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	int r = -ENOENT;

	if (strchr(name, '/')) {
		char *p = strdup(name);
		if (!p)
			return -ENOMEM;
		*ret = p;
		return 0;
	}

	for (const char *p = path;; p++) {
		size_t len = strcspn(p, ":");
		if (len > 0) {
			_cleanup_free_ char *c = NULL;
			struct stat st;

			if (asprintf(&c, "%.*s/%s", (int) MIN(len, (size_t) INT_MAX), p, name) < 0)
				return -ENOMEM;
			if (stat(c, &st) >= 0 && S_ISREG(st.st_mode)) {
				if (access(c, X_OK) >= 0) {
					*ret = TAKE_PTR(c);
					return 0;
				}
				r = -EACCES;    /* keep looking, but report this if nothing better turns up */
			}
		}
		p += len;
		if (!*p)
			return r;
	}
}

/* What a child that could not exec tells its parent. */
typedef struct ChildReport {
	int error;              /* errno, > 0 */
	int step;               /* ConfineStep, or _CONFINE_STEP_NONE */
} ChildReport;

_noreturn_ static void child_fail_step(int err_fd, int error, ConfineStep step) {
	ChildReport rep = { .error = error > 0 ? error : EIO, .step = step };
	/* A pipe with room for two ints cannot fail here; if it did, the parent would see
	 * EOF, take it for success and later reap a child that exited with the code below. */
	ssize_t n = write(err_fd, &rep, sizeof rep);
	(void) n;
	_exit(step == _CONFINE_STEP_NONE ? EXIT_SPAWN_FAILED : confine_step_exit_code(step));
}

_noreturn_ static void child_fail(int err_fd, int error) {
	child_fail_step(err_fd, error, _CONFINE_STEP_NONE);
}

/* Duplicate fd to a number >= 3 with O_CLOEXEC, so that the later dup2() onto 0..2 cannot
 * overwrite a source another stdio slot still needs. */
static int fd_dup_above_stdio(int fd) {
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return r < 0 ? -errno : r;
}

/* The tail spawn()'s child and exec_confined() share, in confine.h's order: every fd but
 * except[] closed (the first n_inherit of those made inheritable), the working directory,
 * the confinement, execve(). Async-signal-safe. Returns only on failure: -errno, and in
 * *ret_step the step that failed (_CONFINE_STEP_NONE for one outside the confinement). */
static int harden_and_exec(const char *path, const char *const *argv, const char *const *env,
			   const int *except, size_t n_except, size_t n_inherit, const char *cwd,
			   const Confinement *c, ConfineStep *ret_step) {
	int r;

	*ret_step = _CONFINE_STEP_NONE;
	r = close_all_fds_except(except, n_except);
	if (r < 0) {
		if (c)
			*ret_step = CONFINE_STEP_FDS;
		return r;
	}
	for (size_t i = 0; i < n_inherit; i++) {
		r = fd_set_cloexec(except[i], 0);
		if (r < 0)
			return r;
	}
	if (cwd && chdir(cwd) < 0)
		return negative_errno();
	if (c) {
		r = confinement_apply(c, ret_step);
		if (r < 0)
			return r;
	}
	/* execve() does not modify its arrays; the casts only drop const. */
	execve(path, (char *const *) argv, env ? (char *const *) env : environ);
	return negative_errno();
}

/* Runs in the forked child: async-signal-safe system calls only, no allocation, no
 * stdio, no locks. Every failure goes back to the parent through err_fd (O_CLOEXEC, so
 * a successful execve() shows up there as EOF). */
_noreturn_ static void child_exec(const char *path, const char *const *argv, const SpawnOptions *o,
				  const int *except, size_t n_except, int err_r, int err_fd, pid_t parent) {
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t empty;
	int src[3], null_fd = -EBADF, r;

	(void) close(err_r);
	/* Dispositions first, then the mask: the parent blocked everything around fork(), so
	 * no handler of the parent can run in here, and once we unblock all are default. The
	 * few signals that cannot be changed (SIGKILL, SIGSTOP, glibc internal) fail with
	 * EINVAL, which is fine. */
	for (int sig = 1; sig < _NSIG; sig++)
		(void) sigaction(sig, &sa, NULL);
	if (sigemptyset(&empty) < 0 || sigprocmask(SIG_SETMASK, &empty, NULL) < 0)
		child_fail(err_fd, errno);

	if (o->pdeath_signal > 0) {
		if (prctl(PR_SET_PDEATHSIG, o->pdeath_signal) < 0)
			child_fail(err_fd, errno);
		/* The parent may have died before prctl(): then nobody will send it. */
		if (getppid() != parent) {
			(void) raise(o->pdeath_signal);
			child_fail(err_fd, ESRCH);
		}
	}

	if (o->new_session && setsid() < 0)
		child_fail(err_fd, errno);

	for (int i = 0; i < 3; i++) {
		SpawnStdioMode m = o->stdio[i].mode;
		if (m == SPAWN_STDIO_DEFAULT)
			m = i == STDIN_FILENO ? SPAWN_STDIO_NULL : SPAWN_STDIO_INHERIT;

		src[i] = -EBADF;
		if (m == SPAWN_STDIO_NULL) {
			if (null_fd < 0) {
				/* Moved up: it may land on a stdio number that is to stay closed. */
				r = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
				null_fd = r < 0 ? -errno : fd_dup_above_stdio(r);
				if (null_fd < 0)
					child_fail(err_fd, -null_fd);
				(void) close(r);
			}
			src[i] = null_fd;
		} else if (m == SPAWN_STDIO_FD) {
			src[i] = fd_dup_above_stdio(o->stdio[i].fd);
			if (src[i] < 0)
				child_fail(err_fd, -src[i]);
		}
	}
	for (int i = 0; i < 3; i++) {
		if (src[i] >= 0) {
			if (dup2(src[i], i) < 0)   /* dup2() clears O_CLOEXEC on the copy */
				child_fail(err_fd, errno);
		} else {
			/* Inherited: must survive execve() even if the parent marked it O_CLOEXEC.
			 * A stdio fd closed in the parent stays closed. */
			r = fd_set_cloexec(i, 0);
			if (r < 0 && r != -EBADF)
				child_fail(err_fd, -r);
		}
	}

	/* This also closes the temporary copies made above (they are not in the list); the
	 * last fd kept, err_fd, stays close-on-exec. */
	ConfineStep step = _CONFINE_STEP_NONE;
	r = harden_and_exec(path, argv, o->env, except, n_except, n_except - 1, o->cwd, o->confine, &step);
	child_fail_step(err_fd, -r, step);
}

int exec_confined(const char *const *argv, const Confinement *c, ConfineStep *ret_step) {
	_cleanup_free_ char *path = NULL;
	int except[1], r;
	size_t n_except = 0;

	*ret_step = _CONFINE_STEP_NONE;
	if (!argv || isempty(argv[0]) || !c)
		return -EINVAL;
	r = find_executable(argv[0], &path);
	if (r < 0)
		return r;
	if (confinement_keep_fd(c) >= 0)
		except[n_except++] = confinement_keep_fd(c);
	return harden_and_exec(path, argv, NULL, except, n_except, 0, NULL, c, ret_step);
}

/* pipe2(O_CLOEXEC) with both ends above 2. With stdio closed in the parent the kernel
 * would hand out 0..2, and the child would take our pipe for its inherited stdio. */
static int pipe_above_stdio(int ret[2]) {
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return negative_errno();
	for (int i = 0; i < 2; i++) {
		int fd = p[i] < 3 ? fd_dup_above_stdio(p[i]) : p[i];
		if (fd != p[i])
			safe_close(p[i]);
		if (fd < 0) {
			safe_close(p[1 - i]);
			return fd;
		}
		p[i] = fd;
	}
	ret[0] = p[0];
	ret[1] = p[1];
	return 0;
}

static int validate_fd(int fd) {
	return fd < 0 || fcntl(fd, F_GETFD) < 0 ? -EBADF : 0;
}

int spawn(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid) {
	return spawn_full(argv, opts, ret_pid, NULL);
}

int spawn_full(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid, ConfineStep *ret_step) {
	static const SpawnOptions defaults = {};
	const SpawnOptions *o = opts ?: &defaults;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ int *except = NULL;
	_cleanup_close_ int err_r = -EBADF, err_w = -EBADF;
	sigset_t all, saved;
	int p[2], r;
	ChildReport rep = {};
	size_t n_except;
	pid_t pid, parent = getpid();
	ssize_t n;

	if (ret_step)
		*ret_step = _CONFINE_STEP_NONE;
	if (!argv || isempty(argv[0]) || !ret_pid || (o->n_keep_fds > 0 && !o->keep_fds) ||
	    o->n_keep_fds >= INT_MAX)
		return -EINVAL;
	for (size_t i = 0; i < o->n_keep_fds; i++) {
		if (o->keep_fds[i] < 3)     /* 0..2 are configured through .stdio */
			return -EINVAL;
		if (validate_fd(o->keep_fds[i]) < 0)
			return -EBADF;
	}
	for (size_t i = 0; i < 3; i++) {
		if ((unsigned) o->stdio[i].mode > SPAWN_STDIO_FD)
			return -EINVAL;
		if (o->stdio[i].mode == SPAWN_STDIO_FD && validate_fd(o->stdio[i].fd) < 0)
			return -EBADF;
	}

	r = find_executable(argv[0], &path);
	if (r < 0)
		return r;

	/* The kept fds, then the confinement's own (closed once used), then the error pipe. */
	except = calloc(o->n_keep_fds + 2, sizeof(int));
	if (!except)
		return -ENOMEM;
	if (o->n_keep_fds > 0)
		memcpy(except, o->keep_fds, o->n_keep_fds * sizeof(int));
	n_except = o->n_keep_fds;
	if (confinement_keep_fd(o->confine) >= 0)
		except[n_except++] = confinement_keep_fd(o->confine);

	r = pipe_above_stdio(p);
	if (r < 0)
		return r;
	err_r = p[0];
	err_w = except[n_except++] = p[1];

	/* Block everything across fork(), so that a handler of ours cannot run in the child
	 * before it has reset the dispositions (it would act on the parent's behalf, e.g.
	 * write to the parent's event loop pipe). */
	if (sigfillset(&all) < 0)
		return negative_errno();
	r = pthread_sigmask(SIG_SETMASK, &all, &saved);
	if (r != 0)
		return -r;
	pid = fork();
	if (pid == 0)
		child_exec(path, argv, o, except, n_except, err_r, err_w, parent);
	r = pid < 0 ? negative_errno() : 0;
	(void) pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (r < 0)
		return r;

	/* Our copy of the write end must go, or EOF never comes. */
	err_w = safe_close(err_w);
	do
		n = read(err_r, &rep, sizeof rep);
	while (n < 0 && errno == EINTR);

	if (n == 0) {
		*ret_pid = pid;
		return 0;
	}
	if (n == (ssize_t) sizeof rep && rep.error > 0 && rep.step >= _CONFINE_STEP_NONE && rep.step < _CONFINE_STEP_MAX) {
		/* The child reported and is exiting on its own. */
		siginfo_t si;
		while (waitid(P_PID, (id_t) pid, &si, WEXITED) < 0 && errno == EINTR)
			;
		if (ret_step)
			*ret_step = (ConfineStep) rep.step;
		return -rep.error;
	}
	/* Garbled report: we do not know what the child is doing, make sure it is gone. */
	r = n < 0 ? negative_errno() : -EIO;
	(void) kill_and_reap(pid, SIGKILL);
	return r;
}

/* Reap pid if it has terminated: 1 when reaped, 0 when still running (only without
 * block), -errno on failure. Stopped children are not reported (no WSTOPPED). */
static int reap(pid_t pid, bool block, int *ret_status) {
	siginfo_t si = {};

	while (waitid(P_PID, (id_t) pid, &si, WEXITED | (block ? 0 : WNOHANG)) < 0)
		if (errno != EINTR)
			return negative_errno();
	if (si.si_pid == 0)     /* WNOHANG and nothing to reap yet */
		return 0;
	if (ret_status)
		*ret_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	return 1;
}

int wait_for_exit(pid_t pid, usec_t timeout_usec, int *ret_status) {
	usec_t deadline = usec_add(now(CLOCK_MONOTONIC), timeout_usec);
	usec_t nap = USEC_PER_MSEC;
	_cleanup_close_ int pidfd = -EBADF;
	int r;

	/* waitid(P_PID) needs a real pid; 0 or -1 would silently mean "any child". */
	if (pid <= 0)
		return -EINVAL;

	r = reap(pid, false, ret_status);
	if (r != 0)
		return MIN(r, 0);
	if (timeout_usec == 0)
		return -ETIMEDOUT;

	/* A pidfd lets poll() sleep exactly until the exit. Our unreaped child keeps its pid,
	 * so opening it by number is race-free. Without one (old kernel, seccomp, fd limit)
	 * fall back to polling waitid() with a growing nap. pidfds are always O_CLOEXEC. */
#ifdef SYS_pidfd_open
	pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
#endif

	for (;;) {
		usec_t left = usec_sub_unsigned(deadline, now(CLOCK_MONOTONIC));
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		/* Without a pidfd, poll() of no fds is a nap growing from 1 ms to 50 ms. */
		if (pidfd < 0) {
			left = MIN(left, nap);
			nap = MIN(nap * 2, 50 * USEC_PER_MSEC);
		}
		if (poll(&pfd, pidfd >= 0, usec_to_poll_timeout(left)) < 0 && errno != EINTR)
			return negative_errno();

		r = reap(pid, false, ret_status);
		if (r != 0)
			return MIN(r, 0);
		if (now(CLOCK_MONOTONIC) >= deadline)
			return -ETIMEDOUT;
	}
}

int kill_and_reap(pid_t pid, int sig) {
	if (pid <= 0)
		return -EINVAL;
	/* An unreaped child, even a zombie, keeps its pid, so ESRCH means it is not our
	 * child at all; waitid() then says -ECHILD. */
	if (kill(pid, sig) < 0 && errno != ESRCH)
		return negative_errno();
	return MIN(reap(pid, true, NULL), 0);
}

/* For callers that own the child for good: whatever went wrong (r < 0), it must not
 * outlive the call. -ECHILD: someone else reaped it, the pid may already be reused. */
static int kill_on_error(pid_t pid, int r) {
	if (r < 0 && r != -ECHILD)
		(void) kill_and_reap(pid, SIGKILL);
	return r;
}

int run_command(const char *const *argv, usec_t timeout_usec, int *ret_status) {
	const SpawnOptions o = { .pdeath_signal = SIGTERM };
	pid_t pid;
	int r, status;

	r = spawn(argv, &o, &pid);
	if (r < 0)
		return r;
	r = kill_on_error(pid, wait_for_exit(pid, timeout_usec, &status));
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = status;
	return 0;
}

static int read_all_until(int fd, usec_t deadline, size_t max_size, char **buf, size_t *size) {
	size_t allocated = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char chunk[16384];
		ssize_t k;
		int n;

		n = poll(&pfd, 1, usec_to_poll_timeout(usec_sub_unsigned(deadline, now(CLOCK_MONOTONIC))));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		if (n == 0)     /* poll() rounds up, so the deadline has passed */
			return -ETIMEDOUT;

		k = read(fd, chunk, sizeof chunk);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0)
			return 0;
		if ((size_t) k > max_size - *size)
			return -EFBIG;
		if (*size + (size_t) k + 1 > allocated) {
			/* Double, but never past what the cap allows (+1 for the NUL). */
			size_t want = MIN(MAX(*size + (size_t) k + 1, allocated * 2), max_size + 1);
			char *nb = realloc(*buf, want);
			if (!nb)
				return -ENOMEM;
			*buf = nb;
			allocated = want;
		}
		memcpy(*buf + *size, chunk, (size_t) k);
		*size += (size_t) k;
	}
}

int capture_command_full(const char *const *argv, const SpawnOptions *opts, usec_t timeout_usec,
			 size_t max_size, char **ret_stdout, size_t *ret_size, int *ret_status) {
	usec_t deadline = usec_add(now(CLOCK_MONOTONIC), timeout_usec);
	SpawnOptions o = opts ? *opts : (SpawnOptions) { .pdeath_signal = SIGTERM };
	_cleanup_close_ int out_r = -EBADF, out_w = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	int p[2], r, status;
	pid_t pid;

	/* Keeps size + 1 from overflowing and sizes within what read() can report. */
	max_size = MIN(max_size, (size_t) SSIZE_MAX - 1);

	r = pipe_above_stdio(p);
	if (r < 0)
		return r;
	out_r = p[0];
	out_w = p[1];

	o.stdio[STDOUT_FILENO] = SPAWN_STDIO_FROM_FD(out_w);
	r = spawn(argv, &o, &pid);
	if (r < 0)
		return r;
	/* Our copy of the write end must go, or EOF never comes. */
	out_w = safe_close(out_w);

	r = read_all_until(out_r, deadline, max_size, &buf, &size);
	if (r >= 0)
		r = wait_for_exit(pid, usec_sub_unsigned(deadline, now(CLOCK_MONOTONIC)), &status);
	if (kill_on_error(pid, r) < 0)
		return r;

	if (ret_stdout) {
		if (!buf) {
			buf = malloc(1);
			if (!buf)
				return -ENOMEM;
		}
		buf[size] = '\0';
		*ret_stdout = TAKE_PTR(buf);
	}
	if (ret_size)
		*ret_size = size;
	if (ret_status)
		*ret_status = status;
	return 0;
}
