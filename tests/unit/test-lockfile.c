/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockfile.h"
#include "strv.h"
#include "tap.h"

#define A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MT "application/vnd.oci.image.index.v1+json"

/* Entries deliberately out of order: the formatted text must sort them. */
static const char good[] =
	"# a comment\n"
	"lock 1\n"
	"platform linux/amd64\n"
	"\n"
	"image 127.0.0.1:5000/k8s/pause:3.10 " A " " MT " 1234 " B "\n"
	"manifest https://example.org/a.yaml " B "\n"
	"file kubelet https://example.org/kubelet " A "\n"
	"file kubeadm http://127.0.0.1:8080/kubeadm sha512:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n";

static void test_round_trip(void) {
	_cleanup_(lock_file_freep) LockFile *l = NULL, *again = NULL;
	_cleanup_free_ char *error = NULL, *text = NULL, *text2 = NULL;

	is_int(lock_file_parse(good, "t.lock", &l, &error), 0, "a good lock file parses");
	if (!l)
		return;
	is_str(l->platform, "linux/amd64", "platform");
	is_int(l->n_entries, 4, "four entries");
	const LockEntry *e = lock_file_find(l, LOCK_IMAGE, "127.0.0.1:5000/k8s/pause:3.10");
	ok(e && streq(e->digest, A) && streq(e->media_type, MT) && e->size == 1234 && streq(e->platform_digest, B),
	   "image entry fields");
	e = lock_file_find(l, LOCK_FILE, "kubeadm");
	ok(e && streq(e->url, "http://127.0.0.1:8080/kubeadm") && strneq(e->digest, "sha512:", 7), "file entry with sha512");
	ok(!lock_file_find(l, LOCK_FILE, "crictl") && !lock_file_find(l, LOCK_MANIFEST, "kubelet"),
	   "find: absent names and other kinds are not found");

	is_int(lock_file_format(l, &text), 0, "format");
	const char *want_order[] = { "file kubeadm", "file kubelet", "manifest https", "image 127" };
	const char *at = text;
	bool ordered = true;
	for (size_t i = 0; i < 4; i++) {
		const char *p = strstr(at, want_order[i]);
		ordered = ordered && p;
		at = p ?: at;
	}
	ok(ordered, "formatted entries are sorted by kind, then name");
	is_int(lock_file_parse(text, "t2", &again, NULL), 0, "formatted text parses");
	is_int(lock_file_format(again, &text2), 0, "format again");
	is_str(text2, text, "format -> parse -> format is stable");

	LockEntry repl = { .kind = LOCK_FILE, .name = (char *) "kubelet", .url = (char *) "https://x/kubelet", .digest = (char *) B };
	is_int(lock_file_put(l, &repl), 0, "put replaces");
	is_int(l->n_entries, 4, "still four entries");
	e = lock_file_find(l, LOCK_FILE, "kubelet");
	ok(e && streq(e->url, "https://x/kubelet") && streq(e->digest, B), "replaced entry");
}

static const struct {
	const char *text, *error;
} bad[] = {
	{ "", "t:1: empty" },
	{ "lock 2\nplatform linux/amd64\n", "t:1: expected \"lock 1\"" },
	{ "platform linux/amd64\nlock 1\n", "t:1: expected \"lock 1\"" },
	{ "lock 1\n", "t:2: no platform line" },
	{ "lock 1\nplatform linux\n", "t:2: expected \"platform OS/ARCH\"" },
	{ "lock 1\nplatform linux/amd64\nplatform linux/arm64\n", "t:3: the platform is given twice" },
	{ "lock 1\nplatform linux/amd64\nblob x y\n", "t:3: unknown entry \"blob\"" },
	{ "lock 1\nplatform linux/amd64\nfile kubeadm https://x/k\n", "t:3: a file entry has 3 fields, not 2" },
	{ "lock 1\nplatform linux/amd64\nfile kubeadm ftp://x/k " A "\n", "t:3: \"ftp://x/k\" is not an http" },
	{ "lock 1\nplatform linux/amd64\nfile kubeadm https://x/k sha256:abc\n", "t:3: \"sha256:abc\" is not a digest" },
	{ "lock 1\nplatform linux/amd64\nfile kubeadm https://x/k " A "\nfile kubeadm https://y/k " A "\n",
	  "t:4: file \"kubeadm\" is listed twice" },
	{ "lock 1\nplatform linux/amd64\nfile  kubeadm https://x/k " A "\n", "t:3: fields must be separated by single spaces" },
	{ "lock 1\nplatform linux/amd64\nfile kubeadm https://x/k " A "\t\n", "t:3: fields must be separated" },
	{ "lock 1\nplatform linux/amd64\nimage busybox " A " " MT " 1 " B "\n", "t:3: \"busybox\" is not an image reference" },
	{ "lock 1\nplatform linux/amd64\nimage r.io/a:1 " A " " MT " -1 " B "\n", "t:3: \"-1\" is not a size" },
	{ "lock 1\nplatform linux/amd64\nimage r.io/a:1 " A " " MT " 0 " B "\n", "t:3: \"0\" is not a size" },
	{ "lock 1\nplatform linux/amd64\nimage r.io/a:1 " A " nomediatype 5 " B "\n", "t:3: \"nomediatype\" is not a media type" },
	{ "lock 1\nplatform linux/amd64\nimage r.io/a:1 sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 " MT " 5 " B "\n", "t:3: \"sha512:" },
	{ "lock 1\nplatform linux/amd64\nmanifest ./local.yaml " A "\n", "t:3: \"./local.yaml\" is not an http" },
	{ "lock 1\nplatform linux/amd64\npackage node libc6\n", "t:3: a package entry has 3 fields, not 2" },
	{ "lock 1\nplatform linux/amd64\npackage host libc6 2.41-12\n", "t:3: \"host\" is not a package set" },
	{ "lock 1\nplatform linux/amd64\npackage node LibC6 2.41-12\n", "t:3: \"LibC6\" is not a Debian package name" },
	{ "lock 1\nplatform linux/amd64\npackage node libc6 latest\n", "t:3: \"latest\" is not a Debian version" },
	{ "lock 1\nplatform linux/amd64\npackage node libc6 2.41_12\n", "t:3: \"2.41_12\" is not a Debian version" },
	{ "lock 1\nplatform linux/amd64\npackage node libc6 2.41-12\npackage node libc6 2.41-13\n",
	  "t:4: package \"libc6\" is listed twice for node" },
};

