/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plan: derive everything the build needs from the profile and the host before any
 * work starts, and refuse early (disk space, sizes) rather than half-way. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apt-sources.h"
#include "build.h"
#include "build-space.h"
#include "cache.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "strv.h"

#define MiB (UINT64_C(1) << 20)

/* What every kiln node needs, whatever the profile: systemd and the boot chain, the
 * container runtime, the tools kubeadm's preflight asks for, and the shared libraries
 * the kiln programs link. Policy as data: one list, plus per-suite names where Debian
 * renamed packages (the 64-bit time_t transition in trixie). */
static const char *const node_packages[] = {
	/* systemd-boot (not only -efi): systemd-bless-boot marks a counted boot good. */
	"systemd", "systemd-sysv", "dbus", "udev", "kmod", "initramfs-tools", "systemd-boot", "systemd-boot-efi",
	/* The node's network from the profile (imagegen/tree-network.c). */
	"systemd-resolved",
	/* initramfs-tools compresses with zstd only when the zstd program is there (else gzip:
	 * larger, and slower to unpack at boot). */
	"zstd",
	/* Its wget and tftp fetch the PXE set's images in the initramfs (hooks/kiln copies
	 * the one program; klibc has no HTTP client). */
	"busybox",
	"iproute2", "iptables", "conntrack", "ethtool", "socat", "ebtables", "ca-certificates",
	"containerd", "runc", "containernetworking-plugins",
	"libyaml-0-2", "libjansson4", "libseccomp2", "libcap2", "libsystemd0",
	NULL,
};

static const char *const suite_packages[_DEBIAN_SUITE_MAX][5] = {
	[DEBIAN_SUITE_BOOKWORM] = { "libssl3", "libarchive13", "libcurl4", NULL },
	[DEBIAN_SUITE_TRIXIE]   = { "libssl3t64", "libarchive13t64", "libcurl4t64", "systemd-repart", NULL },
};

static int plan_epoch(Build *b) {
	const char *e = getenv("SOURCE_DATE_EPOCH");
	if (e) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(e, &end, 10);
		if (errno != 0 || end == e || *end != '\0')
			return log_error_errno(-EINVAL, "SOURCE_DATE_EPOCH=%s is not a number of seconds.", e);
		b->epoch = v;
		b->epoch_from_env = true;
	} else
		b->epoch = (uint64_t) time(NULL);
	return 0;
}

static int plan_packages(Build *b) {
	const Profile *p = b->profile;

	for (const char *const *s = node_packages; *s; s++)
		if (strv_extend(&b->packages, *s) < 0)
			return log_oom();
	for (const char *const *s = suite_packages[p->base.suite]; *s; s++)
		if (strv_extend(&b->packages, *s) < 0)
			return log_oom();
	if (strv_extend(&b->packages, p->kernel.package) < 0)
		return log_oom();
	for (size_t i = 0; i < p->base.n_packages; i++)
		if (strv_extend(&b->packages, p->base.packages[i]) < 0)
			return log_oom();
	strv_sort_unique(b->packages);
	return 0;
}

static void plan_ids(Build *b) {
	static const struct { const char *what; size_t offset; } uuids[] = {
		{ "disk",          offsetof(ImageIds, disk) },
		{ "esp",           offsetof(ImageIds, esp) },
		{ "root-a",        offsetof(ImageIds, root_a) },
		{ "root-b",        offsetof(ImageIds, root_b) },
		{ "var",           offsetof(ImageIds, var) },
		{ "root-fs",       offsetof(ImageIds, root_fs) },
		{ "var-fs",        offsetof(ImageIds, var_fs) },
		{ "var-hash-seed", offsetof(ImageIds, var_hash_seed) },
	};
	for (size_t i = 0; i < ELEMENTSOF(uuids); i++)
		uuid_derive(b->profile->name, uuids[i].what, (Uuid *) ((uint8_t *) &b->ids + uuids[i].offset));
	b->ids.esp_serial = uuid_derive_u32(b->profile->name, "esp-serial");
}

