/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt.h"
#include "copy.h"
#include "dir-util.h"
#include "fd-util.h"
#include "fileio.h"
#include "io-util.h"
#include "rm-rf.h"
#include "store-seed.h"
#include "strv.h"

const StoreDatabase store_databases[STORE_DATABASES_N] = {
	{
		.path = "io.containerd.metadata.v1.bolt/meta.db",
		.data = "io.containerd.content.v1.content/blobs",
		.what = "containerd's metadata",
	},
	{
		.path = "io.containerd.snapshotter.v1.overlayfs/metadata.db",
		.data = "io.containerd.snapshotter.v1.overlayfs/snapshots",
		.what = "the overlayfs snapshotter's metadata",
	},
};
const size_t store_databases_n = ELEMENTSOF(store_databases);

static const char *const store_seed_event_table[_STORE_SEED_EVENT_MAX] = {
	[STORE_SEED_VALID] = "valid",
	[STORE_SEED_IN_USE] = "in-use",
	[STORE_SEED_UNREADABLE] = "unreadable",
	[STORE_SEED_NO_DATA] = "no-data",
	[STORE_SEED_MOVED_ASIDE] = "moved-aside",
	[STORE_SEED_RESTORED] = "restored",
	[STORE_SEED_PRUNED] = "pruned",
};

const char *store_seed_event_to_string(StoreSeedEvent e) {
	return e >= 0 && e < _STORE_SEED_EVENT_MAX ? store_seed_event_table[e] : NULL;
}

static void report_event(store_seed_report_fn report, void *userdata, StoreSeedEvent event,
			 const StoreDatabase *db, const char *reason, const char *moved_to, int error) {
	if (!report)
		return;
	const StoreSeedReport r = {
		.event = event, .database = db, .reason = reason, .moved_to = moved_to, .error = error,
	};
	report(&r, userdata);
}

/* The seed's copy as a new file in dir_fd, synced, under a temp name ".#<base>.<hex>". */
static int copy_seed(int seed_fd, const StoreDatabase *db, int dir_fd, const char *base,
		     char tmp[static NAME_MAX + 1]) {
	_cleanup_close_ int src = -EBADF, dst = -EBADF;
	struct stat st;
	int r;

	src = openat(seed_fd, db->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (src < 0)
		return negative_errno();
	/* The root is read-only and verified at boot, but a bad copy would be restored on
	 * every start and be worse than none: check it the same way. */
	r = bolt_verify(src, NULL);
	if (r < 0)
		return r;
	if (fstat(src, &st) < 0)
		return negative_errno();

	for (unsigned i = 0;; i++) {
		uint64_t rnd;
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t) sizeof rnd)
			rnd = now(CLOCK_MONOTONIC) + i;   /* only has to be unlikely to exist */
		(void) snprintf(tmp, NAME_MAX + 1, ".#%.200s.%016" PRIx64, base, rnd);
		dst = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (dst >= 0)
			break;
		if (errno != EEXIST || i >= 16)
			return negative_errno();
	}

	r = copy_file_to_offset(src, dst, 0, NULL);
	if (r >= 0 && fchmod(dst, st.st_mode & 07777) < 0)
		r = negative_errno();
	if (r >= 0)
		r = io_fsync(dst);
	if (r < 0)
		(void) unlinkat(dir_fd, tmp, 0);
	return r;
}

/* Remove what an earlier run left of base in dir_fd but keep: older "<base>.corrupt-*"
 * files (each may be as large as the database) and temp files of an interrupted copy.
 * Best effort: leftovers cost space, not correctness. */
static void remove_leftovers(int dir_fd, const char *base, const char *keep) {
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ char *corrupt = NULL, *temp = NULL;

	if (asprintf(&corrupt, "%s.corrupt-", base) < 0 || asprintf(&temp, ".#%s.", base) < 0 ||
	    dir_list_sorted(dir_fd, &names) < 0)
		return;
	STRV_FOREACH(n, names)
		if ((strneq(*n, corrupt, strlen(corrupt)) || strneq(*n, temp, strlen(temp))) && !(keep && streq(*n, keep)))
			(void) unlinkat(dir_fd, *n, 0);
}

