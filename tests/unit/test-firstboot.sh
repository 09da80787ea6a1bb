#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kiln-firstboot on fake roots (--root=): which host name each rule gives, that an existing
# /etc/hostname is left alone, --force, --dry-run, and that a broken profile writes nothing.
source "$KILN_SRCDIR/tests/lib/tap.sh"

fb=$KILN_BUILDDIR/supervisor/kiln-firstboot
imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
[[ -x $fb ]] || skip_all "$fb not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-firstboot-XXXXXX") || bail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

ETH0_MAC=52:54:00:ab:cd:01
VETH0_MAC=02:42:ac:11:00:02
BR0_MAC=02:42:00:00:00:01

# profile NAME [NODE-HOSTNAME]: a valid profile whose nodes[] lists eth0 (in upper case, as
# people copy it from a label) only when asked, and always veth0 and br0, which are virtual
# and must never match.
profile() {
	local file=$tmp/$1.yaml
	{
		printf 'schema: 1\nname: firstboot-test\nbase:\n  suite: trixie\nkubernetes:\n  version: v1.31.4\n'
		[[ -n ${2:-} ]] && printf 'node:\n  hostname: %s\n' "$2"
		printf 'nodes:\n'
		[[ $1 == match ]] && printf '  - mac: %s\n    hostname: cp1\n' "${ETH0_MAC^^}"
		printf '  - mac: %s\n    hostname: ghost\n' "$VETH0_MAC"
		printf '  - mac: %s\n    hostname: bridge\n' "$BR0_MAC"
	} >"$file"
	echo "$file"
}

# nic ROOT NAME MAC [physical]
nic() {
	mkdir -p "$1/sys/class/net/$2" || return
	echo "$3" >"$1/sys/class/net/$2/address" || return
	[[ ${4:-} == physical ]] && mkdir "$1/sys/class/net/$2/device"
	return 0
}

# mkroot NAME PROFILE-FILE: eth0 (physical), lo, veth0 and br0 (virtual), a machine ID.
mkroot() {
	local root=$tmp/$1
	mkdir -p "$root/usr/lib/kiln" "$root/etc" &&
	cp "$2" "$root/usr/lib/kiln/profile.yaml" &&
	nic "$root" eth0 "$ETH0_MAC" physical &&
	nic "$root" lo 00:00:00:00:00:00 &&
	nic "$root" veth0 "$VETH0_MAC" &&
	nic "$root" br0 "$BR0_MAC" &&
	echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id" || bail "cannot build fake root $root"
	echo "$root"
}

