/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Preflight checks of the machine itself: host name, clock, CPUs, memory, disk, binaries
 * and ports. The minimums and lists are data in preflight-checks.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "parse-util.h"
#include "preflight-internal.h"

#define DEFAULT_API_SERVER_PORT 6443

static const PreflightRequirements *requirements(const PreflightContext *ctx) {
	return ctx->requirements ?: preflight_requirements(preflight_role(ctx));
}

static const char *role_name(const PreflightContext *ctx) {
	return node_role_to_string(preflight_role(ctx)) ?: "this";
}

/* Another machine's nodes[] entry with this name, when we know which entry is ours. */
static const ProfileMachine *name_taken(const PreflightContext *ctx, const char *name) {
	if (!ctx->profile || !ctx->machine)
		return NULL;
	for (size_t i = 0; i < ctx->profile->n_nodes; i++) {
		const ProfileMachine *m = &ctx->profile->nodes[i];
		if (m != ctx->machine && m->hostname && streq(m->hostname, name) &&
		    memcmp(&m->mac, &ctx->machine->mac, sizeof m->mac) != 0)
			return m;
	}
	return NULL;
}

int check_hostname(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	_cleanup_free_ char *name = NULL;
	const char *hint = "kiln-firstboot names the machine from the profile (its nodes[] entry, node.hostname, "
			   "or its MAC): see 'journalctl -u kiln-firstboot', or set one with 'hostnamectl hostname NAME'";
	const ProfileMachine *other;
	int r;

	r = preflight_read_line(ctx, "/proc/sys/kernel/hostname", &name);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return report_add(out, c->name, PREFLIGHT_FAIL, hint, "cannot read /proc/sys/kernel/hostname: %s",
				  strerror(-r));
	if (isempty(name) || streq(name, "(none)") || streq(name, "localhost") || strneq(name, "localhost.", 10))
		return report_add(out, c->name, PREFLIGHT_FAIL, hint, "host name '%s' is not a node name", name);
	if (!hostname_label_is_valid(name))
		return report_add(out, c->name, PREFLIGHT_FAIL, hint,
				  "host name '%s' is not a valid node name: one label of lowercase letters, digits "
				  "and '-', at most 63 characters%s", name, strchr(name, '.') ? " (not a FQDN)" : "");
	if (ctx->profile && ctx->profile->n_nodes > 0 && !ctx->machine && ctx->profile->node.hostname &&
	    streq(name, ctx->profile->node.hostname))
		return report_add(out, c->name, PREFLIGHT_WARN,
				  "add this machine's MAC to the profile's nodes[] with a name of its own",
				  "host name '%s' is the profile's node.hostname, shared by every machine without a "
				  "nodes[] entry: node names must be distinct", name);
	if ((other = name_taken(ctx, name))) {
		char mac[MAC_ADDRESS_STRING_MAX];
		return report_add(out, c->name, PREFLIGHT_WARN, hint,
				  "host name '%s' belongs to another machine in the profile's nodes[] (MAC %s)", name,
				  mac_address_to_string(&other->mac, mac));
	}
	return report_add(out, c->name, PREFLIGHT_PASS, NULL, "'%s'", name);
}

