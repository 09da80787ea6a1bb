/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln.box's pieces: metadata.json's virtual_size (GiB, rounded up) and the tar, whose
 * bytes depend on the files' contents and the epoch only: not on their times, owners or
 * modes on disk, nor on when it is written. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc-util.h"
#include "box.h"
#include "fileio.h"
#include "tap.h"

#define GiB (UINT64_C(1) << 30)
#define EPOCH 1700000000

static void metadata(uint64_t size, const char *want) {
	_cleanup_free_ char *m = NULL;
	is_int(box_metadata(size, &m), 0, "box_metadata");
	is_str(m, want, "  metadata.json");
}

/* Write files named a, b, c in dir with these contents, modes and times, then the box. */
static int make(const char *dir, const char *out, mode_t mode, time_t mtime, const char *const *names) {
	static const char *const text[] = { "{\"provider\":\"libvirt\"}\n", "Vagrant.configure(\"2\") {}\n", "disk" };
	char paths[3][512];
	const char *files[4] = {};
	for (size_t i = 0; i < 3; i++) {
		snprintf(paths[i], sizeof paths[i], "%s/%s", dir, names[i]);
		if (write_file_atomic(paths[i], text[i], strlen(text[i]), mode, 0) < 0)
			return -EIO;
		struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };
		if (utimensat(AT_FDCWD, paths[i], ts, 0) < 0)
			return -errno;
		files[i] = paths[i];
	}
	static const char *const box_names[] = { "metadata.json", "Vagrantfile", "box.img", NULL };
	return box_archive_write(out, box_names, files, EPOCH);
}

int main(void) {
	metadata(3 * GiB, "{\"provider\":\"libvirt\",\"format\":\"qcow2\",\"virtual_size\":3}\n");
	metadata(3 * GiB + 1, "{\"provider\":\"libvirt\",\"format\":\"qcow2\",\"virtual_size\":4}\n");
	metadata(1, "{\"provider\":\"libvirt\",\"format\":\"qcow2\",\"virtual_size\":1}\n");

	_cleanup_free_ char *dir = tap_mkdtemp(), *one = NULL, *two = NULL, *d1 = NULL, *d2 = NULL;
	if (!dir || asprintf(&one, "%s/one.box", dir) < 0 || asprintf(&two, "%s/two.box", dir) < 0 ||
	    asprintf(&d1, "%s/d1", dir) < 0 || asprintf(&d2, "%s/d2", dir) < 0 || mkdir(d1, 0755) < 0 ||
	    mkdir(d2, 0755) < 0)
		return 1;
	static const char *const n1[] = { "a", "b", "c" }, *const n2[] = { "x", "y", "z" };
	is_int(make(d1, one, 0600, 1, n1), 0, "a box from files dated 1970, mode 0600");
	sleep(1);
	is_int(make(d2, two, 0755, 2000000000, n2), 0, "the same contents under other names, dated 2033, mode 0755, a second later");

	_cleanup_free_ char *b1 = NULL, *b2 = NULL;
	size_t s1 = 0, s2 = 0;
	ok(read_full_file(one, &b1, &s1) >= 0 && read_full_file(two, &b2, &s2) >= 0, "read both");
	ok(s1 == s2 && s1 > 0 && memcmp(b1, b2, s1) == 0, "the two boxes are the same bytes (%zu)", s1);

	struct archive *a = archive_read_new();
	struct archive_entry *e;
	archive_read_support_format_all(a);
	ok(archive_read_open_memory(a, b1, s1) == ARCHIVE_OK, "libarchive reads it");
	const char *want[] = { "metadata.json", "Vagrantfile", "box.img" };
	size_t n = 0;
	bool fields = true;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if (n < 3 && !streq(archive_entry_pathname(e), want[n]))
			fields = false;
		if (archive_entry_mtime(e) != EPOCH || archive_entry_uid(e) != 0 || archive_entry_gid(e) != 0 ||
		    archive_entry_perm(e) != 0644 || archive_entry_filetype(e) != AE_IFREG)
			fields = false;
		n++;
	}
	is_int(n, 3, "three members");
	ok(fields, "metadata.json, Vagrantfile, box.img in order; each 0644, root, dated the epoch");
	ok(archive_format(a) == ARCHIVE_FORMAT_TAR_USTAR, "ustar (no pax headers)");
	archive_read_free(a);

	is_int(box_archive_write(one, (const char *const[]) { "x", NULL },
				 (const char *const[]) { "/nonexistent/kiln", NULL }, EPOCH), -ENOENT,
	       "a missing file is -ENOENT");
	rm_rf(dir);
	return done_testing();
}
