/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The cached trees mmdebstrap makes (step-rootfs.c): each checked against the inventory
 * written when it was made and, when the lock pins packages, against the pins; shared by
 * the builds that use it and held alone by the one that makes or repairs it. */

#include <stdbool.h>

#include "build.h"
#include "cache-inventory.h"

/* A cached tree's lock is shared while builds use the tree and exclusive while one makes
 * or repairs it, so builds that share a cache run side by side. Returns 1 with the lock
 * held shared when the tree is there, intact and holding what pins (may be NULL) pin; 0
 * with it held exclusively when the caller is to make the tree: a damaged one is gone by
 * then, having been named; one of other package versions is named and *ret_stale set,
 * but it stays until the caller knows the mirror can give what the lock pins. */
int stage_acquire(Build *b, const char *tree, InventorySkip skip, char *const *pins, const char *what,
		  int *ret_lock, bool *ret_stale);

/* Move a damaged or stale tree out of the way (a rename, at once) and remove it. */
int tree_discard(Build *b, const char *tree);

/* Unpack a tarball mmdebstrap wrote into the cache at dir: unpacked in the scratch
 * directory, its inventory written, then renamed into place. prepare() (may be NULL) runs
 * on the unpacked tree before its inventory is taken. */
int unpack_into_cache(Build *b, const char *tar, const char *dir, InventorySkip skip,
		      int (*prepare)(const char *tree));
