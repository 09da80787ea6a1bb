/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "apt-sources.h"
#include "fileio.h"
#include "tap.h"

static char *dir;

static void put(const char *name, const char *content) {
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, name) < 0 || write_file_atomic(p, content, strlen(content), 0644, WRITE_FILE_MKDIR_PARENTS) < 0)
		abort();
}

static void expect_archive(AptArchive kind, const char *want, const char *what) {
	_cleanup_free_ char *uri = NULL;
	int r = apt_host_archive(dir, kind, &uri);
	if (want)
		ok(r == 0 && uri && streq(uri, want), "%s: got %s (r=%d), want %s", what, uri ?: "(none)", r, want);
	else
		ok(r == -ENOENT && !uri, "%s: none (r=%d)", what, r);
}

static void expect(const char *want, const char *what) {
	expect_archive(APT_ARCHIVE_MAIN, want, what);
}

static void expect_security(const char *want, const char *what) {
	expect_archive(APT_ARCHIVE_SECURITY, want, what);
}

static void reset(void) {
	rm_rf(dir);
	mkdir(dir, 0755);
}

int main(void) {
	dir = tap_mkdtemp();

	expect(NULL, "empty apt directory");

	put("sources.list.d/debian.sources",
	    "# comment\n"
	    "Types: deb\n"
	    "URIs: http://security.example/debian-security\n"
	    "Suites: trixie-security\n"
	    "Components: main\n"
	    "\n"
	    "Types: deb-src deb\n"
	    "URIs: https://mirror.example/debian/\n"
	    "Suites: trixie trixie-updates\n"
	    "Components: main\n"
	    "Signed-By: /usr/share/keyrings/x.gpg\n");
	expect("https://mirror.example/debian", "deb822: security stanza skipped, trailing slash dropped");
	expect_security("http://security.example/debian-security", "deb822: the security stanza is the security archive");

	reset();
	put("sources.list.d/a.sources",
	    "Types: deb\nURIs: http://off.example/debian\nSuites: trixie\nEnabled: no \n\n"
	    "Types: deb-src\nURIs: http://src.example/debian\nSuites: trixie\n\n"
	    "Types: deb\nURIs: cdrom:/x http://on.example/debian\nSuites: bookworm\n");
	expect("http://on.example/debian", "deb822: disabled and deb-src stanzas skipped, unusable URI skipped");

	reset();
	put("sources.list",
	    "# deb http://commented.example/debian bookworm main\n"
	    "deb http://security.example/debian-security bookworm-security main\n"
	    "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian/ bookworm main contrib\n");
	expect("http://one.example/debian", "one-line: comments, security and [options] handled");
	expect_security("http://security.example/debian-security", "one-line: a bookworm host's security archive (for any suite)");

	reset();
	put("sources.list.d/z.list", "deb http://list.example/debian trixie main\n");
	put("sources.list.d/b.sources", "Types: deb\nURIs: http://deb822.example/debian\nSuites: trixie\n");
	expect("http://deb822.example/debian", "deb822 files come before .list files");

	reset();
	put("sources.list.d/x.list", "deb-src http://src.example/debian trixie main\ndeb file:/srv/mirror trixie main\n");
	expect("file:/srv/mirror", "file: URIs are usable, deb-src is not");

	reset();
	put("sources.list.d/only-security.sources",
	    "Types: deb\nURIs: http://security.example/debian-security\nSuites: trixie-security\n");
	expect(NULL, "only a -security suite: no main archive");
	expect_security("http://security.example/debian-security", "only a -security suite: that is the security archive");

	reset();
	put("sources.list.d/debian.sources",
	    "Types: deb\nURIs: http://mirror.example/debian\nSuites: trixie trixie-updates trixie-backports\n\n"
	    "Types: deb\nURIs: http://off.example/debian-security\nSuites: trixie-security\nEnabled: no\n");
	expect_security(NULL, "updates and backports are not security; a disabled security stanza is skipped");
	expect("http://mirror.example/debian", "the main archive is still found");

	rm_rf(dir);
	free(dir);
	return done_testing();
}
