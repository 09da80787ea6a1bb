/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kubeadm configuration of one machine (kubeadm.k8s.io/v1beta4 and the component
 * configurations it carries), written in a fixed order through yaml-writer.c. Only
 * what kiln decides is written; everything else keeps kubeadm's and the components'
 * defaults, so that the file says what kiln chose and why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "image-ref.h"
#include "render-internal.h"
#include "yaml-writer.h"

#define KUBEADM_API "kubeadm.k8s.io/v1beta4"
#define KUBELET_API "kubelet.config.k8s.io/v1beta1"
#define KUBE_PROXY_API "kubeproxy.config.k8s.io/v1alpha1"

const RenderJoinSecrets render_join_placeholders = {
	.token = "abcdef.0123456789abcdef",
	.ca_cert_hash = "sha256:0000000000000000000000000000000000000000000000000000000000000000",
	.certificate_key = "0000000000000000000000000000000000000000000000000000000000000000",
};

void render_version_string(const KubernetesVersion *v, char buf[static 32]) {
	snprintf(buf, 32, "v%u.%u.%u", v->major, v->minor, v->patch);
}

void render_go_duration(uint64_t sec, char buf[static 32]) {
	uint64_t h = sec / 3600, m = sec / 60 % 60, s = sec % 60;
	if (h > 0)
		snprintf(buf, 32, "%luh%lum%lus", (unsigned long) h, (unsigned long) m, (unsigned long) s);
	else if (m > 0)
		snprintf(buf, 32, "%lum%lus", (unsigned long) m, (unsigned long) s);
	else
		snprintf(buf, 32, "%lus", (unsigned long) s);
}

static void header(YamlWriter *w, const char *api, const char *kind) {
	yw_pair_string(w, "apiVersion", api);
	yw_pair_string(w, "kind", kind);
}

static void pair_duration(YamlWriter *w, const char *key, uint64_t sec) {
	char buf[32];
	render_go_duration(sec, buf);
	yw_pair_string(w, key, buf);
}

static void node_registration(YamlWriter *w, const RenderNode *node) {
	yw_key(w, "nodeRegistration");
	yw_map_begin(w);
	yw_pair_string(w, "criSocket", RENDER_CRI_SOCKET);
	yw_pair_string(w, "imagePullPolicy", RENDER_PULL_POLICY);
	if (node->role == NODE_ROLE_SINGLE) {
		/* Not "no taints given" (which means the control-plane taint): none at all. */
		yw_key(w, "taints");
		yw_seq_begin(w);
		yw_seq_end(w);
	}
	yw_map_end(w);
}

static void timeouts(YamlWriter *w, const ProfileTimeouts *t) {
	yw_key(w, "timeouts");
	yw_map_begin(w);
	pair_duration(w, "controlPlaneComponentHealthCheck", t->control_plane_component_health_check);
	pair_duration(w, "discovery", t->discovery);
	pair_duration(w, "etcdAPICall", t->etcd_api_call);
	pair_duration(w, "kubeletHealthCheck", t->kubelet_health_check);
	pair_duration(w, "kubernetesAPICall", t->kubernetes_api_call);
	pair_duration(w, "tlsBootstrap", t->tls_bootstrap);
	yw_map_end(w);
}

static const char timeouts_reason[] =
	"timeouts: kubeadm's waits (4m, 4m, 1m, 2m, 5m, 5m by default) raised for small, slow\n"
	"machines, where the API server and etcd can take minutes to come up and a wait that\n"
	"runs out fails the whole run; kubernetes.timeouts in the profile raises them further.";

static void arg(YamlWriter *w, const char *name, const char *value) {
	yw_map_begin(w);
	yw_pair_string(w, "name", name);
	yw_pair_string(w, "value", value);
	yw_map_end(w);
}

/* etcd's corruption checks: at start, a member compares its data with its peers'
 * before serving; after every compaction the leader compares the followers' hashes
 * (every minute by default). etcd 3.6 turned the --experimental- flags of 3.5 into
 * feature gates, and 3.7 dropped the old flags. */
static void etcd_args(YamlWriter *w, unsigned etcd_major, unsigned etcd_minor) {
	yw_key(w, "extraArgs");
	yw_seq_begin(w);
	if (etcd_major > 3 || (etcd_major == 3 && etcd_minor >= 6))
		arg(w, "feature-gates", "CompactHashCheck=true,InitialCorruptCheck=true");
	else {
		arg(w, "experimental-compact-hash-check-enabled", "true");
		arg(w, "experimental-initial-corrupt-check", "true");
	}
	yw_seq_end(w);
}

static int etcd_version(const RenderInput *in, unsigned *ret_major, unsigned *ret_minor) {
	const char *ref = render_find_image(in->kubeadm_images, "etcd");
	ImageRef r = {};
	unsigned major, minor;

	if (!ref || image_ref_parse(ref, &r) < 0)
		return -EINVAL;
	int n = r.tag ? sscanf(r.tag, "%u.%u.", &major, &minor) : 0;
	image_ref_done(&r);
	if (n != 2)
		return -EINVAL;
	*ret_major = major;
	*ret_minor = minor;
	return 0;
}

