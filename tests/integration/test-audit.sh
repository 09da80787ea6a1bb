#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Integration: kilnctl audit against real containers, started by the host's containerd
# and runc from a busybox root (no image needed), in a containerd of the test's own:
#   - one container with containerd's default seccomp profile, one without: the auditor
#     reports the unconfined one (both its processes: the task and an exec) and not the
#     other, and exits 1; the kernel's view in --json is what /proc shows
#   - a container with a capability dropped: the spec's sets are what the kernel holds,
#     and the auditor reads them from the spec (not a constant)
#   - the same containers with an exception naming the unconfined one: "excepted" with
#     the reason, exit 0; a malformed exceptions file: reported with file:line:column,
#     exit 1, the unconfined container still a violation
#   - containerd stopped: "not audited", exit 1
# The supervisor and its helpers are audited in a booted machine by test-supervisor.sh.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/containerd.sh"

kilnctl=$KILN_BUILDDIR/supervisor/kilnctl
[[ -x $kilnctl ]] || bail "$kilnctl is not built"
[[ $(id -u) -eq 0 ]] || skip_all "containerd needs root"
for t in containerd ctr runc busybox python3; do
	command -v "$t" >/dev/null || skip_all "$t is not installed"
done
busybox=$(command -v busybox)
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || [[ ! -e /usr/bin/file ]] ||
	skip_all "$busybox is not statically linked (busybox-static)"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-audit-XXXXXX")
