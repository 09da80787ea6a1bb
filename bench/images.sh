#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark: images ready at boot. A kiln node's containerd finds every image already in
# its store (kiln-imagegen imported and pinned them when it built the image); k3s and
# RKE2 import the same images from a directory of tarballs at every start. Both on the
# host's own containerd, on a socket and root of their own under the work directory:
#
#   Setup, not timed: a bundle of K images (KILN_BENCH_IMAGES, default 8: the control
#   plane's, pause to etcd) whose layers hold the host's own files, gzip'd, ~MB
#   (KILN_BENCH_BUNDLE_MB, default 400) uncompressed in all (bench/images-bundle.py):
#   one OCI archive per image and the image.json listing name and digest. Then the
#   seeded store, as kiln-imagegen makes it: a fresh root, containerd started, every
#   archive imported into k8s.io (--platform linux/amd64 --snapshotter overlayfs) and
#   labelled io.cri-containerd.pinned=pinned, containerd stopped; kept as the "disk".
#   Measured, N runs (KILN_BENCH_RUNS, default 3), the sides alternating, the page cache
#   dropped (after a sync) before every start, so each is a boot from disk:
#     a. seeded, first boot: a copy of the disk (cp -a, not timed); kiln-store-check
#        (the containerd unit's ExecStartPre on the node) then containerd started; the
#        images phase's check (images-check-driver: containerd's image records against
#        image.json) polled every 10 ms until it passes. Time from kiln-store-check's
#        start: what the node pays before containerd, it pays here too.
#     b. import, first boot (the k3s way): an empty root, containerd started; once its
#        socket answers (the same check gets a listing), every archive imported and every
#        image labelled pinned, as above; then the same check. Time from containerd's
#        start.
#     Second boot, the same roots kept: containerd stopped and started again. a. seeded:
#     the check again; b. import: k3s imports its tarballs at every start, so it imports
#     them again into the store it has, labels, checks.
#   Goals: seeded / import at most 0.05, on the first and on the second boot; the seeded
#   path costs nothing more on a later boot: seeded second / seeded first ~1.0 or less.
# The node runs Debian trixie's containerd 1.7; this host has its own (bookworm: 1.6),
# and the output says which one measured.
#
#   sudo bench/images.sh        KILN_BUILDDIR (default ./build) has images-check-driver
#                               (meson setup -Dtests=true) and kiln-store-check
# Environment: KILN_BUILDDIR, KILN_BENCH_RUNS, KILN_BENCH_IMAGES, KILN_BENCH_BUNDLE_MB,
# KILN_BENCH_TMPDIR (default /var/tmp; ~4 GB with the defaults), KILN_BENCH_QUIET_WAIT
# (default 180).
set -uo pipefail
export LC_ALL=C   # a decimal point in $EPOCHREALTIME
source "$(dirname "$0")/lib.sh"
bench_init images tests/integration/images-check-driver supervisor/kiln-store-check
source "$BENCH_SRCDIR/tests/lib/containerd.sh"

RUNS=${KILN_BENCH_RUNS:-3}
COUNT=${KILN_BENCH_IMAGES:-8}
BUNDLE_MB=${KILN_BENCH_BUNDLE_MB:-400}
W=$BENCH_WORK
for t in containerd ctr python3; do
	command -v "$t" >/dev/null || bench_die "$t is not installed"
done
driver=$BENCH_BUILDDIR/tests/integration/images-check-driver
store_check=$BENCH_BUILDDIR/supervisor/kiln-store-check
meta=io.containerd.metadata.v1.bolt/meta.db
snapdb=io.containerd.snapshotter.v1.overlayfs/metadata.db
json=$W/bundle/image.json

# One containerd at a time, in DIR (tests/lib/containerd.sh): DIR/config.toml, DIR/root,
# DIR/state, DIR/containerd.sock. The settings of the node's config
# (rootfs/etc/containerd/config.toml) that bear on images.
configure() {
	host_containerd_config "$1" "$1/root" '[plugins."io.containerd.grpc.v1.cri".containerd]' \
		'  snapshotter = "overlayfs"' '  discard_unpacked_layers = false'
}
# Not waited for here: the runs time containerd's start themselves.
start_containerd() { host_containerd_start "$1" 0; }
# Stopped by SIGTERM within 30 s, else killed (and a failure: the store may be torn).
stop_containerd() { host_containerd_stop 30; }
bench_cleanup_extra() { stop_containerd; }

