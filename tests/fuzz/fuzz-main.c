/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Without libFuzzer: feed every file of the given corpus directories (or the given files)
 * to LLVMFuzzerTestOneInput once, in name order, printing TAP. A crash or a sanitizer
 * report ends the program and so fails the test; the last "# running" line names the
 * input that did it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fuzz.h"
#include "macro.h"

/* Generous: corpus files are small, but an input at the loader's size limit must fit. */
#define INPUT_MAX (4 * 1024 * 1024)

static unsigned n_run, n_failed;

static int read_all(const char *path, uint8_t **ret, size_t *ret_size) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size = 0;

	if (fd < 0)
		return negative_errno();
	buf = malloc(INPUT_MAX);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + size, INPUT_MAX - size);
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		size += n;
		if (size == INPUT_MAX)
			return -EFBIG;
	}
	/* An exact-size copy, so that ASan catches a read past the end of the input. */
	uint8_t *exact = malloc(MAX(size, (size_t) 1));
	if (!exact)
		return -ENOMEM;
	memcpy(exact, buf, size);
	*ret = exact;
	*ret_size = size;
	return 0;
}

static void run_file(const char *path) {
	_cleanup_free_ uint8_t *data = NULL;
	size_t size = 0;
	int r;

	n_run++;
	r = read_all(path, &data, &size);
	if (r < 0) {
		n_failed++;
		printf("not ok %u - %s: cannot read: %s\n", n_run, path, strerror(-r));
		return;
	}
	printf("# running %s (%zu bytes)\n", path, size);
	fflush(stdout);
	(void) LLVMFuzzerTestOneInput(data, size);
	printf("ok %u - %s\n", n_run, path);
	fflush(stdout);
}

static int filter_hidden(const struct dirent *d) {
	return d->d_name[0] != '.';
}

static void run_path(const char *path) {
	struct dirent **entries = NULL;
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	int n = scandir(path, &entries, filter_hidden, alphasort);
	if (n < 0) {
		n_run++, n_failed++;
		printf("not ok %u - %s: cannot list: %m\n", n_run, path);
		return;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *child = NULL;
		if (asprintf(&child, "%s/%s", path, entries[i]->d_name) >= 0)
			run_file(child);
		free(entries[i]);
	}
	free(entries);
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "Usage: %s CORPUS-DIR|FILE...\n", program_invocation_short_name);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("1..%u\n", n_run);
	return n_failed > 0 || n_run == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
