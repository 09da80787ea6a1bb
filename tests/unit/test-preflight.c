/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every preflight check on fake roots: all good first, then each thing broken in turn,
 * with the result, the message and the hint each must give. Nothing here changes the
 * host: fix is off (test-preflight-fix.c covers the fixes). */
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/statvfs.h>
#include <time.h>

#include "fileio.h"
#include "preflight-root.h"

static Profile *single, *worker, *ipv6, *cluster;
static PreflightRequirements req;   /* the single role's, with a free port and no disk minimum */
static PreflightContext ctx;

static void fresh(void) {
	drop_root();
	good_root();
	ctx = (PreflightContext) { .root = T, .profile = single, .build_epoch = BUILD_EPOCH,
				   .kubernetes = true, .requirements = &req };
}

static void test_all_good(void) {
	static const char *const names[] = {
		"kernel-modules", "modules-load", "sysctl-ip-forward", "sysctl-bridge-nf-call-iptables",
		"sysctl-bridge-nf-call-ip6tables", "swap", "swap-sources", "cgroup-v2", "hostname", "clock",
		"cpus", "memory", "disk-var", "binaries",
	};
	char port_name[32];
	bool all_pass = true, order = true;

	fresh();
	is_int(run(&ctx), 0, "good root: no failures");
	(void) snprintf(port_name, sizeof port_name, "port-%u", req.ports[0]);
	is_int(N, ELEMENTSOF(names) + 1, "good root: one report per check and port, none for IPv6");
	for (size_t i = 0; i < N; i++) {
		if (R[i].result != PREFLIGHT_PASS || R[i].hint) {
			all_pass = false;
			diag("  %s: %s: %s", R[i].name, preflight_result_to_string(R[i].result), R[i].message);
		}
		if (!streq(R[i].name, i < ELEMENTSOF(names) ? names[i] : port_name))
			order = false;
	}
	ok(all_pass, "good root: every check passes, without hints");
	ok(order, "good root: reports in table order");
	expect("kernel-modules", PREFLIGHT_PASS, "overlay, br_netfilter loaded", NULL, "good root");
	expect("hostname", PREFLIGHT_PASS, "'cp1'", NULL, "good root");
	expect("swap-sources", PREFLIGHT_PASS, "nothing turns swap on at boot", NULL, "good root (ext4 fstab line)");
	expect("cpus", PREFLIGHT_PASS, "4 CPUs (a single node needs 2)", NULL, "good root");
	expect("memory", PREFLIGHT_PASS, "3.8 GiB of memory (a single node needs 1.7 GiB)", NULL, "good root");
	expect("clock", PREFLIGHT_PASS, "after the image's build (2023-11-14 22:13:20 UTC)", NULL, "good root");
	ok(find("sysctl-ipv6-forwarding") == NULL, "IPv4 cluster: IPv6 forwarding not checked");
}

static void test_modules(void) {
	fresh();
	put("proc/modules", "overlay 151552 0 - Live 0x0\nbr_netfilter_x 1 0 - Live 0x0\n"
			    "bridge 311296 1 br_netfilter, Live 0x0\n");
	(void) rm_rf(P("proc/sys/net/bridge"));
	is_int(run(&ctx), 3, "br_netfilter missing: three failures");
	expect("kernel-modules", PREFLIGHT_FAIL, "not loaded: br_netfilter", "modprobe -a br_netfilter", "no br_netfilter");
	expect("sysctl-bridge-nf-call-iptables", PREFLIGHT_FAIL,
	       "/proc/sys/net/bridge/bridge-nf-call-iptables is missing: br_netfilter is not loaded",
	       "modprobe br_netfilter", "no br_netfilter");
	expect("sysctl-bridge-nf-call-ip6tables", PREFLIGHT_FAIL, "br_netfilter is not loaded", NULL, "no br_netfilter");

	put("proc/modules", "");
	run(&ctx);
	expect("kernel-modules", PREFLIGHT_FAIL, "not loaded: overlay, br_netfilter", "modprobe -a overlay br_netfilter",
	       "no modules");
	/* Built in: not in /proc/modules, but in /sys/module or probed through its sysctls. */
	mkdirs("sys/module/overlay");
	put("proc/sys/net/bridge/bridge-nf-call-iptables", "1\n");
	put("proc/sys/net/bridge/bridge-nf-call-ip6tables", "1\n");
	run(&ctx);
	expect("kernel-modules", PREFLIGHT_PASS, "loaded", NULL, "built-in modules");

	/* Persistence: the image's list, a list elsewhere, a masked list. */
	(void) unlink(P("etc/modules-load.d/kiln.conf"));
	run(&ctx);
	expect("modules-load", PREFLIGHT_WARN, "overlay, br_netfilter not listed in any modules-load.d/*.conf",
	       "/etc/modules-load.d/kiln.conf", "no modules-load.d file");
	put("usr/lib/modules-load.d/kiln.conf", "# comment\n; comment\n  overlay\nbr_netfilter  \n");
	run(&ctx);
	expect("modules-load", PREFLIGHT_PASS, "every needed module", NULL, "list in /usr/lib");
	symlink_in("/dev/null", "etc/modules-load.d/kiln.conf");
	run(&ctx);
	expect("modules-load", PREFLIGHT_WARN, "not listed", NULL, "list masked by /etc");
	put("etc/modules-load.d/other.conf", "br_netfilter\n");
	run(&ctx);
	expect("modules-load", PREFLIGHT_WARN, "overlay not listed", NULL, "only br_netfilter listed");
}

