/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rendered node files (imagegen/render-*.c): every setting kiln decides, read back
 * with libyaml from the text a node would get; the same bytes for the same profile; the
 * build's refusals at the profile's lines; the joining roles; and kubeadm's own verdict
 * on each configuration: the kubeadm double's always, the real kubeadm's with
 * KILN_K8S_ARTIFACTS=DIR (skipped, saying why, without it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "fd-util.h"
#include "fileio.h"
#include "process-util.h"
#include "profile-text.h"
#include "render.h"
#include "strv.h"
#include "tap.h"
#include "yaml-writer.h"

static char *const images_137[] = {
	"registry.k8s.io/kube-apiserver:v1.37.2", "registry.k8s.io/kube-controller-manager:v1.37.2",
	"registry.k8s.io/kube-scheduler:v1.37.2", "registry.k8s.io/kube-proxy:v1.37.2",
	"registry.k8s.io/coredns/coredns:v1.14.6", "registry.k8s.io/pause:3.10.2", "registry.k8s.io/etcd:3.7.0-0", NULL,
};
static char *const images_131[] = {
	"registry.k8s.io/kube-apiserver:v1.31.4", "registry.k8s.io/kube-controller-manager:v1.31.4",
	"registry.k8s.io/kube-scheduler:v1.31.4", "registry.k8s.io/kube-proxy:v1.31.4",
	"registry.k8s.io/coredns/coredns:v1.11.1", "registry.k8s.io/pause:3.10", "registry.k8s.io/etcd:3.5.15-0", NULL,
};

#define SINGLE \
	"schema: 1\n" \
	"name: one\n" \
	"base: {}\n" \
	"kubernetes:\n" \
	"  version: v1.37.2\n" \
	"  certSANs: [one.example.lan, 192.168.1.10]\n"

#define CLUSTER \
	"schema: 1\n" \
	"name: three\n" \
	"base: {}\n" \
	"kubernetes:\n" \
	"  version: v1.37.2\n" \
	"  controlPlaneEndpoint: cp.example.lan\n" \
	"  apiServerPort: 7443\n" \
	"  timeouts: {controlPlaneComponentHealthCheck: 20m, discovery: 1h30m}\n" \
	"node: {role: worker}\n" \
	"nodes:\n" \
	"  - {mac: \"52:54:00:00:00:10\", hostname: cp1, role: control-plane}\n" \
	"  - {mac: \"52:54:00:00:00:11\", hostname: cp2, role: control-plane}\n" \
	"  - {mac: \"52:54:00:00:00:12\", hostname: w1}\n"

/* ---- reading the output back ---- */

static const yaml_node_t *child(yaml_document_t *d, const yaml_node_t *n, const char *key) {
	if (!n)
		return NULL;
	if (n->type == YAML_SEQUENCE_NODE) {
		char *end;
		long i = strtol(key, &end, 10);
		long count = n->data.sequence.items.top - n->data.sequence.items.start;
		return *end || i < 0 || i >= count ? NULL : yaml_document_get_node(d, n->data.sequence.items.start[i]);
	}
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && streq((char *) k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* The value at a dotted path ("nodeRegistration.taints", "clusterDNS.0") of the document
 * of that kind: a scalar's text, "[N]" for a list of N entries, "{}" for a mapping;
 * NULL when it is not there. plain: whether a scalar was written without quotes. */
static char *lookup(const char *text, const char *kind, const char *path, bool *plain) {
	yaml_parser_t parser;
	char *found = NULL;
	bool done = false;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, strlen(text));
	while (!done) {
		yaml_document_t d;
		if (!yaml_parser_load(&parser, &d))
			break;
		const yaml_node_t *n = yaml_document_get_root_node(&d);
		if (!n)
			done = true;
		const yaml_node_t *k = child(&d, n, "kind");
		if (n && k && k->type == YAML_SCALAR_NODE && streq((char *) k->data.scalar.value, kind)) {
			_cleanup_free_ char *copy = strdup(path);
			char *save = NULL;
			for (char *part = strtok_r(copy, ".", &save); part && n; part = strtok_r(NULL, ".", &save))
				n = child(&d, n, part);
			if (n && n->type == YAML_SCALAR_NODE) {
				found = strdup((char *) n->data.scalar.value);
				if (plain)
					*plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			} else if (n && n->type == YAML_SEQUENCE_NODE) {
				if (asprintf(&found, "[%ld]", (long) (n->data.sequence.items.top - n->data.sequence.items.start)) < 0)
					abort();
			} else if (n)
				found = strdup("{}");
			done = true;
		}
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&parser);
	return found;
}

static void is_at(const char *text, const char *kind, const char *path, const char *want, const char *what) {
	_cleanup_free_ char *got = lookup(text, kind, path, NULL);
	if (!is_str(got, want, what))
		diag("  %s %s", kind, path);
}

static Profile *load(const char *text) {
	int r;
	Profile *p = profile_from_text(text, &r);
	if (!p)
		diag("the test's profile does not load (%d)", r);
	return p;
}

static char **seeded_of(char *const *kubeadm_images, const char *sandbox) {
	char **l = NULL;
	STRV_FOREACH(i, kubeadm_images)
		if (strv_extend(&l, *i) < 0)
			abort();
	if (sandbox && strv_extend(&l, sandbox) < 0)
		abort();
	return l;
}

static char *render_node(const Profile *p, char *const *images, const char *name, const RenderJoinSecrets *join) {
	_cleanup_strv_free_ char **seeded = seeded_of(images, NULL);
	RenderInput in = { .profile = p, .kubeadm_images = images, .seeded = seeded, .join = join };
	RenderNode node;
	char *text = NULL;

	if (render_node_find(p, name, &node) < 0 || render_kubeadm(&in, &node, &text) < 0)
		return NULL;
	return text;
}

/* ---- kubeadm's verdict ---- */

/* Run "kubeadm config validate" on text: its exit status, stderr in *ret_err. */
static int kubeadm_validate(const char *kubeadm, const char *dir, const char *text, char **ret_err) {
	_cleanup_free_ char *config = NULL, *errpath = NULL, *out = NULL;
	_cleanup_close_ int errfd = -EBADF;
	int status = -1;

	if (asprintf(&config, "%s/config.yaml", dir) < 0 || asprintf(&errpath, "%s/stderr", dir) < 0)
		abort();
	if (write_file_atomic(config, text, strlen(text), 0644, 0) < 0)
		return -1;
	errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *argv[] = { kubeadm, "config", "validate", "--config", config, NULL };
	SpawnOptions opts = { .stdio = { [STDERR_FILENO] = SPAWN_STDIO_FROM_FD(errfd) } };
	if (errfd < 0 || capture_command_full(argv, &opts, 60 * USEC_PER_SEC, CAPTURE_SIZE_MAX, &out, NULL, &status) < 0)
		return -1;
	(void) read_full_file(errpath, ret_err, NULL);
	return status;
}

static char *mistype(const char *text, const char *from, const char *to) {
	const char *at = strstr(text, from);
	char *s = NULL;
	if (!at || asprintf(&s, "%.*s%s%s", (int) (at - text), text, to, at + strlen(from)) < 0)
		abort();
	return s;
}

/* Every configuration of the single and the three-machine profiles, as the build checks
 * them, then one with a mistyped field, which must fail as an unknown field. */
static void check_with_kubeadm(const char *what, const char *kubeadm) {
	_cleanup_(profile_freep) Profile *one = load(SINGLE), *three = load(CLUSTER);
	char *dir = tap_mkdtemp();
	static const char *const names[] = { "cp1", "cp2", "w1" };

	if (!one || !three) {
		skip(6, "profiles did not load");
		return;
	}
	_cleanup_free_ char *single = render_node(one, images_137, RENDER_NODE_DEFAULT, NULL);
	_cleanup_free_ char *err = NULL;
	int status = single ? kubeadm_validate(kubeadm, dir, single, &err) : -1;
	if (!is_int(status, 0, "the single machine's configuration passes kubeadm config validate"))
		diag("%s: %s", what, err ?: "");
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		_cleanup_free_ char *text = render_node(three, images_137, names[i], &render_join_placeholders);
		err = mfree_str(err);
		status = text ? kubeadm_validate(kubeadm, dir, text, &err) : -1;
		char name[128];
		snprintf(name, sizeof name, "three machines: the configuration of %s passes (join material as placeholders)",
			 names[i]);
		if (!is_int(status, 0, name))
			diag("%s %s: %s", what, names[i], err ?: "");
	}
	_cleanup_free_ char *bad = single ? mistype(single, "seccompDefault:", "seccompDefualt:") : NULL;
	err = mfree_str(err);
	status = bad ? kubeadm_validate(kubeadm, dir, bad, &err) : -1;
	ok(status == 1 && err && strstr(err, "strict decoding error: unknown field \"seccompDefualt\""),
	   "a mistyped field fails kubeadm config validate: unknown field (%s)", what);
	_cleanup_free_ char *typed = single ? mistype(single, "bindPort: 6443", "bindPort: \"6443\"") : NULL;
	err = mfree_str(err);
	status = typed ? kubeadm_validate(kubeadm, dir, typed, &err) : -1;
	ok(status == 1 && err && strstr(err, "cannot unmarshal string into Go struct field APIEndpoint.localAPIEndpoint.bindPort of type int32"),
	   "a mistyped value fails kubeadm config validate (%s)", what);
	rm_rf(dir);
	free(dir);
}

/* ---- the tests ---- */

static void test_single(void) {
	_cleanup_(profile_freep) Profile *p = load(SINGLE);
	_cleanup_free_ char *t = p ? render_node(p, images_137, RENDER_NODE_DEFAULT, NULL) : NULL;

	if (!ok(t, "the single machine's configuration renders"))
		return;
	is_at(t, "InitConfiguration", "apiVersion", "kubeadm.k8s.io/v1beta4", "Init: v1beta4");
	is_at(t, "InitConfiguration", "localAPIEndpoint.bindPort", "6443", "Init: the API server's port");
	ok(!lookup(t, "InitConfiguration", "localAPIEndpoint.advertiseAddress", NULL), "Init: the address is kubeadm's to find");
	ok(!lookup(t, "InitConfiguration", "nodeRegistration.name", NULL), "Init: the node name is the host name");
	is_at(t, "InitConfiguration", "nodeRegistration.criSocket", "unix:///run/containerd/containerd.sock", "Init: containerd's socket");
	is_at(t, "InitConfiguration", "nodeRegistration.imagePullPolicy", "Never", "Init: a node never pulls");
	is_at(t, "InitConfiguration", "nodeRegistration.taints", "[0]", "Init: role single: no taints at all");
	is_at(t, "InitConfiguration", "timeouts.controlPlaneComponentHealthCheck", "10m0s", "Init: control plane wait raised");
	is_at(t, "InitConfiguration", "timeouts.kubeletHealthCheck", "10m0s", "Init: kubelet wait raised");
	is_at(t, "InitConfiguration", "timeouts.kubernetesAPICall", "3m0s", "Init: API call raised");
	is_at(t, "InitConfiguration", "timeouts.etcdAPICall", "5m0s", "Init: etcd call raised");
	is_at(t, "InitConfiguration", "timeouts.tlsBootstrap", "10m0s", "Init: TLS bootstrap raised");
	is_at(t, "InitConfiguration", "timeouts.discovery", "10m0s", "Init: discovery raised");
	ok(strstr(t, "# timeouts: kubeadm's waits (4m, 4m, 1m, 2m, 5m, 5m by default) raised for small, slow"),
	   "the reason for the timeouts is in a comment");
	ok(strstr(t, "Left to kubeadm at run time: the node's name (the host name) and the address the API"),
	   "what kubeadm decides at run time is said in a comment");

	is_at(t, "ClusterConfiguration", "kubernetesVersion", "v1.37.2", "Cluster: kubernetesVersion");
	is_at(t, "ClusterConfiguration", "clusterName", "kubernetes", "Cluster: clusterName");
	ok(!lookup(t, "ClusterConfiguration", "controlPlaneEndpoint", NULL), "Cluster: no endpoint when the profile has none");
	is_at(t, "ClusterConfiguration", "imageRepository", "registry.k8s.io", "Cluster: imageRepository");
	is_at(t, "ClusterConfiguration", "networking.podSubnet", "10.244.0.0/16", "Cluster: podSubnet");
	is_at(t, "ClusterConfiguration", "networking.serviceSubnet", "10.96.0.0/12", "Cluster: serviceSubnet");
	is_at(t, "ClusterConfiguration", "networking.dnsDomain", "cluster.local", "Cluster: dnsDomain");
	is_at(t, "ClusterConfiguration", "apiServer.certSANs.0", "one.example.lan", "Cluster: certSANs, in profile order");
	is_at(t, "ClusterConfiguration", "apiServer.certSANs.1", "192.168.1.10", "Cluster: certSANs, an address");
	is_at(t, "ClusterConfiguration", "apiServer.extraArgs.0.name", "admission-control-config-file",
	      "Cluster: the API server reads kiln's admission configuration");
	is_at(t, "ClusterConfiguration", "apiServer.extraArgs.0.value", RENDER_ADMISSION_PATH, "Cluster: from the baked file");
	is_at(t, "ClusterConfiguration", "apiServer.extraVolumes.0.hostPath", RENDER_ADMISSION_PATH,
	      "Cluster: the baked file is mounted into the API server's pod");
	is_at(t, "ClusterConfiguration", "apiServer.extraVolumes.0.mountPath", RENDER_ADMISSION_PATH, "Cluster: at the same path");
	is_at(t, "ClusterConfiguration", "apiServer.extraVolumes.0.readOnly", "true", "Cluster: read-only");
	is_at(t, "ClusterConfiguration", "apiServer.extraVolumes.0.pathType", "File", "Cluster: a file that must be there");
	is_at(t, "ClusterConfiguration", "etcd.local.dataDir", "/var/lib/etcd", "Cluster: etcd's data");
	is_at(t, "ClusterConfiguration", "etcd.local.extraArgs.0.name", "feature-gates", "Cluster: etcd 3.7: feature gates");
	is_at(t, "ClusterConfiguration", "etcd.local.extraArgs.0.value", "CompactHashCheck=true,InitialCorruptCheck=true",
	      "Cluster: etcd 3.7: both corruption checks");
	ok(!lookup(t, "ClusterConfiguration", "etcd.local.imageTag", NULL) && !lookup(t, "ClusterConfiguration", "dns", NULL),
	   "Cluster: etcd's and CoreDNS's images are kubeadm's own (no imageTag)");

	is_at(t, "KubeletConfiguration", "apiVersion", "kubelet.config.k8s.io/v1beta1", "Kubelet: v1beta1");
	is_at(t, "KubeletConfiguration", "cgroupDriver", "systemd", "Kubelet: systemd cgroups");
	is_at(t, "KubeletConfiguration", "seccompDefault", "true", "Kubelet: seccompDefault");
	is_at(t, "KubeletConfiguration", "rotateCertificates", "true", "Kubelet: certificate rotation");
	is_at(t, "KubeletConfiguration", "failSwapOn", "true", "Kubelet: swap stays off");
	is_at(t, "KubeletConfiguration", "containerRuntimeEndpoint", "unix:///run/containerd/containerd.sock", "Kubelet: runtime");
	is_at(t, "KubeletConfiguration", "clusterDNS.0", "10.96.0.10", "Kubelet: the tenth service address");
	is_at(t, "KubeletConfiguration", "clusterDomain", "cluster.local", "Kubelet: the cluster's domain");
	bool plain = false;
	_cleanup_free_ char *b = lookup(t, "KubeletConfiguration", "seccompDefault", &plain);
	ok(b && streq(b, "true") && plain, "booleans are written plain (a YAML boolean, not a string)");

	is_at(t, "KubeProxyConfiguration", "apiVersion", "kubeproxy.config.k8s.io/v1alpha1", "KubeProxy: v1alpha1");
	is_at(t, "KubeProxyConfiguration", "clusterCIDR", "10.244.0.0/16", "KubeProxy: the pod subnet");
	is_at(t, "KubeProxyConfiguration", "mode", "iptables", "KubeProxy: iptables");
	ok(!lookup(t, "JoinConfiguration", "kind", NULL), "no JoinConfiguration for the machine that forms the cluster");
	ok(!strneq(t, "---", 3), "the file starts with a document, not an empty one (kubeadm refuses those)");
}

static void test_etcd_35(void) {
	_cleanup_(profile_freep) Profile *p = load(PROFILE_HEAD);
	_cleanup_free_ char *t = p ? render_node(p, images_131, RENDER_NODE_DEFAULT, NULL) : NULL;

	is_at(t, "ClusterConfiguration", "kubernetesVersion", "v1.31.4", "1.31: kubernetesVersion");
	is_at(t, "ClusterConfiguration", "etcd.local.extraArgs.0.name", "experimental-compact-hash-check-enabled",
	      "etcd 3.5: its --experimental- flags");
	is_at(t, "ClusterConfiguration", "etcd.local.extraArgs.1.name", "experimental-initial-corrupt-check",
	      "etcd 3.5: the initial check");
	bool plain = true;
	_cleanup_free_ char *v = lookup(t, "ClusterConfiguration", "etcd.local.extraArgs.1.value", &plain);
	ok(v && streq(v, "true") && !plain, "an argument's value \"true\" is quoted: kubeadm wants a string");
}

static void test_quoting_and_durations(void) {
	_cleanup_(profile_freep) Profile *p = load(
		"schema: 1\nname: q\nbase: {}\nkubernetes:\n  version: v1.37.2\n  clusterName: \"123\"\n"
		"  dnsDomain: example.lan\n  serviceSubnet: 10.100.0.0/16\n"
		"  timeouts:\n    controlPlaneComponentHealthCheck: 20m\n    kubeletHealthCheck: 1h30m\n    etcdAPICall: 125s\n");
	_cleanup_free_ char *t = p ? render_node(p, images_137, RENDER_NODE_DEFAULT, NULL) : NULL;
	bool plain = true;
	_cleanup_free_ char *name = t ? lookup(t, "ClusterConfiguration", "clusterName", &plain) : NULL;

	ok(name && streq(name, "123") && !plain, "a name YAML would read as a number is quoted");
	is_at(t, "InitConfiguration", "timeouts.controlPlaneComponentHealthCheck", "20m0s", "20m as Go writes it");
	is_at(t, "InitConfiguration", "timeouts.kubeletHealthCheck", "1h30m0s", "1h30m as Go writes it");
	is_at(t, "InitConfiguration", "timeouts.etcdAPICall", "2m5s", "125s as Go writes it");
	is_at(t, "KubeletConfiguration", "clusterDNS.0", "10.100.0.10", "clusterDNS follows the service subnet");
	is_at(t, "KubeletConfiguration", "clusterDomain", "example.lan", "clusterDomain follows dnsDomain");

	static const struct {
		const char *s;
		bool ambiguous;
	} words[] = {
		{ "true", true }, { "no", true }, { "On", true }, { "~", true }, { "null", true }, { "", true },
		{ "6443", true }, { "1.20", true }, { "0x1f", true }, { "1e3", true }, { ".inf", true },
		{ "2026-01-01", true }, { "190:20:30", true }, { "-5", true },
		{ "v1.37.2", false }, { "3.7.0-0", false }, { "10.244.0.0/16", false }, { "10m0s", false },
		{ "systemd", false }, { "192.168.1.10", false }, { "unix:///run/x.sock", false },
	};
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		is_int(yaml_plain_is_ambiguous(words[i].s), words[i].ambiguous, words[i].s);
	char buf[32];
	render_go_duration(0, buf);
	is_str(buf, "0s", "zero as Go writes it");
	render_go_duration(7200, buf);
	is_str(buf, "2h0m0s", "two hours as Go writes them");
}

static void test_deterministic(void) {
	_cleanup_(profile_freep) Profile *a = load(CLUSTER), *b = load(CLUSTER);
	int same = 0;
	static const char *const names[] = { "cp1", "cp2", "w1" };

	for (size_t i = 0; a && b && i < ELEMENTSOF(names); i++) {
		_cleanup_free_ char *x = render_node(a, images_137, names[i], NULL), *y = render_node(a, images_137, names[i], NULL),
				    *z = render_node(b, images_137, names[i], NULL);
		same += x && y && z && streq(x, y) && streq(x, z);
	}
	is_int(same, 3, "the same profile gives the same bytes (twice, and from a second load)");
	_cleanup_free_ char *c1 = NULL, *c2 = NULL;
	ok(a && render_corefile(a, &c1) == 0 && render_corefile(a, &c2) == 0 && streq(c1, c2), "the Corefile too");
}

static void test_joining(void) {
	_cleanup_(profile_freep) Profile *p = load(CLUSTER);
	_cleanup_free_ RenderNode *nodes = NULL;
	size_t n = 0;

	if (!p) {
		skip(1, "no profile");
		return;
	}
	is_int(render_nodes(p, &nodes, &n), 0, "the machines of the profile");
	ok(n == 3 && streq(nodes[0].name, "cp1") && nodes[0].initializes && streq(nodes[1].name, "cp2") &&
	   !nodes[1].initializes && streq(nodes[2].name, "w1") && !nodes[2].initializes && nodes[2].role == NODE_ROLE_WORKER,
	   "cp1 forms the cluster; cp2 and w1 (node.role worker) join it");
	RenderNode missing;
	is_int(render_node_find(p, "nope", &missing), -ENOENT, "an unknown machine is -ENOENT");

	_cleanup_free_ char *cp1 = render_node(p, images_137, "cp1", NULL);
	is_at(cp1, "ClusterConfiguration", "controlPlaneEndpoint", "cp.example.lan", "cp1: the endpoint as the profile gives it");
	is_at(cp1, "InitConfiguration", "localAPIEndpoint.bindPort", "7443", "cp1: apiServerPort");
	ok(cp1 && !lookup(cp1, "InitConfiguration", "nodeRegistration.taints", NULL),
	   "cp1: a control plane keeps kubeadm's control-plane taint");
	is_at(cp1, "InitConfiguration", "timeouts.controlPlaneComponentHealthCheck", "20m0s", "cp1: the profile's timeout");

	_cleanup_free_ char *cp2 = render_node(p, images_137, "cp2", NULL), *w1 = render_node(p, images_137, "w1", NULL);
	is_at(cp2, "JoinConfiguration", "discovery.bootstrapToken.apiServerEndpoint", "cp.example.lan:7443",
	      "cp2: the endpoint with the API server's port");
	is_at(cp2, "JoinConfiguration", "controlPlane.localAPIEndpoint.bindPort", "7443", "cp2: joins as a control plane");
	is_at(cp2, "JoinConfiguration", "nodeRegistration.imagePullPolicy", "Never", "cp2: never pulls");
	is_at(cp2, "JoinConfiguration", "nodeRegistration.criSocket", "unix:///run/containerd/containerd.sock", "cp2: containerd");
	is_at(cp2, "JoinConfiguration", "timeouts.discovery", "1h30m0s", "cp2: the profile's discovery timeout");
	ok(cp2 && !lookup(cp2, "JoinConfiguration", "discovery.bootstrapToken.token", NULL) &&
	   !lookup(cp2, "JoinConfiguration", "controlPlane.certificateKey", NULL), "cp2: no join material baked");
	ok(cp2 && strstr(cp2, "discovery.bootstrapToken.caCertHashes") && strstr(cp2, "controlPlane.certificateKey"),
	   "cp2: the comment names what the supervisor adds");
	ok(cp2 && !lookup(cp2, "KubeletConfiguration", "kind", NULL) && !lookup(cp2, "ClusterConfiguration", "kind", NULL),
	   "cp2: only a JoinConfiguration (kubeadm ignores the rest in a join file)");
	is_at(w1, "JoinConfiguration", "discovery.bootstrapToken.apiServerEndpoint", "cp.example.lan:7443", "w1: the endpoint");
	ok(w1 && !lookup(w1, "JoinConfiguration", "controlPlane", NULL), "w1: a worker has no controlPlane section");
	ok(w1 && !strstr(w1, "controlPlane.certificateKey"), "w1: its comment asks for no certificate key");

	_cleanup_free_ char *filled = render_node(p, images_137, "cp2", &render_join_placeholders);
	is_at(filled, "JoinConfiguration", "discovery.bootstrapToken.token", "abcdef.0123456789abcdef", "with join material: the token");
	is_at(filled, "JoinConfiguration", "discovery.bootstrapToken.caCertHashes.0", render_join_placeholders.ca_cert_hash,
	      "with join material: the CA hash");
	is_at(filled, "JoinConfiguration", "controlPlane.certificateKey", render_join_placeholders.certificate_key,
	      "with join material: the certificate key");

	_cleanup_(profile_freep) Profile *v6 = load(
		"schema: 1\nname: six\nbase: {}\nkubernetes:\n  version: v1.37.2\n  controlPlaneEndpoint: \"[fd00::10]\"\n"
		"node: {role: worker}\n");
	_cleanup_free_ char *six = v6 ? render_node(v6, images_137, RENDER_NODE_DEFAULT, NULL) : NULL;
	is_at(six, "JoinConfiguration", "discovery.bootstrapToken.apiServerEndpoint", "[fd00::10]:6443",
	      "an IPv6 endpoint in brackets, with the port");
}

static void test_refusals(void) {
	int r;
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_free_ char *line = NULL;

	/* Overlapping subnets and an endpoint outside certSANs: refused as the profile loads,
	 * which every build does first. */
	Profile *p = profile_from_text(PROFILE_HEAD "  podSubnet: 10.96.0.0/16\n  serviceSubnet: 10.96.0.0/12\n", &r);
	ok(!p && r == -EBADMSG, "overlapping pod and service subnets are refused");
	p = profile_free(p);
	static const char overlap[] = PROFILE_HEAD "  podSubnet: 10.96.0.0/16\n  serviceSubnet: 10.96.0.0/12\n";
	is_int(profile_load_buffer("overlap.yaml", overlap, strlen(overlap), &p, &diags), -EBADMSG, "overlap: invalid");
	ok(diags.n == 1 && diag_format(&diags.items[0], &line) == 0 &&
	   strneq(line, "overlap.yaml:8:18: kubernetes.serviceSubnet 10.96.0.0/12 overlaps kubernetes.podSubnet 10.96.0.0/16", 80),
	   "overlap: at the serviceSubnet's line (%s)", line ?: "-");
	diag_list_done(&diags);
	line = mfree_str(line);
	static const char sans[] = "schema: 1\nname: s\nbase: {}\nkubernetes:\n  version: v1.37.2\n"
				   "  controlPlaneEndpoint: 192.168.1.10:6443\n  certSANs: [cp1]\nnode: {role: worker}\n";
	is_int(profile_load_buffer("sans.yaml", sans, strlen(sans), &p, &diags), -EBADMSG, "endpoint outside certSANs: invalid");
	ok(diags.n == 1 && diag_format(&diags.items[0], &line) == 0 &&
	   streq(line, "sans.yaml:6:25: kubernetes.controlPlaneEndpoint host 192.168.1.10 is not in kubernetes.certSANs "
		       "(kubernetes.certSANs listing 192.168.1.10)"),
	   "endpoint outside certSANs: at the endpoint's line (%s)", line ?: "-");
	diag_list_done(&diags);
	line = mfree_str(line);

	/* A version the shipped kubeadm cannot deploy: its minor and the one before only. */
	static const char old[] = "schema: 1\nname: o\nbase: {}\nkubernetes:\n  version: v1.35.4\n";
	_cleanup_(profile_freep) Profile *o = NULL;
	is_int(profile_load_buffer("old.yaml", old, strlen(old), &o, &diags), 0, "a v1.35 profile loads");
	KubernetesVersion k137 = { 1, 37, 2 }, k133 = { 1, 33, 0 }, k136 = { 1, 36, 1 };
	is_int(o ? render_check_kubeadm_version(o, &k137, &diags) : -EINVAL, 0, "version check runs");
	ok(diags.n == 1 && diag_format(&diags.items[0], &line) == 0 &&
	   streq(line, "old.yaml:5:12: kubernetes.version v1.35.4 cannot be deployed by the kubeadm the image ships, v1.37.2 "
		       "(v1.36.x or v1.37.x, or a kubeadm of the profile's release)"),
	   "kubeadm v1.37.2 refuses v1.35.4, at the version's line (%s)", line ?: "-");
	diag_list_done(&diags);
	line = mfree_str(line);
	(void) render_check_kubeadm_version(o, &k133, &diags);
	is_int(diags.n, 1, "kubeadm v1.33.0 cannot deploy the newer v1.35.4");
	diag_list_done(&diags);
	(void) render_check_kubeadm_version(o, &k136, &diags);
	is_int(diags.n, 0, "kubeadm v1.36.1 deploys v1.35.4 (its minor - 1)");
	diag_list_done(&diags);

	/* An image the configuration names that the store is not seeded with. */
	static const char one[] = "schema: 1\nname: m\nbase: {}\nkubernetes:\n  version: v1.37.2\n";
	_cleanup_(profile_freep) Profile *m = NULL;
	is_int(profile_load_buffer("img.yaml", one, strlen(one), &m, &diags), 0, "a v1.37 profile loads");
	_cleanup_strv_free_ char **seeded = seeded_of(images_137, NULL);
	RenderInput in = { .profile = m, .kubeadm_images = images_137, .seeded = seeded };
	is_int(render_check_images(&in, &diags), 0, "image check runs");
	is_int(diags.n, 0, "kubeadm's list seeded: nothing to refuse");
	_cleanup_strv_free_ char **names = NULL;
	is_int(render_config_images(&in, &names), 0, "the images the configuration names");
	is_int(strv_length(names), 6, "six: the control plane, kube-proxy, etcd, CoreDNS (not pause)");
	free(seeded[6]);        /* drop etcd */
	seeded[6] = NULL;
	is_int(render_check_images(&in, &diags), 0, "image check runs");
	ok(diags.n == 1 && diag_format(&diags.items[0], &line) == 0 &&
	   streq(line, "img.yaml:5:12: the kubeadm configuration names the image registry.k8s.io/etcd:3.7.0-0, which the node "
		       "is not seeded with (every image the configuration names among the seeded ones (kiln-imagegen lock, fetch))"),
	   "an unseeded etcd is refused, at the version's line (%s)", line ?: "-");
	diag_list_done(&diags);
	char *const no_etcd[] = { "registry.k8s.io/coredns/coredns:v1.14.6", NULL };
	in.kubeadm_images = no_etcd;
	is_int(render_check_images(&in, &diags), 0, "image check runs");
	is_int(diags.n, 1, "kubeadm's list without etcd is refused too");
	RenderNode node = { .name = "node", .role = NODE_ROLE_SINGLE, .initializes = true };
	char *t = NULL;
	is_int(render_kubeadm(&in, &node, &t), -EINVAL, "and does not render");
	free(t);
}

static void test_files(void) {
	_cleanup_(profile_freep) Profile *p = load(SINGLE), *off = load(SINGLE "  offline: true\n  dnsDomain: home.lan\n"),
				       *three = load(CLUSTER);
	_cleanup_free_ char *c = NULL, *o = NULL, *cni = NULL;

	if (!p || !off || !three) {
		skip(1, "no profiles");
		return;
	}
	is_int(render_corefile(p, &c), 0, "Corefile renders");
	ok(strstr(c, "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n") && strstr(c, "    forward . /etc/resolv.conf {\n") &&
	   strstr(c, "       disable success cluster.local\n") && strstr(c, "    loop\n    reload\n    loadbalance\n"),
	   "Corefile: kubeadm's, forwarding to the node's resolvers");
	is_int(render_corefile(off, &o), 0, "offline Corefile renders");
	ok(strstr(o, "    kubernetes home.lan in-addr.arpa ip6.arpa {\n") && !strstr(o, "forward") &&
	   strstr(o, "    health {\n") && strstr(o, "    ready\n") && strstr(o, "    prometheus :9153\n"),
	   "Corefile offline: the cluster's domain, no forward");

	_cleanup_free_ char *adm = NULL;
	is_int(render_admission(&adm), 0, "the admission configuration renders");
	ok(adm && strstr(adm, "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n  - name: PodSecurity\n") &&
	   strstr(adm, "      apiVersion: pod-security.admission.config.k8s.io/v1\n      kind: PodSecurityConfiguration\n"),
	   "admission: the PodSecurity plugin's configuration, v1");
	ok(adm && strstr(adm, "        enforce: restricted\n        enforce-version: latest\n        audit: restricted\n"
			      "        audit-version: latest\n        warn: restricted\n        warn-version: latest\n"),
	   "admission: restricted by default, enforced, audited and warned about");
	ok(adm && strstr(adm, "      exemptions:\n        namespaces:\n") && strstr(adm, "          - kube-system\n") &&
	   strstr(adm, "# privileged: kubeadm's control plane"), "admission: kube-system exempt, its reason next to it");
	ok(render_wants_bridge(p) && !render_wants_bridge(three), "a bridge pod network for role single only");
	is_int(render_cni_bridge(p, &cni), 0, "CNI configuration renders");
	json_error_t e;
	json_t *j = cni ? json_loads(cni, 0, &e) : NULL;
	json_t *plugins = json_object_get(j, "plugins");
	json_t *bridge = json_array_get(plugins, 0), *portmap = json_array_get(plugins, 1);
	json_t *range = json_array_get(json_array_get(json_object_get(json_object_get(bridge, "ipam"), "ranges"), 0), 0);
	ok(j && streq(json_string_value(json_object_get(j, "cniVersion")) ?: "", "1.0.0"), "CNI: version 1.0.0");
	ok(json_array_size(plugins) == 2 && streq(json_string_value(json_object_get(bridge, "type")) ?: "", "bridge") &&
	   streq(json_string_value(json_object_get(portmap, "type")) ?: "", "portmap"), "CNI: bridge, then portmap");
	ok(json_is_true(json_object_get(bridge, "isGateway")) && json_is_true(json_object_get(bridge, "ipMasq")),
	   "CNI: the bridge is the pods' gateway and masquerades");
	ok(streq(json_string_value(json_object_get(json_object_get(bridge, "ipam"), "type")) ?: "", "host-local") &&
	   streq(json_string_value(json_object_get(range, "subnet")) ?: "", "10.244.0.0/16"), "CNI: host-local on the pod subnet");
	json_decref(j);
}

static void test_with_kubeadm(void) {
	_cleanup_free_ char *dbl = NULL, *real = NULL;
	const char *artifacts = getenv("KILN_K8S_ARTIFACTS");

	if (asprintf(&dbl, "%s/tests/doubles/kubeadm", tap_srcdir()) < 0)
		abort();
	setenv("KILN_KUBEADM_DOUBLE_VERSION", "v1.37.2", 1);
	check_with_kubeadm("the kubeadm double", dbl);
	if (!artifacts || asprintf(&real, "%s/kubeadm", artifacts) < 0 || access(real, X_OK) < 0) {
		skip(6, "the real kubeadm's verdict needs KILN_K8S_ARTIFACTS=DIR with DIR/kubeadm (tools/k8s-artifacts)");
		return;
	}
	check_with_kubeadm("the real kubeadm", real);
}

int main(void) {
	test_single();
	test_etcd_35();
	test_quoting_and_durations();
	test_deterministic();
	test_joining();
	test_refusals();
	test_files();
	test_with_kubeadm();
	return done_testing();
}
