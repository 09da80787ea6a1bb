/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An appliance profile, schema v1: what kiln-imagegen bakes and how each machine that
 * boots the image configures itself. Every key, type and default is in the schema tables
 * (profile-schema.c) and documented in kiln-profile(5). Strings that are not set are
 * NULL; lists are an array plus a count (string arrays are also NULL-terminated). */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "macro.h"
#include "parse-util.h"
#include "schema.h"

#define PROFILE_SCHEMA_VERSION 1
/* Partition table overhead the disk layout must leave free: the primary GPT at the start,
 * the backup at the end, and the alignment of the first partition. */
#define PROFILE_GPT_OVERHEAD (UINT64_C(1) << 20)

/* The enums are indexes into the word tables of profile-schema.c, in the same order. */
typedef enum DebianSuite { DEBIAN_SUITE_BOOKWORM, DEBIAN_SUITE_TRIXIE, _DEBIAN_SUITE_MAX } DebianSuite;
typedef enum Architecture { ARCHITECTURE_AMD64, ARCHITECTURE_ARM64, _ARCHITECTURE_MAX } Architecture;
typedef enum Snapshotter { SNAPSHOTTER_OVERLAYFS, SNAPSHOTTER_NATIVE, _SNAPSHOTTER_MAX } Snapshotter;
typedef enum CgroupDriver { CGROUP_DRIVER_SYSTEMD, CGROUP_DRIVER_CGROUPFS, _CGROUP_DRIVER_MAX } CgroupDriver;
typedef enum NodeRole {
	NODE_ROLE_SINGLE,          /* the whole cluster on one machine, control plane untainted */
	NODE_ROLE_CONTROL_PLANE,
	NODE_ROLE_WORKER,
	_NODE_ROLE_MAX,
	_NODE_ROLE_UNSET = -1,     /* nodes[].role not given: node.role applies */
} NodeRole;
typedef enum NetworkMode { NETWORK_MODE_DHCP, NETWORK_MODE_STATIC, _NETWORK_MODE_MAX } NetworkMode;
typedef enum OutputFormat {
	OUTPUT_FORMAT_RAW, OUTPUT_FORMAT_ISO, OUTPUT_FORMAT_PXE, OUTPUT_FORMAT_QCOW2, OUTPUT_FORMAT_VAGRANT,
	_OUTPUT_FORMAT_MAX,
} OutputFormat;
typedef enum InstallMode { INSTALL_MODE_DISK, INSTALL_MODE_DISKLESS, _INSTALL_MODE_MAX } InstallMode;
/* The namespace the image's API server exempts from Pod Security Admission (kubeadm's
 * control plane and kube-proxy run there; imagegen/render-files.c says why): an addon
 * there is not confined by a level, so it has none to give. */
#define POD_SECURITY_EXEMPT_NAMESPACE "kube-system"
/* Pod Security Admission's levels (pod-security.kubernetes.io/enforce), strictest first. */
typedef enum PodSecurityLevel {
	POD_SECURITY_RESTRICTED, POD_SECURITY_BASELINE, POD_SECURITY_PRIVILEGED, _POD_SECURITY_MAX,
} PodSecurityLevel;
typedef enum RootFilesystem {
	ROOT_FILESYSTEM_EROFS, ROOT_FILESYSTEM_EXT4, ROOT_FILESYSTEM_SQUASHFS, _ROOT_FILESYSTEM_MAX,
} RootFilesystem;

typedef struct ProfileBase {
	DebianSuite suite;
	Architecture architecture;
	char *mirror;              /* NULL: the build host's own apt sources */
	bool updates;              /* <suite>-security and <suite>-updates too */
	char *security_mirror;     /* NULL: the build host's own apt sources' security archive */
	char **packages;
	size_t n_packages;
	char *locale;
	char *timezone;
} ProfileBase;

typedef struct ProfileKernel {
	char *package;             /* filled from the architecture when not given */
	char **cmdline;
	size_t n_cmdline;
	char **modules;
	size_t n_modules;
} ProfileKernel;

typedef struct ProfileArtifact {
	char *url;
	char *sha256;
	char *sha512;
} ProfileArtifact;

typedef struct ProfileArtifacts {
	ProfileArtifact kubeadm, kubelet, kubectl, crictl;
} ProfileArtifacts;

/* How long kubeadm waits for each thing, in seconds (its v1beta4 "timeouts"). */
typedef struct ProfileTimeouts {
	uint64_t control_plane_component_health_check;
	uint64_t kubelet_health_check;
	uint64_t kubernetes_api_call;
	uint64_t etcd_api_call;
	uint64_t tls_bootstrap;
	uint64_t discovery;
} ProfileTimeouts;

typedef struct ProfileKubernetes {
	KubernetesVersion version;
	char *cluster_name;
	char *control_plane_endpoint;   /* "host[:port]", as kubeadm takes it; NULL when not set */
	char **cert_sans;               /* extra names and addresses of the API server's certificate */
	size_t n_cert_sans;
	int api_server_port;
	IpPrefix pod_subnet;
	IpPrefix service_subnet;
	char *dns_domain;
	char *image_repository;         /* where kubeadm's control-plane images come from */
	bool offline;                   /* no upstream DNS: CoreDNS answers for the cluster only */
	ProfileTimeouts timeouts;
	ProfileArtifacts artifacts;
} ProfileKubernetes;

typedef struct ProfileContainerd {
	char *sandbox_image;
	Snapshotter snapshotter;
	CgroupDriver cgroup_driver;
	bool import_at_first_boot;
} ProfileContainerd;

