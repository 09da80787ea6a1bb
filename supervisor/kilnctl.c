/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kilnctl: the operator's window into what the node is doing and why. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "verbs.h"

static int help(void) {
	printf("%s [OPTIONS...] COMMAND\n"
	       "\n"
	       "Show what this kiln node is doing and why.\n"
	       "\n"
	       "Commands:\n"
	       "  status                Show each phase, its timing and the last error\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --version          Show the version\n"
	       "\n"
	       "See kilnctl(1).\n",
	       program_invocation_short_name);
	return 0;
}

static int verb_help(int argc, char **argv) {
	return help();
}

static int verb_status(int argc, char **argv) {
	log_error("status: the supervisor's status socket is not implemented yet.");
	return EXIT_FAILURE;
}

static const Verb verbs[] = {
	{ "help",   VERB_ANY, VERB_ANY, verb_help   },
	{ "status", VERB_ANY, 1,        verb_status },
};

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "help",    no_argument, NULL, 'h'         },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kilnctl %s\n", KILN_VERSION);
			return 0;
		case '?':
			return -EINVAL;
		default:
			abort();
		}
	return 1;
}

int main(int argc, char **argv) {
	int r;

	log_setup();
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
	return dispatch_verb(argc - optind, argv + optind, verbs, ELEMENTSOF(verbs));
}
