/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Spawning and reaping child processes with fd and signal hygiene.
 *
 * The child starts clean whatever the parent's state: every signal at its default
 * disposition and unblocked, stdio as requested, every other fd closed except the ones
 * explicitly kept. Everything is prepared before fork(); the child only makes
 * async-signal-safe system calls, so spawning from a threaded process is fine.
 *
 * Exit statuses are reported shell style: 0..255 for a normal exit, 128+N for a process
 * killed by signal N.
 *
 * Callers must not set SIGCHLD to SIG_IGN (the kernel would reap children behind our
 * back and every wait would fail with -ECHILD). */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "confine.h"
#include "time-util.h"

typedef enum SpawnStdioMode {
	SPAWN_STDIO_DEFAULT,    /* zero: stdin from /dev/null, stdout and stderr inherited */
	SPAWN_STDIO_INHERIT,    /* the parent's fd of the same number */
	SPAWN_STDIO_NULL,       /* /dev/null, read-write */
	SPAWN_STDIO_FD,         /* dup2() of .fd; the caller keeps ownership of .fd */
} SpawnStdioMode;

typedef struct SpawnStdio {
	SpawnStdioMode mode;
	int fd;
} SpawnStdio;

#define SPAWN_STDIO_FROM_FD(f) ((SpawnStdio) { .mode = SPAWN_STDIO_FD, .fd = (f) })

typedef struct SpawnOptions {
	SpawnStdio stdio[3];        /* indexed by STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO */
	const int *keep_fds;        /* fds >= 3 the child inherits under the same numbers */
	size_t n_keep_fds;
	const char *cwd;            /* NULL: the parent's working directory */
	const char *const *env;     /* NULL: the parent's environment */
	int pdeath_signal;          /* sent when the spawning *thread* exits (0: none) */
	bool new_session;           /* setsid(): own session and process group */
	const Confinement *confine; /* applied last before execve() (confine.h); NULL: none */
} SpawnOptions;

/* Start argv[0] with argv, searched in the parent's $PATH when it has no '/'. Only
 * execve() runs, never a shell, so scripts need a "#!" line (else -ENOEXEC).
 * opts may be NULL for the defaults. Returns 0 with the pid in *ret_pid once the child
 * has successfully exec'd; if any step before or including the exec fails, the child is
 * reaped and its -errno returned (-ENOENT for a missing binary or cwd, -EACCES, ...). */
int spawn(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid);

/* spawn(), and when the child failed before execve(), the confinement step that failed in
 * *ret_step (_CONFINE_STEP_NONE for a failure of its own: stdio, cwd, execve). The child
 * exited with that step's exit code (confine.h). */
int spawn_full(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid, ConfineStep *ret_step);

/* The harden-then-exec path without the fork: this process becomes argv[0] (searched as
 * spawn() does), confined by c, with the same steps in the same order as spawn()'s child:
 * every fd but 0..2 closed, then confinement_apply(), then execve(). For a program that is
 * only a front for its command (kiln-confine run under systemd), so that no unconfined
 * parent stays behind. Returns only on failure: -errno, with the confinement step that
 * failed in *ret_step (_CONFINE_STEP_NONE: finding or executing the program). */
int exec_confined(const char *const *argv, const Confinement *c, ConfineStep *ret_step);

/* Wait up to timeout_usec (USEC_INFINITY: forever) for our child pid to exit and reap it.
 * Returns 0 with the shell-style status in *ret_status (may be NULL), -ETIMEDOUT when
 * the child is still running (it is neither killed nor reaped: see kill_and_reap()),
 * -ECHILD when pid is not an unreaped child of ours. */
int wait_for_exit(pid_t pid, usec_t timeout_usec, int *ret_status);

/* Send sig to our child pid and reap it. Blocks until the child is gone, so pass SIGKILL
 * unless the child is known to die of sig. */
int kill_and_reap(pid_t pid, int sig);

/* spawn() with default options (plus SIGTERM as pdeath_signal) and wait. On timeout the child is killed
 * with SIGKILL and reaped, and -ETIMEDOUT returned. */
int run_command(const char *const *argv, usec_t timeout_usec, int *ret_status);

/* Default cap on captured output: larger outputs are an error, not a truncation. */
#define CAPTURE_SIZE_MAX ((size_t) 16U * 1024U * 1024U)

/* Run argv with stdout connected to a pipe and collect it, NUL-terminated, into
 * *ret_stdout with its length (without the NUL) in *ret_size; either may be NULL.
 * stderr is inherited. The timeout covers both reading and exiting: the command is
 * done when it has exited *and* closed its stdout, so a daemonized grandchild that keeps
 * stdout open runs into the timeout. On timeout (-ETIMEDOUT) or output longer than
 * max_size (-EFBIG) the child is killed with SIGKILL and reaped. */
int capture_command_full(const char *const *argv, const SpawnOptions *opts, usec_t timeout_usec,
			 size_t max_size, char **ret_stdout, size_t *ret_size, int *ret_status);

static inline int capture_command(const char *const *argv, usec_t timeout_usec,
				  char **ret_stdout, size_t *ret_size, int *ret_status) {
	return capture_command_full(argv, NULL, timeout_usec, CAPTURE_SIZE_MAX,
				    ret_stdout, ret_size, ret_status);
}
