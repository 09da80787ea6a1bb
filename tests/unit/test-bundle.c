/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "fileio.h"
#include "profile-text.h"
#include "render.h"
#include "strv.h"
#include "tap.h"

static char *join(char *const *l) {
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		abort();
	STRV_FOREACH(p, l)
		fprintf(f, "%s%s", p == l ? "" : " ", *p);
	if (fclose(f) != 0)
		abort();
	return s;
}

static void test_files(void) {
	int r;
	_cleanup_(profile_freep) Profile *p = profile_from_text(PROFILE_HEAD, &r);
	BundleFile f[BUNDLE_N_FILES] = {};

	if (!p)
		return (void) ok(0, "default profile loads");
	is_int(bundle_kubernetes_files(p, f), 0, "default binaries");
	is_str(f[0].name, "kubeadm", "first is kubeadm");
	is_str(f[0].url, "https://dl.k8s.io/release/v1.31.4/bin/linux/amd64/kubeadm", "kubeadm: the release address");
	ok(!f[0].digest && !f[0].member, "kubeadm: no digest given, not in an archive");
	is_str(f[3].url, "https://github.com/kubernetes-sigs/cri-tools/releases/download/v1.31.0/crictl-v1.31.0-linux-amd64.tar.gz",
	       "crictl: cri-tools of the same minor, as a tarball");
	is_str(f[3].member, "crictl", "crictl: taken out of the tarball");
	bundle_files_done(f);
	is_str(bundle_platform(p), "linux/amd64", "platform");

	_cleanup_(profile_freep) Profile *s = profile_from_text(
		"schema: 1\nname: t\nbase:\n  architecture: arm64\nkubernetes:\n  version: v1.32.1\n"
		"  artifacts:\n"
		"    kubelet: {url: \"https://mirror.example/k8s/kubelet\", sha256: "
		"\"1111111111111111111111111111111111111111111111111111111111111111\"}\n", &r);
	if (!s)
		return (void) ok(0, "arm64 profile loads");
	is_int(bundle_kubernetes_files(s, f), 0, "arm64 binaries");
	is_str(f[0].url, "https://dl.k8s.io/release/v1.32.1/bin/linux/arm64/kubeadm", "arm64 kubeadm");
	is_str(f[1].url, "https://mirror.example/k8s/kubelet", "kubelet: the profile's address");
	is_str(f[1].digest, "sha256:1111111111111111111111111111111111111111111111111111111111111111", "kubelet: the profile's digest");
	bundle_files_done(f);
	is_str(bundle_platform(s), "linux/arm64", "arm64 platform");
}

