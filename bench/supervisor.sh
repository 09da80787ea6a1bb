#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: what kiln-supervisor costs the node. In a Debian trixie machine booted with
# systemd-nspawn -b (real systemd, D-Bus, journald, containerd; kiln installed as an image
# has it, see tests/lib/supervisor-machine.sh), one run measures:
#
#   a. Overhead to ready, N first boots (state removed before each): the time from the
#      process's start (main(); the supervisor logs KILN_READY_USEC at READY=1) to
#      READY=1, minus the time it spent waiting on containerd (KILN_CONTAINERD_WAIT_USEC:
#      the runtime phase's start job, then the CRI probes until containerd answered).
#      Goal: under 50 ms. Also shown, systemd's view of the same: from the fork of the
#      unit's process (ExecMainStartTimestampMonotonic) to READY=1
#      (ActiveEnterTimestampMonotonic) minus the same wait; the difference is what systemd
#      spends setting up the unit's process (its sandbox, then exec) before main().
#      Baseline, booted in turn with the same machine: the least a unit can do for the
#      same promise, a Type=notify shell script that starts containerd through systemctl,
#      polls "ctr version" every 50 ms and then sends READY=1 (no preflight, no state,
#      no watch, no sandbox). Its overhead: from its first line to READY=1, minus its
#      containerd wait; and systemd's view likewise.
#   b. Idle footprint: after the last boot, the supervisor watching for IDLE seconds
#      (default 600): RSS (VmRSS at the end, VmHWM the peak) and PSS, wakeups per second
#      (voluntary + involuntary context switches of all its threads), CPU time of the
#      process and of the children it reaped. Goals: RSS at most 8 MiB, at most 1
#      wakeup/s. Side by side in the same window: systemd-logind and systemd-journald of
#      the same machine, two sd-event daemons of systemd at rest.
# Nothing is queried from the supervisor during the idle window (kilnctl would wake it).
#
#   sudo bench/supervisor.sh        KILN_BUILDDIR (default ./build) has kiln-supervisor
# Environment: KILN_BUILDDIR, KILN_BENCH_RUNS (N boots of each, default 3),
# KILN_BENCH_IDLE (seconds of idle watching, default 600), KILN_BENCH_MIRROR (for the
# machine's root file system, default the host's Debian mirror), KILN_BENCH_TMPDIR
# (default /var/tmp), KILN_BENCH_QUIET_WAIT (default 180).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init supervisor

RUNS=${KILN_BENCH_RUNS:-3}
IDLE=${KILN_BENCH_IDLE:-600}
W=$BENCH_WORK
for t in systemd-nspawn mmdebstrap script nsenter python3; do
	command -v "$t" >/dev/null || bench_die "$t is not installed (tools/install-deps)"
done
ldd "$BENCH_BUILDDIR/supervisor/kiln-supervisor" 2>/dev/null | grep -q 'libasan\|libubsan' &&
	bench_die "$BENCH_BUILDDIR is a sanitizer build: its binaries cannot run in the machine"

# The test helpers: the machine's root file system (cached in the build tree), nspawn.
export KILN_SRCDIR=$BENCH_SRCDIR KILN_BUILDDIR=$BENCH_BUILDDIR
mirror=$(bench_mirror)
source "$BENCH_SRCDIR/tests/lib/rootfs.sh"
host_apt_mirror() { echo "$mirror"; }   # KILN_BENCH_MIRROR wins over the host's
source "$BENCH_SRCDIR/tests/lib/nspawn.sh"
source "$BENCH_SRCDIR/tests/lib/supervisor-machine.sh"
bench_cleanup_extra() { machine_stop; }

echo "kiln-supervisor benchmark: overhead to READY=1 and idle footprint, in a systemd-nspawn machine"
bench_wait_quiet
echo "  $(bench_host_note)"
tar=$(supervisor_machine_tar) || bench_die "cannot build the machine's root file system with mmdebstrap"
R=$W/root
mkdir -p "$R" && tar -C "$R" -xf "$tar" || bench_die "cannot extract $tar"
supervisor_machine_prepare "$R" "$SUPERVISOR_MACHINE_IGNORE" || bench_die "cannot install kiln into the machine"

# The baseline unit (installed, enabled only for its own boots).
install -D -m 0755 /dev/stdin "$R/usr/local/libexec/bench-baseline" <<'EOF'
#!/bin/sh
# The least a unit does for "containerd is up": start it, poll until it answers, READY=1.
# Its wait for containerd is all it does: the two spans share their start.
t0=$(date +%s%N)
systemctl start containerd.service || exit 1
until ctr version >/dev/null 2>&1; do sleep 0.05; done
echo $(( ($(date +%s%N) - t0) / 1000 )) >/run/bench-baseline.wait-usec
echo $(( ($(date +%s%N) - t0) / 1000 )) >/run/bench-baseline.ready-usec
systemd-notify --ready
exec sleep infinity
EOF
cat >"$R/etc/systemd/system/bench-baseline.service" <<'EOF'
[Unit]
Description=kiln benchmark baseline: start containerd, wait until it answers, READY=1
After=local-fs.target dbus.service

