#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kilnctl kubeconfig: prints the admin kubeconfig to root, refuses anybody else (whatever
# the file's mode), says so when the node has no cluster yet. The file is a stand-in
# under KILN_ADMIN_CONF: the host's /etc/kubernetes is not the tests' to write.
source "$KILN_SRCDIR/tests/lib/tap.sh"

ctl=$KILN_BUILDDIR/supervisor/kilnctl
[[ -x $ctl ]] || bail "kilnctl is not built"
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kubeconfig-XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
conf=$work/admin.conf
printf 'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://10.0.2.15:6443\n  name: kubernetes\n' >"$conf"

if [[ $(id -u) -eq 0 ]]; then
	out=$(KILN_ADMIN_CONF=$conf "$ctl" kubeconfig 2>"$work/err")
	is "$?" 0 "root: exit 0"
	is "$out" "$(cat "$conf")" "root: the file, as it is"
	# Readable by everybody, still refused to anybody but root.
	chmod 0644 "$conf"
	out=$(KILN_ADMIN_CONF=$conf setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" kubeconfig 2>"$work/err")
	is "$?" 1 "another user: exit 1, even with the file readable"
	is "$out" "" "nothing printed"
	grep -q "for root only" "$work/err"
	ok $? "and told why: $(cat "$work/err")"
else
	skip 5 "needs root to print it and to become another user"
	out=$(KILN_ADMIN_CONF=$conf "$ctl" kubeconfig 2>"$work/err")
	is "$?" 1 "not root: exit 1"
fi

if [[ $(id -u) -eq 0 ]]; then
	KILN_ADMIN_CONF=$work/missing.conf "$ctl" kubeconfig >"$work/out" 2>"$work/err"
	is "$?" 1 "no admin.conf: exit 1"
	grep -q "no cluster yet" "$work/err"
	ok $? "and says the node has no cluster yet: $(cat "$work/err")"
else
	skip 2 "needs root"
fi
"$ctl" kubeconfig extra >/dev/null 2>&1
is "$?" 2 "an argument: usage error"
"$ctl" kubeconfig --help | grep -q "Root only"
ok $? "--help says it is for root only"
tap_done
