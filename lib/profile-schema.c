/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Profile schema v1 as data: every key, its type, default and help. kiln-profile(5)
 * documents the same table; keep them in step. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse-util.h"
#include "profile.h"

/* The walker stores enums as int. */
_Static_assert(sizeof(NodeRole) == sizeof(int) && sizeof(OutputFormat) == sizeof(int) &&
	       sizeof(DebianSuite) == sizeof(int), "enums are stored as int");

/* Word tables: the enums of profile.h index them. */
#define WORDS(name, type, ...)                                                    \
	static const char *const name##_words[] = { __VA_ARGS__, NULL };           \
	const char *name##_to_string(type v) {                                     \
		return (int) v >= 0 && (size_t) v < ELEMENTSOF(name##_words) - 1 ? name##_words[v] : NULL; \
	}

WORDS(debian_suite, DebianSuite, "bookworm", "trixie")
WORDS(architecture, Architecture, "amd64", "arm64")
WORDS(snapshotter, Snapshotter, "overlayfs", "native")
WORDS(cgroup_driver, CgroupDriver, "systemd", "cgroupfs")
WORDS(node_role, NodeRole, "single", "control-plane", "worker")
WORDS(network_mode, NetworkMode, "dhcp", "static")
WORDS(output_format, OutputFormat, "raw", "iso", "pxe", "qcow2", "vagrant")

char *output_formats_text(const char *(*word)(OutputFormat), const char *conj) {
	char *t = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&t, &size);
	if (!f)
		return NULL;
	for (OutputFormat i = 0; i < _OUTPUT_FORMAT_MAX; i++) {
		if (i + 1 == _OUTPUT_FORMAT_MAX && i > 0)
			fprintf(f, " %s ", conj);
		else if (i > 0)
			fputs(", ", f);
		fputs(word(i), f);
	}
	if (fclose(f) != 0) {
		free(t);
		return NULL;
	}
	return t;
}
WORDS(root_filesystem, RootFilesystem, "erofs", "ext4", "squashfs")
WORDS(install_mode, InstallMode, "disk", "diskless")
WORDS(pod_security_level, PodSecurityLevel, "restricted", "baseline", "privileged")

static bool is_http_url(const char *s) {
	return url_is_valid(s, false);
}

static bool is_sha256(const char *s) {
	return hex_digest_is_valid(s, 64);
}

static bool is_sha512(const char *s) {
	return hex_digest_is_valid(s, 128);
}

static bool is_endpoint(const char *s) {
	return parse_endpoint(s, NULL, NULL) == 0;
}

/* kubeadm's imageRepository: a registry host with an optional path, no tag or digest. */
static bool is_image_repository(const char *s) {
	_cleanup_free_ char *probe = NULL;
	if (strchr(s, '@') || (strrchr(s, ':') && strrchr(s, ':') > strrchr(s, '/')) ||
	    asprintf(&probe, "%s/x:0", s) < 0)
		return false;
	return image_reference_is_valid(probe);
}

/* A name the API server's certificate carries: an IP address, a DNS name, or a wildcard
 * for one label of a DNS name (*.example.lan), as x509 and kubeadm take them. */
static bool is_cert_san(const char *s) {
	IpAddress a;
	if (parse_ip_address(s, &a) == 0)
		return true;
	return hostname_is_valid(strneq(s, "*.", 2) ? s + 2 : s);
}

static bool is_manifest_source(const char *s) {
	return url_is_valid(s, true) || relative_path_is_valid(s);
}

static bool is_install_device(const char *s) {
	return streq(s, "auto") || (strneq(s, "/dev/", 5) && relative_path_is_valid(s + 5));
}

static bool is_time_server(const char *s) {
	IpAddress a;
	return hostname_is_valid(s) || parse_ip_address(s, &a) == 0;
}

#define LABEL_TEXT "lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit"

