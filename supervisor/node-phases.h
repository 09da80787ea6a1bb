/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kiln's phases, in order, as a table for the runner (phases.h):
 *
 *   preflight  host checks, fixing what the supervisor may fix         once per boot
 *   runtime    start containerd.service, wait until it answers          once per boot
 *   images     the images image.json lists are in containerd's k8s.io   once per node
 *              namespace, at their digests, pinned (never pulled)
 *   cluster    form or join the cluster (not in this version)          once per node
 *   addons     apply the addons in order (not in this version)         once per node
 *   ready      re-check the finished phases, READY=1, KILN-BOOTED      every start
 *   watch      restart containerd.service when it fails (never ends)   every start */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "image-info.h"
#include "phases.h"
#include "preflight.h"
#include "profile.h"
#include "systemd-client.h"
#include "time-util.h"

#define NODE_CONTAINERD_UNIT "containerd.service"
/* The runtime phase polls the CRI socket this often, for at most this long. */
#define NODE_CRI_POLL_USEC (200 * USEC_PER_MSEC)
#define NODE_CRI_TIMEOUT_USEC (60 * USEC_PER_SEC)

typedef struct Node {
	sd_event *event;
	SystemdClient *systemd;        /* not owned */
	PhaseRunner *runner;           /* not owned; set once the runner exists */
	char *root;                    /* the image's files are read below it: "/" on a node */
	const char *kmsg_path;         /* "/dev/kmsg" */
	const char *cmdline_path;      /* "/proc/cmdline" */
	char **ignore_checks;          /* preflight checks whose failure only warns */

	/* Loaded by the first phase that needs them, kept for the process. */
	Profile *profile;
	ImageInfo *image;

	PreflightRun *preflight;       /* preflight: the checks, running or ended */

	sd_event_source *cri_poll;     /* runtime: the next probe of the CRI socket */
	usec_t cri_deadline;           /* CLOCK_MONOTONIC */

	/* What the ready phase reports of this process (CLOCK_MONOTONIC): when main() began,
	 * and the time the runtime phase spent waiting for containerd (its start job and the
	 * probes until the CRI answered). 0: not known. */
	usec_t process_started;
	usec_t runtime_started;
	usec_t containerd_wait;

	bool repairing;                /* watch: a restart job is queued */
	bool containerd_down;          /* watch: the last state seen was failed/inactive */
	unsigned repair_failures;      /* watch: restarts in a row that failed */
	sd_event_source *repair_retry; /* watch: backoff after a failed restart */
} Node;

extern const Phase node_phases[];
extern const size_t node_phases_n;

int node_new(sd_event *e, SystemdClient *systemd, const char *root, Node **ret);
Node *node_free(Node *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Node *, node_free);

/* Read image.json and profile.yaml below n->root if not yet done: -ENOENT, -EBADMSG (the
 * profile's problems are logged)... */
int node_load_image(Node *n);

/* Write "KILN-BOOTED <version> <kiln.image= or unknown>" to the kernel log at priority 2
 * (shown on the console even with "quiet"), the line the boot tests wait for. */
int node_announce_booted(const char *kmsg_path, const char *cmdline_path);

/* The watch phase (node-watch.c). */
int node_phase_runtime(PhaseRunner *r, void *userdata);
int node_check_runtime(PhaseRunner *r, void *userdata, char **ret_detail);
int node_phase_watch(PhaseRunner *r, void *userdata);
