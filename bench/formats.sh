#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: the delivery formats made from disk.raw (qcow2, the installer ISO, the PXE
# set and the Vagrant box), against the raw disk alone, one run, one build at a time:
#   0. warm-up: the benchmark profile (tests/boot/boot.yaml, hostname bench-a) built raw
#      and box with an empty --cache, so that both measured builds find the same cached
#      trees (the box's root file system included).
#   1. baseline: the same build again, --format raw: wall time.
#   2. --format raw,qcow2,iso,pxe,box, same cache: wall time, and the steps' own times (from
#      the build's per-step lines). The install payload (disk.raw's ranges, compressed) is
#      made once and carried by both the ISO and the PXE set: its time counts for each.
#   a. size: disk.qcow2 / the floor. The floor ("the sum of its compressed content") is
#      disk.raw's allocated data (its extents, as SEEK_DATA/SEEK_HOLE find them) in one
#      zstd -3 stream: qcow2's zstd is level 3 too, but per 64 KiB cluster, so the floor is
#      a little lower than any qcow2 can reach. kiln.iso against the same floor: its
#      payload is the same data (zstd -3, per range), plus the kernel and initrd once more
#      (in ISO 9660, for isolinux and GRUB) and the boot loaders. pxe/ (every file) against the same floor: the payload,
#      the kernel and initrd, the boot loaders. kiln.box against the same floor (its disk
#      is disk.raw's with its own root and ESP). Goal: <= 1.1 each.
#   b. time: each format's step / the raw build. Goal: <= 0.3 each. Also shown: the whole
#      difference of the two builds (it includes hashing the outputs for the manifest).
# For comparison, the host's qemu-img (not the tools tree's, which the build uses) makes
# the other choices from the same disk.raw: uncompressed, zlib, zstd.
#
#   sudo bench/formats.sh            KILN_BUILDDIR (default ./build) has kiln-imagegen
# Environment: KILN_BUILDDIR, KILN_BENCH_MIRROR (default: the host's Debian mirror),
# KILN_BENCH_TMPDIR (default /var/tmp; everything made there is removed at the end),
# KILN_BENCH_QUIET_WAIT (seconds to wait before each build for other heavy processes to
# end, default 180).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
bench_init formats

EPOCH=1700000000
BUILD_TIMEOUT=1800
IMAGEGEN=$BENCH_BUILDDIR/imagegen/kiln-imagegen
MIRROR=$(bench_mirror)
W=$BENCH_WORK
for t in zstd python3; do
	command -v "$t" >/dev/null || bench_die "$t is not installed"
done

kiln_build() {	# kiln_build OUTDIR LOG FORMATS
	SOURCE_DATE_EPOCH=$EPOCH bench_run "$BUILD_TIMEOUT" "$2" \
		"$IMAGEGEN" build --cache "$W/kiln-cache" -o "$1" --without-kubernetes --format "$3" "$W/bench.yaml"
}

step_secs() {	# step_secs LOG STEP-TITLE-PREFIX: the step's "done in X s"
	sed -n "s/^kiln-imagegen: \[[0-9]*\/[0-9]*\] $2.*: done in \([0-9.]*\) s$/\1/p" "$1" | tail -n 1
}

# zstd -3 of the file's data extents, as one stream: bytes.
floor_bytes() {
	python3 - "$1" <<-'EOF' | zstd -3 -q -c | wc -c
	import os, sys
	fd = os.open(sys.argv[1], os.O_RDONLY)
	size = os.fstat(fd).st_size
	out = sys.stdout.buffer
	pos = 0
	while pos < size:
	    try:
	        data = os.lseek(fd, pos, os.SEEK_DATA)
	    except OSError:
	        break
	    hole = os.lseek(fd, data, os.SEEK_HOLE)
	    while data < hole:
	        chunk = os.pread(fd, min(1 << 20, hole - data), data)
	        out.write(chunk)
	        data += len(chunk)
	    pos = hole
	EOF
}

echo "kiln formats benchmark: qcow2, the installer ISO, the PXE set and the Vagrant box made from disk.raw, against the raw build"
echo "  kiln-imagegen: $IMAGEGEN"
echo "  mirror: $MIRROR, SOURCE_DATE_EPOCH=$EPOCH"
bench_profile "$W/bench.yaml" bench-a "$MIRROR"

mkdir -p "$W/kiln-cache"
bench_wait_quiet
t0=$EPOCHREALTIME
kiln_build "$W/out-0" "$W/kiln-0.log" raw,box || { tail -n 20 "$W/kiln-0.log"; bench_die "the warm-up build failed"; }
echo
echo "0. warm-up, --format raw,box, empty cache: $(bench_secs "$t0") s"
rm -rf "$W/out-0"

bench_wait_quiet
note_1=$(bench_host_note)
t0=$EPOCHREALTIME
kiln_build "$W/out-raw" "$W/kiln-raw.log" raw || { tail -n 20 "$W/kiln-raw.log"; bench_die "the raw build failed"; }
raw_secs=$(bench_secs "$t0")
echo "1. --format raw, cached trees: $raw_secs s"
echo "   before: $note_1; after: $(bench_host_note)"
rm -rf "$W/out-raw"