static const SchemaCheck
	check_label = { "name", LABEL_TEXT, hostname_label_is_valid },
	check_hostname = { "host name", "an RFC 1123 label: " LABEL_TEXT, hostname_label_is_valid },
	check_dns_name = { "DNS name", "dot-separated RFC 1123 labels such as cluster.local", hostname_is_valid },
	check_package = { "Debian package name", "[a-z0-9][a-z0-9+.-]+", debian_package_name_is_valid },
	check_url = { "URL", "an http:// or https:// URL without credentials", is_http_url },
	check_sha256 = { "SHA-256 digest", "64 lowercase hex digits", is_sha256 },
	check_sha512 = { "SHA-512 digest", "128 lowercase hex digits", is_sha512 },
	check_image = { "image reference",
			"registry/name:tag or registry/name@sha256:<64 hex>, with the registry spelled out",
			image_reference_is_valid },
	check_repository = { "image repository", "a registry host with an optional path, e.g. registry.k8s.io or 192.168.1.5:5000/k8s",
			     is_image_repository },
	check_cert_san = { "certificate name", "an IP address, a DNS name or *.<DNS name>", is_cert_san },
	check_endpoint = { "endpoint", "host[:port], e.g. 192.168.1.10:6443 or cp.example.lan", is_endpoint },
	check_manifest = { "manifest", "a path inside the profile's directory or an https:// URL", is_manifest_source },
	check_module = { "kernel module name", "letters, digits, '_' and '-'", kernel_module_name_is_valid },
	check_kernel_arg = { "kernel argument", "one word without spaces or quotes", kernel_argument_is_valid },
	check_locale = { "locale", "a locale name such as C.UTF-8 or en_US.UTF-8", locale_is_valid },
	check_timezone = { "time zone", "a tz database name such as UTC or Europe/Berlin", timezone_is_valid },
	check_interface = { "interface", "an interface name or glob such as en* or eth0, at most 15 characters",
			    interface_pattern_is_valid },
	check_device = { "install device", "auto or a /dev path", is_install_device },
	check_ssh_key = { "SSH public key", "an authorized_keys line: <type> <base64> [comment]", ssh_public_key_is_valid },
	check_time_server = { "time server", "a host name or an IP address", is_time_server },
	check_version = { "version", "a release version such as 1.16.5 or v2.13.2", release_version_is_valid };

#define MiB (INT64_C(1) << 20)
#define GiB (INT64_C(1) << 30)
#define TiB (INT64_C(1) << 40)

static const SchemaField base_fields[] = {
	{ SCHEMA_KEY("suite", SCHEMA_ENUM, ProfileBase, suite), .values = debian_suite_words, .def = "trixie",
	  .help = "the Debian release the image is built from" },
	{ SCHEMA_KEY("architecture", SCHEMA_ENUM, ProfileBase, architecture), .values = architecture_words, .def = "amd64",
	  .help = "the CPU architecture of the image" },
	{ SCHEMA_KEY("mirror", SCHEMA_STRING, ProfileBase, mirror), .check = &check_url,
	  .help = "Debian mirror; empty takes the build host's own apt sources" },
	{ SCHEMA_KEY("updates", SCHEMA_BOOL, ProfileBase, updates), .def = "true",
	  .help = "install the suite's security and stable updates (<suite>-security, <suite>-updates)" },
	{ SCHEMA_KEY("securityMirror", SCHEMA_STRING, ProfileBase, security_mirror), .check = &check_url,
	  .help = "Debian security archive; empty takes the build host's own apt sources" },
	{ SCHEMA_LIST_KEY("packages", SCHEMA_STRING, ProfileBase, packages), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_package, .help = "extra Debian packages to install" },
	{ SCHEMA_KEY("locale", SCHEMA_STRING, ProfileBase, locale), .check = &check_locale, .def = "C.UTF-8",
	  .help = "the system locale" },
	{ SCHEMA_KEY("timezone", SCHEMA_STRING, ProfileBase, timezone), .check = &check_timezone, .def = "UTC",
	  .help = "the system time zone" },
};

static const SchemaField kernel_fields[] = {
	{ SCHEMA_KEY("package", SCHEMA_STRING, ProfileKernel, package), .check = &check_package,
	  .help = "the kernel package; linux-image-<architecture> when empty" },
	{ SCHEMA_LIST_KEY("cmdline", SCHEMA_STRING, ProfileKernel, cmdline),
	  .flags = SCHEMA_LIST, .check = &check_kernel_arg,
	  .help = "extra kernel command line arguments" },
	{ SCHEMA_LIST_KEY("modules", SCHEMA_STRING, ProfileKernel, modules), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_module, .help = "kernel modules loaded at boot" },
};

