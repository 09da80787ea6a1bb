/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob-cache.h"
#include "fd-util.h"
#include "fetch-download.h"
#include "image-ref.h"
#include "oci-layer.h"
#include "oci-manifest.h"
#include "oci-registry.h"
#include "registry-auth.h"
#include "strv.h"

/* One image's repository on its registry, for the duration of a call. */
typedef struct Registry {
	const FetchOptions *o;
	ImageRef ref;
	char *name;          /* the normalized reference, for messages */
	char *api;           /* "http(s)://host/v2/" */
	RegistryAuth auth;
	FetchAuth fetch_auth;
} Registry;

static void registry_done(Registry *r) {
	image_ref_done(&r->ref);
	free(r->name);
	free(r->api);
	registry_auth_done(&r->auth);
	*r = (Registry) {};
}

void registry_resolved_done(RegistryResolved *r) {
	if (!r)
		return;
	free(r->digest);
	free(r->media_type);
	free(r->platform_digest);
	*r = (RegistryResolved) {};
}

static int registry_open(const FetchOptions *o, const char *reference, Registry *ret, char **ret_error) {
	int r;

	*ret = (Registry) { .o = o };
	r = image_ref_parse(reference, &ret->ref);
	if (r < 0)
		return asprintf(ret_error, "invalid image reference \"%s\"", reference) < 0 ? -ENOMEM : r;
	if ((r = image_ref_format(&ret->ref, &ret->name)) < 0 ||
	    (r = registry_api_url(ret->ref.registry, &ret->api)) < 0 ||
	    (r = registry_auth_init(&ret->auth, o, ret->ref.registry, ret->ref.repository)) < 0)
		return r;
	ret->fetch_auth = registry_auth_fetch_auth(&ret->auth);
	return 0;
}

static int blob_url(const Registry *reg, const char *kind, const char *ref, char **ret) {
	return asprintf(ret, "%s%s/%s/%s", reg->api, reg->ref.repository, kind, ref) < 0 ? -ENOMEM : 0;
}

/* A manifest by tag or digest: from the cache when the digest is known and cached, else
 * from the registry, verified (against expected when given) and cached. */
static int get_manifest(Registry *reg, const char *ref, const char *expected, char **ret_body, size_t *ret_size,
			char **ret_digest, char **ret_media_type, OciDocumentKind *ret_kind, char **ret_error) {
	_cleanup_(http_response_done) HttpResponse resp = {};
	_cleanup_free_ char *url = NULL, *what = NULL, *actual = NULL, *media_type = NULL, *body = NULL;
	HashType type = HASH_SHA256;
	OciDocumentKind kind;
	size_t size = 0;
	int r;

	if (expected && blob_digest_parse(expected, &type, NULL) < 0)
		return asprintf(ret_error, "%s: invalid digest %s", reg->name, expected) < 0 ? -ENOMEM : -EINVAL;
	if (asprintf(&what, "%s: manifest %s", reg->name, ref) < 0)
		return -ENOMEM;

	if (expected && blob_cache_has(reg->o->cache_dir, expected)) {
		r = blob_cache_read(reg->o->cache_dir, expected, OCI_MANIFEST_SIZE_MAX, &body, &size);
		if (r < 0)
			return asprintf(ret_error, "%s: reading the cached copy: %s", what, strerror(-r)) < 0 ? -ENOMEM : r;
		actual = strdup(expected);
		if (!actual)
			return -ENOMEM;
	} else {
		r = blob_url(reg, "manifests", ref, &url);
		if (r < 0)
			return r;
		r = fetch_memory(reg->o, url, what, OCI_MANIFEST_ACCEPT, &reg->fetch_auth, OCI_MANIFEST_SIZE_MAX, &resp,
				 ret_error);
		if (r < 0)
			return r;
		r = blob_digest_buffer(type, resp.body ?: "", resp.body_size, &actual);
		if (r < 0)
			return r;
		if (expected && !streq(actual, expected))
			return asprintf(ret_error, "%s: expected %s, got %s", what, expected, actual) < 0 ? -ENOMEM : -EBADMSG;
		body = TAKE_PTR(resp.body);
		size = resp.body_size;
	}

	r = oci_document_kind(body ?: "", size, resp.content_type, &kind, &media_type);
	if (r < 0)
		return asprintf(ret_error, "%s: %s", what,
				r == -EMEDIUMTYPE ? "not an image index or manifest (unsupported media type)"
						  : "not a JSON manifest") < 0 ? -ENOMEM : r;
	/* Content-addressed, so safe to keep even when only resolving. */
	r = blob_cache_write(reg->o->cache_dir, actual, body ?: "", size);
	if (r < 0)
		return asprintf(ret_error, "%s: storing in the cache: %s", what, strerror(-r)) < 0 ? -ENOMEM : r;

	if (ret_body)
		*ret_body = TAKE_PTR(body);
	if (ret_size)
		*ret_size = size;
	if (ret_digest)
		*ret_digest = TAKE_PTR(actual);
	if (ret_media_type)
		*ret_media_type = TAKE_PTR(media_type);
	*ret_kind = kind;
	return 0;
}

