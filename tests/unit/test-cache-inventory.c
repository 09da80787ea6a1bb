/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inventories of cached trees: every kind of damage is found and named. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache-inventory.h"
#include "fileio.h"
#include "strv.h"
#include "tap.h"

static char *dir, tree[2048], inv[2048];

static const char *P(const char *rel) {
	static char buf[4][4096];
	static unsigned i;
	char *p = buf[i++ % 4];
	snprintf(p, 4096, "%s/%s", tree, rel);
	return p;
}

static void put(const char *rel, const char *content) {
	if (write_file_atomic(P(rel), content, strlen(content), 0644, WRITE_FILE_MKDIR_PARENTS) < 0)
		abort();
}

/* Overwrite bytes in place: the inode (and so every hard link) keeps its identity. */
static void poke(const char *rel, off_t at, const char *bytes) {
	int fd = open(P(rel), O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, bytes, strlen(bytes), at) != (ssize_t) strlen(bytes))
		abort();
	close(fd);
}

static void make_tree(void) {
	put("usr/lib/libc.so.6", "ELF pretend libc, some bytes of it");
	put("usr/lib/systemd/systemd", "the service manager");
	put("usr/lib/modules/6.12/kernel/drivers/net/virtio_net.ko", "a module");
	put("usr/lib/modules/6.12/kernel/drivers/net/e1000.ko", "another");
	put("etc/name with space", "odd names are fine");
	put("work/build-abc123/tree", "a build's work: not part of the tree");
	if (symlink("usr/lib", P("lib")) < 0 || mkdir(P("empty"), 0700) < 0)
		abort();
}

/* The differences found, one string; NULL when the tree matches. */
static char *check(InventorySkip skip) {
	char **problems = NULL;
	int r = inventory_check(tree, skip, inv, &problems);
	if (r == 0)
		return NULL;
	size_t len = 16;
	for (char **p = problems; p && *p; p++)
		len += strlen(*p) + 2;
	char *all = calloc(1, len);
	snprintf(all, len, "r=%d", r);
	for (char **p = problems; p && *p; p++) {
		strcat(all, "; ");
		strcat(all, *p);
	}
	strv_free(problems);
	return all;
}

static void expect(InventorySkip skip, const char *want, const char *what) {
	char *got = check(skip);
	ok(got && strstr(got, want), "%s: %s", what, got ?: "(no difference found)");
	free(got);
}

int main(void) {
	static const char *const skip[] = { "work", NULL };

	dir = tap_mkdtemp();
	snprintf(tree, sizeof tree, "%s/tree", dir);
	snprintf(inv, sizeof inv, "%s/tree.inventory", dir);
	make_tree();

	is_int(inventory_write(tree, skip, inv), 0, "inventory_write");
	ok(check(skip) == NULL, "a tree matches its own inventory");
	is_int(inventory_check(tree, skip, "/nonexistent/inventory", NULL), -ENOENT, "no inventory: -ENOENT");

	/* What builds may do: read, and write below the skipped entry. */
	put("work/build-zzz999/more", "another build");
	char *got = check(skip);
	ok(got == NULL, "a skipped entry may change (%s)", got ?: "match");
	free(got);

	poke("usr/lib/libc.so.6", 4, "XXX");
	expect(skip, "changed content: usr/lib/libc.so.6", "bytes changed in place");
	poke("usr/lib/libc.so.6", 4, "pre");
	/* Restoring the bytes does not restore the modification time. */
	expect(skip, "changed modification time: usr/lib/libc.so.6", "the time of a restored file");
	is_int(inventory_write(tree, skip, inv), 0, "inventory written again");

	if (truncate(P("usr/lib/systemd/systemd"), 0) < 0)
		abort();
	expect(skip, "truncated to 0 bytes: usr/lib/systemd/systemd", "a file truncated to zero");
	put("usr/lib/systemd/systemd", "the service manager");
	is_int(inventory_write(tree, skip, inv), 0, "inventory written again");

	if (unlink(P("usr/lib/modules/6.12/kernel/drivers/net/virtio_net.ko")) < 0 ||
	    unlink(P("usr/lib/modules/6.12/kernel/drivers/net/e1000.ko")) < 0 ||
	    rmdir(P("usr/lib/modules/6.12/kernel/drivers/net")) < 0)
		abort();
	if (truncate(P("usr/lib/systemd/systemd"), 0) < 0)
		abort();
	expect(skip, "missing, with all it held: usr/lib/modules/6.12/kernel/drivers/net", "a directory deleted");
	got = check(skip);
	ok(got && !strstr(got, "e1000.ko") && strstr(got, "truncated to 0 bytes: usr/lib/systemd/systemd"),
	   "named once for all it held, so that the next difference is named too");
	free(got);
	put("usr/lib/systemd/systemd", "the service manager");
	is_int(inventory_write(tree, skip, inv), 0, "inventory written again");

	put("usr/bin/stray", "x");
	expect(skip, "not in the inventory, with all it holds: usr/bin", "a stray directory added");
	got = check(skip);
	ok(got && !strstr(got, "usr/bin/stray"), "named once for all it holds");
	free(got);
	(void) unlink(P("usr/bin/stray"));
	(void) rmdir(P("usr/bin"));

	if (chmod(P("usr/lib/libc.so.6"), 0755) < 0)
		abort();
	expect(skip, "changed mode or owner: usr/lib/libc.so.6", "a mode changed");
	(void) chmod(P("usr/lib/libc.so.6"), 0644);

	if (unlink(P("lib")) < 0 || symlink("/", P("lib")) < 0)
		abort();
	expect(skip, "changed target: lib", "a symlink retargeted");
	if (unlink(P("lib")) < 0 || symlink("usr/lib", P("lib")) < 0)
		abort();

	/* Odd names are escaped, so they cannot forge a line. */
	if (write_file_atomic(P("etc/name with space"), "changed", 7, 0644, 0) < 0)
		abort();
	expect(skip, "etc/name\\x20with\\x20space", "a name with a space, escaped");

	/* Many differences: the first five, then a count. */
	is_int(inventory_write(tree, skip, inv), 0, "inventory written again");
	for (int i = 0; i < 8; i++) {
		char name[32];
		snprintf(name, sizeof name, "stray-%d", i);
		put(name, "x");
	}
	expect(skip, "and 3 more differences", "eight differences: five named, the rest counted");

	if (write_file_atomic(inv, "garbage\n", 8, 0644, 0) < 0)
		abort();
	expect(skip, "the inventory itself is damaged", "a damaged inventory");

	rm_rf(dir);
	free(dir);
	return done_testing();
}
