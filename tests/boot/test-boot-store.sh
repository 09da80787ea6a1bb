#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot tier: an image whose containerd store was seeded at build time, booted with no
# network at all (no NIC). Built end to end: a real registry with token authentication
# and an HTTP server (tests/lib/bundle-fixture.sh), "kiln-imagegen lock", "fetch", then
# "build --offline" with the servers stopped. The image carries tests/boot/fixtures-store,
# a unit that reports what containerd holds as KILN-STORE lines on the console.
#   first boot: the supervisor's images phase is done; every image of manifest.json is
#     listed by containerd with its digest and pinned; no blob is younger than a day
#     (nothing was imported: seeded blobs are as old as the build's epoch); a container
#     starts from a seeded image, whose whiteouts were applied.
#   the same disk booted again: the same, and still nothing imported.
#   the same bundle built with containerd.importAtFirstBoot (booted between them):
#     the first boot imports every image once and leaves a stamp; the second does not.
#   the same disk with containerd's meta.db deleted (the var partition's journal replayed
#     by e2fsck, then debugfs):
#     kiln-store-check restores it, and the snapshotter's database with it, from the
#     root's read-only seed before containerd starts; the store is whole again, a
#     container runs again, still without importing anything.
source "$KILN_SRCDIR/tests/lib/tap.sh"
source "$KILN_SRCDIR/tests/lib/image.sh"
source "$KILN_SRCDIR/tests/lib/qemu.sh"
# A guest kernel that panics before /init (the TCG int3 race, about one boot in fifteen
# on a loaded host) is booted again, once.
QEMU_RETRY_EARLY_PANIC=1
source "$KILN_SRCDIR/tests/lib/registry.sh"
source "$KILN_SRCDIR/tests/lib/bundle-fixture.sh"

imagegen=$KILN_BUILDDIR/imagegen/kiln-imagegen
test_boot_image_require
registry_require

STORE_TIMEOUT=420	# QEMU start to KILN-STORE-END: boot, containerd, the report's 60 s run bound

qemu_test_setup boot-store	# sets $work
cleanup_store() {
	registry_cleanup
	rm -rf "$work"
}
trap 'cleanup_store; _qemu_test_finish' EXIT

# ---- The bundle and the image.
bundle_fixture_setup "$work/bundle" || bail "cannot set up the registry and the test images"
export KILN_REGISTRY_AUTH=$BUNDLE_AUTH
cache=$(test_kiln_cache)
SOURCE_DATE_EPOCH=$TEST_EPOCH "$imagegen" lock --cache "$cache" "$BUNDLE_PROFILE" >"$work/lock.out" 2>&1 ||
	{ diag_tail "$work/lock.out"; bail "kiln-imagegen lock failed"; }
SOURCE_DATE_EPOCH=$TEST_EPOCH "$imagegen" fetch --cache "$cache" "$BUNDLE_PROFILE" >"$work/fetch.out" 2>&1 ||
	{ diag_tail "$work/fetch.out"; bail "kiln-imagegen fetch failed"; }
registry_stop
http_files_stop
# The report runs its container from the app image; the name holds the registry's port.
mkdir -p "$work/run-image/usr/lib/kiln-test"
echo "$BUNDLE_APP" >"$work/run-image/usr/lib/kiln-test/run-image"
SOURCE_DATE_EPOCH=$TEST_EPOCH timeout 1200 "$imagegen" build --offline --cache "$cache" -o "$work/out" \
	--extra-tree "$KILN_SRCDIR/tests/boot/fixtures-store" --extra-tree "$work/run-image" \
	"$BUNDLE_PROFILE" >"$work/build.out" 2>&1 || { diag_tail "$work/build.out"; bail "kiln-imagegen build --offline failed"; }