static const SchemaField artifact_fields[] = {
	{ SCHEMA_KEY("url", SCHEMA_STRING, ProfileArtifact, url), .flags = SCHEMA_REQUIRED, .check = &check_url,
	  .help = "url: where the file is downloaded from" },
	{ SCHEMA_KEY("sha256", SCHEMA_STRING, ProfileArtifact, sha256), .check = &check_sha256,
	  .help = "the file's SHA-256 digest" },
	{ SCHEMA_KEY("sha512", SCHEMA_STRING, ProfileArtifact, sha512), .check = &check_sha512,
	  .help = "the file's SHA-512 digest" },
};
static const SchemaTable artifact_table = SCHEMA_TABLE(ProfileArtifact, artifact_fields);

static const SchemaField artifacts_fields[] = {
	{ SCHEMA_KEY("kubeadm", SCHEMA_MAPPING, ProfileArtifacts, kubeadm), .child = &artifact_table,
	  .help = "the kubeadm binary" },
	{ SCHEMA_KEY("kubelet", SCHEMA_MAPPING, ProfileArtifacts, kubelet), .child = &artifact_table,
	  .help = "the kubelet binary" },
	{ SCHEMA_KEY("kubectl", SCHEMA_MAPPING, ProfileArtifacts, kubectl), .child = &artifact_table,
	  .help = "the kubectl binary" },
	{ SCHEMA_KEY("crictl", SCHEMA_MAPPING, ProfileArtifacts, crictl), .child = &artifact_table,
	  .help = "the crictl binary" },
};
static const SchemaTable artifacts_table = SCHEMA_TABLE(ProfileArtifacts, artifacts_fields);

/* kubeadm's own defaults are the floor: they are its waits on a fast machine. kiln's are
 * raised for small, slow homelab machines (an SD card, a busy disk: the API server and
 * etcd take minutes to come up there, and a wait that runs out fails the whole init). */
static const SchemaField timeouts_fields[] = {
	{ SCHEMA_KEY("controlPlaneComponentHealthCheck", SCHEMA_DURATION, ProfileTimeouts,
		     control_plane_component_health_check),
	  .min = 4 * 60, .max = 2 * 3600, .def = "10m",
	  .help = "how long kubeadm waits for the API server, controller manager and scheduler to be healthy" },
	{ SCHEMA_KEY("kubeletHealthCheck", SCHEMA_DURATION, ProfileTimeouts, kubelet_health_check),
	  .min = 4 * 60, .max = 2 * 3600, .def = "10m", .help = "how long kubeadm waits for the kubelet to be healthy" },
	{ SCHEMA_KEY("kubernetesAPICall", SCHEMA_DURATION, ProfileTimeouts, kubernetes_api_call),
	  .min = 60, .max = 2 * 3600, .def = "3m", .help = "how long one call to the API server may take" },
	{ SCHEMA_KEY("etcdAPICall", SCHEMA_DURATION, ProfileTimeouts, etcd_api_call),
	  .min = 2 * 60, .max = 2 * 3600, .def = "5m", .help = "how long one call to etcd may take" },
	{ SCHEMA_KEY("tlsBootstrap", SCHEMA_DURATION, ProfileTimeouts, tls_bootstrap),
	  .min = 5 * 60, .max = 2 * 3600, .def = "10m",
	  .help = "how long a joining kubelet may take to get its certificate" },
	{ SCHEMA_KEY("discovery", SCHEMA_DURATION, ProfileTimeouts, discovery),
	  .min = 5 * 60, .max = 2 * 3600, .def = "10m",
	  .help = "how long a joining node may take to find and trust the cluster" },
};
static const SchemaTable timeouts_table = SCHEMA_TABLE(ProfileTimeouts, timeouts_fields);

