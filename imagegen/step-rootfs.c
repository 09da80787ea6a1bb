/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The two mmdebstrap runs: the tools tree (Debian 13's e2fsprogs, erofs-utils, dosfstools,
 * mtools, fdisk and syslinux, which the file system steps run in, so that the image does
 * not depend on the build host's versions) and the node's root file system. Both are
 * cached by their inputs; when both are missing they download side by side. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-util.h"
#include "build.h"
#include "cache.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
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
static const char *const tools_packages = "e2fsprogs,erofs-utils,dosfstools,mtools,fdisk,syslinux,syslinux-common";

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

/* Unpack a tarball mmdebstrap wrote into dir, atomically: <dir>.partial, then renamed.
 * The tarball is removed afterwards; the tree is what the cache keeps. */
static int unpack_into_cache(const char *tar, const char *dir) {
	_cleanup_free_ char *partial = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&partial, "%s.partial", dir) < 0)
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
	if (rename(partial, dir) < 0)
		return log_error_errno(-errno, "Cannot move %s into place: %m", dir);
	(void) unlink(tar);
	return 0;
}

static int tools_unpack(Build *b, const char *tar, const char *dir) {
	_cleanup_free_ char *mtab = NULL;
	int r = unpack_into_cache(tar, dir);
	if (r < 0)
		return r;
	/* mke2fs looks for mounted file systems in /etc/mtab; an empty one says "none". */
	if (asprintf(&mtab, "%s/etc/mtab", dir) < 0)
		return log_oom();
	(void) unlink(mtab);
	r = write_file_atomic(mtab, "", 0, 0644, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", mtab);
	return 0;
}

int step_tools(Build *b) {
	char digest[65];
	int r;

	r = tools_key(b, digest);
	if (r < 0)
		return log_error_errno(r, "Cannot compute the tools tree's cache key: %m");
	r = cache_path(b->cache_dir, "tools", digest, NULL, &b->tools_dir);
	if (r < 0)
		return log_error_errno(r, "Cannot prepare the cache: %m");
	b->tools_key = strdup(digest);
	if (!b->tools_key)
		return log_oom();
	/* Held until the tools tree is in place (tools_finish()) or the build ends. */
	b->tools_lock = cache_lock(b->tools_dir);
	if (b->tools_lock < 0)
		return log_error_errno(b->tools_lock, "Cannot lock %s: %m", b->tools_dir);
	if (cache_exists(b->tools_dir)) {
		log_debug("Tools tree: cached (%s)", b->tools_dir);
		return 0;
	}

	if (b->opts.offline)
		return log_error_errno(-ENETUNREACH, "Offline: the tools tree is not in the cache (%s); run \"kiln-imagegen fetch\" with network access first.",
				       b->tools_dir);
	/* Start it and carry on: step_rootfs() waits for it after its own mmdebstrap. */
	if (asprintf(&b->tools_job_tar, "%s.tar", b->tools_dir) < 0)
		return log_oom();
	const char *argv[] = {
		"mmdebstrap", "--quiet", "--variant=minbase", "--include", tools_packages,
		TOOLS_SUITE, b->tools_job_tar, b->mirror, NULL,
	};
	r = build_exec_start(b, argv, NULL, &b->tools_job);
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
	r = tools_unpack(b, b->tools_job_tar, b->tools_dir);
	b->tools_lock = safe_close(b->tools_lock);
	return r;
}

static int rootfs_key(Build *b, const char *initramfs_dir, char digest[static 65]) {
	_cleanup_free_ char *packages = NULL, *mm_version = NULL;
	const char *version_argv[] = { "mmdebstrap", "--version", NULL };
	CacheKey k = {};
	size_t len = 0;
	int r;

	STRV_FOREACH(p, b->packages)
		len += strlen(*p) + 1;
	packages = calloc(1, len + 1);
	if (!packages)
		return -ENOMEM;
	STRV_FOREACH(p, b->packages) {
		if (packages[0])
			strcat(packages, ",");
		strcat(packages, *p);
	}
	r = build_exec_capture(b, "mmdebstrap --version", version_argv, NULL, &mm_version);
	if (r < 0)
		return r;

	/* Without SOURCE_DATE_EPOCH the time is not an input: a cached tree is reused as is. */
	char epoch[32];
	snprintf(epoch, sizeof epoch, "%llu", (unsigned long long) b->epoch);
	if ((r = cache_key_add(&k, "kind", "rootfs-v1")) >= 0 &&
	    (r = cache_key_add(&k, "suite", suite_names[b->profile->base.suite])) >= 0 &&
	    (r = cache_key_add(&k, "architecture", arch_names[b->profile->base.architecture])) >= 0 &&
	    (r = cache_key_add(&k, "mirror", b->mirror)) >= 0 &&
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

int step_rootfs(Build *b) {
	_cleanup_free_ char *initramfs_dir = NULL, *include = NULL, *hook = NULL, *partial = NULL;
	_cleanup_close_ int lock = -EBADF;
	char digest[65];
	int r;

	if (asprintf(&initramfs_dir, "%s/rootfs/etc/initramfs-tools", b->data_dir) < 0)
		return log_oom();
	if (strchr(initramfs_dir, '\''))
		return log_error_errno(-EINVAL, "The data directory %s has a quote in its path.", b->data_dir);
	r = rootfs_key(b, initramfs_dir, digest);
	if (r < 0)
		return log_error_errno(r, "Cannot compute the root file system's cache key: %m");
	r = cache_path(b->cache_dir, "rootfs", digest, ".tree", &b->rootfs_tree);
	if (r < 0 || (r = cache_path(b->cache_dir, "rootfs", digest, ".tar", &b->rootfs_tar)) < 0)
		return log_error_errno(r, "Cannot prepare the cache: %m");

	lock = cache_lock(b->rootfs_tree);
	if (lock < 0)
		return log_error_errno(lock, "Cannot lock %s: %m", b->rootfs_tree);
	if (cache_exists(b->rootfs_tree)) {
		log_info("Root file system: cached (%s)", b->rootfs_tree);
		return tools_finish(b);
	}

	if (b->opts.offline)
		return log_error_errno(-ENETUNREACH, "Offline: the root file system for these packages and this epoch is not in the cache (%s); run \"kiln-imagegen fetch\" with the same profile and SOURCE_DATE_EPOCH, with network access, first.",
				       b->rootfs_tree);
	size_t len = 0;
	STRV_FOREACH(p, b->packages)
		len += strlen(*p) + 1;
	include = calloc(1, len + 1);
	if (!include)
		return log_oom();
	STRV_FOREACH(p, b->packages) {
		if (include[0])
			strcat(include, ",");
		strcat(include, *p);
	}
	/* kiln's initramfs hooks must be in place before the kernel's postinst builds the
	 * initrd, so they go in right after the essential packages. */
	if (asprintf(&hook, "mkdir -p \"$1/etc/initramfs-tools\" && cp -a '%s/.' \"$1/etc/initramfs-tools/\"",
		     initramfs_dir) < 0 ||
	    asprintf(&partial, "%s/rootfs/.partial-%s.tar", b->cache_dir, digest) < 0)
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
	argv[n++] = suite_names[b->profile->base.suite];
	argv[n++] = partial;
	argv[n++] = b->mirror;
	argv[n] = NULL;

	_cleanup_free_ char *tmpdir = NULL;
	if (asprintf(&tmpdir, "TMPDIR=%s", b->cache_dir) < 0)
		return log_oom();
	const char *env[] = { tmpdir, NULL };

	off_t log_start = lseek(b->log_fd, 0, SEEK_END);
	r = build_exec(b, "mmdebstrap (root file system)", argv, env);
	if (r < 0) {
		(void) unlink(partial);
		if (r == -EPROTO)
			report_missing_packages(b, log_start);
		return r;
	}
	/* Unpack while the tools tree may still be downloading. */
	r = unpack_into_cache(partial, b->rootfs_tree);
	if (r < 0)
		return r;
	return tools_finish(b);
}
