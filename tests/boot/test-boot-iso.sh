#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot tier: the installer ISO (kiln.iso of the shared boot test image, whose profile has
# install: {device: auto, minimumDiskSize: 3GiB, poweroff: true}) booted in QEMU (TCG),
# at most two VMs at once:
#   round 1  UEFI CD (AHCI)      ||  BIOS CD               each installs to an empty 4 GiB
#                                                          disk and powers off
#   round 2  UEFI USB stick (xHCI, usb-storage) installing  ||  the UEFI CD's disk booted
#            alone: KILN-BOOTED with the image's root hash, KILN-TEST
#   round 3  a 2 GiB disk (too small)  ||  a disk holding partitions (no install.wipe):
#            each refused on the console, the disk unchanged
# What each install wrote is compared with disk.raw on the host, range by range of
# kiln/install.list (the ranges the installer read back and checked itself).
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
QEMU_RETRY_EARLY_PANIC=1

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
test_boot_image_require
command -v osirrox >/dev/null || skip_all "xorriso (osirrox) is not installed: the ISO cannot be read (tools/install-deps)"

INSTALL_TIMEOUT=400	# QEMU start to KILN-INSTALLED, two TCG VMs at once
BOOT_TIMEOUT=300
REFUSE_TIMEOUT=240
MiB=$((1024 * 1024))
MAC_INSTALLED=52:54:00:1a:2b:3c

qemu_test_setup boot-iso

out=$(test_boot_image) || bail "cannot build the boot test image"
iso=$out/kiln.iso disk=$out/disk.raw
[[ -s $iso ]] || bail "the boot test image has no kiln.iso"
root_sha256=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["image"]["rootSha256"])' \
	"$out/manifest.json") || bail "no image.rootSha256 in $out/manifest.json"
diag "ISO $iso: $(stat -c %s "$iso") bytes; image root $root_sha256"

# The install list, read from the ISO on the host (xorriso's osirrox, no mount).
osirrox -indev "$iso" -extract /kiln/install.list "$work/install.list" >/dev/null 2>&1 ||
	bail "cannot read kiln/install.list from $iso"
is "$(head -n 1 "$work/install.list")" "kiln-install 1" "kiln.iso carries a version 1 install list"
is "$(awk '$1 == "image" { print $2 }' "$work/install.list")" "$root_sha256" "the install list names the image's root"

# The kernel and initrd are stored once (GRUB, on efi.img for UEFI, reads them from ISO
# 9660 as isolinux does): besides kiln/ (the payload, the kernel and the initrd) the ISO
# holds only the boot loaders and its own structures.
sizes=$(xorriso -indev "$iso" -lsl /kiln /boot 2>/dev/null | awk '$1 ~ /^-/ { print $5, $NF }')
kiln_bytes=$(awk '$2 != "'"'efi.img'"'" { s += $1 } END { print s }' <<<"$sizes")
efi_bytes=$(awk '$2 == "'"'efi.img'"'" { print $1 }' <<<"$sizes")
iso_bytes=$(stat -c %s "$iso")
[[ -n $efi_bytes && $efi_bytes -le $MiB && $((iso_bytes - kiln_bytes)) -le $((4 * MiB)) ]]
ok $? "boot/efi.img is $efi_bytes bytes and the ISO $((iso_bytes - kiln_bytes)) bytes more than kiln/: the kernel and initrd are stored once"

same_as_image() { install_list_matches "$work/install.list" "$disk" "$1"; }

# install NAME FIRMWARE TARGET HOW: start the installer on an empty 4 GiB TARGET;
# HOW is cd or usb.
install_start() {
	local name=$1 firmware=$2 target=$3 how=$4
	truncate -s 4G "$target" || return 1
	case $how in
	cd)  qemu_start "$name" "$target" --persist --firmware="$firmware" -- \
		-drive "file=$iso,format=raw,media=cdrom,readonly=on" ;;
	usb) qemu_start "$name" "$target" --persist --firmware="$firmware" -- \
		-device qemu-xhci -drive "if=none,id=stick,file=$iso,format=raw,readonly=on" \
		-device usb-storage,drive=stick,removable=on ;;
	esac
}

