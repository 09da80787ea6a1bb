/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "config.h"
#include "http-get.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(CURL *, curl_easy_cleanup);
DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(struct curl_slist *, curl_slist_free_all);

#define HTTP_MAX_BODY_DEFAULT ((size_t) 4 * 1024 * 1024)
/* Enough of an error body to quote a registry's error JSON. */
#define HTTP_ERROR_BODY_MAX ((size_t) 4096)
#define HTTP_MAX_REDIRECTS 10L

typedef struct Transfer {
	const HttpRequest *req;
	HttpResponse *resp;
	CURL *curl;
	bool started;       /* the first body byte has been seen and classified */
	bool to_sink;
	int error;          /* why a callback aborted the transfer */
	char *error_text;
} Transfer;

void http_response_done(HttpResponse *r) {
	if (!r)
		return;
	free(r->content_type);
	free(r->www_authenticate);
	free(r->docker_content_digest);
	free(r->effective_url);
	free(r->body);
	*r = (HttpResponse) {};
}

static void reset_headers(HttpResponse *r) {
	r->content_type = mfree_str(r->content_type);
	r->www_authenticate = mfree_str(r->www_authenticate);
	r->docker_content_digest = mfree_str(r->docker_content_digest);
}

/* Header lines of every response (redirects, 100-continue, the final one) arrive here;
 * a status line starts a new set. */
static size_t on_header(char *line, size_t size, size_t n, void *userdata) {
	Transfer *t = userdata;
	size_t len = size * n, name_len;
	static const struct {
		const char *name;
		size_t offset;
	} wanted[] = {
		{ "content-type", offsetof(HttpResponse, content_type) },
		{ "www-authenticate", offsetof(HttpResponse, www_authenticate) },
		{ "docker-content-digest", offsetof(HttpResponse, docker_content_digest) },
	};

	if (len >= 5 && strneq(line, "HTTP/", 5)) {
		reset_headers(t->resp);
		return len;
	}
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return len;
	name_len = (size_t) (colon - line);
	for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
		char **field = (char **) ((uint8_t *) t->resp + wanted[i].offset);
		const char *v = colon + 1, *end = line + len;

		if (name_len != strlen(wanted[i].name) || strncasecmp(line, wanted[i].name, name_len) != 0 || *field)
			continue;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*field = strndup(v, (size_t) (end - v));
		if (!*field) {
			t->error = -ENOMEM;
			return 0;
		}
	}
	return len;
}

/* "bytes START-END/TOTAL" must start where we asked: anything else would splice the
 * wrong bytes into the partial file. */
