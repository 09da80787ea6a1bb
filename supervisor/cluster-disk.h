/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What kubeadm left on disk, and kiln's stamp of a formed cluster.
 *
 * The stamp (<state dir>/cluster-formed) is written atomically once kubeadm init has
 * exited 0, or once the API showed that an unstamped init had finished. From then on the
 * node is "formed" for good: its mere presence (whatever its content, even a damaged
 * file) makes every destructive step refuse, so that a formed cluster's etcd data is
 * never deleted by kiln. Only a person removes it.
 *
 * kubeadm's files, all below root ("/" on a node; a directory in the tests):
 *   /etc/kubernetes/{admin,super-admin,kubelet,bootstrap-kubelet,controller-manager,
 *   scheduler}.conf, /etc/kubernetes/manifests/{etcd,kube-apiserver,kube-controller-
 *   manager,kube-scheduler}.yaml, the contents of the certificates directory, /var/lib/
 *   kubelet/{config.yaml,instance-config.yaml,kubeadm-flags.env} and /var/lib/kubelet/pki
 *   (the kubelet's client certificate from that cluster's CA), and the contents of etcd's
 *   data directory. */

#include <stdbool.h>

#include "macro.h"

#define CLUSTER_STAMP_FILE "cluster-formed"

typedef enum ClusterDiskState {
	CLUSTER_DISK_FRESH,        /* none of kubeadm's files */
	CLUSTER_DISK_PARTIAL,      /* some, no stamp: an init cut short */
	CLUSTER_DISK_ADOPTABLE,    /* no stamp, but what a finished init leaves: admin.conf,
	                            * the etcd and API server manifests, etcd's member data */
	CLUSTER_DISK_FORMED,       /* the stamp */
	_CLUSTER_DISK_STATE_MAX,
} ClusterDiskState;

typedef struct ClusterLayout {
	char *root;                /* "/" on a node */
	char *stamp;               /* the stamp's full path (not below root: it is kiln's) */
	char *cert_dir;            /* absolute, below root: certificatesDir */
	char *etcd_data_dir;       /* absolute, below root; NULL with external etcd */
} ClusterLayout;

/* NULL etcd_data_dir: external etcd. Copies everything. */
int cluster_layout_init(ClusterLayout *l, const char *root, const char *state_dir, const char *cert_dir,
			const char *etcd_data_dir);
void cluster_layout_done(ClusterLayout *l);

/* Look at the files: the state, and in *ret_found (may be NULL) the ones present, for
 * the log ("admin.conf, manifests/etcd.yaml"; NULL when none). -errno when a file could
 * not be looked at (other than missing): nothing is concluded then. */
int cluster_disk_inspect(const ClusterLayout *l, ClusterDiskState *ret, char **ret_found);

/* 0 when kubeadm's files may be deleted; -EPERM when the stamp is there; any other error
 * looking at the stamp is returned too, and also means no. Called right before every
 * destructive step. */
int cluster_disk_guard(const ClusterLayout *l);

/* After kubeadm reset: remove whatever is left of kubeadm's files (reset keeps etcd's data
 * when the etcd manifest is gone, and an interrupted reset keeps anything). Guarded.
 * *ret_removed (may be NULL) lists what was removed, NULL when nothing was. */
int cluster_disk_clean(const ClusterLayout *l, char **ret_removed);

/* Write the stamp atomically, with text (one line of JSON saying when and what). */
int cluster_stamp_write(const ClusterLayout *l, const char *text);
/* 1 when the stamp is there, 0 when not, -errno when that cannot be told. */
int cluster_stamp_exists(const ClusterLayout *l);

const char *cluster_disk_state_to_string(ClusterDiskState s);