/* host:port as the joining node dials it: the profile's endpoint, with the API server's
 * port when it names none. */
static int endpoint_with_port(const Profile *p, char **ret) {
	_cleanup_free_ char *host = NULL;
	uint16_t port;
	int r = parse_endpoint(p->kubernetes.control_plane_endpoint, &host, &port);
	if (r < 0)
		return r;
	return asprintf(ret, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
			port ? (unsigned) port : (unsigned) p->kubernetes.api_server_port) < 0 ? -ENOMEM : 0;
}

static int write_init(YamlWriter *w, const RenderInput *in, const RenderNode *node) {
	const Profile *p = in->profile;
	const ProfileKubernetes *k = &p->kubernetes;
	char version[32], prefix[IP_PREFIX_STRING_MAX], dns[IP_ADDRESS_STRING_MAX];
	_cleanup_free_ char *comment = NULL;
	unsigned etcd_major, etcd_minor;
	IpAddress cluster_dns;
	int r;

	if ((r = etcd_version(in, &etcd_major, &etcd_minor)) < 0)
		return r;
	render_version_string(&k->version, version);
	if (asprintf(&comment,
		     "kiln: the kubeadm configuration of machine \"%s\" (role %s) of profile \"%s\",\n"
		     "rendered by kiln-imagegen %s. This machine forms the cluster:\n"
		     "kiln-supervisor runs \"kubeadm init --config\" with this file.\n"
		     "Left to kubeadm at run time: the node's name (the host name) and the address the API\n"
		     "server advertises (that of the interface with the default route).\n"
		     "\n%s", node->name, node_role_to_string(node->role), p->name, KILN_VERSION, timeouts_reason) < 0)
		return -ENOMEM;

	yw_document_begin(w, comment);
	yw_map_begin(w);
	header(w, KUBEADM_API, "InitConfiguration");
	yw_key(w, "localAPIEndpoint");
	yw_map_begin(w);
	yw_pair_int(w, "bindPort", k->api_server_port);
	yw_map_end(w);
	node_registration(w, node);
	timeouts(w, &k->timeouts);
	yw_map_end(w);
	yw_document_end(w);

	yw_document_begin(w,
			  "The cluster. Images: imageRepository and kubernetesVersion name the control plane's\n"
			  "and kube-proxy's; etcd's and CoreDNS's are kubeadm's own for this version. The image\n"
			  "build checked that each is in the node's containerd store.\n"
			  "The API server reads its admission configuration (Pod Security: restricted unless\n"
			  "a namespace says otherwise; kube-system exempt) from " RENDER_ADMISSION_PATH ".\n"
			  "etcd checks its data for corruption: before serving, against its peers\n"
			  "(InitialCorruptCheck), and after every compaction, the leader against the followers\n"
			  "(CompactHashCheck); etcd 3.6 made these feature gates of 3.5's --experimental- flags.");
	yw_map_begin(w);
	header(w, KUBEADM_API, "ClusterConfiguration");
	yw_pair_string(w, "clusterName", k->cluster_name);
	yw_pair_string(w, "kubernetesVersion", version);
	if (k->control_plane_endpoint)
		yw_pair_string(w, "controlPlaneEndpoint", k->control_plane_endpoint);
	yw_pair_string(w, "imageRepository", k->image_repository);
	yw_key(w, "networking");
	yw_map_begin(w);
	yw_pair_string(w, "dnsDomain", k->dns_domain);
	yw_pair_string(w, "podSubnet", ip_prefix_to_string(&k->pod_subnet, prefix));
	yw_pair_string(w, "serviceSubnet", ip_prefix_to_string(&k->service_subnet, prefix));
	yw_map_end(w);
	yw_key(w, "apiServer");
	yw_map_begin(w);
	if (k->n_cert_sans > 0) {
		yw_key(w, "certSANs");
		yw_seq_begin(w);
		for (size_t i = 0; i < k->n_cert_sans; i++)
			yw_string(w, k->cert_sans[i]);
		yw_seq_end(w);
	}
	/* Pod Security restricted by default (render-files.c): the file is baked into the
	 * image, the same path on every control plane, and read by the API server through
	 * a read-only host path. */
	yw_key(w, "extraArgs");
	yw_seq_begin(w);
	arg(w, "admission-control-config-file", RENDER_ADMISSION_PATH);
	yw_seq_end(w);
	yw_key(w, "extraVolumes");
	yw_seq_begin(w);
	yw_map_begin(w);
	yw_pair_string(w, "name", "kiln-admission");
	yw_pair_string(w, "hostPath", RENDER_ADMISSION_PATH);
	yw_pair_string(w, "mountPath", RENDER_ADMISSION_PATH);
	yw_pair_bool(w, "readOnly", true);
	yw_pair_string(w, "pathType", "File");
	yw_map_end(w);
	yw_seq_end(w);
	yw_map_end(w);
	yw_key(w, "etcd");
	yw_map_begin(w);
	yw_key(w, "local");
	yw_map_begin(w);
	yw_pair_string(w, "dataDir", "/var/lib/etcd");
	etcd_args(w, etcd_major, etcd_minor);
	yw_map_end(w);
	yw_map_end(w);
	yw_map_end(w);
	yw_document_end(w);

	render_cluster_dns(&k->service_subnet, &cluster_dns);
	yw_document_begin(w,
			  "The kubelet of every node (kubeadm uploads it as the cluster's kubelet-config).\n"
			  "Swap stays off (kiln's preflight turns it off and keeps it off), so failSwapOn holds;\n"
			  "containerd runs with SystemdCgroup, so the cgroup drivers agree.");
	yw_map_begin(w);
	header(w, KUBELET_API, "KubeletConfiguration");
	yw_pair_string(w, "cgroupDriver", "systemd");
	yw_key(w, "clusterDNS");
	yw_seq_begin(w);
	yw_string(w, ip_address_to_string(&cluster_dns, dns));
	yw_seq_end(w);
	yw_pair_string(w, "clusterDomain", k->dns_domain);
	yw_pair_string(w, "containerRuntimeEndpoint", RENDER_CRI_SOCKET);
	yw_pair_bool(w, "failSwapOn", true);
	yw_pair_bool(w, "rotateCertificates", true);
	yw_pair_bool(w, "seccompDefault", true);
	yw_map_end(w);
	yw_document_end(w);

	yw_document_begin(w, "kube-proxy on every node: iptables (in the image and in kube-proxy's), pods from podSubnet.");
	yw_map_begin(w);
	header(w, KUBE_PROXY_API, "KubeProxyConfiguration");
	yw_pair_string(w, "clusterCIDR", ip_prefix_to_string(&k->pod_subnet, prefix));
	yw_pair_string(w, "mode", "iptables");
	yw_map_end(w);
	yw_document_end(w);
	return 0;
}

