# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot a directory tree with systemd-nspawn -b (real systemd, journald, D-Bus) and run
# commands inside it. nspawn wants a pty, so it runs under script(1).
#
#   machine_boot ROOT [nspawn args...]   sets MACHINE_LEADER (PID of the container's init)
#   machine_exec COMMAND...              runs COMMAND inside (all namespaces), bounded
#   machine_stop                         poweroff, then kill after 20 s
machine_boot() {
	local root=$1; shift
	MACHINE_ROOT=$root
	MACHINE_LOG=$(mktemp "${TMPDIR:-/tmp}/kiln-nspawn-XXXXXX.log")
	setsid script -qfec "systemd-nspawn -q -D '$root' --register=no --keep-unit -b $*" \
		"$MACHINE_LOG" </dev/null >/dev/null 2>&1 &
	MACHINE_SCRIPT_PID=$!
	MACHINE_LEADER=
	local deadline=$((SECONDS + 30)) nspawn
	while ((SECONDS < deadline)); do
		nspawn=$(pgrep -P "$MACHINE_SCRIPT_PID" -x systemd-nspawn | head -n1)
		[[ -n $nspawn ]] && MACHINE_LEADER=$(pgrep -P "$nspawn" -x systemd | head -n1)
		[[ -n $MACHINE_LEADER ]] && break
		sleep 0.1
	done
	[[ -n $MACHINE_LEADER ]] || return 1
	# Bounded wait for the boot to settle (degraded is fine: it is still booted). Poll:
	# "is-system-running --wait" gives up at once while PID 1's bus is not up yet.
	local state
	deadline=$((SECONDS + ${MACHINE_BOOT_TIMEOUT:-180}))
	while ((SECONDS < deadline)); do
		state=$(timeout 10 nsenter -t "$MACHINE_LEADER" -a systemctl is-system-running 2>/dev/null)
		case $state in
		running|degraded) return 0 ;;
		# "offline" is also what systemctl says while it cannot reach PID 1 yet: poll on.
		maintenance|stopping) break ;;
		esac
		sleep 0.2
	done
	echo "# the machine did not finish booting: $state" >&2
	return 1
}

machine_exec() {
	timeout "${MACHINE_EXEC_TIMEOUT:-60}" nsenter -t "$MACHINE_LEADER" -a "$@"
}

machine_stop() {
	[[ -n ${MACHINE_SCRIPT_PID:-} ]] || return 0
	if [[ -n ${MACHINE_LEADER:-} ]] && kill -0 "$MACHINE_LEADER" 2>/dev/null; then
		timeout 10 nsenter -t "$MACHINE_LEADER" -a systemctl poweroff --no-block >/dev/null 2>&1
	fi
	local deadline=$((SECONDS + 20))
	while kill -0 "$MACHINE_SCRIPT_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
	if kill -0 "$MACHINE_SCRIPT_PID" 2>/dev/null; then
		pkill -KILL -P "$MACHINE_SCRIPT_PID" 2>/dev/null
		kill -KILL "$MACHINE_SCRIPT_PID" 2>/dev/null
	fi
	wait "$MACHINE_SCRIPT_PID" 2>/dev/null
	MACHINE_SCRIPT_PID=
	rm -f "$MACHINE_LOG"
}
