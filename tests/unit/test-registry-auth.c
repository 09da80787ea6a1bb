/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "registry-auth.h"
#include "tap.h"

static void test_challenges(void) {
	static const struct {
		const char *in, *scheme, *realm, *service, *scope;
	} v[] = {
		{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
		  "bearer", "https://auth.docker.io/token", "registry.docker.io", "repository:library/busybox:pull" },
		/* Commas inside quotes belong to the value; spaces around '=' and ','. */
		{ "bearer  realm = \"http://127.0.0.1:1/t\" , scope=\"repository:a/b:pull,push\", service=reg",
		  "bearer", "http://127.0.0.1:1/t", "reg", "repository:a/b:pull,push" },
		{ "Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL },
		{ "Bearer realm=\"a\\\"b\\\\c\"", "bearer", "a\"b\\c", NULL, NULL },
		{ "BEARER REALM=\"x\",Unknown=\"y\",error=\"invalid_token\"", "bearer", "x", NULL, NULL },
		{ "Bearer", "bearer", NULL, NULL, NULL },
		{ "Bearer realm=x,realm=y", "bearer", "y", NULL, NULL },
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		AuthChallenge c = {};
		if (!ok(auth_challenge_parse(v[i].in, &c) == 0, "parses: %s", v[i].in))
			continue;
		is_str(c.scheme, v[i].scheme, "scheme");
		ok(v[i].realm ? c.realm && streq(c.realm, v[i].realm) : !c.realm, "realm %s", c.realm ?: "(none)");
		ok(v[i].service ? c.service && streq(c.service, v[i].service) : !c.service, "service %s", c.service ?: "(none)");
		ok(v[i].scope ? c.scope && streq(c.scope, v[i].scope) : !c.scope, "scope %s", c.scope ?: "(none)");
		auth_challenge_done(&c);
	}

	static const char *const bad[] = {
		"", "   ", "Bearer realm", "Bearer realm=", "Bearer realm=\"unterminated", "Bearer realm=\"x\" junk",
		"Bearer =x", "Bearer realm=\"x\\", "Be@rer realm=x", "Bearer realm=\"x\",,",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		AuthChallenge c = { .scheme = (char *) "untouched" };
		int r = auth_challenge_parse(bad[i], &c);
		ok(r == -EINVAL && streq(c.scheme, "untouched"), "malformed: \"%s\" (%d)", bad[i], r);
	}
}

static void test_credentials(const char *tmp) {
	_cleanup_free_ char *path = NULL, *a = NULL, *b = NULL, *c = NULL, *d = NULL, *none = NULL;
	char *untouched = (char *) "untouched";
	const char *config =
		"{\"auths\": {"
		"\"https://index.docker.io/v1/\": {\"auth\": \"aHViOnNlY3JldA==\"},"
		"\"127.0.0.1:5000\": {\"auth\": \"dXNlcjpwYXNz\"},"
		"\"http://reg.example:8443/some/path\": {\"username\": \"kiln\", \"password\": \"p@ss:word\"},"
		"\"empty.example\": {}"
		"}}";

	ok(asprintf(&path, "%s/config.json", tmp) > 0 &&
	   write_file_atomic(path, config, strlen(config), 0600, 0) == 0, "config.json written");
	is_int(registry_credentials_lookup(path, "docker.io", &a), 0, "docker.io from docker's Hub key");
	is_str(a, "aHViOnNlY3JldA==", "its auth");
	is_int(registry_credentials_lookup(path, "127.0.0.1:5000", &b), 0, "host:port key");
	is_str(b, "dXNlcjpwYXNz", "its auth");
	is_int(registry_credentials_lookup(path, "reg.example:8443", &c), 0, "key with scheme and path");
	is_str(c, "a2lsbjpwQHNzOndvcmQ=", "username and password are base64(user:password)");
	d = (char *) "x";
	is_int(registry_credentials_lookup(path, "127.0.0.1:5001", &d), 0, "another port: no credentials");
	ok(d == NULL, "NULL for none");
	d = NULL;
	is_int(registry_credentials_lookup(path, "empty.example", &none), 0, "an entry without auth");
	ok(none == NULL, "gives no credentials");

	_cleanup_free_ char *bad = NULL, *missing = NULL, *noauths = NULL;
	ok(asprintf(&bad, "%s/bad.json", tmp) > 0 && write_file_atomic(bad, "{\"auths\": [", 11, 0600, 0) == 0, "broken file");
	is_int(registry_credentials_lookup(bad, "docker.io", &untouched), -EBADMSG, "broken JSON: -EBADMSG");
	ok(asprintf(&noauths, "%s/noauths.json", tmp) > 0 && write_file_atomic(noauths, "{}", 2, 0600, 0) == 0, "{}");
	is_int(registry_credentials_lookup(noauths, "docker.io", &d), 0, "no auths object: fine");
	ok(d == NULL, "and no credentials");
	ok(asprintf(&missing, "%s/missing.json", tmp) > 0, "path");
	is_int(registry_credentials_lookup(missing, "docker.io", &untouched), -ENOENT, "missing file: -ENOENT");
	is_str(untouched, "untouched", "ret untouched on failure");
}

int main(void) {
	_cleanup_free_ char *tmp = tap_mkdtemp();
	if (!tmp)
		skip_all("cannot create a temporary directory");
	test_challenges();
	test_credentials(tmp);
	(void) rm_rf(tmp);
	return done_testing();
}
