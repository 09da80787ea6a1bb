/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* OCI (and docker v2) manifests and indexes: what they are, what they reference, and
 * which manifest of an index is the one for a platform. Pure parsing, no I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_MEDIA_TYPE_INDEX       "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_TYPE_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define DOCKER_MEDIA_TYPE_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MEDIA_TYPE_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
/* The Accept header for manifests: every kind above, nothing older (schema 1). */
#define OCI_MANIFEST_ACCEPT \
	OCI_MEDIA_TYPE_INDEX ", " OCI_MEDIA_TYPE_MANIFEST ", " DOCKER_MEDIA_TYPE_LIST ", " DOCKER_MEDIA_TYPE_MANIFEST
/* Registries cap manifests at 4 MiB; so do we. */
#define OCI_MANIFEST_SIZE_MAX ((size_t) 4 * 1024 * 1024)
#define OCI_PLATFORM_DEFAULT "linux/amd64"

typedef enum OciDocumentKind {
	OCI_DOCUMENT_INDEX,
	OCI_DOCUMENT_MANIFEST,
} OciDocumentKind;

typedef struct OciDescriptor {
	char *media_type;
	char *digest;
	uint64_t size;
} OciDescriptor;

typedef struct OciManifest {
	OciDescriptor config;
	OciDescriptor *layers;
	size_t n_layers;
} OciManifest;

/* What a manifest document is: its mediaType field when present, else content_type
 * (may be NULL), else its shape ("manifests" -> index; "config" and "layers" ->
 * manifest). *ret_media_type (may be NULL) gets the media type, the OCI one when only the
 * shape tells. -EMEDIUMTYPE for other media types (schema 1, artifacts), -EBADMSG for
 * anything that is not such a JSON object. */
int oci_document_kind(const char *json, size_t size, const char *content_type,
		      OciDocumentKind *ret_kind, char **ret_media_type);

/* A layer media type kiln can unpack, which the layer check must pass: ones ending in
 * ".tar", ".tar+gzip", ".tar+zstd", and docker's "...rootfs.diff.tar.gzip". */
bool oci_media_type_is_layer(const char *media_type);

/* Parse an image manifest: config and layers, every digest valid. -EBADMSG with a reason. */
int oci_manifest_parse(const char *json, size_t size, OciManifest *ret, char **ret_error);
void oci_manifest_done(OciManifest *m);

/* The digest of the index's manifest for platform "os/arch[/variant]" (NULL: linux/amd64).
 * "x86_64" and "aarch64" mean amd64 and arm64, and arm64's variant "v8" is its default
 * (the same as none). An exact match wins; a platform without a variant then takes the
 * first entry for its os and architecture. -ENXIO when none matches, the error listing
 * the platforms the index has; -EINVAL for a malformed platform; -EBADMSG for a
 * malformed index. */
int oci_index_select(const char *json, size_t size, const char *platform, char **ret_digest, char **ret_error);
