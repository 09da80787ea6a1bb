/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Between the check of one layer's entries (oci-layer.c) and the image's tree that the
 * layers below it leave (oci-layer-stack.c). Other callers use oci-layer.h. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci-layer.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_RESERVED_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

/* One entry seen earlier in the layer being checked, by normalized path ("" is the
 * root). The layer keeps them in a tsearch(3) tree. */
typedef struct Seen {
	const char *path;     /* points into the same allocation */
	const char *symlink;  /* a symlink's target (a hard link's: its target's), same allocation */
	unsigned index;       /* entry number, from 1 */
	mode_t type;          /* for a hard link: the type of what it links to */
	bool whiteout;        /* a whiteout or the opaque marker */
} Seen;

/* The entry at path (normalized) in the tree of Seen, or NULL. */
const Seen *oci_layer_seen_find(void *const *seen, const char *path);

/* A symlink in the image's tree. */
typedef struct OciLayerLink {
	const char *path;     /* normalized ("a/b") */
	const char *target;   /* as stored in the layer, for messages */
	unsigned layer;       /* the layer that made it, from 1 */
} OciLayerLink;

/* The symlink at path (normalized) as the layers on the stack leave the tree, or NULL. */
const OciLayerLink *oci_layer_stack_find(const OciLayerStack *s, const char *path);

/* How many layers are on the stack: the next one is number oci_layer_stack_size() + 1. */
unsigned oci_layer_stack_size(const OciLayerStack *s);

/* Put a layer that passed its check on the stack. seen is its tree of Seen, which says
 * what it takes away from the layers below; add[] are its symlinks (hard links to
 * symlinks too; paths and targets are copied, .layer is ignored), which join the tree.
 * All of it happens, or on -ENOMEM none of it. */
int oci_layer_stack_push(OciLayerStack *s, void *const *seen, const OciLayerLink *add, size_t n_add);
