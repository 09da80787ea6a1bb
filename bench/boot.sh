#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: how long a kiln disk image takes to boot, against the same root file system
# booted the plainest way. Measured: seconds from starting QEMU (TCG) to the
# "KILN-BOOTED" line on the serial console, for
#   kiln-uefi  the kiln disk.raw under OVMF (systemd-boot),
#   kiln-bios  the same disk.raw under SeaBIOS (syslinux),
#   baseline   the same Debian tree (the kiln cache's unpacked root file system, so the
#              same packages, kernel and initrd) as a plain whole-disk ext4 image, booted
#              by QEMU's direct kernel boot (-kernel/-initrd/-append "root=/dev/vda rw"),
#              with only kiln's marker added (kiln-booted.service, announce-booted and
#              kilnctl), /etc/fstab emptied and no kiln.var= (so kiln's initramfs hook does
#              nothing: no var partition, no /etc overlay, no erofs).
# The image is the benchmark profile (tests/boot/boot.yaml, node.hostname bench-a) built
# --without-kubernetes with a fresh cache. One VM at a time (TCG boots are CPU-bound on 2
# cores), the three kinds in turn, N runs each; prints every run, the medians, and
# kiln-UEFI / baseline and kiln-BIOS / baseline. Goal: both <= 1.2.
#
#   sudo bench/boot.sh               KILN_BUILDDIR (default ./build) has kiln-imagegen
# Environment: KILN_BUILDDIR, KILN_BENCH_RUNS (N, default 3), KILN_BENCH_BOOT_TIMEOUT
# (seconds per boot, default 300), KILN_BENCH_QUIET_WAIT (seconds to wait before a boot
# for other QEMU processes to end, default 180), KILN_BENCH_MIRROR, KILN_BENCH_TMPDIR
# (default /var/tmp; everything made there is removed at the end), KILN_BENCH_KEEP_LOGS=DIR
# (copy the serial logs and the build log there first).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init boot

EPOCH=1700000000
RUNS=${KILN_BENCH_RUNS:-3}
BOOT_TIMEOUT=${KILN_BENCH_BOOT_TIMEOUT:-300}
QUIET_WAIT=${KILN_BENCH_QUIET_WAIT:-180}
KEEP_LOGS=${KILN_BENCH_KEEP_LOGS:-}
OVMF=${QEMU_OVMF:-/usr/share/ovmf/OVMF.fd}
IMAGEGEN=$BENCH_BUILDDIR/imagegen/kiln-imagegen
W=$BENCH_WORK
VM=

command -v qemu-system-x86_64 >/dev/null || bench_die "qemu-system-x86_64 is not installed (tools/install-deps)"
[[ -r $OVMF ]] || bench_die "OVMF ($OVMF) is not installed (package ovmf)"
command -v mkfs.ext4 >/dev/null || bench_die "mkfs.ext4 is not installed (package e2fsprogs)"

vm_stop() {
	local deadline
	[[ -n $VM ]] || return 0
	kill -TERM "$VM" 2>/dev/null
	deadline=$((SECONDS + 10))
	while kill -0 "$VM" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
	kill -KILL "$VM" 2>/dev/null
	wait "$VM" 2>/dev/null
	VM=
}
bench_cleanup_extra() {
	vm_stop
	if [[ -n $KEEP_LOGS ]]; then
		mkdir -p "$KEEP_LOGS" && cp "$W"/serial-*.log "$W"/kiln-build.log "$KEEP_LOGS/" 2>/dev/null
	fi
}

echo "kiln boot benchmark: QEMU start to KILN-BOOTED, kiln disk (UEFI, BIOS) vs plain ext4 + direct kernel boot"
echo "  $(bench_host_note)"

# The kiln image, and the cache that holds its root file system.
bench_profile "$W/bench.yaml" bench-a "$(bench_mirror)"
t0=$EPOCHREALTIME
SOURCE_DATE_EPOCH=$EPOCH bench_run 1800 "$W/kiln-build.log" \
	"$IMAGEGEN" build --cache "$W/kiln-cache" -o "$W/kiln" --without-kubernetes "$W/bench.yaml" ||
	{ tail -n 20 "$W/kiln-build.log"; bench_die "kiln-imagegen build failed"; }
