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

/* One image seeded into containerd's k8s.io namespace by the image builder. */
typedef struct ImageInfoImage {
	char *name;                    /* "127.0.0.1:5000/k8s/pause:3.10" */
	char *digest;                  /* "sha256:<64 hex>": the index or manifest it points at */
} ImageInfoImage;

/* One addon baked by the image builder (imagegen/tree-addons.c), in the profile's order. */
typedef struct ImageInfoAddon {
	char *name;
	char *version;                 /* NULL when not recorded */
	char *namespace;               /* where kubectl apply -n puts what names none */
	char **depends_on;             /* NULL-terminated; NULL when none */
	char *directory;               /* "/usr/lib/kiln/addons/01-cilium": kubectl apply -f it */
	char **manifests;              /* NULL-terminated, in apply order, each in directory */
	char *pod_security_level;      /* "restricted", "baseline" or "privileged": its namespace's */
	char *pod_security_reason;     /* why it is not restricted; NULL when none was given */
} ImageInfoAddon;

typedef struct ImageInfo {
	char *kiln_version;            /* kilnVersion; NULL when not recorded */
	uint64_t build_epoch;          /* sourceDateEpoch, seconds; 0 when not recorded */
	bool kubernetes_present;       /* kubernetes.present: false for --without-kubernetes */
	char *kubernetes_version;      /* kubernetes.version; NULL when not recorded */
	ImageInfoImage *images;        /* images[], in the file's order (the builder sorts them
					* by name); NULL when the image lists none */
	size_t n_images;
	bool addons_known;             /* image.json has "addons" (an older builder wrote none) */
	ImageInfoAddon *addons;        /* in apply order; NULL when none */
	size_t n_addons;
} ImageInfo;

/* Parse image.json. A document that is not an object, or has a field of the wrong type:
 * -EBADMSG. kubernetes.present missing: -EBADMSG too, because guessing "present" would
 * have a node without Kubernetes fail forever and guessing "absent" would report a cluster
 * as "not installed". images, when there, is an array of {"name": non-empty string,
 * "digest": "sha256:" and 64 lower-case hex digits} objects (other keys are ignored), each
 * name once; anything else in it, the older array of plain names among it: -EBADMSG.
 * addons, when there, is an array of {"name", "namespace": non-empty strings, "version":
 * string, "dependsOn": array of earlier addons' names, "directory": a path below
 * /usr/lib/kiln/addons/, "manifests": a non-empty array of paths in that directory,
 * "podSecurity": {"level": one of the three levels, "reason": string or null}, restricted
 * without a reason when missing}, each name once; anything else: -EBADMSG. */
int image_info_parse(const char *text, size_t size, ImageInfo **ret);
/* Read and parse path: -ENOENT when missing, -EBADMSG when not valid. */
int image_info_load(const char *path, ImageInfo **ret);
ImageInfo *image_info_free(ImageInfo *i);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImageInfo *, image_info_free);

/* The value of the first "key=value" word of a kernel command line (as /proc/cmdline
 * has it): 0 and a copy in *ret; -ENOENT when key is not there. Words in double quotes
 * keep their spaces; the quotes are dropped. */
int cmdline_get_value(const char *cmdline, const char *key, char **ret);