disk=$work/out/disk.raw
# The same bundle with containerd.importAtFirstBoot: the archive shipped, imported once.
sed 's/^  sandboxImage: .*/&\n  importAtFirstBoot: true/' "$BUNDLE_PROFILE" >"${BUNDLE_PROFILE%.yaml}-import.yaml"
SOURCE_DATE_EPOCH=$TEST_EPOCH timeout 1200 "$imagegen" build --offline --cache "$cache" -o "$work/out-import" \
	--lock "$(dirname "$BUNDLE_PROFILE")/kiln.lock" \
	--extra-tree "$KILN_SRCDIR/tests/boot/fixtures-store" --extra-tree "$work/run-image" \
	"${BUNDLE_PROFILE%.yaml}-import.yaml" >"$work/build-import.out" 2>&1 ||
	{ diag_tail "$work/build-import.out"; bail "kiln-imagegen build --offline (importAtFirstBoot) failed"; }
grep -q 'imported once at the first boot' "$work/build-import.out"
ok $? "importAtFirstBoot: the build ships the archive instead of seeding the store"
disk_import=$work/out-import/disk.raw
want=$(python3 -c '
import json, sys
for name, v in sorted(json.load(open(sys.argv[1]))["images"].items()):
    print(name, v["digest"])' "$work/out/manifest.json") || bail "no images in manifest.json"
n_want=$(wc -l <<<"$want")
diag "image with $n_want seeded images"

# store_report NAME ROUND [seeded|import-first|import-again]: the checks on one boot's
# KILN-STORE lines.
store_report() {
	local name=$1 round=$2 mode=${3:-seeded} log got
	if ! qemu_wait "$name" 'KILN-STORE-END' "$STORE_TIMEOUT"; then
		ok 1 "$round: the store report (KILN-STORE-END) within $STORE_TIMEOUT s"
		qemu_grep "$name" 'KILN-STORE|kiln-supervisor|containerd' | tail -n 20 | sed 's/^/#   /'
		return 1
	fi
	ok 0 "$round: the store report (KILN-STORE-END) after $QEMU_ELAPSED s"
	is "$(qemu_grep "$name" 'KILN-STORE-PHASE' | sed 's/.*KILN-STORE-PHASE //')" "images=done" \
		"$round: kiln-supervisor's images phase is done (containerd's records match image.json)"
	# containerd's CRI adds a record named by each image's ID (sha256:<config digest>)
	# when it starts: metadata it keeps for the kubelet, not an import. Only the named
	# records are the seeded ones.
	local records
	records=$(qemu_grep "$name" 'KILN-STORE-IMAGE' | sed 's/.*KILN-STORE-IMAGE //')
	got=$(grep -v '^sha256:' <<<"$records" | awk '{ print $1, $2 }' | LC_ALL=C sort)
	diag "$round: $(grep -c '^sha256:' <<<"$records") image ID records made by the CRI plugin"
	is "$got" "$want" "$round: ctr -n k8s.io images ls lists every image with the digest of manifest.json ($n_want)"
	is "$(grep -v '^sha256:' <<<"$records" | grep -c 'pinned=yes')" "$n_want" "$round: every image is pinned"
	log=$(qemu_grep "$name" 'KILN-STORE-BLOBS' | sed 's/.*KILN-STORE-BLOBS //')
	diag "$round: $log"
	local import
	import=$(qemu_grep "$name" 'KILN-STORE-IMPORT' | sed 's/.*KILN-STORE-IMPORT //')
	case $mode in
	seeded)
		[[ " $log " =~ \ count=([1-9][0-9]*)\  && " $log " == *" young=0 old=${BASH_REMATCH[1]} "* ]]
		ok $? "$round: every blob in the content store is as old as the build, none was created at this boot: zero bytes imported ($log)"
		is "$import" "ran=no result=success stamp=no" "$round: the first-boot import did not run (seeded store)"
		;;
	import-first)
		[[ " $log " =~ \ count=([1-9][0-9]*)\  && " $log " == *" young=${BASH_REMATCH[1]} old=0 "* ]]
		ok $? "$round: every blob was imported at this boot ($log)"
		is "$import" "ran=yes result=success stamp=yes" "$round: kiln-images-import ran and left its stamp"
		;;
	import-again)
		is "$import" "ran=no result=success stamp=yes" "$round: the stamp kept kiln-images-import from running again"
		;;
	esac
	log=$(qemu_grep "$name" 'KILN-STORE-RUN' | sed 's/.*KILN-STORE-RUN //')
	[[ $log == "exit=0 "* && $log == *kiln-test-app* && $log == *whiteout-ok* && $log == *"from-layer-2,"* &&
		$log != *from-layer-1* ]]
	ok $? "$round: a container runs from a seeded image with no network; its whiteouts and opaque directory are applied ($log)"
}

