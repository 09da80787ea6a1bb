# SPDX-License-Identifier: LGPL-2.1-or-later
# QEMU (TCG) virtual machines for the boot tests: started in the background with the serial
# console in a log file, waited on by a regular expression in that log, always stopped.
# Source after tap.sh (bash). Several VMs can run at once, each under a NAME; at most
# QEMU_MAX_RUNNING (2: TCG is CPU-bound) are allowed at the same time.
#
#   qemu_check                       fails with a reason on stdout if QEMU or OVMF is missing
#   qemu_start NAME IMAGE [OPTIONS...] [-- QEMU-ARGS...]
#                                    IMAGE is raw, or qcow2 if its name ends in .qcow2;
#                                    "none": no disk (a network boot)
#       --firmware=uefi|bios         OVMF (/usr/share/ovmf/OVMF.fd) or SeaBIOS (default: bios)
#       --mac=MAC                    a virtio NIC with that MAC on a user-mode network with
#                                    restrict=on (nothing leaves the host); default: no NIC
#       --grow=SIZE                  boot a sparse copy of IMAGE enlarged by SIZE (truncate(1)
#                                    sizes: 2G, 512M; raw images only); the copy is deleted by
#                                    qemu_stop
#       --ssh-port=PORT              with --mac: 127.0.0.1:PORT on the host is the guest's
#                                    port 22 (user networking's hostfwd)
#       --extra-disk=SIZE            a second, empty virtio disk of SIZE (sparse, deleted too)
#       --persist                    write to IMAGE (default: -snapshot, nothing written back)
#   QEMU_RETRY_EARLY_PANIC=1         qemu_wait and qemu_wait_all boot a VM again, once per
#                                    start, when its guest kernel panicked before /init or in
#                                    a VM that writes nothing back (no --persist: a new boot
#                                    is its first again; TCG's rare Oops in code the kernel
#                                    patches at run time, "int3"), or had not run /init
#                                    QEMU_INIT_TIMEOUT s after QEMU started (a stall of the
#                                    emulator: 10-30 s is usual)
#   qemu_wait NAME REGEX TIMEOUT     wait until a line of the serial log matches (grep -E);
#                                    sets QEMU_MATCH (the line, without CR) and QEMU_ELAPSED
#                                    (seconds since the VM started, one decimal); fails at
#                                    the timeout or when QEMU exits first
#   qemu_wait_all TIMEOUT REGEX NAME...
#                                    the same for several VMs at once, each timed when its
#                                    line appears: sets QEMU_LINE[NAME] and QEMU_AT[NAME]
#                                    (empty for a VM that did not get there); fails unless
#                                    every VM got there
#   qemu_booted NAME ROOT TIMEOUT DESCRIPTION
#                                    one TAP check: NAME printed KILN-BOOTED with the image
#                                    root ROOT within TIMEOUT (DESCRIPTION gets the time);
#                                    returns its result
#   qemu_grep NAME REGEX             print the serial log's lines matching REGEX (no CR)
#   qemu_panicked NAME               true if the guest kernel panicked (the waits above give
#                                    up on a VM at once then); prints the Oops and panic
#                                    lines; sets QEMU_PANIC_EARLY=1 if that was before the
#                                    kernel ran /init (the guest had written nothing to its
#                                    disks yet), else 0
#   qemu_log NAME                    the serial log's path (kept until qemu_cleanup)
#   qemu_log_tail NAME [N]           TAP diagnostics: the last N (default 8) lines of the
#                                    serial log, without CR and terminal escapes (printed
#                                    by every wait that gives up on a VM, so that a CI log
#                                    shows where the guest was)
#   qemu_before_init NAME            true if the guest kernel has not run /init yet (its
#                                    serial log has no "Run /init as init process")
#   qemu_cut NAME REGEX TIMEOUT [DELAY]
#                                    cut the power: wait (polling every 0.05 s) until a line
#                                    of the serial log matches, wait DELAY more seconds
#                                    (default 0), then SIGKILL QEMU itself (no ACPI, no flush
#                                    of the guest's caches); sets QEMU_MATCH, QEMU_ELAPSED (when
#                                    the line was seen) and QEMU_CUT_AT (when QEMU was killed).
#                                    The VM is stopped in any case; fails if the line did not
#                                    appear within TIMEOUT or QEMU exited before the cut
#   qemu_cut_all TIMEOUT DELAY NAME REGEX [NAME REGEX...]
#                                    the same for several VMs at once, each cut when its own
#                                    line appears (plus DELAY): sets QEMU_LINE[NAME],
#                                    QEMU_AT[NAME] and QEMU_CUT[NAME] (when it was killed;
#                                    empty if it was not); fails unless every VM was cut
#   qemu_power_cut NAME              SIGKILL QEMU now (the same cut, without waiting); sets
#                                    QEMU_CUT_AT
#   qemu_stop NAME [GRACE]           stop the VM: with GRACE seconds, ask the guest to power
#                                    off first (ACPI power button) and wait that long; then
#                                    SIGTERM, then SIGKILL. Fails only if it was given GRACE
#                                    and did not power off by itself in that time.
#   qemu_cleanup                     stop every VM and delete the work directory: installed
#                                    as the EXIT trap by the first qemu_start unless there is
#                                    one (then that trap must call qemu_cleanup); INT and TERM
#                                    exit, so that the EXIT trap runs
#   qemu_keep_logs DIR               copy every VM's serial and QEMU log into DIR
#
# A NAME can be started again once it was stopped; the earlier run's logs are kept next to
# the new ones (serial.log.1, ...).
#
# Every VM also has a lifetime bound (QEMU_LIFETIME, default 900 s) enforced by timeout(1)
# in the test's process group, so that nothing outlives a killed test for long.

