/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until the profile loader lands (replaced by the profile work). */
#include <stdlib.h>

#include "imagegen.h"
#include "log.h"

int verb_validate(int argc, char **argv) {
	log_error("validate: not implemented yet");
	return EXIT_FAILURE;
}
