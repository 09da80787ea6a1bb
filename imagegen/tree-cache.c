/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-util.h"
#include "build-lock.h"
#include "cache.h"
#include "fd-util.h"
#include "log.h"
#include "rm-rf.h"
#include "rootfs-pins.h"
#include "strv.h"
#include "tree-cache.h"

static int inventory_path(const char *tree, char **ret) {
	/* rootfs/<key>.tree -> rootfs/<key>.inventory; tools/<key> -> tools/<key>.inventory */
	const char *dot = strrchr(tree, '.'), *slash = strrchr(tree, '/');
	size_t n = dot && dot > slash ? (size_t) (dot - tree) : strlen(tree);
	return asprintf(ret, "%.*s.inventory", (int) n, tree) < 0 ? -ENOMEM : 0;
}

/* A cached tree is used only if it still matches the inventory written when it was made.
 * 1: it does. 0: there is none. -EBADMSG: damaged (*ret_problems says how; "no
 * inventory" counts as damaged too). */
static int tree_check(const char *tree, InventorySkip skip, char ***ret_problems) {
	_cleanup_free_ char *inventory = NULL;
	int r;

	if (!cache_exists(tree))
		return 0;
	if (inventory_path(tree, &inventory) < 0)
		return -ENOMEM;
	r = inventory_check(tree, skip, inventory, ret_problems);
	if (r == -ENOENT)
		return strv_extend(ret_problems, "it has no inventory to be checked against") < 0 ? -ENOMEM : -EBADMSG;
	return r < 0 ? r : 1;
}

int tree_discard(Build *b, const char *tree) {
	_cleanup_free_ char *inventory = NULL, *aside = NULL;

	if (inventory_path(tree, &inventory) < 0 || asprintf(&aside, "%s/damaged", b->scratch_dir) < 0)
		return log_oom();
	if (rename(tree, aside) < 0)
		return log_error_errno(-errno, "Cannot move %s aside: %m", tree);
	(void) unlink(inventory);
	(void) rm_rf_path(aside, REMOVE_ROOT | REMOVE_MISSING_OK);
	return 0;
}

/* A cached tree is usable if it is intact and holds what the lock pins (when it pins
 * anything): 1 if so, 0 if there is none, -EBADMSG if damaged or -ESTALE if other
 * package versions, with *ret_problems saying what differs (when not NULL). */
static int tree_usable(Build *b, const char *tree, InventorySkip skip, char *const *pins, char ***ret_problems) {
	_cleanup_strv_free_ char **problems = NULL;
	int r = tree_check(tree, skip, ret_problems);
	if (r <= 0 || !pins)
		return r;
	r = rootfs_pins_check_tree(b, tree, pins, &problems);
	if (r < 0)
		return r;
	if (!problems)
		return 1;
	if (ret_problems)
		*ret_problems = TAKE_PTR(problems);
	return -ESTALE;
}

int stage_acquire(Build *b, const char *tree, InventorySkip skip, char *const *pins, const char *what,
		  int *ret_lock, bool *ret_stale) {
	_cleanup_strv_free_ char **problems = NULL;
	_cleanup_free_ char *path = NULL, *lock_what = NULL;
	_cleanup_close_ int fd = -EBADF;
	usec_t start = now(CLOCK_MONOTONIC);
	int r;

	if (asprintf(&path, "%s.lock", tree) < 0 || asprintf(&lock_what, "the cached %s", what) < 0)
		return log_oom();
	fd = build_lock_take(path, lock_what, true, false);
	if (fd < 0)
		return fd;
	r = tree_usable(b, tree, skip, pins, NULL);
	if (r == 1) {
		log_debug("The cached %s is intact (%s, checked in %.2f s).", what, tree,
			  (double) (now(CLOCK_MONOTONIC) - start) / USEC_PER_SEC);
		*ret_lock = TAKE_FD(fd);
		return 1;
	}
	/* Make or repair it: alone, and looking again, for another build may have done it. */
	fd = safe_close(fd);
	fd = build_lock_take(path, lock_what, false, false);
	if (fd < 0)
		return fd;
	r = tree_usable(b, tree, skip, pins, &problems);
	if (r == 1) {
		if ((r = build_lock_share(fd)) < 0)
			return log_error_errno(r, "Cannot share the lock on %s: %m", tree);
		*ret_lock = TAKE_FD(fd);
		return 1;
	}
	if (r == -ESTALE && b->opts.offline) {
		log_error("The cached %s (%s) holds other Debian packages than %s pins:", what, tree, b->lock_path);
		rootfs_pins_log_problems(problems, LOG_ERR);
		return log_error_errno(r, "Offline, it cannot be made again; run \"kiln-imagegen fetch\" with network access first.");
	}
	*ret_stale = r == -ESTALE;
	if (r == -ESTALE) {
		log_warning("The cached %s (%s) holds other Debian packages than %s pins; it is made again if the mirror has them:", what, tree,
			    b->lock_path);
		rootfs_pins_log_problems(problems, LOG_WARNING);
	} else if (r == -EBADMSG) {
		log_warning("The cached %s (%s) is damaged; making it again. What differs from when it was made:", what, tree);
		STRV_FOREACH(p, problems)
			log_warning("  %s", *p);
		if ((r = tree_discard(b, tree)) < 0)
			return r;
	} else if (r < 0)
		return log_error_errno(r, "Cannot check the cached %s (%s): %m", what, tree);
	*ret_lock = TAKE_FD(fd);
	return 0;
}

int unpack_into_cache(Build *b, const char *tar, const char *dir, InventorySkip skip,
		      int (*prepare)(const char *tree)) {
	_cleanup_free_ char *partial = NULL, *inventory = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&partial, "%s/unpacked", b->scratch_dir) < 0 || inventory_path(dir, &inventory) < 0)
		return log_oom();
	(void) rm_rf_path(partial, REMOVE_ROOT | REMOVE_MISSING_OK);
	if (mkdir(partial, 0755) < 0)
		return log_error_errno(-errno, "Cannot create %s: %m", partial);
	fd = open(tar, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "Cannot open %s: %m", tar);
	r = archive_extract_fd(fd, partial, ARCHIVE_EXTRACT_KEEP_PERMS | ARCHIVE_EXTRACT_KEEP_OWNER |
			       ARCHIVE_EXTRACT_KEEP_TIME | ARCHIVE_EXTRACT_KEEP_XATTRS, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot unpack %s: %m", tar);
	(void) unlink(tar);
	if (prepare && (r = prepare(partial)) < 0)
		return log_error_errno(r, "Cannot prepare %s: %m", partial);
	r = inventory_write(partial, skip, inventory);
	if (r < 0)
		return log_error_errno(r, "Cannot write the inventory of %s: %m", dir);
	if (rename(partial, dir) < 0)
		return log_error_errno(-errno, "Cannot move %s into place: %m", dir);
	return 0;
}

