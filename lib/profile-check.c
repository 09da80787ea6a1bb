/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules that span several fields of a profile, run after the schema walk. Each problem is
 * one diagnostic at the offending value (or, when that value is a default, at the mapping
 * it would have been in). Values the walk already rejected are skipped, so a rule never
 * reports a consequence of an earlier error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "profile.h"

typedef struct Checker {
	Profile *p;
	DiagList *diags;
} Checker;

_printf_(5, 6) static int problem(Checker *c, const void *addr, const void *fallback, const char *expected,
				  const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	int r = profile_diagv(c->p, c->diags, addr, fallback, expected, fmt, ap);
	va_end(ap);
	return r;
}

static bool usable(Checker *c, const void *addr) {
	return !schema_value_was_invalid(&c->p->positions, addr);
}

static bool given(Checker *c, const void *addr) {
	unsigned line, column;
	return schema_position_find(&c->p->positions, addr, false, &line, &column) == 0;
}

static int check_subnets(Checker *c) {
	ProfileKubernetes *k = &c->p->kubernetes;
	const IpPrefix *pod = &k->pod_subnet, *svc = &k->service_subnet;
	char a[IP_PREFIX_STRING_MAX], b[IP_PREFIX_STRING_MAX];
	bool v4;
	int r = 0;

	if (!usable(c, pod) || !usable(c, svc))
		return 0;
	if (pod->address.family != svc->address.family)
		return problem(c, svc, k, "subnets of one address family (dual stack is not supported)",
			       "kubernetes.serviceSubnet %s and kubernetes.podSubnet %s are of different families",
			       ip_prefix_to_string(svc, a), ip_prefix_to_string(pod, b));
	if (cidr_overlap(pod, svc))
		return problem(c, svc, k, "subnets that do not overlap",
			       "kubernetes.serviceSubnet %s overlaps kubernetes.podSubnet %s",
			       ip_prefix_to_string(svc, a), ip_prefix_to_string(pod, b));

	/* kube-apiserver refuses service ranges above 20 bits; CoreDNS takes the tenth address. */
	v4 = svc->address.family == AF_INET;
	unsigned bits = v4 ? 32 : 128;
	if (bits - svc->prefixlen > 20 || bits - svc->prefixlen < 4)
		r = problem(c, svc, k, v4 ? "a prefix length from 12 to 28" : "a prefix length from 108 to 124",
			    "kubernetes.serviceSubnet %s is too %s for the API server", ip_prefix_to_string(svc, a),
			    bits - svc->prefixlen > 20 ? "large" : "small");
	if (r < 0)
		return r;

	/* The controller manager hands every node a /24 (IPv4) or /64 (IPv6) out of the pod
	 * subnet, at most 16 bits apart for IPv6. */
	if (v4 ? pod->prefixlen > 24 : pod->prefixlen > 64 || pod->prefixlen < 48)
		r = problem(c, pod, k, v4 ? "a prefix length of at most 24" : "a prefix length from 48 to 64",
			    "kubernetes.podSubnet %s does not fit the per-node ranges the controller manager assigns",
			    ip_prefix_to_string(pod, a));
	return r;
}

static int check_disk(Checker *c) {
	ProfileDisk *d = &c->p->outputs.disk;
	char s[5][FORMAT_SIZE_MAX], need[FORMAT_SIZE_MAX], expected[64];
	int r = 0;

	if (!usable(c, &d->size) || !usable(c, &d->esp_size) || !usable(c, &d->root_size) || !usable(c, &d->var_size))
		return 0;
	/* All four are bounded by the schema, so the sum cannot overflow. */
	uint64_t total = d->esp_size + 2 * d->root_size + d->var_size + PROFILE_GPT_OVERHEAD;
	if (total > d->size) {
		snprintf(expected, sizeof expected, "a size of at least %s", format_size(total, need));
		r = problem(c, &d->size, d, expected,
			    "outputs.disk.size %s is too small for espSize %s + 2 x rootSize %s + varSize %s + %s GPT = %s",
			    format_size(d->size, s[0]), format_size(d->esp_size, s[1]), format_size(d->root_size, s[2]),
			    format_size(d->var_size, s[3]), format_size(PROFILE_GPT_OVERHEAD, s[4]), need);
	}
	return r;
}

