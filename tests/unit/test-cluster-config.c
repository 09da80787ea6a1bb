/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the supervisor reads of the baked kubeadm configuration (supervisor/cluster-
 * config.c): kubeadm's v1beta4 layout (kubeadm-contract.md 1.2, 1.3, 1.9), Go durations
 * as kubeadm writes them, defaults for what is missing, and leniency: kubeadm, not this
 * reader, refuses a bad file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cluster-config.h"
#include "tap.h"

static const char rendered[] =
	"apiVersion: kubeadm.k8s.io/v1beta4\n"
	"kind: InitConfiguration\n"
	"localAPIEndpoint:\n"
	"  advertiseAddress: 10.0.2.15\n"
	"  bindPort: 6443\n"
	"nodeRegistration:\n"
	"  name: kiln-a1b2c3\n"
	"  criSocket: unix:///run/containerd/containerd.sock\n"
	"  imagePullPolicy: Never\n"
	"  taints: []\n"
	"timeouts:\n"
	"  controlPlaneComponentHealthCheck: 10m0s\n"
	"  kubeletHealthCheck: 8m\n"
	"  kubernetesAPICall: 2m30s\n"
	"  etcdAPICall: 5m0s\n"
	"---\n"
	"apiVersion: kubeadm.k8s.io/v1beta4\n"
	"kind: ClusterConfiguration\n"
	"kubernetesVersion: v1.37.2\n"
	"certificatesDir: /etc/kubernetes/pki\n"
	"etcd:\n"
	"  local:\n"
	"    dataDir: /var/lib/etcd-kiln\n"
	"dns:\n"
	"  disabled: false\n"
	"proxy:\n"
	"  disabled: true\n"
	"---\n"
	"apiVersion: kubelet.config.k8s.io/v1beta1\n"
	"kind: KubeletConfiguration\n"
	"cgroupDriver: systemd\n"
	"---\n"
	"apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
	"kind: KubeProxyConfiguration\n"
	"mode: iptables\n";

static void test_durations(void) {
	static const struct {
		const char *in;
		int r;
		usec_t want;
	} cases[] = {
		{ "4m0s", 0, 4 * USEC_PER_MINUTE },
		{ "10m", 0, 10 * USEC_PER_MINUTE },
		{ "1h30m", 0, 90 * USEC_PER_MINUTE },
		{ "1.5h", 0, 90 * USEC_PER_MINUTE },
		{ "90s", 0, 90 * USEC_PER_SEC },
		{ "300ms", 0, 300 * USEC_PER_MSEC },
		{ "2m30.5s", 0, 150500 * USEC_PER_MSEC },
		{ "10us", 0, 10 },
		{ "0", 0, 0 },
		{ "+5s", 0, 5 * USEC_PER_SEC },
		{ "", -EINVAL, 0 },
		{ "5", -EINVAL, 0 },
		{ "5x", -EINVAL, 0 },
		{ "m", -EINVAL, 0 },
		{ "4m 0s", -EINVAL, 0 },
		{ "-1s", -ERANGE, 0 },
		{ "9999999999999h", -ERANGE, 0 },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		usec_t u = 4242;
		int r = parse_go_duration(cases[i].in, &u);
		ok(r == cases[i].r && (r < 0 ? u == 4242 : u == cases[i].want), "duration \"%s\": %d, %llu", cases[i].in, r,
		   (unsigned long long) u);
	}
}

