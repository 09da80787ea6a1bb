/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the build refuses before it bakes a configuration, each problem at the profile's
 * line: a Kubernetes version the shipped kubeadm cannot deploy, and an image the
 * configuration names that the node would not have (it never pulls). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "image-ref.h"
#include "render-internal.h"
#include "strv.h"

/* The images kubeadm derives from imageRepository and kubernetesVersion. */
static const char *const control_plane_names[] = {
	"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy",
};

const char *render_find_image(char *const *images, const char *name) {
	size_t n = strlen(name);

	STRV_FOREACH(i, images) {
		const char *at = strchr(*i, '@'), *end = at ?: *i + strlen(*i), *colon = NULL;
		for (const char *c = *i; c < end; c++)
			if (*c == ':')
				colon = c;
		if (colon && (!strchr(colon, '/') || colon > strrchr(*i, '/')))
			end = colon;
		if ((size_t) (end - *i) > n && end[-n - 1] == '/' && strneq(end - n, name, n))
			return *i;
	}
	return NULL;
}

void render_cluster_dns(const IpPrefix *service_subnet, IpAddress *ret) {
	IpPrefix net = ip_prefix_network(service_subnet);
	IpAddress a = net.address;
	size_t last = a.family == AF_INET ? 3 : 15;
	/* The network address ends in at least 4 zero bits (profile_check() wants a /28 or
	 * larger), so adding 10 to its last byte carries nowhere. */
	a.bytes[last] += 10;
	*ret = a;
}

int render_config_images(const RenderInput *in, char ***ret) {
	const ProfileKubernetes *k = &in->profile->kubernetes;
	const char *etcd = render_find_image(in->kubeadm_images, "etcd");
	const char *coredns = render_find_image(in->kubeadm_images, "coredns");
	_cleanup_strv_free_ char **images = NULL;
	char version[32];

	if (!etcd || !coredns)
		return -EINVAL;
	render_version_string(&k->version, version);
	for (size_t i = 0; i < ELEMENTSOF(control_plane_names); i++)
		if (strv_extendf(&images, "%s/%s:%s", k->image_repository, control_plane_names[i], version) < 0)
			return -ENOMEM;
	if (strv_extend_many(&images, etcd, coredns, NULL) < 0)
		return -ENOMEM;
	strv_sort_unique(images);
	*ret = TAKE_PTR(images);
	return 0;
}

/* Every refusal is about the Kubernetes release or its images: at the kubernetes mapping
 * when the value came from a default. */
#define refuse(p, addr, expected, diags, ...) \
	profile_diag((Profile *) (p), (diags), (addr), &(p)->kubernetes, (expected), __VA_ARGS__)

int render_check_kubeadm_version(const Profile *p, const KubernetesVersion *kv, DiagList *diags) {
	const KubernetesVersion *v = &p->kubernetes.version;
	char want[32], have[32], expected[96];

	/* kubeadm deploys its own minor and the one before (its MinimumControlPlaneVersion). */
	if (kv->major == v->major && v->minor + 1 >= kv->minor && v->minor <= kv->minor)
		return 0;
	render_version_string(v, want);
	render_version_string(kv, have);
	snprintf(expected, sizeof expected, "v%u.%u.x or v%u.%u.x, or a kubeadm of the profile's release",
		 kv->major, kv->minor - 1, kv->major, kv->minor);
	return refuse(p, v, expected, diags,
		      "kubernetes.version %s cannot be deployed by the kubeadm the image ships, %s", want, have);
}

static int normalized(const char *ref, char **ret) {
	ImageRef r = {};
	int k = image_ref_parse(ref, &r);
	if (k < 0)
		return k;
	k = image_ref_format(&r, ret);
	image_ref_done(&r);
	return k;
}

int render_check_images(const RenderInput *in, DiagList *diags) {
	const Profile *p = in->profile;
	_cleanup_strv_free_ char **named = NULL, **seeded = NULL;
	char version[32];
	int r;

	render_version_string(&p->kubernetes.version, version);
	r = render_config_images(in, &named);
	if (r == -EINVAL)
		return refuse(p, &p->kubernetes.version, "an etcd and a CoreDNS image in kubeadm's list", diags,
			      "kubeadm config images list for %s names no etcd or no CoreDNS image", version);
	if (r < 0)
		return r;
	STRV_FOREACH(i, in->seeded) {
		char *n = NULL;
		if (normalized(*i, &n) >= 0 && strv_consume(&seeded, n) < 0)
			return -ENOMEM;
	}
	STRV_FOREACH(i, named) {
		_cleanup_free_ char *n = NULL;
		r = normalized(*i, &n);
		if (r == -ENOMEM)
			return r;
		if (r >= 0 && strv_contains(seeded, n))
			continue;
		/* Every tag follows the version: the control plane's is it, etcd's and CoreDNS's
		 * are those of its kubeadm. */
		r = refuse(p, &p->kubernetes.version,
			   "every image the configuration names among the seeded ones (kiln-imagegen lock, fetch)", diags,
			   "the kubeadm configuration names the image %s, which the node is not seeded with", *i);
		if (r < 0)
			return r;
	}
	return 0;
}
