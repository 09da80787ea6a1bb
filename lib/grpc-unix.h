/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One unary gRPC call over HTTP/2 on a unix socket: what containerd's CRI answers on
 * /run/containerd/containerd.sock.
 *
 * Why not libcurl (which speaks HTTP/2 with nghttp2): linking it pulls 33 shared
 * libraries into the supervisor, 8.5 MiB of RSS before the first call (measured on
 * Debian 12), and the supervisor's idle goal is 8 MiB in all. Why not "ctr"/"crictl":
 * a Go program per probe costs tens of milliseconds of start-up and wakes the node.
 * A unary call needs little of HTTP/2 (RFC 9113): one stream, a header block we encode
 * with HPACK literals only, and frames read until the stream ends. The response's header
 * blocks are not decoded (that needs HPACK's Huffman code and dynamic table): a call
 * succeeds when the server sent exactly one well-framed gRPC message and ended the
 * stream; a gRPC error is a stream that ended without a message (a "trailers-only"
 * response), reported as -EREMOTEIO without its status code.
 *
 * Blocking, bounded by the timeout: for the supervisor's probes, each well under a
 * millisecond when containerd serves. */

#include <stddef.h>

#include "time-util.h"

/* The largest reply taken (the gRPC message, without its 5-byte prefix). */
#define GRPC_UNIX_MAX_REPLY (1U << 20)

/* Call method ("/package.Service/Method") with the serialized request (may be empty)
 * on the unix socket at socket_path, within timeout_usec. 0 with the serialized reply in
 * *ret_reply (malloc'd, may be NULL for an empty message) and its size, or:
 *   -ENOENT, -ECONNREFUSED, -EACCES ...   connect(2) failed
 *   -ETIMEDOUT     no complete answer within the timeout
 *   -ECONNRESET    the server closed the connection or reset the stream
 *   -EPROTO        the server does not speak HTTP/2 and gRPC as expected
 *   -EREMOTEIO     the call failed on the server (no message, only a status)
 *   -EFBIG         the reply is larger than GRPC_UNIX_MAX_REPLY */
int grpc_unix_call(const char *socket_path, const char *method, const void *request, size_t request_size,
		   usec_t timeout_usec, void **ret_reply, size_t *ret_reply_size);

/* A custom metadata pair sent with the call (an HTTP/2 header), such as containerd's
 * "containerd-namespace: k8s.io", which its own services (not the CRI) require. */
typedef struct GrpcMetadata {
	/* Lower case letters, digits, '-', '_', '.'; not "grpc-*" (gRPC's own), not "*-bin"
	 * (binary values, which would need base64), not a header the call sends itself
	 * ("content-type", "te"). */
	const char *name;
	const char *value;   /* printable ASCII (0x20-0x7e) */
} GrpcMetadata;

/* grpc_unix_call() with n_metadata pairs sent after the call's own headers; a name or
 * value that breaks the rules above: -EINVAL. */
int grpc_unix_call_with_metadata(const char *socket_path, const char *method, const GrpcMetadata *metadata,
				 size_t n_metadata, const void *request, size_t request_size, usec_t timeout_usec,
				 void **ret_reply, size_t *ret_reply_size);
