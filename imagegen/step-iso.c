/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln.iso: the installer, for a CD or (written with dd) a USB stick. A hybrid ISO 9660
 * image made by the tools tree's xorriso, bootable four ways:
 *   BIOS CD      El Torito, isolinux
 *   UEFI CD      El Torito's second entry: boot/efi.img, a FAT image with systemd-boot
 *   BIOS stick   the isohybrid MBR (isohdpfx.bin) chains to isolinux
 *   UEFI stick   the GPT's EFI partition is the same efi.img
 * Each boots the image's own kernel and initrd with kiln.install=... on the command line,
 * which makes the initrd's kiln-install write the kiln/ payload (install-payload.c) to the disk
 * the profile's install: section names, verify it, and power off or reboot.
 *
 * The kernel and initrd are stored twice (in efi.img for UEFI, in the ISO 9660 tree for
 * isolinux, which cannot read FAT): about 22 MB. Reproducible: xorriso takes every date
 * from SOURCE_DATE_EPOCH and derives its GPT GUIDs from it; the FAT image is made like the
 * ESP (fat-image.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "cache.h"
#include "copy.h"
#include "dir-util.h"
#include "fat-image.h"
#include "fd-util.h"
#include "fileio.h"
#include "install-payload.h"
#include "log.h"
#include "rm-rf.h"
#include "strv.h"

#define MiB (UINT64_C(1) << 20)
/* ISO 9660 records a file's size in 32 bits; larger files need several extents, which
 * some firmware and older kernels do not read. */
#define ISO9660_FILE_MAX (UINT64_C(4) * 1024 * MiB - 1)
#define ISO_LABEL "KILN-INSTALL"     /* what kiln-install looks for */

static int work_write(Build *b, const char *rel, const char *text) {
	_cleanup_free_ char *p = build_work_path(b, rel);
	if (!p)
		return -ENOMEM;
	return write_file_atomic(p, text, strlen(text), 0644, WRITE_FILE_MKDIR_PARENTS);
}

static int work_copy(Build *b, const char *src, const char *rel) {
	_cleanup_free_ char *dst = build_work_path(b, rel);
	int r;
	if (!dst)
		return -ENOMEM;
	if ((r = mkdir_parents(dst, 0755)) < 0)
		return r;
	return copy_file_sparse(src, dst, 0644);
}

static int list_dir(const char *path, char ***ret) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return dir_list_sorted(fd, ret);
}

static int fill_trees(Build *b, const char *cmdline) {
	_cleanup_free_ char *vmlinuz = NULL, *initrd = NULL, *sdboot = NULL, *isolinux = NULL, *ldlinux = NULL,
			    *entry = NULL, *cfg = NULL;
	int r;

	if (asprintf(&vmlinuz, "%s/kiln/vmlinuz", b->esp_tree_dir) < 0 ||
	    asprintf(&initrd, "%s/kiln/initrd.img", b->esp_tree_dir) < 0 ||
	    asprintf(&sdboot, "%s/EFI/BOOT/BOOTX64.EFI", b->esp_tree_dir) < 0 ||
	    asprintf(&isolinux, "%s/usr/lib/ISOLINUX/isolinux.bin", b->tools_dir) < 0 ||
	    asprintf(&ldlinux, "%s/usr/lib/syslinux/modules/bios/ldlinux.c32", b->tools_dir) < 0 ||
	    asprintf(&entry, "title kiln %s installer\nversion %s\nlinux /kiln/vmlinuz\ninitrd /kiln/initrd.img\noptions %s\n",
		     b->profile->name, b->kernel_version, cmdline) < 0 ||
	    asprintf(&cfg, "DEFAULT install\nPROMPT 0\nTIMEOUT 0\nLABEL install\n  LINUX /kiln/vmlinuz\n"
			   "  INITRD /kiln/initrd.img\n  APPEND %s\n", cmdline) < 0)
		return log_oom();

	/* UEFI: systemd-boot, straight into the installer. */
	if ((r = work_copy(b, sdboot, "iso-efi/EFI/BOOT/BOOTX64.EFI")) < 0 ||
	    (r = work_copy(b, vmlinuz, "iso-efi/kiln/vmlinuz")) < 0 ||
	    (r = work_copy(b, initrd, "iso-efi/kiln/initrd.img")) < 0 ||
	    (r = work_write(b, "iso-efi/loader/loader.conf", "timeout 0\ndefault install.conf\neditor no\n")) < 0 ||
	    (r = work_write(b, "iso-efi/loader/entries/install.conf", entry)) < 0)
		return log_error_errno(r, "Cannot prepare the ISO's UEFI boot image: %m");
	/* BIOS: isolinux from the tools tree. */
	if ((r = work_copy(b, isolinux, "iso-tree/isolinux/isolinux.bin")) < 0 ||
	    (r = work_copy(b, ldlinux, "iso-tree/isolinux/ldlinux.c32")) < 0 ||
	    (r = work_write(b, "iso-tree/isolinux/isolinux.cfg", cfg)) < 0 ||
	    (r = work_copy(b, vmlinuz, "iso-tree/kiln/vmlinuz")) < 0 ||
	    (r = work_copy(b, initrd, "iso-tree/kiln/initrd.img")) < 0)
		return log_error_errno(r, "Cannot prepare the ISO's BIOS boot files: %m");
	return 0;
}

