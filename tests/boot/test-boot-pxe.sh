#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot tier: the PXE set (pxe/ of the shared boot test image, whose profile has
# install: {mode: diskless, ramBudget: 512MiB}) booted in QEMU (TCG) with no disk, from
# QEMU's own iPXE ROM and DHCP/TFTP server, the HTTP servers on 127.0.0.1 (10.0.2.2 to the
# guest). At most two VMs at once:
#   round 1  UEFI, virtio-net, iPXE: diskless from HTTP (the operator's chain script sets
#            kiln-url); the server first has a corrupted root-a.zst, which the node must
#            refuse, say so and fetch again; once the server has the right file the node
#            boots from RAM
#        ||  BIOS, e1000, iPXE, kiln-mode=disk: installs to an empty 4 GiB disk from HTTP
#            and powers off; what it wrote is compared with disk.raw range by range
#   round 2  the installed disk boots alone, then the install: options (below)
#        ||  BIOS, PXELINUX from TFTP: diskless, the images from TFTP (the profile has no
#            install.url: pxelinux.cfg says "tftp", the DHCP server's next-server)
# The install: options go to the installer on the kernel command line
# (test-install-cmdline.c checks what the profile's keys become); an operator's boot script
# with kiln.install=/dev/vdb kiln.install.wipe=1 kiln.install.after=reboot installs to the
# second of two disks, which holds partitions, and reboots; the first disk (with two
# candidates, "auto" would have stopped) is not touched.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
QEMU_RETRY_EARLY_PANIC=1

test_boot_image_require

BOOT_TIMEOUT=420	# QEMU start to KILN-BOOTED over the network, two TCG VMs at once
INSTALL_TIMEOUT=420
MiB=$((1024 * 1024))

qemu_test_setup boot-pxe
declare -a servers=()
stop_servers() { local p; for p in "${servers[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'stop_servers; _qemu_test_finish' EXIT

out=$(test_boot_image) || bail "cannot build the boot test image"
pxe=$out/pxe disk=$out/disk.raw
[[ -s $pxe/boot.ipxe ]] || bail "the boot test image has no pxe/"
root_sha256=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["image"]["rootSha256"])' \
	"$out/manifest.json") || bail "no image.rootSha256 in $out/manifest.json"
diag "PXE set $pxe: $(du -sb "$pxe" | cut -f1) bytes; image root $root_sha256"

# The set's own checks: boot.ipxe and pxelinux.cfg pin install.list by its digest, and
# every file the list names is there with the digest the list gives.
list_sha=$(sha256sum <"$pxe/install.list" | cut -d' ' -f1)
grep -q "kiln.pxe.list=$list_sha " "$pxe/boot.ipxe" && grep -q "kiln.install.list=$list_sha " "$pxe/boot.ipxe" &&
	grep -q "kiln.pxe.list=$list_sha " "$pxe/pxelinux.cfg/default"
ok $? "boot.ipxe and pxelinux.cfg/default carry install.list's sha256 ($list_sha)"
bad=0
while read -r kind off len sum file zsum; do
	[[ $kind == write ]] || continue
	[[ $(sha256sum <"$pxe/$file" | cut -d' ' -f1) == "$zsum" ]] || { diag "$file: digest differs"; bad=1; }
	[[ $(zstd -dcq "$pxe/$file" | sha256sum | cut -d' ' -f1) == "$sum" ]] || { diag "$file: unpacked digest differs"; bad=1; }
done <"$pxe/install.list"
ok $bad "every file install.list names has its digest, packed and unpacked"

# serve DIR: an HTTP server for DIR on 127.0.0.1 (stopped at exit); sets port.
serve() {
	local dir=$1 state i; state=$(mktemp -d "$work/http-XXXXXX")
	python3 "$KILN_SRCDIR/tests/lib/http-files.py" "$dir" "$state/port" "$state/log" norange >/dev/null 2>"$state/err" &
	servers+=($!)
	for ((i = 0; i < 50; i++)); do
		[[ -s $state/port ]] && { port=$(<"$state/port"); return 0; }
		sleep 0.1
	done
	return 1
}

# chain NAME URL [MODE]: the script the DHCP server hands iPXE (here: QEMU's TFTP), as an
# operator's would: where the set is, and optionally the mode.
chain() {
	mkdir -p "$work/tftp-$1"
	{
		echo '#!ipxe'
		echo 'dhcp'
		echo "set kiln-url $2"
		[[ -n ${3:-} ]] && echo "set kiln-mode $3"
		echo 'chain ${kiln-url}boot.ipxe'
	} >"$work/tftp-$1/chain.ipxe"
}

