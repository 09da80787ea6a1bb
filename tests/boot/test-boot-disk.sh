#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot tier: bake one test image and boot it in QEMU (TCG) several times, under OVMF and
# SeaBIOS, at most two VMs at once:
#   round 1  uefi (snapshot, NIC)  ||  bios (snapshot, NIC)        KILN-BOOTED, node state
#   round 2  grow (snapshot, disk enlarged by 2 GiB)  ||  persist1 (a copy, written to)
#            persist2 (the same copy, another MAC) as soon as persist1 has powered off
#            qcow2 (disk.qcow2, UEFI, snapshot) in grow's place once grow has reported
# The image carries the test-only fixtures of tests/boot/fixtures (--extra-tree): a unit
# that prints "KILN-TEST key=value ..." to the kernel log after KILN-BOOTED, so that the
# node's state can be read from the serial log.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
# A guest kernel that panics before /init (the TCG int3 race, about one boot in fifteen
# on a loaded host) is booted again, once.
QEMU_RETRY_EARLY_PANIC=1

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
test_boot_image_require

BOOT_TIMEOUT=300	# QEMU start to KILN-BOOTED; ~40-60 s with two TCG VMs at once
REPORT_TIMEOUT=120	# KILN-BOOTED to KILN-TEST
GiB=$((1024 * 1024 * 1024))
MAC_UEFI=52:54:00:ab:cd:ef
MAC_BIOS=52:54:00:12:34:56
MAC_PERSIST1=52:54:00:0a:0b:0c
MAC_PERSIST2=52:54:00:0d:0e:0f
MAC_QCOW2=52:54:00:0a:0a:0a

qemu_test_setup boot-disk

# todo STATUS DESCRIPTION REASON: a check for a known product bug (TAP TODO).
todo() {
	tap_n=$((tap_n + 1))
	if [[ $1 -eq 0 ]]; then
		echo "ok $tap_n - $2 # TODO $3"
	else
		echo "not ok $tap_n - $2 # TODO $3"
	fi
}

# field LINE KEY: the value of KEY=VALUE in a KILN-TEST line.
field() {
	[[ " $1 " =~ \ $2=([^ ]*)\  ]] && echo "${BASH_REMATCH[1]}"
}

# mac_hostname MAC: kiln-firstboot's derived name (rule 3 of kiln-firstboot(8)).
mac_hostname() {
	local m=${1,,}
	echo "kiln-${m:9:2}${m:12:2}${m:15:2}"
}

declare -A BOOT_TIME=() REPORT=()

# booted NAME DESCRIPTION: after qemu_wait_all ... 'KILN-BOOTED' NAME...: the line has this
# kiln's version and the image's root hash.
booted() {
	if [[ -z ${QEMU_AT[$1]:-} ]]; then
		ok 1 "$2: reaches KILN-BOOTED within $BOOT_TIMEOUT s"
		return 1
	fi
	BOOT_TIME[$1]=${QEMU_AT[$1]}
	local got="KILN-BOOTED${QEMU_LINE[$1]#*KILN-BOOTED}"
	got=${got%"${got##*[![:space:]]}"}
	is "$got" "KILN-BOOTED $version $root_sha256" \
		"$2: KILN-BOOTED with kiln's version and the manifest's root sha256 (${QEMU_AT[$1]} s)"
}

# report NAME: wait for the node's KILN-TEST line and keep it in REPORT[NAME].
report() {
	if qemu_wait "$1" 'KILN-TEST ' "$REPORT_TIMEOUT"; then
		REPORT[$1]="KILN-TEST${QEMU_MATCH#*KILN-TEST}"
		diag "$1: ${REPORT[$1]}"
		[[ -n ${BOOT_TIME[$1]:-} ]] || BOOT_TIME[$1]=$(qemu_elapsed "$1")
		return 0
	fi
	REPORT[$1]=
	ok 1 "$1: the test unit reports the node's state (KILN-TEST)"
	return 1
}

out=$(test_boot_image) || bail "cannot build the boot test image"
disk=$out/disk.raw
version=$("$imagegen" --version) || bail "kiln-imagegen --version failed"
version=${version#kiln-imagegen }
root_sha256=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["image"]["rootSha256"])' \
	"$out/manifest.json") || bail "no image.rootSha256 in $out/manifest.json"
