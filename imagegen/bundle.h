/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What an image must carry to work with no network: the Kubernetes binaries, the addon
 * manifests, and every container image anything on the node will ask containerd for.
 * The image list is computed, never kept by hand: from every addon manifest (through
 * manifest_collect_images()), each addon's extra images, the sandbox (pause) image of
 * containerd's configuration, and kubeadm's own control-plane list for the profile's
 * version, asked of the kubeadm that will be shipped. */

#include <stdbool.h>
#include <stddef.h>

#include "lockfile.h"
#include "profile.h"

typedef struct BundleFile {
	const char *name;          /* kubeadm, kubelet, kubectl, crictl */
	char *url;
	char *digest;              /* from the profile, "sha256:..." / "sha512:..."; NULL: learn it */
	char *member;              /* the file to take out of a .tar.gz download, else NULL */
} BundleFile;

#define BUNDLE_N_FILES 4

void bundle_files_done(BundleFile files[static BUNDLE_N_FILES]);
/* The Kubernetes binaries the profile asks for: its kubernetes.artifacts where given,
 * else the project's release addresses for the version and architecture. */
int bundle_kubernetes_files(const Profile *p, BundleFile ret[static BUNDLE_N_FILES]);

/* An addon manifest that is a download (http:// or https://), not a path. */
bool bundle_is_url(const char *source);
/* The text of one addon manifest: a path relative to profile_dir, or a URL read from the
 * cache by the digest the lock pins. On failure *ret_error (when it could be made) says
 * which manifest and what to run: "not in the lock file; run kiln-imagegen lock", "not
 * in the cache; run kiln-imagegen fetch", or why the file could not be read. */
int bundle_manifest_read(const char *source, const char *profile_dir, const LockFile *lock, const char *cache_dir,
			 char **ret_text, size_t *ret_size, char **ret_error);

/* The addon manifests that are downloads (https:// URLs), in profile order. */
int bundle_manifest_urls(const Profile *p, char ***ret_urls);

/* The images of the bundle, sorted and unique. profile_dir resolves local manifests;
 * URL manifests are read from the cache by the digest the lock gives them (a URL the
 * lock lacks, or whose content is not cached, is an error naming it). kubeadm_images is
 * kubeadm's control-plane list (bundle_ask_kubeadm()), NULL when the image carries no
 * Kubernetes; with it comes the sandbox image. On failure *ret_error says what and where. */
int bundle_images(const Profile *p, const char *profile_dir, const LockFile *lock, const char *cache_dir,
		  char *const *kubeadm_images, char ***ret_images, char **ret_error);

/* kubeadm's control-plane images: "kubeadm config images list --kubernetes-version V
 * --image-repository R", one per line (kubeadm's documented text output). Appended to
 * *images. */
int kubeadm_images_list(const char *kubeadm, const Profile *p, char ***images, char **ret_error);
/* "kubeadm version -o short". */
int kubeadm_version(const char *kubeadm, KubernetesVersion *ret, char **ret_error);

/* Ask the kubeadm that ships (a path) what the image needs of it: its version must be
 * able to deploy the profile's (else -EBADMSG, and a diagnostic at the profile's line in
 * diags), and its control-plane images for the profile go to *ret_images. Other
 * failures: *ret_error says what. */
int bundle_ask_kubeadm(const char *kubeadm, const Profile *p, DiagList *diags, KubernetesVersion *ret_version,
		       char ***ret_images, char **ret_error);

/* "linux/amd64" for the profile's architecture. */
const char *bundle_platform(const Profile *p);

/* The lock file: explicit_path, else kiln.lock next to the profile, else ./kiln.lock
 * (the embedded profile). */
int bundle_lock_path(const char *explicit_path, const char *profile_path, char **ret);
/* Where the profile's relative manifest paths start: its directory, or "." */
int bundle_profile_dir(const char *profile_path, char **ret);
/* A runnable (0755) copy of a cached blob under <cache>/tmp/NAME-XXXXXX; the caller
 * deletes it. */
int bundle_runnable_copy(const char *cache_dir, const char *digest, const char *name, char **ret_path);

/* The name an image is seeded under: the reference normalized the way containerd's CRI
 * looks it up (docker.io/library/ spelled out; registry/name@digest when a digest is
 * given, the tag dropped). */
int bundle_seed_name(const char *reference, char **ret);
