#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault tier: cut the power (SIGKILL QEMU: no ACPI, the guest's caches are lost) during
# the first boot of a persistent copy of the boot tier's test image, then boot the same
# copy again and check that the node recovers: KILN-BOOTED, / read-only erofs, /etc an
# overlay, /var mounted and grown, no failed unit, a valid machine-id; and a further boot
# keeps that identity. Three copies, three cuts, each found by a line of the serial log:
#   A  early: the first line PID 1 logs ("systemd[1]: ..."): the initramfs has just
#      mounted /var and laid the /etc overlay on it; systemd is about to write the
#      machine-id into the empty /etc/machine-id
#   B  growing var: "Finished systemd-repart.service": repart has written the enlarged
#      var partition to the GPT, systemd-growfs@var starts resizing the mounted file system
#      (an online resize of ~60 ms in the guest); the unit name is between colour escapes
#      in the log, hence the .* in the pattern. (A cut at "Starting systemd-repart" lands
#      before the GPT is written: the same state as A, plus a saved machine-id.)
#   C  late: 2 s after KILN-BOOTED (the supervisor reported the node ready: containerd
#      up, kiln's state and the journal on /var being written, the ESP mounted on /efi),
#      on the second boot of a copy that booted once cleanly before
# At most two VMs at once (UEFI, OVMF + systemd-boot), in these rounds:
#   1  A1 cut || B1 cut
#   2  A2 || B2         recovery boots, then a clean power-off
#   3  A3 || C1         A's third boot; C's clean first boot
#   4  B3 || C2 cut, then C3 (the recovery boot of C) as soon as C2 is cut
# After each cut, var's file system is checked offline in a scratch copy of its partition
# (e2fsck, debugfs: no mount), which also tells what identity had been saved: the next
# boot must keep that one, or make a new one if none was. Each boot of a copy has its own
# NIC MAC, so that a host name derived again (instead of kept) would show. A boot whose
# kernel panics before it runs /init is booted once more (the OS has not touched the disk
# yet; only systemd-boot has counted the boot). Seen under TCG, about one boot in fifteen
# on a loaded host: "Oops: int3" while the kernel patches its own code, a race of the
# emulator, not of the image. A later panic with such an emulator fault (int3, double
# fault) is booted once more as well: one more cut, from which the node must recover too.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"

test_boot_image_require

BOOT_TIMEOUT=300	# QEMU start to KILN-BOOTED: 45-110 s with two TCG VMs on a busy 2-core host
REPORT_TIMEOUT=120	# KILN-BOOTED to KILN-TEST
CUT_TIMEOUT=240		# QEMU start to a cut's marker
POWEROFF_GRACE=90

CUT_A_RE='systemd\[1\]: '
CUT_B_RE='Finished .*systemd-repart\.service'
CUT_C_RE='KILN-BOOTED'
CUT_C_DELAY=2

MAC_A1=52:54:00:fa:01:01 MAC_A2=52:54:00:fa:01:02 MAC_A3=52:54:00:fa:01:03
MAC_B1=52:54:00:fb:02:01 MAC_B2=52:54:00:fb:02:02 MAC_B3=52:54:00:fb:02:03
MAC_C1=52:54:00:fc:03:01 MAC_C2=52:54:00:fc:03:02 MAC_C3=52:54:00:fc:03:03

qemu_test_setup fault-power-cut
t_start=$SECONDS

# field LINE KEY: the value of KEY=VALUE in a KILN-TEST line.
field() {
	[[ " $1 " =~ \ $2=([^ ]*)\  ]] && echo "${BASH_REMATCH[1]}"
}

# mac_hostname MAC: kiln-firstboot's derived name (rule 3 of kiln-firstboot(8)).
mac_hostname() {
	local m=${1,,}
	echo "kiln-${m:9:2}${m:12:2}${m:15:2}"
}

