/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln.lock's Debian packages applied to the mmdebstrap runs of step-rootfs.c: which
 * versions a tree must hold, what a tree does hold (its dpkg database), what apt
 * would install (a simulated run), and the preferences file that makes apt take the
 * pinned versions. package-pins.h says how the parts fit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "dpkg-status.h"
#include "fileio.h"
#include "log.h"
#include "package-pins.h"
#include "rootfs-pins.h"
#include "strv.h"

/* At most this many differences are named; the rest are counted. */
#define PINS_PROBLEMS_SHOWN 20

int rootfs_pins(Build *b, PackageSet set, char ***ret) {
	_cleanup_strv_free_ char **pins = NULL;
	const char *name = package_set_to_string(set);

	/* --without-kubernetes builds have no lock: their packages are whatever the mirror has. */
	if (!b->lock) {
		*ret = NULL;
		return 0;
	}
	if (lock_file_packages(b->lock, name, &pins) < 0)
		return log_oom();
	if (!pins)
		return log_error_errno(-ENOENT, "The lock file %s pins no Debian packages for the %s tree (it is older than package pinning); run \"kiln-imagegen lock\" again.",
				       b->lock_path, name);
	*ret = TAKE_PTR(pins);
	return 0;
}

void rootfs_pins_log_problems(char *const *problems, int level) {
	size_t n = strv_length(problems), i = 0;
	STRV_FOREACH(p, problems) {
		if (i++ == PINS_PROBLEMS_SHOWN) {
			log_full(level, "  ... and %zu more", n - PINS_PROBLEMS_SHOWN);
			break;
		}
		log_full(level, "  %s", *p);
	}
}

int rootfs_pins_check_tree(Build *b, const char *tree, char *const *pins, char ***ret_problems) {
	_cleanup_strv_free_ char **installed = NULL;
	_cleanup_free_ char *status = NULL;
	if (asprintf(&status, "%s/var/lib/dpkg/status", tree) < 0)
		return log_oom();
	int r = dpkg_status_installed(status, &installed);
	if (r < 0)
		return log_error_errno(r, "Cannot read the packages installed in %s: %m", tree);
	if (package_pins_compare(pins, installed, ret_problems) < 0)
		return log_oom();
	return 0;
}

int rootfs_pins_preferences(Build *b, PackageSet set, char *const *pins, char **ret_aptopt) {
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if (asprintf(&path, "%s/%s.pref", b->scratch_dir, package_set_to_string(set)) < 0 ||
	    package_pins_preferences(pins, &text) < 0)
		return log_oom();
	r = write_file_atomic(path, text, strlen(text), 0644, 0);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	/* An absolute path: apt reads it from the host, in mmdebstrap's simulated and real
	 * runs alike. */
	if (strchr(path, '"'))
		return log_error_errno(-EINVAL, "The cache directory %s has a quote in its path.", b->cache_dir);
	if (asprintf(ret_aptopt, "Dir::Etc::Preferences \"%s\"", path) < 0)
		return log_oom();
	return 0;
}

int rootfs_pins_simulate(Build *b, const char *what, const char *const *argv, const char *log_path, char ***ret) {
	_cleanup_free_ char *text = NULL, *tmpdir = NULL;
	int r;

	if (asprintf(&tmpdir, "TMPDIR=%s", b->scratch_dir) < 0)
		return log_oom();
	const char *env[] = { tmpdir, NULL };
	/* Resolving is downloading the archive's indexes: a few seconds to minutes. */
	r = build_exec(b, what, argv, env, BUILD_TIMEOUT_MMDEBSTRAP);
	if (r < 0)
		return r;
	r = read_full_file(log_path, &text, NULL);
	if (r < 0)
		return log_error_errno(r, "%s: cannot read its log %s: %m", what, log_path);
	r = apt_simulation_parse(text, ret);
	if (r == -EBADMSG)
		return log_error_errno(r, "%s: apt's simulated installation in %s could not be read.", what, log_path);
	if (r < 0)
		return log_oom();
	if (!*ret)
		return log_error_errno(-EBADMSG, "%s: apt's simulated installation in %s installs nothing.", what, log_path);
	return 0;
}
