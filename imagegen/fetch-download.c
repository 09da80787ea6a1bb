/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "blob-cache.h"
#include "fetch-download.h"
#include "io-util.h"
#include "log.h"

/* However many retries are asked for, one wait never exceeds this. */
#define FETCH_BACKOFF_USEC_MAX (60ULL * 1000 * 1000)

unsigned fetch_retries(const FetchOptions *o) {
	return o->retries > 0 ? o->retries : FETCH_RETRIES_DEFAULT;
}

uint64_t fetch_backoff_usec(const FetchOptions *o) {
	return o->backoff_usec > 0 ? o->backoff_usec : FETCH_BACKOFF_USEC_DEFAULT;
}

uint64_t fetch_stall_timeout_usec(const FetchOptions *o) {
	return o->stall_timeout_usec > 0 ? o->stall_timeout_usec : FETCH_STALL_TIMEOUT_USEC_DEFAULT;
}

static void sleep_usec(uint64_t usec) {
	struct timespec ts = { .tv_sec = (time_t) (usec / 1000000), .tv_nsec = (long) (usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* HTTP statuses as errors. Only those that say "try later" are retried: any other 4xx
 * will be the same next time. */
static int status_to_errno(long status) {
	if (status == 404 || status == 410)
		return -ENOENT;
	if (status == 401 || status == 403)
		return -EACCES;
	if (status == 429 || (status >= 500 && status < 600))
		return -EREMOTEIO;
	return -EPROTO;
}

static bool status_is_transient(long status) {
	return status == 408 || status == 429 || (status >= 500 && status < 600);
}

/* "HTTP 404", plus the first error of a registry's error document when there is one
 * ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}). */
static char *describe_status(const HttpResponse *resp) {
	json_t *doc = NULL, *e;
	const char *code = NULL, *message = NULL;
	char *s = NULL;

	if (resp->body && resp->body_size > 0) {
		doc = json_loadb(resp->body, resp->body_size, 0, NULL);
		e = json_array_get(json_object_get(doc, "errors"), 0);
		code = json_string_value(json_object_get(e, "code"));
		message = json_string_value(json_object_get(e, "message"));
	}
	if (code || message) {
		if (asprintf(&s, "HTTP %ld (%s%s%s)", resp->status, code ?: "", code && message ? ": " : "",
			     message ?: "") < 0)
			s = NULL;
	} else if (asprintf(&s, "HTTP %ld", resp->status) < 0)
		s = NULL;
	json_decref(doc);
	return s;
}

/* One request, answering a 401 once with fresh credentials. 0 only for a 2xx. */
static int request(const FetchAuth *auth, HttpRequest *req, HttpResponse *resp, bool *ret_retry, char **ret_error) {
	bool renewed = false;
	int r;

	for (;;) {
		char *error = NULL;

		req->authorization = auth && auth->header ? auth->header(auth->userdata) : NULL;
		http_response_done(resp);
		r = http_get(req, resp, &error);
		if (r < 0) {
			*ret_retry = http_error_is_transient(r);
			*ret_error = error;
			return r;
		}
		if (resp->status == 401 && auth && auth->renew && !renewed) {
			renewed = true;
			r = auth->renew(auth->userdata, resp->www_authenticate, ret_error);
			if (r < 0) {
				*ret_retry = false;
				return r;
			}
			continue;
		}
		if (resp->status >= 200 && resp->status < 300)
			return 0;
		*ret_retry = status_is_transient(resp->status);
		*ret_error = describe_status(resp);
		return status_to_errno(resp->status);
	}
}

typedef int (*AttemptFn)(void *userdata, bool *ret_retry, char **ret_error);

/* Run attempt until it succeeds, fails for good, or the retries are used up; the error
 * is prefixed with what. */
static int with_retries(const FetchOptions *o, const char *what, AttemptFn attempt, void *userdata, char **ret_error) {
	unsigned retries = fetch_retries(o);
	uint64_t wait = fetch_backoff_usec(o);
	int r;

	for (unsigned i = 0;; i++) {
		_cleanup_free_ char *error = NULL;
		bool retry = false;

		r = attempt(userdata, &retry, &error);
		if (r >= 0)
			return r;
		if (!retry || i >= retries) {
			if (asprintf(ret_error, "%s: %s%s", what, error ?: strerror(-r),
				     i > 0 ? " (gave up after retrying)" : "") < 0)
				*ret_error = NULL;
			return r;
		}
		log_info("%s: %s; attempt %u of %u in %" PRIu64 " ms", what, error ?: strerror(-r), i + 2,
			 retries + 1, wait / 1000);
		sleep_usec(wait);
		wait = MIN(wait * 2, FETCH_BACKOFF_USEC_MAX);
	}
}

typedef struct MemoryGet {
	const FetchOptions *o;
	const char *url, *accept;
	const FetchAuth *auth;
	size_t max;
	HttpResponse resp;
} MemoryGet;

static int memory_attempt(void *userdata, bool *ret_retry, char **ret_error) {
	MemoryGet *g = userdata;
	HttpRequest req = {
		.url = g->url,
		.accept = g->accept,
		.stall_timeout_usec = fetch_stall_timeout_usec(g->o),
		.max_body = g->max,
	};

	return request(g->auth, &req, &g->resp, ret_retry, ret_error);
}

int fetch_memory(const FetchOptions *o, const char *url, const char *what, const char *accept,
		 const FetchAuth *auth, size_t max, HttpResponse *ret, char **ret_error) {
	MemoryGet g = { .o = o, .url = url, .accept = accept, .auth = auth, .max = max };
	int r;

	if (!o || !url || !ret || !ret_error)
		return -EINVAL;
	if (o->offline)
		return asprintf(ret_error, "%s: offline, refusing to fetch %s", what ?: url, url) < 0 ? -ENOMEM
			: -ENETUNREACH;
	r = with_retries(o, what ?: url, memory_attempt, &g, ret_error);
	if (r < 0) {
		http_response_done(&g.resp);
		return r;
	}
	*ret = g.resp;
	return 0;
}

typedef struct BlobDownload {
	const FetchOptions *o;
	const FetchBlob *b;
	BlobPartial partial;
	HashType type;
	HashContext *hash;
	uint64_t offset;         /* bytes that were in the partial file when the request went out */
	char *digest;            /* the verified digest once done */
} BlobDownload;

static int restart_hash(BlobDownload *d) {
	d->hash = hash_context_free(d->hash);
	return hash_context_new(d->type, &d->hash);
}

static int truncate_partial(BlobDownload *d) {
	if (ftruncate(d->partial.fd, 0) < 0 || lseek(d->partial.fd, 0, SEEK_SET) < 0)
		return negative_errno();
	d->offset = 0;
	return restart_hash(d);
}

static int blob_begin(long status, void *userdata) {
	BlobDownload *d = userdata;

	if (status != 206 && d->offset > 0) {
		log_info("%s: the server sent the whole blob instead of the rest, starting over", d->b->what);
		return truncate_partial(d);
	}
	return 0;
}

static int blob_sink(const void *p, size_t n, void *userdata) {
	BlobDownload *d = userdata;
	int r;

	r = loop_write(d->partial.fd, p, n);
	if (r < 0)
		return r;
	return hash_context_update(d->hash, p, n);
}

/* The partial file is complete: verify, check, commit. Never retried: the same bytes
 * would come again. */
static int blob_finish(BlobDownload *d, char **ret_error) {
	_cleanup_free_ char *actual = NULL;
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r;

	r = hash_context_final(d->hash, md, &len);
	if (r < 0)
		return r;
	r = blob_digest_format(d->type, md, len, &actual);
	if (r < 0)
		return r;
	if (d->b->digest && !streq(actual, d->b->digest)) {
		blob_partial_discard(&d->partial);
		return asprintf(ret_error, "expected %s, got %s", d->b->digest, actual) < 0 ? -ENOMEM : -EBADMSG;
	}
	if (d->b->check) {
		_cleanup_free_ char *why = NULL;

		if (lseek(d->partial.fd, 0, SEEK_SET) < 0)
			return negative_errno();
		r = d->b->check(d->partial.fd, d->b->check_userdata, &why);
		if (r < 0) {
			blob_partial_discard(&d->partial);
			*ret_error = TAKE_PTR(why);
			return r;
		}
	}
	if (!d->b->digest && blob_cache_has(d->o->cache_dir, actual))
		blob_partial_discard(&d->partial);
	else {
		r = blob_partial_commit(&d->partial, d->o->cache_dir, actual);
		if (r < 0)
			return asprintf(ret_error, "storing in the cache: %s", strerror(-r)) < 0 ? -ENOMEM : r;
	}
	d->digest = TAKE_PTR(actual);
	return 0;
}

static int blob_attempt(void *userdata, bool *ret_retry, char **ret_error) {
	BlobDownload *d = userdata;
	_cleanup_(http_response_done) HttpResponse resp = {};
	HttpRequest req = {
		.url = d->b->url,
		.stall_timeout_usec = fetch_stall_timeout_usec(d->o),
		.begin = blob_begin,
		.sink = blob_sink,
		.userdata = d,
	};
	struct stat st;
	int r;

	if (fstat(d->partial.fd, &st) < 0)
		return negative_errno();
	d->offset = (uint64_t) st.st_size;
	/* Without a digest, bytes from an earlier attempt cannot be trusted to belong to the
	 * same file; with one, more bytes than the descriptor says cannot be right. */
	if (d->offset > 0 && (!d->b->digest || (d->b->size > 0 && d->offset > d->b->size))) {
		r = truncate_partial(d);
		if (r < 0)
			return r;
	}
	r = restart_hash(d);
	if (r < 0)
		return r;
	if (d->offset > 0) {
		/* Re-hash what is there: it may be from another process, or from before a crash. */
		if (lseek(d->partial.fd, 0, SEEK_SET) < 0)
			return negative_errno();
		r = hash_context_update_fd(d->hash, d->partial.fd);
		if (r < 0)
			return r;
		if (d->b->size > 0 && d->offset == d->b->size)
			return blob_finish(d, ret_error);
		log_info("%s: resuming at byte %" PRIu64, d->b->what, d->offset);
	}

	req.range_start = d->offset;
	r = request(d->b->auth, &req, &resp, ret_retry, ret_error);
	if (r == -EPROTO && resp.status == 416 && d->offset > 0) {
		/* Nothing after our last byte (offset > 0 implies a digest, see above): either
		 * the partial file is complete, or it is not a prefix of this blob. Verifying
		 * tells which. */
		free(*ret_error);
		*ret_error = NULL;
		*ret_retry = false;
		return blob_finish(d, ret_error);
	}
	if (r < 0)
		return r;
	return blob_finish(d, ret_error);
}

int fetch_blob(const FetchOptions *o, const FetchBlob *b, char **ret_digest, char **ret_error) {
	_cleanup_free_ char *name = NULL;
	BlobDownload d = { .o = o, .b = b, .partial = BLOB_PARTIAL_NULL, .type = HASH_SHA256 };
	char *digest = NULL;
	int r;

	if (!o || !o->cache_dir || !b || !b->url || !b->what || !ret_error)
		return -EINVAL;
	if (b->digest) {
		r = blob_digest_parse(b->digest, &d.type, NULL);
		if (r < 0)
			return asprintf(ret_error, "%s: invalid digest %s", b->what, b->digest) < 0 ? -ENOMEM : r;
		if (blob_cache_has(o->cache_dir, b->digest)) {
			digest = strdup(b->digest);
			if (!digest)
				return -ENOMEM;
			if (ret_digest)
				*ret_digest = digest;
			else
				free(digest);
			return 0;
		}
		r = blob_partial_name(b->digest, &name);
	} else {
		uint8_t md[HASH_SIZE_MAX];
		size_t len;
		char hex[2 * HASH_SIZE_MAX + 1];

		/* Named after the URL: a download whose digest is still unknown. */
		r = hash_buffer(HASH_SHA256, b->url, strlen(b->url), md, &len);
		if (r >= 0)
			r = hexmem_buf(md, len, hex, sizeof hex);
		if (r >= 0)
			r = asprintf(&name, "url-%s", hex) < 0 ? -ENOMEM : 0;
	}
	if (r < 0)
		return r;
	if (o->offline)
		return asprintf(ret_error, "%s: offline, and not in the cache", b->what) < 0 ? -ENOMEM : -ENETUNREACH;

	r = blob_partial_open(o->cache_dir, name, &d.partial);
	if (r < 0)
		return asprintf(ret_error, "%s: cannot open the partial file: %s", b->what, strerror(-r)) < 0 ? -ENOMEM : r;
	if (b->digest && blob_cache_has(o->cache_dir, b->digest)) {
		/* Another process finished it while we waited for the lock. */
		blob_partial_discard(&d.partial);
		d.digest = strdup(b->digest);
		r = d.digest ? 0 : -ENOMEM;
	} else
		r = with_retries(o, b->what, blob_attempt, &d, ret_error);

	if (d.partial.fd >= 0) {
		struct stat st;
		/* Keep what arrived for the next attempt; an empty file helps no one. */
		if (fstat(d.partial.fd, &st) == 0 && st.st_size == 0)
			blob_partial_discard(&d.partial);
		else {
			if (r < 0 && b->digest && http_error_is_transient(r) && *ret_error) {
				char *e = NULL;
				if (asprintf(&e, "%s; %jd bytes kept to resume from", *ret_error, (intmax_t) st.st_size) >= 0) {
					free(*ret_error);
					*ret_error = e;
				}
			}
			blob_partial_done(&d.partial);
		}
	}
	hash_context_free(d.hash);
	if (r < 0) {
		free(d.digest);
		return r;
	}
	if (ret_digest)
		*ret_digest = d.digest;
	else
		free(d.digest);
	return 0;
}
