/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "verbs.h"

static const Verb *verb_find(const char *name, const Verb verbs[], size_t n_verbs) {
	for (size_t i = 0; i < n_verbs; i++)
		if (streq(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

int dispatch_verb(int argc, char **argv, const Verb verbs[], size_t n_verbs) {
	static char *help_argv[] = { (char *) "help", NULL };
	const Verb *v;

	if (argc <= 0) {
		argc = 1;
		argv = help_argv;
	}

	v = verb_find(argv[0], verbs, n_verbs);
	if (!v) {
		log_error("Unknown command \"%s\"; see --help.", argv[0]);
		return EXIT_USAGE;
	}
	if (v->min_args != VERB_ANY && (unsigned) argc < v->min_args) {
		log_error("Too few arguments for \"%s\"; see --help.", v->name);
		return EXIT_USAGE;
	}
	if (v->max_args != VERB_ANY && (unsigned) argc > v->max_args) {
		log_error("Too many arguments for \"%s\"; see --help.", v->name);
		return EXIT_USAGE;
	}

	int r = v->dispatch(argc, argv);
	return r < 0 ? EXIT_FAILURE : r;
}