static int check_address_placement(Checker *c, const IpPrefix *a, const char *what) {
	ProfileKubernetes *k = &c->p->kubernetes;
	char x[IP_PREFIX_STRING_MAX], y[IP_PREFIX_STRING_MAX];
	IpPrefix net = ip_prefix_network(a);

	if (usable(c, &k->pod_subnet) && cidr_overlap(&net, &k->pod_subnet))
		return problem(c, a, NULL, "a node network apart from the pod and service subnets",
			       "%s %s overlaps kubernetes.podSubnet %s", what, ip_prefix_to_string(a, x),
			       ip_prefix_to_string(&k->pod_subnet, y));
	if (usable(c, &k->service_subnet) && cidr_overlap(&net, &k->service_subnet))
		return problem(c, a, NULL, "a node network apart from the pod and service subnets",
			       "%s %s overlaps kubernetes.serviceSubnet %s", what, ip_prefix_to_string(a, x),
			       ip_prefix_to_string(&k->service_subnet, y));
	return 0;
}

/* The gateway must be reachable on the link: inside one of the addresses' subnets. */
static int check_gateway(Checker *c, const IpAddress *gw, const IpPrefix *addrs, size_t n, const char *what,
			 const void *where) {
	char x[IP_ADDRESS_STRING_MAX];

	if (gw->family == AF_UNSPEC || n == 0 || !usable(c, gw))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (ip_address_equal(gw, &addrs[i].address))
			return problem(c, where, NULL, "another machine's address, usually the router",
				       "%s %s is the machine's own address", what, ip_address_to_string(gw, x));
		if (ip_prefix_contains(&addrs[i], gw))
			return 0;
	}
	return problem(c, where, NULL, "an address inside one of the machine's subnets",
		       "%s %s is not on the machine's network", what, ip_address_to_string(gw, x));
}

