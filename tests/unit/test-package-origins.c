/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "package-origins.h"
#include "tap.h"

static char *dir;

static int read_text(const char *text, json_t **ret, unsigned *ret_line) {
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/origins", dir) < 0 || write_file_atomic(p, text, strlen(text), 0644, 0) < 0)
		abort();
	return package_origins_read(p, ret, ret_line);
}

static char *suites(json_t *origins, const char *name, const char *version) {
	json_t *a = package_origins_find(origins, name, version);
	return a ? json_dumps(a, JSON_COMPACT) : NULL;
}

int main(void) {
	json_t *o = NULL;
	unsigned line = 0;
	int r;

	dir = tap_mkdtemp();

	r = read_text("libc6 2.41-12+deb13u1 trixie-security\n"
		      "systemd 257.9-1~deb13u1 trixie\n"
		      "systemd 257.9-1~deb13u1 trixie-updates\n"
		      "zlib1g 1:1.3.dfsg+really1.3.1-1+b1 trixie\n", &o, &line);
	ok(r == 0 && o, "a list mmdebstrap's hook writes is read (r=%d)", r);
	_cleanup_free_ char *a = suites(o, "libc6", "2.41-12+deb13u1"),
		*b = suites(o, "systemd", "257.9-1~deb13u1"),
		*c = suites(o, "zlib1g", "1:1.3.dfsg+really1.3.1-1+b1");
	is_str(a, "[\"trixie-security\"]", "a security update's origin");
	is_str(b, "[\"trixie\",\"trixie-updates\"]", "a version in two suites names both, in order");
	is_str(c, "[\"trixie\"]", "an epoch in the version is kept");
	ok(!package_origins_find(o, "libc6", "2.41-12"), "another version of a package has no origin");
	ok(!package_origins_find(o, "nosuch", "1"), "an unknown package has no origin");
	json_decref(o);
	o = NULL;

	r = read_text("", &o, &line);
	ok(r == 0 && o && json_object_size(o) == 0, "an empty list is empty (r=%d)", r);
	json_decref(o);
	o = NULL;

	r = read_text("libc6 2.41 trixie\nsystemd 257\nzlib1g 1 trixie\n", &o, &line);
	ok(r == -EBADMSG && line == 2 && !o, "a line without its suite is refused with its number (r=%d, line %u)", r, line);
	r = read_text("libc6 2.41 trixie extra\n", &o, &line);
	ok(r == -EBADMSG && line == 1, "a line with a fourth word is refused (r=%d, line %u)", r, line);

	_cleanup_free_ char *missing = NULL;
	if (asprintf(&missing, "%s/nothing-here", dir) < 0)
		abort();
	r = package_origins_read(missing, &o, &line);
	ok(r == -ENOENT, "a missing list is -ENOENT (r=%d)", r);

	rm_rf(dir);
	free(dir);
	return done_testing();
}