# installed NAME DEVICE WHAT: that NAME's installer wrote the image to DEVICE
# ("NAME: WHAT (N s)") with its tools confined (install_confined); its console lines as
# diagnostics.
installed() {
	local name=$1 device=$2 what=$3
	if qemu_wait "$name" 'KILN-INSTALLED |KILN-INSTALL-FAILED' "$INSTALL_TIMEOUT"; then
		is "KILN-INSTALL${QEMU_MATCH#*KILN-INSTALL}" "KILN-INSTALLED $root_sha256 $device" "$name: $what ($QEMU_ELAPSED s)"
	else
		ok 1 "$name: $what, within $INSTALL_TIMEOUT s"
	fi
	install_confined "$name"
	qemu_grep "$name" 'kiln-install: ' | sed "s/^/# $name: /"
}

# The diskless node's server has a corrupted root-a.zst at first (one byte changed in the
# middle: the node only sees it by its digest).
mkdir -p "$work/srv"
cp -r "$pxe/." "$work/srv/" || bail "cannot copy $pxe"
cp "$pxe/root-a.zst" "$work/root-a.good"
size=$(stat -c %s "$work/root-a.good")
printf '\xff' | dd of="$work/srv/root-a.zst" bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s "$work/srv/root-a.zst" "$work/root-a.good" && bail "the corrupted root-a.zst is not different"
serve "$work/srv" || bail "cannot start an HTTP server"
port_bad=$port
serve "$pxe" || bail "cannot start an HTTP server"
port_good=$port
chain diskless "http://10.0.2.2:$port_bad/"
chain install "http://10.0.2.2:$port_good/" disk

# The install: options' node: boot.ipxe as the profile would have it, the kernel and
# initrd by absolute URL (the script itself comes from TFTP); two disks, each with a
# partition table, the first with a marker too.
mkdir -p "$work/tftp-opts"
sed -e 's|kiln\.install=auto |kiln.install=/dev/vdb |' -e 's|kiln\.install\.wipe=0 |kiln.install.wipe=1 |' \
	-e 's|kiln\.install\.after=poweroff |kiln.install.after=reboot |' \
	-e 's|^kernel vmlinuz |kernel ${kiln-url}vmlinuz |' -e 's|^initrd initrd\.img$|initrd ${kiln-url}initrd.img|' \
	"$pxe/boot.ipxe" >"$work/tftp-opts/boot-opts.ipxe"
grep -q 'kiln.install=/dev/vdb kiln.install.min=[0-9]* kiln.install.wipe=1 kiln.install.after=reboot ' "$work/tftp-opts/boot-opts.ipxe" &&
	[[ $(grep -c '^kernel ${kiln-url}vmlinuz \|^initrd ${kiln-url}initrd.img$' "$work/tftp-opts/boot-opts.ipxe") -eq 4 ]] ||
	bail "boot.ipxe does not have the expected kernel, initrd and install lines"
printf '#!ipxe\ndhcp\nset kiln-url http://10.0.2.2:%s/\nset kiln-mode disk\nchain boot-opts.ipxe\n' "$port_good" \
	>"$work/tftp-opts/chain.ipxe"
truncate -s 4G "$work/decoy.raw" "$work/target.raw"
printf 'label: gpt\n,64MiB\n' | sfdisk -q "$work/decoy.raw" >/dev/null &&
	echo "kiln decoy disk" | dd of="$work/decoy.raw" bs=1M seek=2 conv=notrunc status=none &&
	printf 'label: gpt\n,64MiB\n,64MiB\n' | sfdisk -q "$work/target.raw" >/dev/null || bail "cannot partition the test disks"
decoy_sha=$(sha256sum <"$work/decoy.raw" | cut -d' ' -f1)

# ---- Round 1
qemu_start diskless none --firmware=uefi -- -boot n \
	-netdev "user,id=n0,tftp=$work/tftp-diskless,bootfile=chain.ipxe" -device virtio-net-pci,netdev=n0,mac=52:54:00:50:58:01 ||
	bail "cannot start QEMU (diskless)"
truncate -s 4G "$work/install.raw"
qemu_start install "$work/install.raw" --persist --firmware=bios -- -boot n \
	-netdev "user,id=n0,tftp=$work/tftp-install,bootfile=chain.ipxe" -device e1000,netdev=n0,mac=52:54:00:50:58:02 ||
	bail "cannot start QEMU (install)"