static const SchemaField kubernetes_fields[] = {
	{ SCHEMA_KEY("version", SCHEMA_VERSION, ProfileKubernetes, version), .flags = SCHEMA_REQUIRED,
	  .help = "version: the Kubernetes release, e.g. v1.31.4" },
	{ SCHEMA_KEY("clusterName", SCHEMA_STRING, ProfileKubernetes, cluster_name), .check = &check_label,
	  .def = "kubernetes", .help = "the cluster's name in kubeconfig files" },
	{ SCHEMA_KEY("controlPlaneEndpoint", SCHEMA_STRING, ProfileKubernetes, control_plane_endpoint),
	  .check = &check_endpoint, .help = "the shared address of the control plane, host[:port]" },
	{ SCHEMA_LIST_KEY("certSANs", SCHEMA_STRING, ProfileKubernetes, cert_sans),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_cert_san, .help = "extra names and addresses in the API server's certificate" },
	{ SCHEMA_KEY("apiServerPort", SCHEMA_INT, ProfileKubernetes, api_server_port), .min = 1, .max = 65535,
	  .def = "6443", .help = "the port the API server listens on" },
	{ SCHEMA_KEY("podSubnet", SCHEMA_CIDR, ProfileKubernetes, pod_subnet), .def = "10.244.0.0/16",
	  .help = "the subnet pod addresses come from" },
	{ SCHEMA_KEY("serviceSubnet", SCHEMA_CIDR, ProfileKubernetes, service_subnet), .def = "10.96.0.0/12",
	  .help = "the subnet service addresses come from" },
	{ SCHEMA_KEY("dnsDomain", SCHEMA_STRING, ProfileKubernetes, dns_domain), .check = &check_dns_name,
	  .def = "cluster.local", .help = "the cluster's DNS domain" },
	{ SCHEMA_KEY("imageRepository", SCHEMA_STRING, ProfileKubernetes, image_repository), .check = &check_repository,
	  .def = "registry.k8s.io", .help = "the registry (and path) kubeadm's control-plane images come from" },
	{ SCHEMA_KEY("offline", SCHEMA_BOOL, ProfileKubernetes, offline), .def = "false",
	  .help = "the site has no upstream DNS: CoreDNS forwards no query outside the cluster" },
	{ SCHEMA_KEY("timeouts", SCHEMA_MAPPING, ProfileKubernetes, timeouts), .child = &timeouts_table,
	  .help = "kubeadm's waits, raised for slow machines" },
	{ SCHEMA_KEY("artifacts", SCHEMA_MAPPING, ProfileKubernetes, artifacts), .child = &artifacts_table,
	  .help = "where the Kubernetes binaries come from, with digests" },
};

static const SchemaField containerd_fields[] = {
	{ SCHEMA_KEY("sandboxImage", SCHEMA_STRING, ProfileContainerd, sandbox_image), .check = &check_image,
	  .def = "registry.k8s.io/pause:3.10", .help = "the pause image" },
	{ SCHEMA_KEY("snapshotter", SCHEMA_ENUM, ProfileContainerd, snapshotter), .values = snapshotter_words,
	  .def = "overlayfs", .help = "containerd's snapshotter" },
	{ SCHEMA_KEY("cgroupDriver", SCHEMA_ENUM, ProfileContainerd, cgroup_driver), .values = cgroup_driver_words,
	  .def = "systemd", .help = "the cgroup driver of containerd and the kubelet" },
	{ SCHEMA_KEY("importAtFirstBoot", SCHEMA_BOOL, ProfileContainerd, import_at_first_boot), .def = "false",
	  .help = "import images once at first boot instead of shipping a seeded store" },
};

/* Pod Security Admission for the addon's namespace: restricted unless the addon needs
 * more, and then the reason is written next to the level (and lands on the namespace). */
static const SchemaField pod_security_fields[] = {
	{ SCHEMA_KEY("level", SCHEMA_ENUM, ProfileAddonPodSecurity, level), .values = pod_security_level_words,
	  .def = "restricted", .help = "the Pod Security level enforced in the addon's namespace" },
	{ SCHEMA_KEY("reason", SCHEMA_STRING, ProfileAddonPodSecurity, reason),
	  .help = "why the addon needs a level other than restricted (required then)" },
};
static const SchemaTable pod_security_table = SCHEMA_TABLE(ProfileAddonPodSecurity, pod_security_fields);

