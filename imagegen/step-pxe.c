/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pxe/: the network boot set. Served by any HTTP server (and a TFTP server for plain
 * PXE), it boots a machine with no disk, or installs to its disk:
 *   boot.ipxe             for iPXE: kernel and initrd relative to the script's own URL
 *   pxelinux.0, ldlinux.c32, pxelinux.cfg/default
 *                         for plain BIOS PXE from TFTP
 *   vmlinuz, initrd.img   the image's own kernel and initramfs: the initramfs carries the
 *                         network drivers and a fetcher (busybox wget and tftp), not the
 *                         root file system
 *   install.list, *.zst   the install payload (install-payload.h), as on the ISO
 *
 * Two modes, the profile's install.mode by default; iPXE's ${kiln-mode} chooses per boot:
 *   diskless  the initramfs (scripts/kiln-pxe) fetches install.list, the root-a and var
 *             ranges, checks each file's SHA-256 against the list and the list's against
 *             the kernel command line, and runs the root from RAM: the erofs read-only,
 *             var a writable copy in a tmpfs that is gone at power-off
 *   disk      kiln-install writes the payload to the disk, as from the ISO
 * Where the files are: iPXE's ${kiln-url} (set by whatever chains to boot.ipxe), else the
 * profile's install.url, else "tftp": the initramfs asks the DHCP server's next-server.
 *
 * The kernel command line pins install.list by its digest and the list pins every
 * file, so a corrupted or substituted file is refused before it is used. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "copy.h"
#include "fileio.h"
#include "install-payload.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

#define MiB (UINT64_C(1) << 20)

/* What diskless takes of RAM: the root range whole, and the var range's data (its copy
 * in the tmpfs keeps the holes). */
static int diskless_ram(Build *b, uint64_t *ret_root, uint64_t *ret_var) {
	InstallRange ranges[INSTALL_RANGES_MAX];
	struct stat st;
	size_t n;
	int r;

	r = install_ranges(b, ranges, &n);
	if (r < 0)
		return r;
	*ret_root = 0;
	for (size_t i = 0; i < n; i++)
		if (ranges[i].file && streq(ranges[i].file, "root-a"))
			*ret_root = ranges[i].length;
	if (!b->var_image)
		return -ENOENT;
	if (stat(b->var_image, &st) < 0)
		return -errno;
	*ret_var = (uint64_t) st.st_blocks * 512;
	return 0;
}

static int check_ram_budget(Build *b) {
	uint64_t root = 0, var = 0, budget = b->profile->install.ram_budget;
	int r;

	if (b->profile->install.mode != INSTALL_MODE_DISKLESS)
		return 0;
	r = diskless_ram(b, &root, &var);
	if (r < 0)
		return log_error_errno(r, "Cannot measure the root and var images: %m");
	if (root + var > budget)
		return log_error_errno(-EFBIG, "pxe: a diskless node holds the root image (%llu MiB) and var (%llu MiB) in RAM: %llu MiB, over install.ramBudget (%llu MiB). Raise install.ramBudget, make the image smaller (fewer images, base.packages) or use install.mode: disk.",
				       (unsigned long long) (root / MiB), (unsigned long long) (var / MiB),
				       (unsigned long long) ((root + var + MiB - 1) / MiB), (unsigned long long) (budget / MiB));
	return 0;
}

/* The command lines of the two modes; url is where the files are ("${kiln-url}" in
 * boot.ipxe). */
static int diskless_cmdline(Build *b, const char *url, char **ret) {
	_cleanup_free_ char *extra = NULL;
	int r;

	if ((r = build_profile_cmdline(b, &extra)) < 0)
		return r;
	/* There is no var partition to mount (fstab) or grow (repart): the initramfs mounted
	 * the tmpfs copy on /var already. */
	return asprintf(ret, "boot=kiln-pxe kiln.pxe.url=%s kiln.pxe.list=%s kiln.image=%s fstab=no systemd.mask=systemd-repart.service%s",
			url, b->install_list_sha256, b->root_sha256, extra) < 0 ? -ENOMEM : 0;
}

static int disk_cmdline(Build *b, const char *url, char **ret) {
	_cleanup_free_ char *source = NULL;
	if (asprintf(&source, " kiln.install.url=%s kiln.install.list=%s", url, b->install_list_sha256) < 0)
		return -ENOMEM;
	return install_cmdline(b, source, ret);
}

static const char *profile_url(Build *b) {
	return b->profile->install.url ?: "tftp";
}