static int check_network(Checker *c) {
	Profile *p = c->p;
	ProfileNetwork *net = &p->node.network;
	bool is_static = net->mode == NETWORK_MODE_STATIC;
	char what[64];
	int r;

	if (!usable(c, &net->mode))
		return 0;
	if (!is_static && net->n_addresses > 0)
		return problem(c, &net->addresses, net, "mode: static, or no addresses",
			       "node.network.addresses are given, but node.network.mode is dhcp");
	if (is_static && net->n_addresses == 0 && p->n_nodes == 0)
		return problem(c, &net->mode, net, "node.network.addresses, or addresses for each machine in nodes",
			       "node.network.mode is static, but no addresses are given");

	for (size_t i = 0; i < net->n_addresses; i++) {
		r = check_address_placement(c, &net->addresses[i], "node.network.addresses:");
		if (r < 0)
			return r;
	}
	r = check_gateway(c, &net->gateway, net->addresses, net->n_addresses, "node.network.gateway", &net->gateway);
	if (r < 0)
		return r;

	for (size_t i = 0; i < p->n_nodes; i++) {
		ProfileMachine *m = &p->nodes[i];
		const IpPrefix *addrs = m->n_addresses > 0 ? m->addresses : net->addresses;
		size_t n = m->n_addresses > 0 ? m->n_addresses : net->n_addresses;

		if (!is_static && m->n_addresses > 0)
			r = problem(c, &m->addresses, m, "node.network.mode: static",
				    "nodes[%zu].addresses are given, but node.network.mode is dhcp", i);
		else if (is_static && n == 0)
			r = problem(c, &m->mac, m, "addresses for this machine, or node.network.addresses",
				    "nodes[%zu] has no addresses, but node.network.mode is static", i);
		if (r < 0)
			return r;

		for (size_t j = 0; j < m->n_addresses; j++) {
			snprintf(what, sizeof what, "nodes[%zu].addresses:", i);
			r = check_address_placement(c, &m->addresses[j], what);
			for (size_t k = 0; r >= 0 && k < i; k++)
				for (size_t l = 0; l < p->nodes[k].n_addresses; l++)
					if (ip_address_equal(&m->addresses[j].address, &p->nodes[k].addresses[l].address)) {
						char x[IP_ADDRESS_STRING_MAX];
						r = problem(c, &m->addresses[j], m, "a different address for each machine",
							    "nodes[%zu].addresses: %s is also the address of nodes[%zu]", i,
							    ip_address_to_string(&m->addresses[j].address, x), k);
						break;
					}
			if (r < 0)
				return r;
		}

		snprintf(what, sizeof what, "nodes[%zu].gateway", i);
		if (m->gateway.family != AF_UNSPEC)
			r = check_gateway(c, &m->gateway, addrs, n, what, &m->gateway);
		else if (m->n_addresses > 0)
			r = check_gateway(c, &net->gateway, addrs, n, "node.network.gateway", &m->addresses);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_roles(Checker *c) {
	Profile *p = c->p;
	const char *endpoint = p->kubernetes.control_plane_endpoint;
	const void *needs_endpoint = NULL;
	const char *why = NULL;
	size_t n_cp = 0;
	int r;

	/* Machines that boot the image without being listed take node.role. */
	if (p->node.role == NODE_ROLE_WORKER && usable(c, &p->node.role))
		needs_endpoint = &p->node.role, why = "node.role worker joins a control plane";
	if (p->n_nodes > 1 && p->node.role == NODE_ROLE_SINGLE && given(c, &p->node.role)) {
		r = problem(c, &p->node.role, &p->node, "worker or control-plane",
			    "node.role is single, but nodes lists %zu machines: a machine not listed would form a cluster of its own",
			    p->n_nodes);
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < p->n_nodes; i++) {
		ProfileMachine *m = &p->nodes[i];
		/* The role's position, or the position of the node.role it inherits. */
		const void *role_at = given(c, &m->role) ? (const void *) &m->role : (const void *) &p->node.role;
		char mac[MAC_ADDRESS_STRING_MAX];

		if (usable(c, &m->mac) && given(c, &m->mac) && !mac_address_is_unicast(&m->mac)) {
			r = problem(c, &m->mac, m, "the unicast address of a network card",
				    "nodes[%zu].mac %s is not a unicast address", i, mac_address_to_string(&m->mac, mac));
			if (r < 0)
				return r;
		}
		if (m->role == NODE_ROLE_SINGLE && p->n_nodes > 1 && given(c, &m->role)) {
			r = problem(c, role_at, m, "control-plane or worker",
				    "nodes[%zu].role is single, but nodes lists %zu machines", i, p->n_nodes);
			if (r < 0)
				return r;
		}
		if (m->role == NODE_ROLE_WORKER && !needs_endpoint)
			needs_endpoint = role_at, why = "a worker joins a control plane";
		if (m->role == NODE_ROLE_CONTROL_PLANE && ++n_cp == 2 && !needs_endpoint)
			needs_endpoint = role_at, why = "several control planes share one address";
	}

	if (needs_endpoint && !endpoint && usable(c, &p->kubernetes.control_plane_endpoint))
		return problem(c, needs_endpoint, NULL, "kubernetes.controlPlaneEndpoint: host[:port] of the control plane",
			       "%s, but kubernetes.controlPlaneEndpoint is not set", why);
	return 0;
}

/* An addon is applied from its manifests. Built-in definitions (an addon known by name,
 * configured by its settings) do not exist yet: such an addon would silently do
 * nothing, so it is refused, and so are settings nothing would read. */
static int check_addon_source(Checker *c, ProfileAddon *a) {
	if (!a->name)
		return 0;
	if (a->n_manifests == 0)
		return problem(c, &a->name, a, NULL,
			       "addon %s: built-in addon definitions are not implemented yet; give its manifests: (and images:)",
			       a->name);
	if (a->n_settings > 0)
		return problem(c, a->settings, a, "no settings: the manifests are applied as they are",
			       "addon %s: settings are read by built-in addon definitions, which are not implemented yet",
			       a->name);
	return 0;
}

/* A level other than restricted says why, next to it: the reason lands on the namespace
 * for whoever wonders later. One namespace has one level, and kube-system's is not an
 * addon's to choose. */
static int check_addon_pod_security(Checker *c, ProfileAddon *a, size_t i) {
	ProfileAddonPodSecurity *ps = &a->pod_security;
	bool set = given(c, &ps->level) || ps->reason;

	if (!a->name || !a->namespace || !usable(c, &ps->level))
		return 0;
	if (set && streq(a->namespace, POD_SECURITY_EXEMPT_NAMESPACE))
		return problem(c, &ps->level, a, "the addon in a namespace of its own",
			       "addon %s: podSecurity is given, but the addon is in kube-system, which is exempt from Pod "
			       "Security Admission (kubeadm's control plane runs there)", a->name);
	if (ps->level != POD_SECURITY_RESTRICTED && isempty(ps->reason))
		return problem(c, &ps->level, a, "podSecurity.reason: why the addon needs it",
			       "addon %s: podSecurity.level is %s, but no reason is given", a->name,
			       pod_security_level_to_string(ps->level));
	for (size_t j = 0; j < i; j++) {
		ProfileAddon *b = &c->p->addons[j];
		if (b->namespace && streq(b->namespace, a->namespace) && !streq(a->namespace, POD_SECURITY_EXEMPT_NAMESPACE) &&
		    b->pod_security.level != ps->level)
			return problem(c, &ps->level, a, pod_security_level_to_string(b->pod_security.level),
				       "addon %s: podSecurity.level %s differs from the %s of addon %s, in the same namespace %s",
				       a->name, pod_security_level_to_string(ps->level),
				       pod_security_level_to_string(b->pod_security.level), b->name, a->namespace);
	}
	return 0;
}

static int check_addons(Checker *c) {
	Profile *p = c->p;
	char q[80];
	int r = 0;

	for (size_t i = 0; i < p->n_addons; i++) {
		ProfileAddon *a = &p->addons[i];
		if ((r = check_addon_source(c, a)) < 0 || (r = check_addon_pod_security(c, a, i)) < 0)
			return r;
		for (size_t d = 0; a->name && d < a->n_depends_on; d++) {
			const char *dep = a->depends_on[d];
			size_t j;

			for (j = 0; j < p->n_addons; j++)
				if (p->addons[j].name && streq(p->addons[j].name, dep))
					break;
			snprintf(q, sizeof q, "addons listed before %s", a->name);
			if (j == i)
				r = problem(c, &a->depends_on[d], a, q, "addons[%zu].dependsOn: %s depends on itself", i, dep);
			else if (j == p->n_addons)
				r = problem(c, &a->depends_on[d], a, q, "addons[%zu].dependsOn: %s is not an addon of this profile",
					    i, dep);
			else if (j > i)
				r = problem(c, &a->depends_on[d], a, q,
					    "addons[%zu].dependsOn: %s is listed later, as addons[%zu]; list it before %s",
					    i, dep, j, a->name);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static bool cert_san_matches(const char *san, const char *host) {
	IpAddress a, b;
	if (parse_ip_address(san, &a) == 0)
		return parse_ip_address(host, &b) == 0 && ip_address_equal(&a, &b);
	if (strneq(san, "*.", 2)) {
		/* A wildcard stands for exactly one label. */
		const char *dot = strchr(host, '.');
		return dot && dot != host && strcasecmp(dot + 1, san + 2) == 0;
	}
	return strcasecmp(san, host) == 0;
}

/* Clients reach the API server at the endpoint: when the certificate's extra names are
 * given, the endpoint's host must be one of them (kubeadm would add it anyway; a profile
 * that lists the names and leaves out the one that matters was written by mistake). */
static int check_cert_sans(Checker *c) {
	ProfileKubernetes *k = &c->p->kubernetes;
	_cleanup_free_ char *host = NULL;
	char expected[300];

	if (k->n_cert_sans == 0 || !k->control_plane_endpoint || !usable(c, &k->cert_sans) ||
	    parse_endpoint(k->control_plane_endpoint, &host, NULL) < 0)
		return 0;
	for (size_t i = 0; i < k->n_cert_sans; i++)
		if (cert_san_matches(k->cert_sans[i], host))
			return 0;
	snprintf(expected, sizeof expected, "kubernetes.certSANs listing %s", host);
	return problem(c, &k->control_plane_endpoint, k, expected,
		       "kubernetes.controlPlaneEndpoint host %s is not in kubernetes.certSANs", host);
}

static int check_artifacts(Checker *c) {
	ProfileArtifacts *all = &c->p->kubernetes.artifacts;
	const struct {
		const char *name;
		ProfileArtifact *a;
	} list[] = {
		{ "kubeadm", &all->kubeadm }, { "kubelet", &all->kubelet },
		{ "kubectl", &all->kubectl }, { "crictl", &all->crictl },
	};

	for (size_t i = 0; i < ELEMENTSOF(list); i++) {
		ProfileArtifact *a = list[i].a;
		int r = 0;

		if (!a->url || !usable(c, &a->sha256) || !usable(c, &a->sha512))
			continue;
		if (!a->sha256 && !a->sha512)
			r = problem(c, &a->url, a, "sha256 or sha512",
				    "kubernetes.artifacts.%s has no digest to verify the download", list[i].name);
		else if (a->sha256 && a->sha512)
			r = problem(c, &a->sha512, a, "one of sha256 and sha512",
				    "kubernetes.artifacts.%s has two digests", list[i].name);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Choices the schema spells out but the image does not offer (yet): refused rather than
 * ignored. */
static int check_containerd(Checker *c) {
	ProfileContainerd *ct = &c->p->containerd;
	int r = 0;

	if (ct->cgroup_driver != CGROUP_DRIVER_SYSTEMD && usable(c, &ct->cgroup_driver))
		r = problem(c, &ct->cgroup_driver, ct, "systemd",
			    "containerd.cgroupDriver %s is not implemented: containerd and the kubelet of the image use systemd's",
			    cgroup_driver_to_string(ct->cgroup_driver));
	if (r >= 0 && ct->snapshotter != SNAPSHOTTER_OVERLAYFS && usable(c, &ct->snapshotter))
		r = problem(c, &ct->snapshotter, ct, "overlayfs",
			    "containerd.snapshotter %s is not implemented: the image's store is seeded for overlayfs",
			    snapshotter_to_string(ct->snapshotter));
	return r;
}

static int check_misc(Checker *c) {
	Profile *p = c->p;
	const char *arch = architecture_to_string(p->base.architecture);
	int r = 0;

	/* linux-image-amd64 on an arm64 image is a copy-and-paste slip, not a choice. */
	for (Architecture a = 0; a < _ARCHITECTURE_MAX; a++) {
		char suffix[16];
		size_t n = strlen(p->kernel.package), m;
		snprintf(suffix, sizeof suffix, "-%s", architecture_to_string(a));
		m = strlen(suffix);
		if (a != p->base.architecture && n > m && streq(p->kernel.package + n - m, suffix) &&
		    usable(c, &p->base.architecture)) {
			r = problem(c, &p->kernel.package, &p->kernel, "a kernel package for the image's architecture",
				    "kernel.package %s is for %s, but base.architecture is %s", p->kernel.package,
				    architecture_to_string(a), arch);
			break;
		}
	}
	if (r < 0)
		return r;

	ProfileSsh *ssh = &p->security.ssh;
	if (ssh->enabled && ssh->n_authorized_keys == 0)
		r = problem(c, &ssh->enabled, ssh, "at least one key in security.ssh.authorizedKeys (kiln sets no passwords)",
			    "security.ssh is enabled, but nobody could log in");
	return r;
}

int profile_check(Profile *p, DiagList *diags) {
	static int (*const rules[])(Checker *c) = {
		check_subnets, check_disk, check_network, check_roles, check_cert_sans, check_addons, check_artifacts,
		check_containerd, check_misc,
	};
	Checker c = { .p = p, .diags = diags };

	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		int r = rules[i](&c);
		if (r < 0)
			return r;
	}
	return 0;
}
