/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oci_layer_check_fd(): every rule of lib/oci-layer.h accepted and refused, on layers
 * built in memory with libarchive (plain, gzip and zstd), plus hand-made tar headers for
 * what libarchive refuses to write (empty names), corrupt and foreign input, I/O errors.
 * oci_layer_stack_check_fd(): the same rules for the first layer of an image, and the
 * rule across layers on images of up to four layers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fd-util.h"
#include "oci-layer.h"
#include "tap.h"

static char arc[256 * 1024];   /* the layer under test */

typedef enum Filter {
	FILTER_NONE,
	FILTER_GZIP,
	FILTER_ZSTD,
	FILTER_XZ,
	_FILTER_MAX,
} Filter;

static const char *const filter_name[_FILTER_MAX] = {
	[FILTER_NONE] = "plain", [FILTER_GZIP] = "gzip", [FILTER_ZSTD] = "zstd", [FILTER_XZ] = "xz",
};

typedef struct TEntry {
	const char *path;
	mode_t type;             /* AE_IF*; ignored with .hardlink */
	const char *symlink, *hardlink;
	const char *data;
	dev_t rdev;
} TEntry;

#define F(p)       { .path = (p), .type = AE_IFREG }
#define FD(p, d)   { .path = (p), .type = AE_IFREG, .data = (d) }
#define D(p)       { .path = (p), .type = AE_IFDIR }
#define L(p, t)    { .path = (p), .type = AE_IFLNK, .symlink = (t) }
#define H(p, t)    { .path = (p), .hardlink = (t) }
#define FIFO(p)    { .path = (p), .type = AE_IFIFO }
#define CHR(p)     { .path = (p), .type = AE_IFCHR, .rdev = 0x103 }   /* makedev(1, 3), which is no constant */
#define BLK(p)     { .path = (p), .type = AE_IFBLK, .rdev = 0x800 }   /* makedev(8, 0) */

static int add_filter(struct archive *a, Filter f) {
	switch (f) {
	case FILTER_GZIP:
		return archive_write_add_filter_gzip(a);
	case FILTER_ZSTD:
		return archive_write_add_filter_zstd(a);
	case FILTER_XZ:
		return archive_write_add_filter_xz(a);
	default:
		return ARCHIVE_OK;
	}
}

/* Write the entries (up to the first without a path) into arc[]: the size, 0 on failure. */
static size_t build(const TEntry *t, Filter f) {
	struct archive *a = archive_write_new();
	size_t used = 0;
	bool good = a && archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
		    add_filter(a, f) == ARCHIVE_OK &&
		    archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
		    archive_write_open_memory(a, arc, sizeof(arc), &used) == ARCHIVE_OK;

	for (; good && t->path; t++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = t->data ? strlen(t->data) : 0;

		if (!e)
			break;
		archive_entry_set_pathname(e, t->path);
		archive_entry_set_filetype(e, t->hardlink ? AE_IFREG : t->type);
		archive_entry_set_perm(e, t->type == AE_IFDIR ? 0755 : 0644);
		archive_entry_set_size(e, (la_int64_t) len);
		archive_entry_set_mtime(e, 1700000000, 0);
		if (t->symlink)
			archive_entry_set_symlink(e, t->symlink);
		if (t->hardlink)
			archive_entry_set_hardlink(e, t->hardlink);
		if (t->rdev)
			archive_entry_set_rdev(e, t->rdev);
		good = archive_write_header(a, e) == ARCHIVE_OK &&
		       (len == 0 || archive_write_data(a, t->data, len) == (la_ssize_t) len);
		if (!good)
			diag("libarchive cannot write \"%s\": %s", t->path, archive_error_string(a));
		archive_entry_free(e);
	}
	good = good && archive_write_close(a) == ARCHIVE_OK;
	archive_write_free(a);
	return good ? used : 0;
}

static bool has_prefix(const char *s, const char *prefix) {
	return s && strneq(s, prefix, strlen(prefix));
}

static int memfd_of(const void *p, size_t n) {
	int fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0 || write(fd, p, n) != (ssize_t) n || lseek(fd, 0, SEEK_SET) != 0)
		return safe_close(fd);
	return fd;
}