DISK=$W/kiln/disk.raw
echo "  kiln image: $DISK ($(du -h --apparent-size "$DISK" | cut -f1)), built in $(bench_secs "$t0") s"
if command -v mtype >/dev/null; then
	echo "  kiln cmdline: $(MTOOLS_SKIP_CHECK=1 mtype -i "$DISK@@1M" ::/syslinux/syslinux.cfg 2>/dev/null | sed -n 's/^ *APPEND //p')"
fi

# The baseline: the same tree, kernel and initrd.
trees=("$W"/kiln-cache/rootfs/*.tree)
[[ ${#trees[@]} -eq 1 && -d ${trees[0]} ]] || bench_die "expected one root file system tree in the kiln cache, found: ${trees[*]}"
B=$W/base-tree
cp -a "${trees[0]}" "$B" || bench_die "cannot copy ${trees[0]}"
vmlinuz=$(ls "$B"/boot/vmlinuz-* | tail -n 1)
kver=${vmlinuz##*/vmlinuz-}
[[ -f $vmlinuz && -f $B/boot/initrd.img-$kver ]] || bench_die "no kernel and initrd in the cached tree's /boot"
mv "$vmlinuz" "$W/vmlinuz" && mv "$B/boot/initrd.img-$kver" "$W/initrd.img" || bench_die "cannot take the kernel out"
install -D -m 0644 "$BENCH_SRCDIR/units/kiln-booted.service" "$B/usr/lib/systemd/system/kiln-booted.service"
mkdir -p "$B/etc/systemd/system/multi-user.target.wants"
ln -sf /usr/lib/systemd/system/kiln-booted.service "$B/etc/systemd/system/multi-user.target.wants/kiln-booted.service"
install -D -m 0755 "$BENCH_SRCDIR/rootfs/usr/lib/kiln/announce-booted" "$B/usr/lib/kiln/announce-booted"
if [[ -x $BENCH_BUILDDIR/supervisor/kilnctl ]]; then
	install -D -m 0755 "$BENCH_BUILDDIR/supervisor/kilnctl" "$B/usr/bin/kilnctl"
else
	printf '#!/bin/sh\necho "kilnctl baseline"\n' >"$B/usr/bin/kilnctl" && chmod 755 "$B/usr/bin/kilnctl"
fi
: >"$B/etc/fstab"
echo bench-a >"$B/etc/hostname"
size=$(($(du -sm "$B" | cut -f1) * 13 / 10 + 256))
mkfs.ext4 -q -F -L kiln-baseline -d "$B" "$W/base.ext4" "${size}M" >"$W/mkfs.log" 2>&1 ||
	{ cat "$W/mkfs.log"; bench_die "mkfs.ext4 -d failed"; }
rm -rf --one-file-system "$B"
BASE_CMDLINE="root=/dev/vda rootfstype=ext4 rw console=tty0 console=ttyS0,115200 kiln.image=baseline"
echo "  baseline: $W/base.ext4 (${size} MiB ext4), kernel $kver, cmdline: $BASE_CMDLINE"

boot_failure_lines() {	# what the console said: the first oops lines, then its end
	tr -d '\r' <"$1" | grep -a -m 6 -E 'BUG:|Oops|general protection|RIP:|Call Trace|Kernel panic' | sed 's/^/      | /'
	echo "      | ..."
	tr -d '\r' <"$1" | tail -n 5 | sed 's/^/      | /'
}

# Other VMs (another benchmark, the boot tests) make TCG timings meaningless: wait a
# bounded time for them to end, and say when a run had company anyway.
others_running() { pgrep -c -x qemu-system-x86 2>/dev/null || true; }
wait_for_quiet() {
	local deadline=$((SECONDS + QUIET_WAIT))
	while (($(others_running) > 0)) && ((SECONDS < deadline)); do sleep 1; done
}

