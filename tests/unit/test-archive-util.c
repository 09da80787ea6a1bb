/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive-util.h"
#include "fd-util.h"
#include "tap.h"

#define T0 ((time_t) 1700000000)
#define T1 ((time_t) 1600000000)
#define T2 ((time_t) 1500000000)

static char *tmpdir;
static char arc[1024 * 1024];   /* the archive under test, built in memory */

typedef struct TEntry {
	const char *path;
	mode_t type;               /* AE_IF*; 0 with .hardlink */
	mode_t perm;
	const char *data;
	const char *symlink, *hardlink;
	const char *xattr_name, *xattr_value;
	dev_t rdev;
	uid_t uid;
	gid_t gid;
	time_t mtime;
} TEntry;

/* Write entries into arc[] with fixed times; returns the size, or 0 on failure. */
static size_t build(const TEntry *t, size_t n, int format, bool gzip) {
	struct archive *a = archive_write_new();
	size_t used = 0;
	bool good = a && archive_write_set_format(a, format) == ARCHIVE_OK &&
		    (!gzip || archive_write_add_filter_gzip(a) == ARCHIVE_OK) &&
		    archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
		    archive_write_open_memory(a, arc, sizeof(arc), &used) == ARCHIVE_OK;

	for (size_t i = 0; good && i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = t[i].data ? strlen(t[i].data) : 0;
		if (!e)
			break;
		archive_entry_set_pathname(e, t[i].path);
		archive_entry_set_filetype(e, t[i].type ?: AE_IFREG);
		archive_entry_set_perm(e, t[i].perm ?: 0644);
		archive_entry_set_size(e, (la_int64_t) len);
		archive_entry_set_mtime(e, t[i].mtime ?: T0, 0);
		archive_entry_set_uid(e, t[i].uid);
		archive_entry_set_gid(e, t[i].gid);
		if (t[i].symlink)
			archive_entry_set_symlink(e, t[i].symlink);
		if (t[i].hardlink)
			archive_entry_set_hardlink(e, t[i].hardlink);
		if (t[i].rdev)
			archive_entry_set_rdev(e, t[i].rdev);
		if (t[i].xattr_name)
			archive_entry_xattr_add_entry(e, t[i].xattr_name, t[i].xattr_value,
						      strlen(t[i].xattr_value));
		good = archive_write_header(a, e) == ARCHIVE_OK &&
		       (len == 0 || archive_write_data(a, t[i].data, len) == (la_ssize_t) len);
		archive_entry_free(e);
	}
	good = good && archive_write_close(a) == ARCHIVE_OK;
	archive_write_free(a);
	return good ? used : 0;
}

static int memfd_of(const void *p, size_t n) {
	int fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd < 0 || write(fd, p, n) != (ssize_t) n || lseek(fd, 0, SEEK_SET) != 0)
		return safe_close(fd);
	return fd;
}

