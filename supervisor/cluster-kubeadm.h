/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kubeadm init and kubeadm reset as children of the loop (cluster-child.h). Every line
 * they print goes to the journal as it comes, with KILN_PHASE=cluster and
 * KILN_COMMAND=kubeadm-init (or -reset), at a priority read from the line (kubeadm's
 * "[ERROR ...]", "error: ...", klog's E/W/I prefixes), so that
 * "journalctl KILN_PHASE=cluster" tells the whole story. Its error lines are kept for
 * the phase's lastError.
 *
 *   kubeadm init --config <file> --skip-token-print
 *       The configuration says everything; --skip-token-print (a flag kubeadm allows next
 *       to --config) keeps the bootstrap token, join material, out of the journal. No
 *       --ignore-preflight-errors: kiln handles what a preflight check would find (files
 *       of an earlier init) before it runs init, so each preflight error is real. No
 *       --skip-phases: every phase of init is needed.
 *   kubeadm reset --force
 *       Works offline (kubeadm v1.37.2, seen: without an API it takes etcd's data
 *       directory from the etcd manifest, stops the kubelet, removes containers through
 *       the CRI, and deletes its files; each part that cannot be done is a warning, exit
 *       0). Run only for an init cut short, never on a formed node (cluster-disk.h). */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cluster-child.h"
#include "macro.h"
#include "time-util.h"

#define CLUSTER_KUBEADM "/usr/bin/kubeadm"
/* reset stops a unit and removes containers: minutes at most, even under emulation. */
#define CLUSTER_RESET_TIMEOUT_USEC (5 * USEC_PER_MINUTE)
/* Error lines kept for lastError. */
#define CLUSTER_KUBEADM_ERRORS_MAX 6

typedef enum ClusterKubeadmVerb { CLUSTER_KUBEADM_INIT, CLUSTER_KUBEADM_RESET, _CLUSTER_KUBEADM_VERB_MAX } ClusterKubeadmVerb;

typedef struct ClusterKubeadm ClusterKubeadm;

/* status as cluster-child.h. The callback may free the command. */
typedef void (*ClusterKubeadmDoneFn)(ClusterKubeadm *k, int status, void *userdata);

typedef struct ClusterKubeadmOptions {
	const char *kubeadm;            /* the binary */
	const char *systemd_run;        /* NULL: "systemd-run" from $PATH */
	ClusterKubeadmVerb verb;
	const char *config;             /* init: the configuration file */
	usec_t timeout;
	ClusterKubeadmDoneFn done;
	void *userdata;
} ClusterKubeadmOptions;

int cluster_kubeadm_start(sd_event *e, const ClusterKubeadmOptions *opts, ClusterKubeadm **ret);
ClusterKubeadm *cluster_kubeadm_free(ClusterKubeadm *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClusterKubeadm *, cluster_kubeadm_free);

/* Why it failed, in kubeadm's words: its final "error: ..." line first, then its other
 * error lines ("[ERROR Port-6443]: Port 6443 is in use"), "; "-separated; NULL when it
 * printed none. Valid until the command is freed. */
const char *cluster_kubeadm_errors(ClusterKubeadm *k);
pid_t cluster_kubeadm_pid(ClusterKubeadm *k);

/* The journal priority of one line of kubeadm's output; error lines are LOG_ERR. */
int cluster_kubeadm_line_priority(ClusterStream stream, const char *line);
/* Lines that only point at --v=5: logged, never an error of their own. */
bool cluster_kubeadm_line_is_hint(const char *line);

const char *cluster_kubeadm_verb_to_string(ClusterKubeadmVerb v);
