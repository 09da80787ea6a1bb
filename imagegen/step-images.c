/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The file system images, all made by the tools tree's programs from directories (no
 * loop devices, no mounts) and all reproducible: fixed UUIDs, fixed times.
 *   root-A: erofs, read-only
 *   var:    ext4, filled with the image's /var, grown at first boot
 *   ESP:    FAT32 with systemd-boot (UEFI) and syslinux (BIOS), the kernel and initrd */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "dir-util.h"
#include "fat-image.h"
#include "config.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "strv.h"

#define MiB (UINT64_C(1) << 20)

static unsigned long long mib_up(uint64_t bytes) {
	return (unsigned long long) ((bytes + MiB - 1) / MiB);
}

/* Bytes a tree takes on disk: allocated blocks plus one block per inode for metadata. */
static int add_usage(int dir_fd, const char *name, const struct stat *st, void *userdata) {
	*(uint64_t *) userdata += (uint64_t) st->st_blocks * 512 + 4096;
	return 0;
}

static int tree_disk_usage(const char *dir, uint64_t *total) {
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return dir_walk(fd, add_usage, NULL, total);
}

static int file_size(const char *path, uint64_t *ret) {
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	*ret = (uint64_t) st.st_size;
	return 0;
}

int step_root_image(Build *b) {
	_cleanup_free_ char *img = NULL, *tree = NULL, *t = NULL, *u = NULL, *hex = NULL;
	char uuid[UUID_STRING_LEN + 1];
	uint64_t size = 0;
	int r;

	if (b->profile->outputs.disk.root_filesystem != ROOT_FILESYSTEM_EROFS)
		return log_error_errno(-EOPNOTSUPP, "outputs.disk.rootFilesystem: only erofs is implemented so far.");

	uuid_to_string(&b->ids.root_fs, uuid);
	if (!(b->root_image = build_work_path(b, "root.img")) || !(img = build_tools_path(b, "root.img")) ||
	    !(tree = build_tools_path(b, "tree")) || asprintf(&t, "-T%llu", (unsigned long long) b->epoch) < 0 ||
	    asprintf(&u, "-U%s", uuid) < 0)
		return log_oom();

	/* --all-time applies the epoch to every inode, not only the build time. */
	const char *argv[] = { "mkfs.erofs", "--quiet", t, "--all-time", u, "-zlz4", img, tree, NULL };
	r = build_exec_tools(b, "mkfs.erofs (root file system)", argv, BUILD_TIMEOUT_MKFS);
	if (r < 0 || (r = build_expect_output(b, "mkfs.erofs", b->root_image)) < 0)
		return r;

	if ((r = file_size(b->root_image, &size)) < 0)
		return log_error_errno(r, "Cannot stat %s: %m", b->root_image);
	if (size > b->layout.root_size)
		return log_error_errno(-E2BIG,
				       "The root file system needs %llu MiB, but outputs.disk.rootSize is %llu MiB: raise rootSize.",
				       mib_up(size), (unsigned long long) (b->layout.root_size / MiB));

	r = hash_file(HASH_SHA256, b->root_image, &hex);
	if (r < 0)
		return log_error_errno(r, "Cannot hash %s: %m", b->root_image);
	memcpy(b->root_sha256, hex, 65);
	log_debug("Root file system: %llu MiB, sha256 %s", mib_up(size), b->root_sha256);
	return 0;
}

int step_var_image(Build *b) {
	_cleanup_free_ char *img = NULL, *tree = NULL, *seed = NULL, *kib = NULL;
	char uuid[UUID_STRING_LEN + 1], hash_seed[UUID_STRING_LEN + 1];
	uint64_t usage = 0;
	int r;

	r = tree_disk_usage(b->var_tree_dir, &usage);
	if (r < 0)
		return log_error_errno(r, "Cannot measure %s: %m", b->var_tree_dir);
	/* ext4 keeps ~5% for its own metadata and journal at these sizes. */
	if (usage + usage / 10 + 32 * MiB > b->layout.var_size)
		return log_error_errno(-E2BIG,
				       "/var needs about %llu MiB, but outputs.disk.varSize is %llu MiB: raise varSize.",
				       mib_up(usage + usage / 10 + 32 * MiB), (unsigned long long) (b->layout.var_size / MiB));

	uuid_to_string(&b->ids.var_fs, uuid);
	uuid_to_string(&b->ids.var_hash_seed, hash_seed);
	if (!(b->var_image = build_work_path(b, "var.img")) || !(img = build_tools_path(b, "var.img")) ||
	    !(tree = build_tools_path(b, "var-tree")) || asprintf(&seed, "hash_seed=%s", hash_seed) < 0 ||
	    asprintf(&kib, "%lluk", (unsigned long long) (b->layout.var_size / 1024)) < 0)
		return log_oom();

	const char *argv[] = { "mkfs.ext4", "-q", "-L", "kiln-var", "-U", uuid, "-E", seed, "-d", tree, img, kib, NULL };
	r = build_exec_tools(b, "mkfs.ext4 (var)", argv, BUILD_TIMEOUT_MKFS);
	if (r < 0)
		return r;
	return build_expect_output(b, "mkfs.ext4", b->var_image);
}

int build_profile_cmdline(Build *b, char **ret) {
	size_t len = 1;

	for (size_t i = 0; i < b->profile->kernel.n_cmdline; i++)
		len += strlen(b->profile->kernel.cmdline[i]) + 1;
	char *extra = calloc(1, len);
	if (!extra)
		return -ENOMEM;
	for (size_t i = 0; i < b->profile->kernel.n_cmdline; i++) {
		strcat(extra, " ");
		strcat(extra, b->profile->kernel.cmdline[i]);
	}
	*ret = extra;
	return 0;
}