static char *path_in_tmp(const char *name) {
	static char buf[4][512];
	static unsigned i;
	char *p = buf[i++ % ELEMENTSOF(buf)];
	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

/* A fresh, empty destination directory. */
static const char *fresh(const char *name) {
	char *p = path_in_tmp(name);
	(void) rm_rf(p);
	return mkdir(p, 0755) == 0 ? p : "/nonexistent";
}

static int extract(size_t n, const char *dest, ArchiveExtractFlags flags, ArchiveEntryCallback cb, void *userdata) {
	_cleanup_close_ int fd = memfd_of(arc, n);
	return fd < 0 ? -EIO : archive_extract_fd(fd, dest, flags, cb, userdata);
}

static bool exists_at(const char *dir, const char *name) {
	char p[1024];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

static bool file_is(const char *dir, const char *name, const char *want, mode_t mode, time_t mtime) {
	char p[1024], buf[256] = {};
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		return false;
	if (!streq(buf, want) || (st.st_mode & 07777) != mode || (mtime && st.st_mtime != mtime))
		diag("  %s: \"%s\" mode %04o mtime %jd", name, buf, st.st_mode & 07777, (intmax_t) st.st_mtime);
	return streq(buf, want) && (st.st_mode & 07777) == mode && (!mtime || st.st_mtime == mtime);
}

typedef struct Seen {
	unsigned n;
	char last[256];
	mode_t types[16];
	uint64_t sizes[16];
	const char *veto;
} Seen;

static int record(const ArchiveEntryInfo *i, void *userdata) {
	Seen *s = userdata;
	if (s->n < ELEMENTSOF(s->types)) {
		s->types[s->n] = i->type;
		s->sizes[s->n] = i->size;
	}
	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", i->path);
	return s->veto && streq(i->path, s->veto) ? -ECANCELED : 0;
}

static void test_tree(void) {
	bool root = geteuid() == 0;
	const TEntry t[] = {
		{ "d/", AE_IFDIR, 0750, .mtime = T2 },
		{ "d/file", 0, 0640, "hello\n", .uid = 1234, .gid = 5678, .mtime = T1 },
		{ "d/suid", 0, 04755, "x" },
		{ "d/link", AE_IFLNK, 0777, .symlink = "file" },
		{ "d/hard", 0, 0640, .hardlink = "d/file" },
		{ "./e/sub/deep", 0, 0600, "deep" },
	};
	size_t n = build(t, ELEMENTSOF(t), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	const char *dest = fresh("tree");
	char target[64] = {};
	struct stat st, st2;
	Seen seen = {};

	ok(n > 0, "built a pax archive of %zu bytes", n);
	ArchiveExtractFlags flags = ARCHIVE_EXTRACT_KEEP_PERMS | ARCHIVE_EXTRACT_KEEP_TIME |
				    (root ? ARCHIVE_EXTRACT_KEEP_OWNER : 0);
	is_int(extract(n, dest, flags, record, &seen), 0, "extract files, dirs, links");
	ok(file_is(dest, "d/file", "hello\n", 0640, T1), "regular file: content, mode, mtime");
	ok(file_is(dest, "d/suid", "x", 04755, T0), "setuid bit kept with KEEP_PERMS");
	ok(file_is(dest, "e/sub/deep", "deep", 0600, T0), "\"./\" prefix and implicit parents");
	ok(stat(path_in_tmp("tree/d"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750 &&
	   st.st_mtime == T2, "directory mode and mtime survive its children");
	ok(readlink(path_in_tmp("tree/d/link"), target, sizeof(target) - 1) == 4 && streq(target, "file"),
	   "symlink target");
	ok(stat(path_in_tmp("tree/d/hard"), &st) == 0 && stat(path_in_tmp("tree/d/file"), &st2) == 0 &&
	   st.st_ino == st2.st_ino && st.st_nlink == 2, "hard link shares the inode");
	if (root)
		ok(st2.st_uid == 1234 && st2.st_gid == 5678, "numeric owner kept (%u:%u)", st2.st_uid, st2.st_gid);
	else
		skip(1, "owner: not root");
	is_int(seen.n, ELEMENTSOF(t), "callback saw every entry");
	ok(seen.types[0] == S_IFDIR && seen.types[1] == S_IFREG && seen.types[3] == S_IFLNK,
	   "callback types");
	ok(seen.sizes[1] == 6 && seen.sizes[0] == 0, "callback sizes");

	/* Without KEEP_PERMS/KEEP_TIME: umask applies, setuid goes, mtime is now. */
	mode_t old = umask(027);
	dest = fresh("plain");
	is_int(extract(n, dest, 0, NULL, NULL), 0, "extract without flags");
	ok(file_is(dest, "d/suid", "x", 0750, 0), "umask applied and setuid dropped");
	ok(stat(path_in_tmp("plain/d/file"), &st) == 0 && st.st_mtime != T1, "mtime not restored");
	umask(old);
}

/* Each archive must be refused with -EPERM, and `victim` (relative to tmpdir) must not
 * appear. */
static void refused(const char *what, const TEntry *t, size_t n_entries, const char *victim) {
	size_t n = build(t, n_entries, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	const char *dest = fresh("dest");
	is_int(n > 0 ? extract(n, dest, 0, NULL, NULL) : -1, -EPERM, what);
	ok(!exists_at(tmpdir, victim), "  nothing written to %s", victim);
}

static void test_escapes(void) {
	char outside_abs[600], outside_f[600];
	snprintf(outside_abs, sizeof(outside_abs), "%s/outside/abs", tmpdir);
	snprintf(outside_f, sizeof(outside_f), "%s/outside/f", tmpdir);
	ok(mkdir(path_in_tmp("outside"), 0755) == 0, "a directory outside dest");
	_cleanup_close_ int f = open(outside_f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	refused("\"../escape\"", (TEntry[]) { { "../escape", 0, 0, "x" } }, 1, "escape");
	refused("\"d/../../escape\"", (TEntry[]) { { "d/../../escape", 0, 0, "x" } }, 1, "escape");
	/* An absolute path like /etc/x, but one that is harmless if the check were broken. */
	refused("absolute path", (TEntry[]) { { outside_abs, 0, 0, "x" } }, 1, "outside/abs");
	/* "link/x" in spirit; a unique name, so that a broken check (run as root) leaves
	 * something recognizable in / that is removed again. */
	char through_root[64], in_root[64];
	snprintf(through_root, sizeof(through_root), "link/kiln-test-escape-%d", (int) getpid());
	snprintf(in_root, sizeof(in_root), "/kiln-test-escape-%d", (int) getpid());
	refused("\"link -> /\" then \"link/x\"",
		(TEntry[]) { { "link", AE_IFLNK, .symlink = "/" }, { through_root, 0, 0, "x" } }, 2, "x");
	ok(access(in_root, F_OK) < 0 && errno == ENOENT, "  %s does not exist", in_root);
	(void) unlink(in_root);
	refused("symlink to a directory outside, then through it",
		(TEntry[]) { { "out", AE_IFLNK, .symlink = path_in_tmp("outside") }, { "out/x", 0, 0, "x" } },
		2, "outside/x");
	refused("\"up -> ..\" then \"up/x\"",
		(TEntry[]) { { "up", AE_IFLNK, .symlink = ".." }, { "up/x", 0, 0, "x" } }, 2, "x");
	refused("hard link to \"../outside/f\"",
		(TEntry[]) { { "h", 0, 0, .hardlink = "../outside/f" } }, 1, "dest/h");
	refused("hard link to an absolute path",
		(TEntry[]) { { "h", 0, 0, .hardlink = outside_f } }, 1, "dest/h");
	refused("hard link through a symlink",
		(TEntry[]) { { "out", AE_IFLNK, .symlink = path_in_tmp("outside") },
			     { "h", 0, 0, .hardlink = "out/f" } }, 2, "dest/h");
	struct stat st;
	ok(fstat(f, &st) == 0 && st.st_nlink == 1, "outside file has no new links");

	/* A symlink that was in dest before extraction. */
	const TEntry t[] = { { "pre/x", 0, 0, "x" } };
	size_t n = build(t, 1, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	const char *dest = fresh("dest");
	ok(symlink(path_in_tmp("outside"), path_in_tmp("dest/pre")) == 0, "pre-existing symlink in dest");
	is_int(extract(n, dest, 0, NULL, NULL), -EPERM, "entry through a pre-existing symlink");
	ok(!exists_at(tmpdir, "outside/x"), "  nothing written through it");
}

static void test_devices(void) {
	const TEntry t[] = {
		{ "before", 0, 0, "b" },
		{ "dev/null", AE_IFCHR, 0666, .rdev = makedev(1, 3) },
		{ "after", 0, 0, "a" },
	};
	size_t n = build(t, ELEMENTSOF(t), ARCHIVE_FORMAT_TAR_GNUTAR, false);
	const char *dest = fresh("dev");
	Seen seen = {};

	is_int(extract(n, dest, ARCHIVE_EXTRACT_NO_DEVICES, record, &seen), -EPERM, "char device refused");
	ok(exists_at(dest, "before") && !exists_at(dest, "dev/null") && !exists_at(dest, "after"),
	   "earlier entries stay, the device and later entries are not written");
	is_str(seen.last, "dev/null", "the callback saw the rejected entry last");

	const TEntry b[] = { { "sda", AE_IFBLK, 0660, .rdev = makedev(8, 0) } };
	n = build(b, 1, ARCHIVE_FORMAT_TAR_GNUTAR, false);
	is_int(extract(n, fresh("dev"), ARCHIVE_EXTRACT_NO_DEVICES, NULL, NULL), -EPERM, "block device refused");

	const TEntry p[] = { { "fifo", AE_IFIFO, 0600 } };
	n = build(p, 1, ARCHIVE_FORMAT_TAR_GNUTAR, false);
	struct stat st;
	is_int(extract(n, fresh("dev"), ARCHIVE_EXTRACT_NO_DEVICES, NULL, NULL), 0, "FIFO allowed");
	ok(lstat(path_in_tmp("dev/fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "FIFO created");
}

static void test_corrupt(void) {
	static char big[10000];
	memset(big, 'z', sizeof(big) - 1);
	const TEntry t[] = { { "a", 0, 0, "first" }, { "big", 0, 0, big } };
	size_t n = build(t, ELEMENTSOF(t), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	ok(n > 11000, "archive with a 10 KB file (%zu bytes)", n);

	is_int(extract(n - 4000, fresh("c"), 0, NULL, NULL), -EBADMSG, "truncated in file data");
	is_int(extract(300, fresh("c"), 0, NULL, NULL), -EBADMSG, "truncated in the first header");
	is_int(extract(0, fresh("c"), 0, NULL, NULL), -EBADMSG, "empty input");

	/* Damage the second entry's header: its checksum no longer matches. */
	const TEntry u[] = { { "a", 0, 0, "first" }, { "b", 0, 0, "second" } };
	n = build(u, ELEMENTSOF(u), ARCHIVE_FORMAT_TAR_USTAR, false);
	ok(n >= 2048 && arc[1024] == 'b', "ustar archive, second header at 1024");
	arc[1024] = 'c';
	const char *dest = fresh("c");
	is_int(extract(n, dest, 0, NULL, NULL), -EBADMSG, "damaged header checksum");
	ok(exists_at(dest, "a") && !exists_at(dest, "b") && !exists_at(dest, "c"), "stops at the damage");

	memset(arc, 'x', 4096);
	is_int(extract(4096, fresh("c"), 0, NULL, NULL), -EBADMSG, "not an archive");

	n = build(t, ELEMENTSOF(t), ARCHIVE_FORMAT_TAR_GNUTAR, true);
	is_int(extract(n / 2, fresh("c"), 0, NULL, NULL), -EBADMSG, "truncated gzip stream");
}

static void test_metadata(void) {
	const TEntry t[] = { { "f", 0, 0600, "f", .xattr_name = "user.kiln", .xattr_value = "v1" } };
	size_t n = build(t, 1, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	ArchiveExtractFlags all = ARCHIVE_EXTRACT_KEEP_PERMS | ARCHIVE_EXTRACT_KEEP_TIME |
		ARCHIVE_EXTRACT_KEEP_XATTRS | ARCHIVE_EXTRACT_KEEP_ACLS | ARCHIVE_EXTRACT_KEEP_FFLAGS |
		(geteuid() == 0 ? ARCHIVE_EXTRACT_KEEP_OWNER : 0);
	char v[16] = {};

	int r = extract(n, fresh("meta"), all, NULL, NULL);
	if (r == -EOPNOTSUPP) {
		skip(4, "%s has no user xattrs", tmpdir);
		return;
	}
	is_int(r, 0, "every KEEP_ flag at once");
	ok(getxattr(path_in_tmp("meta/f"), "user.kiln", v, sizeof(v) - 1) == 2 && streq(v, "v1"),
	   "xattr restored");
	is_int(extract(n, fresh("meta"), 0, NULL, NULL), 0, "same archive without flags");
	ok(getxattr(path_in_tmp("meta/f"), "user.kiln", v, sizeof(v)) < 0 && errno == ENODATA,
	   "xattr not restored without KEEP_XATTRS");

	/* What the flags ask for and cannot be done is an error, not a libarchive warning. */
	const TEntry bad[] = { { "g", 0, 0600, "g", .xattr_name = "bogus.kiln", .xattr_value = "v" } };
	n = build(bad, 1, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	r = extract(n, fresh("meta"), ARCHIVE_EXTRACT_KEEP_XATTRS, NULL, NULL);
	is_int(r, -EOPNOTSUPP, "an xattr that cannot be set fails the extraction");
}

static void test_veto(void) {
	const TEntry t[] = { { "a", 0, 0, "a" }, { "b", 0, 0, "b" }, { "c", 0, 0, "c" } };
	size_t n = build(t, ELEMENTSOF(t), ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	const char *dest = fresh("veto");
	Seen seen = { .veto = "b" };

	is_int(extract(n, dest, 0, record, &seen), -ECANCELED, "callback veto is returned");
	is_int(seen.n, 2, "no entry after the veto is seen");
	ok(exists_at(dest, "a") && !exists_at(dest, "b") && !exists_at(dest, "c"), "vetoed entry not written");
}

static void test_gzip(void) {
	const TEntry t[] = { { "etc/", AE_IFDIR, 0755 }, { "etc/hostname", 0, 0644, "kiln\n", .mtime = T1 } };
	size_t n = build(t, ELEMENTSOF(t), ARCHIVE_FORMAT_TAR_GNUTAR, true);
	const char *dest = fresh("gz");

	ok(n > 2 && (uint8_t) arc[0] == 0x1f && (uint8_t) arc[1] == 0x8b, "archive is gzip-compressed");
	is_int(extract(n, dest, ARCHIVE_EXTRACT_KEEP_PERMS | ARCHIVE_EXTRACT_KEEP_TIME, NULL, NULL), 0,
	       "gzip detected and extracted");
	ok(file_is(dest, "etc/hostname", "kiln\n", 0644, T1), "content from the gzip archive");
}

static void test_args(void) {
	const TEntry t[] = { { "f", 0, 0, "f" } };
	size_t n = build(t, 1, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	_cleanup_close_ int f = open(path_in_tmp("plainfile"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	ok(f >= 0, "a plain file");
	is_int(archive_extract_fd(-1, tmpdir, 0, NULL, NULL), -EBADF, "negative fd");
	is_int(extract(n, path_in_tmp("missing"), 0, NULL, NULL), -ENOENT, "missing dest_dir");
	is_int(extract(n, path_in_tmp("plainfile"), 0, NULL, NULL), -ENOTDIR, "dest_dir is a file");
	is_int(extract(n, tmpdir, 1 << 20, NULL, NULL), -EINVAL, "unknown flag");

	/* dest_dir reached through a symlink: canonicalized, so not "through a symlink". */
	const char *real = fresh("real");
	ok(symlink(real, path_in_tmp("via")) == 0, "symlink to dest_dir");
	is_int(extract(n, path_in_tmp("via"), 0, NULL, NULL), 0, "dest_dir through a symlink");
	ok(exists_at(real, "f"), "file landed in the real directory");

	const char *empty = fresh("empty");
	n = build(NULL, 0, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, false);
	is_int(n > 0 ? extract(n, empty, 0, NULL, NULL) : -1, 0, "archive without entries");
}

int main(void) {
	tmpdir = tap_mkdtemp();
	if (!tmpdir)
		skip_all("cannot create a temporary directory");

	test_tree();
	test_escapes();
	test_devices();
	test_metadata();
	test_corrupt();
	test_veto();
	test_gzip();
	test_args();

	(void) rm_rf(tmpdir);
	free(tmpdir);
	return done_testing();
}
