/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* containerd's own image records: containerd.services.images.v1.Images/List over the
 * same socket and gRPC client as the CRI probes (lib/grpc-unix.h). Unlike the CRI's
 * ListImages, each record has what the images phase must compare with image.json: the
 * name, the target descriptor's digest (the index or manifest the name points at), and
 * the labels (the pin). It reads containerd's metadata database only: no blob is opened,
 * so it costs about what a CRI probe does. containerd's services want the namespace in
 * the "containerd-namespace" metadata header; the CRI keeps its images in "k8s.io". */

#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

#define CONTAINERD_K8S_NAMESPACE "k8s.io"
/* The CRI's pin: kubelet's image garbage collection never removes a pinned image. */
#define CONTAINERD_PINNED_LABEL "io.cri-containerd.pinned"
#define CONTAINERD_PINNED_VALUE "pinned"

typedef struct ContainerdImage {
	char *name;                /* "registry.k8s.io/pause:3.10" */
	char *target_media_type;   /* NULL when not set */
	char *target_digest;       /* "sha256:..."; NULL when not set */
	int64_t target_size;
	char **labels;             /* key, value, key, value ...; NULL when none */
} ContainerdImage;

void containerd_images_free(ContainerdImage *images, size_t n);

/* The value of the label key, or NULL. */
const char *containerd_image_label(const ContainerdImage *image, const char *key);

/* Decode a ListImagesResponse (api/services/images/v1/images.proto): 0 with the images
 * in the order sent (*ret NULL and *ret_n 0 for none), -EBADMSG when malformed (a field
 * of the wrong wire type among those read), -ENOMEM. Unknown fields are skipped; a
 * repeated scalar or map key keeps its last value, as protobuf says. */
int containerd_parse_images_reply(const void *data, size_t size, ContainerdImage **ret, size_t *ret_n);

/* Images/List in namespace on socket_path within timeout_usec: the errors of
 * grpc_unix_call() (-ENOENT, -ECONNREFUSED, -ETIMEDOUT, -EREMOTEIO ...) or of the
 * decoding. */
int containerd_list_images(const char *socket_path, const char *namespace, usec_t timeout_usec,
			   ContainerdImage **ret, size_t *ret_n);