QEMU_BIN=${QEMU_BIN:-qemu-system-x86_64}
QEMU_OVMF=${QEMU_OVMF:-/usr/share/ovmf/OVMF.fd}
QEMU_MAX_RUNNING=${QEMU_MAX_RUNNING:-2}
QEMU_LIFETIME=${QEMU_LIFETIME:-900}
# 2 GiB: kubeadm (and kiln's preflight) want 1700 MB on a control plane.
QEMU_MEMORY=${QEMU_MEMORY:-2048}
QEMU_WORKDIR=
declare -A QEMU_PID=() QEMU_DIR=() QEMU_T0=() QEMU_LINE=() QEMU_AT=() QEMU_CUT=() QEMU_ARGS=() QEMU_RETRIED=()
# 1: qemu_wait and qemu_wait_all boot a VM again, once, when its guest kernel panicked
# before it ran /init (the TCG int3 race: nothing was written to its disks yet but the
# boot counter), or at any point in a VM that writes nothing back (the same race, seen
# once in systemd's first seconds of a diskless PXE boot), instead of giving up on it.
QEMU_RETRY_EARLY_PANIC=${QEMU_RETRY_EARLY_PANIC:-0}
# Seconds from QEMU's start by which a guest kernel has run /init, even with two TCG VMs
# on a loaded host (OVMF, systemd-boot and the kernel's own start: 10-30 s). Later than
# that the emulator has stalled: seen once in a CI run, a VM whose first systemd line had
# not appeared after 240 s while its twin booted.
QEMU_INIT_TIMEOUT=${QEMU_INIT_TIMEOUT:-150}
# The shell that started each VM's timeout(1) and monitor drain, and the drain's pid.
declare -A QEMU_PARENT=() QEMU_DRAIN=()
QEMU_MATCH=
QEMU_ELAPSED=
QEMU_CUT_AT=
QEMU_PANIC_EARLY=

qemu_check() {
	command -v "$QEMU_BIN" >/dev/null || { echo "$QEMU_BIN is not installed"; return 1; }
	[[ -r $QEMU_OVMF ]] || { echo "OVMF ($QEMU_OVMF) is not installed"; return 1; }
	command -v timeout >/dev/null || { echo "timeout(1) is missing"; return 1; }
	return 0
}

