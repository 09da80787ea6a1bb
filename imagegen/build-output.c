/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The output directory of a build, before the first step and after the last:
 *   - refused at once, before any work, when it is not a directory kiln may replace
 *     (output-dir.h): a file, a mount point, a directory with anything kiln did not write,
 *     a parent that cannot be written;
 *   - locked for the whole build, so two builds into one OUTDIR take turns (the second
 *     waits and says for whom) instead of the last one silently winning;
 *   - staged next to itself (OUTDIR.partial-XXXXXX, stamped as kiln's) and swapped in at
 *     the end; the earlier output is then removed file by file, never as a tree, so a file
 *     someone put there during the build survives. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "build-lock.h"
#include "copy.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "output-dir.h"
#include "strv.h"

/* Locks on output directories live where every build on this machine finds them, and
 * nothing is left there afterwards (the holder removes its lock file). */
static const char *const lock_dirs[] = { "/run/lock/kiln-imagegen", "/tmp/kiln-imagegen-locks" };

/* OUTDIR as a path whose last component names it: trailing slashes dropped ("out/"
 * would otherwise stage "out/.partial-X" inside itself), "." and ".." resolved. */
static int normalize(const char *given, char **ret) {
	_cleanup_free_ char *p = strdup(given);
	if (!p)
		return -ENOMEM;
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if (streq(p, "/"))
		return -EINVAL;
	const char *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	if (streq(base, ".") || streq(base, "..")) {
		char *abs = realpath(p, NULL);
		if (!abs)
			return -errno;
		if (streq(abs, "/")) {
			free(abs);
			return -EINVAL;
		}
		free(p);
		p = abs;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

static int lock_path(Build *b, char **ret) {
	_cleanup_free_ char *parent = realpath(b->output_parent, NULL), *key = NULL, *copy = strdup(b->output_dir);
	char hex[2 * HASH_SIZE_MAX + 1];
	uint8_t md[HASH_SIZE_MAX];
	size_t len;
	int r;

	if (!parent || !copy)
		return parent ? -ENOMEM : -errno;
	if (asprintf(&key, "%s/%s", parent, basename(copy)) < 0)
		return -ENOMEM;
	if ((r = hash_buffer(HASH_SHA256, key, strlen(key), md, &len)) < 0 || (r = hexmem_buf(md, 8, hex, sizeof hex)) < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < ELEMENTSOF(lock_dirs); i++) {
		if ((r = mkdir_p(lock_dirs[i], 0755)) < 0 || access(lock_dirs[i], W_OK) < 0) {
			r = r < 0 ? r : -errno;
			continue;
		}
		return asprintf(ret, "%s/output-%s.lock", lock_dirs[i], hex) < 0 ? -ENOMEM : 0;
	}
	return r;
}

/* Staging directories of OUTDIR that builds interrupted before publishing left next to it.
 * Ours alone (we hold OUTDIR's lock), and removed only if they hold kiln's files only. */
static void sweep_staging(Build *b) {
	_cleanup_close_ int fd = open(b->output_parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *copy = strdup(b->output_dir);

	if (fd < 0 || !copy || dir_list_sorted(fd, &names) < 0)
		return;
	const char *base = basename(copy);
	STRV_FOREACH(n, names) {
		_cleanup_free_ char *path = NULL, *foreign = NULL;
		if (!output_dir_is_staging_name(*n, base) || asprintf(&path, "%s/%s", b->output_parent, *n) < 0)
			continue;
		int r = output_dir_remove(path, &foreign);
		if (r >= 0)
			log_info("Removed %s, left by an interrupted build.", path);
		else if (r == -ENOTEMPTY)
			log_warning("%s looks like an interrupted build's, but holds \"%s\": left alone.", path, foreign);
	}
}

int build_output_prepare(Build *b) {
	_cleanup_free_ char *reason = NULL, *copy = NULL;
	OutputKind kind;
	int r;

	r = normalize(b->opts.output_dir, &b->output_dir);
	if (r < 0)
		return log_error_errno(r, "Cannot use %s as the output directory: %s.", b->opts.output_dir,
				       r == -EINVAL ? "name a directory below /" : strerror(-r));
	if (!(copy = strdup(b->output_dir)) || !(b->output_parent = strdup(dirname(copy))))
		return log_oom();
	r = mkdir_p(b->output_parent, 0755);
	if (r < 0)
		return log_error_errno(r, "Cannot create %s for the output: %m", b->output_parent);

	r = lock_path(b, &b->output_lock_path);
	if (r < 0)
		return log_error_errno(r, "Cannot make a lock for %s: %m", b->output_dir);
	b->output_lock = build_lock_take(b->output_lock_path, "the output directory", false, true);
	if (b->output_lock < 0) {
		b->output_lock_path = mfree_str(b->output_lock_path);
		return b->output_lock;
	}

	/* Checked once we hold the lock: another build may have just written it. */
	r = output_dir_classify(b->output_dir, &kind, &reason);
	if (r < 0)
		return log_error_errno(r, "Refusing to write the image to %s: %s. Nothing was changed.", b->output_dir,
				       reason ?: strerror(-r));
	sweep_staging(b);

	if (asprintf(&b->staging_dir, "%s.partial-XXXXXX", b->output_dir) < 0)
		return log_oom();
	if (!mkdtemp(b->staging_dir)) {
		r = -errno;
		b->staging_dir = mfree_str(b->staging_dir);
		return log_error_errno(r, "Cannot write next to %s (%s): %m", b->output_dir, b->output_parent);
	}
	if (chmod(b->staging_dir, 0755) < 0 || (r = output_dir_stamp(b->staging_dir)) < 0)
		return log_error_errno(r < 0 ? r : -errno, "Cannot prepare %s: %m", b->staging_dir);
	return 0;
}

int build_output_publish(Build *b) {
	_cleanup_free_ char *reason = NULL, *foreign = NULL;
	OutputKind kind;
	int r;

	r = output_dir_classify(b->output_dir, &kind, &reason);
	if (r < 0) {
		log_error("%s changed during the build: %s. Not replacing it; the new image is in %s.", b->output_dir,
			  reason ?: strerror(-r), b->staging_dir);
		b->staging_dir = mfree_str(b->staging_dir);   /* kept: it is the result */
		return r;
	}
	if (kind != OUTPUT_KILN) {
		/* rename(2) replaces an empty directory, and creates a missing one. */
		if (rename(b->staging_dir, b->output_dir) < 0)
			return log_error_errno(-errno, "Cannot move the image to %s: %m", b->output_dir);
		b->staging_dir = mfree_str(b->staging_dir);
		return 0;
	}
	if (renameat2(AT_FDCWD, b->staging_dir, AT_FDCWD, b->output_dir, RENAME_EXCHANGE) < 0)
		return log_error_errno(-errno, "Cannot replace %s: %m", b->output_dir);
	/* The earlier output now sits under the staging name. */
	r = output_dir_remove(b->staging_dir, &foreign);
	if (r == -ENOTEMPTY)
		log_warning("The earlier output, now %s, holds \"%s\", which kiln did not write: left there.",
			    b->staging_dir, foreign);
	else if (r < 0)
		log_warning_errno(r, "Cannot remove the earlier output (now %s): %m", b->staging_dir);
	b->staging_dir = mfree_str(b->staging_dir);
	return 0;
}

void build_output_release(Build *b) {
	if (b->staging_dir) {
		_cleanup_free_ char *foreign = NULL;
		if (output_dir_remove(b->staging_dir, &foreign) == -ENOTEMPTY)
			log_warning("%s holds \"%s\", which kiln did not write: left there.", b->staging_dir, foreign);
		b->staging_dir = mfree_str(b->staging_dir);
	}
	if (b->output_lock >= 0)
		build_lock_release(b->output_lock, b->output_lock_path);
	b->output_lock = -EBADF;
}

int build_output_move_in(Build *b, const char *src, const char *name) {
	_cleanup_free_ char *dst = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&dst, "%s/%s", b->staging_dir, name) < 0)
		return log_oom();
	if (rename(src, dst) < 0) {
		if (errno != EXDEV)
			return log_error_errno(-errno, "Cannot move %s to %s: %m", src, dst);
		r = copy_file_sparse(src, dst, 0644);
		if (r < 0)
			return log_error_errno(r, "Cannot copy %s to %s: %m", src, dst);
		(void) unlink(src);
	}
	fd = open(dst, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return log_error_errno(-errno, "Cannot sync %s: %m", dst);
	return 0;
}

/* disk.raw is made in any case (the other formats are made from it); what OUTDIR holds
 * in the end is what was asked for. */
int step_outputs(Build *b) {
	_cleanup_free_ char *raw = NULL;

	if (b->formats & OUTPUT_FORMAT_BIT(OUTPUT_FORMAT_RAW))
		return 0;
	if (asprintf(&raw, "%s/disk.raw", b->staging_dir) < 0)
		return log_oom();
	if (unlink(raw) < 0)
		return log_error_errno(-errno, "Cannot remove %s (raw was not asked for): %m", raw);
	return 0;
}
