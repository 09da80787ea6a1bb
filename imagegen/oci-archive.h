/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The OCI image-layout archive that "ctr images import" reads, written from the blob
 * cache: how the images an appliance needs get into its containerd store at build time.
 *
 * The archive is a tar (uncompressed) holding
 *   blobs/<algo>/<hex>   every blob of every image, copied from <cache>/blobs/<algo>/<hex>
 *                        and hashed again on the way: the cache is trusted for nothing
 *   index.json           one descriptor per image: its top digest (an index or a
 *                        manifest), media type and size, with the annotations
 *                        "io.containerd.image.name" (the full reference, the name ctr
 *                        gives the image) and "org.opencontainers.image.ref.name" (the tag)
 *   oci-layout           {"imageLayoutVersion":"1.0.0"}
 * and is reproducible: entries sorted by path (directories "blobs/" and "blobs/<algo>/"
 * included), every mtime the given epoch, uid/gid 0 without user or group names, mode
 * 0644 (files) or 0755 (directories), no atime/ctime, no padding after the end-of-archive
 * blocks, index.json as compact JSON with sorted keys and its descriptors in reference
 * order. The same images and blobs give the same bytes, whatever order they came in. */

#include <stddef.h>
#include <stdint.h>

typedef struct OciArchiveImage {
	const char *name;          /* full reference, e.g. "127.0.0.1:5000/k8s/pause:3.10" */
	const char *digest;        /* top digest (index or manifest) */
	const char *media_type;    /* its media type */
	uint64_t size;             /* its size */
	char **blobs;              /* every blob digest to include (top manifest first), NULL-terminated */
} OciArchiveImage;

/* Write the archive of n_images images to out_fd (from its current offset), blobs read
 * from <cache_dir>/blobs/<algo>/<hex>. Digests are "sha256:" with 64 or "sha512:" with
 * 128 lower-case hex digits; a blob named by several images is written once. The tag of
 * a reference is what follows the last ':' after its last '/' (a "@digest" suffix is not
 * part of it); a reference without a tag gets no org.opencontainers.image.ref.name.
 *
 * Returns 0, or:
 *   -EINVAL   no images, an empty or repeated name, an empty media type, a malformed
 *             digest, a size beyond INT64_MAX, or a top digest missing from its blobs
 *   -EBADMSG  a blob whose content does not hash to its digest (or that changed size while
 *             it was copied), or a top blob whose size is not the descriptor's
 *   -ENOENT, -EACCES, ...  a blob that cannot be opened or read (-EISDIR, -EINVAL for one
 *             that is no regular file)
 *   any other -errno from writing out_fd or allocating.
 * With -EINVAL, -EBADMSG and the blob errors, *ret_error (if ret_error is not NULL) gets a
 * malloc'd text naming the image or blob at fault; otherwise it is untouched. On failure
 * a partial archive may have been written: the caller discards out_fd's file. */
int oci_archive_write(int out_fd, const char *cache_dir, const OciArchiveImage *images,
		      size_t n_images, uint64_t epoch, char **ret_error);
/* The "sha256:<hex>" digest of the index.json that oci_archive_write() writes for these
 * images (ctr import keeps it as a blob of its own), without writing or reading the
 * archive. */
int oci_archive_index_digest(const OciArchiveImage *images, size_t n_images, char **ret_digest);
