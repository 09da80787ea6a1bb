/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Downloads into the content-addressed blob cache (blob-cache.h), for `kiln-imagegen
 * fetch`: HTTP(S) files here, OCI images in oci-registry.h.
 *
 * Every download is hashed while it is written to <cache>/blobs/.partial/ and renamed into
 * the cache only when it matches its digest. Connection errors, HTTP 5xx and 429 are
 * retried with exponential backoff; other 4xx are not. An interrupted download resumes
 * with "Range: bytes=N-" (the bytes already there are re-hashed first); a server that
 * answers 200 instead of 206 is read from the start. */

#include <stdbool.h>
#include <stdint.h>

typedef struct FetchOptions {
	const char *cache_dir;
	unsigned retries;            /* attempts after the first; 0 = default 4 */
	uint64_t backoff_usec;       /* first wait, doubled each time; 0 = default 500 ms */
	uint64_t stall_timeout_usec; /* abort a transfer that moves no byte this long; 0 = 30 s */
	bool offline;                /* any network access is refused: -ENETUNREACH, error says "offline" */
	const char *platform;        /* "linux/amd64" (os/arch[/variant]) for images; NULL = linux/amd64 */
} FetchOptions;

#define FETCH_RETRIES_DEFAULT 4U
#define FETCH_BACKOFF_USEC_DEFAULT (500U * 1000U)
#define FETCH_STALL_TIMEOUT_USEC_DEFAULT (30U * 1000U * 1000U)

/* Download url into the cache. expected_digest "sha256:..." or "sha512:..." (verified;
 * mismatch: -EBADMSG, error "URL: expected sha256:X, got sha256:Y", nothing cached) or
 * NULL (learn it: then the sha256 is computed). *ret_digest = the cache key used
 * (the expected digest, or "sha256:<computed>"). Already cached: no network at all.
 *
 * Without an expected digest a download is never resumed: nothing could tell a file
 * stitched from two versions of the URL from the real one.
 *
 * Errors (message in *ret_error, malloc'd, set on every failure): -EINVAL bad arguments,
 * -ENETUNREACH offline and not cached, -ENOENT HTTP 404/410, -EACCES 401/403, -EPROTO
 * other 4xx, -EREMOTEIO 5xx or 429 after the retries, the transport errors of http-get.h
 * after the retries (the partial file is kept for the next attempt), -EBADMSG mismatch. */
int fetch_file(const FetchOptions *o, const char *url, const char *expected_digest,
	       char **ret_digest, char **ret_error);
