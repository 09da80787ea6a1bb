/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Command-line verbs as a table: name, argument bounds (counting the verb itself), handler.
 * A handler returns an exit status (>= 0) or -errno, which becomes EXIT_FAILURE. */

#include <stddef.h>

#define VERB_ANY ((unsigned) -1)

/* Exit statuses shared by every kiln program (documented in their man pages). */
enum {
	/* EXIT_SUCCESS 0, EXIT_FAILURE 1 come from stdlib.h */
	EXIT_USAGE = 2,   /* bad command line or invalid input (e.g. a profile that does not validate) */
};

typedef int (*VerbFunction)(int argc, char **argv);

typedef struct Verb {
	const char *name;
	unsigned min_args, max_args;
	VerbFunction dispatch;
} Verb;

/* Find argv[0] in verbs and run it; with argc == 0, run the "help" verb if there is one. */
int dispatch_verb(int argc, char **argv, const Verb verbs[], size_t n_verbs);