static int select_platform(const Registry *reg, const FetchOptions *o, const char *digest, const char *body,
			   size_t size, char **ret_digest, char **ret_error) {
	_cleanup_free_ char *error = NULL;
	int r;

	r = oci_index_select(body, size, o->platform, ret_digest, &error);
	if (r < 0)
		return asprintf(ret_error, "%s (index %s): %s", reg ? reg->name : digest, digest,
				error ?: strerror(-r)) < 0 ? -ENOMEM : r;
	return 0;
}

int registry_resolve(const FetchOptions *o, const char *reference, RegistryResolved *ret, char **ret_error) {
	_cleanup_(registry_done) Registry reg = {};
	_cleanup_(registry_resolved_done) RegistryResolved res = {};
	_cleanup_free_ char *body = NULL;
	OciDocumentKind kind;
	size_t size;
	int r;

	if (!o || !o->cache_dir || !reference || !ret || !ret_error)
		return -EINVAL;
	r = registry_open(o, reference, &reg, ret_error);
	if (r < 0)
		return r;
	r = get_manifest(&reg, reg.ref.digest ?: reg.ref.tag, reg.ref.digest, &body, &size, &res.digest,
			 &res.media_type, &kind, ret_error);
	if (r < 0)
		return r;
	res.size = size;
	if (kind == OCI_DOCUMENT_INDEX)
		r = select_platform(&reg, o, res.digest, body, size, &res.platform_digest, ret_error);
	else
		r = (res.platform_digest = strdup(res.digest)) ? 0 : -ENOMEM;
	if (r < 0)
		return r;
	*ret = res;
	res = (RegistryResolved) {};
	return 0;
}

/* The layers of an image go through one stack in image order, so that a layer may not
 * write through a symlink that a layer below made. A download runs the check before the
 * layer enters the cache; a layer that needs no download (cached, perhaps for another
 * image, or just stored by another process) is read back from the cache for it. */
typedef struct LayerCheck {
	OciLayerStack *stack;
	bool checked;         /* the download ran check_layer() */
} LayerCheck;

static int check_layer(int fd, void *userdata, char **ret_error) {
	LayerCheck *c = userdata;
	_cleanup_free_ char *why = NULL;
	int r;

	c->checked = true;
	r = oci_layer_stack_check_fd(c->stack, fd, &why);
	if (r == -EBADMSG)
		return asprintf(ret_error, "refused: %s", why ?: "unsafe layer") < 0 ? -ENOMEM : r;
	if (r < 0)
		return asprintf(ret_error, "checking the layer: %s", strerror(-r)) < 0 ? -ENOMEM : r;
	return 0;
}

/* The same check on the cached copy, with the same errors as after a download. */
static int check_cached_layer(const Registry *reg, const OciDescriptor *d, LayerCheck *c, char **ret_error) {
	_cleanup_free_ char *error = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	fd = blob_cache_open(reg->o->cache_dir, d->digest);
	if (fd < 0)
		return asprintf(ret_error, "%s: layer %s: reading the cached copy: %s", reg->name, d->digest,
				strerror(-fd)) < 0 ? -ENOMEM : fd;
	r = check_layer(fd, c, &error);
	if (r < 0)
		return asprintf(ret_error, "%s: layer %s: %s", reg->name, d->digest, error ?: strerror(-r)) < 0
			? -ENOMEM : r;
	return 0;
}

static int fetch_descriptor(Registry *reg, const char *kind, const OciDescriptor *d, FetchCheckFn check,
			    void *check_userdata, char **ret_error) {
	_cleanup_free_ char *url = NULL, *what = NULL;
	FetchBlob b = {
		.digest = d->digest,
		.size = d->size,
		.auth = &reg->fetch_auth,
		.check = check,
		.check_userdata = check_userdata,
	};
	int r;

	if (asprintf(&what, "%s: %s %s", reg->name, kind, d->digest) < 0)
		return -ENOMEM;
	r = blob_url(reg, "blobs", d->digest, &url);
	if (r < 0)
		return r;
	b.url = url;
	b.what = what;
	return fetch_blob(reg->o, &b, NULL, ret_error);
}

