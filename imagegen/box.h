/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Vagrant box (kiln.box): step-box.c makes it, box-tree.c its root tree. */

#include <stdint.h>

#include "build.h"

/* The packages the box has on top of the node's (openssh-server, sudo). */
extern const char *const box_packages[];

/* The box's root tree at tree: the node's finished tree (b->tree_dir), with what the box's
 * packages changed in the root file system box_rootfs (made from the node's packages and
 * box_packages) laid over it, and the vagrant user, its key, sudo and DHCP added. Logs. */
int box_tree_make(Build *b, const char *box_rootfs, const char *tree);

/* The box's metadata.json: provider libvirt, format qcow2, virtual_size the disk's size in
 * GiB rounded up (Vagrant wants an integer). */
int box_metadata(uint64_t disk_size, char **ret);

/* Write the tar at path: each of names[i] (the box's files, in this order) from
 * files[i], owned by root, mode 0644, all with mtime epoch: the same bytes for the same
 * files, whatever the file system or the time. */
int box_archive_write(const char *path, const char *const *names, const char *const *files, uint64_t epoch);
