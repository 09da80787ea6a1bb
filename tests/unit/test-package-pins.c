/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpkg-status.h"
#include "package-pins.h"
#include "strv.h"
#include "tap.h"

/* As mmdebstrap --simulate --verbose logs it: the essential packages' download, then the
 * rest; libc6 twice, other lines around them. */
static const char simulation[] =
	"I: running apt-get update...\n"
	"Inst gcc-14-base (14.2.0-19 Debian:13.8/stable [amd64])\n"
	"Conf gcc-14-base (14.2.0-19 Debian:13.8/stable [amd64])\n"
	"Inst libc6 (2.41-12+deb13u5 Debian:13.8/stable [amd64]) []\n"
	"Inst libssl3t64 (3.5.10-1~deb13u1 Debian-Security:13/stable-security [amd64]) []\n"
	"I: simulate installing remaining packages inside the chroot...\n"
	"Inst libc6 (2.41-12+deb13u5 Debian:13.8/stable [amd64])\n"
	"Inst libcap2 (1:2.75-10+b1 Debian:13.8/stable [amd64])\n"
	"Inst libc6-dev (2.41-12+deb13u5 Debian:13.8/stable [amd64])";

static void test_parse(void) {
	_cleanup_strv_free_ char **pins = NULL, **bad = NULL;
	_cleanup_free_ char *joined = NULL;

	is_int(apt_simulation_parse(simulation, &pins), 0, "a simulation parses");
	joined = strv_join(pins, ",");
	is_str(joined, "gcc-14-base 14.2.0-19,libc6 2.41-12+deb13u5,libc6-dev 2.41-12+deb13u5,libcap2 1:2.75-10+b1,"
		       "libssl3t64 3.5.10-1~deb13u1",
	       "Inst lines only, sorted, each package once, the epoch kept");
	is_int(apt_simulation_parse("Inst libc6 (2.41-12 x)\nInst libc6 (2.41-13 x)\n", &bad), -EBADMSG,
	       "one package at two versions is refused");
	is_int(apt_simulation_parse("Inst libc6\n", &bad), -EBADMSG, "an Inst line without a version is refused");
	is_int(apt_simulation_parse("Inst libc6 (latest x)\n", &bad), -EBADMSG, "a version that is not one is refused");
	is_int(apt_simulation_parse("I: nothing\n", &bad), 0, "no Inst lines: nothing, not an error");
	ok(!bad, "and NULL");
}

static void test_preferences(void) {
	char *pins[] = { (char *) "libc6 2.41-12+deb13u5", (char *) "libcap2 1:2.75-10+b1", NULL };
	_cleanup_free_ char *text = NULL;

	is_int(package_pins_preferences(pins, &text), 0, "preferences");
	ok(text && strstr(text, "\nPackage: libc6\nPin: version 2.41-12+deb13u5\nPin-Priority: 1001\n"),
	   "libc6 pinned above every archive (1001: even a downgrade)");
	ok(text && strstr(text, "\nPackage: libcap2\nPin: version 1:2.75-10+b1\nPin-Priority: 1001\n"), "libcap2 with its epoch");
}

static void test_compare(void) {
	char *pinned[] = { (char *) "bar 2.0", (char *) "foo 1.0", (char *) "foo-utils 1.0", (char *) "zlib1g 1:1.3", NULL };
	char *same[] = { (char *) "bar 2.0", (char *) "foo 1.0", (char *) "foo-utils 1.0", (char *) "zlib1g 1:1.3", NULL };
	char *other[] = { (char *) "baz 3.0", (char *) "foo 1.1", (char *) "foo-utils 1.0", (char *) "zlib1g 1:1.3", NULL };
	_cleanup_strv_free_ char **none = NULL, **problems = NULL, **all_new = NULL;

	is_int(package_pins_compare(pinned, same, &none), 0, "compare the same");
	ok(!none, "the same: no problems");
	is_int(package_pins_compare(pinned, other, &problems), 0, "compare different");
	is_int(strv_length(problems), 3, "three differences");
	is_str(problems ? problems[0] : NULL, "bar (kiln.lock pins 2.0; not installed)", "a pinned package missing");
	is_str(problems ? problems[1] : NULL, "baz 3.0 (not in kiln.lock)", "a package the lock does not pin");
	is_str(problems ? problems[2] : NULL, "foo 1.1 (kiln.lock pins 1.0)", "another version (foo, not foo-utils)");
	is_int(package_pins_compare(NULL, same, &all_new), 0, "nothing pinned");
	is_int(strv_length(all_new), 4, "every package is not in the lock");
}

static void test_names(void) {
	ok(debian_version_is_valid("1:2.75-10+b1") && debian_version_is_valid("3.5.10-1~deb13u1") &&
	   debian_version_is_valid("14.2.0-19"), "Debian versions");
	ok(!debian_version_is_valid("") && !debian_version_is_valid("v1.0") && !debian_version_is_valid("1.0 x") &&
	   !debian_version_is_valid("1.0_2"), "not Debian versions");
	is_int(package_set_from_string("box"), PACKAGE_SET_BOX, "box");
	is_int(package_set_from_string("host"), -EINVAL, "host is no set");
	is_str(package_set_to_string(PACKAGE_SET_TOOLS), "tools", "tools");
}

/* dpkg's status file: only "install ok installed" counts; continuation lines are skipped. */
static void test_dpkg_status(void) {
	static const char status[] =
		"Package: libc6\nStatus: install ok installed\nVersion: 2.41-12+deb13u5\nDescription: GNU C\n more text\n\n"
		"Package: removed-one\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
		"Package: busybox\nStatus: install ok installed\nVersion: 1:1.37.0-6+b3\n";
	char path[] = "/tmp/test-dpkg-status.XXXXXX";
	_cleanup_strv_free_ char **installed = NULL, **none = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, status, sizeof status - 1) != (ssize_t) (sizeof status - 1))
		return (void) ok(false, "cannot write %s", path);
	close(fd);
	is_int(dpkg_status_installed(path, &installed), 0, "the status file reads");
	_cleanup_free_ char *joined = strv_join(installed, ",");
	is_str(joined, "busybox 1:1.37.0-6+b3,libc6 2.41-12+deb13u5", "installed packages only, sorted, the last stanza too");
	unlink(path);
	is_int(dpkg_status_installed(path, &none), -ENOENT, "no status file: -ENOENT");
}

int main(void) {
	test_parse();
	test_preferences();
	test_compare();
	test_names();
	test_dpkg_status();
	return done_testing();
}