static void test_sysctls(void) {
	fresh();
	put("proc/sys/net/ipv4/ip_forward", "0\n");
	is_int(run(&ctx), 1, "ip_forward 0: one failure");
	expect("sysctl-ip-forward", PREFLIGHT_FAIL, "net.ipv4.ip_forward = 0, Kubernetes needs 1",
	       "'net.ipv4.ip_forward = 1' in /etc/sysctl.d/90-kiln.conf", "ip_forward 0");
	is_str(get("proc/sys/net/ipv4/ip_forward"), "0\n", "without fix nothing is written");
	(void) unlink(P("proc/sys/net/ipv4/ip_forward"));
	run(&ctx);
	expect("sysctl-ip-forward", PREFLIGHT_FAIL, "cannot read /proc/sys/net/ipv4/ip_forward", "sysctl", "no ip_forward");
	put("proc/sys/net/bridge/bridge-nf-call-ip6tables", "0\n");
	run(&ctx);
	expect("sysctl-bridge-nf-call-ip6tables", PREFLIGHT_FAIL, "net.bridge.bridge-nf-call-ip6tables = 0", NULL,
	       "ip6tables 0");

	fresh();
	ctx.profile = ipv6;
	put("proc/sys/net/ipv6/conf/default/forwarding", "0\n");
	run(&ctx);
	expect("sysctl-ipv6-forwarding", PREFLIGHT_FAIL, "net.ipv6.conf.all.forwarding = 0", NULL, "IPv6 cluster");
}

static void test_swap(void) {
	fresh();
	put("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/sda3 partition 4194300 0 -2\n"
			  "/swapfile file 1048572 0 -3\n");
	is_int(run(&ctx), 1, "swap on: one failure");
	expect("swap", PREFLIGHT_FAIL, "swap is on: /dev/sda3 (4.0 GiB), /swapfile (1024.0 MiB)", "swapoff -a", "swap on");
	(void) unlink(P("proc/swaps"));
	run(&ctx);
	expect("swap", PREFLIGHT_PASS, "no swap support", NULL, "no /proc/swaps");
}

