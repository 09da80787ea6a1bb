#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kilnctl preflight on fake roots (--root=): the three formats, the exit statuses, what it
# takes from the image's profile.yaml and image.json, and that it changes nothing.
source "$KILN_SRCDIR/tests/lib/tap.sh"

kilnctl=$KILN_BUILDDIR/supervisor/kilnctl
[[ -x $kilnctl ]] || skip_all "$kilnctl not built"
command -v jq >/dev/null || skip_all "jq is not installed"
# The verb is registered in kilnctl.c's table separately from this file.
"$kilnctl" preflight --help >/dev/null 2>&1 || skip_all "kilnctl has no preflight verb yet"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-kilnctl-preflight-XXXXXX") || bail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

put() { mkdir -p "$(dirname "$1")" && printf "$2" >"$1"; }

# mkroot NAME: a root on which every check but the ports (this host's) passes.
mkroot() {
	local r=$tmp/$1 b
	put "$r/proc/modules" 'overlay 151552 0 - Live 0x0\nbr_netfilter 32768 0 - Live 0x0\n' &&
	put "$r/proc/sys/net/ipv4/ip_forward" '1\n' &&
	put "$r/proc/sys/net/bridge/bridge-nf-call-iptables" '1\n' &&
	put "$r/proc/sys/net/bridge/bridge-nf-call-ip6tables" '1\n' &&
	put "$r/proc/swaps" 'Filename\tType\tSize\tUsed\tPriority\n' &&
	put "$r/proc/sys/kernel/hostname" 'cp1\n' &&
	put "$r/proc/meminfo" 'MemTotal:        4028460 kB\n' &&
	put "$r/sys/devices/system/cpu/online" '0-3\n' &&
	put "$r/sys/fs/cgroup/cgroup.controllers" 'cpuset cpu io memory pids\n' &&
	put "$r/etc/fstab" '' &&
	mkdir -p "$r/etc/modules-load.d" "$r/var" "$r/usr/bin" &&
	cp "$KILN_SRCDIR/rootfs/etc/modules-load.d/kiln.conf" "$r/etc/modules-load.d/" &&
	put "$r/usr/lib/kiln/profile.yaml" 'schema: 1\nname: t\nbase:\n  suite: trixie\nkubernetes:\n  version: v1.31.4\n' &&
	put "$r/usr/lib/kiln/image.json" '{"kubernetes": {"present": true}, "sourceDateEpoch": 1700000000}\n' ||
		bail "cannot build fake root $r"
	for b in containerd runc ip iptables mount nsenter conntrack kubeadm kubelet ebtables ethtool socat tc; do
		printf '#!/bin/sh\n' >"$r/usr/bin/$b" && chmod 755 "$r/usr/bin/$b" || bail "cannot create $b"
	done
	echo "$r"
}