/* Put the seed's copy of db in place of what is there (a corrupt file, or nothing). */
static int restore(int root_fd, int seed_fd, const StoreDatabase *db, bool corrupt, const char *reason,
		   usec_t now_usec, store_seed_report_fn report, void *userdata) {
	_cleanup_free_ char *dir = NULL, *aside = NULL;
	_cleanup_close_ int dir_fd = -EBADF;
	char tmp[NAME_MAX + 1];
	const char *slash = strrchr(db->path, '/'), *base = slash ? slash + 1 : db->path;
	int r;

	dir = slash ? strndup(db->path, (size_t) (slash - db->path)) : strdup(".");
	if (!dir)
		return -ENOMEM;
	/* containerd makes these directories 0711/0700; the seed's copy needs only root. */
	r = mkdir_p_at(root_fd, dir, 0700);
	if (r < 0)
		return r;
	dir_fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return negative_errno();

	r = copy_seed(seed_fd, db, dir_fd, base, tmp);
	if (r < 0)
		return r;

	/* The corrupt file gets a second name, then the copy replaces it in one rename: the
	 * database is never missing, whatever step fails. */
	if (corrupt) {
		if (asprintf(&aside, "%s.corrupt-%" PRIu64, base, (uint64_t) now_usec) < 0) {
			(void) unlinkat(dir_fd, tmp, 0);
			return -ENOMEM;
		}
		(void) unlinkat(dir_fd, aside, 0);   /* the same microsecond twice: the newer wins */
		if (linkat(dir_fd, base, dir_fd, aside, 0) < 0) {
			r = negative_errno();
			(void) unlinkat(dir_fd, tmp, 0);
			return r;
		}
	}
	if (renameat(dir_fd, tmp, dir_fd, base) < 0) {
		r = negative_errno();
		(void) unlinkat(dir_fd, tmp, 0);
		if (aside)
			(void) unlinkat(dir_fd, aside, 0);
		return r;
	}
	r = io_fsync(dir_fd);
	if (r < 0)
		return r;

	remove_leftovers(dir_fd, base, aside);
	if (aside) {
		_cleanup_free_ char *moved = NULL;
		if (asprintf(&moved, "%s/%s", dir, aside) < 0)
			return -ENOMEM;
		report_event(report, userdata, STORE_SEED_MOVED_ASIDE, db, reason, moved, 0);
	}
	report_event(report, userdata, STORE_SEED_RESTORED, db, reason, NULL, 0);
	return 0;
}

int store_seed_check(int root_fd, int seed_fd, const StoreDatabase *db, usec_t now_usec,
		     store_seed_report_fn report, void *userdata) {
	_cleanup_free_ char *reason = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (root_fd < 0 || seed_fd < 0 || !db || isempty(db->path) || isempty(db->data))
		return -EINVAL;

	fd = openat(root_fd, db->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno != ENOENT) {
		report_event(report, userdata, STORE_SEED_UNREADABLE, db, NULL, NULL, negative_errno());
		return 0;
	}
	if (fd >= 0) {
		/* Held until we return: a containerd starting meanwhile waits for it. */
		if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK) {
				report_event(report, userdata, STORE_SEED_IN_USE, db, NULL, NULL, 0);
				return 0;
			}
			/* A filesystem without flock(): nobody else can lock it either. */
			if (errno != ENOLCK && errno != EOPNOTSUPP && errno != EINVAL) {
				report_event(report, userdata, STORE_SEED_UNREADABLE, db, NULL, NULL, negative_errno());
				return 0;
			}
		}
		r = bolt_verify(fd, &reason);
		if (r >= 0) {
			report_event(report, userdata, STORE_SEED_VALID, db, NULL, NULL, 0);
			return 0;
		}
		if (r != -EBADMSG) {
			/* A read error says nothing about the content: not ours to replace. */
			report_event(report, userdata, STORE_SEED_UNREADABLE, db, NULL, NULL, r);
			return 0;
		}
	}

	if (faccessat(root_fd, db->data, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		report_event(report, userdata, STORE_SEED_NO_DATA, db, reason ?: "missing", NULL, 0);
		return 0;
	}
	return restore(root_fd, seed_fd, db, fd >= 0, reason ?: "missing", now_usec, report, userdata);
}