static int boot_ipxe(Build *b, char **ret) {
	_cleanup_free_ char *diskless = NULL, *disk = NULL;
	const char *mode = install_mode_to_string(b->profile->install.mode);
	int r;

	if ((r = diskless_cmdline(b, "${kiln-url}", &diskless)) < 0 || (r = disk_cmdline(b, "${kiln-url}", &disk)) < 0)
		return r;
	/* initrd= names the initrd for the kernel's EFI stub (iPXE on UEFI); BOOTIF= the card
	 * iPXE booted from, for the initramfs to configure. */
	return asprintf(ret,
			"#!ipxe\n"
			"# kiln %s %s: network boot (kiln-imagegen(1), PXE).\n"
			"# Set kiln-url (the URL of this directory, ending in /) and kiln-mode (disk or\n"
			"# diskless) before chaining here to override the profile's.\n"
			"isset ${kiln-url} || set kiln-url %s\n"
			"isset ${kiln-mode} || set kiln-mode %s\n"
			"iseq ${kiln-mode} diskless && goto diskless ||\n"
			"iseq ${kiln-mode} disk && goto disk ||\n"
			"echo kiln: kiln-mode is \"${kiln-mode}\"; it must be disk or diskless\n"
			"shell\n"
			":diskless\n"
			"echo kiln: diskless from ${kiln-url}\n"
			"kernel vmlinuz initrd=initrd.img BOOTIF=01-${netX/mac:hexhyp} %s\n"
			"initrd initrd.img\n"
			"boot\n"
			":disk\n"
			"echo kiln: installing from ${kiln-url}\n"
			"kernel vmlinuz initrd=initrd.img BOOTIF=01-${netX/mac:hexhyp} %s\n"
			"initrd initrd.img\n"
			"boot\n",
			b->profile->name, b->kernel_version, profile_url(b), mode, diskless, disk) < 0 ? -ENOMEM : 0;
}

/* Plain PXE (BIOS): the profile's mode, the files from the profile's URL or TFTP.
 * IPAPPEND 2 adds BOOTIF=, the card PXELINUX booted from. */
static int pxelinux_cfg(Build *b, char **ret) {
	_cleanup_free_ char *cmdline = NULL;
	int r;

	r = b->profile->install.mode == INSTALL_MODE_DISKLESS ? diskless_cmdline(b, profile_url(b), &cmdline)
							       : disk_cmdline(b, profile_url(b), &cmdline);
	if (r < 0)
		return r;
	return asprintf(ret, "DEFAULT kiln\nPROMPT 0\nTIMEOUT 0\nLABEL kiln\n  KERNEL vmlinuz\n  INITRD initrd.img\n"
			     "  APPEND %s\n  IPAPPEND 2\n", cmdline) < 0 ? -ENOMEM : 0;
}

/* Into OUTDIR's pxe/: moved when from the work directory's own copy, else copied. */
static int put_file(Build *b, const char *src, const char *name, bool move) {
	_cleanup_free_ char *rel = NULL, *tmp = NULL;
	int r;

	if (asprintf(&rel, "pxe/%s", name) < 0)
		return log_oom();
	if (move)
		return build_output_move_in(b, src, rel);
	if (!(tmp = build_work_path(b, "pxe-copy")))
		return log_oom();
	r = copy_file_sparse(src, tmp, 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot copy %s: %m", src);
	return build_output_move_in(b, tmp, rel);
}

static int put_text(Build *b, const char *name, const char *text) {
	_cleanup_free_ char *tmp = build_work_path(b, "pxe-text");
	int r;

	if (!tmp)
		return log_oom();
	r = write_file_atomic(tmp, text, strlen(text), 0644, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", tmp);
	return put_file(b, tmp, name, true);
}

int step_pxe(Build *b) {
	_cleanup_free_ char *ipxe = NULL, *cfg = NULL, *dir = NULL, *cfg_dir = NULL;
	int r;

	if (!(b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_PXE)))
		return 0;
	if ((r = check_ram_budget(b)) < 0)
		return r;
	if ((r = boot_ipxe(b, &ipxe)) < 0 || (r = pxelinux_cfg(b, &cfg)) < 0)
		return log_oom();
	if (asprintf(&dir, "%s/pxe", b->staging_dir) < 0 || asprintf(&cfg_dir, "%s/pxelinux.cfg", dir) < 0)
		return log_oom();
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || (mkdir(cfg_dir, 0755) < 0 && errno != EEXIST))
		return log_error_errno(-errno, "Cannot create %s: %m", cfg_dir);

	static const struct { const char *from, *in, *name; } boot_files[] = {
		{ "esp",   "kiln/vmlinuz",                               "vmlinuz" },
		{ "esp",   "kiln/initrd.img",                            "initrd.img" },
		{ "tools", "usr/lib/PXELINUX/pxelinux.0",                "pxelinux.0" },
		{ "tools", "usr/lib/syslinux/modules/bios/ldlinux.c32",  "ldlinux.c32" },
	};
	for (size_t i = 0; i < ELEMENTSOF(boot_files); i++) {
		_cleanup_free_ char *src = NULL;
		if (asprintf(&src, "%s/%s", streq(boot_files[i].from, "esp") ? b->esp_tree_dir : b->tools_dir,
			     boot_files[i].in) < 0)
			return log_oom();
		if ((r = put_file(b, src, boot_files[i].name, false)) < 0)
			return r;
	}
	if ((r = put_text(b, "boot.ipxe", ipxe)) < 0 || (r = put_text(b, "pxelinux.cfg/default", cfg)) < 0)
		return r;

	/* The payload last: the ISO step, if any, linked it already; moving is safe now. */
	STRV_FOREACH(f, b->install_payload_files) {
		_cleanup_free_ char *src = NULL;
		if (asprintf(&src, "%s/%s", b->install_payload_dir, *f) < 0)
			return log_oom();
		if ((r = put_file(b, src, *f, true)) < 0)
			return r;
	}
	return 0;
}
