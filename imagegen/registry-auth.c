/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "alloc-util.h"
#include "fileio.h"
#include "image-ref.h"
#include "registry-auth.h"

#define TOKEN_EXPIRES_DEFAULT_SEC 60
/* Renew a little early: a token that expires in flight costs a 401 and a retry. */
#define TOKEN_EXPIRY_MARGIN_USEC (5ULL * 1000 * 1000)
#define TOKEN_REPLY_MAX ((size_t) 1024 * 1024)
#define CREDENTIALS_FILE_MAX ((size_t) 1024 * 1024)

void auth_challenge_done(AuthChallenge *c) {
	if (!c)
		return;
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	*c = (AuthChallenge) {};
}

/* RFC 7230 tchar. */
static bool is_token_char(char c) {
	return isalnum((unsigned char) c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_space(const char *p) {
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token or a quoted string at *p; *p is moved past it. */
static int parse_value(const char **p, char **ret) {
	const char *s = *p;
	_cleanup_free_ char *v = NULL;
	size_t n = 0;

	if (*s != '"') {
		while (is_token_char(s[n]) || s[n] == '/' || s[n] == ':' || s[n] == '=')
			n++;
		if (n == 0)
			return -EINVAL;
		v = strndup(s, n);
		if (!v)
			return -ENOMEM;
		*p = s + n;
		*ret = TAKE_PTR(v);
		return 0;
	}
	v = malloc(strlen(s));
	if (!v)
		return -ENOMEM;
	for (s++; *s != '"'; s++) {
		if (*s == '\0')
			return -EINVAL;
		if (*s == '\\' && *++s == '\0')
			return -EINVAL;
		v[n++] = *s;
	}
	v[n] = '\0';
	*p = s + 1;
	*ret = TAKE_PTR(v);
	return 0;
}

int auth_challenge_parse(const char *header, AuthChallenge *ret) {
	_cleanup_(auth_challenge_done) AuthChallenge c = {};
	const char *p;
	size_t n = 0;
	int r;

	if (!header || !ret)
		return -EINVAL;
	p = skip_space(header);
	while (is_token_char(p[n]))
		n++;
	if (n == 0)
		return -EINVAL;
	c.scheme = strndup(p, n);
	if (!c.scheme)
		return -ENOMEM;
	for (char *s = c.scheme; *s; s++)
		*s = (char) tolower((unsigned char) *s);
	p += n;
	if (*p && *p != ' ' && *p != '\t')
		return -EINVAL;

	for (p = skip_space(p); *p;) {
		_cleanup_free_ char *value = NULL;
		const char *name = p;
		size_t name_len = 0;
		static const struct {
			const char *name;
			size_t offset;
		} params[] = {
			{ "realm", offsetof(AuthChallenge, realm) },
			{ "service", offsetof(AuthChallenge, service) },
			{ "scope", offsetof(AuthChallenge, scope) },
		};

		while (is_token_char(p[name_len]))
			name_len++;
		if (name_len == 0)
			return -EINVAL;
		p = skip_space(p + name_len);
		if (*p != '=')
			return -EINVAL;
		p = skip_space(p + 1);
		r = parse_value(&p, &value);
		if (r < 0)
			return r;
		for (size_t i = 0; i < ELEMENTSOF(params); i++) {
			char **field = (char **) ((char *) &c + params[i].offset);
			if (name_len == strlen(params[i].name) && strncasecmp(name, params[i].name, name_len) == 0) {
				free(*field);
				*field = TAKE_PTR(value);
			}
		}
		p = skip_space(p);
		if (*p == ',')
			p = skip_space(p + 1);
		else if (*p)
			return -EINVAL;
	}
	*ret = c;
	c = (AuthChallenge) {};
	return 0;
}

/* "https://index.docker.io/v1/" -> "docker.io", "http://host:5000/x" -> "host:5000". */
static char *normalize_auth_key(const char *key) {
	const char *s = key, *end;

	if (strneq(s, "https://", 8))
		s += 8;
	else if (strneq(s, "http://", 7))
		s += 7;
	end = strchr(s, '/');
	char *host = end ? strndup(s, (size_t) (end - s)) : strdup(s);
	if (host && (streq(host, "index.docker.io") || streq(host, "registry-1.docker.io"))) {
		free(host);
		host = strdup("docker.io");
	}
	return host;
}

static int base64_credentials(const char *user, const char *password, char **ret) {
	_cleanup_free_ char *plain = NULL, *out = NULL;
	int n;

	n = asprintf(&plain, "%s:%s", user, password);
	if (n < 0)
		return -ENOMEM;
	out = malloc(4 * (((size_t) n + 2) / 3) + 1);
	if (!out)
		return -ENOMEM;
	(void) EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) plain, n);
	explicit_bzero(plain, (size_t) n);
	*ret = TAKE_PTR(out);
	return 0;
}

int registry_credentials_lookup(const char *path, const char *registry, char **ret_auth) {
	_cleanup_free_ char *data = NULL;
	json_t *doc, *auths, *entry;
	const char *key;
	size_t size;
	int r;

	if (!path || !registry || !ret_auth)
		return -EINVAL;
	r = read_full_file(path, &data, &size);
	if (r < 0)
		return r;
	doc = json_loadb(data, size, 0, NULL);
	explicit_bzero(data, size);
	if (!doc)
		return -EBADMSG;
	auths = json_object_get(doc, "auths");
	if (!json_is_object(doc) || (auths && !json_is_object(auths))) {
		json_decref(doc);
		return -EBADMSG;
	}
	_cleanup_free_ char *found = NULL;
	r = 0;
	json_object_foreach(auths, key, entry) {
		_cleanup_free_ char *host = normalize_auth_key(key);
		const char *auth, *user, *password;

		if (!host) {
			r = -ENOMEM;
			break;
		}
		if (!streq(host, registry))
			continue;
		auth = json_string_value(json_object_get(entry, "auth"));
		user = json_string_value(json_object_get(entry, "username"));
		password = json_string_value(json_object_get(entry, "password"));
		if (auth && *auth)
			r = (found = strdup(auth)) ? 0 : -ENOMEM;
		else if (user && password)
			r = base64_credentials(user, password, &found);
		break;
	}
	json_decref(doc);
	if (r < 0)
		return r;
	*ret_auth = TAKE_PTR(found);
	return 0;
}

/* Tokens for the run, per registry and scope. */
typedef struct CachedToken {
	char *key;          /* "registry scope" */
	char *header;       /* "Bearer ..." or "Basic ..." */
	uint64_t expires;   /* CLOCK_MONOTONIC usec; UINT64_MAX: never */
} CachedToken;

static CachedToken *tokens;
static size_t n_tokens, n_tokens_allocated;

static uint64_t now_usec(void) {
	struct timespec ts;
	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

void registry_auth_forget_tokens(void) {
	for (size_t i = 0; i < n_tokens; i++) {
		free(tokens[i].key);
		explicit_bzero(tokens[i].header, strlen(tokens[i].header));
		free(tokens[i].header);
	}
	free(tokens);
	tokens = NULL;
	n_tokens = n_tokens_allocated = 0;
}

static const char *token_lookup(const char *key) {
	for (size_t i = 0; i < n_tokens; i++)
		if (streq(tokens[i].key, key))
			return tokens[i].expires > now_usec() ? tokens[i].header : NULL;
	return NULL;
}

static int token_store(const char *key, const char *header, uint64_t expires) {
	char *h = strdup(header);

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < n_tokens; i++)
		if (streq(tokens[i].key, key)) {
			free(tokens[i].header);
			tokens[i].header = h;
			tokens[i].expires = expires;
			return 0;
		}
	char *k = strdup(key);
	if (!k || !GREEDY_REALLOC(tokens, n_tokens_allocated, n_tokens + 1)) {
		free(k);
		free(h);
		return -ENOMEM;
	}
	tokens[n_tokens++] = (CachedToken) { .key = k, .header = h, .expires = expires };
	return 0;
}

static char *default_scope(const RegistryAuth *a) {
	char *s = NULL;
	return asprintf(&s, "repository:%s:pull", a->repository) < 0 ? NULL : s;
}

static char *token_key(const RegistryAuth *a, const char *scope) {
	char *s = NULL;
	return asprintf(&s, "%s %s", a->registry, scope) < 0 ? NULL : s;
}

int registry_auth_init(RegistryAuth *a, const FetchOptions *o, const char *registry, const char *repository) {
	_cleanup_free_ char *reg = strdup(registry ?: ""), *repo = strdup(repository ?: "");

	if (!a || !o || !registry || !repository)
		return -EINVAL;
	if (!reg || !repo)
		return -ENOMEM;
	*a = (RegistryAuth) { .o = o, .registry = TAKE_PTR(reg), .repository = TAKE_PTR(repo) };
	return 0;
}

void registry_auth_done(RegistryAuth *a) {
	if (!a)
		return;
	free(a->registry);
	free(a->repository);
	if (a->header)
		explicit_bzero(a->header, strlen(a->header));
	free(a->header);
	*a = (RegistryAuth) {};
}

static const char *auth_header(void *userdata) {
	RegistryAuth *a = userdata;
	_cleanup_free_ char *scope = NULL, *key = NULL;

	if (a->header)
		return a->header;
	/* Reuse a token an earlier call of this run obtained for the same scope. */
	scope = default_scope(a);
	key = scope ? token_key(a, scope) : NULL;
	return key ? token_lookup(key) : NULL;
}

/* Percent-encode everything but RFC 3986 unreserved characters. */
static char *url_escape(const char *s) {
	char *out = malloc(3 * strlen(s) + 1), *w = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (isalnum((unsigned char) *s) || strchr("-._~", *s))
			*w++ = *s;
		else
			w += sprintf(w, "%%%02X", (unsigned char) *s);
	}
	*w = '\0';
	return out;
}