/* Check n bytes of arc[]; *ret_error gets the reason, or stays NULL. */
static int check(size_t n, char **ret_error) {
	_cleanup_close_ int fd = n > 0 ? memfd_of(arc, n) : memfd_create("empty", MFD_CLOEXEC);
	return fd < 0 ? -EIO : oci_layer_check_fd(fd, ret_error);
}

typedef struct Case {
	const char *name;
	TEntry e[8];
	const char *want;   /* NULL: the layer is accepted; else the exact reason */
} Case;

/* libarchive's tar writer stores directory names with a trailing slash: the reasons
 * quote the path as stored. */
static const Case cases[] = {
	/* accepted */
	{ "files and directories, with and without ./",
	  { D("./"), D("./etc/"), FD("./etc/hosts", "127.0.0.1 localhost\n"), D("bin"), F("bin/true") } },
	{ "an empty layer", { { NULL } } },
	{ "symlink one level up from a/", { D("a"), L("a/b", "../c") } },
	{ "symlink up to the root from two levels down", { L("a/b/c", "../../x") } },
	{ "symlinks to . and down", { L("here", "."), L("down", "a/b/./c//d"), L("a/up", "..") } },
	{ "absolute symlinks, as real images have them",
	  { L("etc/localtime", "/usr/share/zoneinfo/UTC"), L("bin/sh", "/bin/busybox") } },
	{ "hard link to an earlier file, through ./", { F("f"), H("g", "./f") } },
	{ "hard link to an earlier symlink", { L("l", "f"), H("m", "l") } },
	{ "hard link to a FIFO", { FIFO("p"), H("q", "p") } },
	{ "FIFO", { D("run"), FIFO("run/pipe") } },
	{ "whiteout, opaque marker, whiteout at the root",
	  { D("a"), F("a/.wh.b"), F("a/.wh..wh..opq"), F(".wh.top") } },
	{ "whiteout with content (ignored, not refused)", { FD("a/.wh.b", "junk") } },
	{ "whiteout then the same path recreated in this layer",
	  { D("a"), F("a/.wh.b"), D("a/b"), F("a/b/c"), F(".wh.x"), F("x") } },
	{ "opaque root", { F(".wh..wh..opq"), F("new") } },
	{ "name merely containing .wh.", { F("a.wh.b"), D("x.wh."), F("x.wh./.whx") } },
	{ "directory after its children", { F("a/b/c"), D("a/b"), D("a") } },

	/* paths */
	{ "absolute path", { F("ok"), F("/etc/passwd") }, "entry 2 \"/etc/passwd\": path is absolute" },
	{ "leading ..", { F("../x") }, "entry 1 \"../x\": path leaves the layer" },
	{ ".. in the middle", { D("a"), F("a/../../x") }, "entry 2 \"a/../../x\": path leaves the layer" },
	{ ".. that would stay inside", { F("a/../b") }, "entry 1 \"a/../b\": path leaves the layer" },
	{ "trailing ..", { D("a/b/..") }, "entry 1 \"a/b/../\": path leaves the layer" },
	{ "quotes and control characters escaped", { F("/a\"b\\c\nd") },
	  "entry 1 \"/a\\x22b\\x5cc\\x0ad\": path is absolute" },

	/* duplicates (layer.md: MUST NOT include duplicate entries) */
	{ "same file twice", { F("a"), F("b"), F("a") }, "entry 3 \"a\": path appears twice (first as entry 1)" },
	{ "file then directory", { F("a"), D("a/") }, "entry 2 \"a/\": path appears twice (first as entry 1)" },
	{ "directory twice, spelled differently", { D("./a/b/"), D("a//b") },
	  "entry 2 \"a//b/\": path appears twice (first as entry 1)" },
	{ "root twice", { D("./"), D(".") }, "entry 2 \"./\": path appears twice (first as entry 1)" },
	{ "whiteout twice", { F(".wh.a"), F("./.wh.a") },
	  "entry 2 \"./.wh.a\": path appears twice (first as entry 1)" },

	/* parents */
	{ "path through a symlink of this layer", { L("l", "a"), F("l/x") },
	  "entry 2 \"l/x\": path runs through a non-directory of this layer" },
	{ "path through a file of this layer", { F("f"), D("f/d") },
	  "entry 2 \"f/d/\": path runs through a non-directory of this layer" },
	{ "path through a hard link of this layer", { F("f"), H("g", "f"), F("g/x") },
	  "entry 3 \"g/x\": path runs through a non-directory of this layer" },
	{ "path through a directory named like a whiteout", { F(".wh.d/x") },
	  "entry 1 \".wh.d/x\": path runs through a directory named like a whiteout" },
	{ "path below the opaque marker", { F("a/.wh..wh..opq/x") },
	  "entry 1 \"a/.wh..wh..opq/x\": path runs through a directory named like a whiteout" },
	{ "root as a file", { F(".") }, "entry 1 \".\": the layer root is not a directory" },
	{ "root as a symlink", { L(".", "/") }, "entry 1 \".\": the layer root is not a directory" },

	/* types */
	{ "character device", { D("dev"), CHR("dev/null") }, "entry 2 \"dev/null\": character device" },
	{ "block device", { BLK("sda") }, "entry 1 \"sda\": block device" },

	/* symlinks */
	{ "absolute symlink that climbs above the root", { L("etc/x", "/../etc/passwd") },
	  "entry 1 \"etc/x\": symlink leaves the layer" },
	{ "a file written through an absolute symlink", { L("etc-link", "/etc"), F("etc-link/pwned") },
	  "entry 2 \"etc-link/pwned\": path runs through a non-directory of this layer" },
	{ "symlink two levels up from a/", { D("a"), L("a/b", "../../x") },
	  "entry 2 \"a/b\": symlink leaves the layer" },
	{ "symlink up from the root", { L("x", "..") }, "entry 1 \"x\": symlink leaves the layer" },
	{ "symlink up from the root through ./", { L("./x", "./../y") }, "entry 1 \"./x\": symlink leaves the layer" },
	{ "symlink with .. after a name", { L("a/b/c/l", "../../.."), L("a/b/c/m", "l/../../../../etc") },
	  "entry 2 \"a/b/c/m\": symlink target has \"..\" after a name" },
	{ "symlink with harmless-looking inner ..", { L("m", "x/../y") },
	  "entry 1 \"m\": symlink target has \"..\" after a name" },

	/* hard links */
	{ "hard link to an absolute path", { F("f"), H("g", "/f") },
	  "entry 2 \"g\": hard link target is absolute" },
	{ "hard link with ..", { D("a"), F("f"), H("a/g", "a/../f") },
	  "entry 3 \"a/g\": hard link target leaves the layer" },
	{ "hard link to nothing in this layer", { H("g", "etc/passwd") },
	  "entry 1 \"g\": hard link target is not an earlier entry" },
	{ "hard link to a later entry", { H("g", "f"), F("f") },
	  "entry 1 \"g\": hard link target is not an earlier entry" },
	{ "hard link to itself", { H("g", "g") }, "entry 1 \"g\": hard link target is not an earlier entry" },
	{ "hard link to a directory", { D("d"), H("g", "d/") }, "entry 2 \"g\": hard link to a directory" },
	{ "hard link to a whiteout", { F(".wh.x"), H("g", ".wh.x") }, "entry 2 \"g\": hard link to a whiteout" },

	/* whiteouts */
	{ "whiteout naming nothing", { D("a"), F("a/.wh.") }, "entry 2 \"a/.wh.\": whiteout names nothing" },
	{ "whiteout of .", { F("a/.wh..") }, "entry 1 \"a/.wh..\": whiteout names \".\" or \"..\"" },
	{ "whiteout of ..", { F("a/.wh...") }, "entry 1 \"a/.wh...\": whiteout names \".\" or \"..\"" },
	{ "aufs hard link directory", { D(".wh..wh.plnk") }, "entry 1 \".wh..wh.plnk/\": reserved whiteout name" },
	{ "near miss of the opaque marker", { F("a/.wh..wh..opq2") },
	  "entry 1 \"a/.wh..wh..opq2\": reserved whiteout name" },
	{ "whiteout as a directory", { D("a/.wh.b") }, "entry 1 \"a/.wh.b/\": whiteout is not a regular file" },
	{ "whiteout as a symlink", { L(".wh.b", "b") }, "entry 1 \".wh.b\": whiteout is not a regular file" },
	{ "whiteout as a hard link", { F("f"), H(".wh.f", "f") }, "entry 2 \".wh.f\": whiteout is not a regular file" },
	{ "opaque marker as a directory", { D("a/.wh..wh..opq") },
	  "entry 1 \"a/.wh..wh..opq/\": whiteout is not a regular file" },
	{ "whiteout as a FIFO", { FIFO(".wh.p") }, "entry 1 \".wh.p\": whiteout is not a regular file" },
};

