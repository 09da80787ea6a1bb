/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The output directory: only kiln's own output may be replaced or removed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "output-dir.h"
#include "tap.h"

static char *dir;

static char *P(const char *rel) {
	static char buf[4][4096];
	static unsigned i;
	char *p = buf[i++ % 4];
	snprintf(p, 4096, "%s/%s", dir, rel);
	return p;
}

static void put(const char *rel, const char *content) {
	if (write_file_atomic(P(rel), content, strlen(content), 0644, WRITE_FILE_MKDIR_PARENTS) < 0)
		abort();
}

static int classify(const char *rel, OutputKind *kind, char **reason) {
	free(*reason);
	*reason = NULL;
	return output_dir_classify(P(rel), kind, reason);
}

int main(void) {
	OutputKind kind = OUTPUT_ABSENT;
	char *reason = NULL, *foreign = NULL;

	dir = tap_mkdtemp();

	is_int(classify("none", &kind, &reason), 0, "a missing directory");
	is_int(kind, OUTPUT_ABSENT, "is absent");
	if (mkdir(P("empty"), 0755) < 0)
		abort();
	is_int(classify("empty", &kind, &reason), 0, "an empty directory");
	is_int(kind, OUTPUT_EMPTY, "is empty");

	/* The data-loss case: a user's project that happens to have a manifest.json. */
	put("project/manifest.json", "{}");
	put("project/README", "read me");
	put("project/src/main.js", "console.log(1)");
	put("project/.git/HEAD", "ref: refs/heads/main");
	is_int(classify("project", &kind, &reason), -EEXIST, "a user's directory with a manifest.json is refused");
	ok(reason && strstr(reason, "which kiln did not write"), "because: %s", reason);
	is_int(output_dir_remove(P("project"), &foreign), -ENOTEMPTY, "output_dir_remove refuses it too");
	ok(access(P("project/README"), F_OK) == 0 && access(P("project/manifest.json"), F_OK) == 0,
	   "and removed nothing, not even the manifest.json (%s named)", foreign);
	free(foreign);
	foreign = NULL;

	put("foreign-manifest/manifest.json", "{}");
	put("foreign-manifest/disk.raw", "");
	is_int(classify("foreign-manifest", &kind, &reason), -EEXIST, "kiln's file names with a manifest that is not kiln's");
	ok(reason && strstr(reason, "not one kiln wrote"), "because: %s", reason);

	put("legacy/manifest.json", "{\"manifestVersion\": 1, \"kilnVersion\": \"0.1\"}");
	put("legacy/disk.raw", "");
	is_int(classify("legacy", &kind, &reason), 0, "an output of kiln before the stamp");
	is_int(kind, OUTPUT_KILN, "is kiln's");

	put("stamped/disk.raw", "");
	put("stamped/disk.qcow2", "");
	is_int(output_dir_stamp(P("stamped")), 0, "output_dir_stamp");
	is_int(classify("stamped", &kind, &reason), 0, "a stamped output (disk.raw and disk.qcow2)");
	is_int(kind, OUTPUT_KILN, "is kiln's");
	put("stamped/notes.txt", "mine");
	is_int(classify("stamped", &kind, &reason), -EEXIST, "a stamped output with a file of the user's is refused");
	ok(reason && strstr(reason, "notes.txt"), "and the file is named: %s", reason);
	is_int(output_dir_remove(P("stamped"), &foreign), -ENOTEMPTY, "it is not removed");
	ok(access(P("stamped/disk.raw"), F_OK) == 0 && access(P("stamped/notes.txt"), F_OK) == 0, "nothing of it");
	ok(foreign && strcmp(foreign, "notes.txt") == 0, "the foreign entry is named");
	free(foreign);
	foreign = NULL;
	(void) unlink(P("stamped/notes.txt"));
	is_int(output_dir_remove(P("stamped"), NULL), 0, "kiln's output alone is removed");
	ok(access(P("stamped"), F_OK) < 0, "directory and all");
	is_int(output_dir_remove(P("stamped"), NULL), 0, "removing it again is fine");

	/* The PXE set: a directory of kiln's, with a directory inside; both are walked. */
	put("pxe-out/manifest.json", "{\"manifestVersion\": 1, \"kilnVersion\": \"0.1\"}");
	put("pxe-out/pxe/boot.ipxe", "#!ipxe");
	put("pxe-out/pxe/root-a.zst", "");
	put("pxe-out/pxe/install.list", "");
	put("pxe-out/pxe/pxelinux.cfg/default", "");
	is_int(classify("pxe-out", &kind, &reason), 0, "an output with pxe/ and pxe/pxelinux.cfg/");
	is_int(kind, OUTPUT_KILN, "is kiln's");
	put("pxe-out/pxe/pxelinux.cfg/01-52-54-00-12-34-56", "mine");
	is_int(classify("pxe-out", &kind, &reason), -EEXIST, "a file of the user's deep inside pxe/ is refused");
	ok(reason && strstr(reason, "pxe/pxelinux.cfg/01-52-54-00-12-34-56"), "and named by its path: %s", reason);
	is_int(output_dir_remove(P("pxe-out"), &foreign), -ENOTEMPTY, "the output is not removed");
	ok(access(P("pxe-out/pxe/root-a.zst"), F_OK) == 0 && access(P("pxe-out/manifest.json"), F_OK) == 0,
	   "nothing of it, not even kiln's files (%s named)", foreign);
	free(foreign);
	foreign = NULL;
	(void) unlink(P("pxe-out/pxe/pxelinux.cfg/01-52-54-00-12-34-56"));
	if (symlink("boot.ipxe", P("pxe-out/pxe/vmlinuz")) < 0)
		abort();
	is_int(classify("pxe-out", &kind, &reason), -EEXIST, "a symlink with a kiln name inside pxe/ is foreign");
	(void) unlink(P("pxe-out/pxe/vmlinuz"));
	put("pxe-out/pxe/.hidden.zst", "");
	is_int(classify("pxe-out", &kind, &reason), -EEXIST, "a dot file matching *.zst is foreign");
	(void) unlink(P("pxe-out/pxe/.hidden.zst"));
	is_int(output_dir_remove(P("pxe-out"), NULL), 0, "kiln's output with pxe/ is removed");
	ok(access(P("pxe-out"), F_OK) < 0, "directories and all");

	put("a-file", "x");
	is_int(classify("a-file", &kind, &reason), -ENOTDIR, "a file is refused");
	if (symlink("empty", P("a-link")) < 0)
		abort();
	is_int(classify("a-link", &kind, &reason), -ENOTDIR, "a symlink is refused");
	ok(reason && strstr(reason, "symbolic link"), "because: %s", reason);
	if (mkdir(P("subdir-in-output"), 0755) < 0 || mkdir(P("subdir-in-output/x"), 0755) < 0 ||
	    write_file_atomic(P("subdir-in-output/disk.raw"), "", 0, 0644, 0) < 0)
		abort();
	is_int(classify("subdir-in-output", &kind, &reason), -EEXIST, "a directory inside is foreign");
	ok(reason && strstr(reason, "\"x\","), "and named as the user knows it, without a slash: %s", reason);

	ok(output_dir_is_staging_name("out.partial-aB3xY9", "out"), "out.partial-aB3xY9 is out's staging name");
	ok(!output_dir_is_staging_name("out.partial-aB3", "out"), "a short suffix is not");
	ok(!output_dir_is_staging_name("outer.partial-aB3xY9", "out"), "another directory's is not");

	free(reason);
	rm_rf(dir);
	free(dir);
	return done_testing();
}
