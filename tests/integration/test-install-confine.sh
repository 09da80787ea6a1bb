#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The installer's tools under their install-* profiles, run by the static kiln-confine that
# kiln-imagegen appends to the initrd, on this host's copies of the same Debian tools
# (coreutils' dd and sha256sum, zstd, busybox): each does its installer job (write a
# range to a disk and read it back, fetch over HTTP, mount a file system) and nothing
# more (a file outside its writable paths, a disk from a read-only profile, a socket from
# a profile without one, a mount without CAP_SYS_ADMIN). The boot tier runs the same
# profiles in a real install (test-boot-iso.sh, test-boot-pxe.sh).
source "$KILN_SRCDIR/tests/lib/tap.sh"
confine=$KILN_BUILDDIR/supervisor/kiln-confine.static
profiles=$KILN_SRCDIR/profiles/security

[[ $(id -u) -eq 0 ]] || skip_all "needs root (loop devices, mounts)"
for t in dd sha256sum zstd busybox losetup mkfs.ext4 unshare python3; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (tools/install-deps)"
done
tmp=$(mktemp -d /var/tmp/kiln-install-confine-XXXXXX)
loop= server=
cleanup() {
	[[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[[ -n $loop ]] && losetup -d "$loop"
	rm -rf "$tmp"
}
trap cleanup EXIT
confined() { "$confine" --profile-dir="$profiles" run "$@"; }
MiB=$((1024 * 1024))

readelf -l "$confine" | grep -q 'Requesting program interpreter'
is "$?" 1 "kiln-confine.static asks for no program interpreter: static (the initrd has no libraries for it)"

# A 16 MiB disk; the payload is 3 MiB of noise, compressed as kiln-imagegen does.
truncate -s $((16 * MiB)) "$tmp/disk.img"
loop=$(losetup -f --show "$tmp/disk.img") || bail "cannot attach a loop device"
head -c $((3 * MiB)) /dev/urandom >"$tmp/range"
zstd -q "$tmp/range" -o "$tmp/range.zst"
want=$(sha256sum <"$tmp/range")

# write_range and range_sha256 of scripts/init-premount/kiln-install.
confined install-read -- dd if="$tmp/range.zst" bs=$MiB status=none |
	confined install-read -- zstd -dcq |
	confined install-write -- dd of="$loop" bs=$MiB seek=2 iflag=fullblock conv=notrunc status=none
is "${PIPESTATUS[*]}" "0 0 0" "dd (install-read) | zstd -d (install-read) | dd to the disk (install-write): every step exits 0"
got=$(confined install-read -- dd if="$loop" bs=$MiB skip=2 count=3 status=none | confined install-read -- sha256sum)
is "$got" "$want" "the range read back (dd | sha256sum, install-read) has the payload's SHA-256"
confined install-write -- dd if=/dev/zero of="$loop" bs=$MiB seek=15 count=1 conv=notrunc status=none
ok $? "zero_range: dd from /dev/zero to the disk's last MiB (install-write)"
is "$(confined install-read -- sha256sum "$tmp/range")" "${want%  -}  $tmp/range" "kiln_sha256: sha256sum FILE (install-read)"

# What the installer prints before it writes: the kernel's view of dd under each profile.
for p in install-read install-write; do
	st=$(confined "$p" -- dd if=/proc/self/status status=none)
	line=$(awk '/^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):/ { printf " %s=%s", substr($1, 1, length($1) - 1), $2 }' <<<"$st")
	is "$line" " CapEff=0000000000000000 CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=2 Seccomp_filters=1" \
		"$p: dd's own /proc/self/status: no capability, no_new_privs, one seccomp filter"
done

# What they may not do.
out=$(confined install-write -- dd if=/dev/zero of="$tmp/outside" bs=1 count=1 2>&1); rc=$?
[[ $rc -ne 0 && $out == *"Permission denied"* && ! -s $tmp/outside ]]
ok $? "install-write: dd cannot write a file outside /dev (Landlock: $out)"
before=$(sha256sum <"$loop")
out=$(confined install-read -- dd if=/dev/zero of="$loop" bs=1 count=1 conv=notrunc 2>&1); rc=$?
[[ $rc -ne 0 && $out == *"Permission denied"* && $(sha256sum <"$loop") == "$before" ]]
ok $? "install-read: dd cannot open the disk for writing, and the disk is unchanged ($out)"
out=$(confined install-read -- busybox wget -q -O - http://127.0.0.1:9/ 2>&1); rc=$?
[[ $rc -ne 0 && $out == *"Operation not permitted"* ]]
ok $? "install-read: no socket (seccomp: $out)"

# install-fetch: busybox wget under busybox timeout, from a server on 127.0.0.1.
mkdir -p "$tmp/srv" "$tmp/http"
cp "$tmp/range.zst" "$tmp/srv/root-a.zst"
python3 "$KILN_SRCDIR/tests/lib/http-files.py" "$tmp/srv" "$tmp/http/port" "$tmp/http/log" norange 2>/dev/null &
server=$!
for _ in $(seq 100); do [[ -s $tmp/http/port ]] && break; sleep 0.1; done
port=$(cat "$tmp/http/port" 2>/dev/null)
if [[ -n $port ]]; then
	got=$(confined install-fetch -- busybox timeout 60 busybox wget -q -O - "http://127.0.0.1:$port/root-a.zst" | sha256sum)
	is "$got" "$(sha256sum <"$tmp/range.zst")" "install-fetch: busybox timeout + wget fetches the payload to its stdout"
	out=$(confined install-fetch -- busybox timeout 60 busybox wget -q -O "$tmp/fetched" "http://127.0.0.1:$port/root-a.zst" 2>&1); rc=$?
	[[ $rc -ne 0 && ! -s $tmp/fetched ]]
	ok $? "install-fetch: wget cannot write a file outside /run ($out)"
else
	ok 1 "the HTTP server on 127.0.0.1 started"
	ok 1 "(no server)"
fi

# install-mount: busybox mount, read-only, and umount, in a mount namespace of its own
# (ext4: this host may have no iso9660; the boot tier mounts the real ISO).
truncate -s $((16 * MiB)) "$tmp/fs.img" && mkfs.ext4 -q "$tmp/fs.img" && mkdir -p "$tmp/mnt"
out=$(unshare -m bash -c '
	fs=$(losetup -f --show "$1/fs.img") || exit 9
	trap "losetup -d $fs" EXIT
	"$2" --profile-dir="$3" run install-mount -- busybox mount -t ext4 -o ro "$fs" "$1/mnt" || exit 1
	grep -q " $1/mnt ro,.* ext4 " /proc/self/mountinfo || exit 2
	"$2" --profile-dir="$3" run install-mount -- busybox umount "$1/mnt" || exit 3
	grep -q " $1/mnt " /proc/self/mountinfo && exit 4
	"$2" --profile-dir="$3" run install-write -- busybox mount -t ext4 -o ro "$fs" "$1/mnt" 2>&1 && exit 5
	exit 0' - "$tmp" "$confine" "$profiles" 2>&1); rc=$?
is "$rc" 0 "install-mount: busybox mount -o ro and umount work; under install-write mount is refused ($out)"
tap_done