# One boot: sets SECS and LINE, or returns 1 with the reason printed.
boot_once() {
	local kind=$1 log=$2 t0 now line
	local -a cmd=(qemu-system-x86_64 -machine q35 -accel tcg,tb-size=256 -smp 2 -m 1536
		-display none -no-reboot -serial "file:$log" -snapshot
		-nic user,model=virtio-net-pci,restrict=on)
	case $kind in
		kiln-uefi) cmd+=(-bios "$OVMF" -drive "file=$DISK,format=raw,if=virtio") ;;
		kiln-bios) cmd+=(-drive "file=$DISK,format=raw,if=virtio") ;;
		baseline) cmd+=(-kernel "$W/vmlinuz" -initrd "$W/initrd.img" -append "$BASE_CMDLINE"
			-drive "file=$W/base.ext4,format=raw,if=virtio") ;;
	esac
	SECS= LINE=
	: >"$log"
	t0=$EPOCHREALTIME
	timeout -k 5 $((BOOT_TIMEOUT + 30)) "${cmd[@]}" </dev/null >"$log.qemu" 2>&1 &
	VM=$!
	while :; do
		if line=$(grep -a -m 1 'KILN-BOOTED' "$log"); then
			now=$EPOCHREALTIME
			SECS=$(bench_secs "$t0" "$now")
			LINE=$(printf '%s' "$line" | tr -d '\r' | sed 's/.*\(KILN-BOOTED\)/\1/')
			vm_stop
			return 0
		fi
		if ! kill -0 "$VM" 2>/dev/null; then
			VM=
			echo "    $kind: QEMU exited after $(bench_secs "$t0") s without KILN-BOOTED; $(tail -n 2 "$log.qemu" | tr '\n' ' ')"
			boot_failure_lines "$log"
			return 1
		fi
		# With -no-reboot a panicking kernel just stops: no need to wait for the timeout.
		if grep -aq 'end Kernel panic' "$log"; then
			echo "    $kind: kernel panic after $(bench_secs "$t0") s:"
			vm_stop
			boot_failure_lines "$log"
			return 1
		fi
		if (($(bench_secs "$t0" | cut -d. -f1) >= BOOT_TIMEOUT)); then
			vm_stop
			echo "    $kind: no KILN-BOOTED within $BOOT_TIMEOUT s; the serial console ended with:"
			boot_failure_lines "$log"
			return 1
		fi
		sleep 0.1
	done
}

KINDS=(kiln-uefi kiln-bios baseline)
declare -A TIMES=() RAW=() MARKER=()
echo
echo "boots: $RUNS runs of each, one VM at a time, in turn (seconds from QEMU start to KILN-BOOTED)"
for ((i = 1; i <= RUNS; i++)); do
	for kind in "${KINDS[@]}"; do
		wait_for_quiet
		note="load $(cut -d' ' -f1 /proc/loadavg)"
		n=$(others_running)
		((n > 0)) && note+=", $n other VMs running: not comparable"
		if boot_once "$kind" "$W/serial-$kind-$i.log"; then
			TIMES[$kind]+="$SECS "
			RAW[$kind]+="$SECS "
			MARKER[$kind]=$LINE
			printf '  run %d  %-10s %6s s   (%s)\n' "$i" "$kind" "$SECS" "$note"
		else
			RAW[$kind]+="failed "
			printf '  run %d  %-10s failed   (%s)\n' "$i" "$kind" "$note"
		fi
	done
done

echo
echo "  markers seen:"
for kind in "${KINDS[@]}"; do
	echo "    $kind: ${MARKER[$kind]:-(none)}"
done
echo
echo "summary (median of $RUNS; raw runs in brackets)"
declare -A MED=()
for kind in "${KINDS[@]}"; do
	# shellcheck disable=SC2086
	MED[$kind]=$(bench_median ${TIMES[$kind]:-})
	printf '  %-10s %6s s   [%s]\n' "$kind" "${MED[$kind]}" "${RAW[$kind]% }"
done
for kind in kiln-uefi kiln-bios; do
	r=n/a
	[[ ${MED[$kind]} != n/a && ${MED[baseline]} != n/a ]] && r=$(bench_ratio "${MED[$kind]}" "${MED[baseline]}")
	echo "  $kind / baseline = $r (goal <= 1.2: $(bench_goal "$r" 1.2))"
done
echo "  $(bench_host_note)"
