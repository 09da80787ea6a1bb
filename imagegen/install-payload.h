/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the installer (rootfs/etc/initramfs-tools/scripts/init-premount/kiln-install)
 * writes to the target disk: the parts of disk.raw that hold data, each as its own file,
 * and kiln/install.list, which names them with their offsets and SHA-256 digests:
 *   kiln-install 1
 *   image ROOT-SHA256 DISK-SIZE
 *   write OFFSET LENGTH SHA256 FILE      FILE.zst on the medium, LENGTH bytes at OFFSET
 *   zero OFFSET LENGTH                   cleared, not stored
 * Every offset and length is a multiple of 1 MiB (the installer's dd block). Not written:
 * root-A beyond its erofs image and root-B past its first MiB (cleared, so no stale file
 * system signature is found there): nothing reads them until an update fills them. */

#include <stdint.h>

typedef struct Build Build;

/* A range of the disk the installer writes. */
typedef struct InstallRange {
	const char *file;       /* NULL: cleared, not stored */
	uint64_t offset, length;
} InstallRange;

#define INSTALL_RANGES_MAX 8

/* The ranges of this build's disk, in disk order. */
int install_ranges(Build *b, InstallRange ret[static INSTALL_RANGES_MAX], size_t *ret_n);

/* Copy each stored range of disk (sparsely) to DIR/FILE and write DIR/install.list with
 * their digests. */
int install_payload_write(Build *b, const char *disk, const char *dir);