int registry_fetch_image(const FetchOptions *o, const char *reference, const char *digest, char **ret_error) {
	_cleanup_(registry_done) Registry reg = {};
	_cleanup_(oci_manifest_done) OciManifest m = {};
	_cleanup_(oci_layer_stack_freep) OciLayerStack *stack = NULL;
	_cleanup_free_ char *body = NULL, *platform_digest = NULL, *error = NULL;
	OciDocumentKind kind;
	size_t size;
	int r;

	if (!o || !o->cache_dir || !reference || !ret_error)
		return -EINVAL;
	r = registry_open(o, reference, &reg, ret_error);
	if (r < 0)
		return r;
	if (digest && reg.ref.digest && !streq(digest, reg.ref.digest))
		return asprintf(ret_error, "%s: the pinned digest %s is not the reference's", reg.name, digest) < 0
			? -ENOMEM : -EINVAL;
	digest = digest ?: reg.ref.digest;
	if (!digest)
		return asprintf(ret_error, "%s: no digest to pin the image to", reg.name) < 0 ? -ENOMEM : -EINVAL;

	r = get_manifest(&reg, digest, digest, &body, &size, NULL, NULL, &kind, ret_error);
	if (r < 0)
		return r;
	if (kind == OCI_DOCUMENT_INDEX) {
		r = select_platform(&reg, o, digest, body, size, &platform_digest, ret_error);
		if (r < 0)
			return r;
		body = mfree_str(body);
		r = get_manifest(&reg, platform_digest, platform_digest, &body, &size, NULL, NULL, &kind, ret_error);
		if (r < 0)
			return r;
		if (kind != OCI_DOCUMENT_MANIFEST)
			return asprintf(ret_error, "%s: the index entry %s is an index itself", reg.name,
					platform_digest) < 0 ? -ENOMEM : -EMEDIUMTYPE;
	}

	r = oci_manifest_parse(body, size, &m, &error);
	if (r < 0)
		return asprintf(ret_error, "%s: manifest %s: %s", reg.name, platform_digest ?: digest,
				error ?: strerror(-r)) < 0 ? -ENOMEM : r;
	/* Refuse before downloading anything big. */
	for (size_t i = 0; i < m.n_layers; i++)
		if (!oci_media_type_is_layer(m.layers[i].media_type))
			return asprintf(ret_error, "%s: layer %s has media type %s, not a tar layer", reg.name,
					m.layers[i].digest, m.layers[i].media_type) < 0 ? -ENOMEM : -EMEDIUMTYPE;

	r = fetch_descriptor(&reg, "config", &m.config, NULL, NULL, ret_error);
	if (r < 0)
		return r;
	r = oci_layer_stack_new(&stack);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m.n_layers; i++) {
		LayerCheck c = { .stack = stack };

		r = fetch_descriptor(&reg, "layer", &m.layers[i], check_layer, &c, ret_error);
		if (r < 0)
			return r;
		if (!c.checked) {
			r = check_cached_layer(&reg, &m.layers[i], &c, ret_error);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int cached_manifest(const FetchOptions *o, const char *digest, char **ret_body, size_t *ret_size,
			   OciDocumentKind *ret_kind, char **ret_error) {
	int r;

	r = blob_cache_read(o->cache_dir, digest, OCI_MANIFEST_SIZE_MAX, ret_body, ret_size);
	if (r < 0)
		return asprintf(ret_error, "manifest %s: %s", digest,
				r == -ENOENT ? "not in the cache" : strerror(-r)) < 0 ? -ENOMEM : r;
	r = oci_document_kind(*ret_body, *ret_size, NULL, ret_kind, NULL);
	if (r < 0) {
		*ret_body = mfree_str(*ret_body);
		return asprintf(ret_error, "manifest %s: not an image index or manifest", digest) < 0 ? -ENOMEM : r;
	}
	return 0;
}

int registry_image_blobs(const FetchOptions *o, const char *digest, char ***ret_digests, char **ret_error) {
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_(oci_manifest_done) OciManifest m = {};
	_cleanup_free_ char *body = NULL, *platform_digest = NULL, *error = NULL;
	OciDocumentKind kind;
	size_t size;
	int r;

	if (!o || !o->cache_dir || !digest || !ret_digests || !ret_error)
		return -EINVAL;
	if (blob_digest_parse(digest, NULL, NULL) < 0)
		return asprintf(ret_error, "invalid digest \"%s\"", digest) < 0 ? -ENOMEM : -EINVAL;
	r = cached_manifest(o, digest, &body, &size, &kind, ret_error);
	if (r < 0)
		return r;
	r = strv_extend(&l, digest);
	if (r < 0)
		return r;
	if (kind == OCI_DOCUMENT_INDEX) {
		r = select_platform(NULL, o, digest, body, size, &platform_digest, ret_error);
		if (r < 0)
			return r;
		body = mfree_str(body);
		r = cached_manifest(o, platform_digest, &body, &size, &kind, ret_error);
		if (r < 0)
			return r;
		if (kind != OCI_DOCUMENT_MANIFEST)
			return asprintf(ret_error, "manifest %s: an index inside an index", platform_digest) < 0 ? -ENOMEM
				: -EMEDIUMTYPE;
		r = strv_extend(&l, platform_digest);
		if (r < 0)
			return r;
	}
	r = oci_manifest_parse(body, size, &m, &error);
	if (r < 0)
		return asprintf(ret_error, "manifest %s: %s", platform_digest ?: digest, error ?: strerror(-r)) < 0
			? -ENOMEM : r;

	for (size_t i = 0; i <= m.n_layers; i++) {
		const OciDescriptor *d = i == 0 ? &m.config : &m.layers[i - 1];
		if (!blob_cache_has(o->cache_dir, d->digest))
			return asprintf(ret_error, "%s %s: not in the cache", i == 0 ? "config" : "layer", d->digest) < 0
				? -ENOMEM : -ENOENT;
		r = strv_extend(&l, d->digest);
		if (r < 0)
			return r;
	}
	*ret_digests = TAKE_PTR(l);
	return 0;
}
