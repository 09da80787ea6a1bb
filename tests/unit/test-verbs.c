/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "tap.h"
#include "verbs.h"

static int called, last_argc;

static int verb_ok(int argc, char **argv) {
	called++;
	last_argc = argc;
	return 0;
}
static int verb_errno(int argc, char **argv) {
	return -EIO;
}
static int verb_status(int argc, char **argv) {
	return 42;
}

static const Verb verbs[] = {
	{ "help",   VERB_ANY, VERB_ANY, verb_ok     },
	{ "two",    2,        2,        verb_ok     },
	{ "fail",   VERB_ANY, VERB_ANY, verb_errno  },
	{ "status", VERB_ANY, VERB_ANY, verb_status },
};

int main(void) {
	char *none[] = { NULL };
	char *two[] = { (char *) "two", (char *) "x", NULL };
	char *two_short[] = { (char *) "two", NULL };
	char *two_long[] = { (char *) "two", (char *) "x", (char *) "y", NULL };
	char *unknown[] = { (char *) "nope", NULL };
	char *fail[] = { (char *) "fail", NULL };
	char *status[] = { (char *) "status", NULL };

	log_set_max_level(LOG_EMERG);   /* the usage errors are expected here */

	is_int(dispatch_verb(0, none, verbs, ELEMENTSOF(verbs)), 0, "no verb runs \"help\"");
	is_int(called, 1, "help was called");
	is_int(dispatch_verb(2, two, verbs, ELEMENTSOF(verbs)), 0, "a verb with its arguments");
	is_int(last_argc, 2, "argc includes the verb");
	is_int(dispatch_verb(1, two_short, verbs, ELEMENTSOF(verbs)), EXIT_USAGE, "too few arguments: usage error");
	is_int(dispatch_verb(3, two_long, verbs, ELEMENTSOF(verbs)), EXIT_USAGE, "too many arguments: usage error");
	is_int(called, 2, "the verb did not run on a usage error");
	is_int(dispatch_verb(1, unknown, verbs, ELEMENTSOF(verbs)), EXIT_USAGE, "an unknown verb: usage error");
	is_int(dispatch_verb(1, fail, verbs, ELEMENTSOF(verbs)), EXIT_FAILURE, "-errno becomes EXIT_FAILURE");
	is_int(dispatch_verb(1, status, verbs, ELEMENTSOF(verbs)), 42, "an exit status passes through");
	return done_testing();
}