static void test_swap_sources(void) {
	fresh();
	put("etc/fstab", "# comment with swap\nUUID=1234-abcd none swap sw 0 0\n"
			 "/dev/sdb2 none swap noauto 0 0\nPARTUUID=0b8e /var ext4 rw 0 0\n");
	is_int(run(&ctx), 0, "swap in fstab: no failure");
	expect("swap-sources", PREFLIGHT_WARN,
	       "swap is turned on at boot by fstab UUID=1234-abcd (dev-disk-by\\x2duuid-1234\\x2dabcd.swap)",
	       "systemctl mask swap.target", "fstab swap line");
	ok(!strstr(find("swap-sources")->message, "sdb2"), "a noauto fstab line is not a source");

	put("etc/systemd/system/swapfile.swap", "[Swap]\nWhat=/swapfile\n");
	put("run/systemd/generator/dev-disk-by\\x2duuid-1234\\x2dabcd.swap", "[Swap]\n");
	put("run/systemd/generator.late/dev-disk-by\\x2ddiskseq-1\\x2dpart3.swap", "[Swap]\n");
	run(&ctx);
	expect("swap-sources", PREFLIGHT_WARN, "unit /etc/systemd/system/swapfile.swap (swapfile.swap), "
	       "GPT auto-swap /run/systemd/generator.late/dev-disk-by\\x2ddiskseq-1\\x2dpart3.swap", NULL, "all sources");
	ok(find("swap-sources") && !strstr(find("swap-sources")->message, "generated"),
	   "the unit generated from the fstab line is not listed twice");

	/* /etc comes before /run in the unit search path: a runtime mask does not hide it. */
	mkdirs("run/systemd/system");
	symlink_in("/dev/null", "run/systemd/system/swapfile.swap");
	run(&ctx);
	ok(find("swap-sources") && strstr(find("swap-sources")->message, "unit /etc/systemd/system/swapfile.swap"),
	   "a runtime mask does not hide a unit file in /etc");
	symlink_in("/dev/null", "etc/systemd/system/swapfile.swap");
	run(&ctx);
	ok(find("swap-sources") && !strstr(find("swap-sources")->message, "swapfile"), "a masked unit is not a source");
	symlink_in("/dev/null", "run/systemd/system/swap.target");
	run(&ctx);
	expect("swap-sources", PREFLIGHT_PASS, "swap.target is masked: fstab UUID=1234-abcd", NULL, "swap.target masked");

	fresh();
	ctx.fix = true;   /* without a mask_unit callback */
	put("etc/fstab", "/dev/sda3 none swap defaults 0 0\n");
	run(&ctx);
	expect("swap-sources", PREFLIGHT_WARN, "fstab /dev/sda3 (dev-sda3.swap) (the supervisor cannot mask units)",
	       "swap.target", "fix without mask_unit");
}

static void test_cgroup(void) {
	fresh();
	put("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io pids\n");
	is_int(run(&ctx), 1, "no memory controller: one failure");
	expect("cgroup-v2", PREFLIGHT_FAIL, "cgroup v2 lacks the memory controller", "cgroup_enable=memory", "no memory");
	put("sys/fs/cgroup/cgroup.controllers", "cpu memory pids hugetlb\n");
	run(&ctx);
	expect("cgroup-v2", PREFLIGHT_WARN, "without the cpuset, io controllers", NULL, "no cpuset and io");
	put("sys/fs/cgroup/cgroup.controllers", "cpu\n");
	run(&ctx);
	expect("cgroup-v2", PREFLIGHT_FAIL, "lacks the memory, pids controllers", NULL, "only cpu");
	(void) unlink(P("sys/fs/cgroup/cgroup.controllers"));
	mkdirs("sys/fs/cgroup/unified");
	run(&ctx);
	expect("cgroup-v2", PREFLIGHT_FAIL, "no cgroup v2 hierarchy on /sys/fs/cgroup", "systemd.unified_cgroup_hierarchy",
	       "hybrid");
	ok(strstr(find("cgroup-v2")->message, "hybrid"), "hybrid mode is named");
}

static void test_hostname(void) {
	static const struct { const char *name; const char *msg; } bad[] = {
		{ "localhost", "'localhost' is not a node name" },
		{ "", "'' is not a node name" },
		{ "Node_1", "'Node_1' is not a valid node name" },
		{ "cp1.example.com", "(not a FQDN)" },
	};

	fresh();
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char line[64];
		(void) snprintf(line, sizeof line, "%s\n", bad[i].name);
		put("proc/sys/kernel/hostname", line);
		run(&ctx);
		expect("hostname", PREFLIGHT_FAIL, bad[i].msg, "kiln-firstboot", bad[i].name);
	}

	/* Distinct names: the shared default, another machine's name. */
	ctx.profile = cluster;
	put("proc/sys/kernel/hostname", "edge\n");
	run(&ctx);
	expect("hostname", PREFLIGHT_WARN, "'edge' is the profile's node.hostname", "nodes[]", "shared default");
	ctx.machine = &cluster->nodes[1];
	put("proc/sys/kernel/hostname", "cp1\n");
	run(&ctx);
	expect("hostname", PREFLIGHT_WARN,
	       "'cp1' belongs to another machine in the profile's nodes[] (MAC 52:54:00:aa:bb:01)",
	       NULL, "another machine's name");
	put("proc/sys/kernel/hostname", "worker1\n");
	run(&ctx);
	expect("hostname", PREFLIGHT_PASS, "'worker1'", NULL, "its own nodes[] name");
}

