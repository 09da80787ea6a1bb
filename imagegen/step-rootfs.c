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

#include "archive-util.h"
#include "build.h"
#include "box.h"
#include "build-lock.h"
#include "cache-inventory.h"
#include "cache.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "package-origins.h"
#include "rm-rf.h"
#include "strv.h"

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
static const char *const tools_packages = "e2fsprogs,erofs-utils,dosfstools,mtools,fdisk,syslinux,syslinux-common,qemu-utils,xorriso,isolinux,pxelinux,zstd";

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
	CacheKey k = {};
	int r;

	if ((r = cache_key_add(&k, "kind", "tools-v1")) >= 0 &&
	    (r = cache_key_add(&k, "suite", TOOLS_SUITE)) >= 0 &&
	    (r = cache_key_add(&k, "mirror", b->mirror)) >= 0 &&
	    (r = cache_key_add(&k, "packages", tools_packages)) >= 0)
		r = cache_key_digest(&k, digest);
	cache_key_done(&k);
	return r;
}

/* Entries of the tools tree that builds write: the work directories. */
static const char *const tools_skip[] = { "work", NULL };

static int inventory_path(const char *tree, char **ret) {
	/* rootfs/<key>.tree -> rootfs/<key>.inventory; tools/<key> -> tools/<key>.inventory */
	const char *dot = strrchr(tree, '.'), *slash = strrchr(tree, '/');
	size_t n = dot && dot > slash ? (size_t) (dot - tree) : strlen(tree);
	return asprintf(ret, "%.*s.inventory", (int) n, tree) < 0 ? -ENOMEM : 0;
}

/* A cached tree is used only if it still matches the inventory written when it was made.
 * 1: it does. 0: there is none. -EBADMSG: damaged (*ret_problems says how; "no
 * inventory" counts as damaged too). */
static int tree_check(const char *tree, InventorySkip skip, char ***ret_problems) {
	_cleanup_free_ char *inventory = NULL;
	int r;

	if (!cache_exists(tree))
		return 0;
	if (inventory_path(tree, &inventory) < 0)
		return -ENOMEM;
	r = inventory_check(tree, skip, inventory, ret_problems);
	if (r == -ENOENT)
		return strv_extend(ret_problems, "it has no inventory to be checked against") < 0 ? -ENOMEM : -EBADMSG;
	return r < 0 ? r : 1;
}

/* Move a damaged tree out of the way (a rename, at once) and remove it. */
static int tree_discard(Build *b, const char *tree) {
	_cleanup_free_ char *inventory = NULL, *aside = NULL;

	if (inventory_path(tree, &inventory) < 0 || asprintf(&aside, "%s/damaged", b->scratch_dir) < 0)
		return log_oom();
	if (rename(tree, aside) < 0)
		return log_error_errno(-errno, "Cannot move the damaged %s aside: %m", tree);
	(void) unlink(inventory);
	(void) rm_rf_path(aside, REMOVE_ROOT | REMOVE_MISSING_OK);
	return 0;
}

/* A cached tree's lock is shared while builds use the tree and exclusive while one makes
 * or repairs it, so builds that share a cache run side by side. Returns 1 with the lock
 * held shared when the tree is there and intact; 0 with it held exclusively when the
 * caller is to make the tree (a damaged one is gone by then, having been named). */
static int stage_acquire(Build *b, const char *tree, InventorySkip skip, const char *what, int *ret_lock) {
	_cleanup_strv_free_ char **problems = NULL;
	_cleanup_free_ char *path = NULL, *lock_what = NULL;
	_cleanup_close_ int fd = -EBADF;
	usec_t start = now(CLOCK_MONOTONIC);
	int r;

	if (asprintf(&path, "%s.lock", tree) < 0 || asprintf(&lock_what, "the cached %s", what) < 0)
		return log_oom();
	fd = build_lock_take(path, lock_what, true, false);
	if (fd < 0)
		return fd;
	r = tree_check(tree, skip, NULL);
	if (r == 1) {
		log_debug("The cached %s is intact (%s, checked in %.2f s).", what, tree,
			  (double) (now(CLOCK_MONOTONIC) - start) / USEC_PER_SEC);
		*ret_lock = TAKE_FD(fd);
		return 1;
	}
	/* Make or repair it: alone, and looking again, for another build may have done it. */
	fd = safe_close(fd);
	fd = build_lock_take(path, lock_what, false, false);
	if (fd < 0)
		return fd;
	r = tree_check(tree, skip, &problems);
	if (r == 1) {
		if ((r = build_lock_share(fd)) < 0)
			return log_error_errno(r, "Cannot share the lock on %s: %m", tree);
		*ret_lock = TAKE_FD(fd);
		return 1;
	}
	if (r == -EBADMSG) {
		log_warning("The cached %s (%s) is damaged; making it again. What differs from when it was made:", what, tree);
		STRV_FOREACH(p, problems)
			log_warning("  %s", *p);
		if ((r = tree_discard(b, tree)) < 0)
			return r;
	} else if (r < 0)
		return log_error_errno(r, "Cannot check the cached %s (%s): %m", what, tree);
	*ret_lock = TAKE_FD(fd);
	return 0;
}

