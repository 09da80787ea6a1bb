/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A job (job.h) watched from an sd-event loop instead of a blocking wait: the loop keeps
 * serving its watchdog, its sockets and its timers while the job runs, and a handler is
 * called from the loop once the job has ended and been reaped.
 *
 * The exit is seen through a pidfd (an io source), so the caller need not block SIGCHLD
 * as sd_event_add_child() requires; where pidfd_open(2) is refused, the job is polled
 * with waitid(WNOHANG) on a short timer instead.
 *
 * At the deadline the job's whole process group gets SIGKILL, and the handler is called
 * once the job has died of it, with JOB_TIMED_OUT: never before it is reaped, so nothing
 * the job started is still running when the caller moves on (a job stuck in the kernel,
 * where SIGKILL cannot reach, keeps its caller waiting rather than piling up). */

#include <sys/types.h>
#include <systemd/sd-event.h>

#include "job.h"
#include "macro.h"
#include "time-util.h"

typedef struct JobEvent JobEvent;

/* Called once, from the loop, with error 0 and the result once the job is reaped; or
 * with -errno and no result when it could not be watched to its end (-ECHILD: someone
 * else reaped it; the job was sent SIGKILL). The handler may free j. */
typedef void (*JobEventHandler)(JobEvent *j, int error, const JobResult *result, void *userdata);

/* Watch pid, a child of this process that leads its own process group (job_start()), on
 * e until it exits or until deadline (CLOCK_MONOTONIC; USEC_INFINITY: none) passes. On
 * failure (-ENOMEM, -EINVAL) the job is left as it was, the caller's to stop. */
int job_event_new(sd_event *e, pid_t pid, usec_t deadline, JobEventHandler handler, void *userdata, JobEvent **ret);

/* Stop watching. A job still running gets SIGKILL (its group too) and is reaped once it
 * is gone, waiting a second at most; one stuck longer (in the kernel) is left a zombie
 * until this process exits. NULL-safe. */
JobEvent *job_event_free(JobEvent *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(JobEvent *, job_event_free);

pid_t job_event_pid(const JobEvent *j);
