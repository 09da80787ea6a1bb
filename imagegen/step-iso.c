/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln.iso: the installer, for a CD or (written with dd) a USB stick. A hybrid ISO 9660
 * image made by the tools tree's xorriso, bootable four ways:
 *   BIOS CD      El Torito, isolinux
 *   UEFI CD      El Torito's second entry: boot/efi.img, a small FAT image holding GRUB
 *   BIOS stick   the isohybrid MBR (isohdpfx.bin) chains to isolinux
 *   UEFI stick   the GPT's EFI partition is the same efi.img
 * Each boots the image's own kernel and initrd with kiln.install=... on the command line,
 * which makes the initrd's kiln-install write the kiln/ payload (install-payload.c) to the disk
 * the profile's install: section names, verify it, and power off or reboot.
 *
 * The kernel and initrd are stored once, in the ISO 9660 tree, where isolinux and GRUB
 * both read them. GRUB rather than the image's systemd-boot for UEFI because
 * systemd-boot reads only the FAT volume it came from, so the kernel and initrd (23 MB)
 * would be in efi.img a second time; GRUB (grub-mkimage from the tools tree, its
 * configuration built in) reads ISO 9660. Reproducible: xorriso takes every date from
 * SOURCE_DATE_EPOCH and derives its GPT GUIDs from it; grub-mkimage writes the same bytes
 * for the same modules and configuration; the FAT image is made like the ESP
 * (fat-image.c). */
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

/* GRUB's modules for the installer's UEFI entry: find the ISO 9660 volume by its label (on
 * a CD, or on a stick's whole disk past the hybrid GPT), load the kernel and initrd. */
static const char *const grub_modules[] = {
	"search", "search_label", "iso9660", "part_gpt", "part_msdos", "linux", "boot", NULL,
};

/* s in GRUB's single quotes ('\'' for a quote): taken literally, whatever it holds. */
static void grub_quote(FILE *f, const char *s) {
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

/* GRUB's configuration, built into its image: no menu, no timeout, straight into the
 * installer, as isolinux.cfg does. */
static int grub_config(const char *cmdline, char **ret) {
	_cleanup_free_ char *text = NULL, *copy = strdup(cmdline);
	size_t size = 0;
	FILE *f;

	if (!copy || !(f = open_memstream(&text, &size)))
		return -ENOMEM;
	fputs("search --no-floppy --label " ISO_LABEL " --set root\nlinux /kiln/vmlinuz", f);
	for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		fputc(' ', f);
		grub_quote(f, w);
	}
	fputs("\ninitrd /kiln/initrd.img\nboot\n", f);
	if (fclose(f) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(text);
	return 0;
}

static int fill_trees(Build *b, const char *cmdline) {
	_cleanup_free_ char *vmlinuz = NULL, *initrd = NULL, *isolinux = NULL, *ldlinux = NULL, *cfg = NULL,
			    *grub_cfg = NULL, *grub_cfg_in = NULL, *grub_efi = NULL, *grub_efi_in = NULL;
	int r;

	if (asprintf(&vmlinuz, "%s/kiln/vmlinuz", b->esp_tree_dir) < 0 ||
	    asprintf(&initrd, "%s/kiln/initrd.img", b->esp_tree_dir) < 0 ||
	    asprintf(&isolinux, "%s/usr/lib/ISOLINUX/isolinux.bin", b->tools_dir) < 0 ||
	    asprintf(&ldlinux, "%s/usr/lib/syslinux/modules/bios/ldlinux.c32", b->tools_dir) < 0 ||
	    asprintf(&cfg, "DEFAULT install\nPROMPT 0\nTIMEOUT 0\nLABEL install\n  LINUX /kiln/vmlinuz\n"
			   "  INITRD /kiln/initrd.img\n  APPEND %s\n", cmdline) < 0 ||
	    grub_config(cmdline, &grub_cfg) < 0 ||
	    !(grub_cfg_in = build_tools_path(b, "iso-grub.cfg")) ||
	    !(grub_efi = build_work_path(b, "iso-efi/EFI/BOOT/BOOTX64.EFI")) ||
	    !(grub_efi_in = build_tools_path(b, "iso-efi/EFI/BOOT/BOOTX64.EFI")))
		return log_oom();

	/* BIOS: isolinux from the tools tree; the kernel and initrd, for both. */
	if ((r = work_copy(b, isolinux, "iso-tree/isolinux/isolinux.bin")) < 0 ||
	    (r = work_copy(b, ldlinux, "iso-tree/isolinux/ldlinux.c32")) < 0 ||
	    (r = work_write(b, "iso-tree/isolinux/isolinux.cfg", cfg)) < 0 ||
	    (r = work_copy(b, vmlinuz, "iso-tree/kiln/vmlinuz")) < 0 ||
	    (r = work_copy(b, initrd, "iso-tree/kiln/initrd.img")) < 0)
		return log_error_errno(r, "Cannot prepare the ISO's boot files: %m");

	/* UEFI: GRUB, its configuration built in. */
	if ((r = work_write(b, "iso-grub.cfg", grub_cfg)) < 0 || (r = mkdir_parents(grub_efi, 0755)) < 0)
		return log_error_errno(r, "Cannot prepare the ISO's UEFI boot image: %m");
	const char *argv[32] = {
		"grub-mkimage", "--directory=/usr/lib/grub/x86_64-efi", "--format=x86_64-efi", "--prefix=/boot/grub",
		"--config", grub_cfg_in, "--output", grub_efi_in,
	};
	size_t n = 8;
	for (const char *const *m = grub_modules; *m; m++)
		argv[n++] = *m;
	argv[n] = NULL;
	r = build_exec_tools(b, "grub-mkimage (kiln.iso)", argv, BUILD_TIMEOUT_QUICK);
	if (r < 0)
		return r;
	return build_expect_output(b, "grub-mkimage", grub_efi);
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

	/* The UEFI boot image: FAT12 (GRUB is a few hundred KiB), sized to fit and no more:
	 * every MiB here is a MiB of the ISO that carries nothing. */
	_cleanup_free_ char *efi_img = build_work_path(b, "iso-tree/boot/efi.img");
	if (!efi_img)
		return log_oom();
	if ((r = tree_clamp_mtimes(efi_dir, b->epoch)) < 0 || (r = cache_tree_usage(efi_dir, &usage)) < 0 ||
	    (r = mkdir_parents(efi_img, 0755)) < 0)
		return log_error_errno(r, "Cannot prepare %s: %m", efi_dir);
	r = fat_image_make(b, &(FatImage) {
		.what = "ISO UEFI boot image", .tree = "iso-efi", .image = "iso-tree/boot/efi.img",
		.size = (usage + MiB / 2 + MiB - 1) / MiB * MiB, .fat_bits = 12,
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
	_cleanup_free_ char *grub_cfg = build_work_path(b, "iso-grub.cfg");
	if (grub_cfg)
		(void) unlink(grub_cfg);
	return 0;
}
