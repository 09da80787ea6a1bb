/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kiln.lock: every download an image needs, pinned to an exact address and digest.
 * "kiln-imagegen lock" writes it, "fetch" downloads what it names, and "build" takes
 * the images and binaries from the cache by the digests it holds, never by tag.
 *
 * A text file meant to be reviewed in a diff: one entry per line, fields separated by
 * single spaces (no field may contain white space), entries sorted by kind and name,
 * '#' comments ignored:
 *
 *     lock 1
 *     platform linux/amd64
 *     file kubeadm https://host/path/kubeadm sha256:<hex>
 *     manifest https://host/path/cilium.yaml sha256:<hex>
 *     image 127.0.0.1:5000/k8s/pause:3.10 sha256:<top> <media type> <size> sha256:<platform manifest>
 *     package node libc6 2.41-12+deb13u5
 *
 * A package entry pins one Debian package of one root tree (package-pins.h names the
 * sets): a name may be pinned once per set.
 */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define LOCK_FILE_NAME "kiln.lock"
#define LOCK_FORMAT_VERSION 1

typedef enum LockKind { LOCK_FILE, LOCK_MANIFEST, LOCK_IMAGE, LOCK_PACKAGE, _LOCK_KIND_MAX } LockKind;

typedef struct LockEntry {
	LockKind kind;
	char *name;              /* file: kubeadm...; manifest: its URL; image: the reference;
				  * package: the Debian package's */
	char *url;               /* file only */
	char *digest;            /* "sha256:<hex>" or "sha512:<hex>" (files); image: the top digest */
	char *media_type;        /* image only: of the top manifest or index */
	uint64_t size;           /* image only: of the top manifest or index */
	char *platform_digest;   /* image only: the manifest for the lock's platform */
	char *set;               /* package only: the tree, "node", "box" or "tools" */
	char *version;           /* package only */
} LockEntry;

typedef struct LockFile {
	char *platform;          /* os/arch, e.g. linux/amd64 */
	LockEntry *entries;
	size_t n_entries, n_allocated;
} LockFile;

LockFile *lock_file_free(LockFile *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(LockFile *, lock_file_free);

/* Parse the text; name is used in errors. -EBADMSG with "NAME:LINE: what is wrong" in
 * *ret_error for a malformed file (unknown kind, wrong field count, bad digest, a name
 * given twice, missing "lock 1" or platform line); -ENOMEM. */
int lock_file_parse(const char *text, const char *name, LockFile **ret, char **ret_error);
int lock_file_load(const char *path, LockFile **ret, char **ret_error);
/* The text, entries sorted by kind then name. */
int lock_file_format(const LockFile *l, char **ret_text);
/* Written atomically. */
int lock_file_save(const LockFile *l, const char *path);

/* The entry of that kind and name, or NULL (not for packages: they are per set). */
const LockEntry *lock_file_find(const LockFile *l, LockKind kind, const char *name);
/* Add a copy of e, replacing an entry of the same kind and name (and set). */
int lock_file_put(LockFile *l, const LockEntry *e);
/* The packages the lock pins for a set, as sorted "NAME VERSION" strings; NULL (and 0)
 * when it pins none. */
int lock_file_packages(const LockFile *l, const char *set, char ***ret);

const char *lock_kind_to_string(LockKind k);
