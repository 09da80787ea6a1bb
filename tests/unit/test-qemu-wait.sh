#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/lib/qemu.sh's waits, on stand-in VMs (a directory with a serial log; no QEMU): a
# guest kernel that panics is booted again, once, only where that cannot hide anything, that
# is, before /init, or in a VM that writes nothing back; a VM whose disk keeps what it did
# (--persist) and panicked after /init is a failure, as is a second panic.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The stand-ins: every VM is running; a restart starts its log again with NEXT_BOOT.
qemu_running() { return 0; }
restarts=0
NEXT_BOOT=
_qemu_restart() {
	restarts=$((restarts + 1))
	mv "$(qemu_log "$1")" "$(qemu_log "$1").$restarts"
	printf '%b' "$NEXT_BOOT" >"$(qemu_log "$1")"
	QEMU_RETRIED[$1]=1
}
vm() {	# NAME ARGS LOG
	QEMU_DIR[$1]=$tmp/$1
	mkdir -p "$tmp/$1"
	printf '%b' "$3" >"$tmp/$1/serial.log"
	QEMU_ARGS[$1]=$2
	QEMU_T0[$1]=$EPOCHREALTIME
	QEMU_RETRIED[$1]=
	restarts=0
}
init='[    1.2] Run /init as init process\n'
panic='[   63.1] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n[   63.2] Kernel panic - not syncing: Fatal exception in interrupt\n'
booted='[   40.0] kiln-supervisor[413]: KILN-BOOTED 0.1.0 abc\n'
QEMU_RETRY_EARLY_PANIC=1

vm diskless 'diskless none --firmware=uefi -- -boot n ' "$init$panic"
NEXT_BOOT="$init$booted"
qemu_wait diskless 'KILN-BOOTED' 5 >"$tmp/out"
ok $? "no --persist, a panic after /init: booted again, and it boots"
is "$restarts" 1 "once"
grep -q "it writes nothing back (no --persist): a new boot is its first again: booting it again, once" "$tmp/out"
ok $? "and the diagnostics say why"

vm kept "kept $tmp/a.raw --persist --firmware=uefi " "$init$panic"
qemu_wait kept 'KILN-BOOTED' 5 >"$tmp/out"
is $? 1 "--persist, a panic after /init: a failure"
is "$restarts" 0 "not booted again: the disk keeps what that boot did"

vm early "early $tmp/a.raw --persist " "$panic"
qemu_wait early 'KILN-BOOTED' 5 >"$tmp/out"
ok $? "--persist, a panic before /init: booted again, and it boots"
is "$restarts" 1 "once"

vm twice 'twice none ' "$init$panic"
NEXT_BOOT="$init$panic"
qemu_wait twice 'KILN-BOOTED' 5 >"$tmp/out"
is $? 1 "a second panic: a failure"
is "$restarts" 1 "after one new boot only"

QEMU_RETRY_EARLY_PANIC=0
vm off 'off none ' "$init$panic"
qemu_wait off 'KILN-BOOTED' 5 >"$tmp/out"
is $? 1 "QEMU_RETRY_EARLY_PANIC=0: a panic is a failure"
is "$restarts" 0 "nothing booted again"

tap_done