static void test_clock(void) {
	fresh();
	ctx.build_epoch = 0;
	run(&ctx);
	expect("clock", PREFLIGHT_WARN, "does not record when it was built", "sourceDateEpoch", "no build time");
	ctx.build_epoch = (uint64_t) time(NULL) + 10 * 365 * 86400;
	is_int(run(&ctx), 1, "build in the future: one failure");
	expect("clock", PREFLIGHT_FAIL, "earlier than the image's build", "timedatectl", "clock behind");
}

static void test_resources(void) {
	fresh();
	put("sys/devices/system/cpu/online", "0\n");
	put("proc/meminfo", "MemFree: 1 kB\nMemTotal:        1048576 kB\n");
	is_int(run(&ctx), 2, "1 CPU and 1 GiB on a single node: two failures");
	expect("cpus", PREFLIGHT_FAIL, "1 CPU, a single node needs at least 2", "more CPUs", "1 CPU");
	expect("memory", PREFLIGHT_FAIL, "1.0 GiB of memory, a single node needs at least 1.7 GiB", "more memory", "1 GiB");
	ctx.requirements = NULL;
	ctx.profile = worker;
	run(&ctx);
	expect("cpus", PREFLIGHT_PASS, "1 CPU (a worker node needs 1)", NULL, "worker with 1 CPU");
	expect("memory", PREFLIGHT_PASS, "a worker node needs 1.0 GiB", NULL, "worker with 1 GiB");
	ctx.profile = cluster;
	ctx.machine = &cluster->nodes[0];   /* cp1: control-plane, though node.role is worker */
	run(&ctx);
	expect("cpus", PREFLIGHT_FAIL, "a control-plane node needs at least 2", NULL, "the machine's own role");

	ctx = (PreflightContext) { .root = T, .profile = single, .requirements = &req };
	put("sys/devices/system/cpu/online", "0-1,4-5,7\n");
	run(&ctx);
	expect("cpus", PREFLIGHT_PASS, "5 CPUs", NULL, "CPU ranges");
	put("sys/devices/system/cpu/online", "3-1\n");
	run(&ctx);
	expect("cpus", PREFLIGHT_WARN, "cannot count the CPUs", NULL, "a bad CPU list (fake root: no fallback)");
	put("proc/meminfo", "MemFree: 1 kB\n");
	run(&ctx);
	expect("memory", PREFLIGHT_WARN, "no MemTotal line", NULL, "no MemTotal");
}

static void test_disk(void) {
	PreflightRequirements r = req;
	struct statvfs sv;

	fresh();
	ctx.requirements = &r;
	r.disk_fail = UINT64_MAX;
	is_int(run(&ctx), 1, "disk below the minimum: one failure");
	expect("disk-var", PREFLIGHT_FAIL, "free on /var, a single node needs at least", "crictl rmi --prune", "too little");
	r.disk_fail = 0, r.disk_warn = UINT64_MAX;
	run(&ctx);
	expect("disk-var", PREFLIGHT_WARN, "the kubelet starts evicting pods", NULL, "little");

	/* The defaults, against what this file system has. */
	ctx.requirements = NULL;
	const PreflightRequirements *d = preflight_requirements(NODE_ROLE_SINGLE);
	if (statvfs(P("var"), &sv) == 0) {
		uint64_t free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
		PreflightResult want = free_bytes < d->disk_fail ? PREFLIGHT_FAIL :
				       free_bytes < d->disk_warn ? PREFLIGHT_WARN : PREFLIGHT_PASS;
		run(&ctx);
		expect("disk-var", want, "free on /var", NULL, "default minimums");
	} else
		skip(1, "statvfs of the temporary directory failed");

	ctx.requirements = &req;
	(void) rmdir(P("var"));
	run(&ctx);
	expect("disk-var", PREFLIGHT_FAIL, "cannot check /var: No such file or directory", NULL, "no /var");
}