[Service]
Type=notify
NotifyAccess=all
ExecStart=/usr/local/libexec/bench-baseline
EOF
kiln_link=$R/etc/systemd/system/multi-user.target.wants/kiln-supervisor.service
base_link=$R/etc/systemd/system/multi-user.target.wants/bench-baseline.service

# enable kiln|baseline: the other one is not started at boot.
enable() {
	rm -f "$kiln_link" "$base_link"
	if [[ $1 == kiln ]]; then
		ln -s /usr/lib/systemd/system/kiln-supervisor.service "$kiln_link"
	else
		ln -s /etc/systemd/system/bench-baseline.service "$base_link"
	fi
	# A first boot each time: no state, no journal of earlier boots.
	rm -rf "$R/var/lib/kiln" "$R/var/log/journal"/*
}

boot() {
	: >"$W/kmsg"
	MACHINE_BOOT_TIMEOUT=120 machine_boot "$R" "${SUPERVISOR_MACHINE_NSPAWN_ARGS[@]}" \
		--bind="$W/kmsg:/dev/kmsg" >"$W/boot.log" 2>&1 || { cat "$W/boot.log"; return 1; }
}
inside() { machine_exec "$@"; }
# unit_times UNIT: sets fork_usec (the main process's fork) and unit (READY=1, i.e.
# active, minus that), CLOCK_MONOTONIC µs from one systemctl call.
unit_times() {
	local key value active=0
	fork_usec=0
	while IFS== read -r key value; do
		case $key in
		ExecMainStartTimestampMonotonic) fork_usec=$value ;;
		ActiveEnterTimestampMonotonic) active=$value ;;
		esac
	done < <(inside systemctl show -p ExecMainStartTimestampMonotonic -p ActiveEnterTimestampMonotonic "$1")
	((fork_usec > 0 && active >= fork_usec)) && unit=$((active - fork_usec))
}
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }

declare -a kiln_own=() kiln_unit=() kiln_wait=() base_own=() base_unit=() base_wait=()
for ((i = 1; i <= RUNS; i++)); do
	bench_wait_quiet
	enable kiln
	boot || bench_die "the machine with kiln-supervisor did not boot"
	unit_times kiln-supervisor.service || bench_die "kiln-supervisor.service did not become active"
	read -r ready wait < <(inside journalctl -b -o json --no-pager -u kiln-supervisor.service KILN_PHASE=ready |
		python3 -c 'import json, sys
for l in sys.stdin:
    e = json.loads(l)
    if "KILN_READY_USEC" in e:
        print(e["KILN_READY_USEC"], e["KILN_CONTAINERD_WAIT_USEC"])
        break')
	[[ -n ${ready:-} ]] || bench_die "kiln-supervisor logged no KILN_READY_USEC"
	# Where the time went: each phase's start and span (state.json, realtime µs) placed on
	# the monotonic clock of the unit's timestamps (one kernel: the host's offset between
	# the two clocks is the machine's), in ms after the fork.
	phases=$(inside cat /var/lib/kiln/state.json | python3 -c 'import json, sys, time
start = int(sys.argv[1])
offset = time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000 - time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
p = json.load(sys.stdin)["phases"]
span = lambda n: max(p[n]["finishedUsec"] - p[n]["startedUsec"], 0)
print(" ".join("%s@%.1f+%.1f" % (n, (p[n]["startedUsec"] - offset - start) / 1000, span(n) / 1000)
               for n in p if p[n]["startedUsec"] > 0))' "$fork_usec")
	kiln_own+=($((ready - wait))) kiln_unit+=($((unit - wait))) kiln_wait+=("$wait")
	echo "  run $i kiln:     READY=1 $(ms "$ready") ms after main() ($(ms "$unit") ms after the fork)," \
		"containerd wait $(ms "$wait") ms: own overhead $(ms $((ready - wait))) ms, with systemd's set-up $(ms $((unit - wait))) ms"
	echo "    phases run (name@ms after the fork+ms taken): $phases"
	machine_stop

	enable baseline
	boot || bench_die "the machine with the baseline unit did not boot"
	unit_times bench-baseline.service || bench_die "bench-baseline.service did not become active"
	wait=$(inside cat /run/bench-baseline.wait-usec) && ready=$(inside cat /run/bench-baseline.ready-usec) ||
		bench_die "the baseline did not record its times"
	base_own+=($((ready - wait))) base_unit+=($((unit - wait))) base_wait+=("$wait")
	echo "  run $i baseline: READY=1 $(ms "$ready") ms after its start ($(ms "$unit") ms after the fork)," \
		"containerd wait $(ms "$wait") ms: own overhead $(ms $((ready - wait))) ms, with systemd's set-up $(ms $((unit - wait))) ms"
	machine_stop
done

med_ms() { local v=() x; for x in "$@"; do v+=("$(ms "$x")"); done; bench_median "${v[@]}"; }
k_own=$(med_ms "${kiln_own[@]}") k_unit=$(med_ms "${kiln_unit[@]}")
b_own=$(med_ms "${base_own[@]}") b_unit=$(med_ms "${base_unit[@]}")
echo "overhead to READY=1 without the containerd wait (medians of $RUNS first boots):"
echo "  kiln-supervisor: own $k_own ms (goal < 50 ms: $(bench_goal "$(bench_ratio "$k_own" 50)" 0.999)); with systemd's set-up of the unit $k_unit ms"
echo "  baseline:        own $b_own ms; with systemd's set-up $b_unit ms"
echo "  kiln / baseline: own $(bench_ratio "$k_own" "$b_own"), with set-up $(bench_ratio "$k_unit" "$b_unit")"

# ---- Idle footprint.
enable kiln
boot || bench_die "the machine with kiln-supervisor did not boot"
sup=$(descendant_named "$MACHINE_LEADER" kiln-supervisor)
logind=$(descendant_named "$MACHINE_LEADER" systemd-logind)
journald=$(descendant_named "$MACHINE_LEADER" systemd-journal)
[[ -n $sup && -n $logind && -n $journald ]] || bench_die "cannot find the processes to watch"

# sample PID: "wakeups cpu_ns children_ticks rss_kb hwm_kb pss_kb"
sample() {
	local pid=$1 t sw=0 cpu=0 v
	for t in /proc/"$pid"/task/*; do
		v=$(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { s += $2 } END { print s }' "$t/status")
		sw=$((sw + v))
		read -r v _ <"$t/schedstat"
		cpu=$((cpu + v))
	done
	local stat; stat=$(sed 's/^.*) //' "/proc/$pid/stat")
	local -a f; read -ra f <<<"$stat"
	# After "comm)": field 3 is index 0, so cutime (16) and cstime (17) are 13 and 14.
	echo "$sw $cpu $((f[13] + f[14])) $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")" \
		"$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status") $(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup")"
}
declare -A first=() last=()
for p in sup logind journald; do first[$p]=$(sample "${!p}"); done
t0=$EPOCHREALTIME
echo "idle: watching for $IDLE s (kiln-supervisor pid $sup, ready; nothing asks it anything meanwhile)"
deadline=$((SECONDS + IDLE))
while ((SECONDS < deadline)); do
	kill -0 "$sup" 2>/dev/null || bench_die "kiln-supervisor ($sup) exited during the idle window"
	sleep 5
done
for p in sup logind journald; do last[$p]=$(sample "${!p}"); done
secs=$(bench_secs "$t0")
tick=$(getconf CLK_TCK)
report() {
	local name=$1 a b
	read -ra a <<<"${first[$2]}"; read -ra b <<<"${last[$2]}"
	awk -v n="$name" -v s="$secs" -v w=$((b[0] - a[0])) -v c=$((b[1] - a[1])) -v ch=$((b[2] - a[2])) \
		-v tick="$tick" -v rss="${b[3]}" -v hwm="${b[4]}" -v pss="${b[5]}" 'BEGIN {
		printf "  %-17s RSS %5.2f MiB (peak %5.2f, PSS %5.2f)  wakeups %6.3f/s  CPU %7.1f ms (children %.0f ms)\n",
			n, rss / 1024, hwm / 1024, pss / 1024, w / s, c / 1e6, ch * 1000 / tick }'
}
echo "idle footprint over $secs s:"
report kiln-supervisor sup
report systemd-logind logind
report systemd-journald journald
read -ra a <<<"${first[sup]}"; read -ra b <<<"${last[sup]}"
rss_mib=$(awk -v k="${b[3]}" 'BEGIN { printf "%.2f", k / 1024 }')
wake=$(awk -v w=$((b[0] - a[0])) -v s="$secs" 'BEGIN { printf "%.3f", w / s }')
read -ra l1 <<<"${first[logind]}"; read -ra l2 <<<"${last[logind]}"
lwake=$(awk -v w=$((l2[0] - l1[0])) -v s="$secs" 'BEGIN { printf "%.3f", w / s }')
echo "  kiln RSS / goal 8 MiB: $(bench_ratio "$rss_mib" 8) ($(bench_goal "$(bench_ratio "$rss_mib" 8)" 1));" \
	"wakeups / goal 1/s: $(bench_ratio "$wake" 1) ($(bench_goal "$wake" 1));" \
	"kiln / logind: RSS $(bench_ratio "${b[3]}" "${l2[3]}"), wakeups $(bench_ratio "$wake" "$lwake")"
echo "  $(bench_host_note)"