static int check_content_range(CURL *curl, uint64_t want) {
	struct curl_header *h = NULL;
	uint64_t start;

	if (curl_easy_header(curl, "Content-Range", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
		return -EPROTO;
	if (sscanf(h->value, "bytes %" SCNu64 "-", &start) != 1 || start != want)
		return -EPROTO;
	return 0;
}

static int start_body(Transfer *t) {
	long status = 0;
	int r;

	t->started = true;
	(void) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	t->to_sink = status >= 200 && status < 300;
	if (!t->to_sink)
		return 0;
	if (status == 206) {
		if (t->req->range_start == 0 || check_content_range(t->curl, t->req->range_start) < 0) {
			t->error_text = strdup("the server sent a range that was not asked for");
			return -EPROTO;
		}
	}
	if (t->req->begin) {
		r = t->req->begin(status, t->req->userdata);
		if (r < 0)
			return r;
	}
	if (t->req->sink)
		t->resp->sink_called = true;
	return 0;
}

static int append_body(Transfer *t, const void *p, size_t n, size_t max, bool truncate) {
	HttpResponse *resp = t->resp;

	if (resp->body_size + n > max) {
		if (!truncate)
			return -EFBIG;
		n = max - resp->body_size;
	}
	char *m = realloc(resp->body, resp->body_size + n + 1);
	if (!m)
		return -ENOMEM;
	memcpy(m + resp->body_size, p, n);
	resp->body = m;
	resp->body_size += n;
	m[resp->body_size] = '\0';
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
	Transfer *t = userdata;
	size_t len = size * n;
	int r;

	if (!t->started) {
		r = start_body(t);
		if (r < 0) {
			t->error = r;
			return 0;   /* anything but n aborts the transfer */
		}
	}
	if (!t->to_sink)
		r = append_body(t, p, len, HTTP_ERROR_BODY_MAX, true);
	else if (t->req->sink)
		r = t->req->sink(p, len, t->req->userdata);
	else
		r = append_body(t, p, len, t->req->max_body ?: HTTP_MAX_BODY_DEFAULT, false);
	if (r < 0) {
		t->error = r;
		return 0;   /* anything but n aborts the transfer */
	}
	return len;
}

/* Transport failures as errno values the retry policy can reason about. */
static int curl_code_to_errno(CURLcode c) {
	switch (c) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:   /* the connection dropped during the handshake */
		return -ECONNRESET;
	case CURLE_TOO_MANY_REDIRECTS:
		return -ELOOP;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

bool http_error_is_transient(int r) {
	return r == -ECONNREFUSED || r == -ETIMEDOUT || r == -ECONNRESET || r == -EHOSTUNREACH;
}

static uint64_t max_recv_speed(void) {
	static bool loaded;
	static uint64_t speed;

	if (!loaded) {
		const char *e = getenv("KILN_FETCH_MAX_RECV_SPEED");
		char *end = NULL;
		unsigned long long v;

		loaded = true;
		if (e && *e) {
			errno = 0;
			v = strtoull(e, &end, 10);
			if (errno == 0 && end && *end == '\0')
				speed = v;
		}
	}
	return speed;
}

static int set_options(CURL *curl, const HttpRequest *req, struct curl_slist *headers, Transfer *t,
		       char errbuf[static CURL_ERROR_SIZE]) {
	uint64_t stall_sec = (req->stall_timeout_usec + 999999) / 1000000;
	char range[32];
	CURLcode c = CURLE_OK;

	if (stall_sec == 0)
		stall_sec = 30;
#define SET(opt, val) do { if (c == CURLE_OK) c = curl_easy_setopt(curl, opt, val); } while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_USERAGENT, "kiln/" KILN_VERSION);
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, HTTP_MAX_REDIRECTS);
	/* Never to another host with our Authorization header (the default; said here so no
	 * one turns it on by accident). */
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_CONNECTTIMEOUT, (long) stall_sec);
	/* A transfer that moves less than one byte per second for stall_sec is stalled. */
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, (long) stall_sec);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	if (headers)
		SET(CURLOPT_HTTPHEADER, headers);
	if (req->range_start > 0) {
		(void) snprintf(range, sizeof range, "%" PRIu64 "-", req->range_start);
		SET(CURLOPT_RANGE, range);
	}
	if (max_recv_speed() > 0)
		SET(CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t) max_recv_speed());
#undef SET
	return c == CURLE_OK ? 0 : (c == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL);
}

static int add_header(struct curl_slist **l, const char *name, const char *value) {
	_cleanup_free_ char *line = NULL;
	struct curl_slist *n;

	if (!value)
		return 0;
	if (asprintf(&line, "%s: %s", name, value) < 0)
		return -ENOMEM;
	n = curl_slist_append(*l, line);
	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

static int global_init(void) {
	static bool done;

	/* Once per process; kiln's fetchers are single-threaded. */
	if (!done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -EIO;
		done = true;
	}
	return 0;
}

int http_get(const HttpRequest *req, HttpResponse *ret, char **ret_error) {
	_cleanup_(curl_easy_cleanupp) CURL *curl = NULL;
	_cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
	_cleanup_(http_response_done) HttpResponse resp = {};
	char errbuf[CURL_ERROR_SIZE] = "";
	Transfer t = { .req = req, .resp = &resp };
	const char *url = NULL;
	CURLcode c;
	int r;

	if (!req || !req->url || !ret || !ret_error)
		return -EINVAL;
	r = global_init();
	if (r < 0)
		return r;
	curl = curl_easy_init();
	if (!curl)
		return -ENOMEM;
	t.curl = curl;
	if ((r = add_header(&headers, "Accept", req->accept)) < 0 ||
	    (r = add_header(&headers, "Authorization", req->authorization)) < 0)
		return r;
	r = set_options(curl, req, headers, &t, errbuf);
	if (r < 0)
		return r;

	c = curl_easy_perform(curl);
	if (c == CURLE_OK && !t.started) {
		/* An empty body: the begin callback still has to see the status. */
		r = start_body(&t);
		if (r < 0) {
			t.error = r;
			c = CURLE_WRITE_ERROR;
		}
	}
	if (c != CURLE_OK) {
		r = t.error < 0 ? t.error : curl_code_to_errno(c);
		if (t.error_text)
			*ret_error = TAKE_PTR(t.error_text);
		else if (t.error == -EFBIG)
			/* curl only knows that a callback said stop. */
			*ret_error = strdup("the response is larger than expected");
		else if (t.error < 0)
			*ret_error = strdup(strerror(-t.error));
		else if (asprintf(ret_error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c)) < 0)
			*ret_error = NULL;
		return r;
	}
	(void) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
	if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url) {
		resp.effective_url = strdup(url);
		if (!resp.effective_url)
			return -ENOMEM;
	}
	*ret = resp;
	resp = (HttpResponse) {};
	return 0;
}
