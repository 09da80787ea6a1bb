/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where each Debian package of the image came from (the suite: "trixie",
 * "trixie-security", "trixie-updates"), for manifest.json. The root file system's
 * mmdebstrap run writes the list while apt's indexes are still there (step-rootfs.c). */

#include <jansson.h>

/* In the root file system, without the leading slash: "NAME VERSION SUITE" lines. */
#define PACKAGE_ORIGINS_PATH "usr/lib/kiln/package-origins"

/* Read such a list: *ret maps "NAME VERSION" to a sorted array of the suites that have
 * that version. A malformed line is -EBADMSG, with its number in *ret_line. */
int package_origins_read(const char *path, json_t **ret, unsigned *ret_line);

/* The suites that have this version of the package, or NULL (borrowed reference). */
json_t *package_origins_find(json_t *origins, const char *name, const char *version);
