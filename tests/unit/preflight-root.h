/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A fake node root for the preflight tests: the /proc, /sys, /etc and /usr files the
 * checks read, all good to start with; each test breaks one thing. Files are written with
 * plain syscalls, never the code under test. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "fd-util.h"
#include "preflight.h"
#include "profile-text.h"
#include "tap.h"

/* Every check passes on good_root() with this build time: 2023-11-14. */
#define BUILD_EPOCH UINT64_C(1700000000)

static char *T;   /* the fake root */

/* T/name in one of 8 rotating buffers, so a few fit in one expression. */
static inline const char *P(const char *name) {
	static char buf[8][PATH_MAX];
	static unsigned i;
	char *p = buf[i++ % ELEMENTSOF(buf)];
	(void) snprintf(p, PATH_MAX, "%s/%s", T, name);
	return p;
}

static inline void mkdirs(const char *rel) {
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/%s", T, rel) < 0)
		return;
	for (char *s = p + strlen(T) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		(void) mkdir(p, 0755);
		*s = '/';
	}
	(void) mkdir(p, 0755);
}

/* Write T/rel (parents created) with mode. */
static inline void put_mode(const char *rel, const char *s, mode_t mode) {
	_cleanup_free_ char *dir = strdup(rel);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash) {
		*slash = '\0';
		mkdirs(dir);
	}
	(void) unlink(P(rel));
	_cleanup_close_ int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t) strlen(s) || fchmod(fd, mode) < 0)
		diag("could not create %s", P(rel));
}
#define put(rel, s) put_mode((rel), (s), 0644)

static inline const char *get(const char *rel) {
	static char buf[4096];
	_cleanup_close_ int fd = open(P(rel), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "(missing)";
	ssize_t k = read(fd, buf, sizeof buf - 1);
	buf[k > 0 ? k : 0] = '\0';
	return buf;
}

static inline void symlink_in(const char *target, const char *rel) {
	(void) unlink(P(rel));
	if (symlink(target, P(rel)) < 0)
		diag("could not link %s", P(rel));
}

static const char *const stub_binaries[] = {
	"containerd", "runc", "ip", "iptables", "mount", "nsenter", "conntrack", "kubeadm", "kubelet",
	"ebtables", "ethtool", "socat", "tc",
};

static inline void good_root(void) {
	char src[PATH_MAX], line[256];

	T = tap_mkdtemp();
	if (!T) {
		diag("cannot make a temporary directory");
		abort();
	}
	put("proc/modules", "overlay 151552 0 - Live 0x0000000000000000\n"
			    "br_netfilter 32768 0 - Live 0x0000000000000000\n"
			    "bridge 311296 1 br_netfilter, Live 0x0000000000000000\n");
	put("proc/sys/net/ipv4/ip_forward", "1\n");
	put("proc/sys/net/bridge/bridge-nf-call-iptables", "1\n");
	put("proc/sys/net/bridge/bridge-nf-call-ip6tables", "1\n");
	put("proc/sys/net/ipv6/conf/default/forwarding", "1\n");
	put("proc/sys/net/ipv6/conf/all/forwarding", "1\n");
	put("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	put("proc/sys/kernel/hostname", "cp1\n");
	put("proc/meminfo", "MemTotal:        4028460 kB\nMemFree:          512000 kB\n");
	put("sys/devices/system/cpu/online", "0-3\n");
	put("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	/* The image's own fstab line and modules list, from the source tree. */
	put("etc/fstab", "# kiln: the var partition, mounted by the initramfs\n"
			 "PARTUUID=0b8e3e4e-0000-4000-8000-000000000001 /var ext4 rw,noatime,x-systemd.growfs 0 0\n");
	(void) snprintf(src, sizeof src, "%s/rootfs/etc/modules-load.d/kiln.conf", tap_srcdir());
	_cleanup_fclose_ FILE *f = fopen(src, "re");
	_cleanup_free_ char *conf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&conf, &size);
	while (f && m && fgets(line, sizeof line, f))
		fputs(line, m);
	if (m)
		fclose(m);
	ok(f && conf && strstr(conf, "br_netfilter"), "the image's modules-load.d/kiln.conf is readable (%s)", src);
	put("etc/modules-load.d/kiln.conf", conf ?: "");
	mkdirs("var");
	for (size_t i = 0; i < ELEMENTSOF(stub_binaries); i++) {
		(void) snprintf(line, sizeof line, "usr/bin/%s", stub_binaries[i]);
		put_mode(line, "#!/bin/sh\nexit 0\n", 0755);
	}
}

static inline void drop_root(void) {
	(void) rm_rf(T);
	T = mfree_str(T);
}

static inline Profile *load_profile(const char *text) {
	int r;
	Profile *p = profile_from_text(text, &r);
	if (r < 0 || !p)
		diag("test profile does not load: %d", r);
	return p;
}

/* A TCP port nobody listens on right now (the kernel's pick for an ephemeral bind). */
static inline uint16_t free_port(void) {
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	socklen_t len = sizeof sa;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
		return 0;
	return ntohs(sa.sin_port);
}

/* The single role's requirements, passing on any machine that runs the tests: no disk
 * minimum, and one port that is free now. */
static inline PreflightRequirements test_requirements(void) {
	PreflightRequirements req = *preflight_requirements(NODE_ROLE_SINGLE);

	req.disk_fail = req.disk_warn = 0;
	req.ports[0] = free_port();
	req.n_ports = 1;
	return req;
}

/* The reports of the last run, and the run itself. */
static PreflightReport *R;
static size_t N;

static inline int run(const PreflightContext *ctx) {
	preflight_reports_free(R, N);
	R = NULL, N = 0;
	int r = preflight_run(ctx, &R, &N);
	if (r < 0)
		diag("preflight_run: %s", strerror(-r));
	return r;
}

static inline const PreflightReport *find(const char *name) {
	for (size_t i = 0; i < N; i++)
		if (streq(R[i].name, name))
			return &R[i];
	return NULL;
}

/* One assertion: report name has result, its message contains msg and (when given) its
 * hint contains hint. */
static inline bool expect(const char *name, PreflightResult result, const char *msg, const char *hint, const char *what) {
	const PreflightReport *r = find(name);
	bool good = r && r->result == result && strstr(r->message, msg) && (!hint || (r->hint && strstr(r->hint, hint)));
	ok(good, "%s: %s is %s", what, name, preflight_result_to_string(result));
	if (!good && r)
		diag("  got %s: \"%s\" (hint: %s)", preflight_result_to_string(r->result), r->message, r->hint ?: "none");
	if (!good && !r)
		diag("  no report named %s", name);
	return good;
}
