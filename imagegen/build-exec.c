/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every external command of a build runs here, the same way (lib/job.h):
 *   - in a session of its own: a terminal's ^C reaches kiln only, and a helper that
 *     signals its own process group (mmdebstrap's SIGHUP on errors) reaches itself only;
 *   - as the init of a PID and mount namespace of its own (unshare --pid --fork
 *     --kill-child --mount): whatever it starts dies with it, whatever it mounts is gone
 *     with it, even when kiln itself is killed with SIGKILL (the wrapper's pdeath signal
 *     is SIGKILL, and --kill-child passes it on to the namespace's init);
 *   - under a deadline, and stopped when a file system the build writes stays full
 *     (mkfs.erofs, for one, waits forever after ENOSPC);
 *   - stopped by SIGKILL to its process group on SIGINT, SIGTERM or SIGHUP.
 * Output goes to the build log; on failure the relevant lines of it are shown. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "build-space.h"
#include "fd-util.h"
#include "fileio.h"
#include "job.h"
#include "log.h"
#include "strv.h"

volatile sig_atomic_t build_interrupted;

/* A file system with less than this free, for this long, is full: the command writing
 * to it will not finish. */
#define FULL_BYTES (UINT64_C(1) << 20)
#define FULL_GRACE (5 * USEC_PER_SEC)

/* At most the root file system's and the tools tree's mmdebstrap run at once. */
typedef struct BuildJob {
	pid_t pid;
	usec_t deadline, timeout;
	off_t log_start;
} BuildJob;
static BuildJob jobs[4];
static volatile pid_t job_pids[ELEMENTSOF(jobs)];   /* for the signal handler */

/* Async-signal-safe only: remember the signal and kill every running command's process
 * group; the waits see the flag and reap. */
static void on_signal(int sig) {
	build_interrupted = sig;
	for (size_t i = 0; i < ELEMENTSOF(job_pids); i++) {
		pid_t pid = job_pids[i];
		if (pid > 0)
			(void) kill(-pid, SIGKILL);
	}
}

void build_install_signal_handlers(void) {
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART: waits return */
	sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGINT, &sa, NULL);
	(void) sigaction(SIGTERM, &sa, NULL);
	(void) sigaction(SIGHUP, &sa, NULL);
}

/* The environment of every command: nothing of the caller's but PATH, so the output does
 * not depend on who runs the build. */
static char **exec_env(Build *b, const char *const *extra) {
	char **env = NULL;
	char *e = NULL;

	if (strv_extend(&env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
	    strv_extend(&env, "LC_ALL=C.UTF-8") < 0 ||
	    strv_extend(&env, "TZ=UTC") < 0 ||
	    strv_extend(&env, "MTOOLS_SKIP_CHECK=1") < 0 ||
	    asprintf(&e, "SOURCE_DATE_EPOCH=%llu", (unsigned long long) b->epoch) < 0 ||
	    strv_consume(&env, e) < 0)
		return strv_free(env);
	STRV_FOREACH(x, extra)
		if (strv_extend(&env, *x) < 0)
			return strv_free(env);
	return env;
}

/* unshare ... [chroot ROOT] ARGV: the namespaces every command runs in. */
static char **namespaced_argv(const char *chroot_dir, const char *const *argv) {
	_cleanup_free_ char *proc = NULL;
	char **full = NULL;

	if (chroot_dir ? asprintf(&proc, "--mount-proc=%s/proc", chroot_dir) < 0 : !(proc = strdup("--mount-proc")))
		return NULL;
	if (strv_extend_many(&full, "unshare", "--mount", "--pid", "--fork", "--kill-child", proc, NULL) < 0 ||
	    (chroot_dir && strv_extend_many(&full, "chroot", chroot_dir, NULL) < 0))
		return strv_free(full);
	for (const char *const *a = argv; *a; a++)
		if (strv_extend(&full, *a) < 0)
			return strv_free(full);
	return full;
}

static BuildJob *job_slot(pid_t pid) {
	for (size_t i = 0; i < ELEMENTSOF(jobs); i++)
		if (jobs[i].pid == pid)
			return &jobs[i];
	return NULL;
}

static void job_forget(BuildJob *j) {
	job_pids[j - jobs] = 0;
	*j = (BuildJob) {};
}

static int exec_start(Build *b, const char *chroot_dir, const char *const *argv, const char *const *env,
		      usec_t timeout, pid_t *ret_pid) {
	_cleanup_(strv_freep) char **full_env = exec_env(b, env);
	_cleanup_(strv_freep) char **full_argv = namespaced_argv(chroot_dir, argv);
	BuildJob *slot = job_slot(0);
	pid_t pid;
	int r;

	if (!full_env || !full_argv)
		return -ENOMEM;
	if (!slot)
		return -EBUSY;
	if (build_interrupted)
		return -EINTR;

	off_t start = lseek(b->log_fd, 0, SEEK_END);
	(void) dprintf(b->log_fd, "\n$ ");
	for (const char *const *a = argv; *a; a++)
		(void) dprintf(b->log_fd, "%s ", *a);
	(void) dprintf(b->log_fd, "\n");

	SpawnOptions opts = {
		.stdio = { [STDOUT_FILENO] = SPAWN_STDIO_FROM_FD(b->log_fd),
			   [STDERR_FILENO] = SPAWN_STDIO_FROM_FD(b->log_fd) },
		.env = (const char *const *) full_env,
	};
	r = job_start((const char *const *) full_argv, &opts, &pid);
	if (r < 0)
		return r;
	*slot = (BuildJob) { .pid = pid, .timeout = timeout, .deadline = usec_add(now(CLOCK_MONOTONIC), timeout),
			     .log_start = start < 0 ? 0 : start };
	job_pids[slot - jobs] = pid;
	*ret_pid = pid;
	return 0;
}

int build_exec_start(Build *b, const char *const *argv, const char *const *env, usec_t timeout, pid_t *ret_pid) {
	return exec_start(b, NULL, argv, env, timeout, ret_pid);
}

/* The lines of the command's output that say it ran out of room: the tail of a failed
 * dpkg run is dependency noise, the cause is hundreds of lines earlier. */
static bool output_says_no_space(Build *b, off_t from) {
	_cleanup_free_ char *data = NULL;
	size_t size = 0;
	unsigned shown = 0;

	if (!b->log_path || read_full_file(b->log_path, &data, &size) < 0 || (size_t) from > size)
		return false;
	for (char *l = data + from, *nl; l && *l && shown < 5; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		/* The kernel's words, and apt's when it checks before downloading. */
		if (strstr(l, "No space left on device") || strstr(l, "ENOSPC") ||
		    strstr(l, "You don't have enough free space")) {
			if (shown++ == 0)
				log_error("Its output says it ran out of disk space:");
			fprintf(stderr, "  %s\n", l);
		}
	}
	return shown > 0;
}

/* A command failed: was a file system the build writes full? Tools do not all say so
 * (mkfs.vfat names the write that failed, not why). */
static const char *full_file_system(Build *b) {
	const char *paths[] = { b->cache_dir, b->output_parent };
	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		uint64_t avail;
		if (paths[i] && job_free_bytes(paths[i], &avail) >= 0 && avail < FULL_BYTES)
			return paths[i];
	}
	return NULL;
}

int build_exec_wait(Build *b, const char *what, pid_t pid) {
	BuildJob *j = job_slot(pid);
	const char *full_paths[3] = { b->cache_dir, b->output_parent, NULL };
	JobResult res;
	int r;

	if (!j || pid <= 0)
		return log_error_errno(-ECHILD, "%s: not a running command of this build.", what);
	JobWatch w = {
		.deadline = j->deadline, .full_paths = full_paths, .full_bytes = FULL_BYTES,
		.full_grace = FULL_GRACE, .stop = &build_interrupted,
	};
	r = job_wait(pid, &w, &res);
	BuildJob done = *j;
	job_forget(j);
	if (r < 0)
		return log_error_errno(r, "%s: waiting for the command failed: %m", what);

	switch (res.end) {
	case JOB_STOPPED:
		return -EINTR;
	case JOB_TIMED_OUT:
		log_error("%s did not finish within %llu s: stopped it and everything it started.", what,
			  (unsigned long long) (done.timeout / USEC_PER_SEC));
		build_show_log_tail(b, 10);
		return -ETIMEDOUT;
	case JOB_DISK_FULL:
		log_error("%s: the file system holding %s has been full for %llu s: stopped it and everything it started.",
			  what, res.full_path, (unsigned long long) (FULL_GRACE / USEC_PER_SEC));
		(void) output_says_no_space(b, done.log_start);
		b->full_path = res.full_path;
		return -ENOSPC;
	case JOB_EXITED:
		break;
	}
	if (build_interrupted)
		return -EINTR;
	if (res.status == 0)
		return 0;
	log_error("%s failed (exit status %d).", what, res.status);
	bool said = output_says_no_space(b, done.log_start);
	const char *full = full_file_system(b);
	if (said || full) {
		if (full)
			b->full_path = full;
		return -ENOSPC;
	}
	log_error("The end of its output:");
	build_show_log_tail(b, 20);
	return -EPROTO;
}

int build_exec(Build *b, const char *what, const char *const *argv, const char *const *env, usec_t timeout) {
	pid_t pid;
	int r = build_exec_start(b, argv, env, timeout, &pid);
	if (r < 0)
		return log_error_errno(r, "%s: could not start %s: %m", what, argv[0]);
	return build_exec_wait(b, what, pid);
}

int build_exec_capture(Build *b, const char *what, const char *const *argv, const char *const *env,
		       char **ret_output) {
	_cleanup_(strv_freep) char **full_env = exec_env(b, env);
	_cleanup_free_ char *out = NULL;
	int status = 0, r;

	if (!full_env)
		return log_oom();
	SpawnOptions opts = {
		.stdio = { [STDERR_FILENO] = SPAWN_STDIO_FROM_FD(b->log_fd) },
		.env = (const char *const *) full_env,
		.new_session = true,
		.pdeath_signal = SIGKILL,
	};
	r = capture_command_full(argv, &opts, BUILD_TIMEOUT_QUICK, CAPTURE_SIZE_MAX, &out, NULL, &status);
	if (r < 0)
		return log_error_errno(r, "%s: running %s failed: %m", what, argv[0]);
	if (status != 0) {
		log_error("%s failed (exit status %d).", what, status);
		build_show_log_tail(b, 20);
		return -EPROTO;
	}
	*ret_output = TAKE_PTR(out);
	return 0;
}

int build_exec_tools(Build *b, const char *what, const char *const *argv, usec_t timeout) {
	_cleanup_free_ char *fake_time = NULL;
	pid_t pid;
	int r;

	/* e2fsprogs takes its notion of "now" from here; everything else from the epoch. */
	if (asprintf(&fake_time, "E2FSPROGS_FAKE_TIME=%llu", (unsigned long long) b->epoch) < 0)
		return log_oom();
	const char *env[] = { fake_time, NULL };
	/* Its own /proc in the tools tree: syslinux finds its image through /proc/PID/fd. */
	r = exec_start(b, b->tools_dir, argv, env, timeout, &pid);
	if (r < 0)
		return log_error_errno(r, "%s: could not start %s: %m", what, argv[0]);
	return build_exec_wait(b, what, pid);
}

int build_expect_output(Build *b, const char *tool, const char *path) {
	struct stat st;
	int r = 0;

	/* A damaged tool may "succeed" without doing anything (an empty file run by a shell
	 * exits 0): name the tool, not the missing file. */
	if (stat(path, &st) < 0)
		r = -errno;
	else if (st.st_size == 0)
		r = -ENODATA;
	if (r < 0)
		return log_error_errno(r, "%s (in %s) exited with status 0 but did not write %s: the tool is damaged or broken.",
				       tool, b->tools_dir, path);
	return 0;
}

void build_show_log_tail(Build *b, unsigned lines) {
	_cleanup_free_ char *data = NULL;
	size_t size = 0;

	if (!b->log_path || read_full_file(b->log_path, &data, &size) < 0 || size == 0)
		return;
	/* Find the start of the last "lines" lines. */
	size_t i = size;
	unsigned seen = 0;
	if (i > 0 && data[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (data[i - 1] == '\n' && ++seen == lines)
			break;
		i--;
	}
	fprintf(stderr, "%s", data + i);
	if (size > 0 && data[size - 1] != '\n')
		fputc('\n', stderr);
	fprintf(stderr, "(the whole log: %s)\n", b->log_path);
}

char *build_work_path(Build *b, const char *name) {
	char *p = NULL;
	return asprintf(&p, "%s/%s", b->work_dir, name) < 0 ? NULL : p;
}

char *build_tools_path(Build *b, const char *name) {
	char *p = NULL;
	return asprintf(&p, "%s/%s", b->work_in_tools, name) < 0 ? NULL : p;
}
