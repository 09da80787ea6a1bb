/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* images-check-driver SOCKET IMAGE_JSON: the images phase's check (node-phases.c,
 * images_present()) against the containerd on SOCKET, for tests/integration/
 * test-store-seed.sh. Prints one line per seeded image, "VERDICT NAME [FOUND-DIGEST]",
 * then "detail: <the phase's detail>". Exit status: 0 all ok, 1 some image wrong, 2 the
 * check could not run (the error on standard error). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerd-images.h"
#include "image-info.h"
#include "runtime.h"
#include "seeded-images.h"

int main(int argc, char **argv) {
	_cleanup_(image_info_freep) ImageInfo *info = NULL;
	_cleanup_free_ SeededImageResult *results = NULL;
	_cleanup_free_ char *detail = NULL;
	ContainerdImage *present = NULL;
	size_t n_present = 0;
	int r, wrong;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SOCKET IMAGE_JSON\n", argv[0]);
		return 2;
	}
	r = image_info_load(argv[2], &info);
	if (r < 0) {
		fprintf(stderr, "image_info_load %s: %s\n", argv[2], strerror(-r));
		return 2;
	}
	r = containerd_list_images(argv[1], CONTAINERD_K8S_NAMESPACE, RUNTIME_CRI_TIMEOUT_USEC, &present, &n_present);
	if (r < 0) {
		fprintf(stderr, "containerd_list_images %s: %s\n", argv[1], strerror(-r));
		return 2;
	}
	wrong = seeded_images_check(info->images, info->n_images, present, n_present, &results);
	if (wrong < 0 || seeded_images_describe(results, info->n_images, &detail) < 0) {
		fprintf(stderr, "out of memory\n");
		containerd_images_free(present, n_present);
		return 2;
	}
	for (size_t i = 0; i < info->n_images; i++)
		printf("%s %s%s%s\n", seeded_image_verdict_to_string(results[i].verdict), results[i].expected->name,
		       results[i].found_digest ? " " : "", results[i].found_digest ?: "");
	printf("detail: %s\n", detail);
	containerd_images_free(present, n_present);
	return wrong > 0 ? 1 : 0;
}
