/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Is an OCI image layer safe to keep in the blob cache and to hand to containerd?
 *
 * containerd (the image's own) unpacks the layers and applies the whiteouts; this check
 * runs before a layer is stored, so that no layer which could write outside its root,
 * create a device node, or confuse whiteout handling ever reaches the cache or the image.
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
 * the target textually from the link's directory is exact. Checks across layers (a lower
 * layer's symlink on an upper layer's path) are the extractor's: containerd resolves every
 * path inside the root it unpacks into.
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
