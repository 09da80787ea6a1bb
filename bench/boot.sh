#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: how long a kiln disk image takes to boot, against the same root file system
# booted the plainest way. Measured: seconds from starting QEMU (TCG) to the
# "KILN-BOOTED" line on the serial console (the node supervisor writes it to /dev/kmsg
# when the node is ready: preflight passed, containerd up; no Kubernetes here), for
#   kiln-uefi  the kiln disk.raw under OVMF (systemd-boot),
#   kiln-bios  the same disk.raw under SeaBIOS (syslinux),
#   pxe-uefi   the same image's pxe/ set under OVMF with QEMU's iPXE, no disk: diskless,
#              boot.ipxe and the images over HTTP from 127.0.0.1 (a chain script on QEMU's
#              TFTP sets kiln-url, as an operator's DHCP set-up would),
#   baseline   the same root file system as a plain whole-disk ext4 image, booted by
#              QEMU's direct kernel boot (-kernel/-initrd/-append "root=/dev/vda rw"):
#              the image's own erofs root and var partition copied into one ext4 with
#              mkfs.ext4 -d (so the same packages, kiln programs, units and marker), the
#              kernel and initrd from the kiln cache's root file system tree (the files
#              kiln put on the ESP), /etc/fstab emptied and kiln's systemd-repart config for
#              /var removed, and no kiln.var= on the command line (kiln's initramfs hook
#              does nothing: no var partition, no /etc overlay, no growfs).
# The image is the benchmark profile (tests/boot/boot.yaml, node.hostname bench-a) built
# --without-kubernetes with a fresh cache, with the boot tests' supervisor drop-in (its
# small disk is below the free /var preflight asks for: --ignore-preflight=disk-var).
# One VM at a time (TCG boots are CPU-bound on 2 cores), the three kinds in turn, N runs
# each, the same QEMU options for all (q35, TCG with tb-size=256, 2 CPUs, 2048 MiB,
# -snapshot, -no-reboot, a virtio NIC on a restricted user network); prints every run, the
# medians, and each kind / baseline. Goal: each <= 1.1. (The ISO installs; the disk it
# writes is disk.raw's, booted like kiln-uefi and kiln-bios.)
#
#   sudo bench/boot.sh               KILN_BUILDDIR (default ./build) has kiln-imagegen
# Environment: KILN_BUILDDIR, KILN_BENCH_RUNS (N, default 3), KILN_BENCH_BOOT_TIMEOUT
# (seconds per boot, default 300), KILN_BENCH_MEMORY (MiB per VM, default 2048), KILN_BENCH_QUIET_WAIT (seconds to wait before a build
# or boot for other heavy processes to end, default 180), KILN_BENCH_MIRROR,
# KILN_BENCH_TMPDIR (default /var/tmp; everything made there is removed at the end),
# KILN_BENCH_KEEP_LOGS=DIR (copy the serial logs and the build log there first).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init boot

EPOCH=1700000000
RUNS=${KILN_BENCH_RUNS:-3}
BOOT_TIMEOUT=${KILN_BENCH_BOOT_TIMEOUT:-300}
KEEP_LOGS=${KILN_BENCH_KEEP_LOGS:-}
# The supervisor's preflight wants 1.7 GiB for a single node: below that it never gets to
# KILN-BOOTED (the boot tests and tools/quickstart give their VMs 2048 MiB too).
MEMORY=${KILN_BENCH_MEMORY:-2048}
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
	[[ -n ${HTTP_PID:-} ]] && kill "$HTTP_PID" 2>/dev/null
	if [[ -n $KEEP_LOGS ]]; then
		mkdir -p "$KEEP_LOGS" && cp "$W"/serial-*.log "$W"/kiln-build.log "$KEEP_LOGS/" 2>/dev/null
	fi
}

echo "kiln boot benchmark: QEMU start to KILN-BOOTED, kiln disk (UEFI, BIOS) and PXE set (UEFI, diskless) vs plain ext4 + direct kernel boot"