static const SchemaField addon_fields[] = {
	{ SCHEMA_KEY("name", SCHEMA_STRING, ProfileAddon, name), .flags = SCHEMA_REQUIRED | SCHEMA_UNIQUE,
	  .check = &check_label, .help = "name: the addon's name, " LABEL_TEXT },
	{ SCHEMA_KEY("version", SCHEMA_STRING, ProfileAddon, version),
	  .flags = SCHEMA_REQUIRED, .check = &check_version,
	  .help = "version: the addon's release, quoted, e.g. \"1.16.5\"" },
	{ SCHEMA_KEY("namespace", SCHEMA_STRING, ProfileAddon, namespace), .check = &check_label, .def = "kube-system",
	  .help = "the namespace the addon is installed into" },
	{ SCHEMA_LIST_KEY("dependsOn", SCHEMA_STRING, ProfileAddon, depends_on), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_label, .help = "addons listed earlier that must be ready first" },
	{ SCHEMA_LIST_KEY("manifests", SCHEMA_STRING, ProfileAddon, manifests), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_manifest, .help = "manifests to apply, relative to the profile or https URLs" },
	{ SCHEMA_LIST_KEY("images", SCHEMA_STRING, ProfileAddon, images), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_image, .help = "extra images to preload" },
	{ SCHEMA_LIST_KEY("settings", SCHEMA_SETTINGS, ProfileAddon, settings),
	  .help = "settings checked by the addon's definition" },
	{ SCHEMA_KEY("podSecurity", SCHEMA_MAPPING, ProfileAddon, pod_security), .child = &pod_security_table,
	  .help = "the Pod Security level of the addon's namespace, with its reason" },
};
static const SchemaTable addon_table = SCHEMA_TABLE(ProfileAddon, addon_fields);

static const SchemaField network_fields[] = {
	{ SCHEMA_KEY("mode", SCHEMA_ENUM, ProfileNetwork, mode), .values = network_mode_words, .def = "dhcp",
	  .help = "how machines get their addresses" },
	{ SCHEMA_KEY("interface", SCHEMA_STRING, ProfileNetwork, interface), .check = &check_interface, .def = "en*",
	  .help = "the interface (or glob) to configure" },
	{ SCHEMA_LIST_KEY("addresses", SCHEMA_IP_PREFIX, ProfileNetwork, addresses),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .help = "static addresses with prefix length" },
	{ SCHEMA_KEY("gateway", SCHEMA_IP, ProfileNetwork, gateway), .help = "the default gateway" },
	{ SCHEMA_LIST_KEY("dns", SCHEMA_IP, ProfileNetwork, dns), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .help = "DNS servers" },
	{ SCHEMA_LIST_KEY("search", SCHEMA_STRING, ProfileNetwork, search), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_dns_name, .help = "DNS search domains" },
	{ SCHEMA_LIST_KEY("ntp", SCHEMA_STRING, ProfileNetwork, ntp), .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_time_server, .help = "NTP servers" },
};
static const SchemaTable network_table = SCHEMA_TABLE(ProfileNetwork, network_fields);

static const SchemaField node_fields[] = {
	{ SCHEMA_KEY("role", SCHEMA_ENUM, ProfileNodeDefaults, role), .values = node_role_words, .def = "single",
	  .help = "what a machine does in the cluster" },
	{ SCHEMA_KEY("hostname", SCHEMA_STRING, ProfileNodeDefaults, hostname), .check = &check_hostname,
	  .help = "the host name; empty derives one from the MAC address" },
	{ SCHEMA_KEY("network", SCHEMA_MAPPING, ProfileNodeDefaults, network), .child = &network_table,
	  .help = "network settings" },
};

