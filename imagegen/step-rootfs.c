/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The two mmdebstrap runs: the tools tree (Debian 13's e2fsprogs, erofs-utils, dosfstools,
 * mtools, fdisk and syslinux, which the file system steps run in, so that the image does
 * not depend on the build host's versions) and the node's root file system. Both are
 * cached by their inputs; when both are missing they download side by side. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "box.h"
#include "build-lock.h"
#include "cache-inventory.h"
#include "cache.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "package-origins.h"
#include "package-pins.h"
#include "rootfs-pins.h"
#include "strv.h"
#include "tree-cache.h"

static const char *const suite_names[_DEBIAN_SUITE_MAX] = {
	[DEBIAN_SUITE_BOOKWORM] = "bookworm",
	[DEBIAN_SUITE_TRIXIE] = "trixie",
};
static const char *const arch_names[_ARCHITECTURE_MAX] = {
	[ARCHITECTURE_AMD64] = "amd64",
	[ARCHITECTURE_ARM64] = "arm64",
};

/* Tools come from Debian 13 whatever the image's suite: its e2fsprogs (1.47.2) is the
 * first whose "mkfs.ext4 -d" output is reproducible. */
#define TOOLS_SUITE "trixie"
static const char *const tools_packages[] = {
	"e2fsprogs", "erofs-utils", "dosfstools", "mtools", "fdisk", "syslinux", "syslinux-common", "qemu-utils",
	"xorriso", "isolinux", "pxelinux", "grub-efi-amd64-bin", "zstd", NULL,
};

/* Documentation, manual pages and translations are not needed on an appliance; the
 * copyright files stay (they are the licences). */
static const char *const dpkg_trims[] = {
	"--dpkgopt=path-exclude=/usr/share/doc/*",
	"--dpkgopt=path-include=/usr/share/doc/*/copyright",
	"--dpkgopt=path-exclude=/usr/share/man/*",
	"--dpkgopt=path-exclude=/usr/share/info/*",
	"--dpkgopt=path-exclude=/usr/share/locale/*",
	"--dpkgopt=path-exclude=/usr/share/lintian/*",
};

/* Where each installed package came from, while apt's lists are still there (mmdebstrap
 * removes them when it cleans up): "NAME VERSION SUITE" lines, from every suite that has
 * that version, for manifest.json (PACKAGE_ORIGINS_PATH; package-origins.c reads it).
 * Whether every package got one is checked there: this pipeline cannot fail by itself. */
static const char *const package_origins_hook =
	"mkdir -p \"$1/usr/lib/kiln\" && "
	"chroot \"$1\" sh -c 'dpkg-query -W -f \"\\${Package}\\n\" | xargs -r apt-cache madison' | "
	"awk -F'|' '{ gsub(/ /, \"\", $1); gsub(/ /, \"\", $2); split($3, w, \" \"); sub(/\\/.*/, \"\", w[2]); print $1, $2, w[2] }' | "
	"LC_ALL=C sort -u > \"$1/" PACKAGE_ORIGINS_PATH "\"";

static int tools_key(Build *b, char digest[static 65]) {
	_cleanup_free_ char *packages = strv_join((char **) tools_packages, ",");
	CacheKey k = {};
	int r;

	if (!packages)
		return -ENOMEM;
	if ((r = cache_key_add(&k, "kind", "tools-v1")) >= 0 &&
	    (r = cache_key_add(&k, "suite", TOOLS_SUITE)) >= 0 &&
	    (r = cache_key_add(&k, "mirror", b->mirror)) >= 0 &&
	    (r = cache_key_add(&k, "packages", packages)) >= 0)
		r = cache_key_digest(&k, digest);
	cache_key_done(&k);
	return r;
}

/* Entries of the tools tree that builds write: the work directories. */
static const char *const tools_skip[] = { "work", NULL };

/* mke2fs looks for mounted file systems in /etc/mtab; an empty one says "none". */
static int tools_prepare(const char *tree) {
	_cleanup_free_ char *mtab = NULL;
	if (asprintf(&mtab, "%s/etc/mtab", tree) < 0)
		return -ENOMEM;
	(void) unlink(mtab);
	return write_file_atomic(mtab, "", 0, 0644, 0);
}

/* ---- the mmdebstrap runs, real or simulated ---- */

static char *initramfs_dir(Build *b) {
	char *dir = NULL;
	return asprintf(&dir, "%s/rootfs/etc/initramfs-tools", b->data_dir) < 0 ? NULL : dir;
}

/* What one tree's mmdebstrap run is made of, whether it is simulated (lock, and fetch's
 * check of the pins before it downloads) or real. */
typedef struct MmdebstrapRun {
	PackageSet set;
	char **packages;
	char *include;          /* the packages, comma-separated */
	char *essential_hook;   /* node and box: kiln's initramfs hooks */
	char *aptopt;           /* the pins' preferences; NULL when nothing is pinned */
	char *logfile;          /* "--logfile=..." of a simulated run */
	char *log_path;
} MmdebstrapRun;

static void mmdebstrap_run_done(MmdebstrapRun *m) {
	strv_free(m->packages);
	free(m->include);
	free(m->essential_hook);
	free(m->aptopt);
	free(m->logfile);
	free(m->log_path);
}

/* The packages of a set: sorted, unique. */
static int set_packages(Build *b, PackageSet set, char ***ret) {
	_cleanup_strv_free_ char **packages = NULL;
	const char *const *lists[2] = {};

	if (set == PACKAGE_SET_TOOLS)
		lists[0] = tools_packages;
	else {
		lists[0] = (const char *const *) b->packages;
		lists[1] = set == PACKAGE_SET_BOX ? box_packages : NULL;
	}
	for (size_t i = 0; i < ELEMENTSOF(lists); i++)
		for (const char *const *p = lists[i]; p && *p; p++)
			if (strv_extend(&packages, *p) < 0)
				return -ENOMEM;
	strv_sort_unique(packages);
	*ret = TAKE_PTR(packages);
	return 0;
}

static int mmdebstrap_run_init(Build *b, PackageSet set, char *const *pins, MmdebstrapRun *m) {
	_cleanup_free_ char *initramfs = initramfs_dir(b);
	int r;

	*m = (MmdebstrapRun) { .set = set };
	if (!initramfs || set_packages(b, set, &m->packages) < 0 || !(m->include = strv_join(m->packages, ",")) ||
	    asprintf(&m->log_path, "%s/%s-simulated.log", b->scratch_dir, package_set_to_string(set)) < 0 ||
	    asprintf(&m->logfile, "--logfile=%s", m->log_path) < 0)
		return log_oom();
	if (set != PACKAGE_SET_TOOLS) {
		if (strchr(initramfs, '\''))
			return log_error_errno(-EINVAL, "The data directory %s has a quote in its path.", b->data_dir);
		/* kiln's initramfs hooks must be in place before the kernel's postinst builds
		 * the initrd, so they go in right after the essential packages. */
		if (asprintf(&m->essential_hook,
			     "mkdir -p \"$1/etc/initramfs-tools\" && cp -a '%s/.' \"$1/etc/initramfs-tools/\"", initramfs) < 0)
			return log_oom();
	}
	if (pins && (r = rootfs_pins_preferences(b, set, pins, &m->aptopt)) < 0)
		return r;
	return 0;
}

/* apt keeps --aptopt in the tree; the pins are the build's, not the node's. Removing it
 * leaves the tree as an unpinned run of the same versions makes it. */
static const char aptopt_remove_hook[] = "rm -f \"$1/etc/apt/apt.conf.d/99mmdebstrap\"";

#define MMDEBSTRAP_ARGV_MAX 48

/* mmdebstrap's command line for m into target, or simulated (target NULL). */
static void mmdebstrap_argv(Build *b, const MmdebstrapRun *m, const char *target, const char *argv[static MMDEBSTRAP_ARGV_MAX]) {
	bool tools = m->set == PACKAGE_SET_TOOLS;
	size_t n = 0;

	argv[n++] = "mmdebstrap";
	if (target && tools)
		argv[n++] = "--quiet";
	argv[n++] = "--variant=minbase";
	if (!target) {
		argv[n++] = "--simulate";
		argv[n++] = "--verbose";   /* apt's "Inst NAME (VERSION ...)" lines */
		argv[n++] = m->logfile;
	} else if (!tools)
		argv[n++] = "--format=tar";
	argv[n++] = "--include";
	argv[n++] = m->include;
	if (!tools) {
		argv[n++] = "--architectures";
		argv[n++] = arch_names[b->profile->base.architecture];
		argv[n++] = "--essential-hook";
		argv[n++] = m->essential_hook;
		for (size_t i = 0; i < ELEMENTSOF(dpkg_trims); i++)
			argv[n++] = dpkg_trims[i];
		argv[n++] = "--customize-hook";
		argv[n++] = package_origins_hook;
	}
	if (m->aptopt) {
		argv[n++] = "--aptopt";
		argv[n++] = m->aptopt;
		argv[n++] = "--customize-hook";
		argv[n++] = aptopt_remove_hook;
	}
	argv[n++] = tools ? TOOLS_SUITE : suite_names[b->profile->base.suite];
	argv[n++] = target ?: "/dev/null";
	if (tools)
		argv[n++] = b->mirror;
	else
		STRV_FOREACH(s, b->apt_sources) {
			assert(n < MMDEBSTRAP_ARGV_MAX - 1);
			argv[n++] = *s;
		}
	assert(n < MMDEBSTRAP_ARGV_MAX);
	argv[n] = NULL;
}

static int mmdebstrap_simulate(Build *b, const MmdebstrapRun *m, char ***ret) {
	_cleanup_free_ char *what = NULL;
	const char *argv[MMDEBSTRAP_ARGV_MAX];

	if (asprintf(&what, "mmdebstrap --simulate (%s tree)", package_set_to_string(m->set)) < 0)
		return log_oom();
	mmdebstrap_argv(b, m, NULL, argv);
	return rootfs_pins_simulate(b, what, argv, m->log_path, ret);
}

int rootfs_resolve(Build *b, PackageSet set, char ***ret) {
	_cleanup_(mmdebstrap_run_done) MmdebstrapRun m = {};
	int r = mmdebstrap_run_init(b, set, NULL, &m);
	if (r < 0)
		return r;
	return mmdebstrap_simulate(b, &m, ret);
}

/* Before anything is downloaded: does the mirror still have what the lock pins? */
static int mmdebstrap_check_pins(Build *b, const MmdebstrapRun *m, char *const *pins) {
	_cleanup_strv_free_ char **resolved = NULL, **problems = NULL;
	int r;

	if (!pins)
		return 0;
	if ((r = mmdebstrap_simulate(b, m, &resolved)) < 0)
		return r;
	if (package_pins_compare(pins, resolved, &problems) < 0)
		return log_oom();
	if (!problems)
		return 0;
	log_error("The mirror cannot give the %s tree what %s pins; apt would install:", package_set_to_string(m->set),
		  b->lock_path);
	rootfs_pins_log_problems(problems, LOG_ERR);
	return log_error_errno(-ESTALE, "Run \"kiln-imagegen lock\" to pin what the mirror has now (and review what changed), or build from a mirror that still has these versions.");
}

/* After a tree is made: it holds what the lock pins, or it is removed again. */
static int made_tree_check(Build *b, PackageSet set, const char *tree, char *const *pins) {
	_cleanup_strv_free_ char **problems = NULL;
	int r;

	if (!pins)
		return 0;
	if ((r = rootfs_pins_check_tree(b, tree, pins, &problems)) < 0)
		return r;
	if (!problems)
		return 0;
	log_error("The %s tree mmdebstrap made holds other Debian packages than %s pins:", package_set_to_string(set),
		  b->lock_path);
	rootfs_pins_log_problems(problems, LOG_ERR);
	(void) tree_discard(b, tree);
	return log_error_errno(-ESTALE, "It is not kept. Run \"kiln-imagegen lock\" again.");
}

/* ---- the tools tree ---- */

int step_tools(Build *b) {
	_cleanup_(mmdebstrap_run_done) MmdebstrapRun m = {};
	_cleanup_strv_free_ char **pins = NULL;
	bool stale = false;
	int r;

	if ((r = rootfs_pins(b, PACKAGE_SET_TOOLS, &pins)) < 0)
		return r;
	/* Held as long as the build runs: shared, or exclusive until the tree is made. */
	r = stage_acquire(b, b->tools_dir, tools_skip, pins, "tools tree", &b->tools_lock, &stale);
	if (r != 0)
		return MIN(r, 0);

	if (b->opts.offline)
		return log_error_errno(-ENETUNREACH, "Offline: the tools tree is not in the cache (%s); run \"kiln-imagegen fetch\" with network access first.",
				       b->tools_dir);
	if ((r = mmdebstrap_run_init(b, PACKAGE_SET_TOOLS, pins, &m)) < 0 || (r = mmdebstrap_check_pins(b, &m, pins)) < 0 ||
	    (stale && (r = tree_discard(b, b->tools_dir)) < 0))
		return r;
	/* Start it and carry on: step_rootfs() waits for it after its own mmdebstrap. */
	_cleanup_free_ char *tmpdir = NULL;
	if (asprintf(&b->tools_job_tar, "%s/tools.tar", b->scratch_dir) < 0 || asprintf(&tmpdir, "TMPDIR=%s", b->scratch_dir) < 0)
		return log_oom();
	const char *argv[MMDEBSTRAP_ARGV_MAX];
	mmdebstrap_argv(b, &m, b->tools_job_tar, argv);
	const char *env[] = { tmpdir, NULL };
	r = build_exec_start(b, argv, env, BUILD_TIMEOUT_MMDEBSTRAP, &b->tools_job);
	if (r < 0)
		return log_error_errno(r, "Cannot start mmdebstrap for the tools tree: %m");
	return 0;
}

static int tools_finish(Build *b) {
	_cleanup_strv_free_ char **pins = NULL;
	int r;

	if (b->tools_job <= 0)
		return 0;
	r = build_exec_wait(b, "mmdebstrap (tools tree)", b->tools_job);
	b->tools_job = 0;
	if (r < 0)
		return r;
	r = unpack_into_cache(b, b->tools_job_tar, b->tools_dir, tools_skip, tools_prepare);
	if (r < 0)
		return r;
	if ((r = rootfs_pins(b, PACKAGE_SET_TOOLS, &pins)) < 0 ||
	    (r = made_tree_check(b, PACKAGE_SET_TOOLS, b->tools_dir, pins)) < 0)
		return r;
	r = build_lock_share(b->tools_lock);
	if (r < 0)
		return log_error_errno(r, "Cannot share the lock on %s: %m", b->tools_dir);
	return 0;
}

/* ---- the node's and the box's root file systems ---- */

static int rootfs_key(Build *b, char **packages_list, const char *initramfs_dir, char digest[static 65]) {
	_cleanup_free_ char *packages = strv_join(packages_list, ","), *mm_version = NULL,
		*sources = strv_join(b->apt_sources, "\n");
	const char *version_argv[] = { "mmdebstrap", "--version", NULL };
	CacheKey k = {};
	int r;

	if (!packages || !sources)
		return -ENOMEM;
	r = build_exec_capture(b, "mmdebstrap --version", version_argv, NULL, &mm_version);
	if (r < 0)
		return r;

	/* Without SOURCE_DATE_EPOCH the time is not an input: a cached tree is reused as is. */
	char epoch[32];
	snprintf(epoch, sizeof epoch, "%llu", (unsigned long long) b->epoch);
	/* v2: the sources (updates, security) and the package origins file. */
	if ((r = cache_key_add(&k, "kind", "rootfs-v2")) >= 0 &&
	    (r = cache_key_add(&k, "suite", suite_names[b->profile->base.suite])) >= 0 &&
	    (r = cache_key_add(&k, "architecture", arch_names[b->profile->base.architecture])) >= 0 &&
	    (r = cache_key_add(&k, "sources", sources)) >= 0 &&
	    (r = cache_key_add(&k, "origins", package_origins_hook)) >= 0 &&
	    (r = cache_key_add(&k, "packages", packages)) >= 0 &&
	    (r = cache_key_add(&k, "mmdebstrap", mm_version)) >= 0 &&
	    (r = cache_key_add(&k, "epoch", b->epoch_from_env ? epoch : "any")) >= 0 &&
	    (r = cache_key_add_tree(&k, "initramfs-tools", initramfs_dir)) >= 0)
		r = cache_key_digest(&k, digest);
	cache_key_done(&k);
	return r;
}

/* apt's words for a package it cannot find, so the error can name it. */
static void report_missing_packages(Build *b, off_t from) {
	_cleanup_free_ char *log_text = NULL;
	size_t size;

	if (read_full_file(b->log_path, &log_text, &size) < 0 || (size_t) from > size)
		return;
	static const char *const patterns[] = {
		"Unable to locate package ", "Package '", "has no installation candidate",
	};
	for (char *l = log_text + from; l && *l; ) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		char *p;
		if ((p = strstr(l, patterns[0])))
			log_error("Package \"%s\" does not exist in %s at %s.", p + strlen(patterns[0]),
				  suite_names[b->profile->base.suite], b->mirror);
		else if (strstr(l, patterns[2]) && (p = strstr(l, patterns[1]))) {
			char *end = strchr(p + strlen(patterns[1]), '\'');
			if (end)
				*end = '\0';
			log_error("Package \"%s\" has no installable version in %s at %s.",
				  p + strlen(patterns[1]), suite_names[b->profile->base.suite], b->mirror);
		}
		l = nl ? nl + 1 : NULL;
	}
}