# Whether PID is still the process PARENT started and has not reaped: bash reaps its
# background children by itself, and on a busy machine their pids are soon handed to
# other processes (the pid space here wraps within minutes), so a pid that is only
# remembered must never be signalled unchecked: it may be another test's VM by now.
_qemu_ours() {
	local pid=$1 parent=$2 state ppid rest
	[[ $pid =~ ^[0-9]+$ && -n $parent ]] || return 1
	read -r _ _ state ppid rest 2>/dev/null <"/proc/$pid/stat" || return 1
	[[ $ppid == "$parent" && $state != Z ]]
}

qemu_running() { _qemu_ours "${QEMU_PID[$1]:-}" "${QEMU_PARENT[$1]:-}"; }

qemu_log() { echo "${QEMU_DIR[$1]}/serial.log"; }

qemu_start() {
	local name=$1 image=$2 saved
	saved=$(printf '%q ' "$@")
	shift 2
	local firmware=bios mac='' grow='' extra='' persist=0 ssh_port='' a n=0
	local -a args=()
	while (($#)); do
		case $1 in
			--firmware=*) firmware=${1#*=} ;;
			--mac=*) mac=${1#*=} ;;
			--grow=*) grow=${1#*=} ;;
			--extra-disk=*) extra=${1#*=} ;;
			--ssh-port=*) ssh_port=${1#*=} ;;
			--persist) persist=1 ;;
			--) shift; args=("$@"); break ;;
			*) diag "qemu_start: unknown option $1"; return 2 ;;
		esac
		shift
	done
	[[ -z ${QEMU_PID[$name]:-} ]] || { diag "qemu_start: a VM named $name exists already"; return 2; }
	for a in "${!QEMU_PID[@]}"; do
		qemu_running "$a" && n=$((n + 1))
	done
	((n < QEMU_MAX_RUNNING)) || { diag "qemu_start: $n VMs are running already (QEMU_MAX_RUNNING)"; return 2; }
	[[ $image == none || -r $image ]] || { diag "qemu_start: no image $image"; return 2; }

	if [[ -z $QEMU_WORKDIR ]]; then
		QEMU_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/kiln-qemu-XXXXXX") || return 1
		# A test with an EXIT trap of its own calls qemu_cleanup from it.
		[[ -n $(trap -p EXIT) ]] || trap qemu_cleanup EXIT
		[[ -n $(trap -p INT) ]] || trap 'exit 130' INT
		[[ -n $(trap -p TERM) ]] || trap 'exit 143' TERM
	fi
	local dir=$QEMU_WORKDIR/$name try=1 f
	mkdir -p "$dir" || return 1
	if [[ -e $dir/serial.log ]]; then	# an earlier run of this NAME: keep its logs
		while [[ -e $dir/serial.log.$try ]]; do try=$((try + 1)); done
		for f in serial.log qemu.out cmdline monitor.log; do
			[[ -e $dir/$f ]] && mv "$dir/$f" "$dir/$f.$try"
		done
		rm -f "$dir/monitor.in" "$dir/monitor.out" "$dir/qemu.pid"
	fi
	QEMU_DIR[$name]=$dir
	QEMU_ARGS[$name]=$saved
	QEMU_RETRIED[$name]=

	# shellcheck disable=SC2054 # the commas are QEMU's
	local -a cmd=("$QEMU_BIN" -machine q35 -accel tcg,tb-size=256 -smp 2 -m "$QEMU_MEMORY"
		-display none -no-reboot -serial "file:$dir/serial.log"
		-monitor "pipe:$dir/monitor" -pidfile "$dir/qemu.pid")
	case $firmware in
		uefi) cmd+=(-bios "$QEMU_OVMF") ;;
		bios) ;;
		*) diag "qemu_start: firmware must be uefi or bios, not $firmware"; return 2 ;;
	esac
	if [[ -n $grow ]]; then
		cp --sparse=always "$image" "$dir/disk.raw" && truncate -s "+$grow" "$dir/disk.raw" || return 1
		image=$dir/disk.raw
	fi
	local format=raw
	[[ $image == *.qcow2 ]] && format=qcow2
	[[ $format == raw || -z $grow ]] || { diag "qemu_start: --grow needs a raw image"; return 2; }
	if [[ $image != none ]]; then
		cmd+=(-drive "file=$image,format=$format,if=virtio")
		((persist)) || cmd+=(-snapshot)
	fi
	if [[ -n $extra ]]; then
		truncate -s "$extra" "$dir/extra.raw" || return 1
		cmd+=(-drive "file=$dir/extra.raw,format=raw,if=virtio")
	fi
	if [[ -n $mac ]]; then
		cmd+=(-nic "user,model=virtio-net-pci,mac=$mac,restrict=on${ssh_port:+,hostfwd=tcp:127.0.0.1:$ssh_port-:22}")
	else
		cmd+=(-nic none)
	fi
	cmd+=("${args[@]}")

	# The monitor's pipes: QEMU opens them read-write, so neither side blocks on open.
	mkfifo "$dir/monitor.in" "$dir/monitor.out" || return 1
	: >"$dir/serial.log"
	printf '%q ' "${cmd[@]}" >"$dir/cmdline"
	# --foreground keeps QEMU in this process group, so that whoever kills the test's
	# group kills the VMs too.
	timeout --foreground -k 10 "$QEMU_LIFETIME" "${cmd[@]}" </dev/null >"$dir/qemu.out" 2>&1 &
	QEMU_PID[$name]=$!
	QEMU_PARENT[$name]=$BASHPID
	QEMU_T0[$name]=$EPOCHREALTIME
	# Drain the monitor's output, so that QEMU never blocks writing to it. It ends by
	# itself when QEMU exits (the FIFO's last writer is gone).
	cat "$dir/monitor.out" >"$dir/monitor.log" 2>/dev/null &
	QEMU_DRAIN[$name]=$!
	diag "VM $name: $firmware, pid ${QEMU_PID[$name]}, serial log $dir/serial.log"
}

