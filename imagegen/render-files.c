/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's other cluster files: the API server's admission configuration, CoreDNS's
 * Corefile and the one-machine pod network. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include "render.h"

/* Policy as data, the same for every profile: the levels of namespaces that carry no
 * labels of their own, and the one exemption, each with its reason next to it. */
static const char admission_text[] =
	"# kiln: the API server's admission configuration (kube-apiserver\n"
	"# --admission-control-config-file, set by the ClusterConfiguration of\n"
	"# " RENDER_DIR "/*.yaml and mounted read-only into the API server's pod).\n"
	"#\n"
	"# Pod Security Admission: a namespace without pod-security.kubernetes.io labels of\n"
	"# its own (default, kube-public, kube-node-lease, any created later) is held to the\n"
	"# restricted level: a pod that is not is refused (enforce), logged (audit) and warned\n"
	"# about (warn). kiln-supervisor labels each addon's namespace with the level its\n"
	"# profile gives (addons[].podSecurity, restricted by default), and writes the reason\n"
	"# for any other level next to it as the annotation kiln.io/pod-security-reason.\n"
	"apiVersion: apiserver.config.k8s.io/v1\n"
	"kind: AdmissionConfiguration\n"
	"plugins:\n"
	"  - name: PodSecurity\n"
	"    configuration:\n"
	"      apiVersion: pod-security.admission.config.k8s.io/v1\n"
	"      kind: PodSecurityConfiguration\n"
	"      defaults:\n"
	"        enforce: restricted\n"
	"        enforce-version: latest\n"
	"        audit: restricted\n"
	"        audit-version: latest\n"
	"        warn: restricted\n"
	"        warn-version: latest\n"
	"      exemptions:\n"
	"        namespaces:\n"
	"          # privileged: kubeadm's control plane (static pods with the host's network\n"
	"          # and paths) and kube-proxy (privileged, host network) run here, and kubeadm\n"
	"          # init creates kube-proxy and CoreDNS before anyone could label the namespace:\n"
	"          # exempt from the API server's first request on, not labelled too late.\n"
	"          - " POD_SECURITY_EXEMPT_NAMESPACE "\n";

int render_admission(char **ret_text) {
	char *t = strdup(admission_text);
	if (!t)
		return -ENOMEM;
	*ret_text = t;
	return 0;
}

/* kubeadm's own Corefile (cmd/kubeadm/app/phases/addons/dns), so that the cluster
 * behaves as any kubeadm cluster does, with one difference: an offline site has no
 * upstream resolver, and forwarding to one that does not answer only makes every lookup
 * of an outside name wait for a time-out. Without "forward", such a lookup fails at
 * once (SERVFAIL). */
int render_corefile(const Profile *p, char **ret_text) {
	const char *domain = p->kubernetes.dns_domain;
	static const char forward[] =
		"    forward . /etc/resolv.conf {\n"
		"       max_concurrent 1000\n"
		"    }\n";

	return asprintf(ret_text,
			".:53 {\n"
			"    errors\n"
			"    health {\n"
			"       lameduck 5s\n"
			"    }\n"
			"    ready\n"
			"    kubernetes %s in-addr.arpa ip6.arpa {\n"
			"       pods insecure\n"
			"       fallthrough in-addr.arpa ip6.arpa\n"
			"       ttl 30\n"
			"    }\n"
			"    prometheus :9153\n"
			"%s"
			"    cache 30 {\n"
			"       disable success %s\n"
			"       disable denial %s\n"
			"    }\n"
			"    loop\n"
			"    reload\n"
			"    loadbalance\n"
			"}\n",
			domain, p->kubernetes.offline ? "" : forward, domain, domain) < 0 ? -ENOMEM : 0;
}

bool render_wants_bridge(const Profile *p) {
	/* Machines not listed take node.role, and a listed machine of role single is the
	 * only one (profile_check()). */
	if (p->node.role != NODE_ROLE_SINGLE)
		return false;
	for (size_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].role != NODE_ROLE_SINGLE)
			return false;
	return true;
}

/* A bridge on the node, every pod an address from the pod subnet (host-local keeps the
 * leases under /var/lib/cni), masquerading for traffic leaving the node, and hostPort
 * through portmap. CNI 1.0.0 is what Debian's containernetworking-plugins 1.1.1 (bookworm
 * and trixie) speaks. The loopback interface is containerd's to set up (it runs
 * /usr/lib/cni/loopback itself); it is not a link of this chain. */
int render_cni_bridge(const Profile *p, char **ret_text) {
	const IpPrefix *pods = &p->kubernetes.pod_subnet;
	char subnet[IP_PREFIX_STRING_MAX];

	json_t *conf = json_pack(
		"{s:s, s:s, s:[{s:s, s:s, s:b, s:b, s:b, s:{s:s, s:[[{s:s}]], s:[{s:s}], s:s}}, {s:s, s:{s:b}}]}",
		"cniVersion", "1.0.0",
		"name", "kiln",
		"plugins",
		"type", "bridge", "bridge", "cni0", "isGateway", 1, "ipMasq", 1, "hairpinMode", 1,
		"ipam", "type", "host-local", "ranges", "subnet", ip_prefix_to_string(pods, subnet),
		"routes", "dst", pods->address.family == AF_INET ? "0.0.0.0/0" : "::/0",
		"dataDir", "/var/lib/cni/networks",
		"type", "portmap", "capabilities", "portMappings", 1);
	if (!conf)
		return -ENOMEM;
	char *text = json_dumps(conf, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(conf);
	if (!text)
		return -ENOMEM;
	/* json_dumps() ends without a newline; a text file has one. */
	int r = asprintf(ret_text, "%s\n", text);
	free(text);
	return r < 0 ? -ENOMEM : 0;
}