static int box_tree_path(Build *b, char **ret);

int cached_trees_locate(Build *b) {
	_cleanup_free_ char *initramfs = initramfs_dir(b);
	char digest[65];
	int r;

	if (!initramfs)
		return log_oom();
	if ((r = tools_key(b, digest)) < 0)
		return log_error_errno(r, "Cannot compute the tools tree's cache key: %m");
	if (!(b->tools_key = strdup(digest)))
		return log_oom();
	if ((r = cache_path(b->cache_dir, "tools", digest, NULL, &b->tools_dir)) < 0)
		return log_error_errno(r, "Cannot prepare the cache: %m");

	if ((r = rootfs_key(b, b->packages, initramfs, digest)) < 0)
		return log_error_errno(r, "Cannot compute the root file system's cache key: %m");
	if (!(b->rootfs_key = strdup(digest)))
		return log_oom();
	if ((r = cache_path(b->cache_dir, "rootfs", digest, ".tree", &b->rootfs_tree)) < 0)
		return log_error_errno(r, "Cannot prepare the cache: %m");

	b->tools_cached = cache_exists(b->tools_dir);
	b->rootfs_cached = cache_exists(b->rootfs_tree);
	if (b->rootfs_cached)
		(void) cache_tree_usage(b->rootfs_tree, &b->root_tree_bytes);

	/* step_rootfs() makes the box's tree too when the box is asked for or listed. */
	if ((b->formats | output_formats_of_profile(b->profile)) & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_VAGRANT)) {
		if ((r = box_tree_path(b, &b->box_rootfs_tree)) < 0)
			return r;
		b->box_rootfs_cached = cache_exists(b->box_rootfs_tree);
	}
	return 0;
}

