/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bundle step: before any Debian work, make sure everything the image must carry is
 * pinned in the lock file and already in the cache. The image list is computed here from
 * the profile (bundle.c); a reference the lock does not pin, or whose blobs were never
 * fetched, fails the build with every such image listed, so that nothing is left for the
 * node to download. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob-cache.h"
#include "build.h"
#include "bundle.h"
#include "copy.h"
#include "fd-util.h"
#include "fetch-http.h"
#include "fileio.h"
#include "imagegen.h"
#include "log.h"
#include "oci-registry.h"
#include "strv.h"

int bundle_lock_path(const char *explicit_path, const char *profile_path, char **ret) {
	if (explicit_path)
		*ret = strdup(explicit_path);
	else if (profile_path) {
		_cleanup_free_ char *copy = strdup(profile_path);
		if (!copy || asprintf(ret, "%s/" LOCK_FILE_NAME, dirname(copy)) < 0)
			return -ENOMEM;
	} else
		*ret = strdup(LOCK_FILE_NAME);
	return *ret ? 0 : -ENOMEM;
}

int bundle_profile_dir(const char *profile_path, char **ret) {
	_cleanup_free_ char *copy = profile_path ? strdup(profile_path) : NULL;
	if (profile_path && !copy)
		return -ENOMEM;
	*ret = strdup(copy ? dirname(copy) : ".");
	return *ret ? 0 : -ENOMEM;
}

