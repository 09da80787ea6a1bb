/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bad profiles and the exact diagnostic each must produce: "name:line:column: " and a
 * piece of the message. Every case is an inline YAML text; its name is the file name in
 * the diagnostic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "profile.h"
#include "tap.h"

/* A valid start, five lines long, that cases extend. */
#define HEAD "schema: 1\nname: t\nbase: {}\nkubernetes:\n  version: v1.31.4\n"
#define MAC(n) "52:54:00:00:00:1" #n

static const struct BadCase {
	const char *name;
	const char *yaml;
	const char *where;      /* line:column */
	const char *message;    /* a substring of "message (expected)" */
} cases[] = {
	/* YAML itself */
	{ "syntax", "schema: 1\nname: t\n  bad: indent\n", "3:6", "YAML syntax error: mapping values are not allowed" },
	{ "tab", "schema: 1\n\tname: t\n", "2:1", "YAML syntax error: found a tab character that violates indentation" },
	{ "unclosed", "schema: 1\nname: [a, b\n", "3:1", "YAML syntax error: did not find expected ',' or ']'" },
	{ "empty", "", "1:1", "empty document" },
	{ "top-list", "- schema: 1\n", "1:1", "wrong type, found a list at the top (a mapping)" },
	{ "two-docs", HEAD "---\nschema: 1\n", "6:1", "more than one YAML document" },
	{ "anchor", HEAD "node: &n {role: single}\n", "6:7", "YAML anchors are not supported" },
	{ "alias", "schema: 1\nname: t\nbase: {}\nkubernetes: {version: v1.31.4}\ndescription: *x\n", "5:14",
	  "YAML aliases are not supported" },
	{ "tag", "schema: 1\nname: !custom t\nbase: {}\nkubernetes: {version: v1.31.4}\n", "2:7", "unsupported YAML tag '!custom'" },
	{ "deep", "schema: 1\nname: t\nx: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  "3:67", "YAML nesting deeper than 64 levels" },
	{ "nul", "schema: 1\nname: \"a\\0b\"\nbase: {}\nkubernetes: {version: v1.31.4}\n", "2:7", "name: contains a NUL character" },

	/* Keys and types */
	{ "unknown-key", HEAD "  podSubnt: 10.244.0.0/16\n", "6:3",
	  "unknown key 'podSubnt' in kubernetes; did you mean 'podSubnet'? (one of: version, clusterName," },
	{ "unknown-top", HEAD "ouptuts: {}\n", "6:1", "unknown key 'ouptuts'; did you mean 'outputs'?" },
	{ "snake-case", HEAD "  pod_subnet: 10.244.0.0/16\n", "6:3", "did you mean 'podSubnet'?" },
	{ "merge-key", HEAD "node:\n  <<: {role: single}\n", "7:3", "YAML merge keys are not supported" },
	{ "duplicate-key", HEAD "  version: v1.32.0\n", "6:3", "duplicate key 'version' in kubernetes, first at line 5" },
	{ "scalar-for-mapping", "schema: 1\nname: t\nbase: trixie\nkubernetes: {version: v1.31.4}\n", "3:7",
	  "base: wrong type, found a scalar (a mapping)" },
	{ "list-for-scalar", "schema: 1\nname: [a, b]\nbase: {}\nkubernetes: {version: v1.31.4}\n", "2:7",
	  "name: wrong type, found a list" },
	{ "scalar-for-list", HEAD "outputs:\n  formats: raw\n", "7:12", "outputs.formats: wrong type, found a scalar (a list, each entry one of: raw," },
	{ "string-for-int", HEAD "  apiServerPort: high\n", "6:18", "kubernetes.apiServerPort: 'high' is not an integer (an integer from 1 to 65535)" },
	{ "quoted-int", HEAD "  apiServerPort: \"6443\"\n", "6:18", "wrong type, found a quoted string" },
	{ "yaml11-bool", HEAD "containerd:\n  importAtFirstBoot: yes\n", "7:22", "'yes' is a boolean only in YAML 1.1 (true or false)" },
	{ "float-string", HEAD "addons:\n  - name: cilium\n    version: 1.20\n", "8:14", "1.20 is a number in YAML" },
	{ "settings-nested", HEAD "addons:\n  - name: a\n    version: \"1\"\n    settings:\n      pool: {from: x}\n", "10:13",
	  "addons[0].settings.pool: wrong type, found a mapping (a scalar or a list of scalars)" },

	/* Required */
	{ "missing-top", "schema: 1\nname: t\nbase: {}\n", "1:1", "missing required key 'kubernetes'" },
	{ "missing-nested", "schema: 1\nname: t\nbase: {}\nkubernetes:\n  clusterName: c\n", "5:3",
	  "missing required key 'version' in kubernetes" },
	{ "missing-value", "schema: 1\nname:\nbase: {}\nkubernetes: {version: v1.31.4}\n", "2:6", "name: missing value" },
	{ "schema-version", "schema: 2\nname: t\nbase: {}\nkubernetes: {version: v1.31.4}\n", "1:9", "schema: '2' is out of range (exactly 1)" },

	/* Values */
	{ "cidr-syntax", HEAD "  podSubnet: 10.244.0/16\n", "6:14", "kubernetes.podSubnet: invalid subnet '10.244.0/16'" },
	{ "cidr-prefix", HEAD "  podSubnet: 10.244.0.0/33\n", "6:14", "prefix length out of range in '10.244.0.0/33' (a prefix length from 0 to 32)" },
	{ "cidr-host-bits", HEAD "  podSubnet: 10.244.0.1/16\n", "6:14", "has host bits set (the network address 10.244.0.0/16)" },
	{ "ipv4-octet", HEAD "node:\n  network:\n    gateway: 192.168.1.256\n", "8:14", "IPv4 octet out of range in '192.168.1.256'" },
	{ "repository-tag", HEAD "  imageRepository: registry.k8s.io/k8s:v1\n", "6:20",
	  "kubernetes.imageRepository: invalid image repository 'registry.k8s.io/k8s:v1'" },
	{ "repository-no-host", HEAD "  imageRepository: k8s\n", "6:20", "invalid image repository 'k8s'" },
	{ "port-range", HEAD "  apiServerPort: 65536\n", "6:18", "'65536' is out of range (an integer from 1 to 65535)" },
	{ "port-zero", HEAD "  apiServerPort: 0\n", "6:18", "'0' is out of range" },
	{ "version-syntax", "schema: 1\nname: t\nbase: {}\nkubernetes:\n  version: 1.31.4\n", "5:12", "invalid Kubernetes version '1.31.4'" },
	{ "version-minor", "schema: 1\nname: t\nbase: {}\nkubernetes:\n  version: v1.30.2\n", "5:12",
	  "unsupported Kubernetes version 'v1.30.2' (v1.31.x to v1.37.x)" },
	{ "mac", HEAD "nodes:\n  - mac: 52:54:00:zz:00:10\n    hostname: a\n", "7:10", "nodes[0].mac: invalid MAC address" },
	{ "mac-multicast", HEAD "nodes:\n  - mac: 01:00:5e:00:00:01\n    hostname: a\n", "7:10", "is not a unicast address" },
	{ "hostname", HEAD "node:\n  hostname: Node_1\n", "7:13", "node.hostname: invalid host name 'Node_1' (an RFC 1123 label" },
	{ "enum", "schema: 1\nname: t\nbase: {suite: trixy}\nkubernetes: {version: v1.31.4}\n", "3:15",
	  "base.suite: unknown value 'trixy'; did you mean 'trixie'? (one of: bookworm, trixie)" },
	{ "package", "schema: 1\nname: t\nbase: {packages: [curl, Vim]}\nkubernetes: {version: v1.31.4}\n", "3:25",
	  "base.packages[1]: invalid Debian package name 'Vim'" },
	{ "duplicate-entry", "schema: 1\nname: t\nbase: {packages: [curl, curl]}\nkubernetes: {version: v1.31.4}\n", "3:25",
	  "duplicate entry 'curl', also at line 3" },
	{ "size-suffix", HEAD "outputs:\n  disk:\n    size: 8GB\n", "8:11", "outputs.disk.size: invalid size '8GB'" },
	{ "size-range", HEAD "outputs:\n  disk:\n    espSize: 16MiB\n", "8:14", "'16MiB' is out of range (a size from 64MiB to 4GiB)" },
	{ "image", HEAD "containerd:\n  sandboxImage: pause:3.10\n", "7:17", "containerd.sandboxImage: invalid image reference 'pause:3.10'" },
	{ "endpoint", HEAD "  controlPlaneEndpoint: cp1:99999\n", "6:25", "invalid endpoint 'cp1:99999'" },
	{ "formats-empty", HEAD "outputs:\n  formats: []\n", "7:12", "outputs.formats: empty list" },
	{ "formats-unknown", HEAD "outputs:\n  formats: [raw, vmdk]\n", "7:18", "outputs.formats[1]: unknown value 'vmdk'" },
	{ "formats-duplicate", HEAD "outputs:\n  formats: [raw, iso, raw]\n", "7:23", "duplicate entry 'raw'" },
	{ "install-mode", HEAD "install:\n  mode: ram\n", "7:9",
	  "install.mode: unknown value 'ram'" },
	{ "install-url", HEAD "install:\n  url: ftp://boot.lan/kiln/\n", "7:8",
	  "install.url: invalid URL 'ftp://boot.lan/kiln/'" },
	{ "install-ram-budget", HEAD "install:\n  ramBudget: 1MiB\n", "7:14",
	  "install.ramBudget" },
	{ "install-device", HEAD "install:\n  device: sda\n", "7:11",
	  "install.device: invalid install device 'sda' (auto or a /dev path)" },
	/* Known to the schema, not implemented yet: refused where written, never ignored. */
	{ "seccomp-not-yet", HEAD "security:\n  seccomp: default\n", "7:3",
	  "security.seccomp: not implemented yet (the seccomp policy under profiles/security/); remove it" },

	/* Across fields */
	{ "overlap", HEAD "  podSubnet: 10.0.0.0/8\n  serviceSubnet: 10.96.0.0/12\n", "7:18",
	  "kubernetes.serviceSubnet 10.96.0.0/12 overlaps kubernetes.podSubnet 10.0.0.0/8" },
	{ "service-too-large", HEAD "  podSubnet: 172.16.0.0/16\n  serviceSubnet: 10.0.0.0/8\n", "7:18",
	  "kubernetes.serviceSubnet 10.0.0.0/8 is too large for the API server (a prefix length from 12 to 28)" },
	{ "pod-too-small", HEAD "  podSubnet: 10.244.0.0/25\n", "6:14", "does not fit the per-node ranges" },
	{ "disk-too-small", HEAD "outputs:\n  disk:\n    size: 4GiB\n", "8:11",
	  "outputs.disk.size 4GiB is too small for espSize 256MiB + 2 x rootSize 2GiB + varSize 1GiB + 1MiB GPT = 5377MiB "
	  "(a size of at least 5377MiB)" },
	{ "static-no-addresses", HEAD "node:\n  network:\n    mode: static\n", "8:11",
	  "node.network.mode is static, but no addresses are given" },
	{ "dhcp-with-addresses", HEAD "node:\n  network:\n    addresses: [192.168.1.10/24]\n", "8:16",
	  "node.network.addresses are given, but node.network.mode is dhcp" },
	{ "gateway-off-link", HEAD "node:\n  network:\n    mode: static\n    addresses: [192.168.1.10/24]\n    gateway: 10.0.0.1\n",
	  "10:14", "node.network.gateway 10.0.0.1 is not on the machine's network" },
	{ "address-in-pods", HEAD "node:\n  network:\n    mode: static\n    addresses: [10.244.3.2/24]\n", "9:17",
	  "node.network.addresses: 10.244.3.2/24 overlaps kubernetes.podSubnet 10.244.0.0/16" },
	{ "worker-no-endpoint", HEAD "node:\n  role: worker\n", "7:9", "node.role worker joins a control plane, but kubernetes.controlPlaneEndpoint is not set" },
	{ "two-control-planes", HEAD "node: {role: control-plane}\nnodes:\n  - {mac: " MAC(0) ", hostname: a}\n  - {mac: " MAC(1) ", hostname: b}\n",
	  "6:14", "several control planes share one address, but kubernetes.controlPlaneEndpoint is not set" },
	{ "single-with-nodes", HEAD "  controlPlaneEndpoint: a\nnodes:\n  - {mac: " MAC(0) ", hostname: a, role: single}\n"
	  "  - {mac: " MAC(1) ", hostname: b, role: worker}\n", "8:49", "nodes[0].role is single, but nodes lists 2 machines" },
	{ "duplicate-mac", HEAD "nodes:\n  - {mac: 52:54:00:AA:00:01, hostname: a}\n  - {mac: 52:54:00:aa:00:01, hostname: b}\n",
	  "8:11", "nodes[1].mac: duplicate mac '52:54:00:aa:00:01', also in nodes[0] at line 7" },
	{ "duplicate-hostname", HEAD "nodes:\n  - {mac: " MAC(0) ", hostname: a}\n  - {mac: " MAC(1) ", hostname: a}\n",
	  "8:40", "nodes[1].hostname: duplicate hostname 'a'" },
	{ "duplicate-address", HEAD "node: {network: {mode: static}}\nnodes:\n  - {mac: " MAC(0) ", hostname: a, addresses: [192.168.1.10/24]}\n"
	  "  - {mac: " MAC(1) ", hostname: b, addresses: [192.168.1.10/24]}\n", "9:55", "192.168.1.10 is also the address of nodes[0]" },
	{ "duplicate-addon", HEAD "addons:\n  - {name: cilium, version: \"1\", manifests: [m.yaml]}\n  - {name: cilium, version: \"2\", manifests: [m.yaml]}\n", "8:12",
	  "addons[1].name: duplicate name 'cilium', also in addons[0] at line 7" },
	{ "depends-later", HEAD "addons:\n  - {name: a, version: \"1\", dependsOn: [b], manifests: [m.yaml]}\n  - {name: b, version: \"1\", manifests: [m.yaml]}\n", "7:41",
	  "addons[0].dependsOn: b is listed later, as addons[1]; list it before a" },
	{ "depends-unknown", HEAD "addons:\n  - {name: a, version: \"1\", dependsOn: [nope], manifests: [m.yaml]}\n", "7:41", "nope is not an addon of this profile" },
	{ "depends-self", HEAD "addons:\n  - {name: a, version: \"1\", dependsOn: [a], manifests: [m.yaml]}\n", "7:41", "a depends on itself" },
	{ "addon-no-version", HEAD "addons:\n  - name: a\n", "7:5", "missing required key 'version' in addons[0]" },
	{ "addon-built-in", HEAD "addons:\n  - name: cilium\n    version: \"1.16.5\"\n", "7:11",
	  "addon cilium: built-in addon definitions are not implemented yet; give its manifests: (and images:)" },
	{ "addon-images-only", HEAD "addons:\n  - {name: a, version: \"1\", images: [r.io/a:1]}\n", "7:12",
	  "addon a: built-in addon definitions are not implemented yet" },
	{ "addon-settings", HEAD "addons:\n  - name: a\n    version: \"1\"\n    manifests: [a.yaml]\n    settings: {x: 1}\n", "10:19",
	  "addon a: settings are read by built-in addon definitions, which are not implemented yet" },
	{ "pod-security-no-reason", HEAD "addons:\n  - name: a\n    version: \"1\"\n    namespace: a\n    manifests: [a.yaml]\n"
	  "    podSecurity:\n      level: privileged\n", "12:14",
	  "addon a: podSecurity.level is privileged, but no reason is given (podSecurity.reason: why the addon needs it)" },
	{ "pod-security-empty-reason", HEAD "addons:\n  - {name: a, version: \"1\", namespace: a, manifests: [a.yaml], "
	  "podSecurity: {level: baseline, reason: \"\"}}\n", "7:85", "addon a: podSecurity.level is baseline, but no reason is given" },
	{ "pod-security-level", HEAD "addons:\n  - {name: a, version: \"1\", namespace: a, manifests: [a.yaml], podSecurity: {level: root}}\n",
	  "7:85", "addons[0].podSecurity.level: unknown value 'root' (one of: restricted, baseline, privileged)" },
	{ "pod-security-kube-system", HEAD "addons:\n  - {name: a, version: \"1\", manifests: [a.yaml], podSecurity: {level: restricted}}\n",
	  "7:71", "addon a: podSecurity is given, but the addon is in kube-system, which is exempt from Pod Security Admission" },
	{ "pod-security-shared", HEAD "addons:\n  - {name: a, version: \"1\", namespace: n, manifests: [a.yaml]}\n"
	  "  - {name: b, version: \"1\", namespace: n, manifests: [b.yaml], podSecurity: {level: baseline, reason: r}}\n", "8:85",
	  "addon b: podSecurity.level baseline differs from the restricted of addon a, in the same namespace n (restricted)" },
	{ "cert-san-endpoint", HEAD "  controlPlaneEndpoint: 192.168.1.10:6443\n  certSANs: [cp1, 192.168.1.11]\nnode: {role: worker}\n",
	  "6:25", "kubernetes.controlPlaneEndpoint host 192.168.1.10 is not in kubernetes.certSANs (kubernetes.certSANs listing 192.168.1.10)" },
	{ "cert-san-wildcard", HEAD "  controlPlaneEndpoint: a.b.example.lan\n  certSANs: [\"*.example.lan\"]\n", "6:25",
	  "host a.b.example.lan is not in kubernetes.certSANs" },
	{ "cert-san-bad", HEAD "  certSANs: [\"cp 1\"]\n", "6:14", "invalid certificate name 'cp 1'" },
	{ "timeout-low", HEAD "  timeouts: {kubeletHealthCheck: 1m}\n", "6:34", "kubernetes.timeouts.kubeletHealthCheck" },
	{ "timeout-unknown", HEAD "  timeouts: {controlPlane: 20m}\n", "6:14", "unknown key 'controlPlane' in kubernetes.timeouts" },
	{ "cgroupfs", HEAD "containerd: {cgroupDriver: cgroupfs}\n", "6:28",
	  "containerd.cgroupDriver cgroupfs is not implemented: containerd and the kubelet of the image use systemd's" },
	{ "native", HEAD "containerd:\n  snapshotter: native\n", "7:16",
	  "containerd.snapshotter native is not implemented: the image's store is seeded for overlayfs" },
	{ "offline-word", HEAD "  offline: yes\n", "6:12", "kubernetes.offline" },
	{ "ssh-no-keys", HEAD "security:\n  ssh:\n    enabled: true\n", "8:14", "security.ssh is enabled, but nobody could log in" },
	{ "kernel-arch", "schema: 1\nname: t\nbase: {architecture: arm64}\nkubernetes: {version: v1.31.4}\nkernel: {package: linux-image-amd64}\n",
	  "5:19", "kernel.package linux-image-amd64 is for amd64, but base.architecture is arm64" },
	{ "artifact-digest", HEAD "  artifacts:\n    kubeadm: {url: \"https://dl.example/kubeadm\"}\n", "7:20",
	  "kubernetes.artifacts.kubeadm has no digest to verify the download (sha256 or sha512)" },
};

static bool has_line(const DiagList *diags, const char *prefix, const char *message) {
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags->items[i], &line) < 0)
			return false;
		if (strneq(line, prefix, strlen(prefix)) && strstr(line + strlen(prefix), message))
			return true;
	}
	return false;
}

