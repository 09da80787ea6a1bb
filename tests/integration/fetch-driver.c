/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test driver for the fetch API (imagegen/fetch-http.h, oci-registry.h), run by
 * test-fetch.sh against a real docker-registry and HTTP servers on 127.0.0.1. Results go
 * to stdout, one "key value" per line; errors to stderr; exit 1 on failure.
 *
 *   fetch-driver [OPTIONS] file URL [DIGEST]   "digest D", "path P"
 *   fetch-driver [OPTIONS] resolve REF         "digest D", "media_type M", "size N", "platform_digest D"
 *   fetch-driver [OPTIONS] image REF DIGEST    "fetched REF"
 *   fetch-driver [OPTIONS] blobs DIGEST        one digest per line
 *
 * Options: --cache DIR (required), --platform OS/ARCH[/VARIANT], --retries N,
 * --backoff-ms N, --stall-ms N, --offline. The library's own log lines (retries,
 * "resuming at byte N") appear on stderr. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob-cache.h"
#include "fetch-http.h"
#include "log.h"
#include "oci-registry.h"
#include "strv.h"

static FetchOptions arg_options = {};

static int parse_number(const char *s, uint64_t *ret) {
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || !end || *end || end == s)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int fail(int r, char *error) {
	fprintf(stderr, "fetch-driver: %s (%s)\n", error ?: "failed", strerror(-r));
	free(error);
	return r;
}

static int do_file(int argc, char **argv) {
	_cleanup_free_ char *digest = NULL, *path = NULL;
	char *error = NULL;
	int r;

	if (argc < 2 || argc > 3)
		return -EINVAL;
	r = fetch_file(&arg_options, argv[1], argc == 3 ? argv[2] : NULL, &digest, &error);
	if (r < 0)
		return fail(r, error);
	r = blob_cache_path(arg_options.cache_dir, digest, &path);
	if (r < 0)
		return r;
	printf("digest %s\npath %s\n", digest, path);
	return 0;
}

static int do_resolve(int argc, char **argv) {
	RegistryResolved res = {};
	char *error = NULL;
	int r;

	if (argc != 2)
		return -EINVAL;
	r = registry_resolve(&arg_options, argv[1], &res, &error);
	if (r < 0)
		return fail(r, error);
	printf("digest %s\nmedia_type %s\nsize %" PRIu64 "\nplatform_digest %s\n", res.digest, res.media_type,
	       res.size, res.platform_digest);
	registry_resolved_done(&res);
	return 0;
}

static int do_image(int argc, char **argv) {
	char *error = NULL;
	int r;

	if (argc != 3)
		return -EINVAL;
	r = registry_fetch_image(&arg_options, argv[1], argv[2], &error);
	if (r < 0)
		return fail(r, error);
	printf("fetched %s\n", argv[1]);
	return 0;
}

static int do_blobs(int argc, char **argv) {
	_cleanup_strv_free_ char **l = NULL;
	char *error = NULL;
	int r;

	if (argc != 2)
		return -EINVAL;
	r = registry_image_blobs(&arg_options, argv[1], &l, &error);
	if (r < 0)
		return fail(r, error);
	STRV_FOREACH(d, l)
		printf("%s\n", *d);
	return 0;
}

static int run(int argc, char **argv) {
	static const struct option options[] = {
		{ "cache", required_argument, NULL, 'c' },
		{ "platform", required_argument, NULL, 'p' },
		{ "retries", required_argument, NULL, 'r' },
		{ "backoff-ms", required_argument, NULL, 'b' },
		{ "stall-ms", required_argument, NULL, 's' },
		{ "offline", no_argument, NULL, 'o' },
		{}
	};
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} verbs[] = {
		{ "file", do_file },
		{ "resolve", do_resolve },
		{ "image", do_image },
		{ "blobs", do_blobs },
	};
	uint64_t n;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
		switch (c) {
		case 'c':
			arg_options.cache_dir = optarg;
			break;
		case 'p':
			arg_options.platform = optarg;
			break;
		case 'r':
			if (parse_number(optarg, &n) < 0 || n > 100)
				return log_error_errno(-EINVAL, "Bad --retries: %s", optarg);
			arg_options.retries = (unsigned) n;
			break;
		case 'b':
		case 's':
			if (parse_number(optarg, &n) < 0 || n > UINT64_MAX / 1000)
				return log_error_errno(-EINVAL, "Bad number: %s", optarg);
			*(c == 'b' ? &arg_options.backoff_usec : &arg_options.stall_timeout_usec) = n * 1000;
			break;
		case 'o':
			arg_options.offline = true;
			break;
		default:
			return -EINVAL;
		}
	if (!arg_options.cache_dir || optind >= argc)
		return log_error_errno(-EINVAL, "Usage: fetch-driver --cache DIR [OPTIONS] file|resolve|image|blobs ARGS...");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (streq(argv[optind], verbs[i].name)) {
			int r = verbs[i].fn(argc - optind, argv + optind);
			if (r == -EINVAL)
				log_error("Wrong arguments for %s.", verbs[i].name);
			return r;
		}
	return log_error_errno(-EINVAL, "Unknown command %s.", argv[optind]);
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = run(argc, argv);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
