/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The inventory of a cached tree (the tools tree, a Debian root file system): one line
 * per entry with its type, mode, owner, size, modification time and content digest or
 * link target, written when the tree is made and checked before every use. The trees
 * are hard-linked into every build, so one stray write in place would otherwise damage
 * every later image; a tree that no longer matches its inventory (bytes changed, a file
 * truncated, a directory deleted, a stray file added) is made again instead of shipped.
 *
 * Checking hashes every file again, on every core: about 0.3 s for a 550 MB tree. */

/* Entries directly below the tree's root that are not part of it (NULL-terminated). */
typedef const char *const *InventorySkip;

/* Write the inventory of tree to path (atomically). */
int inventory_write(const char *tree, InventorySkip skip, const char *path);

/* Compare tree with the inventory at path. 0: they match. -EBADMSG: they do not, and
 * *ret_problems (may be NULL) lists the first few differences, e.g. "changed: usr/bin/x",
 * plus a last line counting the rest. -ENOENT: there is no inventory. */
int inventory_check(const char *tree, InventorySkip skip, const char *path, char ***ret_problems);

/* The digest of a tree's content alone: types, permission bits, file contents and link
 * targets by path, not owners or times. For cache keys of kiln's own data; anything but
 * files, directories and symlinks in it is refused (-EBADFD). */
int inventory_content_digest(const char *tree, char ret[static 65]);
