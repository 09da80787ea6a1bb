/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cluster phase as one of the node's phases (node-phases.h): which configuration this
 * machine uses, what its role allows, and the Cluster that does the work
 * (cluster-phase.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cluster-config.h"
#include "cluster-phase.h"
#include "log.h"
#include "node-phases.h"

/* error, with the reason in *ret (NULL when out of memory). */
static int problem(char **ret, int error, const char *fmt, ...) _printf_(3, 4);
static int problem(char **ret, int error, const char *fmt, ...) {
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret, fmt, ap) < 0)
		*ret = NULL;
	va_end(ap);
	return error;
}

int node_cluster(Node *n, char **ret_problem) {
	const ProfileMachine *machine;
	const char *name;
	NodeRole role;
	int k;

	if (n->cluster)
		return 0;
	k = node_load_image(n);
	if (k < 0)
		return problem(ret_problem, k, "cannot load the image's files (%s, %s): %s", IMAGE_INFO_PATH,
			       IMAGE_PROFILE_PATH, strerror(-k));
	if (!n->image->kubernetes_present)
		return -ENOPKG;

	machine = node_machine(n);
	if (n->profile->n_nodes > 0 && !machine)
		return problem(ret_problem, -ENXIO, "no entry of the profile's nodes[] has this machine's MAC address, "
			       "so there is no kubeadm configuration for it");
	role = machine ? machine->role : n->profile->node.role;
	if (role != NODE_ROLE_SINGLE)
		/* Said, not faked: a joining node needs join material this version cannot get. */
		return problem(ret_problem, -EOPNOTSUPP, "role %s: joining a cluster is not implemented in this version",
			       node_role_to_string(role));

	name = machine ? machine->hostname : CLUSTER_CONFIG_DEFAULT_NAME;
	ClusterSetup setup = {
		.event = n->event,
		.systemd = n->systemd,
		.image_root = n->root,
		.state_dir = n->state_dir,
		.name = name,
	};
	k = cluster_new(&setup, &n->cluster);
	if (k < 0)
		return problem(ret_problem, k, "cannot load this machine's kubeadm configuration %s/%s.yaml: %s",
			       CLUSTER_CONFIG_DIR, name, strerror(-k));
	return 0;
}

int node_phase_cluster(PhaseRunner *r, void *userdata) {
	Node *n = userdata;
	_cleanup_free_ char *problem = NULL;
	int k = node_cluster(n, &problem);

	if (k == -ENOPKG)
		return phase_skipped(r, "not installed");
	if (k < 0)
		return phase_failed(r, k, "%s", problem ?: strerror(-k));
	return cluster_run(n->cluster, r);
}

int node_check_cluster(PhaseRunner *r, void *userdata, char **ret_detail) {
	Node *n = userdata;
	return cluster_check(n->cluster, ret_detail);
}