qemu_elapsed() {	# seconds since NAME started, one decimal
	local now=${EPOCHREALTIME/./} t0=${QEMU_T0[$1]/./}
	local d=$(((now - t0) / 100000))
	echo "$((d / 10)).$((d % 10))"
}

qemu_booted() {
	local name=$1 root=$2 timeout=$3 what=$4 got
	if qemu_wait "$name" 'KILN-BOOTED' "$timeout"; then
		got="KILN-BOOTED${QEMU_MATCH#*KILN-BOOTED}"
		[[ $got == "KILN-BOOTED "*" $root"* ]]
		ok $? "$what ($QEMU_ELAPSED s, root $root)" || diag "$name: $got"
	else
		ok 1 "$what within $timeout s"
	fi
}

qemu_grep() {
	tr -d '\r' <"$(qemu_log "$1")" | grep -a -E -- "$2"
}

qemu_log_tail() {
	local l
	diag "VM $1: the last lines of its serial log, at $(qemu_elapsed "$1") s:"
	tr -d '\r' <"$(qemu_log "$1")" | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' | grep -a -v '^[[:space:]]*$' |
		tail -n "${2:-8}" | while IFS= read -r l; do diag "  ${l:0:160}"; done
}

qemu_before_init() {
	! grep -a -q 'Run /init as init process' "$(qemu_log "$1")"
}

# shellcheck disable=SC2034 # QEMU_PANIC_EARLY is for the caller
qemu_panicked() {
	local log
	log=$(qemu_log "$1")
	grep -a -q 'Kernel panic - not syncing' "$log" || return 1
	QEMU_PANIC_EARLY=0
	qemu_before_init "$1" && QEMU_PANIC_EARLY=1
	qemu_grep "$1" 'Oops|BUG:|RIP: |Kernel panic - not syncing' | head -n 4
	return 0
}

