/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the image says about itself: /usr/lib/kiln/image.json, written by kiln-imagegen
 * (step-tree.c), and the kiln.image= word of the kernel command line. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define IMAGE_INFO_PATH "/usr/lib/kiln/image.json"
#define IMAGE_PROFILE_PATH "/usr/lib/kiln/profile.yaml"

typedef struct ImageInfo {
	char *kiln_version;            /* kilnVersion; NULL when not recorded */
	uint64_t build_epoch;          /* sourceDateEpoch, seconds; 0 when not recorded */
	bool kubernetes_present;       /* kubernetes.present: false for --without-kubernetes */
	char *kubernetes_version;      /* kubernetes.version; NULL when not recorded */
	char **images;                 /* images[]: references containerd's k8s.io store must
					* list; NULL-terminated, NULL when the image lists none */
} ImageInfo;

/* Parse image.json. A document that is not an object, or has a field of the wrong type
 * (kubernetes.present not a boolean, images not an array of non-empty strings): -EBADMSG.
 * kubernetes.present missing: -EBADMSG too, because guessing "present" would have a node
 * without Kubernetes fail forever and guessing "absent" would report a cluster as "not
 * installed". */
int image_info_parse(const char *text, size_t size, ImageInfo **ret);
/* Read and parse path: -ENOENT when missing, -EBADMSG when not valid. */
int image_info_load(const char *path, ImageInfo **ret);
ImageInfo *image_info_free(ImageInfo *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageInfo *, image_info_free);

/* The expected images that are not among present (the references the CRI lists, exact
 * matches only), as a new NULL-terminated vector (empty when none is missing). */
int image_info_missing(char *const *expected, char *const *present, char ***ret_missing);

/* The value of the first "key=value" word of a kernel command line (as /proc/cmdline
 * has it): 0 and a copy in *ret; -ENOENT when key is not there. Words in double quotes
 * keep their spaces; the quotes are dropped. */
int cmdline_get_value(const char *cmdline, const char *key, char **ret);
