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
#   round 2  the installed disk boots alone
#        ||  BIOS, PXELINUX from TFTP: diskless, the images from TFTP (the profile has no
#            install.url: pxelinux.cfg says "tftp", the DHCP server's next-server)
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

if qemu_wait install 'KILN-INSTALLED |KILN-INSTALL-FAILED' "$INSTALL_TIMEOUT"; then
	line=${QEMU_MATCH#*KILN-INSTALL}
	is "KILN-INSTALL$line" "KILN-INSTALLED $root_sha256 /dev/vda" "install: BIOS iPXE (e1000) with kiln-mode=disk installs from HTTP ($QEMU_ELAPSED s)"
else
	ok 1 "install: BIOS iPXE with kiln-mode=disk installs within $INSTALL_TIMEOUT s"
fi
qemu_grep install 'kiln-install: ' | sed 's/^/# install: /'
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
qemu_booted pxelinux "$root_sha256" "$BOOT_TIMEOUT" "diskless: BIOS PXELINUX with the images from TFTP boots from RAM" ||
	qemu_grep pxelinux 'kiln-pxe|KILN-PXE' | sed 's/^/# /'
[[ -n $(qemu_grep pxelinux 'kiln-pxe: files from TFTP at 10.0.2.2') ]]
ok $? "diskless: the files came from the DHCP server's next-server over TFTP"
qemu_stop pxelinux

tap_done