static int write_join(YamlWriter *w, const RenderInput *in, const RenderNode *node) {
	const Profile *p = in->profile;
	const ProfileKubernetes *k = &p->kubernetes;
	const RenderJoinSecrets *s = in->join;
	bool cp = node->role == NODE_ROLE_CONTROL_PLANE;
	_cleanup_free_ char *comment = NULL, *endpoint = NULL;
	int r;

	if (!k->control_plane_endpoint)
		return -EINVAL;         /* profile_check() requires one for a joining machine */
	if ((r = endpoint_with_port(p, &endpoint)) < 0)
		return r;
	if (asprintf(&comment,
		     "kiln: the kubeadm configuration of machine \"%s\" (role %s) of profile \"%s\",\n"
		     "rendered by kiln-imagegen %s. This machine joins the cluster at %s:\n"
		     "kiln-supervisor runs \"kubeadm join --config\" with this file, after adding what only\n"
		     "exists once the cluster does (the join material of the first control plane):\n"
		     "  discovery.bootstrapToken.token          a bootstrap token\n"
		     "  discovery.bootstrapToken.caCertHashes   [sha256:<the cluster CA's public key hash>]\n"
		     "%s"
		     "Left to kubeadm at run time: the node's name (the host name)%s.\n"
		     "The kubelet's configuration is the cluster's (kubelet-config, from the first control\n"
		     "plane's file): kubeadm ignores a KubeletConfiguration in a join file.\n"
		     "\n%s",
		     node->name, node_role_to_string(node->role), p->name, KILN_VERSION, endpoint,
		     cp ? "  controlPlane.certificateKey             the key of the certificates uploaded at init\n" : "",
		     cp ? " and the address its API server\nadvertises (that of the interface with the default route)" : "",
		     timeouts_reason) < 0)
		return -ENOMEM;

	yw_document_begin(w, comment);
	yw_map_begin(w);
	header(w, KUBEADM_API, "JoinConfiguration");
	node_registration(w, node);
	yw_key(w, "discovery");
	yw_map_begin(w);
	yw_key(w, "bootstrapToken");
	yw_map_begin(w);
	yw_pair_string(w, "apiServerEndpoint", endpoint);
	if (s) {
		yw_key(w, "caCertHashes");
		yw_seq_begin(w);
		yw_string(w, s->ca_cert_hash);
		yw_seq_end(w);
		yw_pair_string(w, "token", s->token);
	}
	yw_map_end(w);
	yw_map_end(w);
	if (cp) {
		yw_key(w, "controlPlane");
		yw_map_begin(w);
		if (s)
			yw_pair_string(w, "certificateKey", s->certificate_key);
		yw_key(w, "localAPIEndpoint");
		yw_map_begin(w);
		yw_pair_int(w, "bindPort", k->api_server_port);
		yw_map_end(w);
		yw_map_end(w);
	}
	timeouts(w, &k->timeouts);
	yw_map_end(w);
	yw_document_end(w);
	return 0;
}

int render_kubeadm(const RenderInput *in, const RenderNode *node, char **ret_text) {
	YamlWriter w = {};
	int r = node->initializes ? write_init(&w, in, node) : write_join(&w, in, node);
	if (r < 0) {
		yw_done(&w);
		return r;
	}
	return yw_finish(&w, ret_text);
}