/* Unpack a tarball mmdebstrap wrote into the cache at dir: unpacked in the scratch
 * directory, its inventory written, then renamed into place. prepare() (may be NULL) runs
 * on the unpacked tree before its inventory is taken. */
static int unpack_into_cache(Build *b, const char *tar, const char *dir, InventorySkip skip,
			     int (*prepare)(const char *tree)) {
	_cleanup_free_ char *partial = NULL, *inventory = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&partial, "%s/unpacked", b->scratch_dir) < 0 || inventory_path(dir, &inventory) < 0)
		return log_oom();
	(void) rm_rf_path(partial, REMOVE_ROOT | REMOVE_MISSING_OK);
	if (mkdir(partial, 0755) < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", partial);
	fd = open(tar, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot open %s: %m", tar);
	r = archive_extract_fd(fd, partial, ARCHIVE_EXTRACT_KEEP_PERMS | ARCHIVE_EXTRACT_KEEP_OWNER |
			       ARCHIVE_EXTRACT_KEEP_TIME | ARCHIVE_EXTRACT_KEEP_XATTRS, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot unpack %s: %m", tar);
	(void) unlink(tar);
	if (prepare && (r = prepare(partial)) < 0)
		return log_error_errno(r, "Cannot prepare %s: %m", partial);
	r = inventory_write(partial, skip, inventory);
	if (r < 0)
		return log_error_errno(r, "Cannot write the inventory of %s: %m", dir);
	if (rename(partial, dir) < 0)
		return log_error_errno(-errno, "Cannot move %s into place: %m", dir);
	return 0;
}

/* mke2fs looks for mounted file systems in /etc/mtab; an empty one says "none". */
static int tools_prepare(const char *tree) {
	_cleanup_free_ char *mtab = NULL;
	if (asprintf(&mtab, "%s/etc/mtab", tree) < 0)
		return -ENOMEM;
	(void) unlink(mtab);
	return write_file_atomic(mtab, "", 0, 0644, 0);
}

int step_tools(Build *b) {
	int r;

	/* Held as long as the build runs: shared, or exclusive until the tree is made. */
	r = stage_acquire(b, b->tools_dir, tools_skip, "tools tree", &b->tools_lock);
	if (r != 0)
		return MIN(r, 0);

	if (b->opts.offline)
		return log_error_errno(-ENETUNREACH, "Offline: the tools tree is not in the cache (%s); run \"kiln-imagegen fetch\" with network access first.",
				       b->tools_dir);
	/* Start it and carry on: step_rootfs() waits for it after its own mmdebstrap. */
	_cleanup_free_ char *tmpdir = NULL;
	if (asprintf(&b->tools_job_tar, "%s/tools.tar", b->scratch_dir) < 0 || asprintf(&tmpdir, "TMPDIR=%s", b->scratch_dir) < 0)
		return log_oom();
	const char *argv[] = {
		"mmdebstrap", "--quiet", "--variant=minbase", "--include", tools_packages,
		TOOLS_SUITE, b->tools_job_tar, b->mirror, NULL,
	};
	const char *env[] = { tmpdir, NULL };
	r = build_exec_start(b, argv, env, BUILD_TIMEOUT_MMDEBSTRAP, &b->tools_job);
	if (r < 0)
		return log_error_errno(r, "Cannot start mmdebstrap for the tools tree: %m");
	return 0;
}

static int tools_finish(Build *b) {
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
	r = build_lock_share(b->tools_lock);
	if (r < 0)
		return log_error_errno(r, "Cannot share the lock on %s: %m", b->tools_dir);
	return 0;
}

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

static char *initramfs_dir(Build *b) {
	char *dir = NULL;
	return asprintf(&dir, "%s/rootfs/etc/initramfs-tools", b->data_dir) < 0 ? NULL : dir;
}

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
	return 0;
}

/* mmdebstrap the root file system of packages into the cache at tree (unless it is there
 * and intact): 1 if it was cached, 0 if made; either way with *lock held shared. */
static int rootfs_make(Build *b, char **packages, const char *tree, int *lock) {
	_cleanup_free_ char *initramfs = initramfs_dir(b), *include = NULL, *hook = NULL, *tar = NULL, *tmpdir = NULL;
	int r;

	if (!initramfs)
		return log_oom();
	if (strchr(initramfs, '\''))
		return log_error_errno(-EINVAL, "The data directory %s has a quote in its path.", b->data_dir);
	r = stage_acquire(b, tree, NULL, "root file system", lock);
	if (r != 0)
		return r;

	if (b->opts.offline)
		return log_error_errno(-ENETUNREACH, "Offline: the root file system for these packages and this epoch is not in the cache (%s); run \"kiln-imagegen fetch\" with the same profile and SOURCE_DATE_EPOCH, with network access, first.",
				       tree);
	include = strv_join(packages, ",");
	if (!include)
		return log_oom();
	/* kiln's initramfs hooks must be in place before the kernel's postinst builds the
	 * initrd, so they go in right after the essential packages. mmdebstrap's chroot and
	 * tarball go to the build's scratch directory: what an interrupted run leaves there
	 * is removed with it. */
	if (asprintf(&hook, "mkdir -p \"$1/etc/initramfs-tools\" && cp -a '%s/.' \"$1/etc/initramfs-tools/\"",
		     initramfs) < 0 ||
	    asprintf(&tar, "%s/rootfs.tar", b->scratch_dir) < 0 || asprintf(&tmpdir, "TMPDIR=%s", b->scratch_dir) < 0)
		return log_oom();

	const char *argv[32] = {
		"mmdebstrap", "--variant=minbase", "--format=tar",
		"--architectures", arch_names[b->profile->base.architecture],
		"--include", include,
		"--essential-hook", hook,
	};
	size_t n = 9;
	for (size_t i = 0; i < ELEMENTSOF(dpkg_trims); i++)
		argv[n++] = dpkg_trims[i];
	argv[n++] = "--customize-hook";
	argv[n++] = package_origins_hook;
	argv[n++] = suite_names[b->profile->base.suite];
	argv[n++] = tar;
	STRV_FOREACH(s, b->apt_sources) {
		assert(n < ELEMENTSOF(argv) - 1);
		argv[n++] = *s;
	}
	argv[n] = NULL;
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
	if ((r = build_lock_share(*lock)) < 0)
		return log_error_errno(r, "Cannot share the lock on %s: %m", tree);
	return 0;
}

int step_rootfs(Build *b) {
	int r = rootfs_make(b, b->packages, b->rootfs_tree, &b->rootfs_lock);
	if (r < 0)
		return r;
	if (r > 0)
		log_info("Root file system: cached (%s)", b->rootfs_tree);
	else
		(void) cache_tree_usage(b->rootfs_tree, &b->root_tree_bytes);

	/* The box's too, when it is asked for or the profile lists it: "fetch" (which has
	 * no --format) then caches it for "build --offline". */
	OutputFormatSet formats = b->formats | output_formats_of_profile(b->profile);
	if (formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_VAGRANT)) {
		_cleanup_free_ char *box_tree = NULL;
		_cleanup_close_ int box_lock = -EBADF;
		if ((r = rootfs_box_make(b, box_packages, &box_tree, &box_lock)) < 0)
			return r;
		if (r > 0)
			log_info("Box root file system: cached (%s)", box_tree);
	}
	return tools_finish(b);
}