ns=kiln-audit-$$
ids=(confined plain nonet)
# Our containers by runc's own state (in $work/runc), so a test that failed half-way
# leaves nothing running even when containerd is gone.
remove_containers() {
	local id
	for id in "${ids[@]}"; do
		[[ -d $work/runc/$id ]] || continue
		runc --root "$work/runc" kill -a "$id" KILL >/dev/null 2>&1
		runc --root "$work/runc" delete -f "$id" >/dev/null 2>&1
	done
}
cleanup() {
	local id p
	remove_containers
	host_containerd_stop
	# Shims our containerd started outlive it: find them by our work directory.
	for p in /proc/[0-9]*; do
		grep -qsF "$work" "$p/cmdline" && kill -KILL "${p#/proc/}" 2>/dev/null
	done
	awk -v w="$work" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
	for id in "${ids[@]}"; do
		for p in /sys/fs/cgroup/"$ns"/"$id" /sys/fs/cgroup/*/"$ns"/"$id"; do
			[[ -d $p ]] && rmdir "$p" 2>/dev/null
		done
	done
	for p in /sys/fs/cgroup/"$ns" /sys/fs/cgroup/*/"$ns"; do [[ -d $p ]] && rmdir "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
sock=$work/ctd/containerd.sock

# A root of busybox alone: sleep is all the containers run.
mkdir -p "$work/rootfs/bin" "$work/rootfs/proc" "$work/rootfs/dev" "$work/rootfs/sys" "$work/rootfs/tmp"
cp "$busybox" "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sleep"

host_containerd_config "$work/ctd" "$work/ctd/root" --no-cri
host_containerd_start "$work/ctd" 30
ok $? "containerd answers on $sock" || { diag_tail "$work/ctd/containerd.log"; tap_done; exit 1; }

# runc's state in our work directory, not the host's /run/containerd/runc.
run() { timeout 60 ctr -a "$sock" -n "$ns" run -d --runc-root "$work/runc" --rootfs "$@"; }
run --seccomp "$work/rootfs" confined /bin/sleep 600 >/dev/null
ok $? "a container with containerd's default seccomp profile runs"
run "$work/rootfs" plain /bin/sleep 600 >/dev/null
ok $? "a container without one runs"
timeout 60 ctr -a "$sock" -n "$ns" tasks exec -d --exec-id second plain /bin/sleep 601 >/dev/null
ok $? "a second process is started in it (exec)"
run --seccomp --cap-drop CAP_NET_RAW "$work/rootfs" nonet /bin/sleep 600 >/dev/null
ok $? "a confined container without CAP_NET_RAW runs"

pid_of() { timeout 10 ctr -a "$sock" -n "$ns" tasks ls | awk -v id="$1" '$1 == id { print $2 }'; }
confined=$(pid_of confined) plain=$(pid_of plain) nonet=$(pid_of nonet)
# The exec'd process: the container's other pid, as containerd lists them.
exec_pid=$(timeout 10 ctr -a "$sock" -n "$ns" tasks ps plain | awk -v t="$plain" '$1 ~ /^[0-9]+$/ && $1 != t { print $1 }')
diag "task pids: confined $confined, plain $plain (exec $exec_pid), nonet $nonet"
is "$(awk '/^Seccomp:/ { print $2 }' "/proc/$confined/status")/$(awk '/^Seccomp:/ { print $2 }' "/proc/$plain/status")" \
	"2/0" "the kernel shows the confined task filtered (2) and the other not (0)"

audit() { "$kilnctl" audit --no-node --containerd-socket="$sock" "$@"; }

# --- no exception: the unconfined container is reported, the confined ones are not.
tap=$(audit --exceptions="$work/none.yaml" --tap)
is $? 1 "kilnctl audit exits 1: a container runs unconfined"
sed "s|^|# |" <<<"$tap"
grep -qx "ok [0-9]* - container $ns/confined (pid $confined): Seccomp filter, NoNewPrivs 1, CapEff .*" <<<"$tap"
ok $? "the confined container passes"
grep -qx "ok [0-9]* - container $ns/nonet (pid $nonet): Seccomp filter, .*" <<<"$tap"
ok $? "so does the one without CAP_NET_RAW"
grep -qx "not ok [0-9]* - container $ns/plain (pid $plain): Seccomp disabled, .*" <<<"$tap"
ok $? "the unconfined task is a violation"
grep -qx "not ok [0-9]* - container $ns/plain (pid $exec_pid): Seccomp disabled, .*" <<<"$tap"
ok $? "and so is the process exec'd into it"
grep -qx "# Seccomp is disabled (unconfined), and no exception declares it" <<<"$tap"
ok $? "with the reason"
is "$(grep -c '^not ok' <<<"$tap")" 2 "two violations, nothing else"

json=$(audit --exceptions="$work/none.yaml" --json)
is $? 1 "--json exits 1 too"
check "the JSON's kernel view is /proc's own, for every process" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["violations"] == 2 and d["notAudited"] == [], d
assert len(d["processes"]) == 4, len(d["processes"])
for p in d["processes"]:
    st = dict(l.split(":\t", 1) for l in open("/proc/%d/status" % p["pid"]).read().splitlines() if ":\t" in l)
    for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert p["kernel"][k] == st[k].strip(), (p["name"], k, p["kernel"][k], st[k])
    assert p["kernel"]["Seccomp"] == {"0": "disabled", "2": "filter"}[st["Seccomp"].strip()]
' "$json"
check "CAP_NET_RAW (13) is out of nonet's spec and of its kernel sets; in the others'" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert len(d["processes"]) == 4, len(d["processes"])
bit = 1 << 13
for p in d["processes"]:
    dropped = p["name"].endswith("/nonet")
    for s in ("effective", "bounding"):
        assert bool(int(p["declared"][s], 16) & bit) != dropped, (p["name"], s)
    assert bool(int(p["kernel"]["CapEff"], 16) & bit) != dropped, p["name"]
' "$json"

# --- the exception, with its reason.
cat >"$work/exceptions.yaml" <<EOF2
unconfined:
  - container: "$ns/pla*"
    reason: "a test container run without a profile on purpose"
EOF2
table=$(audit --exceptions="$work/exceptions.yaml")
is $? 0 "with an exception naming it: exit 0"
sed "s|^|# |" <<<"$table"
[[ $(grep -cE "excepted +$ns/plain\$" <<<"$table") == 2 ]]
ok $? "both its processes are \"excepted\""
grep -q "unconfined by exception: a test container run without a profile on purpose" <<<"$table"
ok $? "with the reason"
grep -q "^4 processes: 2 as declared, 2 unconfined by declared exception, 0 violations; 0 sources not audited$" <<<"$table"
ok $? "the summary counts them"

printf 'unconfined:\n  - container: "*"\n    reason: "all"\n' >"$work/bad.yaml"
out=$(audit --exceptions="$work/bad.yaml" --tap)
is $? 1 "a malformed exceptions file: exit 1"
grep -q "not audited: $work/bad.yaml:2:16: unconfined\[0\].container: invalid container pattern '\*'" <<<"$out"
ok $? "reported with file:line:column" || diag "$out"
grep -q "^not ok [0-9]* - container $ns/plain" <<<"$out"
ok $? "and no exception applies: the unconfined container is still a violation"

# --- containerd gone.
for id in "${ids[@]}"; do
	timeout 20 ctr -a "$sock" -n "$ns" tasks kill -a -s KILL "$id" >/dev/null
done
wait_for 20 eval '[[ -z $(timeout 5 ctr -a "$sock" -n "$ns" tasks ls -q) ]] || ! timeout 5 ctr -a "$sock" -n "$ns" tasks ls | grep -q RUNNING'
for id in "${ids[@]}"; do
	timeout 20 ctr -a "$sock" -n "$ns" tasks rm -f "$id" >/dev/null
	timeout 20 ctr -a "$sock" -n "$ns" containers rm "$id" >/dev/null
done
is "$(timeout 10 ctr -a "$sock" -n "$ns" containers ls -q)" "" "the containers are removed"
host_containerd_stop 20
out=$(audit --tap)
is $? 1 "containerd stopped: exit 1"
grep -q "^not ok 1 - not audited: containerd on $sock does not list its namespaces" <<<"$out"
ok $? "\"not audited\", with the socket" || diag "$out"

tap_done
