/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob-cache.h"
#include "bundle.h"
#include "fileio.h"
#include "image-ref.h"
#include "manifest-images.h"
#include "process-util.h"
#include "render.h"
#include "strv.h"
#include "time-util.h"

/* kubeadm only prints a list; it gets this long before it is taken for hung. */
#define KUBEADM_LIST_TIMEOUT_USEC (30 * USEC_PER_SEC)

static const char *const binary_names[BUNDLE_N_FILES] = { "kubeadm", "kubelet", "kubectl", "crictl" };

const char *bundle_platform(const Profile *p) {
	return p->base.architecture == ARCHITECTURE_ARM64 ? "linux/arm64" : "linux/amd64";
}

void bundle_files_done(BundleFile files[static BUNDLE_N_FILES]) {
	for (size_t i = 0; i < BUNDLE_N_FILES; i++) {
		free(files[i].url);
		free(files[i].digest);
		free(files[i].member);
		files[i] = (BundleFile) {};
	}
}

static bool ends_with(const char *s, const char *suffix) {
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && streq(s + n - m, suffix);
}

/* The upstream release addresses: the Kubernetes binaries are published per version
 * and architecture; crictl comes from cri-tools, whose release .0 of the same minor
 * is the one the Kubernetes release is tested with, as a tarball. */
static int default_url(const Profile *p, size_t i, char **ret) {
	const KubernetesVersion *v = &p->kubernetes.version;
	const char *arch = strchr(bundle_platform(p), '/') + 1;

	if (streq(binary_names[i], "crictl"))
		return asprintf(ret, "https://github.com/kubernetes-sigs/cri-tools/releases/download/v%u.%u.0/crictl-v%u.%u.0-linux-%s.tar.gz",
				v->major, v->minor, v->major, v->minor, arch) < 0 ? -ENOMEM : 0;
	return asprintf(ret, "https://dl.k8s.io/release/v%u.%u.%u/bin/linux/%s/%s", v->major, v->minor, v->patch, arch,
			binary_names[i]) < 0 ? -ENOMEM : 0;
}

int bundle_kubernetes_files(const Profile *p, BundleFile ret[static BUNDLE_N_FILES]) {
	const ProfileArtifact *given[BUNDLE_N_FILES] = {
		&p->kubernetes.artifacts.kubeadm, &p->kubernetes.artifacts.kubelet,
		&p->kubernetes.artifacts.kubectl, &p->kubernetes.artifacts.crictl,
	};
	BundleFile files[BUNDLE_N_FILES] = {};
	int r;

	for (size_t i = 0; i < BUNDLE_N_FILES; i++) {
		files[i].name = binary_names[i];
		if (given[i]->url) {
			if (!(files[i].url = strdup(given[i]->url)))
				goto oom;
			const char *algo = given[i]->sha256 ? "sha256" : given[i]->sha512 ? "sha512" : NULL;
			if (algo && asprintf(&files[i].digest, "%s:%s", algo, given[i]->sha256 ?: given[i]->sha512) < 0)
				goto oom;
		} else if ((r = default_url(p, i, &files[i].url)) < 0)
			goto fail;
		if (ends_with(files[i].url, ".tar.gz") && !(files[i].member = strdup(binary_names[i])))
			goto oom;
	}
	memcpy(ret, files, sizeof files);
	return 0;
oom:
	r = -ENOMEM;
fail:
	bundle_files_done(files);
	return r;
}

bool bundle_is_url(const char *s) {
	return strneq(s, "https://", 8) || strneq(s, "http://", 7);
}

int bundle_manifest_urls(const Profile *p, char ***ret_urls) {
	_cleanup_strv_free_ char **urls = NULL;

	for (size_t a = 0; a < p->n_addons; a++)
		for (size_t m = 0; m < p->addons[a].n_manifests; m++)
			if (bundle_is_url(p->addons[a].manifests[m]) && !strv_contains(urls, p->addons[a].manifests[m]) &&
			    strv_extend(&urls, p->addons[a].manifests[m]) < 0)
				return -ENOMEM;
	*ret_urls = TAKE_PTR(urls);
	return 0;
}

int kubeadm_images_list(const char *kubeadm, const Profile *p, char ***images, char **ret_error) {
	const KubernetesVersion *v = &p->kubernetes.version;
	_cleanup_free_ char *out = NULL;
	char version[32];
	int status, r;

	snprintf(version, sizeof version, "v%u.%u.%u", v->major, v->minor, v->patch);
	const char *argv[] = { kubeadm, "config", "images", "list", "--kubernetes-version", version,
			       "--image-repository", p->kubernetes.image_repository, NULL };
	r = capture_command(argv, KUBEADM_LIST_TIMEOUT_USEC, &out, NULL, &status);
	if (r < 0)
		return asprintf(ret_error, "cannot run %s config images list: %s", kubeadm, strerror(-r)) < 0 ? -ENOMEM : r;
	if (status != 0)
		return asprintf(ret_error, "%s config images list --kubernetes-version %s failed with status %d", kubeadm,
				version, status) < 0 ? -ENOMEM : -EBADMSG;

	_cleanup_strv_free_ char **found = NULL;
	for (char *l = out, *nl; l && *l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		if (!image_reference_is_valid(l))
			return asprintf(ret_error, "kubeadm config images list printed \"%s\", which is not an image reference",
					l) < 0 ? -ENOMEM : -EBADMSG;
		if (strv_extend(&found, l) < 0)
			return -ENOMEM;
	}
	/* apiserver, controller-manager, scheduler, proxy, coredns, pause, etcd. */
	if (strv_length(found) < 7)
		return asprintf(ret_error, "kubeadm config images list printed %zu images, not the 7 of a control plane",
				strv_length(found)) < 0 ? -ENOMEM : -EBADMSG;
	STRV_FOREACH(i, found)
		if (strv_extend(images, *i) < 0)
			return -ENOMEM;
	return 0;
}