static const char *basic_header(void *userdata) {
	return userdata;
}

static int credentials_for(const RegistryAuth *a, char **ret_auth, char **ret_error) {
	const char *path = getenv("KILN_REGISTRY_AUTH");
	int r;

	*ret_auth = NULL;
	if (isempty(path))
		return 0;
	r = registry_credentials_lookup(path, a->registry, ret_auth);
	if (r < 0)
		return asprintf(ret_error, "cannot read the credentials in KILN_REGISTRY_AUTH=%s: %s", path,
				r == -EBADMSG ? "not a docker config.json" : strerror(-r)) < 0 ? -ENOMEM : r;
	return 0;
}

/* Only a loopback host may see credentials in clear text. */
static int check_plain_http(const char *url, const char *to, char **ret_error) {
	_cleanup_free_ char *host = NULL;
	const char *s, *end;

	if (!strneq(url, "http://", 7))
		return 0;
	s = url + 7;
	end = s + strcspn(s, "/?#");
	host = strndup(s, (size_t) (end - s));
	if (!host)
		return -ENOMEM;
	if (registry_is_loopback(host) > 0)
		return 0;
	return asprintf(ret_error, "refusing to send credentials over plain http to %s", to) < 0 ? -ENOMEM : -EPERM;
}

static int fetch_token(RegistryAuth *a, const AuthChallenge *c, const char *scope, const char *credentials,
		       char **ret_header, uint64_t *ret_expires, char **ret_error) {
	_cleanup_free_ char *url = NULL, *service = NULL, *escaped_scope = NULL, *basic = NULL, *error = NULL;
	_cleanup_(http_response_done) HttpResponse resp = {};
	FetchAuth auth = { .header = basic_header };
	const char *token;
	json_t *doc;
	json_int_t expires_in;
	int r;

	if (!strneq(c->realm, "https://", 8) && !strneq(c->realm, "http://", 7))
		return asprintf(ret_error, "the token realm %s is not an http(s) URL", c->realm) < 0 ? -ENOMEM : -EPROTO;
	service = url_escape(c->service ?: "");
	escaped_scope = url_escape(scope);
	if (!service || !escaped_scope ||
	    asprintf(&url, "%s%sservice=%s&scope=%s", c->realm, strchr(c->realm, '?') ? "&" : "?", service,
		     escaped_scope) < 0)
		return -ENOMEM;
	if (credentials) {
		r = check_plain_http(c->realm, "the token server", ret_error);
		if (r < 0)
			return r;
		if (asprintf(&basic, "Basic %s", credentials) < 0)
			return -ENOMEM;
		auth.userdata = basic;
	}

	r = fetch_memory(a->o, url, c->realm, NULL, credentials ? &auth : NULL, TOKEN_REPLY_MAX, &resp, &error);
	if (basic)
		explicit_bzero(basic, strlen(basic));
	if (r == -EACCES)
		return asprintf(ret_error, credentials
				? "the token server refused the credentials for %s from KILN_REGISTRY_AUTH (%s)"
				: "authentication required: KILN_REGISTRY_AUTH has no credentials for %s (%s)",
				a->registry, error ?: c->realm) < 0 ? -ENOMEM : r;
	if (r < 0) {
		*ret_error = TAKE_PTR(error);
		return r;
	}

	doc = json_loadb(resp.body ?: "", resp.body_size, 0, NULL);
	token = json_string_value(json_object_get(doc, "token"));
	if (isempty(token))
		token = json_string_value(json_object_get(doc, "access_token"));
	if (isempty(token)) {
		json_decref(doc);
		return asprintf(ret_error, "the token server %s sent no token", c->realm) < 0 ? -ENOMEM : -EBADMSG;
	}
	expires_in = json_integer_value(json_object_get(doc, "expires_in"));
	if (expires_in <= 0)
		expires_in = TOKEN_EXPIRES_DEFAULT_SEC;
	r = asprintf(ret_header, "Bearer %s", token) < 0 ? -ENOMEM : 0;
	json_decref(doc);
	explicit_bzero(resp.body, resp.body_size);
	*ret_expires = now_usec() + (uint64_t) expires_in * 1000000 - TOKEN_EXPIRY_MARGIN_USEC;
	return r;
}

