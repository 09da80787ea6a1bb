/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plan: derive everything the build needs from the profile and the host before any
 * work starts, and refuse early (disk space, sizes) rather than half-way. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "apt-sources.h"
#include "build.h"
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

static int plan_cache_dir(Build *b) {
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

static int free_bytes(const char *path, uint64_t *ret) {
	struct statvfs sv;
	if (statvfs(path, &sv) < 0)
		return -errno;
	*ret = (uint64_t) sv.f_bavail * sv.f_frsize;
	return 0;
}

/* A rough upper bound of what the build writes, so that a full disk is refused before
 * minutes of work rather than after: in the cache, the root file system tarball, the
 * tools tree and, in the work directory, the unpacked tree plus the file system images;
 * in the output, the allocated part of disk.raw. */
static int plan_check_space(Build *b) {
	const DiskLayout *l = &b->layout;
	uint64_t need_cache = 1024 * MiB + 256 * MiB + 2 * l->root_size + l->var_size + l->esp_size;
	uint64_t need_out = l->esp_size + l->root_size + l->var_size;
	uint64_t have_cache = 0, have_out = 0;
	_cleanup_free_ char *out_parent = b->opts.output_dir ? strdup(b->opts.output_dir) : NULL;
	int r;

	r = free_bytes(b->cache_dir, &have_cache);
	if (r < 0)
		return log_error_errno(r, "Cannot tell the free space of %s: %m", b->cache_dir);
	if (!b->opts.output_dir) {
		/* fetch: only the cache is written. */
		need_cache = 1024 * MiB + 256 * MiB;
		if (have_cache < need_cache)
			return log_error_errno(-ENOSPC, "Not enough free disk space: %s has %llu MiB free, fetching needs up to %llu MiB.",
					       b->cache_dir, (unsigned long long) (have_cache / MiB),
					       (unsigned long long) (need_cache / MiB));
		return 0;
	}
	if (!out_parent)
		return log_oom();
	r = mkdir_parents(b->opts.output_dir, 0755);
	if (r < 0)
		return log_error_errno(r, "Cannot create the parents of %s: %m", b->opts.output_dir);
	r = free_bytes(dirname(out_parent), &have_out);
	if (r < 0)
		return log_error_errno(r, "Cannot tell the free space next to %s: %m", b->opts.output_dir);

	/* Cache and output on one file system need both. */
	struct stat a, o;
	_cleanup_free_ char *op = strdup(b->opts.output_dir);
	if (!op)
		return log_oom();
	if (stat(b->cache_dir, &a) == 0 && stat(dirname(op), &o) == 0 && a.st_dev == o.st_dev) {
		need_cache += need_out;
		need_out = 0;
	}
	if (have_cache < need_cache)
		return log_error_errno(-ENOSPC,
				       "Not enough free disk space for the build: %s has %llu MiB free, the build needs up to %llu MiB.",
				       b->cache_dir, (unsigned long long) (have_cache / MiB),
				       (unsigned long long) (need_cache / MiB));
	if (have_out < need_out)
		return log_error_errno(-ENOSPC,
				       "Not enough free disk space for the image: %s has %llu MiB free, the image needs up to %llu MiB.",
				       b->opts.output_dir, (unsigned long long) (have_out / MiB),
				       (unsigned long long) (need_out / MiB));
	return 0;
}

int step_plan(Build *b) {
	int r;

	if ((r = plan_epoch(b)) < 0 || (r = plan_packages(b)) < 0 || (r = plan_sources(b)) < 0 ||
	    (r = plan_cache_dir(b)) < 0)
		return r;
	plan_ids(b);
	plan_layout(b);

	if (b->profile->base.mirror)
		b->mirror = strdup(b->profile->base.mirror);
	else {
		r = apt_host_mirror("/etc/apt", &b->mirror);
		if (r == -ENOENT)
			return log_error_errno(r, "The profile names no mirror and this host's apt configuration has no Debian archive either; set base.mirror.");
		if (r < 0)
			return log_error_errno(r, "Cannot read this host's apt sources: %m");
	}
	if (!b->mirror)
		return log_oom();

	r = plan_check_space(b);
	if (r < 0)
		return r;

	log_debug("Plan: %zu packages from %s, epoch %llu%s, cache %s", strv_length(b->packages), b->mirror,
		  (unsigned long long) b->epoch, b->epoch_from_env ? " (SOURCE_DATE_EPOCH)" : "", b->cache_dir);
	return 0;
}