int kubeadm_version(const char *kubeadm, KubernetesVersion *ret, char **ret_error) {
	const char *argv[] = { kubeadm, "version", "-o", "short", NULL };
	_cleanup_free_ char *out = NULL;
	int status, r;

	r = capture_command(argv, KUBEADM_LIST_TIMEOUT_USEC, &out, NULL, &status);
	if (r < 0)
		return asprintf(ret_error, "cannot run %s version: %s", kubeadm, strerror(-r)) < 0 ? -ENOMEM : r;
	if (status != 0)
		return asprintf(ret_error, "%s version -o short failed with status %d", kubeadm, status) < 0 ? -ENOMEM : -EBADMSG;
	out[strcspn(out, "\n")] = '\0';
	/* Its own version may lie outside the minors a profile may name: parse it loosely. */
	KubernetesVersion v;
	char end;
	if (sscanf(out, "v%u.%u.%u%c", &v.major, &v.minor, &v.patch, &end) < 3)
		return asprintf(ret_error, "%s version -o short printed \"%s\", not a version", kubeadm, out) < 0
			       ? -ENOMEM : -EBADMSG;
	*ret = v;
	return 0;
}

int bundle_ask_kubeadm(const char *kubeadm, const Profile *p, DiagList *diags, KubernetesVersion *ret_version,
		       char ***ret_images, char **ret_error) {
	_cleanup_strv_free_ char **images = NULL;
	KubernetesVersion v;
	size_t before = diags->n;
	int r;

	if ((r = kubeadm_version(kubeadm, &v, ret_error)) < 0)
		return r;
	if ((r = render_check_kubeadm_version(p, &v, diags)) < 0)
		return r;
	if (diags->n > before)
		return -EBADMSG;
	if ((r = kubeadm_images_list(kubeadm, p, &images, ret_error)) < 0)
		return r;
	if (ret_version)
		*ret_version = v;
	*ret_images = TAKE_PTR(images);
	return 0;
}

int bundle_manifest_read(const char *source, const char *profile_dir, const LockFile *lock, const char *cache_dir,
			 char **ret_text, size_t *ret_size, char **ret_error) {
	_cleanup_free_ char *path = NULL;
	int r;

	if (bundle_is_url(source)) {
		const LockEntry *e = lock ? lock_file_find(lock, LOCK_MANIFEST, source) : NULL;
		if (!e)
			return asprintf(ret_error, "the manifest %s is not in the lock file; run kiln-imagegen lock", source) < 0
				       ? -ENOMEM : -ENOENT;
		r = blob_cache_path(cache_dir, e->digest, &path);
		if (r < 0)
			return r;
	} else if (asprintf(&path, "%s/%s", profile_dir, source) < 0)
		return -ENOMEM;

	r = read_full_file(path, ret_text, ret_size);
	if (r == -ENOENT && bundle_is_url(source))
		return asprintf(ret_error, "the manifest %s is not in the cache; run kiln-imagegen fetch", source) < 0
			       ? -ENOMEM : r;
	if (r < 0)
		return asprintf(ret_error, "cannot read the manifest %s: %s", path, strerror(-r)) < 0 ? -ENOMEM : r;
	return 0;
}

int bundle_images(const Profile *p, const char *profile_dir, const LockFile *lock, const char *cache_dir,
		  char *const *kubeadm_images, char ***ret_images, char **ret_error) {
	_cleanup_strv_free_ char **images = NULL;
	int r;

	for (size_t a = 0; a < p->n_addons; a++) {
		const ProfileAddon *addon = &p->addons[a];
		for (size_t m = 0; m < addon->n_manifests; m++) {
			_cleanup_free_ char *text = NULL;
			size_t size;
			r = bundle_manifest_read(addon->manifests[m], profile_dir, lock, cache_dir, &text, &size, ret_error);
			if (r < 0)
				return r;
			r = manifest_collect_images(text, size, addon->manifests[m], &images, ret_error);
			if (r < 0)
				return r;
		}
		for (size_t i = 0; i < addon->n_images; i++)
			if (strv_extend(&images, addon->images[i]) < 0)
				return -ENOMEM;
	}
	if (kubeadm_images) {
		if (strv_extend(&images, p->containerd.sandbox_image) < 0)
			return -ENOMEM;
		STRV_FOREACH(i, kubeadm_images)
			if (strv_extend(&images, *i) < 0)
				return -ENOMEM;
	}
	strv_sort_unique(images);
	*ret_images = TAKE_PTR(images);
	return 0;
}

int bundle_seed_name(const char *reference, char **ret) {
	ImageRef ref = {};
	int r = image_ref_parse(reference, &ref);
	if (r < 0)
		return r;
	/* As containerd's CRI normalizes what the kubelet asks for: with a digest, the tag
	 * is dropped. */
	if (ref.digest)
		ref.tag = mfree_str(ref.tag);
	r = image_ref_format(&ref, ret);
	image_ref_done(&ref);
	return r;
}
