/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "profile-text.h"
#include "schema.h"
#include "strv.h"
#include "tap.h"

static Profile *load_shipped(const char *name) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_free_ char *path = NULL;
	Profile *p = NULL;

	if (asprintf(&path, "%s/profiles/%s", tap_srcdir(), name) < 0)
		return NULL;
	int r = profile_load_file(path, &p, &diags);
	for (size_t i = 0; i < diags.n; i++) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags.items[i], &line) == 0)
			diag("%s", line);
	}
	ok(r == 0, "%s loads without problems (r=%d)", name, r);
	return p;
}

static Profile *load_text(const char *text) {
	int r;
	Profile *p = profile_from_text(text, &r);
	return r == 0 ? p : NULL;
}

static const char *prefix_str(const IpPrefix *p, char buf[static IP_PREFIX_STRING_MAX]) {
	return ip_prefix_to_string(p, buf);
}

static void test_single_node(void) {
	_cleanup_(profile_freep) Profile *p = load_shipped("single-node.yaml");
	char buf[IP_PREFIX_STRING_MAX];

	if (!p) {
		skip(17, "single-node.yaml did not load");
		return;
	}
	is_str(p->name, "single-node", "single-node: name");
	is_int(p->base.suite, DEBIAN_SUITE_TRIXIE, "single-node: trixie");
	is_int(p->base.architecture, ARCHITECTURE_AMD64, "single-node: amd64");
	ok(!p->base.mirror, "single-node: mirror from the build host");
	is_str(p->kernel.package, "linux-image-amd64", "single-node: generic kernel");
	ok(p->kubernetes.version.major == 1 && p->kubernetes.version.minor == 37, "single-node: Kubernetes v1.37.x");
	is_str(p->containerd.sandbox_image, "registry.k8s.io/pause:3.10.2", "single-node: kubeadm 1.37's pause image");
	ok(!p->kubernetes.offline, "single-node: CoreDNS forwards to the node's resolvers");
	is_str(prefix_str(&p->kubernetes.pod_subnet, buf), "10.244.0.0/16", "single-node: pod subnet");
	is_str(prefix_str(&p->kubernetes.service_subnet, buf), "10.96.0.0/12", "single-node: service subnet");
	ok(!p->kubernetes.control_plane_endpoint, "single-node: no shared endpoint needed");
	is_int(p->node.role, NODE_ROLE_SINGLE, "single-node: role single");
	is_int(p->node.network.mode, NETWORK_MODE_DHCP, "single-node: DHCP");
	is_int(p->n_nodes, 0, "single-node: no machines listed");
	is_int(p->n_addons, 0, "single-node: no addons until built-in definitions exist");
	ok(p->outputs.n_formats == 1 && p->outputs.formats[0] == OUTPUT_FORMAT_RAW,
	   "single-node: raw only (the other formats are refused until they exist)");
	ok(p->outputs.disk.esp_size + 2 * p->outputs.disk.root_size + p->outputs.disk.var_size < p->outputs.disk.size,
	   "single-node: partitions fit the disk");
}