# run ROOT [OPTIONS...]: run kiln-firstboot; status in $rc, output in $tmp/out and $tmp/err.
run() {
	local root=$1; shift
	"$fb" --root="$root" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

hostname_of() { cat "$1/etc/hostname" 2>/dev/null || echo "<missing>"; }

# The test profiles themselves are valid: a failure below is kiln-firstboot's.
for file in "$(profile match edge)" "$(profile default edge)" "$(profile derived)"; do
	out=$("$imagegen" validate "$file" 2>&1)
	ok $? "test profile validates: $out"
done

# Rule 1: the nodes[] entry for eth0's MAC wins over node.hostname.
root=$(mkroot match "$(profile match edge)")
run "$root"
is "$rc" 0 "MAC match: exit 0"
is "$(hostname_of "$root")" cp1 "MAC match: /etc/hostname is the nodes[] entry's name"
is "$(od -An -c "$root/etc/hostname" | tr -s ' ')" " c p 1 \n" "MAC match: exactly NAME and a newline"
is "$(stat -c %a "$root/etc/hostname")" 644 "MAC match: /etc/hostname has mode 0644"
grep -q "Host name set to cp1: the profile's nodes\[\] entry for MAC $ETH0_MAC" "$tmp/err"
ok $? "MAC match: the log names the rule and the MAC"
is "$(grep -c . "$tmp/err")" 1 "MAC match: one log line"

# Rule 2: no entry for this machine, the profile default.
root=$(mkroot default "$(profile default edge)")
run "$root"
is "$rc" 0 "default: exit 0"
is "$(hostname_of "$root")" edge "default: /etc/hostname is node.hostname"
grep -q "edge: the profile's default node.hostname" "$tmp/err"
ok $? "default: the log says it is the profile default"

# Rule 3: derived from eth0; veth0 and br0 are in nodes[] and br0 sorts first, but both
# are virtual.
root=$(mkroot derived "$(profile derived)")
run "$root"
is "$rc" 0 "derived: exit 0"
is "$(hostname_of "$root")" kiln-abcd01 "derived: kiln- and eth0's last three bytes"
grep -q "kiln-abcd01: derived from MAC $ETH0_MAC" "$tmp/err"
ok $? "derived: the log says it is derived from eth0's MAC"

# No network card at all: the machine ID.
root=$(mkroot nonic "$(profile derived)")
rm -rf "$root/sys"
run "$root"
is "$rc" 0 "no card: exit 0"
is "$(hostname_of "$root")" kiln-012345 "no card: kiln- and the machine ID's first six digits"
grep -q "derived from .*etc/machine-id" "$tmp/err"
ok $? "no card: the log says it is derived from the machine ID"
rm "$root/etc/hostname" "$root/etc/machine-id"
run "$root"
is "$rc" 1 "no card and no machine ID: exit 1"
check "no card and no machine ID: nothing written" -- test ! -e "$root/etc/hostname"
grep -q "No network card and no .*machine-id" "$tmp/err"
ok $? "no card and no machine ID: says why"

# An existing identity is left alone.
root=$(mkroot existing "$(profile match)")
echo keepme >"$root/etc/hostname"
run "$root"
is "$rc" 0 "existing /etc/hostname: exit 0"
is "$(hostname_of "$root")" keepme "existing /etc/hostname: unchanged"
grep -q "already set.*leaving it alone" "$tmp/err"
ok $? "existing /etc/hostname: says it leaves it alone"
run "$root" --dry-run
is "$rc" 0 "existing /etc/hostname, --dry-run: exit 0"
is "$(cat "$tmp/out")" "" "existing /etc/hostname, --dry-run: nothing to decide, nothing printed"

# ... unless --force.
run "$root" --force
is "$rc" 0 "--force: exit 0"
is "$(hostname_of "$root")" cp1 "--force: the existing name is replaced"

# An empty (or white space only) /etc/hostname names nothing.
root=$(mkroot empty "$(profile match)")
printf ' \n' >"$root/etc/hostname"
run "$root"
is "$(hostname_of "$root")" cp1 "an empty /etc/hostname is replaced without --force"

# --dry-run prints the decision and writes nothing.
root=$(mkroot dry "$(profile match)")
find "$root" -printf '%p %s %T@\n' | sort >"$tmp/before"
run "$root" --dry-run
is "$rc" 0 "--dry-run: exit 0"
is "$(cat "$tmp/out")" "cp1: the profile's nodes[] entry for MAC $ETH0_MAC" \
	"--dry-run: prints NAME: RULE"
check "--dry-run: no /etc/hostname" -- test ! -e "$root/etc/hostname"
find "$root" -printf '%p %s %T@\n' | sort | cmp -s - "$tmp/before"
ok $? "--dry-run: nothing in the root created or changed"

# A broken profile: exit 1, a clear message, nothing written.
root=$(mkroot broken "$(profile match)")
printf 'schema: 1\nname: t\nbase:\n  suite: trixie\nkubernetes:\n  version: v1.31.4\nnodes:\n  - mac: 52:54:00:zz:00:01\n    hostname: cp1\n' \
	>"$root/usr/lib/kiln/profile.yaml"
run "$root"
is "$rc" 1 "broken profile: exit 1"
check "broken profile: nothing written" -- test ! -e "$root/etc/hostname"
grep -q "usr/lib/kiln/profile.yaml:8:[0-9]*: .*mac" "$tmp/err"
ok $? "broken profile: the problem as file:line:column"
grep -q "is not valid, not setting a host name" "$tmp/err"
ok $? "broken profile: says nothing was set"

rm "$root/usr/lib/kiln/profile.yaml"
run "$root"
is "$rc" 1 "missing profile: exit 1"
grep -q "Failed to load profile $root/usr/lib/kiln/profile.yaml: No such file" "$tmp/err"
ok $? "missing profile: names the file and the error"
check "missing profile: nothing written" -- test ! -e "$root/etc/hostname"

# Paths stay inside --root even with a trailing slash.
root=$(mkroot slash "$(profile default edge)")
run "$root/"
is "$(hostname_of "$root")" edge "--root=DIR/ works like --root=DIR"

# Command line.
"$fb" --help >"$tmp/out" 2>&1
ok $? "--help exits 0"
grep -q -- "--dry-run" "$tmp/out"
ok $? "--help lists --dry-run"
is "$("$fb" --version)" "kiln-firstboot $(sed -n "s/^\tversion : '\(.*\)',/\1/p" "$KILN_SRCDIR/meson.build")" \
	"--version prints the project version"
"$fb" --no-such-option >/dev/null 2>&1
is $? 2 "an unknown option exits 2"
"$fb" --root="$root" extra >/dev/null 2>&1
is $? 2 "a positional argument exits 2"
"$fb" --root= >/dev/null 2>&1
is $? 2 "an empty --root= exits 2"
"$fb" --root="$tmp/does-not-exist" >/dev/null 2>"$tmp/err"
is $? 1 "a missing root directory exits 1"

tap_done