static void test_binaries(void) {
	fresh();
	(void) unlink(P("usr/bin/conntrack"));
	(void) unlink(P("usr/bin/socat"));
	is_int(run(&ctx), 1, "conntrack missing: one failure");
	expect("binaries", PREFLIGHT_FAIL, "not installed: conntrack, socat",
	       "rebuild it with conntrack (Debian package conntrack), socat (Debian package socat)",
	       "conntrack and socat");
	put_mode("usr/sbin/conntrack", "#!/bin/sh\n", 0755);
	run(&ctx);
	expect("binaries", PREFLIGHT_WARN, "not installed: socat", NULL, "only socat (a warning)");
	put_mode("usr/local/bin/socat", "#!/bin/sh\n", 0644);
	run(&ctx);
	expect("binaries", PREFLIGHT_WARN, "not installed: socat", NULL, "socat not executable");

	fresh();
	(void) unlink(P("usr/bin/kubelet"));
	run(&ctx);
	expect("binaries", PREFLIGHT_FAIL, "not installed: kubelet", "the profile's kubernetes.artifacts", "no kubelet");
	ctx.kubernetes = false;
	run(&ctx);
	expect("binaries", PREFLIGHT_PASS, "every needed program", NULL, "no kubelet in an image without Kubernetes");

	/* Symlinks resolve inside the root, as on the node: not to the host's files. */
	(void) unlink(P("usr/bin/iptables"));
	put_mode("usr/sbin/iptables-nft", "#!/bin/sh\n", 0755);
	symlink_in("/usr/sbin/iptables-nft", "usr/bin/iptables");
	(void) unlink(P("usr/bin/mount"));
	symlink_in("/bin/sh", "usr/bin/mount");
	run(&ctx);
	expect("binaries", PREFLIGHT_FAIL, "not installed: mount", NULL, "absolute links resolve in the root");
	ok(!strstr(find("binaries")->message, "iptables"), "iptables -> /usr/sbin/iptables-nft inside the root is found");
}

static void test_ports(void) {
	PreflightRequirements r = req;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof sa;
	int one = 1;
	char name[32];

	fresh();
	/* A listener on 127.0.0.1, with SO_REUSEADDR: the check binds 0.0.0.0 and must still see it. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *) &sa, &len) < 0) {
		skip(4, "cannot listen on 127.0.0.1");
		return;
	}
	r.ports[0] = ntohs(sa.sin_port);
	r.ports[1] = free_port();
	r.n_ports = 2;
	ctx.requirements = &r;
	is_int(run(&ctx), 1, "a port in use: one failure");
	(void) snprintf(name, sizeof name, "port-%u", r.ports[0]);
	expect(name, PREFLIGHT_FAIL, "is in use", "ss -ltnp", "listener on 127.0.0.1");
	(void) snprintf(name, sizeof name, "port-%u", r.ports[1]);
	expect(name, PREFLIGHT_PASS, "is free", NULL, "free port");

	/* The API server's port comes from the profile. */
	_cleanup_(profile_freep) Profile *p = NULL;
	char text[512];
	(void) snprintf(text, sizeof text, PROFILE_HEAD "  apiServerPort: %u\n", r.ports[0]);
	p = load_profile(text);
	r.ports[0] = PREFLIGHT_PORT_API_SERVER;
	r.n_ports = 1;
	ctx.profile = p;
	run(&ctx);
	(void) snprintf(name, sizeof name, "port-%u", ntohs(sa.sin_port));
	expect(name, PREFLIGHT_FAIL, "is in use", NULL, "kubernetes.apiServerPort");
}

/* Without CAP_NET_BIND_SERVICE (the supervisor does not keep it) a port below 1024 cannot be
 * bound: whether it is taken is read from /proc/net/tcp and tcp6 (of the root). */
static bool net_bind_service(cap_flag_value_t v) {
	cap_t c = cap_get_proc();
	cap_value_t which = CAP_NET_BIND_SERVICE;
	bool done = c && cap_set_flag(c, CAP_EFFECTIVE, 1, &which, v) == 0 && cap_set_proc(c) == 0;
	cap_free(c);
	return done;
}