# installed NAME WHAT TARGET: NAME printed KILN-INSTALLED and powered off; TARGET holds the image.
installed() {
	local name=$1 what=$2 target=$3
	if qemu_wait "$name" 'KILN-INSTALLED |KILN-INSTALL-FAILED' "$INSTALL_TIMEOUT"; then
		local line=${QEMU_MATCH#*KILN-INSTALL}
		is "KILN-INSTALL$line" "KILN-INSTALLED $root_sha256 /dev/vda" "$what: the installer wrote and verified the image ($QEMU_ELAPSED s)"
	else
		ok 1 "$what: the installer wrote and verified the image within $INSTALL_TIMEOUT s"
		qemu_grep "$name" 'kiln-install' | sed 's/^/# /'
	fi
	install_confined "$name"
	qemu_stop "$name" 60
	ok $? "$what: the machine powered off after installing (install.poweroff: true)"
	same_as_image "$target"
	ok $? "$what: every range on the disk equals disk.raw's"
}

# ---- Round 1: UEFI CD and BIOS CD.
install_start uefi-cd uefi "$work/uefi-cd.raw" cd || bail "cannot start QEMU (uefi-cd)"
install_start bios-cd bios "$work/bios-cd.raw" cd || bail "cannot start QEMU (bios-cd)"
installed uefi-cd "UEFI CD" "$work/uefi-cd.raw"
qemu_grep uefi-cd 'kiln-install: ' | sed 's/^/# uefi-cd: /'
installed bios-cd "BIOS CD" "$work/bios-cd.raw"
rm -f "$work/bios-cd.raw"

# ---- Round 2: a USB stick under UEFI; the UEFI CD's disk boots on its own.
install_start uefi-usb uefi "$work/uefi-usb.raw" usb || bail "cannot start QEMU (uefi-usb)"
qemu_start installed "$work/uefi-cd.raw" --firmware=uefi --mac="$MAC_INSTALLED" || bail "cannot start QEMU (installed)"
if qemu_booted installed "$root_sha256" "$BOOT_TIMEOUT" "the installed disk boots alone under UEFI, the image the ISO carried"; then
	if qemu_wait installed 'KILN-TEST ' 120; then
		r="KILN-TEST${QEMU_MATCH#*KILN-TEST}"
		diag "installed: $r"
		[[ $r == *" rootfs=erofs "* && $r == *" etc=overlay "* && $r == *" failed=none "* ]]
		ok $? "installed: erofs root, /etc overlay, no failed unit"
		var=$(sed -n 's/.* var=\([0-9]*\) .*/\1/p' <<<"$r")
		[[ $var =~ ^[0-9]+$ ]] && ((var > 1024 * MiB))
		ok $? "installed: var grew into the 4 GiB disk ($var bytes)"
	else
		ok 1 "installed: the test unit reports the node's state"
	fi
fi
qemu_stop installed
installed uefi-usb "UEFI USB stick" "$work/uefi-usb.raw"
rm -f "$work/uefi-cd.raw" "$work/uefi-usb.raw"

# ---- Round 3: refusals. Nothing may change on the disk.
truncate -s 2G "$work/small.raw"
qemu_start small "$work/small.raw" --persist --firmware=bios -- \
	-drive "file=$iso,format=raw,media=cdrom,readonly=on" || bail "cannot start QEMU (small)"
cp --sparse=always "$disk" "$work/used.raw" && truncate -s 4G "$work/used.raw" || bail "cannot copy $disk"
used_sum=$(sha256sum <"$work/used.raw")
# The used disk is bootable: the firmware is told to start from the CD, as an operator
# would pick it in the boot menu.
qemu_start used "$work/used.raw" --persist --firmware=bios -- \
	-drive "file=$iso,format=raw,media=cdrom,readonly=on" -boot order=d || bail "cannot start QEMU (used)"
refused() {	# NAME WHAT REGEX
	if qemu_wait "$1" 'KILN-INSTALL-FAILED|KILN-INSTALLED' "$REFUSE_TIMEOUT"; then
		diag "$1: ${QEMU_MATCH#*KILN-}"
		[[ $QEMU_MATCH == *KILN-INSTALL-FAILED* && $QEMU_MATCH =~ $3 ]]
		ok $? "$2: the installer refuses, and says why on the console"
	else
		ok 1 "$2: the installer refuses within $REFUSE_TIMEOUT s"
	fi
	qemu_stop "$1"
}
refused small "a 2 GiB disk (install.minimumDiskSize 3GiB)" 'no disk to install to.*vda \(2048 MiB, below the minimum\).*nothing was written'
[[ $(du -k "$work/small.raw" | cut -f1) -eq 0 ]] && cmp -s -n $((2048 * MiB)) "$work/small.raw" /dev/zero
ok $? "the small disk was not written to"
refused used "a disk holding partitions (no install.wipe)" '/dev/vda is not empty \(partitions vda1 vda2 vda3 vda4\).*install.wipe.*nothing was written'
is "$(sha256sum <"$work/used.raw")" "$used_sum" "the used disk is unchanged"
rm -f "$work/small.raw" "$work/used.raw"

tap_done