/* A runnable copy of a cached file: blobs are stored read-only and not executable. */
int bundle_runnable_copy(const char *cache_dir, const char *digest, const char *name, char **ret_path) {
	_cleanup_free_ char *dir = NULL, *path = NULL;
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	int r;

	in = blob_cache_open(cache_dir, digest);
	if (in < 0)
		return in;
	if (asprintf(&dir, "%s/tmp", cache_dir) < 0 || asprintf(&path, "%s/%s-XXXXXX", dir, name) < 0)
		return -ENOMEM;
	if ((r = mkdir_p(dir, 0755)) < 0)
		return r;
	out = mkostemp(path, O_CLOEXEC);
	if (out < 0)
		return -errno;
	r = copy_file_to_offset(in, out, 0, NULL);
	if (r >= 0 && fchmod(out, 0755) < 0)
		r = -errno;
	if (r < 0) {
		(void) unlink(path);
		return r;
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

int bundle_find_kubeadm(Build *b) {
	if (b->kubeadm_path)
		return 0;
	if (b->opts.artifacts_dir) {
		if (asprintf(&b->kubeadm_path, "%s/kubeadm", b->opts.artifacts_dir) < 0)
			return log_oom();
		return 0;
	}
	const LockEntry *k = b->lock ? lock_file_find(b->lock, LOCK_FILE, "kubeadm") : NULL;
	if (!k)
		return log_error_errno(-ENOENT, "The lock file pins no kubeadm; run \"kiln-imagegen lock\".");
	int r = bundle_runnable_copy(b->cache_dir, k->digest, "kubeadm", &b->kubeadm);
	if (r == -ENOENT)
		return log_error_errno(r, "kubeadm (%s) is not fetched; run \"kiln-imagegen fetch\".", k->digest);
	if (r < 0)
		return log_error_errno(r, "Cannot copy kubeadm out of the cache: %m");
	b->kubeadm_path = strdup(b->kubeadm);
	return b->kubeadm_path ? 0 : log_oom();
}

/* Every Kubernetes binary the profile asks for is in the lock, at the address the
 * profile gives, and fetched. */
static int bundle_check_files(Build *b, char ***missing) {
	BundleFile files[BUNDLE_N_FILES] = {};
	int r = bundle_kubernetes_files(b->profile, files);
	if (r < 0)
		return log_error_errno(r, "Cannot list the Kubernetes binaries: %m");

	for (size_t i = 0; i < BUNDLE_N_FILES && r >= 0; i++) {
		const LockEntry *e = lock_file_find(b->lock, LOCK_FILE, files[i].name);
		_cleanup_free_ char *line = NULL;

		if (!e)
			r = asprintf(&line, "%s: not in the lock file", files[i].name);
		else if (!streq(e->url, files[i].url))
			r = asprintf(&line, "%s: the lock file has %s, the profile wants %s", files[i].name, e->url, files[i].url);
		else if (files[i].digest && !streq(e->digest, files[i].digest))
			r = asprintf(&line, "%s: the lock file pins %s, the profile %s", files[i].name, e->digest, files[i].digest);
		else if (!b->opts.artifacts_dir && !blob_cache_has(b->cache_dir, e->digest))
			r = asprintf(&line, "%s: %s is not fetched", files[i].name, e->digest);
		if (r >= 0 && line)
			r = strv_consume(missing, TAKE_PTR(line));
	}
	bundle_files_done(files);
	return r < 0 ? log_oom() : 0;
}

/* Every image is pinned and fetched; the blobs each needs are kept for the store step. */
static int bundle_check_images(Build *b, char ***missing) {
	FetchOptions fo = { .cache_dir = b->cache_dir, .platform = bundle_platform(b->profile), .offline = true };
	size_t n = strv_length(b->bundle_images);

	b->bundle_blobs = calloc(n + 1, sizeof(char **));
	if (!b->bundle_blobs)
		return log_oom();
	for (size_t i = 0; i < n; i++) {
		const char *ref = b->bundle_images[i];
		const LockEntry *e = lock_file_find(b->lock, LOCK_IMAGE, ref);
		_cleanup_free_ char *line = NULL, *error = NULL;
		int r = 0;

		if (!e)
			r = asprintf(&line, "%s: referenced but not in the lock file", ref);
		else if (registry_image_blobs(&fo, e->digest, &b->bundle_blobs[i], &error) < 0)
			r = asprintf(&line, "%s: not fetched (%s)", ref, error ?: "blobs missing");
		if (r < 0 || (line && strv_consume(missing, TAKE_PTR(line)) < 0))
			return log_oom();
	}
	return 0;
}

int step_bundle(Build *b) {
	_cleanup_strv_free_ char **missing = NULL;
	_cleanup_free_ char *error = NULL, *profile_dir = NULL;
	int r;

	if (b->opts.without_kubernetes) {
		log_info("Bundle: none (--without-kubernetes): no images are seeded.");
		return 0;
	}
	if ((!b->lock_path && bundle_lock_path(b->opts.lock_path, b->opts.profile_path, &b->lock_path) < 0) ||
	    bundle_profile_dir(b->opts.profile_path, &profile_dir) < 0)
		return log_oom();
	/* fetch loaded it already. */
	r = b->lock ? 0 : lock_file_load(b->lock_path, &b->lock, &error);
	if (r == -ENOENT)
		return log_error_errno(r, "No lock file %s: run \"kiln-imagegen lock\" and \"kiln-imagegen fetch\" for this profile first.",
				       b->lock_path);
	if (r == -EBADMSG)
		return log_error_errno(r, "%s", error);
	if (r < 0)
		return log_error_errno(r, "Cannot read the lock file %s: %m", b->lock_path);
	if (!streq(b->lock->platform, bundle_platform(b->profile)))
		return log_error_errno(-EINVAL, "The lock file %s is for %s, the profile builds for %s; lock again.",
				       b->lock_path, b->lock->platform, bundle_platform(b->profile));

	if ((r = bundle_check_files(b, &missing)) < 0)
		return r;

	/* kubeadm answers for its own control-plane images: the one that is shipped. */
	if (!b->opts.artifacts_dir && !b->kubeadm_path) {
		const LockEntry *k = lock_file_find(b->lock, LOCK_FILE, "kubeadm");
		if (!k || !blob_cache_has(b->cache_dir, k->digest)) {
			STRV_FOREACH(m, missing)
				log_error("  %s", *m);
			return log_error_errno(-ENOENT, "kubeadm is not fetched, so its control-plane images cannot be listed; run \"kiln-imagegen fetch\".");
		}
	}
	if ((r = bundle_find_kubeadm(b)) < 0)
		return r;
	_cleanup_(diag_list_done) DiagList diags = {};
	r = bundle_ask_kubeadm(b->kubeadm_path, b->profile, &diags, NULL, &b->kubeadm_images, &error);
	if (r == -EBADMSG && diags.n > 0) {
		(void) print_diagnostics(&diags);
		return log_error_errno(r, "The profile does not fit the kubeadm that ships.");
	}
	if (r < 0)
		return log_error_errno(r, "Cannot ask kubeadm for its images: %s", error ?: strerror(-r));
	r = bundle_images(b->profile, profile_dir, b->lock, b->cache_dir, b->kubeadm_images, &b->bundle_images, &error);
	if (r < 0)
		return log_error_errno(r, "Cannot compute the image list: %s", error ?: strerror(-r));

	if ((r = bundle_check_images(b, &missing)) < 0)
		return r;
	if (missing) {
		log_error("The bundle is incomplete; the node would have to download these:");
		STRV_FOREACH(m, missing)
			log_error("  %s", *m);
		return log_error_errno(-ENOENT, "%zu missing; run \"kiln-imagegen lock\" (for entries not in the lock file) and \"kiln-imagegen fetch\".",
				       strv_length(missing));
	}
	log_info("Bundle: %zu images, %d binaries, all in the cache.", strv_length(b->bundle_images), BUNDLE_N_FILES);
	return 0;
}
