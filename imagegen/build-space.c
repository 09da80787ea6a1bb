/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "build.h"
#include "build-space.h"
#include "job.h"
#include "log.h"

#define MiB (UINT64_C(1) << 20)

/* Measured on the shipped profiles (trixie, amd64, a cold build of single-node.yaml
 * with --without-kubernetes, cache and output on one tmpfs sampled every 0.1 s):
 *   tools tree 139 MB, its tarball as much again while it is unpacked (164 MiB since
 *     qemu-utils joined it);
 *   root file system tree 550 MB; mmdebstrap's chroot and its tarball exist at once,
 *     then the tarball and the unpacked tree: about twice the tree;
 *   root.img (erofs, lz4) 0.67 of the tree; disk.raw 377 MB allocated of 8 GiB;
 *   peak 1.19 GB while the root file system was made, 1.36 GB in all at the end.
 * Images (the bundle): containerd keeps each blob once in its content store and unpacks
 * it into a snapshot, about 2.5 times the gzip'd size; the archive they are imported from
 * exists alongside until the import is done. */
#define TOOLS_TREE       (180 * MiB)
#define ROOT_TREE_GUESS  (600 * MiB)       /* until a cached tree can be measured */
#define EROFS_PERCENT    70
#define STORE_PERCENT    350               /* content + snapshots, of the blobs' size */
#define VAR_OVERHEAD     (64 * MiB)        /* ext4's journal and tables */
#define ESP_BYTES        (64 * MiB)        /* kernel, initrd, boot loaders */
#define STEP_SMALL       (16 * MiB)

typedef enum Where { IN_CACHE, IN_OUTPUT } Where;

static uint64_t root_tree(const Build *b) {
	return b->root_tree_bytes ?: ROOT_TREE_GUESS;
}

static uint64_t root_image(const Build *b) {
	return root_tree(b) / 100 * EROFS_PERCENT;
}

static uint64_t var_image(const Build *b) {
	return b->images_bytes / 100 * STORE_PERCENT + VAR_OVERHEAD;
}

/* disk.qcow2, counted as large as disk.raw's data: the erofs root is compressed already,
 * and zstd gains little on it (step-qcow2.c). */
static uint64_t qcow2_image(const Build *b) {
	return b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_QCOW2) ? root_image(b) + var_image(b) + ESP_BYTES : 0;
}

/* kiln.iso and pxe/: the install payload (disk.raw's data, compressed as little as for
 * qcow2) and the kernel and initrd once more (inside the ESP's size); counted in full for
 * each, though the PXE set links the ISO's payload when both are made. */
static uint64_t iso_image(const Build *b) {
	return b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_ISO) ? root_image(b) + var_image(b) + 2 * ESP_BYTES : 0;
}

static uint64_t pxe_set(const Build *b) {
	return b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_PXE) ? root_image(b) + var_image(b) + 2 * ESP_BYTES : 0;
}

/* kiln.box: the box's own disk (its root image, the ESP, the node's var image), as large as
 * disk.raw's data, and box.img and kiln.box, each about as large as disk.qcow2. */
static uint64_t box_image(const Build *b) {
	return b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_VAGRANT) ? root_image(b) + var_image(b) + ESP_BYTES : 0;
}

/* The box's root file system tree (step-rootfs.c), when it is to be made: as large as the
 * node's. */
static uint64_t box_tree(const Build *b) {
	return b->box_rootfs_tree && !b->box_rootfs_cached ? root_tree(b) : 0;
}

/* What one step writes, and where. */
static uint64_t step_need(const Build *b, const char *step, Where *ret_where) {
	*ret_where = IN_CACHE;
	if (streq(step, "tools"))
		return b->tools_cached ? 0 : 2 * TOOLS_TREE;
	if (streq(step, "rootfs"))      /* the tools tree is made meanwhile, and waited for here */
		return (b->rootfs_cached ? 0 : 2 * root_tree(b)) + (b->tools_cached ? 0 : 2 * TOOLS_TREE) + 2 * box_tree(b);
	if (streq(step, "store"))
		return b->images_bytes + b->images_bytes / 100 * STORE_PERCENT;
	if (streq(step, "root-image"))
		return root_image(b);
	if (streq(step, "var-image"))
		return var_image(b);
	if (streq(step, "esp"))
		return ESP_BYTES;
	if (streq(step, "disk")) {
		*ret_where = IN_OUTPUT;
		return root_image(b) + var_image(b) + ESP_BYTES;
	}
	if (streq(step, "iso")) {            /* the payload and the ISO in the work directory, then moved out */
		*ret_where = IN_OUTPUT;
		return iso_image(b);
	}
	if (streq(step, "pxe")) {            /* the payload linked or copied, the boot files */
		*ret_where = IN_OUTPUT;
		return pxe_set(b);
	}
	if (streq(step, "qcow2")) {          /* made in the work directory, then moved out */
		*ret_where = IN_OUTPUT;
		return qcow2_image(b);
	}
	if (streq(step, "box")) {            /* the disk and box.img in the work directory, kiln.box out */
		*ret_where = IN_OUTPUT;
		return box_image(b);
	}
	if (streq(step, "manifest"))
		*ret_where = IN_OUTPUT;
	return STEP_SMALL;
}