# strip: the serial log's text without CR and terminal escapes.
strip() { tr -d '\r' | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

declare -A REPORT=() BOOT_TIME=() COPY=() RETRIED=()

# boot NAME COPY: start a VM on the persistent copy $work/COPY.raw, with NAME's MAC.
boot() {
	COPY[$1]=$2
	qemu_start "$1" "$work/$2.raw" --firmware=uefi --persist --mac="${MAC[$1]}" ||
		bail "cannot start QEMU ($1)"
}

# retry NAME: after a failed wait, boot NAME again (once) if its kernel panicked before
# /init, or later with one of the emulator's own faults in kernel code (an Oops for int3 or
# a double fault: seen once at 43 s, in kernel_fpu_begin_mask); to the node, that boot is
# one more power cut, which it must survive as well. Also if the kernel never ran /init
# (the wait gave up on it): the emulator stalled before the OS could touch the disk (seen
# once: no first line of systemd after 240 s, while the other VM booted).
retry() {
	local oops
	[[ -z ${RETRIED[$1]:-} ]] || return 1
	if ! qemu_panicked "$1" >/dev/null; then
		qemu_before_init "$1" || return 1
		RETRIED[$1]=1
		diag "$1: its kernel never ran /init (an emulator stall); booting it again, once"
		qemu_stop "$1"
		boot "$1" "${COPY[$1]}"
		return
	fi
	oops=$(qemu_grep "$1" 'Oops' | head -n 1)
	((QEMU_PANIC_EARLY)) || [[ $oops == *"Oops: int3"* || $oops == *"Oops: double fault"* ]] || return 1
	RETRIED[$1]=1
	diag "$1: the kernel panicked ($( ((QEMU_PANIC_EARLY)) && echo "before /init" || echo "after /init")," \
		"${oops:-no Oops line}); booting it again, once"
	qemu_stop "$1"
	boot "$1" "${COPY[$1]}"
}

# report NAME: wait for KILN-BOOTED and the node's KILN-TEST line; keeps it in REPORT[NAME].
report() {
	REPORT[$1]=
	if ! qemu_wait "$1" 'KILN-BOOTED' "$BOOT_TIMEOUT" &&
		! { retry "$1" && qemu_wait "$1" 'KILN-BOOTED' "$BOOT_TIMEOUT"; }; then
		ok 1 "$1: reaches KILN-BOOTED within $BOOT_TIMEOUT s"
		return 1
	fi
	BOOT_TIME[$1]=$QEMU_ELAPSED
	if ! qemu_wait "$1" 'KILN-TEST ' "$REPORT_TIMEOUT"; then
		ok 1 "$1: the test unit reports the node's state (KILN-TEST)"
		return 1
	fi
	REPORT[$1]="KILN-TEST${QEMU_MATCH#*KILN-TEST}"
	diag "$1: KILN-BOOTED at ${BOOT_TIME[$1]} s; ${REPORT[$1]}"
}

# esp_entries DISK: the boot loader entries on the copy's ESP (mtools, no mount).
esp_entries() {
	command -v mdir >/dev/null || { echo "(mtools not installed)"; return; }
	MTOOLS_SKIP_CHECK=1 mdir -b -i "$1@@1M" ::/loader/entries 2>&1 | sed 's|.*/||' | paste -s -d ' '
}

# after_cut NAME DISK: what the serial log and the copy show about the cut; then var's file
# system as the next boot will find it, in a scratch copy of the partition (no mount):
# checked (e2fsck -p, which replays the journal, then e2fsck -fn), and the machine-id and
# hostname in /etc's overlay upper directory read (debugfs) into SAVED_ID[NAME] and
# SAVED_HOST[NAME] (empty: none saved; unset: not checked).
declare -A SAVED_ID=() SAVED_HOST=()
after_cut() {
	local name=$1 disk=$2 last start='' size='' img=$work/var-check.img fsck
	diag "$name: marker /${CUT_RE[$name]}/ seen at ${QEMU_AT[$name]:-?} s, power cut at ${QEMU_CUT[$name]:-?} s"
	last=$(strip <"$(qemu_log "$name")" | grep -a -v '^[[:space:]]*$' | tail -n 3)
	while IFS= read -r line; do diag "$name: last console line: ${line:0:150}"; done <<<"$last"
	command -v sfdisk >/dev/null &&
		read -r start size < <(sfdisk -d "$disk" 2>/dev/null |
			sed -n 's/.*start= *\([0-9]*\), *size= *\([0-9]*\),.*name="var".*/\1 \2/p')
	diag "$name: after the cut: var partition ${size:+$((size / 2048)) MiB }(image: $((var_size / 1048576)) MiB);" \
		"ESP entries: $(esp_entries "$disk")"
	if [[ -z $size ]] || ! command -v e2fsck >/dev/null || ! command -v debugfs >/dev/null; then
		skip 1 "sfdisk, e2fsck or debugfs (fdisk, e2fsprogs) is missing: var is not checked offline"
		return
	fi
	dd if="$disk" of="$img" bs=1M iflag=skip_bytes,count_bytes skip=$((start * 512)) \
		count=$((size * 512)) conv=sparse status=none || { ok 1 "$name: copy var's partition"; return; }
	# Preen mode, as a boot-time fsck: it replays the journal and fixes by itself what an
	# unclean stop leaves (free counts, ext4's orphan_present flag), exit status 0 or 1;
	# anything worse is 4 or more. Then a read-only pass must find nothing.
	local status check=''
	fsck=$(e2fsck -fp "$img" 2>&1)
	status=$?
	((status <= 1)) && check=$(e2fsck -fn "$img" 2>&1)
	ok $? "$name: var's file system is consistent after the cut (e2fsck -p, then -fn clean)" ||
		while IFS= read -r line; do diag "  e2fsck -fn: $line"; done <<<"$check"
	((status == 0)) ||
		while IFS= read -r line; do diag "  e2fsck -p (exit $status): $line"; done <<<"$fsck"
	SAVED_ID[$name]=$(debugfs -R 'cat /lib/kiln/etc/upper/machine-id' "$img" 2>/dev/null | tr -d '\n')
	SAVED_HOST[$name]=$(debugfs -R 'cat /lib/kiln/etc/upper/hostname' "$img" 2>/dev/null | tr -d '\n')
	diag "$name: saved on var at the cut: machine-id ${SAVED_ID[$name]:-none}, hostname ${SAVED_HOST[$name]:-none}"
	rm -f "$img"
}

# recovered NAME CUT-BOOT [EARLIER-BOOT...]: the node's state after a power cut. Its
# identity is the one saved on var at the cut if there was one (after_cut), else a new one:
# the host name derived from this boot's MAC.
recovered() {
	local name=$1 cut=$2 r=${REPORT[$1]} id host h_cut h_now b h_any=''
	is "$(field "$r" root) $(field "$r" rootfs)" "ro erofs" "$name: / is read-only erofs after the cut of $cut"
	is "$(field "$r" etc)" overlay "$name: /etc is an overlay"
	local var part
	var=$(field "$r" var) part=$(field "$r" varpart)
	[[ $var =~ ^[0-9]+$ && $part =~ ^[0-9]+$ ]] && ((part > var_size && var > var_size))
	ok $? "$name: /var is mounted and grown: file system $var bytes, partition $part > image's $var_size"
	id=$(field "$r" machine-id)
	[[ $id =~ ^[0-9a-f]{32}$ && $id != 00000000000000000000000000000000 ]]
	ok $? "$name: a valid machine-id ($id)"
	is "$(field "$r" failed)" none "$name: no failed units"
	host=$(field "$r" hostname)
	h_cut=$(mac_hostname "${MAC[$cut]}") h_now=$(mac_hostname "${MAC[$name]}")
	if [[ -v SAVED_ID[$cut] ]]; then
		if [[ ${SAVED_ID[$cut]} =~ ^[0-9a-f]{32}$ ]]; then
			is "$id" "${SAVED_ID[$cut]}" "$name: the machine-id saved before the cut is kept"
		else
			diag "$name: no machine-id was saved before the cut; a new one"
		fi
		local how="derived from the MAC of this boot"
		[[ -n ${SAVED_HOST[$cut]} ]] && how="saved before the cut"
		is "$host" "${SAVED_HOST[$cut]:-$h_now}" "$name: hostname $how"
	else
		for b in "${@:3}"; do h_any+=" $(mac_hostname "${MAC[$b]}")"; done
		[[ " $h_cut $h_now$h_any " == *" $host "* ]]
		ok $? "$name: hostname $host is one derived from a NIC's MAC (${h_any:+earlier:$h_any, }cut boot: $h_cut, now: $h_now)"
	fi
}

# kept NAME EARLIER: this boot has the identity of an earlier boot of the same copy.
kept() {
	local r=${REPORT[$1]} e=${REPORT[$2]}
	is "$(field "$r" machine-id)" "$(field "$e" machine-id)" "$1: the machine-id of $2 is kept"
	is "$(field "$r" hostname)" "$(field "$e" hostname)" \
		"$1: the hostname of $2 is kept (NIC now ${MAC[$1]})"
}

# poweroff NAME DISK: a clean power-off, then the ESP's entries: the boot was counted and
# blessed (systemd-boot, systemd-bless-boot), even after a power cut.
poweroff() {
	qemu_stop "$1" "$POWEROFF_GRACE"
	ok $? "$1: powers off cleanly on the ACPI power button"
	if command -v mdir >/dev/null; then
		local e
		e=$(esp_entries "$2")
		is "$e" kiln-a.conf "$1: its boot was marked good (ESP entries: $e)"
	else
		skip 1 "mtools is not installed: the ESP is not read"
	fi
}

# The boot tier's test image: both tests share one build.
out=$(test_boot_image) || bail "cannot build the boot test image"
disk=$out/disk.raw
var_size=$(python3 -c 'import json, sys
print(next(p["size"] for p in json.load(open(sys.argv[1]))["partitions"] if p["name"] == "var"))' \
	"$out/manifest.json") || bail "no var partition in $out/manifest.json"
diag "image $disk: var partition $((var_size / 1048576)) MiB"
for c in a b c; do
	cp --sparse=always "$disk" "$work/$c.raw" || bail "cannot copy $disk"
done

declare -A MAC=([a1]=$MAC_A1 [a2]=$MAC_A2 [a3]=$MAC_A3 [b1]=$MAC_B1 [b2]=$MAC_B2 [b3]=$MAC_B3
	[c1]=$MAC_C1 [c2]=$MAC_C2 [c3]=$MAC_C3)
declare -A CUT_RE=([a1]=$CUT_A_RE [b1]=$CUT_B_RE [c2]=$CUT_C_RE)

# ---- Round 1: the two first-boot cuts.
boot a1 a
boot b1 b
qemu_cut_all "$CUT_TIMEOUT" 0 a1 "$CUT_A_RE" b1 "$CUT_B_RE"
for vm in a1 b1; do
	[[ -z ${QEMU_CUT[$vm]} ]] && retry "$vm" && qemu_cut "$vm" "${CUT_RE[$vm]}" "$CUT_TIMEOUT"
done
[[ -n ${QEMU_CUT[a1]} ]]
ok $? "a1: power cut at the first line of systemd (${QEMU_AT[a1]:-never} s)"
[[ -n ${QEMU_CUT[b1]} ]]
ok $? "b1: power cut when systemd-repart has grown var's partition (${QEMU_AT[b1]:-never} s)"
after_cut a1 "$work/a.raw"
after_cut b1 "$work/b.raw"

# ---- Round 2: recovery boots of A and B; round 3 starts as each one powers off.
boot a2 a
boot b2 b
report a2 && recovered a2 a1
report b2 && recovered b2 b1
poweroff a2 "$work/a.raw"
boot a3 a
poweroff b2 "$work/b.raw"
boot c1 c

# ---- Round 3: A's third boot; C's clean first boot.
report a3 && [[ -n ${REPORT[a2]} ]] && kept a3 a2
qemu_stop a3
boot b3 b
if report c1; then
	poweroff c1 "$work/c.raw"
else
	qemu_stop c1
fi

# ---- Round 4: the late cut of C, its recovery boot; B's third boot.
boot c2 c
qemu_cut c2 "$CUT_C_RE" "$BOOT_TIMEOUT" "$CUT_C_DELAY" ||
	{ retry c2 && qemu_cut c2 "$CUT_C_RE" "$BOOT_TIMEOUT" "$CUT_C_DELAY"; }
ok $? "c2: power cut $CUT_C_DELAY s after KILN-BOOTED on the second boot (${QEMU_ELAPSED:-never} s)"
after_cut c2 "$work/c.raw"
boot c3 c
report b3 && [[ -n ${REPORT[b2]} ]] && kept b3 b2
qemu_stop b3
if report c3; then
	recovered c3 c2 c1
	[[ -n ${REPORT[c1]} ]] && kept c3 c1
fi
qemu_stop c3

# ---- All boots: the same var as a clean first boot; no [FAILED] lines; what recovery did.
ref=$(field "${REPORT[c1]:-}" var)
for vm in a2 b2 c3; do
	[[ -n ${REPORT[$vm]:-} && -n $ref ]] || continue
	is "$(field "${REPORT[$vm]}" var)" "$ref" "$vm: /var grew to the size a clean first boot gives it (c1)"
done
failed_lines=0
for vm in a2 a3 b2 b3 c1 c3; do
	[[ -n ${QEMU_DIR[$vm]:-} ]] || continue
	while IFS= read -r line; do
		diag "$vm: $line"
		failed_lines=$((failed_lines + 1))
	done < <(strip <"$(qemu_log "$vm")" | grep -a 'FAILED')
	grew=$(strip <"$(qemu_log "$vm")" | grep -a -o -E 'resizing filesystem from [0-9]+ to [0-9]+ blocks' | head -n 1)
	notes=$(strip <"$(qemu_log "$vm")" | grep -a -o -E 'EXT4-fs \([a-z0-9]+\): recovery complete|Volume was not properly unmounted|orphan cleanup on readonly fs|FAT-fs \([a-z0-9]+\): [^.]*' |
		sort -u | paste -s -d ';')
	diag "$vm: growfs ${grew:-had nothing to do}${notes:+; kernel: $notes}"
done
ok $((failed_lines > 0)) "no [FAILED] lines in the serial logs of the boots that ran to the end"

diag "KILN-BOOTED after QEMU start (s): a2 ${BOOT_TIME[a2]:-?} b2 ${BOOT_TIME[b2]:-?} a3 ${BOOT_TIME[a3]:-?}" \
	"c1 ${BOOT_TIME[c1]:-?} b3 ${BOOT_TIME[b3]:-?} c3 ${BOOT_TIME[c3]:-?}; wall time $((SECONDS - t_start)) s"
tap_done
