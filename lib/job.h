/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A job: an external command that may run for minutes, in a session and process group
 * of its own, watched until it ends or must be stopped.
 *
 * Its own session, because a terminal's ^C is sent to the foreground process group and
 * must reach only us (we decide what stops and how), and because a helper that signals
 * its own process group (mmdebstrap sends SIGHUP to it on errors) must not hit us.
 *
 * It dies with us: its pdeath signal is SIGKILL. A caller that wants everything the job
 * started to die too runs it as the init of a PID namespace of its own (unshare --pid
 * --fork --kill-child): when that init dies, the kernel kills the whole namespace.
 *
 * Stopping a job is SIGKILL to its whole process group, then reaping it. Nothing is
 * asked nicely: what a job leaves behind lies in places its caller owns and removes. */

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "process-util.h"
#include "time-util.h"

typedef enum JobEnd {
	JOB_EXITED,             /* on its own; JobResult.status says how */
	JOB_TIMED_OUT,          /* its deadline passed: stopped */
	JOB_DISK_FULL,          /* a watched file system stayed full: stopped */
	JOB_STOPPED,            /* the caller's stop flag was set: stopped */
} JobEnd;

typedef struct JobWatch {
	usec_t deadline;                        /* CLOCK_MONOTONIC; USEC_INFINITY: none */
	const char *const *full_paths;          /* NULL-terminated: file systems to watch */
	uint64_t full_bytes;                    /* "full": fewer bytes free than this */
	usec_t full_grace;                      /* full this long: the job is stopped */
	volatile sig_atomic_t *stop;            /* nonzero: stop the job (may be NULL) */
} JobWatch;

typedef struct JobResult {
	JobEnd end;
	int status;                             /* shell style, for JOB_EXITED */
	const char *full_path;                  /* for JOB_DISK_FULL: which of full_paths */
} JobResult;

/* spawn() in a new session with SIGKILL as the pdeath signal (opts may be NULL). */
int job_start(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid);
/* job_start(), and the confinement step that failed (spawn_full()). */
int job_start_full(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid, ConfineStep *ret_step);

/* Wait for the job started as pid to end, or stop it as JobWatch says. Returns 0 with
 * *ret telling which; -errno only if waiting itself failed (the job is then stopped). */
int job_wait(pid_t pid, const JobWatch *watch, JobResult *ret);

/* SIGKILL to the job's process group, then reap the job. */
int job_kill(pid_t pid);

/* Bytes a process of ours may still write on the file system holding path: f_bfree for
 * root (it may use the blocks reserved for root), f_bavail otherwise. */
int job_free_bytes(const char *path, uint64_t *ret);
