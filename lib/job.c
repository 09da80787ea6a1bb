/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "job.h"
#include "macro.h"

/* How often a running job's deadline, stop flag and file systems are looked at. */
#define JOB_TICK (250 * USEC_PER_MSEC)

int job_start_full(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid, ConfineStep *ret_step) {
	SpawnOptions o = opts ? *opts : (SpawnOptions) {};

	o.new_session = true;
	o.pdeath_signal = SIGKILL;
	return spawn_full(argv, &o, ret_pid, ret_step);
}

int job_start(const char *const *argv, const SpawnOptions *opts, pid_t *ret_pid) {
	return job_start_full(argv, opts, ret_pid, NULL);
}

int job_kill(pid_t pid) {
	if (pid <= 0)
		return -EINVAL;
	/* The job leads its process group (new session), so its pid is the group's id.
	 * ESRCH: the whole group is gone already; the job itself may still be unreaped. */
	(void) kill(-pid, SIGKILL);
	return kill_and_reap(pid, SIGKILL);
}

int job_free_bytes(const char *path, uint64_t *ret) {
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -errno;
	*ret = (uint64_t) (geteuid() == 0 ? sv.f_bfree : sv.f_bavail) * sv.f_frsize;
	return 0;
}

/* The first watched file system that has been full for the whole grace period. */
static const char *full_for_too_long(const JobWatch *w, usec_t *full_since, size_t n, usec_t t) {
	for (size_t i = 0; i < n; i++) {
		uint64_t avail;
		if (job_free_bytes(w->full_paths[i], &avail) < 0 || avail >= w->full_bytes) {
			full_since[i] = USEC_INFINITY;
			continue;
		}
		if (full_since[i] == USEC_INFINITY)
			full_since[i] = t;
		if (t - full_since[i] >= w->full_grace)
			return w->full_paths[i];
	}
	return NULL;
}

int job_wait(pid_t pid, const JobWatch *watch, JobResult *ret) {
	static const JobWatch none = { .deadline = USEC_INFINITY };
	const JobWatch *w = watch ?: &none;
	usec_t full_since[16];
	size_t n_paths = 0;
	int r, status;

	if (pid <= 0 || !ret)
		return -EINVAL;
	while (w->full_paths && w->full_paths[n_paths] && n_paths < ELEMENTSOF(full_since))
		full_since[n_paths++] = USEC_INFINITY;

	for (;;) {
		usec_t t = now(CLOCK_MONOTONIC);
		JobEnd end = JOB_EXITED;
		const char *full = NULL;

		if (w->stop && *w->stop)
			end = JOB_STOPPED;
		else if (t >= w->deadline)
			end = JOB_TIMED_OUT;
		else if (n_paths > 0 && (full = full_for_too_long(w, full_since, n_paths, t)))
			end = JOB_DISK_FULL;
		if (end != JOB_EXITED) {
			r = job_kill(pid);
			if (r < 0 && r != -ECHILD)
				return r;
			*ret = (JobResult) { .end = end, .status = -1, .full_path = full };
			return 0;
		}

		r = wait_for_exit(pid, MIN(JOB_TICK, usec_sub_unsigned(w->deadline, t)), &status);
		if (r == 0) {
			*ret = (JobResult) { .end = JOB_EXITED, .status = status };
			return 0;
		}
		if (r != -ETIMEDOUT) {
			if (r != -ECHILD)
				(void) job_kill(pid);
			return r;
		}
	}
}