/* mmdebstrap the root file system of a set into the cache at tree (unless it is there,
 * intact and as pinned): 1 if it was cached, 0 if made; either way with *lock held shared. */
static int rootfs_make(Build *b, PackageSet set, const char *tree, int *lock) {
	_cleanup_(mmdebstrap_run_done) MmdebstrapRun m = {};
	_cleanup_strv_free_ char **pins = NULL;
	_cleanup_free_ char *tar = NULL, *tmpdir = NULL;
	bool stale = false;
	int r;

	if ((r = rootfs_pins(b, set, &pins)) < 0)
		return r;
	r = stage_acquire(b, tree, NULL, pins, "root file system", lock, &stale);
	if (r != 0)
		return r;

	if (b->opts.offline)
		return log_error_errno(-ENETUNREACH, "Offline: the root file system for these packages and this epoch is not in the cache (%s); run \"kiln-imagegen fetch\" with the same profile and SOURCE_DATE_EPOCH, with network access, first.",
				       tree);
	if ((r = mmdebstrap_run_init(b, set, pins, &m)) < 0 || (r = mmdebstrap_check_pins(b, &m, pins)) < 0 ||
	    (stale && (r = tree_discard(b, tree)) < 0))
		return r;
	/* mmdebstrap's chroot and tarball go to the build's scratch directory: what an
	 * interrupted run leaves there is removed with it. */
	if (asprintf(&tar, "%s/rootfs.tar", b->scratch_dir) < 0 || asprintf(&tmpdir, "TMPDIR=%s", b->scratch_dir) < 0)
		return log_oom();
	const char *argv[MMDEBSTRAP_ARGV_MAX];
	mmdebstrap_argv(b, &m, tar, argv);
	const char *env[] = { tmpdir, NULL };

	off_t log_start = lseek(b->log_fd, 0, SEEK_END);
	r = build_exec(b, "mmdebstrap (root file system)", argv, env, BUILD_TIMEOUT_MMDEBSTRAP);
	if (r < 0) {
		if (r == -EPROTO)
			report_missing_packages(b, log_start);
		return r;
	}
	/* Unpack while the tools tree may still be downloading. */
	r = unpack_into_cache(b, tar, tree, NULL, NULL);
	if (r < 0)
		return r;
	if ((r = made_tree_check(b, set, tree, pins)) < 0)
		return r;
	if ((r = build_lock_share(*lock)) < 0)
		return log_error_errno(r, "Cannot share the lock on %s: %m", tree);
	return 0;
}