static const char *format_utc(uint64_t t, char buf[static 32]) {
	time_t tt = (time_t) t;
	struct tm tm;

	if (t > INT64_MAX || !gmtime_r(&tt, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		(void) snprintf(buf, 32, "@%" PRIu64, t);
	return buf;
}

int check_clock(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	char a[32], b[32];
	time_t now = time(NULL);

	if (ctx->build_epoch == 0)
		return report_add(out, c->name, PREFLIGHT_WARN,
				  "rebuild the image with a kiln-imagegen that records sourceDateEpoch in "
				  "/usr/lib/kiln/image.json",
				  "the image does not record when it was built: the clock (%s) is not checked",
				  format_utc((uint64_t) now, a));
	if (now < 0 || (uint64_t) now < ctx->build_epoch)
		return report_add(out, c->name, PREFLIGHT_FAIL,
				  "set the time ('timedatectl set-time', or NTP servers in the profile's network.ntp); "
				  "a dead RTC battery resets it at every boot",
				  "the clock says %s, earlier than the image's build (%s): TLS certificates are not "
				  "valid yet", format_utc((uint64_t) now, a), format_utc(ctx->build_epoch, b));
	return report_add(out, c->name, PREFLIGHT_PASS, NULL, "%s, after the image's build (%s)",
			  format_utc((uint64_t) now, a), format_utc(ctx->build_epoch, b));
}

/* "0-3,8,10-11" (sysfs cpu list format) -> 7. */
static int parse_cpu_list(const char *s, unsigned *ret) {
	unsigned n = 0;

	for (const char *p = s; *p;) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			b = strtoul(++p, &end, 10);
			if (end == p || b < a)
				return -EINVAL;
			p = end;
		}
		if (b - a >= 65536)
			return -ERANGE;
		n += (unsigned) (b - a + 1);
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	if (n == 0)
		return -EINVAL;
	*ret = n;
	return 0;
}

int check_cpus(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	const PreflightRequirements *req = requirements(ctx);
	_cleanup_free_ char *online = NULL;
	unsigned n = 0;
	int r;

	r = preflight_read_line(ctx, "/sys/devices/system/cpu/online", &online);
	if (r == -ENOMEM)
		return r;
	if (r >= 0)
		r = parse_cpu_list(online, &n);
	if (r < 0 && preflight_root_is_host(ctx)) {
		long k = sysconf(_SC_NPROCESSORS_ONLN);
		if (k > 0)
			n = (unsigned) k, r = 0;
	}
	if (r < 0)
		return report_add(out, c->name, PREFLIGHT_WARN, NULL,
				  "cannot count the CPUs in /sys/devices/system/cpu/online: %s", strerror(-r));
	if (n < req->cpus)
		return report_add(out, c->name, PREFLIGHT_FAIL, "give the machine more CPUs",
				  "%u CPU%s, a %s node needs at least %u", n, n == 1 ? "" : "s", role_name(ctx), req->cpus);
	return report_add(out, c->name, PREFLIGHT_PASS, NULL, "%u CPU%s (a %s node needs %u)", n, n == 1 ? "" : "s",
			  role_name(ctx), req->cpus);
}

int check_memory(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	const PreflightRequirements *req = requirements(ctx);
	_cleanup_free_ char *meminfo = NULL;
	char have[PREFLIGHT_SIZE_MAX], need[PREFLIGHT_SIZE_MAX];
	uint64_t kib;
	const char *p;
	int r;

	r = preflight_read(ctx, "/proc/meminfo", &meminfo);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return report_add(out, c->name, PREFLIGHT_WARN, NULL, "cannot read /proc/meminfo: %s", strerror(-r));
	p = strstr(meminfo, "MemTotal:");
	if (!p || (p != meminfo && p[-1] != '\n') || sscanf(p, "MemTotal: %" SCNu64 " kB", &kib) != 1 ||
	    kib > UINT64_MAX / 1024)
		return report_add(out, c->name, PREFLIGHT_WARN, NULL, "no MemTotal line in /proc/meminfo");

	preflight_format_size(kib * 1024, have);
	preflight_format_size(req->memory, need);
	if (kib * 1024 < req->memory)
		return report_add(out, c->name, PREFLIGHT_FAIL, "give the machine more memory",
				  "%s of memory, a %s node needs at least %s", have, role_name(ctx), need);
	return report_add(out, c->name, PREFLIGHT_PASS, NULL, "%s of memory (a %s node needs %s)", have,
			  role_name(ctx), need);
}

int check_disk(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	const PreflightRequirements *req = requirements(ctx);
	const char *hint = "free space on /var ('crictl rmi --prune' removes unused images) or give the disk more "
			   "space: the var partition grows into the rest of the disk at boot";
	_cleanup_free_ char *var = NULL;
	char have[PREFLIGHT_SIZE_MAX], fail[PREFLIGHT_SIZE_MAX], warn[PREFLIGHT_SIZE_MAX];
	struct statvfs sv;
	int r;

	if ((r = preflight_path(ctx, "/var", &var)) < 0)
		return r;
	if (statvfs(var, &sv) < 0)
		return report_add(out, c->name, PREFLIGHT_FAIL, hint, "cannot check /var: %s", strerror(errno));
	/* What an unprivileged writer gets: the root reserve is not for images. */
	uint64_t free_bytes = (uint64_t) sv.f_bavail * (uint64_t) sv.f_frsize;

	preflight_format_size(free_bytes, have);
	preflight_format_size(req->disk_fail, fail);
	preflight_format_size(req->disk_warn, warn);
	if (free_bytes < req->disk_fail)
		return report_add(out, c->name, PREFLIGHT_FAIL, hint, "%s free on /var, a %s node needs at least %s",
				  have, role_name(ctx), fail);
	if (free_bytes < req->disk_warn)
		return report_add(out, c->name, PREFLIGHT_WARN, hint,
				  "%s free on /var: below %s the kubelet starts evicting pods and deleting images early",
				  have, warn);
	return report_add(out, c->name, PREFLIGHT_PASS, NULL, "%s free on /var", have);
}

/* Executable below root_fd. Symlinks are resolved inside the root (RESOLVE_IN_ROOT): an
 * image's /usr/sbin/iptables -> /etc/alternatives/iptables must not find the host's. */
static bool executable_at(int root_fd, const char *root_path, const char *rel) {
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	_cleanup_close_ int fd = (int) syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
	struct stat st;

	if (fd >= 0) {
		if (fstat(fd, &st) < 0)
			return false;
	} else if (errno == ENOSYS || errno == EPERM) {
		/* Kernels before 5.6, or a seccomp filter: plain paths, symlinks as they are. */
		_cleanup_free_ char *p = preflight_printf("%s/%s", root_path, rel);
		if (!p || stat(p, &st) < 0)
			return false;
	} else
		return false;
	return S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

static bool binary_present(int root_fd, const char *root_path, const char *name) {
	static const char *const path[] = { "usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin" };

	for (size_t i = 0; i < ELEMENTSOF(path); i++) {
		char rel[256];
		(void) snprintf(rel, sizeof rel, "%s/%s", path[i], name);
		if (executable_at(root_fd, root_path, rel))
			return true;
	}
	return false;
}

int check_binaries(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	_cleanup_free_ char *missing = NULL, *hint = NULL;
	_cleanup_close_ int root_fd = open(ctx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	PreflightResult result = PREFLIGHT_PASS;
	int r;

	if (root_fd < 0)
		return report_add(out, c->name, PREFLIGHT_FAIL, NULL, "cannot open %s: %s", ctx->root, strerror(errno));
	for (const PreflightBinary *b = c->data; b->name; b++) {
		if ((b->kubernetes && !ctx->kubernetes) || binary_present(root_fd, ctx->root, b->name))
			continue;
		_cleanup_free_ char *from = preflight_printf("%s (%s)", b->name, b->package);
		if (!from || (r = strextend_list(&missing, b->name)) < 0 || (r = strextend_list(&hint, from)) < 0)
			return -ENOMEM;
		result = MAX(result, b->missing);
	}
	if (!missing)
		return report_add(out, c->name, PREFLIGHT_PASS, NULL, "every needed program is installed");
	return report_add_take(out, c->name, result, preflight_printf("not installed: %s", missing),
			       preflight_printf("the image is incomplete: rebuild it with %s", hint));
}

/* Whether a server could listen on port: bind(2) on 0.0.0.0 with SO_REUSEADDR, as the Go
 * listeners of kubeadm's Port-N check and of the components themselves do. SO_REUSEADDR
 * ignores connections in TIME_WAIT (a component that just restarted) but not a listener,
 * so in use means in use. Returns 0 free, -EADDRINUSE taken, other -errno untestable. */
static int port_bind(uint16_t port) {
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return negative_errno();
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		return negative_errno();
	if (bind(fd, (const struct sockaddr *) &sa, sizeof sa) < 0)
		return negative_errno();
	return 0;
}

/* Whether a socket listens on TCP port, by /proc/net/tcp and tcp6 (state 0A): how a port
 * below net.ipv4.ip_unprivileged_port_start is tested (apiServerPort: 443), which the
 * supervisor cannot bind, as it keeps no CAP_NET_BIND_SERVICE. 1 listened on, 0 not,
 * -errno when neither table could be read. */
static int port_listened(const PreflightContext *ctx, uint16_t port) {
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	int r = -ENOENT;

	for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
		_cleanup_free_ char *data = NULL;
		int k = preflight_read(ctx, tables[i], &data);
		if (k == -ENOMEM)
			return k;
		if (k < 0)
			continue;
		r = 0;
		/* "  sl  local_address rem_address   st ...", then one socket a line:
		 * "   0: 0100007F:1F90 00000000:0000 0A ..." (tcp6: 32 hex digits for the address). */
		for (const char *line = strchr(data, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
			unsigned lport, state;
			if (sscanf(line + 1, " %*s %*[0-9A-Fa-f]:%x %*s %x", &lport, &state) == 2 && lport == port &&
			    state == 0x0A)
				return 1;
		}
	}
	return r;
}

int check_ports(const PreflightCheck *c, const PreflightContext *ctx, PreflightReports *out) {
	const PreflightRequirements *req = requirements(ctx);
	int r;

	for (size_t i = 0; i < MIN(req->n_ports, (size_t) PREFLIGHT_PORTS_MAX); i++) {
		uint16_t port = req->ports[i];
		char name[32], hint[128];

		if (port == PREFLIGHT_PORT_API_SERVER)
			port = ctx->profile && ctx->profile->kubernetes.api_server_port > 0 ?
				(uint16_t) ctx->profile->kubernetes.api_server_port : DEFAULT_API_SERVER_PORT;
		(void) snprintf(name, sizeof name, "%s-%u", c->name, port);
		(void) snprintf(hint, sizeof hint, "see what listens with \"ss -ltnp 'sport = :%u'\" and stop it "
			"(a cluster from before? 'kubeadm reset')", port);
		int k = port_bind(port);
		const char *how = "";
		if (k == -EACCES) {
			int l = port_listened(ctx, port);
			if (l >= 0) {
				k = l > 0 ? -EADDRINUSE : 0;
				how = " (by /proc/net/tcp: a privileged port)";
			}
		}
		if (k == 0)
			r = report_add(out, name, PREFLIGHT_PASS, NULL, "port %u is free%s", port, how);
		else if (k == -EADDRINUSE)
			r = report_add(out, name, PREFLIGHT_FAIL, hint, "port %u is in use%s", port, how);
		else
			r = report_add(out, name, PREFLIGHT_WARN, NULL, "cannot test port %u: %s", port, strerror(-k));
		if (r < 0)
			return r;
	}
	return 0;
}
