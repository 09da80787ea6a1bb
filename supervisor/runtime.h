/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container runtime phase's probes: does containerd's CRI answer on its socket, and
 * which images does it hold? The same calls the kubelet makes (runtime.v1, the CRI API),
 * as unary gRPC calls over the unix socket (lib/grpc-unix.h): a probe costs well under a
 * millisecond when containerd serves, and never starts a program. */

#include "time-util.h"

#define RUNTIME_CONTAINERD_SOCKET "/run/containerd/containerd.sock"
/* One call's bound: containerd answers in microseconds; a containerd that is still
 * loading its plugins may take a moment, and a hung one must not stall the loop (the
 * watchdog's interval is 15 s). */
#define RUNTIME_CRI_TIMEOUT_USEC (2 * USEC_PER_SEC)

typedef struct RuntimeVersion {
	char *runtime_name;          /* "containerd" */
	char *runtime_version;       /* "1.7.24~ds1" */
	char *runtime_api_version;   /* "v1" */
} RuntimeVersion;

void runtime_version_done(RuntimeVersion *v);

/* Decode a CRI VersionResponse (fields 2, 3, 4; a missing one is left NULL). */
int runtime_parse_version_reply(const void *data, size_t size, RuntimeVersion *ret);
/* Decode a CRI ListImagesResponse into every image's references, tags then digests
 * ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause@sha256:..."); an empty store gives
 * an empty vector (not NULL). */
int runtime_parse_images_reply(const void *data, size_t size, char ***ret_refs);

/* RuntimeService/Version on socket_path (NULL: RUNTIME_CONTAINERD_SOCKET) within
 * timeout_usec: 0 with the answer in *ret (may be NULL), or:
 *   -ENOENT        no socket there (containerd not started yet, or stopped cleanly)
 *   -ECONNREFUSED  a socket nobody listens on (containerd died and left it behind)
 *   -ETIMEDOUT     it accepted the connection but did not answer in time
 *   -EREMOTEIO     it answered the call with an error (no CRI plugin, say)
 *   -EPROTO        what answered is not a gRPC server
 *   other -errno   from connect(2) (-EACCES ...) */
int runtime_version(const char *socket_path, usec_t timeout_usec, RuntimeVersion *ret);

/* ImageService/ListImages: the references of every image in the CRI's store (containerd's
 * "k8s.io" namespace), same errors as runtime_version(). */
int runtime_list_images(const char *socket_path, usec_t timeout_usec, char ***ret_refs);

/* "containerd 1.7.24~ds1 answers" for the phase's detail, from what Version said. */
int runtime_describe(const RuntimeVersion *v, char **ret);

/* Does the CRI socket answer? runtime_version() with the default timeout: 0 or -errno. */
int runtime_cri_ready(const char *socket_path);
