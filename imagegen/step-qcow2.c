/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk.qcow2: disk.raw converted by the tools tree's qemu-img, for virtual machines
 * (plain QEMU, libvirt). Made only when the build's formats include qcow2; disk.raw is
 * made in any case (this is made from it) and stays in OUTDIR only if raw was asked for.
 *
 * Compressed with zstd, qemu-img's default 64 KiB clusters. Measured on the boot tests'
 * image (a 3 GiB disk with 377 MB allocated: an erofs root already compressed with lz4, an
 * ext4 var, the ESP), on 2 cores; the floor is zstd -3 of disk.raw's allocated data,
 * 299 MB (bench/formats.sh). The build's qemu-img (10.0) made 311 MB in 1.9 s; the rows
 * are the host's qemu-img 7.2 on the same disk.raw:
 *   not compressed          377 MB   0.1 s   1.26 x the floor
 *   zlib                    311 MB   9.2 s   1.04 x
 *   zstd                    311 MB   2.3 s   1.04 x
 *   zstd, 256 KiB clusters  304 MB   1.9 s   1.02 x
 * Uncompressed misses the goal (at most 1.1 x the floor); zlib compresses no better at four
 * times the time, and zstd is also the faster to read back. Larger clusters save 2%, but a
 * VM's first write to a compressed cluster rewrites all of it: the default stays. The cost:
 * reading a zstd qcow2 needs QEMU 5.1 or later (an incompatible feature bit says so).
 *
 * Reproducible: without -W, qemu-img convert writes in order, so compressed clusters land
 * at the same offsets every time, and a qcow2 header holds no time or random bytes.
 * Sparse: qemu-img asks where disk.raw has data (SEEK_DATA) and does not store all-zero
 * blocks, so the gigabytes of empty disk cost nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "build.h"
#include "copy.h"
#include "fd-util.h"
#include "log.h"

/* qemu-img runs chrooted in the tools tree and sees the work directory only: disk.raw is
 * shown to it by a hard link (free) or, when the cache and OUTDIR are on different file
 * systems, by a sparse copy. */
static int link_or_copy(const char *src, const char *dst) {
	if (link(src, dst) >= 0)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != EOPNOTSUPP)
		return -errno;
	return copy_file_sparse(src, dst, 0644);
}

int step_qcow2(Build *b) {
	_cleanup_free_ char *raw = NULL, *raw_work = NULL, *raw_in = NULL, *out_work = NULL, *out_in = NULL;
	int r;

	if (!(b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_QCOW2))) {
		log_info("disk.qcow2: not asked for (--format, outputs.formats).");
		return 0;
	}
	if (asprintf(&raw, "%s/disk.raw", b->staging_dir) < 0 ||
	    !(raw_work = build_work_path(b, "disk.raw")) || !(raw_in = build_tools_path(b, "disk.raw")) ||
	    !(out_work = build_work_path(b, "disk.qcow2")) || !(out_in = build_tools_path(b, "disk.qcow2")))
		return log_oom();

	(void) unlink(raw_work);
	r = link_or_copy(raw, raw_work);
	if (r < 0)
		return log_error_errno(r, "Cannot make %s visible to the tools tree as %s: %m", raw, raw_work);

	const char *argv[] = {
		"qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", "-o", "compression_type=zstd",
		raw_in, out_in, NULL,
	};
	r = build_exec_tools(b, "qemu-img convert (disk.qcow2)", argv, BUILD_TIMEOUT_CONVERT);
	(void) unlink(raw_work);
	if (r < 0)
		return r;
	r = build_expect_output(b, "qemu-img", out_work);
	if (r < 0)
		return r;
	r = build_output_move_in(b, out_work, "disk.qcow2");
	if (r < 0)
		return r;
	return 0;
}
