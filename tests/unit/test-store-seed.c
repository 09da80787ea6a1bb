/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seeded store's databases checked and restored before containerd starts
 * (supervisor/store-seed.c, lib/bolt.c), on store directories made here:
 *   - bolt_verify() on bbolt files laid out as bbolt writes them (two meta pages, FNV-1a
 *     checksums computed here), and on every way one can be damaged
 *   - a missing database restored byte for byte with the seed's mode; a corrupt one moved
 *     aside then restored; a valid one not touched (same inode, same mtime); older corrupt
 *     copies and temp files rotated away; a locked one (containerd running) left alone;
 *     none restored when the blobs it describes are gone
 *   - failures: no seed copy, a corrupt seed copy, a full disk (tmpfs), a read-only one,
 *     a failing fsync: each an error, with the database as it was and no temp file left.
 * Real containerd databases are checked by tests/integration/test-store-seed.sh. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt.h"
#include "fileio.h"
#include "io-util.h"
#include "store-seed.h"
#include "tap.h"
#include "tmpdir-files.h"

#define META_DB "io.containerd.metadata.v1.bolt/meta.db"
#define META_DIR "io.containerd.metadata.v1.bolt"
#define BLOBS "io.containerd.content.v1.content/blobs"

/* ---- bbolt files, written the way bbolt's init() writes them ---- */

static uint64_t fnv(const uint8_t *p, size_t n) {
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void put32(uint8_t *p, uint32_t v) {
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* n_pages (at least 4) pages of page_size, a valid empty database: metas on pages 0 and
 * 1 (txid 0 and 1), the freelist on page 2 naming pages 4.. as free, the root bucket's
 * empty leaf on page 3. The free pages' bytes are `fill` (not zero, so that a copy cannot
 * skip them as a hole). */
static int write_bolt(const char *path, uint32_t page_size, uint64_t n_pages, uint8_t fill) {
	size_t size = (size_t) (page_size * n_pages);
	_cleanup_free_ uint8_t *b = malloc(size);
	if (!b)
		return -ENOMEM;
	memset(b, fill, size);
	for (uint64_t i = 0; i < 2; i++) {
		uint8_t *p = b + i * page_size, *m = p + 16;
		memset(p, 0, page_size);
		put64(p, i);          /* page id */
		p[8] = 0x04;          /* meta page flag */
		put32(m, 0xED0CDAED);
		put32(m + 4, 2);
		put32(m + 8, page_size);
		put64(m + 16, 3);     /* root bucket page */
		put64(m + 32, 2);     /* freelist page */
		put64(m + 40, n_pages);
		put64(m + 48, i);     /* txid */
		put64(m + 56, fnv(m, 56));
	}
	uint8_t *freelist = b + 2 * page_size, *root = b + 3 * page_size;
	memset(freelist, 0, page_size);
	memset(root, 0, page_size);
	put64(freelist, 2);
	freelist[8] = 0x10;                          /* freelist page flag */
	uint64_t n_free = n_pages - 4;
	freelist[10] = (uint8_t) n_free, freelist[11] = (uint8_t) (n_free >> 8);   /* count */
	for (uint64_t i = 0; i < n_free; i++)
		put64(freelist + 16 + 8 * i, 4 + i);
	put64(root, 3);
	root[8] = 0x02;                              /* leaf page flag, no elements */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b, size) != (ssize_t) size)
		return -errno;
	return 0;
}

static void poke(const char *path, off_t offset, const char *bytes) {
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, bytes, strlen(bytes), offset) != (ssize_t) strlen(bytes))
		diag("cannot write into %s", path);
}

static int verify(const char *path, char **reason) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : bolt_verify(fd, reason);
}

