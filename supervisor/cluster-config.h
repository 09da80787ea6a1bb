/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the supervisor reads of the kubeadm configuration baked into the image
 * (/usr/lib/kiln/kubeadm/<NAME>.yaml, written by kiln-imagegen's renderer): where kubeadm
 * will put its files (to tell a fresh node from an init cut short), the node's name (to
 * find its Node), whether the DNS and proxy addons are on (to know what "every kube-system
 * workload" must include) and kubeadm's own timeouts (to size init's deadline).
 *
 * kubeadm alone judges the file: a document this reader does not understand is left to
 * kubeadm init, which refuses a bad configuration with its own words. So parsing is
 * lenient: fields that are missing or not understood keep kubeadm's defaults. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "time-util.h"

#define CLUSTER_CONFIG_DIR "/usr/lib/kiln/kubeadm"
/* The name of the configuration of a profile without nodes[]. */
#define CLUSTER_CONFIG_DEFAULT_NAME "node"

typedef struct ClusterTimeouts {
	usec_t control_plane_health;    /* controlPlaneComponentHealthCheck, default 4m */
	usec_t kubelet_health;          /* kubeletHealthCheck, default 4m */
	usec_t api_call;                /* kubernetesAPICall, default 1m */
	usec_t etcd_api_call;           /* etcdAPICall, default 2m */
} ClusterTimeouts;

typedef struct ClusterConfig {
	bool has_init;                  /* an InitConfiguration document */
	bool has_join;                  /* a JoinConfiguration document */
	char *node_name;                /* nodeRegistration.name; NULL: kubeadm's default (host name) */
	char *cert_dir;                 /* certificatesDir */
	char *etcd_data_dir;            /* etcd.local.dataDir; NULL with external etcd */
	bool dns_disabled;              /* dns.disabled: no CoreDNS */
	bool proxy_disabled;            /* proxy.disabled: no kube-proxy */
	ClusterTimeouts timeouts;
} ClusterConfig;

/* Parse text (one or more YAML documents). -EBADMSG when it is not YAML at all; fields
 * of the wrong type are ignored (kubeadm will say). *ret is untouched on failure. */
int cluster_config_parse(const char *text, size_t size, ClusterConfig **ret);
/* Read and parse path: -ENOENT when missing. */
int cluster_config_load(const char *path, ClusterConfig **ret);
/* kubeadm's defaults, for a file that could not be parsed. */
int cluster_config_default(ClusterConfig **ret);
ClusterConfig *cluster_config_free(ClusterConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(ClusterConfig *, cluster_config_free);

/* How long kubeadm init may run before it is taken for hung: the sum of kubeadm's own
 * waits, plus room for the steps that have none (certificates, manifests, addons). Its
 * own timeouts end it first. */
usec_t cluster_config_init_deadline(const ClusterConfig *c);

/* A Go time.Duration string as kubeadm writes and reads them: "4m0s", "1h30m", "90s",
 * "1.5h", "300ms", "0". -EINVAL when malformed, -ERANGE on overflow or a negative one. */
int parse_go_duration(const char *s, usec_t *ret);
