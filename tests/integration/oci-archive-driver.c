/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test driver for tests/integration/test-oci-archive.sh; never installed.
 *   oci-archive-driver check-layer FILE...
 *       oci_layer_check_fd() on each file: prints "ok FILE" or "refused FILE: REASON";
 *       exits 0 if all are safe, 1 if one is refused, 2 on any other error.
 *   oci-archive-driver write OUT CACHE EPOCH NAME DIGEST MEDIA-TYPE SIZE BLOB,BLOB... [...]
 *       oci_archive_write() of the images given as groups of five arguments into OUT;
 *       exits 0, or 1 with the error on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"
#include "oci-archive.h"
#include "oci-layer.h"
#include "strv.h"

static int check_layers(int argc, char **argv) {
	int ret = 0;

	for (int i = 0; i < argc; i++) {
		_cleanup_close_ int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		_cleanup_free_ char *error = NULL;
		int r = fd < 0 ? -errno : oci_layer_check_fd(fd, &error);

		if (r == 0)
			printf("ok %s\n", argv[i]);
		else if (r == -EBADMSG) {
			printf("refused %s: %s\n", argv[i], error);
			ret = MAX(ret, 1);
		} else {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(-r));
			ret = 2;
		}
	}
	return ret;
}

static char **split_commas(const char *s) {
	_cleanup_free_ char *copy = strdup(s);
	char **l = NULL, *save = NULL;

	if (!copy)
		return NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strv_extend(&l, t) < 0)
			return strv_free(l);
	return l;
}

static int write_archive(int argc, char **argv) {
	_cleanup_free_ OciArchiveImage *images = NULL;
	_cleanup_free_ char *error = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t n = (size_t) (argc - 3) / 5;
	int r;

	if (argc < 3 || (argc - 3) % 5 != 0) {
		fprintf(stderr, "write: OUT CACHE EPOCH, then NAME DIGEST MEDIA-TYPE SIZE BLOBS per image\n");
		return 2;
	}
	images = calloc(MAX(n, (size_t) 1), sizeof(OciArchiveImage));
	if (!images)
		return 2;
	for (size_t i = 0; i < n; i++) {
		char **a = argv + 3 + 5 * i;
		images[i] = (OciArchiveImage) {
			.name = a[0], .digest = a[1], .media_type = a[2],
			.size = strtoull(a[3], NULL, 10), .blobs = split_commas(a[4]),
		};
	}
	fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	r = fd < 0 ? -errno : oci_archive_write(fd, argv[1], images, n, strtoull(argv[2], NULL, 10), &error);
	for (size_t i = 0; i < n; i++)
		strv_free(images[i].blobs);
	if (r < 0) {
		fprintf(stderr, "oci_archive_write: %s: %s\n", strerror(-r), error ?: "(no detail)");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc >= 2 && streq(argv[1], "check-layer"))
		return check_layers(argc - 2, argv + 2);
	if (argc >= 2 && streq(argv[1], "write"))
		return write_archive(argc - 2, argv + 2);
	fprintf(stderr, "usage: %s check-layer FILE... | write OUT CACHE EPOCH IMAGE...\n", argv[0]);
	return 2;
}