# ---- First boot, written to the disk; then the same disk again. One VM at a time: TCG
# is CPU-bound, and two VMs on two cores only take turns.
qemu_start first "$disk" --firmware=uefi --persist || bail "cannot start QEMU"
store_report first "first boot"
qemu_stop first
qemu_start ifirst "$disk_import" --firmware=uefi --persist || bail "cannot start QEMU"
store_report ifirst "importAtFirstBoot, first boot" import-first
qemu_stop ifirst
qemu_start isecond "$disk_import" --firmware=uefi --persist || bail "cannot start QEMU"
store_report isecond "importAtFirstBoot, second boot" import-again
qemu_stop isecond
qemu_start second "$disk" --firmware=uefi --persist || bail "cannot start QEMU"
store_report second "second boot"
is "$(qemu_grep second 'KILN-STORE-RESTORED' | sed 's/.*KILN-STORE-RESTORED //')" "0 pruned=0" "second boot: nothing restored"
qemu_stop second

# ---- meta.db lost: written back into the var partition without mounting it.
read -r vstart vsize < <(python3 -c '
import json, sys
for p in json.load(open(sys.argv[1]))["partitions"]:
    if p["name"] == "var": print(p["start"], p["size"])' "$work/out/manifest.json")
var_img=$work/var.img
# The first boot grew var to the end of the disk: take the partition as the GPT has it now.
read -r vstart vsize < <(sfdisk -J "$disk" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
p = next(p for p in t["partitions"] if p.get("name") == "var")
print(p["start"] * t.get("sectorsize", 512), p["size"] * t.get("sectorsize", 512))')
dd if="$disk" of="$var_img" bs=1M iflag=skip_bytes,count_bytes skip="$vstart" count="$vsize" conv=sparse status=none
ok $? "the var partition copied out ($((vsize >> 20)) MiB at byte $vstart)"
# The VM was stopped without a shutdown: what its last seconds changed may still be only in
# var's journal, the blocks in place not yet written back. Edited like that, the bitmaps
# and their checksums in the group descriptors can disagree, and debugfs then cannot open
# the file system at all (it says so, and still exits 0); if it could, the next boot's
# journal replay could write the directory back. Replay the journal first, as a mount
# would (e2fsck -p: 0 clean, 1 fixed; more is a damaged file system).
fsck=$(e2fsck -fp "$var_img" 2>&1)
status=$?
((status <= 1))
ok $? "var's journal replayed and the file system checked offline (e2fsck -fp: exit $status)"
while IFS= read -r line; do diag "  e2fsck -fp: $line"; done <<<"$fsck"
out=$(debugfs -w -R "rm /lib/containerd/io.containerd.metadata.v1.bolt/meta.db" "$var_img" 2>&1) &&
	dd if="$var_img" of="$disk" bs=1M oflag=seek_bytes seek="$vstart" conv=notrunc,sparse status=none
ok $? "meta.db deleted from the var partition, written back into the disk"
gone=$(debugfs -R "stat /lib/containerd/io.containerd.metadata.v1.bolt/meta.db" "$var_img" 2>&1)
[[ $gone == *"File not found by ext2_lookup"* ]]
ok $? "and it is gone" || while IFS= read -r line; do diag "  debugfs: $line"; done <<<"$out
$gone"
rm -f "$var_img"
qemu_start third "$disk" --firmware=uefi --persist || bail "cannot start QEMU"
store_report third "boot after meta.db was lost"
restored=$(qemu_grep third 'KILN-STORE-RESTORED' | sed 's/.*KILN-STORE-RESTORED //')
[[ $restored == "2 pruned="* ]]
ok $? "kiln-store-check restored meta.db from the image's read-only seed before containerd started, and the snapshotter's database with it ($restored)"
qemu_stop third

tap_done
