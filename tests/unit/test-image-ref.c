/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image-ref.h"
#include "tap.h"

#define D256 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D512 "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
	     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_valid(void) {
	static const struct {
		const char *in, *registry, *repository, *tag, *digest, *formatted;
	} v[] = {
		{ "busybox", "docker.io", "library/busybox", "latest", NULL, "docker.io/library/busybox:latest" },
		{ "busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, NULL },
		{ "library/busybox", "docker.io", "library/busybox", "latest", NULL, NULL },
		{ "docker.io/busybox", "docker.io", "library/busybox", "latest", NULL, NULL },
		{ "index.docker.io/calico/node:v3", "docker.io", "calico/node", "v3", NULL, NULL },
		{ "bitnami/redis", "docker.io", "bitnami/redis", "latest", NULL, NULL },
		{ "registry.k8s.io/pause:3.10", "registry.k8s.io", "pause", "3.10", NULL, NULL },
		{ "ghcr.io/a/b/c:v1.0-rc_1", "ghcr.io", "a/b/c", "v1.0-rc_1", NULL, NULL },
		{ "localhost/app", "localhost", "app", "latest", NULL, NULL },
		{ "localhost:5000/app:dev", "localhost:5000", "app", "dev", NULL, NULL },
		{ "127.0.0.1:5000/a/b:tag@" D256, "127.0.0.1:5000", "a/b", "tag", D256,
		  "127.0.0.1:5000/a/b:tag@" D256 },
		{ "quay.io/x/y@" D256, "quay.io", "x/y", NULL, D256, "quay.io/x/y@" D256 },
		{ "quay.io/x/y@" D512, "quay.io", "x/y", NULL, D512, NULL },
		{ "[::1]:5000/img:1", "[::1]:5000", "img", "1", NULL, NULL },
		{ "my-host/a", "docker.io", "my-host/a", "latest", NULL, NULL },   /* no '.', ':': a path */
		{ "a__b/c.d-e--f", "docker.io", "a__b/c.d-e--f", "latest", NULL, NULL },
		{ "Example.COM/x", "Example.COM", "x", "latest", NULL, NULL },      /* hosts may be upper case */
		{ "busybox:_x", "docker.io", "library/busybox", "_x", NULL, NULL },
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		ImageRef r = {};
		_cleanup_free_ char *f = NULL;
		int ret = image_ref_parse(v[i].in, &r);
		if (!ok(ret == 0, "%s parses", v[i].in)) {
			diag("returned %d", ret);
			continue;
		}
		is_str(r.registry, v[i].registry, "registry");
		is_str(r.repository, v[i].repository, "repository");
		ok(v[i].tag ? r.tag && streq(r.tag, v[i].tag) : !r.tag, "tag %s", v[i].tag ?: "(none)");
		ok(v[i].digest ? r.digest && streq(r.digest, v[i].digest) : !r.digest, "digest %s",
		   v[i].digest ? "as given" : "(none)");
		if (v[i].formatted) {
			is_int(image_ref_format(&r, &f), 0, "format");
			is_str(f, v[i].formatted, "normalized form");
		}
		image_ref_done(&r);
	}
}

static void test_invalid(void) {
	static const char *const bad[] = {
		"", ":tag", "@" D256, "Busybox", "busybox:", "busybox:-x", "busybox:a/b", "a//b", "a/", "/a",
		"_a", "a_", "a.", "a-", "a___b", "a..b", "busybox@sha256:abc", "busybox@sha256:" "0123456789ABCDEF"
		"0123456789abcdef0123456789abcdef0123456789abcdef", "busybox@md5:0123456789abcdef0123456789abcdef",
		"host:99999/a", "host:/a", "-host.io/a", "[::1/a", "[zz::1]:5000/a", "a b", "busybox:" 
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"x.io/a@" D256 "@" D256,
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		ImageRef r = { .registry = (char *) "untouched" };
		int ret = image_ref_parse(bad[i], &r);
		ok(ret == -EINVAL && streq(r.registry, "untouched"), "\"%s\" is malformed (%d), ret untouched", bad[i], ret);
	}
	/* 255 characters for registry/repository at most. */
	char long_name[300] = "x.io/";
	memset(long_name + 5, 'a', 250);
	long_name[255] = '\0';
	ImageRef r = {};
	is_int(image_ref_parse(long_name, &r), 0, "a name of 255 characters");
	image_ref_done(&r);
	long_name[255] = 'a';
	long_name[256] = '\0';
	is_int(image_ref_parse(long_name, &r), -EINVAL, "256 characters: -EINVAL");
	is_int(image_ref_parse(NULL, &r), -EINVAL, "NULL: -EINVAL");
}

static void test_api_url(void) {
	static const struct {
		const char *registry, *url;
	} v[] = {
		{ "docker.io", "https://registry-1.docker.io/v2/" },
		{ "ghcr.io", "https://ghcr.io/v2/" },
		{ "registry.example:5000", "https://registry.example:5000/v2/" },
		{ "localhost", "http://localhost/v2/" },
		{ "localhost:5000", "http://localhost:5000/v2/" },
		{ "127.0.0.1:5000", "http://127.0.0.1:5000/v2/" },
		{ "127.1.2.3", "http://127.1.2.3/v2/" },
		{ "[::1]:5000", "http://[::1]:5000/v2/" },
		{ "128.0.0.1:5000", "https://128.0.0.1:5000/v2/" },
		{ "127.0.0.1.example", "https://127.0.0.1.example/v2/" },
		{ "[::2]:5000", "https://[::2]:5000/v2/" },
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *url = NULL;
		is_int(registry_api_url(v[i].registry, &url), 0, v[i].registry);
		is_str(url, v[i].url, "API URL (https unless loopback)");
	}
}

int main(void) {
	test_valid();
	test_invalid();
	test_api_url();
	return done_testing();
}