/* Packages are pinned per set: one name in two sets is two entries, sorted by set in
 * package-pins.h's order (node, box, tools), then by name. */
static void test_packages(void) {
	static const char text[] =
		"lock 1\nplatform linux/amd64\n"
		"package tools e2fsprogs 1.47.2-3+b3\n"
		"package box openssh-server 1:10.0p1-7\n"
		"package node zstd 1.5.7+dfsg-1\n"
		"package node libc6 2.41-12+deb13u5\n"
		"package box libc6 2.41-12+deb13u5\n"
		"file kubeadm https://example.org/kubeadm " A "\n";
	_cleanup_(lock_file_freep) LockFile *l = NULL;
	_cleanup_free_ char *error = NULL, *out = NULL;
	_cleanup_strv_free_ char **node = NULL, **box = NULL, **tools = NULL, **none = NULL;

	is_int(lock_file_parse(text, "p", &l, &error), 0, "a lock with packages parses");
	if (!l)
		return (void) diag("%s", error ?: "");
	is_int(lock_file_packages(l, "node", &node), 0, "node's packages");
	_cleanup_free_ char *joined = strv_join(node, ",");
	is_str(joined, "libc6 2.41-12+deb13u5,zstd 1.5.7+dfsg-1", "node: sorted NAME VERSION");
	is_int(lock_file_packages(l, "box", &box), 0, "box's packages");
	is_int(strv_length(box), 2, "box: its own two, libc6 among them");
	is_int(lock_file_packages(l, "tools", &tools), 0, "tools' packages");
	is_str(tools ? tools[0] : NULL, "e2fsprogs 1.47.2-3+b3", "tools: e2fsprogs");

	LockEntry up = { .kind = LOCK_PACKAGE, .set = (char *) "node", .name = (char *) "libc6", .version = (char *) "2.41-12+deb13u6" };
	is_int(lock_file_put(l, &up), 0, "put a package");
	is_int(l->n_entries, 6, "it replaced node's libc6, not box's");
	box = strv_free(box);
	(void) lock_file_packages(l, "box", &box);
	ok(strv_contains(box, "libc6 2.41-12+deb13u5"), "box's libc6 is unchanged");

	is_int(lock_file_format(l, &out), 0, "format");
	const char *order[] = { "file kubeadm", "package node libc6 2.41-12+deb13u6\npackage node zstd",
				"package box libc6 2.41-12+deb13u5\npackage box openssh-server", "package tools e2fsprogs" };
	const char *at = out;
	bool ordered = out != NULL;
	for (size_t i = 0; ordered && i < ELEMENTSOF(order); i++) {
		const char *p = strstr(at, order[i]);
		ordered = p != NULL;
		at = p ?: at;
	}
	ok(ordered, "packages come after the images, by set (node, box, tools), then name");

	_cleanup_(lock_file_freep) LockFile *bare = NULL;
	is_int(lock_file_parse("lock 1\nplatform linux/amd64\n", "b", &bare, NULL), 0, "a lock without packages parses");
	is_int(bare ? lock_file_packages(bare, "node", &none) : -1, 0, "and pins no packages");
	ok(!none, "none: NULL");
}

static void test_bad(void) {
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		_cleanup_(lock_file_freep) LockFile *l = NULL;
		_cleanup_free_ char *error = NULL;
		int r = lock_file_parse(bad[i].text, "t", &l, &error);
		ok(r == -EBADMSG && !l && error && strneq(error, bad[i].error, strlen(bad[i].error)),
		   "bad %zu: %s (got r=%d \"%s\")", i, bad[i].error, r, error ?: "");
	}
}

int main(void) {
	test_round_trip();
	test_bad();
	test_packages();
	return done_testing();
}