static void test_homelab(void) {
	_cleanup_(profile_freep) Profile *p = load_shipped("homelab.yaml");
	char buf[IP_PREFIX_STRING_MAX], mac[MAC_ADDRESS_STRING_MAX], gw[IP_ADDRESS_STRING_MAX];
	if (!p) {
		skip(1, "homelab.yaml did not load");
		return;
	}
	is_str(p->name, "homelab", "homelab: name");
	is_str(p->kubernetes.control_plane_endpoint, "192.168.1.10:6443", "homelab: endpoint");
	is_str(prefix_str(&p->kubernetes.pod_subnet, buf), "10.244.0.0/16", "homelab: pods 10.244.0.0/16");
	is_str(prefix_str(&p->kubernetes.service_subnet, buf), "10.96.0.0/12", "homelab: services 10.96.0.0/12");
	is_int(p->node.network.mode, NETWORK_MODE_STATIC, "homelab: static addressing");
	is_int(p->n_nodes, 4, "homelab: four machines");
	for (size_t i = 0; i < p->n_nodes && i < 4; i++) {
		char want[32];
		const ProfileMachine *m = &p->nodes[i];
		snprintf(want, sizeof want, "192.168.1.%zu/24", 10 + i);
		ok(m->n_addresses == 1 && streq(prefix_str(&m->addresses[0], buf), want), "homelab: nodes[%zu] is %s", i, want);
		is_int(m->role, i == 0 ? NODE_ROLE_CONTROL_PLANE : NODE_ROLE_WORKER, "homelab: role of each machine");
		is_str(ip_address_to_string(&m->gateway, gw), "192.168.1.1", "homelab: gateway .1");
		snprintf(want, sizeof want, "52:54:00:00:00:%02zx", 0x10 + i);
		is_str(mac_address_to_string(&m->mac, mac), want, "homelab: MAC of each machine");
	}
	is_str(p->nodes[0].hostname, "cp1", "homelab: control plane host name");

	is_int(p->kubernetes.n_cert_sans, 2, "homelab: two certificate names");
	ok(p->kubernetes.n_cert_sans == 2 && streq(p->kubernetes.cert_sans[0], "192.168.1.10") &&
	   streq(p->kubernetes.cert_sans[1], "cp1"), "homelab: the endpoint's address and the host name");
	ok(p->kubernetes.offline, "homelab: offline site, CoreDNS forwards nowhere");
	is_int(p->n_addons, 0, "homelab: no addons until built-in definitions exist");
}

static const char minimal[] =
	"schema: 1\n"
	"name: minimal\n"
	"base: {}\n"
	"kubernetes:\n"
	"  version: v1.32.1\n";