# run ROOT [OPTIONS...]: status in $rc, output in $tmp/out and $tmp/err.
run() {
	local root=$1; shift
	"$kilnctl" preflight --root="$root" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# result NAME: the result of check NAME in $tmp/out (JSON).
result() { jq -r --arg n "$1" '.[] | select(.name == $n) | .result' "$tmp/out"; }

root=$(mkroot good)
find "$root" -printf '%p %s %T@\n' | sort >"$tmp/before"

run "$root" --json
jq -e 'type == "array" and length > 14' "$tmp/out" >/dev/null
ok $? "--json: an array of reports"
is "$(jq -r '[.[] | select(.name | startswith("port-") | not) | .result] | unique | join(",")' "$tmp/out")" pass \
	"--json: every check but the ports passes on a good root"
is "$(jq -r '[.[] | select(.name | startswith("port-")) | .name] | join(" ")' "$tmp/out")" \
	"port-6443 port-10250 port-10257 port-10259 port-2379 port-2380" "--json: a single node's six ports"
fails=$(jq '[.[] | select(.result == "fail")] | length' "$tmp/out")
is "$rc" "$((fails > 0))" "--json: exit status 0 exactly when nothing fails ($fails failures, from the ports)"
is "$(jq -r '.[0] | keys | join(",")' "$tmp/out")" "hint,message,name,result" "--json: name, result, message, hint"
is "$(result clock)" pass "sourceDateEpoch is read from image.json"

run "$root" --tap
n=$(grep -cE '^(not )?ok [0-9]+ - ' "$tmp/out")
grep -qx "1..$n" "$tmp/out"
ok $? "--tap: the plan matches the $n test lines"
grep -q '^ok [0-9]* - swap: swap is off$' "$tmp/out"
ok $? "--tap: a passing check is ok, with its message"

run "$root"
head -1 "$tmp/out" | grep -qE '^CHECK +RESULT MESSAGE$'
ok $? "table: header line"
grep -qE '^kernel-modules +PASS +overlay, br_netfilter loaded$' "$tmp/out"
ok $? "table: a row per check"
grep -qE '^[0-9]+ checks: [0-9]+ passed, 0 fixed, [0-9]+ warnings, [0-9]+ failed$' "$tmp/out"
ok $? "table: summary line"

find "$root" -printf '%p %s %T@\n' | sort | cmp -s - "$tmp/before"
ok $? "nothing in the root created or changed"

# A failure: exit 1, "not ok" with the hint.
put "$root/proc/swaps" 'Filename\tType\tSize\tUsed\tPriority\n/dev/sda3 partition 4194300 0 -2\n'
run "$root" --tap
is "$rc" 1 "swap on: exit 1"
grep -q '^not ok [0-9]* - swap: swap is on: /dev/sda3 (4.0 GiB)$' "$tmp/out"
ok $? "swap on: not ok in TAP"
grep -q "^# hint: run 'swapoff -a'" "$tmp/out"
ok $? "swap on: the hint as a TAP comment"
is "$(cat "$root/proc/swaps" | wc -l)" 2 "swap on: kilnctl turned nothing off"

# image.json: Kubernetes absent means no kubeadm or kubelet needed; no build time, a warning.
root=$(mkroot nok8s)
rm "$root/usr/bin/kubelet" "$root/usr/bin/kubeadm"
run "$root" --json
is "$(result binaries)" fail "Kubernetes present and no kubelet: binaries fail"
jq -r '.[] | select(.name == "binaries") | .message' "$tmp/out" | grep -q 'kubeadm, kubelet'
ok $? "... naming kubeadm and kubelet"
put "$root/usr/lib/kiln/image.json" '{"kubernetes": {"present": false}}\n'
run "$root" --json
is "$(result binaries)" pass "Kubernetes absent: binaries pass without kubelet"
is "$(result clock)" warn "no sourceDateEpoch: the clock is a warning"
rm "$root/usr/lib/kiln/image.json"
run "$root" --json
is "$(result binaries)" fail "no image.json: Kubernetes assumed present"
grep -q 'assuming Kubernetes is installed' "$tmp/err"
ok $? "no image.json: says what it assumes"
put "$root/usr/lib/kiln/image.json" '{"kubernetes": {"present": true}, "sourceDateEpoch": 4102444800}\n'
run "$root" --json
is "$(result clock)" fail "a build time in 2100: the clock fails"

# The role comes from the profile: a worker has one port and lower minimums.
root=$(mkroot worker)
put "$root/usr/lib/kiln/profile.yaml" 'schema: 1\nname: t\nbase:\n  suite: trixie\nkubernetes:\n  version: v1.31.4\n  controlPlaneEndpoint: cp.example.com\nnode:\n  role: worker\n'
put "$root/sys/devices/system/cpu/online" '0\n'
run "$root" --json
is "$(jq -r '[.[] | select(.name | startswith("port-")) | .name] | join(" ")' "$tmp/out")" port-10250 \
	"worker: port 10250 only"
is "$(result cpus)" pass "worker: one CPU is enough"

# Profile problems and usage errors.
rm "$root/usr/lib/kiln/profile.yaml"
run "$root"
is "$rc" 1 "no profile: exit 1"
grep -q "Failed to open the image's profile $root/usr/lib/kiln/profile.yaml" "$tmp/err"
ok $? "no profile: names the file"
put "$root/usr/lib/kiln/profile.yaml" 'schema: 1\nname: t\n'
run "$root"
is "$rc" 1 "invalid profile: exit 1"
grep -q "profile is not valid" "$tmp/err"
ok $? "invalid profile: says so"

run "$root" --json --tap
is "$rc" 2 "--json with --tap: exit 2"
run "$root" extra
is "$rc" 2 "a positional argument: exit 2"
run "$root" --fix
is "$rc" 2 "--fix is not an option: exit 2"
"$kilnctl" preflight --root= >/dev/null 2>&1
is $? 2 "an empty --root=: exit 2"
"$kilnctl" preflight --root="$tmp/missing" >/dev/null 2>&1
is $? 1 "a missing root: exit 1"
"$kilnctl" preflight --help >"$tmp/out" 2>&1
ok $? "--help: exit 0"
grep -q -- '--tap' "$tmp/out"
ok $? "--help lists --tap"

tap_done