static int kernel_cmdline(Build *b, char **ret) {
	char root[UUID_STRING_LEN + 1], var[UUID_STRING_LEN + 1];
	_cleanup_free_ char *extra = NULL;
	int r;

	uuid_to_string(&b->ids.root_a, root);
	uuid_to_string(&b->ids.var, var);
	if ((r = build_profile_cmdline(b, &extra)) < 0)
		return r;
	/* The consoles and anything else come from the profile's kernel.cmdline. */
	return asprintf(ret, "root=PARTUUID=%s rootfstype=erofs ro kiln.var=PARTUUID=%s kiln.image=%s%s",
			root, var, b->root_sha256, extra) < 0 ? -ENOMEM : 0;
}

static int esp_write(Build *b, const char *rel, const char *text) {
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/%s", b->esp_tree_dir, rel) < 0)
		return -ENOMEM;
	return write_file_atomic(p, text, strlen(text), 0644, WRITE_FILE_MKDIR_PARENTS);
}

static int esp_fill_tree(Build *b) {
	_cleanup_free_ char *cmdline = NULL, *entry = NULL, *syslinux = NULL, *efi = NULL, *efi_data = NULL;
	size_t efi_size;
	int r;

	if ((r = kernel_cmdline(b, &cmdline)) < 0 ||
	    asprintf(&efi, "%s/usr/lib/systemd/boot/efi/systemd-bootx64.efi", b->tree_dir) < 0)
		return -ENOMEM;
	r = read_full_file(efi, &efi_data, &efi_size);
	if (r < 0)
		return log_error_errno(r, "Cannot read systemd-boot from the tree (%s): %m", efi);

	/* Boot counting: "+3" tries; systemd-bless-boot marks the entry good once the boot
	 * is complete, and systemd-boot falls back when the tries run out. */
	if (asprintf(&entry, "title kiln %s (A)\nversion %s\nlinux /kiln/vmlinuz\ninitrd /kiln/initrd.img\noptions %s\n",
		     b->profile->name, b->kernel_version, cmdline) < 0 ||
	    asprintf(&syslinux, "DEFAULT kiln\nPROMPT 0\nTIMEOUT 0\nLABEL kiln\n  LINUX /kiln/vmlinuz\n"
				"  INITRD /kiln/initrd.img\n  APPEND %s\n", cmdline) < 0)
		return -ENOMEM;

	_cleanup_free_ char *boot = NULL, *sdboot = NULL;
	if (asprintf(&boot, "%s/EFI/BOOT/BOOTX64.EFI", b->esp_tree_dir) < 0 ||
	    asprintf(&sdboot, "%s/EFI/systemd/systemd-bootx64.efi", b->esp_tree_dir) < 0)
		return -ENOMEM;
	if ((r = write_file_atomic(boot, efi_data, efi_size, 0644, WRITE_FILE_MKDIR_PARENTS)) < 0 ||
	    (r = write_file_atomic(sdboot, efi_data, efi_size, 0644, WRITE_FILE_MKDIR_PARENTS)) < 0 ||
	    (r = esp_write(b, "loader/loader.conf", "timeout 0\ndefault kiln-a*\neditor no\n")) < 0 ||
	    (r = esp_write(b, "loader/entries/kiln-a+3.conf", entry)) < 0 ||
	    (r = esp_write(b, "syslinux/syslinux.cfg", syslinux)) < 0)
		return r;
	return tree_clamp_mtimes(b->esp_tree_dir, b->epoch);
}

int step_esp(Build *b) {
	_cleanup_free_ char *img = NULL;
	uint64_t usage = 0;
	int r;

	r = esp_fill_tree(b);
	if (r < 0)
		return log_error_errno(r, "Cannot prepare the ESP's contents: %m");
	r = tree_disk_usage(b->esp_tree_dir, &usage);
	if (r < 0)
		return log_error_errno(r, "Cannot measure %s: %m", b->esp_tree_dir);
	/* FAT32 needs its tables and ~2 MiB of slack; syslinux adds ~120 KiB. */
	if (usage + 8 * MiB > b->layout.esp_size)
		return log_error_errno(-E2BIG,
				       "The ESP's contents (kernel, initrd, boot loaders) need %llu MiB, but outputs.disk.espSize is %llu MiB: raise espSize.",
				       mib_up(usage + 8 * MiB), (unsigned long long) (b->layout.esp_size / MiB));

	if (!(b->esp_image = build_work_path(b, "esp.img")) || !(img = build_tools_path(b, "esp.img")))
		return log_oom();
	r = fat_image_make(b, &(FatImage) {
		.what = "ESP", .tree = "esp-tree", .image = "esp.img",
		.size = b->layout.esp_size, .serial = b->ids.esp_serial, .label = "KILN-ESP",
	});
	if (r < 0)
		return r;
	/* BIOS: syslinux's boot sector and ldlinux.sys in the FAT; the disk's MBR gets
	 * gptmbr.bin, which boots the partition marked "legacy BIOS bootable". */
	const char *syslinux[] = { "syslinux", "--install", "--directory", "/syslinux", img, NULL };
	return build_exec_tools(b, "syslinux (ESP)", syslinux, BUILD_TIMEOUT_QUICK);
}