static bool same_file(const char *a, const char *b) {
	char cmd[2 * PATH_MAX + 32];
	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static void test_bolt(void) {
	char *reason = NULL;

	ok(write_bolt(P("a.db"), 4096, 6, 0x5a) == 0, "a bbolt file: 6 pages of 4096 bytes");
	is_int(verify(P("a.db"), &reason), 0, "bolt_verify: valid");
	ok(!reason, "no reason for a valid file");

	ok(write_bolt(P("b.db"), 1024, 8, 0) == 0 && verify(P("b.db"), NULL) == 0, "valid with 1 KiB pages");

	/* One torn meta page: bbolt opens the file with the other one. */
	poke(P("a.db"), 16 + 20, "x");
	is_int(verify(P("a.db"), NULL), 0, "page 0's checksum wrong, page 1 valid: still usable");
	write_bolt(P("a.db"), 4096, 6, 0x5a);
	poke(P("a.db"), 4096 + 16 + 20, "x");
	is_int(verify(P("a.db"), NULL), 0, "page 1's checksum wrong, page 0 valid: still usable");

	/* Both: what the integration test does to a real meta.db. */
	poke(P("a.db"), 16 + 20, "x");
	is_int(verify(P("a.db"), &reason), -EBADMSG, "both meta pages' checksums wrong: -EBADMSG");
	ok(reason && strstr(reason, "page 0: bad checksum") && strstr(reason, "page 1: bad checksum"),
	   "the reason names both pages: %s", reason ?: "(null)");
	reason = mfree_str(reason);

	static const struct {
		off_t offset;
		const char *bytes, *want, *what;
	} damage[] = {
		{ 16,     "\xde\xad", "bad magic", "the magic overwritten" },
		{ 16 + 4, "\x01",     "unsupported version", "an older format version" },
		{ 16 + 8, "\x01",     "checksum", "the page size changed (checksum)" },
	};
	for (size_t i = 0; i < ELEMENTSOF(damage); i++) {
		write_bolt(P("a.db"), 4096, 6, 0x5a);
		poke(P("a.db"), damage[i].offset, damage[i].bytes);
		poke(P("a.db"), 4096 + damage[i].offset, damage[i].bytes);
		is_int(verify(P("a.db"), &reason), -EBADMSG, damage[i].what);
		ok(reason && strstr(reason, damage[i].want), "reason: %s", reason ?: "(null)");
		reason = mfree_str(reason);
	}

	/* Cut short after it was written: the metas claim pages the file no longer has. */
	write_bolt(P("a.db"), 4096, 6, 0x5a);
	ok(truncate(P("a.db"), 4 * 4096) == 0, "a file cut to 4 of its 6 pages");
	is_int(verify(P("a.db"), &reason), -EBADMSG, "truncated: -EBADMSG");
	ok(reason && strstr(reason, "high-water mark 6 beyond the end of the file (4 pages)"), "reason: %s", reason ?: "(null)");
	reason = mfree_str(reason);

	put(P("empty.db"), "");
	is_int(verify(P("empty.db"), &reason), -EBADMSG, "an empty file: -EBADMSG (bbolt would start afresh)");
	ok(reason && strstr(reason, "truncated"), "reason: %s", reason ?: "(null)");
	reason = mfree_str(reason);
	put(P("junk.db"), "not a database at all");
	is_int(verify(P("junk.db"), NULL), -EBADMSG, "a short text file: -EBADMSG, with no reason asked for");

	_cleanup_close_ int dfd = open(T, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(bolt_verify(dfd, &reason), -EISDIR, "a directory: -EISDIR");
	reason = mfree_str(reason);
	is_int(bolt_verify(-1, &reason), -EBADF, "a bad fd: -EBADF");
	ok(!reason, "no reason for an error that is not corruption");
}

/* ---- store directories ---- */

typedef struct Event {
	StoreSeedEvent event;
	char *reason, *moved_to;
	int error;
} Event;

static Event events[8];
static size_t n_events;

static void events_reset(void) {
	for (size_t i = 0; i < n_events; i++) {
		free(events[i].reason);
		free(events[i].moved_to);
	}
	n_events = 0;
}

static void on_report(const StoreSeedReport *r, void *userdata) {
	if (n_events >= ELEMENTSOF(events) || r->database != userdata)
		return;
	events[n_events++] = (Event) {
		.event = r->event,
		.reason = r->reason ? strdup(r->reason) : NULL,
		.moved_to = r->moved_to ? strdup(r->moved_to) : NULL,
		.error = r->error,
	};
}

/* A store at T/<name>: the content directory, and a seed at T/<name>-seed with a
 * 5-page meta.db (a different size from any database below, so copies can be told). */
static void make_store(const char *name) {
	char p[PATH_MAX];

	fresh_dir(name);
	snprintf(p, sizeof p, "%s-seed", name);
	fresh_dir(p);
	snprintf(p, sizeof p, "%s/%s", name, BLOBS);
	if (mkdir_p(P(p), 0755) < 0)
		diag("mkdir %s failed", p);
	snprintf(p, sizeof p, "%s-seed/%s", name, META_DIR);
	if (mkdir(P(p), 0755) < 0)
		diag("mkdir %s failed", p);
	snprintf(p, sizeof p, "%s-seed/%s", name, META_DB);
	if (write_bolt(P(p), 4096, 5, 0x33) < 0 || chmod(P(p), 0640) < 0)
		diag("seed %s failed", p);
}

static int check(const char *name, usec_t t) {
	char seed[PATH_MAX];
	snprintf(seed, sizeof seed, "%s-seed", name);
	_cleanup_close_ int root_fd = open(P(name), O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int seed_fd = open(P(seed), O_PATH | O_DIRECTORY | O_CLOEXEC);
	events_reset();
	return store_seed_check(root_fd, seed_fd, &store_databases[0], t, on_report, (void *) &store_databases[0]);
}

static const char *path_in(const char *name, const char *rel) {
	static char buf[4][PATH_MAX];
	static unsigned i;
	char *p = buf[i++ % ELEMENTSOF(buf)];
	snprintf(p, PATH_MAX, "%s/%s/%s", T, name, rel);
	return p;
}

static void test_table(void) {
	is_int(store_databases_n, 2, "two databases");
	is_str(store_databases[0].path, "io.containerd.metadata.v1.bolt/meta.db", "containerd's metadata, as the builder copies it");
	is_str(store_databases[1].path, "io.containerd.snapshotter.v1.overlayfs/metadata.db", "the overlayfs snapshotter's");
	is_str(store_seed_event_to_string(STORE_SEED_RESTORED), "restored", "event names");
	ok(!store_seed_event_to_string(_STORE_SEED_EVENT_MAX), "no name past the table");
}

static void test_missing(void) {
	struct stat st;

	make_store("m");
	is_int(check("m", 1000), 0, "a missing meta.db: restored");
	ok(n_events == 1 && events[0].event == STORE_SEED_RESTORED && events[0].reason &&
	   streq(events[0].reason, "missing"), "one event: restored, reason \"missing\"");
	ok(same_file(path_in("m", META_DB), path_in("m-seed", META_DB)), "the copy is byte for byte the seed's");
	ok(stat(path_in("m", META_DB), &st) == 0 && (st.st_mode & 07777) == 0640, "with the seed's mode (0640)");
	is_int(count_entries(path_in("m", META_DIR), ""), 1, "nothing else in the directory (no temp file)");
	is_int(verify(path_in("m", META_DB), NULL), 0, "and it verifies");

	/* The whole bolt directory gone, the blobs still there. */
	(void) rm_rf(path_in("m", META_DIR));
	is_int(check("m", 1000), 0, "meta.db's directory missing too: restored");
	ok(same_file(path_in("m", META_DB), path_in("m-seed", META_DB)), "into a new directory");
}

static void test_valid(void) {
	struct stat before, after;

	make_store("v");
	ok(mkdir(path_in("v", META_DIR), 0711) == 0 && write_bolt(path_in("v", META_DB), 4096, 7, 0x11) == 0,
	   "a valid meta.db of 7 pages");
	struct timespec old[2] = { { .tv_sec = 1700000000, .tv_nsec = 123 }, { .tv_sec = 1700000000, .tv_nsec = 456 } };
	ok(utimensat(AT_FDCWD, path_in("v", META_DB), old, 0) == 0 && stat(path_in("v", META_DB), &before) == 0,
	   "with an old mtime");
	is_int(check("v", 2000), 0, "store_seed_check");
	ok(n_events == 1 && events[0].event == STORE_SEED_VALID && !events[0].reason, "one event: valid");
	ok(stat(path_in("v", META_DB), &after) == 0 && after.st_ino == before.st_ino && after.st_size == before.st_size &&
	   after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec,
	   "untouched: same inode, size and mtime");
	is_int(count_entries(path_in("v", META_DIR), ""), 1, "nothing added next to it");

	/* Torn on one page only: bbolt copes, so do we. */
	poke(path_in("v", META_DB), 16 + 30, "torn");
	is_int(check("v", 2000), 0, "one meta page torn");
	ok(n_events == 1 && events[0].event == STORE_SEED_VALID, "still valid, left alone");
}

static void test_corrupt(void) {
	char *moved = NULL;

	make_store("c");
	ok(mkdir(path_in("c", META_DIR), 0711) == 0 && write_bolt(path_in("c", META_DB), 4096, 4, 0x22) == 0,
	   "a meta.db of 4 pages");
	poke(path_in("c", META_DB), 16, "XXXX");
	poke(path_in("c", META_DB), 4096 + 16, "XXXX");
	ok(link(path_in("c", META_DB), P("c-original.db")) == 0, "(a second name for the corrupt file, to compare)");

	is_int(check("c", 1111), 0, "a corrupt meta.db (both magics overwritten): restored");
	ok(n_events == 2 && events[0].event == STORE_SEED_MOVED_ASIDE && events[1].event == STORE_SEED_RESTORED,
	   "two events: moved aside, then restored");
	ok(n_events == 2 && events[0].reason && strstr(events[0].reason, "page 0: bad magic"),
	   "the reason: %s", n_events ? events[0].reason ?: "(null)" : "(none)");
	moved = n_events ? events[0].moved_to : NULL;
	is_str(moved, META_DB ".corrupt-1111", "moved to <path>.corrupt-<usec>, below the root");
	ok(same_file(path_in("c", META_DB ".corrupt-1111"), P("c-original.db")), "the corrupt bytes are kept there");
	ok(same_file(path_in("c", META_DB), path_in("c-seed", META_DB)), "the seed's copy is in place");
	is_int(count_entries(path_in("c", META_DIR), ""), 2, "meta.db and one corrupt copy, nothing else");

	/* Rotation: a second corruption later, and a temp file an interrupted run left. */
	put(path_in("c", META_DIR "/.#meta.db.0123456789abcdef"), "half a copy");
	put(path_in("c", META_DB), "garbage");
	is_int(check("c", 2222), 0, "corrupt again, later: restored");
	is_int(count_entries(path_in("c", META_DIR), "meta.db.corrupt-"), 1, "at most one corrupt copy is kept");
	is_str(get(path_in("c", META_DB ".corrupt-2222")), "garbage", "the newer one");
	is_int(count_entries(path_in("c", META_DIR), ".#"), 0, "the stale temp file is gone");
	is_int(count_entries(path_in("c", META_DIR), ""), 2, "meta.db and meta.db.corrupt-2222");

	/* An empty file is what a crash during containerd's own creation leaves. */
	put(path_in("c", META_DB), "");
	is_int(check("c", 3333), 0, "an empty meta.db: restored");
	ok(n_events == 2 && events[0].reason && strstr(events[0].reason, "truncated"), "reason: %s",
	   n_events ? events[0].reason ?: "(null)" : "(none)");
	ok(same_file(path_in("c", META_DB), path_in("c-seed", META_DB)), "the seed's copy is in place");
}

static void test_left_alone(void) {
	make_store("l");
	ok(mkdir(path_in("l", META_DIR), 0711) == 0, "(setup)");
	put(path_in("l", META_DB), "corrupt");

	/* bbolt holds an exclusive flock() while containerd runs. */
	_cleanup_close_ int held = open(path_in("l", META_DB), O_RDONLY | O_CLOEXEC);
	ok(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0, "another open file locks meta.db, as containerd does");
	is_int(check("l", 1), 0, "store_seed_check on a locked database");
	ok(n_events == 1 && events[0].event == STORE_SEED_IN_USE, "in use: left alone");
	is_str(get(path_in("l", META_DB)), "corrupt", "not replaced under a running containerd");
	held = safe_close(held);

	/* The blobs are gone too: a restored database would list images without files. */
	(void) rm_rf(path_in("l", "io.containerd.content.v1.content"));
	is_int(check("l", 1), 0, "store_seed_check without the content store");
	ok(n_events == 1 && events[0].event == STORE_SEED_NO_DATA && events[0].reason &&
	   strstr(events[0].reason, "truncated"), "no data: left alone, with the reason (%s)",
	   n_events ? events[0].reason ?: "(null)" : "(none)");
	is_str(get(path_in("l", META_DB)), "corrupt", "not replaced");
	(void) unlink(path_in("l", META_DB));
	is_int(check("l", 1), 0, "missing, and no content store");
	ok(n_events == 1 && events[0].event == STORE_SEED_NO_DATA && streq(events[0].reason, "missing"),
	   "no data, reason \"missing\"");
	is_str(get(path_in("l", META_DB)), "(missing)", "nothing created");
}

static unsigned failing_fsync_calls;
static int failing_fsync(int fd) {
	failing_fsync_calls++;
	errno = EIO;
	return -1;
}

static void test_failures(void) {
	make_store("f");
	ok(mkdir(path_in("f", META_DIR), 0711) == 0, "(setup)");
	put(path_in("f", META_DB), "corrupt");

	/* The seed has no copy of it. */
	ok(rename(path_in("f-seed", META_DB), P("f-seed.db")) == 0, "the seed's meta.db taken away");
	is_int(check("f", 1), -ENOENT, "no seed copy: -ENOENT");
	ok(n_events == 0, "nothing reported as done");
	is_str(get(path_in("f", META_DB)), "corrupt", "the corrupt database is still in place");
	is_int(count_entries(path_in("f", META_DIR), ""), 1, "nothing else written");
	(void) unlink(path_in("f", META_DB));
	is_int(check("f", 1), -ENOENT, "missing database, no seed copy: -ENOENT");
	is_int(count_entries(path_in("f", META_DIR), ""), 0, "still nothing there");

	/* The seed's copy is damaged too. */
	put(path_in("f", META_DB), "corrupt");
	put(path_in("f-seed", META_DB), "also corrupt");
	is_int(check("f", 1), -EBADMSG, "a corrupt seed copy: -EBADMSG");
	is_str(get(path_in("f", META_DB)), "corrupt", "the database is as it was");
	ok(rename(P("f-seed.db"), path_in("f-seed", META_DB)) == 0, "the good seed back");

	/* fsync(2) of the copy fails: nothing may be renamed into place. */
	io_set_fsync_hook(failing_fsync);
	is_int(check("f", 1), -EIO, "the copy's fsync fails: -EIO");
	io_set_fsync_hook(NULL);
	ok(failing_fsync_calls == 1, "after one fsync");
	is_str(get(path_in("f", META_DB)), "corrupt", "the database is as it was");
	is_int(count_entries(path_in("f", META_DIR), ""), 1, "no temp file, no corrupt copy left");

	/* A full disk and a read-only one: a tmpfs of 64 KiB in a mount namespace of our own. */
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		skip(10, "a small tmpfs needs root and a mount namespace");
		return;
	}
	fresh_dir("full");
	ok(mount("tmpfs", P("full"), "tmpfs", 0, "size=64k,mode=0755") == 0, "a 64 KiB tmpfs as the store");
	ok(mkdir_p(P("full/" BLOBS), 0755) == 0 && mkdir(P("full/" META_DIR), 0711) == 0, "(setup)");
	put(P("full/" META_DB), "corrupt");
	fresh_dir("full-seed");
	ok(mkdir(P("full-seed/" META_DIR), 0755) == 0 && write_bolt(P("full-seed/" META_DB), 4096, 64, 0x77) == 0,
	   "a seed copy of 256 KiB, no holes");
	is_int(check("full", 1), -ENOSPC, "restore on a full disk: -ENOSPC");
	is_str(get(P("full/" META_DB)), "corrupt", "the database is as it was");
	is_int(count_entries(P("full/" META_DIR), ""), 1, "the partial copy is removed");

	ok(mount(NULL, P("full"), NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0, "the store remounted read-only");
	is_int(check("full", 1), -EROFS, "restore on a read-only disk: -EROFS");
	is_str(get(P("full/" META_DB)), "corrupt", "the database is as it was");
	(void) umount2(P("full"), MNT_DETACH);
}

/* A valid overlayfs snapshotter database knowing snapshots with these ids (uvarint, as
 * containerd's snapshots/storage writes them). */
static int write_overlay_db(const char *path, const uint64_t *ids, size_t n) {
	_cleanup_bolt_bucket_free_ BoltBucket *root = bolt_bucket_new();
	BoltBucket *v1, *snapshots;
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	int r;

	if (!root || bolt_bucket_add_bucket(root, "v1", 2, &v1) < 0 || bolt_bucket_add_bucket(v1, "snapshots", 9, &snapshots) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char key[64];
		uint8_t varint[10];
		size_t k = 0;
		BoltBucket *snap;
		for (uint64_t v = ids[i]; ; v >>= 7) {
			varint[k++] = (uint8_t) ((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
			if (v < 0x80)
				break;
		}
		snprintf(key, sizeof key, "k8s.io/%" PRIu64 "/sha256:x", ids[i]);
		if (bolt_bucket_add_bucket(snapshots, key, strlen(key), &snap) < 0 || bolt_bucket_put(snap, "id", 2, varint, k) < 0)
			return -ENOMEM;
	}
	snapshots->sequence = n;
	r = bolt_serialize(root, 4096, &data, &size);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t) size)
		return -errno;
	return 0;
}

/* One database restored: the partner goes back to the seed's copy too, and the snapshot
 * directories the seed's records do not know are removed. */
static void test_restore_all(void) {
	static const uint64_t seed_ids[] = { 1, 3, 200 };
	const char *dirs[] = { "1", "2", "3", "4", "200", "not-an-id" };
	char p[512];

	make_store("all");
	snprintf(p, sizeof p, "all-seed/%s", "io.containerd.snapshotter.v1.overlayfs");
	ok(mkdir(P(p), 0755) == 0, "the seed's overlayfs directory");
	snprintf(p, sizeof p, "all-seed/%s", store_databases[1].path);
	ok(write_overlay_db(P(p), seed_ids, ELEMENTSOF(seed_ids)) == 0, "the seed's snapshotter database knows ids 1, 3, 200");
	snprintf(p, sizeof p, "all/%s", store_databases[1].data);
	ok(mkdir_p(P(p), 0755) == 0, "snapshot directories");
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(p, sizeof p, "all/%s/%s/fs", store_databases[1].data, dirs[i]);
		if (mkdir_p(P(p), 0755) < 0)
			diag("mkdir %s failed", p);
	}
	/* The node's own, newer snapshotter database: valid, but it knows ids 1 to 4. */
	static const uint64_t node_ids[] = { 1, 2, 3, 4 };
	snprintf(p, sizeof p, "all/%s", store_databases[1].path);
	ok(write_overlay_db(P(p), node_ids, ELEMENTSOF(node_ids)) == 0, "the node's snapshotter database knows ids 1 to 4");

	_cleanup_close_ int root_fd = open(P("all"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int seed_fd = open(P("all-seed"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	const bool restored[STORE_DATABASES_N] = { true, false };
	events_reset();
	is_int(store_seed_restore_all(root_fd, seed_fd, restored, on_report, (void *) &store_databases[1]), 0, "restore_all");
	ok(n_events == 3 && events[0].event == STORE_SEED_RESTORED && streq(events[0].reason, STORE_SEED_REASON_PARTNER) &&
	   events[1].event == STORE_SEED_PRUNED && events[2].event == STORE_SEED_PRUNED,
	   "events: the partner restored, two directories pruned (%zu events)", n_events);
	ok(n_events == 3 && events[1].moved_to && strstr(events[1].moved_to, "/snapshots/2") && events[2].moved_to &&
	   strstr(events[2].moved_to, "/snapshots/4"), "the pruned ones are 2 and 4");
	ok(same_file(path_in("all", store_databases[1].path), path_in("all-seed", store_databases[1].path)),
	   "the partner is the seed's copy");
	bool kept = true, gone = true;
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(p, sizeof p, "all/%s/%s", store_databases[1].data, dirs[i]);
		bool exists = access(P(p), F_OK) == 0;
		if (streq(dirs[i], "2") || streq(dirs[i], "4"))
			gone = gone && !exists;
		else
			kept = kept && exists;
	}
	ok(gone, "snapshot directories 2 and 4 are gone");
	ok(kept, "1, 3, 200 (known to the seed) and a name that is no id are kept");
	snprintf(p, sizeof p, "all/%s", store_databases[0].path);
	ok(access(P(p), F_OK) < 0, "a database marked restored already is left as it is (here: still missing)");
}

int main(void) {
	T = tap_mkdtemp();
	if (!T)
		skip_all("cannot create a temporary directory");
	test_bolt();
	test_table();
	test_missing();
	test_valid();
	test_corrupt();
	test_left_alone();
	test_failures();
	test_restore_all();
	events_reset();
	(void) rm_rf(T);
	free(T);
	return done_testing();
}
