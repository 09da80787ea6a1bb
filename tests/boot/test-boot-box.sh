#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot tier: the Vagrant box's disk (box.img out of kiln.box) booted in plain QEMU (TCG)
# under SeaBIOS, as vagrant-libvirt boots it by default: the node comes up from the box's
# own root file system, its NIC gets an address by DHCP, and Vagrant's way in works:
# ssh as vagrant with Vagrant's insecure key, passwordless sudo, and `kilnctl status`
# without sudo. Then vagrant box add takes kiln.box as a libvirt box; `vagrant up` of one
# node is not attempted yet (it skips and says why).
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
QEMU_RETRY_EARLY_PANIC=1

test_boot_image_require
command -v ssh >/dev/null || skip_all "ssh (openssh-client) is not installed (tools/install-deps)"

BOOT_TIMEOUT=300	# QEMU start to KILN-BOOTED
SSH_TIMEOUT=120		# KILN-BOOTED to a shell over ssh
MAC=52:54:00:00:00:10

qemu_test_setup boot-box

img=$(test_boot_image) || bail "the test image could not be built"
tar -xf "$img/kiln.box" -C "$work" box.img && mv "$work/box.img" "$work/box.qcow2" ||
	bail "kiln.box has no box.img"
# Vagrant's insecure private key (tests/lib/vagrant-insecure-key): public, fixed data that
# Vagrant ships, the other half of the key the box's vagrant user accepts.
install -m 0600 "$KILN_SRCDIR/tests/lib/vagrant-insecure-key" "$work/key"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

in_box() {	# in_box COMMAND: run COMMAND in the box as vagrant, as `vagrant ssh -c` does
	timeout 60 ssh -q -i "$work/key" -p "$port" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 \
		vagrant@127.0.0.1 "$@"
}

qemu_start box "$work/box.qcow2" --firmware=bios --mac="$MAC" --ssh-port="$port"
if ! qemu_wait box 'KILN-BOOTED' "$BOOT_TIMEOUT"; then
	ok 1 "box.img boots to KILN-BOOTED under SeaBIOS within $BOOT_TIMEOUT s"
	diag_tail "$(qemu_log box)" 30
	tap_done
	exit
fi
ok 0 "box.img boots to KILN-BOOTED under SeaBIOS in $QEMU_ELAPSED s"
booted_root=$(awk '{print $NF}' <<<"$QEMU_MATCH")
node_root=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["image"]["rootSha256"])' "$img/manifest.json" 2>/dev/null)
[[ $booted_root =~ ^[0-9a-f]{64}$ && $booted_root != "$node_root" ]]
ok $? "it runs the box's own root file system ($booted_root), not disk.raw's (${node_root:-?})"

start=$SECONDS
until in_box true 2>/dev/null; do
	((SECONDS - start < SSH_TIMEOUT)) || break
	sleep 2
done
in_box true
ok $? "ssh as vagrant with Vagrant's insecure key works, $((SECONDS - start)) s after KILN-BOOTED" ||
	{ diag_tail "$(qemu_log box)" 30; }

is "$(in_box 'id -un; sudo -n id -un' | tr '\n' ' ')" "vagrant root " "the vagrant user has passwordless sudo"
addr=$(in_box "ip -4 -o addr show scope global" | awk '{print $2, $4}')
[[ $addr == *10.0.2.15/24* ]]
ok $? "its NIC has an address by DHCP: $addr"

# The node may still be coming up: kilnctl status answers once the supervisor listens.
start=$SECONDS
until status=$(in_box kilnctl status 2>&1) && grep -q ': ready' <<<"$status"; do
	((SECONDS - start < 120)) || break
	sleep 3
done
in_box kilnctl status >"$work/status" 2>&1
ok $? "kilnctl status, as vagrant over ssh, exits 0: $(head -n 1 "$work/status")" || diag_tail "$work/status"
grep -q ': ready' "$work/status"
ok $? "and the node is ready" || diag_tail "$work/status"
keys=$(in_box 'ls /etc/ssh/ | grep -c "^ssh_host_.*_key$"')
ok $(( keys > 0 ? 0 : 1 )) "sshd's host keys were made at this machine's first boot ($keys)"
qemu_stop box 60
ok $? "the box powers off when asked (ACPI)"

# Vagrant itself: the box is one it accepts for the libvirt provider. vagrant up needs
# libvirtd (harness-facts.md: started by hand inside a network namespace, with vagrant in
# that namespace too); not attempted by this test yet.
if ! command -v vagrant >/dev/null || ! vagrant plugin list 2>/dev/null | grep -q vagrant-libvirt; then
	skip 2 "vagrant or vagrant-libvirt is not installed (tools/install-deps)"
else
	export VAGRANT_HOME=$work/vagrant-home VAGRANT_CHECKPOINT_DISABLE=1
	vagrant box add --name kiln-test "$img/kiln.box" >"$work/box-add.log" 2>&1 &&
		vagrant box list 2>/dev/null | grep -q '^kiln-test *(libvirt, 0)'
	ok $? "vagrant box add takes kiln.box as a libvirt box" || diag_tail "$work/box-add.log"
	skip 1 "vagrant up: needs libvirtd and virtlogd running inside a network namespace with vagrant (harness-facts.md); this test does not set that up yet"
fi
tap_done
