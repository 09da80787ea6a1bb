/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The profile's install: section as the installer reads it: the kernel command line of
 * the ISO's and the PXE set's install entries (kiln-install's kiln.install.* options). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "install-payload.h"
#include "profile-text.h"
#include "tap.h"

static char *cmdline_of(const char *profile_text, const char *source) {
	_cleanup_(build_freep) Build *b = NULL;
	char *line = NULL;
	int r;

	if (build_new(&b) < 0)
		return NULL;
	b->profile = profile_from_text(profile_text, &r);
	if (r != 0 || !b->profile)
		return diag("the profile does not load: %d", r), NULL;
	if ((r = install_cmdline(b, source, &line)) < 0)
		return diag("install_cmdline: %d", r), NULL;
	return line;
}

int main(void) {
	_cleanup_free_ char *defaults = cmdline_of(PROFILE_HEAD, " kiln.install.url=tftp");
	is_str(defaults,
	       "kiln.install=auto kiln.install.min=17179869184 kiln.install.wipe=0 kiln.install.after=poweroff "
	       "kiln.install.url=tftp",
	       "defaults: the only large enough disk, never wiped, then power off");

	_cleanup_free_ char *set = cmdline_of(PROFILE_HEAD
					      "install: {device: /dev/vdb, minimumDiskSize: 3GiB, wipe: true, poweroff: false}\n"
					      "kernel: {cmdline: [console=ttyS0]}\n",
					      "");
	is_str(set,
	       "kiln.install=/dev/vdb kiln.install.min=3221225472 kiln.install.wipe=1 kiln.install.after=reboot "
	       "console=ttyS0",
	       "install.device, minimumDiskSize, wipe and poweroff: false, then the profile's kernel.cmdline");
	return done_testing();
}
