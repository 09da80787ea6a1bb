/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OCI images from registries (the OCI distribution API, docker's v2 API), into the blob
 * cache of fetch-http.h. Manifests are fetched with an Accept list of the OCI index and
 * manifest and docker's manifest list and v2 manifest; every manifest and blob is checked
 * against its digest (Docker-Content-Digest is advisory and not trusted). Layers must
 * pass the check of lib/oci-layer.h before they enter the cache, each on top of the
 * layers below it in the image (oci_layer_stack_check_fd()). Authentication:
 * registry-auth.h (KILN_REGISTRY_AUTH). Scheme: https, plain http for loopback registries
 * (image-ref.h). */

#include <stdint.h>

#include "fetch-http.h"

typedef struct RegistryResolved {
	char *digest;            /* digest of what the tag points at (index or manifest) */
	char *media_type;
	uint64_t size;
	char *platform_digest;   /* the manifest for o->platform (== digest if not an index) */
} RegistryResolved;

void registry_resolved_done(RegistryResolved *r);

/* Resolve reference (tag or digest) to digests; fetches the top manifest (and caches it:
 * it is content-addressed). -ENOENT: image/tag unknown, -ENXIO: no manifest for the
 * platform in the index (error lists the platforms there). A reference with a digest that
 * is cached needs no network. */
int registry_resolve(const FetchOptions *o, const char *reference, RegistryResolved *ret, char **ret_error);

/* Fetch everything the image needs for o->platform into the blob cache: top manifest
 * (checked against digest), platform manifest, config, layers. Idempotent; cached blobs
 * are not downloaded again, but cached layers are read again: an image's layers are
 * checked together, in order, whether they were cached or not (a layer that is safe on
 * its own may be refused in this image, -EBADMSG). digest is the pinned top digest from
 * the lock file (NULL: the reference's own digest; the two must agree when both are
 * given). Layers of a media type that is not a tar layer are refused (-EMEDIUMTYPE):
 * containerd could not unpack them. */
int registry_fetch_image(const FetchOptions *o, const char *reference, const char *digest, char **ret_error);

/* From the cache only (no network): the digests of the blobs the image needs for the
 * platform, in a fixed order: top manifest, platform manifest (if different), config,
 * layers in order. -ENOENT if any is missing (error names it). */
int registry_image_blobs(const FetchOptions *o, const char *digest, char ***ret_digests, char **ret_error);