static void test_defaults(void) {
	_cleanup_(profile_freep) Profile *p = load_text(minimal);
	char buf[IP_PREFIX_STRING_MAX];

	ok(p, "minimal profile loads");
	if (!p)
		return;
	is_int(p->schema, 1, "default: schema");
	ok(!p->description, "default: no description");
	is_int(p->base.suite, DEBIAN_SUITE_TRIXIE, "default: suite trixie");
	is_int(p->base.architecture, ARCHITECTURE_AMD64, "default: amd64");
	ok(!p->base.mirror && p->base.n_packages == 0 && !p->base.packages, "default: host mirror, no packages");
	is_str(p->base.locale, "C.UTF-8", "default: locale");
	is_str(p->base.timezone, "UTC", "default: timezone");
	is_str(p->kernel.package, "linux-image-amd64", "default: kernel from the architecture");
	ok(p->kubernetes.version.minor == 32 && p->kubernetes.version.patch == 1, "kubernetes.version v1.32.1");
	is_str(p->kubernetes.cluster_name, "kubernetes", "default: clusterName");
	ok(!p->kubernetes.control_plane_endpoint, "default: no endpoint");
	is_int(p->kubernetes.api_server_port, 6443, "default: apiServerPort");
	is_str(prefix_str(&p->kubernetes.pod_subnet, buf), "10.244.0.0/16", "default: podSubnet");
	is_str(prefix_str(&p->kubernetes.service_subnet, buf), "10.96.0.0/12", "default: serviceSubnet");
	is_str(p->kubernetes.dns_domain, "cluster.local", "default: dnsDomain");
	is_str(p->kubernetes.image_repository, "registry.k8s.io", "default: imageRepository");
	ok(p->kubernetes.n_cert_sans == 0 && !p->kubernetes.cert_sans, "default: no extra certificate names");
	ok(!p->kubernetes.offline, "default: not offline");
	is_int(p->kubernetes.timeouts.control_plane_component_health_check, 600, "default: control plane wait 10m");
	is_int(p->kubernetes.timeouts.kubelet_health_check, 600, "default: kubelet wait 10m");
	is_int(p->kubernetes.timeouts.kubernetes_api_call, 180, "default: API call 3m");
	is_int(p->kubernetes.timeouts.etcd_api_call, 300, "default: etcd call 5m");
	is_int(p->kubernetes.timeouts.tls_bootstrap, 600, "default: TLS bootstrap 10m");
	is_int(p->kubernetes.timeouts.discovery, 600, "default: discovery 10m");
	ok(!p->kubernetes.artifacts.kubeadm.url, "default: no artifact overrides");
	is_str(p->containerd.sandbox_image, "registry.k8s.io/pause:3.10", "default: sandboxImage");
	is_int(p->containerd.snapshotter, SNAPSHOTTER_OVERLAYFS, "default: overlayfs");
	is_int(p->containerd.cgroup_driver, CGROUP_DRIVER_SYSTEMD, "default: systemd cgroups");
	ok(!p->containerd.import_at_first_boot, "default: seeded store");
	is_int(p->n_addons, 0, "default: no addons");
	is_int(p->node.role, NODE_ROLE_SINGLE, "default: role single");
	ok(!p->node.hostname, "default: host name from the MAC");
	is_int(p->node.network.mode, NETWORK_MODE_DHCP, "default: DHCP");
	is_str(p->node.network.interface, "en*", "default: interface en*");
	ok(p->node.network.gateway.family == AF_UNSPEC, "default: no gateway");
	is_int(p->n_nodes, 0, "default: no machines");
	is_str(p->security.seccomp, "default", "default: seccomp policy");
	ok(!p->security.ssh.enabled, "default: no SSH");
	is_str(p->install.device, "auto", "default: install device");
	is_int(p->install.minimum_disk_size, UINT64_C(16) << 30, "default: minimumDiskSize 16GiB");
	ok(p->install.poweroff, "default: poweroff");
	ok(p->outputs.n_formats == 1 && p->outputs.formats[0] == OUTPUT_FORMAT_RAW, "default: formats [raw]");
	is_int(p->outputs.disk.size, UINT64_C(8) << 30, "default: disk 8GiB");
	is_int(p->outputs.disk.esp_size, UINT64_C(256) << 20, "default: ESP 256MiB");
	is_int(p->outputs.disk.root_size, UINT64_C(2) << 30, "default: root 2GiB");
	is_int(p->outputs.disk.var_size, UINT64_C(1) << 30, "default: var 1GiB");
	is_int(p->outputs.disk.root_filesystem, ROOT_FILESYSTEM_EROFS, "default: erofs");

	/* Derived default follows the architecture. */
	_cleanup_(profile_freep) Profile *arm = load_text("schema: 1\nname: a\nbase: {architecture: arm64}\n"
							 "kubernetes: {version: v1.33.0}\n");
	ok(arm && streq(arm->kernel.package, "linux-image-arm64"), "default: arm64 kernel for arm64");

	/* Null and empty values mean "not set". */
	_cleanup_(profile_freep) Profile *n = load_text("schema: 1\nname: a\nbase: {locale: ~, timezone: ''}\n"
						       "kubernetes: {version: v1.31.0}\nnode:\noutputs:\n");
	ok(n && streq(n->base.locale, "C.UTF-8") && streq(n->base.timezone, "UTC"), "null and '' take the default");
	ok(n && n->node.role == NODE_ROLE_SINGLE && n->outputs.n_formats == 1, "empty mappings take defaults");

	/* qcow2 is made (imagegen/step-qcow2.c): accepted, alone or with raw. */
	_cleanup_(profile_freep) Profile *q = load_text("schema: 1\nname: a\nbase: {suite: trixie}\n"
						       "kubernetes: {version: v1.31.0}\noutputs: {formats: [qcow2, raw]}\n");
	ok(q && q->outputs.n_formats == 2 && q->outputs.formats[0] == OUTPUT_FORMAT_QCOW2 &&
	   q->outputs.formats[1] == OUTPUT_FORMAT_RAW, "formats [qcow2, raw] are accepted");
}