static void plan_layout(Build *b) {
	const ProfileDisk *d = &b->profile->outputs.disk;
	DiskLayout *l = &b->layout;

	/* ESP | root-A | root-B | var, each aligned to 1 MiB; var is last so that it can grow
	 * into the rest of whatever disk the image lands on (systemd-repart, growfs). */
	l->disk_size = d->size;
	l->esp_start = MiB;
	l->esp_size = d->esp_size;
	l->root_size = d->root_size;
	l->root_a_start = l->esp_start + l->esp_size;
	l->root_b_start = l->root_a_start + l->root_size;
	l->var_start = l->root_b_start + l->root_size;
	l->var_size = d->var_size;
}

/* Where the kiln programs and data come from: next to an uninstalled kiln-imagegen in a
 * meson build tree (the build directory and the source tree), else the installed paths. */
static int plan_sources(Build *b) {
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		return log_error_errno(-errno, "Cannot find out where kiln-imagegen is: %m");
	exe[n] = '\0';
	b->self_dir = strdup(dirname(exe));
	if (!b->self_dir)
		return log_oom();

	_cleanup_free_ char *ninja = NULL, *build_root = NULL;
	if (asprintf(&build_root, "%s/..", b->self_dir) < 0 || asprintf(&ninja, "%s/build.ninja", build_root) < 0)
		return log_oom();
	bool uninstalled = access(ninja, F_OK) == 0;

	b->data_dir = strdup(b->opts.data_dir ?: uninstalled ? KILN_SOURCE_DIR : KILN_DATA_DIR);
	b->payload_dir = b->opts.payload_dir ? strdup(b->opts.payload_dir)
		: uninstalled ? realpath(build_root, NULL) : strdup("");
	if (!b->data_dir || !b->payload_dir)
		return log_oom();
	return 0;
}

int plan_cache_dir(Build *b) {
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int r;

	if (b->opts.cache_dir)
		b->cache_dir = strdup(b->opts.cache_dir);
	else if (xdg && xdg[0] == '/')
		r = asprintf(&b->cache_dir, "%s/kiln", xdg);
	else if (home && home[0] == '/')
		r = asprintf(&b->cache_dir, "%s/.cache/kiln", home);
	else
		b->cache_dir = strdup("/var/cache/kiln");
	(void) r;
	if (!b->cache_dir)
		return log_oom();
	r = mkdir_p(b->cache_dir, 0755);
	if (r < 0)
		return log_error_errno(r, "Cannot create the cache directory %s: %m", b->cache_dir);
	return 0;
}

/* The build log, in the cache: every command's output, kept when a step fails. Named
 * after the staging directory (a build) or the time (fetch). */
