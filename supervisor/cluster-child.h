/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A command of the cluster phase (kubeadm, kubectl) run as a child process watched by
 * sd-event, so that the loop keeps serving the watchdog and the status socket while
 * kubeadm init runs for minutes:
 *
 *   - the child runs in a session of its own (job_start()), dies with us, and is killed
 *     as a whole process group at its deadline or when the ClusterChild is freed;
 *   - its stdout and stderr are pipes read by io sources: every line is handed to
 *     on_line as it comes (stdout may instead be captured whole, for kubectl's JSON);
 *   - its exit and its deadline are watched by a JobEvent (lib/job-event.h); on_done runs
 *     once, after the exit, with every byte it wrote read. */

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "time-util.h"

/* Longer lines are handed out in pieces of this size. */
#define CLUSTER_CHILD_LINE_MAX 4096
/* Captured stdout larger than this fails the command (-EFBIG): kube-system's pods as JSON
 * are tens of KiB. */
#define CLUSTER_CHILD_CAPTURE_MAX ((size_t) 16 * 1024 * 1024)

typedef struct ClusterChild ClusterChild;

typedef enum ClusterStream { CLUSTER_STDOUT, CLUSTER_STDERR } ClusterStream;

/* status: the shell-style exit status (0..255, 128+N for signal N); -ETIMEDOUT when the
 * deadline passed and the child was killed; -EFBIG when captured stdout exceeded the
 * limit (killed too). */
typedef void (*ClusterChildDoneFn)(ClusterChild *c, int status, void *userdata);
typedef void (*ClusterChildLineFn)(ClusterChild *c, ClusterStream stream, const char *line, void *userdata);

typedef struct ClusterChildOptions {
	usec_t timeout;                 /* from the start; USEC_INFINITY: none */
	bool capture_stdout;            /* keep stdout for cluster_child_stdout(), not as lines */
	ClusterChildLineFn on_line;     /* may be NULL */
	ClusterChildDoneFn on_done;     /* required; the callback may free the child */
	void *userdata;
	const char *const *env;         /* NULL: the supervisor's environment */
	const char *security;           /* required: its security profile (helper-security.h) */
} ClusterChildOptions;

/* Start argv (argv[0] an absolute path, or searched in $PATH). -errno when it could not
 * be started at all (-ENOENT for a missing binary); on_done is not called then. */
int cluster_child_start(sd_event *e, const char *const *argv, const ClusterChildOptions *opts, ClusterChild **ret);

/* Kill the child's process group if it still runs, reap it, close everything; on_done is
 * not called. NULL-safe. */
ClusterChild *cluster_child_free(ClusterChild *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClusterChild *, cluster_child_free);

/* The captured stdout, NUL-terminated ("" when nothing was written); valid until the
 * child is freed. */
const char *cluster_child_stdout(ClusterChild *c, size_t *ret_size);
pid_t cluster_child_pid(ClusterChild *c);