/* Check n bytes of arc[] as the next layer of the image on s. */
static int check_on(OciLayerStack *s, size_t n, char **ret_error) {
	_cleanup_close_ int fd = n > 0 ? memfd_of(arc, n) : memfd_create("empty", MFD_CLOEXEC);
	return fd < 0 ? -EIO : oci_layer_stack_check_fd(s, fd, ret_error);
}

static void test_cases(void) {
	for (Filter f = FILTER_NONE; f <= FILTER_ZSTD; f++)
		for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
			const Case *c = &cases[i];
			_cleanup_free_ char *error = NULL;
			size_t n = build(c->e, f);
			int r = n > 0 ? check(n, &error) : -E2BIG;
			bool good = c->want ? r == -EBADMSG && error && streq(error, c->want)
					    : r == 0 && !error;

			ok(good, "%s: %s: %s", filter_name[f], c->want ? "refused" : "accepted", c->name);
			if (!good)
				diag("  got %d \"%s\", want \"%s\"", r, error ?: "(null)", c->want ?: "(accepted)");
		}

	/* The first layer of an image: the same answers, the reason naming layer 1. */
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const Case *c = &cases[i];
		_cleanup_(oci_layer_stack_freep) OciLayerStack *s = NULL;
		_cleanup_free_ char *error = NULL, *want = NULL;
		size_t n = build(c->e, FILTER_NONE);
		int r = oci_layer_stack_new(&s);
		bool good;

		if (r >= 0)
			r = n > 0 ? check_on(s, n, &error) : -E2BIG;
		if (c->want && asprintf(&want, "layer 1, %s", c->want) < 0)
			want = NULL;
		good = c->want ? r == -EBADMSG && error && want && streq(error, want) : r == 0 && !error;
		ok(good, "layer 1 of an image: %s: %s", c->want ? "refused" : "accepted", c->name);
		if (!good)
			diag("  got %d \"%s\", want \"%s\"", r, error ?: "(null)", want ?: "(accepted)");
	}
}