/* The Vagrant box's root file system (box-tree.c says why it has one): the node's
 * packages and extra_packages, under a cache key of its own, made the same way. */
int rootfs_box_make(Build *b, const char *const *extra_packages, char **ret_tree, int *ret_lock) {
	_cleanup_free_ char *initramfs = initramfs_dir(b), *tree = NULL;
	_cleanup_strv_free_ char **packages = NULL;
	_cleanup_close_ int lock = -EBADF;
	char digest[65];
	int r;

	if (!initramfs)
		return log_oom();
	STRV_FOREACH(p, b->packages)
		if (strv_extend(&packages, *p) < 0)
			return log_oom();
	for (const char *const *p = extra_packages; *p; p++)
		if (strv_extend(&packages, *p) < 0)
			return log_oom();
	strv_sort_unique(packages);
	if ((r = rootfs_key(b, packages, initramfs, digest)) < 0)
		return log_error_errno(r, "Cannot compute the box root file system's cache key: %m");
	if ((r = cache_path(b->cache_dir, "rootfs", digest, ".tree", &tree)) < 0)
		return log_error_errno(r, "Cannot prepare the cache: %m");
	r = rootfs_make(b, packages, tree, &lock);
	if (r < 0)
		return r;
	*ret_tree = TAKE_PTR(tree);
	*ret_lock = TAKE_FD(lock);
	return r;
}