static const SchemaField machine_fields[] = {
	{ SCHEMA_KEY("mac", SCHEMA_MAC, ProfileMachine, mac), .flags = SCHEMA_REQUIRED | SCHEMA_UNIQUE,
	  .help = "mac: the MAC address that identifies the machine" },
	{ SCHEMA_KEY("hostname", SCHEMA_STRING, ProfileMachine, hostname), .flags = SCHEMA_REQUIRED | SCHEMA_UNIQUE,
	  .check = &check_hostname, .help = "hostname: the machine's host name" },
	{ SCHEMA_KEY("role", SCHEMA_ENUM, ProfileMachine, role), .values = node_role_words,
	  .help = "the machine's role; node.role when not given" },
	{ SCHEMA_LIST_KEY("addresses", SCHEMA_IP_PREFIX, ProfileMachine, addresses),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .help = "the machine's static addresses" },
	{ SCHEMA_KEY("gateway", SCHEMA_IP, ProfileMachine, gateway), .help = "the machine's default gateway" },
};
static const SchemaTable machine_table = SCHEMA_TABLE(ProfileMachine, machine_fields);

static const SchemaField ssh_fields[] = {
	{ SCHEMA_KEY("enabled", SCHEMA_BOOL, ProfileSsh, enabled), .def = "false", .help = "run an SSH server" },
	{ SCHEMA_LIST_KEY("authorizedKeys", SCHEMA_STRING, ProfileSsh, authorized_keys),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE,
	  .check = &check_ssh_key, .help = "public keys allowed to log in as root" },
};
static const SchemaTable ssh_table = SCHEMA_TABLE(ProfileSsh, ssh_fields);

static const SchemaField security_fields[] = {
	{ SCHEMA_KEY("seccomp", SCHEMA_STRING, ProfileSecurity, seccomp),
	  .flags = SCHEMA_NOT_YET, .check = &check_label,
	  .def = "default", .help = "the seccomp policy under profiles/security/" },
	{ SCHEMA_KEY("ssh", SCHEMA_MAPPING, ProfileSecurity, ssh), .child = &ssh_table, .help = "remote login" },
};

static const SchemaField install_fields[] = {
	{ SCHEMA_KEY("device", SCHEMA_STRING, ProfileInstall, device), .check = &check_device, .def = "auto",
	  .help = "the disk the installer writes to" },
	{ SCHEMA_KEY("minimumDiskSize", SCHEMA_SIZE, ProfileInstall, minimum_disk_size), .min = GiB, .max = 1024 * TiB,
	  .def = "16GiB", .help = "the smallest disk the installer accepts" },
	{ SCHEMA_KEY("poweroff", SCHEMA_BOOL, ProfileInstall, poweroff), .def = "true",
	  .help = "power off after installing; false reboots into the installed disk" },
	{ SCHEMA_KEY("wipe", SCHEMA_BOOL, ProfileInstall, wipe), .def = "false",
	  .help = "overwrite a disk that already holds partitions" },
	{ SCHEMA_KEY("mode", SCHEMA_ENUM, ProfileInstall, mode), .values = install_mode_words, .def = "disk",
	  .help = "what a PXE boot does: disk installs like the ISO, diskless runs from RAM" },
	{ SCHEMA_KEY("url", SCHEMA_STRING, ProfileInstall, url), .check = &check_url,
	  .help = "the HTTP URL pxe/ is served at (default: iPXE's ${kiln-url}, else TFTP from the DHCP server)" },
	{ SCHEMA_KEY("ramBudget", SCHEMA_SIZE, ProfileInstall, ram_budget), .min = 64 * MiB, .max = 1024 * GiB,
	  .def = "4GiB", .help = "diskless: the most RAM the fetched root and var images may take" },
};

static const SchemaField disk_fields[] = {
	{ SCHEMA_KEY("size", SCHEMA_SIZE, ProfileDisk, size), .min = GiB, .max = 64 * TiB, .def = "8GiB",
	  .help = "the size of the disk image" },
	{ SCHEMA_KEY("espSize", SCHEMA_SIZE, ProfileDisk, esp_size), .min = 64 * MiB, .max = 4 * GiB, .def = "256MiB",
	  .help = "the EFI system partition" },
	{ SCHEMA_KEY("rootSize", SCHEMA_SIZE, ProfileDisk, root_size), .min = 256 * MiB, .max = 1 * TiB, .def = "2GiB",
	  .help = "each of the two root partitions (A/B)" },
	{ SCHEMA_KEY("varSize", SCHEMA_SIZE, ProfileDisk, var_size), .min = 64 * MiB, .max = 64 * TiB, .def = "1GiB",
	  .help = "the /var partition; grows to fill the disk at first boot" },
	{ SCHEMA_KEY("rootFilesystem", SCHEMA_ENUM, ProfileDisk, root_filesystem), .values = root_filesystem_words,
	  .def = "erofs", .help = "the file system of the root partitions" },
};
static const SchemaTable disk_table = SCHEMA_TABLE(ProfileDisk, disk_fields);

