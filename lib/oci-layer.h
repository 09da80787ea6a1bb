/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Safety check of an OCI image layer before it enters the blob cache.
 *
 * TEMPORARY: this header and the minimal oci-layer.c next to it stand in until the layer
 * engineer's lib/oci-layer.[ch] is merged; the declaration below is the agreed contract
 * and must not change. */

/* Read the (gzip, zstd or uncompressed) tar layer from fd and return 0 if it is safe to
 * unpack: -EBADMSG with a malloc'd reason in *ret_error if it has an absolute path, a ".."
 * component, an escaping symlink or hard link, a device node or a malformed whiteout;
 * other -errno on I/O errors. */
int oci_layer_check_fd(int fd, char **ret_error);