static void show(const DiagList *diags) {
	for (size_t i = 0; i < diags->n; i++) {
		_cleanup_free_ char *line = NULL;
		if (diag_format(&diags->items[i], &line) == 0)
			diag("  %s", line);
	}
}

static void test_table(void) {
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const struct BadCase *c = &cases[i];
		_cleanup_(diag_list_done) DiagList diags = {};
		_cleanup_free_ char *prefix = NULL;
		Profile *p = NULL;

		if (asprintf(&prefix, "%s:%s: ", c->name, c->where) < 0)
			abort();
		int r = profile_load_buffer(c->name, c->yaml, strlen(c->yaml), &p, &diags);
		bool found = r == -EBADMSG && !p && has_line(&diags, prefix, c->message);
		if (!ok(found, "%s%s", prefix, c->message))
			show(&diags);
		profile_free(p);
	}
}

/* Several problems in one file: all of them, in order of position, each once. */
static void test_many(void) {
	static const char text[] =
		"schema: 1\n"
		"name: Many\n"                                  /* 2:7 */
		"base:\n"
		"  suite: sid\n"                                /* 4:10 */
		"kubernetes:\n"
		"  version: v1.29.0\n"                          /* 6:12 */
		"  apiServerPort: 0\n"                          /* 7:18 */
		"  podSubnet: 10.96.0.0/16\n"                   /* 8:14 overlaps (reported at 9:18) */
		"  serviceSubnet: 10.96.0.0/12\n"
		"colour: blue\n"                                /* 10:1 */
		"outputs:\n"
		"  formats: [raw, floppy]\n"                    /* 12:18 */
		"  disk: {size: 2GiB}\n";                       /* 13:9 too small */
	static const char *const want[] = {
		"many:2:7: name: invalid name 'Many'",
		"many:4:10: base.suite: unknown value 'sid'",
		"many:6:12: kubernetes.version: unsupported Kubernetes version 'v1.29.0'",
		"many:7:18: kubernetes.apiServerPort: '0' is out of range",
		"many:9:18: kubernetes.serviceSubnet 10.96.0.0/12 overlaps kubernetes.podSubnet 10.96.0.0/16",
		"many:10:1: unknown key 'colour'",
		"many:12:18: outputs.formats[1]: unknown value 'floppy'",
		"many:13:16: outputs.disk.size 2GiB is too small",
	};
	_cleanup_(diag_list_done) DiagList diags = {};
	Profile *p = NULL;

	is_int(profile_load_buffer("many", text, strlen(text), &p, &diags), -EBADMSG, "many: invalid");
	is_int(diags.n, ELEMENTSOF(want), "many: every problem reported once");
	for (size_t i = 0; i < ELEMENTSOF(want) && i < diags.n; i++) {
		_cleanup_free_ char *line = NULL;
		(void) diag_format(&diags.items[i], &line);
		ok(line && strneq(line, want[i], strlen(want[i])), "many: #%zu %s", i, want[i]);
	}
	if (diags.n != ELEMENTSOF(want))
		show(&diags);
}

