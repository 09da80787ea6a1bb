#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot tier: the Vagrant box's disk (box.img out of kiln.box) booted in plain QEMU (TCG)
# under SeaBIOS, as vagrant-libvirt boots it by default (and once under OVMF, to
# KILN-BOOTED only): the node comes up from the box's
# own root file system, its NIC gets an address by DHCP, and Vagrant's way in works:
# ssh as vagrant with Vagrant's insecure key, passwordless sudo, and `kilnctl status`
# without sudo. Then Vagrant: vagrant box add takes kiln.box as a libvirt box, and, where
# libvirtd is installed, vagrant up of one node and vagrant ssh -c 'kilnctl status'.
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

# The box's Vagrantfile does not ask for UEFI because the disk needs no particular firmware:
# the same box.img under OVMF reaches the same root.
qemu_start box-uefi "$work/box.qcow2" --firmware=uefi
if qemu_wait box-uefi 'KILN-BOOTED' "$BOOT_TIMEOUT"; then
	is "$(awk '{print $NF}' <<<"$QEMU_MATCH")" "$booted_root" "box.img boots under UEFI too, to the same root, in $QEMU_ELAPSED s"
else
	ok 1 "box.img boots under UEFI too, within $BOOT_TIMEOUT s"
	diag_tail "$(qemu_log box-uefi)" 20
fi
qemu_stop box-uefi

# Vagrant itself: the box is one it accepts for the libvirt provider, and `vagrant up` of
# one node from it, then `vagrant ssh -c 'kilnctl status'`. libvirtd and virtlogd are
# started by this test inside a network namespace of their own (libvirt makes bridges,
# dnsmasq and iptables rules: harness-facts.md), and vagrant runs in that namespace too;
# the domain is plain QEMU (TCG), as everywhere in this tier.
vagrant_skip() {	# vagrant_skip N REASON
	skip "$1" "$2"
	tap_done
	exit
}
command -v vagrant >/dev/null && vagrant plugin list 2>/dev/null | grep -q vagrant-libvirt ||
	vagrant_skip 3 "vagrant or vagrant-libvirt is not installed (tools/install-deps)"
export VAGRANT_HOME=$work/vagrant-home VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_DEFAULT_PROVIDER=libvirt
box_name=kiln-test-$$
vagrant box add --name "$box_name" "$img/kiln.box" >"$work/box-add.log" 2>&1 &&
	vagrant box list 2>/dev/null | grep -q "^$box_name *(libvirt, 0)"
ok $? "vagrant box add takes kiln.box as a libvirt box" || diag_tail "$work/box-add.log"

command -v libvirtd >/dev/null && command -v virtlogd >/dev/null ||
	vagrant_skip 2 "vagrant up: libvirtd is not installed (Debian package libvirt-daemon-system)"
pgrep -x libvirtd >/dev/null &&
	vagrant_skip 2 "vagrant up: a libvirtd runs on this machine already; this test starts its own, in a network namespace"
ns=kiln-box-$$
vagrant_cleanup() {
	[[ -d $work/vagrant ]] && (cd "$work/vagrant" && ip netns exec "$ns" timeout 120 vagrant destroy -f) >/dev/null 2>&1
	# The base box's volume, which vagrant-libvirt uploaded into the pool.
	local v
	for v in $(ip netns exec "$ns" virsh vol-list default 2>/dev/null | awk -v b="$box_name" 'index($1, b "_vagrant_box_image") == 1 {print $1}'); do
		ip netns exec "$ns" virsh vol-delete --pool default "$v" >/dev/null 2>&1
	done
	for pidfile in "$work/libvirtd.pid" "$work/virtlogd.pid"; do
		[[ -s $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null
	done
	sleep 1
	ip netns del "$ns" 2>/dev/null
}
trap 's=$?; vagrant_cleanup; (exit $s); _qemu_test_finish' EXIT
ip netns add "$ns" && ip -n "$ns" link set lo up &&
	ip netns exec "$ns" virtlogd -d -p "$work/virtlogd.pid" &&
	ip netns exec "$ns" libvirtd -d -p "$work/libvirtd.pid" ||
	vagrant_skip 2 "vagrant up: cannot start libvirtd in a network namespace"
wait_for 30 ip netns exec "$ns" virsh version >/dev/null 2>&1

mkdir "$work/vagrant"
cat >"$work/vagrant/Vagrantfile" <<VF
Vagrant.configure("2") do |config|
  config.vm.box = "$box_name"
  config.vm.boot_timeout = 600
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "qemu"   # TCG: no KVM on these machines
    libvirt.memory = 2048
  end
end
VF
start=$SECONDS
(cd "$work/vagrant" && ip netns exec "$ns" timeout 900 vagrant up --provider=libvirt) >"$work/vagrant-up.log" 2>&1
ok $? "vagrant up (vagrant-libvirt, TCG) brings a node up from kiln.box in $((SECONDS - start)) s" ||
	tr '\r' '\n' <"$work/vagrant-up.log" | grep -v Progress | tail -n 15 | sed 's/^/#   /'
(cd "$work/vagrant" && ip netns exec "$ns" timeout 180 vagrant ssh -c 'kilnctl status') >"$work/vagrant-ssh.log" 2>&1
status=$?
grep -q ': ready' "$work/vagrant-ssh.log"
ok $((status | $?)) "vagrant ssh -c 'kilnctl status': $(head -n 1 "$work/vagrant-ssh.log")" || diag_tail "$work/vagrant-ssh.log"
tap_done