var_size=$(python3 -c 'import json, sys
print(next(p["size"] for p in json.load(open(sys.argv[1]))["partitions"] if p["name"] == "var"))' \
	"$out/manifest.json") || bail "no var partition in $out/manifest.json"
diag "image $disk: kiln $version, root $root_sha256, var partition $((var_size / 1024 / 1024)) MiB"

# ---- The ESP, read with mtools (no loop mount): its volume serial is derived from the
# profile (mkfs.vfat --invariant, then -i), not --invariant's fixed 1234-ABCD; its boot
# entry starts with a boot counter (systemd-boot's "+3"), which the persist1 check needs.
if command -v minfo >/dev/null && command -v mdir >/dev/null; then
	serial=$(MTOOLS_SKIP_CHECK=1 minfo -i "$disk@@1M" :: 2>/dev/null | sed -n 's/^serial number: *//p')
	[[ $serial =~ ^[0-9A-Fa-f]{8}$ && ${serial^^} != 1234ABCD ]]
	ok $? "the ESP's volume serial is derived, not mkfs.vfat --invariant's 1234-ABCD (${serial:-none})"
	entries0=$(MTOOLS_SKIP_CHECK=1 mdir -b -i "$disk@@1M" ::/loader/entries 2>&1 | sed 's|.*/||' | tr '\n' ' ')
	[[ $entries0 == "kiln-a+3.conf " ]]
	ok $? "the image's boot entry has a boot counter (ESP entries: $entries0)"
	have_mtools=1
else
	skip 2 "mtools (minfo, mdir) is not installed: the ESP is not read"
	have_mtools=0
fi

# ---- Round 1: UEFI and BIOS, in parallel; nothing is written back (-snapshot).
qemu_start uefi "$disk" --firmware=uefi --mac="$MAC_UEFI" || bail "cannot start QEMU (uefi)"
qemu_start bios "$disk" --firmware=bios --mac="$MAC_BIOS" || bail "cannot start QEMU (bios)"

qemu_wait_all "$BOOT_TIMEOUT" 'KILN-BOOTED' uefi bios
booted uefi "UEFI (OVMF, systemd-boot)"
booted bios "BIOS (SeaBIOS, syslinux)"

if report uefi; then
	r=${REPORT[uefi]}
	is "$(field "$r" rootfs)" erofs "/ is erofs"
	is "$(field "$r" root)" ro "/ is mounted read-only"
	is "$(field "$r" etc)" overlay "/etc is an overlay"
	id=$(field "$r" machine-id)
	[[ $id =~ ^[0-9a-f]{32}$ && $id != 00000000000000000000000000000000 ]]
	ok $? "a machine-id was generated at first boot ($id)"
	is "$(field "$r" hostname)" "$(mac_hostname "$MAC_UEFI")" \
		"hostname is kiln- and the last three bytes of the NIC's MAC ($MAC_UEFI)"
	# kiln-test-unprepare turned forwarding and br_netfilter off and a swap file on; the
	# supervisor's preflight, inside its unit's sandbox, must have put each back.
	fixed=$(field "$r" fixed)
	for check in kernel-modules sysctl-ip-forward swap; do
		[[ ,$fixed, == *,$check,* ]]
		ok $? "preflight fixed $check from inside the supervisor's sandbox (fixed: $fixed)"
	done
	is "$(field "$r" swaps)/$(field "$r" ip_forward)/$(field "$r" br_netfilter)" 0/1/1 \
		"after preflight: no swap, IPv4 forwarding on, br_netfilter loaded (swaps/ip_forward/br_netfilter)"
fi
if report bios; then
	is "$(field "${REPORT[bios]}" hostname)" "$(mac_hostname "$MAC_BIOS")" \
		"BIOS boot: hostname derived from its own NIC's MAC ($MAC_BIOS)"
fi
qemu_stop uefi
qemu_stop bios

# ---- Round 2: var grows into an enlarged disk; persistence across two boots of one copy.
qemu_start grow "$disk" --firmware=bios --grow=2G || bail "cannot start QEMU (grow)"
cp --sparse=always "$disk" "$work/persist.raw" || bail "cannot copy $disk"
qemu_start persist1 "$work/persist.raw" --firmware=uefi --persist --mac="$MAC_PERSIST1" ||
	bail "cannot start QEMU (persist1)"

if report persist1; then
	qemu_stop persist1 90
	ok $? "persist1: the node powers off cleanly on the ACPI power button"
	# Boot counting: systemd-boot renamed kiln-a+3.conf to kiln-a+2-1.conf when it booted
	# it; systemd-bless-boot drops the counter once boot-complete.target is reached.
	if ((have_mtools)); then
		entries=$(MTOOLS_SKIP_CHECK=1 mdir -b -i "$work/persist.raw@@1M" ::/loader/entries 2>&1 | sed 's|.*/||' | tr '\n' ' ')
		[[ $entries == "kiln-a.conf " ]]
		ok $? "persist1: the boot was counted and then marked good (ESP entries: $entries)"
	else
		skip 1 "mtools is not installed: the ESP is not read"
	fi
else
	qemu_stop persist1
fi
# Another MAC: if the identity were made again, the host name would change.
qemu_start persist2 "$work/persist.raw" --firmware=uefi --persist --mac="$MAC_PERSIST2" ||
	bail "cannot start QEMU (persist2)"

if report grow; then
	grown=$(field "${REPORT[grow]}" var)
	[[ $grown =~ ^[0-9]+$ ]] && ((grown >= var_size + GiB))
	ok $? "var grows into a disk enlarged by 2 GiB: $grown bytes >= varSize $var_size + 1 GiB"
	diag "var: partition $var_size bytes in the image; file system $(field "${REPORT[uefi]:-}" var) bytes" \
		"on the 3 GiB image, $grown bytes (partition $(field "${REPORT[grow]}" varpart)) on the enlarged copy"
fi
qemu_stop grow
# The qcow2 delivery of the same disk, next to persist2 (its slot was grow's).
qemu_start qcow2 "$out/disk.qcow2" --firmware=uefi --mac="$MAC_QCOW2" || bail "cannot start QEMU (qcow2)"

if report persist2 && [[ -n ${REPORT[persist1]:-} ]]; then
	r1=${REPORT[persist1]} r2=${REPORT[persist2]}
	id1=$(field "$r1" machine-id)
	[[ $id1 =~ ^[0-9a-f]{32}$ ]]
	ok $? "persist1: a machine-id ($id1)"
	is "$(field "$r2" machine-id)" "$id1" "persist2: the machine-id of the first boot is kept"
	is "$(field "$r1" hostname)" "$(mac_hostname "$MAC_PERSIST1")" "persist1: hostname from the NIC's MAC"
	is "$(field "$r2" hostname)" "$(field "$r1" hostname)" \
		"persist2: the first boot's hostname is kept, even with another MAC ($MAC_PERSIST2)"
fi
qemu_stop persist2
rm -f "$work/persist.raw"

tail_start=$SECONDS
qemu_wait_all "$BOOT_TIMEOUT" 'KILN-BOOTED' qcow2
booted qcow2 "disk.qcow2 (UEFI, virtio, zstd-compressed qcow2)"
qemu_stop qcow2
diag "qcow2: $((SECONDS - tail_start)) s after persist2 was done (what it adds to this test, besides sharing the CPUs with persist2)"

# ---- Every boot: no unit failed.
failed_lines=0 failed_units=
for vm in uefi bios grow persist1 persist2 qcow2; do
	[[ -n ${QEMU_DIR[$vm]:-} ]] || continue
	while IFS= read -r line; do
		diag "$vm: $line"
		failed_lines=$((failed_lines + 1))
	done < <(qemu_grep "$vm" 'FAILED' | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g')
	u=$(field "${REPORT[$vm]:-}" failed)
	[[ -n $u && $u != none ]] && failed_units+=" $vm:$u"
done
ok $((failed_lines > 0)) "no [FAILED] lines in the serial logs of the boots"
[[ -z $failed_units && -n ${REPORT[*]// /} ]]
ok $? "systemctl --failed is empty when the node reports${failed_units:+ (failed:$failed_units)}"

diag "time from QEMU start to KILN-BOOTED: uefi ${BOOT_TIME[uefi]:-?} s, bios ${BOOT_TIME[bios]:-?} s" \
	"(in parallel); to KILN-TEST: grow ${BOOT_TIME[grow]:-?} s, persist1 ${BOOT_TIME[persist1]:-?} s," \
	"persist2 ${BOOT_TIME[persist2]:-?} s; to KILN-BOOTED: qcow2 ${BOOT_TIME[qcow2]:-?} s"
tap_done
