#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: the kiln programs installed into a real Debian rootfs booted with
# systemd-nspawn -b. Under systemd their logs reach journald as structured entries
# (journal transport, PRIORITY, CODE_FUNC, SYSLOG_IDENTIFIER); outside it, plain stderr.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/rootfs.sh"
source "$KILN_SRCDIR/tests/lib/nspawn.sh"

[[ $(id -u) -eq 0 ]] || skip_all "needs root for systemd-nspawn"
for t in systemd-nspawn mmdebstrap script nsenter; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (tools/install-deps)"
done

tar=$(test_rootfs_tar trixie libyaml-0-2 libjansson4 libssl3t64 libsystemd0 libarchive13t64 libcap2 libcurl4t64) ||
	bail "could not build the test rootfs with mmdebstrap"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-it-XXXXXX")
cleanup() { machine_stop; rm -rf "$work"; }
trap cleanup EXIT
root=$work/root
mkdir "$root" && tar -C "$root" -xf "$tar" || bail "extracting $tar failed"

check "meson install into the rootfs" -- \
	meson install -C "$KILN_BUILDDIR" --no-rebuild --quiet --destdir "$root"
check "kiln binaries installed" -- \
	test -x "$root/usr/local/bin/kiln-imagegen" -a -x "$root/usr/local/bin/kilnctl" \
	     -a -x "$root/usr/local/libexec/kiln/kiln-supervisor"

machine_boot "$root"
ok $? "the rootfs boots to multi-user under systemd-nspawn -b"
[[ -n $MACHINE_LEADER ]] || { tap_done; exit 1; }

v=$(machine_exec /usr/local/bin/kiln-imagegen --version)
is "$v" "kiln-imagegen $(meson introspect "$KILN_BUILDDIR" --projectinfo | python3 -c 'import json,sys;print(json.load(sys.stdin)["version"])')" \
	"kiln-imagegen runs inside the node's userspace"

out=$(machine_exec /usr/local/bin/kiln-imagegen validate /usr/local/share/kiln/profiles/single-node.yaml)
ok $? "the installed default profile validates inside the node ($out)"

# Run kilnctl as a transient service: its stderr is the journal stream, so log.c must
# switch to native journal entries with structured fields.
machine_exec systemd-run --wait --quiet -p StandardError=journal -p StandardOutput=journal \
	--unit=kiln-log-probe /usr/local/bin/kilnctl status
ok $(( $? != 0 ? 0 : 1 )) "kilnctl status fails while there is no supervisor"

# journald stores the entry asynchronously after the unit ended: poll for it, bounded.
# Matched by identifier, not _SYSTEMD_UNIT: journald reads a sender's unit from its
# cgroup, which a process that has already exited may no longer have, and the entry then
# has no _SYSTEMD_UNIT. Nothing else runs kilnctl in this machine yet.
probe_entry() {
	machine_exec journalctl -o json --no-pager SYSLOG_IDENTIFIER=kilnctl |
		python3 -c 'import json,sys
for l in sys.stdin:
    e = json.loads(l)
    if "status socket" in e.get("MESSAGE", ""):
        print(e.get("_TRANSPORT"), e.get("PRIORITY"), e.get("CODE_FUNC"), e.get("CODE_FILE", "").split("/")[-1])
        break'
}
entry=
for _ in $(seq 1 100); do
	entry=$(probe_entry)
	[[ -n $entry ]] && break
	sleep 0.2
done
is "$entry" "journal 3 verb_status kilnctl.c" \
	"the error reached journald natively with PRIORITY, CODE_FUNC and CODE_FILE"

line=$(machine_exec /usr/local/bin/kilnctl status 2>&1 >/dev/null)
is "$line" "kilnctl: status: no supervisor answers on its status socket /run/kiln/status.sock (is kiln-supervisor.service running?): No such file or directory" \
	"outside systemd the same error is one plain stderr line"

tap_done
