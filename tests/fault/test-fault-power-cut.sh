#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault tier: cut the power (kill QEMU) during each supervisor phase and boot again.
source "$KILN_SRCDIR/tests/lib/tap.sh"

command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (tools/install-deps)"
"$KILN_BUILDDIR/imagegen/kiln-imagegen" build --help >/dev/null 2>&1 ||
	skip_all "kiln-imagegen has no 'build' command yet, so there is no disk image to cut power on"
bail "kiln-imagegen build exists but this test has not been written for it"