typedef struct StackCase {
	const char *name;
	unsigned n_layers;
	TEntry layers[4][6];
	const char *want;   /* NULL: every layer accepted; else the last layer's reason */
} StackCase;

/* An image's layers, the first at [0]. Layers before the last must pass. */
static const StackCase stack_cases[] = {
	/* the image */
	{ "a file written through a lower layer's symlink to /", 3,
	  { { D("etc"), F("etc/hosts") }, { L("escape", "/") }, { D("etc"), F("escape/file") } },
	  "layer 3, entry 2 \"escape/file\": path runs through the symlink \"escape\" (-> \"/\") made by layer 2" },
	{ "a whiteout through a lower layer's symlink", 2,
	  { { L("escape", "/") }, { F("escape/.wh.etc") } },
	  "layer 2, entry 1 \"escape/.wh.etc\": path runs through the symlink \"escape\" (-> \"/\") made by layer 1" },
	{ "an opaque marker through a lower layer's symlink", 2,
	  { { L("escape", "/") }, { F("escape/.wh..wh..opq") } },
	  "layer 2, entry 1 \"escape/.wh..wh..opq\": path runs through the symlink \"escape\" (-> \"/\") made by layer 1" },
	{ "a symlink inside the root is no exception (as in one layer)", 3,
	  { { D("usr"), D("usr/lib") }, { L("lib", "usr/lib") }, { F("lib/x") } },
	  "layer 3, entry 1 \"lib/x\": path runs through the symlink \"lib\" (-> \"usr/lib\") made by layer 2" },
	{ "the symlink of layer 1, used by layer 4", 4,
	  { { L("escape", "/etc") }, { F("a") }, { D("b") }, { D("escape/d") } },
	  "layer 4, entry 1 \"escape/d/\": path runs through the symlink \"escape\" (-> \"/etc\") made by layer 1" },
	{ "a symlink deeper down, below a directory this layer merges into", 2,
	  { { D("a"), L("a/l", "/") }, { D("a"), F("a/f"), F("a/l/x") } },
	  "layer 2, entry 3 \"a/l/x\": path runs through the symlink \"a/l\" (-> \"/\") made by layer 1" },
	{ "a directory merges: the symlink below it stays", 3,
	  { { D("a"), L("a/l", "/") }, { D("a"), F("a/f") }, { F("a/l/x") } },
	  "layer 3, entry 1 \"a/l/x\": path runs through the symlink \"a/l\" (-> \"/\") made by layer 1" },
	{ "a hard link to a symlink is a symlink too", 2,
	  { { L("l", "/"), H("m", "l") }, { F("m/x") } },
	  "layer 2, entry 1 \"m/x\": path runs through the symlink \"m\" (-> \"/\") made by layer 1" },
	{ "a symlink replaced by another: the new one counts", 3,
	  { { L("l", "/") }, { L("l", "/etc") }, { F("l/x") } },
	  "layer 3, entry 1 \"l/x\": path runs through the symlink \"l\" (-> \"/etc\") made by layer 2" },

	/* a directory of the same layer, earlier in the archive, replaces the symlink */
	{ "the symlink replaced by a directory first", 3,
	  { { D("etc") }, { L("escape", "/") }, { D("escape"), F("escape/file") } } },
	{ "a whiteout, then a directory, then the file", 3,
	  { { D("etc") }, { L("escape", "/") }, { F(".wh.escape"), D("escape"), F("escape/file") } } },
	{ "the directory after the file: too late", 2,
	  { { L("escape", "/") }, { F("escape/file"), D("escape") } },
	  "layer 2, entry 1 \"escape/file\": path runs through the symlink \"escape\" (-> \"/\") made by layer 1" },
	{ "a whiteout alone in the same layer is not enough", 3,
	  { { D("etc") }, { L("escape", "/") }, { F(".wh.escape"), F("escape/file") } },
	  "layer 3, entry 2 \"escape/file\": path runs through the symlink \"escape\" (-> \"/\") made by layer 2" },
	{ "an opaque marker alone in the same layer is not enough", 2,
	  { { D("a"), L("a/l", "/") }, { D("a"), F("a/.wh..wh..opq"), F("a/l/x") } },
	  "layer 2, entry 3 \"a/l/x\": path runs through the symlink \"a/l\" (-> \"/\") made by layer 1" },

	/* the symlink gone from the tree */
	{ "whited out by layer 3, layer 4 writes below its path", 4,
	  { { D("etc") }, { L("escape", "/") }, { F(".wh.escape") }, { F("escape/x") } } },
	{ "a parent whited out", 3,
	  { { D("a"), L("a/l", "/") }, { F(".wh.a") }, { F("a/l/x") } } },
	{ "hidden by an opaque directory", 4,
	  { { D("a") }, { L("a/l", "/") }, { D("a"), F("a/.wh..wh..opq") }, { F("a/l/x") } } },
	{ "hidden by an opaque root", 3,
	  { { L("escape", "/") }, { F(".wh..wh..opq"), F("new") }, { F("escape/x") } } },
	{ "replaced by a file, then by a directory", 3,
	  { { L("escape", "/") }, { F("escape") }, { D("escape"), F("escape/x") } } },
	{ "a parent replaced by a file takes the symlink below", 3,
	  { { D("a"), L("a/l", "/") }, { F("a") }, { D("a"), F("a/l/x") } } },
	{ "the symlink itself rewritten by a later layer as a directory", 3,
	  { { L("escape", "/") }, { D("escape") }, { F("escape/x") } } },
	{ "symlinks elsewhere, and names that merely start like one", 3,
	  { { L("bin", "usr/bin"), L("lib", "usr/lib") }, { D("binx"), F("lib64/x") }, { F("bin.d/x"), F("libx") } } },
};