bench_wait_quiet
note_2=$(bench_host_note)
t0=$EPOCHREALTIME
kiln_build "$W/out" "$W/kiln-both.log" raw,qcow2,iso,pxe,box || { tail -n 20 "$W/kiln-both.log"; bench_die "the raw,qcow2,iso,pxe,box build failed"; }
both_secs=$(bench_secs "$t0")
qcow2_secs=$(step_secs "$W/kiln-both.log" "qcow2 image")
payload_secs=$(step_secs "$W/kiln-both.log" "Install payload")
iso_only=$(step_secs "$W/kiln-both.log" "Installer ISO")
pxe_only=$(step_secs "$W/kiln-both.log" "PXE set")
iso_secs=$(awk -v a="$payload_secs" -v b="$iso_only" 'BEGIN { printf "%.1f", a + b }')
pxe_secs=$(awk -v a="$payload_secs" -v b="$pxe_only" 'BEGIN { printf "%.1f", a + b }')
box_secs=$(step_secs "$W/kiln-both.log" "Vagrant box")
manifest_secs=$(step_secs "$W/kiln-both.log" "Manifest")
echo "2. --format raw,qcow2,iso,pxe,box, cached trees: $both_secs s (qcow2 step $qcow2_secs s, install payload $payload_secs s, iso step $iso_only s, pxe step $pxe_only s, box step $box_secs s, manifest step $manifest_secs s)"
echo "   (the box's own root file system is made and cached by the warm-up build too)"
echo "   before: $note_2; after: $(bench_host_note)"

raw=$W/out/disk.raw qcow2=$W/out/disk.qcow2 iso=$W/out/kiln.iso
raw_size=$(stat -c %s "$raw")
raw_alloc=$(($(stat -c %b "$raw") * $(stat -c %B "$raw")))
qcow2_size=$(stat -c %s "$qcow2")
iso_size=$(stat -c %s "$iso")
pxe_size=$(find "$W/out/pxe" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
box_size=$(stat -c %s "$W/out/kiln.box")
floor=$(floor_bytes "$raw")
echo
echo "a. size"
echo "   disk.raw: $raw_size bytes, $raw_alloc allocated"
echo "   floor, zstd -3 of disk.raw's data extents: $floor bytes"
r_size=$(bench_ratio "$qcow2_size" "$floor")
echo "   disk.qcow2 (the build's: zstd): $qcow2_size bytes; / floor = $r_size (goal <= 1.1: $(bench_goal "$r_size" 1.1))"
r_iso=$(bench_ratio "$iso_size" "$floor")
echo "   kiln.iso: $iso_size bytes; / floor = $r_iso (goal <= 1.1: $(bench_goal "$r_iso" 1.1))"
r_pxe=$(bench_ratio "$pxe_size" "$floor")
echo "   pxe/ (all files): $pxe_size bytes; / floor = $r_pxe (goal <= 1.1: $(bench_goal "$r_pxe" 1.1))"
r_box=$(bench_ratio "$box_size" "$floor")
echo "   kiln.box: $box_size bytes; / floor = $r_box (goal <= 1.1: $(bench_goal "$r_box" 1.1))"
if command -v qemu-img >/dev/null; then
	echo "   the host's $(qemu-img --version | head -n 1), from the same disk.raw:"
	for opts in "" "-c -o compression_type=zlib" "-c -o compression_type=zstd"; do
		t0=$EPOCHREALTIME
		# shellcheck disable=SC2086 # the options are words
		qemu-img convert -f raw -O qcow2 $opts "$raw" "$W/alt.qcow2" || { echo "   qemu-img convert $opts failed"; continue; }
		secs=$(bench_secs "$t0")
		s=$(stat -c %s "$W/alt.qcow2")
		printf '     %-30s %11d bytes  %5s s  / floor = %s\n' "${opts:-not compressed}" "$s" "$secs" "$(bench_ratio "$s" "$floor")"
		rm -f "$W/alt.qcow2"
	done
fi

echo
echo "b. time"
r_time=$(bench_ratio "$qcow2_secs" "$raw_secs")
echo "   qcow2 step / raw build = $qcow2_secs / $raw_secs = $r_time (goal <= 0.3: $(bench_goal "$r_time" 0.3))"
r_iso_time=$(bench_ratio "$iso_secs" "$raw_secs")
echo "   (install payload + iso step) / raw build = $iso_secs / $raw_secs = $r_iso_time (goal <= 0.3: $(bench_goal "$r_iso_time" 0.3))"
r_pxe_time=$(bench_ratio "$pxe_secs" "$raw_secs")
echo "   (install payload + pxe step) / raw build = $pxe_secs / $raw_secs = $r_pxe_time (goal <= 0.3: $(bench_goal "$r_pxe_time" 0.3))"
diff_secs=$(awk -v a="$both_secs" -v b="$raw_secs" 'BEGIN { printf "%.1f", a - b }')
r_box_time=$(bench_ratio "$box_secs" "$raw_secs")
echo "   box step / raw build = $box_secs / $raw_secs = $r_box_time (goal <= 0.3: $(bench_goal "$r_box_time" 0.3))"
echo "   (raw,qcow2,iso,pxe,box build - raw build) / raw build = $diff_secs / $raw_secs = $(bench_ratio "$diff_secs" "$raw_secs")"

echo
echo "summary"
echo "  disk.qcow2 / floor          $r_size (goal <= 1.1: $(bench_goal "$r_size" 1.1))"
echo "  qcow2 step / raw build      $r_time (goal <= 0.3: $(bench_goal "$r_time" 0.3))"
echo "  kiln.iso / floor            $r_iso (goal <= 1.1: $(bench_goal "$r_iso" 1.1))"
echo "  iso steps / raw build       $r_iso_time (goal <= 0.3: $(bench_goal "$r_iso_time" 0.3))"
echo "  pxe/ / floor                $r_pxe (goal <= 1.1: $(bench_goal "$r_pxe" 1.1))"
echo "  pxe steps / raw build       $r_pxe_time (goal <= 0.3: $(bench_goal "$r_pxe_time" 0.3))"
echo "  kiln.box / floor            $r_box (goal <= 1.1: $(bench_goal "$r_box" 1.1))"
echo "  box step / raw build        $r_box_time (goal <= 0.3: $(bench_goal "$r_box_time" 0.3))"