/* Inputs that must load: no false alarms on the edges of the rules above. */
static void test_good_edges(void) {
	static const char *const texts[] = {
		HEAD "  apiServerPort: 65535\n  podSubnet: 10.244.0.0/24\n  serviceSubnet: 10.96.0.0/28\n",
		HEAD "outputs:\n  disk: {size: 5377MiB}\n",
		HEAD "node: {role: control-plane}\n  \n",
		HEAD "  controlPlaneEndpoint: \"[fd00::1]:6443\"\nnode: {role: worker}\n",
		HEAD "node:\n  network: {mode: static, addresses: [192.168.1.10/24, \"fd00:1::10/64\"], gateway: \"fd00:1::1\"}\n",
		HEAD "addons:\n  - {name: a, version: \"1\", manifests: [a.yaml]}\n  - {name: b, version: v2, dependsOn: [a], manifests: [b.yaml], images: [r.io/b:2]}\n",
		HEAD "addons:\n  - {name: a, version: \"1\", namespace: n, manifests: [a.yaml], podSecurity: {reason: \"the default, said\"}}\n"
		     "  - {name: b, version: \"1\", namespace: n, manifests: [b.yaml], podSecurity: {level: restricted}}\n",
		HEAD "  controlPlaneEndpoint: cp.example.lan:6443\n  certSANs: [10.0.0.1, \"*.example.lan\"]\nnode: {role: control-plane}\n",
		HEAD "  controlPlaneEndpoint: \"[fd00::1]\"\n  certSANs: [\"fd00:0::1\"]\n  timeouts: {controlPlaneComponentHealthCheck: 20m, discovery: 1h30m}\n",
		"# comment only before\nschema: 1\nname: t\nbase: {}\nkubernetes: {version: v1.33.0}\n...\n",
		"\xef\xbb\xbfschema: 1\nname: t\nbase: {}\nkubernetes: {version: v1.31.0}\n",
	};

	for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
		_cleanup_(diag_list_done) DiagList diags = {};
		_cleanup_(profile_freep) Profile *p = NULL;
		int r = profile_load_buffer("good", texts[i], strlen(texts[i]), &p, &diags);
		if (!ok(r == 0 && p, "edge case %zu loads", i))
			show(&diags);
	}
	/* The disk rule's edge from the other side: one byte too small. */
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(profile_freep) Profile *p = NULL;
	static const char tight[] = HEAD "outputs:\n  disk: {size: 5637144575}\n";
	bool refused = profile_load_buffer("tight", tight, strlen(tight), &p, &diags) == -EBADMSG &&
		       has_line(&diags, "tight:7:16: ", "= 5377MiB");
	if (!ok(refused, "disk one byte short of 5377MiB is refused"))
		show(&diags);
}

int main(void) {
	test_table();
	test_many();
	test_good_edges();
	return done_testing();
}