static void test_privileged_port(void) {
	_cleanup_free_ char *start = NULL;
	PreflightRequirements r = req;
	_cleanup_(profile_freep) Profile *p = load_profile(PROFILE_HEAD "  apiServerPort: 443\n");

	if (read_full_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", &start, NULL) < 0 || atoi(start) <= 443 ||
	    !net_bind_service(CAP_CLEAR)) {
		skip(3, "port 443 is not privileged here, or CAP_NET_BIND_SERVICE cannot be dropped");
		return;
	}
	fresh();
	r.ports[0] = PREFLIGHT_PORT_API_SERVER;
	r.n_ports = 1;
	ctx.requirements = &r;
	ctx.profile = p;
	/* Local 0.0.0.0:443 (01BB) listening (0A) in tcp; in tcp6 a connection from port 443. */
	put("proc/net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue\n"
			    "   0: 00000000:01BB 00000000:0000 0A 00000000:00000000\n");
	put("proc/net/tcp6", "  sl  local_address                         remote_address                        st\n");
	run(&ctx);
	expect("port-443", PREFLIGHT_FAIL, "port 443 is in use (by /proc/net/tcp: a privileged port)", "ss -ltnp",
	       "a listener in /proc/net/tcp");
	put("proc/net/tcp", "  sl  local_address rem_address   st\n"
			    "   0: 0100007F:01BB 0100007F:9C40 01 00000000:00000000\n");
	put("proc/net/tcp6", "  sl  local_address                         remote_address                        st\n"
			     "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A\n");
	run(&ctx);
	expect("port-443", PREFLIGHT_PASS, "port 443 is free (by /proc/net/tcp: a privileged port)", NULL,
	       "no listener on 443: an established connection and a listener on 8080 do not count");
	(void) unlink(P("proc/net/tcp")), (void) unlink(P("proc/net/tcp6"));
	run(&ctx);
	expect("port-443", PREFLIGHT_WARN, "cannot test port 443: Permission denied", NULL, "no table to read either");
	(void) net_bind_service(CAP_SET);
	ctx.profile = single;
	ctx.requirements = &req;
}

static void test_roles(void) {
	PreflightContext c = { .root = "/" };
	const PreflightRequirements *w = preflight_requirements(NODE_ROLE_WORKER),
				    *s = preflight_requirements(NODE_ROLE_SINGLE);

	is_int(preflight_role(&c), NODE_ROLE_SINGLE, "no profile: the single role");
	c.profile = worker;
	is_int(preflight_role(&c), NODE_ROLE_WORKER, "the profile's node.role");
	c.profile = cluster, c.machine = &cluster->nodes[0];
	is_int(preflight_role(&c), NODE_ROLE_CONTROL_PLANE, "the machine's nodes[] role wins");
	ok(w && w->n_ports == 1 && w->ports[0] == 10250 && w->cpus == 1, "workers: port 10250 only, 1 CPU");
	ok(s && s->n_ports == 6 && s->ports[0] == PREFLIGHT_PORT_API_SERVER && s->cpus == 2 &&
	   s->memory == UINT64_C(1700) << 20, "single: kubeadm's 2 CPUs, 1700 MiB and six ports");
	ok(!preflight_requirements(_NODE_ROLE_UNSET) && !preflight_requirements(_NODE_ROLE_MAX),
	   "no requirements for bad roles");
}

static void test_api(void) {
	PreflightReport *r = (PreflightReport *) 0x1;
	size_t n = 4711;
	PreflightContext c = {};

	is_int(preflight_run(&c, &r, &n), -EINVAL, "no root: -EINVAL");
	ok(r == (PreflightReport *) 0x1 && n == 4711, "ret_* untouched on failure");
	is_int(preflight_run(NULL, &r, &n), -EINVAL, "no context: -EINVAL");
	is_str(preflight_result_to_string(PREFLIGHT_FIXED), "fixed", "result names");
	ok(!preflight_result_to_string(_PREFLIGHT_RESULT_MAX), "no name out of range");
	preflight_reports_free(NULL, 3);
}

int main(void) {
	single = load_profile(PROFILE_HEAD);
	worker = load_profile(PROFILE_HEAD "  controlPlaneEndpoint: cp.example.com\nnode:\n  role: worker\n");
	ipv6 = load_profile(PROFILE_HEAD "  podSubnet: fd00:10:244::/56\n  serviceSubnet: fd00:10:96::/112\n");
	cluster = load_profile(PROFILE_HEAD "  controlPlaneEndpoint: cp.example.com\n"
			       "node:\n  role: worker\n  hostname: edge\n"
			       "nodes:\n"
			       "  - mac: 52:54:00:aa:bb:01\n    hostname: cp1\n    role: control-plane\n"
			       "  - mac: 52:54:00:aa:bb:02\n    hostname: worker1\n");
	if (!single || !worker || !ipv6 || !cluster)
		return ok(false, "test profiles load"), done_testing();
	req = test_requirements();

	test_all_good();
	test_modules();
	test_sysctls();
	test_swap();
	test_swap_sources();
	test_cgroup();
	test_hostname();
	test_clock();
	test_resources();
	test_disk();
	test_binaries();
	test_ports();
	test_privileged_port();
	test_roles();
	test_api();

	drop_root();
	preflight_reports_free(R, N);
	profile_free(single), profile_free(worker), profile_free(ipv6), profile_free(cluster);
	return done_testing();
}
