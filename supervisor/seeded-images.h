/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The images phase's verdict on each seeded image: what image.json says the builder left
 * in containerd's k8s.io namespace (name -> digest, pinned), against containerd's own
 * records of that namespace. Names are compared exactly; digests as containerd writes
 * them ("sha256:" and lower-case hex). */

#include <stddef.h>

#include "containerd-images.h"
#include "image-info.h"

typedef enum SeededImageVerdict {
	SEEDED_IMAGE_OK,            /* there, at its digest, pinned */
	SEEDED_IMAGE_MISSING,       /* no record of that name */
	SEEDED_IMAGE_WRONG_DIGEST,  /* the name points at another index or manifest */
	SEEDED_IMAGE_NOT_PINNED,    /* at its digest, but kubelet's image GC may remove it */
	_SEEDED_IMAGE_VERDICT_MAX,
} SeededImageVerdict;

const char *seeded_image_verdict_to_string(SeededImageVerdict v);

typedef struct SeededImageResult {
	const ImageInfoImage *expected;
	SeededImageVerdict verdict;   /* a wrong digest is reported before a missing pin */
	const char *found_digest;     /* WRONG_DIGEST: what the name points at ("" if nothing) */
} SeededImageResult;

/* One result per expected image, in expected's order (*ret NULL when n_expected is 0);
 * the pointers in them point into expected and present, and live as long as those.
 * Returns the number of images that are not OK, or -ENOMEM. */
int seeded_images_check(const ImageInfoImage *expected, size_t n_expected, const ContainerdImage *present,
			size_t n_present, SeededImageResult **ret);

/* The phase's detail: "9 seeded images present, pinned, at their digests", or
 * "2 of 9 seeded images wrong: X missing; Y has sha256:... (want sha256:...)". */
int seeded_images_describe(const SeededImageResult *results, size_t n, char **ret);
