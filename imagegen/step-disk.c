/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk.raw: a GPT written by sfdisk (from the tools tree) onto a plain sparse file, the
 * BIOS boot code in the MBR, and the partition images copied in at their offsets. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "copy.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "progress.h"

#define SECTOR 512

/* GPT partition types (Discoverable Partitions Specification). */
#define GPT_ESP "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
#define GPT_VAR "4d21b016-b534-45c2-a9fb-5c16e091fd2d"
static const char *const root_types[_ARCHITECTURE_MAX] = {
	[ARCHITECTURE_AMD64] = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709",
	[ARCHITECTURE_ARM64] = "b921b045-1df0-41c3-af44-4c6f280d3fae",
};

typedef struct Partition {
	const char *name;
	const Uuid *uuid;
	const char *type;
	uint64_t start, size;
	const char *attrs;          /* sfdisk attrs=, or NULL */
	const char *image;          /* copied in, or NULL for an empty partition */
} Partition;

static int partitions(Build *b, Partition ret[static 4]) {
	const DiskLayout *l = &b->layout;
	ret[0] = (Partition) { "esp", &b->ids.esp, GPT_ESP, l->esp_start, l->esp_size,
			       "LegacyBIOSBootable", b->esp_image };
	ret[1] = (Partition) { "root-a", &b->ids.root_a, root_types[b->profile->base.architecture],
			       l->root_a_start, l->root_size, NULL, b->root_image };
	/* B waits for the first update; GPT attribute 63 ("no auto") keeps
	 * systemd-gpt-auto-generator from treating it as a root candidate. */
	ret[2] = (Partition) { "root-b", &b->ids.root_b, root_types[b->profile->base.architecture],
			       l->root_b_start, l->root_size, "GUID:63", NULL };
	ret[3] = (Partition) { "var", &b->ids.var, GPT_VAR, l->var_start, l->var_size, NULL, b->var_image };
	return 4;
}

static int sfdisk_script(Build *b, const Partition *p, size_t n, char **ret) {
	char disk[UUID_STRING_LEN + 1];
	char *s = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&s, &size);
	if (!f)
		return -ENOMEM;

	uuid_to_string(&b->ids.disk, disk);
	fprintf(f, "label: gpt\nlabel-id: %s\nunit: sectors\nsector-size: %d\nfirst-lba: 2048\n", disk, SECTOR);
	for (size_t i = 0; i < n; i++) {
		char u[UUID_STRING_LEN + 1];
		uuid_to_string(p[i].uuid, u);
		fprintf(f, "start=%llu, size=%llu, type=%s, uuid=%s, name=\"%s\"",
			(unsigned long long) (p[i].start / SECTOR), (unsigned long long) (p[i].size / SECTOR),
			p[i].type, u, p[i].name);
		if (p[i].attrs)
			fprintf(f, ", attrs=\"%s\"", p[i].attrs);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

static int write_gpt(Build *b, const Partition *p, size_t n) {
	_cleanup_free_ char *script = NULL, *script_path = NULL, *disk = NULL, *cmd = NULL, *disk_in = NULL, *script_in = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if ((r = sfdisk_script(b, p, n, &script)) < 0 || !(script_path = build_work_path(b, "gpt.sfdisk")) ||
	    !(disk = build_work_path(b, "gpt.raw")) || !(disk_in = build_tools_path(b, "gpt.raw")) ||
	    !(script_in = build_tools_path(b, "gpt.sfdisk")))
		return log_oom();
	r = write_file_atomic(script_path, script, strlen(script), 0644, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", script_path);

	fd = open(disk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t) b->layout.disk_size) < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", disk);
	fd = safe_close(fd);

	if (asprintf(&cmd, "exec sfdisk --quiet --no-reread --no-tell-kernel '%s' < '%s'", disk_in, script_in) < 0)
		return log_oom();
	const char *argv[] = { "sh", "-c", cmd, NULL };
	return build_exec_tools(b, "sfdisk (partition table)", argv, BUILD_TIMEOUT_QUICK);
}

static int copy_at(const char *src, int dst_fd, uint64_t offset, uint64_t limit) {
	_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t) st.st_size > limit)
		return -E2BIG;
	return copy_file_to_offset(fd, dst_fd, offset, NULL);
}

int step_disk(Build *b) {
	_cleanup_free_ char *gpt = NULL, *out = NULL, *mbr = NULL, *mbr_code = NULL;
	_cleanup_close_ int fd = -EBADF;
	Partition p[4];
	size_t n = (size_t) partitions(b, p), mbr_size;
	int r;

	if ((r = write_gpt(b, p, n)) < 0)
		return r;

	if (!(gpt = build_work_path(b, "gpt.raw")) || asprintf(&out, "%s/disk.raw", b->staging_dir) < 0 ||
	    asprintf(&mbr, "%s/usr/lib/syslinux/mbr/gptmbr.bin", b->tools_dir) < 0)
		return log_oom();
	/* The partition table is a few KiB at each end of a sparse file: copying it keeps
	 * the holes. */
	r = copy_file_sparse(gpt, out, 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot create %s: %m", out);

	fd = open(out, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot open %s: %m", out);

	/* 440 bytes of boot code; the protective MBR's partition entry behind it stays. */
	r = read_full_file(mbr, &mbr_code, &mbr_size);
	if (r < 0)
		return log_error_errno(r, "Cannot read %s: %m", mbr);
	if (mbr_size != 440)
		return log_error_errno(-EBADMSG, "%s is %zu bytes, not 440.", mbr, mbr_size);
	if (pwrite(fd, mbr_code, mbr_size, 0) != (ssize_t) mbr_size)
		return log_error_errno(-errno, "Cannot write the MBR boot code: %m");

	b->partitions = json_array();
	if (!b->partitions)
		return log_oom();
	uint64_t total = 0, done = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (p[i].image && stat(p[i].image, &st) == 0)
			total += (uint64_t) st.st_size;
	}
	for (size_t i = 0; i < n; i++) {
		char u[UUID_STRING_LEN + 1];
		if (p[i].image) {
			struct stat st;
			r = copy_at(p[i].image, fd, p[i].start, p[i].size);
			if (r == -E2BIG)
				return log_error_errno(r, "%s does not fit partition %s (%llu MiB).", p[i].image, p[i].name,
						       (unsigned long long) (p[i].size >> 20));
			if (r < 0)
				return log_error_errno(r, "Cannot copy %s into partition %s: %m", p[i].image, p[i].name);
			if (stat(p[i].image, &st) == 0)
				done += (uint64_t) st.st_size;
			progress_update(done, total);
		}
		uuid_to_string(p[i].uuid, u);
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "number", (json_int_t) (i + 1),
				      "name", p[i].name, "type", p[i].type, "uuid", u,
				      "start", (json_int_t) p[i].start, "size", (json_int_t) p[i].size);
		if (!o || json_array_append_new(b->partitions, o) < 0)
			return log_oom();
	}
	if (fsync(fd) < 0)
		return log_error_errno(-errno, "Cannot sync %s: %m", out);
	return 0;
}
