#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kiln-confine at the edge: a malformed profile exits 2 with file:line:column and runs
# nothing; run exits with the command's status, 159 for a call a kill profile refuses,
# and with a step's own code when a step fails. And the rule behind "one harden-then-exec
# path": no program of kiln's starts a process anywhere but lib/process-util.c.
source "$KILN_SRCDIR/tests/lib/tap.sh"
confine=$KILN_BUILDDIR/supervisor/kiln-confine
profiles=$KILN_SRCDIR/profiles/security
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$profiles"/*.yaml; do
	check "kiln-confine check $(basename "$f")" -- "$confine" check "$f"
done

cat >"$tmp/bad.yaml" <<'YAML'
name: bad
description: three mistakes
capabilities:
  bounding: [CAP_CHOWN]
  ambient: [CAP_CHOWN, CAP_SYS_ADMIN]
seccomp:
  allow: [read, frobnicate]
YAML
out=$("$confine" check "$tmp/bad.yaml" 2>&1); rc=$?
is "$rc" 2 "a malformed profile: exit 2"
is "$out" "$tmp/bad.yaml:5:24: capabilities.ambient: CAP_SYS_ADMIN is not in capabilities.bounding: a capability outside the bounding set cannot be held
$tmp/bad.yaml:7:17: seccomp.allow[1]: invalid system call 'frobnicate' (a system call of this architecture or a group such as @file-system (kiln-confine list))" \
	"every problem at file:line:column"
"$confine" run "$tmp/bad.yaml" -- touch "$tmp/ran" 2>/dev/null; rc=$?
is "$rc" 2 "run with a malformed profile: exit 2"
check "run with a malformed profile starts nothing" -- test ! -e "$tmp/ran"

if [[ $(id -u) -ne 0 ]]; then
	skip 4 "run needs root"
else
	cat >"$tmp/killer.yaml" <<'YAML'
name: killer
description: kills on a stray call
seccomp:
  defaultAction: kill
  allow: ["@basic-process", "@process"]
writablePaths: [/]
YAML
	"$confine" run "$tmp/killer.yaml" -- /bin/sh -c 'exit 7'; rc=$?
	is "$rc" 7 "run exits with the command's status"
	# setarch -R calls personality(2), which no group holds.
	"$confine" run "$tmp/killer.yaml" -- setarch x86_64 -R /bin/true 2>/dev/null; rc=$?
	is "$rc" 159 "a call outside a kill profile's list: killed by SIGSYS (128+31)"
	cat >"$tmp/nouser.yaml" <<'YAML'
name: nouser
description: a writable path that does not exist
seccomp: {allow: ["@basic-process"]}
writablePaths: [/nonexistent/kiln-test]
YAML
	out=$("$confine" run "$tmp/nouser.yaml" -- /bin/true 2>&1); rc=$?
	is "$rc" 1 "a profile that cannot be compiled here: exit 1, nothing started"
	is "$out" "kiln-confine: $tmp/nouser.yaml: writable path \"/nonexistent/kiln-test\": No such file or directory" \
		"and it says which path"
fi

# One path: fork/exec only in lib/process-util.c. Everything else calls spawn() and
# friends (job_start, capture_command, run_command), which take a Confinement.
# String literals and comment lines are dropped first: they name calls, they make none.
hits=$(cd "$KILN_SRCDIR" && for f in lib/*.c imagegen/*.c supervisor/*.c; do
	[[ $f == lib/process-util.c ]] && continue
	sed -E 's/"([^"\\]|\\.)*"/""/g' "$f" | grep -nE '\b(fork|vfork|clone|clone3|posix_spawnp?|execv[pe]*|execl[pe]*|fexecve|system|popen)\s*\(' |
		grep -vE '^[0-9]+:\s*(\*|/\*|//)' | sed "s|^|$f:|"
done)
is "$hits" "" "no process is started outside lib/process-util.c"
tap_done
