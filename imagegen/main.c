/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kiln-imagegen: bake a bootable, offline Kubernetes appliance image from a profile. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "imagegen.h"
#include "log.h"
#include "verbs.h"

static int help(void) {
	printf("%s [OPTIONS...] COMMAND ...\n"
	       "\n"
	       "Bake a bootable, offline Kubernetes appliance image from a YAML profile.\n"
	       "\n"
	       "Commands:\n"
	       "  build [PROFILE] -o DIR  Bake PROFILE (default: the embedded one) into DIR\n"
	       "  lock [PROFILE]        Pin binaries, manifests and images in kiln.lock\n"
	       "  fetch [PROFILE]       Download what kiln.lock pins into the cache\n"
	       "  validate PROFILE...   Check profiles without building anything\n"
	       "  render [PROFILE] WHAT Print a file the build bakes: kubeadm, admission, corefile, cni\n"
	       "  show-default          Print the embedded default profile\n"
	       "\n"
	       "Options:\n"
	       "  -h --help             Show this help\n"
	       "     --version          Show the version\n"
	       "  -q --quiet            Only print errors\n"
	       "\n"
	       "See kiln-imagegen(1) and kiln-profile(5).\n",
	       program_invocation_short_name);
	return 0;
}

static const Verb verbs[] = {
	{ "help",         VERB_ANY, VERB_ANY, verb_help     },
	{ "build",        VERB_ANY, VERB_ANY, verb_build    },
	{ "lock",         VERB_ANY, VERB_ANY, verb_lock     },
	{ "fetch",        VERB_ANY, VERB_ANY, verb_fetch    },
	{ "validate",     2,        VERB_ANY, verb_validate },
	{ "render",       VERB_ANY, VERB_ANY, verb_render   },
	{ "show-default", 1,        1,        verb_show_default },
};

int verb_help(int argc, char **argv) {
	return help();
}

static int parse_argv(int argc, char **argv) {
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "help",    no_argument, NULL, 'h'         },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "quiet",   no_argument, NULL, 'q'         },
		{}
	};
	int c;

	/* "+" stops at the first verb so that verbs may grow their own options. */
	while ((c = getopt_long(argc, argv, "+hq", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kiln-imagegen %s\n", KILN_VERSION);
			return 0;
		case 'q':
			log_set_max_level(LOG_ERR);
			break;
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
