/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-imagegen lock and fetch: the only verbs that use the network on purpose.
 *
 * lock resolves what the profile names by version or tag (the Kubernetes binaries'
 * addresses, the addon manifests' URLs, every image of the computed image list) to
 * exact digests and writes them to kiln.lock. fetch downloads exactly what the lock
 * pins into the content-addressed cache, and the Debian packages of the root file system
 * and the tools tree, so that "build --offline" needs nothing else. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "build-lock.h"
#include "bundle.h"
#include "fetch-http.h"
#include "imagegen.h"
#include "log.h"
#include "oci-registry.h"
#include "strv.h"
#include "verbs.h"

static int help(const char *verb) {
	bool lock = streq(verb, "lock");
	printf("%s %s [PROFILE] [OPTIONS...]\n"
	       "\n"
	       "%s\n"
	       "\n"
	       "     --lock=FILE          The lock file (default: kiln.lock next to PROFILE)\n"
	       "     --cache=DIR          Build cache (default: ~/.cache/kiln)\n"
	       "  -h --help               Show this help\n",
	       program_invocation_short_name, verb,
	       lock ? "Resolve the Kubernetes binaries, addon manifests and container images PROFILE\n"
		      "needs to exact addresses and digests, and the Debian packages of each root tree\n"
		      "to exact versions (a simulated mmdebstrap run), and write them to the lock file."
		    : "Download everything the lock file pins, and the Debian packages of the image,\n"
		      "into the cache, so that \"build --offline\" needs no network.");
	return 0;
}

static int parse_argv(int argc, char **argv, BuildOptions *o) {
	enum { ARG_CACHE = 0x100, ARG_LOCK };
	static const struct option options[] = {
		{ "help",  no_argument,       NULL, 'h'       },
		{ "cache", required_argument, NULL, ARG_CACHE },
		{ "lock",  required_argument, NULL, ARG_LOCK  },
		{}
	};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help(argv[0]);
			return 0;
		case ARG_CACHE:
			o->cache_dir = optarg;
			break;
		case ARG_LOCK:
			o->lock_path = optarg;
			break;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	if (optind < argc)
		o->profile_path = argv[optind++];
	if (optind < argc) {
		log_error("Too many arguments; see %s --help.", argv[0]);
		return -EINVAL;
	}
	return 1;
}

static int setup(int argc, char **argv, Build **ret) {
	_cleanup_(build_freep) Build *b = NULL;
	int r;

	if (build_new(&b) < 0)
		return log_oom();
	r = parse_argv(argc, argv, &b->opts);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	r = build_load_profile(b);
	if (r != 0)
		return r;
	if (build_lock_set_holder(argv[0], NULL) < 0)
		return log_oom();
	r = build_run_steps(b, "plan", "plan");
	if (r != 0)
		return r;
	if (bundle_lock_path(b->opts.lock_path, b->opts.profile_path, &b->lock_path) < 0)
		return log_oom();
	*ret = TAKE_PTR(b);
	return -1;   /* carry on */
}

static FetchOptions fetch_options(const Build *b) {
	return (FetchOptions) { .cache_dir = b->cache_dir, .platform = bundle_platform(b->profile) };
}

/* ---- lock ---- */

static int lock_files(Build *b, LockFile *l) {
	FetchOptions fo = fetch_options(b);
	BundleFile files[BUNDLE_N_FILES] = {};
	int r = bundle_kubernetes_files(b->profile, files);
	if (r < 0)
		return log_error_errno(r, "Cannot list the Kubernetes binaries: %m");

	for (size_t i = 0; i < BUNDLE_N_FILES && r >= 0; i++) {
		_cleanup_free_ char *digest = NULL, *error = NULL;
		r = fetch_file(&fo, files[i].url, files[i].digest, &digest, &error);
		if (r < 0)
			log_error_errno(r, "%s: %s", files[i].name, error ?: strerror(-r));
		else {
			if (!files[i].digest)
				log_warning("%s: the profile gives no digest; locked to %s as downloaded from %s.", files[i].name,
					    digest, files[i].url);
			LockEntry e = { .kind = LOCK_FILE, .name = (char *) files[i].name, .url = files[i].url, .digest = digest };
			r = lock_file_put(l, &e);
		}
	}
	bundle_files_done(files);
	return r;
}

static int lock_manifests(Build *b, LockFile *l) {
	FetchOptions fo = fetch_options(b);
	_cleanup_strv_free_ char **urls = NULL;
	int r = bundle_manifest_urls(b->profile, &urls);
	if (r < 0)
		return log_oom();
	STRV_FOREACH(u, urls) {
		_cleanup_free_ char *digest = NULL, *error = NULL;
		r = fetch_file(&fo, *u, NULL, &digest, &error);
		if (r < 0)
			return log_error_errno(r, "%s: %s", *u, error ?: strerror(-r));
		LockEntry e = { .kind = LOCK_MANIFEST, .name = *u, .digest = digest };
		if ((r = lock_file_put(l, &e)) < 0)
			return log_oom();
	}
	return 0;
}

static int lock_images(Build *b, LockFile *l) {
	FetchOptions fo = fetch_options(b);
	_cleanup_free_ char *profile_dir = NULL, *error = NULL;
	_cleanup_strv_free_ char **images = NULL, **kubeadm_images = NULL;
	_cleanup_(diag_list_done) DiagList diags = {};
	const LockEntry *k = lock_file_find(l, LOCK_FILE, "kubeadm");
	int r;

	if (bundle_profile_dir(b->opts.profile_path, &profile_dir) < 0)
		return log_oom();
	r = bundle_runnable_copy(b->cache_dir, k->digest, "kubeadm", &b->kubeadm);
	if (r < 0)
		return log_error_errno(r, "Cannot copy kubeadm out of the cache: %m");
	r = bundle_ask_kubeadm(b->kubeadm, b->profile, &diags, NULL, &kubeadm_images, &error);
	if (r == -EBADMSG && diags.n > 0) {
		(void) print_diagnostics(&diags);
		return log_error_errno(r, "The profile does not fit the kubeadm it names.");
	}
	if (r < 0)
		return log_error_errno(r, "Cannot ask kubeadm for its images: %s", error ?: strerror(-r));
	error = mfree_str(error);
	r = bundle_images(b->profile, profile_dir, l, b->cache_dir, kubeadm_images, &images, &error);
	if (r < 0)
		return log_error_errno(r, "Cannot compute the image list: %s", error ?: strerror(-r));

	unsigned failed = 0;
	STRV_FOREACH(i, images) {
		RegistryResolved res = {};
		error = mfree_str(error);
		r = registry_resolve(&fo, *i, &res, &error);
		if (r < 0) {
			log_error_errno(r, "%s: %s", *i, error ?: strerror(-r));
			failed++;
			continue;
		}
		LockEntry e = { .kind = LOCK_IMAGE, .name = *i, .digest = res.digest, .media_type = res.media_type,
				.size = res.size, .platform_digest = res.platform_digest };
		r = lock_file_put(l, &e);
		log_info("%s -> %s", *i, res.digest);
		registry_resolved_done(&res);
		if (r < 0)
			return log_oom();
	}
	if (failed > 0)
		return log_error_errno(-ENOENT, "%u of %zu images could not be resolved; nothing was written.", failed,
				       strv_length(images));
	return 0;
}

/* Each tree's Debian packages, as apt resolves them from the mirror now. */
static int lock_packages(Build *b, LockFile *l) {
	for (PackageSet set = 0; set < _PACKAGE_SET_MAX; set++) {
		_cleanup_strv_free_ char **resolved = NULL;
		int r = rootfs_resolve(b, set, &resolved);
		if (r < 0)
			return r;
		STRV_FOREACH(p, resolved) {
			_cleanup_free_ char *name = strndup(*p, strcspn(*p, " "));
			if (!name)
				return log_oom();
			LockEntry e = { .kind = LOCK_PACKAGE, .set = (char *) package_set_to_string(set), .name = name,
					.version = *p + strlen(name) + 1 };
			if (lock_file_put(l, &e) < 0)
				return log_oom();
		}
		log_info("Debian packages of the %s tree: %zu", package_set_to_string(set), strv_length(resolved));
	}
	return 0;
}

int verb_lock(int argc, char **argv) {
	_cleanup_(build_freep) Build *b = NULL;
	_cleanup_(lock_file_freep) LockFile *l = calloc(1, sizeof(LockFile));
	int r = setup(argc, argv, &b);

	if (r >= 0)
		return r;
	if (!l || !(l->platform = strdup(bundle_platform(b->profile))))
		return log_oom();
	if (lock_files(b, l) < 0 || lock_manifests(b, l) < 0 || lock_images(b, l) < 0 || lock_packages(b, l) < 0)
		return EXIT_FAILURE;
	r = lock_file_save(l, b->lock_path);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", b->lock_path), EXIT_FAILURE;
	log_info("Locked %zu entries in %s.", l->n_entries, b->lock_path);
	return EXIT_SUCCESS;
}

/* ---- fetch ---- */

static int fetch_pinned(Build *b) {
	FetchOptions fo = fetch_options(b);
	_cleanup_free_ char *error = NULL;
	unsigned failed = 0;
	size_t n = 0;
	int r;

	r = lock_file_load(b->lock_path, &b->lock, &error);
	if (r == -ENOENT)
		return log_error_errno(r, "No lock file %s: run \"kiln-imagegen lock\" first.", b->lock_path);
	if (r < 0)
		return log_error_errno(r, "Cannot read the lock file %s: %s", b->lock_path, error ?: strerror(-r));

	for (size_t i = 0; i < b->lock->n_entries; i++) {
		const LockEntry *e = &b->lock->entries[i];
		_cleanup_free_ char *digest = NULL;
		/* The Debian packages come with their trees (the rootfs steps). */
		if (e->kind == LOCK_PACKAGE)
			continue;
		n++;
		error = mfree_str(error);
		if (e->kind == LOCK_IMAGE)
			r = registry_fetch_image(&fo, e->name, e->digest, &error);
		else
			r = fetch_file(&fo, e->kind == LOCK_FILE ? e->url : e->name, e->digest, &digest, &error);
		if (r < 0) {
			log_error_errno(r, "%s: %s", e->name, error ?: strerror(-r));
			failed++;
		}
	}
	if (failed > 0)
		return log_error_errno(-EIO, "%u of %zu downloads failed; run fetch again to resume them.", failed, n);
	log_info("Fetched the %zu files and images of %s.", n, b->lock_path);
	return 0;
}

int verb_fetch(int argc, char **argv) {
	_cleanup_(build_freep) Build *b = NULL;
	int r = setup(argc, argv, &b);

	if (r >= 0)
		return r;
	if (geteuid() != 0) {
		log_error("Fetching needs root: the Debian part runs mmdebstrap as \"build\" does.");
		return EXIT_FAILURE;
	}
	if (fetch_pinned(b) < 0)
		return EXIT_FAILURE;
	/* The bundle step checks that the lock covers the profile and that all is cached;
	 * the Debian steps fill the cache with the trees the build starts from. */
	return build_run_steps(b, "bundle", "rootfs");
}
