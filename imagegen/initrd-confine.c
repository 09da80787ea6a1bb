/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The installer's confinement in the initrd: a static kiln-confine and the installer's
 * security profiles, appended to the image's initrd as a second cpio archive.
 *
 * The initrd is built inside mmdebstrap by the kernel's postinst, before any kiln program
 * is in the tree (step-rootfs.c), and is cached with the root file system; kiln-confine
 * belongs to this build. The kernel unpacks every archive of an initramfs in turn (an
 * uncompressed newc cpio may follow a compressed one, after zero padding to 4 bytes), so
 * the second archive adds files to the first without rebuilding it:
 *   usr/lib/kiln/install/kiln-confine               the static build (supervisor/meson.build)
 *   usr/lib/kiln/install/security/install-*.yaml    the profiles kiln-install runs its tools under
 * Every header is fixed (root, epoch, numbered inodes), so the same inputs give the same
 * bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-cleanup.h"
#include "build.h"
#include "config.h"
#include "copy.h"
#include "diag.h"
#include "fd-util.h"
#include "fileio.h"
#include "imagegen.h"
#include "io-util.h"
#include "log.h"
#include "security-profile.h"

#define INSTALL_DIR "usr/lib/kiln/install"

/* The profiles scripts/init-premount/kiln-install and scripts/kiln-functions name. */
static const char *const installer_profiles[] = {
	"install-fetch",   /* busybox wget and tftp, under busybox timeout */
	"install-mount",   /* busybox mount and umount of the ISO 9660 medium */
	"install-read",    /* dd reading ranges back, sha256sum, zstd -d */
	"install-write",   /* dd writing the target disk */
};

static const char *const initrd_dirs[] = {
	"usr", "usr/lib", "usr/lib/kiln", INSTALL_DIR, INSTALL_DIR "/security",
};

static int entry_write(struct archive *a, const char *name, mode_t mode, unsigned ino, uint64_t epoch,
		       const void *data, size_t size) {
	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_ino(e, ino);
	archive_entry_set_nlink(e, S_ISDIR(mode) ? 2 : 1);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, (time_t) epoch, 0);
	archive_entry_set_size(e, S_ISREG(mode) ? (la_int64_t) size : 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
	if (S_ISREG(mode) && size > 0 && archive_write_data(a, data, size) != (la_ssize_t) size)
		return archive_errno(a) > 0 ? -archive_errno(a) : -EIO;
	return archive_write_finish_entry(a) == ARCHIVE_OK ? 0 : -EIO;
}

static int file_entry(struct archive *a, const char *name, const char *src, mode_t mode, unsigned ino, uint64_t epoch) {
	_cleanup_free_ char *data = NULL;
	size_t size = 0;
	int r = read_full_file(src, &data, &size);
	if (r < 0)
		return log_error_errno(r, "Cannot read %s for the initrd: %m", src);
	r = entry_write(a, name, S_IFREG | mode, ino, epoch, data, size);
	if (r < 0)
		return log_error_errno(r, "Cannot add %s to the initrd: %m", name);
	return 0;
}

/* An installer profile the build ships must load here: an initrd never carries one that
 * kiln-confine would refuse at install time, when nothing can be fixed. */
static int installer_profile_check(const char *path) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(security_profile_freep) SecurityProfile *p = NULL;
	int r = security_profile_load_file(path, &p, &diags);
	(void) print_diagnostics(&diags);
	if (r < 0)
		return log_error_errno(r, "The installer's security profile %s is not valid: %m", path);
	return 0;
}

static int cpio_write(Build *b, int fd, const char *confine) {
	_cleanup_(archive_write_freep) struct archive *a = archive_write_new();
	unsigned ino = 1;
	int r;

	if (!a)
		return log_oom();
	/* newc, the one format the kernel unpacks; no padding after the trailer but to 4 bytes. */
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK || archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK)
		return log_error_errno(-EIO, "Cannot start the initrd's cpio: %s", archive_error_string(a));
	for (size_t i = 0; i < ELEMENTSOF(initrd_dirs); i++)
		if ((r = entry_write(a, initrd_dirs[i], S_IFDIR | 0755, ino++, b->epoch, NULL, 0)) < 0)
			return log_error_errno(r, "Cannot add %s to the initrd: %m", initrd_dirs[i]);
	if ((r = file_entry(a, INSTALL_DIR "/kiln-confine", confine, 0755, ino++, b->epoch)) < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(installer_profiles); i++) {
		_cleanup_free_ char *src = NULL, *name = NULL;
		if (asprintf(&src, "%s/profiles/security/%s.yaml", b->data_dir, installer_profiles[i]) < 0 ||
		    asprintf(&name, INSTALL_DIR "/security/%s.yaml", installer_profiles[i]) < 0)
			return log_oom();
		if ((r = installer_profile_check(src)) < 0 || (r = file_entry(a, name, src, 0644, ino++, b->epoch)) < 0)
			return r;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		return log_error_errno(-EIO, "Cannot finish the initrd's cpio: %s", archive_error_string(a));
	return 0;
}

int initrd_append_confinement(Build *b, const char *initrd) {
	_cleanup_free_ char *confine = NULL, *tmp = NULL;
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	uint64_t size = 0;
	int r;

	if (b->payload_dir[0] ? asprintf(&confine, "%s/supervisor/kiln-confine.static", b->payload_dir) < 0
			      : !(confine = strdup(KILN_LIBEXEC_DIR "/kiln-confine.static")))
		return log_oom();
	if (asprintf(&tmp, "%s.new", initrd) < 0)
		return log_oom();
	/* A new file, not an append: the tree's initrd is a hard link into the cached root
	 * file system (tree_link_copy), which must stay as mmdebstrap made it. */
	in = open(initrd, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return log_error_errno(-errno, "Cannot open the initrd %s: %m", initrd);
	(void) unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", tmp);
	/* copy_file_to_offset() leaves out's position alone: the cpio goes after the copy. */
	r = copy_file_to_offset(in, out, 0, &size);
	if (r >= 0 && lseek(out, (off_t) size, SEEK_SET) < 0)
		r = -errno;
	if (r >= 0 && size % 4 != 0) {
		static const char zeros[4] = {};
		r = loop_write(out, zeros, 4 - size % 4);
	}
	if (r < 0) {
		(void) unlink(tmp);
		return log_error_errno(r, "Cannot copy the initrd %s: %m", initrd);
	}
	if ((r = cpio_write(b, out, confine)) < 0) {
		(void) unlink(tmp);
		return r;
	}
	if (rename(tmp, initrd) < 0) {
		r = -errno;
		(void) unlink(tmp);
		return log_error_errno(r, "Cannot replace the initrd %s: %m", initrd);
	}
	log_debug("The initrd carries kiln-confine and %zu installer profiles.", ELEMENTSOF(installer_profiles));
	return 0;
}
