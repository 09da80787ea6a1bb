/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "process-util.h"
#include "strv.h"

volatile int build_interrupted;
static volatile pid_t current_child;

/* Only async-signal-safe work here: remember the signal and pass it on to the command
 * that is running, so that it stops and the build can clean up behind it. */
static void on_signal(int sig) {
	build_interrupted = sig;
	pid_t pid = current_child;
	if (pid > 0)
		(void) kill(pid, SIGTERM);
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

int build_exec_start(Build *b, const char *const *argv, const char *const *env, pid_t *ret_pid) {
	_cleanup_(strv_freep) char **full_env = exec_env(b, env);
	if (!full_env)
		return -ENOMEM;

	if (build_interrupted)
		return -EINTR;

	(void) dprintf(b->log_fd, "\n$ ");
	for (const char *const *a = argv; *a; a++)
		(void) dprintf(b->log_fd, "%s ", *a);
	(void) dprintf(b->log_fd, "\n");

	SpawnOptions opts = {
		.stdio = { [STDOUT_FILENO] = SPAWN_STDIO_FROM_FD(b->log_fd),
			   [STDERR_FILENO] = SPAWN_STDIO_FROM_FD(b->log_fd) },
		.env = (const char *const *) full_env,
		.pdeathsig = true,
	};
	return spawn(argv, &opts, ret_pid);
}

int build_exec_wait(Build *b, const char *what, pid_t pid) {
	int status = 0, r;

	current_child = pid;
	do
		r = wait_for_exit(pid, USEC_INFINITY, &status);
	while (r == -EINTR);
	current_child = 0;
	if (r < 0)
		return log_error_errno(r, "%s: waiting for the command failed: %m", what);
	if (build_interrupted)
		return -EINTR;
	if (status != 0) {
		log_error("%s failed (exit status %d). The end of its output:", what, status);
		build_show_log_tail(b, 20);
		return -EPROTO;
	}
	return 0;
}

int build_exec(Build *b, const char *what, const char *const *argv, const char *const *env) {
	pid_t pid;
	int r = build_exec_start(b, argv, env, &pid);
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
		.pdeathsig = true,
	};
	r = capture_command_full(argv, &opts, 600 * USEC_PER_SEC, CAPTURE_SIZE_MAX, &out, NULL, &status);
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

int build_exec_tools(Build *b, const char *what, const char *const *argv) {
	_cleanup_free_ char *fake_time = NULL, *proc = NULL;
	if (asprintf(&proc, "--mount-proc=%s/proc", b->tools_dir) < 0)
		return log_oom();
	/* A private mount and PID namespace with its own /proc in the tools tree (syslinux
	 * finds its image through /proc/PID/fd); it is gone when the command ends. */
	const char *chroot_argv[64] = { "unshare", "--mount", "--pid", "--fork", proc, "chroot", b->tools_dir };
	size_t n = 7;

	for (const char *const *a = argv; *a; a++) {
		if (n + 1 >= ELEMENTSOF(chroot_argv))
			return -E2BIG;
		chroot_argv[n++] = *a;
	}
	chroot_argv[n] = NULL;

	/* e2fsprogs takes its notion of "now" from here; everything else from the epoch. */
	if (asprintf(&fake_time, "E2FSPROGS_FAKE_TIME=%llu", (unsigned long long) b->epoch) < 0)
		return log_oom();
	const char *env[] = { fake_time, NULL };
	return build_exec(b, what, chroot_argv, env);
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
