#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: kilnctl audit's cost against what an operator would run to list the same
# containers. N busybox containers (half with containerd's default seccomp profile, half
# without) in a containerd of its own; then, interleaved in one run, R times each:
#   kilnctl audit --no-node --json   every process of every task: containerd's records,
#                                    the OCI spec, /proc/PID/status, the verdicts
#   ctr tasks ls                     the baseline: containerd's Go client listing the tasks
# Prints the medians and their ratio, and the containers by seccomp mode as the audit saw
# them. The supervisor runs the audit every 5 minutes: the figure says what that costs.
#
#   sudo bench/audit.sh          KILN_BUILDDIR (default ./build), KILN_BENCH_CONTAINERS (N, 10),
#                                KILN_BENCH_RUNS (R, 50)
set -euo pipefail
cd "$(dirname "$0")/.."
export KILN_SRCDIR=$PWD
build=${KILN_BUILDDIR:-build}
n=${KILN_BENCH_CONTAINERS:-10}
runs=${KILN_BENCH_RUNS:-50}
[[ $(id -u) -eq 0 ]] || { echo "bench/audit.sh: needs root" >&2; exit 1; }
kilnctl=$(realpath "$build")/supervisor/kilnctl
[[ -x $kilnctl ]] || { echo "bench/audit.sh: $kilnctl is not built" >&2; exit 1; }
source tests/lib/containerd.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-audit-XXXXXX")
ns=kiln-bench-$$
sock=$work/ctd/containerd.sock
cleanup() {
	local id
	for ((i = 0; i < n; i++)); do
		id=c$i
		[[ -d $work/runc/$id ]] || continue
		runc --root "$work/runc" kill -a "$id" KILL >/dev/null 2>&1 || true
		runc --root "$work/runc" delete -f "$id" >/dev/null 2>&1 || true
	done
	host_containerd_stop || true
	for p in /proc/[0-9]*; do
		grep -qsF "$work" "$p/cmdline" && kill -KILL "${p#/proc/}" 2>/dev/null || true
	done
	for d in /sys/fs/cgroup/"$ns" /sys/fs/cgroup/*/"$ns"; do
		[[ -d $d ]] || continue
		rmdir "$d"/*/ "$d" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/proc" "$work/rootfs/dev" "$work/rootfs/sys"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sleep"
host_containerd_config "$work/ctd" "$work/ctd/root" --no-cri
host_containerd_start "$work/ctd" 30
for ((i = 0; i < n; i++)); do
	seccomp=; ((i % 2 == 0)) && seccomp=--seccomp
	ctr -a "$sock" -n "$ns" run -d --runc-root "$work/runc" --rootfs $seccomp "$work/rootfs" "c$i" /bin/sleep 3600 >/dev/null
done

now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$work/audit" >"$work/ctr"
for ((r = 0; r < runs; r++)); do
	# Exit 1: the unconfined half are violations, as they should be; anything else stops.
	t0=$(now); rc=0; "$kilnctl" audit --no-node --containerd-socket="$sock" --exceptions=/dev/null --json >/dev/null || rc=$?
	t1=$(now); ((rc <= 1)) || { echo "bench/audit.sh: kilnctl audit exited $rc" >&2; exit 1; }; ctr -a "$sock" -n "$ns" tasks ls >/dev/null
	t2=$(now)
	echo $(((t1 - t0) / 1000)) >>"$work/audit"
	echo $(((t2 - t1) / 1000)) >>"$work/ctr"
done
a=$(median <"$work/audit") c=$(median <"$work/ctr")
json=$("$kilnctl" audit --no-node --containerd-socket="$sock" --exceptions=/dev/null --json || true)
echo "== kilnctl audit of $n containers ($runs runs each, interleaved; medians)"
printf '%-34s %10s\n' "kilnctl audit --no-node --json" "$a us"
printf '%-34s %10s\n' "ctr tasks ls (baseline)" "$c us"
awk -v a="$a" -v c="$c" 'BEGIN { printf "ratio audit/ctr: %.2f\n", a / c }'
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
modes = {}
for p in d["processes"]:
    modes[p["kernel"]["Seccomp"]] = modes.get(p["kernel"]["Seccomp"], 0) + 1
print("container processes by Seccomp mode:", ", ".join("%s %d" % kv for kv in sorted(modes.items())),
      "; violations:", d["violations"])
' "$json"
