/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kiln.lock's Debian packages, applied to the trees step-rootfs.c makes
 * (package-pins.h says how). Pins are sorted "NAME VERSION" lists. */

#include "build.h"
#include "package-pins.h"

/* What the lock pins for set: NULL without a lock (--without-kubernetes builds are not
 * locked); -ENOENT, logged, when the lock pins nothing for it. */
int rootfs_pins(Build *b, PackageSet set, char ***ret);

/* What differs between the tree and the pins (package_pins_compare); logged errors. */
int rootfs_pins_check_tree(Build *b, const char *tree, char *const *pins, char ***ret_problems);

/* Log such differences at level, the first few by name. */
void rootfs_pins_log_problems(char *const *problems, int level);

/* Write the apt preferences of pins to the scratch directory; *ret_aptopt is the
 * mmdebstrap --aptopt that points apt at them. */
int rootfs_pins_preferences(Build *b, PackageSet set, char *const *pins, char **ret_aptopt);

/* Run argv, an mmdebstrap --simulate --verbose --logfile=log_path, and read what apt would
 * install from the log. */
int rootfs_pins_simulate(Build *b, const char *what, const char *const *argv, const char *log_path, char ***ret);
