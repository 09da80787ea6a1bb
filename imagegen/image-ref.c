/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blob-cache.h"
#include "image-ref.h"
#include "macro.h"

#define DOCKER_HUB "docker.io"
#define DOCKER_HUB_API "registry-1.docker.io"
#define NAME_MAX_LENGTH 255
#define TAG_MAX_LENGTH 128

void image_ref_done(ImageRef *r) {
	if (!r)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	*r = (ImageRef) {};
}

static bool is_lower_alnum(char c) {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* */
static bool path_component_valid(const char *s, size_t n) {
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		if (s[i] == '.')
			j = i + 1;
		else if (s[i] == '_')
			j = i + 1 + (i + 1 < n && s[i + 1] == '_');
		else if (s[i] == '-')
			while (j < n && s[j] == '-')
				j++;
		else
			return false;
		if (j >= n || !is_lower_alnum(s[j]))
			return false;
		i = j;
	}
	return true;
}

static bool repository_valid(const char *s) {
	for (;;) {
		const char *slash = strchr(s, '/');
		size_t n = slash ? (size_t) (slash - s) : strlen(s);
		if (!path_component_valid(s, n))
			return false;
		if (!slash)
			return true;
		s = slash + 1;
	}
}

/* A DNS label: letters, digits, inner '-'. */
static bool label_valid(const char *s, size_t n) {
	if (n == 0 || n > 63 || !isalnum((unsigned char) s[0]) || !isalnum((unsigned char) s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char) s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool port_valid(const char *s) {
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char) s[0]) || strlen(s) > 5)
		return false;
	v = strtoul(s, &end, 10);
	return *end == '\0' && v > 0 && v <= 65535;
}

/* host[:port], host a DNS name, an IPv4 address or "[IPv6]". */
static bool registry_valid(const char *s) {
	const char *port = NULL;
	_cleanup_free_ char *host = NULL;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		struct in6_addr a6;
		if (!close)
			return false;
		host = strndup(s + 1, (size_t) (close - s - 1));
		if (!host || inet_pton(AF_INET6, host, &a6) != 1)
			return false;
		if (close[1] == '\0')
			return true;
		return close[1] == ':' && port_valid(close + 2);
	}
	port = strchr(s, ':');
	host = port ? strndup(s, (size_t) (port - s)) : strdup(s);
	if (!host || (port && !port_valid(port + 1)))
		return false;
	for (const char *p = host;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t) (dot - p) : strlen(p);
		if (!label_valid(p, n))
			return false;
		if (!dot)
			return true;
		p = dot + 1;
	}
}

static bool tag_valid(const char *s) {
	size_t n = strlen(s);

	if (n == 0 || n > TAG_MAX_LENGTH || !(isalnum((unsigned char) s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* docker's rule for "is the first component a registry": a dot (a domain), a colon (a
 * port), a bracket (IPv6), or exactly "localhost". */
static bool first_is_registry(const char *s, size_t n) {
	return memchr(s, '.', n) || memchr(s, ':', n) || memchr(s, '[', n) ||
	       (n == STRLEN("localhost") && strneq(s, "localhost", n));
}

int image_ref_parse(const char *text, ImageRef *ret) {
	_cleanup_free_ char *copy = NULL, *registry = NULL, *repository = NULL, *tag = NULL, *digest = NULL;
	char *at, *name, *slash, *colon, *last_slash;

	if (!text || !ret)
		return -EINVAL;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;

	at = strchr(copy, '@');
	if (at) {
		*at = '\0';
		if (blob_digest_parse(at + 1, NULL, NULL) < 0)
			return -EINVAL;
		digest = strdup(at + 1);
		if (!digest)
			return -ENOMEM;
	}

	/* A ':' after the last '/' starts the tag; one before it is a registry's port. */
	name = copy;
	last_slash = strrchr(name, '/');
	colon = strrchr(last_slash ?: name, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_valid(colon + 1))
			return -EINVAL;
		tag = strdup(colon + 1);
		if (!tag)
			return -ENOMEM;
	}

	slash = strchr(name, '/');
	if (slash && first_is_registry(name, (size_t) (slash - name))) {
		*slash = '\0';
		if (!registry_valid(name))
			return -EINVAL;
		registry = strdup(streq(name, "index.docker.io") ? DOCKER_HUB : name);
		name = slash + 1;
	} else
		registry = strdup(DOCKER_HUB);
	if (!registry)
		return -ENOMEM;

	/* Docker Hub's official images live under library/. */
	if (streq(registry, DOCKER_HUB) && !strchr(name, '/')) {
		if (asprintf(&repository, "library/%s", name) < 0)
			return -ENOMEM;
	} else if (!(repository = strdup(name)))
		return -ENOMEM;
	if (!repository_valid(repository) || strlen(registry) + 1 + strlen(repository) > NAME_MAX_LENGTH)
		return -EINVAL;

	if (!tag && !digest && !(tag = strdup("latest")))
		return -ENOMEM;

	*ret = (ImageRef) {
		.registry = TAKE_PTR(registry),
		.repository = TAKE_PTR(repository),
		.tag = TAKE_PTR(tag),
		.digest = TAKE_PTR(digest),
	};
	return 0;
}

int image_ref_format(const ImageRef *r, char **ret) {
	if (!r || !r->registry || !r->repository || !ret)
		return -EINVAL;
	return asprintf(ret, "%s/%s%s%s%s%s", r->registry, r->repository, r->tag ? ":" : "", r->tag ?: "",
			r->digest ? "@" : "", r->digest ?: "") < 0 ? -ENOMEM : 0;
}

int registry_is_loopback(const char *host_port) {
	_cleanup_free_ char *host = NULL;
	struct in_addr a4;
	const char *end;

	if (!host_port)
		return -EINVAL;
	if (host_port[0] == '[') {
		end = strchr(host_port, ']');
		if (!end)
			return -EINVAL;
		host = strndup(host_port + 1, (size_t) (end - host_port - 1));
		if (!host)
			return -ENOMEM;
		return streq(host, "::1");
	}
	end = strchr(host_port, ':');
	host = end ? strndup(host_port, (size_t) (end - host_port)) : strdup(host_port);
	if (!host)
		return -ENOMEM;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int registry_api_url(const char *registry, char **ret_url) {
	int loopback;

	if (!registry || !ret_url)
		return -EINVAL;
	if (streq(registry, DOCKER_HUB))
		registry = DOCKER_HUB_API;
	loopback = registry_is_loopback(registry);
	if (loopback < 0)
		return loopback;
	return asprintf(ret_url, "%s://%s/v2/", loopback ? "http" : "https", registry) < 0 ? -ENOMEM : 0;
}
