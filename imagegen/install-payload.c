/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "install-payload.h"
#include "log.h"
#include "rm-rf.h"
#include "strv.h"

#define MiB (UINT64_C(1) << 20)

static uint64_t mib_round_up(uint64_t n) {
	return (n + MiB - 1) / MiB * MiB;
}

int install_ranges(Build *b, InstallRange ret[static INSTALL_RANGES_MAX], size_t *ret_n) {
	const DiskLayout *l = &b->layout;
	struct stat st;
	size_t n = 0;

	if (!b->root_image)
		return -ENOENT;
	if (stat(b->root_image, &st) < 0)
		return -errno;
	uint64_t var_end = l->var_start + l->var_size, tail = MAX(l->disk_size - MiB, var_end);

	/* The protective MBR and the primary GPT sit before the ESP. */
	ret[n++] = (InstallRange) { "gpt-head", 0, l->esp_start };
	ret[n++] = (InstallRange) { "esp", l->esp_start, l->esp_size };
	ret[n++] = (InstallRange) { "root-a", l->root_a_start, MIN(mib_round_up((uint64_t) st.st_size), l->root_size) };
	ret[n++] = (InstallRange) { NULL, l->root_b_start, MIN(MiB, l->root_size) };
	ret[n++] = (InstallRange) { "var", l->var_start, l->var_size };
	/* The backup GPT: the disk's last sectors, where the image ends (systemd-repart moves
	 * it to the end of a bigger disk when it grows var at first boot). */
	if (tail < l->disk_size)
		ret[n++] = (InstallRange) { "gpt-tail", tail, l->disk_size - tail };
	*ret_n = n;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n) {
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Copy [offset, offset + length) of fd to path, leaving holes where the data is zero,
 * and return its SHA-256 in hex. */
static int range_copy(int fd, uint64_t offset, uint64_t length, const char *path, char ret_hex[static 65]) {
	_cleanup_(hash_context_freep) HashContext *h = NULL;
	_cleanup_close_ int out = -EBADF;
	_cleanup_free_ uint8_t *buf = malloc(MiB);
	uint8_t digest[HASH_SIZE_MAX];
	size_t digest_len;
	int r;

	if (!buf)
		return -ENOMEM;
	if ((r = hash_context_new(HASH_SHA256, &h)) < 0)
		return r;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return -errno;
	for (uint64_t done = 0; done < length; ) {
		size_t want = (size_t) MIN(MiB, length - done);
		ssize_t k = pread(fd, buf, want, (off_t) (offset + done));
		if (k < 0)
			return -errno;
		if ((size_t) k != want)
			return -EIO;        /* the disk is shorter than its layout */
		if ((r = hash_context_update(h, buf, want)) < 0)
			return r;
		if (!all_zero(buf, want) && pwrite(out, buf, want, (off_t) done) != (ssize_t) want)
			return -errno ?: -EIO;
		done += want;
	}
	if (ftruncate(out, (off_t) length) < 0)
		return -errno;
	if ((r = hash_context_final(h, digest, &digest_len)) < 0)
		return r;
	return hexmem_buf(digest, digest_len, ret_hex, 65);
}

/* Compress each range file in the tools tree (zstd's output depends on its version: it
 * is pinned there like every other tool). */
static int payload_compress(Build *b, const InstallRange *ranges, size_t n) {
	_cleanup_free_ char *dir_in = build_tools_path(b, "install-payload");
	_cleanup_strv_free_ char **argv = NULL;

	if (!dir_in || strv_extend_many(&argv, "zstd", "-q", "-3", "--single-thread", "--rm", NULL) < 0)
		return log_oom();
	for (size_t i = 0; i < n; i++)
		if (ranges[i].file && strv_extendf(&argv, "%s/%s", dir_in, ranges[i].file) < 0)
			return log_oom();
	return build_exec_tools(b, "zstd (install payload)", (const char *const *) argv, BUILD_TIMEOUT_MKFS);
}

int install_payload_make(Build *b, const char *disk) {
	InstallRange ranges[INSTALL_RANGES_MAX];
	char range_sha[INSTALL_RANGES_MAX][65];
	_cleanup_free_ char *dir = build_work_path(b, "install-payload"), *list = NULL, *list_path = NULL;
	_cleanup_strv_free_ char **files = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t n, size = 0;
	int r;

	if (!dir)
		return log_oom();
	r = install_ranges(b, ranges, &n);
	if (r < 0)
		return log_error_errno(r, "Cannot measure the root image %s: %m", b->root_image ?: "(none)");
	(void) rm_rf_path(dir, REMOVE_ROOT | REMOVE_MISSING_OK);
	if (mkdir(dir, 0755) < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", dir);
	fd = open(disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot open %s: %m", disk);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;
		if (!ranges[i].file)
			continue;
		if (asprintf(&path, "%s/%s", dir, ranges[i].file) < 0)
			return log_oom();
		r = range_copy(fd, ranges[i].offset, ranges[i].length, path, range_sha[i]);
		if (r < 0)
			return log_error_errno(r, "Cannot copy %s (%llu bytes at %llu) of %s to %s: %m", ranges[i].file,
					       (unsigned long long) ranges[i].length, (unsigned long long) ranges[i].offset,
					       disk, path);
	}
	r = payload_compress(b, ranges, n);
	if (r < 0)
		return r;

	FILE *f = open_memstream(&list, &size);
	if (!f)
		return log_oom();
	fprintf(f, "kiln-install 1\nimage %s %llu\n", b->root_sha256, (unsigned long long) b->layout.disk_size);
	for (size_t i = 0; i < n; i++) {
		const InstallRange *x = &ranges[i];
		_cleanup_free_ char *zst = NULL, *zst_sha = NULL;
		if (!x->file) {
			fprintf(f, "zero %llu %llu\n", (unsigned long long) x->offset, (unsigned long long) x->length);
			continue;
		}
		if (asprintf(&zst, "%s/%s.zst", dir, x->file) < 0) {
			fclose(f);
			return log_oom();
		}
		r = hash_file(HASH_SHA256, zst, &zst_sha);
		if (r < 0) {
			fclose(f);
			return log_error_errno(r, "Cannot hash %s: %m", zst);
		}
		fprintf(f, "write %llu %llu %s %s.zst %s\n", (unsigned long long) x->offset,
			(unsigned long long) x->length, range_sha[i], x->file, zst_sha);
		if (strv_extendf(&files, "%s.zst", x->file) < 0) {
			fclose(f);
			return log_oom();
		}
	}
	if (fclose(f) != 0)
		return log_oom();
	if (asprintf(&list_path, "%s/install.list", dir) < 0)
		return log_oom();
	r = write_file_atomic(list_path, list, size, 0644, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", list_path);
	/* Dated at the epoch here, while each file has one link: the ISO and PXE steps link
	 * them, and the ISO records their times (tree_clamp_mtimes() skips shared inodes). */
	r = tree_clamp_mtimes(dir, b->epoch);
	if (r < 0)
		return log_error_errno(r, "Cannot clamp the times in %s: %m", dir);
	uint8_t md[HASH_SIZE_MAX];
	size_t md_len;
	r = hash_buffer(HASH_SHA256, list, size, md, &md_len);
	if (r >= 0)
		r = hexmem_buf(md, md_len, b->install_list_sha256, sizeof b->install_list_sha256);
	if (r < 0)
		return log_error_errno(r, "Cannot hash %s: %m", list_path);
	if (strv_extend(&files, "install.list") < 0)
		return log_oom();
	free(b->install_payload_dir);
	b->install_payload_dir = TAKE_PTR(dir);
	strv_free(b->install_payload_files);
	b->install_payload_files = TAKE_PTR(files);
	return 0;
}

int install_cmdline(Build *b, const char *source, char **ret) {
	const ProfileInstall *in = &b->profile->install;
	_cleanup_free_ char *extra = NULL;
	int r;

	if ((r = build_profile_cmdline(b, &extra)) < 0)
		return r;
	return asprintf(ret, "kiln.install=%s kiln.install.min=%llu kiln.install.wipe=%d kiln.install.after=%s%s%s",
			in->device, (unsigned long long) in->minimum_disk_size, in->wipe,
			in->poweroff ? "poweroff" : "reboot", source, extra) < 0 ? -ENOMEM : 0;
}

/* Step "install-payload": made once for every format that carries it (the ISO, PXE). */
int step_install_payload(Build *b) {
	_cleanup_free_ char *raw = NULL;

	if (!(b->formats & (OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_ISO) | OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_PXE))))
		return 0;
	if (asprintf(&raw, "%s/disk.raw", b->staging_dir) < 0)
		return log_oom();
	return install_payload_make(b, raw);
}