/* Every file must fit ISO 9660's 32-bit size; the payload's var range is the one that
 * can grow past it (a large seeded store, compressed). */
static int check_file_sizes(const char *dir) {
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *kiln = NULL;
	int r;

	if (asprintf(&kiln, "%s/kiln", dir) < 0)
		return log_oom();
	r = list_dir(kiln, &names);
	if (r < 0)
		return log_error_errno(r, "Cannot list %s: %m", kiln);
	STRV_FOREACH(n, names) {
		_cleanup_free_ char *p = NULL;
		struct stat st;
		if (asprintf(&p, "%s/%s", kiln, *n) < 0)
			return log_oom();
		if (stat(p, &st) < 0)
			return log_error_errno(-errno, "Cannot stat %s: %m", p);
		if ((uint64_t) st.st_size > ISO9660_FILE_MAX)
			return log_error_errno(-EFBIG, "kiln.iso: kiln/%s is %llu bytes; ISO 9660 stores files of at most %llu bytes (4 GiB - 1). Make the image smaller (outputs.disk.varSize, fewer images) or use the raw or qcow2 format.",
					       *n, (unsigned long long) st.st_size, (unsigned long long) ISO9660_FILE_MAX);
	}
	return 0;
}

int step_iso(Build *b) {
	_cleanup_free_ char *cmdline = NULL, *kiln_dir = NULL, *efi_dir = NULL, *tree = NULL, *tree_in = NULL,
			    *iso = NULL, *iso_in = NULL;
	uint64_t usage = 0;
	int r;

	if (!(b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_ISO)))
		return 0;
	if (!(kiln_dir = build_work_path(b, "iso-tree/kiln")) || !(efi_dir = build_work_path(b, "iso-efi")) ||
	    !(tree = build_work_path(b, "iso-tree")) || !(tree_in = build_tools_path(b, "iso-tree")) ||
	    !(iso = build_work_path(b, "kiln.iso")) || !(iso_in = build_tools_path(b, "kiln.iso")))
		return log_oom();
	if ((r = install_cmdline(b, "", &cmdline)) < 0)
		return log_oom();
	if ((r = fill_trees(b, cmdline)) < 0)
		return r;

	/* The payload (step "install-payload"), linked: the work directory is one file system. */
	STRV_FOREACH(f, b->install_payload_files) {
		_cleanup_free_ char *src = NULL, *dst = NULL;
		if (asprintf(&src, "%s/%s", b->install_payload_dir, *f) < 0 || asprintf(&dst, "%s/%s", kiln_dir, *f) < 0)
			return log_oom();
		if (link(src, dst) < 0)
			return log_error_errno(-errno, "Cannot link %s to %s: %m", src, dst);
	}
	if ((r = check_file_sizes(tree)) < 0)
		return r;

	/* The UEFI boot image: FAT16 (small; FAT32 wants at least 32 MiB), sized to fit. */
	_cleanup_free_ char *efi_img = build_work_path(b, "iso-tree/boot/efi.img");
	if (!efi_img)
		return log_oom();
	if ((r = tree_clamp_mtimes(efi_dir, b->epoch)) < 0 || (r = cache_tree_usage(efi_dir, &usage)) < 0 ||
	    (r = mkdir_parents(efi_img, 0755)) < 0)
		return log_error_errno(r, "Cannot prepare %s: %m", efi_dir);
	r = fat_image_make(b, &(FatImage) {
		.what = "ISO UEFI boot image", .tree = "iso-efi", .image = "iso-tree/boot/efi.img",
		.size = (usage + 4 * MiB + MiB - 1) / MiB * MiB, .fat_bits = 16,
		.serial = b->ids.esp_serial ^ 0x15015015u, .label = "KILN-EFI",
	});
	if (r < 0)
		return r;
	if ((r = tree_clamp_mtimes(tree, b->epoch)) < 0)
		return log_error_errno(r, "Cannot clamp the times in %s: %m", tree);

	const char *argv[] = {
		"xorriso", "-as", "mkisofs", "-quiet", "-o", iso_in, "-V", ISO_LABEL, "-r",
		"-isohybrid-mbr", "/usr/lib/ISOLINUX/isohdpfx.bin",
		"-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
		"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
		"-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat",
		tree_in, NULL,
	};
	r = build_exec_tools(b, "xorriso (kiln.iso)", argv, BUILD_TIMEOUT_MKFS);
	if (r < 0 || (r = build_expect_output(b, "xorriso", iso)) < 0)
		return r;
	r = build_output_move_in(b, iso, "kiln.iso");
	if (r < 0)
		return r;
	(void) rm_rf_path(tree, REMOVE_ROOT | REMOVE_MISSING_OK);
	(void) rm_rf_path(efi_dir, REMOVE_ROOT | REMOVE_MISSING_OK);
	return 0;
}
