/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "default-profile.h"
#include "imagegen.h"

int verb_show_default(int argc, char **argv) {
	fwrite(kiln_default_profile, 1, kiln_default_profile_size, stdout);
	return 0;
}
