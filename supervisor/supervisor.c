/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-supervisor: bring the node up unattended and keep it healthy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "verbs.h"

static int help(void) {
	printf("%s [OPTIONS...]\n"
	       "\n"
	       "Bring this node up unattended: preflight, container runtime, images, cluster,\n"
	       "addons; then watch the stack and repair what breaks. Started by systemd as\n"
	       "kiln-supervisor.service.\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --version          Show the version\n"
	       "\n"
	       "See kiln-supervisor(8).\n",
	       program_invocation_short_name);
	return 0;
}

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "help",    no_argument, NULL, 'h'         },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kiln-supervisor %s\n", KILN_VERSION);
			return 0;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	if (optind < argc) {
		log_error("This program takes no positional arguments.");
		return -EINVAL;
	}
	return 1;
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

	log_error("The node phases are not implemented yet.");
	return EXIT_FAILURE;
}