# The kiln image, and the cache that holds its root file system tree.
bench_profile "$W/bench.yaml" bench-a "$(bench_mirror)"
dropin=etc/systemd/system/kiln-supervisor.service.d/test.conf
extra=()
if [[ -f $BENCH_SRCDIR/tests/boot/fixtures/$dropin ]]; then
	install -D -m 0644 "$BENCH_SRCDIR/tests/boot/fixtures/$dropin" "$W/extra/$dropin"
	extra=(--extra-tree "$W/extra")
fi
bench_wait_quiet
echo "  $(bench_host_note)"
t0=$EPOCHREALTIME
SOURCE_DATE_EPOCH=$EPOCH bench_run 1800 "$W/kiln-build.log" \
	"$IMAGEGEN" build --cache "$W/kiln-cache" -o "$W/kiln" --without-kubernetes --format raw,pxe "${extra[@]}" "$W/bench.yaml" ||
	{ tail -n 20 "$W/kiln-build.log"; bench_die "kiln-imagegen build failed"; }
DISK=$W/kiln/disk.raw
echo "  kiln image: $DISK ($(du -h --apparent-size "$DISK" | cut -f1)), built in $(bench_secs "$t0") s${extra:+, with tests/boot/fixtures/$dropin}"
if command -v mtype >/dev/null; then
	echo "  kiln cmdline: $(MTOOLS_SKIP_CHECK=1 mtype -i "$DISK@@1M" ::/syslinux/syslinux.cfg 2>/dev/null | sed -n 's/^ *APPEND //p')"
fi

# The baseline. mount_part NAME DIR: mount the disk's partition NAME read-only on DIR.
mount_part() {
	local start size
	read -r start size < <(sfdisk -d "$DISK" |
		sed -n "s/.*start= *\([0-9]*\), *size= *\([0-9]*\),.*name=\"$1\".*/\1 \2/p")
	[[ -n $start ]] || return 1
	mkdir -p "$2" && mount -o "ro,loop,offset=$((start * 512)),sizelimit=$((size * 512))" "$DISK" "$2"
}
B=$W/base-tree
mkdir -p "$B"
mount_part root-a "$W/mnt-root" || bench_die "cannot mount the image's root-a partition (erofs) read-only"
cp -a "$W/mnt-root/." "$B/" || bench_die "cannot copy the image's root file system"
umount "$W/mnt-root"
mount_part var "$W/mnt-var" || bench_die "cannot mount the image's var partition read-only"
cp -a "$W/mnt-var/." "$B/var/" || bench_die "cannot copy the image's var file system"
umount "$W/mnt-var"
rm -rf "$B/var/lost+found"
: >"$B/etc/fstab"
rm -f "$B"/usr/lib/repart.d/*kiln*
# The kernel and initrd: kiln moved them out of the image's root onto the ESP; the cached
# tree still has them (the same files: the image tree is hard-linked from it).
trees=("$W"/kiln-cache/rootfs/*.tree)
[[ ${#trees[@]} -eq 1 && -d ${trees[0]} ]] || bench_die "expected one root file system tree in the kiln cache, found: ${trees[*]}"
vmlinuz=$(find "${trees[0]}/boot" -name 'vmlinuz-*' | sort | tail -n 1)
kver=${vmlinuz##*/vmlinuz-}
[[ -f $vmlinuz && -f ${trees[0]}/boot/initrd.img-$kver ]] || bench_die "no kernel and initrd in the cached tree's /boot"
cp "$vmlinuz" "$W/vmlinuz" && cp "${trees[0]}/boot/initrd.img-$kver" "$W/initrd.img" || bench_die "cannot copy the kernel"
size=$(($(du -sm "$B" | cut -f1) * 13 / 10 + 256))
mkfs.ext4 -q -F -L kiln-baseline -d "$B" "$W/base.ext4" "${size}M" >"$W/mkfs.log" 2>&1 ||
	{ cat "$W/mkfs.log"; bench_die "mkfs.ext4 -d failed"; }
rm -rf --one-file-system "$B"
BASE_CMDLINE="root=/dev/vda rootfstype=ext4 rw console=tty0 console=ttyS0,115200 kiln.image=baseline"
echo "  baseline: $W/base.ext4 (${size} MiB ext4), kernel $kver, cmdline: $BASE_CMDLINE"

