#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The repository's Vagrantfile: `vagrant validate` accepts it with the default node count
# and with the counts and sizes the environment can give (KILN_WORKERS, KILN_MEMORY,
# KILN_CPUS, KILN_BOX), and it refuses a negative worker count. Validating needs neither
# the box nor libvirt: vagrant-libvirt checks its settings without connecting.
set -uo pipefail
. "$KILN_SRCDIR/tests/lib/tap.sh"

command -v vagrant >/dev/null || skip_all "vagrant is not installed (tools/install-deps installs vagrant and vagrant-libvirt)"
vagrant plugin list 2>/dev/null | grep -q vagrant-libvirt ||
	skip_all "the vagrant-libvirt plugin is not installed (Debian package vagrant-libvirt)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Vagrant writes its state (.vagrant/) next to the Vagrantfile and its home under
# VAGRANT_HOME: a copy in a temporary directory keeps both out of the source tree.
cp "$KILN_SRCDIR/Vagrantfile" "$work/"
export VAGRANT_HOME=$work/home VAGRANT_DEFAULT_PROVIDER=libvirt VAGRANT_CHECKPOINT_DISABLE=1

validate() {	# validate DESCRIPTION [VAR=VALUE...]
	local desc=$1; shift
	(cd "$work" && env "$@" vagrant validate) >"$work/out" 2>&1
	ok $? "$desc" || diag_tail "$work/out"
}
validate "vagrant validate: the default, one control plane and three workers"
validate "vagrant validate: no workers, 2 GiB each" KILN_WORKERS=0 KILN_MEMORY=2048
validate "vagrant validate: five workers, another box file" KILN_WORKERS=5 KILN_CPUS=4 KILN_BOX=/nonexistent/kiln.box

status=$(cd "$work" && vagrant status 2>/dev/null | awk '/^(cp|worker)[0-9]+ /{print $1}' | tr '\n' ' ')
is "$status" "cp1 worker1 worker2 worker3 " "the default machines are cp1 and worker1-3 (vagrant status)"

(cd "$work" && KILN_WORKERS=-1 vagrant validate) >"$work/out" 2>&1
ok $(( $? == 0 ? 1 : 0 )) "KILN_WORKERS=-1 is refused"
grep -q "KILN_WORKERS must be 0 or more" "$work/out"
ok $? "and the error says why" || diag_tail "$work/out"
tap_done
