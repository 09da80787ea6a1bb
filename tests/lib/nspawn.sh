# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot a directory tree with systemd-nspawn -b (real systemd, journald, D-Bus) and run
# commands inside it. nspawn wants a pty, so it runs under script(1).
#
#   machine_boot ROOT [nspawn args...]   sets MACHINE_LEADER (PID of the container's init)
#   machine_exec COMMAND...              runs COMMAND inside (all namespaces), bounded
#   machine_stop                         poweroff, then kill after 20 s

# descendant_named PID NAME: the first process called NAME below PID, at any depth.
# script(1) runs its command through $SHELL -c (or /bin/sh when SHELL is unset, as under
# CI): bash execs the command, dash forks it, so the depth of nspawn below script varies.
descendant_named() {
	ps -e -o pid=,ppid=,comm= | awk -v top="$1" -v name="$2" '
		{ parent[$1] = $2; comm[$1] = $3; order[NR] = $1 }
		END {
			for (i = 1; i <= NR; i++) {
				p = order[i]
				if (comm[p] != name) continue
				for (a = parent[p]; a > 1; a = parent[a])
					if (a == top) { print p; exit }
			}
		}'
}

machine_boot() {
	local root=$1; shift
	MACHINE_ROOT=$root
	MACHINE_LOG=$(mktemp "${TMPDIR:-/tmp}/kiln-nspawn-XXXXXX.log")
	MACHINE_LEADER=
	MACHINE_NSPAWN=
	setsid script -qfec "exec systemd-nspawn -q -D '$root' --register=no --keep-unit -b $*" \
		"$MACHINE_LOG" </dev/null >/dev/null 2>&1 &
	MACHINE_SCRIPT_PID=$!
	local deadline=$((SECONDS + 30))
	while ((SECONDS < deadline)); do
		MACHINE_NSPAWN=$(descendant_named "$MACHINE_SCRIPT_PID" systemd-nspawn)
		[[ -n $MACHINE_NSPAWN ]] && MACHINE_LEADER=$(pgrep -P "$MACHINE_NSPAWN" -x systemd | head -n1)
		[[ -n $MACHINE_LEADER ]] && break
		kill -0 "$MACHINE_SCRIPT_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [[ -z $MACHINE_LEADER ]]; then
		machine_boot_failed "systemd-nspawn did not start the container's systemd"
		return 1
	fi
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
	machine_boot_failed "the machine did not finish booting (state: ${state:-none})"
	return 1
}

# Say why as TAP diagnostics (stdout): the reason and the end of the console log.
machine_boot_failed() {
	echo "# $1"
	[[ -s ${MACHINE_LOG:-} ]] &&
		tail -n 15 "$MACHINE_LOG" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\r//g; s/^/#   /'
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
		[[ -n ${MACHINE_NSPAWN:-} ]] && kill -KILL "$MACHINE_NSPAWN" 2>/dev/null
		pkill -KILL -P "$MACHINE_SCRIPT_PID" 2>/dev/null
		kill -KILL "$MACHINE_SCRIPT_PID" 2>/dev/null
	fi
	# The container's init outlives a killed nspawn (it is reparented to our init):
	# SIGKILL to a PID namespace's init ends every process in it.
	if [[ -n ${MACHINE_LEADER:-} ]]; then
		kill -KILL "$MACHINE_LEADER" 2>/dev/null
		deadline=$((SECONDS + 10))
		while kill -0 "$MACHINE_LEADER" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
	fi
	wait "$MACHINE_SCRIPT_PID" 2>/dev/null
	MACHINE_SCRIPT_PID= MACHINE_LEADER= MACHINE_NSPAWN=
	rm -f "$MACHINE_LOG"
}