static int plan_log(Build *b) {
	_cleanup_free_ char *logs = NULL;
	char name[64];
	int r;

	if (b->staging_dir)
		snprintf(name, sizeof name, "%s", strrchr(b->staging_dir, '/') ? strrchr(b->staging_dir, '/') + 1 : b->staging_dir);
	else
		snprintf(name, sizeof name, "fetch-%llu", (unsigned long long) now(CLOCK_REALTIME));
	if (asprintf(&logs, "%s/logs", b->cache_dir) < 0 || asprintf(&b->log_path, "%s/%s.log", logs, name) < 0)
		return log_oom();
	if ((r = mkdir_p(logs, 0755)) < 0)
		return log_error_errno(r, "Cannot create %s: %m", logs);
	b->log_fd = open(b->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (b->log_fd < 0)
		return log_error_errno(-errno, "Cannot create the build log %s: %m", b->log_path);
	return 0;
}

/* What interrupted or killed builds left in the cache (their scratch directories, whose
 * locks nobody holds), and what kiln before scratch directories left (temporary files
 * next to the cached trees, mmdebstrap's chroots), removed and named. */
static void plan_sweep(Build *b) {
	_cleanup_strv_free_ char **removed = NULL;
	_cleanup_free_ char *tmp = NULL, *pattern = NULL;
	glob_t g = {};

	if (asprintf(&tmp, "%s/tmp", b->cache_dir) < 0 || asprintf(&pattern, "%s/tools/*/work", b->cache_dir) < 0)
		return;
	(void) cache_sweep(tmp, "build-", &removed);
	if (glob(pattern, GLOB_ONLYDIR, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			(void) cache_sweep(g.gl_pathv[i], "build-", &removed);
	globfree(&g);
	(void) cache_sweep_legacy(b->cache_dir, &removed);
	STRV_FOREACH(r, removed)
		log_info("Removed %s, left by an interrupted build.", *r);
}

/* Where the packages come from: the profile's mirrors, else the build host's own apt
 * configuration (kiln names no mirror of its own). An appliance takes its suite's
 * security and stable updates unless the profile says otherwise: without them a fresh
 * image carries the kernel and libraries of the last point release. */
static int plan_apt_sources(Build *b) {
	const ProfileBase *base = &b->profile->base;
	const char *suite = debian_suite_to_string(base->suite);
	_cleanup_free_ char *security = NULL;
	int r;

	if (base->mirror)
		b->mirror = strdup(base->mirror);
	else {
		r = apt_host_archive("/etc/apt", APT_ARCHIVE_MAIN, &b->mirror);
		if (r == -ENOENT)
			return log_error_errno(r, "The profile names no mirror and this host's apt configuration has no Debian archive either; set base.mirror.");
		if (r < 0)
			return log_error_errno(r, "Cannot read this host's apt sources: %m");
	}
	if (!b->mirror)
		return log_oom();
	if (strv_extendf(&b->apt_sources, "deb %s %s main", b->mirror, suite) < 0)
		return log_oom();
	if (!base->updates)
		return 0;

	if (base->security_mirror)
		security = strdup(base->security_mirror);
	else {
		r = apt_host_archive("/etc/apt", APT_ARCHIVE_SECURITY, &security);
		if (r == -ENOENT)
			return log_error_errno(r, "The profile names no security archive and this host's apt configuration has none either: set base.securityMirror, or base.updates: false to build without %s-security and %s-updates.",
					       suite, suite);
		if (r < 0)
			return log_error_errno(r, "Cannot read this host's apt sources: %m");
	}
	if (!security)
		return log_oom();
	if (strv_extendf(&b->apt_sources, "deb %s %s-updates main", b->mirror, suite) < 0 ||
	    strv_extendf(&b->apt_sources, "deb %s %s-security main", security, suite) < 0)
		return log_oom();
	return 0;
}

int step_plan(Build *b) {
	int r;

	if ((r = plan_epoch(b)) < 0 || (r = plan_packages(b)) < 0 || (r = plan_sources(b)) < 0 ||
	    (r = plan_cache_dir(b)) < 0 || (r = plan_log(b)) < 0)
		return r;
	plan_sweep(b);
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s/tmp", b->cache_dir) < 0)
		return log_oom();
	r = cache_scratch_new(tmp, "build-", &b->scratch_dir, &b->scratch_lock);
	if (r < 0)
		return log_error_errno(r, "Cannot create a scratch directory in %s: %m", tmp);
	plan_ids(b);
	plan_layout(b);

	if ((r = plan_apt_sources(b)) < 0)
		return r;

	if ((r = cached_trees_locate(b)) < 0 || (r = build_space_check(b)) < 0)
		return r;

	log_debug("Plan: %zu packages from %s, epoch %llu%s, cache %s", strv_length(b->packages), b->mirror,
		  (unsigned long long) b->epoch, b->epoch_from_env ? " (SOURCE_DATE_EPOCH)" : "", b->cache_dir);
	return 0;
}