static void test_stack_cases(void) {
	for (size_t i = 0; i < ELEMENTSOF(stack_cases); i++) {
		const StackCase *c = &stack_cases[i];
		_cleanup_(oci_layer_stack_freep) OciLayerStack *s = NULL;
		_cleanup_free_ char *error = NULL;
		int r = oci_layer_stack_new(&s);
		unsigned k;
		bool good;

		for (k = 0; r >= 0 && k < c->n_layers; k++) {
			size_t n = build(c->layers[k], FILTER_NONE);

			error = mfree_str(error);
			r = n > 0 ? check_on(s, n, &error) : -E2BIG;
		}
		good = c->want ? r == -EBADMSG && k == c->n_layers && error && streq(error, c->want)
			       : r == 0 && !error;
		ok(good, "image: %s: %s", c->want ? "refused" : "accepted", c->name);
		if (!good)
			diag("  layer %u: got %d \"%s\", want \"%s\"", k, r, error ?: "(null)", c->want ?: "(accepted)");
	}
}

/* A refused layer is not on the stack: the next one is checked against the same tree. */
static void test_stack_refused(void) {
	_cleanup_(oci_layer_stack_freep) OciLayerStack *s = NULL;
	_cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
	size_t n;

	is_int(oci_layer_stack_new(&s), 0, "a new stack");
	n = build((const TEntry[]) { L("escape", "/"), { NULL } }, FILTER_GZIP);
	is_int(check_on(s, n, &e1), 0, "layer 1 makes escape -> /");
	ok(!e1, "no reason for a good layer");

	n = build((const TEntry[]) { L("link", "/"), F("escape/x"), { NULL } }, FILTER_ZSTD);
	is_int(check_on(s, n, &e2), -EBADMSG, "a layer writing through it is refused");
	is_str(e2, "layer 2, entry 2 \"escape/x\": path runs through the symlink \"escape\" (-> \"/\") made by layer 1",
	       "reason");

	n = build((const TEntry[]) { F("link/x"), { NULL } }, FILTER_NONE);
	is_int(check_on(s, n, &e3), 0, "the refused layer's symlink is not on the stack");

	memset(arc, 'x', 4096);
	is_int(check_on(s, 4096, &e4), -EBADMSG, "junk as layer 3");
	ok(has_prefix(e4, "layer 3, not a tar archive (plain, gzip or zstd): "), "numbered after the accepted layers: %s",
	   e4 ?: "(null)");

	n = build((const TEntry[]) { F("escape/y"), { NULL } }, FILTER_NONE);
	is_int(check_on(s, n, NULL), -EBADMSG, "escape -> / still there: refused without ret_error");

	is_int(oci_layer_stack_check_fd(NULL, 0, NULL), -EINVAL, "no stack: -EINVAL");
	is_int(oci_layer_stack_new(NULL), -EINVAL, "nowhere to put a new stack: -EINVAL");
	ok(!oci_layer_stack_free(NULL), "freeing NULL");
}

