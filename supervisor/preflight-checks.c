/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The preflight check table and the policies it applies: modules, sysctls, controllers,
 * binaries, minimums per role. The checks are in preflight-kernel.c (modules, sysctls,
 * cgroups), preflight-swap.c and preflight-host.c (the machine itself). */
#include <stdint.h>

#include "preflight-internal.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

/* Minimums per role. The control plane's are kubeadm's own preflight errors (NumCPU: 2,
 * Mem: 1700 MiB), single nodes run the same control plane. kubeadm checks nothing on a
 * worker; 1 CPU and 1 GiB is what the kubelet, containerd, kube-proxy and a CNI agent need
 * to leave room for a pod. Disk is /var's free space: containerd's images and etcd live
 * there. Below 4 GiB the control plane images alone do not fit beside etcd; below 10 GiB
 * the kubelet's image garbage collection (85 % used) and eviction (nodefs.available < 10 %)
 * start early. The ports are kubeadm's Port-N checks for each role. */
static const PreflightRequirements requirements_table[_NODE_ROLE_MAX] = {
	[NODE_ROLE_SINGLE] = {
		.cpus = 2, .memory = 1700 * MiB, .disk_fail = 4 * GiB, .disk_warn = 10 * GiB,
		.ports = { PREFLIGHT_PORT_API_SERVER, 10250, 10257, 10259, 2379, 2380 }, .n_ports = 6,
	},
	[NODE_ROLE_CONTROL_PLANE] = {
		.cpus = 2, .memory = 1700 * MiB, .disk_fail = 4 * GiB, .disk_warn = 10 * GiB,
		.ports = { PREFLIGHT_PORT_API_SERVER, 10250, 10257, 10259, 2379, 2380 }, .n_ports = 6,
	},
	[NODE_ROLE_WORKER] = {
		.cpus = 1, .memory = 1024 * MiB, .disk_fail = 4 * GiB, .disk_warn = 10 * GiB,
		.ports = { 10250 }, .n_ports = 1,
	},
};

const PreflightRequirements *preflight_requirements(NodeRole role) {
	if (role < 0 || role >= _NODE_ROLE_MAX)
		return NULL;
	return &requirements_table[role];
}

/* containerd's overlayfs snapshotter, and the bridge netfilter hooks kube-proxy and most
 * CNI plugins rely on. The image lists both in /etc/modules-load.d/kiln.conf. */
static const PreflightModule modules[] = {
	{ "overlay",      NULL },
	{ "br_netfilter", "/proc/sys/net/bridge" },
	{}
};

/* kubeadm checks ip_forward (and IPv6 forwarding for IPv6 clusters); it stopped checking
 * bridge-nf-call-* in 1.31, but without them bridged pod traffic bypasses kube-proxy's
 * rules. The image sets all of them in /etc/sysctl.d/90-kiln.conf. */
static const PreflightSysctl sysctl_ip_forward = {
	"net.ipv4.ip_forward", "net/ipv4/ip_forward", NULL, false,
};
static const PreflightSysctl sysctl_ipv6_forwarding = {
	/* kubeadm reads "default"; "all" is what sysctl.d sets and also changes "default". */
	"net.ipv6.conf.all.forwarding", "net/ipv6/conf/default/forwarding", NULL, true,
};
static const PreflightSysctl sysctl_bridge_iptables = {
	"net.bridge.bridge-nf-call-iptables", "net/bridge/bridge-nf-call-iptables", "br_netfilter", false,
};
static const PreflightSysctl sysctl_bridge_ip6tables = {
	"net.bridge.bridge-nf-call-ip6tables", "net/bridge/bridge-nf-call-ip6tables", "br_netfilter", false,
};

/* The kubelet needs cpu, memory and pids to enforce pod limits at all; cpuset (CPU manager)
 * and io (I/O limits) only for features a node can live without. */
static const char *const controllers_required[] = { "cpu", "memory", "pids", NULL };
static const char *const controllers_recommended[] = { "cpuset", "io", NULL };
static const PreflightControllers controllers = { controllers_required, controllers_recommended };

/* kubeadm's FileExisting-* checks (errors and warnings alike), and the runtime itself. */
static const PreflightBinary binaries[] = {
	{ "containerd", PREFLIGHT_FAIL, false, "Debian package containerd" },
	{ "runc",       PREFLIGHT_FAIL, false, "Debian package runc" },
	{ "ip",         PREFLIGHT_FAIL, false, "Debian package iproute2" },
	{ "iptables",   PREFLIGHT_FAIL, false, "Debian package iptables" },
	{ "mount",      PREFLIGHT_FAIL, false, "Debian package mount" },
	{ "nsenter",    PREFLIGHT_FAIL, false, "Debian package util-linux" },
	{ "conntrack",  PREFLIGHT_FAIL, false, "Debian package conntrack" },
	{ "kubeadm",    PREFLIGHT_FAIL, true,  "the profile's kubernetes.artifacts" },
	{ "kubelet",    PREFLIGHT_FAIL, true,  "the profile's kubernetes.artifacts" },
	{ "ebtables",   PREFLIGHT_WARN, false, "Debian package ebtables" },
	{ "ethtool",    PREFLIGHT_WARN, false, "Debian package ethtool" },
	{ "socat",      PREFLIGHT_WARN, false, "Debian package socat" },
	{ "tc",         PREFLIGHT_WARN, false, "Debian package iproute2" },
	{}
};

/* In order: modules before the sysctls their files come from, swap before its sources. */
const PreflightCheck preflight_checks[] = {
	{ "kernel-modules", "overlay and br_netfilter are loaded (fix: modprobe)", NULL, modules, check_kernel_modules },
	{ "modules-load", "overlay and br_netfilter are loaded at boot (modules-load.d)", check_modules_load, modules },
	{ "sysctl-ip-forward", "IPv4 forwarding is on (fix: systemd-sysctl)", NULL, &sysctl_ip_forward, check_sysctl },
	{ "sysctl-ipv6-forwarding", "IPv6 forwarding is on, for IPv6 clusters (fix: systemd-sysctl)",
	  NULL, &sysctl_ipv6_forwarding, check_sysctl },
	{ "sysctl-bridge-nf-call-iptables", "bridged IPv4 traffic passes iptables (fix: systemd-sysctl)",
	  NULL, &sysctl_bridge_iptables, check_sysctl },
	{ "sysctl-bridge-nf-call-ip6tables", "bridged IPv6 traffic passes ip6tables (fix: systemd-sysctl)",
	  NULL, &sysctl_bridge_ip6tables, check_sysctl },
	{ "swap", "swap is off (fix: stop its units, or swapoff -a)", NULL, NULL, check_swap },
	{ "swap-sources", "nothing turns swap on at boot (fix: mask swap.target and the swap units)",
	  check_swap_sources, NULL },
	{ "cgroup-v2", "cgroup v2 with the cpu, memory and pids controllers", check_cgroup, &controllers },
	{ "hostname", "the host name is a valid, distinct node name", check_hostname, NULL },
	{ "clock", "the clock is not earlier than the image's build", check_clock, NULL },
	{ "cpus", "enough CPUs for the role", check_cpus, NULL },
	{ "memory", "enough memory for the role", check_memory, NULL },
	{ "disk-var", "enough free space on /var", check_disk, NULL },
	{ "binaries", "the container runtime and the tools kubeadm needs are installed", check_binaries, binaries },
	{ "port", "the role's TCP ports are free", check_ports, NULL },
};
const size_t preflight_n_checks = ELEMENTSOF(preflight_checks);