if qemu_wait diskless 'KILN-PXE-REFUSED: root-a.zst' "$BOOT_TIMEOUT"; then
	[[ $QEMU_MATCH == *"expected $(sha256sum <"$work/root-a.good" | cut -d' ' -f1): not used"* ]]
	ok $? "diskless: a root image with the wrong digest is refused, and the node says so ($QEMU_ELAPSED s)"
	diag "diskless: ${QEMU_MATCH#*KILN-}"
	qemu_wait diskless 'kiln-pxe: trying again' 60
	ok $? "diskless: the node fetches again"
	cp "$work/root-a.good" "$work/srv/root-a.zst.new" && mv "$work/srv/root-a.zst.new" "$work/srv/root-a.zst"
else
	ok 1 "diskless: a root image with the wrong digest is refused within $BOOT_TIMEOUT s"
	ok 1 "diskless: the node fetches again"
fi
if qemu_booted diskless "$root_sha256" "$BOOT_TIMEOUT" "diskless: UEFI iPXE over HTTP boots the image from RAM"; then
	if qemu_wait diskless 'KILN-TEST ' 120; then
		r="KILN-TEST${QEMU_MATCH#*KILN-TEST}"
		diag "diskless: $r"
		[[ $r == *" rootfs=erofs "* && $r == *" etc=overlay "* && $r == *" failed=none "* ]]
		ok $? "diskless: erofs root, /etc overlay, no failed unit"
	else
		ok 1 "diskless: the test unit reports the node's state"
	fi
	[[ -n $(qemu_grep diskless 'kiln-pxe: running from RAM') ]]
	ok $? "diskless: the root and var images run from RAM"
else
	qemu_grep diskless 'kiln-pxe|KILN-PXE' | sed 's/^/# /'
fi
qemu_grep diskless 'kiln-pxe: ' | sed 's/^/# diskless: /'
qemu_stop diskless

installed install /dev/vda "BIOS iPXE (e1000) with kiln-mode=disk installs from HTTP"
qemu_stop install 60
ok $? "install: the machine powered off after installing"
install_list_matches "$pxe/install.list" "$disk" "$work/install.raw"
ok $? "install: every range on the disk equals disk.raw's"

# ---- Round 2
qemu_start installed "$work/install.raw" --firmware=bios --mac=52:54:00:50:58:03 || bail "cannot start QEMU (installed)"
mkdir -p "$work/tftp-pxelinux"
qemu_start pxelinux none --firmware=bios -- -boot n \
	-netdev "user,id=n0,tftp=$pxe,bootfile=pxelinux.0" -device virtio-net-pci,netdev=n0,mac=52:54:00:50:58:04 ||
	bail "cannot start QEMU (pxelinux)"
qemu_booted installed "$root_sha256" "$BOOT_TIMEOUT" "the disk installed over the network boots alone"
qemu_stop installed
rm -f "$work/install.raw"

qemu_start options "$work/decoy.raw" --persist --firmware=bios -- -boot n \
	-drive "file=$work/target.raw,format=raw,if=virtio" \
	-netdev "user,id=n0,tftp=$work/tftp-opts,bootfile=chain.ipxe" -device e1000,netdev=n0,mac=52:54:00:50:58:05 ||
	bail "cannot start QEMU (options)"

qemu_booted pxelinux "$root_sha256" "$BOOT_TIMEOUT" "diskless: BIOS PXELINUX with the images from TFTP boots from RAM" ||
	qemu_grep pxelinux 'kiln-pxe|KILN-PXE' | sed 's/^/# /'
[[ -n $(qemu_grep pxelinux 'kiln-pxe: files from TFTP at 10.0.2.2') ]]
ok $? "diskless: the files came from the DHCP server's next-server over TFTP"
qemu_stop pxelinux

# ---- The install: options
installed options /dev/vdb "install.device /dev/vdb is the disk written, of two"
[[ -n $(qemu_grep options 'kiln-install: /dev/vdb holds partitions vdb1 vdb2: overwriting it \(install.wipe\)') ]]
ok $? "options: install.wipe lets it overwrite a disk that holds partitions, and it says so"
[[ -n $(qemu_grep options 'kiln-install: rebooting into the installed disk') ]] && qemu_stop options 60
ok $? "options: install.poweroff: false reboots (QEMU, run with -no-reboot, exits)"
install_list_matches "$pxe/install.list" "$disk" "$work/target.raw"
ok $? "options: every range on /dev/vdb equals disk.raw's"
is "$(sha256sum <"$work/decoy.raw" | cut -d' ' -f1)" "$decoy_sha" "options: the other disk is unchanged"
rm -f "$work/decoy.raw" "$work/target.raw"

tap_done
