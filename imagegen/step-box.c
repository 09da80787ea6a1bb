/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln.box: a Vagrant box for the libvirt provider, a tar of
 *   metadata.json   {"provider":"libvirt","format":"qcow2","virtual_size":GiB}
 *   Vagrantfile     the provider settings the box brings
 *   box.img         the box's disk, qcow2 (zstd, as disk.qcow2)
 * The box's disk is the node's disk but for two partitions: its own root image (the
 * box tree of box-tree.c: sshd, sudo, the vagrant user) and its own ESP (the same
 * kernel and initrd, a command line naming that root image's digest in kiln.image=).
 * The var partition (the seeded containerd store) and everything else is the node's.
 *
 * Made by the node's own steps (root-image, esp, disk) run a second time with the
 * build's work and staging directories pointed at a "box" directory inside the work
 * directory, so the box's disk is laid out, named and made reproducible exactly as
 * the node's is. The tar is written here, by libarchive: ustar, fixed order, owner root,
 * mtime SOURCE_DATE_EPOCH, so two builds give the same bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive-cleanup.h"
#include "box.h"
#include "build.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "rm-rf.h"

#define GiB (UINT64_C(1) << 30)

/* The box's own Vagrantfile, merged by Vagrant under the user's. Why not UEFI: the disk
 * boots under both (systemd-boot in the ESP for UEFI; syslinux in the same ESP and
 * gptmbr.bin in the MBR for BIOS, see step-images.c), so the box keeps libvirt's
 * default firmware (SeaBIOS) and does not depend on where a host keeps OVMF. */
static const char box_vagrantfile[] =
	"# kiln box for the libvirt provider (made by kiln-imagegen build --format box).\n"
	"#\n"
	"# Firmware: not set, so libvirt's default (BIOS, SeaBIOS) boots the box. kiln's disk\n"
	"# boots under BIOS (syslinux in the ESP, gptmbr.bin in the MBR) and under UEFI\n"
	"# (systemd-boot): UEFI is not needed, and not forcing it keeps the box independent of\n"
	"# where a host keeps its OVMF firmware.\n"
	"Vagrant.configure(\"2\") do |config|\n"
	"  # The root file system is read-only (erofs): Vagrant cannot replace the insecure\n"
	"  # key it logs in with, and there is nothing to sync a folder into.\n"
	"  config.ssh.insert_key = false\n"
	"  config.vm.synced_folder \".\", \"/vagrant\", disabled: true\n"
	"  config.vm.provider :libvirt do |libvirt|\n"
	"    libvirt.disk_bus = \"virtio\"\n"
	"    libvirt.nic_model_type = \"virtio\"\n"
	"    libvirt.memory = 2048\n"
	"    libvirt.cpus = 2\n"
	"  end\n"
	"end\n";

int box_metadata(uint64_t disk_size, char **ret) {
	unsigned long long gib = (unsigned long long) ((disk_size + GiB - 1) / GiB);
	return asprintf(ret, "{\"provider\":\"libvirt\",\"format\":\"qcow2\",\"virtual_size\":%llu}\n", gib) < 0 ? -ENOMEM : 0;
}


static int archive_add(struct archive *a, const char *name, const char *file, uint64_t epoch) {
	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char buf[1 << 16];

	if (!e)
		return -ENOMEM;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, (time_t) epoch, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return -EIO;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if (archive_write_data(a, buf, (size_t) n) != n)
			return archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
	}
	return archive_write_finish_entry(a) == ARCHIVE_OK ? 0 : -EIO;
}

int box_archive_write(const char *path, const char *const *names, const char *const *files, uint64_t epoch) {
	_cleanup_(archive_write_freep) struct archive *a = archive_write_new();
	int r;

	if (!a)
		return -ENOMEM;
	/* ustar: no pax headers (which could carry times), files up to 8 GiB. */
	if (archive_write_set_format_ustar(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, path) != ARCHIVE_OK)
		return archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
	for (size_t i = 0; names[i]; i++)
		if ((r = archive_add(a, names[i], files[i], epoch)) < 0)
			return r;
	if (archive_write_close(a) != ARCHIVE_OK)
		return archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
	return 0;
}

/* The fields the node's steps read and write, pointed at the box's directory while they
 * run for the box (see the top of this file). */
typedef struct BoxSwap {
	char *work_dir, *work_in_tools, *staging_dir, *tree_dir, *esp_tree_dir, *root_image, *esp_image;
	char root_sha256[65];
	json_t *partitions;
} BoxSwap;