/* A ustar header written by hand, for what libarchive will not write itself. */
static void raw_header(char *h, const char *name, char typeflag, const char *linkname, size_t size) {
	unsigned sum = 0;

	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	snprintf(h + 124, 12, "%011zo", size);
	memcpy(h + 136, "00000000000", 11);
	h[156] = typeflag;
	memcpy(h + 157, linkname, strlen(linkname));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += (unsigned char) h[i];
	snprintf(h + 148, 8, "%06o", sum);
}

static void test_raw(void) {
	_cleanup_free_ char *e1 = NULL, *e2 = NULL;

	/* An empty name, then the end of archive (two zero blocks). */
	memset(arc, 0, 3 * 512);
	raw_header(arc, "", '0', "", 0);
	is_int(check(3 * 512, &e1), -EBADMSG, "empty name: -EBADMSG");
	is_str(e1, "entry 1 \"\": path is empty", "empty name: reason");

	memset(arc, 0, 4 * 512);
	raw_header(arc, "d/", '5', "", 0);
	raw_header(arc + 512, "d/l", '2', "", 0);
	is_int(check(4 * 512, &e2), -EBADMSG, "symlink with an empty target: -EBADMSG");
	is_str(e2, "entry 2 \"d/l\": symlink target is empty", "empty symlink target: reason");
}

