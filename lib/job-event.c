/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "job-event.h"
#include "process-util.h"

/* Without a pidfd: how often the job is looked at. Short, because a job's caller usually
 * waits for it; a waitid(WNOHANG) costs a microsecond. */
#define JOB_EVENT_POLL (50 * USEC_PER_MSEC)

struct JobEvent {
	pid_t pid;                        /* 0 once reaped */
	int pidfd;
	sd_event_source *exit_source;     /* the pidfd's io source, or the poll timer */
	sd_event_source *deadline_source;
	bool killed;                      /* the deadline passed: SIGKILL sent */
	JobEventHandler handler;
	void *userdata;
};

pid_t job_event_pid(const JobEvent *j) {
	return j ? j->pid : 0;
}

static void job_event_kill(JobEvent *j) {
	/* The job leads its process group (job_start()); a caller's own starter may not have
	 * made it one, so the job itself too. ESRCH: gone already. */
	(void) kill(-j->pid, SIGKILL);
	(void) kill(j->pid, SIGKILL);
}

/* 1 when the job was reaped and the handler called (j may be freed by now), 0 when it is
 * still running. */
static int job_event_reap(JobEvent *j) {
	JobResult result;
	int r, status = -1;

	r = wait_for_exit(j->pid, 0, &status);
	if (r == -ETIMEDOUT)
		return 0;
	result = (JobResult) {
		.end = j->killed ? JOB_TIMED_OUT : JOB_EXITED,
		.status = j->killed ? -1 : status,
	};
	j->pid = 0;
	j->exit_source = sd_event_source_disable_unref(j->exit_source);
	j->deadline_source = sd_event_source_disable_unref(j->deadline_source);
	j->pidfd = safe_close(j->pidfd);
	/* Last: the handler may free j. */
	j->handler(j, MIN(r, 0), r < 0 ? NULL : &result, j->userdata);
	return 1;
}

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
	(void) job_event_reap(userdata);
	return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
	JobEvent *j = userdata;

	int r;

	if (job_event_reap(j) > 0)
		return 0;
	r = sd_event_source_set_time_relative(s, JOB_EVENT_POLL);
	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	if (r < 0) {
		/* Cannot look again: the job must not run on unwatched. It stays unreaped
		 * (j->pid), for job_event_free() to try once more. */
		job_event_kill(j);
		j->exit_source = sd_event_source_disable_unref(j->exit_source);
		j->deadline_source = sd_event_source_disable_unref(j->deadline_source);
		j->handler(j, r, NULL, j->userdata);
	}
	return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
	JobEvent *j = userdata;

	/* Not waited for here: the exit source reports the death, from the loop. */
	j->killed = true;
	job_event_kill(j);
	j->deadline_source = sd_event_source_disable_unref(j->deadline_source);
	return 0;
}

int job_event_new(sd_event *e, pid_t pid, usec_t deadline, JobEventHandler handler, void *userdata, JobEvent **ret) {
	JobEvent *j;
	int r;

	if (!e || pid <= 0 || !handler || !ret)
		return -EINVAL;
	j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	*j = (JobEvent) { .pid = pid, .pidfd = -EBADF, .handler = handler, .userdata = userdata };

#ifdef SYS_pidfd_open
	/* Our unreaped child keeps its pid, so opening it by number is race-free. */
	j->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
#endif
	if (j->pidfd >= 0)
		r = sd_event_add_io(e, &j->exit_source, j->pidfd, EPOLLIN, on_pidfd, j);
	else
		r = sd_event_add_time_relative(e, &j->exit_source, CLOCK_MONOTONIC, JOB_EVENT_POLL, USEC_PER_MSEC, on_poll, j);
	if (r >= 0)
		(void) sd_event_source_set_description(j->exit_source, "job-exit");
	if (r >= 0 && deadline != USEC_INFINITY) {
		r = sd_event_add_time(e, &j->deadline_source, CLOCK_MONOTONIC, deadline, USEC_PER_MSEC, on_deadline, j);
		if (r >= 0)
			(void) sd_event_source_set_description(j->deadline_source, "job-deadline");
	}
	if (r < 0) {
		/* The job stays the caller's: not killed here. */
		j->pid = 0;
		job_event_free(j);
		return r;
	}
	*ret = j;
	return 0;
}

JobEvent *job_event_free(JobEvent *j) {
	if (!j)
		return NULL;
	if (j->pid > 0) {
		job_event_kill(j);
		/* SIGKILL takes effect at once unless the job is stuck in the kernel: a short
		 * bound, not a blocking wait. */
		(void) wait_for_exit(j->pid, USEC_PER_SEC, NULL);
	}
	sd_event_source_disable_unref(j->exit_source);
	sd_event_source_disable_unref(j->deadline_source);
	safe_close(j->pidfd);
	free(j);
	return NULL;
}