static void box_swap(Build *b, BoxSwap *s) {
#define SWAP(f) do { __typeof__(b->f) t = b->f; b->f = s->f; s->f = t; } while (0)
	SWAP(work_dir);
	SWAP(work_in_tools);
	SWAP(staging_dir);
	SWAP(tree_dir);
	SWAP(esp_tree_dir);
	SWAP(root_image);
	SWAP(esp_image);
	SWAP(partitions);
#undef SWAP
	char t[65];
	memcpy(t, b->root_sha256, 65);
	memcpy(b->root_sha256, s->root_sha256, 65);
	memcpy(s->root_sha256, t, 65);
}

static void box_swap_done(BoxSwap *s) {
	free(s->work_dir);
	free(s->work_in_tools);
	free(s->staging_dir);
	free(s->tree_dir);
	free(s->esp_tree_dir);
	free(s->root_image);
	free(s->esp_image);
	json_decref(s->partitions);
}

/* The box's disk.raw in dir: its root image and ESP, the node's var image. */
static int box_disk(Build *b, BoxSwap *s) {
	int r;

	box_swap(b, s);
	r = step_root_image(b);
	if (r >= 0)
		r = step_esp(b);
	if (r >= 0)
		r = step_disk(b);
	if (r >= 0)
		log_info("Box root file system: sha256 %s", b->root_sha256);
	box_swap(b, s);
	return r;
}

int step_box(Build *b) {
	_cleanup_free_ char *img = NULL, *raw_in = NULL, *img_in = NULL, *meta = NULL,
		*meta_path = NULL, *vf_path = NULL, *box_path = NULL;
	_cleanup_close_ int rootfs_lock = -EBADF;
	_cleanup_(box_swap_done) BoxSwap s = {};
	int r;

	if (!(b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_VAGRANT))) {
		log_info("kiln.box: not asked for (--format, outputs.formats).");
		return 0;
	}
	r = rootfs_box_make(b, &rootfs_lock);
	if (r < 0)
		return r;

	if (!(s.work_dir = build_work_path(b, "box")) || !(s.work_in_tools = build_tools_path(b, "box")) ||
	    !(s.staging_dir = strdup(s.work_dir)) || asprintf(&s.tree_dir, "%s/tree", s.work_dir) < 0 ||
	    asprintf(&s.esp_tree_dir, "%s/esp-tree", s.work_dir) < 0)
		return log_oom();
	(void) rm_rf_path(s.work_dir, REMOVE_ROOT | REMOVE_MISSING_OK);
	if (mkdir(s.work_dir, 0755) < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", s.work_dir);

	r = box_tree_make(b, b->box_rootfs_tree, s.tree_dir);
	if (r < 0)
		return r;
	/* The node's kernel and initrd; esp_fill_tree() writes its own loader entries. */
	r = tree_link_copy(b->esp_tree_dir, s.esp_tree_dir);
	if (r < 0)
		return log_error_errno(r, "Cannot copy %s to %s: %m", b->esp_tree_dir, s.esp_tree_dir);
	r = box_disk(b, &s);
	if (r < 0)
		return r;

	if (asprintf(&img, "%s/box.img", s.work_dir) < 0 || asprintf(&raw_in, "%s/disk.raw", s.work_in_tools) < 0 ||
	    asprintf(&img_in, "%s/box.img", s.work_in_tools) < 0)
		return log_oom();
	const char *argv[] = {
		"qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", "-o", "compression_type=zstd",
		raw_in, img_in, NULL,
	};
	r = build_exec_tools(b, "qemu-img convert (box.img)", argv, BUILD_TIMEOUT_CONVERT);
	if (r < 0 || (r = build_expect_output(b, "qemu-img", img)) < 0)
		return r;

	if ((r = box_metadata(b->layout.disk_size, &meta)) < 0 || asprintf(&meta_path, "%s/metadata.json", s.work_dir) < 0 ||
	    asprintf(&vf_path, "%s/Vagrantfile", s.work_dir) < 0 || asprintf(&box_path, "%s/kiln.box", b->staging_dir) < 0)
		return log_oom();
	if ((r = write_file_atomic(meta_path, meta, strlen(meta), 0644, 0)) < 0 ||
	    (r = write_file_atomic(vf_path, box_vagrantfile, strlen(box_vagrantfile), 0644, 0)) < 0)
		return log_error_errno(r, "Cannot write the box's metadata.json and Vagrantfile: %m");

	/* Vagrant reads metadata.json first; the large disk last. */
	const char *const names[] = { "metadata.json", "Vagrantfile", "box.img", NULL };
	const char *const files[] = { meta_path, vf_path, img, NULL };
	r = box_archive_write(box_path, names, files, b->epoch);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", box_path);
	_cleanup_close_ int fd = open(box_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return log_error_errno(-errno, "Cannot sync %s: %m", box_path);
	(void) rm_rf_path(s.work_dir, REMOVE_ROOT | REMOVE_MISSING_OK);
	return 0;
}
