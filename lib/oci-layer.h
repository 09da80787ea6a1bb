/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Is an OCI image layer safe to keep in the blob cache and to hand to containerd, alone
 * and on top of the layers below it in its image?
 *
 * containerd (the image's own) unpacks the layers and applies the whiteouts; this check
 * runs before a layer is stored, so that no layer which could write outside its root or
 * through a symlink, create a device node, or confuse whiteout handling ever reaches the
 * cache or the image.
 * The rules follow the OCI image spec's layer.md ("Image Layer Filesystem Changeset");
 * where the spec says nothing, the rule is kiln's own and says so.
 *
 * A path is read as stored, then "." components and repeated or trailing slashes are
 * dropped: "./a//b/" is "a/b", "./" is the root itself.
 *
 *   entry                    rule                                                 from
 *   every path               not empty, not absolute, no ".." component           kiln
 *   every path               appears once: a later entry does not replace an      layer.md: "MUST NOT include
 *                            earlier one, whatever the types                      duplicate entries for file paths"
 *   every path               no leading component is a file or symlink of this    kiln (an extractor would have to
 *                            layer                                                write through it)
 *   every path               no leading component is a symlink that the layers    kiln (as the rule above; see
 *   (a layer of an image)    below leave in the image's tree, unless an entry     "Across layers" below)
 *                            of this layer earlier in the archive is a
 *                            directory at that very path (it replaces the
 *                            symlink before anything is written below it)
 *   every path               no leading component starts with ".wh."              layer.md: no file or directory
 *                                                                                 name begins with ".wh."
 *   the root "./"            a directory                                          kiln
 *   files, dirs, FIFOs,      accepted                                             layer.md "File Types"; a FIFO or
 *   sockets                                                                       socket reaches nothing by itself
 *   char/block devices       refused                                              kiln: a device node in an image
 *                                                                                 hands the container that device
 *   symlink                  target not empty; ".." only as leading components,   kiln (see below)
 *                            no more of them than the link's directory is deep
 *                            ("a/b -> ../c" stays, "a/b -> ../../x" leaves); an
 *                            absolute target counts from the root ("/usr/x"
 *                            stays, "/../x" leaves): it is resolved inside the
 *                            root, and writing through any link of the layer is
 *                            refused by the parent rule above
 *   hard link                target not absolute, no "..", names an earlier       layer.md: hard links to all types
 *                            entry of this layer that is neither a directory      but directories; links to files
 *                            nor a whiteout                                       outside the layer "may fail"
 *   ".wh.<name>"             whiteout: a regular file (not a hard link), <name>   layer.md "Whiteouts": an empty
 *                            not empty, "." or ".."; its content is ignored       file (the size is not checked)
 *   ".wh..wh..opq"           opaque directory marker: a regular file              layer.md "Opaque Whiteout"
 *   ".wh..wh.<other>"        refused: reserved (aufs metadata such as             kiln
 *                            ".wh..wh.plnk"), meaningless in OCI
 *   ".wh.b" with "b/..."     accepted: a whiteout hides only lower layers' b,     layer.md: "Whiteout files MUST only
 *   in the same layer        entries below or at b in this layer stay             apply to resources in lower/parent
 *                                                                                 layers"
 *
 * Why ".." in a symlink target may only come first: a ".." after a name climbs from
 * wherever that name resolves to, which may be another symlink ("l -> ../..", then
 * "m -> l/../x" climbs from the parent of the root). With every ".." leading, resolving
 * the target textually from the link's directory is exact.
 *
 * Across layers: oci_layer_stack_check_fd() checks each layer of an image against the
 * tree that the layers below it leave. Only symlinks matter there: another type in the
 * way of a path makes the unpacking fail or is replaced, it cannot send an entry
 * elsewhere. A layer changes the tree as layer.md says: its whiteouts (".wh.b": b and
 * everything below it) and opaque markers (everything below the directory) take away
 * what the lower layers made, then each of its entries replaces what was at its path (a
 * directory merges into a directory, as in containerd's applier), and its symlinks, hard
 * links to symlinks included, join the tree.
 *
 * Writing below a lower layer's symlink is refused whatever the target, "lib -> usr/lib"
 * as much as "escape -> /", as the same-layer rule does: containerd resolves the path
 * inside the root and writes into usr/lib, an extractor that does not would follow "/"
 * out of it, and either way the entry lands elsewhere than its name says. Image builders
 * do not make such layers: they diff the unpacked tree, where the file is usr/lib/x.
 *
 * What replaces the symlink in time is a directory entry at its path, in the same layer
 * and earlier in the archive, as builders write "escape/" before "escape/x": extracting
 * in archive order, containerd removes the symlink to make the directory. A whiteout
 * (".wh.escape") or an opaque marker in the same layer is not enough, wherever it
 * stands: layer.md applies them to the lower layers as a whole, not at their place in
 * the archive, and appliers differ (one that meets "escape/x" first writes through the
 * symlink; containerd's overlayfs applier turns the whiteout into a character device and
 * fails on "escape/x"). For the layers above, though, they do take the symlink away.
 *
 * The layer is a tar archive, uncompressed, gzip or zstd (the media types layer.md
 * defines), recognized by its content, never by a media type. */

/* 0 if the layer read from fd (from its current offset to EOF) is safe. -EBADMSG if it is
 * not, or is no tar archive, or is corrupt or truncated: then *ret_error (when ret_error is
 * not NULL) is a malloc'd reason naming the entry by its number (from 1, in archive order)
 * and its path as stored, e.g. 'entry 3 "../x": path leaves the layer'; control characters,
 * quotes and backslashes in the path are written as \xHH. Any other -errno is an I/O or
 * allocation failure (*ret_error untouched), or -EOPNOTSUPP when libarchive was built
 * without gzip or zstd. */
int oci_layer_check_fd(int fd, char **ret_error);

/* The tree of one image as the layers checked so far leave it: its symlinks, each with
 * the layer that made it. Layers are numbered from 1 in the order they pass. */
typedef struct OciLayerStack OciLayerStack;

/* An empty stack, for the image's first layer. */
int oci_layer_stack_new(OciLayerStack **ret);
OciLayerStack *oci_layer_stack_free(OciLayerStack *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(OciLayerStack *, oci_layer_stack_free);

/* Check the image's next layer, read from fd as oci_layer_check_fd() reads it, against
 * every rule above, and only if it passes put it on the stack. The results are
 * oci_layer_check_fd()'s, but a reason starts with the layer's number: 'layer 3, entry 2
 * "escape/file": path runs through the symlink "escape" (-> "/") made by layer 2'. A
 * refused layer (-EBADMSG) or any other error leaves the stack as it was: the check
 * makes the same decision whether a layer was just downloaded or read from a cache. */
int oci_layer_stack_check_fd(OciLayerStack *s, int fd, char **ret_error);