static void round_trip(const char *what, Profile *p) {
	_cleanup_free_ char *first = NULL, *second = NULL;
	_cleanup_(profile_freep) Profile *again = NULL;

	if (!p) {
		skip(3, "%s did not load", what);
		return;
	}
	is_int(schema_dump(&profile_schema, p, &first), 0, "round trip: dump");
	again = first ? load_text(first) : NULL;
	ok(again, "round trip: %s reloads from its dump", what);
	if (!again) {
		diag("%s", first);
		skip(1, "no second dump");
		return;
	}
	(void) schema_dump(&profile_schema, again, &second);
	is_str(second, first, "round trip: second dump equals the first");
}

static void test_round_trip(void) {
	_cleanup_(profile_freep) Profile *m = load_text(minimal);
	_cleanup_(profile_freep) Profile *s = load_shipped("single-node.yaml");
	_cleanup_(profile_freep) Profile *h = load_shipped("homelab.yaml");
	_cleanup_free_ char *text = NULL;

	round_trip("minimal", m);
	round_trip("single-node", s);
	round_trip("homelab", h);

	if (m && schema_dump(&profile_schema, m, &text) == 0) {
		ok(strneq(text, "schema: 1\nname: \"minimal\"\n", 26), "dump starts with schema and name");
		ok(strstr(text, "  podSubnet: 10.244.0.0/16\n") && strstr(text, "  formats:\n    - raw\n"),
		   "dump carries the defaults");
	} else
		skip(2, "no dump");
}

static void test_failure_modes(void) {
	_cleanup_(diag_list_done) DiagList diags = {};
	Profile *sentinel = (Profile *) 0x1, *p = sentinel;
	_cleanup_free_ char *dir = tap_mkdtemp(), *big = NULL;

	is_int(profile_load_buffer("bad.yaml", "schema: 2\n", 10, &p, &diags), -EBADMSG, "invalid profile: -EBADMSG");
	ok(p == sentinel, "invalid profile: ret untouched");
	ok(diags.n >= 4, "invalid profile: every problem reported (%zu)", diags.n);
	is_int(profile_load_file("/nonexistent/profile.yaml", &p, &diags), -ENOENT, "missing file: -ENOENT");
	is_int(profile_load_file(tap_srcdir(), &p, &diags), -EISDIR, "directory: -EISDIR");

	if (dir && asprintf(&big, "%s/big.yaml", dir) >= 0) {
		FILE *f = fopen(big, "we");
		for (int i = 0; f && i <= SCHEMA_INPUT_MAX / 16; i++)
			fputs("# padding line\n\n", f);
		if (f)
			fclose(f);
		is_int(profile_load_file(big, &p, &diags), -EFBIG, "over 1 MiB: -EFBIG");
	} else
		skip(1, "no temporary directory");
	ok(p == sentinel, "ret untouched on every failure");
	(void) rm_rf(dir);
}

static void test_positions(void) {
	_cleanup_(profile_freep) Profile *p = load_text(minimal);
	unsigned line = 0, column = 0;

	if (!p) {
		skip(3, "no profile");
		return;
	}
	profile_position(p, &p->kubernetes.version, NULL, &line, &column);
	ok(line == 5 && column == 12, "position of kubernetes.version is 5:12 (got %u:%u)", line, column);
	profile_position(p, &p->kubernetes.pod_subnet, &p->kubernetes, &line, &column);
	ok(line == 5 && column == 3, "a defaulted value falls back to its mapping, 5:3 (got %u:%u)", line, column);
	profile_position(p, &p->outputs.disk.size, NULL, &line, &column);
	ok(line == 1 && column == 1, "unknown position is 1:1");
}

/* The walker is generic: a table of its own, with the types the profile does not use. */
typedef struct TestConf {
	uint64_t interval;
	uint64_t cache;
	int *levels;
	size_t n_levels;
} TestConf;