# The images phase's check on DIR's containerd, every 10 ms until it says WANT (0: every
# image ok; 1: containerd answered, some image wrong), at most LIMIT seconds. The driver
# bounds its own call (RUNTIME_CRI_TIMEOUT_USEC, 2 s).
poll_check() {
	local d=$1 want=$2 limit=$3 rc deadline=$((SECONDS + $3))
	while :; do
		"$driver" "$d/containerd.sock" "$json" >"$d/check.out" 2>&1
		rc=$?
		((rc == want || (want == 1 && rc == 0))) && return 0
		kill -0 "$HOST_CONTAINERD_PID" 2>/dev/null || { echo "bench: containerd exited" >>"$d/check.out"; return 1; }
		((SECONDS < deadline)) || { echo "bench: no answer in $limit s" >>"$d/check.out"; return 1; }
		sleep 0.01
	done
}
fail() {
	local d=$1; shift
	echo "bench: $*" >&2
	tail -n 20 "$d/check.out" "$d/ctr.log" "$d/containerd.log" 2>/dev/null >&2
	exit 1
}
# Import every archive into k8s.io and pin every image, as kiln-imagegen does when it
# seeds (and k3s at every start).
import_all() {
	local d=$1 a n
	for a in "$W"/bundle/archives/*.tar; do
		bench_run 600 "$d/ctr.log" ctr --address "$d/containerd.sock" -n k8s.io images import \
			--platform linux/amd64 --snapshotter overlayfs "$a" || fail "$d" "ctr images import $a failed"
	done
	t_imported=$EPOCHREALTIME
	for n in "${NAMES[@]}"; do
		bench_run 60 "$d/ctr.log" ctr --address "$d/containerd.sock" -n k8s.io images label "$n" \
			io.cri-containerd.pinned=pinned || fail "$d" "ctr images label $n failed"
	done
	t_labelled=$EPOCHREALTIME
}
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches || bench_die "cannot drop the page cache"
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

# boot_seeded DIR: sets took (ms) and detail.
boot_seeded() {
	local d=$1 t0 t1 t2
	drop_caches
	t0=$EPOCHREALTIME
	timeout 30 "$store_check" --root="$d/root" --seed="$W/seed" >"$d/ctr.log" 2>&1 ||
		fail "$d" "kiln-store-check failed on the seeded store"
	t1=$EPOCHREALTIME
	start_containerd "$d"
	poll_check "$d" 0 60 || fail "$d" "the seeded store did not pass the images check"
	t2=$EPOCHREALTIME
	took=$(ms "$t0" "$t2")
	detail="kiln-store-check $(ms "$t0" "$t1") ms, containerd to check ok $(ms "$t1" "$t2") ms"
	stop_containerd || fail "$d" "containerd did not stop on SIGTERM within 30 s"
}
# boot_import DIR: the same, the k3s way.
boot_import() {
	local d=$1 t0 t1 t2
	drop_caches
	t0=$EPOCHREALTIME
	start_containerd "$d"
	poll_check "$d" 1 60 || fail "$d" "containerd did not answer"
	t1=$EPOCHREALTIME
	import_all "$d"
	poll_check "$d" 0 60 || fail "$d" "the imported images did not pass the images check"
	t2=$EPOCHREALTIME
	took=$(ms "$t0" "$t2")
	detail="socket $(ms "$t0" "$t1") ms, imports $(ms "$t1" "$t_imported") ms, labels $(ms "$t_imported" "$t_labelled") ms, check $(ms "$t_labelled" "$t2") ms"
	stop_containerd || fail "$d" "containerd did not stop on SIGTERM within 30 s"
}

version=$(containerd --version | awk '{ print $3 }')
echo "images benchmark: containerd start to every image ready, seeded store against importing tarballs at boot (k3s/RKE2)"
echo "  containerd $version, this host's; the node runs Debian trixie's containerd 1.7, not measured here"
bench_wait_quiet
echo "  $(bench_host_note)"

# ---- Setup: the bundle.
t0=$EPOCHREALTIME
bench_run 1800 "$W/bundle.log" python3 "$BENCH_SRCDIR/bench/images-bundle.py" "$W/bundle" "$COUNT" "$BUNDLE_MB" ||
	{ cat "$W/bundle.log"; bench_die "cannot make the image bundle"; }
rm -rf "$W/bundle/blobs"
mapfile -t NAMES < <(python3 -c 'import json, sys
for i in json.load(open(sys.argv[1]))["images"]: print(i["name"])' "$json")
((${#NAMES[@]} == COUNT)) || bench_die "image.json lists ${#NAMES[@]} images, not $COUNT"
awk -v s="$(bench_secs "$t0")" -v n="$COUNT" '/^total / { layers = $4; raw = $6; gz = $8 } / archive / { ar += $NF }
	END { printf "bundle: %d images, %d distinct layers of host files: %.0f MB uncompressed, %.0f MB gzip; archives %.0f MB (made in %s s)\n",
		n, layers, raw / 1e6, gz / 1e6, ar / 1e6, s }' "$W/bundle.log"

# ---- Setup: the seeded store, kept as the disk.
s=$W/seeding
configure "$s"
start_containerd "$s"
poll_check "$s" 1 60 || fail "$s" "containerd did not answer"
t0=$EPOCHREALTIME
import_all "$s"
poll_check "$s" 0 60 || fail "$s" "the seeded store does not pass the images check"
seeded_in=$(bench_secs "$t0")
stop_containerd || fail "$s" "containerd did not stop on SIGTERM within 30 s"
mv "$s/root" "$W/disk" && mkdir -p "$W/seed/${meta%/*}" "$W/seed/${snapdb%/*}" &&
	cp "$W/disk/$meta" "$W/seed/$meta" && cp "$W/disk/$snapdb" "$W/seed/$snapdb" ||
	bench_die "cannot keep the seeded store"
rm -rf "$s"
echo "seeded store: $(du -sm "$W/disk" | cut -f1) MB on disk, $(ls "$W/disk/io.containerd.snapshotter.v1.overlayfs/snapshots" | wc -l)" \
	"snapshots (imported and pinned in $seeded_in s at build time, warm cache)"

# ---- Measured.
declare -a s1=() i1=() s2=() i2=()
for ((i = 1; i <= RUNS; i++)); do
	bench_wait_quiet
	echo "run $i: $(bench_host_note)"
	a=$W/seeded-$i b=$W/import-$i
	configure "$a" && rmdir "$a/root" && cp -a "$W/disk" "$a/root" || bench_die "cannot copy the seeded store"
	configure "$b"

	boot_seeded "$a"; s1+=("$took")
	echo "  first boot,  seeded: $took ms ($detail)"
	boot_import "$b"; i1+=("$took")
	echo "  first boot,  import: $took ms ($detail)"
	boot_seeded "$a"; s2+=("$took")
	echo "  second boot, seeded: $took ms ($detail)"
	boot_import "$b"; i2+=("$took")
	echo "  second boot, import: $took ms ($detail)"
	grep -qF " $W/" /proc/mounts && bench_die "mounts left under $W after containerd stopped"
	rm -rf "$a" "$b"
done

ms1=$(bench_median "${s1[@]}") mi1=$(bench_median "${i1[@]}")
ms2=$(bench_median "${s2[@]}") mi2=$(bench_median "${i2[@]}")
r1=$(ratio3 "$ms1" "$mi1") r2=$(ratio3 "$ms2" "$mi2") rs=$(ratio3 "$ms2" "$ms1")
echo "medians of $RUNS runs, $COUNT images ($BUNDLE_MB MB), containerd $version:"
echo "  first boot:  seeded $ms1 ms, import $mi1 ms: seeded / import $r1 (goal <= 0.05: $(bench_goal "$r1" 0.05))"
echo "  second boot: seeded $ms2 ms, import $mi2 ms: seeded / import $r2 (goal <= 0.05: $(bench_goal "$r2" 0.05))"
echo "  seeded second / seeded first: $rs (goal ~1.0 or less, counted met up to 1.10: $(bench_goal "$rs" 1.10))"
echo "  $(bench_host_note)"