int step_rootfs(Build *b) {
	int r = rootfs_make(b, PACKAGE_SET_NODE, b->rootfs_tree, &b->rootfs_lock);
	if (r < 0)
		return r;
	if (r > 0)
		log_info("Root file system: cached (%s)", b->rootfs_tree);
	else
		(void) cache_tree_usage(b->rootfs_tree, &b->root_tree_bytes);

	/* The box's too, when it is asked for or the profile lists it (cached_trees_locate()
	 * decided): "fetch" (which has no --format) then caches it for "build --offline". */
	if (b->box_rootfs_tree) {
		_cleanup_close_ int box_lock = -EBADF;
		if ((r = rootfs_box_make(b, &box_lock)) < 0)
			return r;
		if (r > 0)
			log_info("Box root file system: cached (%s)", b->box_rootfs_tree);
	}
	return tools_finish(b);
}

/* The Vagrant box's root file system (box-tree.c says why it has one): the node's
 * packages and box_packages, under a cache key of its own, made the same way. */
static int box_tree_path(Build *b, char **ret) {
	_cleanup_free_ char *initramfs = initramfs_dir(b);
	_cleanup_strv_free_ char **packages = NULL;
	char digest[65];
	int r;

	if (!initramfs || set_packages(b, PACKAGE_SET_BOX, &packages) < 0)
		return log_oom();
	if ((r = rootfs_key(b, packages, initramfs, digest)) < 0)
		return log_error_errno(r, "Cannot compute the box root file system's cache key: %m");
	if ((r = cache_path(b->cache_dir, "rootfs", digest, ".tree", ret)) < 0)
		return log_error_errno(r, "Cannot prepare the cache: %m");
	return 0;
}

int rootfs_box_make(Build *b, int *ret_lock) {
	_cleanup_close_ int lock = -EBADF;
	int r;

	assert(b->box_rootfs_tree);
	r = rootfs_make(b, PACKAGE_SET_BOX, b->box_rootfs_tree, &lock);
	if (r < 0)
		return r;
	*ret_lock = TAKE_FD(lock);
	return r;
}
