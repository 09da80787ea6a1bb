/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* dpkg's database of what is installed (/var/lib/dpkg/status), read without dpkg: the
 * manifest lists it, and the pins of kiln.lock are checked against it. */

/* The packages whose Status is "install ok installed", as sorted "NAME VERSION" strings.
 * -ENOENT if there is no such file. */
int dpkg_status_installed(const char *status_path, char ***ret);
