/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One HTTP(S) GET through libcurl: no retries, no caching, no policy; fetch-download.c
 * builds those on top. Redirects are followed (at most 10, http and https only), and an
 * Authorization header is never sent to a redirect target on another host, scheme or port
 * (libcurl's rule since 7.58: blob downloads are redirected to storage that must not see
 * the registry token).
 *
 * Environment: KILN_FETCH_MAX_RECV_SPEED=BYTES_PER_SECOND caps the download rate (read
 * once per process). It is for tests that must catch a transfer half-way. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called once before the first byte of a 2xx body (or after an empty one) with the
 * status; < 0 aborts the transfer with that error. */
typedef int (*HttpBeginFn)(long status, void *userdata);
/* Receives the body of a 2xx response in pieces; < 0 aborts the transfer with that error. */
typedef int (*HttpSinkFn)(const void *p, size_t n, void *userdata);

typedef struct HttpRequest {
	const char *url;
	const char *accept;           /* Accept: value, or NULL */
	const char *authorization;    /* Authorization: value, or NULL */
	uint64_t range_start;         /* > 0: "Range: bytes=N-"; a 206 must start there */
	uint64_t stall_timeout_usec;  /* abort when no byte moves this long (and connect timeout) */
	HttpBeginFn begin;
	HttpSinkFn sink;              /* NULL: a 2xx body is kept in memory */
	void *userdata;
	size_t max_body;              /* memory bodies: more is -EFBIG; 0 = 4 MiB */
} HttpRequest;

typedef struct HttpResponse {
	long status;
	char *content_type;
	char *www_authenticate;       /* the first challenge header */
	char *docker_content_digest;
	char *effective_url;          /* after redirects */
	char *body;                   /* 2xx without a sink; the first 4 KiB of other bodies */
	size_t body_size;
	bool sink_called;
} HttpResponse;

void http_response_done(HttpResponse *r);

/* 0 when a response arrived, whatever its status (*ret filled); -errno for a transport
 * failure, with a message in *ret_error: -ECONNREFUSED, -ETIMEDOUT (connect or stall),
 * -ECONNRESET (connection lost mid-way), -EHOSTUNREACH (name not resolved), -EPROTO (TLS,
 * bad response, a 206 for the wrong range), -ELOOP (redirects), or the error the begin or
 * sink callback returned. */
int http_get(const HttpRequest *req, HttpResponse *ret, char **ret_error);

/* Whether a transport error is worth another attempt (the network may come back). */
bool http_error_is_transient(int r);
