/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container runtime phase's probes: is containerd up and serving on its socket?
 *
 * Speaking gRPC over HTTP/2 from C would be a large dependency for one question, so the
 * probe asks containerd's own client: "ctr --address SOCK version" prints a "Server:"
 * section only when containerd answered the Version call over the socket. */

#include "time-util.h"

#define RUNTIME_CONTAINERD_SOCKET "/run/containerd/containerd.sock"
/* ctr is a Go program: its start alone takes a good part of a second on a slow node. */
#define RUNTIME_CTR_TIMEOUT_USEC (5 * USEC_PER_SEC)

/* Find the server's version in the output of "ctr version": 0 with a copy in
 * *ret_version (may be NULL); -ENODATA when there is no "Server:" section (ctr could not
 * reach containerd), -EBADMSG when the section has no Version. */
int runtime_parse_ctr_version(const char *output, char **ret_version);

/* Ask containerd on socket_path (NULL: RUNTIME_CONTAINERD_SOCKET) for its version, all
 * within timeout_usec. 0 with the version in *ret_version (may be NULL), or:
 *   -ENOENT        no socket there (containerd not started yet, or stopped cleanly)
 *   -ECONNREFUSED  a socket nobody listens on (containerd died and left it behind)
 *   -ETIMEDOUT     it accepted the connection but did not answer in time
 *   -ENOPKG        ctr is not installed
 *   other -errno   from connect(2) (-EACCES ...) or from running ctr */
int runtime_containerd_version(const char *socket_path, usec_t timeout_usec, char **ret_version);

/* Does the CRI socket answer? runtime_containerd_version() with the default timeout,
 * without the version: 0 or the same -errno. */
int runtime_cri_ready(const char *socket_path);