static int auth_renew(void *userdata, const char *www_authenticate, char **ret_error) {
	RegistryAuth *a = userdata;
	_cleanup_(auth_challenge_done) AuthChallenge c = {};
	_cleanup_free_ char *credentials = NULL, *scope = NULL, *key = NULL, *header = NULL;
	uint64_t expires = UINT64_MAX;
	int r;

	if (!www_authenticate || auth_challenge_parse(www_authenticate, &c) < 0)
		return asprintf(ret_error, "%s answered 401 without a usable WWW-Authenticate challenge",
				a->registry) < 0 ? -ENOMEM : -EACCES;
	/* Whatever we sent (nothing, or an expired token) was not enough. request() renews
	 * once per request, so a token that lacks the access ends there as HTTP 401. */
	a->header = mfree_str(a->header);
	r = credentials_for(a, &credentials, ret_error);
	if (r < 0)
		return r;
	scope = c.scope ? strdup(c.scope) : default_scope(a);
	key = scope ? token_key(a, scope) : NULL;
	if (!key)
		return -ENOMEM;

	if (streq(c.scheme, "bearer")) {
		if (!c.realm)
			return asprintf(ret_error, "%s: bearer challenge without a realm", a->registry) < 0 ? -ENOMEM : -EPROTO;
		r = fetch_token(a, &c, scope, credentials, &header, &expires, ret_error);
		if (r < 0)
			return r;
	} else if (streq(c.scheme, "basic")) {
		_cleanup_free_ char *api = NULL;
		if (!credentials)
			return asprintf(ret_error, "%s: authentication required, and KILN_REGISTRY_AUTH has no credentials for it",
					a->registry) < 0 ? -ENOMEM : -EACCES;
		r = registry_api_url(a->registry, &api);
		if (r < 0)
			return r;
		r = check_plain_http(api, a->registry, ret_error);
		if (r < 0)
			return r;
		if (asprintf(&header, "Basic %s", credentials) < 0)
			return -ENOMEM;
	} else
		return asprintf(ret_error, "%s: unsupported authentication scheme \"%s\"", a->registry, c.scheme) < 0
			? -ENOMEM : -EOPNOTSUPP;

	r = token_store(key, header, expires);
	if (r < 0)
		return r;
	a->header = TAKE_PTR(header);
	return 0;
}

FetchAuth registry_auth_fetch_auth(RegistryAuth *a) {
	return (FetchAuth) { .header = auth_header, .renew = auth_renew, .userdata = a };
}