static void test_rendered(void) {
	_cleanup_(cluster_config_freep) ClusterConfig *c = NULL;

	is_int(cluster_config_parse(rendered, strlen(rendered), &c), 0, "a rendered configuration parses");
	if (!c)
		return;
	ok(c->has_init && !c->has_join, "an InitConfiguration, no JoinConfiguration");
	is_str(c->node_name, "kiln-a1b2c3", "nodeRegistration.name");
	is_str(c->cert_dir, "/etc/kubernetes/pki", "certificatesDir");
	is_str(c->etcd_data_dir, "/var/lib/etcd-kiln", "etcd.local.dataDir");
	ok(!c->dns_disabled && c->proxy_disabled, "dns on, proxy disabled");
	ok(c->timeouts.control_plane_health == 10 * USEC_PER_MINUTE && c->timeouts.kubelet_health == 8 * USEC_PER_MINUTE &&
	   c->timeouts.api_call == 150 * USEC_PER_SEC && c->timeouts.etcd_api_call == 5 * USEC_PER_MINUTE,
	   "the four timeouts");
	/* 10 min margin + 8 + 10 + 5 + 4 x 2.5 */
	is_int(cluster_config_init_deadline(c) / USEC_PER_SEC, (10 + 8 + 10 + 5 + 10) * 60, "init's deadline sums kubeadm's waits");
}

static void test_defaults(void) {
	static const char minimal[] = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n";
	static const char external[] =
		"apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
		"etcd:\n  external:\n    endpoints: [https://10.0.0.1:2379]\n";
	static const char join[] =
		"apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"
		"discovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n";
	static const char wrong_types[] =
		"apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n"
		"nodeRegistration: [a, b]\ntimeouts:\n  kubeletHealthCheck: soon\n---\n"
		"apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificatesDir: {a: b}\n";
	static const char other_group[] =
		"apiVersion: example.com/v1\nkind: InitConfiguration\nnodeRegistration:\n  name: not-kubeadms\n";
	ClusterConfig *c = NULL;

	is_int(cluster_config_parse(minimal, strlen(minimal), &c), 0, "a minimal configuration");
	ok(c && !c->node_name && streq(c->cert_dir, "/etc/kubernetes/pki") && streq(c->etcd_data_dir, "/var/lib/etcd") &&
	   c->timeouts.kubelet_health == 4 * USEC_PER_MINUTE && c->timeouts.control_plane_health == 4 * USEC_PER_MINUTE &&
	   c->timeouts.api_call == USEC_PER_MINUTE && c->timeouts.etcd_api_call == 2 * USEC_PER_MINUTE,
	   "kubeadm's defaults: the host name, /etc/kubernetes/pki, /var/lib/etcd, 4m/4m/1m/2m");
	is_int(cluster_config_init_deadline(c) / USEC_PER_MINUTE, 10 + 4 + 4 + 2 + 4, "the default deadline: 24 min");
	c = cluster_config_free(c);

	is_int(cluster_config_parse(external, strlen(external), &c), 0, "external etcd");
	ok(c && c->etcd_data_dir == NULL, "no local data directory");
	c = cluster_config_free(c);

	is_int(cluster_config_parse(join, strlen(join), &c), 0, "a join configuration");
	ok(c && c->has_join && !c->has_init, "is seen as one");
	c = cluster_config_free(c);

	is_int(cluster_config_parse(wrong_types, strlen(wrong_types), &c), 0, "wrong types are left to kubeadm");
	ok(c && !c->node_name && c->timeouts.kubelet_health == 4 * USEC_PER_MINUTE && streq(c->cert_dir, "/etc/kubernetes/pki"),
	   "and keep the defaults");
	c = cluster_config_free(c);

	is_int(cluster_config_parse(other_group, strlen(other_group), &c), 0, "another group's document");
	ok(c && !c->has_init && !c->node_name, "is not kubeadm's");
	c = cluster_config_free(c);

	is_int(cluster_config_parse("kind: [\n", 8, &c), -EBADMSG, "not YAML: -EBADMSG");
	ok(c == NULL, "nothing returned");
	is_int(cluster_config_parse("", 0, &c), 0, "an empty file parses (kubeadm will refuse it)");
	ok(c && !c->has_init, "without an InitConfiguration");
	c = cluster_config_free(c);
	is_int(cluster_config_load("/nonexistent/kiln/kubeadm.yaml", &c), -ENOENT, "a missing file: -ENOENT");
}

int main(void) {
	test_durations();
	test_rendered();
	test_defaults();
	return done_testing();
}
