/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest.json's "outputs": each file the build's formats put in OUTDIR (manifest.json
 * itself excepted: it cannot hold its own digest), with its format, SHA-256 and size, so
 * that what was copied, flashed or uploaded can be checked against the manifest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "build.h"
#include "dir-util.h"
#include "fd-util.h"
#include "hash.h"
#include "log.h"
#include "strv.h"

/* The SHA-256 and size of one output, read once. A sparse disk reads its holes as zeros:
 * the digest is that of the bytes a copy or `dd` would carry. */
static int output_digest(const char *path, char ret_sha256[static 65], uint64_t *ret_size) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	uint8_t md[HASH_SIZE_MAX];
	struct stat st;
	size_t len;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	r = hash_fd(HASH_SHA256, fd, md, &len);
	if (r < 0)
		return r;
	r = hexmem_buf(md, len, ret_sha256, 65);
	if (r < 0)
		return r;
	*ret_size = (uint64_t) st.st_size;
	return 0;
}

/* A directory output (pxe/): each file under it, path -> {sha256, size}, and the total. */
static int output_tree(const char *dir, const char *prefix, json_t *files, uint64_t *size) {
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	int r;

	if (fd < 0)
		return -errno;
	if ((r = dir_list_sorted(fd, &names)) < 0)
		return r;
	STRV_FOREACH(n, names) {
		_cleanup_free_ char *path = NULL, *rel = NULL;
		char sha256[65];
		uint64_t fsize = 0;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, *n) < 0 || asprintf(&rel, "%s%s", prefix, *n) < 0)
			return -ENOMEM;
		if (lstat(path, &st) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_free_ char *sub = NULL;
			if (asprintf(&sub, "%s/", rel) < 0)
				return -ENOMEM;
			if ((r = output_tree(path, sub, files, size)) < 0)
				return r;
			continue;
		}
		if ((r = output_digest(path, sha256, &fsize)) < 0)
			return r;
		if (json_object_set_new(files, rel, json_pack("{s:s, s:I}", "sha256", sha256, "size", (json_int_t) fsize)) < 0)
			return -ENOMEM;
		*size += fsize;
	}
	return 0;
}

int manifest_outputs(Build *b, json_t **ret) {
	_cleanup_(json_decrefp) json_t *outputs = json_object();

	if (!outputs)
		return log_oom();
	for (OutputFormat f = 0; f < _OUTPUT_FORMAT_MAX; f++) {
		_cleanup_free_ char *path = NULL;
		const char *file = output_format_file(f);
		char sha256[65];
		uint64_t size = 0;
		int r;

		if (!file || !(b->formats & OUTPUT_FORMAT_BIT(f)))
			continue;
		if (asprintf(&path, "%s/%s", b->staging_dir, file) < 0)
			return log_oom();
		if (f == OUTPUT_FORMAT_PXE) {
			json_t *files = json_object();
			if (!files)
				return log_oom();
			r = output_tree(path, "", files, &size);
			json_t *o = r < 0 ? NULL : json_pack("{s:s, s:I, s:o}", "format", output_format_to_string(f),
							     "size", (json_int_t) size, "files", files);
			if (r < 0) {
				json_decref(files);
				return log_error_errno(r, "Cannot hash %s for the manifest: %m", path);
			}
			if (!o || json_object_set_new(outputs, file, o) < 0)
				return log_oom();
			continue;
		}
		r = output_digest(path, sha256, &size);
		if (r < 0)
			return log_error_errno(r, "Cannot hash %s for the manifest: %m", path);
		/* For qcow2, also the disk a VM sees: what qemu-img info calls the virtual size. */
		json_t *o = f == OUTPUT_FORMAT_QCOW2 ?
			json_pack("{s:s, s:s, s:I, s:I}", "format", output_format_to_string(f), "sha256", sha256,
				  "size", (json_int_t) size, "virtualSize", (json_int_t) b->layout.disk_size) :
			json_pack("{s:s, s:s, s:I}", "format", output_format_to_string(f), "sha256", sha256,
				  "size", (json_int_t) size);
		if (!o || json_object_set_new(outputs, file, o) < 0)
			return log_oom();
	}
	*ret = TAKE_PTR(outputs);
	return 0;
}