/* The snapshot ids the overlayfs snapshotter's database knows: v1/snapshots/<key>/id, a
 * uvarint (containerd's snapshots/storage). */
static int snapshot_ids(int seed_fd, const StoreDatabase *db, uint64_t **ret_ids, size_t *ret_n) {
	_cleanup_(bolt_bucket_freep) BoltBucket *root = NULL;
	_cleanup_close_ int fd = openat(seed_fd, db->path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint64_t *ids = NULL;
	size_t n = 0;
	int r;

	if (fd < 0)
		return negative_errno();
	r = bolt_load(fd, &root, NULL);
	if (r < 0)
		return r;
	const BoltItem *v1 = bolt_bucket_find(root, "v1", 2);
	const BoltItem *snapshots = v1 && v1->bucket ? bolt_bucket_find(v1->bucket, "snapshots", 9) : NULL;
	if (!snapshots || !snapshots->bucket) {
		*ret_ids = NULL, *ret_n = 0;
		return 0;
	}
	ids = calloc(snapshots->bucket->n_items + 1, sizeof(uint64_t));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < snapshots->bucket->n_items; i++) {
		const BoltItem *s = &snapshots->bucket->items[i];
		const BoltItem *id = s->bucket ? bolt_bucket_find(s->bucket, "id", 2) : NULL;
		uint64_t v = 0;
		unsigned shift = 0;
		size_t k;

		if (!id || id->bucket)
			continue;
		for (k = 0; k < id->value_size && k < 10; k++) {
			v |= (uint64_t) (id->value[k] & 0x7f) << shift;
			shift += 7;
			if (!(id->value[k] & 0x80))
				break;
		}
		if (k == id->value_size || k == 10)
			return -EBADMSG;
		ids[n++] = v;
	}
	*ret_ids = TAKE_PTR(ids);
	*ret_n = n;
	return 0;
}

static int prune_snapshots(int root_fd, int seed_fd, store_seed_report_fn report, void *userdata) {
	const StoreDatabase *db = &store_databases[1];
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ uint64_t *ids = NULL;
	_cleanup_close_ int dir_fd = -EBADF;
	size_t n_ids = 0;
	int r;

	r = snapshot_ids(seed_fd, db, &ids, &n_ids);
	if (r < 0)
		return r;
	dir_fd = openat(root_fd, db->data, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dir_fd < 0)
		return errno == ENOENT ? 0 : negative_errno();
	r = dir_list_sorted(dir_fd, &names);
	if (r < 0)
		return r;
	STRV_FOREACH(name, names) {
		char *end = NULL;
		bool known = false;

		/* Only the snapshotter's own directories: decimal ids. */
		if (!**name || strspn(*name, "0123456789") != strlen(*name))
			continue;
		uint64_t id = strtoull(*name, &end, 10);
		for (size_t i = 0; i < n_ids && !known; i++)
			known = ids[i] == id;
		if (known)
			continue;
		r = rm_rf_at(dir_fd, *name, REMOVE_ROOT | REMOVE_MISSING_OK);
		if (r < 0)
			return r;
		_cleanup_free_ char *rel = NULL;
		if (asprintf(&rel, "%s/%s", db->data, *name) < 0)
			return -ENOMEM;
		report_event(report, userdata, STORE_SEED_PRUNED, db, NULL, rel, 0);
	}
	return io_fsync(dir_fd);
}

int store_seed_restore_all(int root_fd, int seed_fd, const bool restored[], store_seed_report_fn report,
			   void *userdata) {
	int r;

	for (size_t i = 0; i < store_databases_n; i++) {
		if (restored[i])
			continue;
		r = restore(root_fd, seed_fd, &store_databases[i], false, STORE_SEED_REASON_PARTNER, 0, report, userdata);
		if (r < 0)
			return r;
	}
	return prune_snapshots(root_fd, seed_fd, report, userdata);
}
