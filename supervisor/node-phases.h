/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kiln's phases, in order, as a table for the runner (phases.h):
 *
 *   preflight  host checks, fixing what the supervisor may fix         once per boot
 *   runtime    start containerd.service, wait until it answers          once per boot
 *   images     the images image.json lists are in containerd's k8s.io   once per node
 *              namespace, at their digests, pinned (never pulled)
 *   cluster    form a one-node cluster with kubeadm (cluster-phase.h);  once per boot
 *              at later boots: start kubelet and wait (never init again)
 *   addons     apply the image's addons in order, wait until their      once per boot
 *              workloads are available (addons-phase.h); at later boots:
 *              look at them (never apply the same manifests again)
 *   ready      re-check the finished phases, READY=1, KILN-BOOTED      every start
 *   watch      restart containerd.service (and kubelet.service) when   every start
 *              they fail; look at the cluster (never ends) */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "audit-watch.h"
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
/* Units the watch restarts when they fail: containerd, and kubelet on a cluster node. */
#define NODE_WATCHED_MAX 2

typedef struct Node Node;
typedef struct Cluster Cluster;
typedef struct Addons Addons;

/* The watch's repair of one unit. */
typedef struct UnitRepair {
	Node *node;
	const char *unit;
	bool repairing;                /* a restart job is queued */
	bool down;                     /* the last state seen was failed/inactive */
	unsigned failures;             /* restarts in a row that failed */
	sd_event_source *retry;        /* backoff after a failed restart */
} UnitRepair;

struct Node {
	sd_event *event;
	SystemdClient *systemd;        /* not owned */
	PhaseRunner *runner;           /* not owned; set once the runner exists */
	char *root;                    /* the image's files are read below it: "/" on a node */
	int console_fd;                /* STDOUT_FILENO: the unit sends it to the kernel log */
	const char *cmdline_path;      /* "/proc/cmdline" */
	char **ignore_checks;          /* preflight checks whose failure only warns */
	const char *state_dir;         /* the supervisor's state: the cluster's stamp goes there */

	/* Loaded by the first phase that needs them, kept for the process. */
	Profile *profile;
	ImageInfo *image;
	Cluster *cluster;              /* made by the cluster phase (or the watch) when needed */
	Addons *addons;                /* made by the addons phase's first run in this process */
	usec_t addons_wait;            /* each addon's deadline; 0: ADDONS_WAIT_USEC */

	PreflightRun *preflight;       /* preflight: the checks, running or ended */

	sd_event_source *cri_poll;     /* runtime: the next probe of the CRI socket */
	usec_t cri_deadline;           /* CLOCK_MONOTONIC */

	/* What the ready phase reports of this process (CLOCK_MONOTONIC): when main() began,
	 * and the time the runtime phase spent waiting for containerd (its start job and the
	 * probes until the CRI answered). 0: not known. */
	usec_t process_started;
	usec_t runtime_started;
	usec_t containerd_wait;

	UnitRepair watched[NODE_WATCHED_MAX];   /* watch: the units it restarts */
	size_t n_watched;
	char *cluster_summary;         /* watch: the cluster's last look */
	AuditWatch *audit;             /* watch: kilnctl audit, every audit_interval */
	usec_t audit_interval;         /* 0: AUDIT_WATCH_INTERVAL_USEC */
	char *audit_summary;           /* watch: its last verdict */
};

extern const Phase node_phases[];
extern const size_t node_phases_n;

int node_new(sd_event *e, SystemdClient *systemd, const char *root, Node **ret);
Node *node_free(Node *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Node *, node_free);

/* Read image.json and profile.yaml below n->root if not yet done: -ENOENT, -EBADMSG (the
 * profile's problems are logged)... */
int node_load_image(Node *n);

/* Write "<2>KILN-BOOTED <version> <kiln.image= or unknown>" to fd in one write(2), the
 * line the boot tests wait for. fd is standard output, which kiln-supervisor.service
 * connects to the kernel log (StandardOutput=kmsg): journald writes the line there at
 * the priority of its prefix, so it is on the console even with "quiet", and the
 * supervisor itself never opens /dev/kmsg (ProtectKernelLogs=, PrivateDevices=). */
int node_announce_booted(int fd, const char *cmdline_path);
/* "KILN-NODE node=NAME ready=yes kubernetes=V api=ok system-pods=RUNNING/TOTAL", from the
 * cluster phase's last look, to the kernel log the same way (nothing without a look). */
int node_announce_cluster(Node *n);

/* This machine's nodes[] entry, by the MACs of its network cards; NULL: node.role. */
const ProfileMachine *node_machine(Node *n);

/* The cluster phase (cluster-node.c), and the Cluster behind it: made once, from the
 * image's files. -ENOPKG when Kubernetes is not installed; other -errno with the reason
 * in *ret_problem. */
int node_cluster(Node *n, char **ret_problem);
int node_phase_cluster(PhaseRunner *r, void *userdata);
int node_check_cluster(PhaseRunner *r, void *userdata, char **ret_detail);

/* The addons phase (addons-node.c). */
int node_phase_addons(PhaseRunner *r, void *userdata);
int node_check_addons(PhaseRunner *r, void *userdata, char **ret_detail);

/* The watch phase (node-watch.c). */
int node_phase_runtime(PhaseRunner *r, void *userdata);
int node_check_runtime(PhaseRunner *r, void *userdata, char **ret_detail);
int node_phase_watch(PhaseRunner *r, void *userdata);