# The PXE set's server, for pxe-uefi: stopped with the benchmark.
HTTP_PID=
mkdir -p "$W/http" "$W/tftp"
python3 "$BENCH_SRCDIR/tests/lib/http-files.py" "$W/kiln/pxe" "$W/http/port" "$W/http/log" norange >/dev/null 2>&1 &
HTTP_PID=$!
for ((i = 0; i < 50; i++)); do [[ -s $W/http/port ]] && break; sleep 0.1; done
[[ -s $W/http/port ]] || bench_die "the HTTP server for pxe/ did not start"
printf '#!ipxe\ndhcp\nset kiln-url http://10.0.2.2:%s/\nset kiln-mode diskless\nchain ${kiln-url}boot.ipxe\n' \
	"$(cat "$W/http/port")" >"$W/tftp/chain.ipxe"
echo "  pxe: $W/kiln/pxe served at http://127.0.0.1:$(cat "$W/http/port")/, chain script $W/tftp/chain.ipxe"

boot_failure_lines() {	# what the console said: the first oops lines, then its end
	tr -d '\r' <"$1" | grep -a -m 6 -E 'BUG:|Oops|general protection|RIP:|Call Trace|Kernel panic' | sed 's/^/      | /'
	echo "      | ..."
	tr -d '\r' <"$1" | tail -n 5 | sed 's/^/      | /'
}

# One boot: sets SECS and LINE, or returns 1 with the reason printed.
boot_once() {
	local kind=$1 log=$2 t0 now line
	# shellcheck disable=SC2054 # commas inside QEMU options
	local -a cmd=(qemu-system-x86_64 -machine q35 -accel tcg,tb-size=256 -smp 2 -m "$MEMORY"
		-display none -no-reboot -serial "file:$log" -snapshot)
	# The network boot needs the host (10.0.2.2): no restrict=on there.
	case $kind in
		pxe-uefi) cmd+=(-bios "$OVMF" -boot n -netdev "user,id=n0,tftp=$W/tftp,bootfile=chain.ipxe"
			-device virtio-net-pci,netdev=n0) ;;
		*) cmd+=(-nic user,model=virtio-net-pci,restrict=on) ;;
	esac
	case $kind in
		kiln-uefi) cmd+=(-bios "$OVMF" -drive "file=$DISK,format=raw,if=virtio") ;;
		kiln-bios) cmd+=(-drive "file=$DISK,format=raw,if=virtio") ;;
		baseline) cmd+=(-kernel "$W/vmlinuz" -initrd "$W/initrd.img" -append "$BASE_CMDLINE"
			-drive "file=$W/base.ext4,format=raw,if=virtio") ;;
	esac
	SECS='' LINE=''
	: >"$log"
	t0=$EPOCHREALTIME
	( trap - EXIT INT TERM; exec timeout -k 5 $((BOOT_TIMEOUT + 30)) "${cmd[@]}" ) </dev/null >"$log.qemu" 2>&1 &
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

KINDS=(kiln-uefi kiln-bios pxe-uefi baseline)
declare -A TIMES=() RAW=() MARKER=()
echo
echo "boots: $RUNS runs of each, one VM at a time, in turn, $MEMORY MiB each (seconds from QEMU start to KILN-BOOTED)"
for ((i = 1; i <= RUNS; i++)); do
	for kind in "${KINDS[@]}"; do
		# Other VMs or builds make TCG timings meaningless: wait (bounded) for them to
		# end, and say when a run had company anyway.
		bench_wait_quiet
		note="load $(cut -d' ' -f1 /proc/loadavg)"
		n=$(bench_others)
		((n > 0)) && note+=", $n other heavy processes: not comparable"
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
for kind in kiln-uefi kiln-bios pxe-uefi; do
	r=n/a
	[[ ${MED[$kind]} != n/a && ${MED[baseline]} != n/a ]] && r=$(bench_ratio "${MED[$kind]}" "${MED[baseline]}")
	echo "  $kind / baseline = $r (goal <= 1.1: $(bench_goal "$r" 1.1))"
done
echo "  $(bench_host_note)"