/* The Pod Security level of an addon's namespace, and why it is not restricted. */
typedef struct ProfileAddonPodSecurity {
	PodSecurityLevel level;
	char *reason;              /* required unless level is restricted; NULL when not given */
} ProfileAddonPodSecurity;

typedef struct ProfileAddon {
	char *name;
	char *version;
	char *namespace;
	char **depends_on;
	size_t n_depends_on;
	char **manifests;
	size_t n_manifests;
	char **images;
	size_t n_images;
	SchemaSetting *settings;
	size_t n_settings;
	ProfileAddonPodSecurity pod_security;
} ProfileAddon;

typedef struct ProfileNetwork {
	NetworkMode mode;
	char *interface;
	IpPrefix *addresses;
	size_t n_addresses;
	IpAddress gateway;         /* AF_UNSPEC when not set */
	IpAddress *dns;
	size_t n_dns;
	char **search;
	size_t n_search;
	char **ntp;
	size_t n_ntp;
} ProfileNetwork;

typedef struct ProfileNodeDefaults {
	NodeRole role;
	char *hostname;            /* NULL: derived from the MAC address at first boot */
	ProfileNetwork network;
} ProfileNodeDefaults;

typedef struct ProfileMachine {
	MacAddress mac;
	char *hostname;
	NodeRole role;             /* resolved: node.role when not given */
	IpPrefix *addresses;
	size_t n_addresses;
	IpAddress gateway;
} ProfileMachine;

typedef struct ProfileSsh {
	bool enabled;
	char **authorized_keys;
	size_t n_authorized_keys;
} ProfileSsh;

typedef struct ProfileSecurity {
	char *seccomp;
	ProfileSsh ssh;
} ProfileSecurity;

typedef struct ProfileInstall {
	char *device;              /* "auto" or a /dev path */
	uint64_t minimum_disk_size;
	bool poweroff;
	bool wipe;                 /* a disk that holds partitions may be overwritten */
	InstallMode mode;          /* what a PXE boot does by default: install, or run from RAM */
	char *url;                 /* where pxe/ is served over HTTP; NULL: iPXE's ${kiln-url} or TFTP */
	uint64_t ram_budget;       /* diskless: the most RAM the root and var images may take */
} ProfileInstall;

typedef struct ProfileDisk {
	uint64_t size;
	uint64_t esp_size;
	uint64_t root_size;        /* each of the two A/B root partitions */
	uint64_t var_size;
	RootFilesystem root_filesystem;
} ProfileDisk;

typedef struct ProfileOutputs {
	OutputFormat *formats;
	size_t n_formats;
	ProfileDisk disk;
} ProfileOutputs;

typedef struct Profile {
	int schema;
	char *name;
	char *description;
	ProfileBase base;
	ProfileKernel kernel;
	ProfileKubernetes kubernetes;
	ProfileContainerd containerd;
	ProfileAddon *addons;
	size_t n_addons;
	ProfileNodeDefaults node;
	ProfileMachine *nodes;
	size_t n_nodes;
	ProfileSecurity security;
	ProfileInstall install;
	ProfileOutputs outputs;

	/* Where each value came from, for diagnostics by later stages (addon definitions). */
	SchemaPositions positions;
	char *file;
} Profile;

/* The schema v1 tables (profile-schema.c). */
extern const SchemaTable profile_schema;

/* Load a profile from memory; name is used in diagnostics. On success *ret owns a valid
 * profile. If the profile is not valid, returns -EBADMSG with every problem in diags
 * (sorted, without repeats) and leaves *ret untouched. Other -errno on failure. */
int profile_load_buffer(const char *name, const void *buf, size_t size, Profile **ret, DiagList *diags);
/* Same for a file or an open fd (read to its end); -EFBIG when the input exceeds
 * SCHEMA_INPUT_MAX, -errno when unreadable. */
int profile_load_file(const char *path, Profile **ret, DiagList *diags);
int profile_load_fd(int fd, const char *name, Profile **ret, DiagList *diags);
Profile *profile_free(Profile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Profile *, profile_free);

/* Checks that span several fields (profile-check.c); run by the loaders. */
int profile_check(Profile *p, DiagList *diags);

/* Position of the value stored at addr, or of the mapping fallback when the value came
 * from a default; 1:1 when neither is known. */
void profile_position(Profile *p, const void *addr, const void *fallback, unsigned *ret_line, unsigned *ret_column);

/* Add a diagnostic in the profile's file at the value stored at addr (or at the mapping
 * fallback when that value came from a default): for the checks after loading, of the
 * profile and of later stages that judge it (the build's). 0 or -ENOMEM. */
_printf_(6, 0) int profile_diagv(Profile *p, DiagList *diags, const void *addr, const void *fallback,
				 const char *expected, const char *fmt, va_list ap);
_printf_(6, 7) int profile_diag(Profile *p, DiagList *diags, const void *addr, const void *fallback,
				const char *expected, const char *fmt, ...);

const char *debian_suite_to_string(DebianSuite s);
const char *architecture_to_string(Architecture a);
const char *snapshotter_to_string(Snapshotter s);
const char *cgroup_driver_to_string(CgroupDriver d);
const char *node_role_to_string(NodeRole r);
const char *network_mode_to_string(NetworkMode m);
const char *output_format_to_string(OutputFormat f);
/* For messages: the formats' words (word(f): the profile's or the command line's), "raw,
 * iso, pxe, qcow2 and box" with conj "and". */
char *output_formats_text(const char *(*word)(OutputFormat), const char *conj);
const char *root_filesystem_to_string(RootFilesystem f);
const char *install_mode_to_string(InstallMode m);
const char *pod_security_level_to_string(PodSecurityLevel l);
