#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The command line of kiln-imagegen: exit statuses, output, and that "validate" writes
# nothing anywhere. Prints TAP itself.
set -u

src=${KILN_SRCDIR:-.}
build=${KILN_BUILDDIR:-build}
imagegen=$build/imagegen/kiln-imagegen

n=0
failed=0
ok() {   # ok STATUS DESCRIPTION: passes when STATUS is 0
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

ok_exit() {   # ok_exit STATUS WANTED DESCRIPTION
	[ "$1" -eq "$2" ]
	ok $? "$3"
}

if [ ! -x "$imagegen" ]; then
	echo "1..0 # SKIP $imagegen not built"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-cli-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# validate: the shipped profiles
out=$("$imagegen" validate "$src/profiles/single-node.yaml" "$src/profiles/homelab.yaml" 2>"$tmp/err")
ok $? "validate of the shipped profiles exits 0"
[ "$out" = "$src/profiles/single-node.yaml: ok
$src/profiles/homelab.yaml: ok" ]
ok $? "validate prints 'PROFILE: ok' for each"
[ ! -s "$tmp/err" ]
ok $? "validate of good profiles prints nothing on stderr"

out=$("$imagegen" --quiet validate "$src/profiles/single-node.yaml")
ok $? "validate --quiet of a good profile exits 0"
[ -z "$out" ]
ok $? "--quiet leaves out the 'ok' lines"

# validate: a bad profile
printf 'schema: 1\nname: t\nbase: {}\nkubernetes:\n  version: v1.31.4\n  podSubnet: 10.244.0.1/16\n' >"$tmp/bad.yaml"
"$imagegen" validate "$tmp/bad.yaml" >"$tmp/out" 2>"$tmp/err"
ok_exit $? 2 "validate of a bad profile exits 2"
grep -q "^$tmp/bad.yaml:6:14: kubernetes.podSubnet: subnet '10.244.0.1/16' has host bits set (the network address 10.244.0.0/16)\$" "$tmp/err"
ok $? "the problem is on stderr as file:line:column: message (expected)"
[ ! -s "$tmp/out" ]
ok $? "nothing on stdout for a bad profile"

# a good and a bad one together: both reported, exit 2
"$imagegen" validate "$src/profiles/single-node.yaml" "$tmp/bad.yaml" >"$tmp/out" 2>"$tmp/err"
ok_exit $? 2 "one bad profile among good ones exits 2"
grep -q ": ok$" "$tmp/out" && grep -q "bad.yaml:6:14:" "$tmp/err"
ok $? "the good one is ok, the bad one reported"

# unreadable file, and standard input
"$imagegen" validate "$tmp/does-not-exist.yaml" >/dev/null 2>"$tmp/err"
ok_exit $? 2 "validate of a missing file exits 2"
grep -q "does-not-exist.yaml" "$tmp/err"
ok $? "the missing file is named on stderr"
out=$("$imagegen" validate - <"$src/profiles/homelab.yaml")
ok $? "validate - reads standard input"
[ "$out" = "-: ok" ]
ok $? "standard input is reported as '-: ok'"
"$imagegen" validate - <"$tmp/bad.yaml" 2>"$tmp/err" >/dev/null
ok_exit $? 2 "a bad profile on standard input exits 2"
grep -q "^<stdin>:6:14: " "$tmp/err"
ok $? "problems on standard input are reported as <stdin>"

# validate writes nothing: run it in empty directories and compare listings
mkdir -p "$tmp/cwd" "$tmp/home" "$tmp/cache" "$tmp/tmpdir" "$tmp/profiles"
cp "$src/profiles/single-node.yaml" "$src/profiles/homelab.yaml" "$tmp/bad.yaml" "$tmp/profiles/"
listing() {
	find "$tmp/cwd" "$tmp/home" "$tmp/cache" "$tmp/tmpdir" "$tmp/profiles" \
		-printf '%p %y %s %T@ %m\n' | sort
}
before=$(listing)
(
	cd "$tmp/cwd" &&
	HOME=$tmp/home XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/home/.config \
	XDG_STATE_HOME=$tmp/home/.local/state TMPDIR=$tmp/tmpdir \
		"$imagegen" validate "$tmp/profiles/single-node.yaml" "$tmp/profiles/homelab.yaml" \
			"$tmp/profiles/bad.yaml" - <"$tmp/profiles/homelab.yaml" >/dev/null 2>&1
)
after=$(listing)
[ "$before" = "$after" ]
ok $? "validate writes no file in the working directory, HOME, XDG_CACHE_HOME, TMPDIR or next to the profiles"

# The same at the system call level, when strace can trace here: no call that creates,
# writes, removes or renames a file. (LeakSanitizer cannot run under ptrace; it is off for
# this one run.)
trace_calls=openat,open,creat,mkdir,mkdirat,unlink,unlinkat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=$trace_calls -o "$tmp/trace" \
		"$imagegen" validate "$tmp/profiles/single-node.yaml" "$tmp/profiles/bad.yaml" >/dev/null 2>&1
	! grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|^[0-9]+ +(creat|mkdir|unlink|rename|link|symlink|truncate)' "$tmp/trace"
	ok $? "validate makes no system call that writes to a file (strace)"
else
	n=$((n + 1))
	echo "ok $n # SKIP strace cannot trace here"
fi

# options and verbs
"$imagegen" --help >"$tmp/out" 2>&1
ok $? "--help exits 0"
grep -q "validate PROFILE" "$tmp/out"
ok $? "--help lists validate"
out=$("$imagegen" --version)
ok $? "--version exits 0"
case "$out" in "kiln-imagegen "*) r=0 ;; *) r=1 ;; esac
ok $r "--version prints the program and version"
"$imagegen" no-such-verb >/dev/null 2>&1
ok_exit $? 2 "an unknown verb exits 2"
"$imagegen" validate >/dev/null 2>&1
ok_exit $? 2 "validate without a profile exits 2"
"$imagegen" --no-such-option >/dev/null 2>&1
ok_exit $? 2 "an unknown option exits 2"

# the embedded default is the shipped single-node profile, byte for byte
"$imagegen" show-default >"$tmp/default.yaml"
ok $? "show-default exits 0"
cmp -s "$tmp/default.yaml" "$src/profiles/single-node.yaml"
ok $? "show-default prints profiles/single-node.yaml byte for byte"
"$imagegen" validate - <"$tmp/default.yaml" >/dev/null
ok $? "the default profile validates"

echo "1..$n"
[ "$failed" -eq 0 ]