static const TEntry good_layer[] = { D("a"), FD("a/f", "0123456789abcdef"), F("a/g"), { NULL } };

static void test_corrupt(void) {
	_cleanup_free_ char *e_trunc = NULL, *e_gzip = NULL, *e_junk = NULL, *e_empty = NULL, *e_xz = NULL;
	size_t n;

	/* Cut inside the data of a/f: the header of a/g is never found. */
	n = build(good_layer, FILTER_NONE);
	is_int(check(512 * 2 + 8, &e_trunc), -EBADMSG, "tar cut inside a file's data: -EBADMSG");
	ok(e_trunc && has_prefix(e_trunc, "after entry 2 \"a/f\": corrupt or truncated archive: "),
	   "names the last entry read: %s", e_trunc ?: "(null)");

	n = build(good_layer, FILTER_GZIP);
	is_int(check(n / 2, &e_gzip), -EBADMSG, "gzip stream cut in half: -EBADMSG");
	ok(e_gzip && (has_prefix(e_gzip, "after entry ") || has_prefix(e_gzip, "not a tar archive")),
	   "reason: %s", e_gzip ?: "(null)");

	memset(arc, 'x', 4096);
	is_int(check(4096, &e_junk), -EBADMSG, "4 KiB of junk: -EBADMSG");
	ok(has_prefix(e_junk, "not a tar archive (plain, gzip or zstd): "), "reason: %s", e_junk ?: "(null)");

	is_int(check(0, &e_empty), -EBADMSG, "empty input: -EBADMSG");
	ok(has_prefix(e_empty, "not a tar archive (plain, gzip or zstd): "), "reason: %s", e_empty ?: "(null)");

	/* A good tar, but xz is no layer compression. */
	n = build(good_layer, FILTER_XZ);
	ok(n > 0, "xz layer built (%zu bytes)", n);
	is_int(check(n, &e_xz), -EBADMSG, "xz-compressed tar: -EBADMSG");
	ok(has_prefix(e_xz, "not a tar archive (plain, gzip or zstd): "), "reason: %s", e_xz ?: "(null)");
}

static void test_fd(void) {
	char *untouched = (char *) "sentinel";
	_cleanup_close_ int fd = -EBADF, dir = -EBADF;
	_cleanup_free_ char *error = NULL;
	static const char junk[] = "a prefix that is not part of the layer";
	size_t n;

	/* The check starts at the fd's offset, not at 0. */
	n = build(good_layer, FILTER_ZSTD);
	fd = memfd_create("offset", MFD_CLOEXEC);
	ok(fd >= 0 && write(fd, junk, sizeof junk) == sizeof junk && write(fd, arc, n) == (ssize_t) n &&
	   lseek(fd, sizeof junk, SEEK_SET) == sizeof junk, "zstd layer after %zu bytes of junk", sizeof junk);
	is_int(oci_layer_check_fd(fd, &error), 0, "checked from the current offset");
	ok(!error, "no reason for a good layer");
	ok(lseek(fd, 0, SEEK_CUR) > (off_t) sizeof junk, "read on to the end");

	is_int(oci_layer_check_fd(-1, &untouched), -EBADF, "fd -1: -EBADF");
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(oci_layer_check_fd(dir, &untouched), -EISDIR, "a directory fd: -EISDIR, an I/O error");
	is_str(untouched, "sentinel", "ret_error untouched on I/O errors");

	/* No ret_error: still refused. */
	n = build((const TEntry[]) { F("/abs"), { NULL } }, FILTER_NONE);
	is_int(check(n, NULL), -EBADMSG, "refused without ret_error");
}

int main(void) {
	test_cases();
	test_stack_cases();
	test_stack_refused();
	test_raw();
	test_corrupt();
	test_fd();
	return done_testing();
}
