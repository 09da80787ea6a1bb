/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a node reads to form or join its cluster, rendered from the profile at build time
 * and baked into the image (/usr/lib/kiln/kubeadm/): the kubeadm configuration of each
 * machine, the CoreDNS Corefile and, for a one-machine cluster, the pod network's CNI
 * configuration. The same profile and images give the same bytes. Nothing here runs a
 * program or logs: the build step (step-render.c) and the render verb do. */

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "profile.h"

#define RENDER_DIR "/usr/lib/kiln/kubeadm"
/* The name of the machine's file when the profile lists no machines. */
#define RENDER_NODE_DEFAULT "node"
#define RENDER_CRI_SOCKET "unix:///run/containerd/containerd.sock"
/* The API server's admission configuration: Pod Security restricted by default
 * (render_admission()), read by kube-apiserver from this path inside its pod, which is
 * the same path on the node. */
#define RENDER_ADMISSION_PATH RENDER_DIR "/admission.yaml"
/* A node never pulls: every image is in containerd's store when it boots. */
#define RENDER_PULL_POLICY "Never"

/* One machine the image can be. */
typedef struct RenderNode {
	const char *name;          /* nodes[].hostname, or RENDER_NODE_DEFAULT */
	NodeRole role;
	bool initializes;          /* kubeadm init: role single, or the first control plane */
	const void *where;         /* its profile value, for diagnostics */
} RenderNode;

/* Every machine of the profile, in profile order (one, "node", without nodes[]). */
int render_nodes(const Profile *p, RenderNode **ret, size_t *ret_n);
/* The machine called name; -ENOENT when the profile has none of that name. */
int render_node_find(const Profile *p, const char *name, RenderNode *ret);

/* Values that exist only when a machine joins (kubeadm join material). Baked files leave
 * them out; the build validates a copy with placeholders of the right form in them. */
typedef struct RenderJoinSecrets {
	const char *token;             /* abcdef.0123456789abcdef */
	const char *ca_cert_hash;      /* sha256:<64 hex> */
	const char *certificate_key;   /* 64 hex, control planes only */
} RenderJoinSecrets;

extern const RenderJoinSecrets render_join_placeholders;

typedef struct RenderInput {
	const Profile *profile;
	char *const *kubeadm_images;   /* "kubeadm config images list" for the profile: its defaults */
	char *const *seeded;           /* every image the node's store is seeded with */
	const RenderJoinSecrets *join; /* NULL: left for the supervisor */
} RenderInput;

/* The kubeadm configuration of one machine, as multi-document YAML: InitConfiguration,
 * ClusterConfiguration, KubeletConfiguration and KubeProxyConfiguration for the machine
 * that forms the cluster, JoinConfiguration for the others. -EINVAL when kubeadm's
 * image list has no etcd or CoreDNS image (render_check_images() says so first). */
int render_kubeadm(const RenderInput *in, const RenderNode *node, char **ret_text);

/* The refusals, each a diagnostic at the profile's line: a Kubernetes version the kubeadm
 * that ships cannot deploy (kubeadm_version: what it reports), and an image the
 * configuration names that is not seeded. Return 0 (diags says), or -ENOMEM. */
int render_check_kubeadm_version(const Profile *p, const KubernetesVersion *kubeadm_version, DiagList *diags);
int render_check_images(const RenderInput *in, DiagList *diags);

/* The images the configuration makes kubeadm run (control plane, etcd, CoreDNS,
 * kube-proxy), sorted; -EINVAL as render_kubeadm(). */
int render_config_images(const RenderInput *in, char ***ret);

/* The API server's admission configuration (RENDER_ADMISSION_PATH): Pod Security
 * Admission enforces, audits and warns at restricted in every namespace without labels of
 * its own, and exempts POD_SECURITY_EXEMPT_NAMESPACE. The same for every profile. */
int render_admission(char **ret_text);

/* The CoreDNS Corefile the cluster uses: kubeadm's, forwarding to the node's resolvers
 * only when the profile is not offline. */
int render_corefile(const Profile *p, char **ret_text);
/* Whether the image forms a one-machine cluster, whose pod network is a bridge. */
bool render_wants_bridge(const Profile *p);
/* That bridge's CNI configuration (a .conflist): bridge, host-local addresses from the
 * pod subnet, portmap; loopback is configured by the runtime. */
int render_cni_bridge(const Profile *p, char **ret_text);

/* "v1.31.4" */
void render_version_string(const KubernetesVersion *v, char buf[static 32]);
/* Seconds as Go writes a time.Duration: 1h30m0s, 10m0s, 45s. */
void render_go_duration(uint64_t sec, char buf[static 32]);
