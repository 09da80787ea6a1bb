/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The node side of the seeded containerd store (kiln-store-check(8)).
 *
 * kiln-imagegen leaves every container image the node needs in /var/lib/containerd, and a
 * byte copy of containerd's two databases in the read-only root, STORE_SEED_DIR. Before
 * containerd starts, each database is checked; a missing or corrupt one is replaced by the
 * seed's copy. It has to happen before: containerd opens a missing database as a new,
 * empty one, and from then on its garbage collector treats every seeded blob and snapshot
 * as unreferenced (containerd 1.6 deletes them at its first collection that touches the
 * content store). The blobs and snapshot directories themselves are only in /var; the
 * seed holds the records that make them images. */

#include <stdbool.h>

#include "time-util.h"

#define STORE_SEED_ROOT "/var/lib/containerd"
#define STORE_SEED_DIR  "/usr/lib/kiln/containerd-seed"

typedef struct StoreDatabase {
	const char *path;   /* below the store's root, and the same below the seed */
	/* What the database describes, below the root: without it a restored database would
	 * name blobs or snapshots that are not there. */
	const char *data;
	const char *what;   /* for messages */
} StoreDatabase;

/* containerd's metadata (images, content and snapshot records, leases; the namespace
 * k8s.io among them) and the overlayfs snapshotter's records. */
#define STORE_DATABASES_N 2
extern const StoreDatabase store_databases[STORE_DATABASES_N];
extern const size_t store_databases_n;

typedef enum StoreSeedEvent {
	STORE_SEED_VALID,        /* usable: left alone */
	STORE_SEED_IN_USE,       /* locked by a running containerd: left alone */
	STORE_SEED_UNREADABLE,   /* could not be read (error): left alone for containerd to judge */
	STORE_SEED_NO_DATA,      /* missing or corrupt, but what it describes is gone too: left alone */
	STORE_SEED_MOVED_ASIDE,  /* corrupt: renamed to moved_to */
	STORE_SEED_RESTORED,     /* the seed's copy is in its place, synced */
	STORE_SEED_PRUNED,       /* a snapshot directory the restored records do not know: removed */
	_STORE_SEED_EVENT_MAX,
} StoreSeedEvent;

const char *store_seed_event_to_string(StoreSeedEvent e);

typedef struct StoreSeedReport {
	StoreSeedEvent event;
	const StoreDatabase *database;
	/* Why the database is not usable: "missing", or bolt_verify()'s reason. NULL for
	 * VALID, IN_USE and UNREADABLE. */
	const char *reason;
	const char *moved_to;    /* MOVED_ASIDE: the file's new name, below the root; PRUNED: the
				  * directory removed, below the root */
	int error;               /* UNREADABLE: the -errno */
} StoreSeedReport;

/* Told of each thing done or found, in order (one database may give MOVED_ASIDE then
 * RESTORED). The pointers are valid during the call only. */
typedef void (*store_seed_report_fn)(const StoreSeedReport *report, void *userdata);

/* Check db below root_fd and restore it from seed_fd if it is missing or corrupt
 * (both fds are directories, O_PATH is fine). now_usec (CLOCK_REALTIME) names a corrupt
 * file moved aside, "<path>.corrupt-<now_usec>"; older ones of that database, and temp
 * files a crash left, are removed, so that at most one stays. The database file is locked
 * (flock, shared) while it is checked, as bbolt locks it (exclusively) while containerd
 * runs. 0 when the database is usable, restored, or left alone (see the events); when a
 * restore fails, -errno and the database is as it was (a corrupt one still in place, a
 * missing one still missing), no temp file left, unless only the final fsync of the
 * directory failed (then the copy is in place, maybe not yet on disk):
 *   -ENOENT   the seed has no copy of this database
 *   -EBADMSG  the seed's copy is not a usable database either
 *   other     from making the copy (-ENOSPC, -EROFS, -EIO ...) */
int store_seed_check(int root_fd, int seed_fd, const StoreDatabase *db, usec_t now_usec,
		     store_seed_report_fn report, void *userdata);

/* The two databases are one state: containerd's records name the snapshotter's keys, and
 * the snapshotter numbers its directories from its own sequence. Once one of them was
 * restored, the other is put back to the seed's copy too (a valid one is replaced, not
 * moved aside: it is not corrupt, only newer than its partner), and every snapshot
 * directory the seed's records do not know is removed: left there, it would collide with
 * the next snapshot the restored sequence numbers (containerd cannot rename a new
 * snapshot onto an existing directory). restored[i] says store_databases[i] was restored
 * already (it is left as it is). 0, or -errno of the first failure. */
int store_seed_restore_all(int root_fd, int seed_fd, const bool restored[], store_seed_report_fn report,
			   void *userdata);
/* The reason a valid database is restored with: its partner was. */
#define STORE_SEED_REASON_PARTNER "valid, but its partner was restored"
