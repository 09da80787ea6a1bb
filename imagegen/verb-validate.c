/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-imagegen validate PROFILE...: load each profile and report every problem, writing
 * nothing anywhere. "-" reads a profile from standard input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "diag.h"
#include "imagegen.h"
#include "log.h"
#include "profile.h"
#include "verbs.h"

static int validate_one(const char *arg) {
	_cleanup_(diag_list_done) DiagList diags = {};
	_cleanup_(profile_freep) Profile *p = NULL;
	int r;

	if (streq(arg, "-"))
		r = profile_load_fd(STDIN_FILENO, "<stdin>", &p, &diags);
	else
		r = profile_load_file(arg, &p, &diags);
	if (r == -EBADMSG) {
		if (print_diagnostics(&diags) < 0)
			return -ENOMEM;
		return EXIT_USAGE;
	}
	if (r == -ENOMEM)
		return log_error_errno(-ENOMEM, "Out of memory.");
	if (r < 0) {
		log_error_errno(r, "Failed to read profile %s: %m", arg);
		return EXIT_USAGE;
	}

	/* --quiet: only problems are printed. */
	if (log_get_max_level() >= LOG_INFO)
		printf("%s: ok\n", arg);
	return EXIT_SUCCESS;
}

int verb_validate(int argc, char **argv) {
	int ret = EXIT_SUCCESS;

	for (int i = 1; i < argc; i++) {
		int r = validate_one(argv[i]);
		if (r < 0)
			return r;
		if (r != EXIT_SUCCESS)
			ret = r;
	}
	return ret;
}
