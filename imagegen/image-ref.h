/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Docker-style image references, parsed and normalized the way docker and containerd do:
 *   "busybox"                    -> docker.io / library/busybox : latest
 *   "ghcr.io/a/b:v1"             -> ghcr.io / a/b : v1
 *   "host:5000/a/b:tag@sha256:…" -> host:5000 / a/b : tag @ sha256:…
 * The first component is a registry when it contains '.' or ':' or is "localhost";
 * "index.docker.io" is docker.io. Repository components are lower case
 * ([a-z0-9]+ joined by '.', '_', '__' or runs of '-'); tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
 * digests are sha256/sha512 in lower-case hex. Without tag and digest the tag is "latest";
 * with a digest and no tag, tag is NULL. */

typedef struct ImageRef {
	char *registry;
	char *repository;
	char *tag;
	char *digest;
} ImageRef;

int image_ref_parse(const char *text, ImageRef *ret);   /* -EINVAL on malformed */
void image_ref_done(ImageRef *r);

/* "registry/repository[:tag][@digest]", the normalized form. */
int image_ref_format(const ImageRef *r, char **ret);

/* The base URL of a registry's API ("<scheme>://<host>/v2/"). https everywhere, except
 * loopback hosts (localhost, 127.0.0.0/8, [::1], with or without a port), which are
 * spoken to over plain http as docker and containerd do: a registry on the build host
 * itself has no one in the middle to protect against. docker.io's API lives at
 * registry-1.docker.io. */
int registry_api_url(const char *registry, char **ret_url);
/* Whether a host[:port] names the local machine (see above). */
int registry_is_loopback(const char *host_port);
