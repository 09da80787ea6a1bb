/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The build host's own Debian archive, read from its apt configuration. kiln never
 * hard-codes a mirror: a profile names one, or the host's configuration is used. */

/* Find the first enabled "deb" source of the main archive (not a -security or -updates
 * suite) under apt_etc_dir (normally "/etc/apt"): deb822 files in sources.list.d/NAME.sources
 * first, in name order, then the one-line sources.list and sources.list.d/NAME.list.
 * Returns 0 and the URI without a trailing slash, -ENOENT if there is none. */
int apt_host_mirror(const char *apt_etc_dir, char **ret_uri);
