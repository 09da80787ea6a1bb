/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the installer (rootfs/etc/initramfs-tools/scripts/init-premount/kiln-install)
 * writes to the target disk: the parts of disk.raw that hold data, each as its own file,
 * and kiln/install.list, which names them with their offsets and SHA-256 digests:
 *   kiln-install 1
 *   image ROOT-SHA256 DISK-SIZE
 *   write OFFSET LENGTH SHA256 FILE ZSHA256
 *                                        FILE (a .zst) on the medium or the PXE server,
 *                                        LENGTH bytes at OFFSET once decompressed; SHA256
 *                                        the range's digest, ZSHA256 the file's
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

/* The payload in the work directory's install-payload/ (b->install_payload_dir; the
 * names in b->install_payload_files: the ranges' FILE.zst, then install.list): each
 * stored range of disk, compressed with zstd in the tools tree, and install.list with their digests
 * (b->install_list_sha256 is the list's: the PXE boot entries carry it, so that a node
 * checks everything it fetches against its own command line). */
int install_payload_make(Build *b, const char *disk);
/* The installer's kernel command line: what to do, from the profile's install: section,
 * then source (" kiln.install.url=... kiln.install.list=..." for PXE; "" for the ISO,
 * whose medium is found by its label), then the profile's own kernel arguments (the
 * consoles the installer prints on). */
int install_cmdline(Build *b, const char *source, char **ret);
