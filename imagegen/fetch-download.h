/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The retrying, resuming, verifying download engine behind fetch_file() and the OCI
 * registry client. Internal to imagegen/. */

#include <stdint.h>

#include "fetch-http.h"
#include "http-get.h"

/* How requests are authorized (NULL: anonymously). */
typedef struct FetchAuth {
	/* The Authorization header value to send now, or NULL. */
	const char *(*header)(void *userdata);
	/* A 401 came back with this WWW-Authenticate (may be NULL): get credentials that
	 * answer it. 0: send the request again; < 0: give up, with *ret_error set. */
	int (*renew)(void *userdata, const char *www_authenticate, char **ret_error);
	void *userdata;
} FetchAuth;

/* Inspect a complete, verified blob (fd at offset 0) before it enters the cache. < 0
 * refuses it: the partial file is deleted, and *ret_error says why. */
typedef int (*FetchCheckFn)(int fd, void *userdata, char **ret_error);

typedef struct FetchBlob {
	const char *url;
	const char *what;         /* names the artifact in errors: the URL, "IMAGE: layer DIGEST" */
	const char *digest;       /* expected; NULL: learn the sha256 (never resumed) */
	uint64_t size;            /* expected size when known (registry descriptors), else 0 */
	const FetchAuth *auth;
	FetchCheckFn check;
	void *check_userdata;
} FetchBlob;

/* Download into the blob cache; see fetch_file() for the errors. Already cached (digest
 * given): no network at all. */
int fetch_blob(const FetchOptions *o, const FetchBlob *b, char **ret_digest, char **ret_error);

/* GET a small document (a manifest, a token) into memory with the same retries and
 * authorization; only a 2xx is success. At most max bytes (-EFBIG). */
int fetch_memory(const FetchOptions *o, const char *url, const char *what, const char *accept,
		 const FetchAuth *auth, size_t max, HttpResponse *ret, char **ret_error);

/* The options with defaults filled in. */
unsigned fetch_retries(const FetchOptions *o);
uint64_t fetch_backoff_usec(const FetchOptions *o);
uint64_t fetch_stall_timeout_usec(const FetchOptions *o);
