/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The build host's own Debian archive, read from its apt configuration. kiln never
 * hard-codes a mirror: a profile names one, or the host's configuration is used. */

typedef enum AptArchive {
	APT_ARCHIVE_MAIN,          /* suites such as "trixie"; "trixie-updates" is served there too */
	APT_ARCHIVE_SECURITY,      /* suites such as "trixie-security" */
} AptArchive;

/* Find the first enabled "deb" source of that archive under apt_etc_dir (normally
 * "/etc/apt"): deb822 files in sources.list.d/NAME.sources first, in name order, then the
 * one-line sources.list and sources.list.d/NAME.list. The host's own suite does not
 * matter (a bookworm host builds trixie images): only where each archive is. Returns 0
 * and the URI without a trailing slash, -ENOENT if there is none. */
int apt_host_archive(const char *apt_etc_dir, AptArchive kind, char **ret_uri);
