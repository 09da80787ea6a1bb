/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

typedef struct Build Build;

typedef struct FatImage {
	const char *what;       /* for messages: "ESP", "ISO UEFI boot image" */
	const char *tree;       /* the directory to copy in, relative to the work directory */
	const char *image;      /* the image to make, relative to the work directory */
	uint64_t size;          /* bytes, a multiple of 1 KiB */
	unsigned fat_bits;      /* 12, 16 or 32 (0: 32); FAT32 wants at least 32 MiB */
	uint32_t serial;        /* the volume serial (derived from the profile's name) */
	const char *label;      /* the volume label, at most 11 characters */
} FatImage;

/* Make f->image, a FAT32 file system of f->size bytes holding everything under f->tree
 * (whose modification times the caller has clamped). */
int fat_image_make(Build *b, const FatImage *f);