static void test_generic_walker(void) {
	static const char *const level_words[] = { "low", "mid", "high", NULL };
	static const SchemaField fields[] = {
		{ .key = "interval", .type = SCHEMA_DURATION, .offset = offsetof(TestConf, interval), .def = "1m",
		  .min = 1, .max = 86400 },
		{ .key = "cache", .type = SCHEMA_SIZE, .offset = offsetof(TestConf, cache), .min = 1024, .max = 1 << 20 },
		{ .key = "levels", .type = SCHEMA_ENUM, .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
		  .offset = offsetof(TestConf, levels), .offset_n = offsetof(TestConf, n_levels), .values = level_words },
	};
	static const SchemaTable table = SCHEMA_TABLE(TestConf, fields);
	static const char good[] = "interval: 1h30m\ncache: 64K\nlevels: [high, low]\n";
	static const char bad[] = "interval: 2d\ncache: 2M\nlevels: [mid, mid, top]\n";
	_cleanup_(diag_list_done) DiagList diags = {};
	TestConf c;

	is_int(schema_load(&table, "t", good, strlen(good), &c, NULL, &diags), 0, "generic: load");
	is_int(diags.n, 0, "generic: no problems");
	is_int(c.interval, 5400, "generic: duration");
	is_int(c.cache, 65536, "generic: size");
	ok(c.n_levels == 2 && c.levels[0] == 2 && c.levels[1] == 0, "generic: enum list");
	schema_done(&table, &c);
	ok(!c.levels && c.n_levels == 0, "generic: schema_done clears");

	is_int(schema_load(&table, "t", bad, strlen(bad), &c, NULL, &diags), 0, "generic: bad input walks");
	diag_list_sort_unique(&diags);
	is_int(diags.n, 4, "generic: four problems");
	if (diags.n == 4) {
		ok(strstr(diags.items[0].message, "interval") && strstr(diags.items[0].expected, "from 1s to 1d"),
		   "generic: duration out of range says the range (%s)", diags.items[0].expected);
		ok(strstr(diags.items[1].expected, "from 1KiB to 1MiB"), "generic: size range (%s)", diags.items[1].expected);
		ok(strstr(diags.items[2].message, "duplicate entry"), "generic: duplicate enum entry");
		ok(strstr(diags.items[3].message, "unknown value 'top'"), "generic: unknown enum word");
	} else
		skip(4, "unexpected diagnostics");
	is_int(c.interval, 60, "generic: invalid value replaced by the default");
	schema_done(&table, &c);
}

/* podSecurity: restricted unless said otherwise, and the reason kept as written. */
static void test_pod_security(void) {
	static const char text[] =
		"schema: 1\nname: p\nbase: {}\nkubernetes: {version: v1.32.1}\naddons:\n"
		"  - {name: plain, version: \"1\", namespace: plain, manifests: [a.yaml]}\n"
		"  - name: agent\n    version: \"1\"\n    namespace: agent\n    manifests: [b.yaml]\n"
		"    podSecurity:\n      level: privileged\n      reason: \"reads the host's /proc and loads eBPF\"\n";
	_cleanup_(profile_freep) Profile *p = load_text(text);

	ok(p && p->n_addons == 2, "addons with podSecurity load");
	if (!p || p->n_addons != 2)
		return;
	is_int(p->addons[0].pod_security.level, POD_SECURITY_RESTRICTED, "podSecurity.level: restricted by default");
	ok(!p->addons[0].pod_security.reason, "podSecurity.reason: none by default");
	is_int(p->addons[1].pod_security.level, POD_SECURITY_PRIVILEGED, "podSecurity.level: privileged as written");
	is_str(p->addons[1].pod_security.reason, "reads the host's /proc and loads eBPF", "podSecurity.reason as written");
	is_str(pod_security_level_to_string(POD_SECURITY_BASELINE), "baseline", "the level's word");
}

int main(void) {
	test_single_node();
	test_pod_security();
	test_homelab();
	test_defaults();
	test_round_trip();
	test_failure_modes();
	test_positions();
	test_generic_walker();
	return done_testing();
}
