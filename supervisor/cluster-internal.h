/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the cluster phase (cluster-phase.c) and the cluster's watch (cluster-watch.c)
 * share: one Cluster per supervisor, made by the phase's first run. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cluster-config.h"
#include "cluster-corefile.h"
#include "cluster-disk.h"
#include "cluster-health.h"
#include "cluster-kubeadm.h"
#include "cluster-phase.h"
#include "cluster-probe.h"
#include "cluster-table.h"
#include "phases.h"
#include "systemd-client.h"

struct Cluster {
	sd_event *event;
	SystemdClient *systemd;        /* not owned */
	PhaseRunner *runner;           /* not owned; set while the phase runs */

	char *name;                    /* of the configuration: nodes[] entry, or "node" */
	char *config_path;             /* <root>/usr/lib/kiln/kubeadm/<name>.yaml */
	char *corefile_path;           /* <root>/usr/lib/kiln/kubeadm/Corefile */
	char *kubeconfig;              /* /etc/kubernetes/admin.conf */
	ClusterConfig *config;
	ClusterLayout layout;
	ClusterKubectlSetup kubectl;   /* points into the strings above */

	/* The phase. */
	ClusterState state;
	ClusterAction waiting_for;     /* the action whose callback may come; late ones are dropped */
	ClusterKubeadm *kubeadm;
	ClusterProbe *probe;
	ClusterCorefile *corefile;
	sd_bus_slot *enable_slot;
	sd_event_source *poll;         /* the next probe, after a "not yet" */
	sd_event_source *deadline;     /* of the current state */
	int error;                     /* -errno to fail with, 0 when none */
	char *problem;                 /* what the last failing or waiting action said */
	char *note;                    /* the phase's last published detail */
	usec_t cpu_started;            /* our own CPU time when the phase started */

	/* What the phase's and the watch's probes saw: kilnctl status shows it. */
	ClusterHealth health;

	/* The watch (after the ready phase). */
	ClusterProbe *watch_probe;
	sd_event_source *watch_timer;
	ClusterWatchFn watch_notify;
	void *watch_userdata;
	char *watch_summary;           /* the last summary, to report changes once */
	bool watch_healthy;
};

/* The addons init installs, unless the configuration disables them. */
static inline bool cluster_want_dns(const Cluster *c) {
	return !c->config->dns_disabled;
}
static inline bool cluster_want_proxy(const Cluster *c) {
	return !c->config->proxy_disabled;
}