/* The most the whole build has on each file system at once: while the cached trees are
 * made, or at the end, when the new trees, the work directory and the output all exist. */
static void build_need(const Build *b, uint64_t *ret_cache, uint64_t *ret_output) {
	uint64_t trees = (b->tools_cached ? 0 : TOOLS_TREE) + (b->rootfs_cached ? 0 : root_tree(b)) + box_tree(b);
	uint64_t making = (b->tools_cached ? 0 : 2 * TOOLS_TREE) + (b->rootfs_cached ? 0 : 2 * root_tree(b)) +
			  2 * box_tree(b);
	uint64_t work = STEP_SMALL + root_image(b) + b->images_bytes / 100 * STORE_PERCENT + var_image(b) + ESP_BYTES +
			qcow2_image(b) + 2 * iso_image(b) + pxe_set(b) + 2 * box_image(b);
	Where w;

	*ret_cache = MAX(making, trees + work);
	*ret_output = b->output_dir ? step_need(b, "disk", &w) + step_need(b, "qcow2", &w) + step_need(b, "iso", &w) +
		step_need(b, "pxe", &w) + step_need(b, "box", &w) + STEP_SMALL : 0;
}

static unsigned long long mib(uint64_t bytes) {
	return (unsigned long long) ((bytes + MiB - 1) / MiB);
}

static bool same_file_system(const char *a, const char *b) {
	struct stat x, y;
	return a && b && stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev;
}

int build_space_check(Build *b) {
	uint64_t need_cache, need_output, have_cache = 0, have_output = 0;
	int r;

	build_need(b, &need_cache, &need_output);
	if (same_file_system(b->cache_dir, b->output_parent)) {
		need_cache += need_output;
		need_output = 0;
	}
	r = job_free_bytes(b->cache_dir, &have_cache);
	if (r < 0)
		return log_error_errno(r, "Cannot tell the free space of %s: %m", b->cache_dir);
	if (have_cache < need_cache)
		return log_error_errno(-ENOSPC,
				       "Not enough free disk space for the build: %s has %llu MiB free, the build needs about %llu MiB there%s.",
				       b->cache_dir, mib(have_cache), mib(need_cache),
				       need_output == 0 && b->output_dir ? " (cache and output on one file system)" : "");
	if (need_output == 0)
		return 0;
	r = job_free_bytes(b->output_parent, &have_output);
	if (r < 0)
		return log_error_errno(r, "Cannot tell the free space next to %s: %m", b->output_dir);
	if (have_output < need_output)
		return log_error_errno(-ENOSPC,
				       "Not enough free disk space for the image: %s has %llu MiB free, the image needs about %llu MiB.",
				       b->output_parent, mib(have_output), mib(need_output));
	return 0;
}

/* The mount point of the file system holding path: the last directory up from it that
 * is still on the same device. */
static char *mount_point(const char *path) {
	char *p = realpath(path, NULL);
	struct stat st, up;

	if (!p || stat(p, &st) < 0)
		return p;
	for (;;) {
		char *slash = strrchr(p, '/');
		if (slash == p) {               /* the parent is / */
			if (stat("/", &up) == 0 && up.st_dev == st.st_dev)
				p[1] = '\0';
			return p;
		}
		*slash = '\0';
		if (stat(p, &up) < 0 || up.st_dev != st.st_dev) {
			*slash = '/';
			return p;
		}
	}
}

void build_space_report(Build *b, const char *step) {
	Where where;
	uint64_t need = step_need(b, step, &where), have = 0;
	const char *path = b->full_path ?: where == IN_OUTPUT ? b->output_parent : b->cache_dir;
	_cleanup_free_ char *mnt = NULL;
	uint64_t total_cache, total_output;

	if (!path)
		return;
	mnt = mount_point(path);
	(void) job_free_bytes(path, &have);
	build_need(b, &total_cache, &total_output);
	log_error("Out of disk space (ENOSPC) in step \"%s\": the file system of %s (mounted on %s) has %llu MiB free; "
		  "this step needs about %llu MiB there, the whole build about %llu MiB beyond what is cached. "
		  "Free some space, or build with --cache or -o elsewhere.",
		  step, path, mnt ?: "?", mib(have), mib(need), mib(where == IN_OUTPUT ? total_output : total_cache));
}
