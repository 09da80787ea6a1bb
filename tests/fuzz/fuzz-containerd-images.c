/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the decoding of containerd's Images/List reply (supervisor/containerd-images.c),
 * bytes the supervisor reads from a socket, and the images phase's verdicts on what it
 * decodes (supervisor/seeded-images.c): no crash, no leak; an error is -EBADMSG (or
 * -ENOMEM) with the outputs untouched; a success gives images that each have a name and
 * whole label pairs, and one verdict per expected image that agrees with the records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "containerd-images.h"
#include "fuzz.h"
#include "macro.h"
#include "seeded-images.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	ContainerdImage *images = (ContainerdImage *) data;
	size_t n = SIZE_MAX;
	int r;

	r = containerd_parse_images_reply(data, size, &images, &n);
	if (r < 0) {
		if ((r != -EBADMSG && r != -ENOMEM) || images != (ContainerdImage *) data || n != SIZE_MAX)
			abort();
		return 0;
	}
	if (r != 0 || (n == 0) != (images == NULL))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!images[i].name || strv_length(images[i].labels) % 2 != 0)
			abort();
		for (char **l = images[i].labels; l && *l; l += 2)
			if (containerd_image_label(&images[i], l[0]) == NULL)
				abort();
	}

	/* Judge the first image's name against its own digest and another one. */
	if (n > 0) {
		ImageInfoImage expected[] = {
			{ images[0].name, images[0].target_digest ?: (char *) "" },
			{ (char *) "fuzz/absent:1", (char *) "sha256:00" },
		};
		SeededImageResult *res = NULL;
		_cleanup_free_ char *detail = NULL;
		int wrong = seeded_images_check(expected, ELEMENTSOF(expected), images, n, &res);
		if (wrong < 1 || wrong > 2 || !res || res[1].verdict != SEEDED_IMAGE_MISSING)
			abort();
		if (seeded_images_describe(res, ELEMENTSOF(expected), &detail) < 0 || !detail ||
		    !strstr(detail, "fuzz/absent:1 missing"))
			abort();
		free(res);
	}
	containerd_images_free(images, n);
	return 0;
}