static const SchemaField outputs_fields[] = {
	{ SCHEMA_LIST_KEY("formats", SCHEMA_ENUM, ProfileOutputs, formats),
	  .flags = SCHEMA_LIST | SCHEMA_UNIQUE | SCHEMA_NONEMPTY, .values = output_format_words, .def = "raw",
	  .help = "what to build" },
	{ SCHEMA_KEY("disk", SCHEMA_MAPPING, ProfileOutputs, disk), .child = &disk_table, .help = "the disk layout" },
};

static const SchemaTable
	base_table = SCHEMA_TABLE(ProfileBase, base_fields),
	kernel_table = SCHEMA_TABLE(ProfileKernel, kernel_fields),
	kubernetes_table = SCHEMA_TABLE(ProfileKubernetes, kubernetes_fields),
	containerd_table = SCHEMA_TABLE(ProfileContainerd, containerd_fields),
	node_table = SCHEMA_TABLE(ProfileNodeDefaults, node_fields),
	security_table = SCHEMA_TABLE(ProfileSecurity, security_fields),
	install_table = SCHEMA_TABLE(ProfileInstall, install_fields),
	outputs_table = SCHEMA_TABLE(ProfileOutputs, outputs_fields);

static const SchemaField profile_fields[] = {
	{ SCHEMA_KEY("schema", SCHEMA_INT, Profile, schema), .flags = SCHEMA_REQUIRED,
	  .min = PROFILE_SCHEMA_VERSION, .max = PROFILE_SCHEMA_VERSION, .help = "schema: 1" },
	{ SCHEMA_KEY("name", SCHEMA_STRING, Profile, name), .flags = SCHEMA_REQUIRED, .check = &check_label,
	  .help = "name: the profile's name, " LABEL_TEXT },
	{ SCHEMA_KEY("description", SCHEMA_STRING, Profile, description), .help = "one line for people" },
	{ SCHEMA_KEY("base", SCHEMA_MAPPING, Profile, base), .flags = SCHEMA_REQUIRED, .child = &base_table,
	  .help = "base: the Debian system, at least {suite: trixie}" },
	{ SCHEMA_KEY("kernel", SCHEMA_MAPPING, Profile, kernel), .child = &kernel_table, .help = "the kernel" },
	{ SCHEMA_KEY("kubernetes", SCHEMA_MAPPING, Profile, kubernetes), .flags = SCHEMA_REQUIRED,
	  .child = &kubernetes_table, .help = "kubernetes: the cluster, at least {version: v1.31.4}" },
	{ SCHEMA_KEY("containerd", SCHEMA_MAPPING, Profile, containerd), .child = &containerd_table,
	  .help = "the container runtime" },
	{ SCHEMA_LIST_KEY("addons", SCHEMA_MAPPING, Profile, addons), .flags = SCHEMA_LIST, .child = &addon_table,
	  .help = "addons, in the order they are applied" },
	{ SCHEMA_KEY("node", SCHEMA_MAPPING, Profile, node), .child = &node_table,
	  .help = "defaults for every machine that boots the image" },
	{ SCHEMA_LIST_KEY("nodes", SCHEMA_MAPPING, Profile, nodes), .flags = SCHEMA_LIST, .child = &machine_table,
	  .help = "machines known in advance, matched by MAC address" },
	{ SCHEMA_KEY("security", SCHEMA_MAPPING, Profile, security), .child = &security_table,
	  .help = "confinement and remote access" },
	{ SCHEMA_KEY("install", SCHEMA_MAPPING, Profile, install), .child = &install_table,
	  .help = "the installer on the ISO and PXE images" },
	{ SCHEMA_KEY("outputs", SCHEMA_MAPPING, Profile, outputs), .child = &outputs_table, .help = "what to build" },
};

const SchemaTable profile_schema = SCHEMA_TABLE(Profile, profile_fields);