static void test_seed_name(void) {
	static const struct { const char *in, *out; } t[] = {
		{ "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10" },
		{ "docker.io/busybox:1.36", "docker.io/library/busybox:1.36" },
		{ "127.0.0.1:5000/k8s/etcd:3.5.15-0", "127.0.0.1:5000/k8s/etcd:3.5.15-0" },
		{ "quay.io/cilium/cilium:v1.16.5@sha256:1111111111111111111111111111111111111111111111111111111111111111",
		  "quay.io/cilium/cilium@sha256:1111111111111111111111111111111111111111111111111111111111111111" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		_cleanup_free_ char *name = NULL;
		int r = bundle_seed_name(t[i].in, &name);
		ok(r == 0 && name && streq(name, t[i].out), "seed name of %s: %s (got %s)", t[i].in, t[i].out, name ?: "-");
	}
}

/* The image list: from a local manifest, the addon's images and (with kubeadm) the
 * sandbox image and kubeadm's list. kubeadm is the test double, or the real one from
 * KILN_K8S_ARTIFACTS. */
static void test_images(void) {
	char dir[] = "/tmp/test-bundle-XXXXXX";
	_cleanup_free_ char *manifest = NULL, *kubeadm = NULL, *error = NULL, *got = NULL;
	_cleanup_strv_free_ char **images = NULL;
	const char *artifacts = getenv("KILN_K8S_ARTIFACTS"), *src = getenv("KILN_SRCDIR");
	int r;

	if (!mkdtemp(dir) || asprintf(&manifest, "%s/app.yaml", dir) < 0)
		abort();
	static const char yaml[] =
		"kind: Deployment\nspec:\n  template:\n    spec:\n      initContainers: [{name: i, image: r.io/helper:1}]\n"
		"      containers: [{name: a, image: r.io/app:1}]\n"
		"---\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
		"          containers: [{name: c, image: r.io/app:1}]\n";
	if (write_file_atomic(manifest, yaml, strlen(yaml), 0644, 0) < 0)
		abort();
	if (artifacts ? asprintf(&kubeadm, "%s/kubeadm", artifacts) < 0 : asprintf(&kubeadm, "%s/tests/doubles/kubeadm", src) < 0)
		abort();
	/* The double plays one kubeadm release: a 1.31 one, as shipped with v1.31.4. A real
	 * kubeadm deploys its own minor and the one before: the profile names its version. */
	char version[32] = "v1.31.4";
	if (!artifacts)
		setenv("KILN_KUBEADM_DOUBLE_VERSION", "v1.31.0", 1);
	else {
		KubernetesVersion kv;
		_cleanup_free_ char *verr = NULL;
		if (access(kubeadm, X_OK) == 0 && kubeadm_version(kubeadm, &kv, &verr) == 0)
			render_version_string(&kv, version);
	}
	_cleanup_free_ char *text = NULL;
	if (asprintf(&text, "schema: 1\nname: t\nbase:\n  suite: trixie\nkubernetes:\n  version: %s\n"
			    "  imageRepository: 127.0.0.1:5000/k8s\n"
			    "containerd:\n  sandboxImage: 127.0.0.1:5000/k8s/pause:3.10\n"
			    "addons:\n  - name: app\n    version: \"1\"\n    manifests: [app.yaml]\n    images: [r.io/extra:2]\n",
		     version) < 0)
		abort();
	int lr;
	_cleanup_(profile_freep) Profile *p = profile_from_text(text, &lr);
	if (!p) {
		ok(0, "profile with an addon loads");
		return;
	}

	r = bundle_images(p, dir, NULL, "/nonexistent", NULL, &images, &error);
	got = join(images);
	is_str(got, "r.io/app:1 r.io/extra:2 r.io/helper:1", "without kubeadm: the manifest's images and the addon's, sorted, once");
	images = strv_free(images);
	got = mfree_str(got);

	if (access(kubeadm, X_OK) < 0) {
		skip(4, "no kubeadm at %s", kubeadm);
	} else {
		_cleanup_strv_free_ char **listed = NULL;
		_cleanup_(diag_list_done) DiagList diags = {};
		_cleanup_free_ char *apiserver = NULL;
		r = bundle_ask_kubeadm(kubeadm, p, &diags, NULL, &listed, &error);
		is_int(r, 0, "kubeadm answers for its images");
		if (r >= 0)
			r = bundle_images(p, dir, NULL, "/nonexistent", listed, &images, &error);
		is_int(r, 0, "with kubeadm: the list is computed");
		if (r < 0)
			diag("%s", error ?: "");
		/* 1.31's pause is the profile's sandbox image; a newer kubeadm's is another. */
		bool own_pause = strv_contains(listed, "127.0.0.1:5000/k8s/pause:3.10");
		is_int(strv_length(images), 3 + 7 + !own_pause, "3 addon images + kubeadm's 7 (+ the sandbox image, unless it is kubeadm's pause)");
		if (asprintf(&apiserver, "127.0.0.1:5000/k8s/kube-apiserver:%s", version) < 0)
			abort();
		ok(strv_contains(images, apiserver) && strv_contains(images, "127.0.0.1:5000/k8s/pause:3.10"),
		   "kubeadm's images are named from the profile's imageRepository");
	}

	/* A manifest URL that the lock does not pin is an error naming it. */
	images = strv_free(images);
	error = mfree_str(error);
	_cleanup_(profile_freep) Profile *u = profile_from_text(
		PROFILE_HEAD "addons:\n  - name: app\n    version: \"1\"\n    manifests: [\"https://example.org/app.yaml\"]\n", &lr);
	r = u ? bundle_images(u, dir, NULL, "/nonexistent", NULL, &images, &error) : -EINVAL;
	ok(r == -ENOENT && error && strstr(error, "https://example.org/app.yaml is not in the lock file"),
	   "an unpinned manifest URL is named (%s)", error ?: "-");
	_cleanup_strv_free_ char **urls = NULL;
	is_int(u ? bundle_manifest_urls(u, &urls) : -EINVAL, 0, "manifest URLs");
	is_int(strv_length(urls), 1, "one URL manifest");

	/* A missing local manifest fails, naming it. */
	(void) unlink(manifest);
	error = mfree_str(error);
	r = bundle_images(p, dir, NULL, "/nonexistent", NULL, &images, &error);
	ok(r == -ENOENT && error && strstr(error, "app.yaml"), "a missing local manifest is named (%s)", error ?: "-");
	(void) rmdir(dir);
}

int main(void) {
	test_files();
	test_seed_name();
	test_images();
	return done_testing();
}