# qemu_keeps_nothing NAME: whether NAME writes nothing back (started without --persist: a
# -snapshot disk, or none), so that booting it again is the same as its first boot.
qemu_keeps_nothing() {
	[[ " ${QEMU_ARGS[$1]:-} " != *" --persist "* ]]
}

# _qemu_older NAME SECONDS: whether NAME's QEMU started more than SECONDS ago.
_qemu_older() {
	local now=${EPOCHREALTIME/./} t0=${QEMU_T0[$1]/./}
	((10#$now - 10#$t0 > $2 * 1000000))
}

# _qemu_restart NAME: stop NAME and start it again with the arguments it was started with
# (its earlier logs are kept); marks it as retried.
_qemu_restart() {
	qemu_stop "$1" >/dev/null 2>&1
	eval "qemu_start ${QEMU_ARGS[$1]}" >/dev/null
	QEMU_RETRIED[$1]=1
}

qemu_wait() {
	qemu_wait_all "$3" "$2" "$1"
	local status=$?
	# shellcheck disable=SC2034 # for the caller
	QEMU_MATCH=${QEMU_LINE[$1]} QEMU_ELAPSED=${QEMU_AT[$1]}
	return $status
}

qemu_wait_all() {
	local timeout=$1 re=$2 deadline=$((SECONDS + $1)) name line pending l
	local -A gone=()
	shift 2
	for name; do QEMU_LINE[$name]='' QEMU_AT[$name]=''; done
	while :; do
		pending=0
		for name; do
			[[ -n ${QEMU_AT[$name]} || -n ${gone[$name]:-} ]] && continue
			# Check the log after the process: a line written just before QEMU exited counts.
			local alive=0
			qemu_running "$name" && alive=1
			if line=$(qemu_grep "$name" "$re" | head -n 1) && [[ -n $line ]]; then
				QEMU_LINE[$name]=$line
				QEMU_AT[$name]=$(qemu_elapsed "$name")
			elif line=$(qemu_panicked "$name"); then
				diag "VM $name: the guest kernel panicked before /$re/ appeared:"
				while IFS= read -r l; do diag "  ${l:0:160}"; done <<<"$line"
				local why=
				if ((QEMU_RETRY_EARLY_PANIC)) && [[ -z ${QEMU_RETRIED[$name]:-} ]]; then
					if qemu_before_init "$name"; then
						why="that was before /init"
					elif qemu_keeps_nothing "$name"; then
						why="it writes nothing back (no --persist): a new boot is its first again"
					fi
				fi
				if [[ -n $why ]]; then
					diag "VM $name: $why: booting it again, once"
					_qemu_restart "$name"
					# The new boot gets the whole wait again.
					((deadline < SECONDS + timeout)) && deadline=$((SECONDS + timeout))
					pending=$((pending + 1))
					continue
				fi
				gone[$name]=1
			elif ((!alive)); then
				gone[$name]=1
				diag "VM $name: QEMU exited after $(qemu_elapsed "$name") s before /$re/ appeared"
				[[ -s ${QEMU_DIR[$name]}/qemu.out ]] && diag "QEMU: $(tail -n 3 "${QEMU_DIR[$name]}/qemu.out")"
				qemu_log_tail "$name"
			elif ((QEMU_RETRY_EARLY_PANIC)) && [[ -z ${QEMU_RETRIED[$name]:-} ]] &&
				_qemu_older "$name" "$QEMU_INIT_TIMEOUT" && qemu_before_init "$name"; then
				diag "VM $name: its kernel had not run /init after $QEMU_INIT_TIMEOUT s (an emulator stall: nothing was written to its disks yet); booting it again, once"
				qemu_log_tail "$name"
				_qemu_restart "$name"
				# The new boot gets the whole wait again.
				((deadline < SECONDS + timeout)) && deadline=$((SECONDS + timeout))
				pending=$((pending + 1))
			else
				pending=$((pending + 1))
			fi
		done
		if ((pending == 0)); then
			((${#gone[@]} == 0))
			return
		fi
		if ((SECONDS >= deadline)); then
			for name; do
				[[ -n ${QEMU_AT[$name]} || -n ${gone[$name]:-} ]] && continue
				diag "VM $name: /$re/ did not appear within $timeout s"
				qemu_log_tail "$name"
			done
			return 1
		fi
		sleep 0.5
	done
}

qemu_power_cut() {
	local name=$1 dir=${QEMU_DIR[$1]:-} pid='' ppid rest deadline=$((SECONDS + 5))
	qemu_running "$name" || return 1
	# QEMU_PID is timeout(1)'s; QEMU's own pid is in its pid file (written at start-up).
	while [[ ! -s $dir/qemu.pid ]] && qemu_running "$name" && ((SECONDS < deadline)); do sleep 0.05; done
	[[ -s $dir/qemu.pid ]] && read -r pid <"$dir/qemu.pid"
	# Only that pid if it is still timeout's child (not a recycled number).
	if [[ $pid =~ ^[0-9]+$ ]] && read -r _ _ _ ppid rest <"/proc/$pid/stat" 2>/dev/null &&
		[[ $ppid == "${QEMU_PID[$name]}" ]]; then
		kill -KILL "$pid" 2>/dev/null
	else
		diag "VM $name: no QEMU pid file; killing timeout(1) and QEMU with it"
		qemu_running "$name" && kill -KILL "${QEMU_PID[$name]}" 2>/dev/null
	fi
	# shellcheck disable=SC2034 # for the caller
	QEMU_CUT_AT=$(qemu_elapsed "$name")
	qemu_stop "$name"
}

qemu_cut() {
	qemu_cut_all "$3" "${4:-0}" "$1" "$2"
	local status=$?
	# shellcheck disable=SC2034 # for the caller
	QEMU_MATCH=${QEMU_LINE[$1]} QEMU_ELAPSED=${QEMU_AT[$1]} QEMU_CUT_AT=${QEMU_CUT[$1]}
	return $status
}

qemu_cut_all() {
	local timeout=$1 delay=$2 deadline=$((SECONDS + $1)) name line now pending status=0 delay_us l
	local -A re=() due=() over=()
	shift 2
	[[ $delay =~ ^([0-9]+)(\.([0-9]))?$ ]] || { diag "qemu_cut: DELAY must be seconds (one decimal at most)"; return 2; }
	delay_us=$((BASH_REMATCH[1] * 1000000 + ${BASH_REMATCH[3]:-0} * 100000))
	while (($# >= 2)); do
		re[$1]=$2 QEMU_LINE[$1]='' QEMU_AT[$1]='' QEMU_CUT[$1]=''
		shift 2
	done
	while :; do
		pending=0
		for name in "${!re[@]}"; do
			[[ -n ${over[$name]:-} ]] && continue
			if [[ -z ${due[$name]:-} ]]; then
				# The log after the process, as in qemu_wait_all.
				local alive=0
				qemu_running "$name" && alive=1
				if line=$(grep -a -m 1 -E -- "${re[$name]}" "$(qemu_log "$name")") && [[ -n $line ]]; then
					QEMU_LINE[$name]=${line//$'\r'/}
					QEMU_AT[$name]=$(qemu_elapsed "$name")
					now=${EPOCHREALTIME/./}
					due[$name]=$((10#$now + delay_us))
				elif line=$(qemu_panicked "$name"); then
					diag "VM $name: the guest kernel panicked before /${re[$name]}/ appeared:"
					while IFS= read -r l; do diag "  ${l:0:160}"; done <<<"$line"
					qemu_stop "$name"
					over[$name]=1 status=1
					continue
				elif ((!alive)); then
					diag "VM $name: QEMU exited after $(qemu_elapsed "$name") s before /${re[$name]}/ appeared"
					qemu_log_tail "$name"
					qemu_stop "$name"
					over[$name]=1 status=1
					continue
				elif ((SECONDS >= deadline)); then
					diag "VM $name: /${re[$name]}/ did not appear within $timeout s"
					qemu_log_tail "$name"
					qemu_stop "$name"
					over[$name]=1 status=1
					continue
				fi
			fi
			now=${EPOCHREALTIME/./}
			if [[ -n ${due[$name]:-} ]] && ((10#$now >= due[$name])); then
				if qemu_power_cut "$name"; then
					QEMU_CUT[$name]=$QEMU_CUT_AT
				else
					diag "VM $name: QEMU exited by itself before the power cut"
					qemu_stop "$name"
					status=1
				fi
				over[$name]=1
				continue
			fi
			pending=$((pending + 1))
		done
		((pending == 0)) && return $status
		sleep 0.05
	done
}

qemu_stop() {
	local name=$1 grace=${2:-0} pid=${QEMU_PID[$1]:-} dir=${QEMU_DIR[$1]:-} clean=1 deadline
	[[ -n $pid ]] || return 0
	if ((grace > 0)) && qemu_running "$name"; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		timeout 5 bash -c 'echo system_powerdown >"$1"' _ "$dir/monitor.in"
		deadline=$((SECONDS + grace))
		while qemu_running "$name" && ((SECONDS < deadline)); do sleep 0.2; done
	fi
	if qemu_running "$name"; then
		((grace > 0)) && clean=0
		kill -TERM "$pid" 2>/dev/null
		deadline=$((SECONDS + 10))
		while qemu_running "$name" && ((SECONDS < deadline)); do sleep 0.1; done
		qemu_running "$name" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	QEMU_PID[$name]=
	local drain=${QEMU_DRAIN[$name]:-}
	_qemu_ours "$drain" "${QEMU_PARENT[$name]:-}" && kill "$drain" 2>/dev/null
	[[ -n $drain ]] && wait "$drain" 2>/dev/null
	QEMU_DRAIN[$name]=
	# The VM's disks go at once (they can be large); the logs stay until qemu_cleanup.
	rm -f "$dir/disk.raw" "$dir/extra.raw"
	((clean))
}

qemu_keep_logs() {
	local dest=$1 name
	mkdir -p "$dest" || return 1
	local f
	for name in "${!QEMU_DIR[@]}"; do
		cp "${QEMU_DIR[$name]}/serial.log" "$dest/$name.serial.log" 2>/dev/null
		cp "${QEMU_DIR[$name]}/qemu.out" "$dest/$name.qemu.log" 2>/dev/null
		cp "${QEMU_DIR[$name]}/cmdline" "$dest/$name.cmdline" 2>/dev/null
		for f in "${QEMU_DIR[$name]}"/serial.log.*; do	# earlier runs of the name
			[[ -e $f ]] && cp "$f" "$dest/$name.serial.log.${f##*.}"
		done
	done
}

qemu_cleanup() {
	local name
	for name in "${!QEMU_PID[@]}"; do
		qemu_stop "$name" || :
	done
	[[ -n $QEMU_WORKDIR ]] && rm -rf "$QEMU_WORKDIR"
	QEMU_WORKDIR=
}

# qemu_test_setup NAME: a work directory ($work) and the cleanup every VM test needs:
# on exit the VMs are stopped and $work removed; on failure the serial logs are kept in
# $KILN_BUILDDIR/test-logs/NAME. A second signal does not cut the cleanup short.
qemu_test_setup() {
	QEMU_TEST_LOGS=$KILN_BUILDDIR/test-logs/$1
	rm -rf "$QEMU_TEST_LOGS"
	work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-$1-XXXXXX") || bail "cannot create a work directory"
	trap _qemu_test_finish EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

_qemu_test_finish() {
	local status=$?
	trap '' INT TERM
	if ((status != 0 || tap_failed > 0)); then
		qemu_keep_logs "$QEMU_TEST_LOGS" && diag "serial logs kept in $QEMU_TEST_LOGS"
	fi
	qemu_cleanup
	rm -rf "$work"
}
